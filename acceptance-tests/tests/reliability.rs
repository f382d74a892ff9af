//! Faults and hostile conditions with real Terraform against the emulator: throttling,
//! failed writes, a killed provider, timeouts, Ctrl-C, parallel promotions, secrets.
//! After every failure the live pointer is never half-written and state equals live.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::reliability_report::{Scenario, state_vs_live_differences, total_faults};
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Workdir, provider_block};
use acceptance_tests::{serving, state_color, wait_until, write_release_with_retries};
use std::time::{Duration, Instant};

/// The provider process a terraform process started (its child, by parent pid).
fn provider_child(terraform_pid: u32) -> Option<u32> {
    for entry in std::fs::read_dir("/proc").ok()?.flatten() {
        let Ok(pid) = entry.file_name().to_string_lossy().parse::<u32>() else { continue };
        let Ok(stat) = std::fs::read_to_string(format!("/proc/{pid}/stat")) else { continue };
        // pid (comm) state ppid ...
        let Some((comm_part, rest)) = stat.rsplit_once(") ") else { continue };
        let ppid: u32 = rest.split_whitespace().nth(1).and_then(|p| p.parse().ok()).unwrap_or(0);
        if ppid == terraform_pid && comm_part.contains("terraform-provi") {
            return Some(pid);
        }
    }
    None
}

