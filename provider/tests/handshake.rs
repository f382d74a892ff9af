//! The binary started as Terraform starts it: go-plugin handshake, AutoMTLS with a
//! P-521 client certificate like go-plugin's, and refusal of any other client.

use base64::Engine as _;
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};
use tfplugin::proto::{plugin, tfplugin6};

const BIN: &str = env!("CARGO_BIN_EXE_terraform-provider-bluegreen");
const COOKIE: (&str, &str) =
    ("TF_PLUGIN_MAGIC_COOKIE", "d602bf8f470bc67ca7faa0386276bbdd4330efaf76d1a219cb4d6991ca9872b2");

/// A client certificate shaped like go-plugin's: self-signed ECDSA P-521 CA for localhost.
struct ClientCert {
    pem: String,
    der: Vec<u8>,
    key_der: Vec<u8>,
}

fn p521_client_cert() -> ClientCert {
    use rcgen::{BasicConstraints, CertificateParams, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P521_SHA512).unwrap();
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).unwrap();
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![KeyUsagePurpose::DigitalSignature, KeyUsagePurpose::KeyCertSign];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth, ExtendedKeyUsagePurpose::ServerAuth];
    let cert = params.self_signed(&key).unwrap();
    ClientCert { pem: cert.pem(), der: cert.der().to_vec(), key_der: key.serialize_der() }
}

struct Plugin {
    child: Child,
    network: String,
    address: String,
    server_cert: Vec<u8>,
}

impl Drop for Plugin {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_plugin(client_cert_pem: Option<&str>) -> Plugin {
    let mut cmd = Command::new(BIN);
    cmd.env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "5,6")
        .env_remove("PLUGIN_UNIX_SOCKET_DIR")
        .env_remove("PLUGIN_CLIENT_CERT")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some(pem) = client_cert_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.spawn().expect("start the provider binary");
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    let fields: Vec<&str> = line.trim_end().split('|').collect();
    assert_eq!(fields.len(), 6, "handshake line {line:?}");
    assert_eq!(&fields[..3], ["1", "6", "tcp"], "handshake line {line:?}");
    assert_eq!(fields[4], "grpc");
    assert!(fields[3].starts_with("127.0.0.1:"), "must listen on loopback only: {line:?}");
    let server_cert =
        base64::engine::general_purpose::STANDARD_NO_PAD.decode(fields[5]).expect("unpadded base64 certificate");
    Plugin { child, network: fields[2].into(), address: fields[3].into(), server_cert }
}

/// Trusts exactly the certificate the handshake line announced (as go-plugin does).
#[derive(Debug)]
struct AnnouncedCert(Vec<u8>);

impl ServerCertVerifier for AnnouncedCert {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _: &[CertificateDer<'_>],
        server_name: &ServerName<'_>,
        _: &[u8],
        _: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        assert_eq!(server_name.to_str(), "localhost");
        if end_entity.as_ref() == self.0.as_slice() {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::General("server presented a certificate other than the announced one".into()))
        }
    }
    fn verify_tls12_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(m, c, d, &algorithms())
    }
    fn verify_tls13_signature(
        &self,
        m: &[u8],
        c: &CertificateDer<'_>,
        d: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(m, c, d, &algorithms())
    }
    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        algorithms().supported_schemes()
    }
}

fn algorithms() -> rustls::crypto::WebPkiSupportedAlgorithms {
    rustls::crypto::aws_lc_rs::default_provider().signature_verification_algorithms
}

