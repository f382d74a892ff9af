//! Read: refreshes a release from its live pointer.

use super::not_configured;
use super::state::ReleaseState;
use crate::aws::AwsClients;
use crate::import_adoption::{self, ConfigWriter, RecentImports, Refresh};
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
            let warning = detached.map(|c| detached_warning(pointer, pair, c).into()).unwrap_or_default();
            let identity = release.identity();
            let mut refreshed = release.with_traffic(t);
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
