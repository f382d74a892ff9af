//! bluegreen_ecs_release with real Terraform against the emulator: create, deploys that
//! are not drift, promotion, canary, adopt vs enforce, listener default action, destroy.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::Output;
use acceptance_tests::terraform::{Workdir, provider_block};
use acceptance_tests::{
    describe_rule, forward_weights_sorted, no_provider_bug, state_color, wait_until, write_release_on,
};
use std::time::Duration;

fn workdir(emu: &Emulator, s: &Scaffold, pointer_attr: &str, body: &str) -> Workdir {
    let wd = Workdir::new(&emu.endpoint());
    write_release_on(&wd, emu, s, pointer_attr, body);
    wd
}

fn listener_actions(emu: &Emulator, arn: &str) -> serde_json::Value {
    scaffold::run(emu, "describe", &["--listener-arn", arn])["default_actions"].clone()
}

/// The target groups that receive traffic (weight > 0).
fn serving(weights: Vec<(String, i64)>) -> Vec<String> {
    weights.into_iter().filter(|(_, w)| *w > 0).map(|(tg, _)| tg).collect()
}

/// The release's planned change and drift entries in `terraform show -json`.
fn release_entries(plan: &serde_json::Value) -> (Vec<String>, bool) {
    let addr = "bluegreen_ecs_release.app";
    let actions = plan["resource_changes"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|c| c["address"] == addr)
        .flat_map(|c| c["change"]["actions"].as_array().unwrap().iter().map(|a| a.as_str().unwrap().to_string()))
        .collect();
    let drift = plan["resource_drift"].as_array().into_iter().flatten().any(|c| c["address"] == addr);
    (actions, drift)
}

