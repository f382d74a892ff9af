//! The typed state of a release: [`ReleaseState`], read from and written to the state
//! object (`from_value` / `to_value`), and the identity. A plan's values may still be
//! unknown, so the plan reads its inputs through [`pointer_of`] and [`pair_of`].

use super::attrs;
use crate::release_spec::{self, Route};
use crate::traffic_pointer::{Color, Pair, PointerRef, Traffic};
use tfplugin::Value;
use tfplugin::provider::Upgrade;

/// The schema version: 1 added the `route` blocks.
pub const SCHEMA_VERSION: i64 = 1;

/// The steps from each older schema version (tfplugin runs them on the stored JSON).
pub fn state_upgrades() -> Vec<Upgrade> {
    vec![Upgrade { from_version: 0, step: add_no_routes }]
}

/// Version 0 had no `route` blocks: a stored release of it moves one pointer, so it has
/// none, and plans clean against a configuration that writes none.
fn add_no_routes(
    mut stored: serde_json::Map<String, serde_json::Value>,
) -> Result<serde_json::Map<String, serde_json::Value>, String> {
    stored.entry(attrs::ROUTE).or_insert_with(|| serde_json::Value::Array(Vec::new()));
    Ok(stored)
}

/// One `route` block as the state records it: its inputs as configured (a target group
/// left out stays out: it follows the release's) and the traffic it was last seen with.
#[derive(Clone, Debug, PartialEq)]
pub struct RouteState {
    pub pointer: PointerRef,
    pub test_pointer: Option<PointerRef>,
    /// `blue_target_group_arn` and `green_target_group_arn`, when the block sets them.
    pub blue: Option<String>,
    pub green: Option<String>,
    /// None: not read yet, or its pointer is no split of its pair.
    pub traffic: Option<Traffic>,
}

impl RouteState {
    /// The route as the switch moves it, over the release's pair `release`.
    pub fn route(&self, release: &Pair) -> Route {
        Route {
            pointer: self.pointer.clone(),
            pair: Pair {
                blue: self.blue.clone().unwrap_or_else(|| release.blue.clone()),
                green: self.green.clone().unwrap_or_else(|| release.green.clone()),
            },
            test_pointer: self.test_pointer.clone(),
        }
    }

    fn from_value(v: &Value) -> Option<Self> {
        Some(RouteState {
            pointer: pointer_between(v, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN)?,
            test_pointer: pointer_between(v, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN),
            blue: v.get(attrs::route::BLUE_TARGET_GROUP_ARN).as_str().map(str::to_string),
            green: v.get(attrs::route::GREEN_TARGET_GROUP_ARN).as_str().map(str::to_string),
            traffic: traffic_of(v),
        })
    }

    fn to_value(&self) -> Value {
        let (rule, listener) = pointer_values(Some(&self.pointer));
        let (test_rule, test_listener) = pointer_values(self.test_pointer.as_ref());
        Value::object([
            (attrs::LISTENER_RULE_ARN, rule),
            (attrs::LISTENER_ARN, listener),
            (attrs::route::BLUE_TARGET_GROUP_ARN, Value::opt_string(self.blue.as_deref())),
            (attrs::route::GREEN_TARGET_GROUP_ARN, Value::opt_string(self.green.as_deref())),
            (attrs::TEST_LISTENER_RULE_ARN, test_rule),
            (attrs::TEST_LISTENER_ARN, test_listener),
            (attrs::ACTIVE_COLOR, Value::opt_string(self.traffic.map(|t| t.active.as_str()))),
            (attrs::STANDBY_TRAFFIC_PERCENT, self.traffic.map_or(Value::Null, |t| i64::from(t.standby_percent).into())),
        ])
    }
}

