//! The release against AWS's semantics, not moto's leniency (the emulator models them):
//! target groups are attached only while something forwards to them, new targets are
//! `initial` before `healthy`, ECS deployments roll out over time and can fail, and
//! DescribeAlarms returns composite alarms only when asked, a page at a time.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::Workdir;
use acceptance_tests::{forward_weights_sorted, serving, state_color, write_release};
use std::time::{Duration, Instant};

fn weights(emu: &Emulator, s: &Scaffold) -> Vec<(String, i64)> {
    let mut w = forward_weights_sorted(&scaffold::run(emu, "describe", &["--rule-arn", s.rule()])["actions"]);
    w.sort();
    w
}

fn states(emu: &Emulator, tg: &str) -> Vec<String> {
    scaffold::target_health(emu, tg).into_iter().map(|(_, state, _)| state).collect()
}

/// A slower clock than the default, so that `initial` targets and rolling deployments
/// last long enough (7.5 s and ~4.5 s) for the gate to be seen waiting on them.
fn slow_emulator() -> Emulator {
    Emulator::start_with_env(&[("BLUEGREEN_EMULATOR_TIME_SCALE", "0.05")])
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn two_full_cycles_deploy_to_the_standby_and_promote_with_no_test_listener() {
    let emu = slow_emulator();
    let s = Scaffold::create(&emu, "app", &["--services", "spinnaker"]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    min_healthy_targets = 2\n    wait_timeout = \"2m\"\n  }";
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    assert_eq!(wd.plan_exit_code().code, 0);
    let (mut active, mut standby) = (("blue", s.blue_tg.clone()), ("green", s.green_tg.clone()));
    for cycle in 1..=2 {
        // Spinnaker deploys a new server group into the standby: ECS accepts it because
        // the standby is still attached (weight 0), and its new tasks register targets.
        let deployed = scaffold::run(
            &emu,
            "deploy",
            &["--name", "app", "--color", standby.0, "--style", "spinnaker", "--scale-old-to-zero", "--no-wait"],
        );
        assert!(deployed["service"].as_str().is_some(), "cycle {cycle}: {deployed}");
        scaffold::run(&emu, "targets", &["--tg", &standby.1, "--deregister-all"]);
        scaffold::run(&emu, "targets", &["--tg", &standby.1, "--register", "2"]);
        assert!(states(&emu, &standby.1).iter().all(|st| st == "initial"), "cycle {cycle}: new targets are initial");
        assert_eq!(wd.plan_exit_code().code, 0, "cycle {cycle}: a deploy is not drift");
        // The promotion waits out `initial` and the rollout, then switches.
        emu.reset_requests();
        write_release(&wd, &emu, &s, &format!("  active_color = \"{}\"\n{gate}", standby.0));
        let started = Instant::now();
        wd.apply();
        assert!(emu.request_count("DescribeTargetHealth") >= 2, "cycle {cycle}: the gate waited for healthy targets");
        assert!(started.elapsed() >= Duration::from_secs(2), "cycle {cycle}: the gate did not wait");
        assert_eq!(serving(&emu, s.rule()), [standby.1.clone()], "cycle {cycle}");
        assert_eq!(state_color(&wd), standby.0);
        // The old color stays attached at weight 0: health-checked, not `unused`.
        assert!(weights(&emu, &s).contains(&(active.1.clone(), 0)), "cycle {cycle}: {:?}", weights(&emu, &s));
        let old = states(&emu, &active.1);
        assert!(!old.is_empty() && old.iter().all(|st| st != "unused"), "cycle {cycle}: {old:?}");
        assert_eq!(wd.plan_exit_code().code, 0, "cycle {cycle}: plan after the promotion");
        std::mem::swap(&mut active, &mut standby);
    }
    assert_eq!(state_color(&wd), "blue", "blue → green → blue");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_hand_written_single_target_group_rule_is_adopted_and_its_promotion_attaches_first() {
    let emu = slow_emulator();
    let s = Scaffold::create(&emu, "app", &["--forward", "single", "--colors", "name", "--services", "spinnaker"]);
    assert!(states(&emu, &s.green_tg).iter().all(|st| st == "unused"), "green is detached: its targets are unused");
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "");
    let out = wd.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "bluegreen_ecs_release.app",
        &format!("{}/{}", s.cluster, s.rule()),
    ]);
    assert!(out.stdout.contains("Import successful"), "{}", out.all());
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "{}", plan.all());
    let warned = plan.all().replace('\n', " ");
    assert!(warned.contains("green target group is detached") && warned.contains("Target.NotInUse"), "{warned}");

    // Promote: the apply attaches green at weight 0, which lets ECS deploy there and ALB
    // health-check it; the gate waits for that, then the switch names both groups.
    write_release(&wd, &emu, &s, "  active_color = \"green\"\n  promotion {\n    wait_timeout = \"90s\"\n  }");
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
        let deadline = Instant::now() + Duration::from_secs(60);
        while !weights(&emu, &s).contains(&(s.green_tg.clone(), 0)) {
            assert!(Instant::now() < deadline, "green was never attached");
            std::thread::sleep(Duration::from_millis(100));
        }
        assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()], "attaching moves no traffic");
        let green = states(&emu, &s.green_tg);
        assert!(green.iter().any(|st| st == "initial"), "attached, green's targets are health-checked: {green:?}");
        let deployed =
            scaffold::run(&emu, "deploy", &["--name", "app", "--color", "green", "--style", "spinnaker", "--no-wait"]);
        assert!(deployed["service"].as_str().is_some(), "ECS accepts a service on the attached green: {deployed}");
        let out = apply.join().unwrap();
        assert_eq!(out.code, 0, "{}", out.all());
    });
    assert_eq!(weights(&emu, &s), {
        let mut w = vec![(s.blue_tg.clone(), 0), (s.green_tg.clone(), 100)];
        w.sort();
        w
    });
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_target_turning_unhealthy_during_the_bake_rolls_back_and_names_the_reason() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    bake_time = \"20s\"\n  }";
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{gate}"));
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
        let deadline = Instant::now() + Duration::from_secs(60);
        while serving(&emu, s.rule()) != [s.green_tg.clone()] {
            assert!(Instant::now() < deadline, "traffic never moved to green");
            std::thread::sleep(Duration::from_millis(100));
        }
        emu.fail_targets(&s.green_tg, "Target.ResponseCodeMismatch");
        let out = apply.join().unwrap();
        assert_eq!(out.code, 1, "{}", out.all());
        let err = out.stderr.replace('\n', " ");
        assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
        assert!(err.contains("unhealthy: Target.ResponseCodeMismatch") && err.contains("has 0 healthy of 2"), "{err}");
    });
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(state_color(&wd), "blue");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_composite_alarm_blocks_and_alarms_are_read_across_pages() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let (_, composite) = scaffold::create_alarms(&emu, "app-health", 0, 1, "ALARM");
    let (bulk, _) = scaffold::create_alarms(&emu, "app-bulk", 120, 0, "OK");
    let wd = Workdir::new(&emu.endpoint());
    let quoted = |names: &[String]| names.iter().map(|n| format!("\"{n}\"")).collect::<Vec<_>>().join(", ");
    let gate = |names: &[String]| {
        format!("  promotion {{\n    alarm_names = [{}]\n    wait_timeout = \"1s\"\n  }}", quoted(names))
    };
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{}", gate(&composite)));
    wd.apply();
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{}", gate(&composite)));
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.replace('\n', " ").contains(&format!("{} is in ALARM", composite[0])), "{}", out.all());
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);

    // 120 alarms: the last one, beyond the first page of names, is in ALARM.
    let last = bulk.last().unwrap().clone();
    scaffold::run(&emu, "alarm", &["--name", &last, "--state", "ALARM"]);
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{}", gate(&bulk)));
    emu.reset_requests();
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.replace('\n', " ").contains(&format!("{last} is in ALARM")), "{}", out.all());
    assert!(emu.request_count("DescribeAlarms") >= 2, "120 names take more than one call");
    // All clear: the promotion goes through.
    scaffold::run(&emu, "alarm", &["--name", &last, "--state", "OK"]);
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failed_rollout_refuses_with_its_reason_and_one_in_progress_is_waited_for() {
    let emu = slow_emulator();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    wait_timeout = \"90s\"\n  }";
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    // A rolling update of green's service fails.
    scaffold::run(&emu, "deploy", &["--name", "app", "--color", "green", "--style", "update", "--no-wait"]);
    emu.fail_rollout(&s.cluster, "app-green", "ECS deployment circuit breaker: tasks failed to start.");
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{gate}"));
    let started = Instant::now();
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60), "a FAILED rollout is refused without waiting");
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("FAILED") && err.contains("circuit breaker: tasks failed to start"), "{err}");
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);

    // A new rolling update IN_PROGRESS: the gate waits for it, then switches.
    scaffold::run(&emu, "deploy", &["--name", "app", "--color", "green", "--style", "update", "--no-wait"]);
    emu.reset_requests();
    wd.apply();
    assert!(emu.request_count("DescribeServices") >= 2, "the gate polled the rollout until it completed");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_service_with_a_test_listener_finds_the_production_rule() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "shop", &["--colors", "name", "--services", "two", "--test-listener"]);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "  active_color = \"blue\"");
    let out = wd.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "bluegreen_ecs_release.app",
        &format!("{}/shop-blue", s.cluster),
    ]);
    assert!(out.stdout.contains("Import successful"), "{}", out.all());
    let state: serde_json::Value = serde_json::from_str(&wd.ok(&["show", "-json"]).stdout).unwrap();
    let values = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(values["listener_rule_arn"], s.rule(), "the production rule, not the test rule");
    assert_eq!(wd.plan_exit_code().code, 0);
}
