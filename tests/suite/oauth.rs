//! The OAuth 2.0 service-app connection against the simulator's org authorization server: tokens with
//! `private_key_jwt`, the DPoP nonce challenge, proofs on every call, caching, re-acquisition after a 401, scopes,
//! and the refusals that must never reach an API endpoint.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use okta_lifecycle::config::{AuthKind, OktaConfig};
use okta_lifecycle::connection::Connection;
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle::{Action, ErrorKind, Input};
use okta_lifecycle_tests::{
    DPOP_CLIENT_ID, Form, client_with, config_for, run, sample_org, service_app_key, start_sim,
    test_policy,
};
use okta_sim::{RecordedRequest, TOKEN_PATH};
use serde_json::json;

fn header<'r>(request: &'r RecordedRequest, name: &str) -> Option<&'r str> {
    request
        .headers
        .iter()
        .find(|(key, _)| key.eq_ignore_ascii_case(name))
        .map(|(_, value)| value.as_str())
}

fn api_requests(requests: &[RecordedRequest]) -> Vec<&RecordedRequest> {
    requests
        .iter()
        .filter(|request| request.path.starts_with("/api/"))
        .collect()
}

/// The RSA key is registered, but not under the EC key's kid: the assertion's signature does not verify, and every
/// token request is refused (`invalid_client`).
fn client_signing_with_the_wrong_key(sim: &okta_sim::Simulator) -> GuardedClient {
    let config = OktaConfig::service_app(
        &sim.url(),
        DPOP_CLIENT_ID,
        service_app_key("rsa").into(),
        Some("sim-ec-1"),
        &[],
    )
    .unwrap();
    OktaClient::with_policy(Connection::fixed(config), test_policy())
        .unwrap()
        .into()
}

#[tokio::test]
async fn every_form_runs_an_action_with_its_own_authorization() {
    for form in Form::ALL {
        let sim = start_sim(sample_org()).await;
        let client = client_with(&sim, form);
        let output = run(
            &client,
            Action::SuspendUser,
            json!({"user": "sam.leaver@acme.example"}),
        )
        .await
        .unwrap_or_else(|error| panic!("{form:?}: {error}"));
        assert!(output.changed, "{form:?}");
        assert_eq!(
            sim.user("sam.leaver@acme.example").unwrap().status,
            "SUSPENDED"
        );
        let requests = sim.requests();
        let token_requests: Vec<_> = requests
            .iter()
            .filter(|request| request.path == TOKEN_PATH)
            .collect();
        for request in api_requests(&requests) {
            let authorization = header(request, "authorization").unwrap();
            let scheme = authorization.split(' ').next().unwrap();
            match form {
                Form::ApiToken => assert_eq!(scheme, "SSWS"),
                Form::ServiceAppDpop => {
                    assert_eq!(scheme, "DPoP");
                    assert!(header(request, "dpop").is_some(), "a proof on every call");
                }
                Form::ServiceAppBearer => {
                    assert_eq!(scheme, "Bearer");
                    assert!(header(request, "dpop").is_none());
                }
            }
        }
        match form {
            Form::ApiToken => assert!(token_requests.is_empty()),
            // The first token request is answered with the use_dpop_nonce challenge, the second with the token.
            Form::ServiceAppDpop => {
                assert_eq!(
                    token_requests.iter().map(|r| r.status).collect::<Vec<_>>(),
                    [400, 200]
                );
                assert!(header(token_requests[0], "dpop").is_some());
            }
            Form::ServiceAppBearer => {
                assert_eq!(
                    token_requests.iter().map(|r| r.status).collect::<Vec<_>>(),
                    [200]
                );
            }
        }
    }
}

#[tokio::test]
async fn the_token_is_cached_across_invocations_and_renewed_once_after_a_401() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    let get = json!({"user": "alice.active@acme.example"});
    run(&client, Action::GetUser, get.clone()).await.unwrap();
    run(&client, Action::GetUser, get.clone()).await.unwrap();
    assert_eq!(sim.tokens_issued(), 1, "one token for both invocations");

    // Revoked (or expired early): the call gets a 401, the client gets a new token and repeats the call, once.
    sim.expire_tokens();
    sim.reset_counters();
    run(&client, Action::GetUser, get.clone()).await.unwrap();
    assert_eq!(sim.tokens_issued(), 2);
    let statuses: Vec<u16> = api_requests(&sim.requests())
        .iter()
        .map(|request| request.status)
        .collect();
    assert_eq!(statuses, [401, 200]);
}

