//! The provider: configuration, and dispatch to the release resource and data source.

use crate::aws_clients::{self, AwsClients, ProviderConfig};
use crate::{data_source_ecs_release, resource_ecs_release};
use async_trait::async_trait;
use std::sync::Arc;
use tfplugin::hclog;
use tfplugin::schema::ProviderSchemas;
use tfplugin::{Ctx, Diagnostics, Provider, Value};
use tokio::sync::RwLock;

pub struct BluegreenProvider {
    clients: RwLock<Option<Arc<AwsClients>>>,
}

impl BluegreenProvider {
    pub fn new() -> BluegreenProvider {
        BluegreenProvider { clients: RwLock::new(None) }
    }
}

#[async_trait]
impl Provider for BluegreenProvider {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            provider: aws_clients::schema(),
            resources: [(resource_ecs_release::TYPE_NAME.to_string(), resource_ecs_release::schema())].into(),
            data_sources: [(data_source_ecs_release::TYPE_NAME.to_string(), data_source_ecs_release::schema())].into(),
        }
    }

    async fn validate_provider_config(&self, config: Value) -> Diagnostics {
        aws_clients::validate(&config)
    }

    async fn configure(&self, _ctx: Ctx, config: Value, terraform_version: String) -> Diagnostics {
        let diags = aws_clients::validate(&config);
        if diags.has_errors() {
            return diags;
        }
        if !config.is_wholly_known() {
            hclog::warn("provider configuration has values unknown until apply; they are treated as unset", &[]);
        }
        let cfg = ProviderConfig::from_value(&config);
        let clients = AwsClients::build(&cfg).await;
        hclog::info(
            "provider configured",
            &[
                ("terraform_version", &terraform_version),
                ("region", &clients.region.clone().unwrap_or_else(|| "(none)".into())),
                ("custom_endpoints", &(cfg.endpoints != Default::default())),
                ("assume_role", &cfg.assume_role.is_some()),
            ],
        );
        *self.clients.write().await = Some(Arc::new(clients));
        diags
    }
}
