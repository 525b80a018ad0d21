//! The Okta connection, read lazily from Secrets Manager and cached across invocations.
//!
//! Lazily, so that a Secrets Manager hiccup is a typed, retryable error of one invocation and not an init crash
//! (a function starts the first read beside the runtime's first wait for an event: `OktaClient::prepare`).
//! Cached with a TTL, and re-read once when Okta answers 401, which is what a rotated token looks like.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aws_sdk_secretsmanager::error::{ProvideErrorMetadata, SdkError};
use tokio::sync::Mutex;

use crate::config::{ConnectionSource, Credentials, OktaConfig};
use crate::error::{Error, ErrorKind, Result};

pub mod aws_sdk;
pub mod aws_trust;

#[derive(Debug)]
pub struct Connection {
    source: Source,
    cache: Mutex<Option<Cached>>,
}

#[derive(Debug)]
enum Source {
    Secret {
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        ttl: Duration,
        allowed_custom_domains: Vec<String>,
    },
    Fixed(Arc<OktaConfig>),
}

#[derive(Debug)]
struct Cached {
    config: Arc<OktaConfig>,
    fetched: Instant,
}

impl Connection {
    /// A connection from where the settings say it comes from (`ConnectionSource::from_lookup`). The Secrets Manager
    /// client is only built when that is a secret, on `aws` (the process's SDK configuration) when given.
    pub async fn from_source(
        source: &ConnectionSource,
        allowed_custom_domains: &[String],
        aws: Option<&aws_config::SdkConfig>,
    ) -> Self {
        match source {
            ConnectionSource::Environment(config) => Connection::fixed(config.clone()),
            ConnectionSource::SecretsManager { secret_id, ttl } => {
                let aws = match aws {
                    Some(aws) => aws.clone(),
                    None => aws_sdk::config().await,
                };
                Connection::secrets_manager(
                    aws_sdk_secretsmanager::Client::new(&aws),
                    secret_id.clone(),
                    *ttl,
                    allowed_custom_domains.to_vec(),
                )
            }
        }
    }

    pub fn fixed(config: OktaConfig) -> Self {
        Connection {
            source: Source::Fixed(Arc::new(config)),
            cache: Mutex::new(None),
        }
    }

    pub fn secrets_manager(
        client: aws_sdk_secretsmanager::Client,
        secret_id: String,
        ttl: Duration,
        allowed_custom_domains: Vec<String>,
    ) -> Self {
        Connection {
            source: Source::Secret {
                client,
                secret_id,
                ttl,
                allowed_custom_domains,
            },
            cache: Mutex::new(None),
        }
    }

    /// Whether the connection is known, before any read, to be a service app's: one from the environment says so;
    /// a secret's form is known only once read.
    pub fn is_known_service_app(&self) -> bool {
        match &self.source {
            Source::Secret { .. } => false,
            Source::Fixed(config) => matches!(config.credentials, Credentials::ServiceApp(_)),
        }
    }

    /// The current connection: the cached one while it is fresh, else a new read of the secret.
    pub async fn get(&self) -> Result<Arc<OktaConfig>> {
        let (client, secret_id, ttl, allowed) = match &self.source {
            Source::Fixed(config) => return Ok(config.clone()),
            Source::Secret {
                client,
                secret_id,
                ttl,
                allowed_custom_domains,
            } => (client, secret_id, *ttl, allowed_custom_domains),
        };
        let mut cache = self.cache.lock().await;
        if let Some(cached) = cache.as_ref()
            && cached.fetched.elapsed() < ttl
        {
            return Ok(cached.config.clone());
        }
        let config = Arc::new(read_secret(client, secret_id, allowed).await?);
        *cache = Some(Cached {
            config: config.clone(),
            fetched: Instant::now(),
        });
        Ok(config)
    }

    /// Forgets `stale` after Okta refused it, so that the next `get` reads the secret again. Returns whether a
    /// re-read can give anything new: a fixed (environment) connection cannot change.
    pub async fn invalidate(&self, stale: &Arc<OktaConfig>) -> bool {
        if matches!(self.source, Source::Fixed(_)) {
            return false;
        }
        let mut cache = self.cache.lock().await;
        // Another request may already have replaced the stale token; keep the newer one.
        if cache
            .as_ref()
            .is_some_and(|cached| Arc::ptr_eq(&cached.config, stale))
        {
            *cache = None;
        }
        true
    }
}