#[tokio::test]
async fn a_prepared_client_has_its_token_before_the_first_invocation() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    // What a function does while the runtime waits for its first event.
    client.prepare(Action::SuspendUser.scopes()).await;
    assert_eq!(sim.tokens_issued(), 1);
    assert!(
        api_requests(&sim.requests()).is_empty(),
        "preparing calls no API"
    );
    run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap();
    assert_eq!(
        sim.tokens_issued(),
        1,
        "the invocation used the prepared token"
    );
}

#[tokio::test]
async fn a_failed_preparation_is_tried_again_and_reported_by_the_invocation() {
    let sim = start_sim(sample_org()).await;
    let client = client_signing_with_the_wrong_key(&sim);
    client.prepare(Action::SuspendUser.scopes()).await;
    let token_requests = |sim: &okta_sim::Simulator| {
        sim.requests()
            .iter()
            .filter(|request| request.path == TOKEN_PATH)
            .count()
    };
    let after_prepare = token_requests(&sim);
    assert!(after_prepare > 0);
    let error = run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized, "{error}");
    assert!(
        token_requests(&sim) > after_prepare,
        "the invocation asked again"
    );
    assert!(api_requests(&sim.requests()).is_empty());
}

#[tokio::test]
async fn a_token_that_keeps_failing_is_okta_unauthorized_after_one_renewal() {
    let sim = start_sim(sample_org()).await;
    sim.set_token_lifetime(0);
    let client = client_with(&sim, Form::ServiceAppBearer);
    let error = run(
        &client,
        Action::GetUser,
        json!({"user": "alice.active@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized);
    assert_eq!(sim.tokens_issued(), 2, "one renewal, no loop");
}

#[tokio::test]
async fn a_rotated_nonce_is_answered_again() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    let get = json!({"user": "alice.active@acme.example"});
    run(&client, Action::GetUser, get.clone()).await.unwrap();
    sim.rotate_dpop_nonce();
    sim.expire_tokens();
    run(&client, Action::GetUser, get).await.unwrap();
    assert_eq!(sim.tokens_issued(), 2);
}

#[tokio::test]
async fn a_token_request_refused_never_reaches_the_api() {
    let sim = start_sim(sample_org()).await;
    let client = client_signing_with_the_wrong_key(&sim);
    let error = run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized, "{error}");
    assert!(
        error.message.contains("invalid_client"),
        "{}",
        error.message
    );
    assert!(api_requests(&sim.requests()).is_empty());
    assert_eq!(sim.mutating_calls(), 0);
    assert_eq!(
        sim.user("sam.leaver@acme.example").unwrap().status,
        "ACTIVE"
    );

    // An unknown client id.
    let config = OktaConfig::service_app(
        &sim.url(),
        "0oanotregistered0001",
        service_app_key("ec").into(),
        None,
        &[],
    )
    .unwrap();
    let client: GuardedClient = OktaClient::with_policy(Connection::fixed(config), test_policy())
        .unwrap()
        .into();
    let error = run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized);
    assert!(api_requests(&sim.requests()).is_empty());
}

