//! The four leaver actions (issue 27) against the simulator: every starting status, then the same action again
//! (nothing left to change) and as a dry run (nothing sent); then the cases each action decides on (shared devices,
//! groups without a new owner, privileged groups, users with nothing to revoke) and the Okta calls they cost.
//!
//! The expectations are Okta's documented behaviour, written once in `expected()`: grants, devices and group owners
//! have no status rule in the spec; a DEPROVISIONED user's factors are not found (okta-sdk-java issue #646).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use okta_lifecycle::guard::Guardrails;
use okta_lifecycle::{Action, ErrorKind, Output};
use okta_lifecycle_tests::{client_guarded, run, start_sim};
use okta_sim::{Seed, SeedGroup, SeedOAuthClient, SeedUser, Simulator};
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

const LEAVER_ACTIONS: [Action; 4] = [
    Action::RevokeUserGrants,
    Action::ResetUserFactors,
    Action::DeactivateUserDevices,
    Action::TransferGroupOwnership,
];

const MANAGER: &str = "manager@leaver.example";
const COLLEAGUE: &str = "colleague@leaver.example";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Expect {
    /// Changes Okta once; a second run finds nothing left.
    Changes,
    /// Changes Okta on every run: Okta cannot say whether anything is left (factors).
    ChangesEveryRun,
    Refused(ErrorKind),
}

use Expect::*;

fn expected(action: Action, status: &str) -> Expect {
    match (action, status) {
        (Action::ResetUserFactors, "DEPROVISIONED") => Refused(ErrorKind::OktaNotApplicable),
        (Action::ResetUserFactors, _) => ChangesEveryRun,
        _ => Changes,
    }
}

fn login(status: &str) -> String {
    format!("{}@leaver.example", status.to_lowercase())
}

fn clients() -> Vec<SeedOAuthClient> {
    vec![
        SeedOAuthClient {
            name: "Expenses".into(),
            grants: 1,
            tokens: 1,
            ..SeedOAuthClient::default()
        },
        // Refresh tokens without a grant: listed all the same (spec listUserClients: "grants or tokens").
        SeedOAuthClient {
            name: "Notes".into(),
            tokens: 2,
            ..SeedOAuthClient::default()
        },
    ]
}

/// One leaver per status, each with two OAuth clients, two factors, a personal laptop, a kiosk shared with a
/// colleague and a group of their own, and the same active manager.
fn seed_one_per_status() -> Seed {
    let mut seed = Seed::empty();
    seed.user(MANAGER, "ACTIVE");
    seed.user(COLLEAGUE, "ACTIVE");
    for status in STATUSES {
        let login = login(status);
        seed.add_user(SeedUser {
            oauth_clients: clients(),
            factors: vec!["push".into(), "sms".into()],
            manager: Some(MANAGER.into()),
            ..SeedUser::new(&login, status)
        });
        seed.device(&format!("{status}-LAPTOP"), &[&login]);
        seed.device(&format!("{status}-KIOSK"), &[&login, COLLEAGUE]);
        seed.add_group(SeedGroup {
            name: format!("{status} Team"),
            owners: vec![login.clone()],
            ..SeedGroup::default()
        });
    }
    seed
}

