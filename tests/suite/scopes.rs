//! Least privilege: each function's OAuth scopes (`Action::scopes`) are exactly what its requests need.
//!
//! Every action runs over the sample org (every user, every group or app, every `include`) with a DPoP service-app
//! connection; the scopes its requests needed are derived from the simulator's request log and the routes' scopes
//! (the spec's `security`, checked in spec_contract). More scopes than that fails, and so does fewer: the simulator
//! would have answered 403, and the derived set would name the missing scope.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::BTreeSet;

use okta_lifecycle::Action;
use okta_lifecycle::guard::Guardrails;
use okta_lifecycle_tests::{Form, client_with, repo_path, run, sample_org, start_sim};
use okta_sim::ROUTES;
use serde_json::Value;

/// The inputs each action is tried with: its event fixture, with every user of the sample org, and every group or
/// app where the action takes one.
fn inputs(action: Action, sim: &okta_sim::Simulator) -> Vec<Value> {
    let fixture = repo_path(&format!(
        "tests/events/{}/stepfunctions.json",
        action.name()
    ));
    let base: Value = serde_json::from_str(&std::fs::read_to_string(fixture).unwrap()).unwrap();
    let org = sample_org();
    let mut inputs = Vec::new();
    for user in &org.users {
        let mut input = base.clone();
        input["user"] = Value::String(user.login.clone());
        if input.get("group").is_some() {
            for group in &org.groups {
                input["group"] = Value::String(group.name.clone());
                inputs.push(input.clone());
            }
        } else if input.get("app").is_some() {
            for app in &org.apps {
                input["app"] = Value::String(app.label.clone());
                inputs.push(input.clone());
            }
        } else if action == Action::OffboardUser {
            // Every group and app of the org by id, as the offboarding plan lists them, and both lifecycle steps.
            let groups: Vec<String> = org
                .groups
                .iter()
                .filter_map(|g| sim.group_id(&g.name))
                .collect();
            let apps: Vec<String> = org
                .apps
                .iter()
                .filter_map(|a| sim.app_id(&a.label))
                .collect();
            input["groups"] = serde_json::json!(groups);
            input["apps"] = serde_json::json!(apps);
            for flag in ["deactivate", "resetFactors", "deactivateDevices"] {
                input[flag] = Value::Bool(true);
            }
            inputs.push(input);
        } else if action == Action::GetUser {
            for include in [
                vec![],
                vec!["groups"],
                vec!["apps"],
                vec!["groups", "apps"],
                vec!["clients", "factors", "devices", "ownedGroups"],
            ] {
                input["include"] = serde_json::json!(include);
                inputs.push(input.clone());
            }
        } else {
            inputs.push(input);
        }
    }
    inputs
}

/// The least set of scopes that covers `needed`: a `manage` scope includes the matching `read`.
fn least(needed: BTreeSet<String>) -> BTreeSet<String> {
    needed
        .iter()
        .filter(|scope| {
            scope
                .strip_suffix(".read")
                .is_none_or(|resource| !needed.contains(&format!("{resource}.manage")))
        })
        .cloned()
        .collect()
}

#[tokio::test]
async fn each_function_asks_for_exactly_the_scopes_its_requests_need() {
    let mut failures = Vec::new();
    for action in Action::ALL {
        let sim = start_sim(sample_org()).await;
        // Guarded as deployed, with a protected group named (resolved by name once per container).
        let client = client_with(&sim, Form::ServiceAppDpop).with_guardrails(Guardrails {
            protected_groups: vec!["Break Glass".to_owned()],
            ..Guardrails::default()
        });
        for input in inputs(action, &sim) {
            // Refusals (not applicable, not found) are expected for many pairs; the requests are what count.
            let _ = run(&client, action, input).await;
        }
        let needed: BTreeSet<String> = sim
            .requests()
            .iter()
            .filter_map(|request| {
                let path = request.route.as_deref()?;
                ROUTES
                    .iter()
                    .find(|route| route.path == path && route.method == request.method)
                    .map(|route| route.scope())
            })
            .collect();
        let asked: BTreeSet<String> = action.scopes().iter().map(|s| (*s).to_owned()).collect();
        let needed = least(needed);
        if asked != needed {
            failures.push(format!(
                "{}: asks for {asked:?}, its requests need {needed:?}",
                action.name()
            ));
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn a_manage_scope_covers_the_matching_read() {
    let set = |items: &[&str]| {
        items
            .iter()
            .map(|s| (*s).to_owned())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(
        least(set(&[
            "okta.users.read",
            "okta.users.manage",
            "okta.apps.read"
        ])),
        set(&["okta.users.manage", "okta.apps.read"])
    );
}
