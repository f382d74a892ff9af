//! Resource `bluegreen_ecs_release`: the traffic pointer of one blue/green pair.

use tfplugin::schema::{Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, ResourceSchema, Schema};
use tfplugin::Type;

pub const TYPE_NAME: &str = "bluegreen_ecs_release";

fn color_block(color: &str) -> Block {
    Block::new(&format!("The {color} side of the pair.")).attribute(Attribute::required(
        "target_group_arn",
        Type::String,
        &format!("ARN of the {color} target group."),
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
    .attribute(Attribute::optional(
        "standby_traffic_percent",
        Type::Number,
        "Canary share (0..100) sent to the standby color. Defaults to 0.",
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
