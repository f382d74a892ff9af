//! After traffic moved: the bake, and the rollback when it fails (only when the live
//! traffic is still what this apply wrote).

use super::routes::Slot;
use super::write::Purpose;
use super::{Progress, Switch};
use crate::errors::Error;
use crate::promotion_gate::{self, BakeOf};
use crate::traffic_pointer::Traffic;
use tfplugin::hclog;

impl Switch<'_> {
    /// Bakes the color that gained traffic for `bake_time` (`at`: the step, when the
    /// promotion moves in steps), after waiting for an NLB to apply the weights
    /// (`propagation`: the bake's clock and SLO window start when that wait ends); on any
    /// way the bake ends short of success (a failed check, an AWS error, Ctrl-C, the
    /// operation's deadline), rolls back to `before` if the traffic is still exactly
    /// what this apply wrote.
    pub(super) async fn bake_or_roll_back(
        &self,
        p: &mut Progress,
        before: Traffic,
        bake_time: std::time::Duration,
        of: BakeOf,
        at: Option<&str>,
    ) -> Result<(), Error> {
        let spec = self.spec;
        let Some(now) = p.live else { return Ok(()) };
        // The production pointer's gaining color; when it did not move, the routes'.
        let Some(color) = before.gaining(&now).or(p.gaining) else { return Ok(()) };
        let delay = self.nlb_delay();
        if bake_time.is_zero() && delay.is_zero() {
            return Ok(());
        }
        let target = self.gate_target(color, &p.disagreeing);
        let promotion = promotion_gate::Promotion { bake_time, ..spec.promotion.clone() };
        let moved_at = p.moved_at.unwrap_or_else(tokio::time::Instant::now);
        let bake = async {
            if let Some(reason) = self.wait_for_the_nlb(&target, of, moved_at).await? {
                return Ok(Some(reason));
            }
            let (ctx, aws, op, report) = (self.ctx, self.aws, self.op, self.progress);
            promotion_gate::bake(ctx, aws, &promotion, &target, of, op, moved_at + delay, report).await
        };
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
    pub(super) async fn roll_back(
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
        // The routes first, last written first: the production pointer, written first,
        // is returned last.
        let routes = self.return_routes(p).await;
        let routes = if routes.is_empty() { String::new() } else { format!(" Routes: {}.", routes.join("; ")) };
        let rollback = if p.live == Some(before) {
            Ok(())
        } else {
            self.guarded_write(p, Slot::Production, Purpose::RollBack, |ptr| ptr.with_traffic(&spec.pair, before)).await
        };
        let error = match rollback {
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
        };
        match error {
            Error::Gate { summary, detail } if !routes.is_empty() => Error::Gate { summary, detail: detail + &routes },
            e => e,
        }
    }
}
