//! The one write path of a release: read → compare with the plan → attach a detached
//! color → gate → re-read → write → test pointer → bake → roll back only if ours.
//!
//! Every step that writes the production pointer goes through [`Switch::guarded_write`]:
//! it re-reads the pointer and writes in the same breath, with nothing awaited between
//! the read and the write, and refuses (writing nothing) if the live actions are not
//! exactly the ones this apply last accepted or wrote. A deploy tool's flip, an
//! operator's emergency switch, or an edit of another action (OIDC, stickiness) made
//! during the minutes an apply waits is therefore never overwritten.
//!
//! Every failure ends with what is live: the last successful read or write, refreshed
//! by one more read when the failure may have changed it. Never the desired traffic.
//!
//! # Layout
//! - `mod.rs`: [`Switch`] and its sequence ([`Switch::run`]), what it ends with
//!   ([`Outcome`]), reading and observing the pointer, replacing target groups.
//! - `steps.rs`: the gate before the first write, the test-traffic hooks, each step.
//! - `write.rs`: the guarded write and its retries.
//! - `bake.rs`: the bake after a move, and the rollback when it fails.
//! - `routes.rs`: the `route` blocks: read before, written after the production
//!   pointer at each step, returned on a rollback.
//! - `propagation.rs`: the wait for an NLB to apply the weights before a bake or the
//!   next step.
//! - `hooks.rs`: the Lambda lifecycle hooks (staged at fixed points, not polled).

mod bake;
mod hooks;
mod propagation;
mod routes;
mod steps;
mod write;

use hooks::HookSubject;
pub use hooks::{DEFAULT_HOOK_TIMEOUT, HookStage, LifecycleHook, hooks_said};
pub use routes::RouteOutcome;
use routes::{RouteProgress, Slot};
use write::{Purpose, said_what_was_written};

use crate::aws::AwsClients;
use crate::errors::Error;
use crate::progress::Reporter;
use crate::promotion_gate::{self, BakeOf, GateTarget, Operation};
use crate::release_spec::ReleaseSpec;
use crate::traffic_pointer::{self, Color, Pointer, PointerRef, Traffic};
use aws_sdk_elasticloadbalancingv2::types::Action;
use tfplugin::{Ctx, hclog};

/// How a switch ended: the traffic live at the end (as last read or written), and the
/// errors if it did not reach the desired traffic (the production pointer's first).
#[derive(Debug)]
pub struct Outcome {
    /// What the production pointer sends at the end, as last read or written.
    pub live: Live,
    /// Whether this apply wrote to the production pointer (even if it rolled back).
    pub wrote: bool,
    /// Whether it sent a write that moves traffic (a switch or a rollback); an attach at
    /// weight 0 alone moves none.
    pub moved_traffic: bool,
    /// The color this apply attached at weight 0 before gating on it, if any.
    pub attached: Option<Color>,
    /// Whether the test pointer is known to point at the standby of `live`.
    pub test_pointer_ok: bool,
    /// Which target groups the live pointer names: the configuration's, or the prior
    /// state's when a replaced target group was not written (a refusal).
    pub live_pair: LivePair,
    /// What went wrong without stopping the switch (summary, detail): a hook that failed
    /// during a rollback.
    pub warnings: Vec<(String, String)>,
    /// An ECS-native service that also shifts traffic on a pointer (`pointer_owner`),
    /// found not deploying before the first write (summary, detail).
    pub owner_warnings: Vec<(String, String)>,
    /// Each route (`spec.routes`, in order) at the end.
    pub routes: Vec<RouteOutcome>,
    pub errors: Vec<Error>,
}

/// What the production pointer sends at the end of a switch.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Live {
    /// This split of the pair, as last read or written.
    Traffic(Traffic),
    /// It was read, and its forward action is no split of the pair (someone pointed it
    /// elsewhere): the traffic is unknown, not the last traffic seen.
    NotASplit,
    /// It could not be read at all.
    Unread,
}

impl Live {
    pub fn traffic(self) -> Option<Traffic> {
        match self {
            Live::Traffic(t) => Some(t),
            Live::NotASplit | Live::Unread => None,
        }
    }
}

/// The pair of target groups the live pointer names.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LivePair {
    Configured,
    Prior,
}

