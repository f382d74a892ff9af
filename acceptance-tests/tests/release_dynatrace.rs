//! The Dynatrace SLO gate with real Terraform, against the AWS emulator and its
//! Dynatrace API model (tools/emulator/dynatrace_api.py): SLOs block, pass, roll a bake back,
//! and every way the environment or the token can be wrong writes nothing. The token
//! comes from Secrets Manager and appears nowhere else.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::sampler::Sampler;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Output, Workdir};
use acceptance_tests::{apply_adopting_release_with_action, describe_rule, write_release};
use std::time::{Duration, Instant};

const TOKEN: &str = "dt0c01.ACCEPTANCE7TOKEN.S3CR3TVALUE0123456789";
const SLO: &str = "7a5c2e19-0c41-3f2b-9d11-5be1c0a1e001";
const PLATFORM_TOKEN: &str = "dt0s16.ACCEPTANCE.PLATFORM.T0KEN";
const WORKFLOW: &str = "3f1c9b52-guardian-workflow";

struct Setup {
    emu: Emulator,
    s: Scaffold,
    wd: Workdir,
    secret_arn: String,
    platform_arn: String,
}

fn slo(status: &str, evaluated: f64) -> serde_json::Value {
    serde_json::json!({"id": SLO, "name": "checkout-availability", "status": status,
        "evaluatedPercentage": evaluated, "target": 99.9, "warning": 99.95})
}

/// Blue live and applied; the Dynatrace environment accepts TOKEN, which a JSON secret
/// holds under DT_API_TOKEN; the SLO starts as `status`.
fn setup(status: &str) -> Setup {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let secret = scaffold::run(&emu, "secret", &["--name", "dynatrace", "--key", "DT_API_TOKEN", "--value", TOKEN]);
    let secret_arn = secret["arn"].as_str().unwrap().to_string();
    let platform = scaffold::run(&emu, "secret", &["--name", "dynatrace-platform", "--value", PLATFORM_TOKEN]);
    let platform_arn = platform["arn"].as_str().unwrap().to_string();
    emu.dynatrace_tokens(&[TOKEN], &[PLATFORM_TOKEN]);
    emu.dynatrace_slo(slo(status, if status == "SUCCESS" { 99.97 } else { 98.5 }));
    let wd = Workdir::new(&emu.endpoint());
    let setup = Setup { emu, s, wd, secret_arn, platform_arn };
    setup.write("blue", "");
    setup.wd.apply();
    setup
}

impl Setup {
    fn dynatrace(&self, slo_ids: &[&str], extra: &str) -> String {
        let ids = slo_ids.iter().map(|i| format!("\"{i}\"")).collect::<Vec<_>>().join(", ");
        format!(
            "    dynatrace {{\n      environment_url      = \"{}\"\n      api_token_secret_arn = \"{}\"\n      api_token_secret_key = \"DT_API_TOKEN\"\n      slo_ids              = [{ids}]\n{extra}    }}\n",
            self.emu.endpoint(),
            self.secret_arn
        )
    }

    /// The release at `color` with `promotion` lines.
    fn write(&self, color: &str, promotion: &str) {
        let body = if promotion.is_empty() {
            format!("  active_color = \"{color}\"")
        } else {
            format!("  active_color = \"{color}\"\n  promotion {{\n{promotion}  }}")
        };
        write_release(&self.wd, &self.emu, &self.s, &body);
    }

    fn promote_with(&self, promotion: &str) {
        self.write("green", promotion);
    }

    fn rule(&self) -> serde_json::Value {
        describe_rule(&self.emu, self.s.rule())
    }

    fn serving(&self) -> Vec<String> {
        acceptance_tests::serving(&self.emu, self.s.rule())
    }

    fn writes(&self) -> i64 {
        self.emu.request_count("ModifyRule")
    }
}

fn apply(wd: &Workdir) -> Output {
    wd.run(&["apply", "-input=false", "-auto-approve", "-no-color"])
}

