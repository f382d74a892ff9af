//! The HTTP side of every Dynatrace check: one client, one request with its bound,
//! and which answers are transient (a 429 with its `Retry-After`, a 5xx, no answer in
//! time, and during a bake no connection) or a wrong environment URL. The SLO and
//! guardian checks build on it; it knows neither.

use crate::errors::{Error, Result};
use http_body_util::{BodyExt, Full};
use hyper::body::Bytes;
use std::time::Duration;
use tokio::time::Instant;

/// One request's bound: an environment that does not answer is not waited on forever.
pub const REQUEST_TIMEOUT: Duration = Duration::from_secs(15);

/// The least pause after a transient answer before the next request (a 5xx or a
/// timeout carries no Retry-After; a 429 without one waits [`DEFAULT_RETRY_AFTER`]).
pub const TRANSIENT_PAUSE: Duration = Duration::from_secs(1);

/// What a 429 without a usable `Retry-After` waits.
pub const DEFAULT_RETRY_AFTER: Duration = Duration::from_secs(10);

type Https = hyper_rustls::HttpsConnector<hyper_util::client::legacy::connect::HttpConnector>;
pub type HttpClient = hyper_util::client::legacy::Client<Https, Full<Bytes>>;

/// One answer from Dynatrace: its status, `Retry-After` (seconds) and JSON body (null
/// when it has none). Status 0: no answer in time, or (with `unreachable`) no
/// connection at all.
pub struct HttpAnswer {
    pub status: u16,
    pub retry_after: Option<u64>,
    pub json: serde_json::Value,
    /// Why the environment could not be reached (a refused or reset connection, DNS).
    pub unreachable: Option<String>,
}

impl HttpAnswer {
    fn none(unreachable: Option<String>) -> HttpAnswer {
        HttpAnswer { status: 0, retry_after: None, json: serde_json::Value::Null, unreachable }
    }

    /// The `error.message` of Dynatrace's error envelope.
    pub fn message(&self) -> String {
        self.json["error"]["message"].as_str().unwrap_or("").to_string()
    }

    /// Why this answer says nothing yet, and how long to wait before asking again, when
    /// it is transient: a 429 (its Retry-After), a 5xx, no answer in time, or (with
    /// `connection_is_transient`) no connection. `what` names the request.
    pub fn transient(&self, what: &str, env_url: &str, connection_is_transient: bool) -> Option<(String, Duration)> {
        match self.status {
            0 => match &self.unreachable {
                Some(why) if connection_is_transient => {
                    Some((format!("Dynatrace at {env_url} could not be reached for {what}: {why}"), TRANSIENT_PAUSE))
                }
                Some(_) => None,
                None => Some((
                    format!("Dynatrace at {env_url} did not answer {what} within {}s", REQUEST_TIMEOUT.as_secs()),
                    TRANSIENT_PAUSE,
                )),
            },
            429 => {
                let wait =
                    self.retry_after.map(|s| Duration::from_secs(s.clamp(1, 300))).unwrap_or(DEFAULT_RETRY_AFTER);
                Some((format!("Dynatrace throttled {what} (429, Retry-After {}s)", wait.as_secs()), wait))
            }
            s if s >= 500 => Some((format!("Dynatrace answered {s} to {what}"), TRANSIENT_PAUSE)),
            _ => None,
        }
    }
}

/// Sends one request with `authorization`. An environment that cannot be reached, or
/// that does not answer in time, gives an answer of status 0 (see [`HttpAnswer`]).
pub async fn send(
    http: &HttpClient,
    method: &str,
    url: &str,
    authorization: &str,
    body: Option<serde_json::Value>,
    env_url: &str,
) -> Result<HttpAnswer> {
    let bytes = body.map(|b| Bytes::from(b.to_string())).unwrap_or_default();
    let request = hyper::Request::builder()
        .method(method)
        .uri(url)
        .header("Authorization", authorization)
        .header("Accept", "application/json")
        .header("Content-Type", "application/json")
        .body(Full::new(bytes))
        .map_err(|e| Error::Gate {
            summary: "Dynatrace request not valid".into(),
            detail: format!("A request to {env_url} could not be built: {e}. Check the URL. Nothing was written."),
        })?;
    let response = match tokio::time::timeout(REQUEST_TIMEOUT, http.request(request)).await {
        Err(_) => return Ok(HttpAnswer::none(None)),
        Ok(Err(e)) => return Ok(HttpAnswer::none(Some(error_chain(&e)))),
        Ok(Ok(r)) => r,
    };
    let status = response.status().as_u16();
    let retry_after =
        response.headers().get("Retry-After").and_then(|v| v.to_str().ok()).and_then(|v| v.trim().parse::<u64>().ok());
    let body = match tokio::time::timeout(REQUEST_TIMEOUT, response.into_body().collect()).await {
        Ok(Ok(b)) => b.to_bytes(),
        // An answer cut short is no answer: transient, as a timeout is.
        _ => return Ok(HttpAnswer::none(None)),
    };
    let json = serde_json::from_slice(&body).unwrap_or(serde_json::Value::Null);
    Ok(HttpAnswer { status, retry_after, json, unreachable: None })
}

