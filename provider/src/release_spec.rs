//! A release as configured: parsed from Terraform values, with plan-time validation
//! that points at the offending attribute and says what to write instead.

use crate::arn;
use crate::duration;
use crate::promotion_gate::{DynatraceGate, GuardianGate, Promotion, Strategy};
use crate::secrets::SecretRef;
use crate::traffic_pointer::{Color, Pair, PointerRef, Traffic};
use crate::traffic_switch::{DEFAULT_HOOK_TIMEOUT, HookStage, LifecycleHook};
use std::time::Duration;
use tfplugin::{AttrPath, Diagnostics, Value};

pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(600);
/// More than this would make the "standby" the majority: switch `active_color` instead.
pub const MAX_STANDBY_PERCENT: i64 = 50;
/// The gate reads alarms 100 names per DescribeAlarms call (the API's limit), so every
/// poll costs one call per hundred; beyond this many, a release's gate is misconfigured.
const MAX_ALARMS: usize = 500;
/// `promotion.hook` blocks at most (each runs at its stage, one after another).
pub const MAX_HOOKS: usize = 10;

#[derive(Clone, Debug, PartialEq)]
pub struct ReleaseSpec {
    pub cluster: String,
    pub pointer: PointerRef,
    pub pair: Pair,
    pub active_color: Option<Color>,
    pub standby_percent: Option<u8>,
    pub test_pointer: Option<PointerRef>,
    pub promotion: Promotion,
    pub create_timeout: Duration,
    pub update_timeout: Duration,
}

impl ReleaseSpec {
    /// The traffic this configuration asks for, filling what it leaves open from `live`.
    pub fn desired(&self, live: Traffic) -> Traffic {
        Traffic {
            active: self.active_color.unwrap_or(live.active),
            standby_percent: self.standby_percent.unwrap_or(live.standby_percent),
        }
    }
}

fn path(name: &str) -> AttrPath {
    AttrPath::root(name)
}

fn block_path(block: &str, attr: &str) -> AttrPath {
    AttrPath::root(block).index(0).attr(attr)
}

/// The production pointer of a configuration or state, when known.
pub fn pointer_of(v: &Value) -> Option<PointerRef> {
    match (v.get("listener_rule_arn").as_str(), v.get("listener_arn").as_str()) {
        (Some(r), None) => Some(PointerRef::Rule(r.to_string())),
        (None, Some(l)) => Some(PointerRef::Listener(l.to_string())),
        _ => None,
    }
}

pub fn pair_of(v: &Value) -> Option<Pair> {
    let tg = |c: &str| v.get(c).single_block().and_then(|b| b.get("target_group_arn").as_str()).map(str::to_string);
    Some(Pair { blue: tg("blue")?, green: tg("green")? })
}

fn check_duration(d: &mut Diagnostics, v: &Value, p: AttrPath, what: &str) {
    if let Some(s) = v.as_str()
        && let Err(e) = duration::parse(s)
    {
        d.error_at(
            p,
            format!("Invalid {what}"),
            format!("{e}. Write a duration such as \"30s\", \"5m\" or \"1h30m\"."),
        );
    }
}

/// `attr` of `v`, when set, must be an ECS cluster name or ARN. Shared with the data source.
pub fn check_cluster(d: &mut Diagnostics, v: &Value, attr: &str) {
    if let Some(cluster) = v.get(attr).as_str()
        && !(arn::is_cluster_name(cluster) || arn::is_ecs_cluster(cluster))
    {
        d.error_at(
            path(attr),
            "Invalid ECS cluster",
            format!("{cluster:?} is not an ECS cluster name (letters, digits, '-' and '_', up to 255) or cluster ARN (arn:aws:ecs:REGION:ACCOUNT:cluster/NAME)."),
        );
    }
}

/// A target group ARN, when set, must be one. Shared with the data source.
pub fn check_target_group(d: &mut Diagnostics, v: &Value, at: AttrPath) {
    if let Some(s) = v.as_str()
        && !arn::is_target_group(s)
    {
        d.error_at(
            at,
            "Invalid target group ARN",
            format!("{s:?} is not a target group ARN; expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:targetgroup/NAME/ID."),
        );
    }
}

