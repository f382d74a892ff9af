//! Dynatrace SLOs: each of `promotion.dynatrace.slo_ids` must be SUCCESS (or WARNING
//! with `allow_warning`) with no evaluation error, before a write that gives a color
//! more traffic and throughout the bake.
//!
//! The request, after Dynatrace's documentation of the classic Environment API v2
//! ("GET an SLO", `/api/v2/slo/{id}`):
//! - `GET {environment_url}/api/v2/slo/{id}?from=now-{window}&to=now&timeFrame=GTF`,
//!   header `Authorization: Api-Token {token}` (token scope `slo.read`). `timeFrame=GTF`
//!   evaluates over the `from`/`to` given instead of the SLO's own timeframe.
//! - 200: a JSON object with `name`, `status` (`SUCCESS` | `WARNING` | `FAILURE`),
//!   `evaluatedPercentage`, `target`, `warning`, `errorBudget` (percentage points above
//!   the target) and `error` (`"NONE"` unless the evaluation itself failed).
//! - 401 (bad token) / 403 (missing scope), 404 (unknown id), 429 with `Retry-After`
//!   (seconds), each with `{"error": {"code", "message"}}`.
//!
//! How often: an SLO is evaluated from metrics of one-minute resolution, so within a
//! minute a second answer is the same answer. Each SLO is read at most once every
//! [`SLO_INTERVAL`], except that the bake's last check always reads afresh: that read
//! decides the bake.
//!
//! Over what: the gate before a write reads `from=now-{evaluation_window}`. A bake reads
//! from the moment its traffic moved (absolute epoch milliseconds), so a short step is
//! not diluted by the minutes before it: see [`window`].
//!
//! Transient answers: a 429 (Dynatrace's access-limit page: the environment's request
//! queue is full), a 5xx, or no answer within `client::REQUEST_TIMEOUT` say nothing about the
//! SLO: the verdict is [`Verdict::Unsure`], and the next read waits out `Retry-After`
//! (at least `client::TRANSIENT_PAUSE`). A gate wait treats it as "not yet"; a bake keeps
//! polling. A connection that cannot be made is transient during a bake (the
//! environment answered the gate minutes ago); before a write it is a hard error, since
//! then it is almost always a wrong `environment_url` or a blocked network, and saying
//! so at once beats waiting out `wait_timeout` to say the same.
//!
//! The token is read from Secrets Manager when the check starts and lives in this
//! check only ([`crate::secrets`]); it is never formatted into anything.

use super::client::{HttpClient, Pause, http_client, send, unreachable_env};
use super::guardian::GuardianGate;
use crate::aws::AwsClients;
use crate::errors::{Error, Result};
use crate::promotion_gate::check::{Check, Phase, Setting};
use crate::promotion_gate::verdict::{Reading, Verdict};
use crate::secrets::{self, Secret, SecretRef};
use async_trait::async_trait;
use std::time::Duration;
use tfplugin::hclog;
use tokio::time::Instant;

/// The shortest spacing of two reads of one SLO (its metrics' resolution).
pub const SLO_INTERVAL: Duration = Duration::from_secs(60);

/// [`SLO_INTERVAL`], or `BLUEGREEN_SLO_INTERVAL_MS` (for demos and tests against an
/// emulator that changes an SLO at will; a real SLO does not change faster than its
/// metrics). It is also the shortest window a bake reads ([`window`]).
fn slo_interval() -> Duration {
    std::env::var("BLUEGREEN_SLO_INTERVAL_MS")
        .ok()
        .and_then(|v| v.parse().ok())
        .map(Duration::from_millis)
        .unwrap_or(SLO_INTERVAL)
}
/// The SLO window of a read `now` whose traffic moved at `since` (None: the gate before
/// a write, which reads the whole `evaluation_window`): from the move, but never less
/// than `resolution` (one data point of the SLO's metrics) nor more than
/// `evaluation_window`.
pub fn window(now: Instant, since: Option<Instant>, evaluation_window: Duration, resolution: Duration) -> Duration {
    let longest = evaluation_window.max(resolution);
    match since {
        None => longest,
        Some(since) => now.saturating_duration_since(since).max(resolution).min(longest),
    }
}

