//! Data source `bluegreen_ecs_release`: a read-only view of a release for plan-only CI
//! jobs and deploy-pipeline parameters.

use tfplugin::Type;
use tfplugin::schema::{Attribute, Block, Schema};

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
    .attribute(Attribute::computed(attrs::ID, Type::String, "`CLUSTER/POINTER_ARN`."))
    .attribute(Attribute::required(attrs::CLUSTER, Type::String, "ECS cluster name or ARN."))
    .attribute(Attribute::optional(
        "service",
        Type::String,
        "An ECS service of the pair; locates the pointer through its target groups.",
    ))
    .attribute(Attribute::optional_computed(attrs::LISTENER_RULE_ARN, Type::String, "The production listener rule."))
    .attribute(Attribute::optional_computed(
        attrs::LISTENER_ARN,
        Type::String,
        "The production listener (default-action pointer).",
    ))
    .attribute(Attribute::optional_computed(
        "blue_target_group_arn",
        Type::String,
        "Blue target group; found by tag or name when omitted.",
    ))
    .attribute(Attribute::optional_computed(
        "green_target_group_arn",
        Type::String,
        "Green target group; found by tag or name when omitted.",
    ))
    .attribute(Attribute::computed(
        attrs::ACTIVE_COLOR,
        Type::String,
        "`blue` or `green`: the color with most traffic.",
    ))
    .attribute(Attribute::computed(attrs::STANDBY_COLOR, Type::String, "The other color."))
    .attribute(Attribute::computed(attrs::ACTIVE_TARGET_GROUP_ARN, Type::String, "Target group of the active color."))
    .attribute(Attribute::computed(attrs::STANDBY_TARGET_GROUP_ARN, Type::String, "Target group of the standby color."))
    .attribute(Attribute::computed("blue_weight", Type::Number, "Forward weight of blue, on ALB's 0..999 scale."))
    .attribute(Attribute::computed("green_weight", Type::Number, "Forward weight of green, on ALB's 0..999 scale."))
    .attribute(Attribute::computed(
        attrs::STANDBY_TRAFFIC_PERCENT,
        Type::Number,
        "Share of traffic the standby color receives, 0..100.",
    ))
    .attribute(Attribute::computed("blue_services", services_type(), "ECS services serving blue."))
    .attribute(Attribute::computed("green_services", services_type(), "ECS services serving green."));
    Schema { version: 0, block }
}

use crate::aws::AwsClients;
use crate::discovery;
use crate::errors::Error;
use crate::promotion_gate::{self, ServiceStatus};
use crate::release_spec;
use crate::resource_ecs_release::attrs;
use crate::traffic_pointer::{self, Pair, PointerRef};
use tfplugin::provider::{ReadDataSourceRequest, ReadDataSourceResponse};
use tfplugin::{AttrPath, Diagnostics, Value};

pub fn validate(c: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    let set: Vec<&str> = ["service", attrs::LISTENER_RULE_ARN, attrs::LISTENER_ARN]
        .into_iter()
        .filter(|a| !c.get(a).is_null())
        .collect();
    if set.len() > 1 {
        d.error_at(
            AttrPath::root(set[1]),
            "Conflicting locators",
            format!("Set only one of `service`, `listener_rule_arn` and `listener_arn` (got {}).", set.join(", ")),
        );
    }
    if set.is_empty() {
        d.error_at(
            AttrPath::root(attrs::LISTENER_RULE_ARN),
            "Missing locator",
            "Set one of `listener_rule_arn`, `listener_arn` or `service` to say which release to read.",
        );
    }
    release_spec::check_cluster(&mut d, c, attrs::CLUSTER);
    let target_groups_go_in = "`blue_target_group_arn` and `green_target_group_arn`";
    release_spec::check_pointer_arn(&mut d, c, attrs::LISTENER_RULE_ARN, true, target_groups_go_in);
    release_spec::check_pointer_arn(&mut d, c, attrs::LISTENER_ARN, false, target_groups_go_in);
    for attr in ["blue_target_group_arn", "green_target_group_arn"] {
        release_spec::check_target_group(&mut d, c.get(attr), AttrPath::root(attr));
    }
    d
}

fn services_value(services: &[ServiceStatus]) -> Value {
    Value::List(
        services
            .iter()
            .map(|s| {
                Value::object([
                    ("service_name", Value::from(s.name.as_str())),
                    ("service_arn", Value::from(s.arn.as_str())),
                    ("task_definition_arn", Value::from(s.task_definition.as_str())),
                    ("desired_count", Value::from(s.desired)),
                    ("running_count", Value::from(s.running)),
                    ("deployment_status", Value::from(s.deployment_status.as_str())),
                ])
            })
            .collect(),
    )
}

