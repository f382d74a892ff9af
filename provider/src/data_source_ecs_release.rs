//! Data source `bluegreen_ecs_release`: a read-only view of a release for plan-only CI
//! jobs and deploy-pipeline parameters.

use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::Type;

pub const TYPE_NAME: &str = "bluegreen_ecs_release";

fn services_type() -> Type {
    Type::List(Box::new(Type::Object(
        [
            ("service_name", Type::String),
            ("service_arn", Type::String),
            ("task_definition_arn", Type::String),
            ("desired_count", Type::Number),
            ("running_count", Type::Number),
            ("deployment_status", Type::String),
        ]
        .into_iter()
        .map(|(k, t)| (k.to_string(), t))
        .collect(),
    )))
}

pub fn schema() -> Schema {
    let block = Block::new(
        "Reads a blue/green release without changing anything: which color is live, the target groups and \
         weights, and the ECS services serving each color. Locate it by `listener_rule_arn` or `listener_arn`, \
         or by `service`.",
    )
    .attribute(Attribute::computed("id", Type::String, "`CLUSTER/POINTER_ARN`."))
    .attribute(Attribute::required("cluster", Type::String, "ECS cluster name or ARN."))
    .attribute(Attribute::optional("service", Type::String, "An ECS service of the pair; locates the pointer through its target groups."))
    .attribute(Attribute::optional_computed("listener_rule_arn", Type::String, "The production listener rule."))
    .attribute(Attribute::optional_computed("listener_arn", Type::String, "The production listener (default-action pointer)."))
    .attribute(Attribute::optional_computed("blue_target_group_arn", Type::String, "Blue target group; found by tag or name when omitted."))
    .attribute(Attribute::optional_computed("green_target_group_arn", Type::String, "Green target group; found by tag or name when omitted."))
    .attribute(Attribute::computed("active_color", Type::String, "`blue` or `green`: the color with most traffic."))
    .attribute(Attribute::computed("standby_color", Type::String, "The other color."))
    .attribute(Attribute::computed("active_target_group_arn", Type::String, "Target group of the active color."))
    .attribute(Attribute::computed("standby_target_group_arn", Type::String, "Target group of the standby color."))
    .attribute(Attribute::computed("blue_weight", Type::Number, "Forward weight of blue, on ALB's 0..999 scale."))
    .attribute(Attribute::computed("green_weight", Type::Number, "Forward weight of green, on ALB's 0..999 scale."))
    .attribute(Attribute::computed("standby_traffic_percent", Type::Number, "Share of traffic the standby color receives, 0..100."))
    .attribute(Attribute::computed("blue_services", services_type(), "ECS services serving blue."))
    .attribute(Attribute::computed("green_services", services_type(), "ECS services serving green."));
    Schema { version: 0, block }
}