/// Where the resource's configuration takes its target groups, for the hint when one
/// is given as the pointer.
const RESOURCE_TARGET_GROUPS: &str = "the blue and green blocks";

/// `attr` of `v`, when set, must be a listener rule ARN (`want_rule`) or a listener
/// ARN; the message says what the value is if it is the other or a target group (which
/// goes in `target_groups_go_in`). Shared with the data source.
pub fn check_pointer_arn(d: &mut Diagnostics, v: &Value, attr: &str, want_rule: bool, target_groups_go_in: &str) {
    let Some(s) = v.get(attr).as_str() else { return };
    let ok = if want_rule { arn::is_listener_rule(s) } else { arn::is_listener(s) };
    if ok {
        return;
    }
    let hint = if want_rule && arn::is_listener(s) {
        format!(" That is a listener ARN: use `{}` for a listener's default action.", attr.replace("_rule", ""))
    } else if !want_rule && arn::is_listener_rule(s) {
        format!(" That is a listener rule ARN: use `{}`.", attr.replace("listener_arn", "listener_rule_arn"))
    } else if arn::is_target_group(s) {
        format!(" That is a target group ARN: target groups go in {target_groups_go_in}.")
    } else {
        String::new()
    };
    let form = if want_rule {
        "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/LB_NAME/LB_ID/LISTENER_ID/RULE_ID"
    } else {
        "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/LB_NAME/LB_ID/LISTENER_ID"
    };
    d.error_at(
        path(attr),
        if want_rule { "Invalid listener rule ARN" } else { "Invalid listener ARN" },
        format!(
            "{s:?} is not an Application Load Balancer {} ARN; expected {form}.{hint}",
            if want_rule { "listener rule" } else { "listener" }
        ),
    );
}