fn signal(pid: u32, sig: &str) {
    let ok = std::process::Command::new("kill").args([sig, &pid.to_string()]).status().unwrap().success();
    assert!(ok, "kill {sig} {pid}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn promotion_succeeds_with_30_percent_of_calls_throttled() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release_with_retries(&wd, &emu, &s, 10, "  active_color = \"blue\"");
    wd.apply();
    write_release_with_retries(&wd, &emu, &s, 10, "  active_color = \"green\"");
    emu.reset_requests();
    emu.inject_fault(serde_json::json!({"action": "*", "fraction": 0.3, "seed": 7, "kind": "throttle"}));
    let mut scenario = Scenario::start("30% of calls throttled");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "{}", plan.all());
    wd.apply();
    let seconds = scenario.stop_clock();
    let requests = emu.requests();
    let faults = requests["faults_injected"].clone();
    emu.clear_faults();
    let injected = total_faults(&faults);
    println!("throttled plan + apply: {} AWS calls, {injected} throttled, {seconds:.1} s", requests["total"]);
    assert!(injected > 0, "no throttling happened: {faults}");
    // The time (target: at most 30 s) is a figure `make reliability` prints, not an
    // assertion: the machines are shared and noisy.
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
    scenario.report(&emu, &wd, true);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn dropped_connections_and_slow_answers_are_retried() {
    let scenario = Scenario::start("dropped connection and slow answer");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release_with_retries(&wd, &emu, &s, 3, "  active_color = \"blue\"");
    wd.apply();
    // The refresh's read loses its connection once, then the promotion's gate read is
    // answered slowly: both are retried or waited out, and the plan/apply converge.
    emu.inject_fault(serde_json::json!({"action": "DescribeRules", "count": 1, "kind": "drop"}));
    assert_eq!(wd.plan_exit_code().code, 0);
    write_release_with_retries(&wd, &emu, &s, 3, "  active_color = \"green\"");
    emu.inject_fault(
        serde_json::json!({"action": "DescribeTargetHealth", "count": 1, "kind": "slow", "delay_seconds": 2}),
    );
    wd.apply();
    let faults = emu.requests()["faults_injected"].clone();
    emu.clear_faults();
    let injected = total_faults(&faults);
    assert_eq!(injected, 2, "{faults}");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
    scenario.report(&emu, &wd, true);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failed_pointer_write_leaves_live_and_state_unchanged_and_the_next_apply_converges() {
    let scenario = Scenario::start("pointer write fails with 500");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release_with_retries(&wd, &emu, &s, 2, "  active_color = \"blue\"");
    wd.apply();
    write_release_with_retries(&wd, &emu, &s, 2, "  active_color = \"green\"");
    emu.inject_fault(serde_json::json!({"action": "ModifyRule", "count": 100, "kind": "500"}));
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    emu.clear_faults();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("AWS ModifyRule failed"), "{}", out.all());
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()], "live pointer unchanged");
    assert_eq!(state_color(&wd), "blue", "state equals live");
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
    scenario.report(&emu, &wd, true);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn provider_killed_during_bake_then_plan_shows_the_truth_and_apply_converges() {
    let scenario = Scenario::start("provider SIGKILLed during bake");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    bake_time = \"60s\"\n  }";
    write_release_with_retries(&wd, &emu, &s, 2, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    write_release_with_retries(&wd, &emu, &s, 2, &format!("  active_color = \"green\"\n{gate}"));
    let mut apply = wd
        .command(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    wait_until("traffic on green (bake running)", Duration::from_secs(60), || {
        serving(&emu, s.rule()) == [s.green_tg.clone()]
    });
    let provider = provider_child(apply.id()).expect("the provider process");
    signal(provider, "-KILL");
    let status = apply.wait().unwrap();
    assert!(!status.success(), "apply must fail when its provider dies");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "live is green and the config says green:\n{}", plan.all());
    wd.apply();
    assert_eq!(state_color(&wd), "green", "state is the truth after the crash");
    scenario.report(&emu, &wd, true);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn gate_wait_longer_than_the_update_timeout_is_a_clear_timeout_and_writes_nothing() {
    let scenario = Scenario::start("gate wait past timeouts.update");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let body = |c: &str| {
        format!(
            "  active_color = \"{c}\"\n  promotion {{\n    wait_timeout = \"60s\"\n  }}\n  timeouts {{\n    update = \"3s\"\n  }}"
        )
    };
    write_release_with_retries(&wd, &emu, &s, 2, &body("blue"));
    wd.apply();
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);
    write_release_with_retries(&wd, &emu, &s, 2, &body("green"));
    let started = Instant::now();
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(40), "the 3s timeout was not honoured");
    let err = out.stderr.replace('\n', " ");
    assert!(
        err.contains("Timed out during update") && err.contains("ran for 3s") && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(state_color(&wd), "blue");
    scenario.report(&emu, &wd, false);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ctrl_c_interrupts_a_gate_wait_promptly_and_state_stays_consistent() {
    let scenario = Scenario::start("Ctrl-C during the gate wait");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let body = |c: &str| format!("  active_color = \"{c}\"\n  promotion {{\n    wait_timeout = \"5m\"\n  }}");
    write_release_with_retries(&wd, &emu, &s, 2, &body("blue"));
    wd.apply();
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);
    write_release_with_retries(&wd, &emu, &s, 2, &body("green"));
    let apply = wd
        .command(&["apply", "-auto-approve", "-input=false", "-no-color"])
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let pid = apply.id();
    // The gate is polling once the provider is up and a few seconds have passed.
    wait_until("the provider to start", Duration::from_secs(30), || provider_child(pid).is_some());
    std::thread::sleep(Duration::from_secs(3));
    let interrupted = Instant::now();
    signal(pid, "-INT");
    let out = apply.wait_with_output().unwrap();
    assert!(interrupted.elapsed() < Duration::from_secs(20), "Ctrl-C took {:?}", interrupted.elapsed());
    assert!(!out.status.success());
    let err = String::from_utf8_lossy(&out.stderr).replace('\n', " ");
    assert!(err.contains("Interrupted") && err.contains("nothing was written"), "{err}");
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(state_color(&wd), "blue");
    scenario.report(&emu, &wd, false);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn twenty_releases_on_one_listener_promoted_with_parallelism_10() {
    let scenario = Scenario::start("20 releases on one listener, -parallelism=10");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let mut rules = vec![s.rule().to_string()];
    rules.extend(scaffold::create_rules(&emu, &s.listener_arn, &s.blue_tg, 19));
    let config = |color: &str| {
        format!(
            "{}{}",
            provider_block(&emu.endpoint()).replace("max_retries = 2", "max_retries = 10"),
            scaffold::releases_hcl(&s, &rules, color)
        )
    };
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &config("blue"));
    wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=10"]);
    wd.write("main.tf", &config("green"));
    let out = wd.ok(&["apply", "-auto-approve", "-input=false", "-no-color", "-parallelism=10"]);
    assert!(out.stdout.contains("20 changed"), "{}", out.all());
    for r in &rules {
        assert_eq!(serving(&emu, r), [s.green_tg.clone()], "rule {r} did not end on green");
    }
    assert_eq!(wd.plan_exit_code().code, 0);
    scenario.report(&emu, &wd, true);
}

/// The report's partial_writes is a measurement: live traffic that differs from state
/// (here a split written outside Terraform) is counted; weight-0 entries are not traffic.
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn state_vs_live_comparison_counts_a_pointer_that_differs_from_state() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release_with_retries(&wd, &emu, &s, 2, "  active_color = \"blue\"");
    wd.apply();
    assert_eq!(state_vs_live_differences(&emu, &wd), []);
    let zero = format!("{}=100,{}=0", s.blue_tg, s.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &zero]);
    assert_eq!(state_vs_live_differences(&emu, &wd), [], "green at weight 0 serves nothing");
    let split = format!("{}=60,{}=40", s.blue_tg, s.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &split]);
    let differences = state_vs_live_differences(&emu, &wd);
    assert_eq!(differences.len(), 1, "{differences:#?}");
    assert_eq!(differences[0].pointer, s.rule());
    assert_eq!(differences[0].live.as_ref().unwrap()[&s.green_tg], 40.0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn credentials_never_appear_in_logs_plan_or_state_at_trace() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let mut wd = Workdir::new(&emu.endpoint());
    let (key, secret, token) = (
        "AKIABLUEGREENTEST777",
        "bgSecretAccessKeyDoNotLog0123456789abcd",
        "bgSessionTokenDoNotLogQWxhZGRpbjpvcGVuIHNlc2FtZQ",
    );
    wd.set_env("AWS_ACCESS_KEY_ID", key);
    wd.set_env("AWS_SECRET_ACCESS_KEY", secret);
    wd.set_env("AWS_SESSION_TOKEN", token);
    wd.set_env("TF_LOG", "TRACE");
    write_release_with_retries(&wd, &emu, &s, 2, "  active_color = \"blue\"");
    let mut seen = String::new();
    seen += &wd.apply().all();
    write_release_with_retries(&wd, &emu, &s, 2, "  active_color = \"green\"");
    seen += &wd.run(&["plan", "-input=false", "-no-color", "-out=p.tfplan"]).all();
    seen += &wd.ok(&["show", "-json", "p.tfplan"]).all();
    seen += &wd.ok(&["apply", "-input=false", "-no-color", "p.tfplan"]).all();
    seen += &std::fs::read_to_string(wd.path().join("terraform.tfstate")).unwrap();
    assert!(seen.contains("provider.terraform-provider-bluegreen"), "TRACE logs were captured");
    for secret_value in [key, secret, token] {
        assert!(!seen.contains(secret_value), "{secret_value} leaked");
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_last_write_that_lands_without_an_answer_is_baked_and_rolled_back_like_any_other() {
    let scenario = Scenario::start("last write lands, answer dropped");
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let gate = "  promotion {\n    bake_time = \"20s\"\n  }";
    // max_retries = 0: the one write attempt is also the last.
    write_release_with_retries(&wd, &emu, &s, 0, &format!("  active_color = \"blue\"\n{gate}"));
    wd.apply();
    write_release_with_retries(&wd, &emu, &s, 0, &format!("  active_color = \"green\"\n{gate}"));
    // The write is carried out, then the connection is closed with no answer.
    emu.inject_fault(serde_json::json!({"action": "ModifyRule", "count": 1, "kind": "drop", "after": true}));
    std::thread::scope(|scope| {
        let apply = scope.spawn(|| wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]));
        wait_until("traffic on green (bake running)", Duration::from_secs(60), || {
            serving(&emu, s.rule()) == [s.green_tg.clone()]
        });
        emu.fail_targets(&s.green_tg, "Target.ResponseCodeMismatch");
        let out = apply.join().unwrap();
        assert_eq!(out.code, 1, "{}", out.all());
        let err = out.stderr.replace('\n', " ");
        // The landed write was baked: the bake's failure rolled it back.
        assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
        assert!(err.contains("unhealthy: Target.ResponseCodeMismatch"), "{err}");
    });
    emu.clear_faults();
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()], "rolled back to blue");
    assert_eq!(state_color(&wd), "blue", "state equals live");
    scenario.report(&emu, &wd, true);
}
