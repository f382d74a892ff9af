//! Streamed answers (ListResource, InvokeAction): forwarding what the provider sends to
//! the gRPC stream while its call runs, and the action stream that drops progress once
//! Terraform has asked the provider to stop.

use crate::proto::tfplugin6 as pb;
use crate::provider::Ctx;
use std::future::Future;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::Status;

/// Streamed answers: buffered a little so a provider is not paced by every round trip.
pub(super) const STREAM_BUFFER: usize = 8;

pub(super) type EventSender<E> = mpsc::Sender<Result<E, Status>>;

/// Runs `run` while forwarding what the provider sends on `rx` to the gRPC stream
/// `out` (mapped by `map`); returns `run`'s result once every message sent before it
/// returned was forwarded. Once Terraform stops reading, `rx` is dropped so the
/// provider's sink reports it.
pub(super) async fn pump<M, E, T>(
    run: impl Future<Output = T>,
    rx: mpsc::Receiver<M>,
    out: &EventSender<E>,
    mut map: impl FnMut(M) -> E,
) -> T {
    pump_some(run, rx, out, move |m| Some(map(m))).await
}

/// [`pump`], forwarding only the messages `map` turns into an event.
pub(super) async fn pump_some<M, E, T>(
    run: impl Future<Output = T>,
    rx: mpsc::Receiver<M>,
    out: &EventSender<E>,
    mut map: impl FnMut(M) -> Option<E>,
) -> T {
    let mut rx = Some(rx);
    tokio::pin!(run);
    let result = loop {
        tokio::select! {
            biased;
            m = async { rx.as_mut()?.recv().await }, if rx.is_some() => match m {
                Some(m) => {
                    if let Some(event) = map(m)
                        && out.send(Ok(event)).await.is_err()
                    {
                        rx = None;
                    }
                }
                None => rx = None,
            },
            r = &mut run => break r,
        }
    };
    if let Some(mut rx) = rx {
        while let Ok(m) = rx.try_recv() {
            if let Some(event) = map(m)
                && out.send(Ok(event)).await.is_err()
            {
                break;
            }
        }
    }
    result
}

/// An action's events as Terraform reads them. Once Terraform has asked the provider to
/// stop, progress events still waiting here are dropped and only `Completed` goes out:
/// Terraform 1.14 and 1.15 stop reading at the first progress event after Ctrl-C (a
/// hook halts) and panic on the event after it ("range function continued iteration").
/// Progress sent between Terraform's own stop and its `StopProvider` reaching the
/// provider cannot be taken back; this keeps that window to the RPC's latency.
pub(crate) struct ActionEvents {
    pub(super) rx: mpsc::Receiver<Result<pb::invoke_action::Event, Status>>,
    pub(super) stop: Ctx,
}

impl tokio_stream::Stream for ActionEvents {
    type Item = Result<pb::invoke_action::Event, Status>;

    fn poll_next(
        mut self: std::pin::Pin<&mut Self>,
        cx: &mut std::task::Context<'_>,
    ) -> std::task::Poll<Option<Self::Item>> {
        use pb::invoke_action::event::Type;
        loop {
            match self.rx.poll_recv(cx) {
                std::task::Poll::Ready(Some(Ok(pb::invoke_action::Event { r#type: Some(Type::Progress(_)) })))
                    if self.stop.is_stopped() => {}
                other => return other,
            }
        }
    }
}

/// A stream holding just `events`, for answers decided before calling the provider.
pub(super) fn ready_stream<E: Send + 'static>(events: Vec<E>) -> ReceiverStream<Result<E, Status>> {
    let (tx, rx) = mpsc::channel(events.len().max(1));
    for e in events {
        let _ = tx.try_send(Ok(e));
    }
    ReceiverStream::new(rx)
}