/// The `from` of a read: `now-{minutes}m` for the gate (whole minutes, as Dynatrace's
/// relative form has no seconds), the window's start in epoch milliseconds for a bake.
fn from_param(since: Option<Instant>, window: Duration) -> String {
    match since {
        None => format!("now-{}m", window.as_secs().div_ceil(60).max(1)),
        Some(_) => {
            let now_ms = std::time::SystemTime::now()
                .duration_since(std::time::UNIX_EPOCH)
                .map(|d| d.as_millis())
                .unwrap_or_default();
            now_ms.saturating_sub(window.as_millis()).to_string()
        }
    }
}

/// `promotion.dynatrace` as the gate uses it.
#[derive(Clone, Debug, PartialEq)]
pub struct DynatraceGate {
    /// Without a trailing slash.
    pub environment_url: String,
    pub api_token: SecretRef,
    pub slo_ids: Vec<String>,
    pub allow_warning: bool,
    pub evaluation_window: Duration,
    /// `guardian_workflow_id`: a Site Reliability Guardian run before each write.
    pub guardian: Option<GuardianGate>,
}

/// One SLO as Dynatrace evaluated it.
#[derive(Clone, Debug, PartialEq)]
pub struct SloReading {
    pub id: String,
    pub name: String,
    pub status: String,
    pub evaluated_percentage: f64,
    pub target: f64,
    pub warning: f64,
    pub error_budget: f64,
    pub error: String,
}

impl SloReading {
    pub fn passes(&self, allow_warning: bool) -> bool {
        self.error == "NONE" && (self.status == "SUCCESS" || (allow_warning && self.status == "WARNING"))
    }

    /// `checkout-availability SUCCESS 99.95 % (target 99.9 %)`, for progress lines.
    fn seen(&self) -> String {
        format!(
            "SLO {} {} {} % (target {} %)",
            self.name,
            self.status,
            pct(self.evaluated_percentage),
            pct(self.target)
        )
    }

    /// Why it does not pass: its name, status, percentage against the target and error budget.
    fn reason(&self) -> String {
        let error = if self.error == "NONE" { String::new() } else { format!("; evaluation error {:?}", self.error) };
        format!(
            "Dynatrace SLO {:?} ({}) is {}: {} % against a target of {} % (warning {} %), error budget {} %{error}",
            self.name,
            self.id,
            self.status,
            pct(self.evaluated_percentage),
            pct(self.target),
            pct(self.warning),
            pct(self.error_budget)
        )
    }
}

fn pct(v: f64) -> String {
    let s = format!("{v:.3}");
    s.trim_end_matches('0').trim_end_matches('.').to_string()
}

/// The SLO check of one gate wait or one bake: the token is read on its first use.
pub struct SloCheck<'a> {
    aws: &'a AwsClients,
    gate: &'a DynatraceGate,
    http: Option<HttpClient>,
    token: Option<Secret>,
    last: Option<(Instant, Reading)>,
    /// After a transient answer: no request before then, and why.
    not_before: Pause,
    /// A bake's: when its traffic moved (the window starts there), and a connection
    /// that cannot be made is transient. None for the gate before a write.
    since: Option<Instant>,
    /// A bake's end: its reads from then on decide the bake, so they are always fresh.
    fresh_from: Option<Instant>,
    /// Requests sent, for the benchmark.
    pub requests: u64,
}

#[async_trait]
impl Check for SloCheck<'_> {
    fn name(&self) -> &'static str {
        "Dynatrace SLOs"
    }

    async fn read(&mut self) -> Result<Reading> {
        let fresh = self.fresh_from.is_some_and(|end| Instant::now() >= end);
        self.read_slos(fresh).await
    }
}

impl<'a> SloCheck<'a> {
    /// The SLOs of `promotion.dynatrace`, when it is set: over `evaluation_window` before
    /// a write, from the move during a bake.
    pub fn configured(s: &Setting<'a>) -> Option<SloCheck<'a>> {
        let gate = s.promotion.dynatrace.as_ref()?;
        let check = SloCheck::new(s.aws, gate);
        Some(match s.phase {
            Phase::BeforeWrite => check,
            Phase::Bake { moved_at, ends, .. } => SloCheck { since: Some(moved_at), fresh_from: Some(ends), ..check },
        })
    }

    pub fn new(aws: &'a AwsClients, gate: &'a DynatraceGate) -> SloCheck<'a> {
        let (http, token, last, since, fresh_from) = (None, None, None, None, None);
        SloCheck { aws, gate, http, token, last, not_before: Pause::default(), since, fresh_from, requests: 0 }
    }

