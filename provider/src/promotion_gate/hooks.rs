//! Lambda lifecycle hooks: the team's own checks at fixed stages of a promotion, with
//! the contract of ECS-native blue/green deployments, so functions written for ECS work
//! unchanged. Sources: Amazon ECS Developer Guide, "Lambda hooks for Amazon ECS service
//! deployments" (docs.aws.amazon.com/AmazonECS/latest/developerguide/
//! lambda-lifecycle-hooks.html: hookStatus, callBackDelay, hookDetails, the payload of
//! each stage, rollback) and "Lifecycle hooks for Amazon ECS service deployments"
//! (deployment-lifecycle-hooks.html); the API Reference's DeploymentLifecycleHook (the
//! stage names); a logged POST_TEST_TRAFFIC_SHIFT event in the AWS News Blog post of
//! 17 July 2025 on built-in blue/green deployments (the nesting under
//! `executionDetails`).
//!
//! - The function is invoked synchronously (`Invoke`, RequestResponse) with the
//!   lifecycle payload: `executionId` (one UUID per run of a hook), `lifecycleStage`,
//!   `resourceArn` and `executionDetails` (`testTrafficWeights`,
//!   `productionTrafficWeights` — revision ARN to percent, filled at
//!   PRODUCTION_TRAFFIC_SHIFT and empty at the POST_ stages, as in ECS's examples —
//!   `serviceArn`, `targetServiceRevisionArn`), plus `hookDetails`: the hook's static
//!   `hook_details` (ECS: the hook configuration's `hookDetails`, passed "on every
//!   invocation") and what an earlier IN_PROGRESS answer of the same hook returned
//!   (passed back "on the next invocation"), see [`combined_details`].
//! - After a rollback, ECS invokes the PRODUCTION_TRAFFIC_SHIFT hooks again with the
//!   weights reversed; so does the switch, once traffic is back, and their answer can
//!   no longer stop anything (it is reported). Each gets [`ROLLBACK_NOTICE_BUDGET`] of
//!   its own (at most its timeout): a rollback is often caused by the operation's
//!   deadline, which is then already past.
//! - It answers `{"hookStatus": "SUCCEEDED" | "FAILED" | "IN_PROGRESS"}`. IN_PROGRESS
//!   is asked again after `callBackDelay` seconds (default 30), with the `hookDetails`
//!   it returned, until the hook's `timeout`.
//! - FAILED, a function error, an answer without a valid `hookStatus`, an invoke error
//!   or the timeout is a failed check: before any write nothing moves; after one, the
//!   switch rolls back.
//!
//! Where this provider differs from ECS, because it moves target-group weights rather
//! than deploying one service's revisions: the weights are keyed by each color's
//! current service revision ARN (its ECS service's `currentServiceRevisions`) when it
//! has exactly one, else by the color's target group ARN; `targetServiceRevisionArn`
//! is the gaining color's revision, left out when it has none (or several); `serviceArn`
//! is the ECS service serving the gaining color (left out when none is found); and
//! `resourceArn` is the production pointer (listener rule or listener) being shifted.

use crate::aws_clients::AwsClients;
use crate::duration;
use crate::errors::{self, Error, Result};
use serde_json::{Value as Json, json};
use std::time::Duration;
use tfplugin::{Ctx, hclog};
use tokio::time::Instant;

use super::Reporter;

/// The stages a hook can run at (the subset of ECS's lifecycle stages where this
/// provider's promotion has an equivalent).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[allow(clippy::enum_variant_names, reason = "ECS's own stage names")]
pub enum HookStage {
    /// Before any production traffic moves, once the test pointer (if any) points at
    /// the color gaining traffic.
    PostTestTrafficShift,
    /// After each step's production write, with that step's weights.
    ProductionTrafficShift,
    /// At 100 %, before `promotion.bake_time` ends (it runs first).
    PostProductionTrafficShift,
}

impl HookStage {
    pub const ALL: [HookStage; 3] =
        [HookStage::PostTestTrafficShift, HookStage::ProductionTrafficShift, HookStage::PostProductionTrafficShift];