/// One apply's (or action invoke's) switch of one release.
pub struct Switch<'a> {
    pub ctx: &'a Ctx,
    pub aws: &'a AwsClients,
    pub spec: &'a ReleaseSpec,
    pub op: &'a Operation<'a>,
    /// The traffic the plan was made against, when Terraform kept it (updates); a
    /// different live traffic refuses the apply before anything is written.
    pub planned_from: Option<Traffic>,
    /// The traffic to move to, given what is live, when it is not what the spec asks
    /// for (the actions: all traffic to the standby). None: [`ReleaseSpec::desired`].
    pub desired: Option<fn(Traffic) -> Traffic>,
    /// Where progress lines go (an action streams them to Terraform); the resource
    /// passes none.
    pub progress: Reporter<'a>,
    /// The pair the prior state names, when the configuration replaces a target group
    /// of it (an update); the actions pass none.
    pub prior_pair: Option<&'a traffic_pointer::Pair>,
    /// The traffic the plan recorded for each route, by pointer ARN (updates); a route
    /// found sending something else refuses the apply before anything is written.
    pub planned_routes: &'a [(String, Option<Traffic>)],
}

/// The state the sequence carries between steps.
struct Progress {
    /// The live traffic as last read or written.
    live: Option<Traffic>,
    /// Whether the test pointer's last reconciliation succeeded (`true` with none).
    test_pointer_ok: bool,
    attached: Option<Color>,
    /// The actions this apply last read and accepted, or wrote: the only actions a
    /// guarded write will write over.
    accepted: Vec<Action>,
    wrote: bool,
    moved_traffic: bool,
    /// Whether this apply's rollback after a failed bake was written.
    rolled_back: bool,
    /// Production pointer writes sent (landed or not).
    writes_sent: u32,
    live_pair: LivePair,
    live_unparsable: bool,
    /// What the lifecycle hooks are told, once they ran (a rollback tells them too).
    hooks: Option<std::sync::Arc<HookSubject>>,
    /// Warnings for the outcome (summary, detail): what went wrong without stopping it.
    warnings: Vec<(String, String)>,
    owner_warnings: Vec<(String, String)>,
    /// Writes that moved no traffic, made before the gate so that ALB health-checks
    /// the gaining color's targets (an attach at weight 0, a replaced standby group).
    prepared: Vec<String>,
    /// Whether the standby's replaced target group was written.
    replaced: bool,
    /// When this apply's last write that moved traffic landed: a bake's SLO window
    /// starts there.
    moved_at: Option<tokio::time::Instant>,
    /// Each route's part, in `spec.routes` order.
    routes: Vec<RouteProgress>,
    /// The routes this switch moves with the production pointer.
    moving_routes: Vec<usize>,
    /// Those of them that start elsewhere than the production pointer.
    disagreeing: Vec<usize>,
    /// The color the move gives traffic to (the production pointer's, or a moving
    /// route's when it does not move): what the bakes watch.
    gaining: Option<Color>,
}

impl Progress {
    /// The actions this apply last accepted or wrote for `slot`.
    fn accepted(&self, slot: Slot) -> &[Action] {
        match slot {
            Slot::Production => &self.accepted,
            Slot::Route(i) => &self.routes[i].accepted,
        }
    }

    fn accept(&mut self, slot: Slot, actions: Vec<Action>) {
        match slot {
            Slot::Production => self.accepted = actions,
            Slot::Route(i) => self.routes[i].accepted = actions,
        }
    }
}

