//! Plan of the `route` blocks: the traffic each route will have after the apply, the
//! warning for a route that disagrees with the release while it adopts, and the
//! plan-time checks of a route that is new or changed (readable, a split of its pair,
//! its groups on its listener's load balancer).
//!
//! A route found disagreeing with the release (someone moved it alone):
//! - with `active_color` set (enforce), the plan shows the route being put back, and
//!   the apply moves it through the gate like any other move;
//! - adopting (`active_color` omitted), the plan leaves it and warns; the next apply
//!   that moves traffic moves it with the others.

use super::attrs;
use super::read::pointer_attr;
use super::state::{recorded_route_traffic, set};
use crate::aws::AwsClients;
use crate::discovery;
use crate::release_spec::{ReleaseSpec, Route, route_path};
use crate::traffic_pointer::{Pair, Traffic};
use tfplugin::{Diagnostic, Diagnostics, Value};

/// Sets each planned route's computed traffic. `moving`: the release's recorded traffic
/// and the traffic the apply moves it to, when both are known (an update). Adopting,
/// a route keeps what it was seen with unless the release moves.
pub(super) fn plan_route_traffic(
    config: &Value,
    prior_state: &Value,
    planned: &mut Value,
    moving: Option<(Traffic, Traffic)>,
    diagnostics: &mut Diagnostics,
) {
    let enforcing = !config.get(attrs::ACTIVE_COLOR).is_null();
    let recorded = recorded_route_traffic(prior_state);
    let Some(Value::List(routes)) = planned.as_object_mut().and_then(|m| m.get_mut(attrs::ROUTE)) else { return };
    for (i, route) in routes.iter_mut().enumerate() {
        let pointer = crate::release_spec::pointer_between(route, attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN);
        let seen = pointer.as_ref().and_then(|p| recorded.iter().find(|(arn, _)| arn == p.arn())).and_then(|(_, t)| *t);
        let planned_traffic = match moving {
            Some((from, to)) if enforcing || to != from => Some(to),
            Some((_, to)) => {
                if let (Some(seen), Some(p)) = (seen, &pointer)
                    && seen != to
                {
                    diagnostics.push(
                        Diagnostic::warning(
                            format!("Route {} disagrees with the release", i + 1),
                            format!(
                                "{} sends {seen}; the release sends {to}. Someone moved this route alone. The release adopts what is live (active_color is not set), so this plan leaves it; the next apply that moves traffic moves it with the others. To put it back now, set active_color.",
                                p.describe()
                            ),
                        )
                        .at(route_path(i, pointer_attr(p))),
                    );
                }
                seen
            }
            None => None,
        };
        let (active, standby) = match planned_traffic {
            Some(t) => (Value::from(t.active.as_str()), Value::from(i64::from(t.standby_percent))),
            None => (Value::Unknown, Value::Unknown),
        };
        set(route, attrs::ACTIVE_COLOR, active);
        set(route, attrs::STANDBY_TRAFFIC_PERCENT, standby);
    }
}

/// The routes of `spec` that the prior state does not have as they are now (new, or
/// with another pointer or pair): these are read and checked at plan time. A plan that
/// changes no route reads nothing more.
pub(super) fn new_or_changed_routes<'a>(
    spec: &'a ReleaseSpec,
    prior: Option<&super::state::ReleaseState>,
) -> Vec<(usize, &'a Route)> {
    spec.routes
        .iter()
        .enumerate()
        .filter(|(_, r)| !prior.is_some_and(|p| p.routes.iter().any(|s| s.route(&p.pair) == **r)))
        .collect()
}

/// Reads each new or changed route: an error at its attribute when its pointer does
/// not exist, is no split of its pair, or forwards to groups of another load balancer.
/// A route still naming a target group of the release that this update replaces
/// (`release_before`: the prior state's pair) is checked over the pair it named: the
/// apply renames it as it does the production pointer's.
pub(super) async fn check_routes(
    aws: &AwsClients,
    routes: &[(usize, &Route)],
    release: (&Pair, Option<&Pair>),
    diagnostics: &mut Diagnostics,
) {
    if routes.is_empty() {
        return;
    }
    let pointers: Vec<_> = routes.iter().map(|(_, r)| r.pointer.clone()).collect();
    let reads = aws.pointers.read_all(&pointers).await;
    for ((i, route), read) in routes.iter().zip(reads) {
        let at = route_path(*i, pointer_attr(&route.pointer));
        let before = release.1.and_then(|before| route.pair_before(release.0, before));
        let split = read.and_then(|p| match (p.traffic(&route.pair, None), before.map(|b| p.traffic(&b, None))) {
            (Err(_), Some(Ok(t))) => Ok(t),
            (t, _) => t,
        });
        let checked = match split {
            Ok(_) => discovery::check_same_load_balancer(aws, &route.pointer, &route.pair).await,
            Err(e) => Err(e),
        };
        if let Err(e) = checked {
            diagnostics.push(e.to_diagnostic().at(at));
        }
    }
}