    pub fn as_str(self) -> &'static str {
        match self {
            HookStage::PostTestTrafficShift => "POST_TEST_TRAFFIC_SHIFT",
            HookStage::ProductionTrafficShift => "PRODUCTION_TRAFFIC_SHIFT",
            HookStage::PostProductionTrafficShift => "POST_PRODUCTION_TRAFFIC_SHIFT",
        }
    }

    pub fn parse(s: &str) -> Option<HookStage> {
        HookStage::ALL.into_iter().find(|st| st.as_str() == s)
    }
}

/// One `promotion.hook` block.
#[derive(Clone, Debug, PartialEq)]
pub struct LifecycleHook {
    pub stage: HookStage,
    pub function_arn: String,
    pub timeout: Duration,
    /// `hook_details`: the JSON object sent as `hookDetails` on every invocation.
    pub details: Option<Json>,
}

/// How long each PRODUCTION_TRAFFIC_SHIFT hook may take to hear of a rollback (its
/// own `timeout` if shorter), counted from when it is invoked. Not the operation's
/// deadline: a bake cut short by that deadline rolls back after it, so a hook bounded
/// by it would never be told. Short, because the apply has already failed and a
/// rollback notice must not hold the user's terminal for a hook's full timeout.
pub const ROLLBACK_NOTICE_BUDGET: Duration = Duration::from_secs(30);

/// The default `hook.timeout`.
pub const DEFAULT_HOOK_TIMEOUT: Duration = Duration::from_secs(300);
/// ECS's default wait before asking an IN_PROGRESS hook again.
const DEFAULT_CALLBACK_DELAY: Duration = Duration::from_secs(30);

/// The hooks a promotion runs, for the plan: `Lifecycle hooks: smoke before any
/// production traffic moves (POST_TEST_TRAFFIC_SHIFT), ...`; empty without hooks.
pub fn hooks_said(hooks: &[LifecycleHook]) -> String {
    if hooks.is_empty() {
        return String::new();
    }
    let when = |stage: HookStage| match stage {
        HookStage::PostTestTrafficShift => "before any production traffic moves",
        HookStage::ProductionTrafficShift => "after every step's write",
        HookStage::PostProductionTrafficShift => "at 100 %, before the bake",
    };
    let each: Vec<String> = hooks
        .iter()
        .map(|h| format!("{} {} ({})", short_name(&h.function_arn), when(h.stage), h.stage.as_str()))
        .collect();
    format!("Lifecycle hooks: {}", each.join(", "))
}

