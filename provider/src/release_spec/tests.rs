//! Unit tests of the release configuration: validation at the attribute, parsing, and
//! `good()`, the valid configuration other tests start from.

use super::*;

pub const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
pub const LISTENER: &str =
    "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
pub const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-blue/73e2d6bc24d8a067";
pub const GREEN: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-green/83e2d6bc24d8a068";

pub fn color(tg: &str) -> Value {
    Value::List(vec![Value::object([(attrs::TARGET_GROUP_ARN, Value::from(tg))])])
}

pub fn good() -> Value {
    Value::object([
        (attrs::CLUSTER, Value::from("prod")),
        (attrs::LISTENER_RULE_ARN, Value::from(RULE)),
        (attrs::BLUE, color(BLUE)),
        (attrs::GREEN, color(GREEN)),
        (attrs::ACTIVE_COLOR, Value::from("blue")),
        (attrs::STANDBY_TRAFFIC_PERCENT, Value::from(0)),
        (attrs::PROMOTION, Value::List(vec![])),
    ])
}

fn with(mut v: Value, attr: &str, new: Value) -> Value {
    v.as_object_mut().unwrap().insert(attr.into(), new);
    v
}

fn promotion(attr: &str, v: Value) -> Value {
    Value::List(vec![Value::object([(attr, v)])])
}

#[test]
fn a_good_configuration_passes_and_parses_with_defaults() {
    assert!(validate(&good()).is_empty(), "{}", validate(&good()));
    let spec = from_value(&good()).unwrap();
    assert_eq!(spec.pointer, PointerRef::Rule(RULE.into()));
    assert_eq!(spec.active_color, Some(Color::Blue));
    assert_eq!(spec.promotion, Promotion::default());
    assert_eq!(spec.update_timeout, DEFAULT_TIMEOUT);
}

#[test]
fn unknown_values_are_not_errors() {
    let v = with(with(good(), attrs::LISTENER_RULE_ARN, Value::Unknown), attrs::ACTIVE_COLOR, Value::Unknown);
    assert!(validate(&v).is_empty(), "{}", validate(&v));
}

fn with_hook(arn: &str, details: Option<&str>) -> Value {
    let hook = Value::object([
        (attrs::hook::STAGE, Value::from("POST_TEST_TRAFFIC_SHIFT")),
        (attrs::hook::LAMBDA_FUNCTION_ARN, Value::from(arn)),
        (attrs::hook::HOOK_DETAILS, details.map(Value::from).unwrap_or(Value::Null)),
    ]);
    with(good(), attrs::PROMOTION, promotion(attrs::promotion::HOOK, Value::List(vec![hook])))
}

