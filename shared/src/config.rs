//! The Okta connection (org URL and credentials) and the settings that describe it (`ConnectionSource::from_lookup`).
//! The function's other settings are each read by the module they configure; `lambda/settings.rs` gathers them.
//!
//! Credentials are one of two forms: an SSWS API token, or an OAuth 2.0 service app (client id and private key, Okta's
//! recommended form). The token and the private key are secret types from the moment they are parsed: no `Display`,
//! a redacted `Debug`. The token is exposed in one place, the `Authorization` header (marked sensitive) in
//! `okta::client`; the private key only to be parsed into a signing key (`config/client_key.rs`), which
//! `okta::oauth` signs with.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::{Host, Url};

use crate::error::{Error, Result};

mod client_key;
pub use client_key::ClientKey;

/// Okta's own domains: an org URL must be a subdomain of one of these, or of an allowed custom domain.
/// Source: `okta-api-notes.md` section 8 (the SDKs' admin-suffix list).
pub const OKTA_DOMAINS: [&str; 7] = [
    "okta.com",
    "oktapreview.com",
    "okta-emea.com",
    "okta-gov.com",
    "okta.mil",
    "okta-miltest.com",
    "trex-govcloud.com",
];

/// Where an org URL comes from: its field name in errors.
const ORG_URL_FIELD: &str = "orgUrl";

/// A validated Okta connection.
#[derive(Debug, Clone)]
pub struct OktaConfig {
    pub org_url: Url,
    pub credentials: Credentials,
}

/// How the functions authenticate to Okta.
#[derive(Debug, Clone)]
pub enum Credentials {
    /// `Authorization: SSWS <token>`: acts as the admin who created the token.
    ApiToken(SecretString),
    /// An OAuth 2.0 service app: client credentials with `private_key_jwt`, scoped tokens, DPoP when the app asks.
    ServiceApp(ServiceApp),
}

/// Which form a connection has, for rules that depend on it (a service app has no user behind its token).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AuthKind {
    ApiToken,
    ServiceApp,
}

/// An OAuth 2.0 service app's identity: its client id and the private key whose public half Okta holds.
#[derive(Debug, Clone)]
pub struct ServiceApp {
    pub client_id: String,
    /// `kid` of the key in the app's JWKS; needed by Okta only when the app has several keys.
    pub key_id: Option<String>,
    pub key: std::sync::Arc<ClientKey>,
}

/// The secret's JSON, either `{"orgUrl", "apiToken"}` or `{"orgUrl", "clientId", "privateKey", "keyId"?}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SecretPayload {
    org_url: String,
    api_token: Option<SecretString>,
    client_id: Option<String>,
    private_key: Option<SecretString>,
    key_id: Option<String>,
}

const SECRET_SHAPE: &str = "{\"orgUrl\": ..., \"apiToken\": ...} or {\"orgUrl\": ..., \"clientId\": ..., \"privateKey\": ..., \"keyId\": ...}";

impl OktaConfig {
    /// Parses and validates the secret's JSON. Errors never quote the secret's content.
    pub fn from_secret_json(json: &str, allowed_custom_domains: &[String]) -> Result<Self> {
        let payload: SecretPayload = serde_json::from_str(json).map_err(|error| {
            // serde_json's message may quote part of the input; keep only its category and position.
            Error::config(
                "secret",
                format!(
                    "not the expected JSON {SECRET_SHAPE} ({:?} error at line {} column {})",
                    error.classify(),
                    error.line(),
                    error.column()
                ),
            )
        })?;
        let credentials = Credentials::from_parts(
            payload.api_token,
            payload.client_id,
            payload.private_key,
            payload.key_id,
            &Names::SECRET,
        )?;
        OktaConfig::with_credentials(&payload.org_url, credentials, allowed_custom_domains)
    }

    /// An API-token connection.
    pub fn new(
        org_url: &str,
        api_token: SecretString,
        allowed_custom_domains: &[String],
    ) -> Result<Self> {
        OktaConfig::with_credentials(
            org_url,
            Credentials::api_token(api_token, Names::SECRET.api_token)?,
            allowed_custom_domains,
        )
    }

    /// A service-app connection.
    pub fn service_app(
        org_url: &str,
        client_id: &str,
        private_key: SecretString,
        key_id: Option<&str>,
        allowed_custom_domains: &[String],
    ) -> Result<Self> {
        let credentials = Credentials::from_parts(
            None,
            Some(client_id.to_owned()),
            Some(private_key),
            key_id.map(str::to_owned),
            &Names::SECRET,
        )?;
        OktaConfig::with_credentials(org_url, credentials, allowed_custom_domains)
    }