/// What one promotion's hooks say about it (the same for every stage of one apply),
/// and the `hookDetails` each hook returned so far.
#[derive(Debug, Default)]
pub struct HookSubject {
    /// The production pointer's ARN.
    pub resource_arn: String,
    /// The ECS service serving the color gaining traffic, when one is found.
    pub service_arn: Option<String>,
    /// What the weights are keyed by, gaining color first: each color's service
    /// revision ARN when exactly one is current on it, else its target group ARN.
    pub gaining_key: String,
    pub other_key: String,
    /// The gaining color's service revision, when its key is one.
    pub target_revision: Option<String>,
    /// The last `hookDetails` each hook (stage and function) returned with IN_PROGRESS:
    /// ECS passes them to that hook's later invocations within the deployment.
    pub details: std::sync::Mutex<std::collections::HashMap<(&'static str, String), Json>>,
}

/// The weights' keys of the gaining and the other color, and the gaining color's
/// revision when it is a key: each color's one current service revision among the
/// services serving it (desired count > 0), else its target group ARN. One revision
/// cannot key both colors (one ECS-native service on both target groups): then both are
/// keyed by target group.
pub fn weight_keys(
    gaining: (&[super::ServiceStatus], &str),
    other: (&[super::ServiceStatus], &str),
) -> (String, String, Option<String>) {
    fn key(services: &[super::ServiceStatus]) -> Option<String> {
        let serving: Vec<&super::ServiceStatus> = services.iter().filter(|s| s.desired > 0).collect();
        match serving.as_slice() {
            [one] if one.revisions.len() == 1 => Some(one.revisions[0].clone()),
            _ => None,
        }
    }
    let (g, o) = (key(gaining.0), key(other.0));
    if g.is_some() && g == o {
        return (gaining.1.to_string(), other.1.to_string(), None);
    }
    (g.clone().unwrap_or_else(|| gaining.1.to_string()), o.unwrap_or_else(|| other.1.to_string()), g)
}

impl HookSubject {
    /// The invocation payload at `stage`, as ECS sends it: the production weights (the
    /// gaining color at `gaining_percent` %) at PRODUCTION_TRAFFIC_SHIFT only; at the
    /// POST_ stages, and for the test weights at every stage here, ECS's examples send
    /// empty maps (lambda-lifecycle-hooks.html, "Lifecycle payloads").
    pub fn payload(
        &self,
        stage: HookStage,
        gaining_percent: u8,
        execution_id: &str,
        hook_details: Option<&Json>,
    ) -> Json {
        let production = if stage == HookStage::ProductionTrafficShift {
            json!({
                self.gaining_key.clone(): gaining_percent,
                self.other_key.clone(): 100 - gaining_percent,
            })
        } else {
            json!({})
        };
        let mut details = json!({
            "testTrafficWeights": {},
            "productionTrafficWeights": production,
        });
        if let Some(arn) = &self.service_arn {
            details["serviceArn"] = json!(arn);
        }
        if let Some(arn) = &self.target_revision {
            details["targetServiceRevisionArn"] = json!(arn);
        }
        let mut payload = json!({
            "executionDetails": details,
            "executionId": execution_id,
            "lifecycleStage": stage.as_str(),
            "resourceArn": self.resource_arn,
        });
        if let Some(d) = hook_details {
            payload["hookDetails"] = d.clone();
        }
        payload
    }

    fn remembered(&self, hook: &LifecycleHook) -> Option<Json> {
        self.details.lock().ok()?.get(&(hook.stage.as_str(), hook.function_arn.clone())).cloned()
    }

