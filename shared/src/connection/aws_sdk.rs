//! The AWS SDK set-up behind the Secrets Manager connection: what `aws_config::load_defaults` gives a Lambda
//! function, without two costs of its first call that a Lambda container never needs (bench/results.md, "Secrets
//! Manager cold start", has the measurements):
//!
//! - The SDK's default HTTPS client reads the system's root certificates (rustls-native-certs: the CA bundle and
//!   every file of the certificate folder) at its first request. Here Mozilla's roots compiled into the binary
//!   instead, the same trust the Okta client has (`okta/client.rs`); AWS endpoints chain to Amazon Trust Services
//!   roots, which are among them.
//! - The default credential and region chains. Lambda gives both in the environment (`AWS_ACCESS_KEY_ID`,
//!   `AWS_SECRET_ACCESS_KEY`, `AWS_SESSION_TOKEN`, `AWS_REGION`), and the chains look there first anyway; the SDK's
//!   environment providers are used directly when the variables are there. Without them (local use with a profile
//!   or SSO, SnapStart's container credentials, ECS, IMDS) the default chains run as before.
//!
//! Everything else stays with `aws_config`'s loader and the SDK: `AWS_ENDPOINT_URL` and
//! `AWS_ENDPOINT_URL_SECRETS_MANAGER`, retries, timeouts, proxies (`HTTPS_PROXY`, as the default client reads
//! them), FIPS and dual-stack settings, profiles for everything but credentials and region.

use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use aws_config::{BehaviorVersion, SdkConfig};
use aws_sdk_secretsmanager::config::SharedHttpClient;
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use base64::Engine;
use base64::engine::general_purpose::STANDARD;

/// The SDK configuration for this process, from its environment.
pub async fn config() -> SdkConfig {
    let lookup = |name: &str| std::env::var(name).ok();
    let mut loader = aws_config::defaults(BehaviorVersion::latest()).http_client(http_client());
    if has_environment_credentials(lookup) {
        loader = loader.credentials_provider(EnvironmentVariableCredentialsProvider::new());
    }
    if has_environment_region(lookup) {
        loader = loader.region(EnvironmentVariableRegionProvider::new());
    }
    loader.load().await
}

/// Whether the environment holds credentials the SDK's environment provider accepts (it needs both keys; the
/// session token is optional and read with them). Otherwise the default chain runs.
pub fn has_environment_credentials(lookup: impl Fn(&str) -> Option<String>) -> bool {
    let set = |name: &str| lookup(name).is_some_and(|value| !value.trim().is_empty());
    set("AWS_ACCESS_KEY_ID") && set("AWS_SECRET_ACCESS_KEY")
}

/// Whether the environment names the region (`AWS_REGION`, or `AWS_DEFAULT_REGION`, as the SDK's environment
/// provider reads them). Otherwise the default chain runs (profile, IMDS).
pub fn has_environment_region(lookup: impl Fn(&str) -> Option<String>) -> bool {
    ["AWS_REGION", "AWS_DEFAULT_REGION"]
        .iter()
        .any(|name| lookup(name).is_some_and(|value| !value.trim().is_empty()))
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxies from the environment), trusting Mozilla's roots
/// instead of reading the system's. The roots are parsed when the client makes its first connection, as before.
pub fn http_client() -> SharedHttpClient {
    let tls_context = TlsContext::builder()
        .with_trust_store(
            TrustStore::empty()
                .with_native_roots(false)
                .with_pem_certificate(mozilla_roots_pem()),
        )
        .build()
        .unwrap_or_default();
    // The same connector aws-smithy-runtime's `default_https_client` builds, with the TLS context added.
    Builder::new().build_with_connector_fn(move |settings, components| {
        let mut connector = ConnectorBuilder::default()
            .tls_provider(tls::Provider::Rustls(CryptoMode::AwsLc))
            .tls_context(tls_context.clone());
        connector.set_connector_settings(settings.cloned());
        if let Some(components) = components {
            connector.set_sleep_impl(components.sleep_impl());
        }
        connector.set_proxy_config(Some(ProxyConfig::from_env()));
        connector.build()
    })
}

/// webpki-root-certs' DER certificates as one PEM bundle, the form the SDK's trust store takes.
pub fn mozilla_roots_pem() -> Vec<u8> {
    let mut pem = String::with_capacity(webpki_root_certs::TLS_SERVER_ROOT_CERTS.len() * 2200);
    for der in webpki_root_certs::TLS_SERVER_ROOT_CERTS {
        pem.push_str("-----BEGIN CERTIFICATE-----\n");
        pem.push_str(&STANDARD.encode(der.as_ref()));
        pem.push_str("\n-----END CERTIFICATE-----\n");
    }
    pem.into_bytes()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;
    use rustls_pki_types::CertificateDer;
    use rustls_pki_types::pem::PemObject;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
    }

    #[test]
    fn every_mozilla_root_survives_the_pem_bundle() {
        let parsed: Vec<CertificateDer<'static>> =
            CertificateDer::pem_slice_iter(&mozilla_roots_pem())
                .collect::<Result<_, _>>()
                .unwrap();
        assert!(parsed.len() > 100);
        assert_eq!(
            parsed,
            webpki_root_certs::TLS_SERVER_ROOT_CERTS.to_vec(),
            "the trust store must be exactly Mozilla's roots"
        );
    }

    #[test]
    fn lambdas_credentials_and_region_are_read_from_the_environment() {
        let lambda = env(&[
            ("AWS_ACCESS_KEY_ID", "ASIAEXAMPLE"),
            ("AWS_SECRET_ACCESS_KEY", "secret"),
            ("AWS_SESSION_TOKEN", "token"),
            ("AWS_REGION", "eu-west-3"),
        ]);
        assert!(has_environment_credentials(&lambda));
        assert!(has_environment_region(&lambda));
        assert!(has_environment_region(env(&[(
            "AWS_DEFAULT_REGION",
            "eu-west-3"
        )])));
    }

    #[test]
    fn without_them_the_default_chains_run() {
        // Local use with a profile, SnapStart or ECS (container credentials), EC2 (IMDS): no keys in the variables.
        for missing in [
            env(&[]),
            env(&[("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")]),
            env(&[("AWS_SECRET_ACCESS_KEY", "secret")]),
            env(&[
                ("AWS_ACCESS_KEY_ID", " "),
                ("AWS_SECRET_ACCESS_KEY", "secret"),
            ]),
            env(&[
                ("AWS_PROFILE", "dev"),
                (
                    "AWS_CONTAINER_CREDENTIALS_FULL_URI",
                    "http://127.0.0.1/creds",
                ),
            ]),
        ] {
            assert!(!has_environment_credentials(&missing));
        }
        assert!(!has_environment_region(env(&[("AWS_PROFILE", "dev")])));
        assert!(!has_environment_region(env(&[("AWS_REGION", "")])));
    }
}