async fn connect(
    p: &Plugin,
    identity: Option<&ClientCert>,
) -> Result<tonic::transport::Channel, tonic::transport::Error> {
    let builder = rustls::ClientConfig::builder_with_provider(Arc::new(rustls::crypto::aws_lc_rs::default_provider()))
        .with_safe_default_protocol_versions()
        .unwrap()
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(AnnouncedCert(p.server_cert.clone())));
    let mut config = match identity {
        Some(c) => builder
            .with_client_auth_cert(
                vec![CertificateDer::from(c.der.clone())],
                PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(c.key_der.clone())),
            )
            .unwrap(),
        None => builder.with_no_client_auth(),
    };
    config.alpn_protocols = vec![b"h2".to_vec()];
    let connector = tokio_rustls::TlsConnector::from(Arc::new(config));
    let address = p.address.clone();
    tonic::transport::Endpoint::from_static("http://localhost")
        .connect_timeout(Duration::from_secs(5))
        .connect_with_connector(tower::service_fn(move |_| {
            let (connector, address) = (connector.clone(), address.clone());
            async move {
                let tcp = tokio::net::TcpStream::connect(address).await?;
                let tls = connector.connect(ServerName::try_from("localhost").unwrap(), tcp).await?;
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tls))
            }
        }))
        .await
}

async fn schema(ch: tonic::transport::Channel) -> Result<tfplugin6::get_provider_schema::Response, tonic::Status> {
    let mut client = tfplugin6::provider_client::ProviderClient::new(ch);
    Ok(client.get_provider_schema(tfplugin6::get_provider_schema::Request {}).await?.into_inner())
}

