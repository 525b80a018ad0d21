//! The Okta connection read from a real local Secrets Manager (moto's server) through the AWS SDK: the cache,
//! the re-read after a 401 (a rotated token), and the errors for missing, malformed and unreachable secrets.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use okta_lifecycle::connection::Connection;
use okta_lifecycle::connection::aws_sdk;
use okta_lifecycle::connection::aws_trust::AwsTrust;
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::moto::Moto;
use okta_lifecycle_tests::untrusted_tls::UntrustedEndpoint;
use okta_lifecycle_tests::{
    DPOP_CLIENT_ID, TOKEN, run, sample_org, service_app_key, start_sim, test_policy,
};
use okta_sim::{Seed, Simulator};
use serde_json::json;

async fn org() -> Simulator {
    let mut seed = Seed::empty();
    seed.user("rotating@acme.example", "ACTIVE");
    start_sim(seed).await
}

fn secret_json(sim: &Simulator, token: &str) -> String {
    json!({"orgUrl": sim.url(), "apiToken": token}).to_string()
}

async fn create_secret(
    secrets: &aws_sdk_secretsmanager::Client,
    name: &str,
    value: impl Into<String>,
) {
    secrets
        .create_secret()
        .name(name)
        .secret_string(value)
        .send()
        .await
        .unwrap();
}

async fn client_for_secret(moto: &Moto, secret_id: &str) -> GuardedClient {
    let connection = Connection::secrets_manager(
        moto.secrets_client().await,
        secret_id.to_owned(),
        Duration::from_secs(300),
        Vec::new(),
    );
    OktaClient::with_policy(connection, test_policy())
        .unwrap()
        .into()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn secrets_manager_cache_rotation_and_errors() {
    // One moto server for the whole scenario: it takes a second or two to start.
    let moto = Moto::start();
    let secrets = moto.secrets_client().await;
    let sim = org().await;
    let get_user = json!({"user": "rotating@acme.example"});

    // Read through the SDK, then served from the cache.
    create_secret(&secrets, "okta/good", secret_json(&sim, TOKEN)).await;
    let client = client_for_secret(&moto, "okta/good").await;
    run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap();
    secrets
        .delete_secret()
        .secret_id("okta/good")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    run(&client, Action::GetUser, get_user.clone())
        .await
        .expect("the cached connection is used within its TTL");

    // Prepared while the runtime waits for the first event: the secret is read then, not by the invocation.
    create_secret(&secrets, "okta/prepared", secret_json(&sim, TOKEN)).await;
    let client = client_for_secret(&moto, "okta/prepared").await;
    sim.reset_counters();
    client.prepare(Action::GetUser.scopes()).await;
    assert_eq!(
        sim.total_calls(),
        0,
        "preparing an API token calls no Okta API"
    );
    secrets
        .delete_secret()
        .secret_id("okta/prepared")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    run(&client, Action::GetUser, get_user.clone())
        .await
        .expect("the invocation uses the secret read while preparing");

    // A rotated token: the cached one gets 401, the secret is read again once, and the call succeeds.
    create_secret(&secrets, "okta/rotated", secret_json(&sim, "old-token")).await;
    let client = client_for_secret(&moto, "okta/rotated").await;
    client.connection().get().await.unwrap();
    secrets
        .put_secret_value()
        .secret_id("okta/rotated")
        .secret_string(secret_json(&sim, TOKEN))
        .send()
        .await
        .unwrap();
    sim.reset_counters();
    let output = run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap();
    assert_eq!(output.user.login, "rotating@acme.example");
    let statuses: Vec<u16> = sim
        .requests()
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(statuses, vec![401, 200], "one 401, a re-read, one success");

    // Still wrong after the re-read: Okta.Unauthorized after exactly two calls.
    create_secret(&secrets, "okta/wrong", secret_json(&sim, "wrong-token")).await;
    let client = client_for_secret(&moto, "okta/wrong").await;
    sim.reset_counters();
    let error = run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized);
    assert_eq!(sim.total_calls(), 2);

    // Missing and malformed secrets are configuration errors that never quote the secret.
    let client = client_for_secret(&moto, "okta/missing").await;
    let error = run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ConfigInvalid, "{error}");
    assert!(error.message.contains("okta/missing"));
    create_secret(
        &secrets,
        "okta/malformed",
        r#"{"orgUrl": "https://acme.okta.com", "apiTokn": "SECRET-VALUE-123"}"#,
    )
    .await;
    let client = client_for_secret(&moto, "okta/malformed").await;
    let error = run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::ConfigInvalid);
    assert!(!format!("{error} {error:?}").contains("SECRET-VALUE-123"));
    secrets
        .create_secret()
        .name("okta/admin-url")
        .secret_string(
            json!({"orgUrl": "https://acme-admin.okta.com", "apiToken": "x"}).to_string(),
        )
        .send()
        .await
        .unwrap();
    let client = client_for_secret(&moto, "okta/admin-url").await;
    let error = run(&client, Action::GetUser, get_user.clone())
        .await
        .unwrap_err();
    assert_eq!(
        (error.kind, error.field.as_deref()),
        (ErrorKind::ConfigInvalid, Some("orgUrl"))
    );

    // Secrets Manager unreachable: a retryable error, not a crash.
    let endpoint = moto.endpoint.clone();
    drop(moto);
    let client = client_reading_once_from(&endpoint, AwsTrust::AmazonTrustServices).await;
    let started = Instant::now();
    let error = run(&client, Action::GetUser, get_user).await.unwrap_err();
    assert_eq!(error.kind, ErrorKind::SecretUnavailable, "{error}");
    assert!(error.kind.retryable());
    assert!(started.elapsed() < Duration::from_secs(10));
}

