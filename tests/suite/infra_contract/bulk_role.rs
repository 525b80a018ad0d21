//! The bulk flow's role has exactly what `.sync:2` child starts need for the flows its ASL starts.

use std::collections::BTreeSet;

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::foreach;
use super::{
    asl, assert_none, expect_problems, one_or_many, policy_statements, property, read, referenced,
    resources, template, text_of, walk_states,
};

/// The bulk flow's role grants what `states:startExecution.sync:2` needs for the flows its ASL starts, and no
/// other Step Functions or EventBridge action: StartExecution on each started flow, DescribeExecution and
/// StopExecution on their executions, PutTargets/PutRule/DescribeRule on the managed rule through which Step
/// Functions learns that a child ended (AWS, "IAM policies for Step Functions: StartExecution"); besides, the
/// Distributed Map's own child executions of the bulk flow. (Log delivery's `logs:*` on `*` is what AWS requires for
/// vended logs, and other services' actions are checked elsewhere.)
fn check_bulk_role(template: &Yaml, bulk: &Json) -> Vec<String> {
    const SYNC: &str = "arn:aws:states:::states:startExecution.sync:2";
    const RULE: &str = ":rule/StepFunctionsGetEventsForStepFunctionsExecutionRule";
    let mut problems = Vec::new();
    let resources = resources(template);
    let Some(machine) = resources.get("BulkStateMachine") else {
        return vec!["no BulkStateMachine".to_owned()];
    };
    let name_of = |id: &str| {
        resources
            .get(id)
            .and_then(|resource| property(resource, "Name"))
            .and_then(text_of)
    };
    let mut started = BTreeSet::new();
    walk_states(bulk, &mut |state_name, state| {
        if state.get("Resource").and_then(Json::as_str) != Some(SYNC) {
            return;
        }
        let placeholder = state
            .pointer("/Parameters/StateMachineArn")
            .and_then(Json::as_str)
            .and_then(|arn| arn.strip_prefix("${")?.strip_suffix('}'));
        let target = placeholder.and_then(|key| {
            property(machine, "DefinitionSubstitutions")
                .and_then(|subs| subs.get(key))
                .and_then(referenced)
        });
        match target.and_then(|(_, id)| name_of(&id)) {
            Some(name) => {
                started.insert(name);
            }
            None => problems.push(format!(
                "{state_name}: its StateMachineArn is not a !Ref to a named state machine"
            )),
        }
    });
    if started.is_empty() {
        problems.push("the bulk flow starts no flow with .sync:2".to_owned());
    }
    let own = name_of("BulkStateMachine").unwrap_or_default();
    let mut granted: BTreeSet<(String, String)> = BTreeSet::new();
    for statement in policy_statements(machine) {
        if statement.get("Effect").and_then(Yaml::as_str) != Some("Allow") {
            continue;
        }
        for action in one_or_many(statement.get("Action"), template) {
            for resource in one_or_many(statement.get("Resource"), template) {
                granted.insert((action.clone(), resource));
            }
        }
    }
    let mut needed: BTreeSet<(String, String)> = BTreeSet::new();
    for flow in started.iter().chain([&own]) {
        let machine_arn = format!(
            "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{flow}"
        );
        // A flow's executions are `execution:<name>:<id>`; the Distributed Map's are `execution:<name>/<run>:<id>`.
        let executions = format!(
            "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:{flow}{}",
            if *flow == own { "/*" } else { ":*" }
        );
        needed.insert(("states:StartExecution".into(), machine_arn));
        for action in ["states:DescribeExecution", "states:StopExecution"] {
            needed.insert((action.into(), executions.clone()));
        }
    }
    for action in ["events:PutTargets", "events:PutRule", "events:DescribeRule"] {
        needed.insert((
            action.into(),
            format!("arn:${{AWS::Partition}}:events:${{AWS::Region}}:${{AWS::AccountId}}{RULE}"),
        ));
    }
    for (action, resource) in needed.difference(&granted) {
        problems.push(format!("BulkStateMachine lacks {action} on {resource}"));
    }
    for (action, resource) in granted.difference(&needed) {
        if action.starts_with("states:") || action.starts_with("events:") {
            problems.push(format!(
                "BulkStateMachine may {action} on {resource}: more than .sync:2 needs"
            ));
        }
    }
    problems
}

#[test]
fn the_bulk_role_has_exactly_what_sync_child_starts_need() {
    assert_none(check_bulk_role(&template(), &asl("bulk").1));
}

#[test]
fn bulk_role_check_fails_on_broken_example() {
    let text = read("template.yaml");
    let (_, bulk) = asl("bulk");
    // The leave flow's executions cannot be watched, and the role may start every state machine.
    let broken = text
        .replace(
            "                - !Sub arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-leave:*\n",
            "",
        )
        .replacen(
            "            - Sid: RunTheFlows\n              Effect: Allow\n              Action: states:StartExecution\n              Resource:\n",
            "            - Sid: RunTheFlows\n              Effect: Allow\n              Action: states:StartExecution\n              Resource:\n                - '*'\n",
            1,
        );
    assert_ne!(broken, text, "the example no longer matches template.yaml");
    let broken: Yaml = foreach::expand(serde_norway::from_str(&broken).unwrap());
    let problems = check_bulk_role(&broken, &bulk);
    expect_problems(
        &problems,
        &[
            "lacks states:DescribeExecution on arn:${AWS::Partition}:states:${AWS::Region}:${AWS::AccountId}:execution:${AWS::StackName}-leave:*",
            "may states:StartExecution on *",
        ],
    );
}
