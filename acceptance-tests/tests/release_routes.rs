//! One release, several pointers (`route` blocks): the production rule of one ALB, the
//! rule of a second ALB with its own pair, and an NLB's TCP listener with its own pair,
//! moved as one promotion. A second reader samples all of them while the apply runs; a refusal
//! on the last route returns the others; a second writer on one route during a linear
//! promotion is neither overwritten nor rolled back over; a state written before routes
//! existed plans clean.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::sampler::PointersSampler;
use acceptance_tests::scaffold::{self, Scaffold, create_rules};
use acceptance_tests::terraform::{Output, Workdir, provider_block};
use acceptance_tests::{
    describe_rule, forward_weights_sorted, linear_strategy, no_provider_bug, release_state, wait_until,
};
use std::time::Duration;

/// The three pointers of the release and the green target group each moves traffic to.
struct Pointers {
    web: Scaffold,
    /// A second ALB: route 1, its rule over its own pair.
    api: Scaffold,
    /// A network load balancer: route 2, its TCP listener over its own TCP pair.
    nlb: Scaffold,
}

impl Pointers {
    fn create(emu: &Emulator) -> Pointers {
        let web = Scaffold::create(emu, "web", &["--colors", "tag"]);
        let api = Scaffold::create(emu, "api", &["--colors", "tag", "--cluster", &web.cluster]);
        let nlb = Scaffold::create(emu, "tcp", &["--nlb", "--colors", "tag", "--cluster", &web.cluster]);
        Pointers { web, api, nlb }
    }

    /// (pointer, green target group) of the production pointer, route 1 and route 2.
    fn pointers(&self) -> [(String, String); 3] {
        [
            (self.web.rule().to_string(), self.web.green_tg.clone()),
            (self.api.rule().to_string(), self.api.green_tg.clone()),
            (self.nlb.listener_arn.clone(), self.nlb.green_tg.clone()),
        ]
    }

    fn write(&self, wd: &Workdir, emu: &Emulator, body: &str) {
        wd.write(
            "main.tf",
            &format!(
                "{}{}",
                provider_block(&emu.endpoint()),
                self.web.release_hcl("listener_rule_arn", &format!("{}{body}", self.routes_hcl()))
            ),
        );
    }

    /// The two route blocks.
    fn routes_hcl(&self) -> String {
        format!(
            "  route {{\n    listener_rule_arn      = \"{}\"\n    blue_target_group_arn  = \"{}\"\n    green_target_group_arn = \"{}\"\n  }}\n  route {{\n    listener_arn           = \"{}\"\n    blue_target_group_arn  = \"{}\"\n    green_target_group_arn = \"{}\"\n  }}\n",
            self.api.rule(),
            self.api.blue_tg,
            self.api.green_tg,
            self.nlb.listener_arn,
            self.nlb.blue_tg,
            self.nlb.green_tg,
        )
    }
}

/// The forward weights of a rule, or of a listener's default action.
fn weights(emu: &Emulator, pointer: &str) -> Vec<(String, i64)> {
    if pointer.contains(":listener-rule/") {
        forward_weights_sorted(&describe_rule(emu, pointer)["actions"])
    } else {
        forward_weights_sorted(&scaffold::run(emu, "describe", &["--listener-arn", pointer])["default_actions"])
    }
}

/// Green's share (percent) of a pointer's forward action.
fn green_share(emu: &Emulator, pointer: &str, green: &str) -> i64 {
    share_of(&weights(emu, pointer), green)
}

fn share_of(weights: &[(String, i64)], green: &str) -> i64 {
    let total: i64 = weights.iter().map(|(_, w)| w).sum();
    let g: i64 = weights.iter().filter(|(tg, _)| tg == green).map(|(_, w)| w).sum();
    if total == 0 { 0 } else { g * 100 / total }
}

/// Each pointer's own sequence of green shares, in the order seen.
fn per_pointer(seen: &[Vec<i64>], i: usize) -> Vec<i64> {
    let mut out: Vec<i64> = Vec::new();
    for tuple in seen {
        if out.last() != Some(&tuple[i]) {
            out.push(tuple[i]);
        }
    }
    out
}

