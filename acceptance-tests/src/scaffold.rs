//! Blue/green scaffolding in the emulator, and the deploy tool's actions, through
//! `tools/emulator/scaffold.py` (boto3): what Terraform-managed infrastructure and Spinnaker
//! would have done to the AWS account between Terraform runs.

use crate::emulator::{Emulator, python};
use std::process::Command;

/// Runs `tools/emulator/scaffold.py SUBCOMMAND --endpoint URL ARGS` and returns its JSON.
pub fn run(emu: &Emulator, subcommand: &str, args: &[&str]) -> serde_json::Value {
    try_run(emu, subcommand, args).unwrap_or_else(|e| panic!("scaffold {subcommand} {args:?} failed: {e}"))
}

/// The same, for a call that may fail (an AWS error): its stderr when it does.
pub fn try_run(emu: &Emulator, subcommand: &str, args: &[&str]) -> Result<serde_json::Value, String> {
    let out = Command::new(python())
        .arg(crate::repo_root().join("tools/emulator/scaffold.py"))
        .arg(subcommand)
        .args(["--endpoint", &emu.endpoint()])
        .args(args)
        .output()
        .expect("run tools/emulator/scaffold.py");
    if !out.status.success() {
        return Err(format!("{}\n{}", out.status, String::from_utf8_lossy(&out.stderr)));
    }
    Ok(serde_json::from_slice(&out.stdout).expect("scaffold JSON"))
}

/// The ARNs and names `scaffold.py create` reports.
#[derive(Clone, Debug)]
pub struct Scaffold {
    pub raw: serde_json::Value,
    pub cluster: String,
    pub listener_arn: String,
    pub rule_arn: Option<String>,
    pub blue_tg: String,
    pub green_tg: String,
    pub test_rule_arn: Option<String>,
}

impl Scaffold {
    pub fn create(emu: &Emulator, name: &str, args: &[&str]) -> Scaffold {
        let mut all = vec!["--name", name];
        all.extend_from_slice(args);
        let raw = run(emu, "create", &all);
        let s = |k: &str| raw[k].as_str().map(str::to_string);
        Scaffold {
            cluster: s("cluster").unwrap(),
            listener_arn: s("listener_arn").unwrap(),
            rule_arn: s("rule_arn"),
            blue_tg: s("blue_tg").unwrap(),
            green_tg: s("green_tg").unwrap(),
            test_rule_arn: s("test_rule_arn"),
            raw,
        }
    }

    pub fn rule(&self) -> &str {
        self.rule_arn.as_deref().expect("scaffold has a rule")
    }

    /// A `bluegreen_ecs_release "app"` block for this scaffold; `body` adds lines.
    pub fn release_hcl(&self, pointer_attr: &str, body: &str) -> String {
        let pointer = if pointer_attr == "listener_arn" { &self.listener_arn } else { self.rule() };
        format!(
            r#"
resource "bluegreen_ecs_release" "app" {{
  cluster = "{cluster}"
  {pointer_attr} = "{pointer}"
  blue {{
    target_group_arn = "{blue}"
  }}
  green {{
    target_group_arn = "{green}"
  }}
{body}
}}
"#,
            cluster = self.cluster,
            blue = self.blue_tg,
            green = self.green_tg,
        )
    }

    /// An `action "KIND" "app"` block on the scaffold's rule; `body` adds lines to its
    /// config.
    pub fn action_hcl(&self, kind: &str, body: &str) -> String {
        format!(
            r#"
action "{kind}" "app" {{
  config {{
    cluster           = "{cluster}"
    listener_rule_arn = "{rule}"
    blue {{
      target_group_arn = "{blue}"
    }}
    green {{
      target_group_arn = "{green}"
    }}
{body}
  }}
}}
"#,
            cluster = self.cluster,
            rule = self.rule(),
            blue = self.blue_tg,
            green = self.green_tg,
        )
    }
}

/// `(target id, state, reason code)` of every target DescribeTargetHealth lists for `tg`
/// (`scaffold.py health`): e.g. `("10.0.1.10", "initial", Some("Elb.RegistrationInProgress"))`.
pub fn target_health(emu: &Emulator, tg: &str) -> Vec<(String, String, Option<String>)> {
    let out = run(emu, "health", &["--tg", tg]);
    out["targets"]
        .as_array()
        .unwrap()
        .iter()
        .map(|t| {
            (
                t["id"].as_str().unwrap_or_default().to_string(),
                t["state"].as_str().unwrap_or_default().to_string(),
                t["reason"].as_str().map(str::to_string),
            )
        })
        .collect()
}

