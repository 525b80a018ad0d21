//! End-to-end checks of the simulator over real HTTP.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use okta_sim::{Fault, FaultKind, Match, Seed, SeedUser, Simulator};
use serde_json::Value;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const TOKEN: &str = "test-token";

fn client() -> reqwest::Client {
    reqwest::Client::builder()
        .timeout(Duration::from_secs(5))
        .build()
        .unwrap()
}

async fn sample() -> Simulator {
    let seed = Seed::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-org.json")).unwrap();
    Simulator::start(seed, TOKEN).await.unwrap()
}

async fn call(
    sim: &Simulator,
    method: reqwest::Method,
    path: &str,
) -> (u16, reqwest::header::HeaderMap, Value) {
    let mut req = client()
        .request(method.clone(), format!("{}{path}", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Accept", "application/json");
    if method == reqwest::Method::POST || method == reqwest::Method::PUT {
        req = req.header("Content-Length", "0");
    }
    let resp = req.send().await.unwrap();
    let status = resp.status().as_u16();
    let headers = resp.headers().clone();
    let text = resp.text().await.unwrap();
    (
        status,
        headers,
        serde_json::from_str(&text).unwrap_or(Value::Null),
    )
}

async fn raw(sim: &Simulator, request: &str) -> String {
    let mut s = tokio::net::TcpStream::connect(sim.addr()).await.unwrap();
    s.write_all(request.as_bytes()).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(5), s.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

#[tokio::test]
async fn post_without_content_length_is_411() {
    let sim = sample().await;
    let id = sim.user("alice.active@acme.example").unwrap().id;
    let resp = raw(
        &sim,
        &format!(
            "POST /api/v1/users/{id}/lifecycle/suspend HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS {TOKEN}\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 411"), "{resp}");
    assert!(resp.to_ascii_lowercase().contains("x-okta-request-id:"));
    assert_eq!(sim.user(&id).unwrap().status, "ACTIVE");
    // With Content-Length: 0 the same call works.
    let resp = raw(
        &sim,
        &format!(
            "POST /api/v1/users/{id}/lifecycle/suspend HTTP/1.1\r\nHost: x\r\nAuthorization: SSWS {TOKEN}\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        ),
    )
    .await;
    assert!(resp.starts_with("HTTP/1.1 200"), "{resp}");
    assert_eq!(sim.user(&id).unwrap().status, "SUSPENDED");
    assert_eq!(sim.user(&id).unwrap().sessions, 0);
}

#[tokio::test]
async fn wrong_or_missing_token_is_401() {
    let sim = sample().await;
    let r = client()
        .get(format!("{}/api/v1/users", sim.url()))
        .header("Authorization", "SSWS nope")
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
    for h in [
        "x-okta-request-id",
        "x-rate-limit-limit",
        "x-rate-limit-remaining",
        "x-rate-limit-reset",
        "date",
    ] {
        assert!(r.headers().contains_key(h), "{h}");
    }
    let body: Value = r.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000011");
    assert_eq!(body["errorLink"], "E0000011");
    assert!(body["errorId"].as_str().unwrap().starts_with("oae"));
    let r = client()
        .get(format!("{}/api/v1/users", sim.url()))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 401);
}

#[tokio::test]
async fn get_user_by_id_login_shortname_and_slash() {
    let sim = sample().await;
    let sam = sim.user("sam.leaver@acme.example").unwrap();
    let (s, h, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/users/sam.leaver%40acme.example",
    )
    .await;
    assert_eq!(s, 200);
    assert!(h.contains_key("etag"));
    assert_eq!(b["id"], sam.id);
    assert_eq!(b["credentials"]["password"], serde_json::json!({}));
    assert!(b["_links"]["suspend"].is_object());
    assert!(b["_links"]["unsuspend"].is_null());
    let (s, _, b) = call(&sim, reqwest::Method::GET, "/api/v1/users/sam.leaver").await;
    assert_eq!((s, b["id"].clone()), (200, Value::String(sam.id.clone())));
    // Ambiguous shortname: two john.smith logins.
    let (s, _, b) = call(&sim, reqwest::Method::GET, "/api/v1/users/john.smith").await;
    assert_eq!((s, b["errorCode"].as_str()), (404, Some("E0000007")));
    assert_eq!(
        b["errorSummary"],
        "Not found: Resource not found: john.smith (User)"
    );
    // Logins with `/` can't be fetched by path, encoded or not.
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/users/eng%2Fops.bot%40acme.example",
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (405, Some("E0000022")));
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/users/eng/ops.bot@acme.example",
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (405, Some("E0000022")));
    // ... but search finds it, and `+` must be sent as %2B.
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/users?search=profile.login%20eq%20%22eng%2Fops.bot%40acme.example%22",
    )
    .await;
    assert_eq!(s, 200);
    assert_eq!(b.as_array().unwrap().len(), 1);
    let (_, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/users?filter=profile.login+eq+%22tom%2Bcontractor%40acme.example%22",
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 1);
}

