//! Resource `bluegreen_ecs_release`: the traffic pointer of one blue/green pair.

use tfplugin::Type;
use tfplugin::schema::{Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, ResourceSchema, Schema};

pub const TYPE_NAME: &str = "bluegreen_ecs_release";

fn color_block(color: &str) -> Block {
    Block::new(&format!("The {color} side of the pair.")).attribute(Attribute::required(
        "target_group_arn",
        Type::String,
        &format!("ARN of the {color} target group."),
    ))
}

/// `promotion.dynatrace`: Dynatrace SLOs that must pass (promotion_gate::dynatrace).
fn dynatrace_block() -> Block {
    Block::new(
        "Dynatrace SLOs that must pass before a write that gives a color more traffic and throughout the bake. \
         The token is read from Secrets Manager when the gate runs and never stored.",
    )
    .attribute(Attribute::required(
        "environment_url",
        Type::String,
        "The environment's classic API URL, e.g. `https://abc12345.live.dynatrace.com`.",
    ))
    .attribute(Attribute::required(
        "api_token_secret_arn",
        Type::String,
        "Secrets Manager secret holding an API token with the `slo.read` scope.",
    ))
    .attribute(Attribute::optional(
        "api_token_secret_key",
        Type::String,
        "Key of the token in a JSON secret; omitted, the whole secret string is the token.",
    ))
    .attribute(Attribute::required(
        "slo_ids",
        Type::List(Box::new(Type::String)),
        "SLOs (classic SLO API v2) that must each be SUCCESS, with no evaluation error.",
    ))
    .attribute(Attribute::optional("allow_warning", Type::Bool, "Whether WARNING passes. Defaults to `false`."))
    .attribute(Attribute::optional(
        "evaluation_window",
        Type::String,
        "How far back the gate before a write evaluates the SLOs (now minus this .. now, whole minutes), e.g. `10m`; a bake reads from when its step's traffic moved, at most this far back and at least one minute. Defaults to `10m`.",
    ))
    .attribute(Attribute::optional(
        "guardian_workflow_id",
        Type::String,
        "A workflow (AutomationEngine) running one Site Reliability Guardian validation, run before each write that gives a color more traffic; its `validation_status` decides.",
    ))
    .attribute(Attribute::optional(
        "platform_url",
        Type::String,
        "The platform API URL for the guardian; defaults to `environment_url` with `.live.` replaced by `.apps.`.",
    ))
    .attribute(Attribute::optional(
        "platform_token_secret_arn",
        Type::String,
        "Secrets Manager secret holding a platform token (`automation:workflows:run`, `automation:workflows:read`) for the guardian; defaults to `api_token_secret_arn`.",
    ))
    .attribute(Attribute::optional(
        "platform_token_secret_key",
        Type::String,
        "Key of the platform token in a JSON secret; omitted, the whole secret string is the token.",
    ))
}

/// `promotion.hook`: the ECS-native Lambda lifecycle-hook contract (repeatable).
fn hook_block() -> Block {
    Block::new(
        "A Lambda lifecycle hook, invoked as ECS-native blue/green invokes one (same payload, same `hookStatus` answers), so existing hook functions work unchanged. FAILED, a function error, an invoke error or the timeout fails the promotion: before any write nothing moves, after one traffic returns to where the apply found it.",
    )
    .attribute(Attribute::required(
        "stage",
        Type::String,
        "`POST_TEST_TRAFFIC_SHIFT` (before any production traffic moves, once the test pointer forwards to the color gaining traffic), `PRODUCTION_TRAFFIC_SHIFT` (after every step's write, with that step's weights) or `POST_PRODUCTION_TRAFFIC_SHIFT` (at 100 %, before `bake_time` runs).",
    ))
    .attribute(Attribute::required(
        "lambda_function_arn",
        Type::String,
        "The function's ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`, optionally with a version or alias). The provider's credentials need `lambda:InvokeFunction` on it.",
    ))
    .attribute(Attribute::optional(
        "hook_details",
        Type::String,
        "A JSON object (write it with `jsonencode({...})`) sent as the payload's `hookDetails` on every invocation, as ECS sends a hook configuration's `hookDetails`, e.g. `jsonencode({ S3_BUCKET_NAME = \"my-approval-bucket\" })`. When the function answers IN_PROGRESS with `hookDetails`, its next invocations get these with the returned keys laid over them (a returned key wins).",
    ))
    .attribute(Attribute::optional(
        "timeout",
        Type::String,
        "How long the hook may take, IN_PROGRESS answers included (each is asked again after its `callBackDelay`, default 30 s), e.g. `5m`. Defaults to `5m`.",
    ))
}

