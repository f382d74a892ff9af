//! Tests of the checks' judgements and of how their readings merge: the reasons and
//! progress-line words a poll of targets, services and alarms gives.

use super::alarms;
use super::ecs::tests::{dep, svc};
use super::ecs::{self, ServiceRule, ServiceStatus, Steadiness};
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

const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/abc";

fn target() -> GateTarget<'static> {
    GateTarget { color: "green", target_group_arn: TG, cluster: "c", pointers: vec![] }
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
        reading(&p, &target(), &[], Some(&h), Some(&steady), &ServiceRule::Steady).verdict,
        Verdict::Wait(format!(
            "green target group {TG} has 0 healthy of 3 registered targets (2 initial: Elb.RegistrationInProgress, \
             1 unhealthy: Target.ResponseCodeMismatch); needs 2"
        ))
    );
    let healthy = HealthSummary::from_targets([("healthy", None), ("healthy", None)]);
    assert_eq!(reading(&p, &target(), &[], Some(&healthy), Some(&steady), &ServiceRule::Steady).verdict, Verdict::Pass);
    // Health off, bake (no services): only alarms count.
    assert_eq!(reading(&p, &target(), &[], None, None, &ServiceRule::Steady).verdict, Verdict::Pass);
    assert_eq!(
        reading(&p, &target(), &["a".into()], None, None, &ServiceRule::Steady).verdict,
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
    assert_eq!(
        reading(&p, &target(), &[], Some(&h), Some(std::slice::from_ref(&scaling)), &holding).verdict,
        Verdict::Pass
    );
    assert!(matches!(
        reading(&p, &target(), &[], Some(&h), Some(&[scaling]), &ServiceRule::Steady).verdict,
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
        reading(&p, &target(), &["a".into(), "b".into()], Some(&h), Some(&rolling), &ServiceRule::Steady).verdict,
        Verdict::Wait(
            "CloudWatch alarms a, b are in ALARM; ECS service app-green on green is not steady: \
             deployment d2 is IN_PROGRESS, running 1 of desired 2"
                .into()
        )
    );
    let mut failed = svc(2, 0, vec![dep("d2", "PRIMARY", Some("FAILED"), 2, 0)]);
    failed.deployments[0].rollout_state_reason = Some("circuit breaker: tasks failed to start".into());
    assert_eq!(
        reading(&p, &target(), &[], Some(&h), Some(&[failed]), &ServiceRule::Steady).verdict,
        Verdict::Refuse(
            "ECS service app-green on green failed its rollout: deployment d2 of td:2 FAILED: \
             circuit breaker: tasks failed to start"
                .into()
        )
    );
    let idle = [svc(0, 0, vec![])];
    assert_eq!(
        reading(&p, &target(), &[], Some(&h), Some(&idle), &ServiceRule::Steady).verdict,
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
        reading(&p, &target(), &[], Some(&h), Some(&[steady.clone(), rolling, idle.clone()]), &ServiceRule::Steady)
            .seen,
        "1/4 targets healthy (1 initial, 2 unhealthy), needs 2; steady services 1/2; alarms OK (2)"
    );
    assert_eq!(
        reading(&p, &target(), &["b".into()], None, Some(&[idle]), &ServiceRule::Steady).seen,
        "health check off (min_healthy_targets = 0); no ECS service with desired count > 0; in ALARM: b"
    );
    let healthy = HealthSummary::from_targets([("healthy", None), ("healthy", None)]);
    assert_eq!(
        reading(&Promotion::default(), &target(), &[], Some(&healthy), None, &ServiceRule::Steady).seen,
        "2/2 targets healthy, needs 1"
    );
}

#[test]
fn an_ecs_native_owner_of_the_pointer_that_is_deploying_refuses_at_once() {
    let deploying = vec![dep("green", "PRIMARY", Some("IN_PROGRESS"), 2, 2), dep("blue", "ACTIVE", None, 2, 2)];
    let owner = ServiceStatus { shifts_traffic_on: vec!["rule".into()], ..svc(2, 2, deploying.clone()) };
    let t = GateTarget { pointers: vec!["rule"], ..target() };
    let Verdict::Refuse(why) = ecs::judge(&t, std::slice::from_ref(&owner), &ServiceRule::Steady).verdict else {
        panic!("an owner deploying on the pointer refuses")
    };
    assert!(why.contains("ECS service c/app-green deploys with ECS native blue/green on rule"), "{why}");
    // On another pointer, or not an owner at all: it is only not steady yet (a wait).
    let elsewhere = GateTarget { pointers: vec!["other-rule"], ..target() };
    assert!(matches!(
        ecs::judge(&elsewhere, std::slice::from_ref(&owner), &ServiceRule::Steady).verdict,
        Verdict::Wait(_)
    ));
    let plain = svc(2, 2, deploying);
    assert!(matches!(ecs::judge(&t, &[plain], &ServiceRule::Steady).verdict, Verdict::Wait(_)));
    // Once it finished, it is a steady service like any other.
    let done = ServiceStatus { deployments: vec![dep("green", "PRIMARY", Some("COMPLETED"), 2, 2)], ..owner };
    assert_eq!(ecs::judge(&t, &[done], &ServiceRule::Steady).verdict, Verdict::Pass);
}
