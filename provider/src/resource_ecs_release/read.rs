//! Read: refreshes a release from its live pointer.

use super::attrs;
use super::not_configured;
use super::state::{ReleaseState, RouteState};
use crate::aws::AwsClients;
use crate::import_adoption::{self, ConfigWriter, RecentImports, Refresh};
use crate::release_spec::route_path;
use crate::traffic_pointer::{Color, Pair, PointerRef};
use tfplugin::provider::{ReadResourceRequest, ReadResourceResponse};
use tfplugin::{Diagnostic, Diagnostics, Value};

pub async fn read(
    aws: Option<&AwsClients>,
    req: ReadResourceRequest,
    writer: ConfigWriter,
    recent: &RecentImports,
) -> ReadResourceResponse {
    let Some(aws) = aws else { return ReadResourceResponse { diagnostics: not_configured(), ..Default::default() } };
    let state = req.current_state;
    let Some(release) = ReleaseState::from_value(&state) else {
        return ReadResourceResponse { new_state: state, ..Default::default() };
    };
    let (pointer, pair) = (&release.pointer, &release.pair);
    let live = aws.pointers.read(pointer).await;
    let mut diagnostics = Diagnostics::new();
    match live.and_then(|p| Ok((p.traffic(pair, release.active_color)?, p.detached(pair)?))) {
        Ok((t, detached)) => {
            let (refresh, private) = import_adoption::refresh(&req.private, writer);
            let mut warning: Diagnostics =
                detached.map(|c| detached_warning(pointer, pair, c).into()).unwrap_or_default();
            let identity = release.identity();
            let (routes, route_warnings) = refresh_routes(aws, &release, t.active).await;
            warning.extend(route_warnings);
            let mut refreshed = ReleaseState { routes, ..release }.with_traffic(t);
            if refresh == Refresh::Withhold {
                // The client writes generated configuration from this state: leave the
                // adopted traffic out of it (import_adoption).
                refreshed = refreshed.withholding_adopted();
            }
            let new_state = refreshed.to_value();
            if import_adoption::is_imported(&req.private) {
                recent.remember(&new_state);
            }
            ReadResourceResponse { diagnostics: warning, new_state, identity: Some(identity), private }
        }
        Err(e) if e.is_not_found() => {
            diagnostics.warning(
                "Release pointer no longer exists",
                format!("{} was deleted outside Terraform, so the release was removed from state. Nothing else was changed.", pointer.describe()),
            );
            ReadResourceResponse { new_state: Value::Null, diagnostics, ..Default::default() }
        }
        Err(e) => ReadResourceResponse {
            new_state: state,
            diagnostics: e.to_diagnostic().into(),
            private: req.private,
            ..Default::default()
        },
    }
}

/// Each route as live: its traffic over its own pair (a 50/50 tie reads as `prefer`, the
/// release's active color), or none with a warning when its pointer cannot be read as a
/// split of that pair. All routes are read at once, so they share calls.
pub(super) async fn refresh_routes(
    aws: &AwsClients,
    release: &ReleaseState,
    prefer: Color,
) -> (Vec<RouteState>, Diagnostics) {
    let mut warnings = Diagnostics::new();
    if release.routes.is_empty() {
        return (Vec::new(), warnings);
    }
    let routes: Vec<_> = release.routes.iter().map(|r| r.route(&release.pair)).collect();
    let pointers: Vec<PointerRef> = routes.iter().map(|r| r.pointer.clone()).collect();
    let reads = aws.pointers.read_all(&pointers).await;
    let mut refreshed = Vec::with_capacity(routes.len());
    for (i, ((state, route), read)) in release.routes.iter().zip(&routes).zip(reads).enumerate() {
        let at = route_path(i, pointer_attr(&route.pointer));
        let traffic = match read.and_then(|p| Ok((p.traffic(&route.pair, Some(prefer))?, p.detached(&route.pair)?))) {
            Ok((t, detached)) => {
                if let Some(c) = detached {
                    warnings.push(detached_warning(&route.pointer, &route.pair, c).at(at));
                }
                Some(t)
            }
            Err(e) => {
                let d = e.to_diagnostic();
                warnings.push(
                    Diagnostic::warning(
                        format!("Route {} cannot be read as a split of its pair", i + 1),
                        format!(
                            "{} The state records no traffic for this route. An apply that moves traffic refuses until it forwards to its blue and green target groups again; fix the pointer, or remove the route block.",
                            d.detail
                        ),
                    )
                    .at(at),
                );
                None
            }
        };
        refreshed.push(RouteState { traffic, ..state.clone() });
    }
    (refreshed, warnings)
}

/// The attribute that names `pointer` (a rule or a listener) in its block.
pub(super) fn pointer_attr(pointer: &PointerRef) -> &'static str {
    match pointer {
        PointerRef::Rule(_) => attrs::LISTENER_RULE_ARN,
        PointerRef::Listener(_) => attrs::LISTENER_ARN,
    }
}

/// The warning for a pointer that leaves one color out of its forward action.
pub fn detached_warning(pointer: &PointerRef, pair: &Pair, detached: Color) -> Diagnostic {
    Diagnostic::warning(
        format!("The {detached} target group is detached from the load balancer"),
        format!(
            "{} does not forward to the {detached} target group {} at any weight, so ALB does not associate it with the load balancer: its targets are unused (Target.NotInUse) and not health-checked, and ECS cannot create or update a load-balanced service on it (\"does not have an associated load balancer\"). The next apply that moves traffic names both target groups, the standby at weight 0. To fix it now, forward to both target groups, the standby with weight 0.",
            pointer.describe(),
            pair.target_group(detached)
        ),
    )
}
