//! The action RPCs: ValidateActionConfig, PlanAction and the streamed InvokeAction.

use super::convert::{completed_event, decode_dynamic, progress_event};
use super::streams::{ActionEvents, STREAM_BUFFER, pump_some};
use super::{ProviderService, Rpc, WithDiagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{ActionProgressSink, InvokeActionRequest, PlanActionRequest};
use tokio::sync::mpsc;
use tonic::{Request, Response};

pub(super) async fn validate_action_config(
    svc: &ProviderService,
    req: Request<pb::validate_action_config::Request>,
) -> Rpc<pb::validate_action_config::Response> {
    type R = pb::validate_action_config::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.action_type(&req.type_name), R);
    let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "action configuration"), R);
    let p = svc.provider.clone();
    let diags = svc
        .guarded("ValidateActionConfig", async move { p.validate_action_config(req.type_name, config).await })
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn plan_action(
    svc: &ProviderService,
    req: Request<pb::plan_action::Request>,
) -> Rpc<pb::plan_action::Response> {
    type R = pb::plan_action::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.action_type(&req.action_type), R);
    let request = PlanActionRequest {
        config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "action configuration"), R),
        action_type: req.action_type,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let diags = match svc.guarded("PlanAction", async move { p.plan_action(ctx, request).await }).await {
        Ok(out) => out.diagnostics,
        Err(d) => d,
    };
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn invoke_action(
    svc: &ProviderService,
    req: Request<pb::invoke_action::Request>,
) -> Rpc<ActionEvents> {
    let req = req.into_inner();
    let decoded = svc
        .action_type(&req.action_type)
        .and_then(|ty| decode_dynamic(req.config.as_ref(), ty, "action configuration"));
    let config = match decoded {
        Ok(v) => v,
        Err(d) => {
            let (tx, rx) = mpsc::channel(1);
            let _ = tx.try_send(Ok(completed_event(&d)));
            return Ok(Response::new(ActionEvents { rx, stop: svc.ctx() }));
        }
    };
    let request = InvokeActionRequest { action_type: req.action_type, config };
    let (sink, rx) = ActionProgressSink::channel(STREAM_BUFFER);
    // One event in hand at a time: what waits here, not in a queue, can still be
    // dropped when Terraform stops (ActionEvents).
    let (out, out_rx) = mpsc::channel(1);
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let events = ActionEvents { rx: out_rx, stop: ctx.clone() };
    let pump_ctx = ctx.clone();
    let run = svc.guarded("InvokeAction", async move { p.invoke_action(ctx, request, sink).await });
    tokio::spawn(async move {
        // Progress is dropped from the moment Terraform asked the provider to stop.
        let to_event = move |m: String| (!pump_ctx.is_stopped()).then(|| progress_event(m));
        let diags = pump_some(run, rx, &out, to_event).await.unwrap_or_else(|d| d);
        let _ = out.send(Ok(completed_event(&diags))).await;
    });
    Ok(Response::new(events))
}
