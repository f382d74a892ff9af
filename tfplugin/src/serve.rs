//! The plugin process: go-plugin handshake, listener, AutoMTLS, and the gRPC server.

use crate::hclog;
use crate::plugin_services::{Broker, Controller, Health, Shutdown, Stdio};
use crate::proto::{health, plugin, tfplugin6};
use crate::provider::Provider;
use crate::server::ProviderService;
use crate::tls::{self, AutoMtls};
use std::future::Future;
use std::io::{self, Write};
#[cfg(unix)]
use std::path::PathBuf;
use std::pin::Pin;
use std::process::ExitCode;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::TcpListener;
#[cfg(unix)]
use tokio::net::UnixListener;
use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;

/// go-plugin's handshake cookie for Terraform providers: proves Terraform started us.
pub const MAGIC_COOKIE_KEY: &str = "TF_PLUGIN_MAGIC_COOKIE";
pub const MAGIC_COOKIE_VALUE: &str = "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2";
const CORE_PROTOCOL_VERSION: u32 = 1;
const APP_PROTOCOL_VERSION: u32 = 6;
/// Terraform sends whole plans and states in one message.
const MAX_MESSAGE_BYTES: usize = 256 << 20;
/// How long open connections may drain after Shutdown before the plugin exits anyway.
const SHUTDOWN_DRAIN: Duration = Duration::from_secs(1);

/// Logged at WARN when Terraform passed no client certificate to pin.
pub const PLAINTEXT_WARNING: &str = "PLUGIN_CLIENT_CERT is not set, so this provider serves plaintext gRPC without \
     mutual TLS: any local process that can reach its socket can call it with the cloud credentials it holds, and the \
     plans and state it exchanges are unencrypted. Terraform always sets it; run the provider only from Terraform";

/// What the binary says about itself; tfplugin names the provider only from this.
#[derive(Clone, Copy, Debug)]
pub struct PluginInfo {
    /// Executable name, e.g. `terraform-provider-echo`: in messages, in the bug report
    /// an internal error asks for, and as the organization of the AutoMTLS certificate.
    pub name: &'static str,
    pub version: &'static str,
    /// Full registry address, `HOSTNAME/NAMESPACE/TYPE`, e.g.
    /// `registry.terraform.io/ns/echo`.
    pub address: &'static str,
}

impl PluginInfo {
    /// The provider's type name, the last segment of [`PluginInfo::address`] (`echo`):
    /// the hclog `@module` of its log lines.
    pub fn provider_type(&self) -> &'static str {
        self.address.rsplit('/').next().unwrap_or(self.address)
    }
}

/// Where the server listens.
pub enum Listener {
    Tcp(TcpListener),
    /// Unix only; go-plugin on Windows always uses TCP.
    #[cfg(unix)]
    Unix(UnixListener, PathBuf),
}

impl Listener {
    fn network_and_address(&self) -> io::Result<(&'static str, String)> {
        match self {
            Listener::Tcp(l) => Ok(("tcp", l.local_addr()?.to_string())),
            #[cfg(unix)]
            Listener::Unix(_, path) => Ok(("unix", path.display().to_string())),
        }
    }
}

