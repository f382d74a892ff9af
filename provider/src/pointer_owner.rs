//! Who else writes a release's pointer: an ECS service deploying with ECS native
//! blue/green (`deploymentConfiguration.strategy` BLUE_GREEN, or its LINEAR and CANARY
//! variants) whose `advancedConfiguration` names the pointer as its
//! `productionListenerRule` or `testListenerRule`. ECS moves that rule's weights during
//! each of its deployments, so two writers would undo each other: plan, import and query
//! warn naming the service, and the switch refuses to write while its deployment is in
//! progress.
//!
//! A cluster's ECS-native configuration is read once per process (`advancedConfiguration`
//! and the strategy are set up with the service, not changed by a deploy); whether a
//! deployment is in progress is always read fresh.

use crate::aws::AwsClients;
use crate::aws::ecs as aws_ecs;
use crate::errors::{Error, Result};
use aws_sdk_ecs::types::{DeploymentStrategy, Service};
use tfplugin::hclog;

/// One ECS-native load balancer of a service (`loadBalancers[]` with an
/// `advancedConfiguration`), as read from DescribeServices.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NativeLoadBalancer {
    pub service: String,
    pub service_arn: String,
    /// Whether ECS shifts traffic on the rules itself: a BLUE_GREEN, LINEAR or CANARY
    /// strategy. ROLLING (or none) leaves the rules alone.
    pub shifts_traffic: bool,
    pub target_group: String,
    pub alternate: String,
    pub production_rule: Option<String>,
    pub test_rule: Option<String>,
}

/// The ECS-native load balancers of `services`, in order.
pub fn natives_of(services: &[Service]) -> Vec<NativeLoadBalancer> {
    let mut out = Vec::new();
    for s in services {
        let strategy = s.deployment_configuration().and_then(|d| d.strategy());
        let shifts_traffic = matches!(
            strategy,
            Some(DeploymentStrategy::BlueGreen | DeploymentStrategy::Linear | DeploymentStrategy::Canary)
        );
        for lb in s.load_balancers() {
            let Some(adv) = lb.advanced_configuration() else { continue };
            let (Some(tg), Some(alternate)) = (lb.target_group_arn(), adv.alternate_target_group_arn()) else {
                continue;
            };
            out.push(NativeLoadBalancer {
                service: s.service_name().unwrap_or_default().to_string(),
                service_arn: s.service_arn().unwrap_or_default().to_string(),
                shifts_traffic,
                target_group: tg.to_string(),
                alternate: alternate.to_string(),
                production_rule: adv.production_listener_rule().map(str::to_string),
                test_rule: adv.test_listener_rule().map(str::to_string),
            });
        }
    }
    out
}

/// The cluster's ECS-native load balancers: one listing of its services per process
/// (shared with import and with a gate's listing, see [`remember`]).
pub async fn cluster_natives(aws: &AwsClients, cluster: &str) -> Result<Vec<NativeLoadBalancer>> {
    aws.target_groups
        .native_config
        .get_or_lookup(&cluster.to_string(), || async {
            Ok(natives_of(&aws_ecs::find_cluster_services(&aws.ecs, cluster).await?))
        })
        .await
}

/// Keeps the ECS-native configuration of a listing of the whole cluster made anyway (the
/// gate's), so that the owner check after the gate costs no second listing.
pub fn remember(aws: &AwsClients, cluster: &str, services: &[Service]) {
    aws.target_groups.native_config.offer(&cluster.to_string(), natives_of(services));
}

/// An ECS service that writes a pointer of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    pub cluster: String,
    pub service: String,
    pub service_arn: String,
    /// The pointer's ARN (a listener rule, or a listener for its default action).
    pub pointer: String,
    /// `productionListenerRule` or `testListenerRule`.
    pub role: &'static str,
}

/// The services among `natives` that shift traffic on one of `pointers` (ARNs).
pub fn owners_in(natives: &[NativeLoadBalancer], cluster: &str, pointers: &[&str]) -> Vec<Owner> {
    let mut out: Vec<Owner> = Vec::new();
    for n in natives.iter().filter(|n| n.shifts_traffic) {
        let roles = [("productionListenerRule", &n.production_rule), ("testListenerRule", &n.test_rule)];
        for (role, rule) in roles {
            let Some(rule) = rule.as_deref().filter(|r| pointers.contains(r)) else { continue };
            let owner = Owner {
                cluster: cluster.to_string(),
                service: n.service.clone(),
                service_arn: n.service_arn.clone(),
                pointer: rule.to_string(),
                role,
            };
            if !out.contains(&owner) {
                out.push(owner);
            }
        }
    }
    out
}

