//! The actions `bluegreen_ecs_promote` and `bluegreen_ecs_rollback` (Terraform 1.14+),
//! invoked by real Terraform (`terraform apply -invoke=action.TYPE.NAME`, and an
//! `action_trigger` on the release) against the emulator: progress is streamed while
//! the gate waits and the bake runs, the gate, compare-before-write and rollback are the
//! resource's, and the release resource sees the result as adopt or enforce mode says.

use acceptance_tests::emulator::Emulator;
use acceptance_tests::scaffold::{self, Scaffold};
use acceptance_tests::terraform::{Output, Workdir};
use acceptance_tests::{describe_rule, forward_weights_sorted, no_provider_bug, serving, write_release_and_actions};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

const PROMOTE: &str = "bluegreen_ecs_promote";
const ROLLBACK: &str = "bluegreen_ecs_rollback";

fn invoke_args(kind: &str) -> Vec<String> {
    ["apply", &format!("-invoke=action.{kind}.app"), "-auto-approve", "-input=false", "-no-color"]
        .iter()
        .map(|s| s.to_string())
        .collect()
}

fn invoke(wd: &Workdir, kind: &str) -> Output {
    let args = invoke_args(kind);
    wd.run(&args.iter().map(String::as_str).collect::<Vec<_>>())
}

/// A background `terraform apply -invoke=...` whose stdout lines arrive as Terraform
/// prints them.
struct Invoking {
    child: Child,
    lines: mpsc::Receiver<String>,
    seen: Vec<String>,
    stdout: Option<std::thread::JoinHandle<()>>,
}

impl Invoking {
    fn start(wd: &Workdir, args: &[String]) -> Invoking {
        let mut child = wd
            .command(&args.iter().map(String::as_str).collect::<Vec<_>>())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("start terraform");
        let out = child.stdout.take().unwrap();
        let (tx, lines) = mpsc::channel();
        let stdout = std::thread::spawn(move || {
            for line in BufReader::new(out).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    break;
                }
            }
        });
        Invoking { child, lines, seen: Vec::new(), stdout: Some(stdout) }
    }

    fn invoke(wd: &Workdir, kind: &str) -> Invoking {
        Invoking::start(wd, &invoke_args(kind))
    }

    /// Waits for a printed line containing every one of `parts`; returns it.
    fn wait_for_line(&mut self, parts: &[&str], timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if parts.iter().all(|p| line.contains(p)) {
                        return line;
                    }
                }
                Err(_) => {
                    panic!("no line with {parts:?} within {timeout:?}; printed so far:\n{}", self.seen.join("\n"))
                }
            }
        }
    }

    fn interrupt(&self) {
        let ok = std::process::Command::new("kill").args(["-INT", &self.child.id().to_string()]).status().unwrap();
        assert!(ok.success(), "kill -INT terraform");
    }

    fn finish(mut self) -> Output {
        let mut stderr = String::new();
        self.child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
        let status = self.child.wait().unwrap();
        if let Some(t) = self.stdout.take() {
            t.join().unwrap();
        }
        self.seen.extend(self.lines.try_iter());
        Output { code: status.code().unwrap_or(-1), stdout: self.seen.join("\n"), stderr }
    }
}