    /// Every SLO's verdict: read afresh when the last read is older than
    /// [`SLO_INTERVAL`] or `fresh` asks for it (the bake's last check), else the last.
    /// A transient answer is [`Verdict::Unsure`], and so is every call until its pause
    /// is over (no request is sent then).
    pub async fn read_slos(&mut self, fresh: bool) -> Result<Reading> {
        let now = Instant::now();
        if let Some((at, reading)) = &self.last
            && !fresh
            && now - *at < slo_interval()
        {
            return Ok(reading.clone());
        }
        if let Some(why) = self.not_before.pending() {
            return Ok(Reading::unsure(why));
        }
        if self.token.is_none() {
            self.token = Some(secrets::read(self.aws, &self.gate.api_token).await?);
            self.http = Some(http_client()?);
        }
        let mut readings = Vec::new();
        for id in &self.gate.slo_ids {
            match self.read_slo(id).await? {
                Answer::Slo(r) => readings.push(r),
                Answer::Transient(why, pause) => {
                    hclog::warn("Dynatrace SLO read was transient; retrying", &[("slo", &id), ("why", &why)]);
                    return Ok(Reading::unsure(self.not_before.start(why, pause)));
                }
            }
        }
        self.not_before.end();
        let failing: Vec<String> =
            readings.iter().filter(|r| !r.passes(self.gate.allow_warning)).map(SloReading::reason).collect();
        let seen = readings.iter().map(SloReading::seen).collect::<Vec<_>>().join(", ");
        let verdict = if failing.is_empty() { Verdict::Pass } else { Verdict::Wait(failing.join("; ")) };
        let reading = Reading { verdict, seen };
        self.last = Some((Instant::now(), reading.clone()));
        Ok(reading)
    }

    async fn read_slo(&mut self, id: &str) -> Result<Answer> {
        let (Some(http), Some(token)) = (&self.http, &self.token) else {
            return Err(Error::live("Dynatrace client not ready", "internal error: no token or client"));
        };
        let window = window(Instant::now(), self.since, self.gate.evaluation_window, slo_interval());
        let url = format!(
            "{}/api/v2/slo/{}?from={}&to=now&timeFrame=GTF",
            self.gate.environment_url,
            path_escape(id),
            from_param(self.since, window)
        );
        self.requests += 1;
        let auth = format!("Api-Token {}", token.expose());
        let env = &self.gate.environment_url;
        let answer = send(http, "GET", &url, &auth, None, env).await?;
        let (status, json) = (answer.status, &answer.json);
        let message = answer.message();
        hclog::debug("Dynatrace SLO read", &[("slo", &id), ("status", &status)]);
        if let Some((why, pause)) = answer.transient(&format!("the read of SLO {id}"), env, self.since.is_some()) {
            return Ok(Answer::Transient(why, pause));
        }
        if let Some(why) = &answer.unreachable {
            return Err(unreachable_env(env, "environment_url", why));
        }
        match status {
            200 => parse_slo(id, json).map(Answer::Slo).ok_or_else(|| Error::Gate {
                summary: "Unexpected Dynatrace answer".into(),
                detail: format!(
                    "Dynatrace at {} answered GET /api/v2/slo/{id} without status, evaluatedPercentage or target. Nothing was written.",
                    self.gate.environment_url
                ),
            }),
            401 | 403 => Err(Error::Gate {
                summary: "Dynatrace refused the API token".into(),
                detail: format!(
                    "Dynatrace at {} answered {status} ({message}) to the token in {} (promotion.dynatrace.api_token_secret_arn). Check that the token is valid for this environment and has the slo.read scope. Nothing was written.",
                    self.gate.environment_url,
                    self.gate.api_token.describe()
                ),
            }),
            404 => Err(Error::Gate {
                summary: "Dynatrace SLO not found".into(),
                detail: format!(
                    "Dynatrace at {} has no SLO {id:?} (promotion.dynatrace.slo_ids): {message}. Fix the id. Nothing was written.",
                    self.gate.environment_url
                ),
            }),
            s => Err(Error::Gate {
                summary: "Unexpected Dynatrace answer".into(),
                detail: format!(
                    "Dynatrace at {} answered {s} ({message}) to GET /api/v2/slo/{id}. Nothing was written.",
                    self.gate.environment_url
                ),
            }),
        }
    }
}

enum Answer {
    Slo(SloReading),
    /// Why, and how long to wait before the next request.
    Transient(String, Duration),
}

