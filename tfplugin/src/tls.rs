//! go-plugin AutoMTLS: a fresh server certificate per process, and a client
//! certificate that must be exactly the one Terraform handed us in `PLUGIN_CLIENT_CERT`.

use base64::Engine as _;
use rustls::client::danger::HandshakeSignatureValid;
use rustls::crypto::{CryptoProvider, WebPkiSupportedAlgorithms};
use rustls::pki_types::{CertificateDer, PrivateKeyDer, PrivatePkcs8KeyDer, UnixTime};
use rustls::server::danger::{ClientCertVerified, ClientCertVerifier};
use rustls::{DigitallySignedStruct, DistinguishedName, SignatureScheme};
use std::sync::Arc;

#[derive(Debug)]
pub struct TlsError(pub String);

impl std::fmt::Display for TlsError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}
impl std::error::Error for TlsError {}

/// The server half of AutoMTLS: the TLS config to accept connections with, and the
/// certificate to announce (base64, unpadded, DER) in the handshake line.
pub struct AutoMtls {
    pub config: Arc<rustls::ServerConfig>,
    pub server_cert_der: Vec<u8>,
}

impl AutoMtls {
    /// The handshake line's certificate field: go-plugin decodes it with
    /// `base64.RawStdEncoding`, so no padding.
    pub fn announced_cert(&self) -> String {
        base64::engine::general_purpose::STANDARD_NO_PAD.encode(&self.server_cert_der)
    }
}

fn provider() -> Arc<CryptoProvider> {
    Arc::new(rustls::crypto::aws_lc_rs::default_provider())
}

/// Builds the AutoMTLS server config from the client certificate PEM Terraform sent;
/// the server certificate names `plugin_name` as its organization, as go-plugin's
/// certificates name theirs.
pub fn auto_mtls(client_cert_pem: &str, plugin_name: &str) -> Result<AutoMtls, TlsError> {
    let client_der = pem_certificate(client_cert_pem)
        .ok_or_else(|| TlsError("PLUGIN_CLIENT_CERT does not contain a PEM certificate".into()))?;
    let (server_cert_der, server_key) = server_certificate(plugin_name)?;
    let crypto = provider();
    let verifier = PinnedClientCert { expected: client_der, algorithms: crypto.signature_verification_algorithms };
    let mut config = rustls::ServerConfig::builder_with_provider(crypto)
        .with_protocol_versions(&[&rustls::version::TLS13, &rustls::version::TLS12])
        .map_err(|e| TlsError(format!("TLS versions: {e}")))?
        .with_client_cert_verifier(Arc::new(verifier))
        .with_single_cert(vec![CertificateDer::from(server_cert_der.clone())], server_key)
        .map_err(|e| TlsError(format!("server certificate: {e}")))?;
    // gRPC clients (grpc-go ≥ 1.67) insist on negotiating HTTP/2 through ALPN.
    config.alpn_protocols = vec![b"h2".to_vec()];
    Ok(AutoMtls { config: Arc::new(config), server_cert_der })
}

/// A self-signed certificate for "localhost", shaped like go-plugin's own: Terraform
/// puts it in its root pool and verifies the server against it.
fn server_certificate(organization: &str) -> Result<(Vec<u8>, PrivateKeyDer<'static>), TlsError> {
    use rcgen::{BasicConstraints, CertificateParams, DnType, ExtendedKeyUsagePurpose, IsCa, KeyPair, KeyUsagePurpose};
    let err = |e: rcgen::Error| TlsError(format!("generating the server certificate: {e}"));
    let key = KeyPair::generate_for(&rcgen::PKCS_ECDSA_P256_SHA256).map_err(err)?;
    let mut params = CertificateParams::new(vec!["localhost".to_string()]).map_err(err)?;
    params.distinguished_name.push(DnType::CommonName, "localhost");
    params.distinguished_name.push(DnType::OrganizationName, organization);
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params.key_usages = vec![
        KeyUsagePurpose::DigitalSignature,
        KeyUsagePurpose::KeyEncipherment,
        KeyUsagePurpose::KeyAgreement,
        KeyUsagePurpose::KeyCertSign,
    ];
    params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ServerAuth, ExtendedKeyUsagePurpose::ClientAuth];
    let cert = params.self_signed(&key).map_err(err)?;
    let key_der = PrivateKeyDer::Pkcs8(PrivatePkcs8KeyDer::from(key.serialize_der()));
    Ok((cert.der().to_vec(), key_der))
}

/// The DER bytes of the first `CERTIFICATE` block of a PEM document.
pub fn pem_certificate(pem: &str) -> Option<Vec<u8>> {
    const BEGIN: &str = "-----BEGIN CERTIFICATE-----";
    const END: &str = "-----END CERTIFICATE-----";
    let start = pem.find(BEGIN)? + BEGIN.len();
    let len = pem.get(start..)?.find(END)?;
    let body: String = pem.get(start..start + len)?.chars().filter(|c| !c.is_whitespace()).collect();
    base64::engine::general_purpose::STANDARD.decode(body).ok().filter(|d| !d.is_empty())
}

/// Accepts exactly one client certificate, byte for byte, and checks the handshake
/// signature with it. go-plugin's client certificate is a self-signed CA, which
/// WebPKI path building rejects as an end entity; pinning is both simpler and stricter.
#[derive(Debug)]
struct PinnedClientCert {
    expected: Vec<u8>,
    algorithms: WebPkiSupportedAlgorithms,
}

impl ClientCertVerifier for PinnedClientCert {
    fn root_hint_subjects(&self) -> &[DistinguishedName] {
        &[]
    }

    fn verify_client_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _now: UnixTime,
    ) -> Result<ClientCertVerified, rustls::Error> {
        if end_entity.as_ref() == self.expected.as_slice() {
            Ok(ClientCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(rustls::CertificateError::ApplicationVerificationFailure))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(message, cert, dss, &self.algorithms)
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(message, cert, dss, &self.algorithms)
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.algorithms.supported_schemes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pem_parsing_extracts_der_and_rejects_garbage() {
        let der = vec![0x30, 0x82, 0x01, 0x02];
        let b64 = base64::engine::general_purpose::STANDARD.encode(&der);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        assert_eq!(pem_certificate(&pem), Some(der));
        assert_eq!(pem_certificate("not a pem"), None);
        assert_eq!(pem_certificate("-----BEGIN CERTIFICATE-----\n!!!\n-----END CERTIFICATE-----"), None);
        assert_eq!(pem_certificate("-----BEGIN CERTIFICATE-----"), None);
    }

    #[test]
    fn announced_certificate_is_unpadded_base64_of_a_localhost_cert() {
        let (client, _) = server_certificate("terraform-provider-test").unwrap();
        let b64 = base64::engine::general_purpose::STANDARD.encode(&client);
        let pem = format!("-----BEGIN CERTIFICATE-----\n{b64}\n-----END CERTIFICATE-----\n");
        let mtls = auto_mtls(&pem, "terraform-provider-test").unwrap();
        let announced = mtls.announced_cert();
        assert!(!announced.contains('='));
        let der = base64::engine::general_purpose::STANDARD_NO_PAD.decode(announced).unwrap();
        assert_eq!(der, mtls.server_cert_der);
        assert_eq!(mtls.config.alpn_protocols, vec![b"h2".to_vec()]);
    }
}