fn weights(emu: &Emulator, arn: &str) -> Vec<(String, i64)> {
    forward_weights_sorted(&describe_rule(emu, arn)["actions"])
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn create_then_plan_is_empty_and_a_spinnaker_deploy_is_not_drift() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--services", "spinnaker"]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"blue\"");
    let applied = wd.apply();
    assert!(applied.stdout.contains("1 added"), "{}", applied.all());
    assert_eq!(serving(weights(&emu, s.rule())), [s.blue_tg.clone()]);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "plan after apply must be empty:\n{}", plan.all());

    // Spinnaker deploys a new server group to the standby (green) and scales the old
    // green one to zero: new task definition revision, new ECS service.
    let deployed = scaffold::run(
        &emu,
        "deploy",
        &["--name", "app", "--color", "green", "--style", "spinnaker", "--scale-old-to-zero"],
    );
    assert!(deployed["service"].as_str().unwrap().ends_with("-v002"), "{deployed}");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "a deploy must not show as drift:\n{}", plan.all());
    let json = wd.plan_json();
    let (actions, drift) = release_entries(&json);
    assert_eq!(actions, ["no-op"], "{json}");
    assert!(!drift, "the release shows drift after a deploy: {}", json["resource_drift"]);
    // Deploy-owned facts never enter the state.
    let state = wd.ok(&["show", "-json"]).stdout;
    for owned in ["task-definition", "app-prod-v002", "desired"] {
        assert!(!state.contains(owned), "state holds deploy-owned {owned:?}: {state}");
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn promotion_to_green_changes_only_the_forward_action() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--oidc", "--stickiness"]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"blue\"");
    wd.apply();
    let before = describe_rule(&emu, s.rule());

    write_release_on(&wd, &emu, &s, "listener_rule_arn", "  active_color = \"green\"");
    let out = wd.apply();
    assert!(out.stdout.contains("1 changed"), "{}", out.all());
    let after = describe_rule(&emu, s.rule());
    assert_eq!(serving(forward_weights_sorted(&after["actions"])), [s.green_tg.clone()]);
    // Everything but the forward action is as it was.
    let strip_secret = |a: &serde_json::Value| {
        let mut a = a.clone();
        if let Some(o) = a.get_mut("AuthenticateOidcConfig").and_then(|o| o.as_object_mut()) {
            o.remove("ClientSecret");
            o.remove("UseExistingClientSecret");
        }
        a
    };
    assert_eq!(strip_secret(&after["actions"][0]), strip_secret(&before["actions"][0]), "the OIDC action changed");
    assert_eq!(after["actions"][0]["Type"], "authenticate-oidc");
    assert_eq!(after["conditions"], before["conditions"]);
    assert_eq!(after["priority"], before["priority"]);
    assert_eq!(after["tags"], before["tags"]);
    let forward = after["actions"].as_array().unwrap().iter().find(|a| a["Type"] == "forward").unwrap();
    assert_eq!(forward["ForwardConfig"]["TargetGroupStickinessConfig"]["Enabled"], true);
    assert_eq!(forward["ForwardConfig"]["TargetGroupStickinessConfig"]["DurationSeconds"], 3600);
    assert_eq!(forward["Order"], 2);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "{}", plan.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn canary_weights_are_exact_and_return_to_zero() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"blue\"\n  standby_traffic_percent = 10");
    wd.apply();
    let mut expect = vec![(s.blue_tg.clone(), 90), (s.green_tg.clone(), 10)];
    expect.sort();
    assert_eq!(weights(&emu, s.rule()), expect);
    assert_eq!(wd.plan_exit_code().code, 0);

    write_release_on(&wd, &emu, &s, "listener_rule_arn", "  active_color = \"blue\"\n  standby_traffic_percent = 0");
    wd.apply();
    assert_eq!(serving(weights(&emu, s.rule())), [s.blue_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn adopt_mode_follows_an_outside_flip_and_enforce_mode_shows_one_change() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "");
    wd.apply();
    let state = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]).stdout;
    assert!(state.contains("active_color") && state.contains("\"blue\""), "{state}");

    // The deploy tool flips traffic itself (its own red/black).
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--to", &s.green_tg]);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "adopt mode must follow the flip:\n{}", plan.all());
    wd.apply();
    let state = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]).stdout;
    assert!(state.contains("= \"green\""), "state must follow the live color: {state}");

    // Enforce: the config says blue; the plan shows exactly active_color going back.
    write_release_on(&wd, &emu, &s, "listener_rule_arn", "  active_color = \"blue\"");
    let json = wd.plan_json();
    let change = json["resource_changes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["address"] == "bluegreen_ecs_release.app")
        .unwrap();
    assert_eq!(change["change"]["actions"], serde_json::json!(["update"]));
    let (before, after) = (&change["change"]["before"], &change["change"]["after"]);
    let changed: Vec<&String> =
        after.as_object().unwrap().keys().filter(|k| before[k.as_str()] != after[k.as_str()]).collect();
    let unknown: Vec<&String> = change["change"]["after_unknown"]
        .as_object()
        .unwrap()
        .iter()
        .filter(|(_, v)| **v == true)
        .map(|(k, _)| k)
        .collect();
    assert!(unknown.is_empty(), "nothing should be unknown: {unknown:?}");
    // active_color and the attributes derived from it (standby color, target group ARNs).
    assert!(changed.iter().any(|k| *k == "active_color"), "{changed:?}");
    for k in &changed {
        assert!(
            ["active_color", "standby_color", "active_target_group_arn", "standby_target_group_arn"]
                .contains(&k.as_str()),
            "unexpected change {k}"
        );
    }
    let text = wd.run(&["plan", "-no-color", "-input=false"]).stdout;
    assert!(text.contains("~ active_color") && text.contains("\"green\" -> \"blue\""), "{text}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn listener_default_action_pointer_create_deploy_promote() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "web", &["--pointer", "listener"]);
    let wd = workdir(&emu, &s, "listener_arn", "  active_color = \"blue\"");
    wd.apply();
    assert_eq!(wd.plan_exit_code().code, 0);
    scaffold::run(&emu, "deploy", &["--name", "web", "--color", "green", "--style", "update"]);
    assert_eq!(wd.plan_exit_code().code, 0, "deploy is not drift");
    write_release_on(&wd, &emu, &s, "listener_arn", "  active_color = \"green\"");
    wd.apply();
    assert_eq!(serving(forward_weights_sorted(&listener_actions(&emu, &s.listener_arn))), [s.green_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn destroy_leaves_the_rule_exactly_as_it_was() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--oidc"]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"green\"");
    wd.apply();
    let before = describe_rule(&emu, s.rule());
    let out = wd.ok(&["destroy", "-auto-approve", "-input=false", "-no-color"]);
    assert!(out.stdout.contains("1 destroyed"), "{}", out.all());
    assert_eq!(describe_rule(&emu, s.rule()), before, "destroy must not touch traffic");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn test_listener_rule_follows_the_standby_color() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--test-listener"]);
    let test_rule = s.test_rule_arn.clone().expect("test rule");
    let body = |c: &str| format!("  active_color = \"{c}\"\n  test_listener_rule_arn = \"{test_rule}\"");
    let wd = workdir(&emu, &s, "listener_rule_arn", &body("blue"));
    wd.apply();
    write_release_on(&wd, &emu, &s, "listener_rule_arn", &body("green"));
    wd.apply();
    assert_eq!(serving(weights(&emu, s.rule())), [s.green_tg.clone()]);
    assert_eq!(serving(weights(&emu, &test_rule)), [s.blue_tg.clone()], "the test rule points at the new standby");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_pointer_deleted_outside_terraform_leaves_state_with_a_warning() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"blue\"");
    wd.apply();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emu.sdk_config().await);
        elb.delete_rule().rule_arn(s.rule()).send().await.expect("delete the rule");
    });
    let refresh = wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let all = refresh.all().replace('\n', " ");
    assert!(all.contains("Release pointer no longer exists") && all.contains("removed from state"), "{all}");
    assert_eq!(wd.ok(&["state", "list"]).stdout.trim(), "", "the release left the state");
    // Planning it again says plainly that the rule does not exist.
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1);
    assert!(
        plan.stderr.contains("Listener rule not found") && plan.stderr.contains("does not exist"),
        "{}",
        plan.all()
    );
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn aws_errors_on_refresh_name_the_call_and_the_arn() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = workdir(&emu, &s, "listener_rule_arn", "  active_color = \"blue\"");
    wd.apply();
    emu.inject_fault(serde_json::json!({
        "action": "DescribeRules", "count": 20, "kind": "error", "status": 400,
        "code": "AccessDenied", "message": "User is not authorized to perform elasticloadbalancing:DescribeRules"
    }));
    let plan = wd.plan_exit_code();
    emu.clear_faults();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = plan.stderr.replace('\n', " ");
    assert!(
        err.contains("AWS DescribeRules failed") && err.contains(s.rule()) && err.contains("AccessDenied"),
        "{err}"
    );
    assert!(err.contains("IAM policy"), "the remedy is named: {err}");
    assert_eq!(wd.plan_exit_code().code, 0, "state was left intact");
}

