//! The tfplugin6 gRPC service: decodes requests against the provider's schemas, calls
//! the `Provider`, and encodes answers. A panic inside the provider becomes an error
//! diagnostic instead of a crashed plugin.

use crate::codec::{decode_json, decode_msgpack, encode_msgpack};
use crate::diag::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity, unknown_type};
use crate::hclog;
use crate::proto::tfplugin6 as pb;
use crate::provider::*;
use crate::schema::{self, ProviderSchemas};
use crate::upgrade;
use crate::value::{Type, Value};
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use std::time::Instant;
use tokio::sync::{mpsc, watch};
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

/// Streamed answers: buffered a little so a provider is not paced by every round trip.
const STREAM_BUFFER: usize = 8;

type EventSender<E> = mpsc::Sender<Result<E, Status>>;

/// Runs `run` while forwarding what the provider sends on `rx` to the gRPC stream
/// `out` (mapped by `map`); returns `run`'s result once every message sent before it
/// returned was forwarded. Once Terraform stops reading, `rx` is dropped so the
/// provider's sink reports it.
async fn pump<M, E, T>(
    run: impl Future<Output = T>,
    rx: mpsc::Receiver<M>,
    out: &EventSender<E>,
    mut map: impl FnMut(M) -> E,
) -> T {
    pump_some(run, rx, out, move |m| Some(map(m))).await
}

/// [`pump`], forwarding only the messages `map` turns into an event.
async fn pump_some<M, E, T>(
    run: impl Future<Output = T>,
    rx: mpsc::Receiver<M>,
    out: &EventSender<E>,
    mut map: impl FnMut(M) -> Option<E>,
) -> T {
    let mut rx = Some(rx);
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            biased;
            m = async { rx.as_mut()?.recv().await }, if rx.is_some() => match m {
                Some(m) => {
                    if let Some(event) = map(m)
                        && out.send(Ok(event)).await.is_err()
                    {
                        rx = None;
                    }
                }
                None => rx = None,
            },
            r = &mut run => break r,
        }
    };
    if let Some(mut rx) = rx {
        while let Ok(m) = rx.try_recv() {
            if let Some(event) = map(m)
                && out.send(Ok(event)).await.is_err()
            {
                break;
            }
        }
    }
    result
}

/// An action's events as Terraform reads them. Once Terraform has asked the provider to
/// stop, progress events still waiting here are dropped and only `Completed` goes out:
/// Terraform 1.14 and 1.15 stop reading at the first progress event after Ctrl-C (a
/// hook halts) and panic on the event after it ("range function continued iteration").
/// Progress sent between Terraform's own stop and its `StopProvider` reaching the
/// provider cannot be taken back; this keeps that window to the RPC's latency.
pub(crate) struct ActionEvents {
    rx: mpsc::Receiver<Result<pb::invoke_action::Event, Status>>,
    stop: Ctx,
}

