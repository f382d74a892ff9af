//! One poll of the gate: [`LivePoll`] builds the checks the release configures and
//! reads them all at once, merging their readings into one.
//!
//! Adding a check: a file implementing [`Check`] with a `configured` constructor, and
//! its line in [`configured_checks`].

use super::alarms::AlarmCheck;
use super::check::{BoxedCheck, Phase, Setting, boxed};
use super::dynatrace::{GuardianCheck, SloCheck};
use super::ecs::ServiceCheck;
use super::promotion::{GateTarget, Promotion};
use super::targets::TargetHealthCheck;
use super::verdict::{Reading, merge};
use crate::aws_clients::AwsClients;
use crate::errors::Result;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;

#[cfg(doc)]
use super::check::Check;

/// One poll of the gate, over and over: the live one reads AWS; tests script it.
pub trait GatePoll {
    async fn poll(&mut self) -> Result<Reading>;
}

/// Every check `s` configures, in the order of the progress line.
fn configured_checks<'a>(s: &Setting<'a>) -> Vec<BoxedCheck<'a>> {
    [
        boxed(TargetHealthCheck::configured(s)),
        boxed(ServiceCheck::configured(s)),
        boxed(AlarmCheck::configured(s)),
        boxed(SloCheck::configured(s)),
        boxed(GuardianCheck::configured(s)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The gate's checks of one color for one gate wait or one bake.
pub struct LivePoll<'a> {
    checks: Vec<BoxedCheck<'a>>,
}

impl<'a> LivePoll<'a> {
    pub fn new(aws: &'a AwsClients, promotion: &'a Promotion, target: &'a GateTarget<'a>, phase: Phase) -> Self {
        LivePoll { checks: configured_checks(&Setting { aws, promotion, target, phase }) }
    }
}

impl GatePoll for LivePoll<'_> {
    async fn poll(&mut self) -> Result<Reading> {
        let leads: Vec<bool> = self.checks.iter().map(|c| c.leads()).collect();
        let readings = read_all(self.checks.iter_mut().map(|c| c.read()).collect()).await?;
        Ok(merge(readings.into_iter().zip(leads)))
    }
}

type Read<'a> = Pin<Box<dyn Future<Output = Result<Reading>> + Send + 'a>>;

/// Runs every read at once and answers their readings in order, or the first error
/// (the other reads are dropped then: abandoning a read is safe).
async fn read_all(mut reads: Vec<Read<'_>>) -> Result<Vec<Reading>> {
    let mut done: Vec<Option<Reading>> = vec![None; reads.len()];
    std::future::poll_fn(|cx| {
        for (read, slot) in reads.iter_mut().zip(done.iter_mut()).filter(|(_, slot)| slot.is_none()) {
            if let Poll::Ready(r) = read.as_mut().poll(cx) {
                *slot = Some(r?);
            }
        }
        if done.iter().all(Option::is_some) { Poll::Ready(Ok(())) } else { Poll::Pending }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}
