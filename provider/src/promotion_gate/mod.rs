//! The promotion gate: before a color gains traffic, each target group it gains traffic
//! on (the primary pointer's and every route's) must have enough healthy targets and
//! steady ECS services; once for the release, no listed CloudWatch alarm may be in ALARM
//! and (when configured) Dynatrace SLOs and a Site Reliability Guardian run must pass.
//! After the switch, the bake keeps checking for `bake_time`.
//!
//! # Layout
//! - `promotion.rs`: what the gate is asked ([`Promotion`], [`GateTarget`] with its
//!   gaining target groups, [`Operation`]).
//! - `check.rs`: the one shape of a check (`Check`), and what checks are built from.
//! - `verdict.rs`: the one answer of a check (`Verdict` and `Reading`), and how
//!   the answers of all checks become one.
//! - one file per check: `targets.rs` (one check per gaining target group), `ecs.rs`
//!   (one check for the services of every gaining group: one listing serves them all),
//!   `alarms.rs`, `dynatrace/` (SLOs, the guardian, and their shared HTTP client).
//! - `poll.rs`: which checks a poll reads (`configured_checks`: one line per check kind;
//!   a kind configures none, one, or one per target group).
//! - `gate.rs`: the loops, [`wait_for_gate`] before a write and [`bake`] after one.
//! - `strategy.rs`: which steps a move of traffic takes.
//!
//! Adding a check: one file implementing `Check`, its `mod` line here, and its
//! line in `configured_checks` (poll.rs). A check about one target group takes it from
//! [`GateTarget::target_groups`] (each gaining group once, the primary's first).

mod alarms;
mod check;
mod dynatrace;
mod ecs;
mod gate;
mod poll;
mod promotion;
mod strategy;
mod targets;
mod verdict;

pub use dynatrace::{DynatraceGate, GuardianGate};
pub use ecs::{ServiceStatus, services_on_target_groups};
pub use gate::{bake, wait_for_gate};
pub use promotion::{BakeOf, GateTarget, Operation, Promotion};
pub use strategy::{Step, Strategy, least_time, share, steps};

#[cfg(test)]
mod tests;
