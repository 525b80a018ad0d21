//! The Okta connection (org URL and API token) and the settings read from the environment.
//!
//! The token is a [`SecretString`] from the moment it is parsed: it has no `Display`, its `Debug` is redacted, and it
//! is exposed in exactly one place, the `Authorization` header (marked sensitive) in `okta::client`.

use std::time::Duration;

use secrecy::{ExposeSecret, SecretString};
use serde::Deserialize;
use url::{Host, Url};

use crate::error::{Error, Result};
use crate::okta::pacing::PacingPolicy;

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
    pub api_token: SecretString,
}

/// The secret's JSON: `{"orgUrl": "https://acme.okta.com", "apiToken": "..."}`.
#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct SecretPayload {
    org_url: String,
    api_token: SecretString,
}

impl OktaConfig {
    /// Parses and validates the secret's JSON. Errors never quote the secret's content.
    pub fn from_secret_json(json: &str, allowed_custom_domains: &[String]) -> Result<Self> {
        let payload: SecretPayload = serde_json::from_str(json).map_err(|error| {
            // serde_json's message may quote part of the input; keep only its category and position.
            Error::config(
                "secret",
                format!(
                    "not the expected JSON {{\"orgUrl\": ..., \"apiToken\": ...}} ({:?} error at line {} column {})",
                    error.classify(),
                    error.line(),
                    error.column()
                ),
            )
        })?;
        OktaConfig::new(&payload.org_url, payload.api_token, allowed_custom_domains)
    }

    pub fn new(
        org_url: &str,
        api_token: SecretString,
        allowed_custom_domains: &[String],
    ) -> Result<Self> {
        let org_url = validate_org_url(org_url, allowed_custom_domains)?;
        let token = api_token.expose_secret();
        if token.trim().is_empty() {
            return Err(Error::config("apiToken", "is empty"));
        }
        if token.contains("{apiToken}") || token.chars().any(|c| c.is_control() || c == ' ') {
            return Err(Error::config(
                "apiToken",
                "is a placeholder or contains spaces or control characters",
            ));
        }
        Ok(OktaConfig { org_url, api_token })
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
    /// `OKTA_ORG_URL` + `OKTA_API_TOKEN`, for local development and tests only.
    Environment(OktaConfig),
}

/// The function's settings, from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: ConnectionSource,
    pub allowed_custom_domains: Vec<String>,
    /// `OKTA_RATE_LIMIT_SHARE`, `OKTA_CONCURRENT_CALLERS` and, against the simulator only, `OKTA_SIM_TIME_SCALE`.
    pub pacing: PacingPolicy,
}

/// Default time a secret stays cached: long enough to spare Secrets Manager, short enough for a rotation.
pub const DEFAULT_SECRET_TTL: Duration = Duration::from_secs(300);

impl Settings {
    /// Reads `OKTA_SECRET_ID`, `OKTA_SECRET_TTL_SECONDS`, `OKTA_ALLOWED_CUSTOM_DOMAINS`, or, without a secret,
    /// `OKTA_ORG_URL` + `OKTA_API_TOKEN`.
    pub fn from_env() -> Result<Self> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same, from any lookup (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let allowed_custom_domains: Vec<String> = non_empty("OKTA_ALLOWED_CUSTOM_DOMAINS")
            .map(|list| {
                list.split(',')
                    .map(|domain| domain.trim().to_owned())
                    .filter(|domain| !domain.is_empty())
                    .collect()
            })
            .unwrap_or_default();
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
            match (non_empty("OKTA_ORG_URL"), non_empty("OKTA_API_TOKEN")) {
                (Some(org_url), Some(token)) => ConnectionSource::Environment(OktaConfig::new(
                    &org_url,
                    SecretString::from(token),
                    &allowed_custom_domains,
                )?),
                _ => {
                    return Err(Error::config(
                        "OKTA_SECRET_ID",
                        "is not set (nor, for local use, OKTA_ORG_URL and OKTA_API_TOKEN)",
                    ));
                }
            }
        };
        let pacing = pacing_from(&non_empty, &source)?;
        Ok(Settings {
            source,
            allowed_custom_domains,
            pacing,
        })
    }
}

