//! The TLS configuration of the Okta client: Mozilla's roots, as trust anchors extracted at build time
//! (`shared/build.rs`), so that no cold start parses ~150 certificates to get them.
//!
//! Otherwise what reqwest builds from `tls_certs_only` with its rustls backend: AWS-LC's provider (the one rustls
//! links here), TLS 1.2 and 1.3, SNI, webpki's verification of the chain and the name, no client certificate, and
//! HTTP/1.1 offered by ALPN (the client speaks nothing else).

use std::sync::Arc;

use rustls::{ClientConfig, RootCertStore};

mod anchors {
    include!(concat!(env!("OUT_DIR"), "/mozilla_trust_anchors.rs"));
}

/// Mozilla's roots as rustls trust anchors: the same set as `webpki_root_certs::TLS_SERVER_ROOT_CERTS`.
pub fn mozilla_roots() -> RootCertStore {
    RootCertStore {
        roots: anchors::MOZILLA_TRUST_ANCHORS.to_vec(),
    }
}

/// The configuration reqwest is handed (`ClientBuilder::tls_backend_preconfigured`).
pub fn okta_tls_config() -> Result<ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::aws_lc_rs::default_provider());
    let mut config = ClientConfig::builder_with_provider(provider)
        .with_protocol_versions(rustls::ALL_VERSIONS)?
        .with_root_certificates(mozilla_roots())
        .with_no_client_auth();
    config.alpn_protocols = vec![b"http/1.1".to_vec()];
    Ok(config)
}

#[cfg(test)]
#[allow(clippy::expect_used)]
mod tests {
    use super::*;

    /// The build's anchors are the ones rustls itself extracts from the certificates, one for one.
    #[test]
    fn the_anchors_are_mozillas_roots() {
        let mut parsed = RootCertStore::empty();
        let (added, ignored) = parsed
            .add_parsable_certificates(webpki_root_certs::TLS_SERVER_ROOT_CERTS.iter().cloned());
        assert_eq!(ignored, 0);
        assert!(
            added > 100,
            "Mozilla ships over a hundred roots, got {added}"
        );
        assert_eq!(mozilla_roots().roots, parsed.roots);
    }

    #[test]
    fn the_configuration_verifies_with_the_anchors_and_offers_http_1_1() {
        let config = okta_tls_config().expect("AWS-LC supports TLS 1.2 and 1.3");
        assert_eq!(config.alpn_protocols, vec![b"http/1.1".to_vec()]);
        assert!(config.enable_sni);
        assert!(
            config
                .crypto_provider()
                .cipher_suites
                .iter()
                .any(|suite| suite.version().version == rustls::ProtocolVersion::TLSv1_2),
            "TLS 1.2 stays offered, as reqwest's own configuration does"
        );
    }
}
