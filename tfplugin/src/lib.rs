//! `tfplugin`: a Terraform plugin-protocol 6 server for providers written in Rust.
//!
//! It owns everything Terraform-specific — go-plugin handshake and AutoMTLS, the gRPC
//! services, cty value encoding, schemas, diagnostics and hclog logging — and knows
//! nothing about what the provider manages; the provider names itself in
//! [`serve::PluginInfo`].
//!
//! # Layout
//!
//! Where a change goes, by what it is about:
//!
//! * `serve.rs`: the binary's `main`: flags, go-plugin handshake, listener, gRPC server.
//!   A new command-line flag or a change to start-up goes here.
//! * `tls.rs`: AutoMTLS. `plugin_services.rs`: go-plugin's controller, stdio, broker, health.
//! * `server/`: the tfplugin6 service, one file per RPC family (`provider_rpcs`,
//!   `resource_rpcs`, `data_source_rpcs`, `list_rpcs`, `action_rpcs`), the protobuf
//!   conversion apart in `convert`, the streamed answers in `streams`; `mod.rs` holds the
//!   service and the trait impl that dispatches. A new RPC is a function in its family's
//!   file and one line in `mod.rs`; its own `//!` says more.
//! * `provider.rs`: the [`Provider`] trait and its request/response types: what a
//!   provider sees of an RPC. A new field Terraform sends starts here.
//! * `schema.rs`, `value.rs`, `diag.rs`: schemas, values ([`Value`], [`Type`]), diagnostics.
//! * `codec/`: the cty wire encodings (msgpack, cty JSON, type JSON); its own `# Layout`.
//! * `upgrade.rs`: state and identity upgrades across schema versions.
//! * `hclog.rs`: logging in hclog's JSON lines.
#![forbid(unsafe_code)]

pub mod codec;
pub mod diag;
pub mod hclog;
mod plugin_services;
pub mod provider;
pub mod schema;
pub mod serve;
mod server;
pub mod tls;
pub mod upgrade;
pub mod value;

/// Generated protocol types (from `proto/`), public for tests that speak the protocol.
pub mod proto {
    #![allow(clippy::all, missing_docs)]
    pub mod tfplugin6 {
        tonic::include_proto!("tfplugin6");
    }
    pub mod plugin {
        tonic::include_proto!("plugin");
    }
    pub mod health {
        tonic::include_proto!("grpc.health.v1");
    }
}

pub use diag::{AttrPath, Diagnostic, Diagnostics};
pub use provider::{Ctx, Provider};
pub use value::{Number, Type, Value};
