//! The `route` blocks: further pointers that move with the primary one, each parsed
//! into a [`Route`] and validated at its own attribute (`route[N].listener_arn`).

use super::{check_pointer_arn_at, check_target_group};
use crate::resource_ecs_release::attrs;
use crate::traffic_pointer::{Pair, PointerRef};
use tfplugin::{AttrPath, Diagnostics, Value};

/// `route` blocks at most (the schema's limit: Terraform says it). Every step of a promotion writes each route one after
/// another through the guarded write, and every gate poll reads each route's gaining
/// target group: a release spanning more pointers than this is several services.
pub const MAX_ROUTES: usize = 10;

/// One `route` block: a pointer that moves with the primary pointer, over its own pair
/// (the release's when the block names none), with its own test pointer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Route {
    pub pointer: PointerRef,
    pub pair: Pair,
    pub test_pointer: Option<PointerRef>,
}

impl Route {
    /// The pair this route named before an update that replaces a target group of the
    /// release (`release_before` → `release_now`) that the route uses too; None when the
    /// update replaces none of its groups.
    pub fn pair_before(&self, release_now: &Pair, release_before: &Pair) -> Option<Pair> {
        let was = |now: &str, release: &str, before: &str| if now == release { before } else { now }.to_string();
        let pair = Pair {
            blue: was(&self.pair.blue, &release_now.blue, &release_before.blue),
            green: was(&self.pair.green, &release_now.green, &release_before.green),
        };
        (pair != self.pair).then_some(pair)
    }
}

/// The path of `attr` in route `index`.
pub fn route_path(index: usize, attr: &str) -> AttrPath {
    AttrPath::root(attrs::ROUTE).index(index as i64).attr(attr)
}

/// The pointer of exactly one of `rule` and `listener` in `v`, when known.
pub fn pointer_between(v: &Value, rule: &str, listener: &str) -> Option<PointerRef> {
    match (v.get(rule).as_str(), v.get(listener).as_str()) {
        (Some(r), None) => Some(PointerRef::Rule(r.to_string())),
        (None, Some(l)) => Some(PointerRef::Listener(l.to_string())),
        _ => None,
    }
}

/// The pair a route block forwards to: its own target groups, else the release's.
pub fn route_pair(block: &Value, release: &Pair) -> Option<Pair> {
    let own = |attr: &str, default: &str| match block.get(attr) {
        Value::Null => Some(default.to_string()),
        v => v.as_str().map(str::to_string),
    };
    Some(Pair {
        blue: own(attrs::route::BLUE_TARGET_GROUP_ARN, &release.blue)?,
        green: own(attrs::route::GREEN_TARGET_GROUP_ARN, &release.green)?,
    })
}

/// The routes of a wholly known configuration; None when a route's pointer or target
/// groups are not known.
pub fn routes_of(c: &Value, release: &Pair) -> Option<Vec<Route>> {
    c.get(attrs::ROUTE)
        .elements()
        .iter()
        .map(|r| {
            Some(Route {
                pointer: pointer_between(r, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN)?,
                pair: route_pair(r, release)?,
                test_pointer: pointer_between(r, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN),
            })
        })
        .collect()
}

/// Static checks of the `route` blocks, at each block's attribute. Unknown values are
/// skipped (checked again once known).
pub fn validate_routes(d: &mut Diagnostics, c: &Value) {
    let routes = c.get(attrs::ROUTE).elements();
    for (i, r) in routes.iter().enumerate() {
        let at = |attr: &str| route_path(i, attr);
        match (r.get(attrs::LISTENER_RULE_ARN).is_null(), r.get(attrs::LISTENER_ARN).is_null()) {
            (false, false) => d.error_at(
                at(attrs::LISTENER_ARN),
                "Conflicting route pointers",
                "Set exactly one of `listener_rule_arn` (a rule's forward action) and `listener_arn` (the listener's default action) in each route block, not both.",
            ),
            (true, true) => d.error_at(
                at(attrs::LISTENER_RULE_ARN),
                "Missing route pointer",
                "Each route block needs exactly one of `listener_rule_arn` (a rule's forward action) or `listener_arn` (an ALB or NLB listener's default action): the pointer that moves with the release's.",
            ),
            _ => {}
        }
        if !r.get(attrs::TEST_LISTENER_RULE_ARN).is_null() && !r.get(attrs::TEST_LISTENER_ARN).is_null() {
            d.error_at(
                at(attrs::TEST_LISTENER_ARN),
                "Conflicting test pointers",
                "Set at most one of `test_listener_rule_arn` and `test_listener_arn` in each route block.",
            );
        }
        for (attr, want_rule) in [
            (attrs::LISTENER_RULE_ARN, true),
            (attrs::LISTENER_ARN, false),
            (attrs::TEST_LISTENER_RULE_ARN, true),
            (attrs::TEST_LISTENER_ARN, false),
        ] {
            check_pointer_arn_at(d, r.get(attr), at(attr), attr, want_rule, ROUTE_TARGET_GROUPS);
        }
        for attr in attrs::route::TARGET_GROUPS {
            check_target_group(d, r.get(attr), at(attr));
        }
        if let (Some(blue), Some(green)) =
            (r.get(attrs::route::BLUE_TARGET_GROUP_ARN).as_str(), r.get(attrs::route::GREEN_TARGET_GROUP_ARN).as_str())
            && blue == green
        {
            d.error_at(
                at(attrs::route::GREEN_TARGET_GROUP_ARN),
                "Blue and green are the same target group",
                format!("Both colors of this route use {blue}. A route needs two different target groups, or neither (it then uses the release's blue and green)."),
            );
        }
    }
    same_pointer_twice(d, c);
}

/// Where a route block takes its own target groups, for the hint when one is given as
/// a pointer.
const ROUTE_TARGET_GROUPS: &str =
    "`blue_target_group_arn` and `green_target_group_arn` (or leave them out to use the release's blue and green)";

/// Every pointer of a release (production, test, and each route's) must be a different
/// rule or listener: two entries writing the same forward action would undo each other
/// within one step. The second mention is the error.
fn same_pointer_twice(d: &mut Diagnostics, c: &Value) {
    let mut seen: Vec<(String, String)> = Vec::new();
    // The release's own test pointer repeating its production pointer has its own
    // error ("Test pointer is the production pointer"): only the first is recorded.
    for attr in [attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN]
    {
        if let Some(arn) = c.get(attr).as_str()
            && !seen.iter().any(|(a, _)| a == arn)
        {
            seen.push((arn.to_string(), AttrPath::root(attr).to_string()));
        }
    }
    let mut mention = |d: &mut Diagnostics, arn: Option<&str>, at: AttrPath| {
        let Some(arn) = arn else { return };
        if let Some((_, first)) = seen.iter().find(|(a, _)| a == arn) {
            d.error_at(
                at,
                "The same pointer twice",
                format!(
                    "{arn} is already {first}. Each pointer of a release (the production and test pointers and each route's) must be a different listener rule or listener: writing one forward action twice per step would undo itself. Remove this one or name another."
                ),
            );
        } else {
            seen.push((arn.to_string(), at.to_string()));
        }
    };
    for (i, r) in c.get(attrs::ROUTE).elements().iter().enumerate() {
        for attr in
            [attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN, attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN]
        {
            mention(d, r.get(attr).as_str(), route_path(i, attr));
        }
    }
}
