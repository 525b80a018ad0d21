//! Every action from every starting status, against the simulator: the final Okta state, `changed`, the error
//! name; then the same action again (nothing changes) and as a dry run (nothing is sent).
//!
//! The expectations are Okta's documented transitions (okta-api-notes.md sections 1 and 2.14), written once in
//! `expected()`; the simulator implements Okta's side independently.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use okta_lifecycle::grants::{Grant, Grants};
use okta_lifecycle::guard::Guardrails;
use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::{client_guarded, credentials_allowed, run, start_sim};
use okta_sim::{Seed, SeedUser};
use serde_json::{Value, json};

const STATUSES: [&str; 8] = [
    "STAGED",
    "PROVISIONED",
    "ACTIVE",
    "RECOVERY",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "SUSPENDED",
    "DEPROVISIONED",
];

/// What an action should do to a user in a status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Okta changes the user to this status.
    Becomes(&'static str),
    /// Nothing to do: already so.
    Unchanged,
    /// The action does not apply.
    Refused(ErrorKind),
    /// A change Okta cannot show in the status (sessions).
    ChangesWithoutStatus,
}

use Expect::*;

fn expected(action: Action, status: &str) -> Expect {
    let not_applicable = Refused(ErrorKind::OktaNotApplicable);
    match (action, status) {
        // Activation without a password leads to PROVISIONED (the welcome flow); ACTIVE-like users are done.
        (Action::ActivateUser, "STAGED" | "DEPROVISIONED") => Becomes("PROVISIONED"),
        (Action::ActivateUser, "PROVISIONED" | "ACTIVE" | "RECOVERY" | "PASSWORD_EXPIRED") => {
            Unchanged
        }
        (Action::ActivateUser, _) => not_applicable,
        (Action::DeactivateUser, "DEPROVISIONED") => Unchanged,
        (Action::DeactivateUser, _) => Becomes("DEPROVISIONED"),
        (Action::SuspendUser, "ACTIVE") => Becomes("SUSPENDED"),
        (Action::SuspendUser, "SUSPENDED") => Unchanged,
        (Action::SuspendUser, _) => not_applicable,
        (Action::UnsuspendUser, "SUSPENDED") => Becomes("ACTIVE"),
        (Action::UnsuspendUser, "ACTIVE") => Unchanged,
        (Action::UnsuspendUser, _) => not_applicable,
        (Action::UnlockUser, "LOCKED_OUT") => Becomes("ACTIVE"),
        (Action::UnlockUser, "ACTIVE") => Unchanged,
        (Action::UnlockUser, _) => not_applicable,
        (Action::ExpirePassword, "ACTIVE") => Becomes("PASSWORD_EXPIRED"),
        (Action::ExpirePassword, "PASSWORD_EXPIRED") => Unchanged,
        (Action::ExpirePassword, _) => not_applicable,
        (Action::ResetPassword, "ACTIVE" | "PASSWORD_EXPIRED" | "LOCKED_OUT") => {
            Becomes("RECOVERY")
        }
        (Action::ResetPassword, "RECOVERY") => Unchanged,
        (Action::ResetPassword, _) => not_applicable,
        (Action::ClearUserSessions, "DEPROVISIONED") => Unchanged,
        (Action::ClearUserSessions, _) => ChangesWithoutStatus,
        (Action::GetUser, _) => Unchanged,
        _ => unreachable!("not a user-status action: {action:?}"),
    }
}

const USER_ACTIONS: [Action; 9] = [
    Action::ActivateUser,
    Action::DeactivateUser,
    Action::SuspendUser,
    Action::UnsuspendUser,
    Action::UnlockUser,
    Action::ExpirePassword,
    Action::ResetPassword,
    Action::ClearUserSessions,
    Action::GetUser,
];

fn input_for(action: Action, login: &str, dry_run: bool) -> Value {
    let mut input = json!({"user": login, "dryRun": dry_run});
    if action == Action::ResetPassword {
        input["sendEmail"] = json!(false);
    }
    input
}

