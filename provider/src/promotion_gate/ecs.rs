//! ECS services: the services serving a color's gaining target groups must be steady.

use super::check::{Check, Phase, Setting};
use super::promotion::{BakeOf, GateTarget};
use super::verdict::{Reading, Verdict};
use crate::aws::AwsClients;
use crate::aws::ecs as aws_ecs;
use crate::errors::Result;
use async_trait::async_trait;
use tfplugin::hclog;

/// The ECS services serving the color's gaining target groups (`check_services`), all
/// in one check (one listing of the cluster serves every group): steady before a write,
/// holding what they ran during a step's bake. The final bake does not watch them: once
/// the promotion is done, a deploy tool may start the next deployment, or scale, and
/// that must not roll the finished promotion back.
pub struct ServiceCheck<'a> {
    aws: &'a AwsClients,
    target: &'a GateTarget<'a>,
    watch: ServiceWatch<'a>,
}

impl<'a> ServiceCheck<'a> {
    pub fn configured(s: &Setting<'a>) -> Option<ServiceCheck<'a>> {
        let (cluster, tgs) = (s.target.cluster, s.target.target_groups());
        let watch = match s.phase {
            _ if !s.promotion.check_services => return None,
            Phase::BeforeWrite => ServiceWatch::new(cluster, tgs),
            // Judged by what ECS promises while a color holds traffic (a failed rollout,
            // tasks stopping), not by "steady": a scale-out the step's traffic triggers
            // (target tracking) is still starting tasks, and that is no failure.
            Phase::Bake { of: BakeOf::Step, .. } => ServiceWatch::holding(cluster, tgs),
            Phase::Bake { of: BakeOf::Final, .. } => return None,
        };
        Some(ServiceCheck { aws: s.aws, target: s.target, watch })
    }
}

#[async_trait]
impl Check for ServiceCheck<'_> {
    fn name(&self) -> &'static str {
        "ECS services"
    }

    async fn read(&mut self) -> Result<Reading> {
        let found = self.watch.poll_and_judge(self.aws).await?;
        let reading = judge(self.target, &found, &self.watch.rule);
        if self.watch.holding || matches!(reading.verdict, Verdict::Refuse(_)) {
            return Ok(reading);
        }
        // Before a write, a CodeDeploy deployment group routing the pointer refuses at
        // once while it deploys, as an ECS-native owner does in `judge`: waiting would race
        // CodeDeploy's reroute. No call unless the cluster has a CODE_DEPLOY service.
        let t = self.target;
        let groups = t.target_groups();
        let code_deploy =
            crate::pointer_owner::code_deploy::refusal_for_the_gate(self.aws, t.cluster, &t.pointers, &groups);
        match code_deploy.await? {
            Some(refusal) => Ok(Reading::new(Verdict::Refuse(refusal), reading.seen)),
            None => Ok(reading),
        }
    }
}

/// The services found on each of a color's gaining target groups, in the order of
/// [`GateTarget::target_groups`].
pub type ServicesOnGroups<'a> = Vec<(&'a str, Vec<ServiceStatus>)>;

/// What the services found on the color's target groups mean for the gate, judged by
/// `rule`: every group needs a service with desired count > 0, and each serving service
/// (once, whichever groups it serves) must be steady. The progress line gives steady (or
/// holding) services of those serving.
pub fn judge(t: &GateTarget<'_>, found: &[(&str, Vec<ServiceStatus>)], rule: &ServiceRule) -> Reading {
    // A service serving several of the groups (one `loadBalancers` entry each) counts once.
    let mut serving: Vec<(&ServiceStatus, Vec<&str>)> = Vec::new();
    for (tg, services) in found {
        for s in services.iter().filter(|s| s.desired > 0) {
            match serving.iter_mut().find(|(seen, groups)| seen.arn == s.arn && !groups.contains(tg)) {
                Some((_, groups)) => groups.push(tg),
                None => serving.push((s, vec![tg])),
            }
        }
    }
    // With several groups, a service's reasons name the groups it serves.
    let on = |groups: &[&str]| match (found.len(), groups) {
        (0 | 1, _) => t.color.to_string(),
        (_, [one]) => format!("{} target group {one}", t.color),
        (_, many) => format!("{} target groups {}", t.color, many.join(", ")),
    };
    let steady = serving.iter().filter(|(s, _)| rule.judge(s) == Steadiness::Steady).count();
    let judged = match rule {
        ServiceRule::Steady => "steady services",
        ServiceRule::Holding(_) => "services holding",
    };
    let seen = if serving.is_empty() {
        "no ECS service with desired count > 0".to_string()
    } else {
        format!("{judged} {steady}/{}", serving.len())
    };
    let mut reasons = Vec::new();
    for (tg, services) in found {
        if !services.iter().any(|s| s.desired > 0) {
            reasons.push(format!(
                "no ECS service in cluster {} with desired count > 0 serves the {} target group {tg}",
                t.cluster, t.color
            ));
        }
    }
    for (s, groups) in serving {
        if let Some(refusal) = owner_deploying(t, s, rule) {
            return Reading::new(Verdict::Refuse(refusal), seen);
        }
        match rule.judge(s) {
            Steadiness::Steady => {}
            Steadiness::Settling(why) => {
                reasons.push(format!("ECS service {} on {} is not steady: {why}", s.name, on(&groups)))
            }
            Steadiness::Failed(why) => {
                let refusal = format!("ECS service {} on {} failed its rollout: {why}", s.name, on(&groups));
                return Reading::new(Verdict::Refuse(refusal), seen);
            }
        }
    }
    let verdict = if reasons.is_empty() { Verdict::Pass } else { Verdict::Wait(reasons.join("; ")) };
    Reading::new(verdict, seen)
}

