//! An HTTPS endpoint on loopback whose certificate no trusted root vouches for (a self-signed one, as a machine in
//! the middle would present). It only counts TLS handshakes: a client that verifies gives up during the handshake,
//! so nothing is ever read from it.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};

#[derive(Debug)]
pub struct UntrustedEndpoint {
    /// `https://127.0.0.1:<port>`
    pub url: String,
    handshakes: Arc<AtomicUsize>,
}

impl UntrustedEndpoint {
    pub async fn start() -> UntrustedEndpoint {
        let fixtures = concat!(env!("CARGO_MANIFEST_DIR"), "/fixtures/untrusted-tls");
        let certs = CertificateDer::pem_file_iter(format!("{fixtures}/cert.pem"))
            .unwrap()
            .collect::<Result<Vec<_>, _>>()
            .unwrap();
        let key = PrivateKeyDer::from_pem_file(format!("{fixtures}/key.pem")).unwrap();
        let server = rustls::ServerConfig::builder_with_provider(Arc::new(
            rustls::crypto::aws_lc_rs::default_provider(),
        ))
        .with_safe_default_protocol_versions()
        .unwrap()
        .with_no_client_auth()
        .with_single_cert(certs, key)
        .unwrap();
        let acceptor = tokio_rustls::TlsAcceptor::from(Arc::new(server));
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let url = format!("https://{}", listener.local_addr().unwrap());
        let handshakes = Arc::new(AtomicUsize::new(0));
        let seen = handshakes.clone();
        tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                seen.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move { acceptor.accept(stream).await.map(|_| ()) });
            }
        });
        UntrustedEndpoint { url, handshakes }
    }

    /// Connections accepted so far (each one a handshake begun).
    pub fn handshakes(&self) -> usize {
        self.handshakes.load(Ordering::SeqCst)
    }
}