/// The binary's `main`: parses flags, checks the handshake environment and serves.
pub fn main(info: PluginInfo, make_provider: impl FnOnce() -> Arc<dyn Provider>) -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let debug = match args.iter().map(String::as_str).collect::<Vec<_>>().as_slice() {
        [] => false,
        ["--debug"] => true,
        ["--version"] | ["-version"] | ["version"] => {
            println!("{} v{}", info.name, info.version);
            return ExitCode::SUCCESS;
        }
        ["--help"] | ["-h"] => {
            println!(
                "{} v{}: a Terraform provider plugin, started by Terraform.\n\
                 Flags: --version (print the version), --debug (serve for a debugger and print TF_REATTACH_PROVIDERS).",
                info.name, info.version
            );
            return ExitCode::SUCCESS;
        }
        other => {
            eprintln!("{}: unknown arguments {:?}; use --help to list the flags", info.name, other);
            return ExitCode::from(2);
        }
    };
    if !debug && std::env::var(MAGIC_COOKIE_KEY).ok().as_deref() != Some(MAGIC_COOKIE_VALUE) {
        eprintln!(
            "{} is a Terraform plugin: Terraform starts it (see its README); it is not meant to be run directly.",
            info.name
        );
        return ExitCode::from(1);
    }
    if !debug && let Err(msg) = negotiate_protocol(std::env::var("PLUGIN_PROTOCOL_VERSIONS").ok().as_deref()) {
        eprintln!("{}: {msg}", info.name);
        return ExitCode::from(1);
    }
    hclog::set_module(info.provider_type());
    hclog::set_level(if debug { hclog::Level::Debug.min(hclog::Level::from_env()) } else { hclog::Level::from_env() });
    install_panic_hook();

    let runtime = match tokio::runtime::Builder::new_multi_thread().worker_threads(2).enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("{}: cannot start the async runtime: {e}", info.name);
            return ExitCode::from(1);
        }
    };
    let result = runtime.block_on(async move {
        if debug { serve_debug(info, make_provider()).await } else { serve_for_terraform(info, make_provider()).await }
    });
    // Don't wait for stray tasks (e.g. a stuck AWS call) once the server is done.
    runtime.shutdown_timeout(Duration::from_millis(200));
    match result {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            hclog::error("plugin failed", &[("error", &e)]);
            eprintln!("{}: {e}", info.name);
            ExitCode::from(1)
        }
    }
}

/// Terraform lists the protocol versions it speaks; this provider speaks 6 only.
pub fn negotiate_protocol(offered: Option<&str>) -> Result<u32, String> {
    let Some(offered) = offered.filter(|s| !s.trim().is_empty()) else {
        // Hosts older than the version list assume the plugin's own version.
        return Ok(APP_PROTOCOL_VERSION);
    };
    if offered.split(',').any(|v| v.trim().parse::<u32>() == Ok(APP_PROTOCOL_VERSION)) {
        Ok(APP_PROTOCOL_VERSION)
    } else {
        Err(format!(
            "this provider speaks plugin protocol {APP_PROTOCOL_VERSION}, but Terraform offered {offered:?}; use Terraform 1.0 or later"
        ))
    }
}

fn install_panic_hook() {
    std::panic::set_hook(Box::new(|info| {
        let location = info.location().map(|l| l.to_string()).unwrap_or_default();
        let message = info
            .payload()
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| info.payload().downcast_ref::<String>().cloned())
            .unwrap_or_default();
        // Always emitted: a panic is worth seeing even when logging is off.
        let level = if hclog::enabled(hclog::Level::Error) { hclog::Level::Error } else { hclog::Level::Off };
        if level == hclog::Level::Off {
            hclog::set_level(hclog::Level::Error);
        }
        hclog::error("panic in provider", &[("panic", &message), ("location", &location)]);
    }));
}

/// The handshake line go-plugin reads from the plugin's stdout:
/// `CORE|APP|network|address|grpc|cert`.
fn handshake_line(network: &str, address: &str, cert: &str) -> String {
    format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|{network}|{address}|grpc|{cert}\n")
}

/// Binds the listener go-plugin expects: a unix socket in `PLUGIN_UNIX_SOCKET_DIR` when
/// Terraform asks for one (unix only), else TCP on loopback within
/// `PLUGIN_MIN_PORT..=PLUGIN_MAX_PORT` (always on Windows, as go-plugin's serverListener_tcp).
pub fn bind_from_env() -> io::Result<Listener> {
    #[cfg(unix)]
    if let Some(dir) = std::env::var_os("PLUGIN_UNIX_SOCKET_DIR").filter(|d| !d.is_empty()) {
        return bind_unix(PathBuf::from(dir));
    }
    let port = |k: &str| -> io::Result<u16> {
        match std::env::var(k) {
            Ok(v) if !v.is_empty() => v
                .trim()
                .parse()
                .map_err(|_| io::Error::new(io::ErrorKind::InvalidInput, format!("{k}={v:?} is not a port number"))),
            _ => Ok(0),
        }
    };
    bind_tcp_loopback(port("PLUGIN_MIN_PORT")?, port("PLUGIN_MAX_PORT")?).map(Listener::Tcp)
}

