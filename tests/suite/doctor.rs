//! `make doctor` against the simulator: the sample org is all OK and the doctor changes nothing (only GETs and
//! token requests reach Okta); an org failing each prerequisite gets that item named with what to grant or change.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use okta_lifecycle::config::OktaConfig;
use okta_lifecycle::connection::Connection;
use okta_lifecycle::doctor::{self, Report, Verdict};
use okta_lifecycle::grants::{Grant, Grants};
use okta_lifecycle::guard::{Guardrails, Origin};
use okta_lifecycle::okta::OktaClient;
use okta_lifecycle_tests::untrusted_tls::UntrustedEndpoint;
use okta_lifecycle_tests::{
    Form, TOKEN, client_with, config_for, sample_org, start_sim, test_policy,
};
use okta_sim::{Fault, FaultKind, Match, Simulator, TOKEN_PATH};

const BUDGET: Duration = Duration::from_secs(5);

async fn examine(sim: &Simulator, form: Form, guardrails: Guardrails) -> Report {
    let client = client_with(sim, form).with_guardrails(guardrails);
    doctor::examine(&client, Instant::now() + BUDGET).await
}

fn break_glass() -> Guardrails {
    Guardrails {
        protected_groups: vec!["Break Glass".to_owned()],
        grantable_groups: Grants::Only(vec![Grant::named("VPN Users")]),
        grantable_apps: Grants::Only(vec![Grant::named("Slack")]),
        allow_credential_return: false,
        origin: Origin::default(),
    }
}

/// The item's detail when it is to fix; a panic naming the whole report otherwise.
fn fix<'r>(report: &'r Report, item: &str) -> &'r str {
    match report.get(item) {
        Some(Verdict::Fix(detail)) => detail,
        other => panic!("{item}: {other:?}\n{report}"),
    }
}

fn assert_ok(report: &Report, item: &str) {
    assert!(
        matches!(report.get(item), Some(Verdict::Ok(_))),
        "{item}\n{report}"
    );
}

