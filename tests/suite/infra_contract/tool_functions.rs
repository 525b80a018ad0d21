//! The tools an operator invokes directly (the read-only doctor) may read the secret and nothing else.

use std::collections::BTreeSet;

use serde_norway::Value as Yaml;

use super::{
    TOOL_FUNCTIONS, assert_none, expect_problems, is_tool, one_or_many, property, resource_type,
    resources, template,
};

/// The IAM statements of a SAM resource's `Policies` (inline policy documents; managed policies and SAM policy
/// templates have none).
/// A tool function reads the Okta secret (through Secrets Manager, and its key through KMS) and nothing else in
/// AWS: no DynamoDB (`OKTA_RATE_LIMIT_TABLE` is emptied for it), no invocations, no other SAM policy template.
fn check_tool_functions(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let mut seen = BTreeSet::new();
    for (id, function) in &resources(template) {
        if resource_type(function) != "AWS::Serverless::Function" || !is_tool(function) {
            continue;
        }
        seen.insert(id.clone());
        for policy in property(function, "Policies")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            if let Some(map) = policy.as_mapping() {
                for key in map.keys().filter_map(Yaml::as_str) {
                    if key != "AWSSecretsManagerGetSecretValuePolicy" && key != "Statement" {
                        problems.push(format!("{id}: policy {key}"));
                    }
                }
            }
        }
        // The KMS statement sits in an !If: walk every statement the function could get.
        let mut actions = BTreeSet::new();
        collect_actions(property(function, "Policies"), template, &mut actions);
        for action in actions {
            if action != "kms:Decrypt" {
                problems.push(format!("{id}: may {action}"));
            }
        }
        let table = property(function, "Environment")
            .and_then(|environment| environment.get("Variables"))
            .and_then(|variables| variables.get("OKTA_RATE_LIMIT_TABLE"));
        if table.and_then(Yaml::as_str) != Some("") {
            problems.push(format!("{id}: OKTA_RATE_LIMIT_TABLE is not emptied"));
        }
    }
    for tool in TOOL_FUNCTIONS {
        if !resources(template).values().any(|function| {
            is_tool(function)
                && property(function, "CodeUri").and_then(Yaml::as_str)
                    == Some(&format!("functions/{tool}"))
        }) {
            problems.push(format!("no template function for functions/{tool}"));
        }
    }
    problems
}

/// Every `Action` under `value`, through `!If` and other tags.
fn collect_actions(value: Option<&Yaml>, template: &Yaml, actions: &mut BTreeSet<String>) {
    match value {
        Some(Yaml::Mapping(map)) => {
            actions.extend(one_or_many(map.get("Action"), template));
            for value in map.values() {
                collect_actions(Some(value), template, actions);
            }
        }
        Some(Yaml::Sequence(items)) => {
            for item in items {
                collect_actions(Some(item), template, actions);
            }
        }
        Some(Yaml::Tagged(tagged)) => collect_actions(Some(&tagged.value), template, actions),
        _ => {}
    }
}

#[test]
fn the_doctor_reads_the_secret_and_nothing_else() {
    assert_none(check_tool_functions(&template()));
    let broken: Yaml = serde_norway::from_str(
        "Resources:\n  Doc:\n    Type: AWS::Serverless::Function\n    Properties:\n      CodeUri: functions/doctor\n      Policies:\n        - DynamoDBCrudPolicy: {TableName: t}\n        - Statement:\n            - {Effect: Allow, Action: [dynamodb:GetItem, kms:Decrypt], Resource: x}\n",
    )
    .expect("broken example parses");
    expect_problems(
        &check_tool_functions(&broken),
        &[
            "Doc: policy DynamoDBCrudPolicy",
            "Doc: may dynamodb:GetItem",
            "Doc: OKTA_RATE_LIMIT_TABLE is not emptied",
        ],
    );
}
