//! Secrets never appear in logs or errors: the API token, activation and reset links, temporary passwords.
//! Every invocation goes through the Lambda handler, with a subscriber capturing every log line at TRACE, and
//! writes exactly one audit record.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::io::Write;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lambda_runtime::{Context, LambdaEvent};
use okta_lifecycle::config::OktaConfig;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::{Action, ErrorKind, lambda};
use okta_lifecycle_tests::{
    Form, TOKEN, client_with, sample_org, service_app_key, start_sim, test_policy,
};
use okta_sim::{Fault, FaultKind, Match, Seed};
use serde_json::{Value, json};

#[derive(Clone, Default)]
struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

async fn invoke(
    client: Result<&GuardedClient, &okta_lifecycle::Error>,
    action: Action,
    payload: Value,
) -> Result<Value, okta_lifecycle::Error> {
    lambda::handle(
        action,
        client,
        LambdaEvent::new(payload, Context::default()),
    )
    .await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_secret_in_any_log_line_error_or_debug_output() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = okta_lifecycle_tests::set_log_capture(subscriber);

    let mut seed = Seed::empty();
    seed.user("staged@acme.example", "STAGED");
    seed.user("active@acme.example", "ACTIVE");
    seed.user("expiring@acme.example", "ACTIVE");
    seed.user("limited@acme.example", "ACTIVE");
    let sim = start_sim(seed).await;
    let client =
        okta_lifecycle_tests::client_guarded(&sim, okta_lifecycle_tests::credentials_allowed());
    let mut secrets_returned = Vec::new();
    let mut errors = Vec::new();
    let mut invocations = 0;

    // Secret-bearing outputs: returned to the caller, never logged.
    for (action, payload, key) in [
        (
            Action::ActivateUser,
            json!({"user": "staged@acme.example", "sendEmail": false}),
            "activationUrl",
        ),
        (
            Action::ResetPassword,
            json!({"user": "active@acme.example", "sendEmail": false}),
            "resetPasswordUrl",
        ),
        (
            Action::ExpirePassword,
            json!({"user": "expiring@acme.example", "tempPassword": true}),
            "tempPassword",
        ),
    ] {
        invocations += 1;
        let output = invoke(Ok(&client), action, payload).await.unwrap();
        let secret = output[key]
            .as_str()
            .unwrap_or_else(|| panic!("{key} in {output}"))
            .to_owned();
        secrets_returned.push(secret);
    }

    // Failures of every kind, through Step Functions-style and API Gateway-style events. The HTTP one first: a
    // user not found is looked up by search too, in Okta's `/api/v1/users` bucket, which the 429 below makes this
    // client pace until Okta's reset.
    let http_event = json!({
        "version": "2.0", "routeKey": "POST /users/{user}/suspend", "rawPath": "/users/x/suspend", "rawQueryString": "",
        "headers": {"authorization": format!("SSWS {TOKEN}")},
        "requestContext": {"http": {"method": "POST", "path": "/users/x/suspend", "protocol": "HTTP/1.1", "sourceIp": "127.0.0.1", "userAgent": "t"},
                           "requestId": "r1", "routeKey": "POST /users/{user}/suspend", "stage": "$default", "time": "", "timeEpoch": 0,
                           "accountId": "1", "apiId": "a", "domainName": "d", "domainPrefix": "d"},
        "pathParameters": {"user": "ghost@acme.example"}, "isBase64Encoded": false
    });
    invocations += 1;
    let response = invoke(Ok(&client), Action::SuspendUser, http_event)
        .await
        .unwrap();
    assert_eq!(response["statusCode"], 404);
    assert!(!response.to_string().contains(TOKEN));
    sim.inject(Fault::new(
        Match::route("POST", "/api/v1/users/{id}/lifecycle/suspend"),
        1,
        FaultKind::RateLimited { reset_in_secs: 60 },
    ));
    for (action, payload) in [
        (Action::SuspendUser, json!({"user": "nobody@acme.example"})),
        (
            Action::SuspendUser,
            json!({"user": "active@acme.example", "token": TOKEN}),
        ),
        (Action::UnlockUser, json!({"user": "staged@acme.example"})),
        (Action::SuspendUser, json!({"user": "staged@acme.example"})),
        // Last of the users calls: after a 429, this client paces the users bucket until Okta's reset.
        (Action::SuspendUser, json!({"user": "limited@acme.example"})),
    ] {
        invocations += 1;
        errors.push(invoke(Ok(&client), action, payload).await.unwrap_err());
    }

    // A wrong token (Okta 401) and a misconfiguration.
    let wrong: GuardedClient = OktaClient::with_policy(
        Connection::fixed(
            OktaConfig::new(&sim.url(), format!("{TOKEN}-rotated").into(), &[]).unwrap(),
        ),
        test_policy(),
    )
    .unwrap()
    .into();
    invocations += 1;
    errors.push(
        invoke(
            Ok(&wrong),
            Action::GetUser,
            json!({"user": "active@acme.example"}),
        )
        .await
        .unwrap_err(),
    );
    let config_error =
        OktaConfig::new("http://acme.okta.com", TOKEN.to_owned().into(), &[]).unwrap_err();
    invocations += 1;
    errors.push(
        invoke(
            Err(&config_error),
            Action::GetUser,
            json!({"user": "active@acme.example"}),
        )
        .await
        .unwrap_err(),
    );

    let kinds: Vec<ErrorKind> = errors.iter().map(|error| error.kind).collect();
    assert_eq!(
        kinds,
        vec![
            ErrorKind::OktaNotFound,
            ErrorKind::InputInvalid,
            ErrorKind::OktaNotApplicable,
            ErrorKind::OktaNotApplicable,
            ErrorKind::OktaRateLimited,
            ErrorKind::OktaUnauthorized,
            ErrorKind::ConfigInvalid,
        ],
        "the scenario produced the failures it means to"
    );
    tokio::time::sleep(Duration::from_millis(50)).await;

    let logs = capture.text();
    let audit_lines = logs
        .lines()
        .filter(|line| line.contains("\"target\":\"audit\""))
        .count();
    assert_eq!(
        audit_lines, invocations,
        "exactly one audit record per invocation:\n{logs}"
    );
    let mut haystacks = vec![logs.clone(), format!("{client:?}"), format!("{wrong:?}")];
    haystacks.extend(errors.iter().map(|error| format!("{error} {error:?}")));
    for haystack in &haystacks {
        assert!(!haystack.contains(TOKEN), "the token leaked: {haystack}");
        for secret in &secrets_returned {
            assert!(
                !haystack.contains(secret.as_str()),
                "a returned secret leaked: {haystack}"
            );
        }
    }
    // The SSWS header is sensitive even in reqwest's own debug output.
    assert!(!logs.contains("SSWS"), "an Authorization header was logged");
}

