//! Lambda lifecycle hooks with real Terraform: the emulator's Lambda (tools/emulator/
//! aws_lambda_invoke.py) answers from a script and records each payload, and a second
//! reader samples the production rule throughout. A hook that fails before the first
//! write moves nothing; IN_PROGRESS is asked again after its callBackDelay; every step
//! tells PRODUCTION_TRAFFIC_SHIFT its weights; a failure at step 3 rolls back.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::sampler::Sampler;
use acceptance_tests::scaffold::Scaffold;
use acceptance_tests::terraform::{Output, Workdir};
use acceptance_tests::{
    apply_adopting_release_with_action, forward_weights_sorted, linear_strategy, write_release,
    write_release_and_actions,
};
use serde_json::{Value, json};

const ACCOUNT: &str = "123456789012";

fn function_arn(name: &str) -> String {
    format!("arn:aws:lambda:us-east-1:{ACCOUNT}:function:{name}")
}

fn hook(stage: &str, name: &str, timeout: &str) -> String {
    format!(
        "    hook {{\n      stage               = \"{stage}\"\n      lambda_function_arn = \"{}\"\n      timeout             = \"{timeout}\"\n    }}\n",
        function_arn(name)
    )
}

/// `active_color = green` with a promotion gate made of `promotion` lines.
fn to_green(s: &Scaffold, promotion: &str) -> String {
    let test = s.test_rule_arn.as_deref().map(|r| format!("  test_listener_rule_arn = \"{r}\"\n")).unwrap_or_default();
    format!("  active_color = \"green\"\n{test}  promotion {{\n    wait_timeout = \"30s\"\n{promotion}  }}")
}

/// Blue live and applied, with a test listener rule forwarding to green.
fn blue() -> (Emulator, Scaffold, Workdir) {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--test-listener"]);
    let wd = Workdir::new(&emu.endpoint());
    let test = format!("  test_listener_rule_arn = \"{}\"\n", s.test_rule_arn.as_deref().expect("test rule"));
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{test}"));
    wd.apply();
    (emu, s, wd)
}

/// `active_color = green` in linear 25 % steps, with a PRODUCTION_TRAFFIC_SHIFT hook
/// `per-step` answering `per_step` and a POST_PRODUCTION_TRAFFIC_SHIFT hook `after`
/// answering SUCCEEDED.
fn linear_to_green_with_hooks(emu: &Emulator, s: &Scaffold, wd: &Workdir, per_step: Value) {
    emu.lambda_function("per-step", per_step);
    emu.lambda_function("after", json!([{"hookStatus": "SUCCEEDED"}]));
    let hooks = format!(
        "{}{}",
        hook("PRODUCTION_TRAFFIC_SHIFT", "per-step", "30s"),
        hook("POST_PRODUCTION_TRAFFIC_SHIFT", "after", "30s")
    );
    write_release(wd, emu, s, &to_green(s, &format!("{}{hooks}", linear_strategy(25, "1s"))));
}

fn one_line(out: &Output) -> String {
    out.stderr.replace('\n', " ")
}

fn weights(payload: &Value, which: &str) -> Value {
    payload["executionDetails"][which].clone()
}

/// The service's one current service revision, as ECS reports it (DescribeServices).
fn revision(emu: &Emulator, s: &Scaffold, service: &str) -> String {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let ecs = aws_sdk_ecs::Client::new(&emu.sdk_config().await);
        let out = ecs.describe_services().cluster(&s.cluster).services(service).send().await.unwrap();
        let revisions = out.services()[0].current_service_revisions();
        assert_eq!(revisions.len(), 1, "{service} is steady: {revisions:?}");
        revisions[0].arn().unwrap().to_string()
    })
}

