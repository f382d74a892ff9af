//! Acceptance tests need real Terraform, Python and the emulator, so they run only with
//! `TF_ACC=1` (as `make test` sets). Without it they are compiled as `#[ignore]`d, so
//! `cargo test` reports them as ignored instead of as passed:
//!
//! ```ignore
//! #[test]
//! #[cfg_attr(not(tf_acc), ignore = "acceptance test: set TF_ACC=1 (make test does)")]
//! fn my_scenario() { ... }
//! ```
fn main() {
    println!("cargo::rustc-check-cfg=cfg(tf_acc)");
    println!("cargo::rerun-if-env-changed=TF_ACC");
    println!("cargo::rerun-if-changed=build.rs");
    if std::env::var("TF_ACC").is_ok_and(|v| !v.is_empty() && v != "0") {
        println!("cargo::rustc-cfg=tf_acc");
    }
}
