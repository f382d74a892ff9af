//! List resource `bluegreen_ecs_release` for `terraform query` (Terraform 1.14+): every
//! blue/green pair of target groups serving an ECS cluster, and the pointer (a listener
//! rule, or a listener's default action) that forwards to it, one result per release.
//!
//! Pairs are found three ways, all from one listing of the cluster:
//! - a pointer whose forward action names two target groups, one of them serving a
//!   service of the cluster (two long-lived services, or Spinnaker server groups
//!   `app-stack-vNNN`, each on its color's target group);
//! - an ECS-native blue/green service (`loadBalancers[].advancedConfiguration`: its
//!   target group and `alternateTargetGroupArn`, with `productionListenerRule` as the
//!   production pointer and `testListenerRule` as the test pointer);
//! - a target group nothing pairs yet, and its name twin (`app-blue` / `app-green`).
//!
//! A service's target group takes its partner in `discovery::partner_order`, the order
//! import uses too. The test pointer is only ECS-native's `testListenerRule`
//! (`discovery::native_test_rule`), which import records as well.
//!
//! Blue and green are told apart as import does (`bluegreen:color` tag, then the name),
//! and the production pointer is chosen as import by service chooses it
//! (`pair_pointers::choose_primary`); the pair's other pointers that split it are its
//! `route` blocks, from the same listing (`pair_pointers::others`), as import finds
//! them. A pair that cannot be listed (one color only, colors that cannot be told
//! apart, no pointer, or single-color pointers none of which is production) is a
//! warning on the stream, and the other releases still stream. A service on one target group with
//! no color (no tag, no blue/green word) is not blue/green at all and is left out.
//!
//! Cost of one query, whatever the number of releases on a load balancer: ListServices
//! (100 a page), DescribeServices by tens, DescribeTargetGroups by 20 ARNs (which also
//! says which target groups still exist: only those are tagged, and a service naming a
//! deleted one is a warning), DescribeTags by 20 target groups, and per load balancer one
//! DescribeListeners and one DescribeRules per listener (400 rules a page), 4 load
//! balancers at a time. Only target groups nothing pairs cost more: one
//! DescribeTargetGroups by 20 names for their name twins. A cluster with a CODE_DEPLOY
//! service adds the lookup of its CodeDeploy deployment groups (cost in
//! `pointer_owner::code_deploy`), so a release one of them routes carries a warning.

//!
//! # Layout
//! - here: the list block's schema and config, and [`list`], which streams the events;
//! - [`gather`]: the AWS reads of one query, into an [`inventory::Inventory`];
//! - [`inventory`]: what the query knows, and the candidate pairs in it;
//! - [`releases`]: candidates resolved to releases or warnings, the listener filter,
//!   the events.

mod gather;
mod inventory;
mod releases;

use crate::arn;
use crate::aws::AwsClients;
use crate::release_spec;
use crate::resource_ecs_release::{self, attrs};
use tfplugin::provider::{ListResourceEvent, ListResourceRequest, ListResourceSink};
use tfplugin::schema::{Attribute, Block, Schema};
use tfplugin::{AttrPath, Diagnostic, Diagnostics, Type, Value};

pub const TYPE_NAME: &str = resource_ecs_release::TYPE_NAME;

pub fn schema() -> Schema {
    let block = Block::new(
        "Lists every blue/green release of an ECS cluster for `terraform query`: each pair of blue/green \
         target groups serving the cluster's services (two services, Spinnaker server groups, or one \
         ECS-native blue/green service) with the listener rule or listener default action that forwards \
         to it. With `-generate-config-out`, Terraform writes a `bluegreen_ecs_release` block and an \
         `import` block for each; the generated releases adopt the live traffic.",
    )
    .attribute(Attribute::required(attrs::CLUSTER, Type::String, "ECS cluster name or ARN whose releases to list."))
    .attribute(Attribute::optional(
        attrs::LISTENER_ARN,
        Type::String,
        "Only releases with a pointer (the production pointer or a route's) that is this listener's default action or one of its rules.",
    ))
    .attribute(Attribute::optional(
        "service_name_prefix",
        Type::String,
        "Only releases with an ECS service whose name starts with this prefix.",
    ));
    Schema { version: 0, block }
}