/// The service-app form: neither the private key nor an access token nor a DPoP proof in any log line, error or
/// `Debug` output, through a success, a 401 renewal and a refusal.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_key_token_or_proof_in_any_log_line_with_a_service_app() {
    let capture = Capture::default();
    let writer = capture.clone();
    let subscriber = tracing_subscriber::fmt()
        .json()
        .with_max_level(tracing::Level::TRACE)
        .with_writer(move || writer.clone())
        .finish();
    let _guard = okta_lifecycle_tests::set_log_capture(subscriber);
    let sim = start_sim(sample_org()).await;
    let mut errors = Vec::new();
    let mut clients = Vec::new();
    for form in [Form::ServiceAppDpop, Form::ServiceAppBearer] {
        let client = client_with(&sim, form);
        invoke(
            Ok(&client),
            Action::GetUser,
            json!({"user": "alice.active@acme.example"}),
        )
        .await
        .unwrap();
        sim.expire_tokens();
        invoke(
            Ok(&client),
            Action::GetUser,
            json!({"user": "alice.active@acme.example"}),
        )
        .await
        .unwrap();
        errors.push(
            invoke(
                Ok(&client),
                Action::SuspendUser,
                json!({"user": "nobody@acme.example"}),
            )
            .await
            .unwrap_err(),
        );
        clients.push(format!("{client:?}"));
    }
    tokio::time::sleep(Duration::from_millis(50)).await;
    let mut secrets: Vec<String> = sim
        .requests()
        .iter()
        .flat_map(|request| request.headers.clone())
        .filter(|(name, _)| name == "authorization" || name == "dpop")
        .map(|(_, value)| value.split(' ').next_back().unwrap_or_default().to_owned())
        .collect();
    assert!(secrets.len() >= 6, "the scenario sent tokens and proofs");
    for kind in ["ec", "rsa"] {
        secrets.extend(
            service_app_key(kind)
                .lines()
                .filter(|line| !line.starts_with("-----"))
                .map(str::to_owned),
        );
    }
    let mut haystacks = vec![capture.text()];
    haystacks.extend(clients);
    haystacks.extend(errors.iter().map(|error| format!("{error} {error:?}")));
    for haystack in &haystacks {
        for secret in &secrets {
            assert!(
                !haystack.contains(secret.as_str()),
                "a secret leaked: {haystack}"
            );
        }
    }
}
