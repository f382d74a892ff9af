//! Dynatrace as gate checks: SLOs that must pass ([`slo`]) and a Site Reliability
//! Guardian run before a write ([`guardian`]), both over one HTTP client ([`client`]).
//!
//! # Layout
//! - `client.rs`: the HTTP client, one bounded request, transient answers. Imports
//!   neither check.
//! - `slo.rs`: `promotion.dynatrace` ([`DynatraceGate`]) and the SLO check.
//! - `guardian.rs`: `guardian_workflow_id` ([`GuardianGate`]) and the guardian check.

mod client;
mod guardian;
mod slo;

pub use guardian::{GuardianCheck, GuardianGate};
pub use slo::{DynatraceGate, SloCheck};
