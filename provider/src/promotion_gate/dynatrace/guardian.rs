//! Dynatrace Site Reliability Guardian: before a write that gives a color more traffic,
//! the workflow `promotion.dynatrace.guardian_workflow_id` runs one guardian validation,
//! and its `validation_status` decides: `pass` passes, `warning` passes only with
//! `allow_warning`, `fail` and `error` refuse, quoting the validation's summary.
//!
//! The requests, after Dynatrace's AutomationEngine API documentation (platform API
//! `platform/automation/v1`, platform token as `Authorization: Bearer <token>`):
//! - `POST {platform_url}/platform/automation/v1/workflows/{id}/run` with
//!   `{"input": {...}}` (scope `automation:workflows:run`): 201 with the execution,
//!   whose `id` is polled.
//! - `GET .../executions/{executionId}` (scope `automation:workflows:read`): its `state`
//!   (RUNNING, IDLE, WAITING, ... until SUCCESS, ERROR or CANCELLED) and `stateInfo`.
//! - `GET .../executions/{executionId}/tasks`: the task executions by task name, each
//!   with its `state`; then `GET .../executions/{executionId}/tasks/{name}/result`, the
//!   task's result. The guardian's "run validation" action answers `validation_status`
//!   (pass | warning | fail | error) and `validation_summary` (the count of objectives
//!   per status), and a link to the validation (`validation_url`).
//!
//! One run per gate wait: the first poll starts it, later polls ask how it is going,
//! within `wait_timeout` (a run still going when the wait ends refuses the write).
//!
//! A 429 (waited out per its `Retry-After`), a 5xx or no answer in time is transient, as
//! for the SLO reads: the poll could not tell ([`Verdict::Unsure`], "not yet" to the
//! gate) and the same request is asked again at a later poll, within `wait_timeout`. A
//! run that could not be started is started again then (a 429 started nothing; after a
//! 5xx or a timeout a second run may exist, which only costs a second validation). A
//! connection that cannot be made at all refuses at once, as for the SLO gate.

use super::client::{HttpAnswer, HttpClient, Pause, http_client, send, unreachable_env};
use crate::aws::AwsClients;
use crate::errors::{Error, Result};
use crate::promotion_gate::check::{Check, Phase, Setting};
use crate::promotion_gate::verdict::{Reading, Verdict};
use crate::secrets::{self, Secret, SecretRef};
use async_trait::async_trait;
use std::time::Duration;

/// `guardian_workflow_id` and what reaching it needs.
#[derive(Clone, Debug, PartialEq)]
pub struct GuardianGate {
    pub workflow_id: String,
    /// Without a trailing slash (`https://abc12345.apps.dynatrace.com`).
    pub platform_url: String,
    pub platform_token: SecretRef,
    pub allow_warning: bool,
}

/// The guardian check of one gate wait.
pub struct GuardianCheck<'a> {
    aws: &'a AwsClients,
    gate: &'a GuardianGate,
    /// What the run is about, passed as the workflow's input.
    input: serde_json::Value,
    http: Option<HttpClient>,
    token: Option<Secret>,
    execution: Option<String>,
    done: Option<Reading>,
    /// After a transient answer: no request before then, and why.
    not_before: Pause,
}

impl<'a> GuardianCheck<'a> {
    /// The guardian of `promotion.dynatrace`, when it names one: before a write only
    /// (a bake does not start runs), told which color, target group (the primary's, and
    /// every gaining one, the primary's first) and cluster.
    pub fn configured(s: &Setting<'a>) -> Option<GuardianCheck<'a>> {
        let gate = s.promotion.dynatrace.as_ref()?.guardian.as_ref().filter(|_| s.phase == Phase::BeforeWrite)?;
        let input = serde_json::json!({
            "bluegreen_color": s.target.color,
            "bluegreen_target_group_arn": s.target.target_group_arn,
            "bluegreen_target_group_arns": s.target.target_groups(),
            "bluegreen_cluster": s.target.cluster,
        });
        Some(GuardianCheck::new(s.aws, gate, input))
    }

    pub fn new(aws: &'a AwsClients, gate: &'a GuardianGate, input: serde_json::Value) -> GuardianCheck<'a> {
        GuardianCheck {
            aws,
            gate,
            input,
            http: None,
            token: None,
            execution: None,
            done: None,
            not_before: Pause::default(),
        }
    }
}