/// Binds TCP on 127.0.0.1 at the first free port in `min..=max` (`0..=0`: any port).
/// Compiled on every platform so it is tested on Linux; on Windows it is the only listener.
pub fn bind_tcp_loopback(min: u16, max: u16) -> io::Result<TcpListener> {
    if min > max {
        return Err(io::Error::new(
            io::ErrorKind::InvalidInput,
            format!("PLUGIN_MIN_PORT {min} is greater than PLUGIN_MAX_PORT {max}"),
        ));
    }
    let mut last = None;
    for p in min..=max {
        match std::net::TcpListener::bind(("127.0.0.1", p)) {
            Ok(l) => {
                l.set_nonblocking(true)?;
                return TcpListener::from_std(l);
            }
            Err(e) => last = Some(e),
        }
    }
    Err(last.unwrap_or_else(|| io::Error::other("no port to bind")))
}

#[cfg(unix)]
fn bind_unix(dir: PathBuf) -> io::Result<Listener> {
    let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).unwrap_or_default().subsec_nanos();
    let path = dir.join(format!("plugin{}-{nanos}", std::process::id()));
    let l = UnixListener::bind(&path)?;
    Ok(Listener::Unix(l, path))
}

async fn serve_for_terraform(info: PluginInfo, provider: Arc<dyn Provider>) -> Result<(), String> {
    let listener = bind_from_env().map_err(|e| format!("cannot listen: {e}"))?;
    let mtls = match std::env::var("PLUGIN_CLIENT_CERT") {
        Ok(pem) if !pem.trim().is_empty() => Some(tls::auto_mtls(&pem, info.name).map_err(|e| e.to_string())?),
        _ => {
            // Terraform always passes its client certificate (go-plugin AutoMTLS); without
            // one, nothing authenticates the caller and nothing encrypts the traffic.
            hclog::warn(PLAINTEXT_WARNING, &[("env", &"PLUGIN_CLIENT_CERT")]);
            None
        }
    };
    let (network, address) = listener.network_and_address().map_err(|e| e.to_string())?;
    let cert = mtls.as_ref().map(AutoMtls::announced_cert).unwrap_or_default();
    let line = handshake_line(network, &address, &cert);
    {
        let mut out = io::stdout().lock();
        out.write_all(line.as_bytes()).and_then(|_| out.flush()).map_err(|e| format!("writing the handshake: {e}"))?;
    }
    hclog::debug(
        "plugin serving",
        &[("version", &info.version), ("network", &network), ("address", &address), ("mtls", &mtls.is_some())],
    );
    let shutdown = Shutdown::new();
    tokio::spawn(ignore_interrupts(shutdown.clone()));
    serve(listener, mtls, info.name, provider, shutdown).await
}

/// Terraform forwards Ctrl-C to the whole process group and then calls StopProvider;
/// dying on SIGINT would abandon an apply halfway, so only SIGTERM ends the process.
#[cfg(unix)]
async fn ignore_interrupts(shutdown: Shutdown) {
    use tokio::signal::unix::{SignalKind, signal};
    let (Ok(mut int), Ok(mut term)) = (signal(SignalKind::interrupt()), signal(SignalKind::terminate())) else {
        return;
    };
    loop {
        tokio::select! {
            _ = int.recv() => hclog::debug("interrupt received; waiting for Terraform's StopProvider", &[]),
            _ = term.recv() => { shutdown.trigger(); return; }
        }
    }
}

/// Windows has no SIGINT/SIGTERM: go-plugin's client sends none, and Terraform's Ctrl-C
/// reaches the process through the console. Registering a Ctrl-C handler keeps the default
/// (exit) from abandoning an apply; Terraform then calls StopProvider and go-plugin's
/// Shutdown ends the plugin.
#[cfg(not(unix))]
async fn ignore_interrupts(_shutdown: Shutdown) {
    while tokio::signal::ctrl_c().await.is_ok() {
        hclog::debug("interrupt received; waiting for Terraform's StopProvider", &[]);
    }
}

async fn serve_debug(info: PluginInfo, provider: Arc<dyn Provider>) -> Result<(), String> {
    let listener = bind_from_env().map_err(|e| format!("cannot listen: {e}"))?;
    let (network, address) = listener.network_and_address().map_err(|e| e.to_string())?;
    let reattach = serde_json::json!({
        info.address: {
            "Protocol": "grpc",
            "ProtocolVersion": APP_PROTOCOL_VERSION,
            "Pid": std::process::id(),
            "Test": true,
            "Addr": { "Network": network, "String": address },
        }
    });
    println!(
        "{} v{} started in debug mode. To attach Terraform, set TF_REATTACH_PROVIDERS in the shell that runs it:\n\n\tTF_REATTACH_PROVIDERS='{reattach}'\n\nStop the provider with Ctrl-C.",
        info.name, info.version
    );
    let _ = io::stdout().flush();
    let shutdown = Shutdown::new();
    let on_interrupt = shutdown.clone();
    tokio::spawn(async move {
        let _ = tokio::signal::ctrl_c().await;
        on_interrupt.trigger();
    });
    serve(listener, None, info.name, provider, shutdown).await
}