#[tokio::test]
async fn scopes_not_granted_are_okta_forbidden_naming_them() {
    let mut seed = sample_org();
    for app in &mut seed.service_apps {
        app.scopes = vec!["okta.users.read".to_owned()];
    }
    let sim = start_sim(seed).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    let error = run(
        &client,
        Action::SuspendUser,
        json!({"user": "sam.leaver@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaForbidden);
    assert!(!error.kind.retryable());
    assert!(
        error.message.contains("okta.users.manage"),
        "{}",
        error.message
    );
    assert!(api_requests(&sim.requests()).is_empty());
}

#[tokio::test]
async fn a_call_beyond_the_token_scopes_is_okta_forbidden_and_changes_nothing() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    // A session whose token can only read users, running an action that must change one.
    let input = Input::parse(
        Action::SuspendUser,
        &json!({"user": "sam.leaver@acme.example"}),
    )
    .unwrap();
    let session = client.session(
        Instant::now() + Duration::from_secs(20),
        &["okta.users.read"],
    );
    let error = Action::SuspendUser
        .execute(&session, &input)
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaForbidden);
    assert!(
        error.message.contains("okta.users.manage"),
        "{}",
        error.message
    );
    assert_eq!(sim.mutating_calls(), 0);
    assert_eq!(
        sim.user("sam.leaver@acme.example").unwrap().status,
        "ACTIVE"
    );
}

/// The simulator refuses what a stolen proof or token would do: the same proof again, a proof for another URL, a
/// DPoP-bound token sent as Bearer.
#[tokio::test]
async fn the_simulator_refuses_replayed_and_misused_proofs() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    run(
        &client,
        Action::GetUser,
        json!({"user": "alice.active@acme.example"}),
    )
    .await
    .unwrap();
    let requests = sim.requests();
    let sent = api_requests(&requests)[0].clone();
    let authorization = header(&sent, "authorization").unwrap().to_owned();
    let proof = header(&sent, "dpop").unwrap().to_owned();
    let http = reqwest::Client::new();
    let send = |path: &str, authorization: &str, proof: Option<&str>| {
        let mut request = http
            .get(format!("{}{path}", sim.url()))
            .header("authorization", authorization);
        if let Some(proof) = proof {
            request = request.header("dpop", proof);
        }
        request.send()
    };
    // A bad proof on an API request is 400 with the `invalid_dpop_proof` challenge (okta-sdk-nodejs issue #453,
    // terraform-provider-okta issue #2392), not 401 E0000011.
    let replayed = send(&sent.path, &authorization, Some(&proof))
        .await
        .unwrap();
    assert_eq!(replayed.status(), 400);
    let challenge = replayed.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("already been used"), "{challenge}");

    let elsewhere = send("/api/v1/users", &authorization, Some(&proof))
        .await
        .unwrap();
    assert_eq!(elsewhere.status(), 400);
    let challenge = elsewhere.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(challenge.contains("htu"), "{challenge}");

    let token = authorization.trim_start_matches("DPoP ");
    let as_bearer = send(&sent.path, &format!("Bearer {token}"), None)
        .await
        .unwrap();
    assert_eq!(as_bearer.status(), 401);
    let without_proof = send(&sent.path, &authorization, None).await.unwrap();
    assert_eq!(without_proof.status(), 400);
}

#[tokio::test]
async fn the_session_tells_which_form_the_connection_has() {
    let sim = start_sim(sample_org()).await;
    for (form, kind) in [
        (Form::ApiToken, AuthKind::ApiToken),
        (Form::ServiceAppDpop, AuthKind::ServiceApp),
        (Form::ServiceAppBearer, AuthKind::ServiceApp),
    ] {
        let client = client_with(&sim, form);
        let session = client.session(Instant::now() + Duration::from_secs(5), &[]);
        assert_eq!(session.auth_kind().await.unwrap(), kind);
        assert_eq!(config_for(&sim, form).auth_kind(), kind);
    }
}

/// Every way a person names a user reaches Okta through a service app that requires DPoP: Okta compares the proof's
/// `htu` with the request's **decoded** path, so a login or email in the path (`@`, `+`, `#`, `%`, non-ASCII) must be
/// decoded in `htu` (okta-sdk-python issue #541, okta-sdk-nodejs issue #521, okta-sdk-java `DPoPInterceptor`).
/// Logins with a space are not in the list: Okta's default login format is an email address, which has none.
#[tokio::test]
async fn every_reference_form_works_through_a_dpop_service_app() {
    let mut seed = sample_org();
    let logins = [
        "jo+test@acme.example",
        "o#neil@acme.example",
        "zo\u{eb}.m@acme.example",
        "we%ird@acme.example",
    ];
    let mut ids = Vec::new();
    for login in logins {
        ids.push(seed.user(login, "ACTIVE"));
    }
    let mut with_email = okta_sim::SeedUser::new("pat.login@acme.example", "ACTIVE");
    with_email.email = Some("pat.mail@other.example".to_owned());
    let pat = seed.add_user(with_email);
    let sim = start_sim(seed).await;
    let client = client_with(&sim, Form::ServiceAppDpop);

    let mut references: Vec<String> = logins.iter().map(|login| (*login).to_owned()).collect();
    references.extend(ids.iter().cloned());
    references.extend([
        "pat.login@acme.example".to_owned(),
        "pat.mail@other.example".to_owned(),
        pat,
    ]);
    for reference in &references {
        run(&client, Action::GetUser, json!({"user": reference}))
            .await
            .unwrap_or_else(|error| panic!("get {reference}: {error}"));
    }
    // A change named by login goes through too: the guardrails' reads and the lifecycle call.
    for login in logins {
        run(&client, Action::SuspendUser, json!({"user": login}))
            .await
            .unwrap_or_else(|error| panic!("suspend {login}: {error}"));
        assert_eq!(sim.user(login).unwrap().status, "SUSPENDED", "{login}");
    }
    let refused: Vec<String> = api_requests(&sim.requests())
        .iter()
        .filter(|request| request.status == 400 || request.status == 401)
        .map(|request| format!("{} {} {}", request.status, request.method, request.path))
        .collect();
    assert!(refused.is_empty(), "{refused:?}");
    // The logins really were percent-encoded on the wire: the decoded `htu` is what let them through.
    assert!(
        sim.requests()
            .iter()
            .any(|request| request.path.contains("jo%2Btest%40acme.example")),
        "the login is sent percent-encoded"
    );
}

