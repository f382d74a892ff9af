//! The list's unit tests: a cluster with every kind of release, listed without AWS.

use super::inventory::{Inventory, Native, ServiceView, candidates};
use super::releases::{Listed, Release, base_name, events, on_listener, releases};
use super::{TYPE_NAME, ordered, validate};
use crate::discovery::Found;
use crate::pointer_owner::NativeLoadBalancer;
use crate::resource_ecs_release::{self, attrs};
use crate::traffic_pointer::{Color, Pair, Pointer, PointerRef};
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};
use std::collections::{BTreeMap, BTreeSet};
use tfplugin::diag::Severity;
use tfplugin::provider::{ListResourceEvent, ListResourceSink};
use tfplugin::{Diagnostic, Value};

const ACCT: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012";

fn tg(name: &str) -> String {
    format!("{ACCT}:targetgroup/{name}/0123456789abcdef")
}
fn listener(lb: &str, id: &str) -> String {
    format!("{ACCT}:listener/app/{lb}/50dc6c495c0c9188/{id}")
}
fn rule(lb: &str, listener_id: &str, id: &str) -> String {
    format!("{ACCT}:listener-rule/app/{lb}/50dc6c495c0c9188/{listener_id}/{id}")
}

fn forward(groups: &[(&str, i32)]) -> Vec<Action> {
    let tuples = groups.iter().map(|(t, w)| TargetGroupTuple::builder().target_group_arn(*t).weight(*w).build());
    vec![
        Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(ForwardActionConfig::builder().set_target_groups(Some(tuples.collect())).build())
            .build(),
    ]
}
fn at_rule(arn: &str, port: i32, groups: &[(&str, i32)]) -> Found {
    Found { pointer: Pointer { target: PointerRef::Rule(arn.into()), actions: forward(groups) }, port: Some(port) }
}
fn at_listener(arn: &str, port: i32, groups: &[(&str, i32)]) -> Found {
    Found { pointer: Pointer { target: PointerRef::Listener(arn.into()), actions: forward(groups) }, port: Some(port) }
}
fn service(name: &str, tgs: &[&str]) -> ServiceView {
    ServiceView { name: name.into(), target_groups: tgs.iter().map(|t| t.to_string()).collect(), native: vec![] }
}

fn released(listed: &[Listed]) -> Vec<&Release> {
    listed
        .iter()
        .filter_map(|l| match l {
            Listed::Release(r) => Some(r),
            _ => None,
        })
        .collect()
}
fn warnings(listed: &[Listed]) -> Vec<&Diagnostic> {
    listed
        .iter()
        .filter_map(|l| match l {
            Listed::Warning { diagnostic, .. } | Listed::Stale { diagnostic, .. } => Some(diagnostic),
            _ => None,
        })
        .collect()
}

/// A cluster with every kind of release on two load balancers, plus a half-built pair.
fn cluster() -> Inventory {
    let (tag_a, tag_b) = (tg("app-tg-a"), tg("app-tg-b"));
    let (shop_b, shop_g) = (tg("shop-blue"), tg("shop-green"));
    let (spin_b, spin_g) = (tg("spin-blue"), tg("spin-green"));
    let (nat_b, nat_g) = (tg("nat-blue"), tg("nat-green"));
    let (det_b, det_g) = (tg("det-blue"), tg("det-green"));
    let half = tg("half-tg-a");
    let mut native = service("nat", &[&nat_b, &nat_g]);
    native.native = vec![Native {
        target_group: nat_b.clone(),
        alternate: nat_g.clone(),
        production: Some(rule("alb", "l80", "natp")),
        test: Some(rule("alb", "l8080", "natt")),
    }];
    Inventory {
        natives: Vec::new(),
        code_deploy: Vec::new(),
        services: vec![
            service("app-blue", &[&tag_a]),
            service("app-green", &[&tag_b]),
            service("shop-blue", &[&shop_b]),
            service("shop-green", &[&shop_g]),
            service("spin-prod-v000", &[&spin_b]),
            service("spin-prod-v001", &[&spin_g]),
            service("spin-prod-v002", &[&spin_g]),
            native,
            service("det-blue", &[&det_b]),
            service("half", &[&half]),
            service("batch", &[]),
            service("plain-web", &[&tg("plain-web")]),
        ],
        pointers: vec![
            at_rule(&rule("alb", "l80", "app1"), 80, &[(&tag_a, 100), (&tag_b, 0)]),
            at_rule(&rule("alb", "l80", "shop"), 80, &[(&shop_b, 0), (&shop_g, 100)]),
            at_rule(&rule("alb", "l80", "spin"), 80, &[(&spin_b, 90), (&spin_g, 10)]),
            at_rule(&rule("alb", "l80", "natp"), 80, &[(&nat_b, 1)]),
            at_rule(&rule("alb", "l8080", "natt"), 8080, &[(&nat_g, 1)]),
            at_rule(&rule("alb", "l8080", "apptest"), 8080, &[(&tag_b, 1)]),
            at_listener(&listener("web", "l443"), 443, &[(&det_b, 1)]),
            at_rule(&rule("alb", "l80", "half"), 80, &[(&half, 1)]),
            at_rule(&rule("alb", "l80", "plain"), 80, &[(&tg("plain-web"), 1)]),
        ],
        tags: [
            (tag_a.clone(), Some("blue".into())),
            (tag_b.clone(), Some("green".into())),
            (half.clone(), Some("blue".into())),
        ]
        .into(),
        by_name: [("det-green".to_string(), det_g)].into(),
        missing: BTreeMap::new(),
    }
}

