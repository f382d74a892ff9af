//! The managed-resource RPCs: validate, upgrade state and identity, read, plan, apply,
//! import, and GenerateResourceConfig.

use super::convert::{
    decode_dynamic, decode_identity, diags_to_pb, encode_dynamic, encode_identity, path_to_pb, stored_value,
};
use super::{ProviderService, Rpc, WithDiagnostics, unknown_type};
use crate::diag::{Diagnostic, Diagnostics};
use crate::proto::tfplugin6 as pb;
use crate::provider::{
    ApplyResourceRequest, GenerateResourceConfigRequest, ImportResourceRequest, PlanResourceRequest,
    ReadResourceRequest,
};
use crate::upgrade;
use tonic::{Request, Response};

pub(super) async fn validate_resource_config(
    svc: &ProviderService,
    req: Request<pb::validate_resource_config::Request>,
) -> Rpc<pb::validate_resource_config::Response> {
    type R = pb::validate_resource_config::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "resource configuration"), R);
    let p = svc.provider.clone();
    let diags = svc
        .guarded("ValidateResourceConfig", async move { p.validate_resource_config(req.type_name, config).await })
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn upgrade_resource_state(
    svc: &ProviderService,
    req: Request<pb::upgrade_resource_state::Request>,
) -> Rpc<pb::upgrade_resource_state::Response> {
    type R = pb::upgrade_resource_state::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let json = req.raw_state.map(|r| r.json).unwrap_or_default();
    if json.is_empty() {
        let d: Diagnostics = Diagnostic::error(
            "Unsupported state format",
            "The stored state has no JSON form (flatmap state from Terraform < 0.12 is not supported). Re-import the resource.",
        )
        .into();
        return Ok(Response::new(R::with_diagnostics(&d)));
    }
    let current_version = svc.schemas.resources.get(&req.type_name).map_or(0, |r| r.schema.version);
    let steps = svc.provider.state_upgrades(&req.type_name);
    let subject = upgrade::Subject { what: "state", type_name: &req.type_name };
    let upgraded = try_decode!(
        upgrade::upgrade_json(subject, &json, req.version, current_version, &steps).map_err(Diagnostics::from),
        R
    );
    let current = try_decode!(stored_value(&upgraded, ty, "state", &req.type_name), R);
    let mut diags = Diagnostics::new();
    let upgraded_state = encode_dynamic(&current, ty, "upgraded state", &mut diags);
    Ok(Response::new(R { upgraded_state, diagnostics: diags_to_pb(&diags) }))
}

pub(super) async fn upgrade_resource_identity(
    svc: &ProviderService,
    req: Request<pb::upgrade_resource_identity::Request>,
) -> Rpc<pb::upgrade_resource_identity::Response> {
    type R = pb::upgrade_resource_identity::Response;
    let req = req.into_inner();
    let Some(ty) = svc.identity_type(&req.type_name).cloned() else {
        return Ok(Response::new(R::with_diagnostics(&unknown_type("resource identity", &req.type_name))));
    };
    let json = req.raw_identity.map(|r| r.json).unwrap_or_default();
    let current_version =
        svc.schemas.resources.get(&req.type_name).and_then(|r| r.identity.as_ref()).map_or(0, |i| i.version);
    let steps = svc.provider.identity_upgrades(&req.type_name);
    let subject = upgrade::Subject { what: "identity", type_name: &req.type_name };
    let upgraded = try_decode!(
        upgrade::upgrade_json(subject, &json, req.version, current_version, &steps).map_err(Diagnostics::from),
        R
    );
    let identity = try_decode!(stored_value(&upgraded, &ty, "identity", &req.type_name), R);
    let mut diags = Diagnostics::new();
    let upgraded = encode_identity(&Some(identity), Some(&ty), &mut diags);
    Ok(Response::new(R { upgraded_identity: upgraded, diagnostics: diags_to_pb(&diags) }))
}

