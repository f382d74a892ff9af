//! Who else writes a release's pointer: an ECS service deploying with ECS native
//! blue/green (`deploymentConfiguration.strategy` BLUE_GREEN, or its LINEAR and CANARY
//! variants) whose `advancedConfiguration` names the pointer as its
//! `productionListenerRule` or `testListenerRule`; or a CodeDeploy deployment group
//! whose production or test traffic route is the pointer's listener ([`code_deploy`]).
//! Either moves the pointer during each of its deployments, so two writers would undo
//! each other: plan, import and query warn naming the owner, and the switch refuses to
//! write while the owner's deployment is in progress.
//!
//! A cluster's configuration is read once per process (`advancedConfiguration`, the
//! strategy, the deployment controller and a deployment group's routes are set up with
//! the service, not changed by a deploy); whether a deployment is in progress is always
//! read fresh.

use crate::aws::AwsClients;
use crate::aws::ecs as aws_ecs;
use crate::errors::{Error, Result};
use aws_sdk_ecs::types::{DeploymentStrategy, Service};
use tfplugin::hclog;

pub mod code_deploy;
pub use code_deploy::CodeDeployRoute;

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

/// Who deploys the services of a cluster, as one listing of it says: the ECS-native
/// load balancers, and the services CodeDeploy deploys.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ClusterControllers {
    pub natives: Vec<NativeLoadBalancer>,
    /// Names of the services whose `deploymentController.type` is CODE_DEPLOY.
    pub code_deploy_services: Vec<String>,
}

impl ClusterControllers {
    pub fn of(services: &[Service]) -> ClusterControllers {
        ClusterControllers {
            natives: natives_of(services),
            code_deploy_services: code_deploy::code_deploy_services(services),
        }
    }
}

/// The cluster's controllers: one listing of its services per process (shared with
/// import and with a gate's listing, see [`remember`]).
pub async fn cluster_controllers(aws: &AwsClients, cluster: &str) -> Result<ClusterControllers> {
    aws.target_groups
        .native_config
        .get_or_lookup(&cluster.to_string(), || async {
            Ok(ClusterControllers::of(&aws_ecs::find_cluster_services(&aws.ecs, cluster).await?))
        })
        .await
}

/// The cluster's ECS-native load balancers (see [`cluster_controllers`]).
pub async fn cluster_natives(aws: &AwsClients, cluster: &str) -> Result<Vec<NativeLoadBalancer>> {
    Ok(cluster_controllers(aws, cluster).await?.natives)
}

/// Keeps the controllers of a listing of the whole cluster made anyway (the gate's), so
/// that the owner check after the gate costs no second listing.
pub fn remember(aws: &AwsClients, cluster: &str, services: &[Service]) {
    aws.target_groups.native_config.offer(&cluster.to_string(), ClusterControllers::of(services));
}

/// Who writes a pointer of a release besides it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OwnerKind {
    /// An ECS service deploying with ECS native blue/green.
    EcsNative { cluster: String, service: String, service_arn: String },
    /// A CodeDeploy deployment group deploying ECS service `cluster/service`.
    CodeDeploy { application: String, deployment_group: String, cluster: String, service: String },
}

/// An owner of one pointer of a release.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Owner {
    /// The pointer's ARN (a listener rule, or a listener for its default action).
    pub pointer: String,
    /// Where the owner names it: `productionListenerRule` or `testListenerRule` (ECS),
    /// `prodTrafficRoute` or `testTrafficRoute` (CodeDeploy).
    pub role: &'static str,
    pub kind: OwnerKind,
}

/// The services among `natives` that shift traffic on one of `pointers` (ARNs).
pub fn owners_in(natives: &[NativeLoadBalancer], cluster: &str, pointers: &[&str]) -> Vec<Owner> {
    let mut out: Vec<Owner> = Vec::new();
    for n in natives.iter().filter(|n| n.shifts_traffic) {
        let roles = [("productionListenerRule", &n.production_rule), ("testListenerRule", &n.test_rule)];
        for (role, rule) in roles {
            let Some(rule) = rule.as_deref().filter(|r| pointers.contains(r)) else { continue };
            let owner = Owner {
                pointer: rule.to_string(),
                role,
                kind: OwnerKind::EcsNative {
                    cluster: cluster.to_string(),
                    service: n.service.clone(),
                    service_arn: n.service_arn.clone(),
                },
            };
            if !out.contains(&owner) {
                out.push(owner);
            }
        }
    }
    out
}

/// Every owner among the ECS-native load balancers and the CodeDeploy routes of
/// `cluster` of one of `pointers`, for a release whose pair is `target_groups`.
pub fn all_owners_in(
    natives: &[NativeLoadBalancer],
    routes: &[CodeDeployRoute],
    cluster: &str,
    pointers: &[&str],
    target_groups: &[&str],
) -> Vec<Owner> {
    let mut out = owners_in(natives, cluster, pointers);
    out.extend(code_deploy::owners_in(routes, cluster, pointers, target_groups));
    out
}

