//! The function's settings, read from its environment once, at the entry point. Each part is parsed by the module it
//! configures (`from_lookup`), so that no module below the entry point reads the environment or another module's
//! settings (the crate's layers, `lib.rs`).

use crate::config::{ConnectionSource, allowed_custom_domains_from_lookup};
use crate::error::Result;
use crate::guard::Guardrails;
use crate::ledger;
use crate::okta::pacing::PacingPolicy;
use crate::okta::rate_limit_table;

/// The function's settings, from the environment.
#[derive(Debug, Clone)]
pub struct Settings {
    pub source: ConnectionSource,
    pub allowed_custom_domains: Vec<String>,
    pub guardrails: Guardrails,
    /// `OKTA_RATE_LIMIT_SHARE`, `OKTA_CONCURRENT_CALLERS` and, against the simulator only, `OKTA_SIM_TIME_SCALE`.
    pub pacing: PacingPolicy,
    /// `OKTA_RATE_LIMIT_TABLE`: the DynamoDB table where the stack's processes share what they heard of Okta's
    /// rate limits (`okta/rate_limit_table.rs`); without it each process paces on its own view.
    pub rate_limit_table: Option<String>,
    /// `OKTA_LEDGER_TABLE`: the flows' ledger, which activate-user and unsuspend-user read before bringing a user
    /// back (`ledger.rs`); without it (local runs) no one is known to be offboarded.
    pub ledger_table: Option<String>,
}

impl Settings {
    /// Reads the connection (`config.rs`: `OKTA_SECRET_ID`, `OKTA_SECRET_TTL_SECONDS`, `OKTA_ALLOWED_CUSTOM_DOMAINS`,
    /// or, without a secret, `OKTA_ORG_URL` + `OKTA_API_TOKEN` or `OKTA_ORG_URL` + `OKTA_CLIENT_ID` +
    /// `OKTA_PRIVATE_KEY` (+ `OKTA_KEY_ID`)), the pacing, the two tables and the guardrails.
    pub fn from_env() -> Result<Self> {
        Settings::from_lookup(|name| std::env::var(name).ok())
    }

    /// The same, from any lookup (tests pass a map). The first setting that is not understood is the error.
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let allowed_custom_domains = allowed_custom_domains_from_lookup(&lookup);
        let source = ConnectionSource::from_lookup(&lookup, &allowed_custom_domains)?;
        let pacing = PacingPolicy::from_lookup(&lookup, &source)?;
        let ledger_table = ledger::table_from_lookup(&lookup)?;
        let rate_limit_table = rate_limit_table::table_from_lookup(&lookup)?;
        Ok(Settings {
            source,
            allowed_custom_domains,
            guardrails: Guardrails::from_lookup(&lookup)?,
            pacing,
            rate_limit_table,
            ledger_table,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use std::time::Duration;

    use super::*;

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
        let shared = Settings::from_lookup(env(&[
            ("OKTA_SECRET_ID", "okta"),
            (
                "OKTA_RATE_LIMIT_TABLE",
                "okta-lifecycle-OktaRateLimitTable-1A2B3C",
            ),
        ]))
        .unwrap();
        assert_eq!(
            shared.rate_limit_table.as_deref(),
            Some("okta-lifecycle-OktaRateLimitTable-1A2B3C")
        );
        let refused: [(&str, &'static [(&'static str, &'static str)]); 5] = [
            (
                "OKTA_RATE_LIMIT_TABLE",
                &[
                    ("OKTA_SECRET_ID", "okta"),
                    (
                        "OKTA_RATE_LIMIT_TABLE",
                        "arn:aws:dynamodb:us-east-1:1:table/x",
                    ),
                ],
            ),
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
