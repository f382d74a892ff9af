//! AWS CodeDeploy reads: the applications and their deployment groups (for the
//! `pointer_owner` lookup of who else writes a pointer), and a group's deployments that
//! are still in progress.

use super::{Missing, all_pages, each_batch, failed};
use crate::errors::Result;
use aws_sdk_codedeploy::Client as CodeDeployClient;
use aws_sdk_codedeploy::types::{DeploymentGroupInfo, DeploymentInfo, DeploymentStatus};

/// Deployment groups asked for per BatchGetDeploymentGroups. AWS answers more than its
/// batch limit with BatchLimitExceededException; 25 stays under the limit of every
/// CodeDeploy BatchGet* call.
pub const GROUPS_PER_CALL: usize = 25;

/// The statuses in which a deployment still moves traffic, or may move it back: Created
/// and Queued (about to start), InProgress (installing, rerouting test and production
/// traffic), Ready (the replacement waits for a manual "continue" to reroute), Baking
/// (traffic rerouted, the original task set kept until the termination wait ends; a
/// rollback then reroutes back). Succeeded, Failed and Stopped are done.
/// https://docs.aws.amazon.com/codedeploy/latest/APIReference/API_DeploymentInfo.html
pub const IN_PROGRESS: [DeploymentStatus; 5] = [
    DeploymentStatus::Created,
    DeploymentStatus::Queued,
    DeploymentStatus::InProgress,
    DeploymentStatus::Ready,
    DeploymentStatus::Baking,
];

const APPLICATION_MISSING: Missing =
    Missing { code: "ApplicationDoesNotExistException", what: "CodeDeploy application" };
const DEPLOYMENT_MISSING: Missing = Missing { code: "DeploymentDoesNotExistException", what: "CodeDeploy deployment" };

/// Every CodeDeploy application's name: ListApplications, 100 a page (AWS's page size).
pub async fn find_application_names(cd: &CodeDeployClient) -> Result<Vec<String>> {
    all_pages(|next| async move {
        let out = cd
            .list_applications()
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| failed(e, "ListApplications", "the account", None))?;
        Ok((out.applications().to_vec(), out.next_token().map(str::to_string)))
    })
    .await
}

/// The deployment group names of `application`: ListDeploymentGroups, 100 a page;
/// NotFound when the application was deleted since it was listed.
pub async fn find_deployment_group_names(cd: &CodeDeployClient, application: &str) -> Result<Vec<String>> {
    all_pages(|next| async move {
        let out =
            cd.list_deployment_groups().application_name(application).set_next_token(next).send().await.map_err(
                |e| failed(e, "ListDeploymentGroups", application, Some((APPLICATION_MISSING, application))),
            )?;
        Ok((out.deployment_groups().to_vec(), out.next_token().map(str::to_string)))
    })
    .await
}

/// The deployment groups `names` of `application`: BatchGetDeploymentGroups by
/// [`GROUPS_PER_CALL`]. A group deleted meanwhile is left out (AWS names it in
/// `errorMessage` and answers the others).
pub async fn find_deployment_groups(
    cd: &CodeDeployClient,
    application: &str,
    names: &[String],
) -> Result<Vec<DeploymentGroupInfo>> {
    each_batch(names, GROUPS_PER_CALL, |batch| async move {
        let out = cd
            .batch_get_deployment_groups()
            .application_name(application)
            .set_deployment_group_names(Some(batch))
            .send()
            .await
            .map_err(|e| {
                failed(e, "BatchGetDeploymentGroups", application, Some((APPLICATION_MISSING, application)))
            })?;
        Ok(out.deployment_groups_info().to_vec())
    })
    .await
}

/// The IDs of the deployments of `application`/`group` in one of the [`IN_PROGRESS`]
/// statuses: ListDeployments with `includeOnlyStatuses`, 100 a page (one page unless a
/// group has that many queued).
pub async fn find_deployments_in_progress(
    cd: &CodeDeployClient,
    application: &str,
    group: &str,
) -> Result<Vec<String>> {
    let target = format!("{application}/{group}");
    let target = &target;
    all_pages(|next| async move {
        let out = cd
            .list_deployments()
            .application_name(application)
            .deployment_group_name(group)
            .set_include_only_statuses(Some(IN_PROGRESS.to_vec()))
            .set_next_token(next)
            .send()
            .await
            .map_err(|e| failed(e, "ListDeployments", target, None))?;
        Ok((out.deployments().to_vec(), out.next_token().map(str::to_string)))
    })
    .await
}

/// One deployment (GetDeployment): its status, for a refusal's message; NotFound when
/// it does not exist.
pub async fn find_deployment(cd: &CodeDeployClient, id: &str) -> Result<DeploymentInfo> {
    let out = cd
        .get_deployment()
        .deployment_id(id)
        .send()
        .await
        .map_err(|e| failed(e, "GetDeployment", id, Some((DEPLOYMENT_MISSING, id))))?;
    super::the_one(out.deployment_info(), "CodeDeploy deployment", id)
}
