//! The schema of `bluegreen_ecs_release` as Terraform sees it: attributes, blocks,
//! descriptions and the resource identity.

use super::attrs;
use crate::release_spec;
use tfplugin::Type;
use tfplugin::schema::{Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, ResourceSchema, Schema};

fn color_block(color: &str) -> Block {
    Block::new(&format!("The {color} side of the pair.")).attribute(Attribute::required(
        attrs::TARGET_GROUP_ARN,
        Type::String,
        &format!("ARN of the {color} target group."),
    ))
}

/// `route`: a further pointer that moves with the primary one. The resource records the
/// traffic each route was last seen with (`with_traffic`); the actions have no state.
pub fn route_block(with_traffic: bool) -> Block {
    let mut block = Block::new(
        "A further pointer that moves with the release's: promoted, gated, stepped, baked and rolled back together with it, in one promotion. Writes go pointer by pointer (the release's first, then the routes in order); a failure anywhere returns every pointer this apply already wrote to where it found it, when it is still as this apply left it.",
    )
    .attribute(Attribute::optional(
        attrs::LISTENER_RULE_ARN,
        Type::String,
        "The ALB listener rule whose forward action this route moves. Exactly one of `listener_rule_arn` and `listener_arn`.",
    ))
    .attribute(Attribute::optional(
        attrs::LISTENER_ARN,
        Type::String,
        "The ALB or NLB listener whose default action this route moves. Exactly one of `listener_rule_arn` and `listener_arn`.",
    ))
    .attribute(Attribute::optional(
        attrs::route::BLUE_TARGET_GROUP_ARN,
        Type::String,
        "The route's blue target group; defaults to the release's (`blue.target_group_arn`). It must be on the route's load balancer.",
    ))
    .attribute(Attribute::optional(
        attrs::route::GREEN_TARGET_GROUP_ARN,
        Type::String,
        "The route's green target group; defaults to the release's (`green.target_group_arn`). It must be on the route's load balancer.",
    ))
    .attribute(Attribute::optional(
        attrs::TEST_LISTENER_RULE_ARN,
        Type::String,
        "Optional listener rule that always forwards to this route's standby target group.",
    ))
    .attribute(Attribute::optional(
        attrs::TEST_LISTENER_ARN,
        Type::String,
        "Optional listener whose default action always forwards to this route's standby target group.",
    ));
    if with_traffic {
        block = block
            .attribute(Attribute::computed(
                attrs::ACTIVE_COLOR,
                Type::String,
                "The color this route's pointer sends most traffic to, as last read or written. It differs from the release's only when someone moved this route alone: with `active_color` set the plan shows it being put back; adopting, the plan warns and the next write that moves traffic moves it with the others.",
            ))
            .attribute(Attribute::computed(
                attrs::STANDBY_TRAFFIC_PERCENT,
                Type::Number,
                "The share this route's pointer sends to the other color, as last read or written.",
            ));
    }
    block
}