fn one_line(out: &Output) -> String {
    out.all().replace('\n', " ")
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_slo_in_failure_blocks_the_promotion_and_names_the_slo() {
    let t = setup("FAILURE");
    t.promote_with(&format!("    wait_timeout = \"3s\"\n{}", t.dynatrace(&[SLO], "")));
    let before = t.rule();
    t.emu.reset_requests();
    let out = apply(&t.wd);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Promotion gate refused the switch"), "{err}");
    assert!(
        err.contains("Dynatrace SLO \"checkout-availability\"")
            && err.contains("is FAILURE: 98.5 % against a target of 99.9 %"),
        "names the SLO, its status and its percentage against the target: {err}"
    );
    assert!(err.contains("error budget -1.4 %"), "{err}");
    assert_eq!(t.rule(), before, "the rule is byte-identical");
    assert_eq!(t.writes(), 0);
    assert_eq!(t.wd.plan_exit_code().code, 2, "the promotion is still to do");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn slos_in_success_pass_and_the_token_appears_only_in_the_request_to_dynatrace() {
    let mut t = setup("SUCCESS");
    let second = "0b6d2d5e-2a9f-3c44-8e21-000000000002";
    t.emu.dynatrace_slo(serde_json::json!({"id": second, "name": "checkout-latency", "status": "SUCCESS",
        "evaluatedPercentage": 99.5, "target": 95.0}));
    t.promote_with(&format!("    wait_timeout = \"30s\"\n{}", t.dynatrace(&[SLO, second], "")));
    // One 429 first: the gate waits out its Retry-After, inside wait_timeout.
    t.emu.dynatrace_throttle(1, 1);
    let log = t.wd.path().join("trace.log");
    t.wd.set_env("TF_LOG", "TRACE");
    t.wd.set_env("TF_LOG_PATH", &log.display().to_string());
    let plan = t.wd.run(&["plan", "-input=false", "-no-color", "-out=promote.tfplan"]);
    assert_eq!(plan.code, 0, "{}", plan.all());
    let started = Instant::now();
    let out = t.wd.run(&["apply", "-input=false", "-no-color", "promote.tfplan"]);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(started.elapsed() >= Duration::from_secs(1), "the Retry-After was waited out");
    assert_eq!(t.serving(), [t.s.green_tg.clone()]);

    let seen = t.emu.dynatrace_requests();
    let slo_reads: Vec<_> =
        seen.iter().filter(|r| r["path"].as_str().unwrap_or("").starts_with("/api/v2/slo/")).collect();
    assert!(slo_reads.len() >= 3, "a throttled read and one per SLO: {seen:?}");
    for r in &slo_reads {
        assert_eq!(r["authorization"], format!("Api-Token {TOKEN}"), "{r}");
        assert!(r["query"].as_str().unwrap().contains("timeFrame=GTF"), "{r}");
        assert!(r["query"].as_str().unwrap().contains("from=now-10m"), "{r}");
    }
    let show = t.wd.ok(&["show", "-json", "promote.tfplan"]).stdout;
    let state = std::fs::read_to_string(t.wd.path().join("terraform.tfstate")).unwrap();
    let plan_file = std::fs::read(t.wd.path().join("promote.tfplan")).unwrap();
    let trace = std::fs::read_to_string(&log).unwrap();
    assert!(trace.contains("Dynatrace SLO read"), "TRACE logging of the provider was on");
    for (what, text) in [
        ("plan output", plan.all()),
        ("apply output", out.all()),
        ("plan JSON", show),
        ("state", state),
        ("plan file", String::from_utf8_lossy(&plan_file).into_owned()),
        ("TRACE log", trace),
    ] {
        assert!(!text.contains(TOKEN) && !text.contains("S3CR3TVALUE"), "the token leaked into the {what}");
    }
    t.wd.set_env("TF_LOG", "");
    assert_eq!(t.wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_slo_that_fails_during_the_bake_rolls_traffic_back_and_is_named() {
    let t = setup("SUCCESS");
    t.promote_with(&format!("    wait_timeout = \"30s\"\n    bake_time    = \"8s\"\n{}", t.dynatrace(&[SLO], "")));
    let child = t.wd.applying();
    let deadline = Instant::now() + Duration::from_secs(60);
    while t.serving() != [t.s.green_tg.clone()] {
        assert!(Instant::now() < deadline, "traffic never moved to green");
        std::thread::sleep(Duration::from_millis(100));
    }
    // Green took the traffic; its SLO breaks during the bake.
    t.emu.dynatrace_slo(slo("FAILURE", 97.25));
    let out = Output::finish(child);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
    assert!(err.contains("Dynatrace SLO \"checkout-availability\"") && err.contains("is FAILURE: 97.25 %"), "{err}");
    assert_eq!(t.serving(), [t.s.blue_tg.clone()], "traffic is back on blue");
    assert_eq!(t.wd.plan_exit_code().code, 2, "state matches live: the promotion is still to do");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_wrong_slo_id_token_environment_or_secret_key_is_a_clear_error_and_writes_nothing() {
    let t = setup("SUCCESS");
    let wrong =
        scaffold::run(&t.emu, "secret", &["--name", "wrong", "--key", "DT_API_TOKEN", "--value", "dt0c01.WRONG"]);
    let wrong_arn = wrong["arn"].as_str().unwrap().to_string();
    let good = t.dynatrace(&[SLO], "");
    let cases: Vec<(&str, String, Vec<String>)> = vec![
        (
            "unknown SLO id",
            t.dynatrace(&["no-such-slo"], ""),
            vec!["Dynatrace SLO not found".into(), "\"no-such-slo\"".into()],
        ),
        (
            "bad token",
            good.replace(&t.secret_arn, &wrong_arn),
            vec!["Dynatrace refused the API token".into(), "401".into(), wrong_arn.clone(), "\"DT_API_TOKEN\"".into()],
        ),
        (
            "unreachable environment",
            good.replace(&t.emu.endpoint(), "http://127.0.0.1:1"),
            vec!["Dynatrace unreachable".into(), "http://127.0.0.1:1".into()],
        ),
        (
            "secret without the key",
            good.replace("api_token_secret_key = \"DT_API_TOKEN\"", "api_token_secret_key = \"DT_TOKEN\""),
            vec![
                "Dynatrace token not found in the secret".into(),
                "no string key \"DT_TOKEN\"".into(),
                t.secret_arn.clone(),
            ],
        ),
    ];
    for (case, dynatrace, expected) in cases {
        t.promote_with(&format!("    wait_timeout = \"10s\"\n{dynatrace}"));
        t.emu.reset_requests();
        let before = t.rule();
        let out = apply(&t.wd);
        assert_eq!(out.code, 1, "{case}: {}", out.all());
        let err = one_line(&out);
        for e in &expected {
            assert!(err.contains(e.as_str()), "{case}: {e:?} missing in {err}");
        }
        assert!(err.contains("Nothing was written"), "{case}: {err}");
        assert!(!err.contains("dt0c01.WRONG") && !err.contains(TOKEN), "{case}: a token in the error: {err}");
        assert_eq!(t.writes(), 0, "{case}: nothing written");
        assert_eq!(t.rule(), before, "{case}");
    }
}

impl Setup {
    fn guardian(&self, wait: &str) -> String {
        let extra = format!(
            "      guardian_workflow_id      = \"{WORKFLOW}\"\n      platform_url              = \"{}\"\n      platform_token_secret_arn = \"{}\"\n",
            self.emu.endpoint(),
            self.platform_arn
        );
        format!("    wait_timeout = \"{wait}\"\n{}", self.dynatrace(&[SLO], &extra))
    }
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_site_reliability_guardian_pass_promotes_a_fail_refuses_with_its_summary_and_a_slow_run_refuses() {
    let t = setup("SUCCESS");
    // fail: refused, quoting the guardian's summary; nothing written.
    t.emu.dynatrace_guardian(WORKFLOW, "fail", serde_json::json!({"pass": 3, "warning": 0, "fail": 1, "error": 0}), 1);
    t.promote_with(&t.guardian("30s"));
    t.emu.reset_requests();
    let out = apply(&t.wd);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Site Reliability Guardian validation"), "{err}");
    assert!(err.contains("is fail: objectives 1 fail, 0 error, 0 warning, 3 pass"), "quotes the summary: {err}");
    assert_eq!(t.writes(), 0);
    assert_eq!(t.serving(), [t.s.blue_tg.clone()]);

    // A run that does not finish within wait_timeout: refused, nothing written.
    t.emu.dynatrace_guardian(WORKFLOW, "pass", serde_json::json!({"pass": 4}), 1000);
    t.promote_with(&t.guardian("3s"));
    let out = apply(&t.wd);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = one_line(&out);
    assert!(err.contains("Promotion gate refused the switch") && err.contains("is RUNNING"), "{err}");
    assert!(err.contains("promotion.wait_timeout is 3s"), "{err}");
    assert_eq!(t.writes(), 0);

    // pass: promoted, through the platform API with the platform token (Bearer).
    t.emu.dynatrace_guardian(WORKFLOW, "pass", serde_json::json!({"pass": 4}), 2);
    t.promote_with(&t.guardian("30s"));
    let out = apply(&t.wd);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(t.serving(), [t.s.green_tg.clone()]);
    let runs: Vec<_> = t
        .emu
        .dynatrace_requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/platform/automation/v1/"))
        .collect();
    assert!(
        runs.iter()
            .any(|r| r["method"] == "POST" && r["path"] == format!("/platform/automation/v1/workflows/{WORKFLOW}/run"))
    );
    assert!(runs.iter().all(|r| r["authorization"] == format!("Bearer {PLATFORM_TOKEN}")), "{runs:?}");
    assert!(!out.all().contains(PLATFORM_TOKEN));
    assert_eq!(t.wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn the_promote_action_uses_the_same_slo_gate_and_says_each_slos_status_while_it_waits() {
    let t = setup("FAILURE");
    let promotion = format!("    promotion {{\n      wait_timeout = \"3s\"\n{}    }}", t.dynatrace(&[SLO], ""));
    apply_adopting_release_with_action(&t.wd, &t.emu, &t.s, "bluegreen_ecs_promote", &promotion);
    t.emu.reset_requests();
    let out =
        t.wd.run(&["apply", "-invoke=action.bluegreen_ecs_promote.app", "-auto-approve", "-input=false", "-no-color"]);
    assert_ne!(out.code, 0, "{}", out.all());
    assert!(
        out.stdout.lines().any(|l| l.starts_with("Action action.bluegreen_ecs_promote.app (")
            && l.contains("SLO checkout-availability FAILURE 98.5 % (target 99.9 %)")),
        "a progress line with the SLO's status: {}",
        out.all()
    );
    assert!(one_line(&out).contains("Dynatrace SLO \"checkout-availability\""), "{}", out.all());
    assert_eq!(t.writes(), 0);
    assert_eq!(t.serving(), [t.s.blue_tg.clone()]);
}

/// The SLO reads the emulator got, in order (see tools/emulator/dynatrace_api.py for the fields).
fn slo_reads(emu: &Emulator) -> Vec<serde_json::Value> {
    emu.dynatrace_requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/api/v2/slo/"))
        .collect()
}

fn ms(v: &serde_json::Value) -> i64 {
    v.as_i64().unwrap_or_else(|| panic!("not a number: {v}"))
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_429_a_503_and_a_dropped_connection_at_the_end_of_a_bake_are_waited_out_and_traffic_stays_on_green() {
    let t = setup("SUCCESS");
    t.promote_with(&format!("    wait_timeout = \"30s\"\n    bake_time    = \"4s\"\n{}", t.dynatrace(&[SLO], "")));
    // The gate's read and the bake's first answer; the bake's last read, the one that
    // decides it, is throttled (Retry-After: 1), its retry gets a 503, the next one's
    // connection is dropped with no answer (0), and the one after answers.
    t.emu.dynatrace_faults("slo", &[200, 200, 429, 503, 0], 1);
    let sampler = Sampler::start(&t.emu, &t.s);
    let out = apply(&t.wd);
    let seen = sampler.stop();
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(seen, [0, 100], "a second reader saw green take the traffic and keep it");
    assert_eq!(t.serving(), [t.s.green_tg.clone()]);
    let reads = slo_reads(&t.emu);
    // A dropped request was never answered: no status.
    let statuses: Vec<i64> = reads.iter().map(|r| r["status"].as_i64().unwrap_or(0)).collect();
    assert_eq!(statuses, [200, 200, 429, 503, 0, 200], "{reads:?}");
    let at: Vec<i64> = reads.iter().map(|r| ms(&r["at_ms"])).collect();
    assert!(at[2] - at[1] >= 3_900, "the throttled read was the bake's last, 4 s in: {at:?}");
    assert!(at[3] - at[2] >= 1_000, "Retry-After: 1 was waited out: {at:?}");
    assert!(at[4] - at[3] >= 1_000, "the 503 was retried after a pause: {at:?}");
    assert!(at[5] - at[4] >= 1_000, "the dropped connection too: {at:?}");
    assert_eq!(t.wd.plan_exit_code().code, 0, "state records green");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_dynatrace_that_stays_throttled_past_the_deadline_rolls_back_and_says_so() {
    let t = setup("SUCCESS");
    let promotion = format!("    wait_timeout = \"30s\"\n    bake_time    = \"3s\"\n{}", t.dynatrace(&[SLO], ""));
    let body = format!(
        "  active_color = \"green\"\n  promotion {{\n{promotion}  }}\n  timeouts {{\n    update = \"15s\"\n  }}"
    );
    write_release(&t.wd, &t.emu, &t.s, &body);
    let mut answers = vec![200, 200];
    answers.extend([429; 200]);
    t.emu.dynatrace_faults("slo", &answers, 1);
    let sampler = Sampler::start(&t.emu, &t.s);
    let started = Instant::now();
    let out = apply(&t.wd);
    let seen = sampler.stop();
    assert_eq!(out.code, 1, "{}", out.all());
    assert!(started.elapsed() >= Duration::from_secs(13), "it kept asking until the deadline");
    let err = one_line(&out);
    assert!(err.contains("Bake failed; traffic rolled back"), "{err}");
    assert!(
        err.contains("Dynatrace stayed unreachable or throttled until the update timeout ran out")
            && err.contains("(429, Retry-After 1s)")
            && err.contains("no SLO was seen failing"),
        "says Dynatrace never answered, not that an SLO failed: {err}"
    );
    assert_eq!(seen, [0, 100, 0], "rolled back once the deadline came");
    assert_eq!(t.serving(), [t.s.blue_tg.clone()]);
    let throttled = slo_reads(&t.emu).iter().filter(|r| r["status"] == 429).count();
    assert!(throttled >= 5, "retried about once a second (Retry-After: 1): {throttled}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_guardian_request_throttled_or_failing_transiently_is_asked_again_and_the_promotion_completes() {
    let t = setup("SUCCESS");
    t.emu.dynatrace_guardian(WORKFLOW, "pass", serde_json::json!({"pass": 4}), 1);
    // The run's start is throttled (Retry-After: 1), then fails with a 503.
    t.emu.dynatrace_faults("automation", &[429, 503], 1);
    t.promote_with(&t.guardian("30s"));
    let sampler = Sampler::start(&t.emu, &t.s);
    let out = apply(&t.wd);
    let seen = sampler.stop();
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(seen, [0, 100]);
    assert_eq!(t.serving(), [t.s.green_tg.clone()]);
    let runs: Vec<(String, i64)> = t
        .emu
        .dynatrace_requests()
        .into_iter()
        .filter(|r| r["path"].as_str().unwrap_or("").starts_with("/platform/automation/v1/"))
        .map(|r| (r["method"].as_str().unwrap_or("").to_string(), ms(&r["status"])))
        .collect();
    assert_eq!(
        runs[..3],
        [("POST".to_string(), 429), ("POST".to_string(), 503), ("POST".to_string(), 201)],
        "the start was asked again after each transient answer: {runs:?}"
    );
    assert_eq!(runs.iter().filter(|(m, s)| m == "POST" && *s == 201).count(), 1, "one run: {runs:?}");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn each_steps_slos_are_read_over_a_window_that_starts_when_its_traffic_moved() {
    let mut t = setup("SUCCESS");
    // One data point per second instead of per minute, so that seconds-long steps show
    // the window's start (the provider's floor is the metrics' resolution).
    t.wd.set_env("BLUEGREEN_SLO_INTERVAL_MS", "1000");
    let linear =
        "    strategy = \"linear\"\n    linear {\n      step_percent   = 50\n      step_bake_time = \"4s\"\n    }\n";
    t.promote_with(&format!(
        "    wait_timeout = \"30s\"\n    bake_time    = \"4s\"\n{linear}{}",
        t.dynatrace(&[SLO], "")
    ));
    let sampler = Sampler::start(&t.emu, &t.s);
    let out = apply(&t.wd);
    let changes = sampler.changes();
    assert_eq!(sampler.stop(), [0, 50, 100]);
    assert_eq!(out.code, 0, "{}", out.all());
    let moved = |share: i64| changes.iter().find(|(_, s)| *s == share).map(|(at, _)| *at as i64).unwrap();
    let (step1, step2) = (moved(50), moved(100));
    let reads = slo_reads(&t.emu);
    let mut baked = [0, 0];
    for r in &reads {
        let (at, from, query) = (ms(&r["at_ms"]), ms(&r["from_ms"]), r["query"].as_str().unwrap());
        if query.contains("from=now-10m") {
            // The gate before a write reads the whole evaluation_window.
            continue;
        }
        // A bake's read: from its step's move (epoch ms; the second reader sees a move up
        // to a sample, 50 ms, and a read after it landed), or one resolution (1 s here)
        // back while the step is younger than that; never the whole 10 minutes.
        assert!(at > step1 - 600, "an absolute window only during a bake: {r}");
        if let Some(i) = [step1, step2].iter().position(|moved| (from - moved).abs() <= 600) {
            // Well after the move, so the window is the step's, not one resolution back.
            if at - from >= 1_500 {
                baked[i] += 1;
            }
        } else {
            assert!(
                (from - (at - 1_000)).abs() <= 200,
                "from {from}: not a step's start ({step1}, {step2}) nor 1 s back: {r}"
            );
        }
    }
    assert!(baked[0] >= 1 && baked[1] >= 1, "reads from the step's start in both bakes: {baked:?} {reads:?}");
    assert!(
        reads.iter().filter(|r| r["query"].as_str().unwrap().contains("from=now-10m")).count() >= 2,
        "the gates before each write read evaluation_window: {reads:?}"
    );
}