/// Before a write: a service that shifts traffic on one of the release's pointers itself
/// (ECS native blue/green) and is deploying refuses at once. Waiting for it would race
/// ECS, which moves the rule's weights during the deployment, and its bake may last
/// hours; the refusal says who and what to do.
fn owner_deploying(t: &GateTarget<'_>, s: &ServiceStatus, rule: &ServiceRule) -> Option<String> {
    if *rule != ServiceRule::Steady {
        return None;
    }
    let pointer = s.shifts_traffic_on.iter().find(|r| t.pointers.contains(&r.as_str()))?;
    let (Steadiness::Settling(why) | Steadiness::Failed(why)) = s.steadiness() else { return None };
    Some(format!(
        "ECS service {}/{} deploys with ECS native blue/green on {pointer} and its deployment is in progress ({why}); ECS moves that rule's weights during the deployment, so nothing was written. Apply again once the deployment has finished; to stop the two from competing, manage the pointer with one of them",
        t.cluster, s.name
    ))
}

/// One deployment of an ECS service, as DescribeServices reports it.
#[derive(Clone, Debug, PartialEq)]
pub struct DeploymentStatus {
    pub id: String,
    /// `PRIMARY` (the newest), `ACTIVE` (an older one still running tasks) or `INACTIVE`.
    pub status: String,
    /// `COMPLETED`, `IN_PROGRESS`, `FAILED`; None when ECS does not report it (older
    /// ECS, or a deployment controller other than ECS).
    pub rollout_state: Option<String>,
    pub rollout_state_reason: Option<String>,
    pub desired: i64,
    pub running: i64,
}

/// One ECS service serving a target group, as the gate and the data source see it.
#[derive(Clone, Debug, PartialEq)]
pub struct ServiceStatus {
    pub name: String,
    pub arn: String,
    pub task_definition: String,
    pub desired: i64,
    pub running: i64,
    /// The PRIMARY deployment's rollout state: `COMPLETED`, `IN_PROGRESS`, `FAILED`, or
    /// `UNKNOWN` when ECS does not say.
    pub deployment_status: String,
    pub deployments: Vec<DeploymentStatus>,
    /// The service's current service revisions (`currentServiceRevisions`): one while
    /// it is steady, more while a deployment replaces another.
    pub revisions: Vec<String>,
    /// The listener rules (or listeners) ECS shifts traffic on for this service: its
    /// `productionListenerRule` and `testListenerRule` when it deploys with ECS native
    /// blue/green (`pointer_owner`); empty otherwise.
    pub shifts_traffic_on: Vec<String>,
}

/// Whether a service can take traffic now, will after waiting, or will not.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Steadiness {
    Steady,
    /// Still settling: the reason, e.g. a rollout in progress.
    Settling(String),
    /// Its rollout failed: waiting will not help.
    Failed(String),
}

