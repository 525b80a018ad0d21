//! Issue 9, the ledger: every flow start carries an event id, records it once and takes the user's lease before
//! changing anything, all in the one table.

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::{
    FLOW_STEP_ARN, LAMBDA_INVOKE, USER_FLOWS, asl, assert_none, expect_problems, names, property,
    referenced, resource_type, resources, template, walk_states,
};

const LEDGER_TABLE: &str = "${LedgerTableName}";

/// Every flow start carries an event id (ValidateInput refuses one without), records it once (a conditional put
/// whose failure ends the run as a duplicate), takes the user's lease before changing anything (every function
/// call but the read that finds the user's id runs inside the Runbook, whose Catch releases the lease), and
/// keeps all of it in the one table.
fn check_ledger(flow: &str, machine: &Json) -> Vec<String> {
    let mut problems = Vec::new();
    let states = machine.get("States").cloned().unwrap_or_default();
    let state = |name: &str| states.get(name).cloned().unwrap_or_default();
    // A generated flow (infra/generate.py) starts with the admit step, which requires the event id (table-tested
    // in shared/src/flows/tests.rs); a hand-written one refuses a start without one in ValidateInput.
    let start = machine.get("StartAt").and_then(Json::as_str).unwrap_or("");
    let admitted = state(start)
        .pointer("/Parameters/FunctionName")
        .and_then(Json::as_str)
        == Some(FLOW_STEP_ARN)
        && state(start).pointer("/Parameters/Payload/step") == Some(&Json::from("admit"));
    let requires_event_id = admitted
        || state("ValidateInput")
            .get("Choices")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
            .any(|rule| {
                rule.pointer("/Not/Variable").and_then(Json::as_str) == Some("$.input.eventId")
                    && rule.pointer("/Not/IsPresent") == Some(&Json::Bool(true))
                    && rule.get("Next").and_then(Json::as_str) == Some("InvalidInput")
            });
    if !requires_event_id {
        problems.push(format!("{flow}: ValidateInput does not require eventId"));
    }
    let record = state("RecordEvent");
    if record.get("Resource").and_then(Json::as_str) != Some("arn:aws:states:::dynamodb:putItem")
        || !matches!(
            record
                .pointer("/Parameters/ConditionExpression")
                .and_then(Json::as_str),
            // Issue 24: or a record whose run is past its deadline (it never ended: stopped, timed out).
            Some("attribute_not_exists(pk)" | "attribute_not_exists(pk) OR runDeadline < :now")
        )
    {
        problems.push(format!("{flow}: RecordEvent is not a conditional putItem"));
    }
    let duplicate_caught = record
        .get("Catch")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .any(|c| {
            names(c) == ["DynamoDB.ConditionalCheckFailedException"]
                && matches!(
                    c.get("Next").and_then(Json::as_str),
                    // Issue 27: through the completion event announcing it.
                    Some("Duplicate" | "AnnounceDuplicate")
                )
        });
    if !duplicate_caught {
        problems.push(format!(
            "{flow}: a duplicate event id does not end as Duplicate"
        ));
    }
    let lease = state("AcquireLease");
    if !lease
        .pointer("/Parameters/ConditionExpression")
        .and_then(Json::as_str)
        .is_some_and(|c| c.contains("attribute_not_exists(leaseHolder)"))
    {
        problems.push(format!(
            "{flow}: AcquireLease does not take the lease conditionally"
        ));
    }
    let runbook = state("Runbook");
    let releases = runbook
        .get("Catch")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .any(|c| names(c) == ["States.ALL"]);
    if runbook.get("Type").and_then(Json::as_str) != Some("Parallel") || !releases {
        problems.push(format!(
            "{flow}: no Runbook (Parallel with a Catch on States.ALL) to release the lease"
        ));
    }
    for (name, top) in states.as_object().into_iter().flatten() {
        let mut calls = Vec::new();
        walk_states(&json_states(name, top), &mut |inner, s| {
            if s.get("Resource").and_then(Json::as_str) == Some(LAMBDA_INVOKE) {
                calls.push((
                    inner.to_owned(),
                    s.pointer("/Parameters/FunctionName")
                        .and_then(Json::as_str)
                        .unwrap_or("")
                        .to_owned(),
                ));
            }
            let resource = s.get("Resource").and_then(Json::as_str).unwrap_or("");
            if resource.starts_with("arn:aws:states:::dynamodb:")
                && s.pointer("/Parameters/TableName").and_then(Json::as_str) != Some(LEDGER_TABLE)
            {
                problems.push(format!(
                    "{flow}/{inner}: DynamoDB task outside {LEDGER_TABLE}"
                ));
            }
        });
        if name == "Runbook" {
            continue;
        }
        for (inner, function) in calls {
            if function != "${GetUserFunctionArn}" && function != FLOW_STEP_ARN {
                problems.push(format!(
                    "{flow}/{inner}: calls {function} outside the Runbook, without the lease"
                ));
            }
        }
    }
    problems
}