impl tokio_stream::Stream for ActionEvents {
    type Item = Result<pb::invoke_action::Event, Status>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use pb::invoke_action::event::Type;
        loop {
            match self.rx.poll_recv(cx) {
                std::task::Poll::Ready(Some(Ok(pb::invoke_action::Event { r#type: Some(Type::Progress(_)) })))
                    if self.stop.is_stopped() => {}
                other => return other,
            }
        }
    }
}

fn decode_dynamic(v: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
    let decoded = match v {
        None => return Ok(Value::Null),
        Some(dv) if !dv.msgpack.is_empty() => decode_msgpack(&dv.msgpack, ty),
        Some(dv) if !dv.json.is_empty() => decode_json(&dv.json, ty),
        Some(_) => return Ok(Value::Null),
    };
    decoded.map_err(|e| {
        Diagnostic::error(
            "Invalid value from Terraform",
            format!("The provider could not decode the {what} Terraform sent: {e}. This usually means Terraform and the provider disagree on the schema; run `terraform init -upgrade`."),
        )
        .into()
    })
}

/// Stored JSON of the current schema version, decoded against it.
fn stored_value(json: &[u8], ty: &Type, what: &str, type_name: &str) -> Result<Value, Diagnostics> {
    decode_json(json, ty).map_err(|e| {
        Diagnostic::error(
            format!("Invalid stored {what}"),
            format!(
                "The stored {what} of this {type_name} cannot be read: {e}. Remove it with `terraform state rm` and import it again."
            ),
        )
        .into()
    })
}

fn encode_dynamic(v: &Value, ty: &Type, what: &str, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
    match encode_msgpack(v, ty) {
        Ok(msgpack) => Some(pb::DynamicValue { msgpack, json: Vec::new() }),
        Err(e) => {
            diags.push(Diagnostic::error(
                "Internal error in provider",
                format!("internal error in provider: the {what} does not match its schema: {e}"),
            ));
            None
        }
    }
}

fn decode_identity(data: Option<&pb::ResourceIdentityData>, ty: Option<&Type>) -> Result<Option<Value>, Diagnostics> {
    match (data.and_then(|d| d.identity_data.as_ref()), ty) {
        (Some(dv), Some(ty)) if !(dv.msgpack.is_empty() && dv.json.is_empty()) => {
            decode_dynamic(Some(dv), ty, "resource identity").map(Some)
        }
        _ => Ok(None),
    }
}

fn encode_identity(v: &Option<Value>, ty: Option<&Type>, diags: &mut Diagnostics) -> Option<pb::ResourceIdentityData> {
    match (v, ty) {
        (Some(v), Some(ty)) => {
            Some(pb::ResourceIdentityData { identity_data: encode_dynamic(v, ty, "resource identity", diags) })
        }
        _ => None,
    }
}

fn path_to_pb(p: &AttrPath) -> pb::AttributePath {
    use pb::attribute_path::step::Selector;
    pb::AttributePath {
        steps: p
            .0
            .iter()
            .map(|s| pb::attribute_path::Step {
                selector: Some(match s {
                    PathStep::Attr(a) => Selector::AttributeName(a.clone()),
                    PathStep::Key(k) => Selector::ElementKeyString(k.clone()),
                    PathStep::Index(i) => Selector::ElementKeyInt(*i),
                }),
            })
            .collect(),
    }
}

pub(crate) fn diags_to_pb(d: &Diagnostics) -> Vec<pb::Diagnostic> {
    d.iter()
        .map(|d| pb::Diagnostic {
            severity: match d.severity {
                Severity::Error => pb::diagnostic::Severity::Error as i32,
                Severity::Warning => pb::diagnostic::Severity::Warning as i32,
            },
            summary: d.summary.clone(),
            detail: d.detail.clone(),
            attribute: d.path.as_ref().map(path_to_pb),
        })
        .collect()
}

fn block_to_pb(b: &schema::Block) -> pb::schema::Block {
    use pb::schema::nested_block::NestingMode;
    pb::schema::Block {
        version: 0,
        attributes: b
            .attributes
            .iter()
            .map(|a| pb::schema::Attribute {
                name: a.name.clone(),
                r#type: a.ty.to_json_bytes(),
                nested_type: None,
                description: a.description.clone(),
                required: a.required,
                optional: a.optional,
                computed: a.computed,
                sensitive: a.sensitive,
                description_kind: pb::StringKind::Markdown as i32,
                deprecated: false,
                write_only: false,
                deprecation_message: String::new(),
            })
            .collect(),
        block_types: b
            .blocks
            .iter()
            .map(|nb| pb::schema::NestedBlock {
                type_name: nb.name.clone(),
                block: Some(block_to_pb(&nb.block)),
                nesting: match nb.nesting {
                    schema::Nesting::Single => NestingMode::Single,
                    schema::Nesting::List => NestingMode::List,
                    schema::Nesting::Set => NestingMode::Set,
                    schema::Nesting::Map => NestingMode::Map,
                    schema::Nesting::Group => NestingMode::Group,
                } as i32,
                min_items: nb.min_items,
                max_items: nb.max_items,
            })
            .collect(),
        description: b.description.clone(),
        description_kind: pb::StringKind::Markdown as i32,
        deprecated: b.deprecated,
        deprecation_message: String::new(),
        computed: false,
    }
}

fn schema_to_pb(s: &schema::Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block_to_pb(&s.block)) }
}

fn capabilities(s: &ProviderSchemas) -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: s.generate_resource_config,
    }
}