pub fn schema() -> ResourceSchema {
    let promotion = Block::new("Safety gate applied whenever a write gives a color more traffic.")
        .attribute(Attribute::optional(
            "min_healthy_targets",
            Type::Number,
            "Healthy targets the color gaining traffic must have. Defaults to 1.",
        ))
        .attribute(Attribute::optional(
            "wait_timeout",
            Type::String,
            "How long to wait for enough healthy targets and steady services before failing, e.g. `5m`. Defaults to `5m`.",
        ))
        .attribute(Attribute::optional(
            "alarm_names",
            Type::List(Box::new(Type::String)),
            "CloudWatch alarms that must not be in ALARM before and during the switch.",
        ))
        .attribute(Attribute::optional(
            "bake_time",
            Type::String,
            "After the switch, keep watching health and alarms this long, e.g. `2m`. Defaults to `0s`.",
        ))
        .attribute(Attribute::optional(
            "rollback_on_failure",
            Type::Bool,
            "If the bake fails, put the previous pointer back and fail the apply. Defaults to `true`.",
        ))
        .attribute(Attribute::optional(
            "strategy",
            Type::String,
            "How a change of `active_color` moves traffic: `all_at_once` (the default), `canary` (to `canary.percent`, held for `canary.bake_time`, then the rest) or `linear` (up by `linear.step_percent` per step, each held for `linear.step_bake_time`). Every step is gated and checked throughout its bake; a failure returns traffic to where the apply found it.",
        ))
        .block(NestedBlock::list_max_one(
            "canary",
            Block::new("`strategy = \"canary\"` (ECS native: canaryPercent, canaryBakeTimeInMinutes).")
                .attribute(Attribute::optional("percent", Type::Number, "The first step's share, 1..99. Defaults to 10."))
                .attribute(Attribute::optional(
                    "bake_time",
                    Type::String,
                    "How long the first step is held and checked, e.g. `5m`. Defaults to `5m`.",
                )),
        ))
        .block(NestedBlock::list_max_one(
            "linear",
            Block::new("`strategy = \"linear\"` (ECS native: stepPercent, stepBakeTimeInMinutes).")
                .attribute(Attribute::optional(
                    "step_percent",
                    Type::Number,
                    "The share each step adds to the gaining color, 1..99. Defaults to 10.",
                ))
                .attribute(Attribute::optional(
                    "step_bake_time",
                    Type::String,
                    "How long each step before the last is held and checked, e.g. `1m`. Defaults to `1m`.",
                )),
        ))
        .block(NestedBlock::list_max_one("dynatrace", dynatrace_block()))
        .block(NestedBlock::list(
            "hook",
            hook_block(),
            i64::try_from(release_spec::MAX_HOOKS).unwrap_or(10),
        ));
    let timeouts = Block::new("Operation timeouts.")
        .attribute(Attribute::optional("create", Type::String, "Timeout for create, e.g. `10m`. Defaults to `10m`."))
        .attribute(Attribute::optional("update", Type::String, "Timeout for update, e.g. `10m`. Defaults to `10m`."));
    let block = Block::new(
        "The traffic pointer of one blue/green pair: which target group (blue or green) a production ALB \
         listener rule, or a listener's default action, forwards to, and with what weight. It owns nothing a \
         deploy tool owns (task definitions, images, counts, server groups), so deploys never show as drift. \
         Destroying it forgets the release and leaves traffic exactly as it is.",
    )
    .attribute(Attribute::computed("id", Type::String, "`CLUSTER/POINTER_ARN`."))
    .attribute(Attribute::required("cluster", Type::String, "ECS cluster name or ARN. Changing it forces a new release."))
    .attribute(Attribute::optional(
        "listener_rule_arn",
        Type::String,
        "The listener rule whose forward action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`. Changing it forces a new release.",
    ))
    .attribute(Attribute::optional(
        "listener_arn",
        Type::String,
        "The listener whose default action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`. Changing it forces a new release.",
    ))
    .attribute(Attribute::optional_computed(
        "active_color",
        Type::String,
        "`blue` or `green`. Set, it is enforced; omitted, the release follows whatever is live (adopt mode).",
    ))
    .attribute(Attribute::optional_computed(
        "standby_traffic_percent",
        Type::Number,
        "Canary share (0..50 %) sent to the standby color. Set, it is enforced; omitted, the release follows what is live (0 when nothing else set it).",
    ))
    .attribute(Attribute::optional(
        "test_listener_rule_arn",
        Type::String,
        "Optional listener rule that always forwards to the standby color, for testing before promotion.",
    ))
    .attribute(Attribute::optional(
        "test_listener_arn",
        Type::String,
        "Optional listener whose default action always forwards to the standby color.",
    ))
    .attribute(Attribute::computed("active_target_group_arn", Type::String, "Target group of the active color."))
    .attribute(Attribute::computed("standby_color", Type::String, "The color that is not active."))
    .attribute(Attribute::computed("standby_target_group_arn", Type::String, "Target group of the standby color."))
    .block(NestedBlock::list_exactly_one("blue", color_block("blue")))
    .block(NestedBlock::list_exactly_one("green", color_block("green")))
    .block(NestedBlock::list_max_one("promotion", promotion))
    .block(NestedBlock::single("timeouts", timeouts));
    let identity = IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute {
                name: "cluster".into(),
                ty: Type::String,
                description: "ECS cluster name or ARN.".into(),
                required_for_import: true,
                optional_for_import: false,
            },
            IdentityAttribute {
                name: "listener_rule_arn".into(),
                ty: Type::String,
                description: "The production listener rule (when the pointer is a rule).".into(),
                required_for_import: false,
                optional_for_import: true,
            },
            IdentityAttribute {
                name: "listener_arn".into(),
                ty: Type::String,
                description: "The production listener (when the pointer is its default action).".into(),
                required_for_import: false,
                optional_for_import: true,
            },
        ],
    };
    ResourceSchema { schema: Schema { version: 0, block }, identity: Some(identity) }
}

// ---------------------------------------------------------------------------------
// Operations

use crate::aws_clients::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::import_adoption::{self, ConfigWriter, RecentImports, Refresh};
use crate::import_id::{self, ImportTarget};
use crate::promotion_gate;
use crate::release_spec;
use crate::release_spec::ReleaseSpec;
use crate::traffic_pointer::{self, Color, Pair, PointerRef, Traffic};
use crate::traffic_switch::{Live, LivePair, Switch};
use tfplugin::provider::*;
use tfplugin::{AttrPath, Ctx, Diagnostic, Diagnostics, Value, hclog};
use tokio::time::Instant;

fn set(v: &mut Value, attr: &str, new: Value) {
    if let Some(m) = v.as_object_mut() {
        m.insert(attr.to_string(), new);
    }
}

fn release_id(cluster: &str, pointer: &PointerRef) -> String {
    format!("{cluster}/{}", pointer.arn())
}

/// `state` with every attribute derived from the live traffic filled in.
fn with_traffic(mut state: Value, cluster: &str, pointer: &PointerRef, pair: &Pair, t: Traffic) -> Value {
    set(&mut state, "id", release_id(cluster, pointer).into());
    set(&mut state, "active_color", t.active.as_str().into());
    set(&mut state, "standby_color", t.active.other().as_str().into());
    set(&mut state, "standby_traffic_percent", i64::from(t.standby_percent).into());
    set(&mut state, "active_target_group_arn", pair.target_group(t.active).into());
    set(&mut state, "standby_target_group_arn", pair.target_group(t.active.other()).into());
    state
}

pub fn identity(cluster: &str, pointer: &PointerRef) -> Value {
    let (rule, listener) = match pointer {
        PointerRef::Rule(a) => (Value::from(a.as_str()), Value::Null),
        PointerRef::Listener(a) => (Value::Null, Value::from(a.as_str())),
    };
    Value::object([("cluster", Value::from(cluster)), ("listener_rule_arn", rule), ("listener_arn", listener)])
}

/// The traffic a state records (as refreshed when the plan was made).
fn recorded_traffic(state: &Value) -> Option<Traffic> {
    Some(Traffic {
        active: Color::parse(state.get("active_color").as_str()?)?,
        standby_percent: u8::try_from(state.get("standby_traffic_percent").as_i64()?)
            .ok()
            .filter(|p| i64::from(*p) <= release_spec::MAX_STANDBY_PERCENT)?,
    })
}

