//! The data-source RPCs: ValidateDataResourceConfig and ReadDataSource.

use super::convert::{decode_dynamic, diags_to_pb, encode_dynamic};
use super::{ProviderService, Rpc, WithDiagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::ReadDataSourceRequest;
use tonic::{Request, Response};

pub(super) async fn validate_data_resource_config(
    svc: &ProviderService,
    req: Request<pb::validate_data_resource_config::Request>,
) -> Rpc<pb::validate_data_resource_config::Response> {
    type R = pb::validate_data_resource_config::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.data_source_type(&req.type_name), R);
    let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "data source configuration"), R);
    let p = svc.provider.clone();
    let diags = svc
        .guarded(
            "ValidateDataResourceConfig",
            async move { p.validate_data_source_config(req.type_name, config).await },
        )
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn read_data_source(
    svc: &ProviderService,
    req: Request<pb::read_data_source::Request>,
) -> Rpc<pb::read_data_source::Response> {
    type R = pb::read_data_source::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.data_source_type(&req.type_name), R);
    let request = ReadDataSourceRequest {
        config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "data source configuration"), R),
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc.guarded("ReadDataSource", async move { p.read_data_source(ctx, request).await }).await {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let state = encode_dynamic(&out.state, ty, "data source result", &mut diags);
    Ok(Response::new(R { state, diagnostics: diags_to_pb(&diags), deferred: None }))
}
