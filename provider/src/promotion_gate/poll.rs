//! One poll of the gate: [`LivePoll`] builds the checks the release configures and
//! reads them all at once, merging their readings into one.
//!
//! Adding a check: a file implementing [`super::check::Check`] with a `configured`
//! constructor (answering no check, one, or one per gaining target group), and its
//! line in [`configured_checks`].

use super::alarms::AlarmCheck;
use super::check::{BoxedCheck, Phase, Setting, boxed};
use super::dynatrace::{GuardianCheck, SloCheck};
use super::ecs::ServiceCheck;
use super::promotion::{GateTarget, Promotion};
use super::targets::TargetHealthCheck;
use super::verdict::{Reading, merge};
use crate::aws::AwsClients;
use crate::errors::Result;
use std::future::Future;
use std::pin::Pin;
use std::task::Poll;
use tfplugin::hclog;

/// One poll of the gate, over and over: the live one reads AWS; tests script it.
pub trait GatePoll {
    async fn poll(&mut self) -> Result<Reading>;
}

/// Every check `s` configures, in the order of the progress line (a kind's checks of
/// several target groups in the order of [`GateTarget::target_groups`]).
fn configured_checks<'a>(s: &Setting<'a>) -> Vec<BoxedCheck<'a>> {
    [
        boxed(TargetHealthCheck::configured(s)),
        boxed(ServiceCheck::configured(s)),
        boxed(AlarmCheck::configured(s)),
        boxed(SloCheck::configured(s)),
        boxed(GuardianCheck::configured(s)),
    ]
    .into_iter()
    .flatten()
    .collect()
}

/// The gate's checks of one color for one gate wait or one bake.
pub struct LivePoll<'a> {
    checks: Vec<BoxedCheck<'a>>,
}

impl<'a> LivePoll<'a> {
    pub fn new(aws: &'a AwsClients, promotion: &'a Promotion, target: &'a GateTarget<'a>, phase: Phase) -> Self {
        let checks = configured_checks(&Setting { aws, promotion, target, phase });
        let names: Vec<&str> = checks.iter().map(|c| c.name()).collect();
        hclog::debug("promotion gate checks", &[("color", &target.color), ("checks", &names.join(", "))]);
        LivePoll { checks }
    }
}

impl GatePoll for LivePoll<'_> {
    async fn poll(&mut self) -> Result<Reading> {
        let leads: Vec<bool> = self.checks.iter().map(|c| c.leads()).collect();
        let readings = read_all(self.checks.iter_mut().map(|c| c.read()).collect()).await?;
        Ok(merge(readings.into_iter().zip(leads)))
    }
}

type Read<'a> = Pin<Box<dyn Future<Output = Result<Reading>> + Send + 'a>>;

