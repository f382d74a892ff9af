//! A pair's pointers sorted into one release, the same way for import and for
//! `terraform query`: the primary pointer, the routes that move with it, and the
//! pointers that forward to the pair but cannot be routes.
//!
//! A route is another pointer whose forward action names both target groups of the pair
//! and no other: the form this provider writes (the standby at weight 0), and the only
//! one that says "this pointer carries the release". A pointer forwarding to one color
//! alone is left out: it may be a test rule or a rule pinned to one color (a host-header
//! rule for the old version), which every promotion would rewrite; the same reason a test
//! pointer is never guessed. The pair's ECS-native `testListenerRule` is its test
//! pointer, never a route. A pointer forwarding to a group of the pair and to another
//! group too is no split of the pair: left out, with a warning.

use crate::discovery::{Found, choose_pointer};
use crate::errors::Result;
use crate::pointer_owner::NativeLoadBalancer;
use crate::release_spec::MAX_ROUTES;
use crate::traffic_pointer::{Pair, Pointer};
use tfplugin::Diagnostic;

/// True when `p` forwards to both target groups of `pair`, to no other, and sends
/// traffic (it is a split of the pair that names both colors).
pub fn splits_pair(p: &Pointer, pair: &Pair) -> bool {
    let names = |tg: &str| p.weights().is_ok_and(|w| w.iter().any(|(t, _)| t == tg));
    names(&pair.blue) && names(&pair.green) && p.traffic(pair, None).is_ok()
}

/// True when `p` forwards to a target group of `pair` and to a group outside it.
fn forwards_outside(p: &Pointer, pair: &Pair) -> bool {
    let weights = p.weights().unwrap_or_default();
    weights.iter().any(|(t, _)| pair.color_of(t).is_some()) && weights.iter().any(|(t, _)| pair.color_of(t).is_none())
}

/// The ECS-native `productionListenerRule` and `testListenerRule` of the load balancer
/// whose target group and alternate are the pair (either way round), when there is one.
pub fn native_rules_of<'a>(natives: &'a [NativeLoadBalancer], pair: &Pair) -> (Option<&'a str>, Option<&'a str>) {
    natives
        .iter()
        .find(|n| {
            (n.target_group == pair.blue && n.alternate == pair.green)
                || (n.target_group == pair.green && n.alternate == pair.blue)
        })
        .map_or((None, None), |n| (n.production_rule.as_deref(), n.test_rule.as_deref()))
}

/// The primary pointer among `candidates` (the pointers forwarding within the pair):
/// the pair's ECS-native `productionListenerRule` when it is one of them, else
/// [`choose_pointer`]'s pick among them without the ECS-native `testListenerRule`
/// (unless it is the only one: a lone pointer is the primary whatever it is).
pub fn choose_primary(
    pair: &Pair,
    mut candidates: Vec<Found>,
    native_production: Option<&str>,
    native_test: Option<&str>,
) -> Result<Pointer> {
    if let Some(i) = candidates.iter().position(|f| Some(f.pointer.target.arn()) == native_production) {
        return Ok(candidates.swap_remove(i).pointer);
    }
    if candidates.len() > 1 {
        candidates.retain(|f| Some(f.pointer.target.arn()) != native_test);
    }
    choose_pointer(pair, candidates)
}

/// The pair's pointers beside its primary and test pointer, each once, by ARN.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Others {
    /// Pointers that split the pair ([`splits_pair`]): the release's routes.
    pub routes: Vec<Pointer>,
    /// Pointers forwarding to the pair and to other target groups too: not routes.
    pub outside: Vec<Pointer>,
    /// Pointers that split the pair beyond [`MAX_ROUTES`] routes: left out, warned about.
    pub beyond_limit: Vec<Pointer>,
}

/// Sorts `all` (every pointer read on the pair's load balancers) beside the release's
/// `primary` and `test` pointers (ARNs). `native_test` (the pair's ECS-native
/// `testListenerRule`) is never a route, recorded as the test pointer or not.
pub fn others(pair: &Pair, all: &[Found], primary: &str, test: Option<&str>, native_test: Option<&str>) -> Others {
    let mut out = Others::default();
    let mut seen: Vec<&str> = vec![primary];
    seen.extend(test);
    seen.extend(native_test);
    for f in all {
        let arn = f.pointer.target.arn();
        if seen.contains(&arn) {
            continue;
        }
        seen.push(arn);
        if splits_pair(&f.pointer, pair) {
            out.routes.push(f.pointer.clone());
        } else if forwards_outside(&f.pointer, pair) {
            out.outside.push(f.pointer.clone());
        }
    }
    out.routes.sort_by(|a, b| a.target.arn().cmp(b.target.arn()));
    out.outside.sort_by(|a, b| a.target.arn().cmp(b.target.arn()));
    if out.routes.len() > MAX_ROUTES {
        out.beyond_limit = out.routes.split_off(MAX_ROUTES);
    }
    out
}

/// The warning for the pointers that split the pair beyond the routes a release holds.
pub fn beyond_limit_warning(left_out: &[Pointer]) -> Diagnostic {
    let arns: Vec<&str> = left_out.iter().map(|p| p.target.arn()).collect();
    Diagnostic::warning(
        "More pointers than a release has routes",
        format!(
            "A release has at most {MAX_ROUTES} `route` blocks; the first {MAX_ROUTES} pointers that split this pair (by ARN) are its routes, and these are not: {}. This release does not move them. A pair on that many pointers is usually several services: give each its own target groups and release.",
            arns.join(", ")
        ),
    )
}

/// The warning for a pointer that forwards to the pair and to other target groups: it
/// is not made a route, and why.
pub fn outside_warning(p: &Pointer, pair: &Pair) -> Diagnostic {
    let groups: Vec<String> = p.weights().unwrap_or_default().into_iter().map(|(t, _)| t).collect();
    let (ours, theirs): (Vec<&String>, Vec<&String>) = groups.iter().partition(|t| pair.color_of(t).is_some());
    let join = |v: Vec<&String>| v.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", ");
    Diagnostic::warning(
        "Pointer forwards outside the pair: not a route",
        format!(
            "{} forwards to {} of this release and also to {}, so it is not taken as a `route` block: a route forwards to its blue and green target groups only, and a promotion would rewrite the other groups' weights. This release does not move it. To move it with the release, make it forward to the blue and green target groups only (the standby at weight 0) and add a `route` block naming it.",
            p.target.describe(),
            join(ours),
            join(theirs)
        ),
    )
}

#[cfg(test)]
mod tests;
