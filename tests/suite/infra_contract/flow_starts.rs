//! What a started flow receives and who may start it: the API's envelope carries an event id and the caller (a
//! body cannot forge them), each route and rule starts its flow with a role for that flow only, and no state
//! machine's role starts flows it does not need.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::broken_examples::broken_entry_points;
use super::{
    API_ONLY_USER_FLOWS, FLOWS, USER_FLOWS, asl, assert_none, expect_problems, if_branches,
    property, referenced, resource_type, resources, strings, template, walk_states,
};

/// Every API route that starts a flow names the execution after the request id and passes the caller's identity
/// beside the body, never inside it.
pub fn check_api_flow_starts(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, integration) in resources(template) {
        if property(integration, "IntegrationSubtype").and_then(Yaml::as_str)
            != Some("StepFunctions-StartExecution")
        {
            continue;
        }
        let parameters = property(integration, "RequestParameters");
        if parameters
            .and_then(|p| p.get("Name"))
            .and_then(Yaml::as_str)
            != Some("$context.requestId")
        {
            problems.push(format!("{id}: Name is not $context.requestId"));
        }
        let inputs: Vec<&str> = match parameters.and_then(|p| p.get("Input")) {
            Some(Yaml::String(text)) => vec![text.as_str()],
            Some(value) => match if_branches(value) {
                Some((_, then, otherwise)) => [then, otherwise]
                    .iter()
                    .filter_map(|v| v.as_str())
                    .collect(),
                None => Vec::new(),
            },
            None => Vec::new(),
        };
        if inputs.is_empty() {
            problems.push(format!("{id}: no Input"));
        }
        for input in inputs {
            let input = input.replace(' ', "");
            if !input.starts_with("{\"request\":$request.body,") {
                problems.push(format!(
                    "{id}: Input does not start with the body (\"request\":$request.body), so a crafted body could repeat the keys after it"
                ));
            }
            for needed in [
                "\"eventId\":\"$context.requestId\"",
                "\"requestedBy\":\"$context.",
                "\"eventSource\":\"api\"",
            ] {
                if !input.contains(needed) {
                    problems.push(format!("{id}: Input lacks {needed}"));
                }
            }
        }
    }
    problems
}

/// The resources a role's inline policies allow `states:StartExecution` on (logical ids of `!Ref`s, or the text).
fn startable(role: &Yaml) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    for policy in property(role, "Policies")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
    {
        for statement in policy
            .get("PolicyDocument")
            .and_then(|d| d.get("Statement"))
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            let actions = statement.get("Action").map(strings).unwrap_or_default();
            if !actions
                .iter()
                .any(|a| ["states:StartExecution", "states:*", "*"].contains(a))
            {
                continue;
            }
            let resources: Vec<&Yaml> = match statement.get("Resource") {
                Some(Yaml::Sequence(items)) => items.iter().collect(),
                Some(one) => vec![one],
                None => Vec::new(),
            };
            for resource in resources {
                found.insert(match referenced(resource) {
                    Some((_, id)) => id,
                    None => format!("{resource:?}"),
                });
            }
        }
    }
    found
}

/// Every API route and every HR rule starts its flow with a role that can start that flow and no other.
pub fn check_start_roles(template: &Yaml) -> Vec<String> {
    let all = resources(template);
    let mut starts: Vec<(String, Option<&Yaml>, Option<&Yaml>)> = Vec::new();
    for (id, resource) in &all {
        if property(resource, "IntegrationSubtype").and_then(Yaml::as_str)
            == Some("StepFunctions-StartExecution")
        {
            starts.push((
                id.clone(),
                property(resource, "CredentialsArn"),
                property(resource, "RequestParameters").and_then(|p| p.get("StateMachineArn")),
            ));
        }
        if resource_type(resource) == "AWS::Events::Rule" {
            for target in property(resource, "Targets")
                .and_then(Yaml::as_sequence)
                .into_iter()
                .flatten()
            {
                starts.push((id.clone(), target.get("RoleArn"), target.get("Arn")));
            }
        }
    }
    let mut problems = Vec::new();
    for (id, role, machine) in starts {
        let machine = machine.and_then(referenced).map(|(_, m)| m);
        let role = role.and_then(referenced).map(|(_, r)| r);
        let allowed = role
            .as_ref()
            .and_then(|r| all.get(r))
            .map(|r| startable(r))
            .unwrap_or_default();
        match machine {
            Some(machine) if allowed.len() == 1 && allowed.contains(&machine) => {}
            _ => problems.push(format!(
                "{id}: starts {machine:?} with role {role:?}, which may start {allowed:?}"
            )),
        }
    }
    problems
}