/// `promotion.dynatrace`: Dynatrace SLOs that must pass (promotion_gate::dynatrace).
fn dynatrace_block() -> Block {
    Block::new(
        "Dynatrace SLOs that must pass before a write that gives a color more traffic and throughout the bake. \
         The token is read from Secrets Manager when the gate runs and never stored.",
    )
    .attribute(Attribute::required(
        attrs::dynatrace::ENVIRONMENT_URL,
        Type::String,
        "The environment's classic API URL, e.g. `https://abc12345.live.dynatrace.com`.",
    ))
    .attribute(Attribute::required(
        attrs::dynatrace::API_TOKEN_SECRET_ARN,
        Type::String,
        "Secrets Manager secret holding an API token with the `slo.read` scope.",
    ))
    .attribute(Attribute::optional(
        attrs::dynatrace::API_TOKEN_SECRET_KEY,
        Type::String,
        "Key of the token in a JSON secret; omitted, the whole secret string is the token.",
    ))
    .attribute(Attribute::required(
        attrs::dynatrace::SLO_IDS,
        Type::List(Box::new(Type::String)),
        "SLOs (classic SLO API v2) that must each be SUCCESS, with no evaluation error.",
    ))
    .attribute(Attribute::optional(attrs::dynatrace::ALLOW_WARNING, Type::Bool, "Whether WARNING passes. Defaults to `false`."))
    .attribute(Attribute::optional(
        attrs::dynatrace::EVALUATION_WINDOW,
        Type::String,
        "How far back the gate before a write evaluates the SLOs (now minus this .. now, whole minutes), e.g. `10m`; a bake reads from when its step's traffic moved, at most this far back and at least one minute. Defaults to `10m`.",
    ))
    .attribute(Attribute::optional(
        attrs::dynatrace::GUARDIAN_WORKFLOW_ID,
        Type::String,
        "A workflow (AutomationEngine) running one Site Reliability Guardian validation, run before each write that gives a color more traffic; its `validation_status` decides.",
    ))
    .attribute(Attribute::optional(
        attrs::dynatrace::PLATFORM_URL,
        Type::String,
        "The platform API URL for the guardian; defaults to `environment_url` with `.live.` replaced by `.apps.`.",
    ))
    .attribute(Attribute::optional(
        attrs::dynatrace::PLATFORM_TOKEN_SECRET_ARN,
        Type::String,
        "Secrets Manager secret holding a platform token (`automation:workflows:run`, `automation:workflows:read`) for the guardian; defaults to `api_token_secret_arn`.",
    ))
    .attribute(Attribute::optional(
        attrs::dynatrace::PLATFORM_TOKEN_SECRET_KEY,
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
        attrs::hook::STAGE,
        Type::String,
        "`POST_TEST_TRAFFIC_SHIFT` (before any production traffic moves, once the test pointer forwards to the color gaining traffic), `PRODUCTION_TRAFFIC_SHIFT` (after every step's write, with that step's weights) or `POST_PRODUCTION_TRAFFIC_SHIFT` (at 100 %, before `bake_time` runs).",
    ))
    .attribute(Attribute::required(
        attrs::hook::LAMBDA_FUNCTION_ARN,
        Type::String,
        "The function's ARN (`arn:aws:lambda:REGION:ACCOUNT:function:NAME`, optionally with a version or alias). The provider's credentials need `lambda:InvokeFunction` on it.",
    ))
    .attribute(Attribute::optional(
        attrs::hook::HOOK_DETAILS,
        Type::String,
        "A JSON object (write it with `jsonencode({...})`) sent as the payload's `hookDetails` on every invocation, as ECS sends a hook configuration's `hookDetails`, e.g. `jsonencode({ S3_BUCKET_NAME = \"my-approval-bucket\" })`. When the function answers IN_PROGRESS with `hookDetails`, its next invocations get these with the returned keys laid over them (a returned key wins).",
    ))
    .attribute(Attribute::optional(
        attrs::hook::TIMEOUT,
        Type::String,
        "How long the hook may take, IN_PROGRESS answers included (each is asked again after its `callBackDelay`, default 30 s), e.g. `5m`. Defaults to `5m`.",
    ))
}

