//! The gate's loops: [`wait_for_gate`] polls until the checks pass before a write,
//! [`bake`] polls for `bake_time` after one. Both run any [`GatePoll`], so the loops are
//! tested with scripted answers in paused time.

use super::check::Phase;
use super::poll::{GatePoll, LivePoll};
use super::promotion::{BakeOf, GateTarget, Operation, Promotion};
use super::verdict::Verdict;
use crate::aws::AwsClients;
use crate::duration;
use crate::errors::{Error, Result};
use crate::progress::Reporter;
use std::time::Duration;
use tfplugin::{Ctx, hclog};
use tokio::time::Instant;

/// How often to poll while waiting: a tenth of the wait, between 250 ms and 5 s.
fn poll_interval(wait: Duration) -> Duration {
    (wait / 10).clamp(Duration::from_millis(250), Duration::from_secs(5))
}

/// A duration in a progress line: whole seconds (`0s`, `40s`, `1m30s`).
fn seconds(d: Duration) -> String {
    let whole = Duration::from_secs(d.as_secs());
    if whole.is_zero() { "0s".into() } else { duration::display(whole) }
}

/// Runs the gate for the color gaining traffic, polling until it passes or
/// `wait_timeout` (bounded by the operation's deadline) runs out; a failed ECS rollout
/// refuses at once. Nothing is written here. The cluster's services are listed on the
/// first poll only (see [`super::ecs::ServiceCheck`]). With a reporter, every poll reports what it
/// saw and how long the gate has waited; polls start at most 5 s apart.
pub async fn wait_for_gate(
    ctx: &Ctx,
    aws: &AwsClients,
    p: &Promotion,
    t: &GateTarget<'_>,
    op: &Operation<'_>,
    report: Reporter<'_>,
) -> Result<()> {
    let mut live = LivePoll::new(aws, p, t, Phase::BeforeWrite);
    wait_until_passing(ctx, p, t, op, &mut live, report).await
}

async fn wait_until_passing(
    ctx: &Ctx,
    p: &Promotion,
    t: &GateTarget<'_>,
    op: &Operation<'_>,
    gate: &mut impl GatePoll,
    report: Reporter<'_>,
) -> Result<()> {
    let (deadline, operation) = (op.deadline, op.name);
    let started = Instant::now();
    let gate_deadline = (started + p.wait_timeout).min(deadline);
    let interval = poll_interval(p.wait_timeout);
    // The refusal (or, when the operation's deadline came first, the timeout) once the
    // wait is over, naming the last thing waited for.
    let out_of_time = |reason: &str| {
        let now = Instant::now();
        if deadline < started + p.wait_timeout {
            // The operation's own timeout ran out before the gate's wait did.
            return Error::Timeout {
                operation: operation.to_string(),
                elapsed: now - op.started,
                waiting_for: format!("the promotion gate ({reason}); nothing was written"),
            };
        }
        Error::Gate {
            summary: "Promotion gate refused the switch".into(),
            detail: format!(
                "Traffic was not moved: {reason} (checked for {}; promotion.wait_timeout is {}). Nothing was written.",
                duration::display(now - started),
                duration::display(p.wait_timeout)
            ),
        }
    };
    let mut last_reason: Option<String> = None;
    loop {
        let poll_started = Instant::now();
        // A poll can take long (a large cluster's first listing, throttled retries):
        // neither Ctrl-C nor the end of the wait waits for it. Abandoning a read is safe.
        let reading = tokio::select! {
            // A poll that answers when the wait ends still counts.
            biased;
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the promotion gate for {}; nothing was written", t.color) }),
            r = gate.poll() => r?,
            _ = tokio::time::sleep_until(gate_deadline) => {
                // The last poll starts when the wait ends; one that has not answered by
                // then is no news: the reason is the last answer. Only a poll stuck for
                // longer than the polling interval is worth naming.
                let reason = match last_reason {
                    Some(r) if Instant::now() - poll_started <= interval => r,
                    _ => format!(
                        "a gate poll got no answer from AWS in time (throttled or slow){}",
                        last_reason.map(|r| format!("; before it: {r}")).unwrap_or_default()
                    ),
                };
                return Err(out_of_time(&reason));
            }
        };
        let reason = match reading.verdict {
            Verdict::Pass => {
                hclog::info("promotion gate passed", &[("color", &t.color), ("target_group", &t.target_group_arn)]);
                if let Some(r) = report {
                    r(format!("{}: gate passed: {}", t.color, reading.seen));
                }
                return Ok(());
            }
            Verdict::Refuse(reason) => {
                return Err(Error::Gate {
                    summary: "Promotion gate refused the switch".into(),
                    detail: format!(
                        "Traffic was not moved: {reason}. Waiting would not help: fix or roll back that deployment, then apply again. Nothing was written."
                    ),
                });
            }
            // Before a write, "could not tell" is "not yet".
            Verdict::Wait(reason) | Verdict::Unsure(reason) => reason,
        };
        hclog::debug("promotion gate not yet passing", &[("reason", &reason)]);
        if let Some(r) = report {
            r(format!(
                "{}: {}; waited {} of {}",
                t.color,
                reading.seen,
                seconds(Instant::now() - started),
                duration::display(p.wait_timeout)
            ));
        }
        let now = Instant::now();
        if now >= gate_deadline {
            return Err(out_of_time(&reason));
        }
        last_reason = Some(reason);
        // Polls start `interval` apart (at most 5 s), however long a poll took.
        let next = (poll_started + interval).max(now).min(gate_deadline);
        tokio::select! {
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the promotion gate for {}; nothing was written", t.color) }),
            _ = tokio::time::sleep_until(next) => {}
        }
    }
}

