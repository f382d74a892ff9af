//! Coalesced pointer reads for refresh and plan. Terraform reads many releases at once
//! (`-parallelism`, 10 by default); reads arriving within a short window are answered
//! together: rules on the same listener by one paginated `DescribeRules(ListenerArn)`,
//! listener default actions by one `DescribeListeners` per 20 listeners. A lone read is
//! still one `DescribeRules(RuleArns=[arn])`, so a single release costs one call.
//!
//! A listener's full rule listing is kept for `LISTING_TTL`, so the rest of one plan's
//! reads on that listener cost nothing: a plan is a snapshot anyway. Applies never use
//! this loader: compare-before-write needs its own fresh read.

use crate::arn;
use crate::aws::{self, elbv2};
use crate::errors::{Error, Result};
use crate::traffic_pointer::{self, Pointer, PointerRef};
use aws_sdk_elasticloadbalancingv2::Client as ElbClient;
use aws_sdk_elasticloadbalancingv2::types::Action;
use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// How long the first read of a batch waits for company. Short against a ~50-100 ms
/// AWS round trip; Terraform issues its parallel reads within a millisecond or two.
pub const DEFAULT_WINDOW: Duration = Duration::from_millis(5);
/// How long a listener's rule listing answers further reads (within one plan).
pub const LISTING_TTL: Duration = Duration::from_secs(5);

type Reply = oneshot::Sender<Result<Vec<Action>>>;

#[derive(Default)]
struct Pending {
    /// Rule reads waiting, by listener ARN.
    rules: HashMap<String, Vec<(String, Reply)>>,
    /// Listeners whose full listing is being read: reads arriving meanwhile wait for
    /// it instead of starting a second listing.
    listing_in_flight: std::collections::HashSet<String>,
    /// Listener default-action reads waiting.
    listeners: Vec<(String, Reply)>,
}

type Listing = Arc<HashMap<String, Vec<Action>>>;

#[derive(Clone)]
pub struct PointerLoader {
    elb: ElbClient,
    window: Duration,
    pending: Arc<Mutex<Pending>>,
    /// Recent full listings by listener ARN, with when they were read.
    listings: Arc<Mutex<HashMap<String, (Instant, Listing)>>>,
}

impl std::fmt::Debug for PointerLoader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PointerLoader").field("window", &self.window).finish()
    }
}

impl PointerLoader {
    pub fn new(elb: ElbClient, window: Duration) -> PointerLoader {
        PointerLoader { elb, window, pending: Arc::default(), listings: Arc::default() }
    }

