//! The promotion gate: before a color gains traffic, it must have enough healthy
//! targets, steady ECS services, and no listed CloudWatch alarm in ALARM. After the
//! switch, the bake keeps checking health and alarms for `bake_time`.

use crate::aws_clients::AwsClients;
use crate::duration;
use crate::errors::{self, Error, Result};
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
}

impl Default for Promotion {
    fn default() -> Self {
        Promotion {
            min_healthy_targets: 1,
            wait_timeout: Duration::from_secs(300),
            alarm_names: Vec::new(),
            bake_time: Duration::ZERO,
            rollback_on_failure: true,
        }
    }
}

/// What the gate checks for one color.
pub struct GateTarget<'a> {
    pub color: &'a str,
    pub target_group_arn: &'a str,
    pub cluster: &'a str,
}

/// How often to poll while waiting: a tenth of the wait, between 250 ms and 5 s.
fn poll_interval(wait: Duration) -> Duration {
    (wait / 10).clamp(Duration::from_millis(250), Duration::from_secs(5))
}

/// Healthy and registered targets of a target group.
pub async fn target_health(aws: &AwsClients, tg: &str) -> Result<(i64, i64)> {
    use aws_sdk_elasticloadbalancingv2::types::TargetHealthStateEnum;
    let out = aws
        .elbv2
        .describe_target_health()
        .target_group_arn(tg)
        .send()
        .await
        .map_err(|e| errors::aws("DescribeTargetHealth", tg.to_string(), e))?;
    let all = out.target_health_descriptions();
    let healthy = all
        .iter()
        .filter(|d| d.target_health().and_then(|h| h.state()) == Some(&TargetHealthStateEnum::Healthy))
        .count();
    Ok((healthy as i64, all.len() as i64))
}

/// One ECS service serving a target group, as the gate and the data source see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceStatus {
    pub name: String,
    pub arn: String,
    pub task_definition: String,
    pub desired: i64,
    pub running: i64,
    /// `COMPLETED`, `IN_PROGRESS`, `FAILED`, or `UNKNOWN` when ECS does not say.
    pub deployment_status: String,
    pub deployments: usize,
}

impl ServiceStatus {
    /// Running what it should, with one finished deployment.
    pub fn is_steady(&self) -> bool {
        self.desired > 0
            && self.running == self.desired
            && self.deployments <= 1
            && matches!(self.deployment_status.as_str(), "COMPLETED" | "UNKNOWN")
    }
}

/// Every ECS service of `cluster`: ListServices (paginated), then DescribeServices by
/// tens (its limit).
pub async fn cluster_services(aws: &AwsClients, cluster: &str) -> Result<Vec<aws_sdk_ecs::types::Service>> {
    let mut arns = Vec::new();
    let mut next: Option<String> = None;
    loop {
        let out = aws
            .ecs
            .list_services()
            .cluster(cluster)
            .set_next_token(next.take())
            .max_results(100)
            .send()
            .await
            .map_err(|e| errors::aws("ListServices", format!("cluster {cluster}"), e))?;
        arns.extend(out.service_arns().iter().cloned());
        match out.next_token() {
            Some(t) if !t.is_empty() => next = Some(t.to_string()),
            _ => break,
        }
    }
    let mut services = Vec::new();
    for batch in arns.chunks(10) {
        let out = aws
            .ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch.to_vec()))
            .send()
            .await
            .map_err(|e| errors::aws("DescribeServices", format!("cluster {cluster}"), e))?;
        services.extend(out.services().iter().filter(|s| s.status() != Some("INACTIVE")).cloned());
    }
    Ok(services)
}

/// The target groups a service's load balancers use: production and, for ECS-native
/// blue/green, the alternate.
pub fn target_groups_of(s: &aws_sdk_ecs::types::Service) -> impl Iterator<Item = &str> {
    s.load_balancers().iter().flat_map(|lb| {
        [lb.target_group_arn(), lb.advanced_configuration().and_then(|a| a.alternate_target_group_arn())]
            .into_iter()
            .flatten()
    })
}