/// Runs every read at once and answers their readings in order, or the first error
/// (the other reads are dropped then: abandoning a read is safe).
async fn read_all(mut reads: Vec<Read<'_>>) -> Result<Vec<Reading>> {
    let mut done: Vec<Option<Reading>> = vec![None; reads.len()];
    std::future::poll_fn(|cx| {
        for (read, slot) in reads.iter_mut().zip(done.iter_mut()).filter(|(_, slot)| slot.is_none()) {
            if let Poll::Ready(r) = read.as_mut().poll(cx) {
                *slot = Some(r?);
            }
        }
        if done.iter().all(Option::is_some) { Poll::Ready(Ok(())) } else { Poll::Pending }
    })
    .await?;
    Ok(done.into_iter().flatten().collect())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::aws::clients::ProviderConfig;
    use crate::promotion_gate::{BakeOf, DynatraceGate, GuardianGate};
    use crate::secrets::SecretRef;
    use std::time::Duration;
    use tokio::time::Instant;

    fn secret(attribute: &'static str) -> SecretRef {
        SecretRef { arn: "arn:aws:secretsmanager:us-east-1:1:secret:dt".into(), key: None, attribute }
    }

    #[tokio::test]
    async fn a_poll_reads_the_checks_the_release_configures_for_its_phase() {
        let aws = AwsClients::build(&ProviderConfig { region: Some("us-east-1".into()), ..Default::default() }).await;
        let target = GateTarget {
            color: "green",
            target_group_arn: "tg",
            route_target_groups: vec![],
            cluster: "c",
            pointers: vec![],
        };
        let names = |p: &Promotion, phase: Phase| -> Vec<&'static str> {
            LivePoll::new(&aws, p, &target, phase).checks.iter().map(|c| c.name()).collect()
        };
        let now = Instant::now();
        let bake = |of| Phase::Bake { of, moved_at: now, ends: now + Duration::from_secs(60) };

        let plain = Promotion::default();
        assert_eq!(names(&plain, Phase::BeforeWrite), ["target health", "ECS services"]);
        assert_eq!(names(&plain, bake(BakeOf::Step)), ["target health", "ECS services"]);
        assert_eq!(names(&plain, bake(BakeOf::Final)), ["target health"], "the final bake leaves the services alone");

        let guardian = GuardianGate {
            workflow_id: "wf".into(),
            platform_url: "https://dt.apps".into(),
            platform_token: secret("promotion.dynatrace.platform_token_secret_arn"),
            allow_warning: false,
        };
        let everything = Promotion {
            alarm_names: vec!["app-5xx".into()],
            dynatrace: Some(DynatraceGate {
                environment_url: "https://dt".into(),
                api_token: secret("promotion.dynatrace.api_token_secret_arn"),
                slo_ids: vec!["s".into()],
                allow_warning: false,
                evaluation_window: Duration::from_secs(600),
                guardian: Some(guardian),
            }),
            ..Promotion::default()
        };
        assert_eq!(
            names(&everything, Phase::BeforeWrite),
            ["target health", "ECS services", "CloudWatch alarms", "Dynatrace SLOs", "Site Reliability Guardian"]
        );
        assert_eq!(
            names(&everything, bake(BakeOf::Step)),
            ["target health", "ECS services", "CloudWatch alarms", "Dynatrace SLOs"],
            "a bake starts no guardian run"
        );
        // A rollback checks healthy targets only.
        let rollback = Promotion { check_services: false, ..Promotion::default() };
        assert_eq!(names(&rollback, Phase::BeforeWrite), ["target health"]);

        // Two routes gaining on their own target groups: target health once per group
        // (each reads its own), the services of every group in one check, the rest once.
        let routed = GateTarget { route_target_groups: vec!["tg-internal", "tg-admin"], ..target };
        let routed_names = |p: &Promotion, phase: Phase| -> Vec<&'static str> {
            LivePoll::new(&aws, p, &routed, phase).checks.iter().map(|c| c.name()).collect()
        };
        assert_eq!(
            routed_names(&everything, Phase::BeforeWrite),
            [
                "target health",
                "target health",
                "target health",
                "ECS services",
                "CloudWatch alarms",
                "Dynatrace SLOs",
                "Site Reliability Guardian"
            ]
        );
        assert_eq!(routed_names(&plain, bake(BakeOf::Final)), ["target health", "target health", "target health"]);
        // With the health check off, one check says so once.
        let off = Promotion { min_healthy_targets: 0, ..Promotion::default() };
        assert_eq!(routed_names(&off, Phase::BeforeWrite), ["target health", "ECS services"]);
    }

    #[tokio::test]
    async fn a_route_group_that_repeats_another_is_read_once() {
        let aws = AwsClients::build(&ProviderConfig { region: Some("us-east-1".into()), ..Default::default() }).await;
        let target = GateTarget {
            color: "green",
            target_group_arn: "tg",
            route_target_groups: vec!["tg-internal", "tg", "tg-internal"],
            cluster: "c",
            pointers: vec![],
        };
        assert_eq!(target.target_groups(), ["tg", "tg-internal"], "the primary's first, each once");
        let p = Promotion::default();
        let names: Vec<&str> =
            LivePoll::new(&aws, &p, &target, Phase::BeforeWrite).checks.iter().map(|c| c.name()).collect();
        assert_eq!(names, ["target health", "target health", "ECS services"]);
        let alone = GateTarget { route_target_groups: vec!["tg"], ..target };
        assert_eq!(alone.target_groups(), ["tg"], "a route on the primary's groups adds nothing to check");
    }
}
