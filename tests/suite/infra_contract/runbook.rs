//! The runbook (`docs/operations.md`, "When something fails") has an entry for every alarm the template raises and
//! every error a flow can end with, and names no alarm the template does not have. An alarm made per action by the
//! `Fn::ForEach` loop (`ActivateUserFunctionErrorsAlarm`, ...) is covered by its pattern (`<Action>FunctionErrorsAlarm`).

use std::collections::BTreeSet;

use serde_json::Value as Json;

use super::{FLOWS, asl, read, resource_type, resources, template};

fn runbook() -> String {
    let page = read("docs/operations.md");
    page.split("## When something fails: the runbook")
        .nth(1)
        .unwrap_or_default()
        .to_owned()
}

/// How the runbook may name an alarm: itself, or its pattern when a loop made it.
fn names_of(alarm: &str) -> Vec<String> {
    let mut names = vec![alarm.to_owned()];
    for suffix in [
        "FunctionErrorsAlarm",
        "FunctionThrottlesAlarm",
        "FailedAlarm",
    ] {
        if alarm.ends_with(suffix) {
            let pattern = if suffix == "FailedAlarm" {
                "<Flow>"
            } else {
                "<Action>"
            };
            names.push(format!("{pattern}{suffix}"));
        }
    }
    names
}

/// The errors a flow's Fail states name (not those passed through from a step: `ErrorPath`).
fn flow_errors(definition: &Json, found: &mut BTreeSet<String>) {
    let Some(states) = definition.get("States").and_then(Json::as_object) else {
        return;
    };
    for state in states.values() {
        if state["Type"] == "Fail"
            && let Some(error) = state["Error"].as_str()
        {
            found.insert(error.to_owned());
        }
        for nested in ["Iterator", "ItemProcessor"] {
            if let Some(inner) = state.get(nested) {
                flow_errors(inner, found);
            }
        }
    }
}

fn check_runbook(alarms: &[String], errors: &BTreeSet<String>, runbook: &str) -> Vec<String> {
    let mut problems = Vec::new();
    for alarm in alarms {
        if !names_of(alarm)
            .iter()
            .any(|name| runbook.contains(&format!("`{name}`")))
        {
            problems.push(format!("the runbook has no entry for the alarm {alarm}"));
        }
    }
    for error in errors {
        let flow_pattern = error
            .strip_suffix(".Incomplete")
            .map(|_| "`<Flow>.Incomplete`");
        if !runbook.contains(&format!("`{error}`"))
            && !flow_pattern.is_some_and(|pattern| runbook.contains(pattern))
        {
            problems.push(format!(
                "the runbook has no entry for the flow error {error}"
            ));
        }
    }
    for word in runbook.split(|c: char| !c.is_ascii_alphanumeric() && c != '<' && c != '>') {
        if word.ends_with("Alarm")
            && word.len() > "Alarm".len()
            && !alarms
                .iter()
                .any(|alarm| names_of(alarm).iter().any(|name| name == word))
        {
            problems.push(format!(
                "the runbook names {word}, which the template does not raise"
            ));
        }
    }
    problems
}

#[test]
fn the_runbook_covers_every_alarm_and_every_flow_error() {
    let template = template();
    let alarms: Vec<String> = resources(&template)
        .into_iter()
        .filter(|(_, resource)| resource_type(resource) == "AWS::CloudWatch::Alarm")
        .map(|(id, _)| id)
        .collect();
    assert!(alarms.len() > 20, "{alarms:?}");
    let mut errors = BTreeSet::new();
    for flow in FLOWS {
        flow_errors(&asl(flow).1, &mut errors);
    }
    assert!(errors.contains("Flow.Busy"), "{errors:?}");
    let problems = check_runbook(&alarms, &errors, &runbook());
    assert!(problems.is_empty(), "{}", problems.join("\n"));

    // The check itself fails on a runbook missing an entry, or naming an alarm that does not exist.
    let broken = "`ActivateUserFunctionErrorsAlarm` `NoSuchAlarm` `Flow.Busy`";
    let problems = check_runbook(
        &[
            "ActivateUserFunctionErrorsAlarm".to_owned(),
            "OktaUnauthorizedAlarm".to_owned(),
        ],
        &BTreeSet::from(["Flow.Busy".to_owned(), "Offboarding.Incomplete".to_owned()]),
        broken,
    );
    assert_eq!(
        problems,
        [
            "the runbook has no entry for the alarm OktaUnauthorizedAlarm",
            "the runbook has no entry for the flow error Offboarding.Incomplete",
            "the runbook names NoSuchAlarm, which the template does not raise",
        ]
    );
}