/// A release as its state records it, every input known.
#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseState {
    pub cluster: String,
    /// `listener_rule_arn` or `listener_arn`.
    pub pointer: PointerRef,
    /// `test_listener_rule_arn` or `test_listener_arn`.
    pub test_pointer: Option<PointerRef>,
    /// The `blue` and `green` blocks.
    pub pair: Pair,
    /// The `route` blocks, in order.
    pub routes: Vec<RouteState>,
    pub active_color: Option<Color>,
    pub standby_traffic_percent: Option<u8>,
    /// The active color `standby_color` and both target-group ARNs derive from. Kept
    /// apart from `active_color`: an import that withholds the adopted traffic
    /// (import_adoption) still records what derives from it.
    pub derived_from: Option<Color>,
    /// `promotion` and `timeouts` as configured; release_spec parses them.
    pub promotion: Value,
    pub timeouts: Value,
}

impl ReleaseState {
    /// The state of a release found live, as import records it (and `terraform query`
    /// lists it): the inputs, the live traffic and what derives from it; `test` is the
    /// pair's ECS-native test listener rule, if any ([`crate::discovery::native_test_pointer`]).
    pub fn found(
        cluster: &str,
        pointer: &PointerRef,
        pair: &Pair,
        traffic: Traffic,
        test: Option<&PointerRef>,
    ) -> Self {
        ReleaseState {
            cluster: cluster.to_string(),
            pointer: pointer.clone(),
            test_pointer: test.cloned(),
            pair: pair.clone(),
            routes: Vec::new(),
            active_color: None,
            standby_traffic_percent: None,
            derived_from: None,
            promotion: Value::List(vec![]),
            timeouts: Value::Null,
        }
        .with_traffic(traffic)
    }

    /// None when an input that names the release (cluster, pointer, pair) is missing
    /// or unknown.
    pub fn from_value(v: &Value) -> Option<Self> {
        Some(ReleaseState {
            cluster: v.get(attrs::CLUSTER).as_str()?.to_string(),
            pointer: pointer_of(v)?,
            test_pointer: pointer_between(v, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN),
            pair: pair_of(v)?,
            routes: v.get(attrs::ROUTE).elements().iter().map(RouteState::from_value).collect::<Option<_>>()?,
            active_color: v.get(attrs::ACTIVE_COLOR).as_str().and_then(Color::parse),
            standby_traffic_percent: v.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64().and_then(|p| u8::try_from(p).ok()),
            derived_from: v.get(attrs::STANDBY_COLOR).as_str().and_then(Color::parse).map(Color::other),
            promotion: v.get(attrs::PROMOTION).clone(),
            timeouts: v.get(attrs::TIMEOUTS).clone(),
        })
    }

    pub fn to_value(&self) -> Value {
        let (rule, listener) = pointer_values(Some(&self.pointer));
        let (test_rule, test_listener) = pointer_values(self.test_pointer.as_ref());
        let derived = |tg: fn(Color) -> Color| {
            self.derived_from.map_or(Value::Null, |c| Value::from(self.pair.target_group(tg(c))))
        };
        Value::object([
            (attrs::ID, Value::from(release_id(&self.cluster, &self.pointer))),
            (attrs::CLUSTER, Value::from(self.cluster.as_str())),
            (attrs::LISTENER_RULE_ARN, rule),
            (attrs::LISTENER_ARN, listener),
            (attrs::TEST_LISTENER_RULE_ARN, test_rule),
            (attrs::TEST_LISTENER_ARN, test_listener),
            (attrs::BLUE, color_block(self.pair.blue.as_str())),
            (attrs::GREEN, color_block(self.pair.green.as_str())),
            (attrs::ROUTE, Value::List(self.routes.iter().map(RouteState::to_value).collect())),
            (attrs::ACTIVE_COLOR, Value::opt_string(self.active_color.map(Color::as_str))),
            (attrs::STANDBY_TRAFFIC_PERCENT, self.standby_traffic_percent.map_or(Value::Null, |p| i64::from(p).into())),
            (attrs::STANDBY_COLOR, Value::opt_string(self.derived_from.map(|c| c.other().as_str()))),
            (attrs::ACTIVE_TARGET_GROUP_ARN, derived(|c| c)),
            (attrs::STANDBY_TARGET_GROUP_ARN, derived(Color::other)),
            (attrs::PROMOTION, self.promotion.clone()),
            (attrs::TIMEOUTS, self.timeouts.clone()),
        ])
    }