#[test]
fn every_kind_of_pair_is_listed_with_its_production_pointer() {
    let inv = cluster();
    let listed = releases(&inv, "prod");
    let names: Vec<String> = released(&listed).iter().map(|r| r.display_name()).collect();
    assert_eq!(
        names,
        [
            "app · rule …/app1 → blue",
            "det · listener :443 …/l443 → blue",
            "nat · rule …/natp → blue",
            "shop · rule …/shop → green",
            "spin-prod · rule …/spin → blue 90% / green 10%",
        ]
    );
    let by_name = |n: &str| *released(&listed).iter().find(|r| r.name == n).unwrap();
    // Tag colors: blue is app-tg-a. The rule forwarding to standby green alone is not
    // taken as its test pointer: only ECS-native names one (import finds the same).
    let app = by_name("app");
    assert_eq!(app.pair, Pair { blue: tg("app-tg-a"), green: tg("app-tg-b") });
    assert_eq!(app.test, None);
    // ECS-native: production and test rule from advancedConfiguration, though each
    // forwards to one group only.
    let nat = by_name("nat");
    assert_eq!(nat.pointer, PointerRef::Rule(rule("alb", "l80", "natp")));
    assert_eq!(nat.test, Some(PointerRef::Rule(rule("alb", "l8080", "natt"))));
    assert_eq!(nat.detached, Some(Color::Green));
    // The detached green's name twin pairs it; the default action is the pointer.
    let det = by_name("det");
    assert_eq!(det.pair.green, tg("det-green"));
    assert_eq!(det.pointer, PointerRef::Listener(listener("web", "l443")));
    assert_eq!(by_name("shop").test, None);
    // The half-built pair is a warning naming the target group and the fix; the
    // plain service on a colorless target group is neither listed nor warned about.
    let w = warnings(&listed);
    assert_eq!(w.len(), 1, "{w:?}");
    assert_eq!(w[0].severity, Severity::Warning);
    assert!(w[0].summary.contains("one color only"), "{w:?}");
    assert!(w[0].detail.contains(&tg("half-tg-a")) && w[0].detail.contains("half"), "{w:?}");
}

#[test]
fn ambiguous_and_colorless_pairs_are_warnings_and_the_rest_still_list() {
    let mut inv = cluster();
    // Two pointers each forwarding to one color of the det pair, neither on 443 or 80:
    // which is production (and which a test or pinned rule) is a guess; not listed.
    let (det_b, det_g) = (tg("det-blue"), tg("det-green"));
    inv.pointers.retain(|f| f.pointer.target.arn() != listener("web", "l443"));
    inv.pointers.push(at_listener(&listener("web", "l8443"), 8443, &[(&det_b, 1)]));
    inv.pointers.push(at_listener(&listener("web", "l9000"), 9000, &[(&det_g, 1)]));
    // Two groups no tag or name tells apart.
    let (x, y) = (tg("pay-tg-x"), tg("pay-tg-y"));
    inv.services.push(service("pay", &[&x]));
    inv.pointers.push(at_rule(&rule("alb", "l80", "pay"), 80, &[(&x, 100), (&y, 0)]));
    // A lone target group whose color tag is neither blue nor green.
    inv.services.push(service("odd", &[&tg("odd-tg")]));
    inv.tags.insert(tg("odd-tg"), Some("purple".into()));
    let listed = releases(&inv, "prod");
    let w = warnings(&listed);
    assert!(
        w.iter().any(|d| d.summary.contains("Several pointers")
            && d.detail.contains("l8443")
            && d.detail.contains("l9000")),
        "{w:?}"
    );
    assert!(w.iter().any(|d| d.summary.contains("Invalid color tag") && d.detail.contains("purple")), "{w:?}");
    assert!(w.iter().any(|d| d.summary.contains("Cannot tell blue from green")), "{w:?}");
    assert!(w.iter().all(|d| d.severity == Severity::Warning));
    let names: Vec<&str> = released(&listed).iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["app", "nat", "shop", "spin-prod"]);
}

