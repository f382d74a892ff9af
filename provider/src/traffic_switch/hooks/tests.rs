//! The lifecycle hook contract: payloads, answers, retries and timeouts.

use super::*;
use std::sync::Mutex;

fn subject() -> HookSubject {
    HookSubject {
        resource_arn: "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/lb/1/2/3".into(),
        service_arn: Some("arn:aws:ecs:us-east-1:1:service/c/app-green".into()),
        gaining_key: "rev-green".into(),
        other_key: "tg-blue".into(),
        target_revision: Some("rev-green".into()),
        ..HookSubject::default()
    }
}

fn hook(stage: HookStage, timeout: Duration) -> LifecycleHook {
    LifecycleHook { stage, function_arn: "arn:aws:lambda:us-east-1:1:function:smoke".into(), timeout, details: None }
}

/// Answers from a script (the last answer repeats) and records what it was sent.
struct Scripted {
    answers: Vec<Result<(Option<String>, Vec<u8>)>>,
    sent: Mutex<Vec<(Instant, Json)>>,
}

impl Scripted {
    fn new(answers: Vec<Result<(Option<String>, Vec<u8>)>>) -> Scripted {
        Scripted { answers, sent: Mutex::new(Vec::new()) }
    }
    fn status(s: &str) -> Result<(Option<String>, Vec<u8>)> {
        Ok((None, s.as_bytes().to_vec()))
    }
}

impl Invoke for Scripted {
    async fn invoke(&self, _: &str, payload: Vec<u8>) -> Result<(Option<String>, Vec<u8>)> {
        let mut sent = self.sent.lock().unwrap();
        sent.push((Instant::now(), serde_json::from_slice(&payload).unwrap()));
        let i = (sent.len() - 1).min(self.answers.len() - 1);
        self.answers[i].clone()
    }
}

async fn run(lambda: &Scripted, hooks: &[LifecycleHook], stage: HookStage) -> Result<Option<String>> {
    let ctx = Ctx::detached();
    let deadline = Instant::now() + Duration::from_secs(3600);
    run_stage(&ctx, lambda, hooks, stage, &subject(), 30, deadline, None).await
}

#[test]
fn the_payload_has_the_ecs_fields_with_the_steps_weights() {
    let p = subject().payload(HookStage::ProductionTrafficShift, 30, "exec-1", None);
    assert_eq!(p["lifecycleStage"], "PRODUCTION_TRAFFIC_SHIFT");
    assert_eq!(p["executionId"], "exec-1");
    assert_eq!(p["resourceArn"], "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/lb/1/2/3");
    let d = &p["executionDetails"];
    assert_eq!(d["productionTrafficWeights"], json!({"rev-green": 30, "tg-blue": 70}));
    assert_eq!(d["testTrafficWeights"], json!({}));
    assert_eq!(d["serviceArn"], "arn:aws:ecs:us-east-1:1:service/c/app-green");
    assert_eq!(d["targetServiceRevisionArn"], "rev-green");
    let post =
        HookSubject { target_revision: None, ..subject() }.payload(HookStage::PostTestTrafficShift, 0, "exec-2", None);
    assert!(post["executionDetails"].get("targetServiceRevisionArn").is_none());
    assert_eq!(post["executionDetails"]["productionTrafficWeights"], json!({}), "as ECS: empty at POST_ stages");
    assert!(p.get("hookDetails").is_none());
}

