//! Unit tests of the plan-time arithmetic (the time a promotion takes).

use super::attrs;
use super::state::set;
use super::timing::{cannot_fit, fit_attribute, least_time_of_move};
use crate::promotion_gate::{Promotion, Strategy};
use crate::release_spec;
use crate::traffic_pointer::{Color, Traffic};
use std::time::Duration;
use tfplugin::Value;

const BLUE: Traffic = Traffic { active: Color::Blue, standby_percent: 0 };
const GREEN: Traffic = Traffic { active: Color::Green, standby_percent: 0 };
const MIN: Duration = Duration::from_secs(60);

#[test]
fn the_least_time_of_a_move_counts_what_the_apply_counts() {
    let linear = Promotion {
        strategy: Strategy::Linear { step_percent: 10, step_bake_time: 5 * MIN },
        bake_time: 2 * MIN,
        ..Promotion::default()
    };
    let (steps, least) = least_time_of_move(&linear, BLUE, GREEN);
    assert_eq!((steps.len(), least), (10, 47 * MIN), "nine step bakes and the final bake");
    // Pulling a canary back neither steps nor bakes.
    let held = Traffic { active: Color::Blue, standby_percent: 20 };
    assert_eq!(least_time_of_move(&linear, held, BLUE).1, Duration::ZERO);
    let canary = Promotion { strategy: Strategy::Canary { percent: 10, bake_time: 5 * MIN }, ..Promotion::default() };
    assert_eq!(least_time_of_move(&canary, BLUE, GREEN).1, 5 * MIN);
}

#[test]
fn a_move_that_cannot_fit_names_its_attributes_and_the_least_time() {
    let mut config = release_spec::tests::good();
    let linear = Value::object([
        (attrs::promotion::STEP_PERCENT, Value::from(10)),
        (attrs::promotion::STEP_BAKE_TIME, Value::from("5m")),
    ]);
    let promotion = Value::object([
        (attrs::promotion::STRATEGY, Value::from("linear")),
        (attrs::promotion::LINEAR, Value::List(vec![linear])),
    ]);
    set(&mut config, attrs::PROMOTION, Value::List(vec![promotion]));
    let spec = release_spec::from_value(&config).unwrap();
    let (steps, least) = least_time_of_move(&spec.promotion, BLUE, GREEN);
    let detail = cannot_fit(&spec, &steps, least, "update", 10 * MIN);
    for named in [
        "9 steps of 10 % each held for promotion.linear.step_bake_time (5m)",
        "promotion.bake_time (0s)",
        "at least 45m",
        "timeouts.update is 10m",
        "Raise timeouts.update above 45m",
    ] {
        assert!(detail.contains(named), "{named:?} in {detail}");
    }
    assert_eq!(fit_attribute(&config, &spec, steps.len()).to_string(), "promotion[0].linear[0].step_bake_time");
    // All at once: only the final bake can be too long.
    let spec = release_spec::from_value(&release_spec::tests::good()).unwrap();
    assert_eq!(fit_attribute(&config, &spec, 1).to_string(), "promotion[0].bake_time");
}

