//! The promotion gate: before a color gains traffic, it must have enough healthy
//! targets, steady ECS services, and no listed CloudWatch alarm in ALARM. After the
//! switch, the bake keeps checking health and alarms for `bake_time`.

use crate::aws_clients::AwsClients;
use crate::duration;
use crate::errors::{Error, Result};
use std::time::Duration;
use tfplugin::{Ctx, hclog};
use tokio::time::Instant;

#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    pub min_healthy_targets: i64,
    pub wait_timeout: Duration,
    pub alarm_names: Vec<String>,
    pub bake_time: Duration,
    pub rollback_on_failure: bool,
    /// Whether the ECS services on the gaining color must be steady. Always for the
    /// resource and the promote action; a rollback checks only healthy targets.
    pub check_services: bool,
    /// `promotion.dynatrace`: SLOs that must pass.
    pub dynatrace: Option<DynatraceGate>,
    /// How a change of the active color moves traffic.
    pub strategy: Strategy,
    /// `promotion.hook`: Lambda lifecycle hooks, in configuration order.
    pub hooks: Vec<LifecycleHook>,
    /// This move is a rollback (the rollback action): lifecycle hooks are told each step
    /// but cannot stop it (as ECS), and a failed health check stops it where it is,
    /// never handing traffic back to the color it moves traffic away from.
    pub rolling_back: bool,
}

impl Default for Promotion {
    fn default() -> Self {
        Promotion {
            min_healthy_targets: 1,
            wait_timeout: Duration::from_secs(300),
            alarm_names: Vec::new(),
            bake_time: Duration::ZERO,
            rollback_on_failure: true,
            check_services: true,
            dynatrace: None,
            strategy: Strategy::AllAtOnce,
            hooks: Vec::new(),
            rolling_back: false,
        }
    }
}

/// What the gate checks for one color.
pub struct GateTarget<'a> {
    pub color: &'a str,
    pub target_group_arn: &'a str,
    pub cluster: &'a str,
}

/// An apply operation's name, start and deadline (from its `timeouts` entry).
pub struct Operation<'a> {
    pub name: &'a str,
    pub started: Instant,
    pub deadline: Instant,
}

/// How often to poll while waiting: a tenth of the wait, between 250 ms and 5 s.
fn poll_interval(wait: Duration) -> Duration {
    (wait / 10).clamp(Duration::from_millis(250), Duration::from_secs(5))
}

mod alarms;
mod dynatrace;
mod ecs;
mod guardian;
mod hooks;
mod strategy;
mod targets;

pub use dynatrace::DynatraceGate;
use dynatrace::SloCheck;
use guardian::GuardianCheck;
pub use guardian::GuardianGate;
pub use hooks::{
    DEFAULT_HOOK_TIMEOUT, HookStage, HookSubject, LifecycleHook, hooks_said, lambda, run_stage, tell_of_rollback,
    weight_keys,
};
pub use strategy::{Step, Strategy, least_time, share, steps};

#[cfg(test)]
use alarms::alarm_name_chunks;
pub use alarms::*;
use ecs::ServiceWatch;
pub use ecs::*;
pub use targets::*;

// ---------------------------------------------------------------- the gate

/// Where progress lines go while the gate waits and the bake runs: an action streams
/// them to Terraform; the resource passes none (its progress is in the provider log).
pub type Reporter<'a> = Option<&'a (dyn Fn(String) + Send + Sync)>;

/// One evaluation of the gate.
#[derive(Clone, Debug, PartialEq, Eq)]
enum Verdict {
    Pass,
    /// Not yet: the reasons, joined.
    Wait(String),
    /// Not ever, without someone acting (a failed rollout).
    Refuse(String),
    /// Could not tell this time (Dynatrace throttled, failed or did not answer): the
    /// gate waits as for `Wait`; a bake keeps polling instead of failing.
    Unsure(String),
}

/// What one poll saw: the verdict, and the numbers in a progress line's words
/// (`1/2 targets healthy (1 initial), needs 2; steady services 1/1; alarms OK`).
#[derive(Clone, Debug, PartialEq, Eq)]
struct Reading {
    verdict: Verdict,
    seen: String,
}

/// Decides from what one poll read. `health` is None when the health check is off
/// (`min_healthy_targets = 0`); `services` is None when services are not checked
/// (the bake, a rollback).
fn decide(
    p: &Promotion,
    t: &GateTarget<'_>,
    firing: &[String],
    health: Option<&HealthSummary>,
    services: Option<&[ServiceStatus]>,
    rule: &ServiceRule,
) -> Verdict {
    let mut reasons = Vec::new();
    match firing {
        [] => {}
        [one] => reasons.push(format!("CloudWatch alarm {one} is in ALARM")),
        many => reasons.push(format!("CloudWatch alarms {} are in ALARM", many.join(", "))),
    }
    if let Some(h) = health
        && h.healthy < p.min_healthy_targets
    {
        reasons.push(format!(
            "{} target group {} has {}; needs {}",
            t.color,
            t.target_group_arn,
            h.describe(),
            p.min_healthy_targets
        ));
    }
    if let Some(services) = services {
        let serving: Vec<&ServiceStatus> = services.iter().filter(|s| s.desired > 0).collect();
        if serving.is_empty() {
            reasons.push(format!(
                "no ECS service in cluster {} with desired count > 0 serves the {} target group {}",
                t.cluster, t.color, t.target_group_arn
            ));
        }
        for s in serving {
            match rule.judge(s) {
                Steadiness::Steady => {}
                Steadiness::Settling(why) => {
                    reasons.push(format!("ECS service {} on {} is not steady: {why}", s.name, t.color))
                }
                Steadiness::Failed(why) => {
                    return Verdict::Refuse(format!("ECS service {} on {} failed its rollout: {why}", s.name, t.color));
                }
            }
        }
    }
    if reasons.is_empty() { Verdict::Pass } else { Verdict::Wait(reasons.join("; ")) }
}