/// Static checks of a resource configuration. Unknown values are skipped: they are
/// checked again when known, at apply.
pub fn validate(c: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    check_cluster(&mut d, c, "cluster");
    let (rule, listener) = (c.get("listener_rule_arn"), c.get("listener_arn"));
    match (rule.is_null(), listener.is_null()) {
        (false, false) => d.error_at(
            path("listener_arn"),
            "Conflicting pointers",
            "Set exactly one of `listener_rule_arn` (a rule's forward action) and `listener_arn` (the listener's default action), not both.",
        ),
        (true, true) => d.error_at(
            path("listener_rule_arn"),
            "Missing pointer",
            "Set exactly one of `listener_rule_arn` (a rule's forward action) or `listener_arn` (the listener's default action): it is the production traffic pointer.",
        ),
        _ => {}
    }
    check_pointer_arn(&mut d, c, "listener_rule_arn", true, RESOURCE_TARGET_GROUPS);
    check_pointer_arn(&mut d, c, "listener_arn", false, RESOURCE_TARGET_GROUPS);
    if !c.get("test_listener_rule_arn").is_null() && !c.get("test_listener_arn").is_null() {
        d.error_at(
            path("test_listener_arn"),
            "Conflicting test pointers",
            "Set at most one of `test_listener_rule_arn` and `test_listener_arn`.",
        );
    }
    check_pointer_arn(&mut d, c, "test_listener_rule_arn", true, RESOURCE_TARGET_GROUPS);
    check_pointer_arn(&mut d, c, "test_listener_arn", false, RESOURCE_TARGET_GROUPS);
    for test_attr in ["test_listener_rule_arn", "test_listener_arn"] {
        if let Some(t) = c.get(test_attr).as_str()
            && (Some(t) == rule.as_str() || Some(t) == listener.as_str())
        {
            d.error_at(
                    path(test_attr),
                    "Test pointer is the production pointer",
                    "The test listener or rule always points at the standby color, so it must differ from the production pointer.",
                );
        }
    }
    for color in ["blue", "green"] {
        if let Some(block) = c.get(color).single_block() {
            check_target_group(&mut d, block.get("target_group_arn"), block_path(color, "target_group_arn"));
        }
    }
    if let Some(pair) = pair_of(c)
        && pair.blue == pair.green
    {
        d.error_at(
            block_path("green", "target_group_arn"),
            "Blue and green are the same target group",
            format!("Both colors use {}. Blue and green need two different target groups.", pair.blue),
        );
    }
    if let Some(color) = c.get("active_color").as_str()
        && Color::parse(color).is_none()
    {
        d.error_at(
            path("active_color"),
            "Invalid active_color",
            format!("{color:?} is not a color: use \"blue\" or \"green\", or omit it to follow what is live."),
        );
    }
    match c.get("standby_traffic_percent") {
        Value::Null | Value::Unknown => {}
        v => match v.as_i64() {
            Some(p) if (0..=MAX_STANDBY_PERCENT).contains(&p) => {}
            Some(p) if (0..=100).contains(&p) => d.error_at(
                path("standby_traffic_percent"),
                "Standby share above 50%",
                format!("{p}% would send most traffic to the standby color. Switch `active_color` instead and set the share the other color keeps (0..50)."),
            ),
            _ => d.error_at(path("standby_traffic_percent"), "Invalid standby_traffic_percent", "Use a whole number of percent from 0 to 50 (0 = no canary)."),
        },
    }
    if let Some(p) = c.get("promotion").single_block() {
        match p.get("min_healthy_targets") {
            Value::Null | Value::Unknown => {}
            v => match v.as_i64() {
                Some(n) if (0..=10_000).contains(&n) => {}
                _ => d.error_at(
                    block_path("promotion", "min_healthy_targets"),
                    "Invalid min_healthy_targets",
                    "Use a whole number from 0 (no health check) to 10000.",
                ),
            },
        }
        check_duration(&mut d, p.get("wait_timeout"), block_path("promotion", "wait_timeout"), "wait_timeout");
        check_duration(&mut d, p.get("bake_time"), block_path("promotion", "bake_time"), "bake_time");
        let alarms = p.get("alarm_names").elements();
        if alarms.len() > MAX_ALARMS {
            d.error_at(
                block_path("promotion", "alarm_names"),
                "Too many alarms",
                format!(
                    "At most {MAX_ALARMS} alarm names; each poll of the gate reads them 100 per DescribeAlarms call. Combine them into a composite alarm and list that instead."
                ),
            );
        }
        for (i, a) in alarms.iter().enumerate() {
            if let Some(name) = a.as_str()
                && (name.trim().is_empty() || name.len() > 255 || name.chars().any(char::is_control))
            {
                d.error_at(
                    block_path("promotion", "alarm_names").index(i as i64),
                    "Invalid alarm name",
                    format!("{name:?} is not a CloudWatch alarm name (1-255 printable characters)."),
                );
            }
        }
        if let Some(dt) = p.get("dynatrace").single_block() {
            validate_dynatrace(&mut d, dt);
        }
        validate_strategy(&mut d, p);
        validate_hooks(&mut d, p);
    }
    let timeouts = c.get("timeouts");
    for op in ["create", "update"] {
        if let Some(s) = timeouts.get(op).as_str()
            && let Err(e) = duration::parse(s)
        {
            d.error_at(
                AttrPath::root("timeouts").attr(op),
                format!("Invalid {op} timeout"),
                format!("{e}. Write a duration such as \"10m\"."),
            );
        }
    }
    d
}

fn parsed_duration(v: &Value, default: Duration) -> Duration {
    v.as_str().and_then(|s| duration::parse(s).ok()).unwrap_or(default)
}