    pub fn with_credentials(
        org_url: &str,
        credentials: Credentials,
        allowed_custom_domains: &[String],
    ) -> Result<Self> {
        let org_url = validate_org_url(org_url, allowed_custom_domains)?;
        Ok(OktaConfig {
            org_url,
            credentials,
        })
    }

    pub fn auth_kind(&self) -> AuthKind {
        match self.credentials {
            Credentials::ApiToken(_) => AuthKind::ApiToken,
            Credentials::ServiceApp(_) => AuthKind::ServiceApp,
        }
    }
}

/// The names of the credential fields where they come from, so that errors name what the operator wrote.
struct Names {
    api_token: &'static str,
    client_id: &'static str,
    private_key: &'static str,
    key_id: &'static str,
}

impl Names {
    const SECRET: Names = Names {
        api_token: "apiToken",
        client_id: "clientId",
        private_key: "privateKey",
        key_id: "keyId",
    };
    const ENV: Names = Names {
        api_token: "OKTA_API_TOKEN",
        client_id: "OKTA_CLIENT_ID",
        private_key: "OKTA_PRIVATE_KEY",
        key_id: "OKTA_KEY_ID",
    };
}

impl Credentials {
    fn from_parts(
        api_token: Option<SecretString>,
        client_id: Option<String>,
        private_key: Option<SecretString>,
        key_id: Option<String>,
        names: &Names,
    ) -> Result<Self> {
        let service_app = client_id.is_some() || private_key.is_some() || key_id.is_some();
        match (api_token, service_app) {
            (Some(_), true) => Err(Error::config(
                names.api_token,
                format!(
                    "give either {} or {} + {}, not both",
                    names.api_token, names.client_id, names.private_key
                ),
            )),
            (None, false) => Err(Error::config(
                names.api_token,
                format!(
                    "is missing: give either {} or {} + {}",
                    names.api_token, names.client_id, names.private_key
                ),
            )),
            (Some(token), false) => Credentials::api_token(token, names.api_token),
            (None, true) => {
                let client_id = client_id
                    .map(|id| id.trim().to_owned())
                    .filter(|id| !id.is_empty())
                    .ok_or_else(|| {
                        Error::config(
                            names.client_id,
                            format!(
                                "is missing (a service app needs it with {})",
                                names.private_key
                            ),
                        )
                    })?;
                if client_id
                    .chars()
                    .any(|c| c.is_control() || c.is_whitespace())
                {
                    return Err(Error::config(
                        names.client_id,
                        "contains spaces or control characters",
                    ));
                }
                let private_key = private_key.ok_or_else(|| {
                    Error::config(
                        names.private_key,
                        format!(
                            "is missing (a service app needs it with {})",
                            names.client_id
                        ),
                    )
                })?;
                let key = ClientKey::from_pem(&private_key)
                    .map_err(|reason| Error::config(names.private_key, reason))?;
                let key_id = key_id.map(|id| id.trim().to_owned());
                if key_id.as_deref().is_some_and(|id| {
                    id.is_empty() || id.chars().any(|c| c.is_control() || c == '"')
                }) {
                    return Err(Error::config(
                        names.key_id,
                        "is empty or contains control characters or quotes",
                    ));
                }
                Ok(Credentials::ServiceApp(ServiceApp {
                    client_id,
                    key_id,
                    key: std::sync::Arc::new(key),
                }))
            }
        }
    }

    fn api_token(api_token: SecretString, field: &str) -> Result<Self> {
        let token = api_token.expose_secret();
        if token.trim().is_empty() {
            return Err(Error::config(field, "is empty"));
        }
        if token.contains("{apiToken}") || token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::config(
                field,
                "is a placeholder or contains spaces or control characters",
            ));
        }
        Ok(Credentials::ApiToken(api_token))
    }
}

