//! The releases one query lists, from its inventory: each candidate pair resolved to
//! its colors and production pointer, or a warning saying why it is not listed; then
//! the listener filter and the events Terraform receives.

use super::inventory::{Inventory, candidates};
use crate::arn;
use crate::discovery::{self, Found};
use crate::errors::Error;
use crate::pair_pointers;
use crate::pointer_owner::{self, CodeDeployRoute, NativeLoadBalancer};
use crate::resource_ecs_release;
use crate::traffic_pointer::{Color, Pair, Pointer, PointerRef, Traffic};
use std::collections::BTreeMap;
use tfplugin::provider::ListResourceEvent;
use tfplugin::{Diagnostic, Diagnostics};

/// One release found live.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct Release {
    pub(super) name: String,
    pub(super) pair: Pair,
    pub(super) pointer: PointerRef,
    pub(super) port: Option<i32>,
    pub(super) traffic: Traffic,
    pub(super) test: Option<PointerRef>,
    pub(super) detached: Option<Color>,
    /// The pair's other pointers that split it: the release's `route` blocks, by ARN.
    pub(super) routes: Vec<Pointer>,
    /// Pointers forwarding to the pair and to other target groups: warned about.
    pub(super) outside: Vec<Pointer>,
    /// Pointers splitting the pair beyond the routes a release holds: warned about.
    pub(super) beyond_limit: Vec<Pointer>,
}

impl Release {
    /// `shop-prod · rule …/8d6e → green`, with the split when there is a canary, and
    /// `(+2 routes)` when other pointers move with it.
    pub(super) fn display_name(&self) -> String {
        let (kind, arn) = match &self.pointer {
            PointerRef::Rule(a) => ("rule".to_string(), a),
            PointerRef::Listener(a) => {
                (self.port.map_or_else(|| "listener".to_string(), |p| format!("listener :{p}")), a)
            }
        };
        let tail: String = {
            let chars: Vec<char> = arn.chars().collect();
            chars[chars.len().saturating_sub(4)..].iter().collect()
        };
        let to =
            if self.traffic.standby_percent == 0 { self.traffic.active.to_string() } else { self.traffic.to_string() };
        let routes = match self.routes.len() {
            0 => String::new(),
            1 => " (+1 route)".to_string(),
            n => format!(" (+{n} routes)"),
        };
        format!("{} · {kind} …/{tail} → {to}{routes}", self.name)
    }
}

/// What the list streams: a release, or a warning about a pair it cannot list.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Listed {
    Release(Release),
    Warning {
        name: String,
        tgs: Vec<String>,
        diagnostic: Diagnostic,
    },
    /// A service's target group that no longer exists: shown whatever the listener filter
    /// (nothing forwards to a deleted target group, so no listener can claim it).
    Stale {
        name: String,
        tg: String,
        diagnostic: Diagnostic,
    },
}

/// A release's name for people: the common name of its services without the color word
/// and Spinnaker's `-vNNN` (`shop-prod-v012` → `shop-prod`, `shop-blue` → `shop`), else
/// its target group's name without the color word.
fn release_name(inv: &Inventory, tgs: &[String]) -> String {
    let mut counts: BTreeMap<String, usize> = BTreeMap::new();
    for s in inv.services_on(tgs) {
        *counts.entry(base_name(&s.name)).or_default() += 1;
    }
    let best = counts.iter().max_by(|a, b| a.1.cmp(b.1).then(b.0.len().cmp(&a.0.len())).then(b.0.cmp(a.0)));
    match best {
        Some((name, _)) if !name.is_empty() => name.clone(),
        _ => tgs.first().and_then(|t| arn::target_group_name(t)).map(base_name).unwrap_or_default(),
    }
}

pub(super) fn base_name(name: &str) -> String {
    let mut words: Vec<&str> = name.split('-').collect();
    if words.len() > 1
        && let Some(v) = words.last().and_then(|w| w.strip_prefix('v'))
        && v.len() >= 3
        && v.chars().all(|c| c.is_ascii_digit())
    {
        words.pop();
    }
    let kept: Vec<&str> =
        words.into_iter().filter(|w| !w.eq_ignore_ascii_case("blue") && !w.eq_ignore_ascii_case("green")).collect();
    if kept.is_empty() { name.to_string() } else { kept.join("-") }
}

fn listener_of(p: &PointerRef) -> Option<String> {
    match p {
        PointerRef::Rule(a) => arn::listener_of_rule(a),
        PointerRef::Listener(a) => Some(a.clone()),
    }
}