impl ServiceStatus {
    pub fn from_service(s: &aws_sdk_ecs::types::Service) -> ServiceStatus {
        let deployments: Vec<DeploymentStatus> = s
            .deployments()
            .iter()
            .map(|d| DeploymentStatus {
                id: d.id().unwrap_or_default().to_string(),
                status: d.status().unwrap_or_default().to_string(),
                rollout_state: d.rollout_state().map(|r| r.as_str().to_string()),
                rollout_state_reason: d.rollout_state_reason().map(str::to_string),
                desired: i64::from(d.desired_count()),
                running: i64::from(d.running_count()),
            })
            .collect();
        let deployment_status = deployments
            .iter()
            .find(|d| d.status == "PRIMARY")
            .and_then(|d| d.rollout_state.clone())
            .unwrap_or_else(|| "UNKNOWN".into());
        ServiceStatus {
            name: s.service_name().unwrap_or_default().to_string(),
            arn: s.service_arn().unwrap_or_default().to_string(),
            task_definition: s.task_definition().unwrap_or_default().to_string(),
            desired: i64::from(s.desired_count()),
            running: i64::from(s.running_count()),
            deployment_status,
            deployments,
            revisions: s.current_service_revisions().iter().filter_map(|r| r.arn().map(str::to_string)).collect(),
            shifts_traffic_on: crate::pointer_owner::natives_of(std::slice::from_ref(s))
                .into_iter()
                .filter(|n| n.shifts_traffic)
                .flat_map(|n| [n.production_rule, n.test_rule])
                .flatten()
                .collect(),
        }
    }

    /// Steady means: the PRIMARY deployment's rollout is COMPLETED, no older deployment
    /// is still ACTIVE (draining its tasks), and the service runs what it should.
    /// IN_PROGRESS waits; FAILED fails at once, with ECS's reason. When ECS reports no
    /// rollout state (older ECS, CODE_DEPLOY or EXTERNAL controllers), the counts
    /// decide: running what is desired, and no other deployment alongside.
    ///
    /// A circuit-breaker rollback shows as a new PRIMARY (IN_PROGRESS, then COMPLETED)
    /// with the failed deployment ACTIVE until drained: the gate waits, then judges
    /// the service on what it runs once the rollback is done.
    pub fn steadiness(&self) -> Steadiness {
        let primary = self.deployments.iter().find(|d| d.status == "PRIMARY");
        let draining = self.deployments.iter().find(|d| d.status == "ACTIVE");
        let short = || format!("running {} of desired {}", self.running, self.desired);
        let drain = |d: &DeploymentStatus| {
            format!("the previous deployment {} is still ACTIVE with {} running tasks", d.id, d.running)
        };
        match primary.and_then(|p| p.rollout_state.as_deref().map(|r| (p, r))) {
            Some((p, "FAILED")) => Steadiness::Failed(format!(
                "deployment {} of {} FAILED: {}",
                p.id,
                self.task_definition,
                p.rollout_state_reason.as_deref().unwrap_or("ECS gave no reason")
            )),
            Some((p, "IN_PROGRESS")) => Steadiness::Settling(format!(
                "deployment {} is IN_PROGRESS, running {} of desired {}",
                p.id, p.running, p.desired
            )),
            Some((_, "COMPLETED")) => match draining {
                Some(d) => Steadiness::Settling(drain(d)),
                None if self.running < self.desired => Steadiness::Settling(short()),
                None => Steadiness::Steady,
            },
            // No rollout state (or one this provider does not know): counts decide.
            _ => {
                if self.running != self.desired {
                    Steadiness::Settling(format!("{} (ECS reports no rollout state)", short()))
                } else if let Some(d) = draining {
                    Steadiness::Settling(drain(d))
                } else {
                    Steadiness::Steady
                }
            }
        }
    }
}

/// For each of `tgs`, the ECS services of `cluster` whose load balancers use it (as
/// their production or ECS-native alternate target group), sorted by name. One listing
/// of the cluster answers all of them.
pub async fn services_on_target_groups(
    aws: &AwsClients,
    cluster: &str,
    tgs: &[&str],
) -> Result<Vec<Vec<ServiceStatus>>> {
    let all = aws_ecs::find_cluster_services(&aws.ecs, cluster).await?;
    // The listing also says who else shifts traffic in the cluster (ECS-native
    // services): the switch's owner check right after the gate then lists nothing.
    crate::pointer_owner::remember(aws, cluster, &all);
    Ok(tgs.iter().map(|tg| on_group(&all, tg)).collect())
}

/// How the services on a color are judged: before a write they must be steady; while a
/// color holds a share (a step's bake) only what ECS promises counts as a failure.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum ServiceRule {
    /// The gate before a write: running == desired, rollout COMPLETED, nothing draining.
    #[default]
    Steady,
    /// A bake: a failed rollout (`rolloutState` FAILED, the circuit breaker), or a
    /// service running fewer tasks than when the bake began (tasks stopping). A scale-out
    /// still starting its tasks, or a deployment in progress, is not a failure. The map
    /// holds each service's running count at the bake's first poll, by ARN.
    Holding(std::collections::HashMap<String, i64>),
}

