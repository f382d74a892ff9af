//! Import of bluegreen_ecs_release by every ID form, by `import {}` block and by
//! identity, each followed by an empty plan; colour resolution; bad IDs.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold;
use acceptance_tests::scaffold::Scaffold;
use acceptance_tests::terraform::{Workdir, provider_block, terraform_version, writes_generated_config_from_state};

fn setup(emu: &Emulator, s: &Scaffold, pointer_attr: &str, extra: &str) -> Workdir {
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}{}{extra}",
            provider_block(&emu.endpoint()),
            s.release_hcl(pointer_attr, "  active_color = \"blue\"")
        ),
    );
    wd
}

fn import_then_plan_is_empty(wd: &Workdir, id: &str) {
    let out = wd.ok(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", id]);
    assert!(out.stdout.contains("Import successful"), "{}", out.all());
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "plan after importing {id} must be empty:\n{}", plan.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn importing_by_cluster_name_against_a_config_with_its_arn_is_no_replacement() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "tag"]);
    let cluster_arn = s.raw["cluster_arn"].as_str().unwrap().to_string();
    let wd = Workdir::new(&emu.endpoint());
    let hcl = s
        .release_hcl("listener_rule_arn", "  active_color = \"blue\"")
        .replace(&format!("cluster = \"{}\"", s.cluster), &format!("cluster = \"{cluster_arn}\""));
    assert!(hcl.contains(&cluster_arn));
    wd.write("main.tf", &format!("{}{hcl}", provider_block(&emu.endpoint())));
    wd.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "bluegreen_ecs_release.app",
        &format!("{}/{}", s.cluster, s.rule()),
    ]);
    let plan = wd.run(&["plan", "-input=false", "-no-color"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    assert!(plan.stdout.contains("will be updated in-place"), "the name becomes the ARN in place:\n{}", plan.stdout);
    assert!(!plan.stdout.contains("must be replaced"), "{}", plan.stdout);
    emu.reset_requests();
    wd.apply();
    let writes = emu.request_count("ModifyRule");
    assert_eq!(writes, 0, "respelling the cluster moves no traffic");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_rule_arn_with_colors_from_tags() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "tag"]);
    let wd = setup(&emu, &s, "listener_rule_arn", "");
    import_then_plan_is_empty(&wd, &format!("{}/{}", s.cluster, s.rule()));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_service_with_colors_from_names() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "shop", &["--colors", "name", "--services", "two"]);
    let wd = setup(&emu, &s, "listener_rule_arn", "");
    import_then_plan_is_empty(&wd, &format!("{}/shop-blue", s.cluster));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_service_finds_a_pointer_past_the_first_page_of_rules() {
    let emu = Emulator::start();
    // The pointer is the listener's default action, which DescribeRules lists last; 401
    // other rules push it past the first page even at the largest page size (400).
    let s = Scaffold::create(&emu, "shop", &["--pointer", "listener", "--colors", "tag", "--services", "two"]);
    let other = Scaffold::create(&emu, "other", &[]);
    acceptance_tests::scaffold::create_rules(&emu, &s.listener_arn, &other.blue_tg, 401);
    let wd = setup(&emu, &s, "listener_arn", "");
    import_then_plan_is_empty(&wd, &format!("{}/shop-blue", s.cluster));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_by_listener_arn() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "web", &["--pointer", "listener", "--colors", "tag"]);
    let wd = setup(&emu, &s, "listener_arn", "");
    import_then_plan_is_empty(&wd, &format!("{}/{}", s.cluster, s.listener_arn));
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_block_and_identity_import_then_plan_is_empty() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "tag"]);
    let by_id = format!("\nimport {{\n  to = bluegreen_ecs_release.app\n  id = \"{}/{}\"\n}}\n", s.cluster, s.rule());
    let by_identity = format!(
        "\nimport {{\n  to = bluegreen_ecs_release.app\n  identity = {{\n    cluster = \"{}\"\n    listener_rule_arn = \"{}\"\n  }}\n}}\n",
        s.cluster,
        s.rule()
    );
    for import in [by_id, by_identity] {
        let wd = setup(&emu, &s, "listener_rule_arn", &import);
        let plan = wd.run(&["plan", "-input=false", "-no-color"]);
        if writes_generated_config_from_state() {
            // Terraform <= 1.13 writes generated configuration from the import's state,
            // so the import's refresh withholds the adopted traffic (import_adoption):
            // a configuration that sets active_color shows it set, and applying that
            // writes nothing.
            assert!(plan.stdout.contains("1 to import, 0 to add, 1 to change, 0 to destroy"), "{}", plan.all());
            assert!(plan.stdout.contains("+ active_color"), "{}", plan.all());
        } else {
            assert!(plan.stdout.contains("1 to import, 0 to add, 0 to change, 0 to destroy"), "{}", plan.all());
        }
        emu.reset_requests();
        wd.apply();
        assert_eq!(emu.request_count("ModifyRule"), 0, "an import writes nothing");
        assert_eq!(wd.plan_exit_code().code, 0);
        if terraform_version() < (1, 12) {
            break; // identity import is Terraform 1.12+
        }
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn generated_configuration_plans_clean() {
    let emu = Emulator::start();
    // A (non-native) test listener too: it is no input of the imported release.
    let s = Scaffold::create(&emu, "app", &["--colors", "tag", "--test-listener"]);
    let wd = Workdir::new(&emu.endpoint());
    wd.write(
        "main.tf",
        &format!(
            "{}\nimport {{\n  to = bluegreen_ecs_release.app\n  id = \"{}/{}\"\n}}\n",
            provider_block(&emu.endpoint()),
            s.cluster,
            s.rule()
        ),
    );
    let out = wd.run(&["plan", "-input=false", "-no-color", "-generate-config-out=generated.tf"]);
    assert_eq!(out.code, 0, "{}", out.all());
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    // Only the inputs are set: the imported release adopts. Terraform >= 1.14 asks the
    // provider (GenerateResourceConfig), which leaves the traffic out; older ones write
    // every optional attribute from the import's state, where the provider withheld it.
    let set_lines: Vec<&str> = generated.lines().filter(|l| l.contains(" = ") && !l.ends_with("= null")).collect();
    let set = set_lines.join("\n");
    assert!(set.contains(&s.blue_tg) && set.contains(&s.green_tg), "{generated}");
    assert!(set.contains(&format!("\"{}\"", s.rule())), "{generated}");
    for left_out in ["active_color", "standby_traffic_percent", "standby_color", "_target_group_arn "] {
        assert!(!set.contains(left_out), "{left_out} must not be generated with a value:\n{generated}");
    }
    if !writes_generated_config_from_state() {
        assert!(!generated.contains("active_color"), "{generated}");
    }
    wd.apply();
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "generated config must plan clean:\n{}\n{generated}", plan.all());
    // The deploy tool flips traffic: the generated release follows it.
    scaffold::run(&emu, "flip", &["--rule-arn", s.rule(), "--to", &s.green_tg]);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "the generated release must adopt the flip:\n{}\n{generated}", plan.all());
    wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let shown = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]);
    let active = shown.stdout.lines().find(|l| l.trim_start().starts_with("active_color ")).unwrap_or_default();
    assert!(active.ends_with("= \"green\""), "{}", shown.stdout);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_records_the_ecs_native_test_rule_and_no_other() {
    let emu = Emulator::start();
    // ECS-native: testListenerRule names the test pointer; import records it (as
    // `terraform query` lists it), so a configuration naming it plans clean.
    let native = Scaffold::create(&emu, "nat", &["--colors", "tag", "--services", "ecs-native", "--test-listener"]);
    let test_rule = native.test_rule_arn.clone().unwrap();
    let with_test = format!("  test_listener_rule_arn = \"{test_rule}\"");
    for id in [format!("{}/{}", native.cluster, native.rule()), format!("{}/nat", native.cluster)] {
        let wd = Workdir::new(&emu.endpoint());
        wd.write(
            "main.tf",
            &format!("{}{}", provider_block(&emu.endpoint()), native.release_hcl("listener_rule_arn", &with_test)),
        );
        import_then_plan_is_empty(&wd, &id);
        let state = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]);
        assert!(state.stdout.contains(&test_rule), "{id}: {}", state.all());
    }
    // A rule forwarding to the standby alone, not ECS-native: not a test pointer.
    let plain = Scaffold::create(&emu, "plain", &["--colors", "tag", "--test-listener"]);
    let wd = setup(&emu, &plain, "listener_rule_arn", "");
    wd.ok(&[
        "import",
        "-input=false",
        "-no-color",
        "bluegreen_ecs_release.app",
        &format!("{}/{}", plain.cluster, plain.rule()),
    ]);
    let state = wd.ok(&["state", "show", "-no-color", "bluegreen_ecs_release.app"]);
    assert!(!state.stdout.contains(plain.test_rule_arn.as_deref().unwrap()), "{}", state.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn import_without_any_color_hint_says_to_add_the_tag() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "none", "--stickiness"]);
    // A weighted forward naming both target groups, neither tagged nor named by colour.
    acceptance_tests::scaffold::run(
        &emu,
        "flip",
        &["--rule-arn", s.rule(), "--weights", &format!("{}=100,{}=0", s.blue_tg, s.green_tg)],
    );
    let wd = setup(&emu, &s, "listener_rule_arn", "");
    let out = wd.run(&[
        "import",
        "-input=false",
        "-no-color",
        "bluegreen_ecs_release.app",
        &format!("{}/{}", s.cluster, s.rule()),
    ]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Cannot tell blue from green") && err.contains("bluegreen:color"), "{err}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn bad_import_ids_are_diagnostics_naming_the_part() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--colors", "tag"]);
    let wd = setup(&emu, &s, "listener_rule_arn", "");
    let rule = s.rule();
    let cases: Vec<(String, &str)> = vec![
        ("app-cluster".into(), "SERVICE"),
        ("app-cluster/".into(), "SERVICE"),
        (format!("/{rule}"), "CLUSTER"),
        (format!("bad cluster/{rule}"), "ID"),
        (format!("app-cluster/{}", s.blue_tg), "LISTENER_RULE_ARN"),
        // An NLB listener is a pointer (issue 24); a rule on one does not exist.
        ("app-cluster/arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/net/x/1/2/3".into(), "LISTENER_RULE_ARN"),
        ("app-cluster/app.blue".into(), "SERVICE"),
        ("arn:aws:iam::123456789012:role/x/app".into(), "CLUSTER"),
        ("arn:aws:ecs:us-east-1:123456789012:cluster/app-cluster".into(), "SERVICE"),
        (format!("{}/{rule}", "x".repeat(300)), "CLUSTER"),
        ("c$/svc".into(), "CLUSTER"),
    ];
    assert!(cases.len() >= 10);
    for (id, part) in cases {
        let out = wd.run(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &id]);
        assert_eq!(out.code, 1, "{id}: {}", out.all());
        let err = out.stderr.replace('\n', " ");
        assert!(err.contains(&format!("Invalid import ID ({part})")), "{id}: expected part {part}: {err}");
        assert!(err.contains("CLUSTER/SERVICE"), "{id}: the forms are shown: {err}");
        assert!(!err.contains("plugin crashed") && !err.contains("panic"), "{err}");
    }
    // IDs that parse but name nothing are diagnostics too.
    let missing = format!("{}/{}", s.cluster, rule.replace(&rule[rule.len() - 4..], "dead"));
    let out = wd.run(&["import", "-input=false", "-no-color", "bluegreen_ecs_release.app", &missing]);
    assert_eq!(out.code, 1);
    assert!(out.stderr.contains("not found"), "{}", out.all());
}
