//! The AWS SDK set-up behind the Secrets Manager connection (and the rate-limit table): what
//! `aws_config::load_defaults` gives a Lambda function, without three costs of its first call that a Lambda container
//! never needs (bench/results.md, "Secrets Manager set-up", has the measurements):
//!
//! - The SDK's default HTTPS client reads the system's root certificates (rustls-native-certs: the CA bundle and
//!   every file of the certificate folder) at its first request. Here roots compiled into the binary instead, no
//!   more of them than the endpoints need (`aws_trust.rs`): Amazon Trust Services' five for AWS's own endpoints.
//! - The HTTPS client's first connector is built when a client is made, only to be thrown away (so that the system's
//!   roots load at init rather than at the first request, which in a Lambda cold start is the same moment); with
//!   roots in PEM that is a second parse of them. Here the connector is built once, for the first request
//!   (`ConnectorAtFirstUse`).
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
use aws_sdk_secretsmanager::config::{
    ConfigBag, HttpClient, RuntimeComponents, RuntimeComponentsBuilder, SharedHttpClient,
};
use aws_smithy_http_client::proxy::ProxyConfig;
use aws_smithy_http_client::tls::rustls_provider::CryptoMode;
use aws_smithy_http_client::tls::{self, TlsContext, TrustStore};
use aws_smithy_http_client::{Builder, ConnectorBuilder};
use aws_smithy_runtime_api::box_error::BoxError;
use aws_smithy_runtime_api::client::connector_metadata::ConnectorMetadata;
use aws_smithy_runtime_api::client::http::{HttpConnectorSettings, SharedHttpConnector};

use super::aws_trust::{AwsTrust, environment_region};

/// The SDK configuration for this process, from its environment.
pub async fn config() -> SdkConfig {
    config_trusting(trust_from_environment()).await
}

/// The roots this process's SDK clients trust, from its environment (`aws_trust.rs`).
pub fn trust_from_environment() -> AwsTrust {
    AwsTrust::from_environment(
        |name| std::env::var(name).ok(),
        |path| std::path::Path::new(path).exists(),
    )
}

/// The SDK configuration for this process, its HTTPS client trusting `trust`'s roots.
pub async fn config_trusting(trust: AwsTrust) -> SdkConfig {
    let lookup = |name: &str| std::env::var(name).ok();
    let mut loader =
        aws_config::defaults(BehaviorVersion::latest()).http_client(http_client(trust));
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
    environment_region(lookup).is_some()
}

/// The SDK's default HTTPS client (rustls with aws-lc, proxies from the environment), trusting `trust`'s roots
/// instead of reading the system's, its connector built at the first request.
pub fn http_client(trust: AwsTrust) -> SharedHttpClient {
    SharedHttpClient::new(ConnectorAtFirstUse(client_trusting(trust, Builder::new())))
}

/// The same client keeping no idle connection: each request opens a new one. For the benchmark, to time the
/// round trip a cold start cannot avoid (a new connection) with everything else warm.
pub fn http_client_without_reuse(trust: AwsTrust) -> SharedHttpClient {
    SharedHttpClient::new(ConnectorAtFirstUse(client_trusting(
        trust,
        Builder::new().pool_max_idle_per_host(0),
    )))
}

/// An SDK HTTP client whose connectors are built when a request needs one, never to be thrown away: the SDK's own
/// client builds one at each client's validation (`validate_base_client_config`) to load the system's roots early,
/// which with roots given in PEM is a parse of every certificate, done again for the first request.
#[derive(Debug)]
pub struct ConnectorAtFirstUse(SharedHttpClient);

impl HttpClient for ConnectorAtFirstUse {
    fn http_connector(
        &self,
        settings: &HttpConnectorSettings,
        components: &RuntimeComponents,
    ) -> SharedHttpConnector {
        self.0.http_connector(settings, components)
    }

    fn validate_base_client_config(
        &self,
        _: &RuntimeComponentsBuilder,
        _: &ConfigBag,
    ) -> Result<(), BoxError> {
        Ok(())
    }

    fn validate_final_config(
        &self,
        components: &RuntimeComponents,
        config: &ConfigBag,
    ) -> Result<(), BoxError> {
        self.0.validate_final_config(components, config)
    }

    fn connector_metadata(&self) -> Option<ConnectorMetadata> {
        self.0.connector_metadata()
    }
}

/// The same connector aws-smithy-runtime's `default_https_client` builds, trusting `trust`'s roots.
fn client_trusting(trust: AwsTrust, builder: Builder) -> SharedHttpClient {
    let mut roots = TrustStore::empty().with_native_roots(false);
    let pem = trust.roots_pem();
    if !pem.is_empty() {
        roots = roots.with_pem_certificate(pem);
    }
    let tls_context = TlsContext::builder()
        .with_trust_store(roots)
        .build()
        .unwrap_or_default();
    builder.build_with_connector_fn(move |settings, components| {
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

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    use super::*;

    fn env(pairs: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Option<String> {
        move |name| {
            pairs
                .iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| (*value).to_owned())
        }
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
