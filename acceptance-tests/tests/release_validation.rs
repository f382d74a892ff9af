//! Bad configurations through real Terraform: every one is an error diagnostic that
//! points at its attribute and says how to fix it; none crashes the plugin. Plus the
//! AWS request budget of a refresh and of a promotion.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Workdir, provider_block};

const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
const LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-blue/73e2d6bc24d8a067";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-green/83e2d6bc24d8a068";

fn release(lines: &str) -> String {
    format!("resource \"bluegreen_ecs_release\" \"app\" {{\n{lines}\n}}\n")
}

fn base(overrides: &[(&str, &str)], extra: &str) -> String {
    let mut attrs = vec![
        ("cluster", "\"prod\"".to_string()),
        ("listener_rule_arn", format!("\"{RULE}\"")),
        ("active_color", "\"blue\"".to_string()),
    ];
    for (k, v) in overrides {
        attrs.retain(|(a, _)| a != k);
        if !v.is_empty() {
            attrs.push((k, v.to_string()));
        }
    }
    let mut body: String = attrs.iter().map(|(k, v)| format!("  {k} = {v}\n")).collect();
    if !extra.contains("blue {") {
        body.push_str(&format!("  blue {{\n    target_group_arn = \"{BLUE}\"\n  }}\n"));
    }
    if !extra.contains("green {") {
        body.push_str(&format!("  green {{\n    target_group_arn = \"{GREEN}\"\n  }}\n"));
    }
    body.push_str(extra);
    release(&body)
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn bad_configurations_are_diagnostics_at_their_attribute() {
    let emu = Emulator::start();
    let cases: Vec<(String, &str, &str)> = vec![
        (base(&[("active_color", "\"purple\"")], ""), "active_color", "\"blue\" or \"green\""),
        (base(&[("standby_traffic_percent", "101")], ""), "standby_traffic_percent", "0 to 50"),
        (base(&[("standby_traffic_percent", "-5")], ""), "standby_traffic_percent", "0 to 50"),
        (base(&[("standby_traffic_percent", "80")], ""), "standby_traffic_percent", "Switch `active_color`"),
        (
            base(&[], &format!("  green {{\n    target_group_arn = \"{BLUE}\"\n  }}\n")),
            "target_group_arn",
            "two different target groups",
        ),
        (base(&[("listener_arn", &format!("\"{LISTENER}\""))], ""), "listener_arn", "exactly one"),
        (base(&[("listener_rule_arn", "")], ""), "listener_rule_arn", "exactly one"),
        (base(&[("listener_rule_arn", &format!("\"{LISTENER}\""))], ""), "listener_rule_arn", "use `listener_arn`"),
        (
            base(&[("listener_rule_arn", "\"rule-1\"")], ""),
            "listener_rule_arn",
            "expected arn:aws:elasticloadbalancing",
        ),
        (base(&[], "  blue {\n    target_group_arn = \"app-blue\"\n  }\n"), "target_group_arn", "targetgroup/NAME/ID"),
        (base(&[("cluster", "\"my cluster\"")], ""), "cluster", "cluster name"),
        (base(&[], "  promotion {\n    wait_timeout = \"5 minutes\"\n  }\n"), "wait_timeout", "\"5m\""),
        (base(&[], "  promotion {\n    bake_time = \"10\"\n  }\n"), "bake_time", "missing unit"),
        (base(&[], "  promotion {\n    min_healthy_targets = -1\n  }\n"), "min_healthy_targets", "from 0"),
        (base(&[], "  promotion {\n    alarm_names = [\"\"]\n  }\n"), "alarm_names", "alarm name"),
        (base(&[], "  timeouts {\n    update = \"soon\"\n  }\n"), "update", "\"10m\""),
        (base(&[("test_listener_rule_arn", &format!("\"{RULE}\""))], ""), "test_listener_rule_arn", "must differ"),
        (
            base(
                &[],
                "  promotion {\n    hook {\n      stage = \"POST_TEST_TRAFFIC_SHIFT\"\n      lambda_function_arn = \"arn:aws:lambda:us-east-1:123456789012:function:smoke\"\n      hook_details = \"S3_BUCKET_NAME=my-approval-bucket\"\n    }\n  }\n",
            ),
            "hook_details",
            "jsonencode",
        ),
        (base(&[("cluster", &format!("\"{}\"", "\u{1F600}".repeat(3)))], ""), "cluster", "cluster name"),
    ];
    assert!(cases.len() >= 15);
    let wd = Workdir::new(&emu.endpoint());
    for (i, (hcl, attr, fix)) in cases.iter().enumerate() {
        wd.write("main.tf", &format!("{}{hcl}", provider_block(&emu.endpoint())));
        let out = wd.run(&["validate", "-json", "-no-color"]);
        assert_eq!(out.code, 1, "case {i} ({attr}) was accepted:\n{hcl}\n{}", out.all());
        let v: serde_json::Value = serde_json::from_str(&out.stdout).expect("validate JSON");
        let diags = v["diagnostics"].as_array().unwrap();
        let hit = diags.iter().find(|d| {
            d["severity"] == "error"
                && d["detail"].as_str().unwrap_or_default().replace('\n', " ").contains(fix)
                // At the attribute; an attribute that is missing is named in the text.
                && (d["snippet"]["code"].as_str().unwrap_or_default().contains(attr)
                    || d["detail"].as_str().unwrap_or_default().contains(&format!("`{attr}`")))
        });
        assert!(hit.is_some(), "case {i}: no error at {attr} saying {fix:?}:\n{hcl}\n{}", out.stdout);
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn bad_provider_configuration_is_reported_at_its_attribute() {
    let emu = Emulator::start();
    let wd = Workdir::new(&emu.endpoint());
    let provider = provider_block(&emu.endpoint())
        .replace("max_retries = 2", "max_retries = -3")
        .replace("region = \"us-east-1\"", "region = \"US East\"");
    wd.write("main.tf", &format!("{provider}{}", base(&[], "")));
    let out = wd.run(&["validate", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Invalid max_retries") && err.contains("max_retries = -3"), "{err}");
    assert!(err.contains("Invalid AWS region") && err.contains("\"us-east-1\""), "{err}");
    assert!(!err.contains("crash") && !err.contains("panic"), "{err}");
}

/// Requests the emulator counted, by action.
fn counts(emu: &Emulator) -> (i64, serde_json::Map<String, serde_json::Value>) {
    let r = emu.requests();
    (r["total"].as_i64().unwrap(), r["by_action"].as_object().unwrap().clone())
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn refresh_costs_one_read_and_promotion_two_reads_the_gate_and_one_write() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let mut wd = Workdir::new(&emu.endpoint());
    let write = |color: &str| {
        format!(
            "{}{}",
            provider_block(&emu.endpoint()),
            s.release_hcl("listener_rule_arn", &format!("  active_color = \"{color}\""))
        )
    };
    wd.write("main.tf", &write("blue"));
    wd.apply();

    emu.reset_requests();
    wd.set_env("TF_LOG_PROVIDER", "INFO");
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0);
    assert!(plan.stderr.contains("provider configured"), "the INFO line reaches Terraform:\n{}", plan.stderr);
    let (total, by_action) = counts(&emu);
    assert_eq!(total, 1, "a refresh of one release costs one AWS read: {by_action:?}");
    assert_eq!(by_action.get("DescribeRules").and_then(|v| v.as_i64()), Some(1), "{by_action:?}");

    wd.write("main.tf", &write("green"));
    wd.ok(&["plan", "-input=false", "-no-color", "-out=promote.tfplan"]);
    emu.reset_requests();
    wd.ok(&["apply", "-input=false", "-no-color", "promote.tfplan"]);
    let (total, by_action) = counts(&emu);
    let n = |a: &str| by_action.get(a).and_then(|v| v.as_i64()).unwrap_or(0);
    // The first read compares live with the plan; the second, right before the write,
    // makes sure nothing changed while the gate waited.
    assert_eq!(n("DescribeRules"), 2, "two pointer reads: {by_action:?}");
    assert_eq!(n("ModifyRule"), 1, "one write: {by_action:?}");
    let gate = n("DescribeTargetHealth") + n("ListServices") + n("DescribeServices") + n("DescribeAlarms");
    assert_eq!(total, 3 + gate, "nothing but the pointer reads, the gate's reads and the write: {by_action:?}");
    assert!(gate <= 3, "the gate reads health once and the services once: {by_action:?}");
    let live = acceptance_tests::forward_weights_sorted(
        &scaffold::run(&emu, "describe", &["--rule-arn", s.rule()])["actions"],
    );
    assert!(live.contains(&(s.green_tg.clone(), 100)) && live.contains(&(s.blue_tg.clone(), 0)), "{live:?}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn hostile_input_is_a_diagnostic_never_a_crash() {
    let emu = Emulator::start();
    let wd = Workdir::new(&emu.endpoint());
    let huge = "a".repeat(200_000);
    let cases: Vec<(String, &str)> = vec![
        (base(&[("cluster", &format!("\"{huge}\""))], ""), "Invalid ECS cluster"),
        (
            base(&[("listener_rule_arn", &format!("\"arn:aws:elasticloadbalancing:{huge}\""))], ""),
            "Invalid listener rule ARN",
        ),
        (base(&[("active_color", "\"bl\\u00fce\"")], ""), "Invalid active_color"),
        (base(&[("active_color", "\"blue\\n\"")], ""), "Invalid active_color"),
        (base(&[("cluster", "\"prod\\u0000x\"")], ""), "Invalid ECS cluster"),
        (base(&[("listener_rule_arn", &format!("\"{RULE}\\t\""))], ""), "Invalid listener rule ARN"),
        (base(&[("standby_traffic_percent", "1e300")], ""), "standby_traffic_percent"),
        (base(&[("standby_traffic_percent", "-0.5")], ""), "standby_traffic_percent"),
        (
            base(&[], &format!("  promotion {{\n    wait_timeout = \"{}\"\n  }}\n", "9".repeat(5000))),
            "Invalid wait_timeout",
        ),
        (base(&[], "  promotion {\n    bake_time = \"\u{1F600}s\"\n  }\n"), "Invalid bake_time"),
        (
            base(&[], &format!("  promotion {{\n    alarm_names = [{}]\n  }}\n", vec!["\"a\""; 501].join(","))),
            "Too many alarms",
        ),
    ];
    for (i, (hcl, summary)) in cases.iter().enumerate() {
        wd.write("main.tf", &format!("{}{hcl}", provider_block(&emu.endpoint())));
        let out = wd.run(&["validate", "-no-color"]);
        assert_eq!(out.code, 1, "case {i} accepted");
        assert!(
            out.stderr.contains(summary),
            "case {i}: no {summary:?} in {}",
            &out.stderr[..out.stderr.len().min(2000)]
        );
        assert!(!out.reports_crash(), "case {i} crashed the provider");
    }

    // Wrong types through -var: Terraform converts or refuses before the provider; what
    // converts is then checked by the provider.
    let with_var = format!(
        "{}variable \"percent\" {{\n  type = number\n}}\nvariable \"color\" {{\n  type = string\n}}\n{}",
        provider_block(&emu.endpoint()),
        base(&[("standby_traffic_percent", "var.percent"), ("active_color", "var.color")], "")
    );
    wd.write("main.tf", &with_var);
    let out = wd.run(&["validate", "-no-color"]);
    assert_eq!(out.code, 0, "unknown variables are accepted at validate: {}", out.all());
    for (vars, expect) in [
        (["-var=percent=abc", "-var=color=blue"], "a number is required"),
        (["-var=percent=70", "-var=color=blue"], "Standby share above 50%"),
        (["-var=percent=5", "-var=color=[\"blue\"]"], "Invalid active_color"),
        (["-var=percent=5", "-var=color=GREEN"], "Invalid active_color"),
    ] {
        let mut args = vec!["plan", "-input=false", "-no-color"];
        args.extend(vars);
        let out = wd.run(&args);
        assert_eq!(out.code, 1, "{vars:?}: {}", out.all());
        assert!(out.stderr.replace('\n', " ").contains(expect), "{vars:?}: expected {expect:?}: {}", out.stderr);
        assert!(!out.reports_crash());
    }

    // The same configuration fed back as JSON syntax, with hostile values.
    std::fs::remove_file(wd.path().join("main.tf")).unwrap();
    wd.write("provider.tf", &provider_block(&emu.endpoint()));
    let json = serde_json::json!({"resource": {"bluegreen_ecs_release": {"app": {
        "cluster": "prod\u{202e}evil",
        "listener_rule_arn": RULE,
        "active_color": {"nested": "object"},
        "blue": [{"target_group_arn": BLUE}],
        "green": [{"target_group_arn": GREEN}]
    }}}});
    wd.write("main.tf.json", &json.to_string());
    let out = wd.run(&["validate", "-no-color"]);
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(
        out.stderr.contains("Incorrect attribute value type") || out.stderr.contains("string required"),
        "{}",
        out.stderr
    );
    assert!(!out.reports_crash());
}