#[test]
fn hook_details_must_be_a_json_object_and_reach_the_parsed_hook() {
    const SMOKE: &str = "arn:aws:lambda:us-east-1:123456789012:function:smoke";
    let ok = with_hook(SMOKE, Some(r#"{"S3_BUCKET_NAME":"my-approval-bucket"}"#));
    assert!(validate(&ok).is_empty(), "{}", validate(&ok));
    let hooks = from_value(&ok).unwrap().promotion.hooks;
    assert_eq!(hooks[0].details, Some(serde_json::json!({"S3_BUCKET_NAME": "my-approval-bucket"})));
    assert_eq!(from_value(&with_hook(SMOKE, None)).unwrap().promotion.hooks[0].details, None);
    for (bad, says) in
        [("bucket=b", "it is not JSON"), ("[1,2]", "a JSON array, not an object"), (r#""b""#, "a JSON string")]
    {
        let d = validate(&with_hook(SMOKE, Some(bad)));
        let hit = d
            .iter()
            .find(|d| d.path.as_ref().map(|p| p.to_string()).as_deref() == Some("promotion[0].hook[0].hook_details"));
        let hit = hit.unwrap_or_else(|| panic!("{bad}: no error at hook_details: {d}"));
        assert!(hit.detail.contains(says) && hit.detail.contains("jsonencode"), "{bad}: {}", hit.detail);
    }
}

#[test]
fn a_hook_in_another_region_is_refused_at_its_attribute_once_the_region_is_known() {
    let far = with_hook("arn:aws:lambda:eu-west-1:123456789012:function:smoke", None);
    assert!(validate(&far).is_empty(), "validation has no provider region");
    let d = hook_region_errors(&far, "us-east-1");
    let e = d.iter().next().expect("an error");
    assert_eq!(e.path.as_ref().map(|p| p.to_string()).as_deref(), Some("promotion[0].hook[0].lambda_function_arn"));
    assert!(
        e.detail.contains("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
        "{}",
        e.detail
    );
    assert!(e.detail.contains("Deploy the hook function in us-east-1"), "{}", e.detail);
    assert!(hook_region_errors(&far, "eu-west-1").is_empty());
    assert!(hook_region_errors(&good(), "us-east-1").is_empty());
}

/// Bad configurations: each must produce an error at the named attribute whose text
/// says what to do.
#[test]
fn bad_configurations_are_reported_at_their_attribute() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (with(good(), attrs::ACTIVE_COLOR, "purple".into()), attrs::ACTIVE_COLOR, "\"blue\" or \"green\""),
        (with(good(), attrs::ACTIVE_COLOR, "Blue".into()), attrs::ACTIVE_COLOR, "\"blue\" or \"green\""),
        (with(good(), attrs::STANDBY_TRAFFIC_PERCENT, Value::from(101)), attrs::STANDBY_TRAFFIC_PERCENT, "0 to 50"),
        (with(good(), attrs::STANDBY_TRAFFIC_PERCENT, Value::from(-1)), attrs::STANDBY_TRAFFIC_PERCENT, "0 to 50"),
        (
            with(good(), attrs::STANDBY_TRAFFIC_PERCENT, Value::from(75)),
            attrs::STANDBY_TRAFFIC_PERCENT,
            "Switch `active_color`",
        ),
        (
            with(good(), attrs::STANDBY_TRAFFIC_PERCENT, Value::Number(tfplugin::Number::Float(2.5))),
            attrs::STANDBY_TRAFFIC_PERCENT,
            "whole number",
        ),
        (with(good(), attrs::GREEN, color(BLUE)), "green[0].target_group_arn", "two different target groups"),
        (with(good(), attrs::LISTENER_ARN, LISTENER.into()), attrs::LISTENER_ARN, "exactly one"),
        (with(good(), attrs::LISTENER_RULE_ARN, Value::Null), attrs::LISTENER_RULE_ARN, "exactly one"),
        (with(good(), attrs::LISTENER_RULE_ARN, LISTENER.into()), attrs::LISTENER_RULE_ARN, "use `listener_arn`"),
        (
            with(good(), attrs::LISTENER_RULE_ARN, "not-an-arn".into()),
            attrs::LISTENER_RULE_ARN,
            "expected arn:aws:elasticloadbalancing",
        ),
        (
            with(with(good(), attrs::LISTENER_RULE_ARN, Value::Null), attrs::LISTENER_ARN, RULE.into()),
            attrs::LISTENER_ARN,
            "use `listener_rule_arn`",
        ),
        (with(good(), attrs::BLUE, color("app-blue")), "blue[0].target_group_arn", "targetgroup/NAME/ID"),
        (with(good(), attrs::GREEN, color(RULE)), "green[0].target_group_arn", "targetgroup/NAME/ID"),
        (with(good(), attrs::CLUSTER, "my cluster".into()), attrs::CLUSTER, "cluster name"),
        (with(good(), attrs::CLUSTER, "arn:aws:ecs:us-east-1:1:service/prod/x".into()), attrs::CLUSTER, "cluster ARN"),
        (
            with(good(), attrs::PROMOTION, promotion(attrs::promotion::WAIT_TIMEOUT, "5 minutes".into())),
            "promotion[0].wait_timeout",
            "\"5m\"",
        ),
        (
            with(good(), attrs::PROMOTION, promotion(attrs::promotion::BAKE_TIME, "10".into())),
            "promotion[0].bake_time",
            "missing unit",
        ),
        (
            with(good(), attrs::PROMOTION, promotion(attrs::promotion::MIN_HEALTHY_TARGETS, Value::from(-2))),
            "promotion[0].min_healthy_targets",
            "from 0",
        ),
        (
            with(good(), attrs::PROMOTION, promotion(attrs::promotion::ALARM_NAMES, Value::List(vec!["".into()]))),
            "promotion[0].alarm_names[0]",
            "alarm name",
        ),
        (
            with(
                good(),
                attrs::TIMEOUTS,
                Value::object([(attrs::CREATE, Value::from("forever")), (attrs::UPDATE, Value::Null)]),
            ),
            "timeouts.create",
            "\"10m\"",
        ),
        (with(good(), attrs::TEST_LISTENER_RULE_ARN, RULE.into()), attrs::TEST_LISTENER_RULE_ARN, "must differ"),
        (
            with(with(good(), attrs::TEST_LISTENER_RULE_ARN, RULE.into()), attrs::TEST_LISTENER_ARN, LISTENER.into()),
            attrs::TEST_LISTENER_ARN,
            "at most one",
        ),
        (
            with(good(), attrs::TEST_LISTENER_ARN, BLUE.into()),
            attrs::TEST_LISTENER_ARN,
            "target groups go in the blue and green blocks",
        ),
    ];
    assert!(cases.len() >= 15);
    for (config, attr, fix) in cases {
        let d = validate(&config);
        let hit = d.iter().find(|d| d.path.as_ref().map(|p| p.to_string()).as_deref() == Some(attr));
        let hit = hit.unwrap_or_else(|| panic!("no error at {attr}: {d}"));
        assert!(hit.detail.contains(fix), "{attr}: {:?} does not say {fix:?}", hit.detail);
        assert!(from_value(&config).is_err());
    }
}

fn route(attrs_: &[(&str, &str)]) -> Value {
    Value::object(attrs_.iter().map(|(k, v)| (*k, Value::from(*v))))
}

const OTHER_RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/aaaabbbbccccdddd";

#[test]
fn routes_parse_with_the_release_pair_as_their_default() {
    let own = route(&[
        (attrs::LISTENER_ARN, LISTENER),
        (attrs::route::BLUE_TARGET_GROUP_ARN, GREEN),
        (attrs::route::GREEN_TARGET_GROUP_ARN, BLUE),
    ]);
    let shared = route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE)]);
    let c = with(good(), attrs::ROUTE, Value::List(vec![shared, own]));
    let spec = from_value(&c).unwrap();
    assert_eq!(spec.routes.len(), 2);
    assert_eq!(spec.routes[0].pointer, PointerRef::Rule(OTHER_RULE.into()));
    assert_eq!(spec.routes[0].pair, Pair { blue: BLUE.into(), green: GREEN.into() });
    assert_eq!(spec.routes[1].pointer, PointerRef::Listener(LISTENER.into()));
    assert_eq!(spec.routes[1].pair, Pair { blue: GREEN.into(), green: BLUE.into() });
}