/// The resource's schema and identity schema.
pub fn schema() -> ResourceSchema {
    let promotion = Block::new("Safety gate applied whenever a write gives a color more traffic.")
        .attribute(Attribute::optional(
            attrs::promotion::MIN_HEALTHY_TARGETS,
            Type::Number,
            "Healthy targets the color gaining traffic must have. Defaults to 1.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::WAIT_TIMEOUT,
            Type::String,
            "How long to wait for enough healthy targets and steady services before failing, e.g. `5m`. Defaults to `5m`.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::ALARM_NAMES,
            Type::List(Box::new(Type::String)),
            "CloudWatch alarms that must not be in ALARM before and during the switch.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::BAKE_TIME,
            Type::String,
            "After the switch, keep watching health and alarms this long, e.g. `2m`. Defaults to `0s`.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::NLB_PROPAGATION_DELAY,
            Type::String,
            "When a pointer is a Network Load Balancer listener: how long after each write that moves traffic the NLB may still route by the old weights. The apply waits it out, still checking health and alarms (a failure rolls back), before the next step's gate and before a bake's clock starts, as ECS native blue/green waits 10 minutes for it. Defaults to `10m`; ignored for ALB pointers.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::ROLLBACK_ON_FAILURE,
            Type::Bool,
            "If the bake fails, put the previous pointer back and fail the apply. Defaults to `true`.",
        ))
        .attribute(Attribute::optional(
            attrs::promotion::STRATEGY,
            Type::String,
            "How a change of `active_color` moves traffic: `all_at_once` (the default), `canary` (to `canary.percent`, held for `canary.bake_time`, then the rest) or `linear` (up by `linear.step_percent` per step, each held for `linear.step_bake_time`). Every step is gated and checked throughout its bake; a failure returns traffic to where the apply found it.",
        ))
        .block(NestedBlock::list_max_one(
            attrs::promotion::CANARY,
            Block::new("`strategy = \"canary\"` (ECS native: canaryPercent, canaryBakeTimeInMinutes).")
                .attribute(Attribute::optional(attrs::promotion::PERCENT, Type::Number, "The first step's share, 1..99. Defaults to 10."))
                .attribute(Attribute::optional(
                    attrs::promotion::BAKE_TIME,
                    Type::String,
                    "How long the first step is held and checked, e.g. `5m`. Defaults to `5m`.",
                )),
        ))
        .block(NestedBlock::list_max_one(
            attrs::promotion::LINEAR,
            Block::new("`strategy = \"linear\"` (ECS native: stepPercent, stepBakeTimeInMinutes).")
                .attribute(Attribute::optional(
                    attrs::promotion::STEP_PERCENT,
                    Type::Number,
                    "The share each step adds to the gaining color, 1..99. Defaults to 10.",
                ))
                .attribute(Attribute::optional(
                    attrs::promotion::STEP_BAKE_TIME,
                    Type::String,
                    "How long each step before the last is held and checked, e.g. `1m`. Defaults to `1m`.",
                )),
        ))
        .block(NestedBlock::list_max_one(attrs::promotion::DYNATRACE, dynatrace_block()))
        .block(NestedBlock::list(
            attrs::promotion::HOOK,
            hook_block(),
            i64::try_from(release_spec::MAX_HOOKS).unwrap_or(10),
        ));
    let timeouts = Block::new("Operation timeouts.")
        .attribute(Attribute::optional(
            attrs::CREATE,
            Type::String,
            "Timeout for create, e.g. `10m`. Defaults to `10m`.",
        ))
        .attribute(Attribute::optional(
            attrs::UPDATE,
            Type::String,
            "Timeout for update, e.g. `10m`. Defaults to `10m`.",
        ));
    let block = Block::new(
        "The traffic pointer of one blue/green pair: which target group (blue or green) a production ALB \
         listener rule, or a listener's default action, forwards to, and with what weight. It owns nothing a \
         deploy tool owns (task definitions, images, counts, server groups), so deploys never show as drift. \
         Destroying it forgets the release and leaves traffic exactly as it is.",
    )
    .attribute(Attribute::computed(attrs::ID, Type::String, "`CLUSTER/POINTER_ARN`."))
    .attribute(Attribute::required(attrs::CLUSTER, Type::String, "ECS cluster name or ARN. Changing it forces a new release."))
    .attribute(Attribute::optional(
        attrs::LISTENER_RULE_ARN,
        Type::String,
        "The listener rule (of an Application Load Balancer: an NLB has none) whose forward action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`. Changing it forces a new release.",
    ))
    .attribute(Attribute::optional(
        attrs::LISTENER_ARN,
        Type::String,
        "The listener (of an Application or a Network Load Balancer) whose default action is the production pointer. Exactly one of `listener_rule_arn` and `listener_arn`. Changing it forces a new release.",
    ))
    .attribute(Attribute::optional_computed(
        attrs::ACTIVE_COLOR,
        Type::String,
        "`blue` or `green`. Set, it is enforced; omitted, the release follows whatever is live (adopt mode).",
    ))
    .attribute(Attribute::optional_computed(
        attrs::STANDBY_TRAFFIC_PERCENT,
        Type::Number,
        "Canary share (0..50 %) sent to the standby color. Set, it is enforced; omitted, the release follows what is live (0 when nothing else set it).",
    ))
    .attribute(Attribute::optional(
        attrs::TEST_LISTENER_RULE_ARN,
        Type::String,
        "Optional listener rule that always forwards to the standby color, for testing before promotion.",
    ))
    .attribute(Attribute::optional(
        attrs::TEST_LISTENER_ARN,
        Type::String,
        "Optional listener (ALB or NLB) whose default action always forwards to the standby color.",
    ))
    .attribute(Attribute::computed(attrs::ACTIVE_TARGET_GROUP_ARN, Type::String, "Target group of the active color."))
    .attribute(Attribute::computed(attrs::STANDBY_COLOR, Type::String, "The color that is not active."))
    .attribute(Attribute::computed(attrs::STANDBY_TARGET_GROUP_ARN, Type::String, "Target group of the standby color."))
    .block(NestedBlock::list_exactly_one(attrs::BLUE, color_block(attrs::BLUE)))
    .block(NestedBlock::list_exactly_one(attrs::GREEN, color_block(attrs::GREEN)))
    .block(NestedBlock::list(
        attrs::ROUTE,
        route_block(true),
        i64::try_from(release_spec::MAX_ROUTES).unwrap_or(10),
    ))
    .block(NestedBlock::list_max_one(attrs::PROMOTION, promotion))
    .block(NestedBlock::single(attrs::TIMEOUTS, timeouts));
    let identity = IdentitySchema {
        version: 0,
        attributes: vec![
            IdentityAttribute {
                name: attrs::CLUSTER.into(),
                ty: Type::String,
                description: "ECS cluster name or ARN.".into(),
                required_for_import: true,
                optional_for_import: false,
            },
            IdentityAttribute {
                name: attrs::LISTENER_RULE_ARN.into(),
                ty: Type::String,
                description: "The production listener rule (when the pointer is a rule).".into(),
                required_for_import: false,
                optional_for_import: true,
            },
            IdentityAttribute {
                name: attrs::LISTENER_ARN.into(),
                ty: Type::String,
                description: "The production listener (when the pointer is its default action).".into(),
                required_for_import: false,
                optional_for_import: true,
            },
        ],
    };
    ResourceSchema { schema: Schema { version: super::state::SCHEMA_VERSION, block }, identity: Some(identity) }
}