/// The release of a validated, wholly known configuration (or planned state).
fn validate_dynatrace(d: &mut Diagnostics, dt: &Value) {
    let at = |attr: &str| AttrPath::root("promotion").index(0).attr("dynatrace").index(0).attr(attr);
    if let Some(url) = dt.get("environment_url").as_str() {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.split("://").nth(1).is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace));
        if !ok {
            d.error_at(
                at("environment_url"),
                "Invalid Dynatrace environment URL",
                format!(
                    "{url:?} is not a URL. Use the environment's API URL, e.g. https://abc12345.live.dynatrace.com."
                ),
            );
        }
    }
    for attr in ["api_token_secret_arn", "platform_token_secret_arn"] {
        if let Some(arn) = dt.get(attr).as_str()
            && !(arn.starts_with("arn:") && arn.split(':').nth(2) == Some("secretsmanager"))
        {
            d.error_at(
                at(attr),
                "Invalid secret ARN",
                format!(
                    "{arn:?} is not a Secrets Manager secret ARN (arn:aws:secretsmanager:REGION:ACCOUNT:secret:NAME)."
                ),
            );
        }
    }
    let ids = dt.get("slo_ids");
    if !ids.is_unknown() && ids.elements().is_empty() {
        d.error_at(at("slo_ids"), "No SLO to check", "List at least one SLO id, or remove the dynatrace block.");
    }
    for (i, id) in ids.elements().iter().enumerate() {
        if id.as_str().is_some_and(|s| s.trim().is_empty()) {
            d.error_at(at("slo_ids").index(i as i64), "Empty SLO id", "Give the SLO's id as Dynatrace shows it.");
        }
    }
    check_duration(d, dt.get("evaluation_window"), at("evaluation_window"), "evaluation_window");
    if dt.get("guardian_workflow_id").as_str().is_some()
        && dt.get("platform_token_secret_arn").is_null()
        && dt.get("platform_token_secret_key").is_null()
    {
        d.error_at(
            at("guardian_workflow_id"),
            "No platform token for the guardian",
            "The Site Reliability Guardian runs through the platform API, which takes a platform token, not the API token: set platform_token_secret_arn (or platform_token_secret_key, a key of the API token's JSON secret).",
        );
    }
}

fn strategy_of(p: &Value) -> Strategy {
    let percent = |v: &Value, default: u8| v.as_i64().and_then(|n| u8::try_from(n).ok()).unwrap_or(default);
    match p.get("strategy").as_str() {
        Some("canary") => {
            let c = p.get("canary").single_block().cloned().unwrap_or_default();
            Strategy::Canary {
                percent: percent(c.get("percent"), 10),
                bake_time: parsed_duration(c.get("bake_time"), Duration::from_secs(300)),
            }
        }
        Some("linear") => {
            let l = p.get("linear").single_block().cloned().unwrap_or_default();
            Strategy::Linear {
                step_percent: percent(l.get("step_percent"), 10),
                step_bake_time: parsed_duration(l.get("step_bake_time"), Duration::from_secs(60)),
            }
        }
        _ => Strategy::AllAtOnce,
    }
}

fn validate_strategy(d: &mut Diagnostics, p: &Value) {
    let at = |attr: &str| AttrPath::root("promotion").index(0).attr(attr);
    match p.get("strategy") {
        Value::Null | Value::Unknown => {}
        v => match v.as_str() {
            Some("all_at_once" | "canary" | "linear") => {}
            _ => d.error_at(
                at("strategy"),
                "Invalid strategy",
                "Use \"all_at_once\" (the default), \"canary\" or \"linear\".",
            ),
        },
    }
    for (block, attr, duration) in [("canary", "percent", "bake_time"), ("linear", "step_percent", "step_bake_time")] {
        let Some(b) = p.get(block).single_block() else { continue };
        let path = |a: &str| at(block).index(0).attr(a);
        if let Some(n) = b.get(attr).as_i64().or_else(|| if b.get(attr).is_null() { None } else { Some(-1) })
            && !(1..=99).contains(&n)
            && !b.get(attr).is_unknown()
        {
            d.error_at(path(attr), format!("Invalid {attr}"), "Use a whole number of percent from 1 to 99.");
        }
        check_duration(d, b.get(duration), path(duration), duration);
        if let Some(s) = p.get("strategy").as_str()
            && s != block
        {
            d.push(
                tfplugin::Diagnostic::warning(
                    format!("promotion.{block} is not used"),
                    format!("promotion.strategy is {s:?}, so the {block} block has no effect. Set strategy = \"{block}\" or remove it."),
                )
                .at(at(block)),
            );
        }
    }
}

