//! Okta's management OpenAPI spec (`tests/okta-spec/management-minimal.yaml`, vendored whole) is the contract: every route the
//! simulator serves and every request the library sends (method, path template, query parameter names) must
//! exist in it.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::time::{Duration, Instant};

use okta_lifecycle::Action;
use okta_lifecycle::guard::Guardrails;
use okta_lifecycle_tests::{Form, client_for, client_with, repo_path, run, sample_org, start_sim};
use serde_json::json;
use serde_norway::Value;

/// The vendored spec, relative to the repository root; its README names its version and sha256.
const SPEC: &str = "tests/okta-spec/management-minimal.yaml";

/// (method, path template) → the query parameter names the spec allows there.
type Operations = BTreeMap<(String, String), BTreeSet<String>>;

fn spec_operations() -> Operations {
    let path = repo_path(SPEC);
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("read {}: {error}", path.display()));
    let spec: Value = serde_norway::from_str(&text).unwrap();
    let parameters = &spec["components"]["parameters"];
    let query_names = |list: &Value| -> Vec<String> {
        list.as_sequence()
            .map(|items| {
                items
                    .iter()
                    .map(|item| match item.get("$ref").and_then(Value::as_str) {
                        Some(reference) => {
                            &parameters[reference.trim_start_matches("#/components/parameters/")]
                        }
                        None => item,
                    })
                    .filter(|parameter| {
                        parameter.get("in").and_then(Value::as_str) == Some("query")
                    })
                    .filter_map(|parameter| {
                        parameter
                            .get("name")
                            .and_then(Value::as_str)
                            .map(str::to_owned)
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    let mut operations = Operations::new();
    for (path, item) in spec["paths"].as_mapping().unwrap() {
        let path = path.as_str().unwrap().to_owned();
        let shared = query_names(item.get("parameters").unwrap_or(&Value::Null));
        for method in ["get", "post", "put", "delete", "patch"] {
            if let Some(operation) = item.get(method) {
                let mut names: BTreeSet<String> = shared.iter().cloned().collect();
                names.extend(query_names(
                    operation.get("parameters").unwrap_or(&Value::Null),
                ));
                operations.insert((method.to_uppercase(), path.clone()), names);
            }
        }
    }
    operations
}

fn check(
    operations: &Operations,
    method: &str,
    path: &str,
    query: &[String],
) -> Result<(), String> {
    let Some(allowed) = operations.get(&(method.to_owned(), path.to_owned())) else {
        return Err(format!("{method} {path} is not in the spec"));
    };
    let unknown: Vec<&String> = query
        .iter()
        .filter(|name| !allowed.contains(*name))
        .collect();
    if unknown.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{method} {path}: query parameters {unknown:?} are not in the spec (allowed: {allowed:?})"
        ))
    }
}

/// The row `| name | `value` |` of the vendored spec's README table.
fn recorded(readme: &str, name: &str) -> String {
    let prefix = format!("| {name} | `");
    readme
        .lines()
        .find_map(|line| line.strip_prefix(&prefix))
        .and_then(|rest| rest.split('`').next())
        .unwrap_or_else(|| panic!("tests/okta-spec/README.md has no `{name}` row"))
        .to_owned()
}

#[test]
fn the_vendored_spec_is_the_one_its_readme_names() {
    use sha2::{Digest, Sha256};
    let bytes = std::fs::read(repo_path(SPEC)).unwrap();
    let sha256: String = Sha256::digest(&bytes)
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    let readme = std::fs::read_to_string(repo_path("tests/okta-spec/README.md")).unwrap();
    assert_eq!(
        sha256,
        recorded(&readme, "sha256"),
        "run tests/okta-spec/update.sh"
    );
    let spec: Value = serde_norway::from_slice(&bytes).unwrap();
    assert_eq!(
        spec["info"]["version"].as_str(),
        Some(recorded(&readme, "info.version").as_str())
    );
    assert_eq!(spec["info"]["license"]["name"].as_str(), Some("Apache-2.0"));
    let licence = std::fs::read_to_string(repo_path("tests/okta-spec/LICENSE")).unwrap();
    assert!(licence.contains("Apache License") && licence.contains("Version 2.0"));
}

#[test]
fn the_checker_rejects_what_the_spec_lacks() {
    let operations = spec_operations();
    assert!(
        check(
            &operations,
            "POST",
            "/api/v1/users/{id}/lifecycle/suspend",
            &[]
        )
        .is_ok()
    );
    assert!(
        check(
            &operations,
            "POST",
            "/api/v1/users/{id}/lifecycle/activate",
            &["sendEmail".into()]
        )
        .is_ok()
    );
    assert!(check(&operations, "DELETE", "/api/v1/users/{id}", &[]).is_ok());
    assert!(
        check(
            &operations,
            "POST",
            "/api/v1/users/{id}/lifecycle/suspend",
            &["force".into()]
        )
        .is_err()
    );
    assert!(
        check(
            &operations,
            "POST",
            "/api/v1/users/{id}/lifecycle/freeze",
            &[]
        )
        .is_err()
    );
    assert!(
        check(&operations, "GET", "/api/v1/users/{userId}", &[]).is_err(),
        "parameter names count"
    );
}

#[test]
fn every_simulated_route_is_in_the_spec() {
    let operations = spec_operations();
    let failures: Vec<String> = okta_sim::ROUTES
        .iter()
        .filter_map(|route| {
            let query: Vec<String> = route.query.iter().map(|name| (*name).to_owned()).collect();
            check(&operations, route.method, route.path, &query).err()
        })
        .collect();
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_request_the_library_sends_is_in_the_spec() {
    let operations = spec_operations();
    let sim = start_sim(sample_org()).await;
    let client = client_for(&sim);
    let leaver = "sam.leaver@acme.example";
    let ids = |names: &[&str], find: &dyn Fn(&str) -> Option<String>| -> Vec<String> {
        names.iter().filter_map(|name| find(name)).collect()
    };
    // offboard-user's lists, as the offboarding plan gives them: ids (a group the user is not in, an app a group
    // grants included).
    let offboard_groups = ids(&["VPN Users", "All Staff", "Sales"], &|n| sim.group_id(n));
    let offboard_apps = ids(&["Slack", "GitHub"], &|n| sim.app_id(n));
    // Every action, with the options that add query parameters, and the lookups that search.
    let calls = [
        (
            Action::GetUser,
            json!({"user": leaver, "include": ["groups", "apps"]}),
        ),
        (
            Action::GetUser,
            json!({"user": "no.such.person@acme.example"}),
        ),
        // An ACTIVE user: unlock reads its blocks first.
        (
            Action::UnlockUser,
            json!({"user": "alice.active@acme.example"}),
        ),
        (
            Action::AddUserToGroup,
            json!({"user": leaver, "group": "Sales"}),
        ),
        (
            Action::RemoveUserFromGroup,
            json!({"user": leaver, "group": "Sales"}),
        ),
        (
            Action::AssignAppToUser,
            json!({"user": leaver, "app": "Zoom", "userName": "sam", "profile": {}}),
        ),
        (
            Action::RevokeAppFromUser,
            json!({"user": leaver, "app": "Zoom"}),
        ),
        (
            Action::RevokeAppFromUser,
            json!({"user": leaver, "app": "GitHub"}),
        ),
        (
            Action::ClearUserSessions,
            json!({"user": leaver, "forgetDevices": true}),
        ),
        (Action::RevokeUserGrants, json!({"user": leaver})),
        (Action::ResetUserFactors, json!({"user": leaver})),
        (Action::DeactivateUserDevices, json!({"user": leaver})),
        // Without newOwner: the manager, from the `manager` linked object.
        (Action::TransferGroupOwnership, json!({"user": leaver})),
        (
            Action::OffboardUser,
            json!({"user": leaver, "suspend": true, "groups": offboard_groups, "apps": offboard_apps}),
        ),
        (
            Action::ResetPassword,
            json!({"user": leaver, "sendEmail": false, "revokeSessions": true}),
        ),
        (
            Action::ExpirePassword,
            json!({"user": "jane.doe@acme.example"}),
        ),
        (
            Action::ActivateUser,
            json!({"user": "jane.doe@acme.example", "sendEmail": false}),
        ),
        (
            Action::ActivateUser,
            json!({"user": "jane.doe@acme.example", "resendActivation": true}),
        ),
        (Action::SuspendUser, json!({"user": leaver})),
        (Action::UnsuspendUser, json!({"user": leaver})),
        (Action::UnlockUser, json!({"user": leaver})),
        (
            Action::ExpirePassword,
            json!({"user": leaver, "tempPassword": true, "revokeSessions": false}),
        ),
        (
            Action::DeactivateUser,
            json!({"user": leaver, "sendEmail": false}),
        ),
    ];
    for (action, input) in calls {
        // Outcomes are asserted elsewhere; here only what went over the wire matters.
        let _ = run(&client, action, input).await;
    }
    // The doctor's reads too, with a service app (its grants) and settings naming a group by id and by name.
    let break_glass = sim.group_id("Break Glass").unwrap();
    let doctor = client_with(&sim, Form::ServiceAppDpop).with_guardrails(Guardrails {
        protected_groups: vec![break_glass, "All Staff".to_owned()],
        grantable_groups: okta_lifecycle::grants::Grants::Only(vec![
            okta_lifecycle::grants::Grant::named("VPN Users"),
        ]),
        grantable_apps: okta_lifecycle::grants::Grants::Only(vec![
            okta_lifecycle::grants::Grant::named("Slack"),
        ]),
        allow_credential_return: false,
        origin: Default::default(),
    });
    let report =
        okta_lifecycle::doctor::examine(&doctor, Instant::now() + Duration::from_secs(5)).await;
    assert!(report.all_ok(), "{report}");
    let requests = sim.requests();
    assert!(
        requests.len() > 30,
        "the scenario exercised the client ({} requests)",
        requests.len()
    );
    let mut seen = BTreeSet::new();
    let mut failures = Vec::new();
    for request in &requests {
        // The org authorization server's token endpoint is OAuth's (RFC 6749), not the Management API's.
        if request.path == okta_sim::TOKEN_PATH {
            continue;
        }
        let Some(route) = &request.route else {
            failures.push(format!(
                "{} {} matched no simulated route",
                request.method, request.path
            ));
            continue;
        };
        let query: Vec<String> =
            url::form_urlencoded::parse(request.query.as_deref().unwrap_or("").as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect();
        if let Err(failure) = check(&operations, &request.method, route, &query) {
            failures.push(failure);
        }
        seen.insert(format!("{} {route}", request.method));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    let user_apps = requests
        .iter()
        .filter(|request| request.route.as_deref() == Some("/api/v1/apps"))
        .filter_map(|request| request.query.as_deref())
        .map(|query| {
            url::form_urlencoded::parse(query.as_bytes())
                .map(|(name, _)| name.into_owned())
                .collect::<BTreeSet<String>>()
        })
        .any(|names| names.contains("filter") && names.contains("expand"));
    assert!(
        user_apps,
        "get-user lists apps with the user filter and expand"
    );
    for expected in [
        "POST /api/v1/users/{id}/lifecycle/deactivate",
        "PUT /api/v1/groups/{groupId}/users/{userId}",
        "POST /api/v1/apps/{appId}/users",
        "DELETE /api/v1/users/{userId}/sessions",
        "GET /api/v1/users",
        "GET /api/v1/apps",
        "GET /api/v1/groups/rules",
        "GET /api/v1/users/{id}/blocks",
        "GET /api/v1/apps/{appId}/grants",
        "GET /api/v1/groups/{groupId}",
        "GET /api/v1/users/{userId}/clients",
        "DELETE /api/v1/users/{userId}/grants",
        "DELETE /api/v1/users/{userId}/clients/{clientId}/tokens",
        "GET /api/v1/users/{userId}/factors",
        "POST /api/v1/users/{id}/lifecycle/reset_factors",
        "GET /api/v1/users/{userId}/devices",
        "GET /api/v1/devices/{deviceId}/users",
        "POST /api/v1/devices/{deviceId}/lifecycle/deactivate",
        "GET /api/v1/groups/{groupId}/owners",
        "POST /api/v1/groups/{groupId}/owners",
        "DELETE /api/v1/groups/{groupId}/owners/{ownerId}",
        "GET /api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}",
    ] {
        assert!(
            seen.contains(expected),
            "the scenario sent {expected}: {seen:?}"
        );
    }
}

/// Each route's scope (`Route::scope`, which the simulator enforces and the scope test derives functions' scopes
/// from) is the one the spec's `security` names for the operation.
#[test]
fn every_route_needs_the_scope_the_spec_names() {
    let path = repo_path(SPEC);
    let spec: Value = serde_norway::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
    let mut failures = Vec::new();
    for route in okta_sim::ROUTES {
        let operation = &spec["paths"][route.path][route.method.to_lowercase().as_str()];
        let scopes: Vec<&str> = operation["security"]
            .as_sequence()
            .into_iter()
            .flatten()
            .filter_map(|requirement| requirement.get("oauth2"))
            .filter_map(Value::as_sequence)
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        if scopes != [route.scope().as_str()] {
            failures.push(format!(
                "{} {}: the simulator needs {}, the spec names {scopes:?}",
                route.method,
                route.path,
                route.scope()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
