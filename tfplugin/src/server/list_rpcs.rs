//! The list-resource RPCs (`terraform query`): ValidateListResourceConfig and the
//! streamed ListResource.

use super::convert::{decode_dynamic, list_event_to_pb};
use super::streams::{STREAM_BUFFER, pump, ready_stream};
use super::{ListResourceStream, ProviderService, Rpc, WithDiagnostics};
use crate::diag::Diagnostics;
use crate::proto::tfplugin6 as pb;
use crate::provider::{ListResourceEvent, ListResourceRequest, ListResourceSink};
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response};

pub(super) async fn validate_list_resource_config(
    svc: &ProviderService,
    req: Request<pb::validate_list_resource_config::Request>,
) -> Rpc<pb::validate_list_resource_config::Response> {
    type R = pb::validate_list_resource_config::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.list_resource_type(&req.type_name), R);
    let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "list configuration"), R);
    let p = svc.provider.clone();
    let diags =
        svc.guarded("ValidateListResourceConfig", async move {
            p.validate_list_resource_config(req.type_name, config).await
        })
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn list_resource(
    svc: &ProviderService,
    req: Request<pb::list_resource::Request>,
) -> Rpc<ListResourceStream> {
    let req = req.into_inner();
    let fail = |d: Diagnostics| {
        let ev = ListResourceEvent { diagnostics: d, ..Default::default() };
        Ok(Response::new(ready_stream(vec![list_event_to_pb(ev, None, None, false)])))
    };
    let ty = match svc.list_resource_type(&req.type_name) {
        Ok(ty) => ty,
        Err(d) => return fail(d),
    };
    let config = match decode_dynamic(req.config.as_ref(), ty, "list configuration") {
        Ok(v) => v,
        Err(d) => return fail(d),
    };
    let state_ty = svc.types.resources.get(&req.type_name).map(|(t, _)| t.clone());
    let id_ty = svc.identity_type(&req.type_name).cloned();
    let include_resource = req.include_resource_object;
    let request = ListResourceRequest { type_name: req.type_name, config, include_resource, limit: req.limit };
    let (sink, rx) = ListResourceSink::channel(req.limit, STREAM_BUFFER);
    let (out, out_rx) = mpsc::channel(STREAM_BUFFER);
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let run = svc.guarded("ListResource", async move { p.list_resource(ctx, request, sink).await });
    tokio::spawn(async move {
        let encode = |ev| list_event_to_pb(ev, state_ty.as_ref(), id_ty.as_ref(), include_resource);
        if let Err(d) = pump(run, rx, &out, encode).await {
            let ev = ListResourceEvent { diagnostics: d, ..Default::default() };
            let _ = out.send(Ok(list_event_to_pb(ev, None, None, false))).await;
        }
    });
    Ok(Response::new(ReceiverStream::new(out_rx)))
}