/// A new target group for `color`, like the scaffold's, with two registered targets.
fn replacement_target_group(emu: &Emulator, s: &Scaffold, name: &str, color: &str) -> String {
    let like = if color == "blue" { &s.blue_tg } else { &s.green_tg };
    let out = scaffold::run(emu, "target-group", &["--like", like, "--name", name, "--color", color]);
    out["target_group_arn"].as_str().unwrap().to_string()
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn replacing_the_standbys_target_group_renames_it_in_place_and_frees_the_old_one() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--test-listener"]);
    let test_rule = s.test_rule_arn.clone().unwrap();
    let body = format!("  active_color = \"blue\"\n  test_listener_rule_arn = \"{test_rule}\"");
    let wd = workdir(&emu, &s, "listener_rule_arn", &body);
    wd.apply();
    let new_green = replacement_target_group(&emu, &s, "app-tg-c", "green");
    // ALB refuses to delete a target group an action forwards to (ResourceInUse).
    let in_use = scaffold::try_run(&emu, "delete-target-group", &["--tg", &s.green_tg]).unwrap_err();
    assert!(in_use.contains("ResourceInUse"), "{in_use}");

    let replaced = s.release_hcl("listener_rule_arn", &body).replace(&s.green_tg, &new_green);
    wd.write("main.tf", &format!("{}{replaced}", provider_block(&emu.endpoint())));
    // A second writer between plan and apply: the saved plan is refused, nothing is
    // written, and state keeps the target groups live names.
    wd.ok(&["plan", "-input=false", "-no-color", "-out=swap.tfplan"]);
    let split = |blue: i64, green: i64| format!("{}={blue},{}={green}", s.blue_tg, s.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &split(0, 100)]);
    let refused = wd.run(&["apply", "-input=false", "-no-color", "swap.tfplan"]);
    assert_ne!(refused.code, 0, "{}", refused.all());
    assert!(refused.stderr.contains("Traffic moved since the plan"), "{}", refused.all());
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 0), (s.green_tg.clone(), 100)], "their flip stands");
    let shown = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]).stdout;
    assert!(shown.contains(&s.green_tg) && !shown.contains(&new_green), "state names what is live:\n{shown}");
    // Green carries the traffic now: replacing its group is refused at plan time.
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = plan.stderr.replace('\n', " ");
    assert!(err.contains("The green target group carries traffic") && err.contains("Promote first"), "{err}");
    assert!(err.contains("green[0].target_group_arn") || err.contains("target_group_arn"), "{err}");

    // Back on blue, green is the standby again: the apply names the new group at the
    // standby's weight, moves the test rule to it, and frees the old one.
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &split(100, 0)]);
    emu.reset_requests();
    wd.apply();
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 100), (new_green.clone(), 0)]);
    let test = describe_rule(&emu, &test_rule);
    assert_eq!(
        forward_weights_sorted(&test["actions"]),
        [(new_green.clone(), 100)],
        "the test rule serves the new standby"
    );
    assert_eq!(wd.plan_exit_code().code, 0);
    scaffold::run(&emu, "delete-target-group", &["--tg", &s.green_tg]);
    assert_eq!(wd.plan_exit_code().code, 0, "the old group is no part of the release");

    // Replacing the active color's group is refused at plan time, with the way out.
    let new_blue = replacement_target_group(&emu, &s, "app-tg-d", "blue");
    let active =
        s.release_hcl("listener_rule_arn", &body).replace(&s.green_tg, &new_green).replace(&s.blue_tg, &new_blue);
    wd.write("main.tf", &format!("{}{active}", provider_block(&emu.endpoint())));
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = plan.stderr.replace('\n', " ");
    assert!(err.contains("The blue target group carries traffic") && err.contains("Promote first"), "{err}");
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 100), (new_green.clone(), 0)], "nothing written");
}