async fn read_secret(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
    allowed_custom_domains: &[String],
) -> Result<OktaConfig> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await
        .map_err(|error| secret_error(secret_id, error))?;
    let Some(json) = output.secret_string() else {
        return Err(Error::config(
            "secret",
            format!("{secret_id} has no SecretString (binary secrets are not supported)"),
        ));
    };
    OktaConfig::from_secret_json(json, allowed_custom_domains)
}

/// Missing or forbidden secrets are configuration errors; everything else (throttling, network) may pass.
fn secret_error<E, R>(secret_id: &str, error: SdkError<E, R>) -> Error
where
    E: ProvideErrorMetadata + std::error::Error + 'static,
    R: std::fmt::Debug + 'static,
{
    let code = error.code().unwrap_or("").to_owned();
    match code.as_str() {
        "ResourceNotFoundException"
        | "AccessDeniedException"
        | "InvalidParameterException"
        | "InvalidRequestException"
        | "DecryptionFailure" => Error::config(
            "OKTA_SECRET_ID",
            format!("cannot read secret {secret_id}: {code}"),
        ),
        _ => {
            let reason = if code.is_empty() {
                match &error {
                    SdkError::TimeoutError(_) => "timeout".to_owned(),
                    SdkError::DispatchFailure(_) => match untrusted_certificate(&error) {
                        Some(why) => format!(
                            "the endpoint's TLS certificate is not trusted ({why}); AWS's own endpoints are \
                             trusted through Amazon Trust Services' roots, an endpoint set with AWS_ENDPOINT_URL or \
                             AWS_ENDPOINT_URL_SECRETS_MANAGER through Mozilla's"
                        ),
                        None => "connection failed".to_owned(),
                    },
                    _ => "no response".to_owned(),
                }
            } else {
                code
            };
            Error::new(
                ErrorKind::SecretUnavailable,
                format!("Secrets Manager did not return secret {secret_id}: {reason}"),
            )
        }
    }
}

/// Why rustls refused the endpoint's certificate, when that is what failed the call (Secrets Manager's or Okta's).
/// An `io::Error` hides the error it wraps from `source()`, so the walk goes into it instead.
pub(crate) fn untrusted_certificate(error: &(dyn std::error::Error + 'static)) -> Option<String> {
    let mut link = Some(error);
    while let Some(current) = link {
        if let Some(rustls::Error::InvalidCertificate(why)) =
            current.downcast_ref::<rustls::Error>()
        {
            return Some(format!("{why:?}"));
        }
        link = match current.downcast_ref::<std::io::Error>() {
            Some(io) => io
                .get_ref()
                .map(|inner| inner as &(dyn std::error::Error + 'static)),
            None => current.source(),
        };
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;
    use aws_sdk_secretsmanager::operation::get_secret_value::GetSecretValueError;
    use aws_smithy_runtime_api::client::orchestrator::HttpResponse;
    use aws_smithy_runtime_api::client::result::ConnectorError;

    fn dispatch_failure(cause: std::io::Error) -> SdkError<GetSecretValueError, HttpResponse> {
        SdkError::dispatch_failure(ConnectorError::io(Box::new(cause)))
    }

    #[test]
    fn an_untrusted_certificate_is_named_as_such() {
        // What hyper-rustls returns when the server's chain does not reach a trusted root: rustls's error in two
        // io::Errors.
        let refused = std::io::Error::other(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            rustls::Error::InvalidCertificate(rustls::CertificateError::UnknownIssuer),
        ));
        let error = secret_error("okta-lifecycle/prod", dispatch_failure(refused));
        assert_eq!(error.kind, ErrorKind::SecretUnavailable);
        assert!(
            error
                .message
                .contains("TLS certificate is not trusted (UnknownIssuer)")
                && error.message.contains("Amazon Trust Services"),
            "{}",
            error.message
        );

        let reset = std::io::Error::new(std::io::ErrorKind::ConnectionReset, "reset by peer");
        let error = secret_error("okta-lifecycle/prod", dispatch_failure(reset));
        assert!(
            error.message.ends_with(": connection failed"),
            "{}",
            error.message
        );
    }
}
