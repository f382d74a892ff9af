//! Harness for acceptance tests: the real `terraform` CLI runs the real provider binary
//! (through `dev_overrides`) against the moto emulator on 127.0.0.1. Nothing here
//! stands in for Terraform or AWS.
//!
//! Tests run only with `TF_ACC=1` (as `make test` sets); each test gets its own
//! emulator process so request counts and state never leak between tests.

pub mod emulator;
pub mod terraform;

use std::path::PathBuf;

/// The workspace root (this crate lives in `acceptance-tests/`).
pub fn repo_root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).parent().expect("workspace root").to_path_buf()
}

/// True when acceptance tests should run; otherwise each test says it was skipped.
pub fn enabled(test: &str) -> bool {
    let on = std::env::var("TF_ACC").is_ok_and(|v| !v.is_empty() && v != "0");
    if !on {
        eprintln!("{test}: skipped (acceptance tests run with TF_ACC=1, as `make test` sets)");
    }
    on
}

/// The provider address users write in `required_providers`.
pub const PROVIDER_SOURCE: &str = "bluegreen-ecs/bluegreen";
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/bluegreen-ecs/bluegreen";

pub mod scaffold;
