//! The error names in the flows' Retry and Catch are the functions' own (`ErrorKind`), `States.*`, `Lambda.*` or
//! the called service's, and every function task retries what may be retried and passes what the function needs.

use std::collections::{BTreeMap, BTreeSet};

use okta_lifecycle::ErrorKind;
use serde_json::Value as Json;

use super::{
    FLOW_STEP_ARN, FLOWS, LAMBDA_ERRORS, LAMBDA_INVOKE, asl, assert_none, expect_problems, names,
    walk_states,
};

/// `Service` for a Resource `arn:aws:states:::aws-sdk:service:action`, as Step Functions names its errors.
fn sdk_service(resource: &str) -> Option<String> {
    // Optimized integrations name their errors after the service: DynamoDB.*, StepFunctions.*.
    for (prefix, service) in [
        ("arn:aws:states:::dynamodb:", "DynamoDB"),
        ("arn:aws:states:::states:", "StepFunctions"),
        ("arn:aws:states:::events:", "EventBridge"),
    ] {
        if resource.starts_with(prefix) {
            return Some(service.to_owned());
        }
    }
    let service = resource
        .strip_prefix("arn:aws:states:::aws-sdk:")?
        .split(':')
        .next()?;
    let mut chars = service.chars();
    let first = chars.next()?;
    Some(first.to_uppercase().chain(chars).collect())
}

/// Error names in Retry and Catch are the functions' own (ErrorKind), States.*, Lambda.* on function tasks or
/// <Service>.* on that service's SDK tasks; a Retry on our kinds names only retryable ones; no Retry on
/// States.ALL or States.TaskFailed; every function task retries the Lambda service errors and every retryable
/// kind, and passes executionId ($$.Execution.Id) and dryRun.
fn check_errors(flow: &str, machine: &Json) -> Vec<String> {
    let kinds: BTreeMap<&str, ErrorKind> = ErrorKind::ALL
        .iter()
        .map(|kind| (kind.name(), *kind))
        .collect();
    let retryable: BTreeSet<&str> = ErrorKind::ALL
        .iter()
        .filter(|k| k.retryable())
        .map(|k| k.name())
        .collect();
    let mut problems = Vec::new();
    walk_states(machine, &mut |name, state| {
        let resource = state.get("Resource").and_then(Json::as_str).unwrap_or("");
        let is_function = resource == LAMBDA_INVOKE;
        let service = sdk_service(resource);
        let retriers: Vec<&Json> = state
            .get("Retry")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .collect();
        let catchers: Vec<&Json> = state
            .get("Catch")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .collect();
        for (what, list) in retriers
            .iter()
            .map(|r| ("Retry", *r))
            .chain(catchers.iter().map(|c| ("Catch", *c)))
        {
            for error in names(list) {
                let allowed = kinds.contains_key(error)
                    || error.starts_with("States.")
                    || (is_function && error.starts_with("Lambda."))
                    || service
                        .as_deref()
                        .is_some_and(|s| error.starts_with(&format!("{s}.")));
                if !allowed {
                    problems.push(format!("{flow}/{name}: {what} names unknown error {error}"));
                }
                if what == "Retry" {
                    if kinds.contains_key(error) && !retryable.contains(error) {
                        problems.push(format!(
                            "{flow}/{name}: Retry on {error}, which is not retryable"
                        ));
                    }
                    if error == "States.ALL" || error == "States.TaskFailed" {
                        problems.push(format!("{flow}/{name}: blanket Retry on {error}"));
                    }
                }
            }
        }
        if !is_function {
            return;
        }
        let retried: BTreeSet<&str> = retriers.iter().flat_map(|r| names(r)).collect();
        let function = state
            .get("Parameters")
            .and_then(|p| p.get("FunctionName"))
            .and_then(Json::as_str);
        if function == Some(FLOW_STEP_ARN) {
            // A decision: Lambda's own errors are retried; it reaches no Okta, so nothing else is.
            for needed in LAMBDA_ERRORS {
                if !retried.contains(needed) {
                    problems.push(format!("{flow}/{name}: no Retry on {needed}"));
                }
            }
            if let Some(extra) = retried.iter().find(|e| !e.starts_with("Lambda.")) {
                problems.push(format!("{flow}/{name}: a flow step retries {extra}"));
            }
            return;
        }
        for needed in LAMBDA_ERRORS
            .iter()
            .copied()
            .chain(retryable.iter().copied())
        {
            if !retried.contains(needed) {
                problems.push(format!("{flow}/{name}: no Retry on {needed}"));
            }
        }
        let payload = state.get("Parameters").and_then(|p| p.get("Payload"));
        if payload
            .and_then(|p| p.get("executionId.$"))
            .and_then(Json::as_str)
            != Some("$$.Execution.Id")
        {
            problems.push(format!(
                "{flow}/{name}: Payload lacks \"executionId.$\": \"$$.Execution.Id\""
            ));
        }
        if payload.and_then(|p| p.get("dryRun.$")).is_none() {
            problems.push(format!("{flow}/{name}: Payload does not pass dryRun"));
        }
        if payload.and_then(|p| p.get("requestedBy.$")).is_none() {
            problems.push(format!(
                "{flow}/{name}: Payload does not pass requestedBy (the audit record's principal)"
            ));
        }
        if !function.is_some_and(|f| f.starts_with("${") && f.ends_with("FunctionArn}")) {
            problems.push(format!(
                "{flow}/{name}: FunctionName {function:?} is not a ${{...FunctionArn}} placeholder"
            ));
        }
    });
    problems
}

#[test]
fn error_names_and_retries_follow_error_kinds() {
    for flow in FLOWS {
        let (_, machine) = asl(flow);
        assert_none(check_errors(flow, &machine));
    }
}

#[test]
fn error_check_fails_on_broken_example() {
    let machine: Json = serde_json::from_str(
        r#"{"StartAt": "M", "States": {"M": {"Type": "Map", "ItemProcessor": {"StartAt": "T", "States": {
            "T": {"Type": "Task", "Resource": "arn:aws:states:::lambda:invoke",
                  "Parameters": {"FunctionName": "arn:aws:lambda:us-east-1:1:function:x", "Payload": {}},
                  "Retry": [{"ErrorEquals": ["Okta.NotFound", "States.ALL", "Okta.Nope"]}],
                  "Catch": [{"ErrorEquals": ["Scheduler.ConflictException"], "Next": "P"}], "End": true},
            "S": {"Type": "Task", "Resource": "arn:aws:states:::aws-sdk:scheduler:createSchedule",
                  "Retry": [{"ErrorEquals": ["Scheduler.ThrottlingException", "Sfn.Nope"]}], "End": true}}},
            "End": true}}}"#,
    )
    .expect("the broken example parses");
    let problems = check_errors("broken", &machine);
    expect_problems(
        &problems,
        &[
            "broken/T: Retry on Okta.NotFound, which is not retryable",
            "broken/T: blanket Retry on States.ALL",
            "broken/T: Retry names unknown error Okta.Nope",
            "broken/T: Catch names unknown error Scheduler.ConflictException",
            "broken/S: Retry names unknown error Sfn.Nope",
            "broken/T: no Retry on Lambda.ServiceException",
            "broken/T: no Retry on Okta.RateLimited",
            "broken/T: Payload lacks",
            "broken/T: Payload does not pass dryRun",
            "broken/T: FunctionName",
        ],
    );
    assert!(
        !problems
            .iter()
            .any(|p| p.contains("Scheduler.ThrottlingException")),
        "{problems:#?}"
    );
}
