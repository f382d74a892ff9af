//! One `RELIABILITY {json}` line per fault scenario, for `make reliability`
//! (tools/bench/reliability.sh runs every test file that uses this module and sums the lines).
//!
//! ```ignore
//! use acceptance_tests::reliability_report::Scenario;
//!
//! let mut scenario = Scenario::start("pointer write fails with 500");
//! // ... inject faults, run terraform ...
//! scenario.stop_clock(); // optional: `seconds` is then the time up to here
//! scenario.report(&emu, &wd, true); // prints the row; fails the test on a difference or crash
//! ```
//!
//! `partial_writes` is measured, not assumed: the report compares every
//! `bluegreen_ecs_release` in Terraform state (`terraform show -json`) with the live
//! pointer it names (read through `tools/emulator/scaffold.py describe`), see
//! [`state_vs_live_differences`].

use crate::emulator::{Emulator, python};
use crate::harness::forward_weights_or_empty;
use crate::terraform::Workdir;
use std::collections::BTreeMap;
use std::process::Command;
use std::time::Instant;

/// A scenario being run: its name and its clock.
#[derive(Debug)]
pub struct Scenario {
    name: String,
    started: Instant,
    seconds: Option<f64>,
}

/// What `Scenario::report` printed.
#[derive(Clone, Debug, PartialEq)]
pub struct Row {
    pub scenario: String,
    /// Sum of the emulator's fault counts (`faults_injected` of `/_bluegreen/requests`).
    pub faults_injected: i64,
    /// `terraform` runs in the scenario's working directory (the report's own
    /// `terraform show -json` not counted).
    pub terraform_runs: u32,
    /// The final apply reached the configured traffic and the plan is empty; `false` for
    /// refusals that must not converge.
    pub converged: bool,
    /// Pointers whose live traffic differs from what Terraform state says.
    pub partial_writes: usize,
    /// Terraform runs that reported a crashed provider.
    pub crashes: u32,
    /// Wall time from `Scenario::start` to `stop_clock` (or to `report`).
    pub seconds: f64,
}

impl Row {
    pub fn to_json(&self) -> serde_json::Value {
        serde_json::json!({
            "scenario": self.scenario,
            "faults_injected": self.faults_injected,
            "terraform_runs": self.terraform_runs,
            "converged": self.converged,
            "partial_writes": self.partial_writes,
            "crashes": self.crashes,
            "seconds": (self.seconds * 1000.0).round() / 1000.0,
        })
    }
}

impl Scenario {
    /// Starts the scenario's clock.
    pub fn start(name: &str) -> Scenario {
        Scenario { name: name.to_string(), started: Instant::now(), seconds: None }
    }

    /// Stops the clock: the row's `seconds` is the time from `start` to now (call it right
    /// after the part under test, e.g. the throttled plan + apply). Returns the seconds.
    pub fn stop_clock(&mut self) -> f64 {
        let seconds = self.started.elapsed().as_secs_f64();
        self.seconds = Some(seconds);
        seconds
    }

    /// Prints the scenario's `RELIABILITY` line, then fails the test if the state differs
    /// from live anywhere or a provider crash was reported. Call it at the end of the
    /// scenario, when state and live must agree.
    pub fn report(self, emu: &Emulator, wd: &Workdir, converged: bool) -> Row {
        let seconds = self.seconds.unwrap_or_else(|| self.started.elapsed().as_secs_f64());
        let (terraform_runs, crashes) = wd.tally();
        let differences = state_vs_live_differences(emu, wd);
        let row = Row {
            scenario: self.name,
            faults_injected: total_faults(&emu.requests()["faults_injected"]),
            terraform_runs,
            converged,
            partial_writes: differences.len(),
            crashes,
            seconds,
        };
        println!("RELIABILITY {}", row.to_json());
        assert!(differences.is_empty(), "{}: state differs from live: {differences:#?}", row.scenario);
        assert_eq!(crashes, 0, "{}: a provider crash was reported", row.scenario);
        row
    }
}

/// The sum of the emulator's per-action fault counts (`{"ModifyRule:throttle": 2, ...}`).
pub fn total_faults(faults_by_action: &serde_json::Value) -> i64 {
    faults_by_action.as_object().map(|m| m.values().filter_map(|v| v.as_i64()).sum()).unwrap_or(0)
}

