//! Rate limits, server errors, timeouts and dropped connections: what is retried inside the invocation, what
//! goes back to the caller with which name, and that the retry headers Okta asks for are sent.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::{client_for, run, run_within, start_sim};
use okta_sim::{Fault, FaultKind, Match, Seed};
use serde_json::json;

/// A fault case: name, fault on the suspend call, how many times, budget, outcome, suspend attempts Okta sees.
type Case = (
    &'static str,
    FaultKind,
    u32,
    Duration,
    Result<(), ErrorKind>,
    Option<usize>,
);

const SUSPEND: &str = "/api/v1/users/{id}/lifecycle/suspend";

async fn org() -> okta_sim::Simulator {
    let mut seed = Seed::empty();
    seed.user("target@acme.example", "ACTIVE");
    start_sim(seed).await
}

fn suspend_input() -> serde_json::Value {
    json!({"user": "target@acme.example"})
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn fault_by_outcome_matrix() {
    let cases: Vec<Case> = vec![
        (
            "429 then success",
            FaultKind::RateLimited { reset_in_secs: 1 },
            1,
            Duration::from_secs(20),
            Ok(()),
            Some(2),
        ),
        (
            "429 whose reset is past the deadline",
            FaultKind::RateLimited { reset_in_secs: 60 },
            1,
            Duration::from_secs(5),
            Err(ErrorKind::OktaRateLimited),
            Some(1),
        ),
        (
            "503 then success",
            FaultKind::Status(503),
            1,
            Duration::from_secs(20),
            Ok(()),
            Some(2),
        ),
        (
            "502 twice then success",
            FaultKind::Status(502),
            2,
            Duration::from_secs(20),
            Ok(()),
            Some(3),
        ),
        (
            "504 every time",
            FaultKind::Status(504),
            10,
            Duration::from_secs(20),
            Err(ErrorKind::OktaTransient),
            Some(4),
        ),
        (
            "500 is not retried in process",
            FaultKind::Status(500),
            1,
            Duration::from_secs(20),
            Err(ErrorKind::OktaTransient),
            Some(1),
        ),
        (
            "dropped connection then success",
            FaultKind::Drop,
            1,
            Duration::from_secs(20),
            Ok(()),
            Some(2),
        ),
        (
            "timeout then success",
            FaultKind::Latency(Duration::from_secs(3)),
            1,
            Duration::from_secs(20),
            Ok(()),
            // The slow first attempt may or may not be recorded once the client has given up on it.
            None,
        ),
    ];
    let mut failures = Vec::new();
    for (name, kind, times, budget, expect, attempts) in cases {
        let sim = org().await;
        let client = client_for(&sim);
        sim.inject(Fault::new(Match::route("POST", SUSPEND), times, kind));
        let result = run_within(&client, Action::SuspendUser, suspend_input(), budget).await;
        let status = sim.user("target@acme.example").unwrap().status;
        let got_attempts = sim
            .requests()
            .iter()
            .filter(|request| request.route.as_deref() == Some(SUSPEND))
            .count();
        match (&expect, &result) {
            (Ok(()), Ok(output)) if output.changed && status == "SUSPENDED" => {}
            (Err(kind), Err(error)) if error.kind == *kind && status == "ACTIVE" => {}
            _ => failures.push(format!(
                "{name}: expected {expect:?}, got {result:?} with the user {status}"
            )),
        }
        if attempts.is_some_and(|attempts| got_attempts != attempts) {
            failures.push(format!(
                "{name}: {got_attempts} suspend attempts, expected {attempts:?}"
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limited_error_carries_the_reset_and_returns_before_the_deadline() {
    let sim = org().await;
    let client = client_for(&sim);
    sim.inject(Fault::new(
        Match::route("POST", SUSPEND),
        1,
        FaultKind::RateLimited { reset_in_secs: 45 },
    ));
    let started = Instant::now();
    let error = run_within(
        &client,
        Action::SuspendUser,
        suspend_input(),
        Duration::from_secs(5),
    )
    .await
    .unwrap_err();
    assert!(
        started.elapsed() < Duration::from_secs(3),
        "did not wait for a reset it could not reach"
    );
    assert_eq!(error.kind, ErrorKind::OktaRateLimited);
    assert!(error.kind.retryable());
    let wait = error.retry_after_secs().unwrap();
    assert!((40..=50).contains(&wait), "retry after {wait} s");
    assert_eq!(error.okta_code(), Some("E0000047"));
    assert!(error.okta_request_id.is_some());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn retries_send_okta_retry_headers() {
    let sim = org().await;
    let client = client_for(&sim);
    sim.inject(Fault::new(
        Match::route("POST", SUSPEND),
        1,
        FaultKind::Status(503),
    ));
    run(&client, Action::SuspendUser, suspend_input())
        .await
        .unwrap();
    let attempts: Vec<_> = sim
        .requests()
        .into_iter()
        .filter(|request| request.route.as_deref() == Some(SUSPEND))
        .collect();
    assert_eq!(attempts.len(), 2);
    let header = |request: &okta_sim::RecordedRequest, name: &str| {
        request
            .headers
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case(name))
            .map(|(_, value)| value.clone())
    };
    assert!(header(&attempts[0], "x-okta-retry-count").is_none());
    assert_eq!(
        header(&attempts[1], "x-okta-retry-count").as_deref(),
        Some("1")
    );
    assert!(header(&attempts[1], "x-okta-retry-for").is_some_and(|id| !id.is_empty()));
    // Every request: JSON accepted, our user agent, an explicit empty body on the body-less POST.
    for request in &attempts {
        assert_eq!(
            header(request, "accept").as_deref(),
            Some("application/json")
        );
        assert!(
            header(request, "user-agent")
                .unwrap()
                .starts_with("okta-lifecycle/")
        );
        assert_eq!(header(request, "content-length").as_deref(), Some("0"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_wrong_token_is_unauthorized_and_not_retried_without_a_secret() {
    let sim = org().await;
    let config =
        okta_lifecycle::config::OktaConfig::new(&sim.url(), "wrong-token".to_owned().into(), &[])
            .unwrap();
    let client = okta_lifecycle::okta::OktaClient::with_policy(
        okta_lifecycle::connection::Connection::fixed(config),
        okta_lifecycle_tests::test_policy(),
    )
    .unwrap();
    let error = run(
        &client.into(),
        Action::GetUser,
        json!({"user": "target@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized);
    assert_eq!(error.okta_code(), Some("E0000011"));
    assert_eq!(
        sim.total_calls(),
        1,
        "a fixed token cannot change, so it is not retried"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rate_limit_buckets_are_waited_out_within_the_deadline() {
    let sim = org().await;
    let client = client_for(&sim);
    // Two requests a minute: get-user, suspend and get-user again need a wait; the simulator's window resets in
    // up to a minute, beyond a 5 s budget, so the caller gets the rate-limit error, and nothing half-done.
    sim.set_rate_limit(Some(1));
    let result = run_within(
        &client,
        Action::SuspendUser,
        suspend_input(),
        Duration::from_secs(5),
    )
    .await;
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaRateLimited);
    assert_eq!(sim.user("target@acme.example").unwrap().status, "ACTIVE");
}

/// An org URL whose server presents a certificate no trusted root vouches for (as a TLS-inspecting proxy or a machine
/// in the middle would): the client refuses it in the handshake, so the API token is never sent, and the error says
/// why. Proves that the Okta client's own TLS configuration (trust anchors extracted at build time) verifies.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_org_whose_certificate_no_trusted_root_vouches_for_is_refused_and_named() {
    use okta_lifecycle::config::OktaConfig;
    use okta_lifecycle::connection::Connection;
    use okta_lifecycle::okta::OktaClient;
    use okta_lifecycle_tests::untrusted_tls::UntrustedEndpoint;
    use okta_lifecycle_tests::{TOKEN, test_policy};

    let untrusted = UntrustedEndpoint::start().await;
    let config = OktaConfig::new(&untrusted.url, TOKEN.to_owned().into(), &[]).unwrap();
    let client = OktaClient::with_policy(Connection::fixed(config), test_policy()).unwrap();
    let error = run_within(
        &client.into(),
        Action::GetUser,
        json!({"user": "someone@acme.example"}),
        Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaTransient, "{error}");
    assert!(
        error
            .message
            .contains("TLS certificate is not trusted (UnknownIssuer)"),
        "{error}"
    );
    assert!(untrusted.handshakes() >= 1, "the endpoint was reached");
}