#[test]
fn a_bad_route_is_reported_at_its_own_attribute() {
    let cases: Vec<(Value, &str, &str)> = vec![
        (route(&[]), "route[0].listener_rule_arn", "Missing route pointer"),
        (
            route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE), (attrs::LISTENER_ARN, LISTENER)]),
            "route[0].listener_arn",
            "Conflicting route pointers",
        ),
        (route(&[(attrs::LISTENER_RULE_ARN, RULE)]), "route[0].listener_rule_arn", "The same pointer twice"),
        (route(&[(attrs::LISTENER_RULE_ARN, BLUE)]), "route[0].listener_rule_arn", "Invalid listener rule ARN"),
        (
            route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE), (attrs::route::GREEN_TARGET_GROUP_ARN, RULE)]),
            "route[0].green_target_group_arn",
            "Invalid target group ARN",
        ),
        (
            route(&[
                (attrs::LISTENER_RULE_ARN, OTHER_RULE),
                (attrs::route::BLUE_TARGET_GROUP_ARN, BLUE),
                (attrs::route::GREEN_TARGET_GROUP_ARN, BLUE),
            ]),
            "route[0].green_target_group_arn",
            "Blue and green are the same target group",
        ),
        (
            route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE), (attrs::TEST_LISTENER_RULE_ARN, OTHER_RULE)]),
            "route[0].test_listener_rule_arn",
            "The same pointer twice",
        ),
    ];
    for (r, at, summary) in cases {
        let d = validate(&with(good(), attrs::ROUTE, Value::List(vec![r])));
        let found = d.iter().find(|x| x.summary == summary).unwrap_or_else(|| panic!("{summary}: {d}"));
        assert_eq!(found.path.as_ref().map(|a| a.to_string()).as_deref(), Some(at), "{summary}");
    }
    // Two routes naming the same pointer: the second is the error.
    let twice = Value::List(vec![
        route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE)]),
        route(&[(attrs::LISTENER_RULE_ARN, OTHER_RULE)]),
    ]);
    let d = validate(&with(good(), attrs::ROUTE, twice));
    let found = d.iter().find(|x| x.summary == "The same pointer twice").expect("an error");
    assert_eq!(found.path.as_ref().unwrap().to_string(), "route[1].listener_rule_arn");
    assert!(found.detail.contains("is already route[0].listener_rule_arn"), "{}", found.detail);
}

#[test]
fn a_route_on_the_release_pair_named_the_replaced_group_before_and_one_with_its_own_did_not() {
    const NEW_GREEN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-green-2/93e2d6bc24d8a069";
    let before = Pair { blue: BLUE.into(), green: GREEN.into() };
    let now = Pair { blue: BLUE.into(), green: NEW_GREEN.into() };
    let shared = Route { pointer: PointerRef::Rule(OTHER_RULE.into()), pair: now.clone(), test_pointer: None };
    assert_eq!(shared.pair_before(&now, &before), Some(before.clone()));
    let own = Route { pair: Pair { blue: GREEN.into(), green: BLUE.into() }, ..shared.clone() };
    assert_eq!(own.pair_before(&now, &before), None, "its own groups are not the release's");
    assert_eq!(shared.pair_before(&now, &now), None, "nothing replaced");
}
