//! The CodeDeploy owners of a pointer: the ECS blue/green deployment groups whose
//! production or test traffic route is the pointer's listener.
//!
//! What CodeDeploy writes. A deployment group's `loadBalancerInfo.targetGroupPairInfoList`
//! holds the pair's two target groups (by name) and a `prodTrafficRoute` and optional
//! `testTrafficRoute`, each exactly one listener ARN ("Production traffic route must have
//! exactly one listener Arn"). During a deployment CodeDeploy moves the listener's
//! default action, and also every rule of that listener that forwards to the pair:
//! users who put path rules on the route's listener had to stop Terraform from undoing
//! CodeDeploy's swap on those rules too (traveloka/terraform-aws-alb-single-listener#28,
//! terraform-aws-modules/terraform-aws-alb#219). Since November 2022 it leaves the
//! replaced group in the forward at weight 0 (terraform-provider-aws#28129). So a
//! pointer is owned when it is the route's listener, or a rule of that listener whose
//! release's pair shares a target group with the group's pair; a rule of that listener
//! forwarding to other target groups (another service behind a shared listener) is not.
//!
//! Which groups are looked at. A group deploys only an ECS service whose
//! `deploymentController.type` is CODE_DEPLOY, so the lookup runs only for a cluster
//! that has such a service (the cluster listing the ECS-native lookup makes anyway says
//! so): a release in a cluster without one costs no CodeDeploy call. A group deploying a
//! service of another cluster behind the same listener is not seen.
//!
//! Cost, once per cluster per process: ListApplications (1 per 100 applications), then
//! per application ListDeploymentGroups (1 per 100 groups) and BatchGetDeploymentGroups
//! (1 per 25 groups). Whether an owner deploys is read fresh: one ListDeployments per
//! owning group, plus one GetDeployment when it does (for the refusal's message).

use super::{Owner, OwnerKind};
use crate::arn;
use crate::aws::AwsClients;
use crate::aws::codedeploy as aws_codedeploy;
use crate::errors::Result;
use aws_sdk_codedeploy::types::{ComputePlatform, DeploymentGroupInfo};
use aws_sdk_ecs::types::{DeploymentControllerType, Service};
use tfplugin::hclog;

/// One target group pair of an ECS deployment group of CodeDeploy, for one of the
/// cluster's CODE_DEPLOY services.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CodeDeployRoute {
    pub application: String,
    pub deployment_group: String,
    /// The service the group deploys (`ecsServices[].serviceName`), in the cluster.
    pub service: String,
    /// `prodTrafficRoute.listenerArns` (one).
    pub prod_listeners: Vec<String>,
    /// `testTrafficRoute.listenerArns` (none or one).
    pub test_listeners: Vec<String>,
    /// The pair's target group names (`targetGroups[].name`).
    pub target_groups: Vec<String>,
}