/// A pointer whose live traffic is not what Terraform state says: shares in percent of
/// the traffic, per target group, target groups without traffic left out.
#[derive(Clone, Debug, PartialEq)]
pub struct Difference {
    /// Resource address in state, e.g. `bluegreen_ecs_release.app`.
    pub resource: String,
    /// The listener rule or listener ARN.
    pub pointer: String,
    pub expected: BTreeMap<String, f64>,
    /// Empty when the pointer has no forward action; `None` when it could not be read.
    pub live: Option<BTreeMap<String, f64>>,
}

/// Compares every `bluegreen_ecs_release` in the working directory's state with AWS:
/// the production pointer (`listener_rule_arn` or `listener_arn`) must send
/// `100 - standby_traffic_percent` % to the active color's target group and
/// `standby_traffic_percent` % to the standby's; a test pointer (`test_listener_rule_arn`
/// or `test_listener_arn`) must send everything to the standby. Effective shares are
/// compared, not raw entries: a target group listed with weight 0 counts as no traffic,
/// and weights 1 and 100 for a lone target group are the same. Runs `terraform show
/// -json` (counted in `wd.tally()`) and one `scaffold.py describe` per pointer.
pub fn state_vs_live_differences(emu: &Emulator, wd: &Workdir) -> Vec<Difference> {
    let show = wd.ok(&["show", "-json"]);
    let state: serde_json::Value = serde_json::from_str(&show.stdout).expect("terraform show -json");
    let mut out = Vec::new();
    for (address, values) in releases_in_state(&state) {
        for (pointer, expected) in expected_traffic(&values) {
            let live = live_weights(emu, &pointer).map(|w| shares(&w));
            if live.as_ref() != Some(&expected) {
                out.push(Difference { resource: address.clone(), pointer, expected, live });
            }
        }
    }
    out
}

/// `(address, values)` of every managed `bluegreen_ecs_release`, in modules too.
pub fn releases_in_state(state: &serde_json::Value) -> Vec<(String, serde_json::Value)> {
    fn walk(module: &serde_json::Value, out: &mut Vec<(String, serde_json::Value)>) {
        for r in module["resources"].as_array().into_iter().flatten() {
            if r["mode"] == "managed" && r["type"] == "bluegreen_ecs_release" {
                out.push((r["address"].as_str().unwrap_or_default().to_string(), r["values"].clone()));
            }
        }
        for child in module["child_modules"].as_array().into_iter().flatten() {
            walk(child, out);
        }
    }
    let mut out = Vec::new();
    walk(&state["values"]["root_module"], &mut out);
    out
}

/// What a release's state says each of its pointers serves: `(pointer ARN, shares)`.
pub fn expected_traffic(values: &serde_json::Value) -> Vec<(String, BTreeMap<String, f64>)> {
    let tg = |color: &str| values[color][0]["target_group_arn"].as_str().unwrap_or_default().to_string();
    let active = values["active_color"].as_str().unwrap_or_default();
    let (active_tg, standby_tg) = if active == "green" { (tg("green"), tg("blue")) } else { (tg("blue"), tg("green")) };
    let p = values["standby_traffic_percent"].as_i64().unwrap_or(0);
    let production = shares(&[(active_tg, 100 - p), (standby_tg.clone(), p)]);
    let test = shares(&[(standby_tg, 100)]);
    let mut out = Vec::new();
    for (attr, expected) in [
        ("listener_rule_arn", &production),
        ("listener_arn", &production),
        ("test_listener_rule_arn", &test),
        ("test_listener_arn", &test),
    ] {
        if let Some(arn) = values[attr].as_str().filter(|a| !a.is_empty()) {
            out.push((arn.to_string(), expected.clone()));
        }
    }
    out
}

/// Percent of the traffic per target group; weights <= 0 are no traffic and left out.
pub fn shares(weights: &[(String, i64)]) -> BTreeMap<String, f64> {
    let total: i64 = weights.iter().map(|(_, w)| (*w).max(0)).sum();
    weights
        .iter()
        .filter(|(_, w)| *w > 0)
        .map(|(tg, w)| (tg.clone(), ((*w as f64) * 100.0 / total as f64 * 1000.0).round() / 1000.0))
        .collect()
}

