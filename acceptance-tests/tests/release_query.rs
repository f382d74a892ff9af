//! `terraform query` with the `bluegreen_ecs_release` list resource, and
//! `-generate-config-out` (GenerateResourceConfig) from `terraform query` and from
//! `terraform plan` with an `import {}` block: real Terraform, real provider, emulator.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::Scaffold;
use acceptance_tests::terraform::{Output, Workdir, provider_block};
use serde_json::Value;
use std::collections::BTreeSet;

const CLUSTER: &str = "shared";

/// One cluster serving six scaffolds: colors by tag, colors by name with a listener
/// default action as the pointer, Spinnaker server groups, ECS-native blue/green with a
/// test listener rule, a detached green found by its name (`solo-green`: the rule
/// forwards to `solo-blue` alone), and a half-built pair (a single-group rule to a
/// tagged blue group whose green nothing names).
struct Cluster {
    tags: Scaffold,
    names: Scaffold,
    spin: Scaffold,
    native: Scaffold,
    solo: Scaffold,
    half: Scaffold,
}

fn cluster(emu: &Emulator) -> Cluster {
    let create = |name: &str, args: &[&str]| {
        let mut all = vec!["--cluster", CLUSTER];
        all.extend_from_slice(args);
        Scaffold::create(emu, name, &all)
    };
    Cluster {
        tags: create("tags", &["--colors", "tag"]),
        names: create("names", &["--colors", "name", "--pointer", "listener"]),
        spin: create("spin", &["--colors", "name", "--services", "spinnaker"]),
        native: create("native", &["--colors", "tag", "--services", "ecs-native", "--test-listener"]),
        solo: create("solo", &["--colors", "name", "--forward", "single"]),
        half: create("half", &["--colors", "tag", "--forward", "single"]),
    }
}

fn workdir(emu: &Emulator) -> Workdir {
    let wd = Workdir::new(&emu.endpoint());
    wd.write("main.tf", &provider_block(&emu.endpoint()));
    wd
}

/// What one `terraform query -json` reported.
struct Query {
    out: Output,
    /// `list_resource_found` objects: display_name, identity, resource_object.
    results: Vec<Value>,
    /// Diagnostics with their severity, summary and detail.
    diagnostics: Vec<Value>,
}

impl Query {
    fn names(&self) -> Vec<String> {
        let mut n: Vec<String> =
            self.results.iter().map(|r| r["display_name"].as_str().unwrap_or_default().to_string()).collect();
        n.sort();
        n
    }
    fn warnings(&self) -> Vec<String> {
        self.diagnostics
            .iter()
            .filter(|d| d["severity"] == "warning" && !d["summary"].as_str().unwrap_or("").contains("overrides"))
            .map(|d| format!("{}: {}", d["summary"].as_str().unwrap_or(""), d["detail"].as_str().unwrap_or("")))
            .collect()
    }
}

/// Writes `list.tfquery.hcl` (one `list` block with `config { BODY }` and the block-level
/// `extra` arguments) and runs `terraform query -json ARGS`.
fn query(wd: &Workdir, body: &str, extra: &str, args: &[&str]) -> Query {
    wd.write(
        "list.tfquery.hcl",
        &format!(
            "list \"bluegreen_ecs_release\" \"all\" {{\n  provider = bluegreen\n{extra}\n  config {{\n{body}\n  }}\n}}\n"
        ),
    );
    let mut all = vec!["query", "-json", "-no-color"];
    all.extend_from_slice(args);
    let out = wd.run(&all);
    let mut results = Vec::new();
    let mut diagnostics = Vec::new();
    for line in out.stdout.lines() {
        let Ok(v) = serde_json::from_str::<Value>(line) else { continue };
        match v["type"].as_str() {
            Some("list_resource_found") => results.push(v["list_resource_found"].clone()),
            Some("diagnostic") => diagnostics.push(v["diagnostic"].clone()),
            _ => {}
        }
    }
    Query { out, results, diagnostics }
}

