//! Elastic Load Balancing v2 reads: target groups, their tags and health, listeners and
//! listener rules. Each finder names its call in errors and turns "does not exist" into
//! the typed NotFound.

use super::{Missing, all_pages, each_batch_skipping_missing, failed, the_one};
use crate::errors::{Error, Result};
use aws_sdk_elasticloadbalancingv2::Client as ElbClient;
use aws_sdk_elasticloadbalancingv2::types::{Listener, Rule, TagDescription, TargetGroup, TargetHealthDescription};

pub const TARGET_GROUP: Missing = Missing { code: "TargetGroupNotFound", what: "Target group" };
pub const LISTENER: Missing = Missing { code: "ListenerNotFound", what: "Listener" };
pub const LISTENER_RULE: Missing = Missing { code: "RuleNotFound", what: "Listener rule" };

/// DescribeTargetGroups and DescribeTags take at most 20 ARNs (or names).
pub const TARGET_GROUPS_PER_CALL: usize = 20;
/// DescribeListeners takes at most 20 listener ARNs.
pub const LISTENERS_PER_CALL: usize = 20;
/// DescribeRules page size (the API maximum is 400).
const RULES_PAGE_SIZE: i32 = 400;

/// How DescribeTargetGroups is asked.
#[derive(Clone, Copy, Debug)]
pub enum TargetGroupsBy<'a> {
    Arns(&'a [String]),
    Names(&'a [String]),
}

/// DescribeTargetGroups, one call (at most [`TARGET_GROUPS_PER_CALL`]). AWS fails the
/// whole call when any of them does not exist: NotFound naming them all ("A or B").
pub async fn find_target_groups(elb: &ElbClient, by: TargetGroupsBy<'_>) -> Result<Vec<TargetGroup>> {
    let (request, asked) = match by {
        TargetGroupsBy::Arns(arns) => (elb.describe_target_groups().set_target_group_arns(Some(arns.to_vec())), arns),
        TargetGroupsBy::Names(names) => (elb.describe_target_groups().set_names(Some(names.to_vec())), names),
    };
    let out = request
        .send()
        .await
        .map_err(|e| failed(e, "DescribeTargetGroups", &asked.join(", "), Some((TARGET_GROUP, &asked.join(" or ")))))?;
    Ok(out.target_groups().to_vec())
}

/// The target groups of `arns` that exist, any number of them: by 20, leaving out
/// those that no longer exist.
pub async fn find_target_groups_by_arns(elb: &ElbClient, arns: &[String]) -> Result<Vec<TargetGroup>> {
    each_batch_skipping_missing(arns, TARGET_GROUPS_PER_CALL, |batch| async move {
        find_target_groups(elb, TargetGroupsBy::Arns(&batch)).await
    })
    .await
}

/// The target groups named `names` that exist: by 20, leaving out names nothing has.
pub async fn find_target_groups_by_names(elb: &ElbClient, names: &[String]) -> Result<Vec<TargetGroup>> {
    each_batch_skipping_missing(names, TARGET_GROUPS_PER_CALL, |batch| async move {
        find_target_groups(elb, TargetGroupsBy::Names(&batch)).await
    })
    .await
}

/// DescribeTags of up to 20 resources, one call. Errors are AWS's own, a missing target
/// group included: the call does not say which of the ARNs is missing.
pub async fn find_tags(elb: &ElbClient, arns: &[String]) -> Result<Vec<TagDescription>> {
    let out = elb
        .describe_tags()
        .set_resource_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(|e| failed(e, "DescribeTags", &arns.join(", "), None))?;
    Ok(out.tag_descriptions().to_vec())
}

/// The tags of any number of target groups: DescribeTags by 20, leaving out target
/// groups deleted since something named them.
pub async fn find_target_group_tags(elb: &ElbClient, arns: &[String]) -> Result<Vec<TagDescription>> {
    each_batch_skipping_missing(arns, TARGET_GROUPS_PER_CALL, |batch| async move {
        find_tags(elb, &batch).await.map_err(|e| match e {
            e if e.is_aws_code(TARGET_GROUP.code) => {
                Error::NotFound { what: TARGET_GROUP.what, arn: batch.join(" or ") }
            }
            e => e,
        })
    })
    .await
}

/// One listener rule (one DescribeRules); NotFound when it does not exist.
pub async fn find_listener_rule_by_arn(elb: &ElbClient, arn: &str) -> Result<Rule> {
    let out = elb
        .describe_rules()
        .rule_arns(arn)
        .send()
        .await
        .map_err(|e| failed(e, "DescribeRules", arn, Some((LISTENER_RULE, arn))))?;
    the_one(out.rules().iter().find(|r| r.rule_arn() == Some(arn)), LISTENER_RULE.what, arn)
}

/// Every rule of a listener, its default rule included: one DescribeRules per 400
/// rules. NotFound when the listener does not exist.
pub async fn find_listener_rules(elb: &ElbClient, listener: &str) -> Result<Vec<Rule>> {
    all_pages(|marker| async move {
        let out = elb
            .describe_rules()
            .listener_arn(listener)
            .page_size(RULES_PAGE_SIZE)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| failed(e, "DescribeRules", listener, Some((LISTENER, listener))))?;
        Ok((out.rules().to_vec(), out.next_marker().map(str::to_string)))
    })
    .await
}

/// One listener (one DescribeListeners); NotFound when it does not exist.
pub async fn find_listener_by_arn(elb: &ElbClient, arn: &str) -> Result<Listener> {
    let listeners = find_listeners_by_arns(elb, &[arn.to_string()]).await?;
    the_one(listeners.iter().find(|l| l.listener_arn() == Some(arn)), LISTENER.what, arn)
}

/// Up to [`LISTENERS_PER_CALL`] listeners, one DescribeListeners. AWS fails the whole
/// call when one of them does not exist: NotFound naming them all ("A or B").
pub async fn find_listeners_by_arns(elb: &ElbClient, arns: &[String]) -> Result<Vec<Listener>> {
    let out = elb
        .describe_listeners()
        .set_listener_arns(Some(arns.to_vec()))
        .send()
        .await
        .map_err(|e| failed(e, "DescribeListeners", &arns.join(", "), Some((LISTENER, &arns.join(" or ")))))?;
    Ok(out.listeners().to_vec())
}

/// Every listener of a load balancer: DescribeListeners, paginated.
pub async fn find_load_balancer_listeners(elb: &ElbClient, lb: &str) -> Result<Vec<Listener>> {
    all_pages(|marker| async move {
        let out = elb
            .describe_listeners()
            .load_balancer_arn(lb)
            .set_marker(marker)
            .send()
            .await
            .map_err(|e| failed(e, "DescribeListeners", lb, None))?;
        Ok((out.listeners().to_vec(), out.next_marker().map(str::to_string)))
    })
    .await
}

/// The health of each registered target of a target group (one DescribeTargetHealth).
pub async fn find_target_health(elb: &ElbClient, tg: &str) -> Result<Vec<TargetHealthDescription>> {
    let out = elb
        .describe_target_health()
        .target_group_arn(tg)
        .send()
        .await
        .map_err(|e| failed(e, "DescribeTargetHealth", tg, None))?;
    Ok(out.target_health_descriptions().to_vec())
}