/// The ECS services of `cluster` whose load balancers use `tg` (as their production or
/// ECS-native alternate target group).
pub async fn services_on_target_group(aws: &AwsClients, cluster: &str, tg: &str) -> Result<Vec<ServiceStatus>> {
    let mut found = Vec::new();
    for s in cluster_services(aws, cluster).await? {
        if !target_groups_of(&s).any(|t| t == tg) {
            continue;
        }
        let primary = s.deployments().iter().find(|d| d.status() == Some("PRIMARY"));
        found.push(ServiceStatus {
            name: s.service_name().unwrap_or_default().to_string(),
            arn: s.service_arn().unwrap_or_default().to_string(),
            task_definition: s.task_definition().unwrap_or_default().to_string(),
            desired: i64::from(s.desired_count()),
            running: i64::from(s.running_count()),
            deployment_status: primary
                .and_then(|d| d.rollout_state())
                .map(|r| r.as_str().to_string())
                .unwrap_or_else(|| "UNKNOWN".into()),
            deployments: s.deployments().len(),
        });
    }
    found.sort_by(|a, b| a.name.cmp(&b.name));
    Ok(found)
}

/// Alarms among `names` that are in ALARM; a name that does not exist is an error.
pub async fn alarms_firing(aws: &AwsClients, names: &[String]) -> Result<Vec<String>> {
    use aws_sdk_cloudwatch::types::StateValue;
    if names.is_empty() {
        return Ok(Vec::new());
    }
    let out = aws
        .cloudwatch
        .describe_alarms()
        .set_alarm_names(Some(names.to_vec()))
        .send()
        .await
        .map_err(|e| errors::aws("DescribeAlarms", names.join(", "), e))?;
    let mut states: Vec<(String, bool)> = Vec::new();
    for a in out.metric_alarms() {
        states.push((a.alarm_name().unwrap_or_default().to_string(), a.state_value() == Some(&StateValue::Alarm)));
    }
    for a in out.composite_alarms() {
        states.push((a.alarm_name().unwrap_or_default().to_string(), a.state_value() == Some(&StateValue::Alarm)));
    }
    if let Some(missing) = names.iter().find(|n| !states.iter().any(|(s, _)| s == *n)) {
        return Err(Error::Gate {
            summary: "Promotion gate: alarm not found".into(),
            detail: format!(
                "CloudWatch alarm {missing:?} (promotion.alarm_names) does not exist in this region. Fix the name or remove it."
            ),
        });
    }
    Ok(states.into_iter().filter(|(_, firing)| *firing).map(|(n, _)| n).collect())
}

/// One evaluation of the gate: `Ok(None)` passes, `Ok(Some(reason))` fails for now.
async fn evaluate(aws: &AwsClients, p: &Promotion, t: &GateTarget<'_>, check_services: bool) -> Result<Option<String>> {
    let firing = alarms_firing(aws, &p.alarm_names).await?;
    if !firing.is_empty() {
        return Ok(Some(format!("CloudWatch alarm {} is in ALARM", firing.join(", "))));
    }
    if p.min_healthy_targets > 0 {
        let (healthy, registered) = target_health(aws, t.target_group_arn).await?;
        if healthy < p.min_healthy_targets {
            return Ok(Some(format!(
                "{} target group {} has {healthy} healthy targets ({registered} registered), needs {}",
                t.color, t.target_group_arn, p.min_healthy_targets
            )));
        }
    }
    if check_services {
        let services = services_on_target_group(aws, t.cluster, t.target_group_arn).await?;
        let serving: Vec<&ServiceStatus> = services.iter().filter(|s| s.desired > 0).collect();
        if serving.is_empty() {
            return Ok(Some(format!(
                "no ECS service in cluster {} with desired count > 0 serves the {} target group {}",
                t.cluster, t.color, t.target_group_arn
            )));
        }
        if let Some(s) = serving.iter().find(|s| !s.is_steady()) {
            return Ok(Some(format!(
                "ECS service {} on {} is not steady: running {} of desired {}, deployment {} ({} deployments)",
                s.name, t.color, s.running, s.desired, s.deployment_status, s.deployments
            )));
        }
    }
    Ok(None)
}

