//! Every AWS read the provider makes, one module per service, in the style of
//! terraform-provider-aws's finders: `find_*` returns what AWS has, or the typed
//! [`Error::NotFound`] when the object asked about does not exist (AWS's not-found code
//! for that call, or an answer that leaves the object out), so callers match on one
//! variant instead of each call's error code.
//!
//! # Layout
//! - [`clients`]: the provider block and the SDK clients built from it (retries,
//!   timeouts, endpoints, assumed role).
//! - [`elbv2`]: target groups, tags, listeners, listener rules, target health.
//! - [`ecs`]: services by name or ARN, a cluster's services.
//! - [`cloudwatch`]: alarm states.
//! - [`secretsmanager`]: a secret's string (the Dynatrace tokens).
//! - [`codedeploy`]: applications, deployment groups, deployments in progress.
//! - here: the one place AWS errors become [`Error`], and calls are batched and paged.
//!
//! To add an AWS read: a `find_*` in its service's module, using [`failed`] for errors,
//! [`the_one`] for a lookup by ARN, [`each_batch`] / [`each_batch_skipping_missing`] for
//! per-call limits and [`all_pages`] for pagination. Writes stay with the code that
//! guards them (`traffic_pointer::write_once`, the hooks' Invoke).

pub mod clients;
pub mod cloudwatch;
pub mod codedeploy;
pub mod ecs;
pub mod elbv2;
pub mod secretsmanager;

pub use clients::AwsClients;

use crate::errors::{self, Error, Result};
use aws_sdk_ecs::error::{ProvideErrorMetadata, SdkError};
use std::future::Future;

/// An AWS error code that says the object asked about does not exist, and what that
/// object is called in messages ("Target group", "Listener rule").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Missing {
    pub code: &'static str,
    pub what: &'static str,
}

/// What a failed call becomes: the typed NotFound (`missing.what`, `arn`) when AWS's
/// code is `missing.code`, else [`Error::Aws`] naming `call` and `target`.
pub fn failed<E, R>(err: SdkError<E, R>, call: &'static str, target: &str, missing: Option<(Missing, &str)>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug,
{
    match missing {
        Some((m, arn)) if err.code() == Some(m.code) => Error::NotFound { what: m.what, arn: arn.to_string() },
        _ => errors::aws(call, target.to_string(), err),
    }
}

/// `items` in batches of at most `size`, in order.
pub fn batches<T>(items: Vec<T>, size: usize) -> Vec<Vec<T>> {
    let mut out = Vec::new();
    let mut current = Vec::new();
    for item in items {
        current.push(item);
        if current.len() == size {
            out.push(std::mem::take(&mut current));
        }
    }
    if !current.is_empty() {
        out.push(current);
    }
    out
}

/// `call` over `items` at most `size` at a time (the call's limit), one batch after
/// the other; the answers in order.
pub async fn each_batch<T, F, Fut>(items: &[String], size: usize, call: F) -> Result<Vec<T>>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    let mut out = Vec::new();
    for batch in batches(items.to_vec(), size) {
        out.extend(call(batch).await?);
    }
    Ok(out)
}

/// [`each_batch`], where a batch that fails with NotFound (one of its items does not
/// exist, e.g. a target group deleted meanwhile, and AWS fails the whole call) is
/// retried one item at a time, so only the missing items are left out.
pub async fn each_batch_skipping_missing<T, F, Fut>(items: &[String], size: usize, call: F) -> Result<Vec<T>>
where
    F: Fn(Vec<String>) -> Fut,
    Fut: Future<Output = Result<Vec<T>>>,
{
    let call = &call;
    each_batch(items, size, |batch| async move {
        match call(batch.clone()).await {
            // A batch of one that is missing has nothing else to find.
            Err(e) if e.is_not_found() && batch.len() == 1 => Ok(Vec::new()),
            Err(e) if e.is_not_found() => {
                let mut found = Vec::new();
                for item in batch {
                    match call(vec![item]).await {
                        Ok(f) => found.extend(f),
                        Err(e) if e.is_not_found() => {}
                        Err(e) => return Err(e),
                    }
                }
                Ok(found)
            }
            answer => answer,
        }
    })
    .await
}

/// The one object a call by ARN (or name) answered, or NotFound when the answer leaves
/// it out.
pub fn the_one<T: Clone>(found: Option<&T>, what: &'static str, arn: &str) -> Result<T> {
    found.cloned().ok_or_else(|| Error::NotFound { what, arn: arn.to_string() })
}

/// Every page of a paginated call: `page(token)` answers one page and the token of the
/// next (`Marker` / `NextToken`); an absent or empty token ends the listing.
pub async fn all_pages<T, F, Fut>(mut page: F) -> Result<Vec<T>>
where
    F: FnMut(Option<String>) -> Fut,
    Fut: Future<Output = Result<(Vec<T>, Option<String>)>>,
{
    let mut all = Vec::new();
    let mut token: Option<String> = None;
    loop {
        let (items, next) = page(token.take()).await?;
        all.extend(items);
        match next {
            Some(t) if !t.is_empty() => token = Some(t),
            _ => return Ok(all),
        }
    }
}

#[cfg(test)]
mod tests;
