//! Resource `bluegreen_ecs_release`: the traffic pointer of one blue/green pair.
//!
//! # Layout
//!
//! - [`attrs`]: every attribute name, and the groups of them the operations share.
//! - `schema`: the schema Terraform sees.
//! - `state`: the typed state ([`state::ReleaseState`], `from_value` / `to_value`) and identity.
//! - `read`: refresh from the live pointer.
//! - `plan`: plan-time checks and the planned state (`plan_routes`: the `route` blocks'); `timing` says whether the
//!   promotion fits its timeout and how stickiness holds clients.
//! - `apply`: create/update through [`crate::traffic_switch::Switch`]; delete forgets.
//! - `import` and `generate`: import by ID or identity, and `-generate-config-out`.
//!
//! Adding an attribute: its name in [`attrs`], its description in `schema`, its field in
//! [`state::ReleaseState`] (and, for an input, its parsing in [`crate::release_spec`]).

mod apply;
pub mod attrs;
mod generate;
mod import;
mod plan;
mod plan_routes;
mod read;
mod schema;
mod state;
mod timing;

#[cfg(test)]
mod tests;

pub use apply::apply;
pub use generate::generate_config;
pub use import::{import, release_state};
pub use plan::plan;
pub use read::{detached_warning, read};
pub use schema::route_block;
pub use schema::schema;
pub use state::{identity, pair_of, pointer_of, state_upgrades, test_pointer_of};
pub use timing::{least_time_of_release_move, stickiness_warning};

use tfplugin::{Diagnostics, Value};

pub const TYPE_NAME: &str = "bluegreen_ecs_release";

/// The diagnostics of every operation run before the provider was configured.
fn not_configured() -> Diagnostics {
    crate::errors::not_configured("operation")
}

pub fn validate(config: &Value) -> Diagnostics {
    crate::release_spec::validate(config)
}
