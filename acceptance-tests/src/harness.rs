//! The steps release tests share: writing `main.tf` (the provider, the release, its
//! actions), reading the live pointer and the state back, the strategy HCL, and waiting
//! for something a background apply does.

use crate::emulator::Emulator;
use crate::scaffold::{self, Scaffold};
use crate::terraform::{Output, Workdir, provider_block};
use std::time::{Duration, Instant};

/// `main.tf`: the provider and the scaffold's release on its listener rule, with `body`.
pub fn write_release(wd: &Workdir, emu: &Emulator, s: &Scaffold, body: &str) {
    write_release_on(wd, emu, s, "listener_rule_arn", body);
}

/// [`write_release`] with the pointer named by `pointer_attr` (`listener_rule_arn` or
/// `listener_arn`).
pub fn write_release_on(wd: &Workdir, emu: &Emulator, s: &Scaffold, pointer_attr: &str, body: &str) {
    wd.write("main.tf", &format!("{}{}", provider_block(&emu.endpoint()), s.release_hcl(pointer_attr, body)));
}

/// [`write_release`] with the provider's `max_retries` set.
pub fn write_release_with_retries(wd: &Workdir, emu: &Emulator, s: &Scaffold, max_retries: u32, body: &str) {
    let provider = provider_block(&emu.endpoint()).replace("max_retries = 2", &format!("max_retries = {max_retries}"));
    wd.write("main.tf", &format!("{provider}{}", s.release_hcl("listener_rule_arn", body)));
}

/// [`write_release`] followed by `actions` (`Scaffold::action_hcl` blocks).
pub fn write_release_and_actions(wd: &Workdir, emu: &Emulator, s: &Scaffold, body: &str, actions: &[String]) {
    let text =
        format!("{}{}{}", provider_block(&emu.endpoint()), s.release_hcl("listener_rule_arn", body), actions.concat());
    wd.write("main.tf", &text);
}

/// Applies an adopt-mode release (no `active_color`) beside one action of `kind` whose
/// config carries `promotion` lines: the set-up of a test that invokes the action.
pub fn apply_adopting_release_with_action(wd: &Workdir, emu: &Emulator, s: &Scaffold, kind: &str, promotion: &str) {
    let action = s.action_hcl(kind, promotion);
    write_release_and_actions(wd, emu, s, "  # adopts\n", &[action]);
    wd.apply();
}

/// A `linear` strategy's lines for a `promotion` block: `step_percent` steps, each held
/// `step_bake_time`.
pub fn linear_strategy(step_percent: u32, step_bake_time: &str) -> String {
    format!(
        "    strategy = \"linear\"\n    linear {{\n      step_percent   = {step_percent}\n      step_bake_time = \"{step_bake_time}\"\n    }}\n"
    )
}

/// The listener rule as `scaffold.py describe` reports it (`actions`, `conditions`, ...).
pub fn describe_rule(emu: &Emulator, rule_arn: &str) -> serde_json::Value {
    scaffold::run(emu, "describe", &["--rule-arn", rule_arn])
}

/// The target groups the rule sends traffic to (weight > 0), sorted by ARN.
pub fn serving(emu: &Emulator, rule_arn: &str) -> Vec<String> {
    forward_weights_sorted(&describe_rule(emu, rule_arn)["actions"])
        .into_iter()
        .filter(|(_, w)| *w > 0)
        .map(|(tg, _)| tg)
        .collect()
}

/// Target groups a rule's or listener's forward action sends traffic to, with weights,
/// normalised the way a user reads them (scalar = weight 1), sorted by ARN. Panics when
/// there is no forward action: the tests' pointers always forward.
pub fn forward_weights_sorted(actions: &serde_json::Value) -> Vec<(String, i64)> {
    let forward = actions.as_array().unwrap().iter().find(|a| a["Type"] == "forward").expect("a forward action");
    let mut out: Vec<(String, i64)> = match forward["ForwardConfig"]["TargetGroups"].as_array() {
        Some(tgs) if !tgs.is_empty() => tgs
            .iter()
            .map(|t| (t["TargetGroupArn"].as_str().unwrap().to_string(), t["Weight"].as_i64().unwrap_or(1)))
            .collect(),
        _ => vec![(forward["TargetGroupArn"].as_str().unwrap().to_string(), 1)],
    };
    out.sort();
    out
}

/// `(target group, weight)` of the forward action in `actions` (AWS's JSON shape), in
/// AWS's order; empty when there is no forward action, for a report that must not panic
/// on a pointer a fault left odd. A plain `TargetGroupArn` forward is weight 1.
pub fn forward_weights_or_empty(actions: &serde_json::Value) -> Vec<(String, i64)> {
    let Some(forward) = actions.as_array().into_iter().flatten().find(|a| a["Type"] == "forward") else {
        return Vec::new();
    };
    match forward["ForwardConfig"]["TargetGroups"].as_array() {
        Some(tgs) if !tgs.is_empty() => tgs
            .iter()
            .map(|t| (t["TargetGroupArn"].as_str().unwrap_or_default().to_string(), t["Weight"].as_i64().unwrap_or(1)))
            .collect(),
        _ => forward["TargetGroupArn"].as_str().map(|tg| vec![(tg.to_string(), 1)]).unwrap_or_default(),
    }
}

/// The attributes of the first resource in the state (`terraform show -json`): the
/// release in these tests' configurations.
pub fn release_state(wd: &Workdir) -> serde_json::Value {
    let state: serde_json::Value = serde_json::from_str(&wd.ok(&["show", "-json"]).stdout).unwrap();
    state["values"]["root_module"]["resources"][0]["values"].clone()
}

/// The release's `active_color` in the state; empty when there is none.
pub fn state_color(wd: &Workdir) -> String {
    release_state(wd)["active_color"].as_str().unwrap_or_default().to_string()
}

/// Asserts that Terraform reported no provider bug: no crash, no "bug in the provider",
/// no "inconsistent" result.
pub fn no_provider_bug(out: &Output) {
    let all = out.all();
    assert!(!out.reports_crash() && !all.contains("bug in the provider") && !all.contains("inconsistent"), "{all}");
}

/// Polls `done` until it holds; fails the test, naming `what`, after `timeout`.
pub fn wait_until(what: &str, timeout: Duration, mut done: impl FnMut() -> bool) {
    let deadline = Instant::now() + timeout;
    while !done() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn forward_weights_read_both_shapes_and_no_forward_is_empty() {
        let weighted = json!([{"Type": "forward", "ForwardConfig": {"TargetGroups": [
            {"TargetGroupArn": "a", "Weight": 90}, {"TargetGroupArn": "b", "Weight": 10}]}}]);
        assert_eq!(forward_weights_or_empty(&weighted), [("a".to_string(), 90), ("b".to_string(), 10)]);
        assert_eq!(
            forward_weights_or_empty(&json!([{"Type": "forward", "TargetGroupArn": "a"}])),
            [("a".to_string(), 1)]
        );
        assert!(forward_weights_or_empty(&json!([{"Type": "fixed-response"}])).is_empty());
    }
}
