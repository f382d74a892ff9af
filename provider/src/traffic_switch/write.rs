//! The guarded write: every write of the production pointer re-reads it and writes in
//! the same breath, refusing (writing nothing) when the live actions are not the ones
//! this apply last accepted; transient AWS errors are retried with backoff.

use super::routes::Slot;
use super::{Progress, Switch};
use crate::errors::Error;
use crate::traffic_pointer::{self, Pointer};
use aws_sdk_elasticloadbalancingv2::types::Action;
use tfplugin::hclog;

impl Switch<'_> {
    /// Re-reads the pointer of `slot` and, if it is exactly what this apply accepted, writes
    /// `make(live)` at once. Otherwise writes nothing and says what changed.
    ///
    /// The write is sent once (`traffic_pointer::write_once`): an SDK retry after a
    /// backoff would resend it on a read that may be stale by then. A throttled or
    /// failed write is retried here instead, with the client's retry settings, and
    /// every retry re-reads and compares first: if the failed write did land, that is
    /// success; if someone else wrote meanwhile, nothing is written over them.
    pub(super) async fn guarded_write(
        &self,
        p: &mut Progress,
        slot: Slot,
        purpose: Purpose<'_>,
        make: impl Fn(&Pointer) -> crate::errors::Result<Vec<Action>>,
    ) -> Result<(), Error> {
        let target = self.pointer_of(slot);
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
                    p.accept(slot, actions);
                    return Ok(());
                }
                if !may_retry {
                    // It did not land and no other write follows: what is live is
                    // what this read says.
                    self.observe_slot(p, slot, &now);
                    return Err(gave_up(e, attempt, attempts, cut_short));
                }
            }
            let changed = traffic_pointer::changes(p.accepted(slot), &now.actions);
            if !changed.is_empty() {
                self.observe_slot(p, slot, &now);
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
                    p.accept(slot, actions);
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
    pub(super) fn write_retries(&self) -> (u32, std::time::Duration, std::time::Duration) {
        match self.aws.elbv2.config().retry_config() {
            Some(r) => (r.max_attempts().max(1), r.initial_backoff(), r.max_backoff()),
            None => (1, std::time::Duration::ZERO, std::time::Duration::ZERO),
        }
    }
}

/// How long a rollback's write keeps being retried after Ctrl-C (Terraform waits for
/// the provider to return; a second Ctrl-C kills it).
pub const ROLLBACK_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// What a guarded write is for: moving traffic forward (Ctrl-C ends its retries), or
/// putting it back (retried through Ctrl-C, within [`ROLLBACK_GRACE`]).
#[derive(Clone, Copy, Debug)]
pub(super) enum Purpose<'a> {
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
pub(super) fn said_what_was_written(e: Error, prepared: &[String]) -> Error {
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
mod tests;