/// Runs the gate for the color gaining traffic, polling until it passes or
/// `wait_timeout` (bounded by `deadline`) runs out. Nothing is written here.
/// An apply operation's name, start and deadline (from its `timeouts` entry).
pub struct Operation<'a> {
    pub name: &'a str,
    pub started: Instant,
    pub deadline: Instant,
}

pub async fn wait_for_gate(
    ctx: &Ctx,
    aws: &AwsClients,
    p: &Promotion,
    t: &GateTarget<'_>,
    op: &Operation<'_>,
) -> Result<()> {
    let (deadline, operation) = (op.deadline, op.name);
    let started = Instant::now();
    let gate_deadline = (started + p.wait_timeout).min(deadline);
    let interval = poll_interval(p.wait_timeout);
    loop {
        let reason = match evaluate(aws, p, t, true).await? {
            None => {
                hclog::info("promotion gate passed", &[("color", &t.color), ("target_group", &t.target_group_arn)]);
                return Ok(());
            }
            Some(reason) => reason,
        };
        hclog::debug("promotion gate not yet passing", &[("reason", &reason)]);
        let now = Instant::now();
        if now >= gate_deadline {
            if deadline < started + p.wait_timeout {
                // The operation's own timeout ran out before the gate's wait did.
                return Err(Error::Timeout {
                    operation: operation.to_string(),
                    elapsed: now - op.started,
                    waiting_for: format!("the promotion gate ({reason}); nothing was written"),
                });
            }
            return Err(Error::Gate {
                summary: "Promotion gate refused the switch".into(),
                detail: format!(
                    "Traffic was not moved: {reason} (checked for {}; promotion.wait_timeout is {}). Nothing was written.",
                    duration::display(now - started),
                    duration::display(p.wait_timeout)
                ),
            });
        }
        tokio::select! {
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the promotion gate for {}; nothing was written", t.color) }),
            _ = tokio::time::sleep(interval.min(gate_deadline - now)) => {}
        }
    }
}

/// Watches health and alarms of the newly active color for `bake_time`. Returns the
/// failure reason if the bake fails.
pub async fn bake(ctx: &Ctx, aws: &AwsClients, p: &Promotion, t: &GateTarget<'_>) -> Result<Option<String>> {
    if p.bake_time.is_zero() {
        return Ok(None);
    }
    let end = Instant::now() + p.bake_time;
    let interval = poll_interval(p.bake_time);
    loop {
        // Services are not re-checked while baking: a deploy tool scaling the old
        // color down must not fail the bake of the new one.
        if let Some(reason) = evaluate(aws, p, t, false).await? {
            return Ok(Some(reason));
        }
        if Instant::now() >= end {
            hclog::info("bake passed", &[("color", &t.color), ("bake_time", &duration::display(p.bake_time))]);
            return Ok(None);
        }
        let sleep = interval.min(end.saturating_duration_since(Instant::now()));
        tokio::select! {
            _ = ctx.stopped() => return Err(Error::Stopped { during: format!("the bake of {}", t.color) }),
            _ = tokio::time::sleep(sleep) => {}
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn svc(desired: i64, running: i64, status: &str, deployments: usize) -> ServiceStatus {
        ServiceStatus {
            name: "s".into(),
            arn: "a".into(),
            task_definition: "t".into(),
            desired,
            running,
            deployment_status: status.into(),
            deployments,
        }
    }

    #[test]
    fn steady_means_running_what_is_desired_with_one_finished_deployment() {
        assert!(svc(2, 2, "COMPLETED", 1).is_steady());
        assert!(svc(2, 2, "UNKNOWN", 1).is_steady());
        assert!(!svc(2, 1, "COMPLETED", 1).is_steady());
        assert!(!svc(2, 2, "IN_PROGRESS", 1).is_steady());
        assert!(!svc(2, 2, "COMPLETED", 2).is_steady());
        assert!(!svc(0, 0, "COMPLETED", 1).is_steady());
    }

    #[test]
    fn polling_interval_scales_with_the_wait() {
        assert_eq!(poll_interval(Duration::from_secs(1)), Duration::from_millis(250));
        assert_eq!(poll_interval(Duration::from_secs(20)), Duration::from_secs(2));
        assert_eq!(poll_interval(Duration::from_secs(600)), Duration::from_secs(5));
    }
}
