//! Harness for acceptance tests: the real `terraform` CLI runs the real provider binary
//! (through `dev_overrides`) against the moto emulator on 127.0.0.1. Nothing here
//! stands in for Terraform or AWS.
//!
//! Tests run only with `TF_ACC=1` (as `make test` sets): `build.rs` then sets
//! `cfg(tf_acc)`, and without it every acceptance test carries
//! `#[cfg_attr(not(tf_acc), ignore = "...")]`, so `cargo test` lists it as ignored rather
//! than as passed. Each test gets its own emulator process so request counts and state
//! never leak between tests.
//!
//! # Layout
//!
//! * `emulator.rs`: one emulator process per test (`tools/emulator/emulator.py`) and its
//!   control API: faults, request counts, target health, Dynatrace, Lambda.
//! * `scaffold.rs`: what exists before Terraform runs (`tools/emulator/scaffold.py`):
//!   load balancer, rule, target groups, services; the release and action HCL.
//! * `terraform.rs`: a work directory and the real `terraform` run in it.
//! * `harness.rs`: the steps the test files share (write `main.tf`, read the live pointer
//!   and the state, strategy HCL, wait), re-exported here. A helper two test files need
//!   goes there, not into a copy.
//! * `sampler.rs`: a second reader sampling the rule while an apply runs.
//! * `reliability_report.rs`: the fault scenarios' `RELIABILITY` lines (make reliability).
//! * `tests/`: one file per feature (`release_*.rs`), each test with its own emulator.

pub mod emulator;
pub mod harness;
pub mod terraform;

pub use harness::{
    apply_adopting_release_with_action, describe_rule, forward_weights_or_empty, forward_weights_sorted,
    linear_strategy, no_provider_bug, release_state, serving, state_color, wait_until, write_release,
    write_release_and_actions, write_release_on, write_release_with_retries,
};

use std::path::PathBuf;

/// The workspace root (this crate lives in `acceptance-tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// The provider address users write in `required_providers`.
pub const PROVIDER_SOURCE: &str = "bluegreen-ecs/bluegreen";
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/bluegreen-ecs/bluegreen";

pub mod reliability_report;
pub mod sampler;
pub mod scaffold;
