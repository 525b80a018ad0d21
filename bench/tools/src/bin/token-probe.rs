//! The token round trip against the simulator, measured in the benchmark's own run so that the OAuth rows'
//! cold start can be read as the API token's plus this. The connection comes from the environment
//! (`OKTA_ORG_URL`, `OKTA_CLIENT_ID`, `OKTA_PRIVATE_KEY`, `OKTA_KEY_ID`), the HTTP connection is warm.
//!
//! - `acquisition`: what a new container does, with a new `TokenSource` each time: DPoP key generation, the
//!   client assertion and proof, Okta's `use_dpop_nonce` challenge, then the token (two POSTs).
//! - `round_trip`: one token request once the nonce is known (one POST, its assertion and proof included).
//!
//!   token-probe [iterations]      prints one JSON line of microseconds (medians)

use std::time::{Duration, Instant};

use okta_lifecycle::Action;
use okta_lifecycle::config::{ConnectionSource, Credentials};
use okta_lifecycle::lambda::Settings;
use okta_lifecycle::okta::oauth::TokenSource;
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|raw| raw.parse())
        .transpose()?
        .unwrap_or(50);
    let settings = Settings::from_env()?;
    let ConnectionSource::Environment(config) = &settings.source else {
        return Err(
            "set OKTA_ORG_URL, OKTA_CLIENT_ID and OKTA_PRIVATE_KEY, not OKTA_SECRET_ID".into(),
        );
    };
    let Credentials::ServiceApp(app) = &config.credentials else {
        return Err("the connection is not a service app".into());
    };
    let http = reqwest::Client::new();
    let scopes = Action::GetUser.scopes();
    let timeout = Duration::from_secs(5);
    // Warm the HTTP connection and the simulator.
    TokenSource::default()
        .token(&http, config, app, scopes, timeout)
        .await?;
    let mut acquisition = Vec::with_capacity(iterations);
    let mut round_trip = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let tokens = TokenSource::default();
        let started = Instant::now();
        let token = tokens.token(&http, config, app, scopes, timeout).await?;
        acquisition.push(started.elapsed().as_secs_f64() * 1e6);
        tokens.forget(&token).await;
        let started = Instant::now();
        tokens.token(&http, config, app, scopes, timeout).await?;
        round_trip.push(started.elapsed().as_secs_f64() * 1e6);
    }
    let median = |mut samples: Vec<f64>| {
        samples.sort_by(f64::total_cmp);
        samples[samples.len() / 2]
    };
    let line = json!({
        "iterations": iterations,
        "acquisition_us": median(acquisition),
        "round_trip_us": median(round_trip),
    });
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
    Ok(())
}
