//! Import and `terraform query` of a pair that several pointers forward to: the primary
//! pointer import has always chosen, and every other pointer splitting the pair as a
//! `route` block; generated configuration plans clean. Real Terraform, real provider,
//! emulator.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold, create_listener, create_rules};
use acceptance_tests::terraform::{Workdir, provider_block, terraform_version};
use serde_json::Value;

/// A pair forwarded to by its production rule on :80, a listener on 8443 whose default
/// action names both groups, and a rule on that listener naming both; plus a test rule
/// forwarding to green alone (no route: it may be anything pinned to one color).
struct Topology {
    s: Scaffold,
    listener: String,
    rule: String,
}

impl Topology {
    fn create(emu: &Emulator) -> Topology {
        let s = Scaffold::create(emu, "web", &["--colors", "tag", "--test-listener"]);
        let lb = s.raw["load_balancer_arn"].as_str().unwrap().to_string();
        let listener = create_listener(emu, &lb, 8443, &[(&s.blue_tg, 100), (&s.green_tg, 0)]);
        let rule = create_rules(emu, &listener, &s.blue_tg, 1).remove(0);
        let weights = format!("{}=100,{}=0", s.blue_tg, s.green_tg);
        scaffold::run(emu, "flip", &["--rule-arn", &rule, "--weights", &weights]);
        Topology { s, listener, rule }
    }

    /// The routes as generated and as written by hand: the listener and the rule, by ARN
    /// (a rule's ARN sorts before its listener's: `listener-rule/` < `listener/`).
    fn routes_hcl(&self) -> String {
        format!(
            "  route {{\n    listener_rule_arn = \"{}\"\n  }}\n  route {{\n    listener_arn = \"{}\"\n  }}\n",
            self.rule, self.listener
        )
    }
}