    fn remember(&self, hook: &LifecycleHook, details: &Json) {
        if let Ok(mut map) = self.details.lock() {
            map.insert((hook.stage.as_str(), hook.function_arn.clone()), details.clone());
        }
    }
}

/// The `hookDetails` one invocation carries: the static `hook_details` (ECS passes the
/// hook configuration's on every invocation) with what the hook last returned with
/// IN_PROGRESS (ECS passes that back on its next invocation) laid over it key by key,
/// so both promises hold and a key the function returned wins over the configured one
/// (the function's own state is the fresher). ECS's guide gives both sources but not
/// how they combine. A returned value that is not an object replaces the static one.
pub fn combined_details(configured: Option<&Json>, returned: Option<&Json>) -> Option<Json> {
    match (configured, returned) {
        (None, None) => None,
        (Some(c), None) => Some(c.clone()),
        (None, Some(r)) => Some(r.clone()),
        (Some(Json::Object(c)), Some(Json::Object(r))) => {
            let mut merged = c.clone();
            for (k, v) in r {
                merged.insert(k.clone(), v.clone());
            }
            Some(Json::Object(merged))
        }
        (Some(_), Some(r)) => Some(r.clone()),
    }
}

/// A fresh execution id, in the UUID form ECS uses (random, version 4).
pub fn execution_id() -> String {
    let mut b = [0u8; 16];
    let random = rustls::crypto::aws_lc_rs::default_provider().secure_random;
    if random.fill(&mut b).is_err() {
        // No randomness: a time-based id is still unique enough to tell applies apart.
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        b = nanos.to_le_bytes();
    }
    b[6] = (b[6] & 0x0f) | 0x40;
    b[8] = (b[8] & 0x3f) | 0x80;
    let hex: String = b.iter().map(|x| format!("{x:02x}")).collect();
    format!("{}-{}-{}-{}-{}", &hex[0..8], &hex[8..12], &hex[12..16], &hex[16..20], &hex[20..32])
}

/// What one invocation answered.
#[derive(Clone, Debug, PartialEq)]
enum Answer {
    Succeeded,
    /// FAILED, a function error or no valid hookStatus: the reason.
    Failed(String),
    InProgress {
        delay: Duration,
        details: Option<Json>,
    },
}

/// Reads an invocation's result: `function_error` is Lambda's `X-Amz-Function-Error`
/// (the function threw, timed out or ran out of memory), `payload` what it returned.
fn answer_of(function_error: Option<&str>, payload: &[u8]) -> Answer {
    let body: Option<Json> = serde_json::from_slice(payload).ok();
    if let Some(kind) = function_error {
        let message = body
            .as_ref()
            .and_then(|b| b.get("errorMessage"))
            .and_then(Json::as_str)
            .map(|m| format!(": {}", clip(m)))
            .unwrap_or_default();
        return Answer::Failed(format!("the function failed ({kind}){message}"));
    }
    let Some(body) = body else {
        return Answer::Failed(format!("it returned no JSON object with a hookStatus ({})", clip_bytes(payload)));
    };
    match body.get("hookStatus").and_then(Json::as_str) {
        Some("SUCCEEDED") => Answer::Succeeded,
        Some("FAILED") => Answer::Failed("it answered hookStatus FAILED".into()),
        Some("IN_PROGRESS") => {
            let delay = body
                .get("callBackDelay")
                .and_then(Json::as_f64)
                .filter(|s| s.is_finite() && *s >= 0.0)
                .map(|s| Duration::from_secs_f64(s.min(86_400.0)))
                .unwrap_or(DEFAULT_CALLBACK_DELAY);
            Answer::InProgress { delay, details: body.get("hookDetails").filter(|d| d.is_object()).cloned() }
        }
        Some(other) => Answer::Failed(format!(
            "it answered hookStatus {:?}, which is none of SUCCEEDED, FAILED, IN_PROGRESS",
            clip(other)
        )),
        None => Answer::Failed(format!("it returned no hookStatus ({})", clip_bytes(payload))),
    }
}

fn clip(s: &str) -> String {
    const MAX: usize = 300;
    if s.len() <= MAX {
        return s.to_string();
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{}…", &s[..end])
}

fn clip_bytes(b: &[u8]) -> String {
    if b.is_empty() { "an empty answer".into() } else { clip(&String::from_utf8_lossy(b)) }
}

/// The short name of a function, for progress lines (`smoke` of `...:function:smoke`).
fn short_name(arn: &str) -> &str {
    match arn.split_once(":function:") {
        Some((_, rest)) => rest,
        None => arn,
    }
}

/// One invocation, over and over: the live one calls Lambda; tests script it.
pub trait Invoke {
    /// `Ok((function_error, payload))`, or the invoke's own error.
    async fn invoke(&self, function_arn: &str, payload: Vec<u8>) -> Result<(Option<String>, Vec<u8>)>;
}

pub struct LambdaInvoke<'a>(&'a AwsClients);

impl Invoke for LambdaInvoke<'_> {
    async fn invoke(&self, function_arn: &str, payload: Vec<u8>) -> Result<(Option<String>, Vec<u8>)> {
        let out = self
            .0
            .lambda
            .invoke()
            .function_name(function_arn)
            .invocation_type(aws_sdk_lambda::types::InvocationType::RequestResponse)
            .payload(aws_sdk_lambda::primitives::Blob::new(payload))
            .send()
            .await
            .map_err(|e| errors::aws("Invoke", format!("function {function_arn}"), e))?;
        Ok((out.function_error().map(str::to_string), out.payload().map(|b| b.as_ref().to_vec()).unwrap_or_default()))
    }
}

/// The live invoker: Lambda's `Invoke` through the provider's client.
pub fn lambda(aws: &AwsClients) -> LambdaInvoke<'_> {
    LambdaInvoke(aws)
}

