//! The switch's steps before and while traffic moves: the gate before the first
//! write, the test-traffic hooks, each step of a stepped promotion (gate, write,
//! hooks, bake), and whether there is time to bake.

use super::hooks::{HookStage, HookSubject};
use super::routes::Slot;
use super::write::Purpose;
use super::{Move, Progress, Switch};
use crate::errors::Error;
use crate::promotion_gate::{self, BakeOf};
use tfplugin::hclog;

impl Switch<'_> {
    /// The promotion gate on the gaining color before anything moves (pulling a canary
    /// back is gated without the alarms), then the owner check (ECS-native or CodeDeploy).
    pub(super) async fn gate_before_the_first_write(&self, p: &mut Progress, m: &Move) -> Result<(), Error> {
        let Some(color) = m.gaining else { return self.refuse_while_the_owner_deploys(p).await };
        self.say(format!("waiting for the promotion gate on {color}"));
        let without_alarms;
        let gate = if m.pulling_back {
            without_alarms = promotion_gate::Promotion { alarm_names: Vec::new(), ..self.spec.promotion.clone() };
            &without_alarms
        } else {
            &self.spec.promotion
        };
        promotion_gate::wait_for_gate(
            self.ctx,
            self.aws,
            gate,
            &self.gate_target(color, &p.disagreeing),
            self.op,
            self.progress,
        )
        .await?;
        // The gate may have waited minutes: an owner (ECS-native or CodeDeploy) may have
        // started a deployment meanwhile. Checked before the first write that moves
        // traffic (or moves the test pointer for the hooks).
        self.refuse_while_the_owner_deploys(p).await
    }

    /// Refuses, writing nothing, while an ECS service that shifts traffic on the
    /// production, test or a route's pointer itself (ECS native blue/green), or a
    /// CodeDeploy deployment group routing it, has a deployment in progress: its writes
    /// and ours would undo each other (`pointer_owner`). An owner
    /// that is not deploying is a warning of the outcome: the apply says it too.
    pub(super) async fn refuse_while_the_owner_deploys(&self, p: &mut Progress) -> Result<(), Error> {
        let spec = self.spec;
        let pointers = self.every_pointer();
        let groups = spec.target_groups();
        let owners =
            crate::pointer_owner::refuse_while_an_owner_deploys(self.aws, &spec.cluster, &pointers, &groups).await?;
        for warning in owners.iter().map(crate::pointer_owner::Owner::warning) {
            if !p.owner_warnings.contains(&warning) {
                p.owner_warnings.push(warning);
            }
        }
        Ok(())
    }

    /// POST_TEST_TRAFFIC_SHIFT: once the test pointer forwards to the gaining color, its
    /// hooks run; a failure refuses with nothing written to production, and the gate is
    /// checked again after them (they may have taken minutes). Returns what the later
    /// stages' hooks are told, when this move runs hooks at all.
    pub(super) async fn post_test_traffic_shift(
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
        // The standby, so this is where the test pointers belong anyway; one wait for
        // the NLB covers every test listener just moved.
        let mut moved = Vec::new();
        if let Some(test) = &spec.test_pointer
            && self.point_test_at(test, &spec.pair, color).await?
        {
            moved.push(test);
        }
        moved.extend(self.point_route_tests_at(&p.moving_routes, color).await?);
        if let Some(test) = moved.iter().find(|t| crate::arn::is_nlb_listener(t.arn())) {
            self.wait_for_the_nlb_test_pointer(test).await?;
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
                &self.gate_target(color, &p.disagreeing),
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
    pub(super) async fn take_step(
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
            let target = self.gate_target(step.gaining, &p.disagreeing);
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
        // On an NLB, every step but the last waits for its weights before the next gate.
        if !step.bake.is_zero() || (step.number < steps && !self.nlb_delay().is_zero()) {
            self.bake_or_roll_back(p, live, step.bake, BakeOf::Step, label.as_deref()).await?;
        }
        Ok(())
    }

    /// The step's guarded writes: the production pointer, then each moving route. A
    /// refusal on the production pointer (someone else wrote) stands; its failed first
    /// write moved nothing; a failed later write, or any failure on a route, rolls back
    /// every pointer written to the start.
    pub(super) async fn write_step(
        &self,
        p: &mut Progress,
        m: &Move,
        step: &promotion_gate::Step,
    ) -> Result<(), Error> {
        let live = m.from;
        if p.live != Some(step.traffic)
            && let Err(e) = self.write_production_step(p, m, step).await
        {
            // A refusal on the production pointer stands (someone else wrote it), but the
            // routes earlier steps wrote go back: the release is never left half switched.
            return Err(match e {
                Error::Live { summary, detail } if p.routes.iter().any(|r| r.wrote) => {
                    let routes = self.return_routes(p).await;
                    Error::Live { summary, detail: format!("{detail} Routes: {}.", routes.join("; ")) }
                }
                e => e,
            });
        }
        let moving = p.moving_routes.clone();
        if let Err(failure) = self.write_routes(p, &moving, step.traffic).await {
            let label = step.label();
            let now = p.live.unwrap_or(live);
            return Err(self.roll_back(p, live, now, failure, Some(&label)).await);
        }
        p.moved_at = Some(tokio::time::Instant::now());
        Ok(())
    }

    /// The production pointer's write of a step.
    async fn write_production_step(
        &self,
        p: &mut Progress,
        m: &Move,
        step: &promotion_gate::Step,
    ) -> Result<(), Error> {
        let spec = self.spec;
        let live = m.from;
        let sent_before = p.writes_sent;
        let moved = self
            .guarded_write(p, Slot::Production, Purpose::Move("moving traffic"), |ptr| {
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
        hclog::info(
            "traffic moved",
            &[("pointer", &spec.pointer.arn()), ("from", &live), ("to", &step.traffic), ("step", &step.number)],
        );
        Ok(())
    }

    /// Reports a hook that failed while traffic moves back: a warning of the outcome and a
    /// progress line, never a stop.
    pub(super) fn hook_failed_during_a_rollback(&self, p: &mut Progress, step: &promotion_gate::Step, failure: String) {
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
    pub(super) fn time_to_bake(
        &self,
        plan: &[promotion_gate::Step],
        final_bake: std::time::Duration,
    ) -> Result<(), Error> {
        let nlb = crate::release_spec::propagation_time(self.nlb_delay(), plan.len(), !final_bake.is_zero());
        let least = promotion_gate::least_time(plan) + final_bake + nlb;
        if least.is_zero() || tokio::time::Instant::now() + least <= self.op.deadline {
            return Ok(());
        }
        let waits = if nlb.is_zero() { "" } else { " and the waits for the NLB (promotion.nlb_propagation_delay)" };
        let what = if plan.len() > 1 {
            format!(
                "the {} steps' bakes, promotion.bake_time{waits} ({} in all)",
                plan.len(),
                crate::duration::display(least)
            )
        } else {
            format!("promotion.bake_time{waits} ({})", crate::duration::display(least))
        };
        Err(Error::Gate {
            summary: "No time left to bake".into(),
            detail: format!(
                "The promotion gate passed, but {what} no longer fit in what is left of the {} timeout, so traffic was not moved. Raise timeouts.{} or shorten promotion.wait_timeout, the hooks' waits or the bakes.",
                self.op.name, self.op.name
            ),
        })
    }
}