fn schema_response(s: &ProviderSchemas) -> pb::get_provider_schema::Response {
    pb::get_provider_schema::Response {
        provider: Some(schema_to_pb(&s.provider)),
        resource_schemas: s.resources.iter().map(|(k, r)| (k.clone(), schema_to_pb(&r.schema))).collect(),
        data_source_schemas: s.data_sources.iter().map(|(k, d)| (k.clone(), schema_to_pb(d))).collect(),
        list_resource_schemas: s.list_resources.iter().map(|(k, l)| (k.clone(), schema_to_pb(l))).collect(),
        action_schemas: s
            .actions
            .iter()
            .map(|(k, a)| (k.clone(), pb::ActionSchema { schema: Some(schema_to_pb(&a.schema)) }))
            .collect(),
        diagnostics: Vec::new(),
        provider_meta: None,
        server_capabilities: Some(capabilities(s)),
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

/// Encodes one list event: identity against the identity schema, the object against
/// the resource schema (only when Terraform asked for it).
fn list_event_to_pb(
    ev: ListResourceEvent,
    state_ty: Option<&Type>,
    id_ty: Option<&Type>,
    include_resource: bool,
) -> pb::list_resource::Event {
    let mut diags = ev.diagnostics;
    let identity = match (&ev.identity, id_ty) {
        (Some(_), None) => {
            diags.push(Diagnostic::error(
                "Internal error in provider",
                "internal error in provider: a list result has an identity but the resource declares no identity schema",
            ));
            None
        }
        _ => encode_identity(&ev.identity, id_ty, &mut diags),
    };
    let resource_object = match (&ev.resource_object, state_ty) {
        (Some(obj), Some(ty)) if include_resource => encode_dynamic(obj, ty, "listed resource object", &mut diags),
        _ => None,
    };
    pb::list_resource::Event {
        identity,
        display_name: ev.display_name,
        resource_object,
        diagnostic: diags_to_pb(&diags),
    }
}

fn progress_event(message: String) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Progress, Type as T};
    pb::invoke_action::Event { r#type: Some(T::Progress(Progress { message })) }
}

fn completed_event(d: &Diagnostics) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Completed, Type as T};
    pb::invoke_action::Event { r#type: Some(T::Completed(Completed { diagnostics: diags_to_pb(d) })) }
}

/// A stream holding just `events`, for answers decided before calling the provider.
fn ready_stream<E: Send + 'static>(events: Vec<E>) -> ReceiverStream<Result<E, Status>> {
    let (tx, rx) = mpsc::channel(events.len().max(1));
    for e in events {
        let _ = tx.try_send(Ok(e));
    }
    ReceiverStream::new(rx)
}

#[tonic::async_trait]
impl pb::provider_server::Provider for ProviderService {
    type ListResourceStream = ReceiverStream<Result<pb::list_resource::Event, Status>>;
    type InvokeActionStream = ActionEvents;

    async fn get_metadata(&self, _: Request<pb::get_metadata::Request>) -> Rpc<pb::get_metadata::Response> {
        Ok(Response::new(pb::get_metadata::Response {
            server_capabilities: Some(capabilities(&self.schemas)),
            diagnostics: Vec::new(),
            data_sources: self
                .schemas
                .data_sources
                .keys()
                .map(|k| pb::get_metadata::DataSourceMetadata { type_name: k.clone() })
                .collect(),
            resources: self
                .schemas
                .resources
                .keys()
                .map(|k| pb::get_metadata::ResourceMetadata { type_name: k.clone() })
                .collect(),
            list_resources: self
                .schemas
                .list_resources
                .keys()
                .map(|k| pb::get_metadata::ListResourceMetadata { type_name: k.clone() })
                .collect(),
            actions: self
                .schemas
                .actions
                .keys()
                .map(|k| pb::get_metadata::ActionMetadata { type_name: k.clone() })
                .collect(),
        }))
    }

    async fn get_provider_schema(
        &self,
        _: Request<pb::get_provider_schema::Request>,
    ) -> Rpc<pb::get_provider_schema::Response> {
        Ok(Response::new(self.schema_response.clone()))
    }