/// What one poll read, in numbers, for a progress line: targets healthy of registered
/// (the others by state) and how many are needed, steady services of those serving,
/// alarms. Checks that are off say so.
fn summarize(
    p: &Promotion,
    firing: &[String],
    health: Option<&HealthSummary>,
    services: Option<&[ServiceStatus]>,
    rule: &ServiceRule,
) -> String {
    let mut parts = Vec::new();
    match health {
        Some(h) => {
            let mut states: Vec<(&str, i64)> = Vec::new();
            for c in &h.not_healthy {
                match states.iter_mut().find(|(s, _)| *s == c.state) {
                    Some((_, n)) => *n += c.count,
                    None => states.push((&c.state, c.count)),
                }
            }
            let others = if states.is_empty() {
                String::new()
            } else {
                let list: Vec<String> = states.iter().map(|(s, n)| format!("{n} {s}")).collect();
                format!(" ({})", list.join(", "))
            };
            parts.push(format!(
                "{}/{} targets healthy{others}, needs {}",
                h.healthy, h.registered, p.min_healthy_targets
            ));
        }
        None => parts.push("health check off (min_healthy_targets = 0)".into()),
    }
    if let Some(services) = services {
        let serving: Vec<&ServiceStatus> = services.iter().filter(|s| s.desired > 0).collect();
        let steady = serving.iter().filter(|s| rule.judge(s) == Steadiness::Steady).count();
        let judged = match rule {
            ServiceRule::Steady => "steady services",
            ServiceRule::Holding(_) => "services holding",
        };
        if serving.is_empty() {
            parts.push("no ECS service with desired count > 0".into());
        } else {
            parts.push(format!("{judged} {steady}/{}", serving.len()));
        }
    }
    match (p.alarm_names.len(), firing) {
        (0, _) => {}
        (n, []) => parts.push(format!("alarms OK ({n})")),
        (_, firing) => parts.push(format!("in ALARM: {}", firing.join(", "))),
    }
    parts.join("; ")
}

/// One poll: alarms, target health and (with a watch) the services, read concurrently.
async fn evaluate(
    aws: &AwsClients,
    p: &Promotion,
    t: &GateTarget<'_>,
    watch: Option<&mut ServiceWatch<'_>>,
) -> Result<Reading> {
    let alarms =
        async { if p.alarm_names.is_empty() { Ok(Vec::new()) } else { alarms_firing(aws, &p.alarm_names).await } };
    let health = async {
        if p.min_healthy_targets > 0 { target_health(aws, t.target_group_arn).await.map(Some) } else { Ok(None) }
    };
    let services = async {
        match watch {
            Some(w) => w.poll_and_judge(aws).await.map(|found| Some((found, w.rule.clone()))),
            None => Ok(None),
        }
    };
    let (firing, health, services) = tokio::try_join!(alarms, health, services)?;
    let (services, rule) = match services {
        Some((found, rule)) => (Some(found), rule),
        None => (None, ServiceRule::Steady),
    };
    Ok(Reading {
        verdict: decide(p, t, &firing, health.as_ref(), services.as_deref(), &rule),
        seen: summarize(p, &firing, health.as_ref(), services.as_deref(), &rule),
    })
}

/// One poll of the gate, over and over: the live one reads AWS; tests script it.
trait GatePoll {
    async fn poll(&mut self) -> Result<Reading>;
}

struct LivePoll<'a> {
    aws: &'a AwsClients,
    p: &'a Promotion,
    t: &'a GateTarget<'a>,
    /// None: services are not checked (the bake, or `check_services = false`).
    watch: Option<ServiceWatch<'a>>,
    /// The Dynatrace SLOs, when `promotion.dynatrace` is set.
    slo: Option<SloCheck<'a>>,
    /// When the bake ends: its last poll reads the SLOs afresh (None for the gate wait).
    bake_end: Option<Instant>,
    /// The Site Reliability Guardian run of a gate wait (never during a bake).
    guardian: Option<GuardianCheck<'a>>,
}

impl<'a> LivePoll<'a> {
    fn new(aws: &'a AwsClients, p: &'a Promotion, t: &'a GateTarget<'a>, watch: Option<ServiceWatch<'a>>) -> Self {
        let slo = p.dynatrace.as_ref().map(|g| SloCheck::new(aws, g));
        LivePoll { aws, p, t, watch, slo, bake_end: None, guardian: None }
    }

    /// The gate wait's poll: with the guardian, when configured.
    fn before_a_write(mut self) -> Self {
        let input = serde_json::json!({
            "bluegreen_color": self.t.color,
            "bluegreen_target_group_arn": self.t.target_group_arn,
            "bluegreen_cluster": self.t.cluster,
        });
        self.guardian =
            self.p.dynatrace.as_ref().and_then(|d| d.guardian.as_ref()).map(|g| GuardianCheck::new(self.aws, g, input));
        self
    }
}

impl GatePoll for LivePoll<'_> {
    async fn poll(&mut self) -> Result<Reading> {
        let fresh = self.bake_end.is_some_and(|end| Instant::now() >= end);
        let aws_checks = evaluate(self.aws, self.p, self.t, self.watch.as_mut());
        let slos = async {
            match self.slo.as_mut() {
                Some(check) => check.read(fresh).await.map(Some),
                None => Ok(None),
            }
        };
        let guardian = async {
            match self.guardian.as_mut() {
                Some(check) => check.read().await.map(Some),
                None => Ok(None),
            }
        };
        let (mut reading, slos, guardian) = tokio::try_join!(aws_checks, slos, guardian)?;
        for finding in [slos, guardian].into_iter().flatten() {
            reading = combine(reading, finding.verdict, &finding.seen);
        }
        Ok(reading)
    }
}