/// Runs every hook of `stage`, in order, with the gaining color at `gaining_percent`
/// %. `Ok(None)`: all answered SUCCEEDED. `Ok(Some(reason))`: one failed (FAILED, a
/// function or invoke error, no valid answer, or its timeout); the rest are not run.
/// `Err(Stopped)` on Ctrl-C. Each hook's wait ends at its `timeout` or at `deadline`,
/// whichever comes first.
#[allow(clippy::too_many_arguments)]
pub async fn run_stage(
    ctx: &Ctx,
    lambda: &impl Invoke,
    hooks: &[LifecycleHook],
    stage: HookStage,
    subject: &HookSubject,
    gaining_percent: u8,
    deadline: Instant,
    report: Reporter<'_>,
) -> Result<Option<String>> {
    for hook in hooks.iter().filter(|h| h.stage == stage) {
        let bound = Bound { at: deadline, why: "the operation's timeout ran out first".into() };
        if let Some(reason) = run_one(ctx, lambda, hook, subject, gaining_percent, bound, report).await? {
            return Ok(Some(reason));
        }
    }
    Ok(None)
}

/// Tells every PRODUCTION_TRAFFIC_SHIFT hook of a rollback (the gaining color back at
/// `gaining_percent` %), each with [`ROLLBACK_NOTICE_BUDGET`] from when it is invoked
/// (or its timeout if shorter), whatever the operation's deadline. All are told even
/// when one fails: their answers stop nothing now. `Ok(Some(reasons))` names each hook
/// that did not answer SUCCEEDED; `Err(Stopped)` on Ctrl-C.
pub async fn tell_of_rollback(
    ctx: &Ctx,
    lambda: &impl Invoke,
    hooks: &[LifecycleHook],
    subject: &HookSubject,
    gaining_percent: u8,
    report: Reporter<'_>,
) -> Result<Option<String>> {
    let mut failed = Vec::new();
    for hook in hooks.iter().filter(|h| h.stage == HookStage::ProductionTrafficShift) {
        let bound = Bound {
            at: Instant::now() + ROLLBACK_NOTICE_BUDGET,
            why: format!("a rollback notice gets at most {}", duration::display(ROLLBACK_NOTICE_BUDGET)),
        };
        if let Some(reason) = run_one(ctx, lambda, hook, subject, gaining_percent, bound, report).await? {
            failed.push(reason);
        }
    }
    Ok(if failed.is_empty() { None } else { Some(failed.join("; ")) })
}

/// When a hook's wait ends at the latest besides its own timeout, and why (for the
/// message when that comes first).
struct Bound {
    at: Instant,
    why: String,
}

