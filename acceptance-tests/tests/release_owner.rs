//! No second controller: a pointer that an ECS service deploying with ECS native
//! blue/green (BLUE_GREEN strategy, `advancedConfiguration`) shifts traffic on itself,
//! or that a CodeDeploy deployment group routes (a rule of its production traffic
//! route's listener forwarding to its pair). A create's plan, an import, a query and an
//! apply that moves traffic warn naming the owner; an apply during its deployment refuses
//! and writes nothing, and goes through once the deployment finished.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Workdir, provider_block};
use acceptance_tests::{describe_rule, serving, state_color, write_release, write_release_and_actions};

const GATE: &str = "  promotion {\n    wait_timeout = \"2s\"\n  }";

/// A release pair whose rule is the `productionListenerRule` of ECS service `nat`.
fn native(emu: &Emulator) -> Scaffold {
    Scaffold::create(emu, "nat", &["--colors", "tag", "--services", "ecs-native"])
}

fn one_line(text: &str) -> String {
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn plan_warns_naming_the_ecs_native_service_and_keeps_the_exit_code() {
    let emu = Emulator::start();
    let s = native(&emu);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{GATE}"));
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "a create is a change, warning or not: {}", plan.all());
    let text = one_line(&plan.all());
    assert!(text.contains(&format!("ECS service {}/nat also writes this pointer", s.cluster)), "{text}");
    assert!(text.contains("productionListenerRule") && text.contains("undo each other"), "{text}");
    let (_, shown) = text.split_once("also writes this pointer").unwrap();
    assert!(shown.contains("listener_rule_arn = "), "the warning is at the pointer attribute: {text}");
    // A release whose rule no ECS-native service names plans without it.
    let other = Scaffold::create(&emu, "plain", &["--colors", "tag"]);
    let wd2 = Workdir::new(&emu.endpoint());
    write_release(&wd2, &emu, &other, "  active_color = \"blue\"");
    let plain = wd2.plan_exit_code();
    assert_eq!(plain.code, 2);
    assert!(!plain.all().contains("also writes this pointer"), "{}", plain.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_apply_during_the_services_deployment_refuses_and_writes_nothing() {
    let emu = Emulator::start();
    let s = native(&emu);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{GATE}"));
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);

    emu.native_deployment(&s.cluster, "nat", "IN_PROGRESS");
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{GATE}"));
    let before = describe_rule(&emu, s.rule());
    let writes = emu.request_count("ModifyRule");
    let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(
        err.contains(&format!("ECS service {}/nat deploys with ECS native blue/green", s.cluster)),
        "the refusal names the owner: {err}"
    );
    assert!(err.contains("IN_PROGRESS") && err.contains("nothing was written"), "{err}");
    assert_eq!(emu.request_count("ModifyRule"), writes, "no write during the owner's deployment");
    assert_eq!(describe_rule(&emu, s.rule()), before, "the rule's weights are unchanged");
    assert_eq!(state_color(&wd), "blue", "state = live");

    emu.native_deployment(&s.cluster, "nat", "COMPLETED");
    assert_eq!(wd.plan_exit_code().code, 2, "the promotion is still pending");
    let applied = wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()], "once finished, the same apply goes through");
    let text = one_line(&applied.all());
    assert!(text.contains(&format!("ECS service {}/nat also writes this pointer", s.cluster)), "{text}");
    assert_eq!(state_color(&wd), "green");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_of_a_pointer_an_ecs_native_service_owns_warns() {
    let emu = Emulator::start();
    let s = native(&emu);
    for id in [format!("{}/{}", s.cluster, s.rule()), format!("{}/nat", s.cluster)] {
        let wd = Workdir::new(&emu.endpoint());
        wd.write("main.tf", &format!("{}{}", provider_block(&emu.endpoint()), s.release_hcl("listener_rule_arn", "")));
        let out = wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &id]);
        assert!(out.stdout.contains("Import successful"), "{}", out.all());
        let text = one_line(&out.all());
        assert!(text.contains(&format!("ECS service {}/nat also writes this pointer", s.cluster)), "{id}: {text}");
        assert!(text.contains("productionListenerRule"), "{text}");
        // Import still takes it (reported, not refused): the next plan is empty.
        assert_eq!(wd.plan_exit_code().code, 0);
    }
}