impl Switch<'_> {
    pub async fn run(&self) -> Outcome {
        let mut p = Progress {
            live: None,
            test_pointer_ok: true,
            attached: None,
            accepted: Vec::new(),
            wrote: false,
            moved_traffic: false,
            rolled_back: false,
            writes_sent: 0,
            live_pair: LivePair::Configured,
            live_unparsable: false,
            hooks: None,
            prepared: Vec::new(),
            replaced: false,
            warnings: Vec::new(),
            owner_warnings: Vec::new(),
            moved_at: None,
            routes: self.spec.routes.iter().map(|_| RouteProgress { test_ok: true, ..Default::default() }).collect(),
            moving_routes: Vec::new(),
            disagreeing: Vec::new(),
            gaining: None,
        };
        let result = self.production(&mut p).await;
        let (moved_from, production_error) = match result {
            Ok(moved_from) => (moved_from, None),
            Err(e) if !p.prepared.is_empty() && !p.moved_traffic => (None, Some(said_what_was_written(e, &p.prepared))),
            Err(e) => (None, Some(e)),
        };
        // The test pointer follows what is live on every apply that went through or
        // wrote, and a failure here never skips the bake below. A refusal (the gate,
        // traffic moved since the plan, a pointer changed during the apply) or an
        // interrupt before the switch writes nothing at all, the test pointer included:
        // the writer that just moved traffic owns it now, and a re-apply reconciles it.
        let mut test_errors: Vec<Error> = Vec::new();
        let reconciled_for = p.live;
        let refused_after_replacing =
            p.replaced && !p.moved_traffic && !matches!(production_error, Some(Error::Live { .. }));
        // Whether production was just read again (nothing writes it after this read).
        let reread = refused_after_replacing && self.refresh(&mut p).await;
        if refused_after_replacing && !reread {
            // The gate may have waited minutes since the first read, and another writer
            // may have switched meanwhile: without a fresh read the standby is unknown.
            p.test_pointer_ok = false;
            test_errors.push(Error::live(
                "Test pointer not reconciled",
                "The production pointer could not be read again after the refusal, so the test pointer's standby is unknown. Apply again to point it at the standby.",
            ));
        } else if production_error.is_none() || refused_after_replacing {
            // A refusal after the standby's group was replaced: the test pointer follows
            // the new group in the same apply, so the old one is free to delete and
            // state says exactly what is live. It follows the standby of a fresh read
            // (above), not of the first: someone may have switched during the gate wait.
            test_errors.extend(self.reconcile_test_pointer(&mut p).await);
            test_errors.extend(self.reconcile_route_tests(&mut p).await);
        } else {
            if self.spec.test_pointer.is_some() && p.live.map(|t| t.active) != self.planned_from.map(|t| t.active) {
                // Someone else moved the standby: the test pointer is not where it should
                // be, and the state says so, so the next plan shows it and its apply repairs it.
                p.test_pointer_ok = false;
            }
            self.mark_route_tests_moved_by_others(&mut p);
        }
        let mut errors: Vec<Error> = production_error.into_iter().collect();
        if errors.is_empty()
            && let Some(before) = moved_from
            && let Err(e) =
                self.bake_or_roll_back(&mut p, before, self.spec.promotion.bake_time, BakeOf::Final, None).await
        {
            errors.push(e);
        }
        if !errors.is_empty() && p.wrote && !reread {
            // State must record a fresh read after anything that may have changed live.
            self.refresh(&mut p).await;
            self.refresh_routes(&mut p).await;
        }
        if p.rolled_back && p.live.map(|t| t.active) != reconciled_for.map(|t| t.active) {
            // The bake rolled back: the standby changed. (Had someone else switched
            // during the bake, the test pointer would be theirs to move.)
            test_errors.extend(self.reconcile_test_pointer(&mut p).await);
            test_errors.extend(self.reconcile_route_tests(&mut p).await);
        }
        errors.extend(test_errors);
        Outcome {
            live: match (p.live, p.live_unparsable) {
                (Some(t), _) => Live::Traffic(t),
                (None, true) => Live::NotASplit,
                (None, false) => Live::Unread,
            },
            wrote: p.wrote,
            moved_traffic: p.moved_traffic,
            attached: p.attached,
            test_pointer_ok: p.test_pointer_ok,
            live_pair: p.live_pair,
            warnings: p.warnings,
            owner_warnings: p.owner_warnings,
            routes: p.routes.iter().map(RouteProgress::outcome).collect(),
            errors,
        }
    }

    /// Points the test pointer, if any, at the standby of what is live now.
    async fn reconcile_test_pointer(&self, p: &mut Progress) -> Option<Error> {
        let test = self.spec.test_pointer.as_ref()?;
        let result = match p.live {
            Some(live) => self.point_test_at(test, &self.spec.pair, live.active.other()).await.map(|_| ()),
            None => Err(Error::live(
                "Test pointer not reconciled",
                "The production pointer could not be read, so the test pointer's standby is unknown.",
            )),
        };
        p.test_pointer_ok = result.is_ok();
        result.err()
    }

    /// The named steps of DESIGN.md, in order: read and compare with the plan, name a
    /// replaced standby group, attach a detached gaining color, gate, check the time to
    /// bake, run the POST_TEST_TRAFFIC_SHIFT hooks (and gate again), then take each step
    /// of the strategy (gate, guarded write, hooks, bake). Returns the traffic before
    /// the switch when this apply moved traffic to a color that gained some and the
    /// final bake is to watch it.
    async fn production(&self, p: &mut Progress) -> Result<Option<Traffic>, Error> {
        let (pointer, live) = self.read_and_compare(p).await?;
        self.read_routes(p, live.active).await?;
        let want = match self.desired {
            Some(desired) => desired(live),
            None => self.spec.desired(live),
        };
        let pointer = self.name_replaced_groups(p, pointer, live).await?;
        self.name_replaced_route_groups(p).await?;
        p.moving_routes = self.routes_to_move(p, live, want);
        if want == live && p.moving_routes.is_empty() {
            self.say(format!("{} already sends {live}; nothing to move", self.spec.pointer.describe()));
            return Ok(None);
        }
        self.refuse_an_unreadable_route(p)?;
        if want == live {
            self.say(format!(
                "{} already sends {live}; moving the routes that differ to it",
                self.spec.pointer.describe()
            ));
        } else {
            self.say(format!("{} sends {live}; moving it to {want}", self.spec.pointer.describe()));
        }
        let route_from: Vec<Traffic> = p.moving_routes.iter().filter_map(|&i| p.routes[i].from).collect();
        let m = Move::new(self.spec, live, want, &route_from);
        p.gaining = m.gaining;
        // A moving route that disagrees with the production pointer may first gain the
        // other color: the gate checks that color's group of it too.
        p.disagreeing = p.moving_routes.iter().copied().filter(|&i| p.routes[i].from != Some(live)).collect();
        self.attach_if_detached(p, &pointer, &m).await?;
        if let Some(color) = m.gaining {
            let moving = p.moving_routes.clone();
            self.attach_detached_routes(p, &moving, color).await?;
        }
        self.gate_before_the_first_write(p, &m).await?;
        let plan = promotion_gate::steps(&self.spec.promotion.strategy, m.steps_from, want);
        let final_bake = if m.bakes { self.spec.promotion.bake_time } else { std::time::Duration::ZERO };
        // Checked before the hooks (they may take minutes) and again right before the
        // first write, after them and the re-gate.
        self.time_to_bake(&plan, final_bake)?;
        let hooks = self.post_test_traffic_shift(p, &m).await?;
        if hooks.is_some() {
            self.time_to_bake(&plan, final_bake)?;
        }
        for step in &plan {
            self.take_step(p, &m, step, plan.len(), hooks.as_deref()).await?;
        }
        Ok(m.bakes.then_some(live))
    }

    /// Reads the production pointer and refuses if it no longer sends what the plan was
    /// made against (a deploy tool moved traffic in between).
    async fn read_and_compare(&self, p: &mut Progress) -> Result<(Pointer, Traffic), Error> {
        let spec = self.spec;
        let pointer = traffic_pointer::read(&self.aws.elbv2, &spec.pointer).await?;
        let live = self.observe(p, &pointer)?;
        p.accepted = pointer.actions.clone();
        if let Some(seen) = self.planned_from
            && seen != live
        {
            return Err(Error::live(
                "Traffic moved since the plan",
                format!(
                    "The plan was made when {} sent {seen}; it now sends {live}. Something else (a deploy tool?) moved traffic in between, so nothing was written. Run terraform plan again.",
                    spec.pointer.describe()
                ),
            ));
        }
        Ok((pointer, live))
    }

    /// When live still names the prior state's target groups (the configuration
    /// replaces the standby's), names the configured ones at the same weights; returns
    /// the pointer as it now is.
    async fn name_replaced_groups(&self, p: &mut Progress, pointer: Pointer, live: Traffic) -> Result<Pointer, Error> {
        if p.live_pair != LivePair::Prior {
            return Ok(pointer);
        }
        self.replace_target_groups(p, live).await?;
        Ok(Pointer { target: self.spec.pointer.clone(), actions: p.accepted.clone() })
    }

    /// A color nothing forwards to has `unused` targets that are never health-checked:
    /// attaches the gaining color at weight 0 (no traffic moves) so the gate can see its
    /// real health.
    async fn attach_if_detached(&self, p: &mut Progress, pointer: &Pointer, m: &Move) -> Result<(), Error> {
        let spec = self.spec;
        let Some(color) = m.gaining else { return Ok(()) };
        if pointer.detached(&spec.pair)? != Some(color) {
            return Ok(());
        }
        let live = m.from;
        self.refuse_while_the_owner_deploys(p).await?;
        self.guarded_write(p, Slot::Production, Purpose::Move("attaching the gaining color at weight 0"), |ptr| {
            ptr.with_traffic(&spec.pair, live)
        })
        .await?;
        hclog::info("attached the gaining color at weight 0", &[("pointer", &spec.pointer.arn()), ("color", &color)]);
        p.prepared.push(format!("{color}'s target group was attached at weight 0"));
        self.say(format!("attached {color} at weight 0 so that ALB health-checks its targets; no traffic moved"));
        Ok(())
    }

    /// Points the test pointer `test` at `color`'s target group of `pair` if it points
    /// elsewhere; whether it wrote.
    ///
    /// Guarded like the production pointer: read, then write at once with nothing
    /// awaited in between, sent once (an SDK retry would resend it on a read that may
    /// be stale by then). A failed write is judged by a fresh read: landed is success,
    /// anything else is an error the next apply repairs.
    async fn point_test_at(
        &self,
        test: &PointerRef,
        pair: &traffic_pointer::Pair,
        color: Color,
    ) -> Result<bool, Error> {
        let tg = pair.target_group(color);
        let p = traffic_pointer::read(&self.aws.elbv2, test).await?;
        if p.weights().is_ok_and(|w| w.len() == 1 && w[0].0 == tg) {
            return Ok(false);
        }
        let actions = p.all_to(tg)?;
        if let Err(e) = traffic_pointer::write_once(&self.aws.elbv2, test, actions.clone()).await {
            let now = traffic_pointer::read(&self.aws.elbv2, test).await.map_err(|_| e.clone())?;
            if !traffic_pointer::changes(&actions, &now.actions).is_empty() {
                return Err(e);
            }
        }
        hclog::info("test pointer moved to the standby", &[("pointer", &test.arn()), ("color", &color)]);
        self.say(format!("test pointer {} now forwards to {color}", test.describe()));
        Ok(true)
    }

    /// One more read of the production pointer; keeps the last known traffic if the
    /// read fails. Whether the read showed the traffic.
    async fn refresh(&self, p: &mut Progress) -> bool {
        match traffic_pointer::read(&self.aws.elbv2, &self.spec.pointer).await {
            Ok(now) => self.observe(p, &now).is_ok(),
            Err(_) => false,
        }
    }

    /// Records what a read of the production pointer shows: its traffic over the
    /// configured pair, else over the prior state's (a target group being replaced),
    /// else that it is no split of either, and then the traffic is unknown.
    fn observe(&self, p: &mut Progress, now: &Pointer) -> Result<Traffic, Error> {
        let prefer = p.live.or(self.planned_from).map(|t| t.active);
        let configured = now.traffic(&self.spec.pair, prefer);
        let read = match (configured, self.prior_pair.filter(|prior| **prior != self.spec.pair)) {
            (Ok(t), _) => Ok((t, LivePair::Configured)),
            (Err(e), Some(prior)) => now.traffic(prior, prefer).map(|t| (t, LivePair::Prior)).map_err(|_| e),
            (Err(e), None) => Err(e),
        };
        match read {
            Ok((t, pair)) => {
                p.live = Some(t);
                p.live_pair = pair;
                p.live_unparsable = false;
                Ok(t)
            }
            Err(e) => {
                p.live = None;
                p.live_unparsable = true;
                Err(e)
            }
        }
    }

    /// Records what a read of `slot`'s pointer shows (a guarded write that did not write).
    fn observe_slot(&self, p: &mut Progress, slot: Slot, now: &Pointer) {
        match slot {
            Slot::Production => {
                let _ = self.observe(p, now);
            }
            Slot::Route(i) => {
                let prefer = p.routes[i].live.or(p.live).map(|t| t.active);
                p.routes[i].live = now.traffic(&self.spec.routes[i].pair, prefer).ok();
            }
        }
    }

    /// Names the configured target groups in place of the prior state's, at the same
    /// weights, through a guarded write. Only a group that carries no traffic can be
    /// replaced: giving a new group traffic needs a promotion through the gate.
    async fn replace_target_groups(&self, p: &mut Progress, live: Traffic) -> Result<(), Error> {
        let spec = self.spec;
        let Some(prior) = self.prior_pair else { return Ok(()) };
        for color in [Color::Blue, Color::Green] {
            let share = if live.active == color { 100 - live.standby_percent } else { live.standby_percent };
            if prior.target_group(color) != spec.pair.target_group(color) && share > 0 {
                return Err(carries_traffic(color, prior.target_group(color), live));
            }
        }
        self.refuse_while_the_owner_deploys(p).await?;
        self.guarded_write(p, Slot::Production, Purpose::Move("replacing the standby's target group"), |ptr| {
            ptr.with_traffic(&spec.pair, live)
        })
        .await?;
        p.live_pair = LivePair::Configured;
        p.replaced = true;
        for color in [Color::Blue, Color::Green] {
            if prior.target_group(color) != spec.pair.target_group(color) {
                p.prepared.push(format!(
                    "{} now names {} in place of {} for {color}, at the same weight",
                    spec.pointer.describe(),
                    spec.pair.target_group(color),
                    prior.target_group(color)
                ));
            }
        }
        hclog::info("standby target group replaced", &[("pointer", &spec.pointer.arn()), ("traffic", &live)]);
        self.say(format!(
            "{} now names the configured target groups; traffic unchanged: {live}",
            spec.pointer.describe()
        ));
        Ok(())
    }

    /// Reports a progress line, when someone listens.
    fn say(&self, line: String) {
        if let Some(report) = self.progress {
            report(line);
        }
    }

    /// What the gate checks when `color` gains traffic; `disagreeing`: the moving routes
    /// that start elsewhere than the production pointer, whose other group is checked too.
    fn gate_target(&self, color: Color, disagreeing: &[usize]) -> GateTarget<'_> {
        let routes = &self.spec.routes;
        GateTarget {
            color: color.as_str(),
            target_group_arn: self.spec.pair.target_group(color),
            // Every route's gaining group, moving or not: a route already there carries
            // that group's traffic, and the bake watches every route.
            route_target_groups: routes
                .iter()
                .map(|r| r.pair.target_group(color))
                .chain(disagreeing.iter().map(|&i| routes[i].pair.target_group(color.other())))
                .collect(),
            cluster: &self.spec.cluster,
            pointers: self.every_pointer(),
        }
    }
}