    /// Every attribute derived from the live traffic `t` filled in.
    pub fn with_traffic(self, t: Traffic) -> Self {
        ReleaseState {
            active_color: Some(t.active),
            standby_traffic_percent: Some(t.standby_percent),
            derived_from: Some(t.active),
            ..self
        }
    }

    /// The adopted traffic left out (what derives from it stays): the client writes
    /// generated configuration from this state (import_adoption).
    pub fn withholding_adopted(self) -> Self {
        ReleaseState { active_color: None, standby_traffic_percent: None, ..self }
    }

    pub fn identity(&self) -> Value {
        identity(&self.cluster, &self.pointer)
    }
}

/// `CLUSTER/POINTER_ARN`.
pub fn release_id(cluster: &str, pointer: &PointerRef) -> String {
    format!("{cluster}/{}", pointer.arn())
}

pub fn identity(cluster: &str, pointer: &PointerRef) -> Value {
    let (rule, listener) = pointer_values(Some(pointer));
    Value::object([
        (attrs::CLUSTER, Value::from(cluster)),
        (attrs::LISTENER_RULE_ARN, rule),
        (attrs::LISTENER_ARN, listener),
    ])
}

/// The traffic a state records (as refreshed when the plan was made).
pub fn recorded_traffic(state: &Value) -> Option<Traffic> {
    traffic_of(state)
}

/// The traffic of an object with `active_color` and `standby_traffic_percent` (the
/// release, or one of its `route` blocks).
fn traffic_of(v: &Value) -> Option<Traffic> {
    Some(Traffic {
        active: Color::parse(v.get(attrs::ACTIVE_COLOR).as_str()?)?,
        standby_percent: u8::try_from(v.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64()?)
            .ok()
            .filter(|p| i64::from(*p) <= release_spec::MAX_STANDBY_PERCENT)?,
    })
}

/// The traffic each route of a state records, by its pointer's ARN (a route the state
/// has not read records none).
pub fn recorded_route_traffic(state: &Value) -> Vec<(String, Option<Traffic>)> {
    state
        .get(attrs::ROUTE)
        .elements()
        .iter()
        .filter_map(|r| {
            let pointer = pointer_between(r, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN)?;
            Some((pointer.arn().to_string(), traffic_of(r)))
        })
        .collect()
}

/// The production pointer of a configuration, plan or state, when known.
pub fn pointer_of(v: &Value) -> Option<PointerRef> {
    pointer_between(v, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN)
}

/// The test pointer of a configuration or state, when set.
pub fn test_pointer_of(v: &Value) -> Option<PointerRef> {
    pointer_between(v, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN)
}

use release_spec::pointer_between;

/// The values of a pointer's rule and listener attributes.
fn pointer_values(pointer: Option<&PointerRef>) -> (Value, Value) {
    match pointer {
        Some(PointerRef::Rule(a)) => (Value::from(a.as_str()), Value::Null),
        Some(PointerRef::Listener(a)) => (Value::Null, Value::from(a.as_str())),
        None => (Value::Null, Value::Null),
    }
}

/// The target group of a `blue` or `green` block, when known.
pub fn target_group_of(v: &Value, color: &str) -> Option<String> {
    v.get(color).single_block().and_then(|b| b.get(attrs::TARGET_GROUP_ARN).as_str()).map(str::to_string)
}

/// The pair of a configuration, plan or state, when both target groups are known.
pub fn pair_of(v: &Value) -> Option<Pair> {
    Some(Pair { blue: target_group_of(v, attrs::BLUE)?, green: target_group_of(v, attrs::GREEN)? })
}

/// A `blue` or `green` block naming `target_group_arn` (null: not known yet).
pub fn color_block(target_group_arn: impl Into<Value>) -> Value {
    Value::List(vec![Value::object([(attrs::TARGET_GROUP_ARN, target_group_arn.into())])])
}

/// Sets one attribute of an object value (plan and apply edit states that may hold
/// unknown values, which [`ReleaseState`] does not).
pub fn set(v: &mut Value, attr: &str, new: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(attr.to_string(), new);
    }
}
