//! One moto emulator process per test, started through `tools/emulator/emulator.py`.

use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct Emulator {
    child: Child,
    pub port: u16,
    _dir: TempDir,
}

/// A directory removed on drop.
pub struct TempDir(pub PathBuf);

impl TempDir {
    pub fn new(prefix: &str) -> TempDir {
        let base = std::env::temp_dir().join("bluegreen-acc");
        std::fs::create_dir_all(&base).expect("create temp base");
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap().as_nanos();
        let dir = base.join(format!("{prefix}-{}-{nanos}", std::process::id()));
        std::fs::create_dir_all(&dir).expect("create temp dir");
        TempDir(dir)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("BLUEGREEN_KEEP_TEST_DIRS").is_none() {
            let _ = std::fs::remove_dir_all(&self.0);
        }
    }
}

pub fn python() -> PathBuf {
    std::env::var_os("BLUEGREEN_PYTHON")
        .map(PathBuf::from)
        .unwrap_or_else(|| crate::repo_root().join(".venv/bin/python"))
}

impl Emulator {
    pub fn start() -> Emulator {
        Emulator::start_with_env(&[])
    }

    /// Starts the emulator with extra environment, e.g. `BLUEGREEN_EMULATOR_TIME_SCALE`
    /// (ECS rollouts are modelled; moto's `MOTO_ECS_SERVICE_RUNNING` switch is removed).
    pub fn start_with_env(env: &[(&str, &str)]) -> Emulator {
        let dir = TempDir::new("emulator");
        let port_file = dir.0.join("port");
        let script = crate::repo_root().join("tools/emulator/emulator.py");
        let mut cmd = Command::new(python());
        cmd.arg(&script)
            .args(["--port", "0", "--quiet", "--exit-with-parent", "--port-file"])
            .arg(&port_file)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::inherit());
        for (k, v) in env {
            cmd.env(k, v);
        }
        let mut child = cmd.spawn().unwrap_or_else(|e| {
            panic!(
                "cannot start {} {}: {e} (run tools/setup-python.sh, or `make test`)",
                python().display(),
                script.display()
            )
        });
        let deadline = Instant::now() + Duration::from_secs(60);
        let port = loop {
            if let Ok(text) = std::fs::read_to_string(&port_file)
                && let Ok(p) = text.trim().parse::<u16>()
            {
                break p;
            }
            if let Some(status) = child.try_wait().unwrap() {
                panic!("emulator exited before it was ready: {status}");
            }
            assert!(Instant::now() < deadline, "emulator not ready after 60s");
            std::thread::sleep(Duration::from_millis(50));
        };
        Emulator { child, port, _dir: dir }
    }

    pub fn endpoint(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    fn control(&self, method: &str, path: &str, body: Option<&str>) -> serde_json::Value {
        // A tiny HTTP/1.1 client: the control API is local, small and JSON.
        use std::io::{Read, Write};
        let mut s = std::net::TcpStream::connect(("127.0.0.1", self.port)).expect("connect to emulator");
        s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
        let body = body.unwrap_or("");
        write!(
            s,
            "{method} /_bluegreen{path} HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
            body.len()
        )
        .unwrap();
        let mut resp = String::new();
        s.read_to_string(&mut resp).expect("read emulator response");
        let (head, payload) = resp.split_once("\r\n\r\n").unwrap_or((&resp, ""));
        assert!(
            head.starts_with("HTTP/1.1 2") || head.starts_with("HTTP/1.0 2"),
            "emulator control {method} {path}: {head}"
        );
        serde_json::from_str(payload).unwrap_or(serde_json::Value::Null)
    }

    /// `{"total": N, "by_action": {...}}` since the last reset.
    pub fn requests(&self) -> serde_json::Value {
        self.control("GET", "/requests", None)
    }

    /// How many `action` requests (e.g. "ModifyRule") the emulator got since the last reset.
    pub fn request_count(&self, action: &str) -> i64 {
        self.requests()["by_action"][action].as_i64().unwrap_or(0)
    }

    pub fn reset_requests(&self) {
        self.control("POST", "/requests/reset", None);
    }

    /// Adds a fault (see tools/emulator/emulator.py for the shape).
    pub fn inject_fault(&self, fault: serde_json::Value) {
        self.control("POST", "/faults", Some(&fault.to_string()));
    }

    pub fn clear_faults(&self) {
        self.control("DELETE", "/faults", None);
    }

    /// Real seconds per modelled AWS second (default 0.01: a 30 s health-check interval
    /// takes 0.3 s; new targets are healthy after 5 x 30 s = 1.5 s).
    pub fn time_scale(&self) -> f64 {
        self.control("GET", "/health", None)["time_scale"].as_f64().unwrap_or(0.01)
    }

    /// Every target of `tg` fails its health checks: `unhealthy` with `reason` (e.g.
    /// `Target.ResponseCodeMismatch`, `Target.Timeout`), also targets registered later,
    /// until [`Emulator::recover_targets`].
    pub fn fail_targets(&self, tg: &str, reason: &str) -> serde_json::Value {
        let body = serde_json::json!({"target_group_arn": tg, "reason": reason});
        self.control("POST", "/targets/fail", Some(&body.to_string()))
    }

    /// One target (`target_id`, e.g. `10.0.1.10`) of `tg` fails with `reason`.
    pub fn fail_target(&self, tg: &str, target_id: &str, reason: &str) -> serde_json::Value {
        let body = serde_json::json!({"target_group_arn": tg, "target_id": target_id, "reason": reason});
        self.control("POST", "/targets/fail", Some(&body.to_string()))
    }

    /// The failed targets of `tg` pass their checks again: still `unhealthy` until they
    /// have passed HealthyThresholdCount checks (1.5 s by default), then `healthy`.
    pub fn recover_targets(&self, tg: &str) -> serde_json::Value {
        let body = serde_json::json!({"target_group_arn": tg});
        self.control("POST", "/targets/recover", Some(&body.to_string()))
    }

    /// The emulator's model of `tg`'s target health: `{"in_use", "load_balancer_arns",
    /// "healthy_after_aws_seconds", "time_scale", "targets": [{"id", "state", "reason"}]}`.
    pub fn target_health_model(&self, tg: &str) -> serde_json::Value {
        self.control("GET", &format!("/targets?target_group_arn={tg}"), None)
    }

    /// How long a weight change of an NLB listener takes to reach its data plane, in real
    /// seconds at this emulator's time scale (tools/emulator/aws_nlb.py).
    pub fn set_nlb_propagation_delay(&self, real_seconds: f64) -> serde_json::Value {
        let body = serde_json::json!({"aws_seconds": real_seconds / self.time_scale()});
        self.control("POST", "/nlb/propagation-delay", Some(&body.to_string()))
    }

    /// What an NLB listener's data plane serves now and what is configured:
    /// `{"served": [{"target_group_arn", "weight"}], "configured": [...], "settled", ...}`.
    pub fn nlb_served(&self, listener_arn: &str) -> serde_json::Value {
        self.control("GET", &format!("/nlb/served?listener_arn={listener_arn}"), None)
    }

    /// The ECS service's current (PRIMARY) deployment becomes `FAILED` with `reason` as
    /// its rolloutStateReason.
    pub fn fail_rollout(&self, cluster: &str, service: &str, reason: &str) -> serde_json::Value {
        let body = serde_json::json!({"cluster": cluster, "service": service, "reason": reason});
        self.control("POST", "/ecs/fail-rollout", Some(&body.to_string()))
    }

    /// Starts (`IN_PROGRESS`) or finishes (`COMPLETED`) an ECS native blue/green
    /// deployment of the service, held open until finished (tools/emulator/aws_ecs_rollouts.py).
    pub fn native_deployment(&self, cluster: &str, service: &str, state: &str) -> serde_json::Value {
        let body = serde_json::json!({"cluster": cluster, "service": service, "state": state});
        self.control("POST", "/ecs/native-deployment", Some(&body.to_string()))
    }

    /// Sets the status of CodeDeploy deployment group `application`/`group`'s open
    /// deployment (`InProgress`, `Ready`, `Baking`..., one is created if none is open), or
    /// ends its open ones (`Succeeded`, `Failed`, `Stopped`): `tools/emulator/aws_codedeploy.py`.
    pub fn code_deploy_deployment(&self, application: &str, group: &str, status: &str) -> serde_json::Value {
        let body = serde_json::json!({"application": application, "deployment_group": group, "status": status});
        self.control("POST", "/codedeploy/deployment", Some(&body.to_string()))
    }

    /// The Dynatrace API tokens and platform tokens the emulated environment accepts
    /// (tools/emulator/dynatrace_api.py).
    pub fn dynatrace_tokens(&self, api: &[&str], platform: &[&str]) {
        let body = serde_json::json!({"api_tokens": api, "platform_tokens": platform});
        self.control("POST", "/dynatrace/tokens", Some(&body.to_string()));
    }

    /// Runs of the workflow stay RUNNING for `running_polls` execution reads, then end
    /// SUCCESS with a guardian validation of `status` and `summary` (objectives per status).
    pub fn dynatrace_guardian(&self, workflow_id: &str, status: &str, summary: serde_json::Value, running_polls: u32) {
        let body = serde_json::json!({"workflow_id": workflow_id, "validation_status": status,
            "validation_summary": summary, "running_polls": running_polls});
        self.control("POST", "/dynatrace/guardian", Some(&body.to_string()));
    }

    /// Defines or changes a Dynatrace SLO: `{"id", "name", "status", "evaluatedPercentage",
    /// "target", "warning"?, "errorBudget"?, "error"?}`.
    pub fn dynatrace_slo(&self, slo: serde_json::Value) {
        self.control("POST", "/dynatrace/slo", Some(&slo.to_string()));
    }

    /// The next `count` SLO reads answer 429 with `Retry-After: retry_after`.
    pub fn dynatrace_throttle(&self, count: u32, retry_after: u32) {
        let body = serde_json::json!({"count": count, "retry_after": retry_after});
        self.control("POST", "/dynatrace/throttle", Some(&body.to_string()));
    }

    /// The next requests of `api` (`slo`: SLO reads; `automation`: the workflow API)
    /// answer `answers` in turn (200 as usual, 429 with `Retry-After: retry_after`, a 5xx,
    /// or 0: the connection is closed with no answer), then as usual again.
    pub fn dynatrace_faults(&self, api: &str, answers: &[u16], retry_after: u32) {
        let body = serde_json::json!({"api": api, "answers": answers, "retry_after": retry_after});
        self.control("POST", "/dynatrace/faults", Some(&body.to_string()));
    }

    /// Every request the Dynatrace API got: `[{"method", "path", "query", "authorization",
    /// "status", "at_ms", "from_ms", "to_ms"}]` (see tools/emulator/dynatrace_api.py).
    pub fn dynatrace_requests(&self) -> Vec<serde_json::Value> {
        self.control("GET", "/dynatrace/requests", None)["requests"].as_array().cloned().unwrap_or_default()
    }

    /// Registers (or replaces) a Lambda function that answers `answers` in order, the
    /// last repeating (tools/emulator/aws_lambda_invoke.py): each a JSON value it returns, or
    /// `{"function_error": "Unhandled", "errorMessage": ..}` for a throw.
    pub fn lambda_function(&self, name: &str, answers: serde_json::Value) {
        let body = serde_json::json!({"name": name, "answers": answers});
        self.control("POST", "/lambda/function", Some(&body.to_string()));
    }

    /// Every invocation of the function, in order: `[{"payload", "at" (epoch seconds),
    /// "invocation_type", "qualifier", "answer"}]`.
    pub fn lambda_invocations(&self, name: &str) -> Vec<serde_json::Value> {
        self.control("GET", &format!("/lambda/invocations?name={name}"), None)["invocations"]
            .as_array()
            .cloned()
            .unwrap_or_default()
    }

    /// An AWS SDK config pointed at this emulator, with dummy credentials.
    pub async fn sdk_config(&self) -> aws_config::SdkConfig {
        aws_config::defaults(aws_config::BehaviorVersion::latest())
            .region(aws_config::Region::new("us-east-1"))
            .endpoint_url(self.endpoint())
            .credentials_provider(aws_sdk_ecs::config::Credentials::new("testing", "testing", None, None, "acceptance"))
            .load()
            .await
    }
}

impl Drop for Emulator {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