fn parse_slo(id: &str, v: &serde_json::Value) -> Option<SloReading> {
    Some(SloReading {
        id: id.to_string(),
        name: v["name"].as_str().unwrap_or(id).to_string(),
        status: v["status"].as_str()?.to_string(),
        evaluated_percentage: v["evaluatedPercentage"].as_f64()?,
        target: v["target"].as_f64()?,
        warning: v["warning"].as_f64().unwrap_or(0.0),
        error_budget: v["errorBudget"].as_f64().unwrap_or(0.0),
        error: v["error"].as_str().unwrap_or("NONE").to_string(),
    })
}

/// An SLO id in a URL path: unreserved characters as they are, the rest %-escaped.
fn path_escape(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => (b as char).to_string(),
            _ => format!("%{b:02X}"),
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn slo(status: &str, error: &str) -> SloReading {
        parse_slo(
            "a1b2",
            &serde_json::json!({"name": "checkout-availability", "status": status, "evaluatedPercentage": 98.5,
                "target": 99.9, "warning": 99.95, "errorBudget": -1.4, "error": error}),
        )
        .unwrap()
    }

    #[test]
    fn only_success_or_an_allowed_warning_without_an_error_passes() {
        assert!(slo("SUCCESS", "NONE").passes(false));
        assert!(!slo("WARNING", "NONE").passes(false));
        assert!(slo("WARNING", "NONE").passes(true));
        assert!(!slo("FAILURE", "NONE").passes(true));
        assert!(!slo("SUCCESS", "NO_DATA").passes(true), "an evaluation error never passes");
    }

    #[test]
    fn a_failing_slo_is_named_with_its_status_percentage_target_and_error_budget() {
        let r = slo("FAILURE", "NONE").reason();
        assert_eq!(
            r,
            "Dynatrace SLO \"checkout-availability\" (a1b2) is FAILURE: 98.5 % against a target of 99.9 % (warning 99.95 %), error budget -1.4 %"
        );
        assert!(slo("SUCCESS", "NO_DATA").reason().ends_with("evaluation error \"NO_DATA\""));
        assert_eq!(slo("SUCCESS", "NONE").seen(), "SLO checkout-availability SUCCESS 98.5 % (target 99.9 %)");
    }

    #[tokio::test(start_paused = true)]
    async fn a_bakes_window_starts_when_its_traffic_moved_but_spans_at_least_a_minute() {
        let (ten_minutes, minute) = (Duration::from_secs(600), Duration::from_secs(60));
        let moved = Instant::now();
        // The gate before a write: the whole evaluation_window.
        assert_eq!(window(Instant::now(), None, ten_minutes, minute), ten_minutes);
        // Right after the move: one minute (one data point), not less.
        tokio::time::advance(Duration::from_secs(20)).await;
        assert_eq!(window(Instant::now(), Some(moved), ten_minutes, minute), minute);
        // A 90 s step: from the move.
        tokio::time::advance(Duration::from_secs(70)).await;
        assert_eq!(window(Instant::now(), Some(moved), ten_minutes, minute), Duration::from_secs(90));
        // A long bake: never more than evaluation_window.
        tokio::time::advance(Duration::from_secs(3600)).await;
        assert_eq!(window(Instant::now(), Some(moved), ten_minutes, minute), ten_minutes);
        // An evaluation_window under the resolution is one data point.
        assert_eq!(window(Instant::now(), None, Duration::from_secs(10), minute), minute);
        assert_eq!(window(Instant::now(), Some(moved), Duration::ZERO, minute), minute);
    }

    #[test]
    fn the_gate_reads_relative_minutes_and_a_bake_an_absolute_start() {
        assert_eq!(from_param(None, Duration::from_secs(600)), "now-10m");
        assert_eq!(from_param(None, Duration::from_secs(61)), "now-2m");
        let now_ms = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_millis();
        let from: u128 = from_param(Some(Instant::now()), Duration::from_secs(90)).parse().unwrap();
        assert!((now_ms - 90_000..=now_ms - 90_000 + 5_000).contains(&from), "{from} vs {now_ms}");
    }

    #[test]
    fn ids_are_escaped_in_the_path() {
        assert_eq!(path_escape("a1-b_2.c~"), "a1-b_2.c~");
        assert_eq!(path_escape("a/b?c"), "a%2Fb%3Fc");
    }
}
