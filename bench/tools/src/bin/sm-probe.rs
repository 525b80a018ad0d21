//! Where the Secrets Manager path's cold start goes: one fresh process per measurement (bench.py starts it with
//! Lambda's environment, `OKTA_SECRET_ID` and `AWS_ENDPOINT_URL`), timing the SDK's set-up, its first
//! GetSecretValue (connection, credentials, TLS roots, endpoint rules), a second one (the round trip alone, on the
//! same connection) and a third on a new connection with everything else warm (through an HTTP client that keeps no
//! idle connection, after one call on it).
//!
//!   sm-probe sdk-defaults   aws_config::load_defaults, as the functions did before
//!   sm-probe project        okta_lifecycle::connection::aws_sdk::config, what the functions do now (with
//!                           AWS_ENDPOINT_URL over plain HTTP, as here: no TLS roots)
//!   sm-probe project-amazon the same trusting Amazon Trust Services' roots, what a deployed function parses
//!   sm-probe project-mozilla the same trusting Mozilla's roots, what the functions parsed before (and still do for
//!                           a custom HTTPS endpoint)
//!   sm-probe roots-only     load_defaults' chains with the project's HTTPS client (Mozilla's roots)
//!   sm-probe chains-only    the environment's credential and region providers with the SDK's default client
//!
//! Prints one JSON line of microseconds.

use std::time::Instant;

use aws_config::BehaviorVersion;
use aws_config::environment::{
    EnvironmentVariableCredentialsProvider, EnvironmentVariableRegionProvider,
};
use okta_lifecycle::connection::aws_sdk;
use okta_lifecycle::connection::aws_trust::AwsTrust;
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let started = Instant::now();
    let mode = std::env::args().nth(1).unwrap_or_default();
    let secret_id = std::env::var("OKTA_SECRET_ID")?;
    let config = match mode.as_str() {
        "sdk-defaults" => aws_config::load_defaults(BehaviorVersion::latest()).await,
        "project" => aws_sdk::config().await,
        "project-amazon" => aws_sdk::config_trusting(AwsTrust::AmazonTrustServices).await,
        "project-mozilla" => aws_sdk::config_trusting(AwsTrust::Mozilla).await,
        "roots-only" => {
            aws_config::defaults(BehaviorVersion::latest())
                .http_client(aws_sdk::http_client(AwsTrust::Mozilla))
                .load()
                .await
        }
        "chains-only" => {
            aws_config::defaults(BehaviorVersion::latest())
                .credentials_provider(EnvironmentVariableCredentialsProvider::new())
                .region(EnvironmentVariableRegionProvider::new())
                .load()
                .await
        }
        other => return Err(format!("unknown mode {other:?}").into()),
    };
    let loaded = Instant::now();
    let client = aws_sdk_secretsmanager::Client::new(&config);
    let built = Instant::now();
    read(&client, &secret_id).await?;
    let first_done = Instant::now();
    read(&client, &secret_id).await?;
    let second_done = Instant::now();
    // The same call on a new connection, with everything else in the process warm (the connector and its TLS
    // roots too: a client that keeps no idle connection, one call made before the timed one): the part of a cold read
    // that no set-up can save (moto accepts each connection on a new thread; Secrets Manager adds TLS).
    let fresh = aws_sdk_secretsmanager::Client::from_conf(
        aws_sdk_secretsmanager::config::Builder::from(&config)
            .http_client(aws_sdk::http_client_without_reuse(
                aws_sdk::trust_from_environment(),
            ))
            .build(),
    );
    read(&fresh, &secret_id).await?;
    let fresh_started = Instant::now();
    read(&fresh, &secret_id).await?;
    let fresh_done = Instant::now();
    // The same again after moto has been left idle, as a cold start's request finds it: the benchmark's rows that read
    // a secret are 15 ms or more apart, and moto answers its first request after a rest of 10 ms or more ~1 ms slower
    // than one that follows another at once (by hand, 9 probes each: idle 0 ms 3.28 ms, 5 ms 3.82, 10 ms 4.68, 20 ms
    // 4.57, 50 ms 4.49, 100 ms 4.36). 20 ms, the shortest gap; SM_PROBE_IDLE_MS sets another.
    let idle_ms = std::env::var("SM_PROBE_IDLE_MS")
        .ok()
        .and_then(|value| value.parse().ok())
        .unwrap_or(20);
    tokio::time::sleep(std::time::Duration::from_millis(idle_ms)).await;
    let idle_started = Instant::now();
    read(&fresh, &secret_id).await?;
    let idle_done = Instant::now();
    let us = |from: Instant, to: Instant| to.duration_since(from).as_secs_f64() * 1e6;
    let line = json!({
        "mode": mode,
        "load_us": us(started, loaded),
        "client_new_us": us(loaded, built),
        "first_get_secret_value_us": us(built, first_done),
        "second_get_secret_value_us": us(first_done, second_done),
        "to_first_secret_us": us(started, first_done),
        "new_connection_get_secret_value_us": us(fresh_started, fresh_done),
        "new_connection_after_idle_get_secret_value_us": us(idle_started, idle_done),
    });
    // The probe's output is its result: stdout is the channel bench.py reads.
    #[allow(clippy::print_stdout)]
    {
        println!("{line}");
    }
    Ok(())
}

/// One GetSecretValue, checked to hold a SecretString (what the functions read).
async fn read(
    client: &aws_sdk_secretsmanager::Client,
    secret_id: &str,
) -> Result<(), Box<dyn std::error::Error>> {
    let output = client
        .get_secret_value()
        .secret_id(secret_id)
        .send()
        .await?;
    if output.secret_string().is_none() {
        return Err("the secret has no SecretString".into());
    }
    Ok(())
}