/// Only reads and token requests reached the simulator.
fn assert_read_only(sim: &Simulator) {
    for request in sim.requests() {
        let token_request = request.method == "POST" && request.path == TOKEN_PATH;
        assert!(
            request.method == "GET" || token_request,
            "{} {}",
            request.method,
            request.path
        );
    }
    assert_eq!(sim.mutating_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_sample_org_is_all_ok_for_each_connection_form_and_nothing_changes() {
    for form in Form::ALL {
        let sim = start_sim(sample_org()).await;
        let before = sim.state();
        let report = examine(&sim, form, break_glass()).await;
        assert!(report.all_ok(), "{form:?}\n{report}");
        for item in [
            "connection and TLS",
            "credential",
            "read admin role assignments",
            "read group rules",
            "OKTA_PROTECTED_GROUPS",
            "OKTA_GRANTABLE_GROUPS",
            "OKTA_GRANTABLE_APPS",
            "action suspend-user",
        ] {
            assert_ok(&report, item);
        }
        if form != Form::ApiToken {
            assert_ok(&report, "service app's granted scopes");
        }
        // Every bucket the doctor's answers fell in is reported.
        assert!(
            report
                .checks
                .iter()
                .filter(|check| check.item.starts_with("rate-limit headroom, bucket "))
                .count()
                >= 3,
            "{report}"
        );
        assert!(sim.total_calls() > 5, "the doctor reads");
        let key = okta_lifecycle_tests::service_app_key("ec");
        let secret_line = key.lines().nth(1).unwrap();
        let shown = format!("{report}{report:?}");
        assert!(!shown.contains(TOKEN) && !shown.contains(secret_line));
        assert_read_only(&sim);
        assert_eq!(sim.state(), before, "{form:?}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_credential_is_named_and_the_rest_is_skipped() {
    let sim = start_sim(sample_org()).await;
    let config = OktaConfig::new(&sim.url(), "00not-the-token".to_owned().into(), &[]).unwrap();
    let client = OktaClient::with_policy(Connection::fixed(config), test_policy()).unwrap();
    let report = doctor::examine(&client.into(), Instant::now() + BUDGET).await;
    let detail = fix(&report, "credential");
    assert!(detail.contains("create a new one"), "{detail}");
    assert!(matches!(
        report.get("read users"),
        Some(Verdict::Skipped(_))
    ));
    assert!(!report.to_string().contains("00not-the-token"));

    let mut unknown_app = config_for(&sim, Form::ServiceAppDpop);
    if let okta_lifecycle::config::Credentials::ServiceApp(app) = &mut unknown_app.credentials {
        app.client_id = "0oanotregisteredhere1".to_owned();
    }
    let client = OktaClient::with_policy(Connection::fixed(unknown_app), test_policy()).unwrap();
    let report = doctor::examine(&client.into(), Instant::now() + BUDGET).await;
    assert!(fix(&report, "credential").contains("clientId"), "{report}");
    assert_read_only(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scope_not_granted_to_the_service_app_is_named_with_the_functions_that_need_it() {
    let mut seed = sample_org();
    for app in &mut seed.service_apps {
        app.scopes.retain(|scope| scope != "okta.roles.read");
    }
    let sim = start_sim(seed).await;
    let report = examine(&sim, Form::ServiceAppDpop, Guardrails::default()).await;
    let grants = fix(&report, "service app's granted scopes");
    assert!(
        grants.contains("okta.roles.read (needed by activate-user, add-user-to-group"),
        "{grants}"
    );
    assert!(fix(&report, "read admin role assignments").contains("okta.roles.read"));
    assert!(fix(&report, "action suspend-user").contains("okta.roles.read"));
    // get-user reads no roles.
    assert_ok(&report, "action get-user");
    assert_read_only(&sim);

    // Without okta.appGrants.read the doctor says how to let it compare, and the rest still runs.
    let mut seed = sample_org();
    for app in &mut seed.service_apps {
        app.scopes
            .retain(|scope| scope != doctor::GRANTS_READ_SCOPE);
    }
    let sim = start_sim(seed).await;
    let report = examine(&sim, Form::ServiceAppDpop, Guardrails::default()).await;
    assert!(fix(&report, "service app's granted scopes").contains("okta.appGrants.read"));
    assert_ok(&report, "read admin role assignments");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_admin_role_without_okta_iam_read_is_named_for_each_form() {
    for form in Form::ALL {
        let mut seed = sample_org();
        let permissions = Some(vec![
            "okta.users.read".to_owned(),
            "okta.groups.read".to_owned(),
        ]);
        match form {
            Form::ApiToken => {
                let owner = seed
                    .users
                    .iter_mut()
                    .find(|user| user.login == "okta-automation@acme.example")
                    .unwrap();
                owner.admin_permissions = permissions;
            }
            _ => {
                for app in &mut seed.service_apps {
                    app.admin_permissions = permissions.clone();
                }
            }
        }
        let sim = start_sim(seed).await;
        let report = examine(&sim, form, Guardrails::default()).await;
        let detail = fix(&report, "read admin role assignments");
        for words in [
            "okta.iam.read",
            "View roles, resources, and admin assignments",
            "super admin",
        ] {
            assert!(detail.contains(words), "{form:?}: {detail}");
        }
        assert!(fix(&report, "action deactivate-user").contains("read admin role assignments"));
        assert_ok(&report, "action get-user");
        assert_read_only(&sim);
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_rules_forbidden_are_named_for_the_actions_that_read_them() {
    let sim = start_sim(sample_org()).await;
    sim.inject(Fault::new(
        Match::route("GET", "/api/v1/groups/rules"),
        1,
        FaultKind::Status(403),
    ));
    let report = examine(&sim, Form::ApiToken, Guardrails::default()).await;
    assert!(fix(&report, "read group rules").contains("okta.groups.read"));
    for action in ["get-user", "remove-user-from-group"] {
        assert!(fix(&report, &format!("action {action}")).contains("read group rules"));
    }
    assert_ok(&report, "action suspend-user");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn guardrail_settings_that_name_nothing_in_the_org_are_named() {
    let sim = start_sim(sample_org()).await;
    let guardrails = Guardrails {
        protected_groups: vec![
            "Break Glass".to_owned(),
            "No Such Group".to_owned(),
            "00gnosuchgroup0000001".to_owned(),
        ],
        // IT Help Desk carries HELP_DESK_ADMIN: add-user-to-group always refuses it.
        grantable_groups: Grants::Only(vec![Grant::named("IT Help Desk")]),
        grantable_apps: Grants::Only(vec![Grant::named("No Such App")]),
        allow_credential_return: false,
        origin: Origin::default(),
    };
    let report = examine(&sim, Form::ServiceAppBearer, guardrails).await;
    let protected = fix(&report, "OKTA_PROTECTED_GROUPS");
    assert!(protected.contains("\"No Such Group\""), "{protected}");
    assert!(protected.contains("00gnosuchgroup0000001"), "{protected}");
    assert!(!protected.contains("\"Break Glass\":"), "{protected}");
    assert!(fix(&report, "OKTA_GRANTABLE_GROUPS").contains("carries admin roles"));
    assert!(fix(&report, "OKTA_GRANTABLE_APPS").contains("No Such App"));
    assert_read_only(&sim);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_untrusted_certificate_is_named_before_any_credential_is_sent() {
    let untrusted = UntrustedEndpoint::start().await;
    let config = OktaConfig::new(&untrusted.url, TOKEN.to_owned().into(), &[]).unwrap();
    let client = OktaClient::with_policy(Connection::fixed(config), test_policy()).unwrap();
    let report = doctor::examine(&client.into(), Instant::now() + Duration::from_secs(2)).await;
    assert!(
        fix(&report, "connection and TLS").contains("not trusted (UnknownIssuer)"),
        "{report}"
    );
    assert!(matches!(
        report.get("credential"),
        Some(Verdict::Skipped(_))
    ));
    assert!(untrusted.handshakes() >= 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bucket_nearly_spent_by_someone_else_is_named() {
    let sim = start_sim(sample_org()).await;
    sim.set_route_rate_limit("/api/v1/apps", Some(10));
    // Another integration has used 9 of the apps bucket's 10 this minute.
    let other = reqwest::Client::new();
    for _ in 0..9 {
        other
            .get(format!("{}/api/v1/apps?limit=1", sim.url()))
            .header("Authorization", format!("SSWS {TOKEN}"))
            .send()
            .await
            .unwrap();
    }
    let report = examine(&sim, Form::ApiToken, Guardrails::default()).await;
    let apps =
        okta_lifecycle::okta::pacing::Bucket::of(&reqwest::Method::GET, "/api/v1/apps").name();
    let detail = fix(&report, &format!("rate-limit headroom, bucket {apps}"));
    assert!(detail.contains("0 of 10"), "{detail}");
}

/// The deployed function's answer: the report as JSON with `allOk`; a setting that cannot be read is its first item.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_function_answers_the_report_as_json() {
    let sim = start_sim(sample_org()).await;
    let client = client_with(&sim, Form::ServiceAppDpop);
    let answer = doctor::answer(Ok(&client), Instant::now() + BUDGET).await;
    assert_eq!(answer["allOk"], true, "{answer}");
    assert_eq!(answer["org"], sim.url());
    // It says what it ran: the release every audit record names too (the workspace's version, CHANGELOG.md).
    let manifest = std::fs::read_to_string(okta_lifecycle_tests::repo_path("Cargo.toml")).unwrap();
    let version = manifest
        .lines()
        .find_map(|line| line.strip_prefix("version = \""))
        .and_then(|rest| rest.strip_suffix('"'))
        .unwrap();
    assert_eq!(answer["version"], version, "{answer}");
    assert!(answer["checks"].as_array().unwrap().len() > 20, "{answer}");

    let unset = okta_lifecycle::lambda::Settings::from_lookup(|_| None).unwrap_err();
    let answer = doctor::answer(Err(&unset), Instant::now() + BUDGET).await;
    assert_eq!(answer["allOk"], false);
    assert_eq!(answer["checks"][0]["item"], "connection settings");
    assert!(
        answer["checks"][0]["detail"]
            .as_str()
            .unwrap()
            .contains("OKTA_SECRET_ID"),
        "{answer}"
    );
    assert_read_only(&sim);
}