/// Who else writes one of `pointers` of a release of `cluster` whose pair is
/// `target_groups` (ARNs): the ECS-native services, then the CodeDeploy deployment
/// groups (looked up only when the cluster has a CODE_DEPLOY service). A cluster that
/// does not exist has none.
pub async fn find_owners(
    aws: &AwsClients,
    cluster: &str,
    pointers: &[&str],
    target_groups: &[&str],
) -> Result<Vec<Owner>> {
    let controllers = match cluster_controllers(aws, cluster).await {
        Ok(c) => c,
        Err(e) if e.is_aws_code("ClusterNotFoundException") => return Ok(Vec::new()),
        Err(e) => return Err(e),
    };
    let routes = code_deploy::cluster_routes(aws, cluster, &controllers.code_deploy_services).await?;
    Ok(all_owners_in(&controllers.natives, &routes, cluster, pointers, target_groups))
}

impl Owner {
    /// Who the owner is, as the messages name it.
    pub fn name(&self) -> String {
        match &self.kind {
            OwnerKind::EcsNative { cluster, service, .. } => format!("ECS service {cluster}/{service}"),
            OwnerKind::CodeDeploy { application, deployment_group, .. } => {
                format!("CodeDeploy deployment group {application}/{deployment_group}")
            }
        }
    }

    /// The warning plan, import and query give (summary, detail).
    pub fn warning(&self) -> (String, String) {
        let summary = format!("{} also writes this pointer", self.name());
        let detail = match &self.kind {
            OwnerKind::EcsNative { cluster, service, .. } => format!(
                "{} is the {} of ECS service {service} in cluster {cluster}, which deploys with ECS native blue/green: ECS moves this rule's weights during each of its deployments, and this release moves them too, so the two writers would undo each other. Manage the pointer with one of them: let this release own it (remove the service's advancedConfiguration, or use the ROLLING strategy), or leave the pointer to ECS and do not manage it with bluegreen. While the service's deployment is in progress, an apply that moves traffic refuses and writes nothing.",
                self.pointer, self.role
            ),
            OwnerKind::CodeDeploy { application, deployment_group, cluster, service } => format!(
                "{} is on the {} ({}) of CodeDeploy deployment group {deployment_group} of application {application}, which deploys ECS service {cluster}/{service}: during each of its deployments CodeDeploy moves that listener's default action and its rules that forward to the service's target groups, and this release moves them too, so the two writers would undo each other. Manage the pointer with one of them: let this release own it (take the listener out of the deployment group's traffic route, or deploy the service with another controller), or let CodeDeploy own it and use the release only to read it (do not apply changes that move traffic). While the group's deployment is in progress, an apply that moves traffic refuses and writes nothing.",
                self.pointer,
                if self.role == "testTrafficRoute" { "test traffic route" } else { "production traffic route" },
                self.role
            ),
        };
        (summary, detail)
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

/// Refuses (nothing written) while an owner of `pointers` deploys, after the cached
/// lookup of who they are: one fresh DescribeServices of the ECS-native owners, one
/// ListDeployments per CodeDeploy owner (see [`code_deploy`]). Returns the owners (none
/// deploying), for the apply's warning.
pub async fn refuse_while_an_owner_deploys(
    aws: &AwsClients,
    cluster: &str,
    pointers: &[&str],
    target_groups: &[&str],
) -> Result<Vec<Owner>> {
    let owners = find_owners(aws, cluster, pointers, target_groups).await?;
    let mut arns: Vec<String> = Vec::new();
    for o in &owners {
        if let OwnerKind::EcsNative { service_arn, .. } = &o.kind
            && !arns.contains(service_arn)
        {
            arns.push(service_arn.clone());
        }
    }
    if !arns.is_empty() {
        for s in aws_ecs::find_services(&aws.ecs, cluster, &arns).await? {
            let Some(why) = deployment_in_progress(&s) else { continue };
            let name = s.service_name().unwrap_or_default();
            let owner =
                owners.iter().find(|o| matches!(&o.kind, OwnerKind::EcsNative { service, .. } if service == name));
            let Some(owner) = owner else { continue };
            hclog::warn("refused: the pointer's ECS-native owner is deploying", &[("service", &name), ("why", &why)]);
            return Err(Error::live(
                format!("ECS service {cluster}/{name} is deploying on this pointer"),
                format!(
                    "{} is the {} of ECS service {name} in cluster {cluster}, which deploys with ECS native blue/green, and its deployment is in progress ({why}). ECS moves the rule's weights during the deployment, so nothing was written. Apply again once the deployment has finished; to stop the two from competing, manage the pointer with one of them.",
                    owner.pointer, owner.role
                ),
            ));
        }
    }
    if let Some((summary, detail)) = code_deploy::refusal(aws, &owners).await? {
        return Err(Error::live(summary, detail));
    }
    Ok(owners)
}

#[cfg(test)]
mod tests;
