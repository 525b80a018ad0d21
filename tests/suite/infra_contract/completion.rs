//! Issue 27, item 5: every generated flow announces its end on the completion bus, at each of its ends, and may put
//! events on that bus only.

use std::collections::BTreeMap;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::{asl, assert_none, property, resource_type, resources, template};

/// The flows infra/generate.py writes on the ledger wrapper (bulk is generated too, but has no one user: its
/// children, each a flow of this list, announce).
const GENERATED: [&str; 6] = [
    "offboarding",
    "leave",
    "return",
    "onboarding",
    "move",
    "undo-move",
];
const PUT_EVENTS: &str = "arn:aws:states:::events:putEvents";
const BUS: &str = "${CompletionEventBusName}";

/// Every top-level end (Succeed, Fail, or a state with End) is entered only from a completion announcement, which
/// puts one entry on the completion bus with the flow, outcome, user, execution and summary.
fn check_announced(flow: &str, machine: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let states = machine["States"].as_object().cloned().unwrap_or_default();
    let is_end = |state: &Json| {
        matches!(state["Type"].as_str(), Some("Succeed" | "Fail"))
            || state["End"] == Json::Bool(true)
    };
    // Every transition: state -> next (Next, Default, Choices, Catch).
    let mut into: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for (name, state) in &states {
        let mut nexts = vec![state.get("Next"), state.get("Default")];
        for list in ["Choices", "Catch"] {
            for item in state[list].as_array().into_iter().flatten() {
                nexts.push(item.get("Next"));
            }
        }
        for next in nexts.into_iter().flatten().filter_map(Json::as_str) {
            into.entry(next).or_default().push(name);
        }
    }
    let ends: Vec<&String> = states
        .iter()
        .filter(|(_, s)| is_end(s))
        .map(|(n, _)| n)
        .collect();
    if ends.len() < 6 {
        problems.push(format!("{flow}: {} ends, the wrapper has six", ends.len()));
    }
    for end in ends {
        let from = into.get(end.as_str()).cloned().unwrap_or_default();
        if from.is_empty() {
            problems.push(format!("{flow}/{end}: an end no state leads to"));
        }
        for name in from {
            let state = &states[name];
            let detail = &state["Parameters"]["Entries"][0]["Detail"];
            let announces = state["Resource"] == PUT_EVENTS
                && state["Parameters"]["Entries"][0]["EventBusName"] == BUS
                && ["flow", "outcome", "user.$", "execution.$"]
                    .iter()
                    .all(|key| detail.get(key).is_some())
                && (detail.get("summary").is_some() || detail.get("summary.$").is_some());
            if !announces {
                problems.push(format!(
                    "{flow}/{end}: entered from {name}, not from an announcement"
                ));
            }
        }
    }
    problems
}

#[test]
fn every_end_of_a_generated_flow_is_announced() {
    for flow in GENERATED {
        assert_none(check_announced(flow, &asl(flow).1));
    }
    // The check fails on an end that is not announced.
    let (_, mut machine) = asl("move");
    machine["States"]["Finish"]["Default"] = Json::String("Succeeded".into());
    assert!(
        check_announced("move", &machine)
            .iter()
            .any(|p| p == "move/Succeeded: entered from Finish, not from an announcement"),
        "{:?}",
        check_announced("move", &machine)
    );
}

/// The state machine's statements that allow events:PutEvents, and their resources as text.
fn put_events_resources(machine: &Yaml) -> Vec<String> {
    let mut out = Vec::new();
    for policy in property(machine, "Policies")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
    {
        for statement in policy
            .get("Statement")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            let action = serde_norway::to_string(statement.get("Action").unwrap_or(&Yaml::Null))
                .unwrap_or_default();
            if action.contains("events:") {
                out.push(
                    serde_norway::to_string(statement.get("Resource").unwrap_or(&Yaml::Null))
                        .unwrap_or_default(),
                );
            }
        }
    }
    out
}

#[test]
fn a_generated_flow_may_put_events_on_the_completion_bus_only() {
    let template = template();
    let machines: BTreeMap<String, &Yaml> = resources(&template)
        .into_iter()
        .filter(|(_, r)| resource_type(r) == "AWS::Serverless::StateMachine")
        .filter_map(|(_, r)| {
            let uri = property(r, "DefinitionUri")?.as_str()?;
            Some((
                uri.trim_start_matches("infra/")
                    .trim_end_matches(".asl.json")
                    .to_owned(),
                r,
            ))
        })
        .collect();
    let mut problems = Vec::new();
    for flow in GENERATED {
        let Some(machine) = machines.get(flow) else {
            problems.push(format!("{flow}: no state machine"));
            continue;
        };
        let resources = put_events_resources(machine);
        if resources.len() != 1
            || !resources[0].contains("event-bus/${CompletionEventBusName}")
            || resources[0].contains('*')
        {
            problems.push(format!("{flow}: events permissions {resources:?}"));
        }
        let substituted = property(machine, "DefinitionSubstitutions")
            .and_then(|subs| subs.get("CompletionEventBusName"))
            .is_some();
        if !substituted {
            problems.push(format!("{flow}: no CompletionEventBusName substitution"));
        }
    }
    assert_none(problems);
}
