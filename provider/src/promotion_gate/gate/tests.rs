//! The gate's loops in paused time, with scripted answers: how long they wait, what
//! they report, and what a refusal or a failed bake says.

use super::*;
use crate::promotion_gate::verdict::Reading;

const TG: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-green/abc";

fn target() -> GateTarget<'static> {
    GateTarget { color: "green", target_group_arn: TG, route_target_groups: vec![], cluster: "c", pointers: vec![] }
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
    let t = target();
    let started = Instant::now();
    let op = Operation { name: "update", started, deadline: started + Duration::from_secs(900) };
    // Every poll takes two minutes (a large cluster's listing under throttling).
    let mut gate = Scripted { delay: Duration::from_secs(120), polls: 0, answers: vec![Verdict::Wait("slow".into())] };
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
    let t = target();
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
    assert!(matches!(e, Error::Timeout { ref waiting_for, .. } if waiting_for.contains("no answer from AWS")), "{e}");
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
    wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None).await.unwrap();
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
    let mut gate = Scripted::new(vec![Verdict::Wait(
        "green target group X has 0 healthy of 2 registered targets (2 initial: Elb.RegistrationInProgress); needs 1"
            .into(),
    )]);
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
    wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None).await.unwrap();
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
    let failed =
        bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None).await.unwrap();
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
    let answers = vec![Verdict::Pass, Verdict::Unsure("Dynatrace answered 503".into()), Verdict::Wait(failing.into())];
    let mut gate = Scripted::new(answers);
    let started = Instant::now();
    let failed =
        bake_until_done(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None).await.unwrap();
    assert_eq!(failed.as_deref(), Some(failing));
    assert_eq!((gate.polls, started.elapsed()), (3, Duration::from_secs(2)));
}

#[tokio::test(start_paused = true)]
async fn before_a_write_could_not_tell_is_not_yet() {
    let p = Promotion { wait_timeout: Duration::from_secs(10), ..Default::default() };
    let mut gate = Scripted::new(vec![Verdict::Unsure("Dynatrace answered 503".into()), Verdict::Pass]);
    wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None).await.unwrap();
    assert_eq!(gate.polls, 2);
    let mut gate = Scripted::new(vec![Verdict::Unsure("Dynatrace answered 503".into())]);
    let e = wait_until_passing(&Ctx::detached(), &p, &target(), &op(Duration::from_secs(600)), &mut gate, None)
        .await
        .unwrap_err();
    assert!(e.to_diagnostic().detail.starts_with("Traffic was not moved: Dynatrace answered 503 (checked for 10s"));
}

#[test]
fn polling_interval_scales_with_the_wait() {
    assert_eq!(poll_interval(Duration::from_secs(1)), Duration::from_millis(250));
    assert_eq!(poll_interval(Duration::from_secs(20)), Duration::from_secs(2));
    assert_eq!(poll_interval(Duration::from_secs(600)), Duration::from_secs(5));
}

#[tokio::test(start_paused = true)]
async fn a_gate_wait_that_runs_out_on_a_route_group_names_that_group() {
    use crate::promotion_gate::targets::{self, HealthSummary};
    const INTERNAL: &str = "arn:aws:elasticloadbalancing:us-east-1:1:targetgroup/app-internal-green/def";
    // The primary's group is healthy at once; the route's never gets a healthy target.
    struct TwoGroups<'a>(&'a GateTarget<'a>);
    impl GatePoll for TwoGroups<'_> {
        async fn poll(&mut self) -> Result<Reading> {
            let healthy = HealthSummary::from_targets([("healthy", None)]);
            let initial = HealthSummary::from_targets([("initial", Some("Elb.RegistrationInProgress"))]);
            let (t, groups) = (self.0, self.0.target_groups());
            let parts = [(groups[0], &healthy), (groups[1], &initial)]
                .map(|(tg, h)| (targets::judge(1, t, tg, Some(h)), false));
            Ok(crate::promotion_gate::verdict::merge(parts))
        }
    }
    let t = GateTarget { route_target_groups: vec![INTERNAL], ..target() };
    let p = Promotion { wait_timeout: Duration::from_secs(10), ..Default::default() };
    let lines = Lines::new();
    let report = |l: String| lines.push(l);
    let e =
        wait_until_passing(&Ctx::detached(), &p, &t, &op(Duration::from_secs(600)), &mut TwoGroups(&t), Some(&report))
            .await
            .unwrap_err();
    assert_eq!(
        e.to_diagnostic().detail,
        format!(
            "Traffic was not moved: green target group {INTERNAL} has 0 healthy of 1 registered targets \
             (1 initial: Elb.RegistrationInProgress); needs 1 (checked for 10s; promotion.wait_timeout is 10s). \
             Nothing was written."
        )
    );
    assert_eq!(
        lines.taken()[0],
        (
            0,
            "green: app-green: 1/1 targets healthy, needs 1; app-internal-green: 0/1 targets healthy (1 initial), \
             needs 1; waited 0s of 10s"
                .to_string()
        )
    );
}
