//! The provider-level RPCs: GetMetadata, GetProviderSchema, GetResourceIdentitySchemas,
//! ValidateProviderConfig, ConfigureProvider, GetFunctions and StopProvider.

use super::convert::{capabilities, decode_dynamic};
use super::{ProviderService, Rpc, WithDiagnostics};
use crate::hclog;
use crate::proto::tfplugin6 as pb;
use tonic::{Request, Response};

pub(super) async fn get_metadata(
    svc: &ProviderService,
    _: Request<pb::get_metadata::Request>,
) -> Rpc<pb::get_metadata::Response> {
    Ok(Response::new(pb::get_metadata::Response {
        server_capabilities: Some(capabilities(&svc.schemas)),
        diagnostics: Vec::new(),
        data_sources: svc
            .schemas
            .data_sources
            .keys()
            .map(|k| pb::get_metadata::DataSourceMetadata { type_name: k.clone() })
            .collect(),
        resources: svc
            .schemas
            .resources
            .keys()
            .map(|k| pb::get_metadata::ResourceMetadata { type_name: k.clone() })
            .collect(),
        list_resources: svc
            .schemas
            .list_resources
            .keys()
            .map(|k| pb::get_metadata::ListResourceMetadata { type_name: k.clone() })
            .collect(),
        actions: svc
            .schemas
            .actions
            .keys()
            .map(|k| pb::get_metadata::ActionMetadata { type_name: k.clone() })
            .collect(),
    }))
}

pub(super) async fn get_provider_schema(
    svc: &ProviderService,
    _: Request<pb::get_provider_schema::Request>,
) -> Rpc<pb::get_provider_schema::Response> {
    Ok(Response::new(svc.schema_response.clone()))
}

pub(super) async fn get_resource_identity_schemas(
    svc: &ProviderService,
    _: Request<pb::get_resource_identity_schemas::Request>,
) -> Rpc<pb::get_resource_identity_schemas::Response> {
    let identity_schemas = svc
        .schemas
        .resources
        .iter()
        .filter_map(|(name, r)| {
            let id = r.identity.as_ref()?;
            Some((
                name.clone(),
                pb::ResourceIdentitySchema {
                    version: id.version,
                    identity_attributes: id
                        .attributes
                        .iter()
                        .map(|a| pb::resource_identity_schema::IdentityAttribute {
                            name: a.name.clone(),
                            r#type: a.ty.to_json_bytes(),
                            required_for_import: a.required_for_import,
                            optional_for_import: a.optional_for_import,
                            description: a.description.clone(),
                        })
                        .collect(),
                },
            ))
        })
        .collect();
    Ok(Response::new(pb::get_resource_identity_schemas::Response { identity_schemas, diagnostics: Vec::new() }))
}

pub(super) async fn validate_provider_config(
    svc: &ProviderService,
    req: Request<pb::validate_provider_config::Request>,
) -> Rpc<pb::validate_provider_config::Response> {
    type R = pb::validate_provider_config::Response;
    let ty = &svc.types.provider;
    let config = try_decode!(decode_dynamic(req.get_ref().config.as_ref(), ty, "provider configuration"), R);
    let p = svc.provider.clone();
    let diags = svc
        .guarded("ValidateProviderConfig", async move { p.validate_provider_config(config).await })
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

pub(super) async fn configure_provider(
    svc: &ProviderService,
    req: Request<pb::configure_provider::Request>,
) -> Rpc<pb::configure_provider::Response> {
    type R = pb::configure_provider::Response;
    let req = req.into_inner();
    let ty = &svc.types.provider;
    let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "provider configuration"), R);
    let (p, ctx) = (svc.provider.clone(), svc.ctx());
    let version = req.terraform_version;
    let diags = svc
        .guarded("ConfigureProvider", async move { p.configure(ctx, config, version).await })
        .await
        .unwrap_or_else(|d| d);
    Ok(Response::new(R::with_diagnostics(&diags)))
}

/// No provider functions: Terraform asks anyway.
pub(super) async fn get_functions(_: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
    Ok(Response::new(pb::get_functions::Response::default()))
}

pub(super) async fn stop_provider(
    svc: &ProviderService,
    _: Request<pb::stop_provider::Request>,
) -> Rpc<pb::stop_provider::Response> {
    hclog::info("StopProvider: interrupting in-flight operations", &[]);
    svc.stop.send_modify(|g| *g += 1);
    Ok(Response::new(pb::stop_provider::Response::default()))
}