#[async_trait]
impl Check for GuardianCheck<'_> {
    fn name(&self) -> &'static str {
        "Site Reliability Guardian"
    }

    async fn read(&mut self) -> Result<Reading> {
        if let Some(done) = &self.done {
            return Ok(done.clone());
        }
        if let Some(why) = self.not_before.pending() {
            return Ok(Reading::unsure(why));
        }
        match self.ask().await? {
            Asked::Found(f) => {
                self.not_before.end();
                Ok(f)
            }
            Asked::Transient(why, pause) => {
                tfplugin::hclog::warn("Dynatrace guardian request was transient; retrying", &[("why", &why)]);
                Ok(Reading::unsure(self.not_before.start(why, pause)))
            }
        }
    }
}

impl GuardianCheck<'_> {
    /// One poll's requests: the run (once), its state, then its validation.
    async fn ask(&mut self) -> Result<Asked> {
        if self.token.is_none() {
            self.token = Some(secrets::read(self.aws, &self.gate.platform_token).await?);
            self.http = Some(http_client()?);
        }
        let base = format!("{}/platform/automation/v1", self.gate.platform_url);
        let execution = match &self.execution {
            Some(e) => e.clone(),
            None => {
                let body = serde_json::json!({ "input": self.input });
                let url = format!("{base}/workflows/{}/run", self.gate.workflow_id);
                let answer = self.call("POST", &url, Some(body)).await?;
                if let Some((why, pause)) = self.transient(&answer, "the start of a guardian run") {
                    return Ok(Asked::Transient(why, pause));
                }
                let Some(id) = answer.json["id"].as_str().filter(|_| answer.status == 201 || answer.status == 200)
                else {
                    return Err(self.unexpected("POST workflows/{id}/run", &answer));
                };
                self.execution = Some(id.to_string());
                id.to_string()
            }
        };
        let answer = self.call("GET", &format!("{base}/executions/{execution}"), None).await?;
        if let Some((why, pause)) = self.transient(&answer, &format!("the state of guardian run {execution}")) {
            return Ok(Asked::Transient(why, pause));
        }
        if answer.status != 200 {
            return Err(self.unexpected("GET executions/{id}", &answer));
        }
        let state = answer.json["state"].as_str().unwrap_or("UNKNOWN").to_string();
        let seen = format!("guardian run {execution} {state}");
        match state.as_str() {
            "SUCCESS" => {}
            "ERROR" | "CANCELLED" => {
                let info = answer.json["stateInfo"].as_str().unwrap_or("no reason given");
                return Ok(Asked::Found(self.finish(
                    Verdict::Refuse(format!(
                        "the Site Reliability Guardian workflow {} (run {execution}) ended {state}: {info}",
                        self.gate.workflow_id
                    )),
                    seen,
                )));
            }
            _ => {
                let reason = format!(
                    "the Site Reliability Guardian workflow {} (run {execution}) is {state}",
                    self.gate.workflow_id
                );
                return Ok(Asked::Found(Reading { verdict: Verdict::Wait(reason), seen }));
            }
        }
        let tasks = self.call("GET", &format!("{base}/executions/{execution}/tasks"), None).await?;
        if let Some((why, pause)) = self.transient(&tasks, &format!("the tasks of guardian run {execution}")) {
            return Ok(Asked::Transient(why, pause));
        }
        let names: Vec<String> = tasks.json.as_object().map(|m| m.keys().cloned().collect()).unwrap_or_default();
        for name in names {
            let url = format!("{base}/executions/{execution}/tasks/{name}/result");
            let result = self.call("GET", &url, None).await?;
            if let Some((why, pause)) = self.transient(&result, &format!("the result of guardian task {name}")) {
                return Ok(Asked::Transient(why, pause));
            }
            let Some(status) = result.json["validation_status"].as_str() else { continue };
            let summary = summary(&result.json["validation_summary"]);
            let link = result.json["validation_url"].as_str().map(|u| format!(" ({u})")).unwrap_or_default();
            let seen = format!("guardian {status} ({summary})");
            let quoted = format!(
                "the Site Reliability Guardian validation (workflow {}, task {name}) is {status}: {summary}{link}",
                self.gate.workflow_id
            );
            let verdict = match status {
                "pass" => Verdict::Pass,
                "warning" if self.gate.allow_warning => Verdict::Pass,
                _ => Verdict::Refuse(quoted),
            };
            return Ok(Asked::Found(self.finish(verdict, seen)));
        }
        Err(Error::Gate {
            summary: "No Site Reliability Guardian validation in the workflow".into(),
            detail: format!(
                "The workflow {} (promotion.dynatrace.guardian_workflow_id) ran, but no task answered a validation_status: it must run one guardian validation. Nothing was written.",
                self.gate.workflow_id
            ),
        })
    }

    /// A transient answer's reason and pause (see [`HttpAnswer::transient`]).
    fn transient(&self, answer: &HttpAnswer, what: &str) -> Option<(String, Duration)> {
        answer.transient(what, &self.gate.platform_url, false)
    }

    fn finish(&mut self, verdict: Verdict, seen: String) -> Reading {
        let f = Reading { verdict, seen };
        self.done = Some(f.clone());
        f
    }

    async fn call(&self, method: &str, url: &str, body: Option<serde_json::Value>) -> Result<HttpAnswer> {
        let (Some(http), Some(token)) = (&self.http, &self.token) else {
            return Err(Error::live("Dynatrace client not ready", "internal error: no token or client"));
        };
        let answer =
            send(http, method, url, &format!("Bearer {}", token.expose()), body, &self.gate.platform_url).await?;
        if let Some(why) = &answer.unreachable {
            return Err(unreachable_env(&self.gate.platform_url, "platform_url", why));
        }
        match answer.status {
            401 | 403 => Err(Error::Gate {
                summary: "Dynatrace refused the platform token".into(),
                detail: format!(
                    "Dynatrace at {} answered {} ({}) to the platform token in {} (promotion.dynatrace.platform_token_secret_arn). Check that it is a platform token of this environment with the automation:workflows:run and automation:workflows:read scopes. Nothing was written.",
                    self.gate.platform_url,
                    answer.status,
                    answer.message(),
                    self.gate.platform_token.describe()
                ),
            }),
            404 => Err(Error::Gate {
                summary: "Dynatrace workflow not found".into(),
                detail: format!(
                    "Dynatrace at {} has no workflow {:?} (promotion.dynatrace.guardian_workflow_id), or no such run: {}. Nothing was written.",
                    self.gate.platform_url,
                    self.gate.workflow_id,
                    answer.message()
                ),
            }),
            _ => Ok(answer),
        }
    }

    fn unexpected(&self, what: &str, answer: &HttpAnswer) -> Error {
        Error::Gate {
            summary: "Unexpected Dynatrace answer".into(),
            detail: format!(
                "Dynatrace at {} answered {} ({}) to {what}. Nothing was written.",
                self.gate.platform_url,
                answer.status,
                answer.message()
            ),
        }
    }
}