pub fn http_client() -> Result<HttpClient> {
    let https = hyper_rustls::HttpsConnectorBuilder::new()
        .with_provider_and_native_roots(rustls::crypto::aws_lc_rs::default_provider())
        .map_err(|e| Error::Gate {
            summary: "Dynatrace client not available".into(),
            detail: format!("The system's TLS root certificates could not be loaded: {e}. Nothing was written."),
        })?
        .https_or_http()
        .enable_http1()
        .build();
    Ok(hyper_util::client::legacy::Client::builder(hyper_util::rt::TokioExecutor::new()).build(https))
}

/// `attr`: the attribute that names `url` (`environment_url`, `platform_url`).
pub fn unreachable_env(url: &str, attr: &str, why: &str) -> Error {
    Error::Gate {
        summary: "Dynatrace unreachable".into(),
        detail: format!(
            "The Dynatrace environment {url} (promotion.dynatrace.{attr}) could not be reached: {why}. Check the URL and that this network can reach it. Nothing was written."
        ),
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut parts = vec![e.to_string()];
    let mut source = e.source();
    while let Some(s) = source {
        parts.push(s.to_string());
        source = s.source();
    }
    parts.dedup();
    parts.join(": ")
}

/// The pause after a transient answer: no request before it ends, and each read until
/// then says why, with the seconds left.
#[derive(Default)]
pub struct Pause(Option<(Instant, String)>);

impl Pause {
    /// While the pause lasts: why, and how long is left (`...; retrying in 3s`).
    pub fn pending(&self) -> Option<String> {
        let now = Instant::now();
        let (until, why) = self.0.as_ref().filter(|(until, _)| now < *until)?;
        Some(format!("{why}; retrying in {}s", (*until - now).as_secs().max(1)))
    }

    /// Starts a pause of `pause` after a transient answer; answers why, with the pause.
    pub fn start(&mut self, why: String, pause: Duration) -> String {
        let said = format!("{why}; retrying in {}s", pause.as_secs().max(1));
        self.0 = Some((Instant::now() + pause, why));
        said
    }

    /// An answer that tells: no pause.
    pub fn end(&mut self) {
        self.0 = None;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_429_5xx_or_no_answer_is_transient_and_a_429_waits_its_retry_after() {
        let answer = |status: u16, retry_after: Option<u64>, unreachable: Option<&str>| HttpAnswer {
            status,
            retry_after,
            json: serde_json::Value::Null,
            unreachable: unreachable.map(str::to_string),
        };
        let t = |a: HttpAnswer, bake: bool| a.transient("the read of SLO s", "https://dt", bake);
        assert_eq!(
            t(answer(429, Some(3), None), false),
            Some(("Dynatrace throttled the read of SLO s (429, Retry-After 3s)".into(), Duration::from_secs(3)))
        );
        assert_eq!(t(answer(429, None, None), false).map(|(_, d)| d), Some(DEFAULT_RETRY_AFTER));
        assert_eq!(
            t(answer(503, None, None), false),
            Some(("Dynatrace answered 503 to the read of SLO s".into(), TRANSIENT_PAUSE))
        );
        assert!(t(answer(0, None, None), false).unwrap().0.contains("did not answer the read of SLO s within 15s"));
        // No connection: transient during a bake only.
        assert_eq!(t(answer(0, None, Some("connection refused")), false), None);
        assert!(t(answer(0, None, Some("connection refused")), true).unwrap().0.contains("connection refused"));
        for status in [200, 401, 403, 404, 400] {
            assert_eq!(t(answer(status, None, None), true), None, "{status}");
        }
    }
}
