//! `tfplugin`: a Terraform plugin-protocol 6 server for providers written in Rust.
//!
//! It owns everything Terraform-specific — go-plugin handshake and AutoMTLS, the gRPC
//! services, cty value encoding, schemas, diagnostics and hclog logging — and knows
//! nothing about what the provider manages.
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
