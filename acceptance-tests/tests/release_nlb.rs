//! NLB listeners as traffic pointers: a release whose `listener_arn` is a Network Load
//! Balancer's TCP listener adopts, promotes and bakes like an ALB's, except that the NLB
//! applies new weights only after a propagation delay (modelled by
//! tools/emulator/aws_nlb.py; ECS native blue/green waits 10 minutes for it). A second
//! reader of the emulator's data plane (`/_bluegreen/nlb/served`) shows that the bake
//! watched the new weights for its whole `bake_time`, that the checks ran meanwhile, and
//! that a stepped promotion waits for each step's weights. An NLB has no rules: a rule
//! pointer on one is a plan-time error.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::Scaffold;
use acceptance_tests::terraform::{Output, Workdir, provider_block};
use acceptance_tests::{linear_strategy, release_state, state_color, write_release_on};
use std::sync::Mutex;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::{Duration, Instant};

/// The emulated NLB's lag between a write and its data plane (real seconds).
const NLB_LAG: f64 = 2.5;

fn nlb(emu: &Emulator) -> Scaffold {
    let s = Scaffold::create(emu, "tcp", &["--nlb", "--colors", "tag"]);
    assert!(s.listener_arn.contains(":listener/net/"), "{}", s.listener_arn);
    emu.set_nlb_propagation_delay(NLB_LAG);
    s
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// Green's weight in a `/_bluegreen/nlb/served` list.
fn green_weight(list: &serde_json::Value, green: &str) -> i64 {
    list.as_array()
        .into_iter()
        .flatten()
        .filter(|w| w["target_group_arn"] == green)
        .map(|w| w["weight"].as_i64().unwrap_or(0))
        .sum()
}

/// What a second reader saw every 50 ms while an apply ran: green's configured weight
/// (what DescribeListeners shows), its served weight (what clients get), and the
/// DescribeTargetHealth calls counted so far, each with when (since the reader started).
#[derive(Default)]
struct Seen {
    samples: Vec<(Duration, i64, i64, i64)>,
    /// When the reader started, in epoch milliseconds.
    started_ms: u128,
}

impl Seen {
    /// When `which` (1: configured, 2: served) of green first became `weight`.
    fn first(&self, which: usize, weight: i64) -> Option<Duration> {
        self.samples.iter().find(|s| if which == 1 { s.1 == weight } else { s.2 == weight }).map(|s| s.0)
    }
    /// DescribeTargetHealth calls made between two moments.
    fn health_reads_between(&self, from: Duration, to: Duration) -> i64 {
        let at = |t: Duration| self.samples.iter().rev().find(|s| s.0 <= t).map_or(0, |s| s.3);
        at(to) - at(from)
    }
    /// The configured weights of green, each new one once, in order.
    fn configured_steps(&self) -> Vec<(Duration, i64)> {
        let mut out: Vec<(Duration, i64)> = Vec::new();
        for s in &self.samples {
            if out.last().map(|l| l.1) != Some(s.1) {
                out.push((s.0, s.1));
            }
        }
        out
    }
}

fn epoch_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis()
}

/// Runs `apply` (a terraform run) while a second reader samples `listener`; returns the
/// run's output, the samples, and when the run ended (since the reader started).
fn while_reading<T>(emu: &Emulator, s: &Scaffold, listener: &str, apply: impl FnOnce() -> T) -> (T, Seen, Duration) {
    let seen = Mutex::new(Seen { started_ms: epoch_ms(), ..Seen::default() });
    let stop = AtomicBool::new(false);
    let started = Instant::now();
    let (out, ended) = std::thread::scope(|scope| {
        scope.spawn(|| {
            while !stop.load(Ordering::Relaxed) {
                let now = emu.nlb_served(listener);
                let reads = emu.request_count("DescribeTargetHealth");
                let (configured, served) =
                    (green_weight(&now["configured"], &s.green_tg), green_weight(&now["served"], &s.green_tg));
                seen.lock().unwrap().samples.push((started.elapsed(), configured, served, reads));
                std::thread::sleep(Duration::from_millis(50));
            }
        });
        let out = apply();
        let ended = started.elapsed();
        std::thread::sleep(Duration::from_millis(200));
        stop.store(true, Ordering::Relaxed);
        (out, ended)
    });
    (out, seen.into_inner().unwrap(), ended)
}