/// The rollback action's gate reads no services, so the switch's own check right before
/// the first write is what refuses (the check that also catches a deployment started
/// while a gate waited).
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_rollback_action_during_the_services_deployment_refuses_before_its_write() {
    let emu = Emulator::start();
    let s = native(&emu);
    let wd = Workdir::new(&emu.endpoint());
    let actions = [s.action_hcl("bluegreen_ecs_promote", ""), s.action_hcl("bluegreen_ecs_rollback", "")];
    write_release_and_actions(&wd, &emu, &s, "", &actions);
    wd.apply();
    let invoke = |kind: &str| {
        wd.run(&["apply", &format!("-invoke=action.{kind}.app"), "-auto-approve", "-input=false", "-no-color"])
    };
    let promoted = invoke("bluegreen_ecs_promote");
    assert_eq!(promoted.code, 0, "{}", promoted.all());
    assert!(one_line(&promoted.all()).contains("also writes this pointer"), "{}", promoted.all());
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    emu.native_deployment(&s.cluster, "nat", "IN_PROGRESS");
    let writes = emu.request_count("ModifyRule");
    let out = invoke("bluegreen_ecs_rollback");
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(
        err.contains(&format!("ECS service {}/nat is deploying on this pointer", s.cluster))
            && err.contains("its deployment is in progress")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(emu.request_count("ModifyRule"), writes, "no write during the owner's deployment");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    emu.native_deployment(&s.cluster, "nat", "COMPLETED");
    assert_eq!(invoke("bluegreen_ecs_rollback").code, 0);
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
}

/// The CodeDeploy application and deployment group `scaffold.py create --name cd
/// --services codedeploy` makes: its production traffic route is the listener of the
/// scaffold's rule, its pair the rule's blue and green, and it deploys ECS service `cd`.
const APPLICATION: &str = "cd-cd";
const GROUP: &str = "cd-dg";

/// A release pair whose rule CodeDeploy moves in each deployment of group cd-cd/cd-dg.
/// Its last deployment left green serving with blue kept at weight 0 in the forward
/// (CodeDeploy's behaviour since November 2022, terraform-provider-aws#28129).
fn code_deploy(emu: &Emulator) -> Scaffold {
    let s = Scaffold::create(emu, "cd", &["--colors", "tag", "--services", "codedeploy"]);
    let weights = format!("{}=0,{}=100", s.blue_tg, s.green_tg);
    scaffold::run(emu, "flip", &["--rule-arn", s.rule(), "--weights", &weights]);
    s
}

fn owned_by_the_group(text: &str) -> bool {
    text.contains(&format!("CodeDeploy deployment group {APPLICATION}/{GROUP} also writes this pointer"))
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn plan_warns_naming_the_codedeploy_group_and_a_cluster_without_codedeploy_asks_nothing() {
    let emu = Emulator::start();
    let s = code_deploy(&emu);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{GATE}"));
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "a create is a change, warning or not: {}", plan.all());
    let text = one_line(&plan.all());
    assert!(owned_by_the_group(&text), "{text}");
    for part in ["production traffic route (prodTrafficRoute)", "ECS service cd-cluster/cd", "undo each other"] {
        assert!(text.contains(part), "{part}: {text}");
    }
    let (_, shown) = text.split_once("also writes this pointer").unwrap();
    assert!(shown.contains("listener_rule_arn = "), "the warning is at the pointer attribute: {text}");
    assert!(emu.request_count("BatchGetDeploymentGroups") > 0, "the group was read");

    // A cluster with no CODE_DEPLOY service costs no CodeDeploy call, and no warning.
    let other = Scaffold::create(&emu, "plain", &["--colors", "tag"]);
    let wd2 = Workdir::new(&emu.endpoint());
    write_release(&wd2, &emu, &other, "  active_color = \"blue\"");
    emu.reset_requests();
    let plain = wd2.plan_exit_code();
    assert_eq!(plain.code, 2);
    assert!(!plain.all().contains("also writes this pointer"), "{}", plain.all());
    let by_service = emu.requests()["by_service_action"].clone();
    let codedeploy: Vec<&String> =
        by_service.as_object().unwrap().keys().filter(|k| k.starts_with("codedeploy:")).collect();
    assert!(codedeploy.is_empty(), "no CodeDeploy call for a cluster without CodeDeploy: {codedeploy:?}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_apply_during_the_groups_deployment_refuses_and_writes_nothing() {
    let emu = Emulator::start();
    let s = code_deploy(&emu);
    let wd = Workdir::new(&emu.endpoint());
    write_release(&wd, &emu, &s, &format!("  active_color = \"green\"\n{GATE}"));
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    write_release(&wd, &emu, &s, &format!("  active_color = \"blue\"\n{GATE}"));
    // InProgress (rerouting), then Baking (rerouted, the original task set kept for a
    // rollback): both are the group's deployment in progress.
    for status in ["InProgress", "Baking"] {
        emu.code_deploy_deployment(APPLICATION, GROUP, status);
        let before = describe_rule(&emu, s.rule());
        let writes = emu.request_count("ModifyRule");
        let out = wd.run(&["apply", "-auto-approve", "-input=false", "-no-color"]);
        assert_eq!(out.code, 1, "{status}: {}", out.all());
        let err = one_line(&out.stderr);
        assert!(
            err.contains(&format!("CodeDeploy deployment group {APPLICATION}/{GROUP} is deploying on this pointer")),
            "the refusal names the owner: {err}"
        );
        assert!(err.contains(&format!("is {status}")) && err.contains("nothing was written"), "{err}");
        // The gate refuses at once (before its wait), as for an ECS-native owner.
        assert!(err.contains("Promotion gate refused the switch"), "{err}");
        assert_eq!(emu.request_count("ModifyRule"), writes, "no write during the group's deployment");
        assert_eq!(describe_rule(&emu, s.rule()), before, "the rule is unchanged");
        assert_eq!(state_color(&wd), "green", "state = live");
    }

    emu.code_deploy_deployment(APPLICATION, GROUP, "Succeeded");
    assert_eq!(wd.plan_exit_code().code, 2, "the promotion is still pending");
    let applied = wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()], "once finished, the same apply goes through");
    assert!(owned_by_the_group(&one_line(&applied.all())), "{}", applied.all());
    assert_eq!(state_color(&wd), "blue");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_and_query_report_a_pointer_a_codedeploy_group_routes() {
    let emu = Emulator::start();
    let s = code_deploy(&emu);
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &format!("{}{}", provider_block(&emu.endpoint()), s.release_hcl("listener_rule_arn", "")));
    let id = format!("{}/{}", s.cluster, s.rule());
    let out = wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &id]);
    assert!(out.stdout.contains("Import successful"), "{}", out.all());
    let text = one_line(&out.all());
    assert!(owned_by_the_group(&text) && text.contains("prodTrafficRoute"), "{text}");
    // Reported, not refused: the next plan is empty.
    assert_eq!(wd.plan_exit_code().code, 0);

    let q = Workdir::new(&emu.endpoint());
    q.write("main.tf", &provider_block(&emu.endpoint()));
    q.write(
        "list.tfquery.hcl",
        &format!(
            "list \"bluegreen_ecs_release\" \"all\" {{\n  provider = bluegreen\n  config {{\n    cluster = \"{}\"\n  }}\n}}\n",
            s.cluster
        ),
    );
    let listed = q.run(&["query", "-json", "-no-color"]);
    assert_eq!(listed.code, 0, "{}", listed.all());
    let found = listed.stdout.lines().filter(|l| l.contains("\"list_resource_found\"")).count();
    assert_eq!(found, 1, "the release is listed: {}", listed.stdout);
    assert!(owned_by_the_group(&listed.stdout), "the query reports the owner: {}", listed.stdout);
}

