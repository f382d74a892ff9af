//! Harness for acceptance tests: the real `terraform` CLI runs the real provider binary
//! (through `dev_overrides`) against the moto emulator on 127.0.0.1. Nothing here
//! stands in for Terraform or AWS.
//!
//! Tests run only with `TF_ACC=1` (as `make test` sets): `build.rs` then sets
//! `cfg(tf_acc)`, and without it every acceptance test carries
//! `#[cfg_attr(not(tf_acc), ignore = "...")]`, so `cargo test` lists it as ignored rather
//! than as passed. Each test gets its own emulator process so request counts and state
//! never leak between tests.

pub mod emulator;
pub mod terraform;

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