/// One reading of every check: a refusal wins, then every reason to wait (a check that
/// could not tell is named with them), then "could not tell", in order.
fn combine(reading: Reading, verdict: Verdict, seen: &str) -> Reading {
    use Verdict::*;
    let verdict = match (reading.verdict, verdict) {
        (Refuse(r), _) | (_, Refuse(r)) => Refuse(r),
        (Wait(a), Wait(b) | Unsure(b)) | (Unsure(a), Wait(b)) => Wait(format!("{a}; {b}")),
        (Wait(r), Pass) | (Pass, Wait(r)) => Wait(r),
        (Unsure(a), Unsure(b)) => Unsure(format!("{a}; {b}")),
        (Unsure(r), Pass) | (Pass, Unsure(r)) => Unsure(r),
        (Pass, Pass) => Pass,
    };
    let seen = if seen.is_empty() { reading.seen } else { format!("{}; {seen}", reading.seen) };
    Reading { verdict, seen }
}

/// A duration in a progress line: whole seconds (`0s`, `40s`, `1m30s`).
fn seconds(d: Duration) -> String {
    let whole = Duration::from_secs(d.as_secs());
    if whole.is_zero() { "0s".into() } else { duration::display(whole) }
}

/// Runs the gate for the color gaining traffic, polling until it passes or
/// `wait_timeout` (bounded by the operation's deadline) runs out; a failed ECS rollout
/// refuses at once. Nothing is written here. The cluster's services are listed on the
/// first poll only (see [`ServiceWatch`]). With a reporter, every poll reports what it
/// saw and how long the gate has waited; polls start at most 5 s apart.
pub async fn wait_for_gate(
    ctx: &Ctx,
    aws: &AwsClients,
    p: &Promotion,
    t: &GateTarget<'_>,
    op: &Operation<'_>,
    report: Reporter<'_>,
) -> Result<()> {
    let watch = p.check_services.then(|| ServiceWatch::new(t.cluster, t.target_group_arn));
    let mut live = LivePoll::new(aws, p, t, watch).before_a_write();
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

/// Which bake: a step's (a stepped promotion's hold before its next step) or the final
/// one (`promotion.bake_time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BakeOf {
    Step,
    Final,
}

/// Watches health and alarms of the newly active color for `bake_time`. Returns the
/// failure reason if the bake fails. With a reporter, every poll reports what it saw
/// and how far the bake is; polls start at most 5 s apart.
///
/// `moved_at`: when the traffic being baked moved; the SLOs are read over a window that
/// starts there ([`dynatrace::window`]). A read that could not tell (Dynatrace throttled,
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
    // or tasks that stop while it holds a share stop the promotion). The final bake does
    // not: once the promotion is done, a deploy tool may start the next deployment, or
    // scale, and that must not roll the finished promotion back.
    // Services are judged by what ECS promises while a color holds traffic (a failed
    // rollout, tasks stopping), not by "steady": a scale-out the step's traffic
    // triggers (target tracking) is still starting tasks, and that is no failure.
    let watch = (of == BakeOf::Step && p.check_services).then(|| ServiceWatch::holding(t.cluster, t.target_group_arn));
    let mut live = LivePoll::new(aws, p, t, watch);
    live.slo = live.slo.map(|check| check.since(moved_at));
    live.bake_end = Some(Instant::now() + p.bake_time);
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
mod tests {
    use super::*;

    fn dep(id: &str, status: &str, rollout: Option<&str>, desired: i64, running: i64) -> DeploymentStatus {
        DeploymentStatus {
            id: id.into(),
            status: status.into(),
            rollout_state: rollout.map(str::to_string),
            rollout_state_reason: rollout.map(|r| format!("ECS deployment {id} {r}.")),
            desired,
            running,
        }
    }

    fn svc(desired: i64, running: i64, deployments: Vec<DeploymentStatus>) -> ServiceStatus {
        ServiceStatus {
            name: "app-green".into(),
            arn: "arn:aws:ecs:us-east-1:1:service/c/app-green".into(),
            task_definition: "td:2".into(),
            desired,
            running,
            deployment_status: "n/a".into(),
            deployments,
            revisions: Vec::new(),
        }
    }

    const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/abc";