impl ServiceRule {
    pub fn judge(&self, s: &ServiceStatus) -> Steadiness {
        let steadiness = s.steadiness();
        match self {
            ServiceRule::Steady => steadiness,
            ServiceRule::Holding(_) if matches!(steadiness, Steadiness::Failed(_)) => steadiness,
            ServiceRule::Holding(began) => match began.get(&s.arn) {
                Some(&before) if s.running < before => Steadiness::Failed(format!(
                    "it runs {} tasks, fewer than the {before} it ran when the bake began (tasks stopped)",
                    s.running
                )),
                _ => Steadiness::Steady,
            },
        }
    }
}

/// The services one gate wait watches, on every gaining target group at once. The
/// cluster is listed once, on the first poll, and that one listing answers every group;
/// later polls describe only the services found then (DescribeServices by tens, each
/// service once however many groups it serves), so a poll's cost grows neither with the
/// cluster nor with the groups. The cluster is listed again only when the watch can no
/// longer answer: nothing found serves one of the groups yet (a deploy tool may still
/// be creating or scaling the service), or a watched service was deleted or moved off
/// its target group. A service added to a group while the found ones stay put is not
/// seen by this wait.
struct ServiceWatch<'a> {
    cluster: &'a str,
    target_groups: Vec<&'a str>,
    /// The ARNs of the services found on each target group at the last listing.
    arns: Option<Vec<Vec<String>>>,
    /// How what a poll sees is judged; a bake's rule fills in its baseline on the first poll.
    rule: ServiceRule,
    holding: bool,
}

impl<'a> ServiceWatch<'a> {
    /// The gate before a write: every service steady.
    fn new(cluster: &'a str, target_groups: Vec<&'a str>) -> Self {
        ServiceWatch { cluster, target_groups, arns: None, rule: ServiceRule::Steady, holding: false }
    }

    /// A bake: services judged against what they ran at its first poll.
    fn holding(cluster: &'a str, target_groups: Vec<&'a str>) -> Self {
        ServiceWatch { holding: true, ..ServiceWatch::new(cluster, target_groups) }
    }

    /// Polls, and on a bake's first poll records each service's running count.
    async fn poll_and_judge(&mut self, aws: &AwsClients) -> Result<ServicesOnGroups<'a>> {
        let found = self.poll(aws).await?;
        if self.holding && self.rule == ServiceRule::Steady {
            let running = found.iter().flat_map(|(_, on)| on).map(|s| (s.arn.clone(), s.running));
            self.rule = ServiceRule::Holding(running.collect());
        }
        Ok(found)
    }

    async fn poll(&mut self, aws: &AwsClients) -> Result<ServicesOnGroups<'a>> {
        if let Some(watched) = self.watched() {
            let described = aws_ecs::find_services(&aws.ecs, self.cluster, &watched).await?;
            if let Some(found) = self.answer(&described) {
                return Ok(found);
            }
        }
        let found = services_on_target_groups(aws, self.cluster, &self.target_groups).await?;
        Ok(self.remember(found))
    }

    /// The services to describe instead of listing the cluster: every watched one, once
    /// however many groups it serves; None when the cluster must be listed (the first
    /// poll, or a group on which nothing was found).
    fn watched(&self) -> Option<Vec<String>> {
        let arns = self.arns.as_deref().filter(|a| a.iter().all(|on| !on.is_empty()))?;
        let mut watched: Vec<String> = Vec::new();
        for arn in arns.iter().flatten() {
            if !watched.contains(arn) {
                watched.push(arn.clone());
            }
        }
        Some(watched)
    }

    /// What the watched services, described, say about each group; None when they can
    /// no longer answer: one was deleted or moved off its group, or none on a group
    /// has desired count > 0.
    fn answer(&self, described: &[aws_sdk_ecs::types::Service]) -> Option<ServicesOnGroups<'a>> {
        let arns = self.arns.as_deref()?;
        let found: Vec<Vec<ServiceStatus>> = self.target_groups.iter().map(|tg| on_group(described, tg)).collect();
        let answers = found.len() == arns.len()
            && found.iter().zip(arns).all(|(on, arns)| on.len() == arns.len() && on.iter().any(|s| s.desired > 0));
        answers.then(|| self.target_groups.iter().copied().zip(found).collect())
    }

    /// Remembers the services a listing found on each group, for the next polls.
    fn remember(&mut self, found: Vec<Vec<ServiceStatus>>) -> ServicesOnGroups<'a> {
        for (tg, on) in self.target_groups.iter().zip(&found) {
            let names: Vec<&str> = on.iter().map(|s| s.name.as_str()).collect();
            hclog::debug("promotion gate watches services", &[("target_group", tg), ("services", &names.join(", "))]);
        }
        self.arns = Some(found.iter().map(|on| on.iter().map(|s| s.arn.clone()).collect()).collect());
        self.target_groups.iter().copied().zip(found).collect()
    }
}