/// Serves the provider on an already-bound listener until `shutdown` fires (tests bind
/// `127.0.0.1:0` and call this directly); `plugin_name` is [`PluginInfo::name`].
pub async fn serve_until(
    listener: Listener,
    mtls: Option<AutoMtls>,
    plugin_name: &'static str,
    provider: Arc<dyn Provider>,
    stop: impl Future<Output = ()> + Send + 'static,
) -> Result<(), String> {
    let shutdown = Shutdown::new();
    let trigger = shutdown.clone();
    tokio::spawn(async move {
        stop.await;
        trigger.trigger();
    });
    serve(listener, mtls, plugin_name, provider, shutdown).await
}

async fn serve(
    listener: Listener,
    mtls: Option<AutoMtls>,
    plugin_name: &'static str,
    provider: Arc<dyn Provider>,
    shutdown: Shutdown,
) -> Result<(), String> {
    #[cfg(unix)]
    let unix_path = match &listener {
        Listener::Unix(_, p) => Some(p.clone()),
        Listener::Tcp(_) => None,
    };
    let incoming = accept_loop(listener, mtls, shutdown.clone());
    let provider_service = tfplugin6::provider_server::ProviderServer::new(ProviderService::new(provider, plugin_name))
        .max_decoding_message_size(MAX_MESSAGE_BYTES)
        .max_encoding_message_size(MAX_MESSAGE_BYTES);
    let stopping = shutdown.clone();
    let server = tonic::transport::Server::builder()
        .add_service(provider_service)
        .add_service(plugin::grpc_controller_server::GrpcControllerServer::new(Controller(shutdown.clone())))
        .add_service(plugin::grpc_stdio_server::GrpcStdioServer::new(Stdio(shutdown.clone())))
        .add_service(plugin::grpc_broker_server::GrpcBrokerServer::new(Broker(shutdown.clone())))
        .add_service(health::health_server::HealthServer::new(Health))
        .serve_with_incoming_shutdown(incoming, async move { stopping.wait().await });
    // A graceful HTTP/2 shutdown waits for every peer to acknowledge it; a peer that never
    // answers (a frozen or half-closed client) would keep the plugin alive for ever, and
    // go-plugin kills a plugin that has not exited 2 s after Shutdown. So the drain is bounded.
    let drain_deadline = async {
        shutdown.wait().await;
        tokio::time::sleep(SHUTDOWN_DRAIN).await;
    };
    let result = tokio::select! {
        served = server => served.map_err(|e| format!("gRPC server: {e}")),
        () = drain_deadline => {
            hclog::debug("connections still open after shutdown; closing them", &[("waited_ms", &SHUTDOWN_DRAIN.as_millis())]);
            Ok(())
        }
    };
    #[cfg(unix)]
    if let Some(p) = unix_path {
        let _ = std::fs::remove_file(p);
    }
    hclog::debug("plugin stopped", &[]);
    result
}

/// Accepts connections and completes TLS on a task per connection, so one slow or
/// hostile peer cannot hold up the others. Connections failing mTLS are dropped.
fn accept_loop(listener: Listener, mtls: Option<AutoMtls>, shutdown: Shutdown) -> ReceiverStream<io::Result<Conn>> {
    let (tx, rx) = mpsc::channel::<io::Result<Conn>>(16);
    let acceptor = mtls.map(|m| tokio_rustls::TlsAcceptor::from(m.config));
    tokio::spawn(async move {
        loop {
            let accepted: io::Result<Box<dyn Io>> = tokio::select! {
                _ = shutdown.wait() => return,
                a = accept_one(&listener) => a,
            };
            let stream = match accepted {
                Ok(s) => s,
                Err(e) => {
                    hclog::warn("accept failed", &[("error", &e)]);
                    tokio::time::sleep(Duration::from_millis(50)).await;
                    continue;
                }
            };
            let tx = tx.clone();
            match &acceptor {
                None => {
                    let _ = tx.send(Ok(Conn(stream))).await;
                }
                Some(acceptor) => {
                    let acceptor = acceptor.clone();
                    tokio::spawn(async move {
                        match tokio::time::timeout(Duration::from_secs(10), acceptor.accept(stream)).await {
                            Ok(Ok(tls)) => {
                                let _ = tx.send(Ok(Conn(Box::new(tls)))).await;
                            }
                            Ok(Err(e)) => hclog::warn("refused a connection that failed mutual TLS", &[("error", &e)]),
                            Err(_) => {
                                hclog::warn("refused a connection that did not finish the TLS handshake in 10s", &[])
                            }
                        }
                    });
                }
            }
        }
    });
    ReceiverStream::new(rx)
}