/// A top-level state as a one-state machine, so that `walk_states` also visits what it nests.
fn json_states(name: &str, state: &Json) -> Json {
    serde_json::json!({ "States": { name: state } })
}

/// The ledger table is on-demand, encrypted, point-in-time recoverable, with TTL; no state machine can start a
/// flow; the return schedules run as a role that can start the return flow and nothing else.
fn check_ledger_template(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let resources = resources(template);
    match resources.get("LedgerTable") {
        None => problems.push("no LedgerTable".to_owned()),
        Some(table) => {
            let text = serde_norway::to_string(table).unwrap_or_default();
            for needed in [
                "BillingMode: PAY_PER_REQUEST",
                "SSEEnabled: true",
                "PointInTimeRecoveryEnabled: true",
                "AttributeName: expiresAt",
            ] {
                if !text.contains(needed) {
                    problems.push(format!("LedgerTable lacks {needed}"));
                }
            }
        }
    }
    for (id, resource) in &resources {
        // The bulk flow is the one state machine that starts flows (each user's, to its end); it has no user.
        if resource_type(resource) != "AWS::Serverless::StateMachine" || id == "BulkStateMachine" {
            continue;
        }
        let policies = property(resource, "Policies")
            .map(|p| serde_norway::to_string(p).unwrap_or_default())
            .unwrap_or_default();
        if policies.contains("states:StartExecution") {
            problems.push(format!("{id}: a state machine role may start a flow"));
        }
        let table = property(resource, "DefinitionSubstitutions")
            .and_then(|subs| subs.get("LedgerTableName"))
            .and_then(referenced);
        if table != Some(("Ref".into(), "LedgerTable".into())) {
            problems.push(format!("{id}: LedgerTableName is not !Ref LedgerTable"));
        }
    }
    let return_role = resources
        .get("ReturnSchedulerRole")
        .map(|role| serde_norway::to_string(role).unwrap_or_default())
        .unwrap_or_default();
    let actions: Vec<&str> = return_role
        .lines()
        .filter_map(|line| line.trim().strip_prefix("Action: "))
        .collect();
    if actions != ["sts:AssumeRole", "states:StartExecution"]
        || !return_role.contains(":stateMachine:${AWS::StackName}-return")
        || return_role.matches(":stateMachine:").count() != 1
    {
        problems.push(format!(
            "ReturnSchedulerRole may do more than start the return flow: {actions:?}"
        ));
    }
    let leave_role = resources
        .get("LeaveStateMachine")
        .and_then(|m| property(m, "DefinitionSubstitutions"))
        .and_then(|subs| subs.get("SchedulerRoleArn"))
        .and_then(referenced);
    if leave_role != Some(("GetAtt.Arn".into(), "ReturnSchedulerRole".into())) {
        problems.push("the leave flow's schedules do not run as ReturnSchedulerRole".to_owned());
    }
    problems
}

#[test]
fn every_flow_start_carries_an_event_id_and_takes_the_lease() {
    for flow in USER_FLOWS {
        let (_, machine) = asl(flow);
        assert_none(check_ledger(flow, &machine));
    }
    assert_none(check_ledger_template(&template()));
}

#[test]
fn ledger_check_fails_on_broken_example() {
    let (_, mut machine) = asl("return");
    let states = machine["States"].as_object_mut().expect("States");
    states.remove("RecordEvent");
    let runbook = states.remove("Runbook").expect("Runbook");
    // The runbook's first call moved before the lease.
    let unsuspend = runbook
        .pointer("/Branches/0/States/UnsuspendUser")
        .cloned()
        .expect("UnsuspendUser");
    states.insert("UnsuspendUser".into(), unsuspend);
    let problems = check_ledger("return", &machine);
    expect_problems(
        &problems,
        &[
            "RecordEvent is not a conditional putItem",
            "does not end as Duplicate",
            "no Runbook",
            "UnsuspendUser: calls ${UnsuspendUserFunctionArn} outside the Runbook",
        ],
    );
    let broken: Yaml = serde_norway::from_str(
        "Resources:\n  ReturnSchedulerRole:\n    Type: AWS::IAM::Role\n    Properties:\n      Policies:\n        - Statement:\n            - Action: states:StartExecution\n              Resource: '*'\n",
    )
    .expect("yaml");
    expect_problems(
        &check_ledger_template(&broken),
        &[
            "no LedgerTable",
            "ReturnSchedulerRole may do more",
            "do not run as ReturnSchedulerRole",
        ],
    );
}