fn validate_hooks(d: &mut Diagnostics, p: &Value) {
    for (i, h) in p.get("hook").elements().iter().enumerate() {
        let at = |attr: &str| AttrPath::root("promotion").index(0).attr("hook").index(i as i64).attr(attr);
        if let Some(stage) = h.get("stage").as_str()
            && HookStage::parse(stage).is_none()
        {
            d.error_at(
                at("stage"),
                "Invalid hook stage",
                format!("{stage:?} is not a stage this provider runs hooks at. Use \"POST_TEST_TRAFFIC_SHIFT\", \"PRODUCTION_TRAFFIC_SHIFT\" or \"POST_PRODUCTION_TRAFFIC_SHIFT\" (ECS's names)."),
            );
        }
        if let Some(f) = h.get("lambda_function_arn").as_str()
            && !arn::is_lambda_function(f)
        {
            d.error_at(
                at("lambda_function_arn"),
                "Invalid Lambda function ARN",
                format!("{f:?} is not a Lambda function ARN. Use arn:aws:lambda:REGION:ACCOUNT:function:NAME (optionally :VERSION or :ALIAS), e.g. aws_lambda_function.smoke.arn."),
            );
        }
        if let Some(text) = h.get("hook_details").as_str() {
            let problem = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(_)) => None,
                Ok(other) => Some(format!("it is a JSON {}, not an object", json_kind(&other))),
                Err(e) => Some(format!("it is not JSON ({e})")),
            };
            if let Some(problem) = problem {
                d.error_at(
                    at("hook_details"),
                    "Invalid hook_details",
                    format!("hook_details is sent to the function as the payload's `hookDetails`, a JSON object, but {problem}. Write it with jsonencode, e.g. hook_details = jsonencode({{ S3_BUCKET_NAME = \"my-approval-bucket\" }})."),
                );
            }
        }
        check_duration(d, h.get("timeout"), at("timeout"), "hook timeout");
        if let Some(t) = h.get("timeout").as_str()
            && duration::parse(t).is_ok_and(|t| t.is_zero())
        {
            d.error_at(
                at("timeout"),
                "Invalid hook timeout",
                "A hook needs time to answer: use a duration such as \"5m\".",
            );
        }
    }
}

fn json_kind(v: &serde_json::Value) -> &'static str {
    match v {
        serde_json::Value::Null => "null",
        serde_json::Value::Bool(_) => "boolean",
        serde_json::Value::Number(_) => "number",
        serde_json::Value::String(_) => "string",
        serde_json::Value::Array(_) => "array",
        serde_json::Value::Object(_) => "object",
    }
}

/// Hook functions in another region than the provider's (`region`), as plan-time
/// errors at each `promotion.hook[N].lambda_function_arn`. The provider's one Lambda
/// client calls its own region, and Lambda answers Invoke of another region's function
/// with ResourceNotFoundException ("Functions from 'R' are not reachable in this
/// region"): the hook would fail only mid-promotion. Validation cannot say this (it has
/// no provider configuration); plan can.
pub fn hook_region_errors(config: &Value, region: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    let Some(p) = config.get("promotion").single_block() else { return d };
    for (i, h) in p.get("hook").elements().iter().enumerate() {
        let Some(f) = h.get("lambda_function_arn").as_str() else { continue };
        let Some(parsed) = arn::parse(f) else { continue };
        if parsed.service != "lambda" || parsed.region.is_empty() || parsed.region == region {
            continue;
        }
        let at = AttrPath::root("promotion").index(0).attr("hook").index(i as i64).attr("lambda_function_arn");
        d.error_at(
            at,
            "Lifecycle hook in another region",
            format!(
                "{f} is in {fn_region}, but this provider invokes Lambda in {region} (its configured region), and Lambda refuses that: ResourceNotFoundException \"Functions from '{fn_region}' are not reachable in this region ('{region}')\". The promotion would fail at this hook. Deploy the hook function in {region} (the release's region) and use that ARN.",
                fn_region = parsed.region
            ),
        );
    }
    d
}

fn hooks_of(p: &Value) -> Vec<LifecycleHook> {
    p.get("hook")
        .elements()
        .iter()
        .filter_map(|h| {
            Some(LifecycleHook {
                stage: HookStage::parse(h.get("stage").as_str()?)?,
                function_arn: h.get("lambda_function_arn").as_str()?.to_string(),
                timeout: parsed_duration(h.get("timeout"), DEFAULT_HOOK_TIMEOUT),
                details: h.get("hook_details").as_str().and_then(|t| serde_json::from_str(t).ok()),
            })
        })
        .collect()
}

