//! The promotion gate: before a color gains traffic, it must have enough healthy
//! targets, steady ECS services, no listed CloudWatch alarm in ALARM, and (when
//! configured) passing Dynatrace SLOs and a passing Site Reliability Guardian run.
//! After the switch, the bake keeps checking for `bake_time`.
//!
//! # Layout
//! - `promotion.rs`: what the gate is asked ([`Promotion`], [`GateTarget`], [`Operation`]).
//! - `check.rs`: the one shape of a check (`Check`), and what checks are built from.
//! - `verdict.rs`: the one answer of a check (`Verdict` and `Reading`), and how
//!   the answers of all checks become one.
//! - one file per check: `targets.rs`, `ecs.rs`, `alarms.rs`, `dynatrace/` (SLOs, the
//!   guardian, and their shared HTTP client).
//! - `poll.rs`: which checks a poll reads (`configured_checks`: one line per check).
//! - `gate.rs`: the loops, [`wait_for_gate`] before a write and [`bake`] after one.
//! - `strategy.rs`: which steps a move of traffic takes.
//!
//! Adding a check: one file implementing `Check`, its `mod` line here, and its
//! line in `configured_checks` (poll.rs).

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