/// What Okta must show once the action changed the user in `status`; `None` when it does.
fn state_problem(action: Action, sim: &Simulator, status: &str, output: &Output) -> Option<String> {
    let login = login(status);
    let user_id = sim.user(&login).unwrap().id;
    match action {
        Action::RevokeUserGrants => {
            let left: Vec<_> = sim
                .user_oauth_clients(&login)
                .into_iter()
                .filter(|(_, grants, tokens)| *grants > 0 || *tokens > 0)
                .collect();
            let reported = output.clients.as_ref().map_or(0, Vec::len);
            (!left.is_empty() || reported != 2)
                .then(|| format!("left {left:?}, reported {reported} clients"))
        }
        Action::ResetUserFactors => {
            let left = sim.user_factor_types(&login);
            let reported = output.factors.as_ref().map_or(0, Vec::len);
            (!left.is_empty() || reported != 2)
                .then(|| format!("left {left:?}, reported {reported} factors"))
        }
        Action::DeactivateUserDevices => {
            let laptop = sim.device(&format!("{status}-LAPTOP")).unwrap();
            let kiosk = sim.device(&format!("{status}-KIOSK")).unwrap();
            let outcomes: Vec<(&str, Option<usize>)> = output
                .devices
                .iter()
                .flatten()
                .map(|device| (device.outcome, device.other_users))
                .collect();
            let ok = laptop.0 == "DEACTIVATED"
                && laptop.1.is_empty()
                && kiosk.0 == "ACTIVE"
                && kiosk.1.contains(&user_id)
                && outcomes == [("deactivated", None), ("keptShared", Some(1))];
            (!ok).then(|| format!("laptop {laptop:?}, kiosk {kiosk:?}, reported {outcomes:?}"))
        }
        Action::TransferGroupOwnership => {
            let manager_id = sim.user(MANAGER).unwrap().id;
            let owners = sim.group_owner_ids(&format!("{status} Team"));
            let named = output.new_owner.as_ref().map(|owner| owner.login.as_str());
            (owners != [manager_id] || named != Some(MANAGER))
                .then(|| format!("owners {owners:?}, new owner {named:?}"))
        }
        _ => unreachable!("not a leaver action"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_leaver_action_from_every_status() {
    let mut failures = Vec::new();
    for action in LEAVER_ACTIONS {
        let sim = start_sim(seed_one_per_status()).await;
        let client = client_guarded(&sim, Guardrails::default());
        for status in STATUSES {
            let login = login(status);
            let row = format!("{} from {status}", action.name());
            let expect = expected(action, status);

            sim.reset_counters();
            let dry = run(&client, action, json!({"user": login, "dryRun": true})).await;
            if sim.mutating_calls() != 0 {
                failures.push(format!(
                    "{row}: the dry run sent {} changes",
                    sim.mutating_calls()
                ));
            }

            sim.reset_counters();
            let result = run(&client, action, json!({"user": login})).await;
            match (expect, &result) {
                (Changes | ChangesEveryRun, Ok(output)) => {
                    if !output.changed {
                        failures.push(format!("{row}: changed false ({})", output.message));
                    }
                    if let Some(problem) = state_problem(action, &sim, status, output) {
                        failures.push(format!("{row}: {problem}"));
                    }
                }
                (Refused(kind), Err(error)) => {
                    if error.kind != kind {
                        failures.push(format!("{row}: error {error}"));
                    }
                    if sim.mutating_calls() != 0 || sim.user_factor_types(&login).len() != 2 {
                        failures.push(format!("{row}: refused, yet something changed"));
                    }
                }
                (expect, result) => {
                    failures.push(format!("{row}: expected {expect:?}, got {result:?}"))
                }
            }
            if sim.user(&login).unwrap().status != status {
                failures.push(format!("{row}: the user's status changed"));
            }
            match (&dry, &result) {
                (Ok(dry), Ok(real)) if dry.changed == real.changed && dry.dry_run => {}
                (Err(dry), Err(real)) if dry.kind == real.kind => {}
                _ => failures.push(format!("{row}: dry run {dry:?}, real run {result:?}")),
            }

            if result.is_err() {
                continue;
            }
            sim.reset_counters();
            match run(&client, action, json!({"user": login})).await {
                Ok(again) => {
                    let (changed, changes) = match expect {
                        ChangesEveryRun => (true, 1),
                        _ => (false, 0),
                    };
                    if again.changed != changed || sim.mutating_calls() != changes {
                        failures.push(format!(
                            "{row}: second run changed {} with {} changes ({})",
                            again.changed,
                            sim.mutating_calls(),
                            again.message
                        ));
                    }
                }
                Err(error) => failures.push(format!("{row}: second run failed: {error}")),
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

/// A small org for one leaver: the user, a manager, a colleague.
fn leaver_org(configure: impl FnOnce(&mut Seed, &str)) -> Seed {
    let mut seed = Seed::empty();
    seed.user(MANAGER, "ACTIVE");
    seed.user(COLLEAGUE, "ACTIVE");
    let leaver = seed.add_user(SeedUser {
        manager: Some(MANAGER.into()),
        ..SeedUser::new("leaver@leaver.example", "ACTIVE")
    });
    configure(&mut seed, &leaver);
    seed
}

fn owned_group(seed: &mut Seed, name: &str, owners: &[&str]) -> String {
    seed.add_group(SeedGroup {
        name: name.into(),
        owners: owners.iter().map(|owner| (*owner).to_owned()).collect(),
        ..SeedGroup::default()
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ownership_goes_to_the_new_owner_before_the_leaver_leaves() {
    let seed = leaver_org(|seed, leaver| {
        owned_group(seed, "Design", &[leaver]);
        // Co-owned with the colleague who takes over: the leaver is only removed.
        owned_group(seed, "Research", &[leaver, COLLEAGUE]);
        let admins = owned_group(seed, "Helpdesk Admins", &[leaver]);
        seed.assign_group_role(&admins, "HELP_DESK_ADMIN");
        owned_group(seed, "Unrelated", &[MANAGER]);
    });
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, Guardrails::default());
    let leaver = sim.user("leaver@leaver.example").unwrap().id;
    let colleague = sim.user(COLLEAGUE).unwrap().id;
    let output = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": "leaver@leaver.example", "newOwner": COLLEAGUE}),
    )
    .await
    .unwrap();
    assert!(output.changed, "{}", output.message);
    assert_eq!(sim.group_owner_ids("Design"), vec![colleague.clone()]);
    assert_eq!(sim.group_owner_ids("Research"), vec![colleague]);
    assert_eq!(
        sim.group_owner_ids("Helpdesk Admins"),
        vec![leaver.clone()],
        "a group with admin roles is left to an admin"
    );
    assert_eq!(sim.group_owner_ids("Unrelated").len(), 1);
    let outcomes: Vec<(String, &str)> = output
        .owned_groups
        .unwrap()
        .into_iter()
        .map(|group| (group.name, group.outcome))
        .collect();
    assert_eq!(
        outcomes,
        [
            ("Design".to_owned(), "transferred"),
            ("Research".to_owned(), "transferred"),
            ("Helpdesk Admins".to_owned(), "keptPrivileged"),
        ]
    );
    assert!(
        output.message.contains("admin console"),
        "{}",
        output.message
    );
    // Every group had an owner at every moment: for each group, the owner was added before the leaver was removed.
    let changes: Vec<(String, String)> = sim
        .requests()
        .iter()
        .filter(|request| request.method != "GET" && request.path.contains("/owners"))
        .map(|request| (request.method.clone(), request.path.clone()))
        .collect();
    let design = sim.group_id("Design").unwrap();
    let research = sim.group_id("Research").unwrap();
    assert_eq!(
        changes,
        [
            ("POST".to_owned(), format!("/api/v1/groups/{design}/owners")),
            (
                "DELETE".to_owned(),
                format!("/api/v1/groups/{design}/owners/{leaver}")
            ),
            (
                "DELETE".to_owned(),
                format!("/api/v1/groups/{research}/owners/{leaver}")
            ),
        ],
        "the colleague already owned Research: no second POST"
    );
    // Only the privileged group is left: nothing to transfer, and no new owner is needed for that.
    sim.reset_counters();
    let again = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": "leaver@leaver.example"}),
    )
    .await
    .unwrap();
    assert!(
        !again.changed && sim.mutating_calls() == 0,
        "{}",
        again.message
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn no_group_is_left_without_an_owner() {
    let seed = leaver_org(|seed, leaver| {
        owned_group(seed, "Design", &[leaver]);
        seed.add_user(SeedUser::new("orphan@leaver.example", "ACTIVE"));
        owned_group(seed, "Orphanage", &["orphan@leaver.example"]);
        seed.user("away@leaver.example", "SUSPENDED");
    });
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, Guardrails::default());
    let leaver = sim.user("leaver@leaver.example").unwrap().id;
    // No manager and no newOwner: refused, nothing sent.
    let error = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": "orphan@leaver.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
    assert!(error.message.contains("Orphanage"), "{}", error.message);
    // A new owner who cannot sign in is no owner.
    let error = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": "leaver@leaver.example", "newOwner": "away@leaver.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
    assert!(error.message.contains("SUSPENDED"), "{}", error.message);
    let error = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": "leaver@leaver.example", "newOwner": "leaver@leaver.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.field.as_deref(), Some("newOwner"));
    assert_eq!(sim.mutating_calls(), 0);
    assert_eq!(sim.group_owner_ids("Design"), [leaver]);
    // Someone who owns nothing needs no new owner.
    let output = run(
        &client,
        Action::TransferGroupOwnership,
        json!({"user": COLLEAGUE}),
    )
    .await
    .unwrap();
    assert!(!output.changed && output.message.contains("owns no group"));
    assert_eq!(sim.mutating_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn shared_devices_stay_and_are_reported() {
    let seed = leaver_org(|seed, leaver| {
        seed.device("FRONT-DESK", &[leaver, COLLEAGUE, MANAGER]);
    });
    let sim = start_sim(seed).await;
    let client = client_guarded(&sim, Guardrails::default());
    let output = run(
        &client,
        Action::DeactivateUserDevices,
        json!({"user": "leaver@leaver.example"}),
    )
    .await
    .unwrap();
    assert!(!output.changed, "{}", output.message);
    assert!(output.message.contains("FRONT-DESK"), "{}", output.message);
    let devices = output.devices.unwrap();
    assert_eq!(devices.len(), 1);
    assert_eq!(
        (devices[0].outcome, devices[0].other_users),
        ("keptShared", Some(2))
    );
    assert_eq!(sim.device("FRONT-DESK").unwrap().0, "ACTIVE");
    assert_eq!(sim.mutating_calls(), 0);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn nothing_to_revoke_is_no_change() {
    let sim = start_sim(leaver_org(|_, _| {})).await;
    let client = client_guarded(&sim, Guardrails::default());
    let output = run(
        &client,
        Action::RevokeUserGrants,
        json!({"user": "leaver@leaver.example"}),
    )
    .await
    .unwrap();
    assert!(!output.changed, "{}", output.message);
    let output = run(
        &client,
        Action::DeactivateUserDevices,
        json!({"user": "leaver@leaver.example"}),
    )
    .await
    .unwrap();
    assert!(!output.changed, "{}", output.message);
    assert_eq!(sim.mutating_calls(), 0);
    // Factors: Okta cannot say that none are left, so the reset is sent anyway (and answered 200, as recorded).
    let output = run(
        &client,
        Action::ResetUserFactors,
        json!({"user": "leaver@leaver.example"}),
    )
    .await
    .unwrap();
    assert!(output.changed && output.message.contains("listed none"));
    assert_eq!(
        sim.calls("POST", "/api/v1/users/{id}/lifecycle/reset_factors"),
        1
    );
}

/// The Okta calls each leaver action makes on its happy path, as the README documents them ("The functions"),
/// the guardrails' reads with a protected group set included.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn okta_calls_per_leaver_action_on_the_happy_path() {
    let mut failures = Vec::new();
    // revoke: user, clients, grants, 2 apps' tokens; reset: user, factors, reset; devices: user, devices, 2 devices'
    // users, 1 deactivation; transfer: user, 1 page of 3 groups, the owners of the 2 that are not built in, 1 group's
    // roles, add and remove, manager link and manager. Each + the guardrails' 2 (roles, groups).
    let cases: [(Action, usize); 4] = [
        (Action::RevokeUserGrants, 5 + 2),
        (Action::ResetUserFactors, 3 + 2),
        (Action::DeactivateUserDevices, 5 + 2),
        (Action::TransferGroupOwnership, 9 + 2),
    ];
    for (action, expected_calls) in cases {
        let seed = leaver_org(|seed, leaver| {
            if let Some(user) = seed
                .users
                .iter_mut()
                .find(|user| user.id.as_deref() == Some(leaver))
            {
                user.oauth_clients = clients();
                user.factors = vec!["push".into()];
            }
            seed.device("LAPTOP", &[leaver]);
            seed.device("KIOSK", &[leaver, COLLEAGUE]);
            owned_group(seed, "Team", &[leaver]);
            seed.group("Break Glass", "OKTA_GROUP");
        });
        let sim = start_sim(seed).await;
        let client = client_guarded(
            &sim,
            Guardrails {
                protected_groups: vec!["Break Glass".to_owned()],
                ..Guardrails::default()
            },
        );
        let input = json!({"user": "leaver@leaver.example"});
        let mut warm_up: Value = input.clone();
        warm_up["dryRun"] = json!(true);
        if let Err(error) = run(&client, action, warm_up).await {
            failures.push(format!("{} warm-up: {error:?}", action.name()));
        }
        sim.reset_counters();
        match run(&client, action, input).await {
            Ok(output) if output.changed => {}
            other => failures.push(format!("{}: {other:?}", action.name())),
        }
        if sim.total_calls() != expected_calls {
            failures.push(format!(
                "{}: {} Okta calls, documented {expected_calls}",
                action.name(),
                sim.total_calls()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