/// A warning for a pair that is not listed, from the error that says why.
fn not_listed(name: String, tgs: Vec<String>, e: &Error) -> Listed {
    let d = e.to_diagnostic();
    Listed::Warning {
        diagnostic: Diagnostic::warning(
            format!("Release not listed: {}", d.summary),
            format!(
                "{} The pair {} is left out of the list; the other releases are listed.",
                d.detail,
                tgs.join(" + ")
            ),
        ),
        name,
        tgs,
    }
}

/// Every release of the inventory and every pair it cannot list, by name.
pub(super) fn releases(inv: &Inventory, cluster: &str) -> Vec<Listed> {
    let (cands, unpaired) = candidates(inv);
    let mut out = Vec::new();
    for c in cands {
        let name = release_name(inv, &c.tgs);
        let [a, b] = &c.tgs;
        let pair = match discovery::pair_from_colors(a, b, inv.tag(a), inv.tag(b)) {
            Ok(p) => p,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        let found: Vec<&Found> = inv.pointers.iter().filter(|f| f.pointer.traffic(&pair, None).is_ok()).collect();
        let by_arn = |arn: &str| found.iter().copied().find(|f| f.pointer.target.arn() == arn);
        // ECS-native names its production pointer; otherwise choose as import does.
        let (_, native_test) = pair_pointers::native_rules_of(&inv.natives, &pair);
        let candidates = found.iter().map(|f| (*f).clone()).collect();
        let chosen =
            pair_pointers::choose_primary(&pair, candidates, c.production.as_deref(), native_test).and_then(|p| {
                by_arn(p.target.arn()).ok_or_else(|| Error::NotFound { what: "Pointer", arn: p.target.arn().into() })
            });
        let production = match chosen {
            Ok(f) => f,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        let (traffic, detached) = match production.pointer.traffic(&pair, None).and_then(|t| {
            let d = production.pointer.detached(&pair)?;
            Ok((t, d))
        }) {
            Ok(x) => x,
            Err(e) => {
                out.push(not_listed(name, c.tgs.to_vec(), &e));
                continue;
            }
        };
        // The test pointer: only ECS-native's testListenerRule, as import finds it (a rule
        // forwarding to the standby alone may be anything, e.g. a host-header rule).
        let natives = inv.natives().map(|n| (n.target_group.as_str(), n.alternate.as_str(), n.test.as_deref()));
        let test = discovery::native_test_rule(natives, &pair, production.pointer.target.arn())
            .and_then(|t| found.iter().copied().find(|f| f.pointer.target.arn() == t));
        // The pair's other pointers, from the same listing: its routes, as import finds them.
        let test_arn = test.map(|f| f.pointer.target.arn());
        let others =
            pair_pointers::others(&pair, &inv.pointers, production.pointer.target.arn(), test_arn, native_test);
        out.push(Listed::Release(Release {
            name,
            pair: pair.clone(),
            pointer: production.pointer.target.clone(),
            port: production.port,
            traffic,
            test: test.map(|f| f.pointer.target.clone()),
            detached,
            routes: others.routes,
            outside: others.outside,
            beyond_limit: others.beyond_limit,
        }));
    }
    for tg in unpaired {
        let tgs = vec![tg.clone()];
        let name = release_name(inv, &tgs);
        let services: Vec<&str> = inv.services_on(&tgs).map(|s| s.name.as_str()).collect();
        // A target group with no color at all is a plain load-balanced service, not half
        // of a blue/green pair: not a release, and nothing to warn about.
        let color = match discovery::target_group_color(&tg, inv.tag(&tg)) {
            Ok(Some(c)) => c,
            Ok(None) => continue,
            Err(e) => {
                out.push(not_listed(name, tgs, &e));
                continue;
            }
        };
        let (has, missing) = (format!("the {color} target group"), format!("a {} target group", color.other()));
        let pointers: Vec<&str> = inv
            .pointers
            .iter()
            .filter(|f| f.pointer.weights().is_ok_and(|w| w.iter().any(|(t, _)| *t == tg)))
            .map(|f| f.pointer.target.arn())
            .collect();
        let forwarded = if pointers.is_empty() {
            "No listener rule or listener default action forwards to it".to_string()
        } else {
            format!("{} forward(s) to it alone", pointers.join(", "))
        };
        out.push(Listed::Warning {
            diagnostic: Diagnostic::warning(
                "Release not listed: blue/green pair has one color only",
                format!(
                    "ECS service(s) {} in cluster {cluster} use {has} {tg}, but nothing pairs it with {missing}. {forwarded}; no ECS-native alternateTargetGroupArn names a partner, and no target group is named like it with the other color word. Create the other color's target group and forward to both (the standby at weight 0), or tag the pair {} = \"blue\" / \"green\". The other releases are listed.",
                    services.join(", "),
                    discovery::COLOR_TAG
                ),
            ),
            name,
            tgs,
        });
    }
    for (tg, services) in &inv.missing {
        let name = services.first().map(|s| base_name(s)).unwrap_or_default();
        out.push(Listed::Stale {
            diagnostic: Diagnostic::warning(
                "Release not listed: target group no longer exists",
                format!(
                    "ECS service(s) {} in cluster {cluster} name target group {tg}, which no longer exists (TargetGroupNotFound: ELB lets a target group be deleted while only a service scaled to 0 names it). Releases on it are not listed; the other releases are. Update the service(s) to an existing target group, or delete them.",
                    services.join(", ")
                ),
            ),
            name,
            tg: tg.clone(),
        });
    }
    out.sort_by_key(|l| match l {
        Listed::Release(r) => (r.name.clone(), 0, r.pointer.arn().to_string()),
        Listed::Warning { name, tgs, .. } => (name.clone(), 1, tgs.join(",")),
        Listed::Stale { name, tg, .. } => (name.clone(), 2, tg.clone()),
    });
    out
}

/// Keeps what `listener_arn` selects: releases with a pointer (production or route) on
/// that listener, and warnings about target groups some pointer of it forwards to.
pub(super) fn on_listener(inv: &Inventory, listed: Vec<Listed>, listener: &str) -> Vec<Listed> {
    let forwarded_here = |tg: &str| {
        inv.pointers.iter().any(|f| {
            listener_of(&f.pointer.target).as_deref() == Some(listener)
                && f.pointer.weights().is_ok_and(|w| w.iter().any(|(t, _)| t == tg))
        })
    };
    listed
        .into_iter()
        .filter(|l| match l {
            Listed::Release(r) => std::iter::once(&r.pointer)
                .chain(r.routes.iter().map(|p| &p.target))
                .any(|p| listener_of(p).as_deref() == Some(listener)),
            Listed::Warning { tgs, .. } => tgs.iter().any(|t| forwarded_here(t)),
            Listed::Stale { .. } => true,
        })
        .collect()
}

/// The events for what was listed, in order. A release whose pointer an ECS-native
/// service or a CodeDeploy deployment group also moves carries a warning naming that
/// owner (once per owner).
pub(super) fn events(
    listed: Vec<Listed>,
    cluster: &str,
    include_resource: bool,
    natives: &[NativeLoadBalancer],
    routes: &[CodeDeployRoute],
) -> Vec<ListResourceEvent> {
    listed
        .into_iter()
        .map(|l| match l {
            Listed::Release(r) => ListResourceEvent {
                identity: Some(resource_ecs_release::identity(cluster, &r.pointer)),
                display_name: r.display_name(),
                resource_object: include_resource.then(|| {
                    resource_ecs_release::release_state(
                        cluster,
                        &r.pointer,
                        &r.pair,
                        r.traffic,
                        r.test.as_ref(),
                        &r.routes,
                    )
                }),
                diagnostics: {
                    let mut d: Diagnostics = r
                        .detached
                        .map(|c| resource_ecs_release::detached_warning(&r.pointer, &r.pair, c).into())
                        .unwrap_or_default();
                    for p in &r.outside {
                        d.push(pair_pointers::outside_warning(p, &r.pair));
                    }
                    if !r.beyond_limit.is_empty() {
                        d.push(pair_pointers::beyond_limit_warning(&r.beyond_limit));
                    }
                    for (summary, detail) in owner_warnings(natives, routes, cluster, &r) {
                        d.push(Diagnostic::warning(summary, detail));
                    }
                    d
                },
            },
            Listed::Warning { name, diagnostic, .. } | Listed::Stale { name, diagnostic, .. } => ListResourceEvent {
                identity: None,
                display_name: name,
                resource_object: None,
                diagnostics: diagnostic.into(),
            },
        })
        .collect()
}

/// The warnings for the ECS-native services and CodeDeploy deployment groups that shift
/// traffic on `r`'s pointers, one per owner (its production role first).
fn owner_warnings(
    natives: &[NativeLoadBalancer],
    routes: &[CodeDeployRoute],
    cluster: &str,
    r: &Release,
) -> Vec<(String, String)> {
    let pointers: Vec<&str> = [Some(r.pointer.arn()), r.test.as_ref().map(PointerRef::arn)]
        .into_iter()
        .flatten()
        .chain(r.routes.iter().map(|p| p.target.arn()))
        .collect();
    let mut seen: Vec<String> = Vec::new();
    let pair = [r.pair.blue.as_str(), r.pair.green.as_str()];
    pointer_owner::all_owners_in(natives, routes, cluster, &pointers, &pair)
        .into_iter()
        .filter(|o| {
            let name = o.name();
            let first = !seen.contains(&name);
            seen.push(name);
            first
        })
        .map(|o| o.warning())
        .collect()
}
