//! go-plugin's side services: controller (shutdown), stdio and broker streams, and the
//! gRPC health check go-plugin uses as a ping.

use crate::hclog;
use crate::proto::{health, plugin};
use std::pin::Pin;
use tokio::sync::{mpsc, watch};
use tokio_stream::Stream;
use tokio_stream::wrappers::ReceiverStream;
use tonic::{Request, Response, Status, Streaming};

/// Resolves the server's shutdown: the controller flips it, long-lived streams watch it.
#[derive(Clone)]
pub(crate) struct Shutdown {
    tx: watch::Sender<bool>,
}

impl Shutdown {
    pub(crate) fn new() -> Shutdown {
        Shutdown { tx: watch::channel(false).0 }
    }
    pub(crate) fn trigger(&self) {
        self.tx.send_replace(true);
    }
    pub(crate) async fn wait(&self) {
        let mut rx = self.tx.subscribe();
        let _ = rx.wait_for(|down| *down).await;
    }
}

/// A stream that sends nothing and ends when the server shuts down, so graceful
/// shutdown is not held up by Terraform's long-lived stdio/broker streams.
fn quiet_stream<T: Send + 'static>(shutdown: &Shutdown) -> ReceiverStream<Result<T, Status>> {
    let (tx, rx) = mpsc::channel(1);
    let shutdown = shutdown.clone();
    tokio::spawn(async move {
        tokio::select! {
            _ = shutdown.wait() => {}
            _ = tx.closed() => {}
        }
        drop(tx);
    });
    ReceiverStream::new(rx)
}

pub(crate) struct Controller(pub(crate) Shutdown);

#[tonic::async_trait]
impl plugin::grpc_controller_server::GrpcController for Controller {
    async fn shutdown(&self, _: Request<plugin::Empty>) -> Result<Response<plugin::Empty>, Status> {
        hclog::debug("shutdown requested by Terraform", &[]);
        self.0.trigger();
        Ok(Response::new(plugin::Empty {}))
    }
}

pub(crate) struct Stdio(pub(crate) Shutdown);

#[tonic::async_trait]
impl plugin::grpc_stdio_server::GrpcStdio for Stdio {
    type StreamStdioStream = Pin<Box<dyn Stream<Item = Result<plugin::StdioData, Status>> + Send>>;

    async fn stream_stdio(&self, _: Request<plugin::Empty>) -> Result<Response<Self::StreamStdioStream>, Status> {
        Ok(Response::new(Box::pin(quiet_stream(&self.0))))
    }
}

pub(crate) struct Broker(pub(crate) Shutdown);

#[tonic::async_trait]
impl plugin::grpc_broker_server::GrpcBroker for Broker {
    type StartStreamStream = Pin<Box<dyn Stream<Item = Result<plugin::ConnInfo, Status>> + Send>>;

    async fn start_stream(
        &self,
        req: Request<Streaming<plugin::ConnInfo>>,
    ) -> Result<Response<Self::StartStreamStream>, Status> {
        // Drain what the host sends; a provider never brokers extra connections.
        let mut incoming = req.into_inner();
        tokio::spawn(async move { while let Ok(Some(_)) = incoming.message().await {} });
        Ok(Response::new(Box::pin(quiet_stream(&self.0))))
    }
}

pub(crate) struct Health;

#[tonic::async_trait]
impl health::health_server::Health for Health {
    async fn check(
        &self,
        _: Request<health::HealthCheckRequest>,
    ) -> Result<Response<health::HealthCheckResponse>, Status> {
        Ok(Response::new(health::HealthCheckResponse {
            status: health::health_check_response::ServingStatus::Serving as i32,
        }))
    }
}
