//! The interface a provider implements. Values arrive decoded against the declared
//! schemas; the provider never sees msgpack, JSON or protobuf.

use crate::diag::{AttrPath, Diagnostics};
use crate::schema::ProviderSchemas;
use crate::value::Value;
use async_trait::async_trait;
use tokio::sync::watch;

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

fn unsupported(kind: &str, type_name: &str) -> Diagnostics {
    let mut d = Diagnostics::new();
    d.error(
        format!("Unsupported {kind} type"),
        format!("This provider has no {kind} named {type_name:?}. Check the spelling and the provider version."),
    );
    d
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
        ReadResourceResponse { diagnostics: unsupported("resource", &req.type_name), ..Default::default() }
    }

    async fn plan_resource_change(&self, _ctx: Ctx, req: PlanResourceRequest) -> PlanResourceResponse {
        PlanResourceResponse { diagnostics: unsupported("resource", &req.type_name), ..Default::default() }
    }

    async fn apply_resource_change(&self, _ctx: Ctx, req: ApplyResourceRequest) -> ApplyResourceResponse {
        ApplyResourceResponse { diagnostics: unsupported("resource", &req.type_name), ..Default::default() }
    }

    async fn import_resource_state(&self, _ctx: Ctx, req: ImportResourceRequest) -> ImportResourceResponse {
        ImportResourceResponse { diagnostics: unsupported("resource", &req.type_name), ..Default::default() }
    }

    async fn read_data_source(&self, _ctx: Ctx, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
        ReadDataSourceResponse { diagnostics: unsupported("data source", &req.type_name), ..Default::default() }
    }

    /// Brings a stored state forward to the current schema. The default decodes the
    /// stored JSON against the current schema (dropping attributes it no longer has).
    fn upgrade_resource_state(&self, _type_name: &str, _version: i64, current: Value) -> Result<Value, Diagnostics> {
        Ok(current)
    }
}
