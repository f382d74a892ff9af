//! `GenerateResourceConfig`: the configuration Terraform writes for a release it
//! imported or listed (`-generate-config-out`): the inputs that name it, adopting the
//! traffic rather than pinning it.

use super::TYPE_NAME;
use super::attrs;
use super::state::{color_block, set, target_group_of};
use crate::import_adoption::RecentImports;
use tfplugin::provider::{GenerateResourceConfigRequest, GenerateResourceConfigResponse};
use tfplugin::{Diagnostic, Diagnostics, Value};

/// `GenerateResourceConfig`: the configuration Terraform writes for a state it imported
/// or listed (`terraform plan|query -generate-config-out`).
pub fn generate_config(req: GenerateResourceConfigRequest, recent: &RecentImports) -> GenerateResourceConfigResponse {
    let state = match req.state {
        // Terraform 1.14.0 sends no state (fixed in 1.14.1): use the one release this
        // process imported, if there is exactly one.
        Value::Null => match recent.only_one() {
            Ok(state) => state,
            Err(imported) => {
                return GenerateResourceConfigResponse {
                    config: Value::Null,
                    diagnostics: Diagnostic::error(
                        "Cannot generate configuration",
                        format!(
                            "Terraform sent no state to generate the configuration of a {TYPE_NAME} from, and this run imported {imported} releases, so which one is meant is unknown. Terraform v1.14.0 does this (fixed in v1.14.1): upgrade Terraform, or import one release per `terraform plan -generate-config-out` run."
                        ),
                    )
                    .into(),
                };
            }
        },
        state => state,
    };
    if state.is_null() || !state.is_wholly_known() {
        // Nothing (or nothing known) to generate from: say so rather than have Terraform
        // write an empty block that does not plan.
        let what = if state.is_null() { "no state" } else { "a state with unknown values" };
        return GenerateResourceConfigResponse {
            config: Value::Null,
            diagnostics: Diagnostic::error(
                "Cannot generate configuration",
                format!(
                    "Terraform asked for the configuration of a {TYPE_NAME} with {what}; only a release imported or listed in full can be written out. Import it by ID or identity, then generate again."
                ),
            )
            .into(),
        };
    }
    let mut diagnostics = Diagnostics::new();
    let mut config: Vec<(&str, Value)> = Vec::new();
    for attr in attrs::GENERATED_INPUTS {
        config.push((attr, state.get(attr).clone()));
    }
    for color in attrs::COLORS {
        match target_group_of(&state, color) {
            Some(tg) => config.push((color, color_block(tg.as_str()))),
            None => {
                diagnostics.warning(
                    format!("No {color} target group to generate"),
                    format!("The state has no {color}.target_group_arn; the generated configuration leaves the {color} block empty. Fill in the {color} target group's ARN."),
                );
                config.push((color, color_block(Value::Null)));
            }
        }
    }
    config.push((attrs::ROUTE, generated_routes(&state)));
    for computed in attrs::COMPUTED {
        config.push((computed, Value::Null));
    }
    config.push((attrs::PROMOTION, Value::List(vec![])));
    config.push((attrs::TIMEOUTS, Value::Null));
    GenerateResourceConfigResponse { config: Value::object(config), diagnostics }
}

/// The `route` blocks of `state` with their inputs only: each route adopts with the
/// release, so its recorded traffic (computed) is left out, and a target group the state
/// leaves out (the route follows the release's pair) stays out.
fn generated_routes(state: &Value) -> Value {
    let routes = state.get(attrs::ROUTE).elements().iter().map(|route| {
        let mut route = route.clone();
        for adopted in attrs::ADOPTED {
            set(&mut route, adopted, Value::Null);
        }
        route
    });
    Value::List(routes.collect())
}