    async fn get_resource_identity_schemas(
        &self,
        _: Request<pb::get_resource_identity_schemas::Request>,
    ) -> Rpc<pb::get_resource_identity_schemas::Response> {
        let identity_schemas = self
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

    async fn validate_provider_config(
        &self,
        req: Request<pb::validate_provider_config::Request>,
    ) -> Rpc<pb::validate_provider_config::Response> {
        type R = pb::validate_provider_config::Response;
        let ty = &self.types.provider;
        let config = try_decode!(decode_dynamic(req.get_ref().config.as_ref(), ty, "provider configuration"), R);
        let p = self.provider.clone();
        let diags = self
            .guarded("ValidateProviderConfig", async move { p.validate_provider_config(config).await })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn configure_provider(
        &self,
        req: Request<pb::configure_provider::Request>,
    ) -> Rpc<pb::configure_provider::Response> {
        type R = pb::configure_provider::Response;
        let req = req.into_inner();
        let ty = &self.types.provider;
        let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "provider configuration"), R);
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let version = req.terraform_version;
        let diags = self
            .guarded("ConfigureProvider", async move { p.configure(ctx, config, version).await })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn validate_resource_config(
        &self,
        req: Request<pb::validate_resource_config::Request>,
    ) -> Rpc<pb::validate_resource_config::Response> {
        type R = pb::validate_resource_config::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "resource configuration"), R);
        let p = self.provider.clone();
        let diags = self
            .guarded("ValidateResourceConfig", async move { p.validate_resource_config(req.type_name, config).await })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn validate_data_resource_config(
        &self,
        req: Request<pb::validate_data_resource_config::Request>,
    ) -> Rpc<pb::validate_data_resource_config::Response> {
        type R = pb::validate_data_resource_config::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.data_source_type(&req.type_name), R);
        let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "data source configuration"), R);
        let p = self.provider.clone();
        let diags =
            self.guarded("ValidateDataResourceConfig", async move {
                p.validate_data_source_config(req.type_name, config).await
            })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn upgrade_resource_state(
        &self,
        req: Request<pb::upgrade_resource_state::Request>,
    ) -> Rpc<pb::upgrade_resource_state::Response> {
        type R = pb::upgrade_resource_state::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let json = req.raw_state.map(|r| r.json).unwrap_or_default();
        if json.is_empty() {
            let d: Diagnostics = Diagnostic::error(
                "Unsupported state format",
                "The stored state has no JSON form (flatmap state from Terraform < 0.12 is not supported). Re-import the resource.",
            )
            .into();
            return Ok(Response::new(R::with_diagnostics(&d)));
        }
        let current_version = self.schemas.resources.get(&req.type_name).map_or(0, |r| r.schema.version);
        let steps = self.provider.state_upgrades(&req.type_name);
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

    async fn upgrade_resource_identity(
        &self,
        req: Request<pb::upgrade_resource_identity::Request>,
    ) -> Rpc<pb::upgrade_resource_identity::Response> {
        type R = pb::upgrade_resource_identity::Response;
        let req = req.into_inner();
        let Some(ty) = self.identity_type(&req.type_name).cloned() else {
            return Ok(Response::new(R::with_diagnostics(&unknown_type("resource identity", &req.type_name))));
        };
        let json = req.raw_identity.map(|r| r.json).unwrap_or_default();
        let current_version =
            self.schemas.resources.get(&req.type_name).and_then(|r| r.identity.as_ref()).map_or(0, |i| i.version);
        let steps = self.provider.identity_upgrades(&req.type_name);
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

    async fn read_resource(&self, req: Request<pb::read_resource::Request>) -> Rpc<pb::read_resource::Response> {
        type R = pb::read_resource::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let id_ty = self.identity_type(&req.type_name);
        let request = ReadResourceRequest {
            current_state: try_decode!(decode_dynamic(req.current_state.as_ref(), ty, "current state"), R),
            current_identity: try_decode!(decode_identity(req.current_identity.as_ref(), id_ty), R),
            private: req.private,
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out = match self.guarded("ReadResource", async move { p.read_resource(ctx, request).await }).await {
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

    async fn plan_resource_change(
        &self,
        req: Request<pb::plan_resource_change::Request>,
    ) -> Rpc<pb::plan_resource_change::Response> {
        type R = pb::plan_resource_change::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let id_ty = self.identity_type(&req.type_name);
        let request = PlanResourceRequest {
            prior_state: try_decode!(decode_dynamic(req.prior_state.as_ref(), ty, "prior state"), R),
            proposed_new_state: try_decode!(decode_dynamic(req.proposed_new_state.as_ref(), ty, "proposed state"), R),
            config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "configuration"), R),
            prior_identity: try_decode!(decode_identity(req.prior_identity.as_ref(), id_ty), R),
            prior_private: req.prior_private,
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out =
            match self.guarded("PlanResourceChange", async move { p.plan_resource_change(ctx, request).await }).await {
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

    async fn apply_resource_change(
        &self,
        req: Request<pb::apply_resource_change::Request>,
    ) -> Rpc<pb::apply_resource_change::Response> {
        type R = pb::apply_resource_change::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let id_ty = self.identity_type(&req.type_name);
        let request = ApplyResourceRequest {
            prior_state: try_decode!(decode_dynamic(req.prior_state.as_ref(), ty, "prior state"), R),
            planned_state: try_decode!(decode_dynamic(req.planned_state.as_ref(), ty, "planned state"), R),
            config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "configuration"), R),
            planned_identity: try_decode!(decode_identity(req.planned_identity.as_ref(), id_ty), R),
            planned_private: req.planned_private,
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out =
            match self.guarded("ApplyResourceChange", async move { p.apply_resource_change(ctx, request).await }).await
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

    async fn import_resource_state(
        &self,
        req: Request<pb::import_resource_state::Request>,
    ) -> Rpc<pb::import_resource_state::Response> {
        type R = pb::import_resource_state::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let id_ty = self.identity_type(&req.type_name);
        let type_name = req.type_name.clone();
        let request = ImportResourceRequest {
            identity: try_decode!(decode_identity(req.identity.as_ref(), id_ty), R),
            id: req.id,
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out =
            match self.guarded("ImportResourceState", async move { p.import_resource_state(ctx, request).await }).await
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

    async fn read_data_source(
        &self,
        req: Request<pb::read_data_source::Request>,
    ) -> Rpc<pb::read_data_source::Response> {
        type R = pb::read_data_source::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.data_source_type(&req.type_name), R);
        let request = ReadDataSourceRequest {
            config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "data source configuration"), R),
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out = match self.guarded("ReadDataSource", async move { p.read_data_source(ctx, request).await }).await {
            Ok(out) => out,
            Err(d) => return Ok(Response::new(R::with_diagnostics(&d))),
        };
        let mut diags = out.diagnostics;
        let state = encode_dynamic(&out.state, ty, "data source result", &mut diags);
        Ok(Response::new(R { state, diagnostics: diags_to_pb(&diags), deferred: None }))
    }

    async fn generate_resource_config(
        &self,
        req: Request<pb::generate_resource_config::Request>,
    ) -> Rpc<pb::generate_resource_config::Response> {
        type R = pb::generate_resource_config::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.resource_type(&req.type_name), R);
        let request = GenerateResourceConfigRequest {
            state: try_decode!(decode_dynamic(req.state.as_ref(), ty, "resource state"), R),
            type_name: req.type_name,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let out = match self
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

    async fn validate_list_resource_config(
        &self,
        req: Request<pb::validate_list_resource_config::Request>,
    ) -> Rpc<pb::validate_list_resource_config::Response> {
        type R = pb::validate_list_resource_config::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.list_resource_type(&req.type_name), R);
        let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "list configuration"), R);
        let p = self.provider.clone();
        let diags = self
            .guarded("ValidateListResourceConfig", async move {
                p.validate_list_resource_config(req.type_name, config).await
            })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn list_resource(&self, req: Request<pb::list_resource::Request>) -> Rpc<Self::ListResourceStream> {
        let req = req.into_inner();
        let fail = |d: Diagnostics| {
            let ev = ListResourceEvent { diagnostics: d, ..Default::default() };
            Ok(Response::new(ready_stream(vec![list_event_to_pb(ev, None, None, false)])))
        };
        let ty = match self.list_resource_type(&req.type_name) {
            Ok(ty) => ty,
            Err(d) => return fail(d),
        };
        let config = match decode_dynamic(req.config.as_ref(), ty, "list configuration") {
            Ok(v) => v,
            Err(d) => return fail(d),
        };
        let state_ty = self.types.resources.get(&req.type_name).map(|(t, _)| t.clone());
        let id_ty = self.identity_type(&req.type_name).cloned();
        let include_resource = req.include_resource_object;
        let request = ListResourceRequest { type_name: req.type_name, config, include_resource, limit: req.limit };
        let (sink, rx) = ListResourceSink::channel(req.limit, STREAM_BUFFER);
        let (out, out_rx) = mpsc::channel(STREAM_BUFFER);
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let run = self.guarded("ListResource", async move { p.list_resource(ctx, request, sink).await });
        tokio::spawn(async move {
            let encode = |ev| list_event_to_pb(ev, state_ty.as_ref(), id_ty.as_ref(), include_resource);
            if let Err(d) = pump(run, rx, &out, encode).await {
                let ev = ListResourceEvent { diagnostics: d, ..Default::default() };
                let _ = out.send(Ok(list_event_to_pb(ev, None, None, false))).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(out_rx)))
    }

    async fn validate_action_config(
        &self,
        req: Request<pb::validate_action_config::Request>,
    ) -> Rpc<pb::validate_action_config::Response> {
        type R = pb::validate_action_config::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.action_type(&req.type_name), R);
        let config = try_decode!(decode_dynamic(req.config.as_ref(), ty, "action configuration"), R);
        let p = self.provider.clone();
        let diags = self
            .guarded("ValidateActionConfig", async move { p.validate_action_config(req.type_name, config).await })
            .await
            .unwrap_or_else(|d| d);
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn plan_action(&self, req: Request<pb::plan_action::Request>) -> Rpc<pb::plan_action::Response> {
        type R = pb::plan_action::Response;
        let req = req.into_inner();
        let ty = try_decode!(self.action_type(&req.action_type), R);
        let request = PlanActionRequest {
            config: try_decode!(decode_dynamic(req.config.as_ref(), ty, "action configuration"), R),
            action_type: req.action_type,
        };
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let diags = match self.guarded("PlanAction", async move { p.plan_action(ctx, request).await }).await {
            Ok(out) => out.diagnostics,
            Err(d) => d,
        };
        Ok(Response::new(R::with_diagnostics(&diags)))
    }

    async fn invoke_action(&self, req: Request<pb::invoke_action::Request>) -> Rpc<Self::InvokeActionStream> {
        let req = req.into_inner();
        let decoded = self
            .action_type(&req.action_type)
            .and_then(|ty| decode_dynamic(req.config.as_ref(), ty, "action configuration"));
        let config = match decoded {
            Ok(v) => v,
            Err(d) => {
                let (tx, rx) = mpsc::channel(1);
                let _ = tx.try_send(Ok(completed_event(&d)));
                return Ok(Response::new(ActionEvents { rx, stop: self.ctx() }));
            }
        };
        let request = InvokeActionRequest { action_type: req.action_type, config };
        let (sink, rx) = ActionProgressSink::channel(STREAM_BUFFER);
        // One event in hand at a time: what waits here, not in a queue, can still be
        // dropped when Terraform stops (ActionEvents).
        let (out, out_rx) = mpsc::channel(1);
        let (p, ctx) = (self.provider.clone(), self.ctx());
        let events = ActionEvents { rx: out_rx, stop: ctx.clone() };
        let pump_ctx = ctx.clone();
        let run = self.guarded("InvokeAction", async move { p.invoke_action(ctx, request, sink).await });
        tokio::spawn(async move {
            // Progress is dropped from the moment Terraform asked the provider to stop.
            let to_event = move |m: String| (!pump_ctx.is_stopped()).then(|| progress_event(m));
            let diags = pump_some(run, rx, &out, to_event).await.unwrap_or_else(|d| d);
            let _ = out.send(Ok(completed_event(&diags))).await;
        });
        Ok(Response::new(events))
    }

    async fn get_functions(&self, _: Request<pb::get_functions::Request>) -> Rpc<pb::get_functions::Response> {
        Ok(Response::new(pb::get_functions::Response::default()))
    }

    async fn stop_provider(&self, _: Request<pb::stop_provider::Request>) -> Rpc<pb::stop_provider::Response> {
        hclog::info("StopProvider: interrupting in-flight operations", &[]);
        self.stop.send_modify(|g| *g += 1);
        Ok(Response::new(pb::stop_provider::Response::default()))
    }
}
