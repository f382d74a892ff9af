//! terraform-provider-bluegreen: drift-free blue/green releases of ECS services behind
//! an ALB, as a Terraform resource.
#![forbid(unsafe_code)]

mod action_ecs_release;
mod arn;
mod aws;
mod data_source_ecs_release;
mod discovery;
mod duration;
mod errors;
mod import_adoption;
mod import_id;
mod list_ecs_release;
mod pointer_loader;
mod progress;
mod promotion_gate;
mod provider;
mod release_spec;
mod resource_ecs_release;
mod secrets;
mod target_group_cache;
mod traffic_pointer;
mod traffic_switch;

use std::process::ExitCode;
use std::sync::Arc;

/// The registry address users write in `required_providers` (`bluegreen-ecs/bluegreen`).
pub const PROVIDER_ADDRESS: &str = "registry.terraform.io/bluegreen-ecs/bluegreen";

fn main() -> ExitCode {
    tfplugin::serve::main(
        tfplugin::serve::PluginInfo {
            name: "terraform-provider-bluegreen",
            version: env!("CARGO_PKG_VERSION"),
            address: PROVIDER_ADDRESS,
        },
        || Arc::new(provider::BluegreenProvider::new()),
    )
}