async fn accept_one(listener: &Listener) -> io::Result<Box<dyn Io>> {
    match listener {
        Listener::Tcp(l) => {
            let (s, _) = l.accept().await?;
            let _ = s.set_nodelay(true);
            Ok(Box::new(s))
        }
        #[cfg(unix)]
        Listener::Unix(l, _) => Ok(Box::new(l.accept().await?.0)),
    }
}

trait Io: AsyncRead + AsyncWrite + Send + Unpin + 'static {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin + 'static> Io for T {}

/// One accepted connection (TCP or unix, plain or TLS), as tonic's server takes it.
pub struct Conn(Box<dyn Io>);

impl tonic::transport::server::Connected for Conn {
    type ConnectInfo = ();
    fn connect_info(&self) -> Self::ConnectInfo {}
}

impl AsyncRead for Conn {
    fn poll_read(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &mut ReadBuf<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Conn {
    fn poll_write(self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write(cx, buf)
    }
    fn poll_flush(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_flush(cx)
    }
    fn poll_shutdown(self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<io::Result<()>> {
        Pin::new(&mut *self.get_mut().0).poll_shutdown(cx)
    }
    fn poll_write_vectored(
        self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        bufs: &[io::IoSlice<'_>],
    ) -> Poll<io::Result<usize>> {
        Pin::new(&mut *self.get_mut().0).poll_write_vectored(cx, bufs)
    }
    fn is_write_vectored(&self) -> bool {
        self.0.is_write_vectored()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn protocol_6_is_chosen_when_offered() {
        assert_eq!(negotiate_protocol(Some("5,6")), Ok(6));
        assert_eq!(negotiate_protocol(Some("6")), Ok(6));
        assert_eq!(negotiate_protocol(None), Ok(6));
        let err = negotiate_protocol(Some("4,5")).unwrap_err();
        assert!(err.contains("protocol 6"), "{err}");
    }

    #[tokio::test]
    async fn tcp_loopback_binds_within_the_port_range_and_announces_tcp() {
        // Hold a port so the range's first port is taken and binding must move on.
        let held = std::net::TcpListener::bind(("127.0.0.1", 0)).unwrap();
        let first = held.local_addr().unwrap().port();
        let Some(max) = first.checked_add(20) else { return };
        let listener = Listener::Tcp(bind_tcp_loopback(first, max).unwrap());
        let (network, address) = listener.network_and_address().unwrap();
        assert_eq!(network, "tcp");
        let port: u16 = address.strip_prefix("127.0.0.1:").expect(&address).parse().unwrap();
        assert!(port > first && port <= max, "port {port} outside {}..={max}", first + 1);
        assert_eq!(
            handshake_line(network, &address, ""),
            format!("{CORE_PROTOCOL_VERSION}|{APP_PROTOCOL_VERSION}|tcp|127.0.0.1:{port}|grpc|\n")
        );
        assert!(handshake_line(network, &address, "").contains(&format!("|tcp|127.0.0.1:{port}|")));
    }

    #[test]
    fn provider_type_is_the_last_segment_of_the_address() {
        let info =
            PluginInfo { name: "terraform-provider-echo", version: "1.0.0", address: "registry.terraform.io/ns/echo" };
        assert_eq!(info.provider_type(), "echo");
    }

    #[test]
    fn tcp_loopback_rejects_an_inverted_range() {
        let err = bind_tcp_loopback(2, 1).unwrap_err();
        assert_eq!(err.kind(), io::ErrorKind::InvalidInput);
    }
}
