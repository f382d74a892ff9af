//! The gRPC server with a small in-test provider, over a real loopback connection:
//! panics become diagnostics, StopProvider interrupts in-flight work, values round-trip.

use async_trait::async_trait;
use std::sync::Arc;
use std::time::Duration;
use tfplugin::codec::{decode_msgpack, encode_msgpack};
use tfplugin::proto::tfplugin6 as pb;
use tfplugin::provider::*;
use tfplugin::schema::{Attribute, Block, ProviderSchemas, ResourceSchema, Schema};
use tfplugin::serve::{Listener, serve_until};
use tfplugin::{Ctx, Diagnostics, Provider, Type, Value};

struct TestProvider;

fn thing_schema() -> Schema {
    Schema {
        version: 0,
        block: Block::new("a thing")
            .attribute(Attribute::required("name", Type::String, ""))
            .attribute(Attribute::computed("id", Type::String, "")),
    }
}

#[async_trait]
impl Provider for TestProvider {
    fn schemas(&self) -> ProviderSchemas {
        ProviderSchemas {
            provider: Schema::default(),
            resources: [("test_thing".to_string(), ResourceSchema { schema: thing_schema(), identity: None })].into(),
            data_sources: [("test_thing".to_string(), thing_schema())].into(),
            ..Default::default()
        }
    }

    async fn read_data_source(&self, _ctx: Ctx, req: ReadDataSourceRequest) -> ReadDataSourceResponse {
        let name = req.config.get("name").as_str().unwrap_or_default().to_string();
        if name == "boom" {
            panic!("the thing exploded");
        }
        ReadDataSourceResponse {
            state: Value::object([("name", Value::from(name.as_str())), ("id", Value::from(format!("id-{name}")))]),
            diagnostics: Diagnostics::new(),
        }
    }

    async fn read_resource(&self, ctx: Ctx, req: ReadResourceRequest) -> ReadResourceResponse {
        // Waits until Terraform says stop, then reports the interruption.
        tokio::select! {
            _ = ctx.stopped() => {}
            _ = tokio::time::sleep(Duration::from_secs(30)) => {}
        }
        let mut d = Diagnostics::new();
        d.error("Interrupted", "stopped");
        ReadResourceResponse { new_state: req.current_state, diagnostics: d, ..Default::default() }
    }
}

async fn client() -> (pb::provider_client::ProviderClient<tonic::transport::Channel>, tokio::sync::oneshot::Sender<()>)
{
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(serve_until(
        Listener::Tcp(listener),
        None,
        "terraform-provider-test",
        Arc::new(TestProvider),
        async move {
            let _ = rx.await;
        },
    ));
    let ch = tonic::transport::Endpoint::from_shared(format!("http://{addr}")).unwrap().connect().await.unwrap();
    (pb::provider_client::ProviderClient::new(ch), tx)
}

fn config(name: &str) -> pb::DynamicValue {
    let ty = thing_schema().block.value_type();
    let v = Value::object([("name", Value::from(name)), ("id", Value::Null)]);
    pb::DynamicValue { msgpack: encode_msgpack(&v, &ty).unwrap(), json: vec![] }
}

fn read_req(type_name: &str, config: pb::DynamicValue) -> pb::read_data_source::Request {
    pb::read_data_source::Request { type_name: type_name.into(), config: Some(config), ..Default::default() }
}

#[tokio::test]
async fn values_round_trip_and_a_panic_becomes_an_error_diagnostic() {
    let (mut c, _stop) = client().await;
    let ok = c.read_data_source(read_req("test_thing", config("a"))).await.unwrap().into_inner();
    assert!(ok.diagnostics.is_empty());
    let state = decode_msgpack(&ok.state.unwrap().msgpack, &thing_schema().block.value_type()).unwrap();
    assert_eq!(state.get("id").as_str(), Some("id-a"));

    let boom = c
        .read_data_source(read_req("test_thing", config("boom")))
        .await
        .expect("a panic must not fail the RPC")
        .into_inner();
    assert_eq!(boom.diagnostics.len(), 1);
    let d = &boom.diagnostics[0];
    assert_eq!(d.severity, pb::diagnostic::Severity::Error as i32);
    assert!(d.detail.contains("internal error in provider: the thing exploded"), "{}", d.detail);
    // The bug report names the plugin the provider said it is.
    assert!(d.detail.contains("This is a bug in terraform-provider-test;"), "{}", d.detail);

    // The server keeps serving after the panic.
    let again = c.read_data_source(read_req("test_thing", config("b"))).await.unwrap().into_inner();
    assert!(again.diagnostics.is_empty());
}

#[tokio::test]
async fn undecodable_values_and_unknown_types_are_diagnostics() {
    let (mut c, _stop) = client().await;
    let bad = pb::DynamicValue { msgpack: vec![0x81, 0xa4, b'n', b'o', b'p', b'e', 0xc0], json: vec![] };
    let out = c.read_data_source(read_req("test_thing", bad)).await.unwrap().into_inner();
    assert!(out.diagnostics[0].detail.contains("could not decode"), "{:?}", out.diagnostics);
    let out = c.read_data_source(read_req("nope", config("a"))).await.unwrap().into_inner();
    assert!(out.diagnostics[0].summary.contains("Unsupported"), "{:?}", out.diagnostics);
}

#[tokio::test]
async fn stop_provider_interrupts_in_flight_work_and_the_server_keeps_serving() {
    let (mut c, _stop) = client().await;
    let mut reader = c.clone();
    let ty = thing_schema().block.value_type();
    let state = Value::object([("name", Value::from("x")), ("id", Value::from("1"))]);
    let pending = tokio::spawn(async move {
        reader
            .read_resource(pb::read_resource::Request {
                type_name: "test_thing".into(),
                current_state: Some(pb::DynamicValue { msgpack: encode_msgpack(&state, &ty).unwrap(), json: vec![] }),
                ..Default::default()
            })
            .await
    });
    tokio::time::sleep(Duration::from_millis(200)).await;
    c.stop_provider(pb::stop_provider::Request {}).await.unwrap();
    let out = tokio::time::timeout(Duration::from_secs(5), pending)
        .await
        .expect("stopped promptly")
        .unwrap()
        .unwrap()
        .into_inner();
    assert_eq!(out.diagnostics[0].summary, "Interrupted");
    // New requests are served normally.
    let ok = c.get_provider_schema(pb::get_provider_schema::Request {}).await.unwrap().into_inner();
    assert!(ok.resource_schemas.contains_key("test_thing"));
}