fn cluster_config() -> String {
    format!("    cluster = \"{CLUSTER}\"")
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn query_lists_every_pair_of_the_cluster_and_warns_about_a_half_built_one() {
    let emu = Emulator::start();
    let c = cluster(&emu);
    let wd = workdir(&emu);
    emu.reset_requests();
    let q = query(&wd, &cluster_config(), "  include_resource = true", &[]);
    assert_eq!(q.out.code, 0, "{}", q.out.all());
    let requests = emu.requests()["by_action"].clone();
    let tail = |arn: &str| arn[arn.len() - 4..].to_string();
    assert_eq!(
        q.names(),
        [
            format!("names · listener :80 …/{} → blue", tail(&c.names.listener_arn)),
            format!("native · rule …/{} → blue", tail(c.native.rule())),
            format!("solo · rule …/{} → blue", tail(c.solo.rule())),
            format!("spin-prod · rule …/{} → blue", tail(c.spin.rule())),
            format!("tags · rule …/{} → blue", tail(c.tags.rule())),
        ],
        "{}",
        q.out.all()
    );
    // Identity and the resource object as import records them.
    let by_rule = |rule: &str| {
        q.results.iter().find(|r| r["identity"]["listener_rule_arn"] == rule).unwrap_or_else(|| panic!("{rule}"))
    };
    let tags = by_rule(c.tags.rule());
    assert_eq!(tags["identity"]["cluster"], CLUSTER);
    assert_eq!(tags["identity"]["listener_arn"], Value::Null);
    let state = &tags["resource_object"];
    assert_eq!(state["blue"][0]["target_group_arn"], c.tags.blue_tg.as_str());
    assert_eq!(state["green"][0]["target_group_arn"], c.tags.green_tg.as_str());
    assert_eq!(state["active_color"], "blue");
    assert_eq!(state["standby_traffic_percent"], 0);
    // ECS-native: the pair, production and test rules from advancedConfiguration.
    let native = &by_rule(c.native.rule())["resource_object"];
    assert_eq!(native["green"][0]["target_group_arn"], c.native.green_tg.as_str());
    assert_eq!(native["test_listener_rule_arn"], c.native.test_rule_arn.as_deref().unwrap());
    let names = q.results.iter().find(|r| r["identity"]["listener_arn"] == c.names.listener_arn.as_str()).unwrap();
    assert_eq!(names["resource_object"]["blue"][0]["target_group_arn"], c.names.blue_tg.as_str());
    // The detached green is paired by its name, and the result says it is detached.
    let solo = &by_rule(c.solo.rule())["resource_object"];
    assert_eq!(solo["green"][0]["target_group_arn"], c.solo.green_tg.as_str());
    // The half-built pair is a warning on the stream; the others were still listed. The
    // ECS-native release's result names the service that also moves its rules.
    let warnings = q.warnings();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains(&format!("ECS service {CLUSTER}/native also writes this pointer"))),
        "{warnings:?}"
    );
    assert!(warnings.iter().any(|w| w.contains("one color only") && w.contains(&c.half.blue_tg)), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains("green target group is detached") && w.contains(&c.solo.green_tg)),
        "{warnings:?}"
    );
    // Bounded cost: one listing of the cluster, batched target group reads (by ARN, and
    // by name for the one unpaired group with a color word), one DescribeListeners per
    // load balancer (6) and one DescribeRules per listener (7).
    assert_eq!(requests["ListServices"], 1, "{requests}");
    assert_eq!(requests["DescribeServices"], 1, "{requests}");
    assert_eq!(requests["DescribeTargetGroups"], 2, "{requests}");
    assert_eq!(requests["DescribeTags"], 1, "{requests}");
    assert_eq!(requests["DescribeListeners"], 6, "{requests}");
    assert_eq!(requests["DescribeRules"], 7, "{requests}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn query_filters_limit_ambiguity_and_bad_config() {
    let emu = Emulator::start();
    let c = cluster(&emu);
    let wd = workdir(&emu);
    let by_listener =
        query(&wd, &format!("{}\n    listener_arn = \"{}\"", cluster_config(), c.names.listener_arn), "", &[]);
    assert_eq!(by_listener.out.code, 0, "{}", by_listener.out.all());
    assert_eq!(by_listener.results.len(), 1, "{}", by_listener.out.all());
    assert_eq!(by_listener.results[0]["identity"]["listener_arn"], c.names.listener_arn.as_str());
    assert!(by_listener.warnings().is_empty(), "{:?}", by_listener.warnings());
    // The half-built pair's rule is on its listener: the warning is shown there.
    let half = query(&wd, &format!("{}\n    listener_arn = \"{}\"", cluster_config(), c.half.listener_arn), "", &[]);
    assert!(half.results.is_empty() && half.warnings().len() == 1, "{}", half.out.all());

    let by_prefix = query(&wd, &format!("{}\n    service_name_prefix = \"spin-\"", cluster_config()), "", &[]);
    assert_eq!(by_prefix.names().len(), 1, "{}", by_prefix.out.all());
    assert!(by_prefix.names()[0].starts_with("spin-prod · rule"), "{:?}", by_prefix.names());

    let limited = query(&wd, &cluster_config(), "  limit = 2", &[]);
    assert_eq!(limited.out.code, 0, "{}", limited.out.all());
    assert_eq!(limited.results.len(), 2, "{}", limited.out.all());
    assert!(limited.results.iter().all(|r| r["resource_object"].is_null()), "no include_resource, no object");
    // Warnings are sent before the releases, so the cut loses none ("half" sorts after
    // the first two releases), and the cut itself is a warning.
    let w = limited.warnings();
    assert!(w.iter().any(|w| w.contains("one color only") && w.contains(&c.half.blue_tg)), "{w:?}");
    assert!(w.iter().any(|w| w.contains("List cut at the limit") && w.contains("Found 5 releases")), "{w:?}");
    let unlimited = query(&wd, &cluster_config(), "  limit = 5", &[]);
    assert!(!unlimited.warnings().iter().any(|w| w.contains("List cut")), "{:?}", unlimited.warnings());

    // A second pointer for the tags pair (a listener on 8443 also naming both groups):
    // it used to make the pair ambiguous (a warning, not listed); now it moves with the
    // release as its route. The rule on port 80 stays primary (443, then 80, first), so
    // the other four and the tags release list as before, the tags one with its route.
    let https = second_listener(&emu, &c.tags);
    let with_route = query(&wd, &cluster_config(), "  include_resource = true", &[]);
    assert_eq!(with_route.out.code, 0, "{}", with_route.out.all());
    assert_eq!(with_route.results.len(), 5, "{}", with_route.out.all());
    let tail = |arn: &str| arn[arn.len() - 4..].to_string();
    let tags_name = format!("tags · rule …/{} → blue (+1 route)", tail(c.tags.rule()));
    assert!(with_route.names().contains(&tags_name), "{:?}", with_route.names());
    let tags = with_route.results.iter().find(|r| r["identity"]["listener_rule_arn"] == c.tags.rule()).unwrap();
    let routes = tags["resource_object"]["route"].as_array().cloned().unwrap_or_default();
    assert_eq!(routes.len(), 1, "{tags}");
    assert_eq!(routes[0]["listener_arn"], https.as_str());
    assert_eq!(routes[0]["active_color"], "blue");
    assert!(!with_route.warnings().iter().any(|w| w.contains("Several pointers")), "{:?}", with_route.warnings());
    // Filtering by the route's listener finds the release too.
    let by_route = query(&wd, &format!("{}\n    listener_arn = \"{https}\"", cluster_config()), "", &[]);
    assert_eq!(by_route.names(), [tags_name], "{}", by_route.out.all());

    // Bad configuration: a diagnostic naming the attribute and the fix, no crash.
    let bad = query(&wd, &format!("{}\n    listener_arn = \"{}\"", cluster_config(), c.tags.rule()), "", &[]);
    assert_eq!(bad.out.code, 1, "{}", bad.out.all());
    let errors: Vec<&Value> = bad.diagnostics.iter().filter(|d| d["severity"] == "error").collect();
    assert!(
        errors
            .iter()
            .any(|d| d["summary"] == "Invalid listener ARN"
                && d["detail"].as_str().unwrap().contains(&c.tags.listener_arn)),
        "{}",
        bad.out.all()
    );
    assert!(!bad.out.reports_crash());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn query_generate_config_then_apply_plans_clean() {
    let emu = Emulator::start();
    let c = cluster(&emu);
    // ECS-native with a production rule forwarding to blue only: the pair comes from the
    // service's alternateTargetGroupArn, for the query and for the import alike.
    let native_single = Scaffold::create(
        &emu,
        "nat1",
        &["--cluster", CLUSTER, "--colors", "tag", "--services", "ecs-native", "--forward", "single"],
    );
    // A test listener rule forwarding to the standby alone, not ECS-native: nothing says
    // it is this release's test pointer (it could be any rule pinned to one color), so it
    // is generated nowhere and imported nowhere.
    let test_rule = Scaffold::create(&emu, "tl", &["--cluster", CLUSTER, "--colors", "tag", "--test-listener"]);
    let wd = workdir(&emu);
    let q = query(&wd, &cluster_config(), "", &["-generate-config-out=generated.tf"]);
    assert_eq!(q.out.code, 0, "{}", q.out.all());
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert_eq!(generated.matches("resource \"bluegreen_ecs_release\"").count(), 7, "{generated}");
    assert_eq!(generated.matches("import {").count(), 7, "{generated}");
    assert!(!generated.contains(test_rule.test_rule_arn.as_deref().unwrap()), "{generated}");
    for left_out in ["active_color", "standby_traffic_percent", "standby_color", "active_target_group_arn", " id "] {
        assert!(!generated.contains(left_out), "{left_out} must not be generated:\n{generated}");
    }
    for s in [&c.tags, &c.names, &c.spin, &c.native, &c.solo, &native_single] {
        assert!(generated.contains(&s.blue_tg) && generated.contains(&s.green_tg), "{generated}");
    }
    assert!(generated.contains(c.native.test_rule_arn.as_deref().unwrap()), "{generated}");
    assert!(!generated.contains(&c.half.blue_tg), "the half-built pair is not generated:\n{generated}");
    // Import by identity records what the query listed (the ECS-native test rule too),
    // so applying the generated file only imports: no in-place update.
    let applied = wd.apply();
    assert!(
        applied.stdout.contains("Resources: 7 imported, 0 added, 0 changed, 0 destroyed"),
        "the generated config must equal the imported state:\n{}\n{generated}",
        applied.all()
    );
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "generated config must plan clean after apply:\n{}\n{generated}", plan.all());
    // The generated releases adopt: a deploy tool's flip is followed, not reverted.
    acceptance_tests::scaffold::run(
        &emu,
        "flip",
        &["--rule-arn", c.tags.rule(), "--weights", &format!("{}=0,{}=100", c.tags.blue_tg, c.tags.green_tg)],
    );
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "an adopted release follows the flip:\n{}", plan.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_deleted_target_group_is_one_warning_and_the_rest_still_list() {
    let emu = Emulator::start();
    let create = |name: &str, args: &[&str]| {
        let mut all = vec!["--cluster", CLUSTER];
        all.extend_from_slice(args);
        Scaffold::create(&emu, name, &all)
    };
    let tags = create("tags", &["--colors", "tag"]);
    let stale = create("stale", &["--colors", "name"]);
    // The stale rule forwards to blue alone, then green's target group is deleted (ELB
    // allows it: no listener uses it, only the service stale-green names it).
    acceptance_tests::scaffold::run(&emu, "flip", &["--rule-arn", stale.rule(), "--to", &stale.blue_tg]);
    delete_target_group(&emu, &stale.green_tg);
    let wd = workdir(&emu);
    for extra in [String::new(), format!("\n    listener_arn = \"{}\"", tags.listener_arn)] {
        let q = query(&wd, &format!("{}{extra}", cluster_config()), "", &[]);
        assert_eq!(q.out.code, 0, "{}", q.out.all());
        let tail = &tags.rule()[tags.rule().len() - 4..];
        assert_eq!(q.names(), [format!("tags · rule …/{tail} → blue")], "{}", q.out.all());
        let w = q.warnings();
        let gone: Vec<&String> = w.iter().filter(|w| w.contains("no longer exists")).collect();
        assert_eq!(gone.len(), 1, "{w:?}");
        assert!(gone[0].contains("stale-green") && gone[0].contains(&stale.green_tg), "{w:?}");
    }
}

/// Must-show 1: one cluster with exactly 30 blue/green pairs (a listener default action
/// as one pointer, one pair with a test listener, one ECS-native blue/green service with
/// its test listener rule, Spinnaker server groups, colors by tag and by name) and three
/// decoys: a service on a single colorless target group, a rule forwarding to two
/// untagged groups no service uses, and a half-built pair (blue only). The query lists
/// exactly the 30 (by identity), warns about the half-built one and the ECS-native
/// service's hold on its rules, writes config and
/// import blocks for the 30, one apply imports them all, and the next plan is clean.
#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn query_of_a_30_pair_cluster_lists_exactly_the_pairs_and_one_apply_imports_all_30() {
    let emu = Emulator::start();
    let mut pairs: Vec<(String, Vec<&str>)> = vec![
        ("lst".into(), vec!["--colors", "name", "--pointer", "listener"]),
        ("nat".into(), vec!["--colors", "tag", "--services", "ecs-native", "--test-listener"]),
        ("tst".into(), vec!["--colors", "tag", "--test-listener"]),
    ];
    for i in 3..30 {
        let args = match i % 3 {
            0 => vec!["--colors", "tag"],
            1 => vec!["--colors", "name"],
            _ => vec!["--colors", "name", "--services", "spinnaker"],
        };
        pairs.push((format!("p{i:02}"), args));
    }
    let decoys: Vec<(String, Vec<&str>)> = vec![
        // One service (plain-prod-v000) on plain-tg-a, untagged, no color word; the rule
        // forwards to it alone.
        ("plain".into(), vec!["--colors", "none", "--forward", "single", "--services", "spinnaker"]),
        // A rule forwarding to other-tg-a / other-tg-b: untagged, and no service uses them.
        ("other".into(), vec!["--colors", "none", "--services", "none"]),
        // Half-built: half-blue on the tagged blue group, which nothing pairs.
        ("half".into(), vec!["--colors", "tag", "--forward", "single"]),
    ];
    // Health does not matter to discovery or import: no waiting. The first create makes
    // the shared cluster; the others run three at a time.
    let create = |(name, args): &(String, Vec<&str>)| {
        let mut all = vec!["--cluster", CLUSTER, "--no-wait"];
        all.extend_from_slice(args);
        Scaffold::create(&emu, name, &all)
    };
    let all: Vec<(String, Vec<&str>)> = pairs.iter().chain(&decoys).cloned().collect();
    let mut made = vec![create(&all[0])];
    std::thread::scope(|scope| {
        let workers: Vec<_> = all[1..]
            .chunks(all.len().div_ceil(3))
            .map(|chunk| scope.spawn(move || chunk.iter().map(create).collect::<Vec<_>>()))
            .collect();
        for w in workers {
            made.extend(w.join().unwrap());
        }
    });
    let (scaffolds, decoys) = made.split_at(pairs.len());
    let half = &decoys[2];
    let native = &scaffolds[1];
    assert_eq!(scaffolds.len(), 30);

    let wd = workdir(&emu);
    let q = query(&wd, &cluster_config(), "", &["-generate-config-out=generated.tf"]);
    assert_eq!(q.out.code, 0, "{}", q.out.all());
    // Exactly the 30 pairs, by identity: each scaffold's production pointer.
    let pointer_of = |cluster: &Value, rule: &Value, listener: &Value| {
        assert_eq!(cluster, CLUSTER);
        match (rule.as_str(), listener.as_str()) {
            (Some(r), None) => format!("rule {r}"),
            (None, Some(l)) => format!("listener {l}"),
            other => panic!("identity with one pointer expected, got {other:?}"),
        }
    };
    let listed: Vec<String> = q
        .results
        .iter()
        .map(|r| {
            let id = &r["identity"];
            pointer_of(&id["cluster"], &id["listener_rule_arn"], &id["listener_arn"])
        })
        .collect();
    let listed_set: BTreeSet<String> = listed.iter().cloned().collect();
    assert_eq!(listed.len(), listed_set.len(), "each release listed once: {listed:#?}");
    let expected: BTreeSet<String> = scaffolds
        .iter()
        .map(|s| match &s.rule_arn {
            Some(r) => format!("rule {r}"),
            None => format!("listener {}", s.listener_arn),
        })
        .collect();
    assert_eq!(listed_set, expected, "{}", q.out.all());
    assert!(expected.contains(&format!("listener {}", scaffolds[0].listener_arn)));
    let names = q.names();
    assert!(names.iter().any(|n| n.starts_with("lst · listener :80 …/")), "{names:#?}");
    // Two warnings: the half-built pair, named by its blue target group, and the
    // ECS-native service that also moves the rules of the release it is listed as.
    let warnings = q.warnings();
    assert_eq!(warnings.len(), 2, "{warnings:#?}");
    assert!(warnings.iter().any(|w| w.contains("one color only") && w.contains(&half.blue_tg)), "{warnings:?}");
    assert!(
        warnings.iter().any(|w| w.contains(&format!("ECS service {CLUSTER}/nat also writes this pointer"))),
        "{warnings:?}"
    );

    // The same run wrote the configuration: a release and an import block per pair.
    let generated = std::fs::read_to_string(wd.path().join("generated.tf")).unwrap();
    assert_eq!(generated.matches("resource \"bluegreen_ecs_release\"").count(), 30, "{generated}");
    assert_eq!(generated.matches("import {").count(), 30, "{generated}");
    for s in scaffolds {
        assert!(generated.contains(&s.blue_tg) && generated.contains(&s.green_tg), "{generated}");
    }
    // The ECS-native test listener rule is an input; the plain test rule is not claimed.
    assert!(generated.contains(native.test_rule_arn.as_deref().unwrap()), "{generated}");
    assert!(!generated.contains(scaffolds[2].test_rule_arn.as_deref().unwrap()), "{generated}");
    for d in decoys {
        assert!(!generated.contains(&d.blue_tg) && !generated.contains(&d.listener_arn), "{generated}");
    }
    assert!(!generated.contains("active_color"), "{generated}");

    let applied = wd.apply();
    assert!(
        applied.stdout.contains("Resources: 30 imported, 0 added, 0 changed, 0 destroyed"),
        "{}\n{generated}",
        applied.all()
    );
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "the plan after importing all 30 is clean:\n{}", plan.all());
}

// ---------------------------------------------------------------- helpers

fn delete_target_group(emu: &Emulator, arn: &str) {
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emu.sdk_config().await);
        elb.delete_target_group().target_group_arn(arn).send().await.expect("delete target group");
    });
}

/// An HTTPS-like second listener (port 8443) whose default action also forwards to both
/// target groups of `s`: a second production pointer.
fn second_listener(emu: &Emulator, s: &Scaffold) -> String {
    let lb = s.raw["load_balancer_arn"].as_str().unwrap();
    acceptance_tests::scaffold::create_listener(emu, lb, 8443, &[(&s.blue_tg, 100), (&s.green_tg, 0)])
}
