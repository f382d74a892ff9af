//! terraform-provider-bluegreen: drift-free blue/green releases of ECS services behind
//! an ALB, as a Terraform resource.
//!
//! # Layout
//!
//! Where a change goes, by what it is about (DESIGN.md says why each is so):
//!
//! * `provider.rs`: the provider block and the table of resources, data sources, actions
//!   and list resources (a new one is one line there and a file of its own).
//! * `resource_ecs_release/`: the release resource; `attrs` holds every attribute name,
//!   `schema` and `state` (the typed `ReleaseState`) stand beside it, then one file per
//!   operation (`read`, `plan`, `apply`, `import`, `generate`). A new attribute: `attrs`,
//!   `schema`, `state`, and `release_spec` if it is an input.
//! * `release_spec/`: the configuration parsed and validated (errors at their attribute).
//! * `action_ecs_release.rs`, `data_source_ecs_release.rs`, `list_ecs_release/`: the
//!   actions, the data source and the list resource (`terraform query`).
//! * `traffic_switch/`: the one write path: read, gate, guarded write, step, bake, roll
//!   back; `hooks` are its staged lifecycle hooks.
//! * `promotion_gate/`: the polled checks behind one `Check` trait; a new check is a file
//!   there and one line in `poll::configured_checks`.
//! * `aws/`: every AWS read as a `find_*` per service (typed `NotFound`, batching and
//!   pagination in one place) and the clients. A new AWS call starts there.
//! * `traffic_pointer.rs`: a pointer's forward action read, normalised and written
//!   (`write_once`, the guarded write). `discovery.rs`, `import_id.rs`,
//!   `import_adoption.rs`: finding a release from a service for import and query;
//!   `pair_pointers.rs`: a pair's pointers sorted into primary and `route` blocks.
//!   `pointer_owner.rs`: an ECS-native blue/green service or (`pointer_owner/code_deploy.rs`)
//!   a CodeDeploy deployment group that also writes a pointer (warned about by plan,
//!   import and query; the gate and the switch refuse while it deploys).
//! * Small parts: `arn`, `duration`, `errors` (one constructor per message), `progress`,
//!   `secrets`, `pointer_loader`, `target_group_cache`.
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
mod pair_pointers;
mod pointer_loader;
mod pointer_owner;
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
