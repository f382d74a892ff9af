//! The interface a provider implements. Values arrive decoded against the declared
//! schemas; the provider never sees msgpack, JSON or protobuf.

use crate::diag::{AttrPath, Diagnostics, unknown_type};
use crate::schema::ProviderSchemas;
pub use crate::upgrade::Upgrade;
use crate::value::Value;
use async_trait::async_trait;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicI64, Ordering};
use tokio::sync::{mpsc, watch};

/// Per-request context: lets long operations notice Terraform's `StopProvider`
/// (Ctrl-C) and return promptly.
#[derive(Clone, Debug)]
pub struct Ctx {
    stop: watch::Receiver<u64>,
    generation: u64,
}

impl Ctx {
    pub(crate) fn new(stop: watch::Receiver<u64>) -> Ctx {
        let generation = *stop.borrow();
        Ctx { stop, generation }
    }

    /// A context that is never stopped, for unit tests.
    pub fn detached() -> Ctx {
        let (tx, rx) = watch::channel(0);
        // Keep the sender alive for the process so `stopped` never fires.
        std::mem::forget(tx);
        Ctx::new(rx)
    }

    /// A context and the switch that stops it, as Terraform's `StopProvider` would: for
    /// unit tests of Ctrl-C handling.
    pub fn with_stop() -> (Ctx, CtxStop) {
        let (tx, rx) = watch::channel(0);
        (Ctx::new(rx), CtxStop(tx))
    }

    /// True once Terraform asked the provider to stop after this request began.
    pub fn is_stopped(&self) -> bool {
        *self.stop.borrow() != self.generation
    }

    /// Completes when Terraform asks the provider to stop; use in `tokio::select!`.
    pub async fn stopped(&self) {
        let mut rx = self.stop.clone();
        let generation = self.generation;
        // If the sender is gone the server is shutting down: treat it as a stop.
        let _ = rx.wait_for(|g| *g != generation).await;
    }
}

/// Stops the [`Ctx`] it came with ([`Ctx::with_stop`]).
#[derive(Debug)]
pub struct CtxStop(watch::Sender<u64>);

impl CtxStop {
    pub fn stop(&self) {
        self.0.send_modify(|g| *g += 1);
    }
}

