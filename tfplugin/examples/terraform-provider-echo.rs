//! The smallest useful provider built on `tfplugin`: it stores what it is given and
//! makes no remote calls. The scale benchmark (tools/bench/bench_scale.py) uses it as the
//! floor for any external provider: what Terraform's plugin start-ups, per-instance
//! gRPC round trips and schema handling cost, with no provider work at all.
//!
//! - `echo_value` (`input`, computed `id`): the smallest possible resource.
//! - `echo_renamed` (`message`, computed `id`; identity `key`): schema version 1, whose
//!   version 0 called `message` `greeting` and the identity's `key` `name`. It exists
//!   to prove, with real Terraform, that a state and an identity stored at version 0
//!   are upgraded through `tfplugin`'s upgrade steps (acceptance-tests
//!   `provider_foundation`).
//! - `echo_twin`, when `ECHO_TWIN_SCHEMA` names the output of `terraform providers
//!   schema -json` and `ECHO_TWIN_RESOURCE` a resource type in it: a resource with
//!   exactly that schema and identity schema, so a provider's plan time can be compared
//!   with the same schema handled by a provider that does nothing. Its identity is
//!   copied from the state attributes of the same names.
//!
//! Build: `cargo build --release -p tfplugin --example terraform-provider-echo`.
#![forbid(unsafe_code)]

use async_trait::async_trait;
use serde_json::Value as Json;
use std::process::ExitCode;
use std::sync::Arc;
use tfplugin::provider::{
    ApplyResourceRequest, ApplyResourceResponse, PlanResourceRequest, PlanResourceResponse, ReadResourceRequest,
    ReadResourceResponse,
};
use tfplugin::schema::{
    Attribute, Block, IdentityAttribute, IdentitySchema, NestedBlock, Nesting, ProviderSchemas, ResourceSchema, Schema,
};
use tfplugin::upgrade::{Upgrade, rename};
use tfplugin::{Ctx, Provider, Type, Value};

struct Echo {
    twin: Option<ResourceSchema>,
}

#[async_trait]
impl Provider for Echo {
    fn schemas(&self) -> ProviderSchemas {
        let block = Block::new("Stores `input`; makes no remote calls.")
            .attribute(Attribute::computed("id", Type::String, "Set once on create."))
            .attribute(Attribute::optional("input", Type::String, "Any string."));
        let mut resources = std::collections::BTreeMap::new();
        resources
            .insert("echo_value".to_string(), ResourceSchema { schema: Schema { version: 0, block }, identity: None });
        let renamed = Block::new("Stores `message`; schema version 1 renamed version 0's `greeting`.")
            .attribute(Attribute::computed("id", Type::String, "Set once on create."))
            .attribute(Attribute::optional("message", Type::String, "Any string (`greeting` in version 0)."));
        let key = IdentityAttribute {
            name: "key".to_string(),
            ty: Type::String,
            description: "The `id` (`name` in identity version 0).".to_string(),
            required_for_import: true,
            optional_for_import: false,
        };
        resources.insert(
            "echo_renamed".to_string(),
            ResourceSchema {
                schema: Schema { version: 1, block: renamed },
                identity: Some(IdentitySchema { version: 1, attributes: vec![key] }),
            },
        );
        if let Some(twin) = &self.twin {
            resources.insert("echo_twin".to_string(), twin.clone());
        }
        ProviderSchemas { provider: Schema::default(), resources, ..Default::default() }
    }

    async fn read_resource(&self, _ctx: Ctx, req: ReadResourceRequest) -> ReadResourceResponse {
        let identity = self.identity_of(&req.type_name, &req.current_state);
        ReadResourceResponse { new_state: req.current_state, private: req.private, identity, ..Default::default() }
    }

    async fn plan_resource_change(&self, _ctx: Ctx, req: PlanResourceRequest) -> PlanResourceResponse {
        // Terraform's proposed state already carries prior values of unset computed
        // attributes; only a create leaves them to be known after apply.
        let mut planned = req.proposed_new_state;
        if req.prior_state.is_null()
            && let Some(attrs) = planned.as_object_mut()
        {
            for name in self.computed_attributes(&req.type_name) {
                if attrs.get(&name).is_some_and(Value::is_null) {
                    attrs.insert(name, Value::Unknown);
                }
            }
        }
        let planned_identity = req.prior_identity.or_else(|| self.identity_of(&req.type_name, &planned));
        PlanResourceResponse { planned_state: planned, planned_identity, ..Default::default() }
    }

    async fn apply_resource_change(&self, _ctx: Ctx, req: ApplyResourceRequest) -> ApplyResourceResponse {
        let mut state = req.planned_state;
        if let Some(attrs) = state.as_object_mut() {
            for value in attrs.values_mut().filter(|v| v.is_unknown()) {
                // `id` gets a value; an unknown may also become null, which any type allows.
                *value = Value::Null;
            }
            if attrs.get("id").is_some_and(Value::is_null) && req.type_name != "echo_twin" {
                attrs.insert("id".to_string(), Value::string("echo"));
            }
        }
        let identity = self.identity_of(&req.type_name, &state);
        ApplyResourceResponse { new_state: state, identity, ..Default::default() }
    }

    fn state_upgrades(&self, type_name: &str) -> Vec<Upgrade> {
        match type_name {
            "echo_renamed" => vec![Upgrade { from_version: 0, step: |o| Ok(rename(o, "greeting", "message")) }],
            _ => Vec::new(),
        }
    }

