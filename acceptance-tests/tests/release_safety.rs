//! The promotion gate, bake rollback and compare-before-write, with real Terraform
//! against the emulator: every refusal writes nothing and leaves state equal to live.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::Workdir;
use acceptance_tests::{serving, state_color, write_release};
use std::time::{Duration, Instant};

const GATE: &str = "  promotion {\n    min_healthy_targets = 1\n    wait_timeout = \"1s\"\n  }";

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn gate_refuses_a_standby_without_healthy_targets_and_writes_nothing() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{GATE}"));
    wd.apply();
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);

    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{GATE}"));
    let before = scaffold::run(&emu, "describe", &["--rule-arn", s.rule()]);
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Promotion gate refused"), "{err}");
    assert!(err.contains(&s.green_tg) && err.contains("has 0 healthy of") && err.contains("needs 1"), "{err}");
    assert_eq!(scaffold::run(&emu, "describe", &["--rule-arn", s.rule()]), before, "the gate must write nothing");
    assert_eq!(state_color(&wd), "blue", "state must equal live");
    assert_eq!(wd.plan_exit_code().code, 2, "the promotion is still pending");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn gate_refuses_while_an_alarm_fires() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--alarm", "app-5xx"]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    alarm_names = [\"app-5xx\"]\n    wait_timeout = \"1s\"\n  }";
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "ALARM"]);
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{gate}"));
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.replace('\n', " ").contains("app-5xx is in ALARM"), "{}", out.all());
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(state_color(&wd), "blue");
    // Once the alarm clears, the same apply goes through.
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "OK"]);
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn bake_failure_rolls_back_and_state_matches_live() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--alarm", "app-5xx"]);
    let wd = Workdir::new(&emu.endpoint());
    let gate =
        "  promotion {\n    alarm_names = [\"app-5xx\"]\n    bake_time = \"20s\"\n    rollback_on_failure = true\n  }";
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{gate}"));
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
        // Once traffic is on green (the bake has started), the alarm fires.
        let deadline = Instant::now() + Duration::from_secs(60);
        while serving(&emu, s.rule()) != [s.green_tg.clone()] {
            assert!(Instant::now() < deadline, "traffic never moved to green");
            std::thread::sleep(Duration::from_millis(200));
        }
        scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "ALARM"]);
        let out = apply.join().unwrap();
        assert_eq!(out.code, 1, "{}", out.all());
        let err = out.stderr.replace('\n', " ");
        assert!(err.contains("Bake failed; traffic rolled back") && err.contains("app-5xx is in ALARM"), "{err}");
    });
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()], "rollback restores blue");
    assert_eq!(state_color(&wd), "blue", "state records the rolled-back truth");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn traffic_moved_between_saved_plan_and_apply_is_refused() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "  active_color = \"blue\"\n  standby_traffic_percent = 0");
    wd.apply();
    write_release(&wd, &emu, &s, "  active_color = \"blue\"\n  standby_traffic_percent = 20");
    wd.ok(&["plan", "-input=false", "-no-color", "-out=canary.tfplan"]);
    // Meanwhile the deploy tool flips everything to green.
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--to", &s.green_tg]);
    let before = scaffold::run(&emu, "describe", &["--rule-arn", s.rule()]);
    let out = wd.run(&["apply", "-input=false", "-no-color", "canary.tfplan"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Traffic moved since the plan"), "{err}");
    assert!(err.contains("blue 100%") && err.contains("green 100%"), "says what it saw and what is live: {err}");
    assert_eq!(scaffold::run(&emu, "describe", &["--rule-arn", s.rule()]), before, "nothing written");
    assert_eq!(state_color(&wd), "green", "state records what is live");
}