fn dynatrace_of(d: &Value) -> Option<DynatraceGate> {
    Some(DynatraceGate {
        environment_url: d.get("environment_url").as_str()?.trim_end_matches('/').to_string(),
        api_token: SecretRef {
            arn: d.get("api_token_secret_arn").as_str()?.to_string(),
            key: d.get("api_token_secret_key").as_str().map(str::to_string),
            attribute: "promotion.dynatrace.api_token_secret_arn",
        },
        slo_ids: d.get("slo_ids").elements().iter().filter_map(|a| a.as_str().map(str::to_string)).collect(),
        allow_warning: d.get("allow_warning").as_bool().unwrap_or(false),
        evaluation_window: parsed_duration(d.get("evaluation_window"), Duration::from_secs(600)),
        guardian: guardian_of(d),
    })
}

fn guardian_of(d: &Value) -> Option<GuardianGate> {
    let environment = d.get("environment_url").as_str()?.trim_end_matches('/');
    Some(GuardianGate {
        workflow_id: d.get("guardian_workflow_id").as_str()?.to_string(),
        platform_url: match d.get("platform_url").as_str() {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => environment.replacen(".live.", ".apps.", 1),
        },
        platform_token: SecretRef {
            arn: d.get("platform_token_secret_arn").as_str().or(d.get("api_token_secret_arn").as_str())?.to_string(),
            key: d.get("platform_token_secret_key").as_str().map(str::to_string),
            attribute: "promotion.dynatrace.platform_token_secret_arn",
        },
        allow_warning: d.get("allow_warning").as_bool().unwrap_or(false),
    })
}

