//! The tfplugin6 gRPC service, one file per RPC family as terraform-plugin-framework's
//! proto6server lays it out: each RPC decodes its request against the provider's
//! schemas, calls the [`Provider`], and encodes the answer. A panic inside the provider
//! becomes an error diagnostic instead of a crashed plugin.
//!
//! * `mod.rs`: [`ProviderService`] (schemas and value types computed once, the panic
//!   guard, the stop signal) and the `Provider` trait impl, which only dispatches.
//! * `provider_rpcs.rs`: metadata, schemas, provider config, StopProvider.
//! * `resource_rpcs.rs`: validate, upgrade, read, plan, apply, import, generate config.
//! * `data_source_rpcs.rs`, `list_rpcs.rs`, `action_rpcs.rs`: the other object kinds.
//! * `convert.rs`: values, schemas, diagnostics and events to and from protobuf.
//! * `streams.rs`: the streamed answers of ListResource and InvokeAction.

use crate::diag::{Diagnostic, Diagnostics, unknown_type};
use crate::hclog;
use crate::proto::tfplugin6 as pb;
use crate::provider::{Ctx, Provider};
use crate::schema::ProviderSchemas;
use crate::value::Type;
use convert::{diags_to_pb, schema_response};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use streams::ActionEvents;
use tokio::sync::watch;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status};

pub(crate) struct ProviderService {
    provider: Arc<dyn Provider>,
    /// The executable's name, which an internal error asks to report a bug in.
    plugin_name: &'static str,
    schemas: Arc<ProviderSchemas>,
    /// Precomputed once: Terraform asks for the schema many times per run.
    schema_response: pb::get_provider_schema::Response,
    /// Value types derived from the schemas once, not on every request.
    types: SchemaTypes,
    stop: watch::Sender<u64>,
}

struct SchemaTypes {
    provider: Type,
    /// Resource type name → (state type, identity type).
    resources: HashMap<String, (Type, Option<Type>)>,
    data_sources: HashMap<String, Type>,
    /// List resource type name → type of its list block's `config`.
    list_resources: HashMap<String, Type>,
    actions: HashMap<String, Type>,
}

impl SchemaTypes {
    fn new(s: &ProviderSchemas) -> SchemaTypes {
        SchemaTypes {
            provider: s.provider.block.value_type(),
            resources: s
                .resources
                .iter()
                .map(|(k, r)| (k.clone(), (r.schema.block.value_type(), r.identity.as_ref().map(|i| i.value_type()))))
                .collect(),
            data_sources: s.data_sources.iter().map(|(k, d)| (k.clone(), d.block.value_type())).collect(),
            list_resources: s.list_resources.iter().map(|(k, l)| (k.clone(), l.block.value_type())).collect(),
            actions: s.actions.iter().map(|(k, a)| (k.clone(), a.schema.block.value_type())).collect(),
        }
    }
}

impl ProviderService {
    pub(crate) fn new(provider: Arc<dyn Provider>, plugin_name: &'static str) -> ProviderService {
        let schemas = provider.schemas();
        let schema_response = schema_response(&schemas);
        let types = SchemaTypes::new(&schemas);
        let (stop, _) = watch::channel(0);
        ProviderService { provider, plugin_name, schemas: Arc::new(schemas), schema_response, types, stop }
    }

    fn ctx(&self) -> Ctx {
        Ctx::new(self.stop.subscribe())
    }

    /// Runs provider code on its own task so that a panic is caught and reported. The
    /// future borrows nothing of `self`, so it may be moved into a spawned task.
    fn guarded<T, F>(
        &self,
        rpc: &'static str,
        fut: F,
    ) -> impl Future<Output = Result<T, Diagnostics>> + Send + use<T, F>
    where
        T: Send + 'static,
        F: Future<Output = T> + Send + 'static,
    {
        let plugin_name = self.plugin_name;
        async move {
            let started = Instant::now();
            hclog::trace("rpc started", &[("rpc", &rpc)]);
            let out = tokio::spawn(fut).await;
            let elapsed_us = started.elapsed().as_micros();
            hclog::trace("rpc finished", &[("rpc", &rpc), ("elapsed_us", &elapsed_us)]);
            out.map_err(|e| {
                let message = if e.is_panic() {
                    let payload = e.into_panic();
                    payload
                        .downcast_ref::<&str>()
                        .map(|s| s.to_string())
                        .or_else(|| payload.downcast_ref::<String>().cloned())
                        .unwrap_or_else(|| "panic with a non-string payload".to_string())
                } else {
                    "the request was cancelled".to_string()
                };
                hclog::error("internal error in provider", &[("rpc", &rpc), ("error", &message)]);
                Diagnostic::error(
                    "Internal error in provider",
                    format!(
                        "internal error in provider: {message} (during {rpc}). This is a bug in \
                         {plugin_name}; please report it with the output of TF_LOG_PROVIDER=DEBUG."
                    ),
                )
                .into()
            })
        }
    }