/// Checks an org URL as Okta's SDKs do, and stricter: https, an Okta domain or an allowed custom domain, no admin
/// host, no placeholder, no user info, path, query or fragment. Plain http only for loopback (the simulator).
pub fn validate_org_url(raw: &str, allowed_custom_domains: &[String]) -> Result<Url> {
    let bad = |reason: &str| Error::config(ORG_URL_FIELD, reason);
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(bad("is empty"));
    }
    if trimmed.contains("{yourOktaDomain}") || trimmed.contains("{{") {
        return Err(bad("is still the {yourOktaDomain} placeholder"));
    }
    let url = Url::parse(trimmed).map_err(|error| bad(&format!("is not a URL ({error})")))?;
    if !url.username().is_empty() || url.password().is_some() {
        return Err(bad("must not contain user info"));
    }
    if url.path() != "/" && !url.path().is_empty() {
        return Err(bad("must be the org's base URL, without a path"));
    }
    if url.query().is_some() || url.fragment().is_some() {
        return Err(bad("must not have a query or fragment"));
    }
    let loopback = match url.host() {
        Some(Host::Ipv4(ip)) => ip.is_loopback(),
        Some(Host::Ipv6(ip)) => ip.is_loopback(),
        Some(Host::Domain(name)) => name == "localhost",
        None => return Err(bad("has no host")),
    };
    match url.scheme() {
        "https" => {}
        "http" if loopback => {}
        "http" => {
            return Err(bad(
                "must use https (plain http is only allowed for a loopback simulator)",
            ));
        }
        other => return Err(bad(&format!("has scheme {other:?}; must be https"))),
    }
    if !loopback {
        let Some(Host::Domain(host)) = url.host() else {
            return Err(bad("must be a host name, not an IP address"));
        };
        let host = host.to_ascii_lowercase();
        let first_label = host.split('.').next().unwrap_or_default();
        if first_label.ends_with("-admin") {
            return Err(bad(
                "is the Admin Console host (-admin); use the org URL without -admin",
            ));
        }
        if host.ends_with(".com.com") {
            return Err(bad("ends with .com.com"));
        }
        let is_subdomain_of = |domain: &str| {
            let domain = domain.trim().trim_start_matches('.').to_ascii_lowercase();
            !domain.is_empty()
                && host.len() > domain.len()
                && host.ends_with(&domain)
                && host.as_bytes()[host.len() - domain.len() - 1] == b'.'
        };
        let is_allowed_custom = |domain: &String| {
            let domain = domain.trim().to_ascii_lowercase();
            host == domain || is_subdomain_of(&domain)
        };
        if !OKTA_DOMAINS.iter().any(|domain| is_subdomain_of(domain))
            && !allowed_custom_domains.iter().any(is_allowed_custom)
        {
            return Err(bad(&format!(
                "host {host} is not an Okta domain ({}) nor listed in OKTA_ALLOWED_CUSTOM_DOMAINS",
                OKTA_DOMAINS.join(", ")
            )));
        }
    }
    Ok(url)
}

/// Where the Okta connection comes from.
#[derive(Debug, Clone)]
pub enum ConnectionSource {
    /// A Secrets Manager secret, by name or ARN (the deployment's only mode).
    SecretsManager { secret_id: String, ttl: Duration },
    /// `OKTA_ORG_URL` + `OKTA_API_TOKEN` (or `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY` + `OKTA_KEY_ID`), for local
    /// development and tests only.
    Environment(OktaConfig),
}

/// Default time a secret stays cached: long enough to spare Secrets Manager, short enough for a rotation.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