/// A client reading the secret `okta/good` from `endpoint` through the functions' HTTPS client trusting `trust`,
/// without the SDK's retries (each test's failure is what one attempt meets).
async fn client_reading_once_from(endpoint: &str, trust: AwsTrust) -> GuardedClient {
    let config = aws_config::defaults(aws_config::BehaviorVersion::latest())
        .http_client(aws_sdk::http_client(trust))
        .region(aws_config::Region::new("us-east-1"))
        .credentials_provider(aws_sdk_secretsmanager::config::Credentials::new(
            "testing", "testing", None, None, "t",
        ))
        .endpoint_url(endpoint)
        .retry_config(aws_config::retry::RetryConfig::disabled())
        .load()
        .await;
    let connection = Connection::secrets_manager(
        aws_sdk_secretsmanager::Client::new(&config),
        "okta/good".into(),
        Duration::from_secs(300),
        Vec::new(),
    );
    OktaClient::with_policy(connection, test_policy())
        .unwrap()
        .into()
}

/// The guardrails' token owner is cached with the connection: read once, and again when the secret is read anew
/// (rotation, a 401), since a new token may belong to another admin.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_token_owner_is_read_again_with_a_new_secret() {
    let moto = Moto::start();
    let secrets = moto.secrets_client().await;
    let sim = org().await;
    create_secret(&secrets, "okta/owner", secret_json(&sim, TOKEN)).await;
    let client = client_for_secret(&moto, "okta/owner").await;
    let me_reads = || {
        sim.requests()
            .iter()
            .filter(|request| request.path == "/api/v1/users/me")
            .count()
    };
    let user = json!({"user": "rotating@acme.example"});
    run(&client, Action::SuspendUser, user.clone())
        .await
        .unwrap();
    run(&client, Action::UnsuspendUser, user.clone())
        .await
        .unwrap();
    assert_eq!(me_reads(), 1, "cached with the connection");
    let current = client.connection().get().await.unwrap();
    assert!(client.connection().invalidate(&current).await);
    run(&client, Action::SuspendUser, user).await.unwrap();
    assert_eq!(me_reads(), 2, "read again with the new secret");
}

