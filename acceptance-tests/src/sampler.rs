//! A second reader of the production rule (or of several pointers at once): samples
//! green's share every 50 ms on its own thread, through the AWS SDK (not Terraform),
//! while an apply runs.

use crate::emulator::Emulator;
use crate::scaffold::Scaffold;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// Samples green's share of the rule every 50 ms on its own thread (the AWS SDK, not
/// Terraform) and keeps each new value, in order.
pub struct Sampler {
    seen: Arc<Mutex<Vec<i64>>>,
    /// Each new value with when it was first seen (epoch milliseconds).
    changes: Arc<Mutex<Vec<(u128, i64)>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl Sampler {
    pub fn start(emu: &Emulator, s: &Scaffold) -> Sampler {
        let seen = Arc::new(Mutex::new(Vec::new()));
        let changes = Arc::new(Mutex::new(Vec::new()));
        let (seen2, changes2) = (seen.clone(), changes.clone());
        let (stop, thread) = sample(emu, vec![(s.rule().to_string(), s.green_tg.clone())], move |shares| {
            let share = shares[0];
            let mut v = seen2.lock().unwrap();
            if v.last() != Some(&share) {
                v.push(share);
                changes2.lock().unwrap().push((epoch_ms(), share));
            }
        });
        Sampler { seen, changes, stop, thread: Some(thread) }
    }

    pub fn seen(&self) -> Vec<i64> {
        self.seen.lock().unwrap().clone()
    }

    /// Each new value with when it was first seen, in epoch milliseconds (the samples
    /// are 50 ms apart: a change is seen at most ~50 ms plus one read after it landed).
    pub fn changes(&self) -> Vec<(u128, i64)> {
        self.changes.lock().unwrap().clone()
    }

    pub fn wait_for(&self, share: i64, timeout: Duration) {
        let deadline = Instant::now() + timeout;
        while self.seen().last() != Some(&share) {
            assert!(Instant::now() < deadline, "green never reached {share} %: {:?}", self.seen());
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    pub fn stop(mut self) -> Vec<i64> {
        // A few more samples: the last write may have landed a moment ago.
        std::thread::sleep(Duration::from_millis(250));
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.seen()
    }
}

/// Several pointers (rule or listener ARN, with the green target group whose share is
/// read) sampled together every 50 ms: each new tuple of green shares, in order. A tuple
/// is read pointer after pointer, so one taken while an apply writes may show a pointer
/// one write ahead of the next.
pub struct PointersSampler {
    seen: Arc<Mutex<Vec<Vec<i64>>>>,
    stop: Arc<AtomicBool>,
    thread: Option<std::thread::JoinHandle<()>>,
}

impl PointersSampler {
    pub fn start(emu: &Emulator, pointers: Vec<(String, String)>) -> PointersSampler {
        let seen = Arc::new(Mutex::new(Vec::<Vec<i64>>::new()));
        let seen2 = seen.clone();
        let (stop, thread) = sample(emu, pointers, move |shares| {
            let mut v = seen2.lock().unwrap();
            if v.last() != Some(&shares) {
                v.push(shares);
            }
        });
        PointersSampler { seen, stop, thread: Some(thread) }
    }

    /// The latest tuple seen, if any.
    pub fn last(&self) -> Option<Vec<i64>> {
        self.seen.lock().unwrap().last().cloned()
    }

    pub fn stop(mut self) -> Vec<Vec<i64>> {
        std::thread::sleep(Duration::from_millis(250));
        self.stop.store(true, Ordering::Relaxed);
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
        self.seen.lock().unwrap().clone()
    }
}

/// Reads every pointer's green share every 50 ms on a thread of its own (the AWS SDK,
/// not Terraform) and hands each complete tuple to `record`, until the flag is set.
fn sample(
    emu: &Emulator,
    pointers: Vec<(String, String)>,
    mut record: impl FnMut(Vec<i64>) + Send + 'static,
) -> (Arc<AtomicBool>, std::thread::JoinHandle<()>) {
    let stop = Arc::new(AtomicBool::new(false));
    let stop2 = stop.clone();
    let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
    let config = rt.block_on(emu.sdk_config());
    let thread = std::thread::spawn(move || {
        rt.block_on(async {
            let elb = aws_sdk_elasticloadbalancingv2::Client::new(&config);
            while !stop2.load(Ordering::Relaxed) {
                let mut shares = Vec::with_capacity(pointers.len());
                for (pointer, green) in &pointers {
                    match read_share(&elb, pointer, green).await {
                        Some(share) => shares.push(share),
                        None => break,
                    }
                }
                if shares.len() == pointers.len() {
                    record(shares);
                }
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        });
    });
    (stop, thread)
}

/// Green's share (percent) of a rule's forward action, or of a listener's default one.
async fn read_share(elb: &aws_sdk_elasticloadbalancingv2::Client, pointer: &str, green: &str) -> Option<i64> {
    let actions = if pointer.contains(":listener-rule/") {
        elb.describe_rules().rule_arns(pointer).send().await.ok()?.rules().first()?.actions().to_vec()
    } else {
        elb.describe_listeners()
            .listener_arns(pointer)
            .send()
            .await
            .ok()?
            .listeners()
            .first()?
            .default_actions()
            .to_vec()
    };
    green_share(&actions, green)
}

fn green_share(actions: &[aws_sdk_elasticloadbalancingv2::types::Action], green: &str) -> Option<i64> {
    let forward = actions.iter().find(|a| a.r#type().map(|t| t.as_str()) == Some("forward"))?;
    let groups: Vec<(String, i64)> = match forward.forward_config().map(|f| f.target_groups()) {
        Some(tgs) if !tgs.is_empty() => tgs
            .iter()
            .map(|t| (t.target_group_arn().unwrap_or_default().to_string(), i64::from(t.weight().unwrap_or(1))))
            .collect(),
        _ => vec![(forward.target_group_arn()?.to_string(), 1)],
    };
    let total: i64 = groups.iter().map(|(_, w)| w).sum();
    let green: i64 = groups.iter().filter(|(tg, _)| tg == green).map(|(_, w)| w).sum();
    (total > 0).then(|| green * 100 / total)
}

fn epoch_ms() -> u128 {
    std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map(|d| d.as_millis()).unwrap_or_default()
}