#[test]
fn a_release_state_reads_back_what_it_writes() {
    use super::state::ReleaseState;
    use crate::traffic_pointer::{Pair, PointerRef};
    let pair = Pair { blue: "tg-b".into(), green: "tg-g".into() };
    let pointer = PointerRef::Rule("arn:rule".into());
    let test = PointerRef::Listener("arn:listener".into());
    let canary = Traffic { active: Color::Green, standby_percent: 10 };
    let found = ReleaseState::found("prod", &pointer, &pair, canary, Some(&test));
    let value = found.to_value();
    assert_eq!(value.get(attrs::ID).as_str(), Some("prod/arn:rule"));
    assert_eq!(value.get(attrs::LISTENER_RULE_ARN).as_str(), Some("arn:rule"));
    assert!(value.get(attrs::LISTENER_ARN).is_null());
    assert_eq!(value.get(attrs::TEST_LISTENER_ARN).as_str(), Some("arn:listener"));
    assert_eq!(value.get(attrs::ACTIVE_COLOR).as_str(), Some("green"));
    assert_eq!(value.get(attrs::STANDBY_COLOR).as_str(), Some("blue"));
    assert_eq!(value.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64(), Some(10));
    assert_eq!(value.get(attrs::ACTIVE_TARGET_GROUP_ARN).as_str(), Some("tg-g"));
    assert_eq!(value.get(attrs::STANDBY_TARGET_GROUP_ARN).as_str(), Some("tg-b"));
    assert_eq!(ReleaseState::from_value(&value), Some(found.clone()));
    // Withheld from an import: the adopted traffic is null, what derives from it stays.
    let withheld = found.withholding_adopted();
    let value = withheld.to_value();
    assert!(value.get(attrs::ACTIVE_COLOR).is_null() && value.get(attrs::STANDBY_TRAFFIC_PERCENT).is_null());
    assert_eq!(value.get(attrs::STANDBY_TARGET_GROUP_ARN).as_str(), Some("tg-b"));
    assert_eq!(ReleaseState::from_value(&value), Some(withheld));
}

#[test]
fn the_typed_state_writes_every_attribute_and_block_of_the_schema() {
    use super::state::ReleaseState;
    use crate::traffic_pointer::{Pair, PointerRef};
    let pair = Pair { blue: "tg-b".into(), green: "tg-g".into() };
    let traffic = Traffic { active: Color::Blue, standby_percent: 0 };
    let value = ReleaseState::found("prod", &PointerRef::Rule("arn:rule".into()), &pair, traffic, None).to_value();
    let written: Vec<&str> = value.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(written, declared_names());
}

#[test]
fn a_version_0_state_gets_no_routes_and_keeps_everything_else() {
    use super::state::state_upgrades;
    let stored: serde_json::Map<String, serde_json::Value> = [
        (attrs::CLUSTER, serde_json::json!("prod")),
        (attrs::LISTENER_RULE_ARN, serde_json::json!("r")),
        (attrs::ACTIVE_COLOR, serde_json::json!("green")),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v))
    .collect();
    let steps = state_upgrades();
    assert_eq!(steps.len(), 1);
    assert_eq!(steps[0].from_version, 0);
    let upgraded = (steps[0].step)(stored.clone()).unwrap();
    assert_eq!(upgraded[attrs::ROUTE], serde_json::json!([]));
    for (k, v) in &stored {
        assert_eq!(&upgraded[k], v, "{k} kept");
    }
    assert_eq!(upgraded.len(), stored.len() + 1);
}

#[test]
fn generated_configuration_holds_every_route_with_its_inputs_only() {
    use super::import::release_state;
    use crate::import_adoption::RecentImports;
    use crate::traffic_pointer::{Pair, Pointer, PointerRef};
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, ForwardActionConfig, TargetGroupTuple};
    use tfplugin::provider::GenerateResourceConfigRequest;
    let pair = Pair { blue: "tg-b".into(), green: "tg-g".into() };
    let forward = |b: i32, g: i32| {
        let tuple = |tg: &str, w: i32| TargetGroupTuple::builder().target_group_arn(tg).weight(w).build();
        vec![
            Action::builder()
                .r#type(ActionTypeEnum::Forward)
                .forward_config(
                    ForwardActionConfig::builder()
                        .target_groups(tuple("tg-b", b))
                        .target_groups(tuple("tg-g", g))
                        .build(),
                )
                .build(),
        ]
    };
    let routes = [
        Pointer { target: PointerRef::Rule("arn:rule-2".into()), actions: forward(100, 0) },
        Pointer { target: PointerRef::Listener("arn:listener".into()), actions: forward(50, 50) },
    ];
    let state = release_state("prod", &PointerRef::Rule("arn:rule".into()), &pair, GREEN, None, &routes);
    // A 50/50 route reads as the release's active color (green), as refresh reads it.
    let recorded = state.get(attrs::ROUTE).elements();
    assert_eq!(recorded[0].get(attrs::ACTIVE_COLOR).as_str(), Some("blue"));
    assert_eq!(recorded[1].get(attrs::ACTIVE_COLOR).as_str(), Some("green"));
    assert_eq!(recorded[1].get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64(), Some(50));
    let req = GenerateResourceConfigRequest { type_name: super::TYPE_NAME.into(), state };
    let generated = super::generate_config(req, &RecentImports::default());
    assert!(generated.diagnostics.is_empty(), "{:?}", generated.diagnostics);
    let routes = generated.config.get(attrs::ROUTE).elements();
    assert_eq!(routes.len(), 2);
    assert_eq!(routes[0].get(attrs::LISTENER_RULE_ARN).as_str(), Some("arn:rule-2"));
    assert_eq!(routes[1].get(attrs::LISTENER_ARN).as_str(), Some("arn:listener"));
    for route in routes {
        for left_out in [attrs::ACTIVE_COLOR, attrs::STANDBY_TRAFFIC_PERCENT, attrs::route::BLUE_TARGET_GROUP_ARN] {
            assert!(route.get(left_out).is_null(), "{left_out} must not be generated: {route:?}");
        }
    }
    // The configuration names every attribute and block of the schema.
    let mut written: Vec<&str> = generated.config.as_object().unwrap().keys().map(String::as_str).collect();
    written.sort_unstable();
    assert_eq!(written, declared_names());
}

