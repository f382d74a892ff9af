//! Protocol 6.10 (Terraform 1.14+): list resources, GenerateResourceConfig and actions,
//! driven through a real gRPC client against the server with a small fake provider.

use async_trait::async_trait;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tfplugin::codec::{decode_msgpack, encode_msgpack};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::provider::*;
use tfplugin::schema::{
    ActionSchema, Attribute, Block, IdentityAttribute, IdentitySchema, ProviderSchemas, ResourceSchema, Schema,
};
use tfplugin::serve::{Listener, serve_until};
use tfplugin::{Ctx, Diagnostics, Provider, Type, Value};
use tokio_stream::StreamExt;

type Client = pb::provider_client::ProviderClient<tonic::transport::Channel>;

fn thing_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("a thing")
            .attribute(Attribute::required("name", Type::String, ""))
            .attribute(Attribute::computed("id", Type::String, "")),
    }
}

fn thing_identity() -> IdentitySchema {
    IdentitySchema {
        version: 0,
        attributes: vec![IdentityAttribute {
            name: "id".into(),
            ty: Type::String,
            description: String::new(),
            required_for_import: true,
            optional_for_import: false,
        }],
    }
}

fn list_schema() -> Schema {
    Schema { version: 0, block: Block::new("lists things").attribute(Attribute::optional("prefix", Type::String, "")) }
}

fn action_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("waits")
            .attribute(Attribute::required("message", Type::String, ""))
            .attribute(Attribute::optional("steps", Type::Number, "")),
    }
}

/// What the fake provider observed, for assertions.
#[derive(Default)]
struct Seen {
    list_requests: Vec<ListResourceRequest>,
    /// Per list call: results the provider sent successfully, and whether a send was refused.
    list_sent: Vec<(i64, bool)>,
    stopped_invokes: usize,
}

#[derive(Default)]
struct Fake {
    seen: Arc<Mutex<Seen>>,
}

#[async_trait]
impl Provider for Fake {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            resources: [(
                "test_thing".to_string(),
                ResourceSchema { schema: thing_schema(), identity: Some(thing_identity()) },
            )]
            .into(),
            list_resources: [("test_thing".to_string(), list_schema())].into(),
            actions: [("test_wait".to_string(), ActionSchema { schema: action_schema() })].into(),
            generate_resource_config: true,
            ..Default::default()
        }
    }

    async fn validate_list_resource_config(&self, type_name: String, config: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("prefix").as_str() == Some("bad") {
            d.error("Bad prefix", format!("{type_name}: prefix must not be \"bad\""));
        }
        d
    }

    async fn list_resource(&self, _ctx: Ctx, req: ListResourceRequest, sink: ListResourceSink) {
        self.seen.lock().unwrap().list_requests.push(req.clone());
        let prefix = req.config.get("prefix").as_str().unwrap_or("thing").to_string();
        // "greedy" and "endless" ignore the limit, to show the sink refuses results past
        // it or once Terraform stopped reading.
        let respect_limit = prefix != "greedy" && prefix != "endless";
        let count = if prefix == "endless" { 1_000_000 } else { 10 };
        if prefix == "panic" {
            panic!("listing exploded");
        }
        let mut warning = Diagnostics::new();
        warning.warning("Partial listing", "one page could not be read");
        sink.send(ListResourceEvent { diagnostics: warning, ..Default::default() }).await;
        let (mut sent, mut refused) = (0, false);
        for i in 0..count {
            if respect_limit && sent >= req.limit {
                break;
            }
            let id = format!("{prefix}-{i}");
            let event = ListResourceEvent {
                identity: Some(Value::object([("id", Value::from(id.as_str()))])),
                display_name: format!("Thing {id}"),
                resource_object: req
                    .include_resource
                    .then(|| Value::object([("name", Value::from(id.as_str())), ("id", Value::from(id.as_str()))])),
                diagnostics: Diagnostics::new(),
            };
            if !sink.send(event).await {
                refused = true;
                break;
            }
            sent += 1;
        }
        self.seen.lock().unwrap().list_sent.push((sent, refused));
    }

    async fn generate_resource_config(
        &self,
        _ctx: Ctx,
        req: GenerateResourceConfigRequest,
    ) -> GenerateResourceConfigResponse {
        let mut config = req.state;
        if let Some(attrs) = config.as_object_mut() {
            attrs.insert("id".into(), Value::Null);
        }
        GenerateResourceConfigResponse { config, diagnostics: Diagnostics::new() }
    }

    async fn validate_action_config(&self, _type_name: String, config: Value) -> Diagnostics {
        let mut d = Diagnostics::new();
        if config.get("message").as_str() == Some("") {
            d.error("Empty message", "message must not be empty");
        }
        d
    }

    async fn plan_action(&self, _ctx: Ctx, req: PlanActionRequest) -> PlanActionResponse {
        let mut d = Diagnostics::new();
        if req.config.get("message").is_unknown() {
            d.warning("Message unknown", "known at apply");
        }
        PlanActionResponse { diagnostics: d }
    }

    async fn invoke_action(&self, ctx: Ctx, req: InvokeActionRequest, progress: ActionProgressSink) -> Diagnostics {
        let message = req.config.get("message").as_str().unwrap_or_default().to_string();
        let steps = req.config.get("steps").as_i64().unwrap_or(1);
        let mut d = Diagnostics::new();
        if steps == -2 {
            // Reports as fast as it is read, until Terraform says stop.
            for i in 1..=40 {
                progress.progress(format!("line {i}")).await;
            }
            ctx.stopped().await;
            d.error("Interrupted", "after 40 lines");
            return d;
        }
        if steps < 0 {
            // Waits until Terraform says stop.
            progress.progress("waiting").await;
            tokio::select! {
                _ = ctx.stopped() => {
                    self.seen.lock().unwrap().stopped_invokes += 1;
                    d.error("Interrupted", "stopped while waiting");
                }
                _ = tokio::time::sleep(Duration::from_secs(30)) => d.error("Not interrupted", "slept 30s"),
            }
            return d;
        }
        for i in 1..=steps {
            progress.progress(format!("{message}: step {i}/{steps}")).await;
        }
        d.warning("Done", format!("{steps} steps"));
        d
    }
}

