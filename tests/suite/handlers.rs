//! Each function's handler with each of its event fixtures (`tests/events/<function>/`: Step Functions, API
//! Gateway 2.0 and 1.0, EventBridge) against a fresh sample org: the answer in the caller's terms, and Okta's
//! state afterwards.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use lambda_runtime::{Context, LambdaEvent};
use okta_lifecycle::{Action, lambda};
use okta_lifecycle_tests::{client_for, repo_path, sample_org, start_sim};
use okta_sim::Simulator;
use serde_json::Value;

const FIXTURES: [&str; 4] = ["stepfunctions", "apigw-v2", "apigw-v1", "eventbridge"];

fn fixture(action: Action, caller: &str) -> Value {
    let path = repo_path(&format!("tests/events/{}/{caller}.json", action.name()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap()
}

/// The action's plain input, as the Step Functions fixture gives it.
fn plain_input(action: Action) -> Value {
    fixture(action, "stepfunctions")
}

/// What Okta must show after the action ran on the fixture's target.
fn check_state(action: Action, sim: &Simulator, input: &Value) -> Result<(), String> {
    let user = sim
        .user(input["user"].as_str().unwrap())
        .ok_or("the fixture's user exists")?;
    let text = |key: &str| input[key].as_str().unwrap_or_default().to_owned();
    let ok = match action {
        Action::ActivateUser => matches!(user.status.as_str(), "PROVISIONED" | "ACTIVE"),
        Action::DeactivateUser => user.status == "DEPROVISIONED",
        Action::SuspendUser => user.status == "SUSPENDED",
        Action::UnsuspendUser | Action::UnlockUser => user.status == "ACTIVE",
        Action::ExpirePassword => user.status == "PASSWORD_EXPIRED",
        Action::ResetPassword => user.status == "RECOVERY",
        Action::ClearUserSessions => user.sessions == 0 && user.oauth_tokens == 0,
        // The fixture suspends and clears sessions (no group or app listed, no deactivation).
        Action::OffboardUser => {
            user.status == "SUSPENDED" && user.sessions == 0 && user.oauth_tokens == 0
        }
        Action::AddUserToGroup => sim.user_group_names(&user.id).contains(&text("group")),
        Action::RemoveUserFromGroup => !sim.user_group_names(&user.id).contains(&text("group")),
        Action::AssignAppToUser => sim.app_assignment(&text("app"), &user.id).is_some(),
        Action::RevokeAppFromUser => sim.app_assignment(&text("app"), &user.id).is_none(),
        Action::GetUser => true,
        Action::RevokeUserGrants => sim
            .user_oauth_clients(&user.id)
            .iter()
            .all(|(_, grants, tokens)| *grants == 0 && *tokens == 0),
        Action::ResetUserFactors => sim.user_factor_types(&user.id).is_empty(),
        // The fixture's user has a personal laptop (deactivated) and a lab kiosk shared with a colleague (kept).
        Action::DeactivateUserDevices => {
            sim.device("SAM-LAPTOP")
                .is_some_and(|(status, _)| status == "DEACTIVATED")
                && sim
                    .device("LAB-KIOSK-1")
                    .is_some_and(|(status, users)| status == "ACTIVE" && users.contains(&user.id))
        }
        // The fixture hands VPN Users to newOwner; IT Help Desk carries an admin role and stays.
        Action::TransferGroupOwnership => {
            let new_owner = sim.user(&text("newOwner")).ok_or("newOwner exists")?.id;
            let vpn = sim.group_owner_ids("VPN Users");
            vpn.contains(&new_owner)
                && !vpn.contains(&user.id)
                && sim.group_owner_ids("IT Help Desk").contains(&user.id)
        }
    };
    if ok {
        Ok(())
    } else {
        Err(format!("Okta shows {user:?}"))
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_function_with_every_fixture() {
    let mut failures = Vec::new();
    for action in Action::ALL {
        let input = plain_input(action);
        for caller in FIXTURES {
            let row = format!("{} {caller}", action.name());
            let sim = start_sim(sample_org()).await;
            let client = client_for(&sim);
            let event = LambdaEvent::new(fixture(action, caller), Context::default());
            let output = match lambda::handle(action, Ok(&client), event).await {
                Ok(answer) if caller.starts_with("apigw") => {
                    if answer["statusCode"] != 200 {
                        failures.push(format!("{row}: HTTP {}", answer));
                        continue;
                    }
                    if answer["headers"]["content-type"] != "application/json" {
                        failures.push(format!("{row}: content type {}", answer["headers"]));
                    }
                    serde_json::from_str::<Value>(answer["body"].as_str().unwrap_or_default())
                        .unwrap_or_default()
                }
                Ok(answer) => answer,
                Err(error) => {
                    failures.push(format!("{row}: {} {error}", error.kind));
                    continue;
                }
            };
            if output["action"] != action.name() {
                failures.push(format!("{row}: action {}", output["action"]));
            }
            let changes = action != Action::GetUser;
            if output["changed"] != changes {
                failures.push(format!(
                    "{row}: changed {} ({})",
                    output["changed"], output["message"]
                ));
            }
            if output["user"]["id"] != sim.user(input["user"].as_str().unwrap()).unwrap().id {
                failures.push(format!("{row}: resolved user {}", output["user"]));
            }
            if let Err(state) = check_state(action, &sim, &input) {
                failures.push(format!("{row}: {state}"));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// API Gateway answers in HTTP: the status per error name, the body's fields, `Retry-After` when rate limited.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn api_gateway_errors_are_http_answers() {
    let sim = start_sim(sample_org()).await;
    let client = client_for(&sim);
    let mut event = fixture(Action::SuspendUser, "apigw-v2");
    let cases = [
        ("nobody@acme.example", None, 404, "Okta.NotFound"),
        (
            "sam.leaver@acme.example",
            Some(r#"{"dryRun": "yes"}"#),
            400,
            "Input.Invalid",
        ),
        (
            "sam.leaver@acme.example",
            Some(r#"{"user": "someone.else@acme.example"}"#),
            400,
            "Input.Invalid",
        ),
        (
            "sam.leaver@acme.example",
            Some("{not json"),
            400,
            "Input.Invalid",
        ),
        (
            "sam.leaver@acme.example",
            Some(r#"{"grop": "x"}"#),
            400,
            "Input.Invalid",
        ),
        ("jane.doe@acme.example", None, 409, "Okta.NotApplicable"),
    ];
    for (user, body, status, name) in cases {
        event["pathParameters"]["user"] = Value::from(user);
        event["body"] = body.map_or(Value::Null, Value::from);
        let answer = lambda::handle(
            Action::SuspendUser,
            Ok(&client),
            LambdaEvent::new(event.clone(), Context::default()),
        )
        .await
        .expect("HTTP callers always get an answer");
        let parsed: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
        assert_eq!(answer["statusCode"], status, "{user} {body:?}: {parsed}");
        assert_eq!(parsed["error"], name, "{parsed}");
        assert!(
            parsed["message"]
                .as_str()
                .is_some_and(|message| !message.is_empty())
        );
        assert!(parsed.get("requestId").is_some());
        assert!(!parsed.to_string().contains("panicked") && !parsed.to_string().contains("src/"));
    }
    // A field error names the field.
    event["pathParameters"]["user"] = Value::from("sam.leaver@acme.example");
    event["body"] = Value::from(r#"{"dryRun": "yes"}"#);
    let answer = lambda::handle(
        Action::SuspendUser,
        Ok(&client),
        LambdaEvent::new(event.clone(), Context::default()),
    )
    .await
    .unwrap();
    let parsed: Value = serde_json::from_str(answer["body"].as_str().unwrap()).unwrap();
    assert_eq!(parsed["field"], "dryRun");

    // Rate limited: 429 with Retry-After, and nothing changed.
    sim.inject(okta_sim::Fault::new(
        okta_sim::Match::route("POST", "/api/v1/users/{id}/lifecycle/suspend"),
        1,
        okta_sim::FaultKind::RateLimited { reset_in_secs: 120 },
    ));
    event["body"] = Value::Null;
    let answer = lambda::handle(
        Action::SuspendUser,
        Ok(&client),
        LambdaEvent::new(event, Context::default()),
    )
    .await
    .unwrap();
    assert_eq!(answer["statusCode"], 429);
    let retry_after: u64 = answer["headers"]["retry-after"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap();
    assert!((100..=125).contains(&retry_after), "{retry_after}");
    assert_eq!(
        sim.user("sam.leaver@acme.example").unwrap().status,
        "ACTIVE"
    );
}

/// Step Functions sees the stable error name as the Lambda error type.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn step_functions_errors_carry_stable_names() {
    let sim = start_sim(sample_org()).await;
    let client = client_for(&sim);
    let mut input = plain_input(Action::AddUserToGroup);
    input["group"] = Value::from("Project X");
    let error = lambda::handle(
        Action::AddUserToGroup,
        Ok(&client),
        LambdaEvent::new(input, Context::default()),
    )
    .await
    .unwrap_err();
    let diagnostic = lambda_runtime::Diagnostic::from(error);
    assert_eq!(diagnostic.error_type, "Okta.Ambiguous");
    assert!(diagnostic.error_message.contains("Project X"));
}