    fn identity_upgrades(&self, type_name: &str) -> Vec<Upgrade> {
        match type_name {
            "echo_renamed" => vec![Upgrade { from_version: 0, step: |o| Ok(rename(o, "name", "key")) }],
            _ => Vec::new(),
        }
    }
}

impl Echo {
    fn computed_attributes(&self, type_name: &str) -> Vec<String> {
        match (type_name, &self.twin) {
            ("echo_twin", Some(twin)) => {
                twin.schema.block.attributes.iter().filter(|a| a.computed).map(|a| a.name.clone()).collect()
            }
            _ => vec!["id".to_string()],
        }
    }

    /// The twin's identity: its identity attributes, taken from the state attributes of
    /// the same names.
    fn identity_of(&self, type_name: &str, state: &Value) -> Option<Value> {
        if type_name == "echo_renamed" {
            let id = state.get("id");
            return (!state.is_null())
                .then(|| Value::object([("key".to_string(), if id.is_unknown() { Value::Null } else { id.clone() })]));
        }
        let identity = self.twin.as_ref().filter(|_| type_name == "echo_twin")?.identity.as_ref()?;
        if state.is_null() {
            return None;
        }
        Some(Value::object(identity.attributes.iter().map(|a| {
            let v = state.get(&a.name);
            (a.name.clone(), if v.is_unknown() { Value::Null } else { v.clone() })
        })))
    }
}

/// The schema and identity schema of `resource` in `terraform providers schema -json` output.
fn twin_schema(json: &Json, resource: &str) -> Result<ResourceSchema, String> {
    let providers = json["provider_schemas"].as_object().ok_or("no provider_schemas in the schema JSON")?;
    let (provider, schema) = providers
        .values()
        .find_map(|p| Some((p, p["resource_schemas"].get(resource)?)))
        .ok_or_else(|| format!("no resource {resource:?} in the schema JSON"))?;
    let identity = match provider["resource_identity_schemas"].get(resource) {
        Some(id) => Some(identity_from_json(id)?),
        None => None,
    };
    Ok(ResourceSchema {
        schema: Schema { version: schema["version"].as_i64().unwrap_or(0), block: block_from_json(&schema["block"])? },
        identity,
    })
}

fn identity_from_json(json: &Json) -> Result<IdentitySchema, String> {
    let mut attributes = Vec::new();
    for (name, a) in json["attributes"].as_object().into_iter().flatten() {
        attributes.push(IdentityAttribute {
            name: name.clone(),
            ty: Type::from_json(&a["type"]).map_err(|e| format!("identity attribute {name}: {e}"))?,
            description: a["description"].as_str().unwrap_or("").to_string(),
            required_for_import: a["required_for_import"].as_bool().unwrap_or(false),
            optional_for_import: a["optional_for_import"].as_bool().unwrap_or(false),
        });
    }
    Ok(IdentitySchema { version: json["version"].as_i64().unwrap_or(0), attributes })
}

fn block_from_json(json: &Json) -> Result<Block, String> {
    let mut block = Block::new(json["description"].as_str().unwrap_or(""));
    for (name, a) in json["attributes"].as_object().into_iter().flatten() {
        let ty = Type::from_json(&a["type"]).map_err(|e| format!("attribute {name}: {e}"))?;
        let flag = |key: &str| a[key].as_bool().unwrap_or(false);
        block = block.attribute(Attribute {
            name: name.clone(),
            ty,
            description: a["description"].as_str().unwrap_or("").to_string(),
            required: flag("required"),
            optional: flag("optional"),
            computed: flag("computed"),
            sensitive: flag("sensitive"),
        });
    }
    for (name, b) in json["block_types"].as_object().into_iter().flatten() {
        let nesting = match b["nesting_mode"].as_str() {
            Some("single") => Nesting::Single,
            Some("list") => Nesting::List,
            Some("set") => Nesting::Set,
            Some("map") => Nesting::Map,
            Some("group") => Nesting::Group,
            other => return Err(format!("block {name}: unsupported nesting mode {other:?}")),
        };
        block = block.block(NestedBlock {
            name: name.clone(),
            block: block_from_json(&b["block"])?,
            nesting,
            min_items: b["min_items"].as_i64().unwrap_or(0),
            max_items: b["max_items"].as_i64().unwrap_or(0),
        });
    }
    Ok(block)
}

fn twin_from_env() -> Result<Option<ResourceSchema>, String> {
    let (Ok(path), Ok(resource)) = (std::env::var("ECHO_TWIN_SCHEMA"), std::env::var("ECHO_TWIN_RESOURCE")) else {
        return Ok(None);
    };
    let text = std::fs::read(&path).map_err(|e| format!("ECHO_TWIN_SCHEMA {path}: {e}"))?;
    let json: Json = serde_json::from_slice(&text).map_err(|e| format!("ECHO_TWIN_SCHEMA {path}: {e}"))?;
    twin_schema(&json, &resource).map(Some)
}

fn main() -> ExitCode {
    let twin = match twin_from_env() {
        Ok(twin) => twin,
        Err(e) => {
            eprintln!("terraform-provider-echo: {e}");
            return ExitCode::from(1);
        }
    };
    tfplugin::serve::main(
        tfplugin::serve::PluginInfo {
            name: "terraform-provider-echo",
            version: env!("CARGO_PKG_VERSION"),
            address: "registry.terraform.io/bluegreen-ecs/echo",
        },
        move || Arc::new(Echo { twin }),
    )
}