pub(super) async fn read_resource(
    svc: &ProviderService,
    req: Request<pb::read_resource::Request>,
) -> Rpc<pb::read_resource::Response> {
    type R = pb::read_resource::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let id_ty = svc.identity_type(&req.type_name);
    let request = ReadResourceRequest {
        current_state: try_decode!(decode_dynamic(req.current_state.as_ref(), ty, "current state"), R),
        current_identity: try_decode!(decode_identity(req.current_identity.as_ref(), id_ty), R),
        private: req.private,
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc.guarded("ReadResource", async move { p.read_resource(ctx, request).await }).await {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let new_state = encode_dynamic(&out.new_state, ty, "new state", &mut diags);
    let new_identity = encode_identity(&out.identity, id_ty, &mut diags);
    Ok(Response::new(R {
        new_state,
        diagnostics: diags_to_pb(&diags),
        private: out.private,
        deferred: None,
        new_identity,
    }))
}

pub(super) async fn plan_resource_change(
    svc: &ProviderService,
    req: Request<pb::plan_resource_change::Request>,
) -> Rpc<pb::plan_resource_change::Response> {
    type R = pb::plan_resource_change::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let id_ty = svc.identity_type(&req.type_name);
    let request = PlanResourceRequest {
        prior_state: try_decode!(decode_dynamic(req.prior_state.as_ref(), ty, "prior state"), R),
        proposed_new_state: try_decode!(decode_dynamic(req.proposed_new_state.as_ref(), ty, "proposed state"), R),
        config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "configuration"), R),
        prior_identity: try_decode!(decode_identity(req.prior_identity.as_ref(), id_ty), R),
        prior_private: req.prior_private,
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc.guarded("PlanResourceChange", async move { p.plan_resource_change(ctx, request).await }).await {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let planned_state = encode_dynamic(&out.planned_state, ty, "planned state", &mut diags);
    let planned_identity = encode_identity(&out.planned_identity, id_ty, &mut diags);
    Ok(Response::new(R {
        planned_state,
        requires_replace: out.requires_replace.iter().map(path_to_pb).collect(),
        planned_private: out.planned_private,
        diagnostics: diags_to_pb(&diags),
        legacy_type_system: false,
        deferred: None,
        planned_identity,
    }))
}

pub(super) async fn apply_resource_change(
    svc: &ProviderService,
    req: Request<pb::apply_resource_change::Request>,
) -> Rpc<pb::apply_resource_change::Response> {
    type R = pb::apply_resource_change::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let id_ty = svc.identity_type(&req.type_name);
    let request = ApplyResourceRequest {
        prior_state: try_decode!(decode_dynamic(req.prior_state.as_ref(), ty, "prior state"), R),
        planned_state: try_decode!(decode_dynamic(req.planned_state.as_ref(), ty, "planned state"), R),
        config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "configuration"), R),
        planned_identity: try_decode!(decode_identity(req.planned_identity.as_ref(), id_ty), R),
        planned_private: req.planned_private,
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc.guarded("ApplyResourceChange", async move { p.apply_resource_change(ctx, request).await }).await
    {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let new_state = encode_dynamic(&out.new_state, ty, "new state", &mut diags);
    let new_identity = encode_identity(&out.identity, id_ty, &mut diags);
    Ok(Response::new(R {
        new_state,
        private: out.private,
        diagnostics: diags_to_pb(&diags),
        legacy_type_system: false,
        new_identity,
    }))
}

pub(super) async fn import_resource_state(
    svc: &ProviderService,
    req: Request<pb::import_resource_state::Request>,
) -> Rpc<pb::import_resource_state::Response> {
    type R = pb::import_resource_state::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let id_ty = svc.identity_type(&req.type_name);
    let type_name = req.type_name.clone();
    let request = ImportResourceRequest {
        identity: try_decode!(decode_identity(req.identity.as_ref(), id_ty), R),
        id: req.id,
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc.guarded("ImportResourceState", async move { p.import_resource_state(ctx, request).await }).await
    {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let imported_resources = out
        .imported
        .iter()
        .map(|r| pb::import_resource_state::ImportedResource {
            type_name: type_name.clone(),
            state: encode_dynamic(&r.state, ty, "imported state", &mut diags),
            private: r.private.clone(),
            identity: encode_identity(&r.identity, id_ty, &mut diags),
        })
        .collect();
    Ok(Response::new(R { imported_resources, diagnostics: diags_to_pb(&diags), deferred: None }))
}

pub(super) async fn generate_resource_config(
    svc: &ProviderService,
    req: Request<pb::generate_resource_config::Request>,
) -> Rpc<pb::generate_resource_config::Response> {
    type R = pb::generate_resource_config::Response;
    let req = req.into_inner();
    let ty = try_decode!(svc.resource_type(&req.type_name), R);
    let request = GenerateResourceConfigRequest {
        state: try_decode!(decode_dynamic(req.state.as_ref(), ty, "resource state"), R),
        type_name: req.type_name,
    };
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let out = match svc
        .guarded("GenerateResourceConfig", async move { p.generate_resource_config(ctx, request).await })
        .await
    {
        Ok(out) => out,
        Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
    };
    let mut diags = out.diagnostics;
    let config = if diags.has_errors() && out.config.is_null() {
        None
    } else {
        encode_dynamic(&out.config, ty, "generated configuration", &mut diags)
    };
    Ok(Response::new(R { config, diagnostics: diags_to_pb(&diags) }))
}
