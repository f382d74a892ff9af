//! A release as configured: parsed from Terraform values, with plan-time validation
//! that points at the offending attribute and says what to write instead.

use crate::arn;
use crate::duration;
use crate::promotion_gate::{DynatraceGate, GuardianGate, Promotion, Strategy};
use crate::resource_ecs_release::{attrs, pair_of, pointer_of, test_pointer_of};
use crate::secrets::SecretRef;
use crate::traffic_pointer::{Color, Pair, PointerRef, Traffic};
use crate::traffic_switch::{DEFAULT_HOOK_TIMEOUT, HookStage, LifecycleHook};
use std::time::Duration;
use tfplugin::{AttrPath, Diagnostics, Value};

mod routes;
pub use routes::{MAX_ROUTES, Route, pointer_between, route_path};
pub mod nlb;
pub use nlb::{DEFAULT_NLB_PROPAGATION_DELAY, propagation_delay, propagation_time};

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
    /// The `route` blocks: further pointers written with the primary one, in order.
    pub routes: Vec<Route>,
    pub promotion: Promotion,
    pub create_timeout: Duration,
    pub update_timeout: Duration,
}

impl ReleaseSpec {
    /// Every target group of the release, once each: its pair's, then each route's.
    pub fn target_groups(&self) -> Vec<&str> {
        let pairs = std::iter::once(&self.pair).chain(self.routes.iter().map(|r| &r.pair));
        let mut groups: Vec<&str> = Vec::new();
        for tg in pairs.flat_map(|p| [p.blue.as_str(), p.green.as_str()]) {
            if !groups.contains(&tg) {
                groups.push(tg);
            }
        }
        groups
    }

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

/// `attr` of `v`, when set, must be a listener rule ARN (`want_rule`: an ALB's, since an
/// NLB has no rules) or a listener ARN (an ALB's or an NLB's); the message says what the
/// value is if it is the other, an NLB rule, or a target group (which goes in
/// `target_groups_go_in`). Shared with the data source.
pub fn check_pointer_arn(d: &mut Diagnostics, v: &Value, attr: &str, want_rule: bool, target_groups_go_in: &str) {
    check_pointer_arn_at(d, v.get(attr), path(attr), attr, want_rule, target_groups_go_in);
}

/// [`check_pointer_arn`] of one value, reported at `at` (a `route` block's attribute).
pub fn check_pointer_arn_at(
    d: &mut Diagnostics,
    value: &Value,
    at: AttrPath,
    attr: &str,
    want_rule: bool,
    target_groups_go_in: &str,
) {
    let Some(s) = value.as_str() else { return };
    let ok = if want_rule { arn::is_listener_rule(s) } else { arn::is_listener(s) };
    if ok {
        return;
    }
    let listener_attr = attr.replace("_rule", "");
    if want_rule && (arn::is_nlb_listener(s) || arn::is_nlb_listener_rule(s)) {
        d.error_at(
            at,
            "A Network Load Balancer has no listener rules",
            format!(
                "{s:?} belongs to a Network Load Balancer, whose listeners forward with their default action only (CreateRule takes an Application Load Balancer's listener). Set `{listener_attr}` to the NLB listener's ARN (arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/net/LB_NAME/LB_ID/LISTENER_ID) instead of `{attr}`."
            ),
        );
        return;
    }
    let hint = if want_rule && arn::is_listener(s) {
        format!(" That is a listener ARN: use `{listener_attr}` for a listener's default action.")
    } else if !want_rule && arn::is_listener_rule(s) {
        format!(" That is a listener rule ARN: use `{}`.", attr.replace(attrs::LISTENER_ARN, attrs::LISTENER_RULE_ARN))
    } else if arn::is_target_group(s) {
        format!(" That is a target group ARN: target groups go in {target_groups_go_in}.")
    } else {
        String::new()
    };
    let (summary, what, form) = if want_rule {
        (
            "Invalid listener rule ARN",
            "an Application Load Balancer listener rule ARN",
            "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener-rule/app/LB_NAME/LB_ID/LISTENER_ID/RULE_ID",
        )
    } else {
        (
            "Invalid listener ARN",
            "a listener ARN of an Application or Network Load Balancer",
            "arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/LB_NAME/LB_ID/LISTENER_ID (or listener/net/... for an NLB)",
        )
    };
    d.error_at(at, summary, format!("{s:?} is not {what}; expected {form}.{hint}"));
}

/// Static checks of a resource configuration. Unknown values are skipped: they are
/// checked again when known, at apply.
pub fn validate(c: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    check_cluster(&mut d, c, attrs::CLUSTER);
    let (rule, listener) = (c.get(attrs::LISTENER_RULE_ARN), c.get(attrs::LISTENER_ARN));
    match (rule.is_null(), listener.is_null()) {
        (false, false) => d.error_at(
            path(attrs::LISTENER_ARN),
            "Conflicting pointers",
            "Set exactly one of `listener_rule_arn` (a rule's forward action) and `listener_arn` (the listener's default action), not both.",
        ),
        (true, true) => d.error_at(
            path(attrs::LISTENER_RULE_ARN),
            "Missing pointer",
            "Set exactly one of `listener_rule_arn` (a rule's forward action) or `listener_arn` (the listener's default action): it is the production traffic pointer.",
        ),
        _ => {}
    }
    check_pointer_arn(&mut d, c, attrs::LISTENER_RULE_ARN, true, RESOURCE_TARGET_GROUPS);
    check_pointer_arn(&mut d, c, attrs::LISTENER_ARN, false, RESOURCE_TARGET_GROUPS);
    if !c.get(attrs::TEST_LISTENER_RULE_ARN).is_null() && !c.get(attrs::TEST_LISTENER_ARN).is_null() {
        d.error_at(
            path(attrs::TEST_LISTENER_ARN),
            "Conflicting test pointers",
            "Set at most one of `test_listener_rule_arn` and `test_listener_arn`.",
        );
    }
    check_pointer_arn(&mut d, c, attrs::TEST_LISTENER_RULE_ARN, true, RESOURCE_TARGET_GROUPS);
    check_pointer_arn(&mut d, c, attrs::TEST_LISTENER_ARN, false, RESOURCE_TARGET_GROUPS);
    for test_attr in [attrs::TEST_LISTENER_RULE_ARN, attrs::TEST_LISTENER_ARN] {
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
    for color in attrs::COLORS {
        if let Some(block) = c.get(color).single_block() {
            check_target_group(&mut d, block.get(attrs::TARGET_GROUP_ARN), block_path(color, attrs::TARGET_GROUP_ARN));
        }
    }
    if let Some(pair) = pair_of(c)
        && pair.blue == pair.green
    {
        d.error_at(
            block_path(attrs::GREEN, attrs::TARGET_GROUP_ARN),
            "Blue and green are the same target group",
            format!("Both colors use {}. Blue and green need two different target groups.", pair.blue),
        );
    }
    if let Some(color) = c.get(attrs::ACTIVE_COLOR).as_str()
        && Color::parse(color).is_none()
    {
        d.error_at(
            path(attrs::ACTIVE_COLOR),
            "Invalid active_color",
            format!("{color:?} is not a color: use \"blue\" or \"green\", or omit it to follow what is live."),
        );
    }
    match c.get(attrs::STANDBY_TRAFFIC_PERCENT) {
        Value::Null | Value::Unknown => {}
        v => match v.as_i64() {
            Some(p) if (0..=MAX_STANDBY_PERCENT).contains(&p) => {}
            Some(p) if (0..=100).contains(&p) => d.error_at(
                path(attrs::STANDBY_TRAFFIC_PERCENT),
                "Standby share above 50%",
                format!("{p}% would send most traffic to the standby color. Switch `active_color` instead and set the share the other color keeps (0..50)."),
            ),
            _ => d.error_at(path(attrs::STANDBY_TRAFFIC_PERCENT), "Invalid standby_traffic_percent", "Use a whole number of percent from 0 to 50 (0 = no canary)."),
        },
    }
    if let Some(p) = c.get(attrs::PROMOTION).single_block() {
        match p.get(attrs::promotion::MIN_HEALTHY_TARGETS) {
            Value::Null | Value::Unknown => {}
            v => match v.as_i64() {
                Some(n) if (0..=10_000).contains(&n) => {}
                _ => d.error_at(
                    block_path(attrs::PROMOTION, attrs::promotion::MIN_HEALTHY_TARGETS),
                    "Invalid min_healthy_targets",
                    "Use a whole number from 0 (no health check) to 10000.",
                ),
            },
        }
        check_duration(
            &mut d,
            p.get(attrs::promotion::WAIT_TIMEOUT),
            block_path(attrs::PROMOTION, attrs::promotion::WAIT_TIMEOUT),
            attrs::promotion::WAIT_TIMEOUT,
        );
        check_duration(
            &mut d,
            p.get(attrs::promotion::BAKE_TIME),
            block_path(attrs::PROMOTION, attrs::promotion::BAKE_TIME),
            attrs::promotion::BAKE_TIME,
        );
        check_duration(
            &mut d,
            p.get(attrs::promotion::NLB_PROPAGATION_DELAY),
            block_path(attrs::PROMOTION, attrs::promotion::NLB_PROPAGATION_DELAY),
            attrs::promotion::NLB_PROPAGATION_DELAY,
        );
        let alarms = p.get(attrs::promotion::ALARM_NAMES).elements();
        if alarms.len() > MAX_ALARMS {
            d.error_at(
                block_path(attrs::PROMOTION, attrs::promotion::ALARM_NAMES),
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
                    block_path(attrs::PROMOTION, attrs::promotion::ALARM_NAMES).index(i as i64),
                    "Invalid alarm name",
                    format!("{name:?} is not a CloudWatch alarm name (1-255 printable characters)."),
                );
            }
        }
        if let Some(dt) = p.get(attrs::promotion::DYNATRACE).single_block() {
            validate_dynatrace(&mut d, dt);
        }
        validate_strategy(&mut d, p);
        validate_hooks(&mut d, p);
    }
    routes::validate_routes(&mut d, c);
    let timeouts = c.get(attrs::TIMEOUTS);
    for op in [attrs::CREATE, attrs::UPDATE] {
        if let Some(s) = timeouts.get(op).as_str()
            && let Err(e) = duration::parse(s)
        {
            d.error_at(
                AttrPath::root(attrs::TIMEOUTS).attr(op),
                format!("Invalid {op} timeout"),
                format!("{e}. Write a duration such as \"10m\"."),
            );
        }
    }
    d
}

/// The known strings of a list.
fn strings(v: &Value) -> Vec<String> {
    v.elements().iter().filter_map(|a| a.as_str().map(str::to_string)).collect()
}

fn parsed_duration(v: &Value, default: Duration) -> Duration {
    v.as_str().and_then(|s| duration::parse(s).ok()).unwrap_or(default)
}

/// The release of a validated, wholly known configuration (or planned state).
fn validate_dynatrace(d: &mut Diagnostics, dt: &Value) {
    let at =
        |attr: &str| AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::DYNATRACE).index(0).attr(attr);
    if let Some(url) = dt.get(attrs::dynatrace::ENVIRONMENT_URL).as_str() {
        let ok = (url.starts_with("https://") || url.starts_with("http://"))
            && url.split("://").nth(1).is_some_and(|r| !r.is_empty() && !r.contains(char::is_whitespace));
        if !ok {
            d.error_at(
                at(attrs::dynatrace::ENVIRONMENT_URL),
                "Invalid Dynatrace environment URL",
                format!(
                    "{url:?} is not a URL. Use the environment's API URL, e.g. https://abc12345.live.dynatrace.com."
                ),
            );
        }
    }
    for attr in [attrs::dynatrace::API_TOKEN_SECRET_ARN, attrs::dynatrace::PLATFORM_TOKEN_SECRET_ARN] {
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
    let ids = dt.get(attrs::dynatrace::SLO_IDS);
    if !ids.is_unknown() && ids.elements().is_empty() {
        d.error_at(
            at(attrs::dynatrace::SLO_IDS),
            "No SLO to check",
            "List at least one SLO id, or remove the dynatrace block.",
        );
    }
    for (i, id) in ids.elements().iter().enumerate() {
        if id.as_str().is_some_and(|s| s.trim().is_empty()) {
            d.error_at(
                at(attrs::dynatrace::SLO_IDS).index(i as i64),
                "Empty SLO id",
                "Give the SLO's id as Dynatrace shows it.",
            );
        }
    }
    check_duration(
        d,
        dt.get(attrs::dynatrace::EVALUATION_WINDOW),
        at(attrs::dynatrace::EVALUATION_WINDOW),
        attrs::dynatrace::EVALUATION_WINDOW,
    );
    if dt.get(attrs::dynatrace::GUARDIAN_WORKFLOW_ID).as_str().is_some()
        && dt.get(attrs::dynatrace::PLATFORM_TOKEN_SECRET_ARN).is_null()
        && dt.get(attrs::dynatrace::PLATFORM_TOKEN_SECRET_KEY).is_null()
    {
        d.error_at(
            at(attrs::dynatrace::GUARDIAN_WORKFLOW_ID),
            "No platform token for the guardian",
            "The Site Reliability Guardian runs through the platform API, which takes a platform token, not the API token: set platform_token_secret_arn (or platform_token_secret_key, a key of the API token's JSON secret).",
        );
    }
}

fn strategy_of(p: &Value) -> Strategy {
    let percent = |v: &Value, default: u8| v.as_i64().and_then(|n| u8::try_from(n).ok()).unwrap_or(default);
    match p.get(attrs::promotion::STRATEGY).as_str() {
        Some("canary") => {
            let c = p.get(attrs::promotion::CANARY).single_block().cloned().unwrap_or_default();
            Strategy::Canary {
                percent: percent(c.get(attrs::promotion::PERCENT), 10),
                bake_time: parsed_duration(c.get(attrs::promotion::BAKE_TIME), Duration::from_secs(300)),
            }
        }
        Some("linear") => {
            let l = p.get(attrs::promotion::LINEAR).single_block().cloned().unwrap_or_default();
            Strategy::Linear {
                step_percent: percent(l.get(attrs::promotion::STEP_PERCENT), 10),
                step_bake_time: parsed_duration(l.get(attrs::promotion::STEP_BAKE_TIME), Duration::from_secs(60)),
            }
        }
        _ => Strategy::AllAtOnce,
    }
}

fn validate_strategy(d: &mut Diagnostics, p: &Value) {
    let at = |attr: &str| AttrPath::root(attrs::PROMOTION).index(0).attr(attr);
    match p.get(attrs::promotion::STRATEGY) {
        Value::Null | Value::Unknown => {}
        v => match v.as_str() {
            Some("all_at_once" | "canary" | "linear") => {}
            _ => d.error_at(
                at(attrs::promotion::STRATEGY),
                "Invalid strategy",
                "Use \"all_at_once\" (the default), \"canary\" or \"linear\".",
            ),
        },
    }
    for (block, attr, duration) in [
        (attrs::promotion::CANARY, attrs::promotion::PERCENT, attrs::promotion::BAKE_TIME),
        (attrs::promotion::LINEAR, attrs::promotion::STEP_PERCENT, attrs::promotion::STEP_BAKE_TIME),
    ] {
        let Some(b) = p.get(block).single_block() else { continue };
        let path = |a: &str| at(block).index(0).attr(a);
        if let Some(n) = b.get(attr).as_i64().or_else(|| if b.get(attr).is_null() { None } else { Some(-1) })
            && !(1..=99).contains(&n)
            && !b.get(attr).is_unknown()
        {
            d.error_at(path(attr), format!("Invalid {attr}"), "Use a whole number of percent from 1 to 99.");
        }
        check_duration(d, b.get(duration), path(duration), duration);
        if let Some(s) = p.get(attrs::promotion::STRATEGY).as_str()
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
    for (i, h) in p.get(attrs::promotion::HOOK).elements().iter().enumerate() {
        let at = |attr: &str| {
            AttrPath::root(attrs::PROMOTION).index(0).attr(attrs::promotion::HOOK).index(i as i64).attr(attr)
        };
        if let Some(stage) = h.get(attrs::hook::STAGE).as_str()
            && HookStage::parse(stage).is_none()
        {
            d.error_at(
                at(attrs::hook::STAGE),
                "Invalid hook stage",
                format!("{stage:?} is not a stage this provider runs hooks at. Use \"POST_TEST_TRAFFIC_SHIFT\", \"PRODUCTION_TRAFFIC_SHIFT\" or \"POST_PRODUCTION_TRAFFIC_SHIFT\" (ECS's names)."),
            );
        }
        if let Some(f) = h.get(attrs::hook::LAMBDA_FUNCTION_ARN).as_str()
            && !arn::is_lambda_function(f)
        {
            d.error_at(
                at(attrs::hook::LAMBDA_FUNCTION_ARN),
                "Invalid Lambda function ARN",
                format!("{f:?} is not a Lambda function ARN. Use arn:aws:lambda:REGION:ACCOUNT:function:NAME (optionally :VERSION or :ALIAS), e.g. aws_lambda_function.smoke.arn."),
            );
        }
        if let Some(text) = h.get(attrs::hook::HOOK_DETAILS).as_str() {
            let problem = match serde_json::from_str::<serde_json::Value>(text) {
                Ok(serde_json::Value::Object(_)) => None,
                Ok(other) => Some(format!("it is a JSON {}, not an object", json_kind(&other))),
                Err(e) => Some(format!("it is not JSON ({e})")),
            };
            if let Some(problem) = problem {
                d.error_at(
                    at(attrs::hook::HOOK_DETAILS),
                    "Invalid hook_details",
                    format!("hook_details is sent to the function as the payload's `hookDetails`, a JSON object, but {problem}. Write it with jsonencode, e.g. hook_details = jsonencode({{ S3_BUCKET_NAME = \"my-approval-bucket\" }})."),
                );
            }
        }
        check_duration(d, h.get(attrs::hook::TIMEOUT), at(attrs::hook::TIMEOUT), "hook timeout");
        if let Some(t) = h.get(attrs::hook::TIMEOUT).as_str()
            && duration::parse(t).is_ok_and(|t| t.is_zero())
        {
            d.error_at(
                at(attrs::hook::TIMEOUT),
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
    let Some(p) = config.get(attrs::PROMOTION).single_block() else { return d };
    for (i, h) in p.get(attrs::promotion::HOOK).elements().iter().enumerate() {
        let Some(f) = h.get(attrs::hook::LAMBDA_FUNCTION_ARN).as_str() else { continue };
        let Some(parsed) = arn::parse(f) else { continue };
        if parsed.service != "lambda" || parsed.region.is_empty() || parsed.region == region {
            continue;
        }
        let at = AttrPath::root(attrs::PROMOTION)
            .index(0)
            .attr(attrs::promotion::HOOK)
            .index(i as i64)
            .attr(attrs::hook::LAMBDA_FUNCTION_ARN);
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
    p.get(attrs::promotion::HOOK)
        .elements()
        .iter()
        .filter_map(|h| {
            Some(LifecycleHook {
                stage: HookStage::parse(h.get(attrs::hook::STAGE).as_str()?)?,
                function_arn: h.get(attrs::hook::LAMBDA_FUNCTION_ARN).as_str()?.to_string(),
                timeout: parsed_duration(h.get(attrs::hook::TIMEOUT), DEFAULT_HOOK_TIMEOUT),
                details: h.get(attrs::hook::HOOK_DETAILS).as_str().and_then(|t| serde_json::from_str(t).ok()),
            })
        })
        .collect()
}

fn dynatrace_of(d: &Value) -> Option<DynatraceGate> {
    Some(DynatraceGate {
        environment_url: d.get(attrs::dynatrace::ENVIRONMENT_URL).as_str()?.trim_end_matches('/').to_string(),
        api_token: SecretRef {
            arn: d.get(attrs::dynatrace::API_TOKEN_SECRET_ARN).as_str()?.to_string(),
            key: d.get(attrs::dynatrace::API_TOKEN_SECRET_KEY).as_str().map(str::to_string),
            attribute: "promotion.dynatrace.api_token_secret_arn",
        },
        slo_ids: strings(d.get(attrs::dynatrace::SLO_IDS)),
        allow_warning: d.get(attrs::dynatrace::ALLOW_WARNING).as_bool().unwrap_or(false),
        evaluation_window: parsed_duration(d.get(attrs::dynatrace::EVALUATION_WINDOW), Duration::from_secs(600)),
        guardian: guardian_of(d),
    })
}

fn guardian_of(d: &Value) -> Option<GuardianGate> {
    let environment = d.get(attrs::dynatrace::ENVIRONMENT_URL).as_str()?.trim_end_matches('/');
    Some(GuardianGate {
        workflow_id: d.get(attrs::dynatrace::GUARDIAN_WORKFLOW_ID).as_str()?.to_string(),
        platform_url: match d.get(attrs::dynatrace::PLATFORM_URL).as_str() {
            Some(u) => u.trim_end_matches('/').to_string(),
            None => environment.replacen(".live.", ".apps.", 1),
        },
        platform_token: SecretRef {
            arn: d
                .get(attrs::dynatrace::PLATFORM_TOKEN_SECRET_ARN)
                .as_str()
                .or(d.get(attrs::dynatrace::API_TOKEN_SECRET_ARN).as_str())?
                .to_string(),
            key: d.get(attrs::dynatrace::PLATFORM_TOKEN_SECRET_KEY).as_str().map(str::to_string),
            attribute: "promotion.dynatrace.platform_token_secret_arn",
        },
        allow_warning: d.get(attrs::dynatrace::ALLOW_WARNING).as_bool().unwrap_or(false),
    })
}

pub fn from_value(c: &Value) -> Result<ReleaseSpec, Diagnostics> {
    let d = validate(c);
    if d.has_errors() {
        return Err(d);
    }
    let mut missing = Diagnostics::new();
    let cluster = c.get(attrs::CLUSTER).as_str().map(str::to_string);
    let pointer = pointer_of(c);
    let pair = pair_of(c);
    let routes = pair.as_ref().and_then(|pair| routes::routes_of(c, pair));
    let (Some(cluster), Some(pointer), Some(pair), Some(routes)) = (cluster, pointer, pair, routes) else {
        missing.error(
            "Configuration not known",
            "The cluster, the pointers (the release's and each route's) and the target groups must be known to apply a release.",
        );
        return Err(missing);
    };
    let defaults = Promotion::default();
    let promotion = match c.get(attrs::PROMOTION).single_block() {
        None => defaults,
        Some(p) => Promotion {
            min_healthy_targets: p
                .get(attrs::promotion::MIN_HEALTHY_TARGETS)
                .as_i64()
                .unwrap_or(defaults.min_healthy_targets),
            wait_timeout: parsed_duration(p.get(attrs::promotion::WAIT_TIMEOUT), defaults.wait_timeout),
            alarm_names: strings(p.get(attrs::promotion::ALARM_NAMES)),
            bake_time: parsed_duration(p.get(attrs::promotion::BAKE_TIME), defaults.bake_time),
            rollback_on_failure: p
                .get(attrs::promotion::ROLLBACK_ON_FAILURE)
                .as_bool()
                .unwrap_or(defaults.rollback_on_failure),
            check_services: defaults.check_services,
            dynatrace: p.get(attrs::promotion::DYNATRACE).single_block().and_then(dynatrace_of),
            strategy: strategy_of(p),
            hooks: hooks_of(p),
            nlb_propagation_delay: parsed_duration(
                p.get(attrs::promotion::NLB_PROPAGATION_DELAY),
                defaults.nlb_propagation_delay,
            ),
            rolling_back: defaults.rolling_back,
        },
    };
    let test_pointer = test_pointer_of(c);
    Ok(ReleaseSpec {
        cluster,
        pointer,
        pair,
        active_color: c.get(attrs::ACTIVE_COLOR).as_str().and_then(Color::parse),
        standby_percent: c.get(attrs::STANDBY_TRAFFIC_PERCENT).as_i64().map(|p| p as u8),
        test_pointer,
        routes,
        promotion,
        create_timeout: parsed_duration(c.get(attrs::TIMEOUTS).get(attrs::CREATE), DEFAULT_TIMEOUT),
        update_timeout: parsed_duration(c.get(attrs::TIMEOUTS).get(attrs::UPDATE), DEFAULT_TIMEOUT),
    })
}

#[cfg(test)]
pub(crate) mod tests;