pub fn from_value(c: &Value) -> Result<ReleaseSpec, Diagnostics> {
    let d = validate(c);
    if d.has_errors() {
        return Err(d);
    }
    let mut missing = Diagnostics::new();
    let cluster = c.get("cluster").as_str().map(str::to_string);
    let pointer = pointer_of(c);
    let pair = pair_of(c);
    let (Some(cluster), Some(pointer), Some(pair)) = (cluster, pointer, pair) else {
        missing.error(
            "Configuration not known",
            "The cluster, the pointer and both target groups must be known to apply a release.",
        );
        return Err(missing);
    };
    let defaults = Promotion::default();
    let promotion = match c.get("promotion").single_block() {
        None => defaults,
        Some(p) => Promotion {
            min_healthy_targets: p.get("min_healthy_targets").as_i64().unwrap_or(defaults.min_healthy_targets),
            wait_timeout: parsed_duration(p.get("wait_timeout"), defaults.wait_timeout),
            alarm_names: p
                .get("alarm_names")
                .elements()
                .iter()
                .filter_map(|a| a.as_str().map(str::to_string))
                .collect(),
            bake_time: parsed_duration(p.get("bake_time"), defaults.bake_time),
            rollback_on_failure: p.get("rollback_on_failure").as_bool().unwrap_or(defaults.rollback_on_failure),
            check_services: defaults.check_services,
            dynatrace: p.get("dynatrace").single_block().and_then(dynatrace_of),
            strategy: strategy_of(p),
            hooks: hooks_of(p),
            rolling_back: defaults.rolling_back,
        },
    };
    let test_pointer = match (c.get("test_listener_rule_arn").as_str(), c.get("test_listener_arn").as_str()) {
        (Some(r), _) => Some(PointerRef::Rule(r.to_string())),
        (None, Some(l)) => Some(PointerRef::Listener(l.to_string())),
        _ => None,
    };
    Ok(ReleaseSpec {
        cluster,
        pointer,
        pair,
        active_color: c.get("active_color").as_str().and_then(Color::parse),
        standby_percent: c.get("standby_traffic_percent").as_i64().map(|p| p as u8),
        test_pointer,
        promotion,
        create_timeout: parsed_duration(c.get("timeouts").get("create"), DEFAULT_TIMEOUT),
        update_timeout: parsed_duration(c.get("timeouts").get("update"), DEFAULT_TIMEOUT),
    })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub const RULE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener-rule/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2/9683b2d02a6cabee";
    pub const LISTENER: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:listener/app/web/50dc6c495c0c9188/f2f7dc8efc522ab2";
    pub const BLUE: &str = "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-blue/73e2d6bc24d8a067";
    pub const GREEN: &str =
        "arn:aws:elasticloadbalancing:us-east-1:123456789012:targetgroup/app-green/83e2d6bc24d8a068";

    pub fn color(tg: &str) -> Value {
        Value::List(vec![Value::object([("target_group_arn", Value::from(tg))])])
    }

    pub fn good() -> Value {
        Value::object([
            ("cluster", Value::from("prod")),
            ("listener_rule_arn", Value::from(RULE)),
            ("blue", color(BLUE)),
            ("green", color(GREEN)),
            ("active_color", Value::from("blue")),
            ("standby_traffic_percent", Value::from(0)),
            ("promotion", Value::List(vec![])),
        ])
    }

    fn with(mut v: Value, attr: &str, new: Value) -> Value {
        v.as_object_mut().unwrap().insert(attr.into(), new);
        v
    }

    fn promotion(attr: &str, v: Value) -> Value {
        Value::List(vec![Value::object([(attr, v)])])
    }

    #[test]
    fn a_good_configuration_passes_and_parses_with_defaults() {
        assert!(validate(&good()).is_empty(), "{}", validate(&good()));
        let spec = from_value(&good()).unwrap();
        assert_eq!(spec.pointer, PointerRef::Rule(RULE.into()));
        assert_eq!(spec.active_color, Some(Color::Blue));
        assert_eq!(spec.promotion, Promotion::default());
        assert_eq!(spec.update_timeout, DEFAULT_TIMEOUT);
    }

    #[test]
    fn unknown_values_are_not_errors() {
        let v = with(with(good(), "listener_rule_arn", Value::Unknown), "active_color", Value::Unknown);
        assert!(validate(&v).is_empty(), "{}", validate(&v));
    }

    fn with_hook(arn: &str, details: Option<&str>) -> Value {
        let hook = Value::object([
            ("stage", Value::from("POST_TEST_TRAFFIC_SHIFT")),
            ("lambda_function_arn", Value::from(arn)),
            ("hook_details", details.map(Value::from).unwrap_or(Value::Null)),
        ]);
        with(good(), "promotion", promotion("hook", Value::List(vec![hook])))
    }

    #[test]
    fn hook_details_must_be_a_json_object_and_reach_the_parsed_hook() {
        const SMOKE: &str = "arn:aws:lambda:us-east-1:123456789012:function:smoke";
        let ok = with_hook(SMOKE, Some(r#"{"S3_BUCKET_NAME":"my-approval-bucket"}"#));
        assert!(validate(&ok).is_empty(), "{}", validate(&ok));
        let hooks = from_value(&ok).unwrap().promotion.hooks;
        assert_eq!(hooks[0].details, Some(serde_json::json!({"S3_BUCKET_NAME": "my-approval-bucket"})));
        assert_eq!(from_value(&with_hook(SMOKE, None)).unwrap().promotion.hooks[0].details, None);
        for (bad, says) in
            [("bucket=b", "it is not JSON"), ("[1,2]", "a JSON array, not an object"), (r#""b""#, "a JSON string")]
        {
            let d = validate(&with_hook(SMOKE, Some(bad)));
            let hit = d.iter().find(|d| {
                d.path.as_ref().map(|p| p.to_string()).as_deref() == Some("promotion[0].hook[0].hook_details")
            });
            let hit = hit.unwrap_or_else(|| panic!("{bad}: no error at hook_details: {d}"));
            assert!(hit.detail.contains(says) && hit.detail.contains("jsonencode"), "{bad}: {}", hit.detail);
        }
    }

    #[test]
    fn a_hook_in_another_region_is_refused_at_its_attribute_once_the_region_is_known() {
        let far = with_hook("arn:aws:lambda:eu-west-1:123456789012:function:smoke", None);
        assert!(validate(&far).is_empty(), "validation has no provider region");
        let d = hook_region_errors(&far, "us-east-1");
        let e = d.iter().next().expect("an error");
        assert_eq!(e.path.as_ref().map(|p| p.to_string()).as_deref(), Some("promotion[0].hook[0].lambda_function_arn"));
        assert!(
            e.detail.contains("Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"),
            "{}",
            e.detail
        );
        assert!(e.detail.contains("Deploy the hook function in us-east-1"), "{}", e.detail);
        assert!(hook_region_errors(&far, "eu-west-1").is_empty());
        assert!(hook_region_errors(&good(), "us-east-1").is_empty());
    }

    /// Bad configurations: each must produce an error at the named attribute whose text
    /// says what to do.
    #[test]
    fn bad_configurations_are_reported_at_their_attribute() {
        let cases: Vec<(Value, &str, &str)> = vec![
            (with(good(), "active_color", "purple".into()), "active_color", "\"blue\" or \"green\""),
            (with(good(), "active_color", "Blue".into()), "active_color", "\"blue\" or \"green\""),
            (with(good(), "standby_traffic_percent", Value::from(101)), "standby_traffic_percent", "0 to 50"),
            (with(good(), "standby_traffic_percent", Value::from(-1)), "standby_traffic_percent", "0 to 50"),
            (
                with(good(), "standby_traffic_percent", Value::from(75)),
                "standby_traffic_percent",
                "Switch `active_color`",
            ),
            (
                with(good(), "standby_traffic_percent", Value::Number(tfplugin::Number::Float(2.5))),
                "standby_traffic_percent",
                "whole number",
            ),
            (with(good(), "green", color(BLUE)), "green[0].target_group_arn", "two different target groups"),
            (with(good(), "listener_arn", LISTENER.into()), "listener_arn", "exactly one"),
            (with(good(), "listener_rule_arn", Value::Null), "listener_rule_arn", "exactly one"),
            (with(good(), "listener_rule_arn", LISTENER.into()), "listener_rule_arn", "use `listener_arn`"),
            (
                with(good(), "listener_rule_arn", "not-an-arn".into()),
                "listener_rule_arn",
                "expected arn:aws:elasticloadbalancing",
            ),
            (
                with(with(good(), "listener_rule_arn", Value::Null), "listener_arn", RULE.into()),
                "listener_arn",
                "use `listener_rule_arn`",
            ),
            (with(good(), "blue", color("app-blue")), "blue[0].target_group_arn", "targetgroup/NAME/ID"),
            (with(good(), "green", color(RULE)), "green[0].target_group_arn", "targetgroup/NAME/ID"),
            (with(good(), "cluster", "my cluster".into()), "cluster", "cluster name"),
            (with(good(), "cluster", "arn:aws:ecs:us-east-1:1:service/prod/x".into()), "cluster", "cluster ARN"),
            (
                with(good(), "promotion", promotion("wait_timeout", "5 minutes".into())),
                "promotion[0].wait_timeout",
                "\"5m\"",
            ),
            (with(good(), "promotion", promotion("bake_time", "10".into())), "promotion[0].bake_time", "missing unit"),
            (
                with(good(), "promotion", promotion("min_healthy_targets", Value::from(-2))),
                "promotion[0].min_healthy_targets",
                "from 0",
            ),
            (
                with(good(), "promotion", promotion("alarm_names", Value::List(vec!["".into()]))),
                "promotion[0].alarm_names[0]",
                "alarm name",
            ),
            (
                with(good(), "timeouts", Value::object([("create", Value::from("forever")), ("update", Value::Null)])),
                "timeouts.create",
                "\"10m\"",
            ),
            (with(good(), "test_listener_rule_arn", RULE.into()), "test_listener_rule_arn", "must differ"),
            (
                with(with(good(), "test_listener_rule_arn", RULE.into()), "test_listener_arn", LISTENER.into()),
                "test_listener_arn",
                "at most one",
            ),
            (
                with(good(), "test_listener_arn", BLUE.into()),
                "test_listener_arn",
                "target groups go in the blue and green blocks",
            ),
        ];
        assert!(cases.len() >= 15);
        for (config, attr, fix) in cases {
            let d = validate(&config);
            let hit = d.iter().find(|d| d.path.as_ref().map(|p| p.to_string()).as_deref() == Some(attr));
            let hit = hit.unwrap_or_else(|| panic!("no error at {attr}: {d}"));
            assert!(hit.detail.contains(fix), "{attr}: {:?} does not say {fix:?}", hit.detail);
            assert!(from_value(&config).is_err());
        }
    }
}
