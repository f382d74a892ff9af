//! Sorting a pair's pointers into primary, routes and left-out, without AWS.

use super::*;
use crate::traffic_pointer::PointerRef;
use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};

const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-blue/1";
const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/2";
const OTHER: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/other/3";

fn pair() -> Pair {
    Pair { blue: BLUE.into(), green: GREEN.into() }
}

fn found(target: PointerRef, port: i32, groups: &[(&str, i32)]) -> Found {
    let tuples = groups.iter().map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(*tg).weight(*w).build());
    let forward = Action::builder()
        .r#type(ActionTypeEnum::Forward)
        .forward_config(ForwardActionConfig::builder().set_target_groups(Some(tuples.collect())).build())
        .build();
    Found { pointer: Pointer { target, actions: vec![forward] }, port: Some(port) }
}

fn rule(arn: &str, port: i32, groups: &[(&str, i32)]) -> Found {
    found(PointerRef::Rule(arn.into()), port, groups)
}

fn arns(pointers: &[Pointer]) -> Vec<&str> {
    pointers.iter().map(|p| p.target.arn()).collect()
}

#[test]
fn only_pointers_naming_both_groups_and_no_other_are_routes_in_arn_order() {
    let all = vec![
        rule("prod", 443, &[(BLUE, 100), (GREEN, 0)]),
        rule("z-internal", 80, &[(GREEN, 0), (BLUE, 100)]),
        found(PointerRef::Listener("a-listener".into()), 8443, &[(BLUE, 90), (GREEN, 10)]),
        // One color alone: a test rule or a rule pinned to a color, never guessed.
        rule("pinned", 80, &[(GREEN, 1)]),
        // The pair and another group: no split of the pair.
        rule("mixed", 80, &[(BLUE, 50), (OTHER, 50)]),
        // Another pair's pointer: nothing to do with this release.
        rule("elsewhere", 80, &[(OTHER, 1)]),
        // The ECS-native test rule, even naming both groups: the test pointer.
        rule("native-test", 9000, &[(BLUE, 0), (GREEN, 100)]),
        // Listed twice (two reads of one load balancer): taken once.
        rule("z-internal", 80, &[(GREEN, 0), (BLUE, 100)]),
    ];
    let o = others(&pair(), &all, "prod", None, Some("native-test"));
    assert_eq!(arns(&o.routes), ["a-listener", "z-internal"]);
    assert_eq!(arns(&o.outside), ["mixed"]);
    // The recorded test pointer is not a route either.
    let o = others(&pair(), &all, "prod", Some("z-internal"), None);
    assert_eq!(arns(&o.routes), ["a-listener", "native-test"]);
}

#[test]
fn the_outside_warning_names_both_sides_and_the_fix() {
    let mixed = rule("mixed", 80, &[(BLUE, 50), (OTHER, 50)]).pointer;
    let d = outside_warning(&mixed, &pair());
    assert!(d.detail.contains(BLUE) && d.detail.contains(&format!("also to {OTHER}")), "{}", d.detail);
    assert!(d.detail.contains("add a `route` block"), "{}", d.detail);
}

#[test]
fn the_primary_is_the_native_production_rule_then_choose_pointer_without_the_native_test_rule() {
    let prod = || rule("prod", 80, &[(BLUE, 100), (GREEN, 0)]);
    let test = || rule("test", 80, &[(BLUE, 0), (GREEN, 100)]);
    let other = || rule("a-other", 80, &[(BLUE, 100), (GREEN, 0)]);
    let chosen = |c: Vec<Found>, p: Option<&str>, t: Option<&str>| {
        choose_primary(&pair(), c, p, t).map(|p| p.target.arn().to_string()).unwrap()
    };
    assert_eq!(chosen(vec![other(), prod(), test()], Some("prod"), Some("test")), "prod");
    // Without ECS-native: several naming both groups on one port: the ARN decides.
    assert_eq!(chosen(vec![prod(), other()], None, None), "a-other");
    // The native test rule is never primary while another pointer is there ...
    assert_eq!(chosen(vec![test(), prod()], Some("gone"), Some("test")), "prod");
    // ... and a lone pointer is, whatever it is.
    assert_eq!(chosen(vec![test()], None, Some("test")), "test");
}

#[test]
fn native_rules_are_those_of_the_pair_either_way_round() {
    let native = |tg: &str, alt: &str| NativeLoadBalancer {
        service: "svc".into(),
        service_arn: "arn".into(),
        shifts_traffic: true,
        target_group: tg.into(),
        alternate: alt.into(),
        production_rule: Some(format!("prod-{tg}")),
        test_rule: Some(format!("test-{tg}")),
    };
    let natives = [native(OTHER, BLUE), native(GREEN, BLUE)];
    let (p, t) = native_rules_of(&natives, &pair());
    assert_eq!((p, t), (Some(format!("prod-{GREEN}").as_str()), Some(format!("test-{GREEN}").as_str())));
    assert_eq!(native_rules_of(&natives[..1], &pair()), (None, None));
}

#[test]
fn routes_beyond_the_limit_are_left_out_and_named() {
    let mut all = vec![rule("prod", 443, &[(BLUE, 100), (GREEN, 0)])];
    let names: Vec<String> = (0..MAX_ROUTES + 2).map(|i| format!("rule-{i:02}")).collect();
    all.extend(names.iter().rev().map(|a| rule(a, 80, &[(BLUE, 100), (GREEN, 0)])));
    let o = others(&pair(), &all, "prod", None, None);
    assert_eq!(o.routes.len(), MAX_ROUTES);
    assert_eq!(arns(&o.routes)[0], "rule-00");
    assert_eq!(arns(&o.beyond_limit), [names[MAX_ROUTES].as_str(), names[MAX_ROUTES + 1].as_str()]);
    let d = beyond_limit_warning(&o.beyond_limit);
    assert!(d.detail.contains("rule-10, rule-11") && d.detail.contains("at most 10"), "{}", d.detail);
}