    fn resource_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.types.resources.get(type_name).map(|(t, _)| t).ok_or_else(|| unknown_type("resource", type_name))
    }

    fn identity_type(&self, type_name: &str) -> Option<&Type> {
        self.types.resources.get(type_name)?.1.as_ref()
    }

    fn data_source_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.types.data_sources.get(type_name).ok_or_else(|| unknown_type("data source", type_name))
    }

    fn list_resource_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.types.list_resources.get(type_name).ok_or_else(|| unknown_type("list resource", type_name))
    }

    fn action_type(&self, type_name: &str) -> Result<&Type, Diagnostics> {
        self.types.actions.get(type_name).ok_or_else(|| unknown_type("action", type_name))
    }
}

type Rpc<T> = Result<Response<T>, Status>;

/// Turns decode failures into an answer carrying diagnostics, for every response type.
macro_rules! try_decode {
    ($e:expr, $resp:ty) => {
        match $e {
            Ok(v) => v,
            Err(d) => return Ok(Response::new(<$resp>::with_diagnostics(&d))),
        }
    };
}

trait WithDiagnostics: Default {
    fn set(&mut self, d: Vec<pb::Diagnostic>);
    fn with_diagnostics(d: &Diagnostics) -> Self {
        let mut r = Self::default();
        r.set(diags_to_pb(d));
        r
    }
}

macro_rules! with_diagnostics {
    ($($t:ty),* $(,)?) => {$(
        impl WithDiagnostics for $t {
            fn set(&mut self, d: Vec<pb::Diagnostic>) { self.diagnostics = d; }
        }
    )*};
}

with_diagnostics!(
    pb::validate_provider_config::Response,
    pb::validate_resource_config::Response,
    pb::validate_data_resource_config::Response,
    pb::configure_provider::Response,
    pb::read_resource::Response,
    pb::plan_resource_change::Response,
    pb::apply_resource_change::Response,
    pb::import_resource_state::Response,
    pb::read_data_source::Response,
    pb::upgrade_resource_state::Response,
    pb::upgrade_resource_identity::Response,
    pb::validate_list_resource_config::Response,
    pb::generate_resource_config::Response,
    pb::validate_action_config::Response,
    pb::plan_action::Response,
);

// Declared after the macros above, which they use.
mod action_rpcs;
mod convert;
mod data_source_rpcs;
mod list_rpcs;
mod provider_rpcs;
mod resource_rpcs;
mod streams;

type ListResourceStream = ReceiverStream<Result<pb::list_resource::Event, Status>>;

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    type ListResourceStream = ListResourceStream;
    type InvokeActionStream = ActionEvents;

    async fn get_metadata(&self, req: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        provider_rpcs::get_metadata(self, req).await
    }

    async fn get_provider_schema(
        &self,
        req: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        provider_rpcs::get_provider_schema(self, req).await
    }

    async fn get_resource_identity_schemas(
        &self,
        req: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        provider_rpcs::get_resource_identity_schemas(self, req).await
    }

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        provider_rpcs::validate_provider_config(self, req).await
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        provider_rpcs::configure_provider(self, req).await
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        resource_rpcs::validate_resource_config(self, req).await
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        data_source_rpcs::validate_data_resource_config(self, req).await
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        resource_rpcs::upgrade_resource_state(self, req).await
    }

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        resource_rpcs::upgrade_resource_identity(self, req).await
    }

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        resource_rpcs::read_resource(self, req).await
    }

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        resource_rpcs::plan_resource_change(self, req).await
    }

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        resource_rpcs::apply_resource_change(self, req).await
    }

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        resource_rpcs::import_resource_state(self, req).await
    }

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        data_source_rpcs::read_data_source(self, req).await
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Rpc<pb::generate_resource_config::Response> {
        resource_rpcs::generate_resource_config(self, req).await
    }

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        list_rpcs::validate_list_resource_config(self, req).await
    }

    async fn list_resource(&self, req: Request<pb::list_resource::Request>) -> Rpc<Self::ListResourceStream> {
        list_rpcs::list_resource(self, req).await
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> Rpc<pb::validate_action_config::Response> {
        action_rpcs::validate_action_config(self, req).await
    }

    async fn plan_action(&self, req: Request<pb::plan_action::Request>) -> Rpc<pb::plan_action::Response> {
        action_rpcs::plan_action(self, req).await
    }

    async fn invoke_action(&self, req: Request<pb::invoke_action::Request>) -> Rpc<Self::InvokeActionStream> {
        action_rpcs::invoke_action(self, req).await
    }

    async fn get_functions(&self, req: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        provider_rpcs::get_functions(req).await
    }

    async fn stop_provider(&self, req: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        provider_rpcs::stop_provider(self, req).await
    }
}