#[test]
fn on_an_nlb_the_least_time_counts_a_wait_after_each_write_a_bake_or_step_watches() {
    use super::timing::least_time_of_release_move;
    let nlb = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/net/tcp/50dc6c495c0c9188/f2f7dc8efc522ab2";
    let mut config = release_spec::tests::good();
    config.as_object_mut().unwrap().remove(attrs::LISTENER_RULE_ARN);
    set(&mut config, attrs::LISTENER_ARN, Value::from(nlb));
    let linear = Value::object([
        (attrs::promotion::STEP_PERCENT, Value::from(25)),
        (attrs::promotion::STEP_BAKE_TIME, Value::from("1m")),
    ]);
    let promotion = |bake: &str| {
        Value::List(vec![Value::object([
            (attrs::promotion::STRATEGY, Value::from("linear")),
            (attrs::promotion::LINEAR, Value::List(vec![linear.clone()])),
            (attrs::promotion::BAKE_TIME, Value::from(bake)),
            (attrs::promotion::NLB_PROPAGATION_DELAY, Value::from("2m")),
        ])])
    };
    set(&mut config, attrs::PROMOTION, promotion("5m"));
    let spec = release_spec::from_value(&config).unwrap();
    let (steps, least) = least_time_of_release_move(&spec, BLUE, GREEN);
    assert_eq!(steps.len(), 4);
    assert_eq!(least, 3 * MIN + 5 * MIN + 4 * 2 * MIN, "three step bakes, the final bake, four waits");
    let detail = cannot_fit(&spec, &steps, least, "update", 10 * MIN);
    assert!(
        detail.contains("promotion.nlb_propagation_delay (2m) after every write the bakes watch (8m in all)"),
        "{detail}"
    );
    // A final bake of 0: nothing watches the last write, so no wait after it.
    set(&mut config, attrs::PROMOTION, promotion("0s"));
    let spec = release_spec::from_value(&config).unwrap();
    assert_eq!(least_time_of_release_move(&spec, BLUE, GREEN).1, 3 * MIN + 3 * 2 * MIN);
    // The same release on an ALB listener waits for nothing.
    set(&mut config, attrs::LISTENER_ARN, Value::from(release_spec::tests::LISTENER));
    let spec = release_spec::from_value(&config).unwrap();
    assert_eq!(least_time_of_release_move(&spec, BLUE, GREEN).1, 3 * MIN);
}

/// Every attribute and block name the resource's schema declares, sorted.
fn declared_names() -> Vec<String> {
    let block = super::schema().schema.block;
    let mut declared: Vec<String> = block.attributes.iter().map(|a| a.name.clone()).collect();
    declared.extend(block.blocks.iter().map(|b| b.name.clone()));
    declared.sort_unstable();
    declared
}
