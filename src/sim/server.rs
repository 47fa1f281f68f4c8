//! The listener: plain HTTP or TLS with a self-made CA and a bearer token, HTTP/1.1 and
//! HTTP/2, every connection tracked so a fault can drop them all and come back on the same port.

use super::http::{ServerState, handle};
use anyhow::{Context, Result};
use axum::Router;
use hyper_util::rt::{TokioExecutor, TokioIo};
use hyper_util::server::conn::auto::Builder;
use hyper_util::service::TowerToHyperService;
use std::net::SocketAddr;
use std::sync::Arc;
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::task::JoinSet;
use tokio_rustls::TlsAcceptor;

/// The CA and serving certificate of a `--tls` simulator. Clients authenticate with the
/// bearer token, or with a client certificate signed by the CA (as an API server accepts
/// both); a presented certificate that is expired or signed by another CA fails the handshake.
pub struct TlsMaterial {
    pub ca_pem: String,
    pub acceptor: TlsAcceptor,
    pub ca: Arc<ClientCa>,
}

/// The simulator's CA, kept to issue client certificates (for tests and `--client-cert`).
pub struct ClientCa {
    issuer: rcgen::Issuer<'static, rcgen::KeyPair>,
}

impl ClientCa {
    /// A client certificate for `user` (its common name), valid between the two dates
    /// (year, month, day), and its key, both PEM.
    pub fn issue(
        &self,
        user: &str,
        not_before: (i32, u8, u8),
        not_after: (i32, u8, u8),
    ) -> Result<(String, String)> {
        use rcgen::{CertificateParams, DnType, ExtendedKeyUsagePurpose, KeyPair, date_time_ymd};
        let key = KeyPair::generate().context("generating a client key")?;
        let mut params = CertificateParams::new(Vec::<String>::new())?;
        params.distinguished_name.push(DnType::CommonName, user);
        params.extended_key_usages = vec![ExtendedKeyUsagePurpose::ClientAuth];
        params.not_before = date_time_ymd(not_before.0, not_before.1, not_before.2);
        params.not_after = date_time_ymd(not_after.0, not_after.1, not_after.2);
        let cert = params
            .signed_by(&key, &self.issuer)
            .context("signing the client certificate")?;
        Ok((cert.pem(), key.serialize_pem()))
    }
}

/// Who a connection authenticated as with its client certificate (its common name).
#[derive(Debug, Clone)]
pub struct ClientIdentity(pub Option<String>);

pub fn make_tls() -> Result<TlsMaterial> {
    use rcgen::{
        BasicConstraints, CertificateParams, DnType, IsCa, Issuer, KeyPair, KeyUsagePurpose,
    };
    let ca_key = KeyPair::generate().context("generating the CA key")?;
    let mut ca_params = CertificateParams::new(Vec::<String>::new())?;
    ca_params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    ca_params
        .distinguished_name
        .push(DnType::CommonName, "kx-sim-ca");
    ca_params.key_usages = vec![
        KeyUsagePurpose::KeyCertSign,
        KeyUsagePurpose::CrlSign,
        KeyUsagePurpose::DigitalSignature,
    ];
    let ca_cert = ca_params
        .self_signed(&ca_key)
        .context("self-signing the CA")?;
    let issuer = Issuer::new(ca_params, ca_key);

    let server_key = KeyPair::generate().context("generating the serving key")?;
    let mut params = CertificateParams::new(vec![
        "localhost".to_string(),
        "127.0.0.1".to_string(),
        "::1".to_string(),
    ])?;
    params.distinguished_name.push(DnType::CommonName, "kx-sim");
    let server_cert = params
        .signed_by(&server_key, &issuer)
        .context("signing the serving certificate")?;

    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let mut roots = rustls::RootCertStore::empty();
    roots
        .add(ca_cert.der().clone())
        .context("trusting the CA for client certificates")?;
    let clients = rustls::server::WebPkiClientVerifier::builder_with_provider(
        Arc::new(roots),
        provider.clone(),
    )
    .allow_unauthenticated()
    .build()
    .context("building the client certificate verifier")?;
    let mut config = rustls::ServerConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .with_client_cert_verifier(clients)
        .with_single_cert(
            vec![server_cert.der().clone()],
            rustls::pki_types::PrivateKeyDer::Pkcs8(server_key.serialize_der().into()),
        )?;
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(TlsMaterial {
        ca_pem: ca_cert.pem(),
        acceptor: TlsAcceptor::from(Arc::new(config)),
        ca: Arc::new(ClientCa { issuer }),
    })
}

/// The common name of a verified client certificate.
fn common_name(der: &[u8]) -> Option<String> {
    let (_, cert) = x509_parser::parse_x509_certificate(der).ok()?;
    cert.subject()
        .iter_common_name()
        .next()
        .and_then(|cn| cn.as_str().ok())
        .map(str::to_string)
}

/// Serves until `shutdown` turns true.
pub async fn serve(
    mut listener: TcpListener,
    addr: SocketAddr,
    state: Arc<ServerState>,
    tls: Option<TlsAcceptor>,
    mut shutdown: watch::Receiver<bool>,
) {
    let router = Router::new().fallback(handle).with_state(state.clone());
    let mut connections = JoinSet::new();
    loop {
        tokio::select! {
            accepted = listener.accept() => {
                let Ok((tcp, _)) = accepted else { continue };
                let _ = tcp.set_nodelay(true);
                let router = router.clone();
                let tls = tls.clone();
                connections.spawn(async move {
                    let builder = Builder::new(TokioExecutor::new());
                    match tls {
                        Some(acceptor) => {
                            let Ok(stream) = acceptor.accept(tcp).await else { return };
                            // The verifier has checked the certificate: its name is the user.
                            let identity = ClientIdentity(
                                stream
                                    .get_ref()
                                    .1
                                    .peer_certificates()
                                    .and_then(|certs| certs.first())
                                    .and_then(|c| common_name(c)),
                            );
                            let service = TowerToHyperService::new(
                                router.layer(axum::Extension(identity)),
                            );
                            let _ = builder.serve_connection_with_upgrades(TokioIo::new(stream), service).await;
                        }
                        None => {
                            let service = TowerToHyperService::new(router);
                            let _ = builder.serve_connection_with_upgrades(TokioIo::new(tcp), service).await;
                        }
                    }
                });
            }
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
            _ = state.cluster.faults.drop_connections.notified() => {
                // Close the port and every open connection, then listen again on the same address.
                drop(listener);
                connections.abort_all();
                let down = state.cluster.faults.take_outage().max(Duration::from_millis(300));
                tokio::time::sleep(down).await;
                listener = loop {
                    match TcpListener::bind(addr).await {
                        Ok(l) => break l,
                        Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
                    }
                };
            }
            _ = shutdown.changed() => {
                connections.abort_all();
                return;
            }
        }
    }
}
