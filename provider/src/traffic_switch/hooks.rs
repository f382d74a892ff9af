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

use crate::aws::AwsClients;
use crate::duration;
use crate::errors::{self, Error, Result};
use serde_json::{Value as Json, json};
use std::time::Duration;
use tfplugin::{Ctx, hclog};
use tokio::time::Instant;

use super::{Progress, Switch};
use crate::progress::Reporter;
use crate::promotion_gate::ServiceStatus;
use crate::traffic_pointer::{Color, Traffic};

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
    gaining: (&[ServiceStatus], &str),
    other: (&[ServiceStatus], &str),
) -> (String, String, Option<String>) {
    fn key(services: &[ServiceStatus]) -> Option<String> {
        let serving: Vec<&ServiceStatus> = services.iter().filter(|s| s.desired > 0).collect();
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

// ---------------------------------------------------------------- the switch's hook calls

impl Switch<'_> {
    /// What this apply's hooks are told about it: one execution id for all its stages,
    /// the production pointer, and each color's key in the weights (its service
    /// revision, else its target group) and the gaining color's ECS service, from one
    /// listing of the cluster (left out if the listing fails: a hook must not fail for
    /// want of them).
    pub(super) async fn hook_subject(&self, gaining: Color) -> HookSubject {
        let spec = self.spec;
        let (tg, other_tg) = (spec.pair.target_group(gaining), spec.pair.target_group(gaining.other()));
        let found =
            match crate::promotion_gate::services_on_target_groups(self.aws, &spec.cluster, &[tg, other_tg]).await {
                Ok(found) => found,
                Err(e) => {
                    hclog::warn("no ECS services for the lifecycle hooks' payload", &[("error", &e.to_string())]);
                    Vec::new()
                }
            };
        let none = Vec::new();
        let (gaining_services, other_services) = (found.first().unwrap_or(&none), found.get(1).unwrap_or(&none));
        let (gaining_key, other_key, target_revision) = weight_keys((gaining_services, tg), (other_services, other_tg));
        HookSubject {
            resource_arn: spec.pointer.arn().to_string(),
            service_arn: gaining_services.iter().find(|s| s.desired > 0).map(|s| s.arn.clone()),
            gaining_key,
            other_key,
            target_revision,
            details: Default::default(),
        }
    }

    /// After a rollback, ECS invokes the PRODUCTION_TRAFFIC_SHIFT hooks again with the
    /// weights reversed (the gaining color at its share before the promotion), so that
    /// hooks that keep state (feature flags, parameters) follow it; so does this. Their
    /// answer cannot stop anything now: a failure is only reported (the returned
    /// sentence, empty when all succeeded or none ran). Each hook gets a short budget
    /// of its own ([`ROLLBACK_NOTICE_BUDGET`]), not the operation's
    /// deadline: when that deadline caused the rollback, it is already past.
    pub(super) async fn tell_hooks_of_the_rollback(&self, p: &Progress, before: Traffic, now: Traffic) -> String {
        let (Some(subject), Some(color)) = (&p.hooks, before.gaining(&now)) else { return String::new() };
        let share = crate::promotion_gate::share(before, color);
        let hooks = &self.spec.promotion.hooks;
        let lambda = lambda(self.aws);
        match tell_of_rollback(self.ctx, &lambda, hooks, subject, share, self.progress).await {
            Ok(None) => String::new(),
            Ok(Some(reason)) => format!(" Telling the hooks of the rollback failed: {reason}."),
            Err(e) => format!(" The hooks were not told of the rollback: {}.", e.to_diagnostic().detail),
        }
    }

    /// Runs the hooks of `stage`: `Ok(Some(reason))` when one failed.
    pub(super) async fn run_hooks(
        &self,
        stage: HookStage,
        subject: &HookSubject,
        gaining_percent: u8,
    ) -> Result<Option<String>, Error> {
        let hooks = &self.spec.promotion.hooks;
        run_stage(self.ctx, &lambda(self.aws), hooks, stage, subject, gaining_percent, self.op.deadline, self.progress)
            .await
    }
}

#[cfg(test)]
mod tests;