pub fn validate(c: &Value) -> Diagnostics {
    let mut d = Diagnostics::new();
    release_spec::check_cluster(&mut d, c, attrs::CLUSTER);
    if let Some(l) = c.get(attrs::LISTENER_ARN).as_str()
        && !arn::is_listener(l)
    {
        let hint = match arn::listener_of_rule(l) {
            Some(listener) => format!(" That is a listener rule ARN; its listener is {listener}."),
            None if arn::is_target_group(l) => {
                " That is a target group ARN; give the listener that forwards to it.".to_string()
            }
            None => String::new(),
        };
        d.error_at(
            AttrPath::root(attrs::LISTENER_ARN),
            "Invalid listener ARN",
            format!(
                "{l:?} is not a listener ARN of an Application or Network Load Balancer; expected arn:aws:elasticloadbalancing:REGION:ACCOUNT:listener/app/LB_NAME/LB_ID/LISTENER_ID (or listener/net/... for an NLB).{hint}"
            ),
        );
    }
    if c.get("service_name_prefix").as_str() == Some("") {
        d.error_at(
            AttrPath::root("service_name_prefix"),
            "Empty service name prefix",
            "An empty `service_name_prefix` matches every service; omit it to list the whole cluster.",
        );
    }
    d
}

/// The list block's `config`.
#[derive(Clone, Debug, Default, PartialEq)]
struct Filters {
    cluster: String,
    listener_arn: Option<String>,
    service_name_prefix: Option<String>,
}

impl Filters {
    fn from_value(c: &Value) -> Filters {
        let s = |a: &str| c.get(a).as_str().map(str::to_string);
        Filters {
            cluster: s(attrs::CLUSTER).unwrap_or_default(),
            listener_arn: s(attrs::LISTENER_ARN),
            service_name_prefix: s("service_name_prefix"),
        }
    }
}

fn error_event(d: Diagnostic) -> ListResourceEvent {
    ListResourceEvent { diagnostics: d.into(), ..Default::default() }
}

/// `ListResource`: streams one event per release (and one warning per pair it cannot
/// list), warnings first (see [`ordered`]), stopping once Terraform stops reading
/// (`limit` reached).
pub async fn list(aws: Option<&AwsClients>, req: ListResourceRequest, sink: ListResourceSink) {
    let Some(aws) = aws else {
        for d in crate::errors::not_configured("query").iter() {
            sink.send(error_event(d.clone())).await;
        }
        return;
    };
    let diags = validate(&req.config);
    if diags.has_errors() {
        sink.send(ListResourceEvent { diagnostics: diags, ..Default::default() }).await;
        return;
    }
    let filters = Filters::from_value(&req.config);
    let inv = match gather::gather(aws, &filters).await {
        Ok(inv) => inv,
        Err(e) => {
            sink.send(error_event(e.to_diagnostic())).await;
            return;
        }
    };
    let mut listed = releases::releases(&inv, &filters.cluster);
    if let Some(l) = &filters.listener_arn {
        listed = releases::on_listener(&inv, listed, l);
    }
    for event in ordered(
        releases::events(listed, &filters.cluster, req.include_resource, &inv.natives, &inv.code_deploy),
        req.limit,
    ) {
        if !sink.send(event).await {
            return;
        }
    }
}

/// The events in the order they are sent: warnings first (events without an identity,
/// which Terraform shows and does not count toward `limit`), then, when there are more
/// releases than `limit`, one warning saying so, then the releases. Terraform stops
/// reading after `limit` releases, so a warning sent after them would be lost.
fn ordered(events: Vec<ListResourceEvent>, limit: i64) -> Vec<ListResourceEvent> {
    let (results, mut out): (Vec<_>, Vec<_>) = events.into_iter().partition(|e| e.identity.is_some());
    if let Ok(limit) = usize::try_from(limit)
        && limit > 0
        && results.len() > limit
    {
        out.push(ListResourceEvent {
            display_name: format!("{limit} of {} releases", results.len()),
            diagnostics: Diagnostic::warning(
                "List cut at the limit",
                format!(
                    "Found {} releases; only the first {limit} (by name) are listed because the list block sets limit = {limit}. Raise limit, or narrow the query with listener_arn or service_name_prefix, to see the others.",
                    results.len()
                ),
            )
            .into(),
            ..Default::default()
        });
    }
    out.extend(results);
    out
}

#[cfg(test)]
mod tests;