/// The IAM actions of every statement of a SAM `Policies` list (inline `Statement` lists and `!If` branches).
fn policy_actions(policies: &Yaml) -> Vec<String> {
    let mut actions = Vec::new();
    for policy in policies.as_sequence().into_iter().flatten() {
        let policy = if_branches(policy).map_or(policy, |(_, then, _)| then);
        for statement in policy
            .get("Statement")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            if let Some(action) = statement.get("Action") {
                actions.extend(strings(action).into_iter().map(str::to_owned));
            }
        }
        if let Some(map) = policy.as_mapping() {
            for name in map.keys().filter_map(Yaml::as_str) {
                if name.starts_with("StepFunctions") {
                    actions.push(format!("{name} (SAM policy template)"));
                }
            }
        }
    }
    actions
}

fn resources_used(machine: &Json) -> BTreeSet<String> {
    let mut used = BTreeSet::new();
    walk_states(machine, &mut |_, state| {
        if let Some(resource) = state.get("Resource").and_then(Json::as_str) {
            used.insert(resource.to_owned());
        }
    });
    used
}

/// A state machine's role may start executions (or pass a role to the Scheduler, whose role starts flows) only when
/// its own definition does so.
pub fn check_state_machine_roles(
    template: &Yaml,
    definitions: &BTreeMap<String, Json>,
) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, machine) in resources(template) {
        if resource_type(machine) != "AWS::Serverless::StateMachine" {
            continue;
        }
        let uri = property(machine, "DefinitionUri")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        let used = definitions.get(uri).map(resources_used).unwrap_or_default();
        let starts = used.iter().any(|r| r.contains(":states:startExecution"));
        let schedules = used.iter().any(|r| r.contains(":scheduler:createSchedule"));
        for action in property(machine, "Policies")
            .map(policy_actions)
            .unwrap_or_default()
        {
            let starts_flows = action.starts_with("StepFunctions")
                || ["states:StartExecution", "states:*", "*"].contains(&action.as_str());
            if starts_flows && !starts {
                problems.push(format!(
                    "{id}: its role may start executions ({action}) but {uri} starts none"
                ));
            }
            if ["iam:PassRole", "iam:*", "*"].contains(&action.as_str()) && !schedules {
                problems.push(format!(
                    "{id}: its role may pass roles ({action}) but {uri} creates no schedule"
                ));
            }
        }
    }
    problems
}

fn definitions() -> BTreeMap<String, Json> {
    FLOWS
        .iter()
        .map(|flow| (format!("infra/{flow}.asl.json"), asl(flow).1))
        .collect()
}

#[test]
fn every_api_flow_start_carries_an_event_id_and_the_caller() {
    assert_none(check_api_flow_starts(&template()));
}

#[test]
fn every_route_and_rule_starts_its_flow_with_a_role_for_that_flow_only() {
    assert_none(check_start_roles(&template()));
}

#[test]
fn no_state_machine_role_starts_flows_it_does_not_need() {
    assert_none(check_state_machine_roles(&template(), &definitions()));
}

/// EventBridge's input transformer on a sample event: each unquoted `<var>` becomes the JSON value at its path.
fn transform_event(paths: &BTreeMap<&str, &str>, input_template: &str, event: &Json) -> String {
    let mut out = input_template.to_owned();
    for (var, path) in paths {
        let pointer = format!("/{}", path.trim_start_matches("$.").replace('.', "/"));
        let value = event.pointer(&pointer).cloned().unwrap_or(Json::Null);
        out = out.replace(&format!("<{var}>"), &value.to_string());
    }
    out
}

