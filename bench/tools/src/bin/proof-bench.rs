//! The warm cost of a DPoP-bound call's proof, apart from the noise of a whole invocation: the headers
//! `TokenSource::authorize` makes for one API request (a signed ES256 proof with `ath`, `htm`, `htu`), repeated.
//! The first call also generates the container's DPoP key (P-256), reported apart.
//!
//!   proof-bench [iterations]      prints one JSON line of microseconds (median, p90, first call)

use std::time::{Duration, Instant};

use okta_lifecycle::okta::oauth::{AccessToken, TokenSource};
use secrecy::SecretString;
use serde_json::json;
use url::Url;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let iterations: usize = std::env::args()
        .nth(1)
        .map(|raw| raw.parse())
        .transpose()?
        .unwrap_or(5000);
    let tokens = TokenSource::default();
    let token = AccessToken::new(
        SecretString::from("eyJraWQiOiJiZW5jaCJ9.eyJzdWIiOiIwb2FiZW5jaCJ9.c2lnbmF0dXJl".to_owned()),
        true,
        Duration::from_secs(3600),
    );
    let url = Url::parse("https://acme.okta.com/api/v1/users/00u1bench?expand=x")?;
    let first_started = Instant::now();
    tokens.authorize(&token, "GET", &url).await?;
    let first_us = first_started.elapsed().as_secs_f64() * 1e6;
    let mut samples = Vec::with_capacity(iterations);
    for _ in 0..iterations {
        let started = Instant::now();
        let headers = tokens.authorize(&token, "GET", &url).await?;
        samples.push(started.elapsed().as_secs_f64() * 1e6);
        std::hint::black_box(headers);
    }
    samples.sort_by(f64::total_cmp);
    let at = |fraction: f64| {
        samples[((samples.len() as f64 * fraction).ceil() as usize).saturating_sub(1)]
    };
    let line = json!({
        "iterations": iterations,
        "median_us": at(0.5),
        "p90_us": at(0.9),
        "first_call_with_key_generation_us": first_us,
    });
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
    Ok(())
}