#[test]
fn the_pairs_other_pointers_are_listed_as_routes_of_one_release() {
    let mut inv = cluster();
    let (shop_b, shop_g) = (tg("shop-blue"), tg("shop-green"));
    let other = tg("other-tg");
    // HTTPS default action and an internal rule name both shop groups too; a rule
    // pinned to blue, one splitting blue with another group, and the app's test rule
    // (green alone) are no routes.
    let https = listener("alb", "l443");
    let internal = rule("alb", "l80", "shop-internal");
    inv.pointers.push(at_listener(&https, 443, &[(&shop_b, 0), (&shop_g, 100)]));
    inv.pointers.push(at_rule(&internal, 80, &[(&shop_g, 100), (&shop_b, 0)]));
    inv.pointers.push(at_rule(&rule("alb", "l80", "shop-pinned"), 80, &[(&shop_b, 1)]));
    inv.pointers.push(at_rule(&rule("alb", "l80", "shop-mixed"), 80, &[(&shop_b, 1), (&other, 1)]));
    let listed = releases(&inv, "prod");
    let shop = *released(&listed).iter().find(|r| r.name == "shop").unwrap();
    // The HTTPS listener is primary (port 443 first); the two rules on :80 are routes, by ARN.
    assert_eq!(shop.pointer, PointerRef::Listener(https.clone()));
    let routes: Vec<&str> = shop.routes.iter().map(|p| p.target.arn()).collect();
    assert_eq!(routes, [rule("alb", "l80", "shop"), internal.clone()]);
    assert_eq!(shop.display_name(), "shop · listener :443 …/l443 → green (+2 routes)");
    // The result's state records the routes with their traffic and no groups of their own.
    let ev = events(listed.clone(), "prod", true, &inv.natives, &inv.code_deploy);
    let shop_ev = ev.iter().find(|e| e.display_name.starts_with("shop")).unwrap();
    let state = shop_ev.resource_object.as_ref().unwrap();
    let recorded = state.get(attrs::ROUTE).elements();
    assert_eq!(recorded.len(), 2, "{state:?}");
    assert_eq!(recorded[1].get(attrs::LISTENER_RULE_ARN).as_str(), Some(internal.as_str()));
    assert_eq!(recorded[1].get(attrs::ACTIVE_COLOR).as_str(), Some("green"));
    assert_eq!(recorded[1].get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64(), Some(0));
    assert!(recorded[1].get(attrs::route::BLUE_TARGET_GROUP_ARN).is_null(), "{state:?}");
    // The mixed rule is a warning on the result, naming the other group.
    let outside: Vec<&Diagnostic> = shop_ev.diagnostics.iter().filter(|d| d.summary.contains("not a route")).collect();
    assert_eq!(outside.len(), 1, "{:?}", shop_ev.diagnostics);
    assert!(outside[0].detail.contains("shop-mixed") && outside[0].detail.contains(&other), "{outside:?}");
    // A listener filter on a route's listener still finds the release.
    let on_80 = on_listener(&inv, listed, &listener("alb", "l80"));
    assert!(released(&on_80).iter().any(|r| r.name == "shop"));
}

#[test]
fn listener_filter_keeps_its_releases_and_warnings() {
    let inv = cluster();
    let listed = on_listener(&inv, releases(&inv, "prod"), &listener("alb", "l80"));
    let names: Vec<&str> = released(&listed).iter().map(|r| r.name.as_str()).collect();
    assert_eq!(names, ["app", "nat", "shop", "spin-prod"]);
    assert_eq!(warnings(&listed).len(), 1, "the half-built pair's rule is on this listener");
    let listed = on_listener(&inv, releases(&inv, "prod"), &listener("web", "l443"));
    assert_eq!(released(&listed).len(), 1);
    assert!(warnings(&listed).is_empty());
}