fn adopt(emu: &Emulator, s: &Scaffold) -> Workdir {
    let wd = Workdir::new(&emu.endpoint());
    write_release_on(&wd, emu, s, "listener_arn", "  # adopts what is live\n");
    wd.apply();
    assert_eq!(state_color(&wd), "blue", "adopted blue 100 / green 0 from the NLB listener");
    assert_eq!(wd.plan_exit_code().code, 0, "an adopted NLB release plans clean");
    wd
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_bake_watches_the_new_weights_once_the_nlb_serves_them_for_all_of_bake_time() {
    let emu = Emulator::start();
    let s = nlb(&emu);
    let wd = adopt(&emu, &s);
    let promotion = "  active_color = \"green\"\n  promotion {\n    bake_time             = \"2s\"\n    nlb_propagation_delay = \"3s\"\n    wait_timeout          = \"30s\"\n  }\n";
    write_release_on(&wd, &emu, &s, "listener_arn", promotion);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "{}", plan.all());
    let text = one_line(&plan.all());
    assert!(text.contains("The promotion waits for the NLB to apply the new weights"), "{text}");
    assert!(text.contains("waits 3s for the NLB to apply the new weights (ECS waits the same)"), "{text}");

    let (out, seen, ended) = while_reading(&emu, &s, &s.listener_arn, || wd.apply());
    assert!(one_line(&out.all()).contains("Apply complete"), "{}", out.all());
    let configured = seen.first(1, 100).expect("the reader saw the write");
    // The bake's 2s ran on what clients got: the apply ended at least bake_time after the
    // NLB served green. (Ignoring the delay, the apply ends about 2s after the write,
    // before the emulated NLB, 2.5s behind, even serves green.)
    let served = seen.first(2, 100);
    assert!(
        served.is_some_and(|served| ended >= served + Duration::from_millis(1900)),
        "the write landed at {configured:?}, the apply ended at {ended:?}, the NLB served green at {served:?} (None: not before the apply ended)"
    );
    let served = served.unwrap_or_default();
    assert!(served >= configured + Duration::from_secs(2), "the NLB lags the write: {configured:?} -> {served:?}");
    // The checks kept running while the NLB caught up.
    let during = seen.health_reads_between(configured, configured + Duration::from_millis(2500));
    assert!(during > 0, "DescribeTargetHealth was read during the wait: {during}");

    assert_eq!(state_color(&wd), "green");
    assert_eq!(release_state(&wd)["standby_traffic_percent"], 0);
    assert_eq!(wd.plan_exit_code().code, 0, "plan -detailed-exitcode is clean after the promotion");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failure_while_the_nlb_applies_the_weights_rolls_back() {
    let emu = Emulator::start();
    let s = nlb(&emu);
    let wd = adopt(&emu, &s);
    let promotion = "  active_color = \"green\"\n  promotion {\n    bake_time             = \"1s\"\n    nlb_propagation_delay = \"6s\"\n    wait_timeout          = \"30s\"\n  }\n";
    write_release_on(&wd, &emu, &s, "listener_arn", promotion);
    let child = wd.applying();
    // Green's targets fail as soon as the write landed: within the 6s wait.
    let deadline = Instant::now() + Duration::from_secs(60);
    while green_weight(&emu.nlb_served(&s.listener_arn)["configured"], &s.green_tg) != 100 {
        assert!(Instant::now() < deadline, "the promotion never wrote");
        std::thread::sleep(Duration::from_millis(20));
    }
    emu.fail_targets(&s.green_tg, "Target.FailedHealthChecks");
    let out = Output::finish(child);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
    assert!(err.contains("while the NLB applied the new weights (promotion.nlb_propagation_delay, 6s)"), "{err}");
    assert_eq!(green_weight(&emu.nlb_served(&s.listener_arn)["configured"], &s.green_tg), 0, "rolled back to blue");
    assert_eq!(state_color(&wd), "blue", "state = live");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn each_step_waits_for_its_weights_before_the_next_even_with_no_step_bake() {
    let emu = Emulator::start();
    let s = nlb(&emu);
    let wd = adopt(&emu, &s);
    let promotion = format!(
        "  active_color = \"green\"\n  promotion {{\n    nlb_propagation_delay = \"2s\"\n    wait_timeout          = \"30s\"\n{}  }}\n",
        linear_strategy(50, "0s")
    );
    write_release_on(&wd, &emu, &s, "listener_arn", &promotion);
    let (_, seen, _) = while_reading(&emu, &s, &s.listener_arn, || wd.apply());
    let steps = seen.configured_steps();
    let weights: Vec<i64> = steps.iter().map(|s| s.1).collect();
    assert_eq!(weights, [0, 50, 100], "two steps: {steps:?}");
    let gap = steps[2].0 - steps[1].0;
    assert!(gap >= Duration::from_millis(1900), "the second step waited for the first's weights: {gap:?}");
    assert_eq!(state_color(&wd), "green");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_nlb_listener_as_a_rule_pointer_is_a_plan_time_error_naming_the_attribute() {
    let emu = Emulator::start();
    let s = nlb(&emu);
    let wd = Workdir::new(&emu.endpoint());
    let hcl = s.release_hcl("listener_arn", "").replace("listener_arn =", "listener_rule_arn =");
    wd.write("main.tf", &format!("{}{hcl}", provider_block(&emu.endpoint())));
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = one_line(&plan.stderr);
    assert!(err.contains("A Network Load Balancer has no listener rules"), "{err}");
    assert!(err.contains("listener_rule_arn") && err.contains("Set `listener_arn` to the NLB listener's ARN"), "{err}");
    assert_eq!(emu.request_count("ModifyListener"), 0, "nothing was written");
}

/// ECS waits in TEST_TRAFFIC_SHIFT too: a POST_TEST_TRAFFIC_SHIFT hook tests through the
/// test listener, so when the apply had to move an NLB test listener to the standby, the
/// hook runs only once the NLB serves the standby there.
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn post_test_traffic_shift_hooks_run_once_the_nlb_test_listener_serves_the_standby() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "tcp", &["--nlb", "--colors", "tag", "--test-listener"]);
    emu.set_nlb_propagation_delay(NLB_LAG);
    let test = s.raw["test_listener_arn"].as_str().expect("a test listener").to_string();
    // Someone pointed the test listener at the active color.
    acceptance_tests::scaffold::run(&emu, "flip", &["--listener-arn", &test, "--to", &s.blue_tg]);
    emu.lambda_function("smoke", serde_json::json!([{"hookStatus": "SUCCEEDED"}]));
    let wd = Workdir::new(&emu.endpoint());
    let body = format!(
        "  active_color      = \"green\"\n  test_listener_arn = \"{test}\"\n  promotion {{\n    wait_timeout          = \"30s\"\n    nlb_propagation_delay = \"3s\"\n    hook {{\n      stage               = \"POST_TEST_TRAFFIC_SHIFT\"\n      lambda_function_arn = \"arn:aws:lambda:us-east-1:123456789012:function:smoke\"\n    }}\n  }}\n"
    );
    write_release_on(&wd, &emu, &s, "listener_arn", &body);
    let (out, seen, _) = while_reading(&emu, &s, &test, || wd.apply());
    assert!(one_line(&out.all()).contains("Apply complete"), "{}", out.all());
    let calls = emu.lambda_invocations("smoke");
    assert_eq!(calls.len(), 1, "{calls:?}");
    let hooked_ms = (calls[0]["at"].as_f64().unwrap() * 1000.0) as u128;
    let served = seen.first(2, 100).map(|t| seen.started_ms + t.as_millis());
    assert!(
        served.is_some_and(|served| hooked_ms + 60 >= served),
        "the hook ran at {hooked_ms} ms; the NLB test listener served green at {served:?} ms"
    );
    assert_eq!(state_color(&wd), "green");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_nlb_release_imported_by_service_generates_configuration_that_plans_clean() {
    let emu = Emulator::start();
    let s = nlb(&emu);
    let wd = Workdir::new(&emu.endpoint());
    let import = format!("\nimport {{\n  to = bluegreen_ecs_release.app\n  id = \"{}/tcp-blue\"\n}}\n", s.cluster);
    wd.write("main.tf", &format!("{}{import}", provider_block(&emu.endpoint())));
    emu.reset_requests();
    let out = wd.run(&["plan", "-input=false", "-no-color", "-generate-config-out=generated.tf"]);
    assert_eq!(out.code, 0, "{}", out.all());
    // An NLB listener has no rules: its default action comes with DescribeListeners.
    assert_eq!(emu.request_count("DescribeRules"), 0, "{}", emu.requests());
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert!(one_line(&generated).contains(&format!("listener_arn = \"{}\"", s.listener_arn)), "{generated}");
    wd.apply();
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "generated config must plan clean:\n{}\n{generated}", plan.all());
}