/// `(green %, blue %)` of a payload's production weights, keyed (as ECS keys them) by
/// each color's service revision.
fn shares(emu: &Emulator, s: &Scaffold, payload: &Value) -> (i64, i64) {
    let w = weights(payload, "productionTrafficWeights");
    let share = |service: &str| w[&revision(emu, s, service)].as_i64().unwrap_or_else(|| panic!("{service}: {w:#}"));
    (share("app-green"), share("app-blue"))
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_failed_post_test_traffic_shift_hook_moves_no_production_traffic() {
    let (emu, s, wd) = blue();
    emu.lambda_function("smoke", json!([{"hookStatus": "FAILED"}]));
    write_release(&wd, &emu, &s, &to_green(&s, &hook("POST_TEST_TRAFFIC_SHIFT", "smoke", "30s")));
    let sampler = Sampler::start(&emu, &s);
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(sampler.stop(), [0], "green never got production traffic");
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Lifecycle hook failed") && err.contains("Traffic was not moved"), "{err}");
    assert!(err.contains(&function_arn("smoke")) && err.contains("POST_TEST_TRAFFIC_SHIFT"), "{err}");
    assert!(err.contains("hookStatus FAILED"), "{err}");

    // What the hook was told, field by field as ECS sends it.
    let calls = emu.lambda_invocations("smoke");
    assert_eq!(calls.len(), 1, "{calls:#?}");
    let p = &calls[0]["payload"];
    assert_eq!(calls[0]["invocation_type"], "RequestResponse");
    assert_eq!(p["lifecycleStage"], "POST_TEST_TRAFFIC_SHIFT");
    assert_eq!(p["resourceArn"], s.rule());
    let id = p["executionId"].as_str().unwrap_or_default();
    assert!(id.len() == 36 && id.matches('-').count() == 4, "a UUID: {id:?}");
    // The target is green's service revision; at POST_TEST_TRAFFIC_SHIFT ECS sends
    // both weight maps empty.
    assert_eq!(p["executionDetails"]["targetServiceRevisionArn"], revision(&emu, &s, "app-green").as_str());
    assert_eq!(weights(p, "productionTrafficWeights"), json!({}));
    assert_eq!(weights(p, "testTrafficWeights"), json!({}));
    let service = p["executionDetails"]["serviceArn"].as_str().unwrap_or_default();
    assert!(service.starts_with("arn:aws:ecs:") && service.contains("app-green"), "{p:#}");
    let rule = forward_weights_sorted(
        &acceptance_tests::scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"],
    );
    assert_eq!(rule, [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue): the change is still to do");

    // A function that does not exist is an invoke error: a failed check, nothing moves.
    write_release(&wd, &emu, &s, &to_green(&s, &hook("POST_TEST_TRAFFIC_SHIFT", "missing", "30s")));
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("could not be invoked") && err.contains("ResourceNotFoundException"), "{err}");
    assert_eq!(wd.plan_exit_code().code, 2);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn in_progress_twice_then_succeeded_proceeds_after_the_callback_delays() {
    let (emu, s, wd) = blue();
    emu.lambda_function(
        "approval",
        json!([
            {"hookStatus": "IN_PROGRESS", "callBackDelay": 2, "hookDetails": {"ticket": "CHG-1"}},
            {"hookStatus": "IN_PROGRESS", "callBackDelay": 2},
            {"hookStatus": "SUCCEEDED"}
        ]),
    );
    write_release(&wd, &emu, &s, &to_green(&s, &hook("POST_TEST_TRAFFIC_SHIFT", "approval", "1m")));
    let sampler = Sampler::start(&emu, &s);
    wd.apply();
    assert_eq!(sampler.stop(), [0, 100]);
    let calls = emu.lambda_invocations("approval");
    assert_eq!(calls.len(), 3, "asked until SUCCEEDED: {calls:#?}");
    let at: Vec<f64> = calls.iter().map(|c| c["at"].as_f64().unwrap()).collect();
    assert!(at[1] - at[0] >= 2.0 && at[2] - at[1] >= 2.0, "each callBackDelay waited out: {at:?}");
    assert!(calls[0]["payload"].get("hookDetails").is_none());
    assert_eq!(calls[1]["payload"]["hookDetails"], json!({"ticket": "CHG-1"}), "hookDetails passed back");
    assert_eq!(calls[2]["payload"]["hookDetails"], json!({"ticket": "CHG-1"}));
    let ids: Vec<&Value> = calls.iter().map(|c| &c["payload"]["executionId"]).collect();
    assert!(ids.iter().all(|id| *id == ids[0]), "one execution of the hook: {ids:?}");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn production_traffic_shift_receives_each_steps_weights_and_post_production_runs_at_100() {
    let (emu, s, wd) = blue();
    linear_to_green_with_hooks(&emu, &s, &wd, json!([{"hookStatus": "SUCCEEDED"}]));
    let plan = wd.run(&["plan", "-input=false", "-no-color", "-detailed-exitcode"]);
    assert_eq!(plan.code, 2, "{}", plan.all());
    let said = plan.all().replace('\n', " ");
    assert!(
        said.contains("Lifecycle hooks: per-step after every step's write (PRODUCTION_TRAFFIC_SHIFT), after at 100 %"),
        "the plan says which hooks run when: {said}"
    );
    assert!(emu.lambda_invocations("per-step").is_empty(), "planning invokes nothing");
    let sampler = Sampler::start(&emu, &s);
    wd.apply();
    assert_eq!(sampler.stop(), [0, 25, 50, 75, 100]);
    let steps = emu.lambda_invocations("per-step");
    let seen: Vec<(i64, i64)> = steps.iter().map(|c| shares(&emu, &s, &c["payload"])).collect();
    assert_eq!(seen, [(25, 75), (50, 50), (75, 25), (100, 0)], "each step's weights, in order");
    assert!(steps.iter().all(|c| c["payload"]["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"));
    let after = emu.lambda_invocations("after");
    assert_eq!(after.len(), 1);
    assert_eq!(after[0]["payload"]["lifecycleStage"], "POST_PRODUCTION_TRAFFIC_SHIFT");
    assert_eq!(weights(&after[0]["payload"], "productionTrafficWeights"), json!({}), "empty, as ECS sends it");
    assert!(after[0]["at"].as_f64() >= steps[3]["at"].as_f64(), "after the last step");
    let mut ids: Vec<&Value> = steps.iter().chain(&after).map(|c| &c["payload"]["executionId"]).collect();
    ids.dedup();
    assert_eq!(ids.len(), 5, "one execution per run of a hook");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_hook_that_fails_at_step_3_rolls_traffic_back_to_the_start() {
    let (emu, s, wd) = blue();
    // The third run throws after half a second of checking (long enough for the
    // second reader, which samples every 50 ms, to see step 3).
    let per_step = json!([{"hookStatus": "SUCCEEDED"}, {"hookStatus": "SUCCEEDED"}, {"function_error": "Unhandled",
        "errorMessage": "p99 latency 2.3 s over 1 s", "delay_seconds": 0.5}, {"hookStatus": "SUCCEEDED"}]);
    linear_to_green_with_hooks(&emu, &s, &wd, per_step);
    let sampler = Sampler::start(&emu, &s);
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("traffic rolled back"), "{err}");
    assert!(err.contains("step 3 of 4, green 75 %"), "names the step: {err}");
    assert!(err.contains(&function_arn("per-step")) && err.contains("p99 latency 2.3 s over 1 s"), "{err}");
    assert_eq!(seen, [0, 25, 50, 75, 0], "back to where the apply found it");
    // As ECS does after a rollback, the hook is told the reversed weights once more.
    let calls = emu.lambda_invocations("per-step");
    let seen: Vec<(i64, i64)> = calls.iter().map(|c| shares(&emu, &s, &c["payload"])).collect();
    assert_eq!(seen, [(25, 75), (50, 50), (75, 25), (0, 100)], "three steps, then the rollback");
    assert!(!err.contains("Telling the hooks of the rollback failed"), "{err}");
    assert!(emu.lambda_invocations("after").is_empty(), "the promotion never reached 100 %");
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue)");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_rollback_action_takes_the_strategy_and_the_hooks() {
    let (emu, s, wd) = blue();
    // Green live first (all at once), then roll back to blue in two steps.
    write_release(&wd, &emu, &s, &to_green(&s, ""));
    wd.apply();
    emu.lambda_function("per-step", json!([{"hookStatus": "SUCCEEDED"}]));
    let gate = format!(
        "    promotion {{\n{}{}    }}",
        linear_strategy(50, "1s"),
        hook("PRODUCTION_TRAFFIC_SHIFT", "per-step", "30s")
    );
    apply_adopting_release_with_action(&wd, &emu, &s, "bluegreen_ecs_rollback", &gate);
    let sampler = Sampler::start(&emu, &s);
    let out =
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_rollback.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(sampler.stop(), [100, 50, 0], "green's share, stepping back");
    let lines: Vec<&str> =
        out.stdout.lines().filter(|l| l.starts_with("Action action.bluegreen_ecs_rollback.app (")).collect();
    let said = |what: &str| lines.iter().any(|l| l.contains(what));
    assert!(said("step 1 of 2, blue 50 %") && said("step 2 of 2, blue 100 %"), "{lines:#?}");
    assert!(said("hook per-step (PRODUCTION_TRAFFIC_SHIFT): SUCCEEDED"), "{lines:#?}");
    let blue_shares: Vec<i64> =
        emu.lambda_invocations("per-step").iter().map(|c| shares(&emu, &s, &c["payload"]).1).collect();
    assert_eq!(blue_shares, [50, 100]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn targets_that_fail_while_a_post_test_hook_runs_stop_the_promotion_before_any_write() {
    let (emu, s, wd) = blue();
    emu.lambda_function(
        "slow-smoke",
        json!([{"hookStatus": "IN_PROGRESS", "callBackDelay": 2}, {"hookStatus": "IN_PROGRESS", "callBackDelay": 2},
            {"hookStatus": "SUCCEEDED"}]),
    );
    let gate = format!("    wait_timeout = \"3s\"\n{}", hook("POST_TEST_TRAFFIC_SHIFT", "slow-smoke", "1m"));
    write_release(&wd, &emu, &s, &to_green(&s, &gate).replace("    wait_timeout = \"30s\"\n", ""));
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while emu.lambda_invocations("slow-smoke").is_empty() {
        assert!(std::time::Instant::now() < deadline, "the hook was never invoked");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // The gate passed before the hook; green's targets fail while it runs.
    emu.fail_targets(&s.green_tg, "Target.Timeout");
    let out = Output::finish(apply);
    assert_eq!(sampler.stop(), [0], "no production traffic moved");
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Promotion gate refused the switch"), "{err}");
    assert!(err.contains(&s.green_tg) && err.contains("unhealthy"), "names green's unhealthy targets: {err}");
    assert_eq!(emu.lambda_invocations("slow-smoke").len(), 3, "the hook answered SUCCEEDED first");
    assert_eq!(wd.plan_exit_code().code, 2);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_second_writer_while_a_step_hook_is_in_progress_is_not_rolled_back_over() {
    let (emu, s, wd) = blue();
    // Step 1's hook succeeds; step 2's keeps answering IN_PROGRESS, then FAILED.
    let per_step = json!([{"hookStatus": "SUCCEEDED"}, {"hookStatus": "IN_PROGRESS", "callBackDelay": 2},
        {"hookStatus": "IN_PROGRESS", "callBackDelay": 2}, {"hookStatus": "FAILED"}]);
    linear_to_green_with_hooks(&emu, &s, &wd, per_step);
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.applying();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(60);
    while emu.lambda_invocations("per-step").len() < 2 {
        assert!(std::time::Instant::now() < deadline, "step 2's hook was never invoked");
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    // An operator takes over while the hook is still checking step 2: 60 / 40.
    let weights = format!("{}=60,{}=40", s.blue_tg, s.green_tg);
    acceptance_tests::scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &weights]);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("not rolled back: someone else changed the pointer"), "{err}");
    assert!(err.contains("step 2 of 4, green 50 %") && err.contains("hookStatus FAILED"), "{err}");
    assert_eq!(seen, [0, 25, 50, 40], "the operator's split stands");
    let rule = forward_weights_sorted(
        &acceptance_tests::scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"],
    );
    assert_eq!(rule, [(s.blue_tg.clone(), 60), (s.green_tg.clone(), 40)]);
    assert_eq!(emu.lambda_invocations("per-step").len(), 4, "no rollback was written, so none is told");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_slow_post_test_hook_that_leaves_no_time_to_bake_moves_nothing() {
    let (emu, s, wd) = blue();
    // The hook takes 12 s (IN_PROGRESS, then SUCCEEDED); the 10 s bake fitted the 20 s
    // update timeout before it, and no longer does after it.
    emu.lambda_function(
        "slow",
        json!([{"hookStatus": "IN_PROGRESS", "callBackDelay": 12}, {"hookStatus": "SUCCEEDED"}]),
    );
    let gate = format!("    bake_time = \"10s\"\n{}", hook("POST_TEST_TRAFFIC_SHIFT", "slow", "60s"));
    write_release(&wd, &emu, &s, &format!("{}\n  timeouts {{\n    update = \"20s\"\n  }}", to_green(&s, &gate)));
    let sampler = Sampler::start(&emu, &s);
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(sampler.stop(), [0], "production never moved (no flip that the deadline rolls back)");
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("No time left to bake") && err.contains("promotion.bake_time (10s)"), "{err}");
    assert_eq!(emu.lambda_invocations("slow").len(), 2, "the hook ran to its answer first");
    let live = forward_weights_sorted(
        &acceptance_tests::scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"],
    );
    assert_eq!(live, [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)]);
    assert_eq!(wd.plan_exit_code().code, 2, "state matches live (blue); the promotion is still to do");
}

/// Green live, and a rollback action to blue in two 50 % steps (with `hooks`).
fn green_with_a_stepped_rollback(emu: &Emulator, s: &Scaffold, wd: &Workdir, bake: &str, hooks: &str) {
    write_release(wd, emu, s, &to_green(s, ""));
    wd.apply();
    let gate = format!("    promotion {{\n      wait_timeout = \"2s\"\n{}{hooks}    }}", linear_strategy(50, bake));
    apply_adopting_release_with_action(wd, emu, s, "bluegreen_ecs_rollback", &gate);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_hook_that_fails_during_a_stepped_rollback_is_reported_and_the_rollback_goes_on() {
    let (emu, s, wd) = blue();
    emu.lambda_function("per-step", json!([{"hookStatus": "FAILED"}]));
    green_with_a_stepped_rollback(&emu, &s, &wd, "1s", &hook("PRODUCTION_TRAFFIC_SHIFT", "per-step", "30s"));
    let sampler = Sampler::start(&emu, &s);
    let out =
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_rollback.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(sampler.stop(), [100, 50, 0], "green's share: the rollback went all the way");
    assert_eq!(out.code, 0, "{}", out.all());
    let all = out.all().replace('\n', " ");
    assert!(all.contains("Lifecycle hook failed during the rollback") && all.contains("step 1 of 2"), "{all}");
    assert_eq!(emu.lambda_invocations("per-step").len(), 2, "told at each step");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_stepped_rollback_whose_target_loses_its_health_stops_where_it_is() {
    let (emu, s, wd) = blue();
    green_with_a_stepped_rollback(&emu, &s, &wd, "4s", "");
    let sampler = Sampler::start(&emu, &s);
    let apply = wd.invoking("action.bluegreen_ecs_rollback.app");
    sampler.wait_for(50, std::time::Duration::from_secs(60));
    // Blue, taking the traffic back, loses its targets during step 1's bake.
    acceptance_tests::scaffold::run(&emu, "targets", &["--tg", &s.blue_tg, "--deregister-all"]);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Rollback stopped") && err.contains("step 1 of 2, blue 50 %"), "{err}");
    assert!(err.contains("never hands traffic back") && err.contains("Invoke the rollback again"), "{err}");
    assert_eq!(seen, [100, 50], "stopped at 50 %: neither back to green nor on to blue");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_hook_in_another_region_is_refused_at_plan_at_its_attribute_by_the_resource_and_the_action() {
    let (emu, s, wd) = blue();
    // The function exists in the emulator under that name: only its region is wrong.
    emu.lambda_function("smoke", json!([{"hookStatus": "SUCCEEDED"}]));
    let far = function_arn("smoke").replace(":us-east-1:", ":eu-west-1:");
    let far_hook = format!(
        "    hook {{\n      stage               = \"POST_TEST_TRAFFIC_SHIFT\"\n      lambda_function_arn = \"{far}\"\n    }}\n"
    );
    write_release(&wd, &emu, &s, &to_green(&s, &far_hook));
    let out = wd.run(&["plan", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Lifecycle hook in another region"), "{err}");
    assert!(err.contains(&format!("lambda_function_arn = \"{far}\"")), "points at the attribute: {err}");
    assert!(err.contains("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"), "{err}");
    assert!(err.contains("Deploy the hook function in us-east-1"), "says the fix: {err}");

    // The promote action's plan refuses it too, before anything is invoked or written.
    let action = s.action_hcl("bluegreen_ecs_promote", &format!("    promotion {{\n{far_hook}    }}"));
    write_release_and_actions(&wd, &emu, &s, "  # adopts\n", &[action]);
    let out =
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_promote.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Lifecycle hook in another region") && err.contains("eu-west-1"), "{err}");
    assert!(emu.lambda_invocations("smoke").is_empty(), "nothing was invoked");
    let rule = forward_weights_sorted(
        &acceptance_tests::scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"],
    );
    assert_eq!(rule, [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)], "nothing moved");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn static_hook_details_reach_every_invocation_with_the_returned_ones_laid_over_them() {
    let (emu, s, wd) = blue();
    emu.lambda_function(
        "approval",
        json!([
            {"hookStatus": "IN_PROGRESS", "callBackDelay": 1, "hookDetails": {"ticket": "CHG-1"}},
            {"hookStatus": "SUCCEEDED"}
        ]),
    );
    // As AWS's own example: the bucket the hook reads its approvals from.
    let hook = format!(
        "    hook {{\n      stage               = \"POST_TEST_TRAFFIC_SHIFT\"\n      lambda_function_arn = \"{}\"\n      hook_details        = jsonencode({{ S3_BUCKET_NAME = \"my-approval-bucket\" }})\n    }}\n",
        function_arn("approval")
    );
    write_release(&wd, &emu, &s, &to_green(&s, &hook));
    wd.apply();
    let calls = emu.lambda_invocations("approval");
    assert_eq!(calls.len(), 2, "{calls:#?}");
    assert_eq!(calls[0]["payload"]["hookDetails"], json!({"S3_BUCKET_NAME": "my-approval-bucket"}));
    assert_eq!(
        calls[1]["payload"]["hookDetails"],
        json!({"S3_BUCKET_NAME": "my-approval-bucket", "ticket": "CHG-1"}),
        "the configured details stay; what the function returned is passed back too"
    );
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn hooks_are_told_of_a_rollback_that_the_update_timeout_caused() {
    let (emu, s, wd) = blue();
    // Step 1's hook takes about 6 s (IN_PROGRESS twice), so step 1's 4 s bake runs into
    // the 10 s update timeout: the deadline rolls the promotion back, and is past by
    // the time the hooks are told.
    emu.lambda_function(
        "per-step",
        json!([{"hookStatus": "IN_PROGRESS", "callBackDelay": 3}, {"hookStatus": "IN_PROGRESS", "callBackDelay": 3},
            {"hookStatus": "SUCCEEDED"}]),
    );
    let linear =
        "    strategy = \"linear\"\n    linear {\n      step_percent   = 50\n      step_bake_time = \"4s\"\n    }\n";
    let body = format!(
        "{}\n  timeouts {{\n    update = \"10s\"\n  }}",
        to_green(&s, &format!("{linear}{}", hook("PRODUCTION_TRAFFIC_SHIFT", "per-step", "1m")))
    );
    write_release(&wd, &emu, &s, &body);
    let sampler = Sampler::start(&emu, &s);
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert_eq!(sampler.stop(), [0, 50, 0], "rolled back at step 1");
    let err = one_line(&out);
    assert!(err.contains("traffic rolled back") && err.contains("timeout"), "the deadline caused it: {err}");
    assert!(!err.contains("Telling the hooks of the rollback failed") && !err.contains("not told"), "{err}");
    let calls = emu.lambda_invocations("per-step");
    let last = calls.last().expect("invocations");
    assert_eq!(shares(&emu, &s, &last["payload"]), (0, 100), "told of the rollback after the deadline: {calls:#?}");
    assert_eq!(calls.len(), 4, "three for step 1, one for the rollback");
}
