//! Reads the inventory of one query from AWS, through the finders of [`crate::aws`]
//! (see the parent module's doc for the calls and their cost).

use super::Filters;
use super::inventory::{Inventory, ServiceView, candidates};
use crate::arn;
use crate::aws::{AwsClients, ecs as aws_ecs, elbv2};
use crate::discovery::{self, Found};
use crate::errors::{Error, Result};
use crate::pointer_owner;
use std::collections::{BTreeSet, HashMap};

/// The target groups that exist and the load balancers they are attached to:
/// DescribeTargetGroups by 20 ARNs, leaving out target groups that no longer exist.
async fn describe_target_groups(aws: &AwsClients, tgs: &[String]) -> Result<(BTreeSet<String>, BTreeSet<String>)> {
    let groups = elbv2::find_target_groups_by_arns(&aws.elbv2, tgs).await?;
    let lbs = groups.iter().flat_map(|g| g.load_balancer_arns().iter().cloned()).collect();
    let existing = groups.iter().filter_map(|g| g.target_group_arn()).map(str::to_string).collect();
    Ok((existing, lbs))
}

/// Target group ARNs by name, for the names that exist: DescribeTargetGroups by 20 names.
async fn target_groups_by_name(aws: &AwsClients, names: &[String]) -> Result<HashMap<String, String>> {
    Ok(elbv2::find_target_groups_by_names(&aws.elbv2, names)
        .await?
        .iter()
        .filter_map(|g| Some((g.target_group_name()?.to_string(), g.target_group_arn()?.to_string())))
        .collect())
}

/// The `bluegreen:color` tag of each target group: DescribeTags by 20. The target groups
/// are ones DescribeTargetGroups or a forward action just named; one deleted in between
/// is left out.
async fn color_tags(aws: &AwsClients, tgs: &[String]) -> Result<HashMap<String, Option<String>>> {
    Ok(discovery::color_tags_of(&elbv2::find_target_group_tags(&aws.elbv2, tgs).await?))
}

/// How many load balancers' listeners and rules are read at once.
const LOAD_BALANCERS_IN_FLIGHT: usize = 4;

/// Every pointer of the load balancers, read [`LOAD_BALANCERS_IN_FLIGHT`] load
/// balancers at a time (one DescribeListeners each, one DescribeRules per listener), in
/// the order of `lbs`.
async fn pointers_of(aws: &AwsClients, lbs: &BTreeSet<String>) -> Result<Vec<Found>> {
    let mut set = tokio::task::JoinSet::new();
    let mut results: Vec<Option<Vec<Found>>> = vec![None; lbs.len()];
    let mut queue = lbs.iter().cloned().enumerate();
    loop {
        while set.len() < LOAD_BALANCERS_IN_FLIGHT
            && let Some((i, lb)) = queue.next()
        {
            let aws = aws.clone();
            set.spawn(async move { (i, discovery::pointers_of_load_balancer(&aws, &lb).await) });
        }
        let Some(done) = set.join_next().await else { break };
        let (i, found) = done.map_err(|e| Error::live("Reading load balancers failed", e.to_string()))?;
        // An error drops the set, which aborts the reads still in flight.
        results[i] = Some(found?);
    }
    Ok(results.into_iter().flatten().flatten().collect())
}

/// Reads everything one query needs (see the module comment for the calls).
pub(super) async fn gather(aws: &AwsClients, f: &Filters) -> Result<Inventory> {
    let all = aws_ecs::find_cluster_services(&aws.ecs, &f.cluster).await?;
    let services: Vec<ServiceView> = all
        .iter()
        .filter(|s| f.service_name_prefix.as_deref().is_none_or(|p| s.service_name().is_some_and(|n| n.starts_with(p))))
        .map(ServiceView::from_service)
        .collect();
    // Whatever the prefix, a service that shifts traffic on a listed pointer is named.
    let controllers = pointer_owner::ClusterControllers::of(&all);
    let code_deploy =
        pointer_owner::code_deploy::cluster_routes(aws, &f.cluster, &controllers.code_deploy_services).await?;
    let mut inv = Inventory { services, natives: controllers.natives, code_deploy, ..Default::default() };
    let service_tgs: Vec<String> = inv.service_target_groups().into_iter().map(str::to_string).collect();
    if service_tgs.is_empty() {
        return Ok(inv);
    }
    // Which of the services' target groups still exist (ELB lets a target group be
    // deleted while only a service scaled to 0 names it), and their load balancers.
    let (existing, attached_to) = describe_target_groups(aws, &service_tgs).await?;
    inv.drop_missing(&existing);
    // A listener filter names its load balancer; otherwise the target groups say.
    let lbs: BTreeSet<String> = match &f.listener_arn {
        Some(l) => arn::load_balancer_of(l).into_iter().collect(),
        None => attached_to,
    };
    inv.pointers = pointers_of(aws, &lbs).await?;
    let (_, unpaired) = candidates(&inv);
    let twins: Vec<String> = unpaired
        .iter()
        .filter_map(|tg| discovery::twin_name(arn::target_group_name(tg)?))
        .collect::<BTreeSet<_>>()
        .into_iter()
        .collect();
    if !twins.is_empty() {
        inv.by_name = target_groups_by_name(aws, &twins).await?;
    }
    // Tags of every service target group that exists and of every partner it may take
    // (candidates choose the first partner whose colors resolve).
    let pointer_groups = inv.pointer_groups();
    let mut tgs: BTreeSet<String> = BTreeSet::new();
    for tg in inv.service_target_groups() {
        tgs.insert(tg.to_string());
        tgs.extend(inv.partners(tg, &pointer_groups));
    }
    inv.tags = color_tags(aws, &tgs.into_iter().collect::<Vec<_>>()).await?;
    Ok(inv)
}