#[test]
fn events_carry_identity_state_and_warnings() {
    let inv = cluster();
    let ev = events(releases(&inv, "prod"), "prod", true, &inv.natives, &inv.code_deploy);
    assert_eq!(ev.len(), 6);
    let app = &ev[0];
    let identity = app.identity.as_ref().unwrap();
    assert_eq!(identity.get(attrs::CLUSTER).as_str(), Some("prod"));
    assert_eq!(identity.get(attrs::LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l80", "app1").as_str()));
    assert!(identity.get(attrs::LISTENER_ARN).is_null());
    let state = app.resource_object.as_ref().unwrap();
    assert_eq!(state.get(attrs::ACTIVE_COLOR).as_str(), Some("blue"));
    assert_eq!(state.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64(), Some(0));
    assert!(state.get(attrs::TEST_LISTENER_RULE_ARN).is_null(), "no guessed test pointer: {state:?}");
    let nat = ev.iter().find(|e| e.display_name.starts_with("nat")).unwrap().resource_object.as_ref().unwrap();
    assert_eq!(nat.get(attrs::TEST_LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l8080", "natt").as_str()));
    assert!(app.diagnostics.is_empty());
    // The detached standby of the ECS-native release is warned about on its result.
    let nat = ev.iter().find(|e| e.display_name.starts_with("nat")).unwrap();
    assert!(nat.identity.is_some() && nat.diagnostics.iter().any(|d| d.summary.contains("detached")));
    // The warning event has no identity, so Terraform shows it and skips it.
    let half = ev.iter().find(|e| e.identity.is_none()).unwrap();
    assert!(half.diagnostics.iter().all(|d| d.severity == Severity::Warning) && !half.diagnostics.is_empty());
    // Without include_resource, no state.
    assert!(
        events(releases(&inv, "prod"), "prod", false, &inv.natives, &inv.code_deploy)
            .iter()
            .all(|e| e.resource_object.is_none())
    );
}

#[test]
fn a_release_whose_pointers_an_ecs_native_service_moves_names_that_service_once() {
    let mut inv = cluster();
    let native = |strategy_shifts: bool| NativeLoadBalancer {
        service: "nat".into(),
        service_arn: "arn:aws:ecs:us-east-1:123456789012:service/prod/nat".into(),
        shifts_traffic: strategy_shifts,
        target_group: tg("nat-blue"),
        alternate: tg("nat-green"),
        production_rule: Some(rule("alb", "l80", "natp")),
        test_rule: Some(rule("alb", "l8080", "natt")),
    };
    let owner_warnings = |inv: &Inventory| -> Vec<(String, Vec<String>)> {
        events(releases(inv, "prod"), "prod", false, &inv.natives, &inv.code_deploy)
            .into_iter()
            .map(|e| {
                let owned = e.diagnostics.iter().filter(|d| d.summary.contains("also writes this pointer"));
                (e.display_name, owned.map(|d| d.summary.clone()).collect::<Vec<_>>())
            })
            .filter(|(_, owned)| !owned.is_empty())
            .collect()
    };
    // BLUE_GREEN: production and test rule are both its; one warning, on that release.
    inv.natives = vec![native(true)];
    let warned = owner_warnings(&inv);
    assert_eq!(warned.len(), 1, "{warned:?}");
    assert!(warned[0].0.starts_with("nat"), "{warned:?}");
    assert_eq!(warned[0].1, ["ECS service prod/nat also writes this pointer"]);
    // ROLLING with an advancedConfiguration left over: ECS moves no weights, no warning.
    inv.natives = vec![native(false)];
    assert!(owner_warnings(&inv).is_empty());
}

/// Sends `events` as `list` does, to a sink with `limit`; returns what was received.
async fn send_all(events: Vec<ListResourceEvent>, limit: i64) -> Vec<ListResourceEvent> {
    let (sink, mut rx) = ListResourceSink::channel(limit, 64);
    for e in ordered(events, limit) {
        if !sink.send(e).await {
            break;
        }
    }
    drop(sink);
    let mut got = Vec::new();
    while let Some(e) = rx.recv().await {
        got.push(e);
    }
    got
}

#[tokio::test]
async fn the_limit_keeps_every_warning_and_says_the_list_was_cut() {
    let mut inv = cluster();
    // A warning sorting after every release ("zz"), which a cut after two releases lost.
    inv.services.push(service("zz", &[&tg("zz-tg-a")]));
    inv.tags.insert(tg("zz-tg-a"), Some("green".into()));
    let all = events(releases(&inv, "prod"), "prod", false, &inv.natives, &inv.code_deploy);
    let got = send_all(all.clone(), 2).await;
    let results: Vec<&str> = got.iter().filter(|e| e.identity.is_some()).map(|e| e.display_name.as_str()).collect();
    assert_eq!(results, ["app · rule …/app1 → blue", "det · listener :443 …/l443 → blue"]);
    let warnings: Vec<String> = got
        .iter()
        .filter(|e| e.identity.is_none())
        .flat_map(|e| e.diagnostics.iter().map(|d| format!("{}: {}", d.summary, d.detail)))
        .collect();
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("half-tg-a")), "{warnings:?}");
    assert!(warnings.iter().any(|w| w.contains("zz-tg-a")), "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("List cut at the limit") && w.contains("Found 5 releases; only the first 2")),
        "{warnings:?}"
    );
    // Under the limit (or no limit): no cut warning, everything sent.
    for limit in [0, 5, 100] {
        let got = send_all(all.clone(), limit).await;
        assert_eq!(got.len(), all.len(), "limit {limit}");
        assert!(got.iter().all(|e| e.diagnostics.iter().all(|d| d.summary != "List cut at the limit")));
    }
}

#[test]
fn a_target_group_that_no_longer_exists_is_one_warning_and_the_rest_list() {
    let mut inv = cluster();
    // Service "gone" scaled to 0 names a target group deleted since.
    let gone = tg("gone-blue");
    inv.services.push(service("gone-blue", &[&gone]));
    let existing: BTreeSet<String> = inv.known_target_groups().into_iter().filter(|t| *t != gone).collect();
    inv.drop_missing(&existing);
    assert!(inv.service_target_groups().iter().all(|t| *t != gone));
    let listed = releases(&inv, "prod");
    assert_eq!(released(&listed).len(), 5);
    let w = warnings(&listed);
    let stale: Vec<&&Diagnostic> = w.iter().filter(|d| d.summary.contains("no longer exists")).collect();
    assert_eq!(stale.len(), 1, "{w:?}");
    assert!(stale[0].detail.contains("gone-blue") && stale[0].detail.contains(&gone), "{w:?}");
    // The listener-filtered query shows it too (no listener can claim a deleted group).
    let on_l80 = on_listener(&inv, listed, &listener("alb", "l80"));
    assert!(warnings(&on_l80).iter().any(|d| d.summary.contains("no longer exists")));
    assert_eq!(released(&on_l80).len(), 4);
}

#[test]
fn a_lone_target_group_takes_its_partner_in_the_order_import_does() {
    // lone-blue has a name twin (lone-green) and a pointer naming it with other-tg:
    // the pointer's partner comes first, as in discovery::partner_order.
    let mut inv = cluster();
    let (lone, twin, other) = (tg("lone-blue"), tg("lone-green"), tg("other-tg"));
    inv.services.push(service("lone", &[&lone]));
    inv.pointers.push(at_rule(&rule("alb", "l80", "lone"), 80, &[(&lone, 100), (&other, 0)]));
    inv.by_name.insert("lone-green".into(), twin.clone());
    let listed = releases(&inv, "prod");
    let lone_release = released(&listed).into_iter().find(|r| r.name == "lone").unwrap();
    assert_eq!(lone_release.pair, Pair { blue: lone.clone(), green: other.clone() });
    // A partner whose colors do not resolve is skipped for the next (the twin).
    inv.tags.insert(other.clone(), Some("blue".into()));
    let (cands, _) = candidates(&inv);
    assert!(cands.iter().any(|c| c.tgs == [lone.clone(), twin.clone()]), "{cands:?}");
}

#[test]
fn generated_configuration_holds_only_the_inputs() {
    use crate::import_adoption::RecentImports;
    use tfplugin::provider::GenerateResourceConfigRequest;
    let inv = cluster();
    let ev = events(releases(&inv, "prod"), "prod", true, &inv.natives, &inv.code_deploy);
    let state = ev[0].resource_object.clone().unwrap();
    let recent = RecentImports::default();
    let resp = resource_ecs_release::generate_config(
        GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: state.clone() },
        &recent,
    );
    assert!(resp.diagnostics.is_empty(), "{:?}", resp.diagnostics);
    let c = resp.config;
    assert_eq!(c.get(attrs::CLUSTER).as_str(), Some("prod"));
    assert_eq!(c.get(attrs::LISTENER_RULE_ARN).as_str(), Some(rule("alb", "l80", "app1").as_str()));
    assert!(c.get(attrs::TEST_LISTENER_RULE_ARN).is_null());
    let blue = c.get(attrs::BLUE).single_block().unwrap().get(attrs::TARGET_GROUP_ARN).as_str();
    assert_eq!(blue, Some(tg("app-tg-a").as_str()));
    for left_out in [
        attrs::ACTIVE_COLOR,
        attrs::STANDBY_TRAFFIC_PERCENT,
        attrs::ID,
        attrs::STANDBY_COLOR,
        attrs::ACTIVE_TARGET_GROUP_ARN,
        attrs::STANDBY_TARGET_GROUP_ARN,
        attrs::LISTENER_ARN,
        attrs::TIMEOUTS,
    ] {
        assert!(c.get(left_out).is_null(), "{left_out} must not be generated: {c:?}");
    }
    assert!(c.get(attrs::PROMOTION).elements().is_empty());
    // No state (Terraform 1.14.0) and no import to take it from, or two: no
    // configuration, and an error that says why and names the fix.
    let no_state = || GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: Value::Null };
    let none = resource_ecs_release::generate_config(no_state(), &recent);
    assert!(none.config.is_null() && none.diagnostics.has_errors(), "{:?}", none.diagnostics);
    assert!(none.diagnostics.iter().any(|d| d.detail.contains("v1.14.1")), "{:?}", none.diagnostics);
    // Exactly one release imported in this process: its configuration.
    recent.remember(&state);
    let one = resource_ecs_release::generate_config(no_state(), &recent);
    assert!(one.diagnostics.is_empty(), "{:?}", one.diagnostics);
    assert_eq!(one.config, c);
    recent.remember(&state);
    let two = resource_ecs_release::generate_config(no_state(), &recent);
    assert!(two.config.is_null() && two.diagnostics.iter().any(|d| d.detail.contains("imported 2 releases")));
    let mut partly = ev[0].resource_object.clone().unwrap();
    if let Value::Object(m) = &mut partly {
        m.insert(attrs::CLUSTER.into(), Value::Unknown);
    }
    let unknown = resource_ecs_release::generate_config(
        GenerateResourceConfigRequest { type_name: TYPE_NAME.into(), state: partly },
        &recent,
    );
    assert!(unknown.config.is_null() && unknown.diagnostics.has_errors(), "{:?}", unknown.diagnostics);
    assert!(unknown.diagnostics.iter().any(|d| d.detail.contains("unknown")));
}

