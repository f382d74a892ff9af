//! Target-group facts kept for the life of the provider process (one plan or apply):
//! which load balancers a pair is attached to, and the pair's `bluegreen:color` tags.
//! Every release of a pair asks the same question, so creating or importing many
//! releases costs one lookup per pair, not one per release. Tags are not changed by a
//! run. Attachments: every write of a release names both target groups, so a pair this
//! provider manages stays attached and its attachments do not change during a run. The
//! one change a run makes is attaching a detached gaining color (weight 0) to the
//! pointer's own load balancer, and every use of a cached "attached to nothing"
//! (`discovery::check_same_load_balancer`) already accepts that load balancer. A change
//! by another tool during a run is seen by the next process (the next plan or apply).
//! Health, services and the pointer are never cached: those are what a gate or a
//! compare-before-write must see fresh.
//!
//! Concurrent lookups of the same pair share one call; a failed lookup is not kept,
//! so the next caller tries again.

use crate::errors::Result;
use std::collections::HashMap;
use std::future::Future;
use std::hash::Hash;
use std::sync::{Arc, Mutex};
use tokio::sync::OnceCell;

/// A per-key memo of successful lookups.
pub struct Memo<K, V> {
    cells: Mutex<HashMap<K, Arc<OnceCell<V>>>>,
}

impl<K: Eq + Hash + Clone, V: Clone> Default for Memo<K, V> {
    fn default() -> Self {
        Memo { cells: Mutex::new(HashMap::new()) }
    }
}

impl<K: Eq + Hash + Clone, V: Clone> Memo<K, V> {
    /// The value for `key`, looked up with `lookup` only if no earlier lookup succeeded.
    pub async fn get_or_lookup<F, Fut>(&self, key: &K, lookup: F) -> Result<V>
    where
        F: FnOnce() -> Fut,
        Fut: Future<Output = Result<V>>,
    {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(key.clone()).or_default().clone()
        };
        cell.get_or_try_init(lookup).await.cloned()
    }

    /// Keeps `value` for `key` unless a lookup already succeeded (a value learned from a
    /// call made for another reason).
    pub fn offer(&self, key: &K, value: V) {
        let cell = {
            let mut cells = self.cells.lock().unwrap_or_else(|p| p.into_inner());
            cells.entry(key.clone()).or_default().clone()
        };
        let _ = cell.set(value);
    }
}

/// Target groups by pair (blue ARN, green ARN).
pub type PairKey = (String, String);

/// The load balancers each target group of a pair is attached to.
pub type LoadBalancersByTargetGroup = Vec<(String, Vec<String>)>;

/// The `bluegreen:color` tag value of each target group of a pair, if it has one.
pub type ColorTags = HashMap<String, Option<String>>;

/// Who deploys a cluster's services: its ECS-native load balancers, its CODE_DEPLOY services.
pub type NativeConfig = crate::pointer_owner::ClusterControllers;

#[derive(Default)]
pub struct TargetGroupCache {
    pub load_balancers: Memo<PairKey, LoadBalancersByTargetGroup>,
    pub color_tags: Memo<PairKey, ColorTags>,
    /// By cluster: its ECS-native configuration, so importing every release a query
    /// generated lists the cluster once, not once per release. `advancedConfiguration`
    /// is set up with the service and not changed by a deploy, so it holds for a run.
    pub native_config: Memo<String, NativeConfig>,
    /// By cluster: the CodeDeploy routes of its CODE_DEPLOY services (a deployment
    /// group's listeners and target groups are its setup, not changed by a deployment).
    pub code_deploy_routes: Memo<String, Vec<crate::pointer_owner::CodeDeployRoute>>,
}

impl std::fmt::Debug for TargetGroupCache {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("TargetGroupCache").finish_non_exhaustive()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::errors::Error;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[tokio::test]
    async fn concurrent_lookups_of_one_key_share_one_call() {
        let memo: Arc<Memo<String, u32>> = Arc::default();
        let calls = Arc::new(AtomicUsize::new(0));
        let mut tasks = Vec::new();
        for _ in 0..10 {
            let (memo, calls) = (memo.clone(), calls.clone());
            tasks.push(tokio::spawn(async move {
                memo.get_or_lookup(&"pair".to_string(), || async {
                    calls.fetch_add(1, Ordering::SeqCst);
                    tokio::time::sleep(std::time::Duration::from_millis(20)).await;
                    Ok(7)
                })
                .await
            }));
        }
        for t in tasks {
            assert_eq!(t.await.unwrap().unwrap(), 7);
        }
        assert_eq!(calls.load(Ordering::SeqCst), 1);
        // Another key is looked up on its own.
        let other = memo.get_or_lookup(&"other".to_string(), || async { Ok(8) }).await.unwrap();
        assert_eq!(other, 8);
    }

    #[tokio::test]
    async fn a_failed_lookup_is_not_kept() {
        let memo: Memo<String, u32> = Memo::default();
        let key = "pair".to_string();
        let first =
            memo.get_or_lookup(&key, || async { Err(Error::NotFound { what: "Target group", arn: "a".into() }) }).await;
        assert!(first.is_err());
        assert_eq!(memo.get_or_lookup(&key, || async { Ok(3) }).await.unwrap(), 3);
        // Once known, the value is served without calling the lookup again.
        assert_eq!(memo.get_or_lookup(&key, || async { Ok(4) }).await.unwrap(), 3);
    }
}
