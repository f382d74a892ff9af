//! The release's `route` blocks in the switch: each is read (and compared with the
//! plan) before anything is written, written right after the production pointer at
//! every step through the same guarded write, returned to where the apply found it
//! when anything fails after a write, and its test pointer follows its standby.
//!
//! Order: the production pointer first, then the routes in configuration order; a
//! rollback returns the routes in reverse order, then the production pointer.

use super::write::Purpose;
use super::{Progress, Switch};
use crate::errors::Error;
use crate::release_spec::Route;
use crate::traffic_pointer::{self, Color, Pointer, PointerRef, Traffic};
use aws_sdk_elasticloadbalancingv2::types::Action;
use tfplugin::hclog;

/// Which pointer a guarded write is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Slot {
    Production,
    /// The route at this index of `spec.routes`.
    Route(usize),
}

/// One route's part of the sequence.
#[derive(Debug, Default)]
pub(super) struct RouteProgress {
    /// Its traffic when this apply read it first: what a rollback puts back.
    pub from: Option<Traffic>,
    /// Its traffic as last read or written.
    pub live: Option<Traffic>,
    /// The actions this apply last read and accepted, or wrote.
    pub accepted: Vec<Action>,
    /// Whether this apply wrote to it.
    pub wrote: bool,
    /// Whether its test pointer's last reconciliation succeeded (`true` with none).
    pub test_ok: bool,
    /// Whether this apply read it (or wrote it): `live` is then what it knows.
    pub known: bool,
    /// Why it is no split of its pair, when it was read and is not: an apply that moves
    /// anything refuses with this before the first write.
    pub unreadable: Option<Error>,
    /// It still names a target group the configuration replaces (the release's standby
    /// group, which this route uses too): renamed before anything else is written.
    pub names_replaced: bool,
}

/// What a route is at the end of a switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RouteOutcome {
    /// As last read or written; None when it could not be read as a split of its pair.
    pub live: Option<Traffic>,
    /// Whether this apply read or wrote it; when not, the prior state still says best.
    pub known: bool,
    /// Whether its test pointer is known to point at its standby.
    pub test_pointer_ok: bool,
}

impl RouteProgress {
    pub(super) fn outcome(&self) -> RouteOutcome {
        RouteOutcome { live: self.live, known: self.known, test_pointer_ok: self.test_ok }
    }
}

/// `route 2 (listener rule ARN)`, for messages.
pub(super) fn describe(index: usize, route: &Route) -> String {
    format!("route {} ({})", index + 1, route.pointer.describe())
}

