//! Finding users, groups and apps the way people name them: logins with reserved characters, unicode,
//! shortnames, emails, ambiguous names, and lists longer than one page.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use okta_lifecycle::{Action, ErrorKind};
use okta_lifecycle_tests::{client_for, run, start_sim};
use okta_sim::{Seed, SeedUser};
use serde_json::json;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn logins_with_reserved_and_unicode_characters_resolve_exactly() {
    let logins = [
        "plus+tag@acme.example",
        "hash#tag@acme.example",
        "what?@acme.example",
        "per%cent@acme.example",
        "amp&and@acme.example",
        "slash/ed@acme.example",
        "zoë.ünïcode@acme.example",
        "quote\"d@acme.example",
    ];
    let mut seed = Seed::empty();
    for login in logins {
        seed.user(login, "ACTIVE");
    }
    // A decoy that a bad encoding (`+` read as a space, `#` truncating) would find instead.
    seed.user("plus tag@acme.example", "ACTIVE");
    let sim = start_sim(seed).await;
    let client = client_for(&sim);
    for login in logins {
        let output = run(&client, Action::GetUser, json!({"user": login})).await;
        let output = output.unwrap_or_else(|error| panic!("{login}: {error}"));
        assert_eq!(output.user.login, login);
        assert_eq!(output.user.id, sim.user(login).unwrap().id, "{login}");
    }
    // A `/` login cannot be fetched by path (Okta answers 405): the search is used instead.
    assert!(
        sim.requests().iter().any(|request| request
            .query
            .as_deref()
            .unwrap_or("")
            .contains("search=")),
        "the slash login went through search"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn users_by_id_shortname_and_email() {
    let mut seed = Seed::empty();
    let mut user = SeedUser::new("jdoe", "ACTIVE");
    user.email = Some("jane.doe@acme.example".into());
    let id = seed.add_user(user);
    let mut twin_a = SeedUser::new("a.shared@acme.example", "ACTIVE");
    twin_a.email = Some("shared@acme.example".into());
    seed.add_user(twin_a);
    let mut twin_b = SeedUser::new("b.shared@acme.example", "ACTIVE");
    twin_b.email = Some("shared@acme.example".into());
    seed.add_user(twin_b);
    let sim = start_sim(seed).await;
    let client = client_for(&sim);
    for reference in [id.as_str(), "jdoe", "jane.doe@acme.example"] {
        let output = run(&client, Action::GetUser, json!({"user": reference}))
            .await
            .unwrap();
        assert_eq!(output.user.id, id, "{reference}");
    }
    let error = run(
        &client,
        Action::GetUser,
        json!({"user": "shared@acme.example"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaAmbiguous);
    assert!(
        error
            .message
            .contains(&sim.user("a.shared@acme.example").unwrap().id),
        "{}",
        error.message
    );
    assert!(
        error
            .message
            .contains(&sim.user("b.shared@acme.example").unwrap().id),
        "{}",
        error.message
    );
    let error = run(&client, Action::GetUser, json!({"user": "jane.do"}))
        .await
        .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaNotFound, "never a prefix match");
    assert!(error.message.contains("jane.do"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn ambiguous_group_names_list_the_candidates_and_ids_disambiguate() {
    let mut seed = Seed::empty();
    seed.user("pm@acme.example", "ACTIVE");
    let first = seed.group("Project X", "OKTA_GROUP");
    let second = seed.group("Project X", "OKTA_GROUP");
    seed.group("Project X Leads", "OKTA_GROUP");
    let sim = start_sim(seed).await;
    let client = client_for(&sim);
    let error = run(
        &client,
        Action::AddUserToGroup,
        json!({"user": "pm@acme.example", "group": "Project X"}),
    )
    .await
    .unwrap_err();
    assert_eq!(error.kind, ErrorKind::OktaAmbiguous);
    assert!(
        error.message.contains(&first) && error.message.contains(&second),
        "{}",
        error.message
    );
    assert_eq!(sim.mutating_calls(), 0);
    let output = run(
        &client,
        Action::AddUserToGroup,
        json!({"user": "pm@acme.example", "group": second}),
    )
    .await
    .unwrap();
    assert!(output.changed);
    assert_eq!(
        sim.group_member_ids(&second),
        vec![sim.user("pm@acme.example").unwrap().id]
    );
    assert!(sim.group_member_ids(&first).is_empty());
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn lists_are_read_past_two_pages() {
    let mut seed = Seed::empty();
    let user = seed.user("busy@acme.example", "ACTIVE");
    // More groups than two pages of the simulator's default page size for a user's groups.
    for n in 0..450 {
        let group = seed.group(&format!("Team {n:03}"), "OKTA_GROUP");
        seed.add_member(&group, &user);
    }
    let sim = start_sim(seed).await;
    let client = client_for(&sim);
    let output = run(
        &client,
        Action::GetUser,
        json!({"user": "busy@acme.example", "include": ["groups"]}),
    )
    .await
    .unwrap();
    let groups = output.groups.unwrap();
    assert_eq!(groups.len(), 451, "450 teams and Everyone");
    assert!(
        sim.calls("GET", "/api/v1/users/{id}/groups") >= 3,
        "followed rel=next links"
    );
    // Membership checks read every page too: the last team is seen as a membership.
    let output = run(
        &client,
        Action::AddUserToGroup,
        json!({"user": "busy@acme.example", "group": "Team 449"}),
    )
    .await
    .unwrap();
    assert!(!output.changed);
}
