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
    let mut parts = vec![(targets::judge(p.min_healthy_targets, t, t.target_group_arn, health), false)];
    if let Some(services) = services {
        parts.push((ecs::judge(t, &on_primary(services), rule), false));
    }
    parts.push((alarms::judge(p.alarm_names.len(), firing), true));
    merge(parts)
}

const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/abc";

fn target() -> GateTarget<'static> {
    GateTarget { color: "green", target_group_arn: TG, route_target_groups: vec![], cluster: "c", pointers: vec![] }
}

/// `services`, all found on the primary's target group (the only one of [`target`]).
fn on_primary(services: &[ServiceStatus]) -> [(&'static str, Vec<ServiceStatus>); 1] {
    [(TG, services.to_vec())]
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
    let Verdict::Refuse(why) = ecs::judge(&t, &on_primary(std::slice::from_ref(&owner)), &ServiceRule::Steady).verdict
    else {
        panic!("an owner deploying on the pointer refuses")
    };
    assert!(why.contains("ECS service c/app-green deploys with ECS native blue/green on rule"), "{why}");
    // On another pointer, or not an owner at all: it is only not steady yet (a wait).
    let elsewhere = GateTarget { pointers: vec!["other-rule"], ..target() };
    assert!(matches!(
        ecs::judge(&elsewhere, &on_primary(std::slice::from_ref(&owner)), &ServiceRule::Steady).verdict,
        Verdict::Wait(_)
    ));
    let plain = svc(2, 2, deploying);
    assert!(matches!(ecs::judge(&t, &on_primary(&[plain]), &ServiceRule::Steady).verdict, Verdict::Wait(_)));
    // Once it finished, it is a steady service like any other.
    let done = ServiceStatus { deployments: vec![dep("green", "PRIMARY", Some("COMPLETED"), 2, 2)], ..owner };
    assert_eq!(ecs::judge(&t, &on_primary(&[done]), &ServiceRule::Steady).verdict, Verdict::Pass);
}

const INTERNAL: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-internal-green/def";

/// [`target`] with a route gaining on its own target group, and one on the primary's.
fn routed() -> GateTarget<'static> {
    GateTarget { route_target_groups: vec![INTERNAL, TG], ..target() }
}

/// One poll's reading of target health per group (as `routed()`'s groups) and of the
/// services found on each, merged as [`super::poll::LivePoll`] merges them.
fn routed_reading(
    p: &Promotion,
    health: [&HealthSummary; 2],
    services: [Vec<ServiceStatus>; 2],
    rule: &ServiceRule,
) -> Reading {
    let t = routed();
    let groups = t.target_groups();
    assert_eq!(groups, [TG, INTERNAL]);
    let mut parts: Vec<(Reading, bool)> = groups
        .iter()
        .zip(health)
        .map(|(tg, h)| (targets::judge(p.min_healthy_targets, &t, tg, Some(h)), false))
        .collect();
    let found: Vec<(&str, Vec<ServiceStatus>)> = groups.into_iter().zip(services).collect();
    parts.push((ecs::judge(&t, &found, rule), false));
    merge(parts)
}

#[test]
fn a_route_group_short_of_healthy_targets_makes_the_poll_wait_naming_it() {
    let p = Promotion { min_healthy_targets: 2, ..Default::default() };
    let healthy = HealthSummary::from_targets([("healthy", None), ("healthy", None)]);
    let short = HealthSummary::from_targets([("healthy", None), ("initial", Some("Elb.RegistrationInProgress"))]);
    let steady = svc(2, 2, vec![dep("d", "PRIMARY", Some("COMPLETED"), 2, 2)]);
    let both = || [vec![steady.clone()], vec![steady.clone()]];
    let r = routed_reading(&p, [&healthy, &short], both(), &ServiceRule::Steady);
    assert_eq!(
        r.verdict,
        Verdict::Wait(format!(
            "green target group {INTERNAL} has 1 healthy of 2 registered targets \
             (1 initial: Elb.RegistrationInProgress); needs 2"
        ))
    );
    // Each group's part of the progress line names it; a service serving both counts once.
    assert_eq!(
        r.seen,
        "app-green: 2/2 targets healthy, needs 2; app-internal-green: 1/2 targets healthy (1 initial), needs 2; \
         steady services 1/1"
    );
    // The primary's group short instead: the wait names that one.
    let r = routed_reading(&p, [&short, &healthy], both(), &ServiceRule::Steady);
    assert!(matches!(&r.verdict, Verdict::Wait(w) if w.starts_with(&format!("green target group {TG} has 1 healthy"))));
    assert_eq!(routed_reading(&p, [&healthy, &healthy], both(), &ServiceRule::Steady).verdict, Verdict::Pass);
}

#[test]
fn every_route_group_needs_a_serving_service_and_a_service_names_its_groups() {
    let p = Promotion::default();
    let h = HealthSummary::from_targets([("healthy", None)]);
    let steady = svc(2, 2, vec![dep("d", "PRIMARY", Some("COMPLETED"), 2, 2)]);
    // Nothing serves the route's group yet (its service is still being created).
    let r = routed_reading(&p, [&h, &h], [vec![steady.clone()], vec![]], &ServiceRule::Steady);
    assert_eq!(
        r.verdict,
        Verdict::Wait(format!(
            "no ECS service in cluster c with desired count > 0 serves the green target group {INTERNAL}"
        ))
    );
    assert_eq!(
        r.seen,
        "app-green: 1/1 targets healthy, needs 1; app-internal-green: 1/1 targets healthy, needs 1; steady services 1/1"
    );
    // A service on both groups that is not steady is named once, with both groups.
    let rolling = svc(2, 1, vec![dep("d2", "PRIMARY", Some("IN_PROGRESS"), 2, 1)]);
    let r = routed_reading(&p, [&h, &h], [vec![rolling.clone()], vec![rolling.clone()]], &ServiceRule::Steady);
    assert_eq!(
        r.verdict,
        Verdict::Wait(format!(
            "ECS service app-green on green target groups {TG}, {INTERNAL} is not steady: \
             deployment d2 is IN_PROGRESS, running 1 of desired 2"
        ))
    );
    assert!(r.seen.ends_with("steady services 0/1"), "{}", r.seen);
    // A second service only on the route's group: its reason names that group.
    let internal = ServiceStatus { name: "app-internal".into(), arn: "arn:internal".into(), ..rolling };
    let r = routed_reading(&p, [&h, &h], [vec![steady.clone()], vec![steady, internal]], &ServiceRule::Steady);
    let named = format!("ECS service app-internal on green target group {INTERNAL} is not steady");
    assert!(matches!(&r.verdict, Verdict::Wait(w) if w.starts_with(&named)), "{:?}", r.verdict);
    assert!(r.seen.ends_with("steady services 1/2"), "{}", r.seen);
}