/// The same schemas without anything from protocol 6.10, as older providers declare.
struct Plain;

#[async_trait]
impl Provider for Plain {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            resources: [("test_thing".to_string(), ResourceSchema { schema: thing_schema(), identity: None })].into(),
            ..Default::default()
        }
    }
}

async fn client_for(p: Arc<dyn Provider>) -> (Client, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_until(Listener::Tcp(listener), None, "terraform-provider-test", p, async move {
        let _ = rx.await;
    }));
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    (pb::provider_client::ProviderClient::new(ch), tx)
}

/// A client whose HTTP/2 receive window holds about two small messages, as a reader
/// that is slow to take events leaves the provider's events waiting on the server.
async fn slow_reading_client_for(p: Arc<dyn Provider>) -> (Client, tokio::sync::oneshot::Sender<()>) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_until(Listener::Tcp(listener), None, "terraform-provider-test", p, async move {
        let _ = rx.await;
    }));
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}"))
        .unwrap()
        .initial_stream_window_size(Some(64))
        .connect()
        .await
        .unwrap();
    (pb::provider_client::ProviderClient::new(ch), tx)
}

fn dv(v: &Value, ty: &Type) -> Option<pb::DynamicValue> {
    Some(pb::DynamicValue { msgpack: encode_msgpack(v, ty).unwrap(), json: vec![] })
}

fn list_config(prefix: Option<&str>) -> Option<pb::DynamicValue> {
    dv(&Value::object([("prefix", Value::opt_string(prefix))]), &list_schema().block.value_type())
}

fn action_config(message: Value, steps: i64) -> Option<pb::DynamicValue> {
    dv(&Value::object([("message", message), ("steps", Value::from(steps))]), &action_schema().block.value_type())
}

async fn list(c: &mut Client, req: pb::list_resource::Request) -> Vec<pb::list_resource::Event> {
    let stream = c.list_resource(req).await.unwrap().into_inner();
    tokio::time::timeout(Duration::from_secs(5), stream.map(|e| e.unwrap()).collect::<Vec<_>>())
        .await
        .expect("the stream ends")
}

fn identity_id(e: &pb::list_resource::Event) -> String {
    let data = e.identity.as_ref().unwrap().identity_data.as_ref().unwrap();
    decode_msgpack(&data.msgpack, &thing_identity().value_type()).unwrap().get("id").as_str().unwrap().to_string()
}

