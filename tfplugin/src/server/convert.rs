//! Proto conversion, apart from the RPCs' logic: values and identities to and from
//! `DynamicValue` (decode failures become diagnostics), schemas and diagnostics to
//! their protobuf messages, and the list and action events.

use crate::codec::{decode_json, decode_msgpack, encode_msgpack};
use crate::diag::{AttrPath, Diagnostic, Diagnostics, PathStep, Severity};
use crate::proto::tfplugin6 as pb;
use crate::provider::ListResourceEvent;
use crate::schema::{self, ProviderSchemas};
use crate::value::{Type, Value};

pub(super) fn decode_dynamic(v: Option<&pb::DynamicValue>, ty: &Type, what: &str) -> Result<Value, Diagnostics> {
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
pub(super) fn stored_value(json: &[u8], ty: &Type, what: &str, type_name: &str) -> Result<Value, Diagnostics> {
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

pub(super) fn encode_dynamic(v: &Value, ty: &Type, what: &str, diags: &mut Diagnostics) -> Option<pb::DynamicValue> {
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

pub(super) fn decode_identity(
    data: Option<&pb::ResourceIdentityData>,
    ty: Option<&Type>,
) -> Result<Option<Value>, Diagnostics> {
    match (data.and_then(|d| d.identity_data.as_ref()), ty) {
        (Some(dv), Some(ty)) if !(dv.msgpack.is_empty() && dv.json.is_empty()) => {
            decode_dynamic(Some(dv), ty, "resource identity").map(Some)
        }
        _ => Ok(None),
    }
}

pub(super) fn encode_identity(
    v: &Option<Value>,
    ty: Option<&Type>,
    diags: &mut Diagnostics,
) -> Option<pb::ResourceIdentityData> {
    match (v, ty) {
        (Some(v), Some(ty)) => {
            Some(pb::ResourceIdentityData { identity_data: encode_dynamic(v, ty, "resource identity", diags) })
        }
        _ => None,
    }
}

pub(super) fn path_to_pb(p: &AttrPath) -> pb::AttributePath {
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

pub(super) fn block_to_pb(b: &schema::Block) -> pb::schema::Block {
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

pub(super) fn schema_to_pb(s: &schema::Schema) -> pb::Schema {
    pb::Schema { version: s.version, block: Some(block_to_pb(&s.block)) }
}

pub(super) fn capabilities(s: &ProviderSchemas) -> pb::ServerCapabilities {
    pb::ServerCapabilities {
        plan_destroy: false,
        get_provider_schema_optional: false,
        move_resource_state: false,
        generate_resource_config: s.generate_resource_config,
    }
}

pub(super) fn schema_response(s: &ProviderSchemas) -> pb::get_provider_schema::Response {
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

/// Encodes one list event: identity against the identity schema, the object against
/// the resource schema (only when Terraform asked for it).
pub(super) fn list_event_to_pb(
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

pub(super) fn progress_event(message: String) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Progress, Type as T};
    pb::invoke_action::Event { r#type: Some(T::Progress(Progress { message })) }
}

pub(super) fn completed_event(d: &Diagnostics) -> pb::invoke_action::Event {
    use pb::invoke_action::event::{Completed, Type as T};
    pb::invoke_action::Event { r#type: Some(T::Completed(Completed { diagnostics: diags_to_pb(d) })) }
}