/// Creates `metric` metric alarms `PREFIX-m-000..` and `composite` composite alarms
/// `PREFIX-c-000..` in `state` (`scaffold.py alarms`); returns (metric names, composite names).
pub fn create_alarms(
    emu: &Emulator,
    prefix: &str,
    metric: usize,
    composite: usize,
    state: &str,
) -> (Vec<String>, Vec<String>) {
    let (m, c) = (metric.to_string(), composite.to_string());
    let out = run(emu, "alarms", &["--prefix", prefix, "--count", &m, "--composite", &c, "--state", state]);
    let names = |k: &str| out[k].as_array().unwrap().iter().map(|v| v.as_str().unwrap().to_string()).collect();
    (names("metric"), names("composite"))
}

/// Adds `n` more listener rules (path `/svcN/*`, priorities from 100) forwarding to `tg`,
/// through the AWS SDK; returns their ARNs.
pub fn create_rules(emu: &Emulator, listener_arn: &str, tg: &str, n: i32) -> Vec<String> {
    use aws_sdk_elasticloadbalancingv2::types::{Action, ActionTypeEnum, PathPatternConditionConfig, RuleCondition};
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emu.sdk_config().await);
        let mut arns = Vec::new();
        for i in 1..=n {
            let path = PathPatternConditionConfig::builder().values(format!("/svc{i}/*")).build();
            let out = elb
                .create_rule()
                .listener_arn(listener_arn)
                .priority(100 + i)
                .conditions(RuleCondition::builder().field("path-pattern").path_pattern_config(path).build())
                .actions(Action::builder().r#type(ActionTypeEnum::Forward).target_group_arn(tg).build())
                .send()
                .await
                .expect("create rule");
            arns.push(out.rules()[0].rule_arn().unwrap().to_string());
        }
        arns
    })
}

/// Configuration for one `bluegreen_ecs_release "svc"` per rule (count), all on one pair.
pub fn releases_hcl(s: &Scaffold, rules: &[String], color: &str) -> String {
    let list: Vec<String> = rules.iter().map(|r| format!("\"{r}\"")).collect();
    format!(
        "\nlocals {{\n  rules = [{}]\n}}\n\nresource \"bluegreen_ecs_release\" \"svc\" {{\n  count             = length(local.rules)\n  cluster           = \"{}\"\n  listener_rule_arn = local.rules[count.index]\n  blue {{\n    target_group_arn = \"{}\"\n  }}\n  green {{\n    target_group_arn = \"{}\"\n  }}\n  active_color = \"{color}\"\n}}\n",
        list.join(", "),
        s.cluster,
        s.blue_tg,
        s.green_tg
    )
}

/// Adds an HTTP listener on `port` to `load_balancer_arn` whose default action forwards
/// to `groups` (target group, weight), through the AWS SDK; returns its ARN.
pub fn create_listener(emu: &Emulator, load_balancer_arn: &str, port: i32, groups: &[(&str, i32)]) -> String {
    use aws_sdk_elasticloadbalancingv2::types::{
        Action, ActionTypeEnum, ForwardActionConfig, ProtocolEnum, TargetGroupTuple,
    };
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    rt.block_on(async {
        let elb = aws_sdk_elasticloadbalancingv2::Client::new(&emu.sdk_config().await);
        let tuples = groups.iter().map(|(tg, w)| TargetGroupTuple::builder().target_group_arn(*tg).weight(*w).build());
        let forward = Action::builder()
            .r#type(ActionTypeEnum::Forward)
            .forward_config(ForwardActionConfig::builder().set_target_groups(Some(tuples.collect())).build())
            .build();
        let out = elb
            .create_listener()
            .load_balancer_arn(load_balancer_arn)
            .protocol(ProtocolEnum::Http)
            .port(port)
            .default_actions(forward)
            .send()
            .await
            .expect("create listener");
        out.listeners()[0].listener_arn().unwrap().to_string()
    })
}