/// The services of `described` whose load balancers use `tg`, sorted by name.
fn on_group(described: &[aws_sdk_ecs::types::Service], tg: &str) -> Vec<ServiceStatus> {
    let mut found: Vec<ServiceStatus> = described
        .iter()
        .filter(|s| aws_ecs::service_target_groups(s).iter().any(|t| t == tg))
        .map(ServiceStatus::from_service)
        .collect();
    found.sort_by(|a, b| a.name.cmp(&b.name));
    found
}

#[cfg(test)]
pub(super) mod tests {
    use super::*;

    pub(in crate::promotion_gate) fn dep(
        id: &str,
        status: &str,
        rollout: Option<&str>,
        desired: i64,
        running: i64,
    ) -> DeploymentStatus {
        DeploymentStatus {
            id: id.into(),
            status: status.into(),
            rollout_state: rollout.map(str::to_string),
            rollout_state_reason: rollout.map(|r| format!("ECS deployment {id} {r}.")),
            desired,
            running,
        }
    }

    pub(in crate::promotion_gate) fn svc(
        desired: i64,
        running: i64,
        deployments: Vec<DeploymentStatus>,
    ) -> ServiceStatus {
        ServiceStatus {
            name: "app-green".into(),
            arn: "arn:aws:ecs:us-east-1:1:service/c/app-green".into(),
            task_definition: "td:2".into(),
            desired,
            running,
            deployment_status: "n/a".into(),
            deployments,
            revisions: Vec::new(),
            shifts_traffic_on: Vec::new(),
        }
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

    /// An ECS service on `target_groups`, steady with `desired` tasks.
    fn on(name: &str, target_groups: &[&str], desired: i32) -> aws_sdk_ecs::types::Service {
        use aws_sdk_ecs::types::{LoadBalancer, Service};
        let lbs = target_groups.iter().map(|tg| LoadBalancer::builder().target_group_arn(*tg).build());
        Service::builder()
            .service_name(name)
            .service_arn(format!("arn:svc/{name}"))
            .desired_count(desired)
            .running_count(desired)
            .set_load_balancers(Some(lbs.collect()))
            .build()
    }

    fn names(found: &ServicesOnGroups<'_>) -> Vec<(String, Vec<String>)> {
        found.iter().map(|(tg, on)| (tg.to_string(), on.iter().map(|s| s.name.clone()).collect())).collect()
    }

    #[test]
    fn one_listing_then_one_description_of_each_service_serve_every_target_group() {
        let mut watch = ServiceWatch::new("c", vec!["tg-web", "tg-internal"]);
        assert_eq!(watch.watched(), None, "the first poll lists the cluster");
        let (app, worker) = (on("app", &["tg-web", "tg-internal"], 2), on("worker", &["tg-internal"], 1));
        let cluster = [on("other", &["tg-else"], 1), worker.clone(), app.clone()];
        let listed = watch.remember(vec![on_group(&cluster, "tg-web"), on_group(&cluster, "tg-internal")]);
        let by_group = vec![
            ("tg-web".to_string(), vec!["app".to_string()]),
            ("tg-internal".to_string(), vec!["app".to_string(), "worker".to_string()]),
        ];
        assert_eq!(names(&listed), by_group);
        // Later polls describe the watched services, each once (one DescribeServices
        // for up to ten), and that one answer serves both groups.
        assert_eq!(watch.watched(), Some(vec!["arn:svc/app".to_string(), "arn:svc/worker".to_string()]));
        assert_eq!(names(&watch.answer(&[app.clone(), worker.clone()]).expect("the description answers")), by_group);
        // A watched service moved off its group (or deleted): the cluster is listed again.
        assert!(watch.answer(&[app.clone(), on("worker", &[], 1)]).is_none());
        assert!(watch.answer(&[app]).is_none());
        // Nothing serving on a group (its one service scaled to zero): listed again too.
        assert!(watch.answer(&[on("app", &["tg-web", "tg-internal"], 0), worker]).is_none());
    }

    #[test]
    fn a_group_on_which_nothing_was_found_lists_the_cluster_again() {
        let mut watch = ServiceWatch::new("c", vec!["tg-web", "tg-internal"]);
        let cluster = [on("app", &["tg-web"], 2)];
        watch.remember(vec![on_group(&cluster, "tg-web"), on_group(&cluster, "tg-internal")]);
        assert_eq!(watch.watched(), None, "the route's service may still be being created");
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
}