/// Blue live with a test rule, then a configuration that promotes green onto a new
/// group (2 targets) through a gate that asks for 5 within `wait_timeout`: it refuses.
fn promoting_onto_a_replaced_green_group(wait_timeout: &str) -> (Emulator, Scaffold, Workdir, String, String) {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--test-listener"]);
    let test_rule = s.test_rule_arn.clone().unwrap();
    let blue = format!("  active_color = \"blue\"\n  test_listener_rule_arn = \"{test_rule}\"");
    let wd = workdir(&emu, &s, "listener_rule_arn", &blue);
    wd.apply();
    let new_green = replacement_target_group(&emu, &s, "app-tg-e", "green");
    let promote = format!(
        "  active_color = \"green\"\n  test_listener_rule_arn = \"{test_rule}\"\n  promotion {{\n    min_healthy_targets = 5\n    wait_timeout = \"{wait_timeout}\"\n  }}"
    );
    let replaced = s.release_hcl("listener_rule_arn", &promote).replace(&s.green_tg, &new_green);
    wd.write("main.tf", &format!("{}{replaced}", provider_block(&emu.endpoint())));
    (emu, s, wd, test_rule, new_green)
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_refused_promotion_that_replaces_the_standbys_group_says_what_it_wrote_and_frees_the_old_one() {
    let (emu, s, wd, test_rule, new_green) = promoting_onto_a_replaced_green_group("3s");
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Promotion gate refused the switch"), "{err}");
    assert!(!err.contains("Nothing was written"), "the replacement was written, and the error says so: {err}");
    assert!(err.contains("No traffic moved") && err.contains(&new_green) && err.contains(&s.green_tg), "{err}");
    // Live: blue keeps all traffic, the new group is the standby, the test rule follows it.
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 100), (new_green.clone(), 0)]);
    let test = describe_rule(&emu, &test_rule);
    assert_eq!(
        forward_weights_sorted(&test["actions"]),
        [(new_green.clone(), 100)],
        "the test rule serves the new standby"
    );
    // State says exactly that: the new group, blue active, the test rule managed.
    let shown = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]).stdout;
    assert!(shown.contains(&new_green) && !shown.contains(&s.green_tg), "{shown}");
    assert!(shown.contains(&test_rule), "the test rule is recorded as managed: {shown}");
    // The old group is free: nothing forwards to it any more.
    scaffold::run(&emu, "delete-target-group", &["--tg", &s.green_tg]);
    // The promotion itself is still to do, and nothing else.
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("active_color") && !plan.stdout.contains("must be replaced"), "{}", plan.stdout);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_switch_by_another_writer_during_a_refused_replacing_promotion_points_the_test_rule_at_the_live_standby() {
    let (emu, s, wd, test_rule, new_green) = promoting_onto_a_replaced_green_group("15s");
    emu.reset_requests();
    let apply = wd.applying();
    wait_until("the gate to poll the new group's health", Duration::from_secs(60), || {
        emu.request_count("DescribeTargetHealth") >= 2
    });
    // While the gate waits, someone else sends all traffic to the new group.
    let split = format!("{}=0,{new_green}=100", s.blue_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--weights", &split]);
    let out = Output::finish(apply);
    assert_eq!(out.code, 1, "{}", out.all());
    no_provider_bug(&out);
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 0), (new_green.clone(), 100)], "their switch stands");
    // The test rule serves the standby of what is live now (blue), not the group the
    // first read called the standby, which is production now.
    let test = describe_rule(&emu, &test_rule);
    assert_eq!(
        forward_weights_sorted(&test["actions"]),
        [(s.blue_tg.clone(), 100)],
        "the test rule serves the live standby: {}",
        out.all()
    );
    assert_eq!(state_color(&wd), "green", "state = live");
    // The old group is free: nothing forwards to it any more.
    scaffold::run(&emu, "delete-target-group", &["--tg", &s.green_tg]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn replacing_the_standbys_target_group_with_one_of_another_load_balancer_is_refused_at_plan_time() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let other = Scaffold::create(&emu, "other", &[]);
    let body = "  active_color = \"blue\"";
    let wd = workdir(&emu, &s, "listener_rule_arn", body);
    wd.apply();
    let replaced = s.release_hcl("listener_rule_arn", body).replace(&s.green_tg, &other.green_tg);
    wd.write("main.tf", &format!("{}{replaced}", provider_block(&emu.endpoint())));
    emu.reset_requests();
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let err = plan.stderr.replace('\n', " ");
    assert!(err.contains("Target group on a different load balancer") && err.contains(&other.green_tg), "{err}");
    let at = format!("target_group_arn = \"{}\"", other.green_tg);
    assert!(err.contains(&at), "Terraform shows the attribute's line: {err}");
    assert_eq!(emu.request_count("ModifyRule"), 0, "nothing written");
    assert_eq!(weights(&emu, s.rule()), [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_state_written_before_the_promotion_blocks_were_added_plans_clean() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let body = "  active_color = \"blue\"\n  promotion {\n    wait_timeout = \"30s\"\n  }";
    let wd = workdir(&emu, &s, "listener_rule_arn", body);
    wd.apply();
    // Strip what later versions added to `promotion` (strategy, canary, linear,
    // dynatrace, hook) from the stored state, as an older provider wrote it.
    let path = wd.path().join("terraform.tfstate");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let promotion = &mut state["resources"][0]["instances"][0]["attributes"]["promotion"][0];
    for key in ["strategy", "canary", "linear", "dynatrace", "hook"] {
        assert!(promotion.as_object_mut().unwrap().remove(key).is_some(), "{key} is in today's state");
    }
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "no diff from blocks the old state did not have: {}", plan.all());
}