#[tokio::test]
async fn lifecycle_matrix_rows() {
    let sim = sample().await;
    let post = |path: String| {
        let sim = &sim;
        async move { call(sim, reqwest::Method::POST, &path).await }
    };
    let staged = sim.user("jane.doe@acme.example").unwrap().id;
    // suspend on a non-ACTIVE user → 400 E0000001
    let (s, _, b) = post(format!("/api/v1/users/{staged}/lifecycle/suspend")).await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("E0000001")));
    // unlock on a non-LOCKED_OUT user → 403 E0000032 with the observed cause
    let (s, _, b) = post(format!("/api/v1/users/{staged}/lifecycle/unlock")).await;
    assert_eq!((s, b["errorCode"].as_str()), (403, Some("E0000032")));
    assert_eq!(
        b["errorCauses"][0]["errorSummary"],
        "The user is not locked out."
    );
    // activate STAGED without password, no email → PROVISIONED + token
    let (s, _, b) = post(format!(
        "/api/v1/users/{staged}/lifecycle/activate?sendEmail=false"
    ))
    .await;
    assert_eq!(s, 200);
    let token = b["activationToken"].as_str().unwrap();
    assert_eq!(
        b["activationUrl"],
        format!("{}/tokens/{token}/verify", sim.url())
    );
    assert_eq!(sim.user(&staged).unwrap().status, "PROVISIONED");
    assert!(sim.emails().is_empty());
    // activate again → PROVISIONED isn't a valid activate precondition → 403 E0000038
    let (s, _, b) = post(format!("/api/v1/users/{staged}/lifecycle/activate")).await;
    assert_eq!((s, b["errorCode"].as_str()), (403, Some("E0000038")));
    // activate an ACTIVE user → 403 E0000016
    let (s, _, b) = post("/api/v1/users/alice.active@acme.example/lifecycle/activate".into()).await;
    assert_eq!((s, b["errorCode"].as_str()), (403, Some("E0000016")));
    // reset_password needs sendEmail → 400 E0000028
    let (s, _, b) =
        post("/api/v1/users/alice.active@acme.example/lifecycle/reset_password".into()).await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("E0000028")));
    let (s, _, b) = post(
        "/api/v1/users/alice.active@acme.example/lifecycle/reset_password?sendEmail=true".into(),
    )
    .await;
    assert_eq!((s, b), (200, serde_json::json!({})));
    assert_eq!(
        sim.user("alice.active@acme.example").unwrap().status,
        "RECOVERY"
    );
    assert_eq!(sim.emails()[0].kind, "reset");
    // expire_password returns the user
    let (s, _, b) =
        post("/api/v1/users/bob.sales@acme.example/lifecycle/expire_password".into()).await;
    assert_eq!((s, b["status"].as_str()), (200, Some("PASSWORD_EXPIRED")));
    // unlock LOCKED_OUT → ACTIVE
    let (s, _, _) = post("/api/v1/users/larry.locked@acme.example/lifecycle/unlock".into()).await;
    assert_eq!(s, 200);
    assert_eq!(
        sim.user("larry.locked@acme.example").unwrap().status,
        "ACTIVE"
    );
    // deactivate: assignments go, groups stay; again → 404 E0000007
    let sam = sim.user("sam.leaver@acme.example").unwrap().id;
    assert_eq!(sim.app_assignment("GitHub", &sam).unwrap().scope, "GROUP");
    assert_eq!(sim.app_assignment("Slack", &sam).unwrap().scope, "USER");
    let (s, _, _) = post(format!("/api/v1/users/{sam}/lifecycle/deactivate")).await;
    assert_eq!(s, 200);
    let u = sim.user(&sam).unwrap();
    assert_eq!(
        (
            u.status.as_str(),
            u.sessions,
            u.oauth_tokens,
            u.has_password
        ),
        ("DEPROVISIONED", 0, 0, false)
    );
    assert!(sim.app_assignment("Slack", &sam).is_none());
    assert!(sim.app_assignment("GitHub", &sam).is_none());
    assert!(
        sim.user_group_names(&sam)
            .contains(&"Engineering".to_string())
    );
    let (s, _, b) = post(format!("/api/v1/users/{sam}/lifecycle/deactivate")).await;
    assert_eq!((s, b["errorCode"].as_str()), (404, Some("E0000007")));
    assert_eq!(
        sim.calls("POST", "/api/v1/users/{id}/lifecycle/deactivate"),
        2
    );
}