/// Watches health and alarms of the newly active color for `bake_time`. Returns the
/// failure reason if the bake fails. With a reporter, every poll reports what it saw
/// and how far the bake is; polls start at most 5 s apart.
///
/// `moved_at`: when the traffic being baked moved; the SLOs are read over a window that
/// starts there (`dynatrace::window`). A read that could not tell (Dynatrace throttled,
/// failed or unreachable) does not fail the bake: it keeps polling, and when the bake
/// time is over while the SLOs' last read still could not tell, it keeps asking until
/// the operation's deadline (`op`), and fails then, naming why.
#[allow(clippy::too_many_arguments)]
pub async fn bake(
    ctx: &Ctx,
    aws: &AwsClients,
    p: &Promotion,
    t: &GateTarget<'_>,
    of: BakeOf,
    op: &Operation<'_>,
    moved_at: Instant,
    report: Reporter<'_>,
) -> Result<Option<String>> {
    // A step's bake also watches the gaining color's ECS services (a rollout that fails
    // or tasks that stop while it holds a share stop the promotion); see
    // [`super::ecs::ServiceCheck`] for why the final bake does not.
    let mut live = LivePoll::new(aws, p, t, Phase::Bake { of, moved_at, ends: Instant::now() + p.bake_time });
    bake_until_done(ctx, p, t, op, &mut live, report).await
}

/// Why a bake fails when Dynatrace could not tell until the operation's deadline.
fn unsure_until_the_deadline(op: &Operation<'_>, last: &str) -> String {
    format!(
        "the bake time was over, but Dynatrace stayed unreachable or throttled until the {} timeout ran out, so the SLOs' last read never came ({last}); no SLO was seen failing",
        op.name
    )
}

async fn bake_until_done(
    ctx: &Ctx,
    p: &Promotion,
    t: &GateTarget<'_>,
    op: &Operation<'_>,
    gate: &mut impl GatePoll,
    report: Reporter<'_>,
) -> Result<Option<String>> {
    if p.bake_time.is_zero() {
        return Ok(None);
    }
    let started = Instant::now();
    let end = started + p.bake_time;
    let interval = poll_interval(p.bake_time);
    // What the last poll could not tell, if it could not.
    let mut unsure: Option<String> = None;
    loop {
        let poll_started = Instant::now();
        // Past the bake's end only an undecided read keeps the bake going, and only
        // until the operation's deadline (checked here, so that the bake names why).
        let overtime = poll_started >= end;
        if overtime && poll_started >= op.deadline {
            let reason = unsure_until_the_deadline(op, unsure.as_deref().unwrap_or("no answer"));
            if let Some(r) = report {
                r(format!("{}: bake failed after {}: {reason}", t.color, seconds(poll_started - started)));
            }
            return Ok(Some(reason));
        }
        let reading = tokio::select! {
            biased;
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the bake of {}", t.color) }),
            _ = tokio::time::sleep_until(op.deadline), if overtime => {
                let reason = unsure_until_the_deadline(op, unsure.as_deref().unwrap_or("no answer"));
                if let Some(r) = report {
                    r(format!("{}: bake failed after {}: {reason}", t.color, seconds(Instant::now() - started)));
                }
                return Ok(Some(reason));
            }
            r = gate.poll() => r?,
        };
        unsure = None;
        match reading.verdict {
            Verdict::Pass => {}
            Verdict::Unsure(reason) => {
                hclog::debug("bake could not tell this time", &[("color", &t.color), ("reason", &reason)]);
                unsure = Some(reason);
            }
            Verdict::Wait(reason) | Verdict::Refuse(reason) => {
                if let Some(r) = report {
                    r(format!("{}: bake failed after {}: {reason}", t.color, seconds(Instant::now() - started)));
                }
                return Ok(Some(reason));
            }
        }
        let now = Instant::now();
        if let Some(r) = report {
            let line = if now >= end && unsure.is_some() {
                format!(
                    "{}: baked {}; waiting for a read that can tell: {}",
                    t.color,
                    duration::display(p.bake_time),
                    reading.seen
                )
            } else {
                format!(
                    "{}: baking {} of {}: {}",
                    t.color,
                    seconds((now - started).min(p.bake_time)),
                    duration::display(p.bake_time),
                    reading.seen
                )
            };
            r(line);
        }
        if now >= end && unsure.is_none() {
            hclog::info("bake passed", &[("color", &t.color), ("bake_time", &duration::display(p.bake_time))]);
            return Ok(None);
        }
        let until = if now >= end { op.deadline } else { end };
        let next = (poll_started + interval).max(now).min(until);
        tokio::select! {
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the bake of {}", t.color) }),
            _ = tokio::time::sleep_until(next) => {}
        }
    }
}

#[cfg(test)]
mod tests;
