//! Test support: the simulator with a client pointed at it, the actions run as a caller would, and a real local
//! Secrets Manager (moto) for the tests that need one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod hostile;
pub mod log_capture;
pub mod moto;
pub mod untrusted_tls;

use std::time::{Duration, Instant};

use okta_lifecycle::config::OktaConfig;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::grants::Grants;
use okta_lifecycle::guard::{GuardedClient, Guardrails};
use okta_lifecycle::lambda::CallerKind;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::okta::retry::RetryPolicy;
use okta_lifecycle::{Action, Error, Input, Output};
use okta_sim::{Seed, SeedServiceApp, Simulator};
use serde_json::Value;

pub use log_capture::set_log_capture;

/// The simulator's API token in tests. Long and distinctive, so that a leak is easy to find.
pub const TOKEN: &str = "00sim-TOKEN-never-print-me-7f3a9c1e5b";

/// Retries as in production but with short waits, so that fault tests stay fast.
pub fn test_policy() -> RetryPolicy {
    RetryPolicy {
        base_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(100),
        deadline_margin: Duration::from_millis(200),
        request_timeout: Duration::from_secs(2),
        ..RetryPolicy::default()
    }
}

/// The simulator with `seed`, plus the sample org's two service apps, so that every test can use either connection.
pub async fn start_sim(mut seed: Seed) -> Simulator {
    for app in service_apps() {
        if !seed
            .service_apps
            .iter()
            .any(|known| known.client_id == app.client_id)
        {
            seed.service_apps.push(app);
        }
    }
    Simulator::start(seed, TOKEN)
        .await
        .expect("start the simulator")
}

/// The two connection forms; the OAuth one with and without DPoP, as the service app requires.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Form {
    ApiToken,
    /// A service app that requires DPoP (the default for new apps, and the demo's).
    ServiceAppDpop,
    /// A service app without DPoP: Bearer tokens.
    ServiceAppBearer,
}

impl Form {
    pub const ALL: [Form; 3] = [Form::ApiToken, Form::ServiceAppDpop, Form::ServiceAppBearer];

    /// `OKTA_TEST_CONNECTION=api-token|dpop|bearer` runs every test that uses [`client_for`] on that form
    /// (default: the API token; the tests that matter for the connection loop over [`Form::ALL`] themselves).
    pub fn from_env() -> Form {
        match std::env::var("OKTA_TEST_CONNECTION").as_deref() {
            Ok("dpop") => Form::ServiceAppDpop,
            Ok("bearer") => Form::ServiceAppBearer,
            Ok("api-token") | Err(_) => Form::ApiToken,
            Ok(other) => panic!("OKTA_TEST_CONNECTION={other}: expected api-token, dpop or bearer"),
        }
    }
}

/// The sample org's service app ids and the test keys registered for them (`tests/okta-sim/keys`).
pub const DPOP_CLIENT_ID: &str = "0oasimlifecycledpop1";
pub const BEARER_CLIENT_ID: &str = "0oasimlifecyclebear1";

pub fn service_app_key(kind: &str) -> String {
    std::fs::read_to_string(repo_path(&format!(
        "tests/okta-sim/keys/service-app-{kind}.pem"
    )))
    .expect("test key")
}

/// The sample org's registered service apps.
pub fn service_apps() -> Vec<SeedServiceApp> {
    sample_org().service_apps
}

/// The connection of `form` to the simulator.
pub fn config_for(sim: &Simulator, form: Form) -> OktaConfig {
    match form {
        Form::ApiToken => OktaConfig::new(&sim.url(), TOKEN.to_owned().into(), &[]).unwrap(),
        Form::ServiceAppDpop => OktaConfig::service_app(
            &sim.url(),
            DPOP_CLIENT_ID,
            service_app_key("ec").into(),
            Some("sim-ec-1"),
            &[],
        )
        .unwrap(),
        Form::ServiceAppBearer => OktaConfig::service_app(
            &sim.url(),
            BEARER_CLIENT_ID,
            service_app_key("rsa").into(),
            None,
            &[],
        )
        .unwrap(),
    }
}

/// A client with a fixed connection to the simulator, of the form `OKTA_TEST_CONNECTION` names.
pub fn client_for(sim: &Simulator) -> GuardedClient {
    client_with(sim, Form::from_env())
}

/// A client with a fixed connection of `form` to the simulator.
pub fn client_with(sim: &Simulator, form: Form) -> GuardedClient {
    GuardedClient::new(
        OktaClient::with_policy(Connection::fixed(config_for(sim, form)), test_policy()).unwrap(),
        open_grants(),
    )
}

/// The default guardrails with both allow-lists set to `*` (a deployment's are closed until it names what it
/// grants): the tests of the actions themselves grant the sample org's groups and apps.
pub fn open_grants() -> Guardrails {
    Guardrails {
        grantable_groups: Grants::Any,
        grantable_apps: Grants::Any,
        ..Guardrails::default()
    }
}

/// A client with the API token connection to the simulator and the given guardrails (the guardrails' tests
/// include the token owner's protection, which only an API token has).
pub fn client_guarded(sim: &Simulator, guardrails: Guardrails) -> GuardedClient {
    GuardedClient::new(
        OktaClient::with_policy(
            Connection::fixed(config_for(sim, Form::ApiToken)),
            test_policy(),
        )
        .unwrap(),
        guardrails,
    )
}

/// Guardrails that let direct callers receive links and temporary passwords, for the tests of those outputs.
pub fn credentials_allowed() -> Guardrails {
    Guardrails {
        allow_credential_return: true,
        ..open_grants()
    }
}

/// Runs an action as a caller would: the JSON input is validated, then executed with a deadline.
pub async fn run(client: &GuardedClient, action: Action, input: Value) -> Result<Output, Error> {
    run_within(client, action, input, Duration::from_secs(20)).await
}

pub async fn run_within(
    client: &GuardedClient,
    action: Action,
    input: Value,
    budget: Duration,
) -> Result<Output, Error> {
    let input = Input::parse(action, &input)?;
    let session = client.session(Instant::now() + budget, action.scopes());
    okta_lifecycle::lambda::execute(action, client.guard(), &session, &input, CallerKind::Direct)
        .await
}

/// The sample org shipped for the demo.
pub fn sample_org() -> Seed {
    Seed::from_file(repo_path("tests/okta-sim/sample-org.json")).expect("sample org")
}

/// The documentation as one text: the README (the front door) and every page of `docs/`, in name order. Contract
/// tests read it so that a claim is held true wherever it is written.
pub fn documentation() -> String {
    let mut pages: Vec<std::path::PathBuf> = std::fs::read_dir(repo_path("docs"))
        .expect("docs/")
        .filter_map(Result::ok)
        .map(|entry| entry.path())
        .filter(|path| path.extension().is_some_and(|ext| ext == "md"))
        .collect();
    pages.sort();
    let mut text = std::fs::read_to_string(repo_path("README.md")).expect("README.md");
    for page in pages {
        text.push_str("\n\n");
        text.push_str(&std::fs::read_to_string(&page).expect("a docs page"));
    }
    text
}

pub fn repo_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}