impl Switch<'_> {
    /// The ARNs of every pointer of the release: production, test, and each route's.
    fn every_pointer(&self) -> Vec<&str> {
        let spec = self.spec;
        let mut pointers: Vec<&str> = vec![spec.pointer.arn()];
        pointers.extend(spec.test_pointer.as_ref().map(PointerRef::arn));
        for route in &spec.routes {
            pointers.push(route.pointer.arn());
            pointers.extend(route.test_pointer.as_ref().map(PointerRef::arn));
        }
        pointers
    }
}

/// One move of the production pointer, as the switch decides it once it read live.
struct Move {
    /// The production pointer's traffic when the switch read it.
    from: Traffic,
    /// What the steps start from: `from`, or (the production pointer does not move, a
    /// route is put back) the first moving route's traffic.
    steps_from: Traffic,
    to: Traffic,
    /// The color that gains traffic, if any.
    gaining: Option<Color>,
    /// Shrinking a canary (or ending it) only gives the color that already carries most
    /// traffic more of it. The alarms are usually why: they neither gate nor bake such a
    /// move, or an abort during an incident would wait on the very alarm that prompted
    /// it, and a bake would roll the abort back. Health is still checked.
    pulling_back: bool,
    /// Whether the final bake (`promotion.bake_time`) watches this move.
    bakes: bool,
}

impl Move {
    /// `routes_from`: the traffic of each route that moves; when the production pointer
    /// does not move (a route put back), the gaining color is theirs.
    fn new(spec: &ReleaseSpec, from: Traffic, to: Traffic, routes_from: &[Traffic]) -> Move {
        let steps_from = if from != to { from } else { routes_from.first().copied().unwrap_or(from) };
        let gaining = steps_from.gaining(&to);
        let pulling_back = to.active == steps_from.active && to.standby_percent < steps_from.standby_percent;
        let bakes = gaining.is_some() && !pulling_back && !spec.promotion.bake_time.is_zero();
        Move { from, steps_from, to, gaining, pulling_back, bakes }
    }
}

/// The refusal to replace the target group of a color that carries traffic.
pub fn carries_traffic(color: Color, target_group: &str, live: Traffic) -> Error {
    Error::live(
        format!("The {color} target group carries traffic"),
        format!(
            "The configuration replaces {color}'s target group ({target_group}), which carries traffic ({live}). Only the standby's target group can be replaced while it carries none. Promote first (set active_color to the other color, and standby_traffic_percent = 0, and apply), then replace {color}'s target group."
        ),
    )
}