/// The service-app form through Secrets Manager, and a rotated key: the token endpoint refuses the key the cache
/// holds, the secret is read again once, and the call succeeds with the new key.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_app_secret_and_its_rotated_key() {
    let moto = Moto::start();
    let secrets = moto.secrets_client().await;
    let sim = start_sim(sample_org()).await;
    let secret = |key: &str, kid: &str| {
        json!({"orgUrl": sim.url(), "clientId": DPOP_CLIENT_ID, "privateKey": service_app_key(key), "keyId": kid})
            .to_string()
    };
    // The old key, no longer registered under this kid.
    create_secret(&secrets, "okta/app", secret("rsa", "sim-ec-1")).await;
    let client = client_for_secret(&moto, "okta/app").await;
    client.connection().get().await.unwrap();
    secrets
        .put_secret_value()
        .secret_id("okta/app")
        .secret_string(secret("ec", "sim-ec-1"))
        .send()
        .await
        .unwrap();
    let output = run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    let token_statuses: Vec<u16> = sim
        .requests()
        .iter()
        .filter(|request| request.path == okta_sim::TOKEN_PATH)
        .map(|request| request.status)
        .collect();
    // Refused with the old key; then the new key meets the nonce challenge and gets its token.
    assert_eq!(token_statuses, [401, 400, 200]);
}

/// A Secrets Manager endpoint whose certificate no trusted root vouches for (a self-signed one, as a machine in the
/// middle would present): the read is refused before anything is sent, and the error says why, for the trust a
/// custom HTTPS endpoint gets (Mozilla's roots) and for AWS's own (Amazon Trust Services').
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_certificate_no_trusted_root_vouches_for_is_refused_and_named() {
    let untrusted = UntrustedEndpoint::start().await;
    let endpoint = untrusted.url.clone();
    let lookup =
        |name: &str| (name == "AWS_ENDPOINT_URL_SECRETS_MANAGER").then(|| endpoint.clone());
    assert_eq!(
        AwsTrust::from_environment(lookup, |_| false),
        AwsTrust::Mozilla
    );
    for trust in [AwsTrust::Mozilla, AwsTrust::AmazonTrustServices] {
        let client = client_reading_once_from(&endpoint, trust).await;
        let error = run(
            &client,
            Action::GetUser,
            json!({"user": "someone@acme.example"}),
        )
        .await
        .unwrap_err();
        assert_eq!(
            error.kind,
            ErrorKind::SecretUnavailable,
            "{trust:?}: {error}"
        );
        assert!(
            error
                .message
                .contains("TLS certificate is not trusted (UnknownIssuer)"),
            "{trust:?}: {error}"
        );
    }
    assert!(untrusted.handshakes() >= 2, "the endpoint was reached");
}

/// A 401 that is not about the credential (Okta's E0000015: the org has no user-blocks feature) leaves the secret
/// alone: it is deleted after the first read, so a re-read would fail the invocation with `Config.Invalid`.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_feature_the_org_lacks_does_not_read_the_secret_again() {
    let moto = Moto::start();
    let secrets = moto.secrets_client().await;
    let mut seed = Seed::empty();
    seed.blocks_feature_off = true;
    seed.user("active@noblocks.example", "ACTIVE");
    let sim = start_sim(seed).await;
    create_secret(&secrets, "okta/no-blocks", secret_json(&sim, TOKEN)).await;
    let client = client_for_secret(&moto, "okta/no-blocks").await;
    client.connection().get().await.unwrap();
    secrets
        .delete_secret()
        .secret_id("okta/no-blocks")
        .force_delete_without_recovery(true)
        .send()
        .await
        .unwrap();
    let output = run(
        &client,
        Action::UnlockUser,
        json!({"user": "active@noblocks.example"}),
    )
    .await
    .expect("the 401 E0000015 read no secret");
    assert!(!output.changed, "{output:?}");
    assert_eq!(sim.calls("GET", "/api/v1/users/{id}/blocks"), 1);
}
