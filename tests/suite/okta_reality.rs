//! Okta as it really is, where the client and the simulator once shared a guess: apps without dashboard links and
//! links with labels of their own, INACTIVE apps, group rules and their exception lists, asynchronous status
//! changes, ACTIVE users blocked from unknown devices, activation outcomes the client cannot predict, and answers
//! lost after Okta made a change that carried a one-time secret. Each test fails on the code before issue 10.
//! Issue 23: orgs without the user-blocks feature (401 E0000015, not a credential problem), unlocks Okta refuses
//! (403 E0000032), reactivation of RECOVERY users, and activations still in progress when the answer is due.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::Duration;

use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::{
    Form, TOKEN, client_for, client_guarded, client_with, credentials_allowed, run, run_within,
    start_sim,
};
use okta_sim::{Fault, FaultKind, Match, Seed, SeedApp, SeedGroupRule, SeedUser, Simulator};
use serde_json::{Value, json};

const LIFECYCLE: &str = "/api/v1/users/{id}/lifecycle/";

fn posts(sim: &Simulator, operation: &str) -> usize {
    sim.calls("POST", &format!("{LIFECYCLE}{operation}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_user_lists_every_assigned_app_with_its_real_label_status_and_scope() {
    let mut seed = Seed::empty();
    let user = seed.user("apps@reality.example", "ACTIVE");
    let staff = seed.group("Staff", "OKTA_GROUP");
    seed.add_member(&staff, &user);
    // An OIDC app started by the app only: assigned, but no dashboard link.
    let mut hidden = SeedApp::new("Internal API", "oidc_client");
    hidden.links = Some(0);
    let hidden = seed.add_app(hidden);
    seed.assign_app(&hidden, &user);
    // One app, two links with labels of their own.
    let mut google = SeedApp::new("Google Workspace", "google");
    google.link_labels = vec!["Google Mail".into(), "Google Calendar".into()];
    let google = seed.add_app(google);
    seed.assign_app_to_group(&google, &staff);
    // Deactivated app: no link either, but the assignment remains.
    let mut legacy = SeedApp::new("Legacy CRM", "legacy");
    legacy.status = Some("INACTIVE".into());
    let legacy = seed.add_app(legacy);
    seed.assign_app(&legacy, &user);
    seed.app("Unassigned", "other");
    let sim = start_sim(seed).await;
    let client = client_for(&sim);

    let output = run(
        &client,
        Action::GetUser,
        json!({"user": "apps@reality.example", "include": ["apps"]}),
    )
    .await
    .unwrap();
    let apps: Vec<(String, String, Option<String>, Option<String>)> = output
        .apps
        .unwrap()
        .into_iter()
        .map(|app| (app.id, app.label, app.scope, app.status))
        .collect();
    let some = |text: &str| Some(text.to_owned());
    assert_eq!(
        apps,
        vec![
            (hidden, "Internal API".into(), some("USER"), some("ACTIVE")),
            (
                google,
                "Google Workspace".into(),
                some("GROUP"),
                some("ACTIVE")
            ),
            (legacy, "Legacy CRM".into(), some("USER"), some("INACTIVE")),
        ]
    );
    assert_eq!(
        sim.calls("GET", "/api/v1/users/{id}/appLinks"),
        0,
        "dashboard links play no part in the access report"
    );

    // The label reported is the app's, so it resolves when fed back (a link's label would be NotFound).
    let revoked = run(
        &client,
        Action::RevokeAppFromUser,
        json!({"user": "apps@reality.example", "app": "Legacy CRM"}),
    )
    .await
    .unwrap();
    assert!(revoked.changed);
}

/// The figure for the note: Okta calls of get-user with groups and apps for 3, 30 and 300 apps.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn get_user_reads_apps_in_one_call_per_200() {
    let mut figures = Vec::new();
    for count in [3_usize, 30, 300] {
        let mut seed = Seed::empty();
        let user = seed.user("many@reality.example", "ACTIVE");
        for n in 0..count {
            let app = seed.app(&format!("App {n:03}"), "bookmark");
            seed.assign_app(&app, &user);
        }
        let sim = start_sim(seed).await;
        let client = client_for(&sim);
        let output = run(
            &client,
            Action::GetUser,
            json!({"user": "many@reality.example", "include": ["groups", "apps"]}),
        )
        .await
        .unwrap();
        assert_eq!(output.apps.unwrap().len(), count);
        // user, groups, group rules, then one page per 200 apps.
        let expected = 3 + count.div_ceil(200);
        assert_eq!(sim.total_calls(), expected, "{count} apps");
        figures.push(format!("{count} apps: {} calls", sim.total_calls()));
    }
    // The figure for the note: `cargo nextest run -p okta-lifecycle-tests --test okta_reality --no-capture`.
    #[allow(clippy::print_stdout)]
    {
        println!("get-user include groups+apps: {}", figures.join(", "));
    }
}

fn rule_seed(excluded: usize) -> Seed {
    let mut seed = Seed::empty();
    let user = seed.user("ruled@reality.example", "ACTIVE");
    let engineering = seed.group("Engineering", "OKTA_GROUP");
    let projects = seed.group("Projects", "OKTA_GROUP");
    seed.add_member(&engineering, &user);
    seed.add_member(&projects, &user);
    let mut exclude = Vec::new();
    for n in 0..excluded {
        exclude.push(seed.user(&format!("excluded{n}@reality.example"), "ACTIVE"));
    }
    seed.group_rules.push(SeedGroupRule {
        name: "Engineering department".into(),
        groups: vec![engineering],
        exclude,
        ..SeedGroupRule::default()
    });
    seed.group_rules.push(SeedGroupRule {
        name: "Old projects rule".into(),
        status: Some("INACTIVE".into()),
        groups: vec![projects],
        ..SeedGroupRule::default()
    });
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn rule_managed_groups_are_marked_and_not_left_by_default() {
    let sim = start_sim(rule_seed(0)).await;
    let client = client_for(&sim);
    let user = "ruled@reality.example";

    let output = run(
        &client,
        Action::GetUser,
        json!({"user": user, "include": ["groups"]}),
    )
    .await
    .unwrap();
    let mut marks: Vec<(String, bool)> = output
        .groups
        .unwrap()
        .into_iter()
        .map(|group| (group.name, group.rule_managed))
        .collect();
    marks.sort();
    assert_eq!(
        marks,
        vec![
            ("Engineering".to_owned(), true),
            ("Everyone".to_owned(), false),
            ("Projects".to_owned(), false)
        ],
        "only an ACTIVE rule's target is rule-managed"
    );

    for dry_run in [true, false] {
        let error = run(
            &client,
            Action::RemoveUserFromGroup,
            json!({"user": user, "group": "Engineering", "dryRun": dry_run}),
        )
        .await
        .unwrap_err();
        assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
        assert!(
            error.message.contains("exception list")
                && error.message.contains("allowRuleException"),
            "{}",
            error.message
        );
    }
    assert_eq!(
        sim.calls("DELETE", "/api/v1/groups/{groupId}/users/{userId}"),
        0,
        "the refused removal never reached Okta"
    );
    assert!(sim.rule_exclusions("Engineering department").is_empty());
    assert_eq!(
        sim.calls("GET", "/api/v1/groups/rules"),
        1,
        "rules are read once per container"
    );

    // A group whose rule is inactive is left as usual.
    let left = run(
        &client,
        Action::RemoveUserFromGroup,
        json!({"user": user, "group": "Projects"}),
    )
    .await
    .unwrap();
    assert!(left.changed);

    // With consent, the removal goes through and Okta excludes the user from the rule.
    let removed = run(
        &client,
        Action::RemoveUserFromGroup,
        json!({"user": user, "group": "Engineering", "allowRuleException": true}),
    )
    .await
    .unwrap();
    assert!(removed.changed);
    let id = sim.user(user).unwrap().id;
    assert_eq!(sim.rule_exclusions("Engineering department"), vec![id]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_full_exception_list_refuses_the_removal() {
    let sim = start_sim(rule_seed(100)).await;
    let client = client_for(&sim);
    let error = run(
        &client,
        Action::RemoveUserFromGroup,
        json!({"user": "ruled@reality.example", "group": "Engineering", "allowRuleException": true}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaRejected, "{error}");
    assert!(
        sim.user_group_names("ruled@reality.example")
            .contains(&"Engineering".to_owned())
    );
}

fn one_user(user: SeedUser) -> Seed {
    let mut seed = Seed::empty();
    seed.add_user(user);
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_in_progress_is_waited_for_then_planned_from() {
    let mut user = SeedUser::new("moving@reality.example", "STAGED");
    user.password = Some(true);
    user.transitioning_to_status = Some("ACTIVE".into());
    user.settles_after_reads = Some(2);
    let sim = start_sim(one_user(user)).await;
    let client = client_for(&sim);
    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "moving@reality.example"}),
    )
    .await
    .unwrap();
    assert!(!output.changed, "{output:?}");
    assert_eq!(output.user.status_after, "ACTIVE");
    assert_eq!(
        posts(&sim, "activate"),
        0,
        "nothing was sent while Okta was busy"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_409_still_being_activated_leads_to_a_re_read_not_a_blind_retry() {
    // Okta starts activating the user (another admin, a provisioning import) while our request is on its way.
    let mut user = SeedUser::new("busy@reality.example", "STAGED");
    user.password = Some(true);
    let sim = start_sim(one_user(user)).await;
    let client = client_for(&sim);
    sim.inject(Fault::new(
        Match::route("POST", &format!("{LIFECYCLE}activate")),
        1,
        FaultKind::Latency(Duration::from_millis(400)),
    ));
    let (result, ()) = tokio::join!(
        run(
            &client,
            Action::ActivateUser,
            json!({"user": "busy@reality.example"}),
        ),
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sim.begin_transition("busy@reality.example", "ACTIVE", 1);
        }
    );
    let output = result.unwrap();
    assert!(
        !output.changed,
        "planned again from the settled status: {output:?}"
    );
    assert_eq!(output.user.status_after, "ACTIVE");
    assert_eq!(posts(&sim, "activate"), 1, "not sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_transition_that_does_not_settle_in_time_is_a_retryable_transient() {
    let mut user = SeedUser::new("stuck@reality.example", "ACTIVE");
    user.transitioning_to_status = Some("DEPROVISIONED".into());
    user.settles_after_reads = Some(10_000);
    let sim = start_sim(one_user(user)).await;
    let client = client_for(&sim);
    let error = run_within(
        &client,
        Action::SuspendUser,
        json!({"user": "stuck@reality.example"}),
        Duration::from_secs(2),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaTransient);
    assert!(error.kind.retryable());
    assert!(
        error.message.contains("still transitioning") && error.message.contains("DEPROVISIONED"),
        "{}",
        error.message
    );
    assert_eq!(posts(&sim, "suspend"), 0);
    assert!(
        sim.calls("GET", "/api/v1/users/{id}") >= 2,
        "the user was read again while waiting"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_lifts_an_active_users_block_from_unknown_devices() {
    let mut blocked = SeedUser::new("blocked@reality.example", "ACTIVE");
    blocked.blocked_unknown_devices = true;
    let mut seed = one_user(blocked);
    seed.user("free@reality.example", "ACTIVE");
    let sim = start_sim(seed).await;
    let client = client_for(&sim);

    let output = run(
        &client,
        Action::UnlockUser,
        json!({"user": "blocked@reality.example"}),
    )
    .await
    .unwrap();
    assert!(output.changed, "{output:?}");
    assert!(output.message.contains("blocked"), "{}", output.message);
    assert_eq!(posts(&sim, "unlock"), 1);
    let again = run(
        &client,
        Action::UnlockUser,
        json!({"user": "blocked@reality.example"}),
    )
    .await
    .unwrap();
    assert!(!again.changed, "the block is gone");

    let free = run(
        &client,
        Action::UnlockUser,
        json!({"user": "free@reality.example"}),
    )
    .await
    .unwrap();
    assert!(!free.changed);
    assert_eq!(
        posts(&sim, "unlock"),
        1,
        "nothing sent for an unblocked user"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_reports_the_status_okta_reached() {
    let mut federated = SeedUser::new("federated@reality.example", "STAGED");
    federated.password = Some(false);
    federated.federated = true;
    let sim = start_sim(one_user(federated)).await;
    let client = client_for(&sim);
    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "federated@reality.example"}),
    )
    .await
    .unwrap();
    assert_eq!(output.user.status_after, "ACTIVE");
    assert_eq!(
        sim.user("federated@reality.example").unwrap().status,
        "ACTIVE"
    );
}

/// (action, input, user's status, route, fault): a change that carries a one-time secret, its answer lost after
/// Okta made it. Never retried, never `changed: true` without the secret: `Okta.OutcomeUnknown` with advice.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_with_a_secret_is_never_retried_nor_reported_as_done() {
    let cases: [(Action, Value, &str, &str, &str, FaultKind); 6] = [
        (
            Action::ActivateUser,
            json!({"sendEmail": false}),
            "STAGED",
            "activate",
            "PROVISIONED",
            FaultKind::DropAfterCommit,
        ),
        (
            Action::ActivateUser,
            json!({"sendEmail": false}),
            "STAGED",
            "activate",
            "PROVISIONED",
            FaultKind::StatusAfterCommit(504),
        ),
        (
            Action::ResetPassword,
            json!({"sendEmail": false}),
            "ACTIVE",
            "reset_password",
            "RECOVERY",
            FaultKind::DropAfterCommit,
        ),
        (
            Action::ResetPassword,
            json!({"sendEmail": false}),
            "ACTIVE",
            "reset_password",
            "RECOVERY",
            FaultKind::StatusAfterCommit(502),
        ),
        (
            Action::ExpirePassword,
            json!({"tempPassword": true}),
            "ACTIVE",
            "expire_password_with_temp_password",
            "PASSWORD_EXPIRED",
            FaultKind::DropAfterCommit,
        ),
        (
            Action::ActivateUser,
            json!({"sendEmail": false, "resendActivation": true}),
            "PROVISIONED",
            "reactivate",
            "PROVISIONED",
            FaultKind::StatusAfterCommit(503),
        ),
    ];
    let mut failures = Vec::new();
    for (action, extra, status, operation, committed, fault) in cases {
        let mut user = SeedUser::new("secret@reality.example", status);
        user.password = Some(status != "STAGED" && status != "PROVISIONED");
        let sim = start_sim(one_user(user)).await;
        let client = client_guarded(&sim, credentials_allowed());
        sim.inject(Fault::new(
            Match::route("POST", &format!("{LIFECYCLE}{operation}")),
            1,
            fault.clone(),
        ));
        let mut input = extra;
        input["user"] = json!("secret@reality.example");
        let case = format!("{} {fault:?}", action.name());
        match run(&client, action, input).await {
            Err(error) if error.kind == ErrorKind::OktaOutcomeUnknown => {
                if error.kind.retryable() {
                    failures.push(format!("{case}: OutcomeUnknown must not be retryable"));
                }
                if !error.message.contains("get-user") && !error.message.contains("again") {
                    failures.push(format!("{case}: no recovery advice: {}", error.message));
                }
            }
            other => failures.push(format!("{case}: {other:?}")),
        }
        if posts(&sim, operation) != 1 {
            failures.push(format!("{case}: sent {} times", posts(&sim, operation)));
        }
        let now = sim.user("secret@reality.example").unwrap().status;
        if now != committed {
            failures.push(format!("{case}: the fault did not commit ({now})"));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_lost_answer_without_a_secret_is_still_retried_and_confirmed() {
    let sim = start_sim(one_user(SeedUser::new("plain@reality.example", "ACTIVE"))).await;
    let client = client_guarded(&sim, credentials_allowed());
    sim.inject(Fault::new(
        Match::route("POST", &format!("{LIFECYCLE}suspend")),
        1,
        FaultKind::DropAfterCommit,
    ));
    let output = run(
        &client,
        Action::SuspendUser,
        json!({"user": "plain@reality.example"}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    assert_eq!(output.user.status_after, "SUSPENDED");
    assert_eq!(posts(&sim, "suspend"), 2, "retried, refused, re-read");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_refused_secret_request_is_not_reported_as_a_change() {
    // Someone else activates the user while our request is on its way: Okta refuses ours and issues us no link.
    let mut user = SeedUser::new("raced@reality.example", "STAGED");
    user.password = Some(false);
    let sim = start_sim(one_user(user)).await;
    let client = client_guarded(&sim, credentials_allowed());
    sim.inject(Fault::new(
        Match::route("POST", &format!("{LIFECYCLE}activate")),
        1,
        FaultKind::Latency(Duration::from_millis(400)),
    ));
    let (result, ()) = tokio::join!(
        run(
            &client,
            Action::ActivateUser,
            json!({"user": "raced@reality.example", "sendEmail": false}),
        ),
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sim.set_user_status("raced@reality.example", "PROVISIONED");
        }
    );
    let error = result.unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotApplicable, "{error}");
    assert!(
        error.message.contains("no activationUrl"),
        "{}",
        error.message
    );
    assert_eq!(posts(&sim, "activate"), 1);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_says_it_speaks_json() {
    let sim = start_sim(okta_lifecycle_tests::sample_org()).await;
    let client = client_for(&sim);
    let leaver = "sam.leaver@acme.example";
    let _ = run(
        &client,
        Action::GetUser,
        json!({"user": leaver, "include": ["groups", "apps"]}),
    )
    .await;
    let _ = run(&client, Action::ClearUserSessions, json!({"user": leaver})).await;
    let _ = run(&client, Action::SuspendUser, json!({"user": leaver})).await;
    let requests = sim.requests();
    assert!(requests.iter().any(|r| r.method == "DELETE"));
    assert!(requests.iter().any(|r| r.method == "POST"));
    for request in requests {
        let content_type = request
            .headers
            .iter()
            .find(|(name, _)| name == "content-type")
            .map(|(_, value)| value.as_str());
        assert_eq!(
            content_type,
            Some("application/json"),
            "{} {}",
            request.method,
            request.path
        );
    }
}

const BLOCKS: &str = "/api/v1/users/{id}/blocks";

/// An org without the user-blocks feature (seed `blocksFeatureOff`).
fn org_without_blocks() -> Seed {
    let mut seed = Seed::empty();
    seed.blocks_feature_off = true;
    seed.user("active@noblocks.example", "ACTIVE");
    seed.user("locked@noblocks.example", "LOCKED_OUT");
    let mut blocked = SeedUser::new("blocked@noblocks.example", "ACTIVE");
    blocked.blocked_unknown_devices = true;
    seed.add_user(blocked);
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_simulator_answers_blocks_in_an_org_without_the_feature_as_okta_does() {
    let sim = start_sim(org_without_blocks()).await;
    let id = sim.user("active@noblocks.example").unwrap().id;
    let response = reqwest::Client::new()
        .get(format!("{}/api/v1/users/{id}/blocks", sim.url()))
        .header("Authorization", format!("SSWS {TOKEN}"))
        .header("Accept", "application/json")
        .send()
        .await
        .unwrap();
    // okta-sdk-python cassette test_users_it/TestUsersResource.test_list_user_blocks.yaml (780ecaa8): 401, no
    // challenge, Okta's error object with E0000015.
    assert_eq!(response.status(), 401);
    assert!(response.headers().get("www-authenticate").is_none());
    let body: Value = response.json().await.unwrap();
    assert_eq!(body["errorCode"], "E0000015");
    assert_eq!(body["errorLink"], "E0000015");
    assert_eq!(
        body["errorSummary"],
        "You do not have permission to access the feature you are requesting"
    );
    assert_eq!(body["errorCauses"], json!([]));
}

/// (form) → for each user of an org without blocks: unlock's outcome, with the 401 on the blocks read sent once and
/// never answered by a new token (the secret case is in `secrets.rs`).
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn unlock_in_an_org_without_blocks_lets_okta_decide_and_never_renews_the_credential() {
    for form in [Form::ApiToken, Form::ServiceAppDpop] {
        let sim = start_sim(org_without_blocks()).await;
        let client = client_with(&sim, form);

        // ACTIVE, not blocked: blocks unknown, so Okta is asked; its 403 E0000032 means there was nothing to unlock.
        let output = run(
            &client,
            Action::UnlockUser,
            json!({"user": "active@noblocks.example"}),
        )
        .await
        .unwrap_or_else(|error| panic!("{form:?}: {error}"));
        assert!(!output.changed, "{form:?}: {output:?}");
        assert_eq!(output.user.status_after, "ACTIVE");
        assert!(
            output.message.starts_with("unchanged") && output.message.contains("E0000032"),
            "{form:?}: {}",
            output.message
        );
        assert_eq!(
            sim.calls("GET", BLOCKS),
            1,
            "{form:?}: the 401 was not sent again"
        );
        assert_eq!(posts(&sim, "unlock"), 1, "{form:?}");
        let tokens_after_first = sim.tokens_issued();
        if form == Form::ServiceAppDpop {
            assert_eq!(
                tokens_after_first, 1,
                "no token renewal after the 401 E0000015"
            );
        }

        // ACTIVE and (unknown to the client) blocked from unknown devices: Okta unlocks.
        let output = run(
            &client,
            Action::UnlockUser,
            json!({"user": "blocked@noblocks.example"}),
        )
        .await
        .unwrap();
        assert!(output.changed, "{form:?}: {output:?}");
        assert!(
            output.message.contains("blocks unknown"),
            "{}",
            output.message
        );

        // LOCKED_OUT: blocks are not read; unlocked.
        let output = run(
            &client,
            Action::UnlockUser,
            json!({"user": "locked@noblocks.example"}),
        )
        .await
        .unwrap();
        assert!(output.changed, "{form:?}: {output:?}");
        assert_eq!(output.user.status_after, "ACTIVE");
        assert_eq!(
            sim.calls("GET", BLOCKS),
            2,
            "{form:?}: one read per ACTIVE user"
        );
        assert_eq!(sim.tokens_issued(), tokens_after_first, "{form:?}");
        assert_eq!(
            sim.requests().iter().filter(|r| r.status == 401).count(),
            2,
            "{form:?}: the two blocks reads, each once"
        );
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_unlock_refused_because_the_lockout_ended_meanwhile_is_the_goal_reached() {
    // The user was LOCKED_OUT when read, but the lockout ends (or another admin unlocks) while the unlock is on its
    // way; the user is ACTIVE and not blocked, so Okta refuses with 403 E0000032. (A refusal that leaves the user
    // as it was is unchanged: `unlock_in_an_org_without_blocks_...`.)
    let mut seed = Seed::empty();
    seed.user("racing@reality.example", "LOCKED_OUT");
    let sim = start_sim(seed).await;
    let client = client_for(&sim);
    sim.inject(Fault::new(
        Match::route("POST", &format!("{LIFECYCLE}unlock")),
        1,
        FaultKind::Latency(Duration::from_millis(400)),
    ));
    let (result, ()) = tokio::join!(
        run(
            &client,
            Action::UnlockUser,
            json!({"user": "racing@reality.example"}),
        ),
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sim.set_user_status("racing@reality.example", "ACTIVE");
        }
    );
    let output = result.unwrap();
    // Went from LOCKED_OUT to ACTIVE: the goal is reached, as for any refused change whose goal is met.
    assert!(output.changed, "{output:?}");
    assert_eq!(output.user.status_after, "ACTIVE");
    assert_eq!(posts(&sim, "unlock"), 1, "not sent again");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activate_user_reactivates_a_recovery_user_when_asked() {
    let mut user = SeedUser::new("recovering@reality.example", "RECOVERY");
    user.password = Some(false);
    let sim = start_sim(one_user(user)).await;
    let client = client_guarded(&sim, credentials_allowed());

    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "recovering@reality.example"}),
    )
    .await
    .unwrap();
    assert!(!output.changed, "{output:?}");
    assert!(
        output.message.contains("resendActivation"),
        "{}",
        output.message
    );
    assert_eq!(posts(&sim, "reactivate"), 0);

    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "recovering@reality.example", "resendActivation": true, "sendEmail": false}),
    )
    .await
    .unwrap();
    assert!(output.changed, "{output:?}");
    assert_eq!(posts(&sim, "reactivate"), 1);
    assert!(output.activation_url.is_some(), "the link asked for");
    // Read back from Okta, not predicted.
    let now = sim.user("recovering@reality.example").unwrap().status;
    assert_eq!(output.user.status_before, "RECOVERY");
    assert_eq!(output.user.status_after, now);
}

fn activating_org(reads: u32) -> Seed {
    let mut user = SeedUser::new("activating@reality.example", "STAGED");
    user.password = Some(true);
    let mut seed = one_user(user);
    seed.activation_settles_after_reads = Some(reads);
    seed
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn activation_reports_the_status_once_okta_has_finished_it() {
    let sim = start_sim(activating_org(2)).await;
    let client = client_for(&sim);
    let output = run(
        &client,
        Action::ActivateUser,
        json!({"user": "activating@reality.example"}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    assert_eq!(output.user.status_after, "ACTIVE", "{output:?}");
    assert_eq!(output.user.transitioning_to_status, None);
    // After the change: the read that finds it in progress, then one per pause until it is over.
    let id = sim.user("activating@reality.example").unwrap().id;
    let reads = sim
        .requests()
        .iter()
        .filter(|r| r.method == "GET" && r.path == format!("/api/v1/users/{id}"))
        .count();
    assert_eq!(reads, 3);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_activation_still_in_progress_at_the_deadline_is_reported_as_such() {
    let sim = start_sim(activating_org(10_000)).await;
    let client = client_for(&sim);
    let budget = Duration::from_secs(2);
    let started = std::time::Instant::now();
    let output = run_within(
        &client,
        Action::ActivateUser,
        json!({"user": "activating@reality.example"}),
        budget,
    )
    .await
    .unwrap();
    assert!(started.elapsed() < budget, "answered within the deadline");
    assert!(output.changed);
    assert_eq!(output.user.status_after, "STAGED", "not claimed ACTIVE");
    assert_eq!(
        output.user.transitioning_to_status.as_deref(),
        Some("ACTIVE")
    );
    assert!(
        output.message.contains("transitioningToStatus"),
        "{}",
        output.message
    );
    assert!(
        sim.calls("GET", "/api/v1/users/{id}") >= 3,
        "read again while waiting"
    );
    let serialized = serde_json::to_value(&output).unwrap();
    assert_eq!(serialized["user"]["transitioningToStatus"], "ACTIVE");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_failed_read_after_activation_keeps_the_link_and_says_the_status_is_unconfirmed() {
    let mut user = SeedUser::new("linked@reality.example", "STAGED");
    user.password = Some(false);
    let sim = start_sim(one_user(user)).await;
    let client = client_guarded(&sim, credentials_allowed());
    // The activation is answered (with its link) after 400 ms; meanwhile every read of the user starts failing.
    sim.inject(Fault::new(
        Match::route("POST", &format!("{LIFECYCLE}activate")),
        1,
        FaultKind::Latency(Duration::from_millis(400)),
    ));
    let (result, ()) = tokio::join!(
        run(
            &client,
            Action::ActivateUser,
            json!({"user": "linked@reality.example", "sendEmail": false}),
        ),
        async {
            tokio::time::sleep(Duration::from_millis(150)).await;
            sim.inject(Fault::new(
                Match::route("GET", "/api/v1/users/{id}"),
                10,
                FaultKind::Status(500),
            ));
        }
    );
    let output = result.unwrap();
    assert!(output.changed);
    assert!(
        output.activation_url.is_some(),
        "the link reached the caller"
    );
    assert_eq!(output.user.status_after, "PROVISIONED");
    assert!(output.message.contains("expected"), "{}", output.message);
    assert_eq!(posts(&sim, "activate"), 1);
}