pub async fn read(aws: Option<&AwsClients>, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
    let Some(aws) = aws else {
        return ReadDataSourceResponse { diagnostics: crate::errors::not_configured("read"), ..Default::default() };
    };
    let c = req.config;
    let diags = validate(&c);
    if diags.has_errors() {
        return ReadDataSourceResponse { diagnostics: diags, ..Default::default() };
    }
    match read_release(aws, &c).await {
        Ok(state) => ReadDataSourceResponse { state, diagnostics: diags },
        Err(e) => ReadDataSourceResponse { diagnostics: e.to_diagnostic().into(), ..Default::default() },
    }
}

async fn read_release(aws: &AwsClients, c: &Value) -> Result<Value, Error> {
    let cluster = c.get(attrs::CLUSTER).as_str().unwrap_or_default().to_string();
    let given_pair = match (c.get("blue_target_group_arn").as_str(), c.get("green_target_group_arn").as_str()) {
        (Some(b), Some(g)) => Some(Pair { blue: b.to_string(), green: g.to_string() }),
        _ => None,
    };
    let (pointer, pair) = if let Some(service) = c.get("service").as_str() {
        let pair = match given_pair {
            Some(p) => p,
            None => {
                let tgs = discovery::service_target_groups(aws, &cluster, service).await?;
                match tgs.as_slice() {
                    [a, b, ..] => discovery::resolve_pair(aws, a, b).await?,
                    [one, ..] => discovery::sibling_target_group(aws, &cluster, one).await?,
                    [] => {
                        return Err(Error::live(
                            "Service has no target group",
                            format!("ECS service {service} has no target group."),
                        ));
                    }
                }
            }
        };
        (discovery::find_pointer_for_pair(aws, &pair).await?, pair)
    } else {
        let target = match (c.get(attrs::LISTENER_RULE_ARN).as_str(), c.get(attrs::LISTENER_ARN).as_str()) {
            (Some(r), _) => PointerRef::Rule(r.to_string()),
            (None, Some(l)) => PointerRef::Listener(l.to_string()),
            _ => return Err(Error::live("Missing locator", "Set listener_rule_arn, listener_arn or service.")),
        };
        let pointer = traffic_pointer::read(&aws.elbv2, &target).await?;
        let pair = match given_pair {
            Some(p) => p,
            None => discovery::pair_of_pointer(aws, &cluster, &pointer).await?,
        };
        (pointer, pair)
    };
    let traffic = pointer.traffic(&pair, None)?;
    let weights = pointer.weights()?;
    let weight_of = |tg: &str| weights.iter().filter(|(t, _)| t == tg).map(|(_, w)| i64::from(*w)).sum::<i64>();
    // One listing of the cluster answers both colors.
    let mut by_color = promotion_gate::services_on_target_groups(aws, &cluster, &[&pair.blue, &pair.green]).await?;
    let green_services = by_color.pop().unwrap_or_default();
    let blue_services = by_color.pop().unwrap_or_default();
    let (rule, listener) = match &pointer.target {
        PointerRef::Rule(a) => (Value::from(a.as_str()), Value::Null),
        PointerRef::Listener(a) => (Value::Null, Value::from(a.as_str())),
    };
    Ok(Value::object([
        (attrs::ID, Value::from(format!("{cluster}/{}", pointer.target.arn()))),
        (attrs::CLUSTER, Value::from(cluster.as_str())),
        ("service", c.get("service").clone()),
        (attrs::LISTENER_RULE_ARN, rule),
        (attrs::LISTENER_ARN, listener),
        ("blue_target_group_arn", Value::from(pair.blue.as_str())),
        ("green_target_group_arn", Value::from(pair.green.as_str())),
        (attrs::ACTIVE_COLOR, Value::from(traffic.active.as_str())),
        (attrs::STANDBY_COLOR, Value::from(traffic.active.other().as_str())),
        (attrs::ACTIVE_TARGET_GROUP_ARN, Value::from(pair.target_group(traffic.active))),
        (attrs::STANDBY_TARGET_GROUP_ARN, Value::from(pair.target_group(traffic.active.other()))),
        ("blue_weight", Value::from(weight_of(&pair.blue))),
        ("green_weight", Value::from(weight_of(&pair.green))),
        (attrs::STANDBY_TRAFFIC_PERCENT, Value::from(i64::from(traffic.standby_percent))),
        ("blue_services", services_value(&blue_services)),
        ("green_services", services_value(&green_services)),
    ]))
}