/// The ECS-native services of `cluster` that shift traffic on one of `pointers`; a
/// cluster that does not exist has none.
pub async fn find_owners(aws: &AwsClients, cluster: &str, pointers: &[&str]) -> Result<Vec<Owner>> {
    match cluster_natives(aws, cluster).await {
        Ok(natives) => Ok(owners_in(&natives, cluster, pointers)),
        Err(e) if e.is_aws_code("ClusterNotFoundException") => Ok(Vec::new()),
        Err(e) => Err(e),
    }
}

impl Owner {
    /// The warning plan, import and query give (summary, detail).
    pub fn warning(&self) -> (String, String) {
        (
            format!("ECS service {}/{} also writes this pointer", self.cluster, self.service),
            format!(
                "{} is the {} of ECS service {} in cluster {}, which deploys with ECS native blue/green: ECS moves this rule's weights during each of its deployments, and this release moves them too, so the two writers would undo each other. Manage the pointer with one of them: let this release own it (remove the service's advancedConfiguration, or use the ROLLING strategy), or leave the pointer to ECS and do not manage it with bluegreen. While the service's deployment is in progress, an apply that moves traffic refuses and writes nothing.",
                self.pointer, self.role, self.service, self.cluster
            ),
        )
    }
}

/// Why a service's deployment is in progress, if it is. During an ECS deployment
/// DescribeServices lists the new PRIMARY deployment (`rolloutState` IN_PROGRESS until
/// it completes) and the replaced one as ACTIVE while it still has tasks; with native
/// blue/green the blue revision stays ACTIVE through the bake time until clean-up.
pub fn deployment_in_progress(s: &Service) -> Option<String> {
    let deployments = s.deployments();
    let primary = deployments.iter().find(|d| d.status() == Some("PRIMARY"));
    let rollout = primary.and_then(|d| d.rollout_state()).map(|r| r.as_str().to_string());
    let active = deployments.iter().filter(|d| d.status() == Some("ACTIVE")).count();
    let in_progress = rollout.as_deref() == Some("IN_PROGRESS");
    if !in_progress && active == 0 {
        return None;
    }
    let mut why = Vec::new();
    if let Some(p) = primary {
        why.push(format!("its PRIMARY deployment {} is {}", p.id().unwrap_or("?"), rollout.as_deref().unwrap_or("?")));
    }
    if active > 0 {
        why.push(format!("{active} older deployment(s) still ACTIVE"));
    }
    Some(why.join(", "))
}

/// Refuses (nothing written) while an owner of `pointers` deploys: one fresh
/// DescribeServices of the owners, after the cached lookup of who they are. Returns the
/// owners (none deploying), for the apply's warning.
pub async fn refuse_while_an_owner_deploys(aws: &AwsClients, cluster: &str, pointers: &[&str]) -> Result<Vec<Owner>> {
    let owners = find_owners(aws, cluster, pointers).await?;
    if owners.is_empty() {
        return Ok(owners);
    }
    let mut arns: Vec<String> = owners.iter().map(|o| o.service_arn.clone()).collect();
    arns.dedup();
    for s in aws_ecs::find_services(&aws.ecs, cluster, &arns).await? {
        let Some(why) = deployment_in_progress(&s) else { continue };
        let name = s.service_name().unwrap_or_default();
        let Some(owner) = owners.iter().find(|o| o.service == name) else { continue };
        hclog::warn("refused: the pointer's ECS-native owner is deploying", &[("service", &name), ("why", &why)]);
        return Err(Error::live(
            format!("ECS service {cluster}/{name} is deploying on this pointer"),
            format!(
                "{} is the {} of ECS service {name} in cluster {cluster}, which deploys with ECS native blue/green, and its deployment is in progress ({why}). ECS moves the rule's weights during the deployment, so nothing was written. Apply again once the deployment has finished; to stop the two from competing, manage the pointer with one of them.",
                owner.pointer, owner.role
            ),
        ));
    }
    Ok(owners)
}

#[cfg(test)]
mod tests;