/// Progress lines Terraform printed for an action: `Action action.KIND.app (...): LINE`.
fn progress(out: &Output, kind: &str) -> Vec<String> {
    let prefix = format!("Action action.{kind}.app (");
    out.stdout
        .lines()
        .filter(|l| l.starts_with(&prefix))
        .filter_map(|l| l.split_once("): ").map(|(_, m)| m.to_string()))
        .collect()
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn promote_streams_the_gate_wait_and_an_adopt_mode_plan_after_it_is_clean() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "    promotion {\n      wait_timeout = \"60s\"\n    }");
    write_release_and_actions(&wd, &emu, &s, "", std::slice::from_ref(&promote));
    wd.apply();
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    // Green has no targets: the gate waits, and says so while it waits.
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);
    emu.reset_requests();
    let started = Instant::now();
    let mut run = Invoking::invoke(&wd, PROMOTE);
    let waiting = run.wait_for_line(&["green: 0/", "targets healthy", "needs 1", "waited"], Duration::from_secs(60));
    assert!(waiting.contains("steady services 1/1") && waiting.contains("of 1m"), "{waiting}");
    assert_eq!(emu.request_count("ModifyRule"), 0, "nothing written while the gate waits");
    // A second line 5 s later: the gate keeps reporting while it waits.
    run.wait_for_line(&["green: 0/", "waited 5s of 1m"], Duration::from_secs(30));
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--register", "2"]);
    let out = run.finish();
    assert_eq!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    let lines = progress(&out, PROMOTE);
    assert!(lines.iter().any(|l| l.starts_with("green: gate passed: 2/2 targets healthy")), "{lines:#?}");
    assert!(lines.iter().any(|l| l == "traffic moved: green 100%"), "{lines:#?}");
    assert!(out.stdout.contains("Actions: 1 invoked"), "{}", out.all());
    assert!(started.elapsed() < Duration::from_secs(60));
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    // The release is in adopt mode: it follows the promotion, no changes.
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 0, "adopt mode follows the promotion:\n{}", plan.all());
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_promote_whose_gate_fails_writes_nothing_and_exits_non_zero_with_the_gates_reason() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "    promotion {\n      wait_timeout = \"2s\"\n    }");
    write_release_and_actions(&wd, &emu, &s, "", &[promote]);
    wd.apply();
    // Green has no targets: it never gets healthy within the 2 s wait.
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);
    let before = describe_rule(&emu, s.rule());
    emu.reset_requests();
    let out = invoke(&wd, PROMOTE);
    assert_eq!(out.code, 1, "{}", out.all());
    no_provider_bug(&out);
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Promotion gate refused the switch"), "{err}");
    assert!(
        err.contains(&format!("green target group {} has 0 healthy", s.green_tg)) && err.contains("needs 1"),
        "the gate's reason: {err}"
    );
    assert!(err.contains("promotion.wait_timeout is 2s") && err.contains("Nothing was written"), "{err}");
    // While it waited, it said why; it never said traffic moved.
    let lines = progress(&out, PROMOTE);
    assert!(lines.iter().any(|l| l.starts_with("green: 0/") && l.contains("needs 1")), "{lines:#?}");
    assert!(!lines.iter().any(|l| l.starts_with("traffic moved")), "{lines:#?}");
    assert!(!out.stdout.contains("Actions: 1 invoked"), "{}", out.all());
    // Nothing written: no write call, and the rule reads back byte for byte as before.
    assert_eq!(emu.request_count("ModifyRule"), 0, "{}", emu.requests());
    assert_eq!(emu.request_count("ModifyListener"), 0, "{}", emu.requests());
    let after = describe_rule(&emu, s.rule());
    assert_eq!(after.to_string(), before.to_string(), "the rule is exactly as it was");
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn in_enforce_mode_the_plan_after_a_promote_shows_the_drift() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "    to_color = \"green\"");
    write_release_and_actions(&wd, &emu, &s, "  active_color = \"blue\"", std::slice::from_ref(&promote));
    wd.apply();
    let out = invoke(&wd, PROMOTE);
    assert_eq!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    let plan = wd.plan_exit_code();
    assert_eq!(plan.code, 2, "enforce mode shows the promotion as drift:\n{}", plan.all());
    assert!(
        plan.stdout.lines().any(|l| l.contains("active_color") && l.contains(r#""green" -> "blue""#)),
        "{}",
        plan.all()
    );
    // to_color makes a repeated invoke a no-op, not a switch back.
    emu.reset_requests();
    let again = invoke(&wd, PROMOTE);
    assert_eq!(again.code, 0, "{}", again.all());
    assert!(progress(&again, PROMOTE).iter().any(|l| l.ends_with("already sends green 100%; nothing to move")));
    assert_eq!(emu.request_count("ModifyRule"), 0);
    // Bad input is a diagnostic at the attribute, at plan time.
    let bad = s.action_hcl(PROMOTE, "    to_color = \"purple\"");
    write_release_and_actions(&wd, &emu, &s, "  active_color = \"blue\"", &[bad]);
    let out = invoke(&wd, PROMOTE);
    assert_eq!(out.code, 1, "{}", out.all());
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Invalid to_color") && err.contains("omit it to promote the standby color"), "{err}");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn rollback_moves_all_traffic_back_and_its_health_check_is_relaxed_only_explicitly() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--alarm", "app-5xx"]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "");
    let rollback = |body: &str| s.action_hcl(ROLLBACK, body);
    write_release_and_actions(&wd, &emu, &s, "", &[promote.clone(), rollback("")]);
    wd.apply();
    assert_eq!(invoke(&wd, PROMOTE).code, 0);
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    // The new version fires its alarm: the rollback does not wait for alarms.
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "ALARM"]);
    let out = invoke(&wd, ROLLBACK);
    assert_eq!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    let lines = progress(&out, ROLLBACK);
    assert!(lines.iter().any(|l| l.starts_with("blue: gate passed: 2/2 targets healthy, needs 1")), "{lines:#?}");
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
    assert_eq!(wd.plan_exit_code().code, 0, "adopt mode follows the rollback");

    // Promote again, then the old color loses its targets: the rollback refuses.
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "OK"]);
    assert_eq!(invoke(&wd, PROMOTE).code, 0);
    scaffold::run(&emu, "targets", &["--tg", &s.blue_tg, "--deregister-all"]);
    write_release_and_actions(
        &wd,
        &emu,
        &s,
        "",
        &[promote.clone(), rollback("    promotion {\n      wait_timeout = \"2s\"\n    }")],
    );
    emu.reset_requests();
    let out = invoke(&wd, ROLLBACK);
    assert_eq!(out.code, 1, "{}", out.all());
    no_provider_bug(&out);
    let err = out.stderr.replace('\n', " ");
    assert!(err.contains("Promotion gate refused the switch") && err.contains("needs 1"), "{err}");
    assert_eq!(emu.request_count("ModifyRule"), 0, "nothing written");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);

    // min_healthy_targets = 0 says so: a warning at plan time, and a progress line.
    write_release_and_actions(
        &wd,
        &emu,
        &s,
        "",
        &[promote, rollback("    promotion {\n      min_healthy_targets = 0\n    }")],
    );
    let out = invoke(&wd, ROLLBACK);
    assert_eq!(out.code, 0, "{}", out.all());
    let all = out.all().replace('\n', " ");
    assert!(all.contains("Rollback without a health check"), "{all}");
    assert!(progress(&out, ROLLBACK).iter().any(|l| l.contains("health check off")), "{all}");
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_rollback_during_a_canary_ends_it_on_the_majority_color_unless_to_color_says_otherwise() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &["--alarm", "app-5xx"]);
    let wd = Workdir::new(&emu.endpoint());
    let canary = "  active_color = \"blue\"\n  standby_traffic_percent = 10";
    write_release_and_actions(&wd, &emu, &s, canary, &[s.action_hcl(ROLLBACK, "")]);
    wd.apply();
    let weights = |emu: &Emulator| forward_weights_sorted(&describe_rule(emu, s.rule())["actions"]);
    assert_eq!(weights(&emu), [(s.blue_tg.clone(), 90), (s.green_tg.clone(), 10)], "the canary is live");
    // The canary's alarm fires and CI rolls back without to_color: the canary ends.
    scaffold::run(&emu, "alarm", &["--name", "app-5xx", "--state", "ALARM"]);
    let out = invoke(&wd, ROLLBACK);
    assert_eq!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    assert!(!out.all().contains("moves all traffic to the canary color"), "{}", out.all());
    assert_eq!(weights(&emu), [(s.blue_tg.clone(), 100), (s.green_tg.clone(), 0)], "green, the suspect, gets nothing");
    assert_eq!(wd.plan_exit_code().code, 2, "the release configured a canary: the ended canary is drift");

    // Giving the canary's color all traffic takes to_color, and the plan says so.
    wd.apply();
    let to_green = s.action_hcl(ROLLBACK, "    to_color = \"green\"");
    write_release_and_actions(&wd, &emu, &s, canary, &[to_green]);
    let out = invoke(&wd, ROLLBACK);
    assert_eq!(out.code, 0, "{}", out.all());
    assert!(
        out.all().replace('\n', " ").contains("The rollback moves all traffic to the canary color"),
        "{}",
        out.all()
    );
    assert_eq!(weights(&emu), [(s.blue_tg.clone(), 0), (s.green_tg.clone(), 100)]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ctrl_c_during_an_invokes_gate_wait_writes_nothing() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "    promotion {\n      wait_timeout = \"2m\"\n    }");
    write_release_and_actions(&wd, &emu, &s, "", &[promote]);
    wd.apply();
    let before = describe_rule(&emu, s.rule());
    scaffold::run(&emu, "targets", &["--tg", &s.green_tg, "--deregister-all"]);
    emu.reset_requests();
    let mut run = Invoking::invoke(&wd, PROMOTE);
    run.wait_for_line(&["green: 0/", "waited"], Duration::from_secs(60));
    let interrupted = Instant::now();
    run.interrupt();
    let out = run.finish();
    assert!(interrupted.elapsed() < Duration::from_secs(30), "Ctrl-C took {:?}", interrupted.elapsed());
    assert_ne!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    let all = out.all().replace('\n', " ");
    assert!(all.contains("bluegreen_ecs_promote interrupted") && all.contains("nothing was written"), "{all}");
    assert_eq!(emu.request_count("ModifyRule"), 0, "nothing written");
    assert_eq!(describe_rule(&emu, s.rule()), before, "the rule is exactly as it was");
    assert_eq!(wd.plan_exit_code().code, 0);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn ctrl_c_during_an_invokes_bake_rolls_back() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    let promote = s.action_hcl(PROMOTE, "    promotion {\n      bake_time = \"2m\"\n    }");
    write_release_and_actions(&wd, &emu, &s, "", &[promote]);
    wd.apply();
    let mut run = Invoking::invoke(&wd, PROMOTE);
    let baking = run.wait_for_line(&["green: baking", "of 2m: 2/2 targets healthy"], Duration::from_secs(60));
    assert!(baking.contains("green: baking 0s of 2m"), "{baking}");
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    run.interrupt();
    let out = run.finish();
    assert_ne!(out.code, 0, "{}", out.all());
    no_provider_bug(&out);
    let all = out.all().replace('\n', " ");
    assert!(all.contains("Bake failed; traffic rolled back") && all.contains("interrupted"), "{all}");
    assert!(all.contains("Traffic was restored to blue 100%"), "{all}");
    // Nothing is reported after the stop (the rollback is in the error instead): a
    // progress event then makes Terraform 1.14 and 1.15 panic on the next event.
    let (_, after_interrupt) = out.stdout.split_once("Interrupt received").expect("Terraform saw the interrupt");
    assert!(!after_interrupt.contains("Action action.bluegreen_ecs_promote.app ("), "{}", out.stdout);
    assert_eq!(serving(&emu, s.rule()), [s.blue_tg.clone()]);
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn an_action_trigger_on_the_release_promotes_after_create() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    // The action reads its inputs from the release; the release triggers it once created.
    let promote = format!(
        r#"
action "{PROMOTE}" "app" {{
  config {{
    cluster           = bluegreen_ecs_release.app.cluster
    listener_rule_arn = bluegreen_ecs_release.app.listener_rule_arn
    blue {{
      target_group_arn = bluegreen_ecs_release.app.blue[0].target_group_arn
    }}
    green {{
      target_group_arn = bluegreen_ecs_release.app.green[0].target_group_arn
    }}
    to_color = "green"
  }}
}}
"#
    );
    let trigger = format!(
        "  lifecycle {{\n    action_trigger {{\n      events  = [after_create]\n      actions = [action.{PROMOTE}.app]\n    }}\n  }}"
    );
    write_release_and_actions(&wd, &emu, &s, &trigger, &[promote]);
    let out = wd.apply();
    no_provider_bug(&out);
    assert!(
        out.stdout.contains(&format!("Action started: action.{PROMOTE}.app (triggered by bluegreen_ecs_release.app)")),
        "{}",
        out.all()
    );
    assert!(progress(&out, PROMOTE).iter().any(|l| l == "traffic moved: green 100%"), "{}", out.all());
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
    // The release adopted blue at create; its next refresh follows the action.
    assert_eq!(wd.plan_exit_code().code, 0);
    let state: serde_json::Value = serde_json::from_str(&wd.ok(&["show", "-json"]).stdout).unwrap();
    let release = &state["values"]["root_module"]["resources"][0]["values"];
    assert_eq!(release["active_color"], "blue", "state as of the create, until the next refresh: {release}");
    wd.ok(&["apply", "-refresh-only", "-auto-approve", "-input=false", "-no-color"]);
    let state: serde_json::Value = serde_json::from_str(&wd.ok(&["show", "-json"]).stdout).unwrap();
    assert_eq!(state["values"]["root_module"]["resources"][0]["values"]["active_color"], "green");
}

#[test]
#[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
fn a_throttled_pointer_write_is_re_read_before_it_is_sent_again() {
    let emu = Emulator::start();
    let s = Scaffold::create(&emu, "app", &[]);
    let wd = Workdir::new(&emu.endpoint());
    write_release_and_actions(&wd, &emu, &s, "", &[s.action_hcl(PROMOTE, "")]);
    wd.apply();
    // max_retries = 2 (provider_block): three attempts, the first two throttled.
    emu.inject_fault(serde_json::json!({"action": "ModifyRule", "count": 2, "kind": "throttle"}));
    emu.reset_requests();
    let out = invoke(&wd, PROMOTE);
    assert_eq!(out.code, 0, "{}", out.all());
    assert_eq!(emu.request_count("ModifyRule"), 3, "each write sent once per attempt");
    // The plan's read, the first read, and one compare-before-write read per attempt.
    assert!(emu.request_count("DescribeRules") >= 5, "{}", emu.requests());
    assert_eq!(serving(&emu, s.rule()), [s.green_tg.clone()]);
}
