//! Tests of the checks' judgements and of how their readings merge: the reasons and
//! progress-line words a poll of targets, services and alarms gives.

use super::alarms;
use super::ecs::{self, DeploymentStatus, ServiceRule, ServiceStatus, Steadiness};
use super::promotion::{GateTarget, Promotion};
use super::targets::{self, HealthSummary};
use super::verdict::{Reading, Verdict, combine, merge};

/// One poll's reading of alarms (`firing`), target health (None: off) and services
/// (None: not checked), merged as [`super::poll::LivePoll`] merges them.
fn reading(
    p: &Promotion,
    t: &GateTarget<'_>,
    firing: &[String],
    health: Option<&HealthSummary>,
    services: Option<&[ServiceStatus]>,
    rule: &ServiceRule,
) -> Reading {
    let mut parts = vec![(targets::judge(p.min_healthy_targets, t, health), false)];
    if let Some(services) = services {
        parts.push((ecs::judge(t, services, rule), false));
    }
    parts.push((alarms::judge(p.alarm_names.len(), firing), true));
    merge(parts)
}

fn decide(
    p: &Promotion,
    t: &GateTarget<'_>,
    firing: &[String],
    health: Option<&HealthSummary>,
    services: Option<&[ServiceStatus]>,
    rule: &ServiceRule,
) -> Verdict {
    reading(p, t, firing, health, services, rule).verdict
}

fn summarize(
    p: &Promotion,
    firing: &[String],
    health: Option<&HealthSummary>,
    services: Option<&[ServiceStatus]>,
    rule: &ServiceRule,
) -> String {
    reading(p, &target(), firing, health, services, rule).seen
}

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
    assert_eq!(failed.steadiness(), Steadiness::Failed("deployment d2 of td:2 FAILED: tasks failed to start".into()));
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
    assert!(matches!(decide(&p, &target(), &[], Some(&h), Some(&[scaling]), &ServiceRule::Steady), Verdict::Wait(_)));
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
        Verdict::Wait(format!("no ECS service in cluster c with desired count > 0 serves the green target group {TG}"))
    );
}

#[test]
fn a_failing_check_outweighs_one_that_could_not_tell() {
    let r = |v: Verdict| Reading { verdict: v, seen: "aws".into() };
    let unsure = Verdict::Unsure("503".into());
    assert_eq!(combine(r(Verdict::Pass), Reading::new(unsure.clone(), "dt")).verdict, unsure);
    assert_eq!(combine(r(Verdict::Pass), Reading::new(unsure.clone(), "dt")).seen, "aws; dt");
    assert_eq!(
        combine(r(Verdict::Wait("alarm a".into())), Reading::new(unsure.clone(), "")).verdict,
        Verdict::Wait("alarm a; 503".into())
    );
    assert_eq!(
        combine(r(unsure.clone()), Reading::new(Verdict::Refuse("fail".into()), "")).verdict,
        Verdict::Refuse("fail".into())
    );
    assert_eq!(combine(r(unsure.clone()), Reading::new(unsure, "")).verdict, Verdict::Unsure("503; 503".into()));
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
