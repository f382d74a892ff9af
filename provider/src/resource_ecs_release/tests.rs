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
    let linear = Value::object([("step_percent", Value::from(10)), ("step_bake_time", Value::from("5m"))]);
    let promotion = Value::object([("strategy", Value::from("linear")), ("linear", Value::List(vec![linear]))]);
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