#[test]
fn answers_are_read_as_ecs_reads_them() {
    assert_eq!(answer_of(None, br#"{"hookStatus":"SUCCEEDED"}"#), Answer::Succeeded);
    assert!(matches!(answer_of(None, br#"{"hookStatus":"FAILED"}"#), Answer::Failed(_)));
    assert_eq!(
        answer_of(None, br#"{"hookStatus":"IN_PROGRESS"}"#),
        Answer::InProgress { delay: Duration::from_secs(30), details: None }
    );
    assert_eq!(
        answer_of(None, br#"{"hookStatus":"IN_PROGRESS","callBackDelay":2,"hookDetails":{"n":1}}"#),
        Answer::InProgress { delay: Duration::from_secs(2), details: Some(json!({"n": 1})) }
    );
    for bad in [&b"null"[..], b"", b"{}", br#"{"hookStatus":"succeeded"}"#, b"not json"] {
        assert!(matches!(answer_of(None, bad), Answer::Failed(_)), "{:?}", String::from_utf8_lossy(bad));
    }
    let thrown = answer_of(Some("Unhandled"), br#"{"errorMessage":"boom","errorType":"Error"}"#);
    assert_eq!(thrown, Answer::Failed("the function failed (Unhandled): boom".into()));
    // A function error wins over a hookStatus in its payload.
    assert!(matches!(answer_of(Some("Unhandled"), br#"{"hookStatus":"SUCCEEDED"}"#), Answer::Failed(_)));
}

#[tokio::test(start_paused = true)]
async fn in_progress_is_asked_again_after_its_callback_delay_with_its_hook_details() {
    let lambda = Scripted::new(vec![
        Scripted::status(r#"{"hookStatus":"IN_PROGRESS","callBackDelay":5,"hookDetails":{"try":1}}"#),
        Scripted::status(r#"{"hookStatus":"IN_PROGRESS"}"#),
        Scripted::status(r#"{"hookStatus":"SUCCEEDED"}"#),
    ]);
    let hooks = [hook(HookStage::PostTestTrafficShift, Duration::from_secs(600))];
    assert_eq!(run(&lambda, &hooks, HookStage::PostTestTrafficShift).await.unwrap(), None);
    let sent = lambda.sent.lock().unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[1].0 - sent[0].0, Duration::from_secs(5));
    // No callBackDelay: ECS's default, 30 s.
    assert_eq!(sent[2].0 - sent[1].0, Duration::from_secs(30));
    assert!(sent[0].1.get("hookDetails").is_none());
    assert_eq!(sent[1].1["hookDetails"], json!({"try": 1}));
    assert_eq!(sent[2].1["hookDetails"], json!({"try": 1}));
}

#[tokio::test(start_paused = true)]
async fn a_hooks_details_carry_over_to_its_next_run_and_each_run_is_its_own_execution() {
    let lambda = Scripted::new(vec![
        Scripted::status(r#"{"hookStatus":"IN_PROGRESS","callBackDelay":1,"hookDetails":{"baseline":"p99=120ms"}}"#),
        Scripted::status(r#"{"hookStatus":"SUCCEEDED"}"#),
    ]);
    let hooks = [hook(HookStage::ProductionTrafficShift, Duration::from_secs(60))];
    let (ctx, subject) = (Ctx::detached(), subject());
    let deadline = Instant::now() + Duration::from_secs(3600);
    for share in [50, 100] {
        let run = run_stage(&ctx, &lambda, &hooks, HookStage::ProductionTrafficShift, &subject, share, deadline, None);
        assert_eq!(run.await.unwrap(), None);
    }
    let sent = lambda.sent.lock().unwrap();
    assert_eq!(sent.len(), 3, "step 1: IN_PROGRESS then SUCCEEDED; step 2: SUCCEEDED");
    assert_eq!(sent[2].1["hookDetails"], json!({"baseline": "p99=120ms"}), "the next step's run gets them");
    assert_eq!(sent[0].1["executionId"], sent[1].1["executionId"]);
    assert_ne!(sent[1].1["executionId"], sent[2].1["executionId"]);
}

#[tokio::test(start_paused = true)]
async fn a_hook_still_in_progress_at_its_timeout_fails() {
    let lambda = Scripted::new(vec![Scripted::status(r#"{"hookStatus":"IN_PROGRESS","callBackDelay":20}"#)]);
    let hooks = [hook(HookStage::PostTestTrafficShift, Duration::from_secs(60))];
    let started = Instant::now();
    let reason = run(&lambda, &hooks, HookStage::PostTestTrafficShift).await.unwrap().unwrap();
    assert!(reason.contains("did not answer SUCCEEDED in time (its timeout is 1m; asked 3 times)"), "{reason}");
    assert!(Instant::now() - started <= Duration::from_secs(60));
    assert_eq!(lambda.sent.lock().unwrap().len(), 3);
}

#[tokio::test(start_paused = true)]
async fn failed_or_an_invoke_error_fails_and_later_hooks_do_not_run() {
    let denied = Err(Error::Aws {
        call: "Invoke",
        target: "function smoke".into(),
        code: "AccessDeniedException".into(),
        message: "not authorized to perform lambda:InvokeFunction".into(),
    });
    let lambda = Scripted::new(vec![denied]);
    let hooks = [
        hook(HookStage::ProductionTrafficShift, Duration::from_secs(60)),
        hook(HookStage::ProductionTrafficShift, Duration::from_secs(60)),
    ];
    let reason = run(&lambda, &hooks, HookStage::ProductionTrafficShift).await.unwrap().unwrap();
    assert!(reason.contains("at PRODUCTION_TRAFFIC_SHIFT failed: it could not be invoked"), "{reason}");
    assert!(reason.contains("lambda:InvokeFunction"), "{reason}");
    assert_eq!(lambda.sent.lock().unwrap().len(), 1);
    // Hooks of other stages do not run.
    let none = Scripted::new(vec![Scripted::status(r#"{"hookStatus":"FAILED"}"#)]);
    assert_eq!(run(&none, &hooks, HookStage::PostTestTrafficShift).await.unwrap(), None);
    assert!(none.sent.lock().unwrap().is_empty());
}

#[test]
fn static_hook_details_are_sent_every_time_with_returned_keys_laid_over_them() {
    let configured = json!({"S3_BUCKET_NAME": "my-approval-bucket", "stage": "configured"});
    assert_eq!(combined_details(None, None), None);
    assert_eq!(combined_details(Some(&configured), None), Some(configured.clone()));
    assert_eq!(combined_details(None, Some(&json!({"n": 1}))), Some(json!({"n": 1})));
    assert_eq!(
        combined_details(Some(&configured), Some(&json!({"stage": "returned", "n": 1}))),
        Some(json!({"S3_BUCKET_NAME": "my-approval-bucket", "stage": "returned", "n": 1})),
        "both kept; the function's own key wins"
    );
}

#[tokio::test(start_paused = true)]
async fn the_configured_hook_details_reach_every_invocation_of_their_hook() {
    let lambda = Scripted::new(vec![
        Scripted::status(r#"{"hookStatus":"IN_PROGRESS","callBackDelay":1,"hookDetails":{"ticket":"CHG-1"}}"#),
        Scripted::status(r#"{"hookStatus":"SUCCEEDED"}"#),
    ]);
    let mut h = hook(HookStage::PostTestTrafficShift, Duration::from_secs(60));
    h.details = Some(json!({"S3_BUCKET_NAME": "my-approval-bucket"}));
    assert_eq!(run(&lambda, &[h], HookStage::PostTestTrafficShift).await.unwrap(), None);
    let sent = lambda.sent.lock().unwrap();
    assert_eq!(sent[0].1["hookDetails"], json!({"S3_BUCKET_NAME": "my-approval-bucket"}));
    assert_eq!(sent[1].1["hookDetails"], json!({"S3_BUCKET_NAME": "my-approval-bucket", "ticket": "CHG-1"}));
}

/// Like [`Scripted`], but every invocation takes `latency` (a real Lambda round trip).
struct Slow(Scripted, Duration);

impl Invoke for Slow {
    async fn invoke(&self, arn: &str, payload: Vec<u8>) -> Result<(Option<String>, Vec<u8>)> {
        tokio::time::sleep(self.1).await;
        self.0.invoke(arn, payload).await
    }
}

#[tokio::test(start_paused = true)]
async fn a_rollback_after_the_deadline_is_still_told_each_hook_with_a_budget_of_its_own() {
    let ctx = Ctx::detached();
    let (subject, latency) = (subject(), Duration::from_millis(200));
    let long = hook(HookStage::ProductionTrafficShift, Duration::from_secs(600));
    let short = LifecycleHook {
        function_arn: "arn:aws:lambda:us-east-1:1:function:flags".into(),
        ..hook(HookStage::ProductionTrafficShift, Duration::from_secs(10))
    };
    let hooks = [long, short];
    // The operation's deadline is past (the bake ran into it): bounded by it, as
    // before, the hooks are never heard.
    let past = Instant::now();
    tokio::time::advance(Duration::from_secs(1)).await;
    let bounded = Slow(Scripted::new(vec![Scripted::status(r#"{"hookStatus":"SUCCEEDED"}"#)]), latency);
    let reason = run_stage(&ctx, &bounded, &hooks[..1], HookStage::ProductionTrafficShift, &subject, 0, past, None)
        .await
        .unwrap()
        .unwrap();
    assert!(reason.contains("the operation's timeout ran out first"), "{reason}");
    assert!(bounded.0.sent.lock().unwrap().is_empty(), "never heard");

    // Told of the rollback: each hook gets min(its timeout, 30 s) from its own start.
    let told =
        Slow(Scripted::new(vec![Scripted::status(r#"{"hookStatus":"IN_PROGRESS","callBackDelay":4}"#)]), latency);
    let started = Instant::now();
    let reason = tell_of_rollback(&ctx, &told, &hooks, &subject, 0, None).await.unwrap().unwrap();
    let took = Instant::now() - started;
    // An IN_PROGRESS whose next call would come after the budget ends the wait then.
    assert!(took <= Duration::from_secs(40), "at most 30 s for the first, 10 s (its timeout) for the second: {took:?}");
    assert!(reason.contains("function:smoke") && reason.contains("a rollback notice gets at most 30s"), "{reason}");
    assert!(reason.contains("function:flags") && reason.contains("its timeout is 10s"), "{reason}");
    let sent = told.0.sent.lock().unwrap();
    let mut executions: Vec<&Json> = sent.iter().map(|(_, p)| &p["executionId"]).collect();
    executions.dedup();
    assert_eq!(executions.len(), 2, "both hooks were invoked");
    assert!(sent.iter().all(|(_, p)| p["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"));
    assert_eq!(sent[0].1["executionDetails"]["productionTrafficWeights"], json!({"rev-green": 0, "tg-blue": 100}));
}

fn service(name: &str, desired: i64, revisions: &[&str]) -> ServiceStatus {
    ServiceStatus {
        name: name.into(),
        arn: format!("arn:aws:ecs:us-east-1:1:service/c/{name}"),
        task_definition: "td:1".into(),
        desired,
        running: desired,
        deployment_status: "COMPLETED".into(),
        deployments: Vec::new(),
        revisions: revisions.iter().map(|r| r.to_string()).collect(),
        shifts_traffic_on: Vec::new(),
    }
}

#[test]
fn weights_are_keyed_by_each_colors_one_revision_else_its_target_group() {
    let green = [service("app-green", 2, &["rev-g"])];
    let blue = [service("app-blue", 2, &["rev-b"])];
    let keys = weight_keys((&green, "tg-g"), (&blue, "tg-b"));
    assert_eq!(keys, ("rev-g".into(), "rev-b".into(), Some("rev-g".into())));
    // A rollout in progress (two revisions), no service, or one scaled to 0: the
    // target group.
    let rolling = [service("app-green", 2, &["rev-g2", "rev-g"])];
    assert_eq!(weight_keys((&rolling, "tg-g"), (&blue, "tg-b")), ("tg-g".into(), "rev-b".into(), None));
    let idle = [service("app-blue", 0, &["rev-b"])];
    assert_eq!(weight_keys((&green, "tg-g"), (&idle, "tg-b")).1, "tg-b");
    assert_eq!(weight_keys((&[], "tg-g"), (&[], "tg-b")), ("tg-g".into(), "tg-b".into(), None));
    // One ECS-native service on both target groups: its revision cannot key both.
    let native = [service("app", 2, &["rev"])];
    assert_eq!(weight_keys((&native, "tg-g"), (&native, "tg-b")), ("tg-g".into(), "tg-b".into(), None));
}

#[test]
fn execution_ids_are_random_version_4_uuids() {
    let (a, b) = (execution_id(), execution_id());
    assert_ne!(a, b);
    assert_eq!(a.len(), 36);
    assert_eq!(&a[14..15], "4");
    assert!(a.chars().all(|c| c.is_ascii_hexdigit() || c == '-'));
}