impl Switch<'_> {
    /// The pointer a slot names.
    pub(super) fn pointer_of(&self, slot: Slot) -> &PointerRef {
        match slot {
            Slot::Production => &self.spec.pointer,
            Slot::Route(i) => &self.spec.routes[i].pointer,
        }
    }

    /// Reads every route before anything is written, and refuses, writing nothing, when
    /// one no longer sends what the plan was made against (an update). A route that is
    /// no split of its pair is recorded: only an apply that moves something refuses on it
    /// ([`Switch::refuse_an_unreadable_route`]).
    pub(super) async fn read_routes(&self, p: &mut Progress, prefer: Color) -> Result<(), Error> {
        for (i, route) in self.spec.routes.iter().enumerate() {
            let pointer = traffic_pointer::read(&self.aws.elbv2, &route.pointer).await?;
            let r = &mut p.routes[i];
            r.known = true;
            let replaced = self.prior_route_pair(route).and_then(|prior| pointer.traffic(&prior, Some(prefer)).ok());
            let live = match (pointer.traffic(&route.pair, Some(prefer)), replaced) {
                (Ok(live), _) => live,
                (Err(_), Some(live)) => {
                    r.names_replaced = true;
                    live
                }
                (Err(e), None) => {
                    r.unreadable = Some(Error::live(
                        format!("Route {} is no split of its pair", i + 1),
                        format!(
                            "{} Nothing was written. Point {} at its blue or green target group, or remove the route block.",
                            e.to_diagnostic().detail,
                            route.pointer.describe()
                        ),
                    ));
                    continue;
                }
            };
            (r.from, r.live, r.accepted) = (Some(live), Some(live), pointer.actions);
            if let Some(seen) = self.planned_route(route)
                && seen != live
            {
                return Err(Error::live(
                    "Traffic moved since the plan",
                    format!(
                        "The plan was made when {} sent {seen}; it now sends {live}. Something else (a deploy tool?) moved traffic in between, so nothing was written. Run terraform plan again.",
                        describe(i, route)
                    ),
                ));
            }
        }
        Ok(())
    }

    /// Refuses, before anything is written, an apply that moves traffic while a route is
    /// no split of its pair: writing it would send its traffic where nobody gated.
    pub(super) fn refuse_an_unreadable_route(&self, p: &mut Progress) -> Result<(), Error> {
        match p.routes.iter_mut().find_map(|r| r.unreadable.take()) {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// The pair `route` named before this update, when the configuration replaces a
    /// target group of the release that the route uses too (it names no own group).
    fn prior_route_pair(&self, route: &Route) -> Option<traffic_pointer::Pair> {
        route.pair_before(&self.spec.pair, self.prior_pair?)
    }

    /// Names the configured target groups in each route that still names a replaced one,
    /// at the same weights, through the guarded write, as the production pointer's
    /// `replace_target_groups`; refused when the replaced group carries the route's
    /// traffic.
    pub(super) async fn name_replaced_route_groups(&self, p: &mut Progress) -> Result<(), Error> {
        for (i, route) in self.spec.routes.iter().enumerate() {
            let (true, Some(live), Some(prior)) =
                (p.routes[i].names_replaced, p.routes[i].live, self.prior_route_pair(route))
            else {
                continue;
            };
            for color in [Color::Blue, Color::Green] {
                let share = crate::promotion_gate::share(live, color);
                if prior.target_group(color) != route.pair.target_group(color) && share > 0 {
                    return Err(super::carries_traffic(color, prior.target_group(color), live));
                }
            }
            self.refuse_while_the_owner_deploys(p).await?;
            self.guarded_write(p, Slot::Route(i), Purpose::Move("replacing the standby's target group"), |ptr| {
                ptr.with_traffic(&route.pair, live)
            })
            .await?;
            p.routes[i].names_replaced = false;
            p.prepared
                .push(format!("{} now names the configured target groups, at the same weights", describe(i, route)));
        }
        Ok(())
    }

    /// The traffic the plan recorded for `route`, when the prior state has it.
    fn planned_route(&self, route: &Route) -> Option<Traffic> {
        self.planned_routes.iter().find(|(arn, _)| arn == route.pointer.arn()).and_then(|(_, t)| *t)
    }

    /// The routes this switch moves to `want`: those that differ from it, when the
    /// production pointer moves or the configuration (or an action) sets the color.
    /// Adopting with nothing to move, a route that disagrees is left as it is.
    pub(super) fn routes_to_move(&self, p: &Progress, live: Traffic, want: Traffic) -> Vec<usize> {
        let enforcing = want != live || self.spec.active_color.is_some() || self.desired.is_some();
        if !enforcing {
            return Vec::new();
        }
        (0..self.spec.routes.len()).filter(|&i| p.routes[i].live.is_some_and(|t| t != want)).collect()
    }

    /// A moving route whose gaining color its forward action leaves out gets it at
    /// weight 0 first, as the production pointer does (`attach_if_detached`).
    pub(super) async fn attach_detached_routes(
        &self,
        p: &mut Progress,
        moving: &[usize],
        color: Color,
    ) -> Result<(), Error> {
        let mut owners_checked = false;
        for &i in moving {
            let route = &self.spec.routes[i];
            let pointer = Pointer { target: route.pointer.clone(), actions: p.routes[i].accepted.clone() };
            let (Some(live), Ok(Some(detached))) = (p.routes[i].live, pointer.detached(&route.pair)) else { continue };
            if detached != color {
                continue;
            }
            if !owners_checked {
                // As before the production pointer's attach: no write while another
                // controller deploys on any pointer of the release.
                self.refuse_while_the_owner_deploys(p).await?;
                owners_checked = true;
            }
            self.guarded_write(p, Slot::Route(i), Purpose::Move("attaching the gaining color at weight 0"), |ptr| {
                ptr.with_traffic(&route.pair, live)
            })
            .await?;
            p.prepared.push(format!("{color}'s target group was attached at weight 0 to {}", describe(i, route)));
            self.say(format!("attached {color} at weight 0 to {}; no traffic moved", describe(i, route)));
        }
        Ok(())
    }

    /// Writes each moving route to `traffic`, in order, through the guarded write.
    /// Returns the first failure in words (the caller rolls back what was written).
    pub(super) async fn write_routes(
        &self,
        p: &mut Progress,
        moving: &[usize],
        traffic: Traffic,
    ) -> Result<(), String> {
        for &i in moving {
            let route = &self.spec.routes[i];
            if p.routes[i].live == Some(traffic) {
                continue;
            }
            let sent_before = p.writes_sent;
            let written = self
                .guarded_write(p, Slot::Route(i), Purpose::Move("moving traffic"), |ptr| {
                    ptr.with_traffic(&route.pair, traffic)
                })
                .await;
            if written.is_ok() || p.writes_sent > sent_before {
                p.routes[i].wrote = true;
                p.moved_traffic = true;
            }
            match written {
                Ok(()) => {
                    p.routes[i].live = Some(traffic);
                    hclog::info("traffic moved", &[("pointer", &route.pointer.arn()), ("to", &traffic)]);
                }
                Err(e @ Error::Live { .. }) => {
                    return Err(format!(
                        "{} was changed by someone else, so it was not written ({})",
                        describe(i, route),
                        e.to_diagnostic().detail
                    ));
                }
                Err(e) => {
                    return Err(format!("the write to {} failed ({})", describe(i, route), e.to_diagnostic().detail));
                }
            }
        }
        Ok(())
    }

    /// Returns every route this apply wrote to where it found it, last written first,
    /// each only while it is still what this apply wrote. Says what happened to each.
    pub(super) async fn return_routes(&self, p: &mut Progress) -> Vec<String> {
        let mut said = Vec::new();
        for i in (0..self.spec.routes.len()).rev() {
            let route = &self.spec.routes[i];
            let (Some(from), true) = (p.routes[i].from, p.routes[i].wrote) else { continue };
            if p.routes[i].live == Some(from) {
                continue;
            }
            let back = self
                .guarded_write(p, Slot::Route(i), Purpose::RollBack, |ptr| ptr.with_traffic(&route.pair, from))
                .await;
            said.push(match back {
                Ok(()) => {
                    p.routes[i].live = Some(from);
                    format!("{} was returned to {from}", describe(i, route))
                }
                Err(e @ Error::Live { .. }) => format!(
                    "{} was left as it is: someone else changed it ({})",
                    describe(i, route),
                    e.to_diagnostic().detail
                ),
                Err(e) => {
                    format!("returning {} to {from} failed: {}", describe(i, route), e.to_diagnostic().detail)
                }
            });
        }
        said
    }

    /// Reads every route this apply wrote again, so that state records what is live.
    pub(super) async fn refresh_routes(&self, p: &mut Progress) {
        for (i, route) in self.spec.routes.iter().enumerate() {
            if !p.routes[i].wrote {
                continue;
            }
            let prefer = p.routes[i].live.or(p.live).map(|t| t.active);
            p.routes[i].live = match traffic_pointer::read(&self.aws.elbv2, &route.pointer).await {
                Ok(now) => now.traffic(&route.pair, prefer).ok(),
                Err(_) => None,
            };
        }
    }

    /// Points each route's test pointer at the standby of that route's live traffic.
    pub(super) async fn reconcile_route_tests(&self, p: &mut Progress) -> Vec<Error> {
        let mut errors = Vec::new();
        for (i, route) in self.spec.routes.iter().enumerate() {
            let Some(test) = &route.test_pointer else { continue };
            let result = match p.routes[i].live {
                Some(live) => self.point_test_at(test, &route.pair, live.active.other()).await,
                None => Err(Error::live(
                    "Test pointer not reconciled",
                    format!("{} could not be read, so its test pointer's standby is unknown.", describe(i, route)),
                )),
            };
            p.routes[i].test_ok = result.is_ok();
            errors.extend(result.err());
        }
        errors
    }

    /// After a refusal: a route whose active color is no longer the one the plan saw was
    /// moved by someone else, so its test pointer is not at its standby; recorded as not
    /// managed, the next plan shows it and its apply repairs it.
    pub(super) fn mark_route_tests_moved_by_others(&self, p: &mut Progress) {
        for (i, route) in self.spec.routes.iter().enumerate() {
            let planned = self.planned_route(route).map(|t| t.active);
            if route.test_pointer.is_some() && planned.is_some() && p.routes[i].live.map(|t| t.active) != planned {
                p.routes[i].test_ok = false;
            }
        }
    }

    /// Points each moving route's test pointer at `color` (the hooks test it there);
    /// returns the ones it wrote.
    pub(super) async fn point_route_tests_at(&self, moving: &[usize], color: Color) -> Result<Vec<&PointerRef>, Error> {
        let mut written = Vec::new();
        for &i in moving {
            let route = &self.spec.routes[i];
            if let Some(test) = &route.test_pointer
                && self.point_test_at(test, &route.pair, color).await?
            {
                written.push(test);
            }
        }
        Ok(written)
    }
}