/// The names of the services of `services` that CodeDeploy deploys
/// (`deploymentController.type` CODE_DEPLOY).
pub fn code_deploy_services(services: &[Service]) -> Vec<String> {
    services
        .iter()
        .filter(|s| s.deployment_controller().map(|c| c.r#type()) == Some(&DeploymentControllerType::CodeDeploy))
        .filter_map(|s| s.service_name().map(str::to_string))
        .collect()
}

/// The routes of `groups` that deploy one of `services` of `cluster`: one per target
/// group pair of each ECS deployment group naming such a service.
pub fn routes_of(groups: &[DeploymentGroupInfo], cluster: &str, services: &[String]) -> Vec<CodeDeployRoute> {
    let mut out = Vec::new();
    for g in groups {
        if g.compute_platform().is_some_and(|p| *p != ComputePlatform::Ecs) {
            continue;
        }
        let ours = g.ecs_services().iter().find(|s| {
            s.cluster_name().is_some_and(|c| arn::same_cluster(c, cluster))
                && s.service_name().is_some_and(|n| services.iter().any(|x| x == n))
        });
        let Some(service) = ours.and_then(|s| s.service_name()) else { continue };
        let pairs = g.load_balancer_info().map(|l| l.target_group_pair_info_list()).unwrap_or_default();
        for pair in pairs {
            let listeners = |r: Option<&aws_sdk_codedeploy::types::TrafficRoute>| {
                r.map(|r| r.listener_arns().to_vec()).unwrap_or_default()
            };
            out.push(CodeDeployRoute {
                application: g.application_name().unwrap_or_default().to_string(),
                deployment_group: g.deployment_group_name().unwrap_or_default().to_string(),
                service: service.to_string(),
                prod_listeners: listeners(pair.prod_traffic_route()),
                test_listeners: listeners(pair.test_traffic_route()),
                target_groups: pair.target_groups().iter().filter_map(|t| t.name().map(str::to_string)).collect(),
            });
        }
    }
    out
}

/// The deployment groups among `routes` that move one of `pointers` (ARNs of listeners
/// or rules), for a release whose pair is `target_groups` (ARNs). See the module doc.
pub fn owners_in(routes: &[CodeDeployRoute], cluster: &str, pointers: &[&str], target_groups: &[&str]) -> Vec<Owner> {
    let mut out: Vec<Owner> = Vec::new();
    for r in routes {
        let shares_the_pair = target_groups
            .iter()
            .filter_map(|t| arn::target_group_name(t))
            .any(|n| r.target_groups.iter().any(|g| g == n));
        for (role, listeners) in [("prodTrafficRoute", &r.prod_listeners), ("testTrafficRoute", &r.test_listeners)] {
            for pointer in pointers {
                let moved = listeners.iter().any(|l| l == pointer)
                    || (shares_the_pair && arn::listener_of_rule(pointer).is_some_and(|l| listeners.contains(&l)));
                let owner = Owner {
                    pointer: pointer.to_string(),
                    role,
                    kind: OwnerKind::CodeDeploy {
                        application: r.application.clone(),
                        deployment_group: r.deployment_group.clone(),
                        cluster: cluster.to_string(),
                        service: r.service.clone(),
                    },
                };
                if moved && !out.contains(&owner) {
                    out.push(owner);
                }
            }
        }
    }
    out
}

/// The CodeDeploy routes of `cluster`'s CODE_DEPLOY services, looked up once per
/// process; none (and no call) when the cluster has no such service.
pub async fn cluster_routes(aws: &AwsClients, cluster: &str, services: &[String]) -> Result<Vec<CodeDeployRoute>> {
    if services.is_empty() {
        return Ok(Vec::new());
    }
    aws.target_groups
        .code_deploy_routes
        .get_or_lookup(&cluster.to_string(), || async {
            let mut routes = Vec::new();
            for application in aws_codedeploy::find_application_names(&aws.codedeploy).await? {
                let names = match aws_codedeploy::find_deployment_group_names(&aws.codedeploy, &application).await {
                    Ok(names) => names,
                    // Deleted since it was listed: it deploys nothing.
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e),
                };
                if names.is_empty() {
                    continue;
                }
                let groups = match aws_codedeploy::find_deployment_groups(&aws.codedeploy, &application, &names).await {
                    Ok(groups) => groups,
                    Err(e) if e.is_not_found() => continue,
                    Err(e) => return Err(e),
                };
                routes.extend(routes_of(&groups, cluster, services));
            }
            Ok(routes)
        })
        .await
}

/// Why deployment group `application`/`group` is deploying, if it is: its deployments in
/// one of [`aws_codedeploy::IN_PROGRESS`], the first with its status.
pub async fn deploying(aws: &AwsClients, application: &str, group: &str) -> Result<Option<String>> {
    let ids = aws_codedeploy::find_deployments_in_progress(&aws.codedeploy, application, group).await?;
    let Some(first) = ids.first() else { return Ok(None) };
    let status = match aws_codedeploy::find_deployment(&aws.codedeploy, first).await {
        Ok(d) => d.status().map(|s| s.as_str().to_string()),
        // Listed as in progress a moment ago; its status is what the listing asked for.
        Err(e) if e.is_not_found() => None,
        Err(e) => return Err(e),
    };
    let mut why = match status {
        Some(s) => format!("deployment {first} is {s}"),
        None => format!("deployment {first} is in progress"),
    };
    if ids.len() > 1 {
        why.push_str(&format!(", {} more queued or in progress", ids.len() - 1));
    }
    Ok(Some(why))
}

/// The refusal (summary, detail) for the first CodeDeploy owner among `owners` whose
/// deployment is in progress: one ListDeployments per deployment group (see
/// [`deploying`]); None when none is deploying, or no owner is a CodeDeploy group.
pub async fn refusal(aws: &AwsClients, owners: &[Owner]) -> Result<Option<(String, String)>> {
    let mut asked: Vec<(&str, &str)> = Vec::new();
    for owner in owners {
        let OwnerKind::CodeDeploy { application, deployment_group, .. } = &owner.kind else { continue };
        if asked.contains(&(application, deployment_group)) {
            continue;
        }
        asked.push((application, deployment_group));
        let Some(why) = deploying(aws, application, deployment_group).await? else { continue };
        let name = owner.name();
        hclog::warn("refused: the pointer's CodeDeploy owner is deploying", &[("owner", &name), ("why", &why)]);
        return Ok(Some((
            format!("{name} is deploying on this pointer"),
            format!(
                "{} is on the {} of {name}, and its deployment is in progress ({why}). CodeDeploy moves the route's listener and its rules forwarding to the service's target groups during the deployment, so nothing was written. Apply again once the deployment has finished (Succeeded, Failed or Stopped); to stop the two from competing, manage the pointer with one of them.",
                owner.pointer, owner.role
            ),
        )));
    }
    Ok(None)
}

/// For the promotion gate before a write: the refusal (summary: detail) when a CodeDeploy
/// deployment group routing one of `pointers` (for gaining target groups `target_groups`)
/// is deploying. Asks CodeDeploy only when the cluster has a CODE_DEPLOY service (the
/// gate's own listing says, kept per process) and a group routes a pointer.
pub async fn refusal_for_the_gate(
    aws: &AwsClients,
    cluster: &str,
    pointers: &[&str],
    target_groups: &[&str],
) -> Result<Option<String>> {
    let controllers = super::cluster_controllers(aws, cluster).await?;
    let routes = cluster_routes(aws, cluster, &controllers.code_deploy_services).await?;
    let owners = owners_in(&routes, cluster, pointers, target_groups);
    Ok(refusal(aws, &owners).await?.map(|(summary, detail)| format!("{summary}: {detail}")))
}