/// `OKTA_ALLOWED_CUSTOM_DOMAINS`: the custom domains (comma-separated) an org URL may use besides Okta's own.
pub fn allowed_custom_domains_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Vec<String> {
    lookup("OKTA_ALLOWED_CUSTOM_DOMAINS")
        .filter(|value| !value.trim().is_empty())
        .map(|list| {
            list.split(',')
                .map(|domain| domain.trim().to_owned())
                .filter(|domain| !domain.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

impl ConnectionSource {
    /// Reads `OKTA_SECRET_ID`, `OKTA_SECRET_TTL_SECONDS`, or, without a secret, `OKTA_ORG_URL` + `OKTA_API_TOKEN` or
    /// `OKTA_ORG_URL` + `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY` (+ `OKTA_KEY_ID`).
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        allowed_custom_domains: &[String],
    ) -> Result<Self> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let ttl = match non_empty("OKTA_SECRET_TTL_SECONDS") {
            None => DEFAULT_SECRET_TTL,
            Some(raw) => raw
                .trim()
                .parse::<u64>()
                .map(Duration::from_secs)
                .map_err(|_| {
                    Error::config(
                        "OKTA_SECRET_TTL_SECONDS",
                        "must be a whole number of seconds",
                    )
                })?,
        };
        let source = if let Some(secret_id) = non_empty("OKTA_SECRET_ID") {
            ConnectionSource::SecretsManager {
                secret_id: secret_id.trim().to_owned(),
                ttl,
            }
        } else {
            refuse_environment_credentials_in_lambda(&lookup)?;
            let Some(org_url) = non_empty("OKTA_ORG_URL") else {
                return Err(Error::config(
                    "OKTA_SECRET_ID",
                    "is not set (nor, for local use, OKTA_ORG_URL with OKTA_API_TOKEN or OKTA_CLIENT_ID + OKTA_PRIVATE_KEY)",
                ));
            };
            // A PEM in one line of a .env file has its line breaks written as \n.
            let private_key = non_empty("OKTA_PRIVATE_KEY")
                .map(|pem| SecretString::from(pem.replace("\\n", "\n")));
            let credentials = Credentials::from_parts(
                non_empty("OKTA_API_TOKEN").map(SecretString::from),
                non_empty("OKTA_CLIENT_ID"),
                private_key,
                non_empty("OKTA_KEY_ID"),
                &Names::ENV,
            )?;
            ConnectionSource::Environment(OktaConfig::with_credentials(
                &org_url,
                credentials,
                allowed_custom_domains,
            )?)
        };
        Ok(source)
    }
}

/// The DynamoDB table `setting` names (none when unset), checked against DynamoDB's rule for table names.
pub fn table_name_from_lookup(
    lookup: impl Fn(&str) -> Option<String>,
    setting: &'static str,
) -> Result<Option<String>> {
    lookup(setting)
        .filter(|value| !value.trim().is_empty())
        .map(|name| {
            let name = name.trim().to_owned();
            // DynamoDB's rule for table names.
            let valid = (3..=255).contains(&name.len())
                && name
                    .bytes()
                    .all(|byte| byte.is_ascii_alphanumeric() || b"_.-".contains(&byte));
            if valid {
                Ok(name)
            } else {
                Err(Error::config(
                    setting,
                    "must be a DynamoDB table name (3 to 255 of a-z, A-Z, 0-9, _, - and .)",
                ))
            }
        })
        .transpose()
}

/// `OKTA_ALLOW_ENV_CREDENTIALS`: the one override that lets a process Lambda started (or an emulator of it: cargo
/// lambda, the audit test, the benchmark) take its Okta connection from the environment.
pub const ALLOW_ENV_CREDENTIALS: &str = "OKTA_ALLOW_ENV_CREDENTIALS";

/// Inside Lambda the connection comes from Secrets Manager only: an environment variable is readable by anyone who
/// may call `lambda:GetFunctionConfiguration`, is copied into every version, and would hand each function the whole
/// token or private key. Lambda sets `AWS_LAMBDA_FUNCTION_NAME` and `AWS_EXECUTION_ENV` (`AWS_Lambda_<runtime>`) in
/// every function's environment (AWS Lambda Developer Guide, "Defined runtime environment variables"); local runs
/// and the demo set neither.
fn refuse_environment_credentials_in_lambda(
    lookup: &impl Fn(&str) -> Option<String>,
) -> Result<()> {
    let in_lambda = lookup("AWS_LAMBDA_FUNCTION_NAME").is_some_and(|name| !name.trim().is_empty())
        || lookup("AWS_EXECUTION_ENV").is_some_and(|env| env.starts_with("AWS_Lambda_"));
    let has_credentials = ["OKTA_API_TOKEN", "OKTA_PRIVATE_KEY", "OKTA_CLIENT_ID"]
        .iter()
        .any(|name| lookup(name).is_some_and(|value| !value.trim().is_empty()));
    if !in_lambda || !has_credentials {
        return Ok(());
    }
    match lookup(ALLOW_ENV_CREDENTIALS).as_deref().map(str::trim) {
        Some("true") => Ok(()),
        None | Some("" | "false") => Err(Error::config(
            "OKTA_SECRET_ID",
            format!(
                "is not set, and inside Lambda the Okta credentials are read from Secrets Manager only, never from \
                 OKTA_API_TOKEN or OKTA_PRIVATE_KEY in the environment (an emulator or benchmark may set \
                 {ALLOW_ENV_CREDENTIALS}=true)"
            ),
        )),
        Some(_) => Err(Error::config(
            ALLOW_ENV_CREDENTIALS,
            "must be true or false",
        )),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn check(url: &str) -> Result<Url> {
        validate_org_url(url, &["login.example.com".to_owned()])
    }

    #[test]
    fn org_url_accepts_okta_domains_custom_domains_and_loopback() {
        for ok in [
            "https://acme.okta.com",
            "https://acme.okta.com/",
            "https://acme.oktapreview.com",
            "https://acme.okta-emea.com",
            "https://acme.okta-gov.com",
            "https://login.example.com",
            "http://127.0.0.1:8080",
            "http://localhost:9000",
            "http://[::1]:9000",
        ] {
            assert!(
                check(ok).is_ok(),
                "{ok} should be accepted: {:?}",
                check(ok).err()
            );
        }
    }

    #[test]
    fn org_url_rejections_name_the_field_and_reason() {
        for (bad, reason) in [
            ("", "empty"),
            ("http://acme.okta.com", "https"),
            ("https://acme-admin.okta.com", "-admin"),
            ("https://{yourOktaDomain}", "placeholder"),
            ("https://user:pw@acme.okta.com", "user info"),
            ("https://acme.okta.com/api/v1", "path"),
            ("https://acme.okta.com?x=1", "query"),
            ("https://acme.okta.com#frag", "fragment"),
            ("https://evil.com", "not an Okta domain"),
            ("https://okta.com.evil.com", "not an Okta domain"),
            ("https://evilokta.com", "not an Okta domain"),
            ("https://okta.com", "not an Okta domain"),
            ("https://acme.okta.com.com", ".com.com"),
            ("ftp://acme.okta.com", "scheme"),
            ("https://10.0.0.1", "IP address"),
        ] {
            let error = check(bad).expect_err(bad);
            assert_eq!(error.field.as_deref(), Some("orgUrl"), "{bad}");
            assert!(error.message.contains(reason), "{bad}: {}", error.message);
        }
    }

    #[test]
    fn secret_json_errors_never_echo_the_secret() {
        let json = r#"{"orgUrl": "https://acme.okta.com", "apiToken": 42, "x": "SUPERSECRET"}"#;
        let error = OktaConfig::from_secret_json(json, &[]).unwrap_err();
        assert!(
            !error.message.contains("SUPERSECRET") && !error.message.contains("42"),
            "{}",
            error.message
        );
        let config = OktaConfig::from_secret_json(
            r#"{"orgUrl": "https://acme.okta.com", "apiToken": "SUPERSECRET"}"#,
            &[],
        )
        .unwrap();
        assert!(!format!("{config:?}").contains("SUPERSECRET"));
    }

    /// The connection part of the settings, as `lambda::Settings` reads it.
    fn connection_from(lookup: impl Fn(&str) -> Option<String>) -> Result<ConnectionSource> {
        ConnectionSource::from_lookup(&lookup, &allowed_custom_domains_from_lookup(&lookup))
    }

    fn ec_key_pem() -> String {
        use aws_lc_rs::rand::SystemRandom;
        use aws_lc_rs::signature::{ECDSA_P256_SHA256_FIXED_SIGNING, EcdsaKeyPair};
        use base64::Engine;
        let der =
            EcdsaKeyPair::generate_pkcs8(&ECDSA_P256_SHA256_FIXED_SIGNING, &SystemRandom::new())
                .unwrap();
        let body = base64::engine::general_purpose::STANDARD.encode(der.as_ref());
        let lines: Vec<&str> = body
            .as_bytes()
            .chunks(64)
            .map(|chunk| std::str::from_utf8(chunk).unwrap())
            .collect();
        format!(
            "-----BEGIN PRIVATE KEY-----\n{}\n-----END PRIVATE KEY-----\n",
            lines.join("\n")
        )
    }

    #[test]
    fn the_secret_has_one_of_two_forms_and_errors_name_the_fields() {
        let pem = ec_key_pem();
        let service_app = serde_json::json!({
            "orgUrl": "https://acme.okta.com", "clientId": "0oa1", "privateKey": pem, "keyId": "k1"
        });
        let config = OktaConfig::from_secret_json(&service_app.to_string(), &[]).unwrap();
        assert_eq!(config.auth_kind(), AuthKind::ServiceApp);
        let debug = format!("{config:?}");
        assert!(
            !debug.contains(pem.lines().nth(1).unwrap()),
            "the key leaks in {debug}"
        );
        let token = r#"{"orgUrl": "https://acme.okta.com", "apiToken": "t0k"}"#;
        assert_eq!(
            OktaConfig::from_secret_json(token, &[])
                .unwrap()
                .auth_kind(),
            AuthKind::ApiToken
        );
        let secret_line = pem.lines().nth(1).unwrap().to_owned();
        for (json, field, words) in [
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com", "apiToken": "t0k", "clientId": "0oa1", "privateKey": pem}),
                "apiToken",
                "not both",
            ),
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com"}),
                "apiToken",
                "clientId + privateKey",
            ),
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com", "clientId": "0oa1"}),
                "privateKey",
                "missing",
            ),
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com", "privateKey": pem}),
                "clientId",
                "missing",
            ),
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com", "clientId": "0oa1", "privateKey": pem.replace('M', "A")}),
                "privateKey",
                "private key",
            ),
            (
                serde_json::json!({"orgUrl": "https://acme.okta.com", "clientId": "0oa1", "privateKey": pem, "keyId": " "}),
                "keyId",
                "empty",
            ),
        ] {
            let error = OktaConfig::from_secret_json(&json.to_string(), &[]).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{json}: {error}");
            assert!(error.message.contains(words), "{json}: {}", error.message);
            assert!(!error.message.contains(&secret_line), "{}", error.message);
        }
    }

    #[test]
    fn inside_lambda_credentials_from_the_environment_are_refused() {
        let settings = |pairs: &[(&str, &str)]| {
            let pairs: Vec<(String, String)> = pairs
                .iter()
                .map(|(key, value)| ((*key).to_owned(), (*value).to_owned()))
                .collect();
            connection_from(move |name| {
                pairs
                    .iter()
                    .find(|(key, _)| key == name)
                    .map(|(_, value)| value.clone())
            })
        };
        let token = [
            ("OKTA_ORG_URL", "https://acme.okta.com"),
            ("OKTA_API_TOKEN", "t0k"),
        ];
        assert!(settings(&token).is_ok(), "a local run");
        for lambda in [
            ("AWS_LAMBDA_FUNCTION_NAME", "suspend-user"),
            ("AWS_EXECUTION_ENV", "AWS_Lambda_provided.al2023"),
        ] {
            let error = settings(&[token[0], token[1], lambda]).unwrap_err();
            assert_eq!(error.kind, crate::error::ErrorKind::ConfigInvalid);
            assert_eq!(error.field.as_deref(), Some("OKTA_SECRET_ID"), "{lambda:?}");
            assert!(error.message.contains(ALLOW_ENV_CREDENTIALS));
            assert!(!error.message.contains("t0k"));
            let overridden = [token[0], token[1], lambda, (ALLOW_ENV_CREDENTIALS, "true")];
            assert!(settings(&overridden).is_ok(), "{lambda:?}");
            let unclear = [token[0], token[1], lambda, (ALLOW_ENV_CREDENTIALS, "yes")];
            let error = settings(&unclear).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(ALLOW_ENV_CREDENTIALS));
        }
        // The deployment's form, a secret, is unaffected.
        let secret = [
            ("OKTA_SECRET_ID", "okta"),
            ("AWS_LAMBDA_FUNCTION_NAME", "suspend-user"),
        ];
        assert!(settings(&secret).is_ok());
    }

    #[test]
    fn local_settings_take_a_service_app_from_the_environment() {
        let pem = ec_key_pem().replace('\n', "\\n");
        let vars = [
            ("OKTA_ORG_URL", "https://acme.okta.com".to_owned()),
            ("OKTA_CLIENT_ID", "0oa1".to_owned()),
            ("OKTA_PRIVATE_KEY", pem),
        ];
        let lookup = |name: &str| {
            vars.iter()
                .find(|(key, _)| *key == name)
                .map(|(_, value)| value.clone())
        };
        let source = connection_from(lookup).unwrap();
        let ConnectionSource::Environment(config) = source else {
            panic!("not from the environment");
        };
        assert_eq!(config.auth_kind(), AuthKind::ServiceApp);
        let both = |name: &str| {
            if name == "OKTA_API_TOKEN" {
                Some("t0k".to_owned())
            } else {
                lookup(name)
            }
        };
        let error = connection_from(both).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_API_TOKEN"));
        assert!(
            error.message.contains("OKTA_CLIENT_ID"),
            "{}",
            error.message
        );
    }
}
