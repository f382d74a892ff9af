//! Amazon ECS reads: services by name or ARN, and every service of a cluster.

use super::{all_pages, each_batch, failed, the_one};
use crate::errors::Result;
use aws_sdk_ecs::Client as EcsClient;
use aws_sdk_ecs::types::Service;

/// DescribeServices takes at most 10 services.
pub const SERVICES_PER_CALL: usize = 10;
/// ListServices page size (the API maximum).
const LIST_PAGE_SIZE: i32 = 100;

/// ECS services of `cluster` by ARN or name: DescribeServices by tens. Services ECS
/// reports as INACTIVE (deleted) or as failures (MISSING) are left out.
pub async fn find_services(ecs: &EcsClient, cluster: &str, services: &[String]) -> Result<Vec<Service>> {
    each_batch(services, SERVICES_PER_CALL, |batch| async move {
        let out = ecs
            .describe_services()
            .cluster(cluster)
            .set_services(Some(batch))
            .send()
            .await
            .map_err(|e| failed(e, "DescribeServices", &format!("cluster {cluster}"), None))?;
        Ok(out.services().iter().filter(|s| s.status() != Some("INACTIVE")).cloned().collect())
    })
    .await
}

/// One ECS service by name (one DescribeServices); NotFound ("ECS service",
/// `cluster/service`) when it does not exist or was deleted.
pub async fn find_service(ecs: &EcsClient, cluster: &str, service: &str) -> Result<Service> {
    let id = format!("{cluster}/{service}");
    let out = ecs
        .describe_services()
        .cluster(cluster)
        .services(service)
        .send()
        .await
        .map_err(|e| failed(e, "DescribeServices", &id, None))?;
    let found = out.services().iter().find(|s| s.service_name() == Some(service) && s.status() != Some("INACTIVE"));
    // ECS answers a missing service as a failure (`MISSING`), not an error code.
    the_one(found, "ECS service", &id)
}

/// The ARNs of every service of `cluster`: ListServices, 100 a page.
pub async fn find_service_arns(ecs: &EcsClient, cluster: &str) -> Result<Vec<String>> {
    all_pages(|next| async move {
        let out = ecs
            .list_services()
            .cluster(cluster)
            .set_next_token(next)
            .max_results(LIST_PAGE_SIZE)
            .send()
            .await
            .map_err(|e| failed(e, "ListServices", &format!("cluster {cluster}"), None))?;
        Ok((out.service_arns().to_vec(), out.next_token().map(str::to_string)))
    })
    .await
}

/// Every ECS service of `cluster`: [`find_service_arns`], then [`find_services`].
pub async fn find_cluster_services(ecs: &EcsClient, cluster: &str) -> Result<Vec<Service>> {
    let arns = find_service_arns(ecs, cluster).await?;
    find_services(ecs, cluster, &arns).await
}

/// The target groups a service's load balancers use, each once, in order: production
/// and, for ECS-native blue/green, the alternate.
pub fn service_target_groups(s: &Service) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for lb in s.load_balancers() {
        let alternate = lb.advanced_configuration().and_then(|a| a.alternate_target_group_arn());
        for tg in [lb.target_group_arn(), alternate].into_iter().flatten() {
            if !out.iter().any(|t| t == tg) {
                out.push(tg.to_string());
            }
        }
    }
    out
}