/// One user per status, without a password (a password would make activation lead to ACTIVE).
fn seed_one_per_status() -> Seed {
    let mut seed = Seed::empty();
    for status in STATUSES {
        let mut user = SeedUser::new(&format!("{}@matrix.example", status.to_lowercase()), status);
        user.password = Some(false);
        user.sessions = 2;
        user.oauth_tokens = 1;
        seed.add_user(user);
    }
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_user_action_from_every_status() {
    let mut failures = Vec::new();
    for action in USER_ACTIONS {
        // A fresh org per action keeps rows independent.
        let sim = start_sim(seed_one_per_status()).await;
        let client = client_guarded(&sim, credentials_allowed());
        for status in STATUSES {
            let login = format!("{}@matrix.example", status.to_lowercase());
            let expect = expected(action, status);
            let row = format!("{} from {status}", action.name());

            // Dry run first: nothing sent, the same verdict.
            sim.reset_counters();
            let dry = run(&client, action, input_for(action, &login, true)).await;
            if sim.mutating_calls() != 0 {
                failures.push(format!(
                    "{row}: dry run sent {} mutating calls",
                    sim.mutating_calls()
                ));
            }
            if sim.user(&login).unwrap().status != status {
                failures.push(format!("{row}: dry run changed the status"));
            }

            sim.reset_counters();
            let result = run(&client, action, input_for(action, &login, false)).await;
            let after = sim.user(&login).unwrap();
            match (expect, &result) {
                (Becomes(goal), Ok(output)) => {
                    check(&mut failures, &row, "changed", output.changed, true);
                    check(
                        &mut failures,
                        &row,
                        "okta status",
                        after.status.as_str(),
                        goal,
                    );
                    check(
                        &mut failures,
                        &row,
                        "statusAfter",
                        output.user.status_after.as_str(),
                        goal,
                    );
                    check(
                        &mut failures,
                        &row,
                        "statusBefore",
                        output.user.status_before.as_str(),
                        status,
                    );
                }
                (Unchanged, Ok(output)) => {
                    check(&mut failures, &row, "changed", output.changed, false);
                    check(
                        &mut failures,
                        &row,
                        "okta status",
                        after.status.as_str(),
                        status,
                    );
                    check(
                        &mut failures,
                        &row,
                        "mutating calls",
                        sim.mutating_calls(),
                        0,
                    );
                }
                (ChangesWithoutStatus, Ok(output)) => {
                    check(&mut failures, &row, "changed", output.changed, true);
                    check(&mut failures, &row, "sessions", after.sessions, 0);
                    check(
                        &mut failures,
                        &row,
                        "oauth tokens (revoked by default)",
                        after.oauth_tokens,
                        0,
                    );
                }
                (Refused(kind), Err(error)) => {
                    check(&mut failures, &row, "error", error.kind, kind);
                    check(
                        &mut failures,
                        &row,
                        "okta status",
                        after.status.as_str(),
                        status,
                    );
                    check(
                        &mut failures,
                        &row,
                        "mutating calls (no partial change)",
                        sim.mutating_calls(),
                        0,
                    );
                }
                (expect, result) => {
                    failures.push(format!("{row}: expected {expect:?}, got {result:?}"))
                }
            }
            match (&dry, &result) {
                (Ok(dry), Ok(real)) => check(
                    &mut failures,
                    &row,
                    "dry-run changed",
                    dry.changed,
                    real.changed,
                ),
                (Err(dry), Err(real)) => {
                    check(&mut failures, &row, "dry-run error", dry.kind, real.kind)
                }
                _ => failures.push(format!("{row}: dry run {dry:?} but real run {result:?}")),
            }

            // Safe to run twice: the second run changes nothing (sessions aside: Okta cannot say if any exist).
            if result.is_ok() && expect != ChangesWithoutStatus {
                sim.reset_counters();
                let again = run(&client, action, input_for(action, &login, false)).await;
                match again {
                    Ok(output) => {
                        check(
                            &mut failures,
                            &row,
                            "second run changed",
                            output.changed,
                            false,
                        );
                        check(
                            &mut failures,
                            &row,
                            "second run mutating calls",
                            sim.mutating_calls(),
                            0,
                        );
                    }
                    Err(error) => failures.push(format!("{row}: second run failed: {error}")),
                }
                check(
                    &mut failures,
                    &row,
                    "status after second run",
                    sim.user(&login).unwrap().status,
                    after.status.clone(),
                );
            }
        }
    }
    assert!(
        failures.is_empty(),
        "{} rows failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
}

fn check<T: PartialEq + std::fmt::Debug>(
    failures: &mut Vec<String>,
    row: &str,
    what: &str,
    got: T,
    want: T,
) {
    if got != want {
        failures.push(format!("{row}: {what} is {got:?}, expected {want:?}"));
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_of_a_user_with_a_password_leads_to_active_and_links_only_on_request() {
    let mut seed = Seed::empty();
    let mut with_password = SeedUser::new("pw@matrix.example", "STAGED");
    with_password.password = Some(true);
    seed.add_user(with_password);
    let mut no_email = SeedUser::new("link@matrix.example", "STAGED");
    no_email.password = Some(false);
    seed.add_user(no_email);
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());

    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "pw@matrix.example"}),
    )
    .await
    .unwrap();
    assert_eq!(output.user.status_after, "ACTIVE");
    assert_eq!(sim.user("pw@matrix.example").unwrap().status, "ACTIVE");
    assert!(
        output.activation_url.is_none(),
        "an email was sent, so no link is returned"
    );
    assert_eq!(sim.emails().len(), 1);

    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "link@matrix.example", "sendEmail": false}),
    )
    .await
    .unwrap();
    let url = output
        .activation_url
        .clone()
        .expect("the caller asked for the link");
    assert!(
        url.expose().contains("/tokens/") || url.expose().contains("/welcome/"),
        "{}",
        url.expose()
    );
    assert_eq!(sim.emails().len(), 1, "no second email");
    // The link is for the caller only: it is not in the Debug form that logs would use.
    assert!(!format!("{:?}", output.activation_url).contains(url.expose()));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn resend_activation_reactivates_a_provisioned_user() {
    let mut seed = Seed::empty();
    seed.user("pending@matrix.example", "PROVISIONED");
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());
    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "pending@matrix.example", "resendActivation": true, "sendEmail": true}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    assert_eq!(
        sim.calls("POST", "/api/v1/users/{id}/lifecycle/reactivate"),
        1
    );
    assert_eq!(
        sim.calls("POST", "/api/v1/users/{id}/lifecycle/activate"),
        0
    );
    assert_eq!(sim.emails().len(), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn expire_with_a_temporary_password_returns_it_once() {
    let mut seed = Seed::empty();
    seed.user("temp@matrix.example", "ACTIVE");
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());
    let input =
        json!({"user": "temp@matrix.example", "tempPassword": true, "revokeSessions": true});
    let output = run(&client, Action::ExpirePassword, input.clone())
        .await
        .unwrap();
    assert!(
        output
            .temp_password
            .is_some_and(|password| !password.expose().is_empty())
    );
    assert_eq!(
        sim.user("temp@matrix.example").unwrap().status,
        "PASSWORD_EXPIRED"
    );
    let again = run(&client, Action::ExpirePassword, input).await.unwrap();
    assert!(!again.changed && again.temp_password.is_none());
    let error = run(
        &client,
        Action::ExpirePassword,
        json!({"user": "temp@matrix.example", "revokeSessions": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("revokeSessions"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deactivation_never_deletes() {
    let mut seed = Seed::empty();
    seed.user("gone@matrix.example", "ACTIVE");
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());
    for _ in 0..3 {
        run(
            &client,
            Action::DeactivateUser,
            json!({"user": "gone@matrix.example"}),
        )
        .await
        .unwrap();
    }
    assert_eq!(
        sim.user("gone@matrix.example").unwrap().status,
        "DEPROVISIONED"
    );
    assert!(
        sim.requests()
            .iter()
            .all(|request| request.method != "DELETE"),
        "no DELETE was ever sent"
    );
}

/// Group membership: OKTA_GROUP changes, BUILT_IN and APP_GROUP are refused before any call.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn group_membership_matrix() {
    let mut seed = Seed::empty();
    let user = seed.user("member@matrix.example", "ACTIVE");
    let engineering = seed.group("Engineering", "OKTA_GROUP");
    seed.group("Sales", "OKTA_GROUP");
    let imported = seed.group("AD: Domain Users", "APP_GROUP");
    seed.add_member(&engineering, &user);
    seed.add_member(&imported, &user);
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());
    let cases: [(Action, &str, Result<bool, ErrorKind>, bool); 8] = [
        (Action::AddUserToGroup, "Sales", Ok(true), true),
        (Action::AddUserToGroup, "Sales", Ok(false), true),
        (Action::AddUserToGroup, "Engineering", Ok(false), true),
        (Action::RemoveUserFromGroup, "Engineering", Ok(true), false),
        (Action::RemoveUserFromGroup, "Engineering", Ok(false), false),
        (
            Action::AddUserToGroup,
            "Everyone",
            Err(ErrorKind::OktaNotApplicable),
            true,
        ),
        (
            Action::RemoveUserFromGroup,
            "AD: Domain Users",
            Err(ErrorKind::OktaNotApplicable),
            true,
        ),
        (
            Action::AddUserToGroup,
            "No Such Group",
            Err(ErrorKind::OktaNotFound),
            false,
        ),
    ];
    for (action, group, expect, member_after) in cases {
        sim.reset_counters();
        let result = run(
            &client,
            action,
            json!({"user": "member@matrix.example", "group": group}),
        )
        .await;
        let row = format!("{} {group}", action.name());
        match (expect, result) {
            (Ok(changed), Ok(output)) => {
                assert_eq!(output.changed, changed, "{row}");
                assert_eq!(output.group.unwrap().name, group, "{row}");
            }
            (Err(kind), Err(error)) => {
                assert_eq!(error.kind, kind, "{row}: {error}");
                assert_eq!(sim.mutating_calls(), 0, "{row}: refused before any change");
            }
            (expect, result) => panic!("{row}: expected {expect:?}, got {result:?}"),
        }
        if group != "No Such Group" {
            assert_eq!(
                sim.user_group_names("member@matrix.example")
                    .contains(&group.to_owned()),
                member_after,
                "{row}"
            );
        }
    }
}

/// App assignment: direct assignments change, group-granted ones are reported with the granting group.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn app_assignment_matrix() {
    let mut seed = Seed::empty();
    let user = seed.user("apps@matrix.example", "ACTIVE");
    seed.user("former@matrix.example", "DEPROVISIONED");
    let engineering = seed.group("Engineering", "OKTA_GROUP");
    seed.add_member(&engineering, &user);
    let github = seed.app("GitHub", "github");
    seed.assign_app_to_group(&github, &engineering);
    let mut aws = okta_sim::SeedApp::new("AWS", "amazon_aws");
    aws.user_name_allowed = true;
    seed.add_app(aws);
    seed.app("Slack", "slack");
    seed.app("Slack Enterprise Grid", "slack_grid");
    let sim = start_sim(seed).await;
    // The AWS entry names the one profile key the test sets (issue 25: other keys are refused).
    let client = client_guarded(
        &sim,
        Guardrails {
            grantable_apps: Grants::Only(vec![
                Grant::named("Slack"),
                Grant::named("Slack Enterprise Grid"),
                Grant::named("GitHub"),
                Grant {
                    reference: "AWS".to_owned(),
                    profile_keys: vec!["role".to_owned()],
                },
            ]),
            ..credentials_allowed()
        },
    );

    let assign = |app: &str| json!({"user": "apps@matrix.example", "app": app});
    let output = run(&client, Action::AssignAppToUser, assign("Slack"))
        .await
        .unwrap();
    assert!(output.changed);
    assert_eq!(
        output.app.unwrap().label,
        "Slack",
        "the exact label, not a prefix match"
    );
    assert_eq!(
        sim.app_assignment("Slack", "apps@matrix.example")
            .unwrap()
            .scope,
        "USER"
    );
    assert!(
        sim.app_assignment("Slack Enterprise Grid", "apps@matrix.example")
            .is_none()
    );
    assert!(
        !run(&client, Action::AssignAppToUser, assign("Slack"))
            .await
            .unwrap()
            .changed
    );

    let output = run(
        &client,
        Action::AssignAppToUser,
        json!({"user": "apps@matrix.example", "app": "AWS", "userName": "apps-admin", "profile": {"role": "dev"}}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    let assignment = sim.app_assignment("AWS", "apps@matrix.example").unwrap();
    assert_eq!(assignment.user_name.as_deref(), Some("apps-admin"));
    assert_eq!(assignment.profile["role"], "dev");

    // Granted through Engineering: already has it; cannot be revoked per user, and the error names the group.
    assert!(
        !run(&client, Action::AssignAppToUser, assign("GitHub"))
            .await
            .unwrap()
            .changed
    );
    sim.reset_counters();
    let error = run(&client, Action::RevokeAppFromUser, assign("GitHub"))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
    assert!(error.message.contains("Engineering"), "{}", error.message);
    assert_eq!(sim.mutating_calls(), 0);

    let output = run(&client, Action::RevokeAppFromUser, assign("Slack"))
        .await
        .unwrap();
    assert!(output.changed);
    assert!(sim.app_assignment("Slack", "apps@matrix.example").is_none());
    assert!(
        !run(&client, Action::RevokeAppFromUser, assign("Slack"))
            .await
            .unwrap()
            .changed
    );

    let error = run(
        &client,
        Action::AssignAppToUser,
        json!({"user": "former@matrix.example", "app": "Slack"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
    let error = run(&client, Action::AssignAppToUser, assign("Slac"))
        .await
        .unwrap_err();
    assert_eq!(
        error.kind,
        ErrorKind::OktaNotFound,
        "a prefix never matches"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_user_reads_properties_groups_and_deduplicated_apps() {
    let mut seed = Seed::empty();
    let user = seed.user("reader@matrix.example", "ACTIVE");
    let sales = seed.group("Sales", "OKTA_GROUP");
    seed.add_member(&sales, &user);
    let mut google = okta_sim::SeedApp::new("Google Workspace", "google");
    google.links = Some(2);
    let google = seed.add_app(google);
    seed.assign_app(&google, &user);
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, credentials_allowed());
    let output = run(
        &client,
        Action::GetUser,
        json!({"user": "reader@matrix.example", "include": ["groups", "apps"]}),
    )
    .await
    .unwrap();
    let properties = output.properties.unwrap();
    assert_eq!(properties["login"], "reader@matrix.example");
    assert_eq!(properties["status"], "ACTIVE");
    assert!(properties.get("created").is_some() && properties.get("profile").is_some());
    let groups: Vec<String> = output
        .groups
        .unwrap()
        .into_iter()
        .map(|group| group.name)
        .collect();
    assert!(
        groups.contains(&"Sales".to_owned()) && groups.contains(&"Everyone".to_owned()),
        "{groups:?}"
    );
    let apps = output.apps.unwrap();
    assert_eq!(apps.len(), 1, "two links of one app are one app: {apps:?}");
    assert_eq!(apps[0].label, "Google Workspace");
    assert_eq!(apps[0].scope.as_deref(), Some("USER"));
    assert!(!output.okta_request_ids.is_empty());
}

/// The Okta calls each action makes on its happy path, as documented in the README. A change that adds a call
/// to every invocation shows up here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_calls_per_action_on_the_happy_path() {
    // The guardrails' reads included, with a protected group set (the most they cost): the target's roles and,
    // for the protected group, its groups (which the group actions reuse); add-user-to-group also reads the
    // group's roles, assign-app-to-user the app's groups (an app a protected group has is not granted one by one).
    // The token's owner is read once per container and secret: the warm-up dry run pays for it.
    let mut failures = Vec::new();
    let cases: [(Action, &str, Value, usize); 14] = [
        (Action::ActivateUser, "STAGED", json!({}), 5),
        (Action::DeactivateUser, "ACTIVE", json!({}), 4),
        (Action::SuspendUser, "ACTIVE", json!({}), 4),
        (Action::UnsuspendUser, "SUSPENDED", json!({}), 4),
        (Action::UnlockUser, "LOCKED_OUT", json!({}), 4),
        (Action::ExpirePassword, "ACTIVE", json!({}), 4),
        (
            Action::ResetPassword,
            "ACTIVE",
            json!({"sendEmail": true}),
            4,
        ),
        (Action::ClearUserSessions, "ACTIVE", json!({}), 4),
        (Action::GetUser, "ACTIVE", json!({}), 1),
        (
            Action::GetUser,
            "ACTIVE",
            // The group rules are read once per container (the warm-up read them).
            json!({"include": ["groups", "apps"]}),
            3,
        ),
        (
            Action::AddUserToGroup,
            "ACTIVE",
            json!({"group": "Sales"}),
            6,
        ),
        (
            Action::RemoveUserFromGroup,
            "ACTIVE",
            json!({"group": "Engineering"}),
            5,
        ),
        (
            Action::AssignAppToUser,
            "ACTIVE",
            json!({"app": "Slack"}),
            7,
        ),
        (
            Action::RevokeAppFromUser,
            "ACTIVE",
            json!({"app": "Zoom"}),
            6,
        ),
    ];
    for (action, status, extra, expected_calls) in cases {
        let mut seed = Seed::empty();
        let user = seed.user("counted@acme.example", status);
        let engineering = seed.group("Engineering", "OKTA_GROUP");
        seed.group("Sales", "OKTA_GROUP");
        let break_glass = seed.group("Break Glass", "OKTA_GROUP");
        seed.add_member(&engineering, &user);
        seed.app("Slack", "slack");
        let zoom = seed.app("Zoom", "zoom");
        seed.assign_app(&zoom, &user);
        let sim = start_sim(seed).await;
        let client = client_guarded(
            &sim,
            Guardrails {
                protected_groups: vec![break_glass],
                ..credentials_allowed()
            },
        );
        let mut input = extra;
        input["user"] = json!("counted@acme.example");
        let mut warm_up = input.clone();
        warm_up["dryRun"] = json!(true);
        if let Err(error) = run(&client, action, warm_up).await {
            failures.push(format!("{} warm-up: {error:?}", action.name()));
        }
        sim.reset_counters();
        let result = run(&client, action, input).await;
        match result {
            Ok(output) if output.changed || action == Action::GetUser => {}
            other => failures.push(format!("{}: {other:?}", action.name())),
        }
        // API calls only: a service-app connection adds its token requests, once per container.
        let api_calls = sim.total_calls() - sim.calls("POST", okta_sim::TOKEN_PATH);
        if api_calls != expected_calls {
            failures.push(format!(
                "{}: {api_calls} Okta calls, documented {expected_calls}",
                action.name(),
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

/// offboard-user (issue 24 item 6): the whole runbook for a user in two groups with one app in one invocation,
/// the guardrails' reads made once. With a protected group set, the guardrails read the user's groups and the
/// action reuses them: 9 calls, as docs/functions.md counts them (2 + 2 lifecycle + 1 sessions + 1 groups read + 2
/// groups + 1 app); the flow's figure is in docs/performance.md.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn offboard_user_reads_the_guardrails_once_for_every_change() {
    let mut seed = Seed::empty();
    let user = seed.user("counted@acme.example", "ACTIVE");
    let engineering = seed.group("Engineering", "OKTA_GROUP");
    let sales = seed.group("Sales", "OKTA_GROUP");
    let break_glass = seed.group("Break Glass", "OKTA_GROUP");
    seed.add_member(&engineering, &user);
    seed.add_member(&sales, &user);
    let zoom = seed.app("Zoom", "zoom");
    seed.assign_app(&zoom, &user);
    let sim = start_sim(seed).await;
    let client = client_guarded(
        &sim,
        Guardrails {
            protected_groups: vec![break_glass],
            ..credentials_allowed()
        },
    );
    let input = json!({"user": user, "suspend": true, "deactivate": true,
                       "groups": [engineering, sales], "apps": [zoom]});
    let mut warm_up = input.clone();
    warm_up["dryRun"] = json!(true);
    run(&client, Action::OffboardUser, warm_up).await.unwrap();
    sim.reset_counters();
    let output = run(&client, Action::OffboardUser, input).await.unwrap();
    let steps = serde_json::to_value(&output).unwrap()["steps"].clone();
    for step in ["suspension", "sessions", "deactivation"] {
        assert_eq!(steps[step]["changed"], true, "{step}: {steps}");
    }
    for list in ["groups", "apps"] {
        let items = steps[list].as_array().unwrap();
        assert!(
            items.iter().all(|item| item["answer"]["changed"] == true),
            "{list}: {steps}"
        );
    }
    let api_calls = sim.total_calls() - sim.calls("POST", okta_sim::TOKEN_PATH);
    assert_eq!(api_calls, 9, "{:?}", sim.requests());
    assert_eq!(
        sim.user(&user).unwrap().status,
        "DEPROVISIONED",
        "the user ends deactivated"
    );
    let left = sim.user_group_names(&user);
    assert!(
        !left.contains(&"Engineering".to_owned()) && !left.contains(&"Sales".to_owned()),
        "{left:?}"
    );
    assert!(sim.app_assignment("Zoom", &user).is_none());
}