/// What one poll's requests came to.
enum Asked {
    Found(Reading),
    /// Why it could not tell, and how long to wait before asking again.
    Transient(String, Duration),
}

/// `validation_summary` in words: `1 fail, 2 pass, 0 warning` (the counts as given), or
/// the text itself when it is one.
fn summary(v: &serde_json::Value) -> String {
    match v {
        serde_json::Value::Object(m) if !m.is_empty() => {
            let order = ["fail", "error", "warning", "pass", "info"];
            let mut parts: Vec<String> = order
                .iter()
                .filter_map(|k| {
                    m.get(*k).map(|n| format!("{} {k}", n.as_i64().map_or(n.to_string(), |i| i.to_string())))
                })
                .collect();
            parts.extend(m.iter().filter(|(k, _)| !order.contains(&k.as_str())).map(|(k, n)| format!("{n} {k}")));
            format!("objectives {}", parts.join(", "))
        }
        serde_json::Value::String(s) if !s.is_empty() => s.clone(),
        _ => "no summary given".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_is_quoted_failures_first() {
        let v = serde_json::json!({"pass": 2, "warning": 0, "fail": 1, "error": 0, "info": 1});
        assert_eq!(summary(&v), "objectives 1 fail, 0 error, 0 warning, 2 pass, 1 info");
        assert_eq!(summary(&serde_json::json!("latency objective failed")), "latency objective failed");
        assert_eq!(summary(&serde_json::Value::Null), "no summary given");
    }
}