fn not_configured() -> Diagnostics {
    crate::errors::not_configured("operation")
}

pub async fn read(
    aws: Option<&AwsClients>,
    req: ReadResourceRequest,
    writer: ConfigWriter,
    recent: &RecentImports,
) -> ReadResourceResponse {
    let Some(aws) = aws else { return ReadResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let state = req.current_state;
    let (Some(cluster), Some(pointer), Some(pair)) = (
        state.get("cluster").as_str().map(str::to_string),
        release_spec::pointer_of(&state),
        release_spec::pair_of(&state),
    ) else {
        return ReadResourceResponse { new_state: state, ..Default::default() };
    };
    let prefer = state.get("active_color").as_str().and_then(Color::parse);
    let live = aws.pointers.read(&pointer).await;
    let mut diagnostics = Diagnostics::new();
    match live.and_then(|p| Ok((p.traffic(&pair, prefer)?, p.detached(&pair)?))) {
        Ok((t, detached)) => {
            let (refresh, private) = import_adoption::refresh(&req.private, writer);
            let mut new_state = with_traffic(state, &cluster, &pointer, &pair, t);
            if refresh == Refresh::Withhold {
                // The client writes generated configuration from this state: leave the
                // adopted traffic out of it (import_adoption).
                set(&mut new_state, "active_color", Value::Null);
                set(&mut new_state, "standby_traffic_percent", Value::Null);
            }
            if import_adoption::is_imported(&req.private) {
                recent.remember(&new_state);
            }
            ReadResourceResponse {
                diagnostics: detached.map(|c| detached_warning(&pointer, &pair, c).into()).unwrap_or_default(),
                new_state,
                identity: Some(identity(&cluster, &pointer)),
                private,
            }
        }
        Err(e) if e.is_not_found() => {
            diagnostics.warning(
                "Release pointer no longer exists",
                format!("{} was deleted outside Terraform, so the release was removed from state. Nothing else was changed.", pointer.describe()),
            );
            ReadResourceResponse { new_state: Value::Null, diagnostics, ..Default::default() }
        }
        Err(e) => ReadResourceResponse {
            new_state: state,
            diagnostics: e.to_diagnostic().into(),
            private: req.private,
            ..Default::default()
        },
    }
}

const REPLACING: [&str; 3] = ["cluster", "listener_rule_arn", "listener_arn"];

/// Whether a change of `attr` (one of [`REPLACING`]) replaces the release. A cluster's
/// name and its ARN are one cluster (an import by name against a configuration with the
/// ARN): that is an in-place update that writes nothing.
fn replaces(prior: &Value, planned: &Value, attr: &str) -> bool {
    let (before, after) = (prior.get(attr), planned.get(attr));
    let respelled =
        attr == "cluster" && before.as_str().zip(after.as_str()).is_some_and(|(b, n)| crate::arn::same_cluster(b, n));
    before != after && !respelled
}
const DERIVED: [&str; 4] = ["standby_color", "active_target_group_arn", "standby_target_group_arn", "id"];

/// Fills the derived attributes of a planned state from its (maybe unknown) inputs.
fn plan_derived(planned: &mut Value) {
    let id = match (planned.get("cluster").as_str(), release_spec::pointer_of(planned)) {
        (Some(c), Some(p)) => Value::from(release_id(c, &p)),
        _ => Value::Unknown,
    };
    set(planned, "id", id);
    let active = planned.get("active_color").as_str().and_then(Color::parse);
    match (active, release_spec::pair_of(planned)) {
        (Some(a), Some(pair)) => {
            set(planned, "standby_color", a.other().as_str().into());
            set(planned, "active_target_group_arn", pair.target_group(a).into());
            set(planned, "standby_target_group_arn", pair.target_group(a.other()).into());
        }
        (Some(a), None) => {
            set(planned, "standby_color", a.other().as_str().into());
            set(planned, "active_target_group_arn", Value::Unknown);
            set(planned, "standby_target_group_arn", Value::Unknown);
        }
        _ => {
            for attr in &DERIVED[..3] {
                set(planned, attr, Value::Unknown);
            }
        }
    }
}

/// The warning for a pointer that leaves one color out of its forward action.
pub fn detached_warning(pointer: &PointerRef, pair: &Pair, detached: Color) -> Diagnostic {
    Diagnostic::warning(
        format!("The {detached} target group is detached from the load balancer"),
        format!(
            "{} does not forward to the {detached} target group {} at any weight, so ALB does not associate it with the load balancer: its targets are unused (Target.NotInUse) and not health-checked, and ECS cannot create or update a load-balanced service on it (\"does not have an associated load balancer\"). The next apply that moves traffic names both target groups, the standby at weight 0. To fix it now, forward to both target groups, the standby with weight 0.",
            pointer.describe(),
            pair.target_group(detached)
        ),
    )
}

pub async fn plan(aws: Option<&AwsClients>, req: PlanResourceRequest) -> PlanResourceResponse {
    if req.proposed_new_state.is_null() {
        return PlanResourceResponse { planned_state: Value::Null, ..Default::default() };
    }
    let mut diagnostics = release_spec::validate(&req.config);
    if diagnostics.has_errors() {
        return PlanResourceResponse { planned_state: req.proposed_new_state, diagnostics, ..Default::default() };
    }
    let mut planned = req.proposed_new_state;
    let planned_private = req.prior_private.clone();
    let requires_replace: Vec<AttrPath> =
        REPLACING.iter().filter(|a| replaces(&req.prior_state, &planned, a)).map(|a| AttrPath::root(*a)).collect();
    let creating = req.prior_state.is_null() || !requires_replace.is_empty();
    if creating {
        leave_adopted_values_unknown(&req.config, &mut planned);
    }
    if let Some(region) = aws.and_then(|a| a.region.as_deref()) {
        diagnostics.extend(release_spec::hook_region_errors(&req.config, region));
    }
    let spec = release_spec::from_value(&planned_known_inputs(&planned)).ok();
    let moving = match (creating, aws, &spec) {
        (true, Some(aws), Some(spec)) => read_live_at_create(aws, spec, &mut diagnostics).await,
        (true, _, _) => None,
        (false, _, _) => {
            check_replaced_target_groups(aws, &req.prior_state, &planned, spec.as_ref(), &mut diagnostics).await;
            match (&spec, recorded_traffic(&req.prior_state)) {
                (Some(spec), Some(from)) => say_the_steps(spec, from, &mut diagnostics),
                _ => None,
            }
        }
    };
    if let Some(spec) = &spec {
        check_the_time(aws, &req.config, spec, creating, moving, &mut diagnostics).await;
    }
    plan_derived(&mut planned);
    if import_adoption::is_withheld(&req.prior_private) {
        keep_what_the_import_withheld(&req.prior_state, &mut planned);
    }
    let planned_identity = match (planned.get("cluster").as_str(), release_spec::pointer_of(&planned)) {
        (Some(c), Some(p)) => Some(identity(c, &p)),
        _ => None,
    };
    PlanResourceResponse { planned_state: planned, requires_replace, planned_private, planned_identity, diagnostics }
}

/// The traffic a plan's apply moves, and the live pointer when this plan read it.
struct Moving {
    from: Traffic,
    to: Traffic,
    pointer: Option<traffic_pointer::Pointer>,
}

/// A create adopts what the configuration leaves out: unknown until the apply reads it.
fn leave_adopted_values_unknown(config: &Value, planned: &mut Value) {
    for attr in ["active_color", "standby_traffic_percent"] {
        if config.get(attr).is_null() {
            set(planned, attr, Value::Unknown);
        }
    }
}

/// At create, reads what is live: it validates the pointer at plan time and warns when
/// creating the release moves traffic or the pointer names one group only.
async fn read_live_at_create(aws: &AwsClients, spec: &ReleaseSpec, diagnostics: &mut Diagnostics) -> Option<Moving> {
    let read = aws.pointers.read(&spec.pointer).await;
    let parsed = read.and_then(|p| {
        let (t, d) = (p.traffic(&spec.pair, spec.active_color)?, p.detached(&spec.pair)?);
        Ok((t, d, p))
    });
    let (live, detached, pointer) = match parsed {
        Ok(read) => read,
        Err(e) => {
            diagnostics.push(e.to_diagnostic());
            return None;
        }
    };
    // Values left to adopt stay unknown: Terraform re-plans during apply and would call
    // a different live value an inconsistent plan.
    let desired = spec.desired(live);
    let moving = (desired != live).then_some(Moving { from: live, to: desired, pointer: Some(pointer) });
    if moving.is_some() {
        diagnostics.warning(
            "Creating this release moves traffic",
            format!(
                "{} sends {live} now; creating the release with this configuration moves it to {desired}, through the promotion gate. Omit active_color and standby_traffic_percent to adopt what is live instead.",
                spec.pointer.describe()
            ),
        );
    }
    if let Some(color) = detached {
        diagnostics.push(detached_warning(&spec.pointer, &spec.pair, color));
    }
    moving
}

/// An update that replaces a target group: refused when the group carries traffic, and
/// when the new one is on another load balancer (said here, at its attribute, rather
/// than by ModifyRule during apply).
async fn check_replaced_target_groups(
    aws: Option<&AwsClients>,
    prior_state: &Value,
    planned: &Value,
    spec: Option<&ReleaseSpec>,
    diagnostics: &mut Diagnostics,
) {
    let refusals = replaced_target_group_refusals(prior_state, planned);
    let refused = refusals.has_errors();
    diagnostics.extend(refusals);
    if !refused
        && let (Some(aws), Some(before), Some(spec)) = (aws, release_spec::pair_of(prior_state), spec)
        && before != spec.pair
        && let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await
    {
        let color = [Color::Blue, Color::Green]
            .into_iter()
            .find(|c| before.target_group(*c) != spec.pair.target_group(*c))
            .unwrap_or(Color::Green);
        diagnostics.push(e.to_diagnostic().at(AttrPath::root(color.as_str()).index(0).attr("target_group_arn")));
    }
}

/// What an update's apply will do, step by step, from the recorded traffic: warnings,
/// so -detailed-exitcode is the same as for any other update.
fn say_the_steps(spec: &ReleaseSpec, from: Traffic, diagnostics: &mut Diagnostics) -> Option<Moving> {
    let to = spec.desired(from);
    let steps = promotion_gate::steps(&spec.promotion.strategy, from, to);
    // As the apply: hooks run when a write gives the standby more, not when a canary is
    // pulled back.
    let pulling_back = to.active == from.active && to.standby_percent < from.standby_percent;
    let gains =
        !pulling_back && steps.first().is_some_and(|s| promotion_gate::share(from, s.gaining) < s.gaining_percent);
    let hooks = crate::traffic_switch::hooks_said(&spec.promotion.hooks);
    if steps.len() == 1 && gains && !hooks.is_empty() {
        diagnostics.push(
            Diagnostic::warning(
                "The promotion runs lifecycle hooks",
                format!("{} gets its new share in one write. {hooks}.", steps[0].gaining),
            )
            .at(AttrPath::root("promotion").index(0).attr("hook")),
        );
    }
    if steps.len() > 1 {
        let shares: Vec<String> = steps.iter().map(|s| format!("{} %", s.gaining_percent)).collect();
        let least = promotion_gate::least_time(&steps) + spec.promotion.bake_time;
        diagnostics.push(
            Diagnostic::warning(
                format!("The promotion moves traffic in {} steps", steps.len()),
                format!(
                    "{} goes to {} in {} steps ({}), each gated and checked throughout its bake, then promotion.bake_time; at least {} in all.{} A failure at any step returns traffic to {from}.",
                    steps[0].gaining,
                    shares.join(", "),
                    steps.len(),
                    steps
                        .iter()
                        .map(|s| format!("{} held {}", s.label(), crate::duration::display(s.bake)))
                        .collect::<Vec<_>>()
                        .join("; "),
                    crate::duration::display(least),
                    if hooks.is_empty() { String::new() } else { format!(" {hooks}.") },
                ),
            )
            .at(AttrPath::root("promotion").index(0).attr("strategy")),
        );
    }
    (to != from).then_some(Moving { from, to, pointer: None })
}

/// Whether the move fits its timeout (an error when it never can), whether stickiness
/// holds clients through its steps or bake, and whether the bake fits after the wait.
async fn check_the_time(
    aws: Option<&AwsClients>,
    config: &Value,
    spec: &ReleaseSpec,
    creating: bool,
    moving: Option<Moving>,
    diagnostics: &mut Diagnostics,
) {
    let (op, timeout) = if creating { ("create", spec.create_timeout) } else { ("update", spec.update_timeout) };
    match moving {
        Some(Moving { from, to, pointer: live_pointer }) => {
            let (steps, least) = least_time_of_move(&spec.promotion, from, to);
            if least >= timeout {
                diagnostics.push(
                    Diagnostic::error(
                        format!("The promotion cannot fit in the {op} timeout"),
                        cannot_fit(spec, &steps, least, op, timeout),
                    )
                    .at(fit_attribute(config, spec, steps.len())),
                );
            }
            let bakes = least > promotion_gate::least_time(&steps);
            if (steps.len() > 1 || bakes)
                && let Some(aws) = aws
            {
                // Only a move that steps or bakes reads the pointer again here (the
                // refresh read it; a plain switch costs no extra call).
                let pointer = match live_pointer {
                    Some(p) => Some(p),
                    None => aws.pointers.read(&spec.pointer).await.ok(),
                };
                if let Some(seconds) = pointer.as_ref().and_then(traffic_pointer::Pointer::stickiness_seconds) {
                    diagnostics.push(stickiness_warning(spec, &steps, seconds));
                }
            }
        }
        // (The configuration's active_color: the planned one carries the prior state's
        // in adopt mode.)
        None if !config.get("active_color").is_null() => {
            // Nothing moves now, so nothing can fail now: a warning, not an error. An
            // error would block every unrelated change (a test pointer, a timeout being
            // raised in steps) of a release that moves no traffic. The plan that does
            // change active_color refuses (above).
            let (blue, green) = (
                Traffic { active: Color::Blue, standby_percent: 0 },
                Traffic { active: Color::Green, standby_percent: 0 },
            );
            let (steps, least) = least_time_of_move(&spec.promotion, blue, green);
            if least >= spec.update_timeout {
                diagnostics.push(
                    Diagnostic::warning(
                        "The next promotion cannot fit in the update timeout",
                        format!(
                            "This plan moves no traffic, but the next change of active_color will fail: {}",
                            cannot_fit(spec, &steps, least, "update", spec.update_timeout)
                        ),
                    )
                    .at(fit_attribute(config, spec, steps.len())),
                );
            }
        }
        // Adopt mode (no active_color): this release never starts a promotion.
        None => {}
    }
    let p = &spec.promotion;
    if !p.bake_time.is_zero() && p.wait_timeout + p.bake_time > timeout {
        diagnostics.push(
            Diagnostic::warning(
                "The bake may not fit in the timeout",
                format!(
                    "promotion.wait_timeout ({}) plus promotion.bake_time ({}) exceed the {op} timeout ({}). The bake counts toward the timeout: a promotion whose gate waits long leaves no time to bake, and then it does not move traffic. Raise timeouts.{op} or shorten the wait.",
                    crate::duration::display(p.wait_timeout),
                    crate::duration::display(p.bake_time),
                    crate::duration::display(timeout)
                ),
            )
            .at(AttrPath::root("promotion").index(0).attr("bake_time")),
        );
    }
}

/// After an import that withheld the traffic (Terraform <= 1.13 writes generated config
/// from it): what derives from the traffic stays as the import found it while the
/// configuration adopts, and a configuration that sets active_color only records the
/// live share at apply.
fn keep_what_the_import_withheld(prior_state: &Value, planned: &mut Value) {
    if planned.get("active_color").is_null() {
        for attr in &DERIVED[..3] {
            set(planned, attr, prior_state.get(attr).clone());
        }
    } else if planned.get("standby_traffic_percent").is_null() {
        set(planned, "standby_traffic_percent", Value::Unknown);
    }
}

/// The steps a move from `from` to `to` takes and the least time they take: every
/// step's bake, plus `promotion.bake_time` when the move bakes, as the apply counts
/// them (traffic_switch: a move that only pulls a canary back does not bake).
pub fn least_time_of_move(
    p: &promotion_gate::Promotion,
    from: Traffic,
    to: Traffic,
) -> (Vec<promotion_gate::Step>, std::time::Duration) {
    let steps = promotion_gate::steps(&p.strategy, from, to);
    let pulling_back = to.active == from.active && to.standby_percent < from.standby_percent;
    let bakes = from.gaining(&to).is_some() && !pulling_back && !p.bake_time.is_zero();
    let least = promotion_gate::least_time(&steps) + if bakes { p.bake_time } else { std::time::Duration::ZERO };
    (steps, least)
}

/// The attribute that makes a move too long: the step bake of a stepped strategy
/// (its block when written, else `promotion.strategy`), else `promotion.bake_time`.
fn fit_attribute(config: &Value, spec: &release_spec::ReleaseSpec, steps: usize) -> AttrPath {
    let promotion = AttrPath::root("promotion").index(0);
    let written = |block: &str, attr: &str| {
        config
            .get("promotion")
            .single_block()
            .and_then(|p| p.get(block).single_block())
            .is_some_and(|b| !b.get(attr).is_null())
    };
    match &spec.promotion.strategy {
        promotion_gate::Strategy::Linear { .. } if steps > 1 => {
            if written("linear", "step_bake_time") {
                promotion.attr("linear").index(0).attr("step_bake_time")
            } else {
                promotion.attr("strategy")
            }
        }
        promotion_gate::Strategy::Canary { .. } if steps > 1 => {
            if written("canary", "bake_time") {
                promotion.attr("canary").index(0).attr("bake_time")
            } else {
                promotion.attr("strategy")
            }
        }
        _ => promotion.attr("bake_time"),
    }
}

/// Why a move of `least` cannot fit in `timeout`, naming the attributes that add up
/// to it and the fixes.
fn cannot_fit(
    spec: &release_spec::ReleaseSpec,
    steps: &[promotion_gate::Step],
    least: std::time::Duration,
    op: &str,
    timeout: std::time::Duration,
) -> String {
    let show = |d: std::time::Duration| if d.is_zero() { "0s".to_string() } else { crate::duration::display(d) };
    let p = &spec.promotion;
    let held = steps.iter().filter(|s| !s.bake.is_zero()).count();
    let (parts, shorten) = match &p.strategy {
        promotion_gate::Strategy::Linear { step_percent, step_bake_time } if steps.len() > 1 => (
            format!(
                "{held} steps of {step_percent} % each held for promotion.linear.step_bake_time ({}), then promotion.bake_time ({})",
                show(*step_bake_time),
                show(p.bake_time)
            ),
            "promotion.linear.step_bake_time or promotion.bake_time, or take larger steps (promotion.linear.step_percent)",
        ),
        promotion_gate::Strategy::Canary { percent, bake_time } if steps.len() > 1 => (
            format!(
                "the {percent} % canary held for promotion.canary.bake_time ({}), then promotion.bake_time ({})",
                show(*bake_time),
                show(p.bake_time)
            ),
            "promotion.canary.bake_time or promotion.bake_time",
        ),
        _ => (format!("promotion.bake_time ({})", show(p.bake_time)), "promotion.bake_time"),
    };
    format!(
        "Moving traffic to {} takes {parts}: at least {} before any gate wait or hook, and timeouts.{op} is {}. The apply stops at its timeout and rolls back, so this promotion can never complete. Raise timeouts.{op} above {} (plus time for the gate's waits and the hooks), or shorten {shorten}.",
        steps.last().map(|s| s.gaining.as_str()).unwrap_or("the gaining color"),
        show(least),
        show(timeout),
        show(least),
    )
}

/// The plan warning for a promotion whose steps or bake meet target-group stickiness
/// on the pointer's forward action (`seconds` long).
pub fn stickiness_warning(
    spec: &release_spec::ReleaseSpec,
    steps: &[promotion_gate::Step],
    seconds: i32,
) -> Diagnostic {
    let how_long = crate::duration::display(std::time::Duration::from_secs(u64::try_from(seconds).unwrap_or(0)));
    let gaining = steps.last().map(|s| s.gaining.as_str()).unwrap_or("the gaining color");
    let shares: Vec<String> = steps.iter().map(|s| format!("{} %", s.gaining_percent)).collect();
    let stepped = steps.len() > 1;
    let at = AttrPath::root("promotion").index(0).attr(if stepped { "strategy" } else { "bake_time" });
    Diagnostic::warning(
        "Stickiness holds returning clients on their color",
        format!(
            "{} forwards with target group stickiness on for {how_long} ({seconds}s). ALB sends a client back to the target group its stickiness cookie names, whatever the weights, for up to that long. So the shares this promotion writes ({}) hold for new clients only, the bake judges {gaining} on fewer clients than its share, and if a step or the bake fails, \"traffic was restored\" holds for new clients only: clients that reached {gaining} keep reaching it for up to {how_long}. The provider leaves stickiness as it is (it writes back every setting of the forward action but the weights). For shares and rollbacks that hold for every client, turn stickiness off on the forward action, or shorten its duration well below the bakes, before promoting.",
            spec.pointer.describe(),
            shares.join(", "),
        ),
    )
    .at(at)
}

/// A configuration that replaces the target group of a color carrying traffic (as the
/// prior state, refreshed by this plan, records it) is refused at plan time: the rule
/// would have to forward that traffic to a group no gate has checked. The standby's
/// group, carrying none, is replaced by the apply through the guarded write.
fn replaced_target_group_refusals(prior: &Value, planned: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let (Some(before), Some(live)) = (release_spec::pair_of(prior), recorded_traffic(prior)) else { return d };
    for color in [Color::Blue, Color::Green] {
        let name = color.as_str();
        let after = planned.get(name).single_block().map(|b| b.get("target_group_arn").clone());
        let replaced = after.as_ref().and_then(Value::as_str).is_some_and(|tg| tg != before.target_group(color));
        let share = if live.active == color { 100 - live.standby_percent } else { live.standby_percent };
        if replaced && share > 0 {
            let e = crate::traffic_switch::carries_traffic(color, before.target_group(color), live).to_diagnostic();
            d.push(e.at(AttrPath::root(name).index(0).attr("target_group_arn")));
        }
    }
    d
}

/// The planned value with computed attributes blanked, for parsing the inputs only.
fn planned_known_inputs(planned: &Value) -> Value {
    let mut v = planned.clone();
    for attr in ["active_color", "standby_traffic_percent"] {
        if planned.get(attr).is_unknown() {
            set(&mut v, attr, Value::Null);
        }
    }
    if v.is_wholly_known() { v } else { Value::Null }
}

pub async fn apply(ctx: Ctx, aws: Option<&AwsClients>, req: ApplyResourceRequest) -> ApplyResourceResponse {
    if req.planned_state.is_null() {
        // Delete forgets the release: routing is left exactly as it is.
        hclog::info("release removed from state; traffic left unchanged", &[]);
        return ApplyResourceResponse { new_state: Value::Null, ..Default::default() };
    }
    let Some(aws) = aws else { return ApplyResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let spec = match release_spec::from_value(&req.planned_state) {
        Ok(s) => s,
        Err(d) => return ApplyResourceResponse { new_state: req.prior_state, diagnostics: d, ..Default::default() },
    };
    let creating =
        req.prior_state.is_null() || REPLACING.iter().any(|a| replaces(&req.prior_state, &req.planned_state, a));
    let (operation, timeout) = if creating { ("create", spec.create_timeout) } else { ("update", spec.update_timeout) };
    let started = Instant::now();
    let op = promotion_gate::Operation { name: operation, started, deadline: started + timeout };
    let fail = |new_state: Value, errors: Vec<Error>| ApplyResourceResponse {
        new_state,
        diagnostics: errors.iter().map(Error::to_diagnostic).fold(Diagnostics::new(), |mut d, e| {
            d.push(e);
            d
        }),
        identity: Some(identity(&spec.cluster, &spec.pointer)),
        ..Default::default()
    };
    let prior_pair = if creating { None } else { release_spec::pair_of(&req.prior_state) };
    let replacing_a_group = prior_pair.as_ref().is_some_and(|p| *p != spec.pair);
    if (creating || replacing_a_group)
        && let Err(e) = discovery::check_same_load_balancer(aws, &spec.pointer, &spec.pair).await
    {
        return fail(if creating { Value::Null } else { req.prior_state.clone() }, vec![e]);
    }
    // An update compares live with the traffic its plan was made against (the prior
    // state, refreshed by that plan). A create cannot: Terraform re-plans during apply
    // and hands over only the re-plan's private data, so what the first plan saw is
    // gone (docs/guides: "What a saved plan guarantees").
    let planned_from = if creating { None } else { recorded_traffic(&req.prior_state) };
    let outcome = Switch {
        ctx: &ctx,
        aws,
        spec: &spec,
        op: &op,
        planned_from,
        desired: None,
        progress: None,
        prior_pair: prior_pair.as_ref(),
    }
    .run()
    .await;
    let mut state = match (outcome.live.traffic(), outcome.live_pair, &prior_pair) {
        (Some(live), LivePair::Prior, Some(prior)) => {
            // A replaced target group was not written: state keeps the one live names.
            let mut base = req.planned_state.clone();
            for color in ["blue", "green"] {
                set(&mut base, color, req.prior_state.get(color).clone());
            }
            with_traffic(base, &spec.cluster, &spec.pointer, prior, live)
        }
        (Some(live), _, _) => with_traffic(req.planned_state.clone(), &spec.cluster, &spec.pointer, &spec.pair, live),
        (None, _, _) if outcome.live == Live::NotASplit => {
            // The pointer was read and is no split of the pair: the traffic the prior
            // state records is not live, so state records none (the next refresh says
            // why; a plan with active_color set shows it being put back).
            let mut state = req.prior_state.clone();
            for attr in [
                "active_color",
                "standby_traffic_percent",
                "standby_color",
                "active_target_group_arn",
                "standby_target_group_arn",
            ] {
                set(&mut state, attr, Value::Null);
            }
            state
        }
        (None, _, _) => req.prior_state.clone(),
    };
    if !outcome.test_pointer_ok && !state.is_null() {
        // The test pointer is not where it should be: record it as not managed, so the
        // next plan shows it and its apply repairs it.
        set(&mut state, "test_listener_rule_arn", Value::Null);
        set(&mut state, "test_listener_arn", Value::Null);
    }
    if outcome.errors.is_empty() {
        return ApplyResourceResponse {
            new_state: state,
            identity: Some(identity(&spec.cluster, &spec.pointer)),
            ..Default::default()
        };
    }
    // A create that moved no traffic created nothing (at most it attached a color at
    // weight 0); one that did is recorded as live, and Terraform marks it tainted.
    let mut response = fail(if creating && !outcome.moved_traffic { Value::Null } else { state }, outcome.errors);
    if let Some(color) = outcome.attached {
        // The refusal's "nothing was written" is about traffic; say what was written.
        response.diagnostics.warning(
            format!("The {color} target group was attached at weight 0"),
            format!(
                "Before gating on it, this apply added the {color} target group to the forward action of {} at weight 0, so ALB health-checks its targets. No traffic moved.",
                spec.pointer.describe()
            ),
        );
    }
    response
}

fn import_error(part: &str, e: impl std::fmt::Display) -> ImportResourceResponse {
    ImportResourceResponse {
        diagnostics: Diagnostic::error(format!("Invalid import ID ({part})"), e.to_string()).into(),
        ..Default::default()
    }
}

pub async fn import(aws: Option<&AwsClients>, req: ImportResourceRequest) -> ImportResourceResponse {
    let Some(aws) = aws else { return ImportResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let (cluster, target) = if req.id.is_empty() {
        let Some(identity) = &req.identity else { return import_error("ID", "Give an import ID or an identity.") };
        let cluster = identity.get("cluster").as_str().unwrap_or_default().to_string();
        let target = match (identity.get("listener_rule_arn").as_str(), identity.get("listener_arn").as_str()) {
            (Some(r), None) => format!("{cluster}/{r}"),
            (None, Some(l)) => format!("{cluster}/{l}"),
            _ => {
                return import_error(
                    "identity",
                    "The identity needs `cluster` and exactly one of `listener_rule_arn` and `listener_arn`.",
                );
            }
        };
        match import_id::parse(&target) {
            Ok(id) => (id.cluster, id.target),
            Err(e) => return import_error(e.part, e),
        }
    } else {
        match import_id::parse(&req.id) {
            Ok(id) => (id.cluster, id.target),
            Err(e) => return import_error(e.part, e),
        }
    };
    let found = async {
        match target {
            ImportTarget::ListenerRule(arn) => {
                let p = traffic_pointer::read(&aws.elbv2, &PointerRef::Rule(arn)).await?;
                let pair = discovery::pair_of_pointer(aws, &cluster, &p).await?;
                Ok::<_, Error>((p, pair))
            }
            ImportTarget::Listener(arn) => {
                let p = traffic_pointer::read(&aws.elbv2, &PointerRef::Listener(arn)).await?;
                let pair = discovery::pair_of_pointer(aws, &cluster, &p).await?;
                Ok((p, pair))
            }
            ImportTarget::Service(service) => {
                let tgs = discovery::service_target_groups(aws, &cluster, &service).await?;
                let pair = match tgs.as_slice() {
                    [a, b, ..] => discovery::resolve_pair(aws, a, b).await?,
                    [one] => discovery::sibling_target_group(aws, &cluster, one).await?,
                    [] => unreachable_pair(&service)?,
                };
                let p = discovery::find_pointer_for_pair(aws, &pair).await?;
                Ok((p, pair))
            }
        }
    }
    .await;
    let (pointer, pair) = match found {
        Ok(x) => x,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    let traffic = match pointer.traffic(&pair, None) {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    // The ECS-native testListenerRule, as `terraform query` lists it (and no other guess).
    let test = match discovery::native_test_pointer(aws, &cluster, &pair, &pointer.target).await {
        Ok(t) => t,
        Err(e) => return ImportResourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    };
    let state = release_state(&cluster, &pointer.target, &pair, traffic, test.as_ref());
    ImportResourceResponse {
        imported: vec![ImportedResource {
            state,
            private: import_adoption::imported_private(),
            identity: Some(identity(&cluster, &pointer.target)),
        }],
        diagnostics: Diagnostics::new(),
    }
}

/// The state of a release found live, as import records it (and `terraform query`
/// lists it): the inputs, the live traffic and what derives from it; `test` is the
/// pair's ECS-native test listener rule, if any ([`discovery::native_test_pointer`]).
pub fn release_state(
    cluster: &str,
    pointer: &PointerRef,
    pair: &Pair,
    traffic: Traffic,
    test: Option<&PointerRef>,
) -> Value {
    let (rule, listener) = match pointer {
        PointerRef::Rule(a) => (Value::from(a.as_str()), Value::Null),
        PointerRef::Listener(a) => (Value::Null, Value::from(a.as_str())),
    };
    let (test_rule, test_listener) = match test {
        Some(PointerRef::Rule(a)) => (Value::from(a.as_str()), Value::Null),
        Some(PointerRef::Listener(a)) => (Value::Null, Value::from(a.as_str())),
        None => (Value::Null, Value::Null),
    };
    let color = |tg: &str| Value::List(vec![Value::object([("target_group_arn", Value::from(tg))])]);
    let state = Value::object([
        ("cluster", Value::from(cluster)),
        ("listener_rule_arn", rule),
        ("listener_arn", listener),
        ("blue", color(&pair.blue)),
        ("green", color(&pair.green)),
        ("test_listener_rule_arn", test_rule),
        ("test_listener_arn", test_listener),
        ("promotion", Value::List(vec![])),
        ("timeouts", Value::Null),
    ]);
    with_traffic(state, cluster, pointer, pair, traffic)
}

/// Attributes written by `-generate-config-out`: the inputs that name the release.
/// Everything computed is left out, and so are `active_color` and
/// `standby_traffic_percent`: the generated release adopts what is live instead of
/// pinning the traffic of the moment it was generated.
const GENERATED_INPUTS: [&str; 5] =
    ["cluster", "listener_rule_arn", "listener_arn", "test_listener_rule_arn", "test_listener_arn"];

/// `GenerateResourceConfig`: the configuration Terraform writes for a state it imported
/// or listed (`terraform plan|query -generate-config-out`).
pub fn generate_config(req: GenerateResourceConfigRequest, recent: &RecentImports) -> GenerateResourceConfigResponse {
    let state = match req.state {
        // Terraform 1.14.0 sends no state (fixed in 1.14.1): use the one release this
        // process imported, if there is exactly one.
        Value::Null => match recent.only_one() {
            Ok(state) => state,
            Err(imported) => {
                return GenerateResourceConfigResponse {
                    config: Value::Null,
                    diagnostics: Diagnostic::error(
                        "Cannot generate configuration",
                        format!(
                            "Terraform sent no state to generate the configuration of a {TYPE_NAME} from, and this run imported {imported} releases, so which one is meant is unknown. Terraform v1.14.0 does this (fixed in v1.14.1): upgrade Terraform, or import one release per `terraform plan -generate-config-out` run."
                        ),
                    )
                    .into(),
                };
            }
        },
        state => state,
    };
    if state.is_null() || !state.is_wholly_known() {
        // Nothing (or nothing known) to generate from: say so rather than have Terraform
        // write an empty block that does not plan.
        let what = if state.is_null() { "no state" } else { "a state with unknown values" };
        return GenerateResourceConfigResponse {
            config: Value::Null,
            diagnostics: Diagnostic::error(
                "Cannot generate configuration",
                format!(
                    "Terraform asked for the configuration of a {TYPE_NAME} with {what}; only a release imported or listed in full can be written out. Import it by ID or identity, then generate again."
                ),
            )
            .into(),
        };
    }
    let mut diagnostics = Diagnostics::new();
    let mut config: Vec<(&str, Value)> = Vec::new();
    for attr in GENERATED_INPUTS {
        config.push((attr, state.get(attr).clone()));
    }
    for color in ["blue", "green"] {
        match state.get(color).single_block().map(|b| b.get("target_group_arn")).and_then(Value::as_str) {
            Some(tg) => config.push((color, Value::List(vec![Value::object([("target_group_arn", Value::from(tg))])]))),
            None => {
                diagnostics.warning(
                    format!("No {color} target group to generate"),
                    format!("The state has no {color}.target_group_arn; the generated configuration leaves the {color} block empty. Fill in the {color} target group's ARN."),
                );
                config.push((color, Value::List(vec![Value::object([("target_group_arn", Value::Null)])])));
            }
        }
    }
    const COMPUTED: [&str; 6] = [
        "id",
        "active_color",
        "standby_traffic_percent",
        "active_target_group_arn",
        "standby_color",
        "standby_target_group_arn",
    ];
    for computed in COMPUTED {
        config.push((computed, Value::Null));
    }
    config.push(("promotion", Value::List(vec![])));
    config.push(("timeouts", Value::Null));
    GenerateResourceConfigResponse { config: Value::object(config), diagnostics }
}

fn unreachable_pair(service: &str) -> Result<Pair, Error> {
    Err(Error::live("Service has no target group", format!("ECS service {service} has no load balancer target group.")))
}

pub fn validate(config: &Value) -> Diagnostics {
    release_spec::validate(config)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::promotion_gate::{Promotion, Strategy};
    use std::time::Duration;

    const BLUE: Traffic = Traffic { active: Color::Blue, standby_percent: 0 };
    const GREEN: Traffic = Traffic { active: Color::Green, standby_percent: 0 };
    const MIN: Duration = Duration::from_secs(60);

    #[test]
    fn the_least_time_of_a_move_counts_what_the_apply_counts() {
        let linear = Promotion {
            strategy: Strategy::Linear { step_percent: 10, step_bake_time: 5 * MIN },
            bake_time: 2 * MIN,
            ..Promotion::default()
        };
        let (steps, least) = least_time_of_move(&linear, BLUE, GREEN);
        assert_eq!((steps.len(), least), (10, 47 * MIN), "nine step bakes and the final bake");
        // Pulling a canary back neither steps nor bakes.
        let held = Traffic { active: Color::Blue, standby_percent: 20 };
        assert_eq!(least_time_of_move(&linear, held, BLUE).1, Duration::ZERO);
        let canary =
            Promotion { strategy: Strategy::Canary { percent: 10, bake_time: 5 * MIN }, ..Promotion::default() };
        assert_eq!(least_time_of_move(&canary, BLUE, GREEN).1, 5 * MIN);
    }

    #[test]
    fn a_move_that_cannot_fit_names_its_attributes_and_the_least_time() {
        let mut config = release_spec::tests::good();
        let linear = Value::object([("step_percent", Value::from(10)), ("step_bake_time", Value::from("5m"))]);
        let promotion = Value::object([("strategy", Value::from("linear")), ("linear", Value::List(vec![linear]))]);
        set(&mut config, "promotion", Value::List(vec![promotion]));
        let spec = release_spec::from_value(&config).unwrap();
        let (steps, least) = least_time_of_move(&spec.promotion, BLUE, GREEN);
        let detail = cannot_fit(&spec, &steps, least, "update", 10 * MIN);
        for named in [
            "9 steps of 10 % each held for promotion.linear.step_bake_time (5m)",
            "promotion.bake_time (0s)",
            "at least 45m",
            "timeouts.update is 10m",
            "Raise timeouts.update above 45m",
        ] {
            assert!(detail.contains(named), "{named:?} in {detail}");
        }
        assert_eq!(fit_attribute(&config, &spec, steps.len()).to_string(), "promotion[0].linear[0].step_bake_time");
        // All at once: only the final bake can be too long.
        let spec = release_spec::from_value(&release_spec::tests::good()).unwrap();
        assert_eq!(fit_attribute(&config, &spec, 1).to_string(), "promotion[0].bake_time");
    }
}