/// Polls without blocking the test's runtime, so the client's connection tasks keep
/// answering the server's graceful-shutdown frames as Terraform's client would.
async fn wait_exit(child: &mut Child, within: Duration) -> Option<std::process::ExitStatus> {
    let deadline = Instant::now() + within;
    while Instant::now() < deadline {
        if let Some(status) = child.try_wait().unwrap() {
            return Some(status);
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    None
}

#[tokio::test]
async fn terraform_style_client_with_p521_certificate_is_served_and_others_are_refused() {
    let cert = p521_client_cert();
    let mut plugin = start_plugin(Some(&cert.pem));
    assert_eq!(plugin.network, "tcp");

    let ch = connect(&plugin, Some(&cert)).await.expect("the certificate Terraform passed is accepted");
    let resp = schema(ch.clone()).await.expect("GetProviderSchema over mTLS");
    assert!(resp.resource_schemas.contains_key("bluegreen_ecs_release"));
    assert!(resp.data_source_schemas.contains_key("bluegreen_ecs_release"));

    // No client certificate: the server must refuse (TLS 1.3 reports it on first use).
    let refused = match connect(&plugin, None).await {
        Err(_) => true,
        Ok(ch) => schema(ch).await.is_err(),
    };
    assert!(refused, "a client without a certificate was served");

    // Another, equally valid-looking P-521 certificate: refused too.
    let stranger = p521_client_cert();
    let refused = match connect(&plugin, Some(&stranger)).await {
        Err(_) => true,
        Ok(ch) => schema(ch).await.is_err(),
    };
    assert!(refused, "a client with a different certificate was served");

    // The legitimate connection still works after the refusals, and Shutdown ends the process.
    let mut controller = plugin::grpc_controller_client::GrpcControllerClient::new(ch);
    controller.shutdown(plugin::Empty {}).await.expect("Shutdown");
    let status = wait_exit(&mut plugin.child, Duration::from_secs(10)).await.expect("plugin exits after Shutdown");
    assert!(status.success(), "exit status {status:?}");
}

#[tokio::test]
async fn a_client_that_stops_answering_does_not_keep_the_plugin_alive_after_shutdown() {
    use tokio::io::AsyncWriteExt as _;
    let mut plugin = start_plugin(None);
    // An HTTP/2 peer that sends its preface and then never reads again: it will never
    // acknowledge the server's GOAWAY/PING, so a drain without a bound would wait for ever.
    let mut frozen = tokio::net::TcpStream::connect(plugin.address.as_str()).await.unwrap();
    frozen.write_all(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n").await.unwrap();
    frozen.write_all(&[0, 0, 0, 4, 0, 0, 0, 0, 0]).await.unwrap(); // empty SETTINGS frame
    frozen.flush().await.unwrap();

    let ch =
        tonic::transport::Endpoint::from_shared(format!("http://{}", plugin.address)).unwrap().connect().await.unwrap();
    schema(ch.clone()).await.expect("the plugin serves while the frozen peer is connected");
    plugin::grpc_controller_client::GrpcControllerClient::new(ch).shutdown(plugin::Empty {}).await.expect("Shutdown");
    let shutdown_at = Instant::now();

    // go-plugin kills a plugin that has not exited 2 s after Shutdown; ours must exit itself.
    let status =
        wait_exit(&mut plugin.child, Duration::from_secs(10)).await.expect("plugin exits despite the frozen peer");
    let took = shutdown_at.elapsed();
    assert!(status.success(), "exit status {status:?}");
    assert!(took < Duration::from_secs(2), "exit took {took:?} after Shutdown; go-plugin kills a plugin after 2 s");
    drop(frozen);
}

#[tokio::test]
async fn without_client_certificate_env_the_plugin_serves_plain_grpc() {
    let plugin = start_plugin(None);
    assert!(plugin.server_cert.is_empty(), "no certificate is announced without AutoMTLS");
    let ch =
        tonic::transport::Endpoint::from_shared(format!("http://{}", plugin.address)).unwrap().connect().await.unwrap();
    let resp = schema(ch).await.unwrap();
    let provider = resp.provider.unwrap().block.unwrap();
    let names: Vec<&str> = provider.attributes.iter().map(|a| a.name.as_str()).collect();
    assert!(names.contains(&"region") && names.contains(&"max_retries"), "{names:?}");
}

/// The plugin's stderr (hclog JSON lines) from start-up to its handshake line, with `TF_LOG=WARN`.
fn startup_log(client_cert_pem: Option<&str>) -> Vec<serde_json::Value> {
    let mut cmd = Command::new(BIN);
    cmd.env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env("TF_LOG", "WARN")
        .env_remove("TF_LOG_PROVIDER")
        .env_remove("PLUGIN_UNIX_SOCKET_DIR")
        .env_remove("PLUGIN_CLIENT_CERT");
    if let Some(pem) = client_cert_pem {
        cmd.env("PLUGIN_CLIENT_CERT", pem);
    }
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::piped()).spawn().unwrap();
    // The warning is written before the handshake line, so it is on stderr once the line is read.
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    assert!(line.starts_with("1|6|"), "handshake line {line:?}");
    let _ = child.kill();
    let mut stderr = String::new();
    child.stderr.take().unwrap().read_to_string(&mut stderr).unwrap();
    let _ = child.wait();
    stderr
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not an hclog JSON line ({e}): {l:?}")))
        .collect()
}

#[test]
fn plaintext_without_client_certificate_is_a_warning_and_mtls_is_not() {
    let plaintext = startup_log(None);
    let warning = plaintext
        .iter()
        .find(|l| l["@message"].as_str().is_some_and(|m| m.contains("plaintext gRPC")))
        .unwrap_or_else(|| panic!("no plaintext warning in {plaintext:?}"));
    assert_eq!(warning["@level"], "warn", "{warning}");
    assert_eq!(warning["@module"], "bluegreen", "{warning}");
    let message = warning["@message"].as_str().unwrap();
    assert!(message.contains("PLUGIN_CLIENT_CERT") && message.contains("without mutual TLS"), "{message}");
    assert!(warning["@timestamp"].is_string(), "{warning}");

    let mtls = startup_log(Some(&p521_client_cert().pem));
    assert!(
        !mtls.iter().any(|l| l["@message"].as_str().is_some_and(|m| m.contains("plaintext"))),
        "warned although AutoMTLS is on: {mtls:?}"
    );
}

#[test]
fn without_the_magic_cookie_it_prints_one_human_line_and_exits_1() {
    let out = Command::new(BIN).env_remove(COOKIE.0).stdin(Stdio::null()).output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(out.stdout.is_empty());
    let stderr = String::from_utf8(out.stderr).unwrap();
    assert_eq!(stderr.lines().count(), 1, "{stderr:?}");
    assert!(stderr.contains("Terraform plugin"), "{stderr:?}");
    assert!(!stderr.contains("panicked") && !stderr.contains("backtrace"), "{stderr:?}");
}

#[test]
fn version_flag_prints_the_version() {
    let out = Command::new(BIN).arg("--version").output().unwrap();
    assert!(out.status.success());
    assert_eq!(
        String::from_utf8(out.stdout).unwrap().trim(),
        format!("terraform-provider-bluegreen v{}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn a_host_without_protocol_6_is_told_so() {
    let out = Command::new(BIN)
        .env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "4,5")
        .stdin(Stdio::null())
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stderr).contains("protocol 6"));
}

#[test]
fn debug_mode_prints_reattach_line() {
    let mut child = Command::new(BIN)
        .arg("--debug")
        .env_remove(COOKIE.0)
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut out = child.stdout.take().unwrap();
    let mut text = String::new();
    let mut buf = [0u8; 4096];
    let deadline = Instant::now() + Duration::from_secs(10);
    while !text.contains("TF_REATTACH_PROVIDERS='") || !text.contains("}}'") {
        assert!(Instant::now() < deadline, "no reattach line in {text:?}");
        let n = out.read(&mut buf).unwrap();
        assert!(n > 0, "stdout closed: {text:?}");
        text.push_str(&String::from_utf8_lossy(&buf[..n]));
    }
    let _ = child.kill();
    let _ = child.wait();
    let json = text.split("TF_REATTACH_PROVIDERS='").nth(1).unwrap().split('\'').next().unwrap();
    let v: serde_json::Value = serde_json::from_str(json).unwrap();
    let entry = &v["registry.terraform.io/bluegreen-ecs/bluegreen"];
    assert_eq!(entry["Protocol"], "grpc");
    assert_eq!(entry["ProtocolVersion"], 6);
    assert_eq!(entry["Pid"], child.id());
    assert!(entry["Addr"]["String"].as_str().unwrap().starts_with("127.0.0.1:"));
}

fn handshake_with(env: &[(&str, &str)]) -> (Child, Vec<String>) {
    let mut cmd = Command::new(BIN);
    cmd.env(COOKIE.0, COOKIE.1)
        .env("PLUGIN_PROTOCOL_VERSIONS", "6")
        .env_remove("PLUGIN_CLIENT_CERT")
        .env_remove("PLUGIN_UNIX_SOCKET_DIR");
    for (k, v) in env {
        cmd.env(k, v);
    }
    let mut child = cmd.stdin(Stdio::null()).stdout(Stdio::piped()).stderr(Stdio::null()).spawn().unwrap();
    let mut line = String::new();
    BufReader::new(child.stdout.take().unwrap()).read_line(&mut line).unwrap();
    (child, line.trim_end().split('|').map(str::to_string).collect())
}

#[test]
fn port_range_from_the_environment_is_honoured() {
    // A port that was free a moment ago.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port().to_string();
    let (mut child, fields) = handshake_with(&[("PLUGIN_MIN_PORT", &port), ("PLUGIN_MAX_PORT", &port)]);
    let _ = child.kill();
    let _ = child.wait();
    assert_eq!(fields[3], format!("127.0.0.1:{port}"));
}

#[tokio::test]
async fn unix_socket_in_the_directory_terraform_names() {
    let dir = std::env::temp_dir().join(format!("bluegreen-sock-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let (mut child, fields) = handshake_with(&[("PLUGIN_UNIX_SOCKET_DIR", dir.to_str().unwrap())]);
    assert_eq!(fields[2], "unix");
    let path = std::path::PathBuf::from(&fields[3]);
    assert_eq!(path.parent(), Some(dir.as_path()));
    let socket = path.clone();
    let ch = tonic::transport::Endpoint::from_static("http://localhost")
        .connect_with_connector(tower::service_fn(move |_| {
            let socket = socket.clone();
            async move {
                Ok::<_, std::io::Error>(hyper_util::rt::TokioIo::new(tokio::net::UnixStream::connect(socket).await?))
            }
        }))
        .await
        .unwrap();
    assert!(schema(ch).await.unwrap().resource_schemas.contains_key("bluegreen_ecs_release"));
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&dir);
}