#[tokio::test]
async fn groups_and_apps() {
    let sim = sample().await;
    let sam = sim.user("sam.leaver@acme.example").unwrap().id;
    let eng = sim.group_id("Engineering").unwrap();
    let ad = sim.group_id("AD: Domain Users").unwrap();
    let everyone = sim.group_id("Everyone").unwrap();
    let github = sim.app_id("GitHub").unwrap();
    let slack = sim.app_id("Slack").unwrap();
    let (_, _, b) = call(
        &sim,
        reqwest::Method::GET,
        &format!("/api/v1/users/{sam}/groups"),
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 5);
    let (_, _, b) = call(
        &sim,
        reqwest::Method::GET,
        &format!("/api/v1/users/{sam}/appLinks"),
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 3);
    for g in [&ad, &everyone] {
        let (s, _, b) = call(
            &sim,
            reqwest::Method::DELETE,
            &format!("/api/v1/groups/{g}/users/{sam}"),
        )
        .await;
        assert_eq!((s, b["errorCode"].as_str()), (403, Some("E0000006")));
    }
    // group-granted app can't be unassigned directly
    let (s, _, b) = call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/api/v1/apps/{github}/users/{sam}"),
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (403, Some("E0000046")));
    let (s, _, _) = call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/api/v1/groups/{eng}/users/{sam}"),
    )
    .await;
    assert_eq!(s, 204);
    assert!(sim.app_assignment(&github, &sam).is_none());
    let (s, _, _) = call(
        &sim,
        reqwest::Method::DELETE,
        &format!("/api/v1/apps/{slack}/users/{sam}"),
    )
    .await;
    assert_eq!(s, 204);
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        &format!("/api/v1/apps/{slack}/users/{sam}"),
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (404, Some("E0000007")));
    // re-add is idempotent
    for _ in 0..2 {
        let (s, _, _) = call(
            &sim,
            reqwest::Method::PUT,
            &format!("/api/v1/groups/{eng}/users/{sam}"),
        )
        .await;
        assert_eq!(s, 204);
    }
    assert_eq!(sim.app_assignment(&github, &sam).unwrap().scope, "GROUP");
    // assign with credentials on an app whose scheme takes none → E0000041; AWS takes them.
    let r = client()
        .post(format!("{}/api/v1/apps/{slack}/users", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .json(&serde_json::json!({ "id": sam, "scope": "USER", "credentials": { "userName": "sam" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(r.json::<Value>().await.unwrap()["errorCode"], "E0000041");
    let aws = sim.app_id("AWS").unwrap();
    let r = client()
        .post(format!("{}/api/v1/apps/{aws}/users", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .json(&serde_json::json!({ "id": sam, "scope": "USER", "credentials": { "userName": "sam" } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 200);
    let b: Value = r.json().await.unwrap();
    assert_eq!(
        (b["scope"].as_str(), b["credentials"]["userName"].as_str()),
        (Some("USER"), Some("sam"))
    );
    // direct assignment over a group one turns it USER-scoped
    let r = client()
        .post(format!("{}/api/v1/apps/{github}/users", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .json(&serde_json::json!({ "id": sam }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.json::<Value>().await.unwrap()["scope"], "USER");
    // groups search with duplicate names
    let (_, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/groups?search=profile.name%20eq%20%22Project%20X%22",
    )
    .await;
    assert_eq!(b.as_array().unwrap().len(), 2);
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/groups?search=profile.name%20eq%20%22x%22&filter=type%20eq%20%22OKTA_GROUP%22",
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("E0000033")));
    let (s, _, b) = call(
        &sim,
        reqwest::Method::GET,
        "/api/v1/groups?search=profile.name%20eq",
    )
    .await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("E0000031")));
    let (_, _, b) = call(&sim, reqwest::Method::GET, "/api/v1/apps?q=sales").await;
    assert_eq!(b[0]["label"], "Salesforce");
}

#[tokio::test]
async fn pagination_uses_separate_link_headers() {
    let mut seed = Seed::empty();
    for i in 0..5 {
        seed.add_user(SeedUser::new(&format!("user{i}@example.com"), "ACTIVE"));
    }
    let sim = Simulator::start(seed, TOKEN).await.unwrap();
    let (s, h, b) = call(&sim, reqwest::Method::GET, "/api/v1/users?limit=2").await;
    assert_eq!(s, 200);
    assert_eq!(b.as_array().unwrap().len(), 2);
    let links: Vec<_> = h
        .get_all("link")
        .iter()
        .map(|v| v.to_str().unwrap().to_string())
        .collect();
    assert_eq!(links.len(), 2, "{links:?}");
    assert_eq!(
        links[0],
        format!("<{}/api/v1/users?limit=2>; rel=\"self\"", sim.url())
    );
    assert!(links[1].ends_with("; rel=\"next\""));
    let mut next = links[1]
        .trim_start_matches('<')
        .split('>')
        .next()
        .unwrap()
        .to_string();
    let mut seen = 2;
    loop {
        let path = next.trim_start_matches(&sim.url()).to_string();
        let (_, h, b) = call(&sim, reqwest::Method::GET, &path).await;
        seen += b.as_array().unwrap().len();
        let n = h
            .get_all("link")
            .iter()
            .map(|v| v.to_str().unwrap().to_string())
            .find(|l| l.contains("rel=\"next\""));
        match n {
            Some(l) => {
                next = l
                    .trim_start_matches('<')
                    .split('>')
                    .next()
                    .unwrap()
                    .to_string()
            }
            None => break,
        }
    }
    assert_eq!(seen, 5);
    let (s, _, b) = call(&sim, reqwest::Method::GET, "/api/v1/users?after=forged").await;
    assert_eq!((s, b["errorCode"].as_str()), (400, Some("E0000029")));
    assert_eq!(b["errorCauses"][0]["errorSummary"], "Invalid cursor.");
}

#[tokio::test]
async fn faults_and_rate_limits() {
    let sim = sample().await;
    let route = "/api/v1/users/{id}";
    sim.inject(Fault::new(
        Match::route("GET", route),
        1,
        FaultKind::Status(503),
    ));
    let (s, _, b) = call(&sim, reqwest::Method::GET, "/api/v1/users/bob.sales").await;
    assert_eq!((s, b["errorCode"].as_str()), (503, Some("E0000010")));
    let (s, _, _) = call(&sim, reqwest::Method::GET, "/api/v1/users/bob.sales").await;
    assert_eq!(s, 200);

    sim.inject(Fault::new(
        Match::any(),
        1,
        FaultKind::RateLimited { reset_in_secs: 7 },
    ));
    let (s, h, b) = call(&sim, reqwest::Method::GET, "/api/v1/users/bob.sales").await;
    assert_eq!((s, b["errorCode"].as_str()), (429, Some("E0000047")));
    assert_eq!(h["x-rate-limit-remaining"], "0");

    // A dropped connection: the client sees a transport error, not a response.
    sim.inject(Fault::new(Match::route("GET", route), 1, FaultKind::Drop));
    let r = client()
        .get(format!("{}/api/v1/users/bob.sales", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .send()
        .await;
    assert!(r.is_err(), "{r:?}");
    assert_eq!(sim.requests().last().unwrap().status, 0);

    sim.reset_counters();
    sim.set_rate_limit(Some(2));
    for _ in 0..2 {
        assert_eq!(
            call(&sim, reqwest::Method::GET, "/api/v1/groups").await.0,
            200
        );
    }
    let (s, h, _) = call(&sim, reqwest::Method::GET, "/api/v1/groups").await;
    assert_eq!(s, 429);
    assert_eq!(h["x-rate-limit-limit"], "2");
    assert_eq!(sim.calls("GET", "/api/v1/groups"), 3);
    assert_eq!(sim.total_calls(), 3);
    assert_eq!(sim.mutating_calls(), 0);
}

#[tokio::test]
async fn control_plane() {
    let sim = sample().await;
    let c = client();
    let r = c
        .post(format!(
            "{}/__sim/users/larry.locked@acme.example/status",
            sim.url()
        ))
        .json(&serde_json::json!({ "status": "ACTIVE" }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        sim.user("larry.locked@acme.example").unwrap().status,
        "ACTIVE"
    );
    let r = c
        .post(format!("{}/__sim/faults", sim.url()))
        .json(&serde_json::json!({ "matcher": { "method": "GET" }, "times": 1, "kind": { "status": 500 } }))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 204);
    assert_eq!(
        call(&sim, reqwest::Method::GET, "/api/v1/groups").await.0,
        500
    );
    let state: Value = c
        .get(format!("{}/__sim/state", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let seeded = Seed::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-org.json"))
        .unwrap()
        .users
        .len();
    assert_eq!(state["users"].as_array().unwrap().len(), seeded);
    let calls: Value = c
        .get(format!("{}/__sim/calls", sim.url()))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(calls["total"], 1);
}

/// Role reads by a token owner whose custom role lacks `okta.iam.read`: 403 E0000006 with Okta's summary (terraform
/// -provider-okta issues #1492, #1541, #1900); with the permission, or without a restriction (the sample org), the
/// roles answer.
#[tokio::test]
async fn role_reads_need_okta_iam_read_in_a_custom_role() {
    let open = sample().await;
    let sara = open.user("sara.super@acme.example").unwrap().id;
    let (status, _, body) = call(
        &open,
        reqwest::Method::GET,
        &format!("/api/v1/users/{sara}/roles"),
    )
    .await;
    assert_eq!(
        (status, body[0]["type"].as_str()),
        (200, Some("SUPER_ADMIN"))
    );
    for (permissions, expected) in [
        (vec!["okta.users.read", "okta.groups.read"], 403),
        (vec!["okta.users.read", "okta.iam.read"], 200),
    ] {
        let mut seed =
            Seed::from_file(concat!(env!("CARGO_MANIFEST_DIR"), "/sample-org.json")).unwrap();
        let owner = seed
            .users
            .iter_mut()
            .find(|user| user.login == "okta-automation@acme.example")
            .unwrap();
        owner.admin_permissions = Some(permissions.iter().map(|p| p.to_string()).collect());
        let sim = Simulator::start(seed, TOKEN).await.unwrap();
        let group = sim.group_id("IT Help Desk").unwrap();
        for path in [
            format!("/api/v1/users/{sara}/roles"),
            format!("/api/v1/groups/{group}/roles"),
        ] {
            let (status, _, body) = call(&sim, reqwest::Method::GET, &path).await;
            assert_eq!(status, expected, "{permissions:?} {path}: {body}");
            if expected == 403 {
                assert_eq!(body["errorCode"], "E0000006");
                assert_eq!(
                    body["errorSummary"],
                    "You do not have permission to perform the requested action"
                );
            }
        }
    }
}

/// Okta's buckets and an API token's share of them over HTTP: a user's groups count in `/api/v1/users` with the user
/// list; the token gets half of it, the headers report that half, and past it Okta answers 429 `E0000047` while a
/// user by id (its own bucket) still answers.
#[tokio::test]
async fn okta_limits_hold_a_token_to_its_share_of_okta_s_buckets() {
    let sim = sample().await;
    let id = sim.user("bob.sales@acme.example").unwrap().id;
    sim.set_okta_limits(Some(okta_sim::LimitsConfig {
        overrides: [(okta_sim::Family::Users.name().to_string(), 4)].into(),
        ..okta_sim::LimitsConfig::default()
    }));
    let groups = format!("/api/v1/users/{id}/groups");
    for (path, remaining) in [(groups.as_str(), "1"), ("/api/v1/users", "0")] {
        let (s, h, _) = call(&sim, reqwest::Method::GET, path).await;
        assert_eq!(s, 200, "{path}");
        assert_eq!(h["x-rate-limit-limit"], "2", "{path}");
        assert_eq!(h["x-rate-limit-remaining"], remaining, "{path}");
    }
    let (s, h, b) = call(&sim, reqwest::Method::GET, &groups).await;
    assert_eq!((s, b["errorCode"].as_str()), (429, Some("E0000047")));
    assert_eq!(h["x-rate-limit-limit"], "2");
    assert_eq!(h["x-rate-limit-remaining"], "0");
    let (s, h, _) = call(&sim, reqwest::Method::GET, &format!("/api/v1/users/{id}")).await;
    assert_eq!(s, 200);
    assert_eq!(h["x-rate-limit-limit"], "1000");
    let report = sim.okta_limits_report().unwrap();
    assert_eq!(report["rateLimited"], 1, "{report}");
    assert_eq!(report["shareLimited"], 1, "{report}");
}

/// A limits override must name one of Okta's buckets: an old or misspelt name would leave the published limit in
/// force without a word, and a test relying on it would measure nothing.
#[tokio::test]
async fn an_override_of_no_bucket_is_refused() {
    let sim = sample().await;
    let url = format!("{}/__sim/limits", sim.url());
    let refused = client()
        .put(&url)
        .json(&serde_json::json!({"overrides": {"GET /api/v1/users/{id}": 10}}))
        .send()
        .await
        .unwrap();
    assert_eq!(refused.status(), 400);
    assert!(
        refused
            .text()
            .await
            .unwrap()
            .contains("/api/v1/users/{id:.+}"),
        "the refusal lists the buckets"
    );
    let accepted = client()
        .put(&url)
        .json(&serde_json::json!({"overrides": {"/api/v1/users/{id:.+}": 10}}))
        .send()
        .await
        .unwrap();
    assert_eq!(accepted.status(), 204);
}