/// The rollback action's gate reads no services: the switch's own check before the first
/// write refuses during the group's deployment (the check that also catches a deployment
/// started while a gate waited).
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_rollback_action_during_the_groups_deployment_refuses_before_its_write() {
    let emu = Emulator::start();
    let s = code_deploy(&emu);
    let wd = Workdir::new(&emu.endpoint());
    write_release_and_actions(&wd, &emu, &s, "", &[s.action_hcl("bluegreen_ecs_rollback", "")]);
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    emu.code_deploy_deployment(APPLICATION, GROUP, "Ready");
    let writes = emu.request_count("ModifyRule");
    let invoke = || {
        wd.run(&["apply", "-invoke=action.bluegreen_ecs_rollback.app", "-auto-approve", "-input=false", "-no-color"])
    };
    let out = invoke();
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out.stderr);
    assert!(
        err.contains(&format!("CodeDeploy deployment group {APPLICATION}/{GROUP} is deploying on this pointer"))
            && err.contains("is Ready")
            && err.contains("nothing was written"),
        "{err}"
    );
    assert_eq!(emu.request_count("ModifyRule"), writes, "no write during the group's deployment");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    emu.code_deploy_deployment(APPLICATION, GROUP, "Stopped");
    let rolled_back = invoke();
    assert_eq!(rolled_back.code, 0, "{}", rolled_back.all());
    assert!(owned_by_the_group(&one_line(&rolled_back.all())), "{}", rolled_back.all());
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
}
