//! `make doctor` and the deployed `doctor` function: a read-only check of the Okta connection the functions would
//! use, item by item, each OK or what to fix. It sends only GETs (and, for a service app, token requests for read
//! scopes): nothing is changed in Okta.
//!
//! In order: the connection settings and the org URL; TLS and the credential (an API token's `users/me`, or a
//! service app's token request with its DPoP proof and nonce); the reads the guardrails and the actions depend on
//! (`reads.rs`); a service app's granted scopes against each function's (`scopes.rs`); the guardrail settings that
//! name groups and apps (`settings.rs`); the rate-limit headroom of every bucket its answers reported
//! (`headroom.rs`); and whether each action can run.

mod function;
mod headroom;
mod reads;
mod report;
mod scopes;
mod settings;

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

pub use function::answer;
pub use reads::Read;
pub use report::{Check, Report, Verdict};
pub use scopes::GRANTS_READ_SCOPE;

use crate::config::Credentials;
use crate::error::{Error, ErrorKind};
use crate::guard::GuardedClient;
use reads::Reader;

/// The deployed doctor's folder and binary (`functions/doctor`): a function that is not an action.
pub const FUNCTION: &str = "doctor";

/// What the whole check may take from the command line, retries included.
pub const DEFAULT_BUDGET: Duration = Duration::from_secs(60);

/// Examines the connection `client` holds, with the guardrail settings it was given; every call ends by `deadline`.
pub async fn examine(client: &GuardedClient, deadline: Instant) -> Report {
    let mut report = Report::default();
    let config = match client.connection().get().await {
        Ok(config) => config,
        Err(error) => {
            report.fix("connection settings", error.to_string());
            return skip_the_rest(report, "needs readable connection settings");
        }
    };
    report.org = Some(config.org_url.as_str().trim_end_matches('/').to_owned());
    report.ok(
        "org URL",
        format!(
            "{} (https on an Okta or allowed custom domain, or loopback)",
            config.org_url
        ),
    );
    let mut reader = Reader::new(client, deadline);
    let mut failed = BTreeSet::new();

    // The first request proves TLS and the credential; its answer names a user whose roles can be read.
    let (first, service_app) = match &config.credentials {
        Credentials::ApiToken(_) => (
            reader
                .get(Read::Users.scopes(), "/api/v1/users/me", &[])
                .await,
            None,
        ),
        Credentials::ServiceApp(app) => (
            reader.read(Read::Users, "").await,
            Some(app.client_id.clone()),
        ),
    };
    let some_user = match &first {
        Ok(answer) if service_app.is_none() => answer["id"].as_str().map(str::to_owned),
        Ok(answer) => answer[0]["id"].as_str().map(str::to_owned),
        Err(_) => None,
    };
    match &first {
        Err(error) if is_untrusted_tls(error) => {
            report.fix(
                "connection and TLS",
                format!(
                    "{error}: the org URL must serve a certificate from a public CA (Okta's do); a TLS-inspecting \
                     proxy on the way must be bypassed for it"
                ),
            );
            return skip_the_rest(report, "needs a trusted TLS connection");
        }
        Err(error) if error.kind == ErrorKind::OktaTransient => {
            report.fix(
                "connection and TLS",
                format!("Okta could not be reached: {error}"),
            );
            return skip_the_rest(report, "needs a connection to Okta");
        }
        Err(error) if error.kind == ErrorKind::OktaUnauthorized => {
            report.ok("connection and TLS", tls_detail(&config.org_url));
            let what = if service_app.is_some() {
                "check the secret's clientId, privateKey and keyId against the app's General tab (public key, \
                 its KID, DPoP)"
            } else {
                "the token is revoked, expired (30 days unused) or of another org: create a new one as the \
                 service admin (Security > API > Tokens)"
            };
            report.fix("credential", format!("{error}; {what}"));
            return skip_the_rest(report, "needs a credential Okta accepts");
        }
        _ => report.ok("connection and TLS", tls_detail(&config.org_url)),
    }
    match (&service_app, &first) {
        (None, Ok(owner)) => report.ok(
            "credential",
            format!(
                "API token of the admin {} ({}): it has that admin's rights, no scopes",
                owner["profile"]["login"].as_str().unwrap_or("?"),
                owner["id"].as_str().unwrap_or("?")
            ),
        ),
        (Some(client_id), _) => report.ok(
            "credential",
            format!(
                "service app {client_id}: Okta issued an access token for its client assertion (with a DPoP proof \
                 and Okta's nonce when the app requires DPoP)"
            ),
        ),
        (None, Err(error)) => report.fix("credential", error.to_string()),
    }

    for read in Read::ALL {
        let outcome = match (read, &service_app) {
            (Read::Users, Some(_)) => first.as_ref().map(|_| ()).map_err(Clone::clone),
            (Read::RoleAssignments, _) => match &some_user {
                Some(user) => reader.read(read, user).await.map(|_| ()),
                None => {
                    report.skip(read.item(), "no user to read the roles of");
                    continue;
                }
            },
            _ => reader.read(read, "").await.map(|_| ()),
        };
        match outcome {
            Ok(()) => report.ok(read.item(), "answered"),
            Err(error) => {
                failed.insert(read);
                report.fix(read.item(), read.advice(&error));
            }
        }
    }

    let granted = match &service_app {
        Some(client_id) => {
            let granted = scopes::granted(&mut reader, client_id).await;
            scopes::report_grants(&granted, &mut report);
            granted.ok()
        }
        None => {
            report.skip(
                "service app's granted scopes",
                "an API token carries its admin's rights, not scopes",
            );
            None
        }
    };
    settings::check(&mut reader, client.guard().rules(), &mut report).await;
    reader.headroom.report(&mut report);
    scopes::report_actions(granted.as_ref(), &failed, &mut report);
    report
}

fn tls_detail(org_url: &url::Url) -> &'static str {
    if org_url.scheme() == "https" {
        "the org's certificate chains to Mozilla's roots"
    } else {
        "plain HTTP, accepted for a loopback address only (the simulator)"
    }
}

/// A certificate no trusted root vouches for, as the Okta client names it (`okta/client.rs`, `transport_error`).
fn is_untrusted_tls(error: &Error) -> bool {
    error.kind == ErrorKind::OktaTransient
        && error.message.contains("TLS certificate is not trusted")
}

fn skip_the_rest(mut report: Report, why: &str) -> Report {
    for item in ["connection and TLS", "credential"] {
        if report.get(item).is_none() {
            report.skip(item, why);
        }
    }
    for read in Read::ALL {
        report.skip(read.item(), why);
    }
    report.skip("service app's granted scopes", why);
    report.skip("guardrail settings", why);
    report.skip("rate-limit headroom", why);
    report.skip("the actions", why);
    report
}