#[derive(Clone, Debug)]
pub struct ReadResourceRequest {
    pub type_name: String,
    pub current_state: Value,
    pub private: Vec<u8>,
    pub current_identity: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct ReadResourceResponse {
    /// `Value::Null` removes the resource from state (it is gone).
    pub new_state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct PlanResourceRequest {
    pub type_name: String,
    pub prior_state: Value,
    pub proposed_new_state: Value,
    pub config: Value,
    pub prior_private: Vec<u8>,
    pub prior_identity: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct PlanResourceResponse {
    pub planned_state: Value,
    pub requires_replace: Vec<AttrPath>,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ApplyResourceRequest {
    pub type_name: String,
    pub prior_state: Value,
    pub planned_state: Value,
    pub config: Value,
    pub planned_private: Vec<u8>,
    pub planned_identity: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct ApplyResourceResponse {
    pub new_state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ImportResourceRequest {
    pub type_name: String,
    /// The import ID; empty when importing by identity.
    pub id: String,
    pub identity: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct ImportedResource {
    pub state: Value,
    pub private: Vec<u8>,
    pub identity: Option<Value>,
}

#[derive(Clone, Debug, Default)]
pub struct ImportResourceResponse {
    pub imported: Vec<ImportedResource>,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct ReadDataSourceRequest {
    pub type_name: String,
    pub config: Value,
}

#[derive(Clone, Debug, Default)]
pub struct ReadDataSourceResponse {
    pub state: Value,
    pub diagnostics: Diagnostics,
}

/// One `list` block evaluation of `terraform query` (Terraform 1.14+).
#[derive(Clone, Debug)]
pub struct ListResourceRequest {
    /// The managed resource type being listed.
    pub type_name: String,
    /// The list block's `config`, against the list resource schema (null when the
    /// block has no `config`).
    pub config: Value,
    /// Terraform wants each event's `resource_object` (the full state).
    pub include_resource: bool,
    /// The most results Terraform will read; it stops the stream after that many.
    pub limit: i64,
}

/// One listed object, or (with no identity) a diagnostic-only event.
#[derive(Clone, Debug, Default)]
pub struct ListResourceEvent {
    /// Against the resource's identity schema; required for a result. An event with
    /// only warnings and no identity is skipped by Terraform; an error ends the list.
    pub identity: Option<Value>,
    pub display_name: String,
    /// Against the resource schema; sent only when the request asked for it.
    pub resource_object: Option<Value>,
    pub diagnostics: Diagnostics,
}

/// Where a provider sends list results; the server encodes and streams them.
#[derive(Clone, Debug)]
pub struct ListResourceSink {
    tx: mpsc::Sender<ListResourceEvent>,
    limit: i64,
    results: Arc<AtomicI64>,
    ended: Arc<AtomicBool>,
}

impl ListResourceSink {
    /// A sink and the receiving end of its events, for the server and for providers'
    /// unit tests. `limit <= 0` means no limit.
    pub fn channel(limit: i64, capacity: usize) -> (ListResourceSink, mpsc::Receiver<ListResourceEvent>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        let sink = ListResourceSink {
            tx,
            limit,
            results: Arc::new(AtomicI64::new(0)),
            ended: Arc::new(AtomicBool::new(false)),
        };
        (sink, rx)
    }

    /// Sends one event; false once Terraform stopped reading (the stream was closed,
    /// `limit` results were already sent, or an error diagnostic was sent), in which
    /// case the event was not sent and the provider should return.
    pub async fn send(&self, event: ListResourceEvent) -> bool {
        if self.is_closed() {
            return false;
        }
        let is_result = event.identity.is_some();
        let is_error = event.diagnostics.has_errors();
        if self.tx.send(event).await.is_err() {
            self.ended.store(true, Ordering::SeqCst);
            return false;
        }
        if is_error {
            self.ended.store(true, Ordering::SeqCst);
        }
        if is_result {
            self.results.fetch_add(1, Ordering::SeqCst);
        }
        true
    }

    /// True when a further `send` would not be read.
    pub fn is_closed(&self) -> bool {
        self.ended.load(Ordering::SeqCst)
            || self.tx.is_closed()
            || (self.limit > 0 && self.results.load(Ordering::SeqCst) >= self.limit)
    }
}

#[derive(Clone, Debug)]
pub struct GenerateResourceConfigRequest {
    pub type_name: String,
    /// A state of the resource, against the resource schema.
    pub state: Value,
}

#[derive(Clone, Debug, Default)]
pub struct GenerateResourceConfigResponse {
    /// The configuration to write for that state, against the resource schema
    /// (computed-only attributes null).
    pub config: Value,
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct PlanActionRequest {
    pub action_type: String,
    /// Against the action schema; may contain unknown values.
    pub config: Value,
}

#[derive(Clone, Debug, Default)]
pub struct PlanActionResponse {
    pub diagnostics: Diagnostics,
}

#[derive(Clone, Debug)]
pub struct InvokeActionRequest {
    pub action_type: String,
    /// Against the action schema; wholly known.
    pub config: Value,
}

/// Where a running action reports progress; Terraform prints each message.
#[derive(Clone, Debug)]
pub struct ActionProgressSink {
    tx: mpsc::Sender<String>,
}

impl ActionProgressSink {
    /// A sink and the receiving end of its messages, for the server and for
    /// providers' unit tests.
    pub fn channel(capacity: usize) -> (ActionProgressSink, mpsc::Receiver<String>) {
        let (tx, rx) = mpsc::channel(capacity.max(1));
        (ActionProgressSink { tx }, rx)
    }

    /// Sends one progress message; false once Terraform stopped reading.
    pub async fn progress(&self, message: impl Into<String>) -> bool {
        self.tx.send(message.into()).await.is_ok()
    }
}

/// A Terraform provider. Every method has a conservative default so a provider only
/// implements what it offers; schemas are fetched once at start-up.
#[async_trait]
pub trait Provider: Send + Sync + 'static {
    fn schemas(&self) -> ProviderSchemas;

    /// Static checks of the provider block; unknown values must be accepted.
    async fn validate_provider_config(&self, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn configure(&self, _ctx: Ctx, _config: Value, _terraform_version: String) -> Diagnostics {
        Diagnostics::new()
    }

    async fn validate_resource_config(&self, _type_name: String, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn validate_data_source_config(&self, _type_name: String, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn read_resource(&self, _ctx: Ctx, req: ReadResourceRequest) -> ReadResourceResponse {
        ReadResourceResponse { diagnostics: unknown_type("resource", &req.type_name), ..Default::default() }
    }

    async fn plan_resource_change(&self, _ctx: Ctx, req: PlanResourceRequest) -> PlanResourceResponse {
        PlanResourceResponse { diagnostics: unknown_type("resource", &req.type_name), ..Default::default() }
    }

    async fn apply_resource_change(&self, _ctx: Ctx, req: ApplyResourceRequest) -> ApplyResourceResponse {
        ApplyResourceResponse { diagnostics: unknown_type("resource", &req.type_name), ..Default::default() }
    }

    async fn import_resource_state(&self, _ctx: Ctx, req: ImportResourceRequest) -> ImportResourceResponse {
        ImportResourceResponse { diagnostics: unknown_type("resource", &req.type_name), ..Default::default() }
    }

    async fn read_data_source(&self, _ctx: Ctx, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
        ReadDataSourceResponse { diagnostics: unknown_type("data source", &req.type_name), ..Default::default() }
    }

    /// Static checks of a `list` block's `config`; unknown values must be accepted.
    async fn validate_list_resource_config(&self, _type_name: String, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }

    /// Streams the objects a `list` block finds through `sink`, at most `req.limit`
    /// results; returns when done (or when `sink.send` returns false), and the
    /// server then ends the stream.
    async fn list_resource(&self, _ctx: Ctx, req: ListResourceRequest, sink: ListResourceSink) {
        let event =
            ListResourceEvent { diagnostics: unknown_type("list resource", &req.type_name), ..Default::default() };
        sink.send(event).await;
    }

    async fn generate_resource_config(
        &self,
        _ctx: Ctx,
        req: GenerateResourceConfigRequest,
    ) -> GenerateResourceConfigResponse {
        GenerateResourceConfigResponse { diagnostics: unknown_type("resource", &req.type_name), ..Default::default() }
    }

    /// Static checks of an action's configuration; unknown values must be accepted.
    async fn validate_action_config(&self, _type_name: String, _config: Value) -> Diagnostics {
        Diagnostics::new()
    }

    async fn plan_action(&self, _ctx: Ctx, req: PlanActionRequest) -> PlanActionResponse {
        PlanActionResponse { diagnostics: unknown_type("action", &req.action_type) }
    }

    /// Runs the action, reporting through `progress`; the returned diagnostics end the
    /// invocation (Terraform's Completed event). Long waits should watch `ctx.stopped()`.
    async fn invoke_action(&self, _ctx: Ctx, req: InvokeActionRequest, _progress: ActionProgressSink) -> Diagnostics {
        unknown_type("action", &req.action_type)
    }

    /// The steps that bring a stored state of an older schema version to the current
    /// one, one per version ([`Upgrade::from_version`]), run on the stored JSON before it
    /// is decoded against the current schema. A state at the current version is
    /// decoded as stored (attributes the schema no longer has are dropped).
    fn state_upgrades(&self, _type_name: &str) -> Vec<Upgrade> {
        Vec::new()
    }

    /// The same for a stored identity, against the identity schema's version.
    fn identity_upgrades(&self, _type_name: &str) -> Vec<Upgrade> {
        Vec::new()
    }
}
