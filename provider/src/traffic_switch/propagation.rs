//! The wait for a Network Load Balancer to apply the weights just written: it may route
//! by the old ones for a while (ECS native blue/green waits 10 minutes for it), so the
//! next step's gate and a bake's clock start only once `promotion.nlb_propagation_delay`
//! has passed since the write, and the bake's checks keep running meanwhile (a failure
//! rolls back, as during the bake). The same for the test listener before the
//! POST_TEST_TRAFFIC_SHIFT hooks test through it.

use super::Switch;
use super::hooks::HookStage;
use crate::errors::Error;
use crate::promotion_gate::{self, BakeOf, GateTarget};
use crate::release_spec;
use crate::traffic_pointer::PointerRef;
use std::time::Duration;
use tfplugin::hclog;
use tokio::time::Instant;

impl Switch<'_> {
    /// The wait after each write that moves traffic: none without an NLB pointer.
    pub(super) fn nlb_delay(&self) -> Duration {
        release_spec::propagation_delay(self.spec)
    }

    /// Waits until the delay has passed since `written_at`, polling the bake's checks on
    /// `target` all the while (no progress line per poll: the bake's come after). The
    /// failure reason, when a check failed during the wait.
    pub(super) async fn wait_for_the_nlb(
        &self,
        target: &GateTarget<'_>,
        of: BakeOf,
        written_at: Instant,
    ) -> Result<Option<String>, Error> {
        let delay = self.nlb_delay();
        let left = (written_at + delay).saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Ok(None);
        }
        let shown = crate::duration::display(delay);
        hclog::info("waiting for the NLB to apply the new weights", &[("delay", &shown), ("color", &target.color)]);
        self.say(format!(
            "waiting {shown} for the NLB to apply the new weights (ECS waits the same); health and alarms of {} are checked meanwhile",
            target.color
        ));
        let watch = promotion_gate::Promotion { bake_time: left, ..self.spec.promotion.clone() };
        let failed = promotion_gate::bake(self.ctx, self.aws, &watch, target, of, self.op, written_at, None).await?;
        Ok(failed.map(|reason| {
            format!("while the NLB applied the new weights (promotion.nlb_propagation_delay, {shown}): {reason}")
        }))
    }

    /// After the test pointer was just moved to the color gaining traffic: when it is an
    /// NLB listener and POST_TEST_TRAFFIC_SHIFT hooks will test through it, waits the
    /// delay first (as ECS waits in TEST_TRAFFIC_SHIFT). Nothing moved in production yet,
    /// so there is nothing to check meanwhile; Ctrl-C and the deadline end the wait.
    pub(super) async fn wait_for_the_nlb_test_pointer(&self, test: &PointerRef) -> Result<(), Error> {
        let delay = self.spec.promotion.nlb_propagation_delay;
        let tested = self.spec.promotion.hooks.iter().any(|h| h.stage == HookStage::PostTestTrafficShift);
        if delay.is_zero() || !tested || !crate::arn::is_nlb_listener(test.arn()) {
            return Ok(());
        }
        let shown = crate::duration::display(delay);
        hclog::info("waiting for the NLB to apply the test listener's weights", &[("delay", &shown)]);
        self.say(format!(
            "waiting {shown} for the NLB to apply the test listener's new weights (ECS waits the same) before the POST_TEST_TRAFFIC_SHIFT hooks"
        ));
        let until = Instant::now() + delay;
        tokio::select! {
            _ = self.ctx.stopped() => Err(Error::Stopped {
                during: format!("the wait for the NLB test listener; nothing was written to {}", self.spec.pointer.describe()),
            }),
            _ = tokio::time::sleep_until(until.min(self.op.deadline)) => {
                if until <= self.op.deadline {
                    return Ok(());
                }
                Err(Error::Timeout {
                    operation: self.op.name.to_string(),
                    elapsed: Instant::now() - self.op.started,
                    waiting_for: "the NLB to apply the test listener's weights; nothing was written to production".into(),
                })
            }
        }
    }
}