#[tokio::test]
async fn schemas_and_capability_appear_in_get_provider_schema_and_metadata() {
    let (mut c, _stop) = client_for(Arc::new(Fake::default())).await;
    let s = c.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(s.diagnostics.is_empty());
    assert!(s.server_capabilities.unwrap().generate_resource_config);
    let list = s.list_resource_schemas["test_thing"].block.as_ref().unwrap();
    assert_eq!(list.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["prefix"]);
    let action = s.action_schemas["test_wait"].schema.as_ref().unwrap().block.as_ref().unwrap();
    assert_eq!(action.attributes.iter().map(|a| a.name.as_str()).collect::<Vec<_>>(), ["message", "steps"]);
    assert!(action.attributes[0].required);
    assert!(s.resource_schemas.contains_key("test_thing"));

    let m = c.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    assert_eq!(m.list_resources[0].type_name, "test_thing");
    assert_eq!(m.actions[0].type_name, "test_wait");
    assert!(m.server_capabilities.unwrap().generate_resource_config);
}

#[tokio::test]
async fn a_provider_without_them_declares_nothing_new() {
    let (mut c, _stop) = client_for(Arc::new(Plain)).await;
    let s = c.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(s.list_resource_schemas.is_empty() && s.action_schemas.is_empty());
    assert!(!s.server_capabilities.unwrap().generate_resource_config);
    assert!(s.resource_schemas.contains_key("test_thing"));
    let m = c.get_metadata(pb::get_metadata::Request {}).await.unwrap().into_inner();
    assert!(m.list_resources.is_empty() && m.actions.is_empty());

    // Undeclared types answer with an error diagnostic, never a failed RPC.
    let events =
        list(&mut c, pb::list_resource::Request { type_name: "test_thing".into(), ..Default::default() }).await;
    assert_eq!(events.len(), 1);
    assert_eq!(events[0].diagnostic[0].severity, pb::diagnostic::Severity::Error as i32);
    assert!(events[0].identity.is_none());
    let out = c
        .invoke_action(pb::invoke_action::Request { action_type: "test_wait".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap())
        .collect::<Vec<_>>()
        .await;
    let [pb::invoke_action::Event { r#type: Some(pb::invoke_action::event::Type::Completed(done)) }] = &out[..] else {
        panic!("one Completed event expected: {out:?}")
    };
    assert!(done.diagnostics[0].summary.contains("Unsupported action"), "{:?}", done.diagnostics);
    let plan = c
        .plan_action(pb::plan_action::Request { action_type: "test_wait".into(), ..Default::default() })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.diagnostics[0].severity, pb::diagnostic::Severity::Error as i32);
}

#[tokio::test]
async fn list_streams_a_warning_then_results_up_to_the_limit() {
    let fake = Fake::default();
    let seen = fake.seen.clone();
    let (mut c, _stop) = client_for(Arc::new(fake)).await;
    let req = pb::list_resource::Request {
        type_name: "test_thing".into(),
        config: list_config(Some("svc")),
        include_resource_object: true,
        limit: 3,
    };
    let events = list(&mut c, req).await;
    assert_eq!(events.len(), 4, "{events:?}");
    // The warning-only event carries no identity: Terraform skips it as a result.
    assert!(events[0].identity.is_none());
    assert_eq!(events[0].diagnostic.len(), 1);
    assert_eq!(events[0].diagnostic[0].severity, pb::diagnostic::Severity::Warning as i32);
    assert_eq!(events[0].diagnostic[0].summary, "Partial listing");
    for (i, e) in events[1..].iter().enumerate() {
        assert_eq!(identity_id(e), format!("svc-{i}"));
        assert_eq!(e.display_name, format!("Thing svc-{i}"));
        assert!(e.diagnostic.is_empty());
        let obj =
            decode_msgpack(&e.resource_object.as_ref().unwrap().msgpack, &thing_schema().block.value_type()).unwrap();
        assert_eq!(obj.get("name").as_str(), Some(format!("svc-{i}").as_str()));
    }
    let seen = seen.lock().unwrap();
    let r = &seen.list_requests[0];
    assert_eq!((r.type_name.as_str(), r.include_resource, r.limit), ("test_thing", true, 3));
    assert_eq!(r.config.get("prefix").as_str(), Some("svc"));
    assert_eq!(seen.list_sent[0], (3, false), "the provider stopped at the limit by itself");
}

#[tokio::test]
async fn list_without_resource_objects_and_the_sink_refuses_results_past_the_limit() {
    let fake = Fake::default();
    let seen = fake.seen.clone();
    let (mut c, _stop) = client_for(Arc::new(fake)).await;
    let req = pb::list_resource::Request {
        type_name: "test_thing".into(),
        config: list_config(Some("greedy")),
        include_resource_object: false,
        limit: 2,
    };
    let events = list(&mut c, req).await;
    let results: Vec<_> = events.iter().filter(|e| e.identity.is_some()).collect();
    assert_eq!(results.len(), 2, "{events:?}");
    assert!(results.iter().all(|e| e.resource_object.is_none()));
    assert_eq!(seen.lock().unwrap().list_sent[0], (2, true), "the third send was refused");

    // A null config (no `config` block) arrives as null; the provider picks its default.
    let req = pb::list_resource::Request {
        type_name: "test_thing".into(),
        config: dv(&Value::Null, &list_schema().block.value_type()),
        include_resource_object: false,
        limit: 1,
    };
    let events = list(&mut c, req).await;
    assert_eq!(identity_id(&events[1]), "thing-0");
}

#[tokio::test]
async fn the_sink_reports_when_terraform_stops_reading_and_a_panic_becomes_an_error_event() {
    let fake = Fake::default();
    let seen = fake.seen.clone();
    let (mut c, _stop) = client_for(Arc::new(fake)).await;
    let req = pb::list_resource::Request {
        type_name: "test_thing".into(),
        config: list_config(Some("endless")),
        include_resource_object: true,
        limit: 0,
    };
    let mut stream = c.list_resource(req).await.unwrap().into_inner();
    for _ in 0..3 {
        stream.next().await.unwrap().unwrap();
    }
    drop(stream);
    let refused = tokio::time::timeout(Duration::from_secs(10), async {
        loop {
            if let Some(r) = seen.lock().unwrap().list_sent.first() {
                return *r;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
    })
    .await
    .expect("the provider noticed that Terraform stopped reading");
    assert!(refused.1 && refused.0 < 1_000_000, "{refused:?}");

    let req = pb::list_resource::Request {
        type_name: "test_thing".into(),
        config: list_config(Some("panic")),
        include_resource_object: false,
        limit: 5,
    };
    let events = list(&mut c, req).await;
    assert_eq!(events.len(), 1, "{events:?}");
    assert!(events[0].diagnostic[0].detail.contains("listing exploded"), "{:?}", events[0].diagnostic);
}

#[tokio::test]
async fn validate_list_and_action_configs_reach_the_provider_decoded() {
    let (mut c, _stop) = client_for(Arc::new(Fake::default())).await;
    let ok = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "test_thing".into(),
            config: list_config(Some("fine")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(ok.diagnostics.is_empty());
    let bad = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "test_thing".into(),
            config: list_config(Some("bad")),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(bad.diagnostics[0].summary, "Bad prefix");
    let unknown = c
        .validate_list_resource_config(pb::validate_list_resource_config::Request {
            type_name: "nope".into(),
            config: list_config(None),
            ..Default::default()
        })
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.diagnostics[0].summary.contains("Unsupported list resource"), "{:?}", unknown.diagnostics);

    let empty = c
        .validate_action_config(pb::validate_action_config::Request {
            type_name: "test_wait".into(),
            config: action_config(Value::from(""), 1),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(empty.diagnostics[0].summary, "Empty message");
    let plan = c
        .plan_action(pb::plan_action::Request {
            action_type: "test_wait".into(),
            config: action_config(Value::Unknown, 1),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(plan.diagnostics.len(), 1);
    assert_eq!(plan.diagnostics[0].summary, "Message unknown");
    assert!(plan.deferred.is_none());
}

#[tokio::test]
async fn invoke_streams_progress_then_completed_with_the_diagnostics() {
    let (mut c, _stop) = client_for(Arc::new(Fake::default())).await;
    let events = c
        .invoke_action(pb::invoke_action::Request {
            action_type: "test_wait".into(),
            config: action_config(Value::from("deploy"), 3),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner()
        .map(|e| e.unwrap().r#type.unwrap())
        .collect::<Vec<_>>()
        .await;
    use pb::invoke_action::event::Type;
    let progress: Vec<_> = events
        .iter()
        .filter_map(|e| match e {
            Type::Progress(p) => Some(p.message.as_str()),
            _ => None,
        })
        .collect();
    assert_eq!(progress, ["deploy: step 1/3", "deploy: step 2/3", "deploy: step 3/3"]);
    assert_eq!(events.len(), 4);
    let Type::Completed(done) = &events[3] else { panic!("Completed comes last: {events:?}") };
    assert_eq!(done.diagnostics.len(), 1);
    assert_eq!(done.diagnostics[0].severity, pb::diagnostic::Severity::Warning as i32);
    assert_eq!(done.diagnostics[0].detail, "3 steps");
}

#[tokio::test]
async fn stop_provider_during_invoke_reaches_the_action() {
    let fake = Fake::default();
    let seen = fake.seen.clone();
    let (mut c, _stop) = client_for(Arc::new(fake)).await;
    let mut stream = c
        .invoke_action(pb::invoke_action::Request {
            action_type: "test_wait".into(),
            config: action_config(Value::from("wait"), -1),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    use pb::invoke_action::event::Type;
    let first = stream.next().await.unwrap().unwrap().r#type.unwrap();
    assert!(matches!(&first, Type::Progress(p) if p.message == "waiting"), "{first:?}");
    c.stop_provider(pb::stop_provider::Request {}).await.unwrap();
    let done = tokio::time::timeout(Duration::from_secs(5), stream.next())
        .await
        .expect("stopped promptly")
        .unwrap()
        .unwrap()
        .r#type
        .unwrap();
    let Type::Completed(done) = done else { panic!("Completed expected: {done:?}") };
    assert_eq!(done.diagnostics[0].summary, "Interrupted");
    assert!(stream.next().await.is_none(), "the stream ends after Completed");
    assert_eq!(seen.lock().unwrap().stopped_invokes, 1);
}

#[tokio::test]
async fn no_queued_progress_goes_out_after_stop_provider_only_completed() {
    let (mut c, _stop) = slow_reading_client_for(Arc::new(Fake::default())).await;
    let mut stream = c
        .invoke_action(pb::invoke_action::Request {
            action_type: "test_wait".into(),
            config: action_config(Value::from("x"), -2),
            client_capabilities: None,
        })
        .await
        .unwrap()
        .into_inner();
    use pb::invoke_action::event::Type;
    let first = stream.next().await.unwrap().unwrap().r#type.unwrap();
    assert!(matches!(&first, Type::Progress(p) if p.message == "line 1"), "{first:?}");
    // Everything that can queue up behind a slow reader does, then Terraform stops.
    tokio::time::sleep(Duration::from_millis(300)).await;
    c.stop_provider(pb::stop_provider::Request {}).await.unwrap();
    let rest =
        tokio::time::timeout(Duration::from_secs(5), stream.map(|e| e.unwrap().r#type.unwrap()).collect::<Vec<_>>())
            .await
            .expect("the stream ends");
    let late: Vec<_> = rest.iter().filter(|e| matches!(e, Type::Progress(_))).collect();
    // Only what the 64-byte window had already let onto the wire (about four 15-byte
    // messages) and the one event in hand may still arrive; the 30-odd lines queued
    // behind them are dropped (without the drop, all 39 arrive).
    assert!(late.len() <= 8, "{} progress events after StopProvider: {late:?}", late.len());
    let Some(Type::Completed(done)) = rest.last() else { panic!("Completed comes last: {rest:?}") };
    assert_eq!(done.diagnostics[0].summary, "Interrupted");
}

#[tokio::test]
async fn generate_resource_config_round_trips_against_the_resource_schema() {
    let (mut c, _stop) = client_for(Arc::new(Fake::default())).await;
    let ty = thing_schema().block.value_type();
    let state = Value::object([("name", Value::from("web")), ("id", Value::from("r-1"))]);
    let out = c
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "test_thing".into(),
            state: dv(&state, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(out.diagnostics.is_empty(), "{:?}", out.diagnostics);
    let config = decode_msgpack(&out.config.unwrap().msgpack, &ty).unwrap();
    assert_eq!(config, Value::object([("name", Value::from("web")), ("id", Value::Null)]));

    let unknown = c
        .generate_resource_config(pb::generate_resource_config::Request {
            type_name: "nope".into(),
            state: dv(&state, &ty),
        })
        .await
        .unwrap()
        .into_inner();
    assert!(unknown.config.is_none());
    assert!(unknown.diagnostics[0].summary.contains("Unsupported resource"), "{:?}", unknown.diagnostics);
}