#[test]
fn names_drop_color_words_and_spinnaker_versions() {
    assert_eq!(base_name("shop-prod-v012"), "shop-prod");
    assert_eq!(base_name("shop-blue"), "shop");
    assert_eq!(base_name("app"), "app");
    assert_eq!(base_name("blue"), "blue");
    assert_eq!(base_name("api-v2"), "api-v2");
}

#[test]
fn config_errors_name_the_attribute_and_the_fix() {
    let c = |pairs: &[(&str, &str)]| Value::object(pairs.iter().map(|(k, v)| (*k, Value::from(*v))));
    assert!(validate(&c(&[(attrs::CLUSTER, "prod"), (attrs::LISTENER_ARN, &listener("alb", "l80"))])).is_empty());
    let d = validate(&c(&[(attrs::CLUSTER, "bad cluster"), (attrs::LISTENER_ARN, &rule("alb", "l80", "r1"))]));
    let text: Vec<String> = d.iter().map(|d| format!("{:?} {} {}", d.path, d.summary, d.detail)).collect();
    assert_eq!(d.iter().count(), 2, "{text:?}");
    assert!(text[0].contains(attrs::CLUSTER) && text[0].contains("Invalid ECS cluster"), "{text:?}");
    assert!(text[1].contains(attrs::LISTENER_ARN) && text[1].contains(&listener("alb", "l80")), "{text:?}");
    let d = validate(&c(&[(attrs::CLUSTER, "prod"), ("service_name_prefix", "")]));
    assert!(d.iter().any(|d| d.summary == "Empty service name prefix"));
}
