//! The one shape of a gate check ([`Check`]) and what each is built from ([`Setting`]).
//! A check reads one thing (AWS or Dynatrace) and says what it found as a [`Reading`];
//! the poll ([`super::poll`]) builds the configured checks and merges their readings.

use super::promotion::{BakeOf, GateTarget, Promotion};
use super::verdict::Reading;
use crate::aws::AwsClients;
use crate::errors::Result;
use async_trait::async_trait;
use tokio::time::Instant;

/// One check of the gaining color, read on every poll of a gate wait or a bake.
#[async_trait]
pub trait Check: Send {
    /// What it checks, for the provider log (`target health`, `CloudWatch alarms`).
    fn name(&self) -> &'static str;

    /// One read: what the check found and the words for the progress line. An error
    /// ends the wait (a missing alarm, a refused token); "could not tell this time" is
    /// [`super::verdict::Verdict::Unsure`], not an error.
    async fn read(&mut self) -> Result<Reading>;

    /// Whether this check's reasons lead the poll's reasons (a firing alarm is named
    /// first); its part of the progress line keeps its place.
    fn leads(&self) -> bool {
        false
    }
}

/// What a poll is for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The gate before a write that gives the color more traffic.
    BeforeWrite,
    /// A bake: which one, when its traffic moved, and when its time is over.
    Bake { of: BakeOf, moved_at: Instant, ends: Instant },
}

/// What every check is built from: the release's configuration, the color, the phase.
pub struct Setting<'a> {
    pub aws: &'a AwsClients,
    pub promotion: &'a Promotion,
    pub target: &'a GateTarget<'a>,
    pub phase: Phase,
}

/// A check as the poll keeps it.
pub type BoxedCheck<'a> = Box<dyn Check + 'a>;

/// The checks one kind configures (none, one, or one per target group), boxed, for the
/// list of configured checks.
pub fn boxed<'a>(checks: impl IntoIterator<Item = impl Check + 'a>) -> Vec<BoxedCheck<'a>> {
    checks.into_iter().map(|c| Box::new(c) as BoxedCheck<'a>).collect()
}