    fn target() -> GateTarget<'static> {
        GateTarget { color: "green", target_group_arn: TG, cluster: "c" }
    }

    #[test]
    fn rollout_state_decides_steadiness_when_ecs_reports_it() {
        let done = svc(2, 2, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 2)]);
        assert_eq!(done.steadiness(), Steadiness::Steady);
        // In progress waits, even when the counts already match.
        let rolling = svc(2, 2, vec![dep("d2", "PRIMARY", Some("IN_PROGRESS"), 2, 1), dep("d1", "ACTIVE", None, 2, 1)]);
        assert_eq!(
            rolling.steadiness(),
            Steadiness::Settling("deployment d2 is IN_PROGRESS, running 1 of desired 2".into())
        );
        // Failed fails at once, with ECS's reason.
        let mut failed = svc(2, 0, vec![dep("d2", "PRIMARY", Some("FAILED"), 2, 0)]);
        failed.deployments[0].rollout_state_reason = Some("tasks failed to start".into());
        assert_eq!(
            failed.steadiness(),
            Steadiness::Failed("deployment d2 of td:2 FAILED: tasks failed to start".into())
        );
        failed.deployments[0].rollout_state_reason = None;
        assert!(matches!(failed.steadiness(), Steadiness::Failed(r) if r.ends_with("ECS gave no reason")));
        // Completed, but the old deployment is still draining.
        let draining = svc(2, 3, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 2), dep("d1", "ACTIVE", None, 0, 1)]);
        assert_eq!(
            draining.steadiness(),
            Steadiness::Settling("the previous deployment d1 is still ACTIVE with 1 running tasks".into())
        );
        // Completed, then a task died and is being replaced.
        let short = svc(2, 1, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 1)]);
        assert_eq!(short.steadiness(), Steadiness::Settling("running 1 of desired 2".into()));
        // Scaling in: more running than desired for a moment is fine.
        assert_eq!(svc(2, 3, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 3)]).steadiness(), Steadiness::Steady);
        // INACTIVE deployments are history.
        let history = svc(2, 2, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 2), dep("d1", "INACTIVE", None, 0, 0)]);
        assert_eq!(history.steadiness(), Steadiness::Steady);
    }

    #[test]
    fn counts_decide_when_ecs_reports_no_rollout_state() {
        assert_eq!(svc(2, 2, vec![dep("d1", "PRIMARY", None, 2, 2)]).steadiness(), Steadiness::Steady);
        // CODE_DEPLOY / EXTERNAL controllers: no deployments at all.
        assert_eq!(svc(2, 2, vec![]).steadiness(), Steadiness::Steady);
        assert_eq!(
            svc(2, 1, vec![]).steadiness(),
            Steadiness::Settling("running 1 of desired 2 (ECS reports no rollout state)".into())
        );
        let two = svc(2, 2, vec![dep("d2", "PRIMARY", None, 2, 1), dep("d1", "ACTIVE", None, 2, 1)]);
        assert!(matches!(two.steadiness(), Steadiness::Settling(r) if r.contains("d1 is still ACTIVE")));
        // A rollout state this provider does not know falls back to the counts too.
        assert_eq!(svc(2, 2, vec![dep("d1", "PRIMARY", Some("PAUSED"), 2, 2)]).steadiness(), Steadiness::Steady);
    }

    #[test]
    fn service_status_reads_the_deployments_ecs_reports() {
        use aws_sdk_ecs::types::{Deployment, DeploymentRolloutState, Service};
        let s = Service::builder()
            .service_name("app-green")
            .service_arn("arn:svc")
            .task_definition("td:3")
            .desired_count(2)
            .running_count(3)
            .deployments(
                Deployment::builder()
                    .id("d3")
                    .status("PRIMARY")
                    .rollout_state(DeploymentRolloutState::InProgress)
                    .rollout_state_reason("ECS deployment d3 in progress.")
                    .desired_count(2)
                    .running_count(1)
                    .build(),
            )
            .deployments(Deployment::builder().id("d2").status("ACTIVE").desired_count(2).running_count(2).build())
            .build();
        let st = ServiceStatus::from_service(&s);
        assert_eq!(st.deployment_status, "IN_PROGRESS");
        assert_eq!((st.desired, st.running, st.deployments.len()), (2, 3, 2));
        assert_eq!(st.deployments[1], dep("d2", "ACTIVE", None, 2, 2));
        assert!(matches!(st.steadiness(), Steadiness::Settling(r) if r.contains("d3 is IN_PROGRESS")));
        let none = ServiceStatus::from_service(&Service::builder().service_name("x").build());
        assert_eq!(none.deployment_status, "UNKNOWN");
    }

    #[test]
    fn health_summary_names_states_and_reason_codes() {
        let h = HealthSummary::from_targets([
            ("unhealthy", Some("Target.ResponseCodeMismatch")),
            ("initial", Some("Elb.RegistrationInProgress")),
            ("initial", Some("Elb.RegistrationInProgress")),
        ]);
        assert_eq!((h.healthy, h.registered), (0, 3));
        assert_eq!(
            h.describe(),
            "0 healthy of 3 registered targets (2 initial: Elb.RegistrationInProgress, 1 unhealthy: Target.ResponseCodeMismatch)"
        );
        let mixed = HealthSummary::from_targets([
            ("healthy", None),
            ("draining", Some("Target.DeregistrationInProgress")),
            ("unhealthy", Some("Target.Timeout")),
            ("unhealthy", Some("Target.FailedHealthChecks")),
            ("unused", Some("Target.NotInUse")),
            ("weird", None),
        ]);
        assert_eq!(
            mixed.describe(),
            "1 healthy of 6 registered targets (1 unhealthy: Target.FailedHealthChecks, 1 unhealthy: Target.Timeout, \
             1 draining: Target.DeregistrationInProgress, 1 unused: Target.NotInUse, 1 weird)"
        );
        assert_eq!(HealthSummary::from_targets([("healthy", None)]).describe(), "1 healthy of 1 registered targets");
        assert_eq!(HealthSummary::from_targets([]).describe(), "0 healthy of 0 registered targets");
    }

    #[test]
    fn refusal_names_the_target_group_states_and_what_is_needed() {
        let p = Promotion { min_healthy_targets: 2, ..Default::default() };
        let h = HealthSummary::from_targets([
            ("initial", Some("Elb.RegistrationInProgress")),
            ("initial", Some("Elb.RegistrationInProgress")),
            ("unhealthy", Some("Target.ResponseCodeMismatch")),
        ]);
        let steady = [svc(2, 2, vec![dep("d", "PRIMARY", Some("COMPLETED"), 2, 2)])];
        assert_eq!(
            decide(&p, &target(), &[], Some(&h), Some(&steady), &ServiceRule::Steady),
            Verdict::Wait(format!(
                "green target group {TG} has 0 healthy of 3 registered targets (2 initial: Elb.RegistrationInProgress, \
                 1 unhealthy: Target.ResponseCodeMismatch); needs 2"
            ))
        );
        let healthy = HealthSummary::from_targets([("healthy", None), ("healthy", None)]);
        assert_eq!(decide(&p, &target(), &[], Some(&healthy), Some(&steady), &ServiceRule::Steady), Verdict::Pass);
        // Health off, bake (no services): only alarms count.
        assert_eq!(decide(&p, &target(), &[], None, None, &ServiceRule::Steady), Verdict::Pass);
        assert_eq!(
            decide(&p, &target(), &["a".into()], None, None, &ServiceRule::Steady),
            Verdict::Wait("CloudWatch alarm a is in ALARM".into())
        );
    }

    #[test]
    fn a_bake_fails_a_service_only_on_a_failed_rollout_or_stopped_tasks() {
        let p = Promotion::default();
        let h = HealthSummary::from_targets([("healthy", None)]);
        let arn = svc(0, 0, vec![]).arn;
        let holding = ServiceRule::Holding([(arn, 2)].into_iter().collect());
        // Target tracking raised desired from 2 to 4: rollout still COMPLETED, 2 running.
        let scaling = svc(4, 2, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 4, 2)]);
        assert_eq!(ServiceRule::Steady.judge(&scaling), Steadiness::Settling("running 2 of desired 4".into()));
        assert_eq!(holding.judge(&scaling), Steadiness::Steady, "a scale-out in progress is no failure");
        assert_eq!(decide(&p, &target(), &[], Some(&h), Some(std::slice::from_ref(&scaling)), &holding), Verdict::Pass);
        assert!(matches!(
            decide(&p, &target(), &[], Some(&h), Some(&[scaling]), &ServiceRule::Steady),
            Verdict::Wait(_)
        ));
        // A deployment in progress that keeps its tasks running is not one either.
        let rolling = svc(2, 2, vec![dep("d3", "PRIMARY", Some("IN_PROGRESS"), 2, 1), dep("d2", "ACTIVE", None, 2, 1)]);
        assert_eq!(holding.judge(&rolling), Steadiness::Steady);
        // Tasks stopping: fewer running than when the bake began.
        let stopped = svc(2, 1, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 1)]);
        assert_eq!(
            holding.judge(&stopped),
            Steadiness::Failed("it runs 1 tasks, fewer than the 2 it ran when the bake began (tasks stopped)".into())
        );
        // The circuit breaker.
        let mut failed = svc(2, 2, vec![dep("d3", "PRIMARY", Some("FAILED"), 2, 0)]);
        failed.deployments[0].rollout_state_reason = Some("circuit breaker".into());
        assert!(matches!(holding.judge(&failed), Steadiness::Failed(r) if r.contains("circuit breaker")));
        // A service that appeared after the bake began is judged on its rollout only.
        let newcomer = ServiceStatus { arn: "arn:other".into(), ..svc(3, 0, vec![]) };
        assert_eq!(holding.judge(&newcomer), Steadiness::Steady);
    }

    #[test]
    fn every_failing_check_is_reported_and_a_failed_rollout_refuses() {
        let p = Promotion::default();
        let h = HealthSummary::from_targets([("healthy", None)]);
        let rolling = [
            svc(2, 1, vec![dep("d2", "PRIMARY", Some("IN_PROGRESS"), 2, 1)]),
            ServiceStatus { name: "old".into(), ..svc(0, 0, vec![]) },
        ];
        assert_eq!(
            decide(&p, &target(), &["a".into(), "b".into()], Some(&h), Some(&rolling), &ServiceRule::Steady),
            Verdict::Wait(
                "CloudWatch alarms a, b are in ALARM; ECS service app-green on green is not steady: \
                 deployment d2 is IN_PROGRESS, running 1 of desired 2"
                    .into()
            )
        );
        let mut failed = svc(2, 0, vec![dep("d2", "PRIMARY", Some("FAILED"), 2, 0)]);
        failed.deployments[0].rollout_state_reason = Some("circuit breaker: tasks failed to start".into());
        assert_eq!(
            decide(&p, &target(), &[], Some(&h), Some(&[failed]), &ServiceRule::Steady),
            Verdict::Refuse(
                "ECS service app-green on green failed its rollout: deployment d2 of td:2 FAILED: \
                 circuit breaker: tasks failed to start"
                    .into()
            )
        );
        let idle = [svc(0, 0, vec![])];
        assert_eq!(
            decide(&p, &target(), &[], Some(&h), Some(&idle), &ServiceRule::Steady),
            Verdict::Wait(format!(
                "no ECS service in cluster c with desired count > 0 serves the green target group {TG}"
            ))
        );
    }

    #[test]
    fn alarm_names_are_asked_once_each_at_most_100_per_call() {
        let mut names: Vec<String> = (0..250).map(|i| format!("alarm-{i}")).collect();
        names.push("alarm-7".into());
        let chunks = alarm_name_chunks(&names);
        assert_eq!(chunks.iter().map(Vec::len).collect::<Vec<_>>(), [100, 100, 50]);
        assert_eq!(chunks[0][0], "alarm-0");
        assert_eq!(chunks[2][49], "alarm-249");
        assert!(alarm_name_chunks(&[]).is_empty());
    }

    /// Answers each poll from a script (the last answer repeats) and counts the polls;
    /// each poll takes `delay` and reports what it saw as `poll N`.
    struct Scripted {
        answers: Vec<Verdict>,
        polls: usize,
        delay: Duration,
    }

    impl Scripted {
        fn new(answers: Vec<Verdict>) -> Scripted {
            Scripted { answers, polls: 0, delay: Duration::ZERO }
        }
    }

    impl GatePoll for Scripted {
        async fn poll(&mut self) -> Result<Reading> {
            tokio::time::sleep(self.delay).await;
            self.polls += 1;
            let i = (self.polls - 1).min(self.answers.len() - 1);
            Ok(Reading { verdict: self.answers[i].clone(), seen: format!("poll {}", self.polls) })
        }
    }

    #[tokio::test(start_paused = true)]
    async fn ctrl_c_during_a_slow_poll_stops_the_wait_at_once() {
        let (ctx, stop) = Ctx::with_stop();
        let p = Promotion { wait_timeout: Duration::from_secs(600), ..Default::default() };
        let t = GateTarget { color: "green", target_group_arn: "tg", cluster: "c" };
        let started = Instant::now();
        let op = Operation { name: "update", started, deadline: started + Duration::from_secs(900) };
        // Every poll takes two minutes (a large cluster's listing under throttling).
        let mut gate =
            Scripted { delay: Duration::from_secs(120), polls: 0, answers: vec![Verdict::Wait("slow".into())] };
        let stopper = async {
            tokio::time::sleep(Duration::from_secs(3)).await;
            stop.stop();
        };
        let (r, ()) = tokio::join!(wait_until_passing(&ctx, &p, &t, &op, &mut gate, None), stopper);
        assert!(matches!(r, Err(Error::Stopped { .. })), "{r:?}");
        assert!(started.elapsed() < Duration::from_secs(5), "stopped after {:?}", started.elapsed());
    }

    #[tokio::test(start_paused = true)]
    async fn a_poll_that_never_answers_ends_the_wait_on_time() {
        let p = Promotion { wait_timeout: Duration::from_secs(30), ..Default::default() };
        let t = GateTarget { color: "green", target_group_arn: "tg", cluster: "c" };
        // The first poll answers "not yet"; the next is throttled for ten minutes.
        struct ThenStuck(usize);
        impl GatePoll for ThenStuck {
            async fn poll(&mut self) -> Result<Reading> {
                self.0 += 1;
                if self.0 > 1 {
                    tokio::time::sleep(Duration::from_secs(600)).await;
                }
                Ok(Reading { verdict: Verdict::Wait("0 healthy; needs 1".into()), seen: String::new() })
            }
        }
        let started = Instant::now();
        let e = wait_until_passing(&Ctx::detached(), &p, &t, &op(Duration::from_secs(900)), &mut ThenStuck(0), None)
            .await
            .unwrap_err();
        assert_eq!(started.elapsed(), Duration::from_secs(30), "ends at wait_timeout, not when AWS answers");
        let d = e.to_diagnostic();
        assert_eq!(d.summary, "Promotion gate refused the switch");
        assert!(
            d.detail.contains("no answer from AWS in time") && d.detail.contains("before it: 0 healthy; needs 1"),
            "{}",
            d.detail
        );
        // The operation's deadline before the gate's: a timeout.
        let e = wait_until_passing(&Ctx::detached(), &p, &t, &op(Duration::from_secs(10)), &mut ThenStuck(0), None)
            .await
            .unwrap_err();
        assert!(
            matches!(e, Error::Timeout { ref waiting_for, .. } if waiting_for.contains("no answer from AWS")),
            "{e}"
        );
    }

    /// Collects progress lines with the (paused) time they were reported at.
    struct Lines {
        started: Instant,
        lines: std::sync::Mutex<Vec<(u64, String)>>,
    }

    impl Lines {
        fn new() -> Lines {
            Lines { started: Instant::now(), lines: Default::default() }
        }
        fn push(&self, line: String) {
            self.lines.lock().unwrap().push(((Instant::now() - self.started).as_secs(), line));
        }
        fn taken(&self) -> Vec<(u64, String)> {
            self.lines.lock().unwrap().clone()
        }
    }

    fn op(timeout: Duration) -> Operation<'static> {
        let now = Instant::now();
        Operation { name: "update", started: now, deadline: now + timeout }
    }

    #[tokio::test(start_paused = true)]
    async fn a_wait_that_runs_out_names_the_last_answer_not_the_poll_it_started_at_the_end() {
        // Each poll takes 0.8 s (AWS answers, just not at once): the wait's last poll
        // starts when the wait ends, and the refusal is about the SLO, not about AWS.
        let p = Promotion { wait_timeout: Duration::from_secs(10), ..Default::default() };
        let slo = Verdict::Wait("Dynatrace SLO \"availability\" is FAILURE".into());
        let mut gate = Scripted { delay: Duration::from_millis(800), ..Scripted::new(vec![slo]) };
        let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap_err();
        let d = e.to_diagnostic();
        assert!(
            d.detail.starts_with("Traffic was not moved: Dynatrace SLO \"availability\" is FAILURE (checked for 10s"),
            "{}",
            d.detail
        );
        assert!(!d.detail.contains("no answer from AWS"), "{}", d.detail);
    }

    #[tokio::test(start_paused = true)]
    async fn gate_waits_until_a_rollout_completes() {
        let p = Promotion { wait_timeout: Duration::from_secs(60), ..Default::default() };
        let rolling = Verdict::Wait("ECS service app-green on green is not steady".into());
        let mut gate = Scripted::new(vec![rolling.clone(), rolling, Verdict::Pass]);
        let started = Instant::now();
        wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap();
        assert_eq!(gate.polls, 3);
        // Two sleeps of a tenth of the wait, capped at 5 s.
        assert_eq!(started.elapsed(), Duration::from_secs(10));
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_rollout_refuses_at_once() {
        let p = Promotion { wait_timeout: Duration::from_secs(300), ..Default::default() };
        let mut gate = Scripted::new(vec![Verdict::Refuse("ECS service s on green failed its rollout".into())]);
        let started = Instant::now();
        let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap_err();
        assert_eq!((gate.polls, started.elapsed()), (1, Duration::ZERO));
        let d = e.to_diagnostic();
        assert_eq!(d.summary, "Promotion gate refused the switch");
        assert!(d.detail.contains("failed its rollout. Waiting would not help"), "{}", d.detail);
    }

    #[tokio::test(start_paused = true)]
    async fn the_refusal_after_the_wait_carries_the_last_reason() {
        let p = Promotion { wait_timeout: Duration::from_secs(10), ..Default::default() };
        let mut gate = Scripted::new(vec![Verdict::Wait("green target group X has 0 healthy of 2 registered targets (2 initial: Elb.RegistrationInProgress); needs 1".into())]);
        let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap_err();
        // Polls at 0, 1, ..., 10 s.
        assert_eq!(gate.polls, 11);
        let d = e.to_diagnostic();
        assert!(d.detail.starts_with("Traffic was not moved: green target group X has 0 healthy of 2 registered targets (2 initial: Elb.RegistrationInProgress); needs 1 (checked for 10s"), "{}", d.detail);
        // The operation's deadline before the gate's: a timeout naming what it waited for.
        let mut gate = Scripted::new(vec![Verdict::Wait("not yet".into())]);
        let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(3)), &mut gate, None)
            .await
            .unwrap_err();
        assert!(matches!(e, Error::Timeout { ref waiting_for, .. } if waiting_for.contains("not yet")), "{e}");
    }

    #[tokio::test(start_paused = true)]
    async fn the_gate_reports_what_it_waits_for_every_5_seconds() {
        let p = Promotion::default();
        let waiting = Verdict::Wait("green has 0 healthy".into());
        let mut answers = vec![waiting; 8];
        answers.push(Verdict::Pass);
        // Each poll takes 2 s (a slow AWS): polls still start 5 s apart.
        let mut gate = Scripted { delay: Duration::from_secs(2), ..Scripted::new(answers) };
        let lines = Lines::new();
        let report = |l: String| lines.push(l);
        wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, Some(&report))
            .await
            .unwrap();
        let got = lines.taken();
        assert_eq!(got.len(), 9, "{got:?}");
        for (i, (at, line)) in got.iter().enumerate() {
            assert_eq!(*at, 2 + 5 * i as u64, "line {i} at {at}s: {got:?}");
            if i < 8 {
                assert_eq!(
                    *line,
                    format!("green: poll {}; waited {} of 5m", i + 1, super::seconds(Duration::from_secs(*at)))
                );
            }
        }
        assert_eq!(got[1].1, "green: poll 2; waited 7s of 5m");
        assert_eq!(got[8].1, "green: gate passed: poll 9");
        // No reporter: the same wait, nothing reported, the same polls.
        let mut gate = Scripted::new(vec![Verdict::Wait("x".into()), Verdict::Pass]);
        wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap();
        assert_eq!(gate.polls, 2);
    }

    #[tokio::test(start_paused = true)]
    async fn the_bake_reports_its_progress_every_5_seconds_and_why_it_failed() {
        let p = Promotion { bake_time: Duration::from_secs(120), ..Default::default() };
        let mut gate = Scripted::new(vec![Verdict::Pass]);
        let lines = Lines::new();
        let report = |l: String| lines.push(l);
        let failed =
            bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, Some(&report))
                .await
                .unwrap();
        assert_eq!(failed, None);
        let got = lines.taken();
        // Polls at 0, 5, ..., 120 s.
        assert_eq!(got.len(), 25, "{got:?}");
        assert!(got.iter().enumerate().all(|(i, (at, _))| *at == 5 * i as u64), "{got:?}");
        assert_eq!(got[0].1, "green: baking 0s of 2m: poll 1");
        assert_eq!(got[12].1, "green: baking 1m of 2m: poll 13");
        assert_eq!(got[24].1, "green: baking 2m of 2m: poll 25");

        let alarm = Verdict::Wait("CloudWatch alarm app-5xx is in ALARM".into());
        let mut gate = Scripted::new(vec![Verdict::Pass, Verdict::Pass, alarm]);
        let lines = Lines::new();
        let report = |l: String| lines.push(l);
        let failed =
            bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, Some(&report))
                .await
                .unwrap();
        assert_eq!(failed.as_deref(), Some("CloudWatch alarm app-5xx is in ALARM"));
        assert_eq!(
            lines.taken().last().unwrap(),
            &(10, "green: bake failed after 10s: CloudWatch alarm app-5xx is in ALARM".to_string())
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_bake_whose_last_read_could_not_tell_keeps_asking_and_passes_on_the_next() {
        let p = Promotion { bake_time: Duration::from_secs(10), ..Default::default() };
        // Polls at 0, 1, ..., 10 s; Dynatrace is throttled, then fails (503), at the
        // bake's last read, and answers at the one after.
        let mut answers = vec![Verdict::Pass; 10];
        answers.push(Verdict::Unsure("Dynatrace throttled the read of SLO s (429, Retry-After 1s)".into()));
        answers.push(Verdict::Unsure("Dynatrace answered 503 to the read of SLO s".into()));
        answers.push(Verdict::Pass);
        let mut gate = Scripted::new(answers);
        let lines = Lines::new();
        let report = |l: String| lines.push(l);
        let started = Instant::now();
        let failed =
            bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, Some(&report))
                .await
                .unwrap();
        assert_eq!(failed, None, "a transient answer does not fail the bake");
        assert_eq!((gate.polls, started.elapsed()), (13, Duration::from_secs(12)));
        let got = lines.taken();
        assert_eq!(got[10], (10, "green: baked 10s; waiting for a read that can tell: poll 11".to_string()));
        assert_eq!(got.last().unwrap(), &(12, "green: baking 10s of 10s: poll 13".to_string()));

        // Could not tell in the middle of the bake: the bake goes on to its end.
        let mut answers = vec![Verdict::Pass, Verdict::Unsure("Dynatrace answered 502".into())];
        answers.push(Verdict::Pass);
        let mut gate = Scripted::new(answers);
        let failed = bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap();
        assert_eq!((failed, gate.polls), (None, 11));
    }

    #[tokio::test(start_paused = true)]
    async fn a_bake_that_can_never_tell_fails_at_the_deadline_naming_dynatrace() {
        let p = Promotion { bake_time: Duration::from_secs(10), ..Default::default() };
        let throttled = Verdict::Unsure("Dynatrace throttled the read of SLO s (429, Retry-After 1s)".into());
        let mut gate = Scripted::new(vec![Verdict::Pass, throttled]);
        let started = Instant::now();
        let failed = bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(30)), &mut gate, None)
            .await
            .unwrap()
            .expect("the bake fails");
        assert_eq!(started.elapsed(), Duration::from_secs(30), "it kept asking until the operation's deadline");
        assert_eq!(
            failed,
            "the bake time was over, but Dynatrace stayed unreachable or throttled until the update timeout ran out, \
             so the SLOs' last read never came (Dynatrace throttled the read of SLO s (429, Retry-After 1s)); \
             no SLO was seen failing"
        );
        // A poll that hangs past the deadline (a request that never answers) ends there too.
        let mut gate = Scripted {
            delay: Duration::from_secs(7),
            ..Scripted::new(vec![Verdict::Unsure("Dynatrace did not answer".into())])
        };
        let started = Instant::now();
        let failed = bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(20)), &mut gate, None)
            .await
            .unwrap()
            .expect("the bake fails");
        assert_eq!(started.elapsed(), Duration::from_secs(20));
        assert!(failed.contains("(Dynatrace did not answer)"), "{failed}");
    }

    #[tokio::test(start_paused = true)]
    async fn an_slo_that_dynatrace_evaluates_as_failing_fails_the_bake_at_once() {
        let p = Promotion { bake_time: Duration::from_secs(10), ..Default::default() };
        let failing = "Dynatrace SLO \"checkout\" (s) is FAILURE: 97 % against a target of 99.9 %";
        let answers =
            vec![Verdict::Pass, Verdict::Unsure("Dynatrace answered 503".into()), Verdict::Wait(failing.into())];
        let mut gate = Scripted::new(answers);
        let started = Instant::now();
        let failed = bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap();
        assert_eq!(failed.as_deref(), Some(failing));
        assert_eq!((gate.polls, started.elapsed()), (3, Duration::from_secs(2)));
    }

    #[tokio::test(start_paused = true)]
    async fn before_a_write_could_not_tell_is_not_yet() {
        let p = Promotion { wait_timeout: Duration::from_secs(10), ..Default::default() };
        let mut gate = Scripted::new(vec![Verdict::Unsure("Dynatrace answered 503".into()), Verdict::Pass]);
        wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap();
        assert_eq!(gate.polls, 2);
        let mut gate = Scripted::new(vec![Verdict::Unsure("Dynatrace answered 503".into())]);
        let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
            .await
            .unwrap_err();
        assert!(e.to_diagnostic().detail.starts_with("Traffic was not moved: Dynatrace answered 503 (checked for 10s"));
    }

    #[test]
    fn a_failing_check_outweighs_one_that_could_not_tell() {
        let r = |v: Verdict| Reading { verdict: v, seen: "aws".into() };
        let unsure = Verdict::Unsure("503".into());
        assert_eq!(combine(r(Verdict::Pass), unsure.clone(), "dt").verdict, unsure);
        assert_eq!(combine(r(Verdict::Pass), unsure.clone(), "dt").seen, "aws; dt");
        assert_eq!(
            combine(r(Verdict::Wait("alarm a".into())), unsure.clone(), "").verdict,
            Verdict::Wait("alarm a; 503".into())
        );
        assert_eq!(
            combine(r(unsure.clone()), Verdict::Refuse("fail".into()), "").verdict,
            Verdict::Refuse("fail".into())
        );
        assert_eq!(combine(r(unsure.clone()), unsure, "").verdict, Verdict::Unsure("503; 503".into()));
    }

    #[test]
    fn a_progress_line_gives_the_numbers() {
        let p = Promotion { min_healthy_targets: 2, alarm_names: vec!["a".into(), "b".into()], ..Default::default() };
        let h = HealthSummary::from_targets([
            ("healthy", None),
            ("initial", Some("Elb.RegistrationInProgress")),
            ("unhealthy", Some("Target.Timeout")),
            ("unhealthy", Some("Target.FailedHealthChecks")),
        ]);
        let steady = svc(2, 2, vec![dep("d2", "PRIMARY", Some("COMPLETED"), 2, 2)]);
        let rolling = svc(2, 1, vec![dep("d3", "PRIMARY", Some("IN_PROGRESS"), 2, 1)]);
        let idle = svc(0, 0, vec![]);
        assert_eq!(
            summarize(&p, &[], Some(&h), Some(&[steady.clone(), rolling, idle.clone()]), &ServiceRule::Steady),
            "1/4 targets healthy (1 initial, 2 unhealthy), needs 2; steady services 1/2; alarms OK (2)"
        );
        assert_eq!(
            summarize(&p, &["b".into()], None, Some(&[idle]), &ServiceRule::Steady),
            "health check off (min_healthy_targets = 0); no ECS service with desired count > 0; in ALARM: b"
        );
        let healthy = HealthSummary::from_targets([("healthy", None), ("healthy", None)]);
        assert_eq!(
            summarize(&Promotion::default(), &[], Some(&healthy), None, &ServiceRule::Steady),
            "2/2 targets healthy, needs 1"
        );
    }

    #[test]
    fn polling_interval_scales_with_the_wait() {
        assert_eq!(poll_interval(Duration::from_secs(1)), Duration::from_millis(250));
        assert_eq!(poll_interval(Duration::from_secs(20)), Duration::from_secs(2));
        assert_eq!(poll_interval(Duration::from_secs(600)), Duration::from_secs(5));
    }
}