/// A proof whose `htu` does not match the decoded path is refused as Okta refuses it: 400 and the challenge
/// `error="invalid_dpop_proof", error_description="'htu' claim in the DPoP proof JWT is invalid."`.
#[tokio::test]
async fn the_simulator_compares_htu_with_the_decoded_path() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    run(
        &client,
        Action::GetUser,
        json!({"user": "alice.active@acme.example"}),
    )
    .await
    .unwrap();
    let requests = sim.requests();
    let sent = api_requests(&requests)[0].clone();
    assert!(
        sent.path.contains("%40"),
        "looked up by login: {}",
        sent.path
    );
    let proof = header(&sent, "dpop").unwrap().to_owned();
    let claims: serde_json::Value = {
        use base64::Engine;
        let payload = proof.split('.').nth(1).unwrap();
        serde_json::from_slice(
            &base64::engine::general_purpose::URL_SAFE_NO_PAD
                .decode(payload)
                .unwrap(),
        )
        .unwrap()
    };
    let htu = claims["htu"].as_str().unwrap();
    assert!(
        htu.ends_with("/api/v1/users/alice.active@acme.example"),
        "{htu}"
    );
    // The same proof for another user's (encoded) path: a fresh proof would be needed, and the htu is named.
    let authorization = header(&sent, "authorization").unwrap().to_owned();
    let answer = reqwest::Client::new()
        .get(format!("{}/api/v1/users/bob%40acme.example", sim.url()))
        .header("authorization", authorization)
        .header("dpop", proof)
        .send()
        .await
        .unwrap();
    assert_eq!(answer.status(), 400);
    let challenge = answer.headers()["www-authenticate"]
        .to_str()
        .unwrap()
        .to_owned();
    assert!(
        challenge.contains(r#"error="invalid_dpop_proof""#)
            && challenge.contains("'htu' claim in the DPoP proof JWT is invalid."),
        "{challenge}"
    );
}

/// Okta's answer to a refused proof (400 with the `invalid_dpop_proof` challenge, as recorded in okta-sdk-nodejs
/// issue #453) is the connection's problem, named with Okta's description: `Okta.Unauthorized`, not the caller's
/// `Okta.Rejected`. Served by a loopback responder that answers every request that way.
#[tokio::test]
async fn a_refused_dpop_proof_is_named_as_the_connections_problem() {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let url = format!("http://{}", listener.local_addr().unwrap());
    tokio::spawn(async move {
        while let Ok((mut stream, _)) = listener.accept().await {
            let mut buffer = [0u8; 8192];
            let _ = stream.read(&mut buffer).await;
            let answer = "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\nConnection: close\r\n\
                Www-Authenticate: DPoP algs=\"RS256 RS384 RS512 ES256 ES384 ES512\", authorization_uri=\"http://x/oauth2/v1/authorize\", realm=\"http://x\", scope=\"okta.users.read\", error=\"invalid_dpop_proof\", error_description=\"'htu' claim in the DPoP proof JWT is invalid.\", resource=\"/api/v1/users/a@b\"\r\n\r\n";
            let _ = stream.write_all(answer.as_bytes()).await;
        }
    });
    let config = OktaConfig::new(&url, "00not-a-real-token".to_owned().into(), &[]).unwrap();
    let client: GuardedClient = OktaClient::with_policy(Connection::fixed(config), test_policy())
        .unwrap()
        .into();
    let error = run(&client, Action::GetUser, json!({"user": "a@b.example"}))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaUnauthorized, "{}", error.message);
    assert!(
        error
            .message
            .contains("'htu' claim in the DPoP proof JWT is invalid."),
        "{}",
        error.message
    );
}
