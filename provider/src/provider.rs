//! The provider: configuration, and dispatch to the release resource and data source.

use crate::aws::clients::{self as aws_clients, AwsClients, ProviderConfig};
use crate::import_adoption::{ConfigWriter, RecentImports};
use crate::{action_ecs_release, data_source_ecs_release, list_ecs_release, resource_ecs_release};
use async_trait::async_trait;
use std::sync::Arc;
use tfplugin::hclog;
use tfplugin::provider::*;
use tfplugin::schema::ProviderSchemas;
use tfplugin::{Ctx, Diagnostics, Provider, Value};
use tokio::sync::RwLock;

pub struct BluegreenProvider {
    clients: RwLock<Option<Arc<AwsClients>>>,
    /// Who writes generated configuration, from the client's version (import_adoption).
    config_writer: std::sync::RwLock<ConfigWriter>,
    recent_imports: RecentImports,
}

impl BluegreenProvider {
    pub fn new() -> BluegreenProvider {
        BluegreenProvider {
            clients: RwLock::new(None),
            config_writer: std::sync::RwLock::new(ConfigWriter::ClientFromState),
            recent_imports: RecentImports::default(),
        }
    }

    async fn clients(&self) -> Option<Arc<AwsClients>> {
        self.clients.read().await.clone()
    }

    fn config_writer(&self) -> ConfigWriter {
        self.config_writer.read().map(|w| *w).unwrap_or(ConfigWriter::ClientFromState)
    }
}

#[async_trait]
impl Provider for BluegreenProvider {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            provider: aws_clients::schema(),
            resources: [(resource_ecs_release::TYPE_NAME.to_string(), resource_ecs_release::schema())].into(),
            data_sources: [(data_source_ecs_release::TYPE_NAME.to_string(), data_source_ecs_release::schema())].into(),
            list_resources: [(list_ecs_release::TYPE_NAME.to_string(), list_ecs_release::schema())].into(),
            generate_resource_config: true,
            actions: [
                (action_ecs_release::PROMOTE.to_string(), action_ecs_release::promote_schema()),
                (action_ecs_release::ROLLBACK.to_string(), action_ecs_release::rollback_schema()),
            ]
            .into(),
        }
    }

    fn state_upgrades(&self, type_name: &str) -> Vec<tfplugin::provider::Upgrade> {
        match type_name {
            resource_ecs_release::TYPE_NAME => resource_ecs_release::state_upgrades(),
            _ => Vec::new(),
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
        if let Ok(mut w) = self.config_writer.write() {
            *w = ConfigWriter::of(&terraform_version);
        }
        diags
    }

    async fn validate_resource_config(&self, type_name: String, config: Value) -> Diagnostics {
        match type_name.as_str() {
            resource_ecs_release::TYPE_NAME => resource_ecs_release::validate(&config),
            _ => crate::errors::unknown_type("resource", &type_name),
        }
    }

    async fn validate_data_source_config(&self, type_name: String, config: Value) -> Diagnostics {
        match type_name.as_str() {
            data_source_ecs_release::TYPE_NAME => data_source_ecs_release::validate(&config),
            _ => crate::errors::unknown_type("data source", &type_name),
        }
    }

    async fn read_resource(&self, _ctx: Ctx, req: ReadResourceRequest) -> ReadResourceResponse {
        let clients = self.clients().await;
        resource_ecs_release::read(clients.as_deref(), req, self.config_writer(), &self.recent_imports).await
    }

    async fn plan_resource_change(&self, _ctx: Ctx, req: PlanResourceRequest) -> PlanResourceResponse {
        let clients = self.clients().await;
        resource_ecs_release::plan(clients.as_deref(), req).await
    }

    async fn apply_resource_change(&self, ctx: Ctx, req: ApplyResourceRequest) -> ApplyResourceResponse {
        let clients = self.clients().await;
        resource_ecs_release::apply(ctx, clients.as_deref(), req).await
    }

    async fn import_resource_state(&self, _ctx: Ctx, req: ImportResourceRequest) -> ImportResourceResponse {
        let clients = self.clients().await;
        resource_ecs_release::import(clients.as_deref(), req).await
    }

    async fn read_data_source(&self, _ctx: Ctx, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
        let clients = self.clients().await;
        data_source_ecs_release::read(clients.as_deref(), req).await
    }

    async fn validate_list_resource_config(&self, type_name: String, config: Value) -> Diagnostics {
        match type_name.as_str() {
            list_ecs_release::TYPE_NAME => list_ecs_release::validate(&config),
            _ => crate::errors::unknown_type("list resource", &type_name),
        }
    }

    async fn list_resource(&self, _ctx: Ctx, req: ListResourceRequest, sink: ListResourceSink) {
        if req.type_name != list_ecs_release::TYPE_NAME {
            let diagnostics = crate::errors::unknown_type("list resource", &req.type_name);
            sink.send(ListResourceEvent { diagnostics, ..Default::default() }).await;
            return;
        }
        let clients = self.clients().await;
        list_ecs_release::list(clients.as_deref(), req, sink).await
    }

    async fn generate_resource_config(
        &self,
        _ctx: Ctx,
        req: GenerateResourceConfigRequest,
    ) -> GenerateResourceConfigResponse {
        match req.type_name.as_str() {
            resource_ecs_release::TYPE_NAME => resource_ecs_release::generate_config(req, &self.recent_imports),
            _ => GenerateResourceConfigResponse {
                diagnostics: crate::errors::unknown_type("resource", &req.type_name),
                ..Default::default()
            },
        }
    }

    async fn validate_action_config(&self, type_name: String, config: Value) -> Diagnostics {
        action_ecs_release::validate(&type_name, &config)
    }

    async fn plan_action(&self, _ctx: Ctx, req: PlanActionRequest) -> PlanActionResponse {
        let clients = self.clients().await;
        action_ecs_release::plan(clients.as_deref(), req).await
    }

    async fn invoke_action(&self, ctx: Ctx, req: InvokeActionRequest, progress: ActionProgressSink) -> Diagnostics {
        let clients = self.clients().await;
        action_ecs_release::invoke(ctx, clients.as_deref(), req, progress).await
    }
}