/// The forward weights a rule (`arn` contains `:listener-rule/`) or a listener (its
/// default actions) has live; `None` when it cannot be read (deleted, say).
pub fn live_weights(emu: &Emulator, arn: &str) -> Option<Vec<(String, i64)>> {
    let flag = if arn.contains(":listener-rule/") { "--rule-arn" } else { "--listener-arn" };
    let out = Command::new(python())
        .arg(crate::repo_root().join("tools/emulator/scaffold.py"))
        .args(["describe", "--endpoint", &emu.endpoint(), flag, arn])
        .output()
        .expect("run tools/emulator/scaffold.py");
    if !out.status.success() {
        return None;
    }
    let described: serde_json::Value = serde_json::from_slice(&out.stdout).ok()?;
    let actions = if flag == "--rule-arn" { &described["actions"] } else { &described["default_actions"] };
    Some(forward_weights_or_empty(actions))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn release(active: &str, p: i64) -> serde_json::Value {
        json!({
            "listener_rule_arn": "arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/lb/1/2/3",
            "active_color": active,
            "standby_traffic_percent": p,
            "blue": [{"target_group_arn": "tg-blue"}],
            "green": [{"target_group_arn": "tg-green"}],
        })
    }

    fn map(pairs: &[(&str, f64)]) -> BTreeMap<String, f64> {
        pairs.iter().map(|(k, v)| (k.to_string(), *v)).collect()
    }

    #[test]
    fn weight_zero_entries_are_no_traffic_and_weights_compare_as_shares() {
        let expected = &expected_traffic(&release("green", 0))[0].1;
        assert_eq!(expected, &map(&[("tg-green", 100.0)]));
        for live in [
            vec![("tg-green".to_string(), 1)],
            vec![("tg-green".to_string(), 100), ("tg-blue".to_string(), 0)],
            vec![("tg-blue".to_string(), 0), ("tg-green".to_string(), 7)],
        ] {
            assert_eq!(&shares(&live), expected, "{live:?}");
        }
        assert_ne!(&shares(&[("tg-blue".to_string(), 100), ("tg-green".to_string(), 0)]), expected);
    }

    #[test]
    fn a_canary_expects_both_groups_and_a_half_written_split_differs() {
        let expected = &expected_traffic(&release("blue", 10))[0].1;
        assert_eq!(expected, &map(&[("tg-blue", 90.0), ("tg-green", 10.0)]));
        assert_eq!(&shares(&[("tg-blue".into(), 90), ("tg-green".into(), 10)]), expected);
        assert_eq!(&shares(&[("tg-blue".into(), 9), ("tg-green".into(), 1)]), expected);
        assert_ne!(&shares(&[("tg-blue".into(), 100)]), expected);
    }

    #[test]
    fn test_pointers_expect_the_standby_and_listener_pointers_are_found() {
        let mut v = release("blue", 20);
        v["listener_rule_arn"] = serde_json::Value::Null;
        v["listener_arn"] = json!("arn:aws:elasticloadbalancing:us-east-1:1:listener/app/lb/1/2");
        v["test_listener_rule_arn"] = json!("arn:aws:elasticloadbalancing:us-east-1:1:listener-rule/app/lb/1/2/9");
        let got = expected_traffic(&v);
        assert_eq!(got.len(), 2);
        assert!(got[0].0.contains(":listener/"));
        assert_eq!(got[1].1, map(&[("tg-green", 100.0)]));
    }

    #[test]
    fn releases_are_found_in_child_modules_and_data_sources_are_not() {
        let state = json!({"values": {"root_module": {
            "resources": [
                {"mode": "data", "type": "bluegreen_ecs_release", "address": "data.bluegreen_ecs_release.x", "values": {}},
                {"mode": "managed", "type": "bluegreen_ecs_release", "address": "bluegreen_ecs_release.a", "values": {}},
            ],
            "child_modules": [{"resources": [
                {"mode": "managed", "type": "bluegreen_ecs_release", "address": "module.m.bluegreen_ecs_release.b", "values": {}},
            ]}],
        }}});
        let found: Vec<String> = releases_in_state(&state).into_iter().map(|(a, _)| a).collect();
        assert_eq!(found, ["bluegreen_ecs_release.a", "module.m.bluegreen_ecs_release.b"]);
    }
}
