//! Progressive delivery with real Terraform: `linear` and `canary` promotions move
//! traffic in guarded steps, each held and checked; a failure at a step returns traffic
//! to where the apply found it, a second writer is never overwritten or rolled back
//! over, and Ctrl-C mid-way rolls back. A second reader samples the rule throughout.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::sampler::Sampler;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Output, Workdir};
use acceptance_tests::{apply_adopting_release_with_action, forward_weights_sorted, linear_strategy, write_release};
use std::time::{Duration, Instant};

fn promotion(active: &str, strategy: &str, extra: &str) -> String {
    format!("  active_color = \"{active}\"\n  promotion {{\n    wait_timeout = \"30s\"\n{strategy}{extra}  }}")
}

/// Blue live and applied.
fn blue(alarm: bool) -> (Emulator, Scaffold, Workdir) {
    let emu = Emulator::start();
    let s =
        if alarm { Scaffold::create(&emu, "app", &["--alarm", "app-5xx"]) } else { Scaffold::create(&emu, "app", &[]) };
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "  active_color = \"blue\"");
    wd.apply();
    (emu, s, wd)
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn linear_with_25_percent_steps_is_seen_at_each_step_in_order_and_each_step_bakes() {
    let (emu, s, wd) = blue(false);
    write_release(&wd, &emu, &s, &promotion("green", &linear_strategy(25, "2s"), ""));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    let said = plan.all().replace('\n', " ");
    assert!(said.contains("The promotion moves traffic in 4 steps"), "the plan says the steps: {said}");
    assert!(said.contains("25 %, 50 %, 75 %, 100 %") && said.contains("at least 6s"), "{said}");
    let sampler = Sampler::start(&emu, &s);
    let started = Instant::now();
    wd.apply();
    let took = started.elapsed();
    let seen = sampler.stop();
    assert_eq!(seen, [0, 25, 50, 75, 100], "green's share as a second reader saw it");
    assert!(took >= Duration::from_secs(6), "three steps held 2 s each: {took:?}");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn canary_with_10_percent_is_seen_at_10_then_at_100_with_nothing_between() {
    let (emu, s, wd) = blue(false);
    let canary = "    strategy = \"canary\"\n    canary {\n      percent   = 10\n      bake_time = \"2s\"\n    }\n";
    write_release(&wd, &emu, &s, &promotion("green", canary, ""));
    let sampler = Sampler::start(&emu, &s);
    wd.apply();
    assert_eq!(sampler.stop(), [0, 10, 100]);
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_alarm_during_step_2_returns_traffic_to_the_start_and_names_the_alarm_and_the_step() {
    let (emu, s, wd) = blue(true);
    let linear = linear_strategy(25, "4s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, "    alarm_names = [\"app-5xx\"]\n"));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(50, Duration::from_secs(60));
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "ALARM"]);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
    assert!(err.contains("step 2 of 4, green 50 %") && err.contains("app-5xx"), "names the step and the alarm: {err}");
    assert_eq!(seen, [0, 25, 50, 0], "back to where the apply found it, at once");
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "OK"]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live: the change is still to do");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_second_writers_split_during_step_3_is_neither_overwritten_nor_rolled_back_over() {
    let (emu, s, wd) = blue(false);
    let linear = linear_strategy(25, "3s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(75, Duration::from_secs(60));
    // An operator takes over: 60 / 40.
    let weights = format!("{}=60,{}=40", s.blue_tg, s.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &weights]);
    let out = Output::finish(apply);
    std::thread::sleep(Duration::from_millis(300));
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(out.stderr.contains("The pointer changed during the apply"), "{}", out.all());
    assert_eq!(seen, [0, 25, 50, 75, 40], "the operator's split stands");
    let w = forward_weights_sorted(&scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"]);
    assert_eq!(w, [(s.blue_tg.clone(), 60), (s.green_tg.clone(), 40)]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ctrl_c_mid_way_rolls_back_to_the_start() {
    let (emu, s, wd) = blue(false);
    let linear = linear_strategy(25, "30s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(25, Duration::from_secs(60));
    let ok = std::process::Command::new("kill").args(["-INT", &apply.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -INT terraform");
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_ne!(out.code, 0, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("traffic rolled back") && err.contains("interrupted"), "{err}");
    assert!(err.contains("step 1 of 4, green 25 %"), "{err}");
    assert_eq!(seen, [0, 25, 0]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue)");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_promote_action_with_linear_prints_a_line_per_step() {
    let (emu, s, wd) = blue(false);
    let promotion = format!("    promotion {{\n{}    }}", linear_strategy(50, "1s"));
    apply_adopting_release_with_action(&wd, &emu, &s, "bluegreen_ecs_promote", &promotion);
    let sampler = Sampler::start(&emu, &s);
    let out =
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_promote.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let lines: Vec<&str> =
        out.stdout.lines().filter(|l| l.starts_with("Action action.bluegreen_ecs_promote.app (")).collect();
    let step = |n: &str| lines.iter().any(|l| l.contains(n) && l.contains("traffic moved"));
    assert!(step("step 1 of 2, green 50 %") && step("step 2 of 2, green 100 %"), "{lines:#?}");
    assert_eq!(sampler.stop(), [0, 50, 100]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failed_write_at_step_2_returns_traffic_to_the_start() {
    let (emu, s, wd) = blue(false);
    let linear = linear_strategy(25, "3s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(25, Duration::from_secs(60));
    // Step 2's write is denied (not retried); the rollback's write goes through.
    emu.inject_fault(serde_json::json!({"action": "ModifyRule", "count": 1, "kind": "error",
        "status": 400, "code": "AccessDenied", "message": "not now"}));
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Bake failed; traffic rolled back") || err.contains("traffic rolled back"), "{err}");
    assert!(err.contains("step 2 of 4, green 50 %") && err.contains("AccessDenied"), "{err}");
    assert_eq!(seen, [0, 25, 0]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue)");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failed_ecs_rollout_of_the_gaining_color_during_a_step_rolls_back() {
    let (emu, s, wd) = blue(false);
    let linear = linear_strategy(25, "4s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(25, Duration::from_secs(60));
    // Green's service fails a rollout while green holds 25 %.
    emu.fail_rollout(&s.cluster, "app-green", "ECS deployment circuit breaker: tasks failed to start.");
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
    assert!(err.contains("step 1 of 4, green 25 %"), "names the step: {err}");
    assert!(err.contains("ECS service app-green") && err.contains("circuit breaker"), "names the service: {err}");
    assert_eq!(seen, [0, 25, 0]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue)");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ctrl_c_with_a_throttled_rollback_write_still_returns_traffic_to_the_start() {
    let (emu, s, wd) = blue(false);
    let linear = linear_strategy(25, "30s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(25, Duration::from_secs(60));
    // ELB throttles the next ModifyRule, the rollback's first write (routine under
    // parallel applies), and the user presses Ctrl-C during step 1's bake.
    emu.inject_fault(serde_json::json!({"action": "ModifyRule", "count": 1, "kind": "throttle"}));
    let ok = std::process::Command::new("kill").args(["-INT", &apply.id().to_string()]).status().unwrap().success();
    assert!(ok, "kill -INT terraform");
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_ne!(out.code, 0, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("traffic rolled back") && err.contains("interrupted"), "{err}");
    assert_eq!(seen, [0, 25, 0], "the throttled rollback was retried through the interrupt");
    let w = forward_weights_sorted(&scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"]);
    assert_eq!(w, [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue)");
}

/// Sets a service's desired count as a scale action does (UpdateService with only
/// desiredCount: no new deployment); returns the count it had.
fn scale(emu: &Emulator, cluster: &str, service: &str, by: i32) -> i32 {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&emu.sdk_config().await);
        let out = ecs.describe_services().cluster(cluster).services(service).send().await.unwrap();
        let before = out.services()[0].desired_count();
        ecs.update_service().cluster(cluster).service(service).desired_count(before + by).send().await.unwrap();
        before
    })
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_gaining_color_scaling_out_during_a_step_bake_is_not_a_failure() {
    // 3 real seconds per task start: the scale-out is still starting tasks when the
    // step's bake polls.
    let emu = Emulator::start_with_env(&[("BLUEGREEN_EMULATOR_TIME_SCALE", "0.1")]);
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "  active_color = \"blue\"");
    wd.apply();
    let linear = linear_strategy(50, "10s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    sampler.wait_for(50, Duration::from_secs(120));
    // Target tracking on ALBRequestCountPerTarget reacts to the step's traffic.
    let before = scale(&emu, &s.cluster, "app-green", 2);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 0, "a scale-out in progress does not roll the step back: {}", out.all());
    assert_eq!(seen, [0, 50, 100]);
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let desired = rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&emu.sdk_config().await);
        let out = ecs.describe_services().cluster(&s.cluster).services("app-green").send().await.unwrap();
        out.services()[0].desired_count()
    });
    assert_eq!(desired, before + 2);
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_stepped_promotion_that_cannot_fit_its_timeout_is_a_plan_error_naming_the_attributes() {
    let (emu, s, wd) = blue(false);
    // Linear 10 % with 5m step bakes: nine bakes, 45m, against a 10m update timeout.
    let slow =
        "    strategy = \"linear\"\n    linear {\n      step_percent   = 10\n      step_bake_time = \"5m\"\n    }\n";
    let body = |color: &str| format!("{}\n  timeouts {{\n    update = \"10m\"\n  }}", promotion(color, slow, ""));
    // While it moves nothing, a warning (exit codes unchanged) says the next promotion
    // cannot complete.
    write_release(&wd, &emu, &s, &body("blue"));
    wd.apply();
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let said = plan.all().replace('\n', " ");
    assert!(said.contains("The next promotion cannot fit in the update timeout"), "{said}");
    assert!(said.contains("step_bake_time = \"5m\""), "at the step bake: {said}");
    // Adopting (no active_color), the release never starts a promotion: no warning.
    write_release(&wd, &emu, &s, &body("blue").replace("  active_color = \"blue\"\n", ""));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(!plan.all().contains("cannot fit"), "{}", plan.all());

    write_release(&wd, &emu, &s, &body("green"));
    let sampler = Sampler::start(&emu, &s);
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = plan.stderr.replace('\n', " ");
    assert!(err.contains("The promotion cannot fit in the update timeout"), "{err}");
    assert!(err.contains("step_bake_time = \"5m\""), "points at the step bake: {err}");
    for named in
        ["promotion.linear.step_bake_time (5m)", "promotion.bake_time (0s)", "timeouts.update is 10m", "at least 45m"]
    {
        assert!(err.contains(named), "names {named:?}: {err}");
    }
    assert!(err.contains("Raise timeouts.update above 45m"), "says the fix: {err}");
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "the apply refuses too: {}", out.all());
    assert_eq!(sampler.stop(), [0], "nothing moved");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn stickiness_on_the_pointer_draws_a_plan_warning_when_steps_or_a_bake_meet_it() {
    let emu = Emulator::start();
    // The rule forwards with target-group stickiness on for an hour.
    let s = Scaffold::create(&emu, "app", &["--stickiness"]);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, "  active_color = \"blue\"");
    wd.apply();
    let linear = linear_strategy(25, "1s");
    write_release(&wd, &emu, &s, &promotion("green", &linear, ""));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "a warning, the exit code of any change: {}", plan.all());
    let said = plan.all().replace('\n', " ");
    assert!(said.contains("Stickiness holds returning clients on their color"), "{said}");
    assert!(said.contains("stickiness on for 1h (3600s)") && said.contains("25 %, 50 %, 75 %, 100 %"), "{said}");
    assert!(said.contains("keep reaching it for up to 1h"), "says what a rollback means: {said}");
    // A plain switch with no bake: nothing for stickiness to blur.
    write_release(&wd, &emu, &s, &promotion("green", "", ""));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(!plan.all().contains("Stickiness holds"), "{}", plan.all());
    // A bake alone meets it too.
    write_release(&wd, &emu, &s, &promotion("green", "", "    bake_time = \"1s\"\n"));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(plan.all().contains("Stickiness holds returning clients on their color"), "{}", plan.all());

    // The promote action's plan warns too; the invoke goes ahead.
    let promotion = format!("    promotion {{\n{}    }}", linear_strategy(50, "1s"));
    apply_adopting_release_with_action(&wd, &emu, &s, "bluegreen_ecs_promote", &promotion);
    let out =
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_promote.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let said = out.all().replace('\n', " ");
    assert!(
        said.contains("Stickiness holds returning clients on their color") && said.contains("50 %, 100 %"),
        "{said}"
    );
}