/// `terraform state show` of the release.
fn shown(wd: &Workdir) -> String {
    wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]).stdout
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_service_generates_the_primary_and_a_route_per_other_pointer_and_plans_clean() {
    let emu = Emulator::start();
    let t = Topology::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}\nimport {{\n  to = bluegreen_ecs_release.app\n  id = \"{}/web-blue\"\n}}\n",
            provider_block(&emu.endpoint()),
            t.s.cluster
        ),
    );
    // A rule splitting blue with a maintenance group outside the pair: no route, a warning.
    let maintenance = scaffold::run(&emu, "target-group", &["--like", &t.s.blue_tg, "--name", "maintenance"]);
    let maintenance = maintenance["target_group_arn"].as_str().unwrap().to_string();
    let mixed = create_rules(&emu, &t.s.listener_arn, &t.s.blue_tg, 1).remove(0);
    let weights = format!("{}=90,{maintenance}=10", t.s.blue_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", &mixed, "--weights", &weights]);
    let out = wd.run(&["plan", "-input=false", "-no-color", "-generate-config-out=generated.tf"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let said = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(said.contains("Pointer forwards outside the pair: not a route"), "{said}");
    assert!(said.contains(&mixed) && said.contains(&format!("also to {maintenance}")), "{said}");
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert!(!generated.contains(&mixed), "{generated}");
    // The primary is the production rule on :80, as import chose it before routes; the
    // listener and the rule on 8443 are routes, in ARN order; the test rule is neither.
    let primary = generated.lines().find(|l| l.trim_start().starts_with("listener_rule_arn")).unwrap_or_default();
    assert!(primary.contains(t.s.rule()), "{generated}");
    assert_eq!(generated.matches("route {").count(), 2, "{generated}");
    let (rule_at, listener_at) = (generated.find(&t.rule), generated.find(&format!("\"{}\"", t.listener)));
    assert!(rule_at.is_some() && listener_at.is_some() && rule_at < listener_at, "{generated}");
    assert!(!generated.contains(t.s.test_rule_arn.as_deref().unwrap()), "{generated}");
    // Inputs only: the routes follow the release's pair and adopt its traffic.
    let set: Vec<&str> = generated.lines().filter(|l| l.contains(" = ") && !l.ends_with("= null")).collect();
    for left_out in ["active_color", "standby_traffic_percent", "blue_target_group_arn", "green_target_group_arn"] {
        assert!(!set.iter().any(|l| l.contains(left_out)), "{left_out} must not be generated:\n{generated}");
    }
    emu.reset_requests();
    let applied = wd.apply();
    assert!(
        applied.stdout.contains("Resources: 1 imported, 0 added, 0 changed, 0 destroyed"),
        "the generated config must equal the imported state:\n{}\n{generated}",
        applied.all()
    );
    assert_eq!(emu.request_count("ModifyRule") + emu.request_count("ModifyListener"), 0, "an import writes nothing");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "generated config must plan clean after apply:\n{}\n{generated}", plan.all());
    // State records each route's live traffic (and, once refreshed, the release's: the
    // import's refresh withholds it on Terraform <= 1.13, import_adoption).
    wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let state = shown(&wd);
    assert_eq!(state.matches("route {").count(), 2, "{state}");
    assert_eq!(state.matches("active_color ").count(), 3, "the release's and each route's:\n{state}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn query_lists_one_release_with_its_routes_and_its_generated_config_plans_clean() {
    if terraform_version() < (1, 14) {
        return; // `terraform query` is Terraform 1.14+
    }
    let emu = Emulator::start();
    let t = Topology::create(&emu);
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &provider_block(&emu.endpoint()));
    wd.write(
        "list.tfquery.hcl",
        &format!(
            "list \"bluegreen_ecs_release\" \"all\" {{\n  provider = bluegreen\n  include_resource = true\n  config {{\n    cluster = \"{}\"\n  }}\n}}\n",
            t.s.cluster
        ),
    );
    let out = wd.run(&["query", "-json", "-no-color", "-generate-config-out=generated.tf"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let results: Vec<Value> = out
        .stdout
        .lines()
        .filter_map(|l| serde_json::from_str::<Value>(l).ok())
        .filter(|v| v["type"] == "list_resource_found")
        .map(|v| v["list_resource_found"].clone())
        .collect();
    assert_eq!(results.len(), 1, "one release for the pair:\n{}", out.all());
    let r = &results[0];
    assert_eq!(r["identity"]["listener_rule_arn"], t.s.rule());
    assert!(r["display_name"].as_str().unwrap_or_default().ends_with("(+2 routes)"), "{r}");
    let routes = r["resource_object"]["route"].as_array().cloned().unwrap_or_default();
    let pointers: Vec<&str> =
        routes.iter().map(|x| x["listener_rule_arn"].as_str().or(x["listener_arn"].as_str()).unwrap()).collect();
    assert_eq!(pointers, [t.rule.as_str(), t.listener.as_str()], "{r}");
    assert!(routes.iter().all(|x| x["active_color"] == "blue" && x["standby_traffic_percent"] == 0), "{r}");
    // The generated file: the release with both routes and an import block by identity,
    // which imports the same routes, so applying it only imports.
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert_eq!(generated.matches("route {").count(), 2, "{generated}");
    assert!(!generated.contains("active_color"), "{generated}");
    let applied = wd.apply();
    assert!(
        applied.stdout.contains("Resources: 1 imported, 0 added, 0 changed, 0 destroyed"),
        "{}\n{generated}",
        applied.all()
    );
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "generated config must plan clean after apply:\n{}\n{generated}", plan.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_rule_arn_finds_the_routes_too_and_a_configuration_without_them_only_forgets_them() {
    let emu = Emulator::start();
    let t = Topology::create(&emu);
    let id = format!("{}/{}", t.s.cluster, t.s.rule());
    let release =
        |body: &str| format!("{}{}", provider_block(&emu.endpoint()), t.s.release_hcl("listener_rule_arn", body));
    // Written with the routes: the import by ARN records them; the plan is empty.
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &release(&t.routes_hcl()));
    emu.reset_requests();
    wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &id]);
    // The cost of finding the routes: the pair's load balancer read as import by service
    // and query read it (DescribeTargetGroups, one DescribeListeners, one DescribeRules
    // per listener: 80, the test listener and 8443), beside the named rule's own read,
    // its colors (DescribeTags) and the cluster's ECS-native configuration; then the
    // refresh reads the primary and the routes, one call per listener (the rule on :80,
    // the rule on 8443, the listener's default action).
    let requests = emu.requests()["by_action"].clone();
    assert_eq!(requests["DescribeTargetGroups"], 1, "{requests}");
    assert_eq!(requests["DescribeListeners"], 1 + 1, "{requests}");
    assert_eq!(requests["DescribeRules"], 1 + 3 + 2, "{requests}");
    assert_eq!(requests["DescribeTags"], 1, "{requests}");
    assert_eq!(requests["ListServices"], 1, "{requests}");
    assert_eq!(requests["DescribeServices"], 1, "{requests}");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "{}", plan.all());
    // Written by hand for the one rule: the plan shows the two routes the import found
    // being dropped (an in-place update, nothing added or replaced), so the user sees
    // the pointers that would not move with this release. Applying it forgets them and
    // writes nothing; the next plan is empty.
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &release(""));
    wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &id]);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "{}", plan.all());
    assert!(plan.stdout.contains("0 to add, 1 to change, 0 to destroy"), "{}", plan.stdout);
    assert_eq!(plan.stdout.matches("- route {").count(), 2, "{}", plan.stdout);
    assert!(plan.stdout.contains(&t.listener) && plan.stdout.contains(&t.rule), "{}", plan.stdout);
    emu.reset_requests();
    wd.apply();
    assert_eq!(emu.request_count("ModifyRule") + emu.request_count("ModifyListener"), 0, "forgetting writes nothing");
    assert_eq!(wd.plan_exit_code().code, 0);
    assert!(!shown(&wd).contains("route {"));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_route_that_an_ecs_native_service_moves_is_imported_with_a_warning_naming_it() {
    let emu = Emulator::start();
    // ECS native blue/green: its productionListenerRule names both groups; a second rule
    // on the listener names them too, and is the one imported by ARN.
    let s = Scaffold::create(&emu, "nat", &["--colors", "tag", "--services", "ecs-native", "--test-listener"]);
    let other = create_rules(&emu, &s.listener_arn, &s.blue_tg, 1).remove(0);
    let weights = format!("{}=100,{}=0", s.blue_tg, s.green_tg);
    scaffold::run(&emu, "flip", &["--rule-arn", &other, "--weights", &weights]);
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}{}",
            provider_block(&emu.endpoint()),
            s.release_hcl("listener_rule_arn", "").replace(s.rule(), &other)
        ),
    );
    let out =
        wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &format!("{}/{other}", s.cluster)]);
    // The service's production rule is a route, and said to be ECS's too; its test rule
    // stays the release's test pointer (the pair's testListenerRule), never a route.
    let all = out.all().replace('│', " ").split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(all.contains(&format!("ECS service {}/nat also writes this pointer", s.cluster)), "{all}");
    assert!(all.contains(&format!("{} is the productionListenerRule of ECS service nat", s.rule())), "{all}");
    let state = shown(&wd);
    assert_eq!(state.matches("route {").count(), 1, "{state}");
    assert!(state.contains(&format!("listener_rule_arn       = \"{}\"", s.rule())), "{state}");
    let test_rule = s.test_rule_arn.as_deref().unwrap();
    assert!(state.contains(&format!("test_listener_rule_arn   = \"{test_rule}\"")), "{state}");
    assert_eq!(state.matches(test_rule).count(), 1, "{state}");
}