/// The gate's wait, and the NLB's propagation delay (the emulator's data plane lags
/// 0.6 s at its default time scale).
const GATE: &str = "    wait_timeout = \"30s\"\n    nlb_propagation_delay = \"1s\"\n";

/// The release's body: `active_color` and a promotion block of GATE and `strategy`.
fn body(color: &str, strategy: &str) -> String {
    format!("  active_color = \"{color}\"\n  promotion {{\n{GATE}{strategy}  }}\n")
}

/// Terraform's output on one line (it wraps diagnostics at any word).
fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// A release of the three pointers on blue, then its linear promotion to green (50%
/// steps, 6 s bakes) caught once every pointer serves its first step, with a second
/// reader sampling them: where a second writer steps in.
struct AtFirstStep {
    emu: Emulator,
    p: Pointers,
    wd: Workdir,
    sampler: PointersSampler,
    apply: std::process::Child,
}

impl AtFirstStep {
    fn start() -> AtFirstStep {
        let emu = Emulator::start();
        let p = Pointers::create(&emu);
        let wd = Workdir::new(&emu.endpoint());
        let linear = linear_strategy(50, "6s");
        p.write(&wd, &emu, &body("blue", &linear));
        wd.apply();
        p.write(&wd, &emu, &body("green", &linear));
        let sampler = PointersSampler::start(&emu, p.pointers().to_vec());
        let apply = wd.applying();
        wait_until("the first step on every pointer", Duration::from_secs(30), || {
            sampler.last() == Some(vec![50, 50, 50])
        });
        AtFirstStep { emu, p, wd, sampler, apply }
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn three_pointers_move_together_in_the_same_linear_steps_and_plan_clean() {
    let emu = Emulator::start();
    let p = Pointers::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    p.write(&wd, &emu, &body("blue", &linear_strategy(50, "2s")));
    let created = wd.apply();
    no_provider_bug(&created);
    assert_eq!(wd.plan_exit_code().code, 0, "a new release with routes plans clean");
    let state = release_state(&wd);
    assert_eq!(state["route"][0]["active_color"], "blue", "{state}");
    assert_eq!(state["route"][1]["standby_traffic_percent"], 0, "{state}");

    p.write(&wd, &emu, &body("green", &linear_strategy(50, "2s")));
    let sampler = PointersSampler::start(&emu, p.pointers().to_vec());
    let out = wd.apply();
    let seen = sampler.stop();
    no_provider_bug(&out);
    for i in 0..3 {
        assert_eq!(per_pointer(&seen, i), [0, 50, 100], "pointer {i} moved in the release's steps: {seen:?}");
    }
    for tuple in &seen {
        let (lo, hi) = (tuple.iter().min().unwrap(), tuple.iter().max().unwrap());
        assert!(hi - lo <= 50, "no pointer is ever more than one step ahead of another: {seen:?}");
    }
    for (rule, green) in p.pointers() {
        assert_eq!(green_share(&emu, &rule, &green), 100);
    }
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "plan after the promotion: {}", plan.all());
    let state = release_state(&wd);
    for route in state["route"].as_array().unwrap() {
        assert_eq!(
            (route["active_color"].as_str(), route["standby_traffic_percent"].as_i64()),
            (Some("green"), Some(0))
        );
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_refusal_on_the_last_route_returns_the_pointers_already_written() {
    let emu = Emulator::start();
    let p = Pointers::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    p.write(&wd, &emu, &body("blue", ""));
    wd.apply();

    // The gate waits on web's green targets while someone moves the last route.
    emu.fail_targets(&p.web.green_tg, "Target.ResponseCodeMismatch");
    p.write(&wd, &emu, &body("green", ""));
    let reads = emu.request_count("DescribeTargetHealth");
    let apply = wd.applying();
    wait_until("the gate's first poll", Duration::from_secs(30), || emu.request_count("DescribeTargetHealth") > reads);
    let theirs = format!("{}=90,{}=10", p.nlb.blue_tg, p.nlb.green_tg);
    scaffold::run(&emu, "flip", &["--listener-arn", &p.nlb.listener_arn, "--weights", &theirs]);
    emu.recover_targets(&p.web.green_tg);
    let out = Output::finish(apply);
    no_provider_bug(&out);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(err.contains("route 2") && err.contains("was changed by someone else"), "{err}");
    assert!(err.contains("route 1") && err.contains("was returned to blue 100%"), "{err}");
    // Both pointers written before the refusal are back where the apply found them...
    assert_eq!(green_share(&emu, p.web.rule(), &p.web.green_tg), 0);
    assert_eq!(green_share(&emu, p.api.rule(), &p.api.green_tg), 0);
    // ...and the other writer's change stands, as written.
    let nlb = weights(&emu, &p.nlb.listener_arn);
    assert_eq!(nlb, [(p.nlb.blue_tg.clone(), 90), (p.nlb.green_tg.clone(), 10)], "{nlb:?}");
    let state = release_state(&wd);
    assert_eq!(state["active_color"], "blue", "state records what is live: {state}");
    assert_eq!(state["route"][1]["standby_traffic_percent"], 10, "{state}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_second_writer_on_one_route_during_a_linear_promotion_is_neither_overwritten_nor_rolled_back_over() {
    let AtFirstStep { emu, p, wd, sampler, apply } = AtFirstStep::start();
    // An operator sends route 1 back to api's blue during the step's bake.
    scaffold::run(&emu, "flip", &["--rule-arn", p.api.rule(), "--to", &p.api.blue_tg]);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    no_provider_bug(&out);
    assert_eq!(out.code, 1, "{}\n{seen:?}", out.all());
    let err = one_line(&out.stderr);
    // Either the next step's write to route 1 is refused, or (its green now detached
    // from the load balancer) the step's bake fails first; both leave it alone.
    assert!(
        err.contains("route 1")
            && (err.contains("was changed by someone else")
                || err.contains("was left as it is: someone else changed it")),
        "{err}"
    );
    // Route 1 is exactly what the operator wrote: one target group, no weights added.
    let api = forward_weights_sorted(&describe_rule(&emu, p.api.rule())["actions"]);
    assert_eq!(api, [(p.api.blue_tg.clone(), 1)], "not overwritten and not rolled back over");
    // The other pointers went back to where the apply found them.
    assert_eq!(green_share(&emu, p.web.rule(), &p.web.green_tg), 0);
    assert_eq!(green_share(&emu, &p.nlb.listener_arn, &p.nlb.green_tg), 0);
    let state = release_state(&wd);
    assert_eq!(state["active_color"], "blue", "{state}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_same_pointer_twice_is_a_plan_time_error_at_the_route() {
    let emu = Emulator::start();
    let web = Scaffold::create(&emu, "web", &["--colors", "tag"]);
    let wd = Workdir::new(&emu.endpoint());
    let body = format!("  route {{\n    listener_rule_arn = \"{}\"\n  }}\n", web.rule());
    let text = format!("{}{}", provider_block(&emu.endpoint()), web.release_hcl("listener_rule_arn", &body));
    wd.write("main.tf", &text);
    let route_line = text.lines().position(|l| l.trim() == "route {").unwrap() + 2;
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 1, "{}", plan.all());
    let text = one_line(&plan.all());
    assert!(text.contains("The same pointer twice") && text.contains("is already listener_rule_arn"), "{text}");
    assert!(text.contains(&format!("main.tf line {route_line},")), "the error points at the route's pointer: {text}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_state_from_before_routes_plans_clean_after_the_upgrade() {
    let emu = Emulator::start();
    let web = Scaffold::create(&emu, "web", &["--colors", "tag"]);
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}{}",
            provider_block(&emu.endpoint()),
            web.release_hcl("listener_rule_arn", "  active_color = \"blue\"\n")
        ),
    );
    wd.apply();
    // Rewrite the state as schema version 0 stored it: no `route` attribute at all.
    let path = wd.path().join("terraform.tfstate");
    let mut state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let instance = &mut state["resources"][0]["instances"][0];
    instance["schema_version"] = 0.into();
    instance["attributes"].as_object_mut().unwrap().remove("route");
    state["serial"] = (state["serial"].as_i64().unwrap() + 1).into();
    std::fs::write(&path, serde_json::to_string_pretty(&state).unwrap()).unwrap();

    let plan = wd.plan_exit_code();
    no_provider_bug(&plan);
    assert_eq!(plan.code, 0, "a one-pointer state of version 0 plans clean: {}", plan.all());
    let refreshed = wd.run(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(refreshed.code, 0, "{}", refreshed.all());
    let state: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let instance = &state["resources"][0]["instances"][0];
    assert_eq!(instance["schema_version"], 1, "{instance}");
    assert_eq!(instance["attributes"]["route"], serde_json::json!([]), "{instance}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_route_moved_alone_is_a_warning_when_adopting_and_is_put_back_when_enforcing() {
    let emu = Emulator::start();
    let p = Pointers::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    p.write(&wd, &emu, &format!("  promotion {{\n{GATE}  }}\n"));
    wd.apply();
    // An operator moves route 1 (api's rule) alone.
    scaffold::run(
        &emu,
        "flip",
        &["--rule-arn", p.api.rule(), "--weights", &format!("{}=0,{}=100", p.api.blue_tg, p.api.green_tg)],
    );

    let adopting = wd.plan_exit_code();
    no_provider_bug(&adopting);
    assert_eq!(adopting.code, 0, "adopting, a route that disagrees is no change: {}", adopting.all());
    let text = one_line(&adopting.all());
    assert!(text.contains("Route 1 disagrees with the release") && text.contains("green 100%"), "{text}");

    p.write(&wd, &emu, &body("blue", ""));
    let enforcing = wd.plan_exit_code();
    assert_eq!(enforcing.code, 2, "enforcing, the route is planned back: {}", enforcing.all());
    let text = one_line(&enforcing.all());
    assert!(text.contains(r#"~ active_color = "green" -> "blue""#), "{text}");
    let out = wd.apply();
    no_provider_bug(&out);
    assert_eq!(green_share(&emu, p.api.rule(), &p.api.green_tg), 0, "route 1 put back");
    assert_eq!(green_share(&emu, p.web.rule(), &p.web.green_tg), 0, "the primary did not move");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_routes_gaining_target_group_must_pass_the_gate_before_anything_is_written() {
    let emu = Emulator::start();
    let p = Pointers::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    p.write(&wd, &emu, &body("blue", ""));
    wd.apply();
    // The primary's green is healthy; route 1's own green is not.
    emu.fail_targets(&p.api.green_tg, "Target.ResponseCodeMismatch");
    p.write(&wd, &emu, "  active_color = \"green\"\n  promotion {\n    wait_timeout = \"3s\"\n    nlb_propagation_delay = \"1s\"\n  }\n");
    let writes = || emu.request_count("ModifyRule") + emu.request_count("ModifyListener");
    let before = writes();
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    no_provider_bug(&out);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(err.contains(&p.api.green_tg) && err.contains("needs 1"), "the refusal names route 1's group: {err}");
    assert_eq!(writes(), before, "nothing was written: {}", emu.requests());
    for (rule, green) in p.pointers() {
        assert_eq!(green_share(&emu, &rule, &green), 0);
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_promote_and_rollback_actions_move_every_route_with_the_release() {
    let emu = Emulator::start();
    let p = Pointers::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    let config = format!("{}    promotion {{\n{GATE}    }}\n", p.routes_hcl());
    let actions = ["bluegreen_ecs_promote", "bluegreen_ecs_rollback"].map(|kind| p.web.action_hcl(kind, &config));
    let release = p.web.release_hcl("listener_rule_arn", &format!("{}  # adopts\n", p.routes_hcl()));
    wd.write("main.tf", &format!("{}{release}{}", provider_block(&emu.endpoint()), actions.concat()));
    wd.apply();

    let invoke = |kind: &str| {
        wd.run(&["apply", &format!("-invoke=action.{kind}.app"), "-auto-approve", "-input=false", "-no-color"])
    };
    let promoted = invoke("bluegreen_ecs_promote");
    no_provider_bug(&promoted);
    assert_eq!(promoted.code, 0, "{}", promoted.all());
    for (pointer, green) in p.pointers() {
        assert_eq!(green_share(&emu, &pointer, &green), 100, "{pointer} promoted with the release");
    }
    assert_eq!(wd.plan_exit_code().code, 0, "the adopting release follows every route");

    let rolled_back = invoke("bluegreen_ecs_rollback");
    assert_eq!(rolled_back.code, 0, "{}", rolled_back.all());
    for (pointer, green) in p.pointers() {
        assert_eq!(green_share(&emu, &pointer, &green), 0, "{pointer} rolled back with the release");
    }
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_second_writer_on_the_production_rule_during_a_linear_promotion_gets_the_routes_returned() {
    let AtFirstStep { emu, p, wd, sampler, apply } = AtFirstStep::start();
    // A deploy tool takes the production rule back to blue during the step's bake.
    let theirs = format!("{}=100,{}=0", p.web.blue_tg, p.web.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", p.web.rule(), "--weights", &theirs]);
    let out = Output::finish(apply);
    let seen = sampler.stop();
    no_provider_bug(&out);
    assert_eq!(out.code, 1, "{}\n{seen:?}", out.all());
    let err = one_line(&out.stderr);
    assert!(err.contains("The pointer changed during the apply") && err.contains("Routes:"), "{err}");
    // The production rule is the deploy tool's; the routes are back where they were.
    assert_eq!(weights(&emu, p.web.rule()), [(p.web.blue_tg.clone(), 100), (p.web.green_tg.clone(), 0)]);
    assert_eq!(green_share(&emu, p.api.rule(), &p.api.green_tg), 0, "{seen:?}");
    assert_eq!(green_share(&emu, &p.nlb.listener_arn, &p.nlb.green_tg), 0, "{seen:?}");
    let state = release_state(&wd);
    for route in state["route"].as_array().unwrap() {
        assert_eq!(route["active_color"], "blue", "state records what is live: {state}");
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn replacing_the_standby_group_renames_it_in_a_route_that_uses_the_release_pair() {
    let emu = Emulator::start();
    let web = Scaffold::create(&emu, "web", &["--colors", "tag"]);
    let extra = create_rules(&emu, &web.listener_arn, &web.blue_tg, 1).remove(0);
    let both = format!("{}=100,{}=0", web.blue_tg, web.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", &extra, "--weights", &both]);
    let wd = Workdir::new(&emu.endpoint());
    let write = |green: &str| {
        let body = format!("  active_color = \"blue\"\n  route {{\n    listener_rule_arn = \"{extra}\"\n  }}\n");
        let hcl = web.release_hcl("listener_rule_arn", &body).replace(&web.green_tg, green);
        wd.write("main.tf", &format!("{}{hcl}", provider_block(&emu.endpoint())));
    };
    write(&web.green_tg);
    wd.apply();
    let new_green =
        scaffold::run(&emu, "target-group", &["--like", &web.green_tg, "--name", "web-green-2", "--color", "green"]);
    let new_green = new_green["target_group_arn"].as_str().unwrap().to_string();
    write(&new_green);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "{}", plan.all());
    let out = wd.apply();
    no_provider_bug(&out);
    let mut renamed = vec![(web.blue_tg.clone(), 100), (new_green.clone(), 0)];
    renamed.sort();
    for pointer in [web.rule(), extra.as_str()] {
        assert_eq!(weights(&emu, pointer), renamed, "{pointer} names the new green, at weight 0");
    }
    assert_eq!(wd.plan_exit_code().code, 0);
}