#[test]
fn the_envelopes_are_json_and_a_body_cannot_forge_the_caller() {
    let template = template();
    let all = resources(&template);
    let event: Json = serde_json::from_str(
        r#"{"version": "0", "id": "6a7e8feb-b491-4cf7-a9f1-bf3703467718", "detail-type": "Offboard",
            "source": "hr.system", "account": "123456789012", "time": "2026-11-30T20:00:00Z",
            "region": "us-east-1", "resources": [],
            "detail": {"user": "sam@acme.example", "requestedBy": "forged", "eventId": "forged"}}"#,
    )
    .expect("the sample event parses");
    let mut rules = 0;
    for rule in all
        .values()
        .filter(|r| resource_type(r) == "AWS::Events::Rule")
    {
        for target in property(rule, "Targets")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            let transformer = target
                .get("InputTransformer")
                .expect("an input transformer");
            let paths: BTreeMap<&str, &str> = transformer["InputPathsMap"]
                .as_mapping()
                .expect("InputPathsMap")
                .iter()
                .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
                .collect();
            let text = transform_event(
                &paths,
                transformer["InputTemplate"]
                    .as_str()
                    .expect("InputTemplate"),
                &event,
            );
            let input: Json = serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
            assert_eq!(input["eventId"], event["id"], "{text}");
            assert_eq!(input["eventSource"], "hr.system", "{text}");
            assert_eq!(input["requestedBy"], "hr.system", "{text}");
            assert_eq!(input["eventTime"], event["time"], "{text}");
            assert_eq!(input["request"], event["detail"], "{text}");
            rules += 1;
        }
    }
    assert_eq!(
        rules,
        USER_FLOWS.len() - API_ONLY_USER_FLOWS.len(),
        "one HR rule per user flow an HR event may start"
    );

    // The HTTP API inserts the body as it is; serde_json, like Step Functions' parser, keeps the last duplicate key.
    let crafted = r#"{"user": "sam@acme.example"}, "requestedBy": "forged", "eventId": "forged""#;
    let mut starts = 0;
    for integration in all.values().filter(|r| {
        property(r, "IntegrationSubtype").and_then(Yaml::as_str)
            == Some("StepFunctions-StartExecution")
    }) {
        let Some((_, jwt, iam)) = property(integration, "RequestParameters")
            .and_then(|p| p.get("Input"))
            .and_then(if_branches)
        else {
            panic!("Input is not !If [UseJwt, ...]");
        };
        for (template_text, caller) in [
            (jwt, "00u1subject"),
            (iam, "arn:aws:iam::123456789012:role/helpdesk"),
        ] {
            for body in [r#"{"user": "sam@acme.example"}"#, crafted] {
                let text = template_text
                    .as_str()
                    .expect("a string")
                    .replace("$request.body", body)
                    .replace("$context.requestId", "JsJtWhx5IAMEV1w=")
                    .replace("$context.authorizer.claims.sub", caller)
                    .replace("$context.identity.userArn", caller);
                let input: Json =
                    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{text}: {e}"));
                assert_eq!(input["requestedBy"], caller, "{text}");
                assert_eq!(input["eventId"], "JsJtWhx5IAMEV1w=", "{text}");
                assert_eq!(input["eventSource"], "api", "{text}");
                assert_eq!(input["request"]["user"], "sam@acme.example", "{text}");
            }
        }
        starts += 1;
    }
    assert_eq!(starts, FLOWS.len(), "one API route per flow");
}

#[test]
fn flow_start_checks_fail_on_broken_example() {
    let template = broken_entry_points();
    expect_problems(
        &check_api_flow_starts(&template),
        &[
            "FlowIntegration: Name is not $context.requestId",
            "FlowIntegration: Input lacks \"eventId\":\"$context.requestId\"",
            "FlowIntegration: Input lacks \"requestedBy\"",
            "FlowIntegration: Input does not start with the body",
        ],
    );
    expect_problems(
        &check_start_roles(&template),
        &[
            "Rule: starts Some(\"Machine\") with role Some(\"WideRole\"), which may start {\"Machine\", \"Other\"}",
            "FlowIntegration: starts None with role None",
        ],
    );
    expect_problems(
        &check_state_machine_roles(&template, &definitions()),
        &[
            "Machine: its role may start executions (StepFunctionsExecutionPolicy (SAM policy template))",
            "Machine: its role may pass roles (iam:PassRole)",
        ],
    );
}
