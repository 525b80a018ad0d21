//! Test support: the simulator with a client pointed at it, the actions run as a caller would, and a real local
//! Secrets Manager (moto) for the tests that need one.

#![allow(clippy::unwrap_used, clippy::expect_used)]

pub mod hostile;
pub mod moto;

use std::time::{Duration, Instant};

use okta_lifecycle::config::OktaConfig;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::okta::retry::RetryPolicy;
use okta_lifecycle::{Action, Error, Input, Output};
use okta_sim::{Seed, Simulator};
use serde_json::Value;

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

pub async fn start_sim(seed: Seed) -> Simulator {
    Simulator::start(seed, TOKEN)
        .await
        .expect("start the simulator")
}

/// A client with a fixed connection to the simulator.
pub fn client_for(sim: &Simulator) -> OktaClient {
    let config = OktaConfig::new(&sim.url(), TOKEN.to_owned().into(), &[]).unwrap();
    OktaClient::with_policy(Connection::fixed(config), test_policy()).unwrap()
}

/// Runs an action as a caller would: the JSON input is validated, then executed with a deadline.
pub async fn run(client: &OktaClient, action: Action, input: Value) -> Result<Output, Error> {
    run_within(client, action, input, Duration::from_secs(20)).await
}

pub async fn run_within(
    client: &OktaClient,
    action: Action,
    input: Value,
    budget: Duration,
) -> Result<Output, Error> {
    let input = Input::parse(action, &input)?;
    let session = client.session(Instant::now() + budget);
    action.execute(&session, &input).await
}

/// The sample org shipped for the demo.
pub fn sample_org() -> Seed {
    Seed::from_file(repo_path("tests/okta-sim/sample-org.json")).expect("sample org")
}

pub fn repo_path(relative: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("..")
        .join(relative)
}
