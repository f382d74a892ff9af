//! What the gate is asked to check and for whom: the release's `promotion` block
//! ([`Promotion`]), the color gaining traffic ([`GateTarget`]), the apply operation it
//! runs in ([`Operation`]), and which bake ([`BakeOf`]).

use super::dynatrace::DynatraceGate;
use super::strategy::Strategy;
use crate::traffic_switch::LifecycleHook;
use std::time::Duration;
use tokio::time::Instant;

/// The release's `promotion` block, as the gate and the switch use it.
#[derive(Clone, Debug, PartialEq)]
pub struct Promotion {
    pub min_healthy_targets: i64,
    pub wait_timeout: Duration,
    pub alarm_names: Vec<String>,
    pub bake_time: Duration,
    pub rollback_on_failure: bool,
    /// Whether the ECS services on the gaining color must be steady. Always for the
    /// resource and the promote action; a rollback checks only healthy targets.
    pub check_services: bool,
    /// `promotion.dynatrace`: SLOs that must pass.
    pub dynatrace: Option<DynatraceGate>,
    /// How a change of the active color moves traffic.
    pub strategy: Strategy,
    /// `promotion.hook`: Lambda lifecycle hooks, in configuration order.
    pub hooks: Vec<LifecycleHook>,
    /// `promotion.nlb_propagation_delay`: how long an NLB may still route by the old
    /// weights after a write. Waited out only when a pointer is an NLB listener
    /// (`release_spec::propagation_delay`).
    pub nlb_propagation_delay: Duration,
    /// This move is a rollback (the rollback action): lifecycle hooks are told each step
    /// but cannot stop it (as ECS), and a failed health check stops it where it is,
    /// never handing traffic back to the color it moves traffic away from.
    pub rolling_back: bool,
}

impl Default for Promotion {
    fn default() -> Self {
        Promotion {
            min_healthy_targets: 1,
            wait_timeout: Duration::from_secs(300),
            alarm_names: Vec::new(),
            bake_time: Duration::ZERO,
            rollback_on_failure: true,
            check_services: true,
            dynatrace: None,
            strategy: Strategy::AllAtOnce,
            hooks: Vec::new(),
            nlb_propagation_delay: crate::release_spec::DEFAULT_NLB_PROPAGATION_DELAY,
            rolling_back: false,
        }
    }
}

/// What the gate checks for one color.
pub struct GateTarget<'a> {
    pub color: &'a str,
    /// The color's target group on the primary pointer.
    pub target_group_arn: &'a str,
    /// The color's target groups on the release's further pointers (`route` blocks), in
    /// route order; one may repeat another or the primary's. Each is gated as the
    /// primary's is (healthy targets, steady services); see [`GateTarget::target_groups`].
    pub route_target_groups: Vec<&'a str>,
    pub cluster: &'a str,
    /// The release's production and test pointers (ARNs): an ECS-native service that
    /// shifts traffic on one of them and is deploying refuses the gate at once.
    pub pointers: Vec<&'a str>,
}

impl<'a> GateTarget<'a> {
    /// Every target group gaining traffic, each once: the primary's first, then the
    /// routes' in order.
    pub fn target_groups(&self) -> Vec<&'a str> {
        let mut out = vec![self.target_group_arn];
        for tg in &self.route_target_groups {
            if !out.contains(tg) {
                out.push(tg);
            }
        }
        out
    }
}

/// An apply operation's name, start and deadline (from its `timeouts` entry).
pub struct Operation<'a> {
    pub name: &'a str,
    pub started: Instant,
    pub deadline: Instant,
}

/// Which bake: a step's (a stepped promotion's hold before its next step) or the final
/// one (`promotion.bake_time`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BakeOf {
    Step,
    Final,
}