/// How much of Okta's rate limits this stack may use (see `okta/pacing.rs`).
fn pacing_from(
    non_empty: &impl Fn(&str) -> Option<String>,
    source: &ConnectionSource,
) -> Result<PacingPolicy> {
    let whole =
        |name: &'static str, range: std::ops::RangeInclusive<u32>, default: u32| match non_empty(
            name,
        ) {
            None => Ok(default),
            Some(raw) => raw
                .trim()
                .parse::<u32>()
                .ok()
                .filter(|value| range.contains(value))
                .ok_or_else(|| {
                    Error::config(
                        name,
                        format!(
                            "must be a whole number from {} to {}",
                            range.start(),
                            range.end()
                        ),
                    )
                }),
        };
    let defaults = PacingPolicy::default();
    let time_scale = match non_empty("OKTA_SIM_TIME_SCALE") {
        None => defaults.time_scale,
        Some(raw) => {
            let loopback = matches!(source, ConnectionSource::Environment(config)
                if config.org_url.scheme() == "http");
            if !loopback {
                return Err(Error::config(
                    "OKTA_SIM_TIME_SCALE",
                    "is only for a loopback simulator (OKTA_ORG_URL on http://127.0.0.1): Okta's clock is real",
                ));
            }
            raw.trim()
                .parse::<f64>()
                .ok()
                .filter(|scale| (1.0..=1000.0).contains(scale))
                .ok_or_else(|| {
                    Error::config("OKTA_SIM_TIME_SCALE", "must be a number from 1 to 1000")
                })?
        }
    };
    Ok(PacingPolicy {
        share_percent: whole("OKTA_RATE_LIMIT_SHARE", 1..=100, defaults.share_percent)?,
        concurrent_callers: whole(
            "OKTA_CONCURRENT_CALLERS",
            1..=1000,
            defaults.concurrent_callers,
        )?,
        time_scale,
    })
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

    #[test]
    fn settings_prefer_the_secret_and_validate_the_ttl() {
        let env = |pairs: &'static [(&'static str, &'static str)]| {
            move |name: &str| {
                pairs
                    .iter()
                    .find(|(key, _)| *key == name)
                    .map(|(_, value)| value.to_string())
            }
        };
        let settings = Settings::from_lookup(env(&[
            ("OKTA_SECRET_ID", "okta"),
            ("OKTA_SECRET_TTL_SECONDS", "60"),
        ]))
        .unwrap();
        assert!(
            matches!(settings.source, ConnectionSource::SecretsManager { ttl, .. } if ttl == Duration::from_secs(60))
        );
        let error = Settings::from_lookup(env(&[
            ("OKTA_SECRET_ID", "okta"),
            ("OKTA_SECRET_TTL_SECONDS", "soon"),
        ]))
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_SECRET_TTL_SECONDS"));
        let error = Settings::from_lookup(env(&[])).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_SECRET_ID"));
        let pacing = Settings::from_lookup(env(&[
            ("OKTA_SECRET_ID", "okta"),
            ("OKTA_RATE_LIMIT_SHARE", "50"),
            ("OKTA_CONCURRENT_CALLERS", "12"),
        ]))
        .unwrap()
        .pacing;
        assert_eq!((pacing.share_percent, pacing.concurrent_callers), (50, 12));
        let refused: [(&str, &'static [(&'static str, &'static str)]); 4] = [
            (
                "OKTA_RATE_LIMIT_SHARE",
                &[("OKTA_SECRET_ID", "okta"), ("OKTA_RATE_LIMIT_SHARE", "0")],
            ),
            (
                "OKTA_RATE_LIMIT_SHARE",
                &[("OKTA_SECRET_ID", "okta"), ("OKTA_RATE_LIMIT_SHARE", "150")],
            ),
            (
                "OKTA_CONCURRENT_CALLERS",
                &[
                    ("OKTA_SECRET_ID", "okta"),
                    ("OKTA_CONCURRENT_CALLERS", "many"),
                ],
            ),
            // The simulator's clock only: a deployment's org is real, whatever the setting says.
            (
                "OKTA_SIM_TIME_SCALE",
                &[("OKTA_SECRET_ID", "okta"), ("OKTA_SIM_TIME_SCALE", "20")],
            ),
        ];
        for (name, pairs) in refused {
            let error = Settings::from_lookup(env(pairs)).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(name), "{pairs:?}");
        }
        let local = Settings::from_lookup(env(&[
            ("OKTA_ORG_URL", "http://127.0.0.1:9"),
            ("OKTA_API_TOKEN", "t"),
            ("OKTA_SIM_TIME_SCALE", "20"),
        ]))
        .unwrap();
        assert!((local.pacing.time_scale - 20.0).abs() < f64::EPSILON);
    }
}