async fn run_one(
    ctx: &Ctx,
    lambda: &impl Invoke,
    hook: &LifecycleHook,
    subject: &HookSubject,
    gaining_percent: u8,
    bound: Bound,
    report: Reporter<'_>,
) -> Result<Option<String>> {
    let deadline = bound.at;
    let stage = hook.stage.as_str();
    let name = short_name(&hook.function_arn);
    let say = |line: String| {
        if let Some(r) = report {
            r(line);
        }
    };
    let started = Instant::now();
    let ends = (started + hook.timeout).min(deadline);
    let failed = |why: String| Some(format!("lifecycle hook {} at {stage} failed: {why}", hook.function_arn));
    let out_of_time = |asked: u32| {
        let bound = if deadline < started + hook.timeout {
            bound.why.clone()
        } else {
            format!("its timeout is {}", duration::display(hook.timeout))
        };
        Some(format!(
            "lifecycle hook {} at {stage} did not answer SUCCEEDED in time ({bound}; asked {asked} time{})",
            hook.function_arn,
            if asked == 1 { "" } else { "s" }
        ))
    };
    let stopped = || Error::Stopped { during: format!("the lifecycle hook {name} at {stage}") };
    // One execution per run of a hook (its IN_PROGRESS re-invocations included).
    let execution = execution_id();
    let mut details: Option<Json> = subject.remembered(hook);
    let mut asked = 0u32;
    say(format!("hook {name} ({stage}): invoking"));
    loop {
        let sent = combined_details(hook.details.as_ref(), details.as_ref());
        let payload = subject.payload(hook.stage, gaining_percent, &execution, sent.as_ref());
        let bytes = serde_json::to_vec(&payload).unwrap_or_default();
        asked += 1;
        hclog::debug(
            "invoking lifecycle hook",
            &[("function", &hook.function_arn), ("stage", &stage), ("attempt", &asked)],
        );
        let result = tokio::select! {
            biased;
            _ = ctx.stopped() => return Err(stopped()),
            r = lambda.invoke(&hook.function_arn, bytes) => r,
            _ = tokio::time::sleep_until(ends) => return Ok(out_of_time(asked)),
        };
        let answer = match result {
            Ok((function_error, body)) => answer_of(function_error.as_deref(), &body),
            Err(e) => return Ok(failed(format!("it could not be invoked ({})", e.to_diagnostic().detail))),
        };
        match answer {
            Answer::Succeeded => {
                hclog::info("lifecycle hook succeeded", &[("function", &hook.function_arn), ("stage", &stage)]);
                say(format!("hook {name} ({stage}): SUCCEEDED"));
                return Ok(None);
            }
            Answer::Failed(why) => {
                hclog::warn(
                    "lifecycle hook failed",
                    &[("function", &hook.function_arn), ("stage", &stage), ("reason", &why)],
                );
                say(format!("hook {name} ({stage}): failed: {why}"));
                return Ok(failed(why));
            }
            Answer::InProgress { delay, details: returned } => {
                if let Some(d) = returned {
                    subject.remember(hook, &d);
                    details = Some(d);
                }
                say(format!("hook {name} ({stage}): IN_PROGRESS; asking again in {}", duration::display(delay)));
                let next = Instant::now() + delay;
                if next >= ends {
                    return Ok(out_of_time(asked));
                }
                tokio::select! {
                    _ = ctx.stopped() => return Err(stopped()),
                    _ = tokio::time::sleep_until(next) => {}
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
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
        LifecycleHook {
            stage,
            function_arn: "arn:aws:lambda:us-east-1:1:function:smoke".into(),
            timeout,
            details: None,
        }
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
        let post = HookSubject { target_revision: None, ..subject() }.payload(
            HookStage::PostTestTrafficShift,
            0,
            "exec-2",
            None,
        );
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
            Scripted::status(
                r#"{"hookStatus":"IN_PROGRESS","callBackDelay":1,"hookDetails":{"baseline":"p99=120ms"}}"#,
            ),
            Scripted::status(r#"{"hookStatus":"SUCCEEDED"}"#),
        ]);
        let hooks = [hook(HookStage::ProductionTrafficShift, Duration::from_secs(60))];
        let (ctx, subject) = (Ctx::detached(), subject());
        let deadline = Instant::now() + Duration::from_secs(3600);
        for share in [50, 100] {
            let run =
                run_stage(&ctx, &lambda, &hooks, HookStage::ProductionTrafficShift, &subject, share, deadline, None);
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
        assert!(
            took <= Duration::from_secs(40),
            "at most 30 s for the first, 10 s (its timeout) for the second: {took:?}"
        );
        assert!(reason.contains("function:smoke") && reason.contains("a rollback notice gets at most 30s"), "{reason}");
        assert!(reason.contains("function:flags") && reason.contains("its timeout is 10s"), "{reason}");
        let sent = told.0.sent.lock().unwrap();
        let mut executions: Vec<&Json> = sent.iter().map(|(_, p)| &p["executionId"]).collect();
        executions.dedup();
        assert_eq!(executions.len(), 2, "both hooks were invoked");
        assert!(sent.iter().all(|(_, p)| p["lifecycleStage"] == "PRODUCTION_TRAFFIC_SHIFT"));
        assert_eq!(sent[0].1["executionDetails"]["productionTrafficWeights"], json!({"rev-green": 0, "tg-blue": 100}));
    }

    fn service(name: &str, desired: i64, revisions: &[&str]) -> super::super::ServiceStatus {
        super::super::ServiceStatus {
            name: name.into(),
            arn: format!("arn:aws:ecs:us-east-1:1:service/c/{name}"),
            task_definition: "td:1".into(),
            desired,
            running: desired,
            deployment_status: "COMPLETED".into(),
            deployments: Vec::new(),
            revisions: revisions.iter().map(|r| r.to_string()).collect(),
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
}
