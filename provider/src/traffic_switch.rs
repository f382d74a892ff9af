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

use crate::aws_clients::AwsClients;
use crate::errors::Error;
use crate::promotion_gate::{self, BakeOf, GateTarget, HookStage, HookSubject, Operation, Reporter};
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
    /// Writes that moved no traffic, made before the gate so that ALB health-checks
    /// the gaining color's targets (an attach at weight 0, a replaced standby group).
    prepared: Vec<String>,
    /// Whether the standby's replaced target group was written.
    replaced: bool,
    /// When this apply's last write that moved traffic landed: a bake's SLO window
    /// starts there.
    moved_at: Option<tokio::time::Instant>,
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
            moved_at: None,
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
        if production_error.is_none() || refused_after_replacing {
            // A refusal after the standby's group was replaced: the test pointer follows
            // the new group in the same apply, so the old one is free to delete and
            // state says exactly what is live.
            test_errors.extend(self.reconcile_test_pointer(&mut p).await);
        } else if self.spec.test_pointer.is_some() && p.live.map(|t| t.active) != self.planned_from.map(|t| t.active) {
            // Someone else moved the standby: the test pointer is not where it should
            // be, and the state says so, so the next plan shows it and its apply repairs it.
            p.test_pointer_ok = false;
        }
        let mut errors: Vec<Error> = production_error.into_iter().collect();
        if errors.is_empty()
            && let Some(before) = moved_from
            && let Err(e) =
                self.bake_or_roll_back(&mut p, before, self.spec.promotion.bake_time, BakeOf::Final, None).await
        {
            errors.push(e);
        }
        if !errors.is_empty() && p.wrote {
            // State must record a fresh read after anything that may have changed live.
            self.refresh(&mut p).await;
        }
        if p.rolled_back && p.live.map(|t| t.active) != reconciled_for.map(|t| t.active) {
            // The bake rolled back: the standby changed. (Had someone else switched
            // during the bake, the test pointer would be theirs to move.)
            test_errors.extend(self.reconcile_test_pointer(&mut p).await);
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
            errors,
        }
    }

    /// Points the test pointer, if any, at the standby of what is live now.
    async fn reconcile_test_pointer(&self, p: &mut Progress) -> Option<Error> {
        let test = self.spec.test_pointer.as_ref()?;
        let result = match p.live {
            Some(live) => self.point_test_at(test, live.active.other()).await,
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
        let want = match self.desired {
            Some(desired) => desired(live),
            None => self.spec.desired(live),
        };
        let pointer = self.name_replaced_groups(p, pointer, live).await?;
        if want == live {
            self.say(format!("{} already sends {live}; nothing to move", self.spec.pointer.describe()));
            return Ok(None);
        }
        self.say(format!("{} sends {live}; moving it to {want}", self.spec.pointer.describe()));
        let m = Move::new(self.spec, live, want);
        self.attach_if_detached(p, &pointer, &m).await?;
        self.gate_before_the_first_write(&m).await?;
        let plan = promotion_gate::steps(&self.spec.promotion.strategy, live, want);
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
        self.guarded_write(p, &spec.pointer, Purpose::Move("attaching the gaining color at weight 0"), |ptr| {
            ptr.with_traffic(&spec.pair, live)
        })
        .await?;
        hclog::info("attached the gaining color at weight 0", &[("pointer", &spec.pointer.arn()), ("color", &color)]);
        p.prepared.push(format!("{color}'s target group was attached at weight 0"));
        self.say(format!("attached {color} at weight 0 so that ALB health-checks its targets; no traffic moved"));
        Ok(())
    }

    /// The promotion gate on the gaining color before anything moves; pulling a canary
    /// back is gated without the alarms.
    async fn gate_before_the_first_write(&self, m: &Move) -> Result<(), Error> {
        let Some(color) = m.gaining else { return Ok(()) };
        self.say(format!("waiting for the promotion gate on {color}"));
        let without_alarms;
        let gate = if m.pulling_back {
            without_alarms = promotion_gate::Promotion { alarm_names: Vec::new(), ..self.spec.promotion.clone() };
            &without_alarms
        } else {
            &self.spec.promotion
        };
        promotion_gate::wait_for_gate(self.ctx, self.aws, gate, &self.gate_target(color), self.op, self.progress).await
    }

    /// POST_TEST_TRAFFIC_SHIFT: once the test pointer forwards to the gaining color, its
    /// hooks run; a failure refuses with nothing written to production, and the gate is
    /// checked again after them (they may have taken minutes). Returns what the later
    /// stages' hooks are told, when this move runs hooks at all.
    async fn post_test_traffic_shift(
        &self,
        p: &mut Progress,
        m: &Move,
    ) -> Result<Option<std::sync::Arc<HookSubject>>, Error> {
        let spec = self.spec;
        // The hooks run on a promotion, not on pulling a canary back (an abort must not
        // wait on the checks of the version it aborts).
        let color = match m.gaining {
            Some(color) if !m.pulling_back && !spec.promotion.hooks.is_empty() => color,
            _ => return Ok(None),
        };
        let subject = std::sync::Arc::new(self.hook_subject(color).await);
        p.hooks = Some(subject.clone());
        if let Some(test) = &spec.test_pointer {
            // The standby, so this is where the test pointer belongs anyway.
            self.point_test_at(test, color).await?;
        }
        let share = promotion_gate::share(m.from, color);
        if let Some(reason) = self.run_hooks(HookStage::PostTestTrafficShift, &subject, share).await? {
            return Err(Error::Gate {
                summary: "Lifecycle hook failed".into(),
                detail: format!(
                    "Traffic was not moved: {reason}. Nothing was written to {}; it still sends {}.",
                    spec.pointer.describe(),
                    m.from
                ),
            });
        }
        if spec.promotion.hooks.iter().any(|h| h.stage == HookStage::PostTestTrafficShift) {
            self.say(format!("re-checking the promotion gate on {color} after the hooks"));
            promotion_gate::wait_for_gate(
                self.ctx,
                self.aws,
                &spec.promotion,
                &self.gate_target(color),
                self.op,
                self.progress,
            )
            .await?;
        }
        Ok(Some(subject))
    }

    /// One step of the strategy: the gate (every step after the first), the guarded
    /// write, the PRODUCTION_TRAFFIC_SHIFT hooks (and POST_PRODUCTION after the last),
    /// the step's bake. Any failure after the first write rolls back to the start.
    async fn take_step(
        &self,
        p: &mut Progress,
        m: &Move,
        step: &promotion_gate::Step,
        steps: usize,
        hooks: Option<&HookSubject>,
    ) -> Result<(), Error> {
        let spec = self.spec;
        let live = m.from;
        if step.number > 1 {
            // Every step that gives the color more traffic passes the gate first.
            let target = self.gate_target(step.gaining);
            let gate =
                promotion_gate::wait_for_gate(self.ctx, self.aws, &spec.promotion, &target, self.op, self.progress)
                    .await;
            if let Err(e) = gate {
                let failure = match &e {
                    Error::Stopped { .. } => "the apply was interrupted (Ctrl-C)".to_string(),
                    e => e.to_diagnostic().detail,
                };
                let label = format!("before {}", step.label());
                return Err(self.roll_back(p, live, p.live.unwrap_or(live), failure, Some(&label)).await);
            }
        }
        if self.ctx.is_stopped() {
            if step.number == 1 {
                return Err(Error::Stopped {
                    during: format!("{}, before traffic was moved; nothing was written", self.op.name),
                });
            }
            let label = format!("before {}", step.label());
            let now = p.live.unwrap_or(live);
            return Err(self.roll_back(p, live, now, "the apply was interrupted (Ctrl-C)".into(), Some(&label)).await);
        }
        self.write_step(p, m, step).await?;
        let label = (steps > 1).then(|| step.label());
        if steps > 1 {
            self.say(format!("{}: traffic moved: {}", step.label(), step.traffic));
        } else {
            self.say(format!("traffic moved: {}", m.to));
        }
        if let Some(subject) = hooks {
            let stages: &[HookStage] = if step.number == steps {
                &[HookStage::ProductionTrafficShift, HookStage::PostProductionTrafficShift]
            } else {
                &[HookStage::ProductionTrafficShift]
            };
            for stage in stages {
                let failure = match self.run_hooks(*stage, subject, step.gaining_percent).await {
                    Ok(None) => continue,
                    Ok(Some(reason)) => reason,
                    Err(Error::Stopped { .. }) => "the apply was interrupted (Ctrl-C)".to_string(),
                    Err(e) if spec.promotion.rolling_back => {
                        self.hook_failed_during_a_rollback(p, step, e.to_diagnostic().detail);
                        continue;
                    }
                    Err(e) => e.to_diagnostic().detail,
                };
                if spec.promotion.rolling_back && !self.ctx.is_stopped() {
                    // ECS never lets a hook block a rollback: reported, and it goes on.
                    self.hook_failed_during_a_rollback(p, step, failure);
                    continue;
                }
                return Err(self.roll_back(p, live, step.traffic, failure, label.as_deref()).await);
            }
        }
        if !step.bake.is_zero() {
            self.bake_or_roll_back(p, live, step.bake, BakeOf::Step, label.as_deref()).await?;
        }
        Ok(())
    }

    /// The step's guarded write. A refusal (someone else wrote) stands; a failed first
    /// write moved nothing; a failed later write rolls back to the start.
    async fn write_step(&self, p: &mut Progress, m: &Move, step: &promotion_gate::Step) -> Result<(), Error> {
        let spec = self.spec;
        let live = m.from;
        let sent_before = p.writes_sent;
        let moved = self
            .guarded_write(p, &spec.pointer, Purpose::Move("moving traffic"), |ptr| {
                ptr.with_traffic(&spec.pair, step.traffic)
            })
            .await;
        // A refused write moved nothing; a sent one may have, even if it failed.
        p.moved_traffic = p.moved_traffic || moved.is_ok() || p.writes_sent > sent_before;
        match moved {
            Ok(()) => {}
            // Someone else wrote (a refusal): theirs stands, nothing is rolled back over it.
            Err(e @ Error::Live { .. }) => return Err(e),
            Err(e) if step.number == 1 => return Err(e),
            Err(e) => {
                // A later step's write failed: live is still this apply's last step
                // (or the fresh read says otherwise, and the rollback refuses).
                let label = step.label();
                let now = p.live.unwrap_or(live);
                let failure = format!("its write failed ({})", e.to_diagnostic().detail);
                return Err(self.roll_back(p, live, now, failure, Some(&label)).await);
            }
        }
        p.live = Some(step.traffic);
        p.moved_at = Some(tokio::time::Instant::now());
        hclog::info(
            "traffic moved",
            &[("pointer", &spec.pointer.arn()), ("from", &live), ("to", &step.traffic), ("step", &step.number)],
        );
        Ok(())
    }

    /// Reports a hook that failed while traffic moves back: a warning of the outcome and a
    /// progress line, never a stop.
    fn hook_failed_during_a_rollback(&self, p: &mut Progress, step: &promotion_gate::Step, failure: String) {
        hclog::warn("lifecycle hook failed during a rollback; going on", &[("reason", &failure)]);
        self.say(format!("{}: {failure}; the rollback goes on (a hook never stops one)", step.label()));
        p.warnings.push((
            "Lifecycle hook failed during the rollback".into(),
            format!(
                "At {} (traffic {}): {failure}. A hook is told of each step of a rollback but never stops one, as ECS does; the rollback went on.",
                step.label(),
                step.traffic
            ),
        ));
    }

    /// Refuses before the first write when the steps' bakes and the final bake no
    /// longer fit in what is left of the operation's timeout: moving now would only be
    /// rolled back when the deadline cuts a bake short.
    fn time_to_bake(&self, plan: &[promotion_gate::Step], final_bake: std::time::Duration) -> Result<(), Error> {
        let least = promotion_gate::least_time(plan) + final_bake;
        if least.is_zero() || tokio::time::Instant::now() + least <= self.op.deadline {
            return Ok(());
        }
        let what = if plan.len() > 1 {
            format!(
                "the {} steps' bakes and promotion.bake_time ({} in all)",
                plan.len(),
                crate::duration::display(least)
            )
        } else {
            format!("promotion.bake_time ({})", crate::duration::display(least))
        };
        Err(Error::Gate {
            summary: "No time left to bake".into(),
            detail: format!(
                "The promotion gate passed, but {what} no longer fit in what is left of the {} timeout, so traffic was not moved. Raise timeouts.{} or shorten promotion.wait_timeout, the hooks' waits or the bakes.",
                self.op.name, self.op.name
            ),
        })
    }

    /// Re-reads the pointer and, if it is exactly what this apply accepted, writes
    /// `make(live)` at once. Otherwise writes nothing and says what changed.
    ///
    /// The write is sent once (`traffic_pointer::write_once`): an SDK retry after a
    /// backoff would resend it on a read that may be stale by then. A throttled or
    /// failed write is retried here instead, with the client's retry settings, and
    /// every retry re-reads and compares first: if the failed write did land, that is
    /// success; if someone else wrote meanwhile, nothing is written over them.
    async fn guarded_write(
        &self,
        p: &mut Progress,
        target: &PointerRef,
        purpose: Purpose<'_>,
        make: impl Fn(&Pointer) -> crate::errors::Result<Vec<Action>>,
    ) -> Result<(), Error> {
        let (attempts, first_backoff, max_backoff) = self.write_retries();
        // A rollback keeps retrying after Ctrl-C, for at most ROLLBACK_GRACE from here:
        // giving up at the first throttle would leave traffic mid-way.
        let grace_end = tokio::time::Instant::now() + ROLLBACK_GRACE;
        let purpose_text = purpose.describe();
        // The last write sent that failed, and whether another may follow it.
        let mut failed: Option<(Vec<Action>, Error)> = None;
        let mut may_retry = true;
        let mut attempt = 0;
        // Why the retries ended before `attempts`, when they did.
        let mut cut_short: Option<String> = None;
        loop {
            let now = match traffic_pointer::read(&self.aws.elbv2, target).await {
                Ok(now) => now,
                // After a failed write, its error says more than the re-read's.
                Err(e) => return Err(failed.map_or(e, |(_, write_error)| write_error)),
            };
            if let Some((actions, e)) = failed.take() {
                if traffic_pointer::changes(&actions, &now.actions).is_empty() {
                    // The failed write landed after all: it is a write like any other
                    // (the caller bakes it, and rolls it back if the bake fails).
                    hclog::warn(
                        "pointer write reported a failure but landed",
                        &[("pointer", &target.arn()), ("error", &e.to_string())],
                    );
                    self.say(format!(
                        "the write to {} reported an error ({}) but a fresh read shows it landed",
                        target.describe(),
                        e.to_diagnostic().summary
                    ));
                    p.accepted = actions;
                    return Ok(());
                }
                if !may_retry {
                    // It did not land and no other write follows: what is live is
                    // what this read says.
                    let _ = self.observe(p, &now);
                    return Err(gave_up(e, attempt, attempts, cut_short));
                }
            }
            let changed = traffic_pointer::changes(&p.accepted, &now.actions);
            if !changed.is_empty() {
                let _ = self.observe(p, &now);
                return Err(Error::live(
                    "The pointer changed during the apply",
                    format!(
                        "Right before {purpose_text}, {} no longer matched what this apply had read: {}. Someone else (a deploy tool or an operator) wrote to it meanwhile, so nothing was written over their change. Run terraform plan again.",
                        target.describe(),
                        changed.join("; ")
                    ),
                ));
            }
            let actions = make(&now)?;
            // Nothing is awaited between the read above and this write.
            attempt += 1;
            let written = traffic_pointer::write_once(&self.aws.elbv2, target, actions.clone()).await;
            p.wrote = true;
            p.writes_sent += 1;
            let e = match written {
                Ok(()) => {
                    p.accepted = actions;
                    return Ok(());
                }
                Err(e) => e,
            };
            may_retry = attempt < attempts && worth_retrying(&e);
            if may_retry {
                hclog::warn(
                    "pointer write failed; re-reading before retrying",
                    &[("pointer", &target.arn()), ("attempt", &attempt), ("error", &e.to_string())],
                );
                let wait = backoff(attempt, first_backoff, max_backoff);
                match purpose {
                    // A rollback is what Ctrl-C asks for: it goes on through the stop,
                    // within the grace.
                    Purpose::RollBack => {
                        if self.ctx.is_stopped() && tokio::time::Instant::now() + wait > grace_end {
                            may_retry = false;
                            cut_short = Some(format!(
                                "the apply was interrupted (Ctrl-C), and a rollback after an interrupt is retried for at most {}",
                                crate::duration::display(ROLLBACK_GRACE)
                            ));
                        } else {
                            tokio::time::sleep(wait).await;
                        }
                    }
                    Purpose::Move(_) => tokio::select! {
                        _ = self.ctx.stopped() => {
                            may_retry = false;
                            cut_short = Some("the apply was interrupted (Ctrl-C), so it was not sent again".into());
                        }
                        _ = tokio::time::sleep(wait) => {}
                    },
                }
            }
            // The next read decides whether it landed.
            failed = Some((actions, e));
        }
    }

    /// Attempts and backoff bounds for a guarded write: the ELB client's own retry
    /// configuration (the provider's `max_retries`).
    fn write_retries(&self) -> (u32, std::time::Duration, std::time::Duration) {
        match self.aws.elbv2.config().retry_config() {
            Some(r) => (r.max_attempts().max(1), r.initial_backoff(), r.max_backoff()),
            None => (1, std::time::Duration::ZERO, std::time::Duration::ZERO),
        }
    }

    /// Bakes the color that gained traffic for `bake_time` (`at`: the step, when the
    /// promotion moves in steps); on any way the bake ends short of success (a failed
    /// check, an AWS error, Ctrl-C, the operation's deadline), rolls back to `before` if
    /// the traffic is still exactly what this apply wrote.
    async fn bake_or_roll_back(
        &self,
        p: &mut Progress,
        before: Traffic,
        bake_time: std::time::Duration,
        of: BakeOf,
        at: Option<&str>,
    ) -> Result<(), Error> {
        let spec = self.spec;
        let Some(now) = p.live else { return Ok(()) };
        let Some(color) = before.gaining(&now) else { return Ok(()) };
        if bake_time.is_zero() {
            return Ok(());
        }
        let target = self.gate_target(color);
        let promotion = promotion_gate::Promotion { bake_time, ..spec.promotion.clone() };
        let moved_at = p.moved_at.unwrap_or_else(tokio::time::Instant::now);
        let bake = promotion_gate::bake(self.ctx, self.aws, &promotion, &target, of, self.op, moved_at, self.progress);
        let failure = tokio::select! {
            // The bake watches the deadline itself once its time is over (waiting out an
            // undecided SLO read): at the deadline, its reason is the more precise one.
            biased;
            r = bake => match r {
                Ok(None) => return Ok(()),
                Ok(Some(reason)) => reason,
                Err(Error::Stopped { .. }) => "the apply was interrupted (Ctrl-C) during the bake".to_string(),
                Err(e) => format!("the bake could not check the gate ({})", e.to_diagnostic().detail),
            },
            _ = tokio::time::sleep_until(self.op.deadline) => format!(
                "the {} timeout ran out during the bake ({} elapsed)",
                self.op.name,
                crate::duration::display(self.op.deadline - self.op.started)
            ),
        };
        Err(self.roll_back(p, before, now, failure, at).await)
    }

    /// After `failure` with `now` live (this apply's last write), puts `before` back if
    /// live is still exactly what this apply wrote; the error says what happened.
    async fn roll_back(
        &self,
        p: &mut Progress,
        before: Traffic,
        now: Traffic,
        failure: String,
        at: Option<&str>,
    ) -> Error {
        let spec = self.spec;
        let after = match at {
            Some(step) => format!("At {step} (traffic {now})"),
            None => format!("After moving traffic to {now}"),
        };
        if spec.promotion.rolling_back {
            // The color this rollback gives traffic to (it gained from `before` to `now`).
            let taking_back = before.gaining(&now).unwrap_or(now.active);
            return Error::Gate {
                summary: "Rollback stopped".into(),
                detail: format!(
                    "{after}: {failure}. A rollback never hands traffic back to the color it moves traffic away from, so traffic stays at {now}. Invoke the rollback again once {taking_back} passes its health check (or with promotion.min_healthy_targets = 0 to move without it)."
                ),
            };
        }
        if !spec.promotion.rollback_on_failure {
            return Error::Gate {
                summary: "Bake failed".into(),
                detail: format!("{after}: {failure}. rollback_on_failure is false, so traffic stays at {now}."),
            };
        }
        let rollback =
            self.guarded_write(p, &spec.pointer, Purpose::RollBack, |ptr| ptr.with_traffic(&spec.pair, before)).await;
        match rollback {
            Ok(()) => {
                p.live = Some(before);
                p.rolled_back = true;
                // (The test pointer follows the restored standby in `run`.)
                self.refresh(p).await;
                hclog::warn("bake failed; traffic rolled back", &[("reason", &failure), ("restored", &before)]);
                self.say(format!("bake failed; traffic rolled back to {before}"));
                let told = self.tell_hooks_of_the_rollback(p, before, now).await;
                let live = p.live.unwrap_or(before);
                Error::Gate {
                    summary: "Bake failed; traffic rolled back".into(),
                    detail: format!(
                        "{after}: {failure}. Traffic was restored to {before}; {} now sends {live}, and the state records that.{told}",
                        spec.pointer.describe()
                    ),
                }
            }
            Err(e @ Error::Live { .. }) => {
                let live = p.live.map(|t| t.to_string()).unwrap_or_else(|| "an unreadable pointer".into());
                Error::Gate {
                    summary: "Bake failed; not rolled back: someone else changed the pointer".into(),
                    detail: format!(
                        "{after}: {failure}. Before rolling back, {} was read again and it no longer is what this apply wrote ({}), so it was left as it is: it now sends {live}, and the state records that.",
                        spec.pointer.describe(),
                        e.to_diagnostic().detail
                    ),
                }
            }
            Err(e) => Error::Gate {
                summary: "Bake failed and the rollback failed".into(),
                detail: format!("{after}: {failure}. Rolling back to {before} failed: {}", e.to_diagnostic().detail),
            },
        }
    }

    /// Points the test pointer at `color`'s target group if it points elsewhere.
    ///
    /// Guarded like the production pointer: read, then write at once with nothing
    /// awaited in between, sent once (an SDK retry would resend it on a read that may
    /// be stale by then). A failed write is judged by a fresh read: landed is success,
    /// anything else is an error the next apply repairs.
    async fn point_test_at(&self, test: &PointerRef, color: Color) -> Result<(), Error> {
        let tg = self.spec.pair.target_group(color);
        let p = traffic_pointer::read(&self.aws.elbv2, test).await?;
        if p.weights().is_ok_and(|w| w.len() == 1 && w[0].0 == tg) {
            return Ok(());
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
        Ok(())
    }

    /// One more read of the production pointer; keeps the last known traffic if the
    /// read fails.
    async fn refresh(&self, p: &mut Progress) {
        if let Ok(now) = traffic_pointer::read(&self.aws.elbv2, &self.spec.pointer).await {
            let _ = self.observe(p, &now);
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
        self.guarded_write(p, &spec.pointer, Purpose::Move("replacing the standby's target group"), |ptr| {
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

    /// What this apply's hooks are told about it: one execution id for all its stages,
    /// the production pointer, and each color's key in the weights (its service
    /// revision, else its target group) and the gaining color's ECS service, from one
    /// listing of the cluster (left out if the listing fails: a hook must not fail for
    /// want of them).
    async fn hook_subject(&self, gaining: Color) -> HookSubject {
        let spec = self.spec;
        let (tg, other_tg) = (spec.pair.target_group(gaining), spec.pair.target_group(gaining.other()));
        let found = match promotion_gate::services_on_target_groups(self.aws, &spec.cluster, &[tg, other_tg]).await {
            Ok(found) => found,
            Err(e) => {
                hclog::warn("no ECS services for the lifecycle hooks' payload", &[("error", &e.to_string())]);
                Vec::new()
            }
        };
        let none = Vec::new();
        let (gaining_services, other_services) = (found.first().unwrap_or(&none), found.get(1).unwrap_or(&none));
        let (gaining_key, other_key, target_revision) =
            promotion_gate::weight_keys((gaining_services, tg), (other_services, other_tg));
        HookSubject {
            resource_arn: spec.pointer.arn().to_string(),
            service_arn: gaining_services.iter().find(|s| s.desired > 0).map(|s| s.arn.clone()),
            gaining_key,
            other_key,
            target_revision,
            details: Default::default(),
        }
    }

    /// After a rollback, ECS invokes the PRODUCTION_TRAFFIC_SHIFT hooks again with the
    /// weights reversed (the gaining color at its share before the promotion), so that
    /// hooks that keep state (feature flags, parameters) follow it; so does this. Their
    /// answer cannot stop anything now: a failure is only reported (the returned
    /// sentence, empty when all succeeded or none ran). Each hook gets a short budget
    /// of its own (`promotion_gate::hooks::ROLLBACK_NOTICE_BUDGET`), not the operation's
    /// deadline: when that deadline caused the rollback, it is already past.
    async fn tell_hooks_of_the_rollback(&self, p: &Progress, before: Traffic, now: Traffic) -> String {
        let (Some(subject), Some(color)) = (&p.hooks, before.gaining(&now)) else { return String::new() };
        let share = promotion_gate::share(before, color);
        let hooks = &self.spec.promotion.hooks;
        let lambda = promotion_gate::lambda(self.aws);
        match promotion_gate::tell_of_rollback(self.ctx, &lambda, hooks, subject, share, self.progress).await {
            Ok(None) => String::new(),
            Ok(Some(reason)) => format!(" Telling the hooks of the rollback failed: {reason}."),
            Err(e) => format!(" The hooks were not told of the rollback: {}.", e.to_diagnostic().detail),
        }
    }

    /// Runs the hooks of `stage`: `Ok(Some(reason))` when one failed.
    async fn run_hooks(
        &self,
        stage: HookStage,
        subject: &HookSubject,
        gaining_percent: u8,
    ) -> Result<Option<String>, Error> {
        let hooks = &self.spec.promotion.hooks;
        promotion_gate::run_stage(
            self.ctx,
            &promotion_gate::lambda(self.aws),
            hooks,
            stage,
            subject,
            gaining_percent,
            self.op.deadline,
            self.progress,
        )
        .await
    }

    /// Reports a progress line, when someone listens.
    fn say(&self, line: String) {
        if let Some(report) = self.progress {
            report(line);
        }
    }

    fn gate_target(&self, color: Color) -> GateTarget<'_> {
        GateTarget {
            color: color.as_str(),
            target_group_arn: self.spec.pair.target_group(color),
            cluster: &self.spec.cluster,
        }
    }
}

/// One move of the production pointer, as the switch decides it once it read live.
struct Move {
    from: Traffic,
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
    fn new(spec: &ReleaseSpec, from: Traffic, to: Traffic) -> Move {
        let gaining = from.gaining(&to);
        let pulling_back = to.active == from.active && to.standby_percent < from.standby_percent;
        let bakes = gaining.is_some() && !pulling_back && !spec.promotion.bake_time.is_zero();
        Move { from, to, gaining, pulling_back, bakes }
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

/// How long a rollback's write keeps being retried after Ctrl-C (Terraform waits for
/// the provider to return; a second Ctrl-C kills it).
pub const ROLLBACK_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// What a guarded write is for: moving traffic forward (Ctrl-C ends its retries), or
/// putting it back (retried through Ctrl-C, within [`ROLLBACK_GRACE`]).
#[derive(Clone, Copy, Debug)]
enum Purpose<'a> {
    Move(&'a str),
    RollBack,
}

impl Purpose<'_> {
    fn describe(&self) -> &str {
        match self {
            Purpose::Move(what) => what,
            Purpose::RollBack => "rolling back",
        }
    }
}

/// The error of a guarded write that was not retried any more: an AWS error says how
/// often it was sent and why it stopped there, so no remedy is a guess.
fn gave_up(e: Error, sent: u32, attempts: u32, cut_short: Option<String>) -> Error {
    if !worth_retrying(&e) {
        return e;
    }
    let Error::Aws { call, target, code, message } = e else { return e };
    let why = cut_short.unwrap_or_else(|| format!("that is every attempt max_retries allows ({attempts})"));
    let times = if sent == 1 { "once".to_string() } else { format!("{sent} times") };
    Error::Aws {
        call,
        target,
        code,
        message: format!("{message} (sent {times}, always right after a fresh read; {why})"),
    }
}

/// A refusal's "nothing was written" is about traffic: when writes that moved none
/// came first (they must: ALB health-checks only target groups an action forwards to),
/// the error says what they were.
fn said_what_was_written(e: Error, prepared: &[String]) -> Error {
    let what = prepared.join("; ");
    let sentence = format!("No traffic moved; written before the gate, so that ALB health-checks its targets: {what}.");
    let amend = |text: String| {
        if text.contains("Nothing was written.") {
            text.replace("Nothing was written.", &sentence)
        } else if text.contains("nothing was written") {
            text.replace("nothing was written", &format!("no traffic moved (written before the gate: {what})"))
        } else if text.contains("Nothing was written") {
            format!("{} {sentence}", text.replace("Nothing was written", "No traffic was written"))
        } else {
            format!("{text} {sentence}")
        }
    };
    match e {
        Error::Gate { summary, detail } => Error::Gate { summary, detail: amend(detail) },
        Error::Timeout { operation, elapsed, waiting_for } => {
            Error::Timeout { operation, elapsed, waiting_for: amend(waiting_for) }
        }
        Error::Stopped { during } => Error::Stopped { during: amend(during) },
        e => e,
    }
}

/// Whether a failed pointer write may succeed if tried again: throttling, a server
/// error, or no answer at all (no error code: a dropped connection, a timeout).
fn worth_retrying(e: &Error) -> bool {
    match e {
        Error::Aws { code, .. } => matches!(
            code.as_str(),
            "" | "Throttling"
                | "ThrottlingException"
                | "RequestLimitExceeded"
                | "TooManyRequestsException"
                | "InternalFailure"
                | "InternalError"
                | "ServiceUnavailable"
                | "RequestTimeout"
        ),
        _ => false,
    }
}

/// The wait before retry `attempt` (1-based): a random share of
/// `min(first x 2^(attempt-1), max)` (full jitter, as the SDK's standard retries).
fn backoff(attempt: u32, first: std::time::Duration, max: std::time::Duration) -> std::time::Duration {
    let bound = first.saturating_mul(1u32 << attempt.saturating_sub(1).min(20)).min(max);
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.subsec_nanos());
    bound.mul_f64(f64::from(nanos % 1000) / 1000.0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    #[test]
    fn only_transient_write_errors_are_retried() {
        let aws =
            |code: &str| Error::Aws { call: "ModifyRule", target: "r".into(), code: code.into(), message: "m".into() };
        for code in ["", "Throttling", "ServiceUnavailable", "InternalFailure"] {
            assert!(worth_retrying(&aws(code)), "{code}");
        }
        for code in ["AccessDenied", "ValidationError", "RuleNotFound"] {
            assert!(!worth_retrying(&aws(code)), "{code}");
        }
        assert!(!worth_retrying(&Error::live("x", "y")));
    }

    #[test]
    fn a_write_that_gave_up_says_how_often_it_was_sent_and_why_it_stopped() {
        let throttled = || Error::Aws {
            call: "ModifyRule",
            target: "r".into(),
            code: "Throttling".into(),
            message: "Rate exceeded".into(),
        };
        let all = gave_up(throttled(), 3, 3, None).to_diagnostic().detail;
        assert!(
            all.contains(
                "Rate exceeded (sent 3 times, always right after a fresh read; that is every attempt max_retries allows (3))"
            ),
            "{all}"
        );
        let cut = gave_up(throttled(), 1, 3, Some("the apply was interrupted (Ctrl-C)".into())).to_diagnostic().detail;
        assert!(
            cut.contains("(sent once, always right after a fresh read; the apply was interrupted (Ctrl-C))"),
            "{cut}"
        );
        assert!(!cut.contains("every attempt"), "{cut}");
        // An error no retry could help is returned as it is.
        let denied =
            Error::Aws { call: "ModifyRule", target: "r".into(), code: "AccessDenied".into(), message: "no".into() };
        assert_eq!(gave_up(denied.clone(), 1, 3, None), denied);
    }

    #[test]
    fn backoff_stays_under_its_doubling_bound_and_the_cap() {
        let (first, max) = (Duration::from_millis(500), Duration::from_secs(20));
        for attempt in 1..=12 {
            let bound = (first * 2u32.pow(attempt - 1)).min(max);
            assert!(backoff(attempt, first, max) <= bound, "attempt {attempt}");
        }
        assert_eq!(backoff(40, Duration::ZERO, Duration::ZERO), Duration::ZERO);
    }
}