    /// Reads one pointer, sharing the AWS call with concurrent reads.
    pub async fn read(&self, target: &PointerRef) -> Result<Pointer> {
        let (tx, rx) = oneshot::channel();
        let start_batch = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            match target {
                PointerRef::Rule(arn) => {
                    let Some(listener) = arn::listener_of_rule(arn) else {
                        drop(pending);
                        return traffic_pointer::read(&self.elb, target).await;
                    };
                    if let Some(actions) = self.cached(&listener, arn) {
                        return Ok(Pointer { target: target.clone(), actions });
                    }
                    let in_flight = pending.listing_in_flight.contains(&listener);
                    let queue = pending.rules.entry(listener.clone()).or_default();
                    queue.push((arn.clone(), tx));
                    (queue.len() == 1 && !in_flight).then_some(Batch::Rules(listener))
                }
                PointerRef::Listener(arn) => {
                    pending.listeners.push((arn.clone(), tx));
                    (pending.listeners.len() == 1).then_some(Batch::Listeners)
                }
            }
        };
        if let Some(batch) = start_batch {
            let loader = self.clone();
            tokio::spawn(async move {
                if loader.window.is_zero() {
                    // Dataloader style: batch whatever is queued once this task runs.
                    tokio::task::yield_now().await;
                } else {
                    tokio::time::sleep(loader.window).await;
                }
                loader.run(batch).await;
            });
        }
        let actions = rx.await.unwrap_or_else(|_| {
            Err(Error::live("Read cancelled", format!("The read of {} was cancelled.", target.describe())))
        })?;
        Ok(Pointer { target: target.clone(), actions })
    }

    /// Reads several pointers at once (a release's routes), so that they share calls as
    /// concurrent reads do; the answers come in the order asked.
    pub async fn read_all(&self, targets: &[PointerRef]) -> Vec<Result<Pointer>> {
        let reads: Vec<_> = targets
            .iter()
            .map(|t| {
                let (loader, target) = (self.clone(), t.clone());
                tokio::spawn(async move { loader.read(&target).await })
            })
            .collect();
        let mut answers = Vec::with_capacity(reads.len());
        for (read, target) in reads.into_iter().zip(targets) {
            answers.push(read.await.unwrap_or_else(|_| {
                Err(Error::live("Read cancelled", format!("The read of {} was cancelled.", target.describe())))
            }));
        }
        answers
    }

    fn cached(&self, listener: &str, rule: &str) -> Option<Vec<Action>> {
        let listings = self.listings.lock().unwrap_or_else(|p| p.into_inner());
        let (at, listing) = listings.get(listener)?;
        if at.elapsed() > LISTING_TTL {
            return None;
        }
        listing.get(rule).cloned()
    }

    async fn run(&self, batch: Batch) {
        match batch {
            Batch::Rules(listener) => {
                let waiting = {
                    let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
                    let waiting = pending.rules.remove(&listener).unwrap_or_default();
                    if waiting.len() > 1 {
                        pending.listing_in_flight.insert(listener.clone());
                    }
                    waiting
                };
                self.answer_rules(&listener, waiting).await;
            }
            Batch::Listeners => {
                let waiting = std::mem::take(&mut self.pending.lock().unwrap_or_else(|p| p.into_inner()).listeners);
                for chunk in aws::batches(waiting, elbv2::LISTENERS_PER_CALL) {
                    self.answer_listeners(chunk).await;
                }
            }
        }
    }

    async fn answer_rules(&self, listener: &str, waiting: Vec<(String, Reply)>) {
        if waiting.len() == 1 {
            let (arn, reply) = waiting.into_iter().next().expect("one waiting read");
            let result = traffic_pointer::read(&self.elb, &PointerRef::Rule(arn)).await.map(|p| p.actions);
            let _ = reply.send(result);
            return;
        }
        let listing = self.rules_of_listener(listener).await.map(Arc::new);
        if let Ok(by_arn) = &listing {
            self.listings
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .insert(listener.to_string(), (Instant::now(), by_arn.clone()));
        }
        // Reads that arrived while the listing was in flight are answered from it too.
        let late = {
            let mut pending = self.pending.lock().unwrap_or_else(|p| p.into_inner());
            pending.listing_in_flight.remove(listener);
            pending.rules.remove(listener).unwrap_or_default()
        };
        for (arn, reply) in waiting.into_iter().chain(late) {
            let result = match &listing {
                Ok(by_arn) => by_arn
                    .get(&arn)
                    .cloned()
                    .ok_or_else(|| Error::NotFound { what: elbv2::LISTENER_RULE.what, arn: arn.clone() }),
                Err(e) => Err(e.clone()),
            };
            let _ = reply.send(result);
        }
    }

    /// Every rule of a listener by ARN: one call per 400 rules.
    async fn rules_of_listener(&self, listener: &str) -> Result<HashMap<String, Vec<Action>>> {
        let rules = elbv2::find_listener_rules(&self.elb, listener).await?;
        Ok(rules.into_iter().filter_map(|r| Some((r.rule_arn?, r.actions.unwrap_or_default()))).collect())
    }

    async fn answer_listeners(&self, waiting: Vec<(String, Reply)>) {
        if waiting.len() == 1 {
            let (arn, reply) = waiting.into_iter().next().expect("one waiting read");
            let result = traffic_pointer::read(&self.elb, &PointerRef::Listener(arn)).await.map(|p| p.actions);
            let _ = reply.send(result);
            return;
        }
        let arns: Vec<String> = waiting.iter().map(|(a, _)| a.clone()).collect();
        match elbv2::find_listeners_by_arns(&self.elb, &arns).await {
            Ok(listeners) => {
                let mut by_arn: HashMap<&str, Vec<Action>> =
                    listeners.iter().filter_map(|l| Some((l.listener_arn()?, l.default_actions().to_vec()))).collect();
                for (arn, reply) in waiting {
                    let result = by_arn
                        .remove(arn.as_str())
                        .ok_or_else(|| Error::NotFound { what: elbv2::LISTENER.what, arn: arn.clone() });
                    let _ = reply.send(result);
                }
            }
            // One missing listener fails the whole call: fall back to one read each, so
            // only the missing one reports NotFound.
            Err(_) => {
                for (arn, reply) in waiting {
                    let result = traffic_pointer::read(&self.elb, &PointerRef::Listener(arn)).await.map(|p| p.actions);
                    let _ = reply.send(result);
                }
            }
        }
    }
}

enum Batch {
    Rules(String),
    Listeners,
}
