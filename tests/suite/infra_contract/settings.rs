//! Every guardrail and pacing setting the code reads reaches every function from a template parameter.

use serde_norway::Value as Yaml;

use super::broken_examples::broken_template;
use super::{
    FLOW_STEP_FUNCTION, assert_none, expect_problems, is_tool, one_or_many, policy_statements,
    referenced, resource_type, resources, template,
};

/// Every guardrail setting the code reads reaches every function from a template parameter (Globals), so that a
/// deployment can set it and nobody forgets one.
fn check_guard_settings(template: &Yaml) -> Vec<String> {
    let variables = template
        .get("Globals")
        .and_then(|g| g.get("Function"))
        .and_then(|f| f.get("Environment"))
        .and_then(|e| e.get("Variables"));
    let parameters = template.get("Parameters");
    let mut problems = Vec::new();
    for setting in okta_lifecycle::guard::SETTINGS {
        match variables.and_then(|v| v.get(setting)).and_then(referenced) {
            Some((tag, parameter)) if tag == "Ref" => {
                if parameters.and_then(|p| p.get(&parameter)).is_none() {
                    problems.push(format!("{setting}: !Ref {parameter} is not a parameter"));
                }
            }
            _ => problems.push(format!(
                "{setting}: not set from a parameter in Globals.Function.Environment.Variables"
            )),
        }
    }
    problems
}

/// Problems with the pacing settings: every function gets them from the template parameters the README names.
fn check_pacing_settings(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let variables = template
        .get("Globals")
        .and_then(|globals| globals.get("Function"))
        .and_then(|function| function.get("Environment"))
        .and_then(|environment| environment.get("Variables"));
    for (setting, parameter) in [
        ("OKTA_RATE_LIMIT_SHARE", "OktaRateLimitShare"),
        ("OKTA_CONCURRENT_CALLERS", "BulkMaxConcurrency"),
    ] {
        let value = variables.and_then(|variables| variables.get(setting));
        match value.and_then(referenced) {
            Some((how, target)) if how == "Ref" && target == parameter => {}
            _ => problems.push(format!(
                "Globals: {setting} is not !Ref {parameter} for every function"
            )),
        }
        if template
            .get("Parameters")
            .and_then(|parameters| parameters.get(parameter))
            .is_none()
        {
            problems.push(format!("no template parameter {parameter}"));
        }
    }
    let resources = resources(template);
    let table = variables
        .and_then(|variables| variables.get("OKTA_RATE_LIMIT_TABLE"))
        .and_then(referenced)
        .filter(|(how, id)| {
            how == "Ref"
                && resources.get(id).map(|table| resource_type(table))
                    == Some("AWS::DynamoDB::Table")
        });
    let Some((_, table)) = table else {
        problems.push("Globals: OKTA_RATE_LIMIT_TABLE is not !Ref a DynamoDB table".to_owned());
        return problems;
    };
    // The flows' ledger (issue 25): activate-user and unsuspend-user read a user's item before bringing them back.
    let ledger = variables
        .and_then(|variables| variables.get("OKTA_LEDGER_TABLE"))
        .and_then(referenced)
        .map(|(_, id)| id);
    // Each function reads and writes the table's items, may read the ledger's user items, and may do nothing else
    // with DynamoDB.
    for (id, function) in &resources {
        if resource_type(function) != "AWS::Serverless::Function" || is_tool(function) {
            continue;
        }
        let mut granted = Vec::new();
        for statement in policy_statements(function) {
            let resource = statement.get("Resource").and_then(referenced);
            let on_table = resource == Some(("GetAtt.Arn".to_owned(), table.clone()));
            let on_ledger = ledger.is_some()
                && resource.map(|(_, id)| id) == ledger
                && serde_json::to_string(statement.get("Condition").unwrap_or(&Yaml::Null))
                    .unwrap_or_default()
                    .contains("dynamodb:LeadingKeys");
            for action in one_or_many(statement.get("Action"), template)
                .into_iter()
                .filter(|action| action.starts_with("dynamodb:"))
            {
                granted.push(if on_table {
                    action
                } else if on_ledger {
                    format!("{action} on the ledger's user items")
                } else {
                    format!("{action} elsewhere")
                });
            }
        }
        granted.sort();
        if id == FLOW_STEP_FUNCTION {
            if !granted.is_empty() {
                problems.push(format!(
                    "{id}: DynamoDB grants {granted:?}: it talks to no AWS service"
                ));
            }
            continue;
        }
        if granted
            != [
                "dynamodb:GetItem",
                "dynamodb:GetItem on the ledger's user items",
                "dynamodb:UpdateItem",
            ]
        {
            problems.push(format!(
                "{id}: DynamoDB grants {granted:?}, not GetItem and UpdateItem on {table} and GetItem on the \
                 ledger's user items"
            ));
        }
    }
    problems
}

#[test]
fn every_guard_setting_comes_from_a_template_parameter() {
    assert_none(check_guard_settings(&template()));
}

#[test]
fn guard_setting_check_fails_on_broken_example() {
    let broken: Yaml = serde_norway::from_str(
        "Parameters:\n  ProtectedGroups: {Type: String}\nGlobals:\n  Function:\n    Environment:\n      Variables:\n        OKTA_PROTECTED_GROUPS: !Ref ProtectedGroup\n        OKTA_GRANTABLE_GROUPS: fixed\n",
    )
    .expect("broken example parses");
    expect_problems(
        &check_guard_settings(&broken),
        &[
            "OKTA_PROTECTED_GROUPS: !Ref ProtectedGroup is not a parameter",
            "OKTA_GRANTABLE_GROUPS: not set from a parameter",
            "OKTA_ALLOW_CREDENTIAL_RETURN: not set from a parameter",
        ],
    );
}

#[test]
fn every_function_paces_itself_from_the_template_parameters() {
    assert_none(check_pacing_settings(&template()));
    let readme = okta_lifecycle_tests::documentation();
    for name in [
        "OKTA_RATE_LIMIT_SHARE",
        "OKTA_CONCURRENT_CALLERS",
        "OKTA_RATE_LIMIT_TABLE",
        "OktaRateLimitShare",
        "BulkMaxConcurrency",
        "OktaRateLimitTable",
    ] {
        assert!(
            readme.contains(name),
            "the documentation does not explain {name}"
        );
    }
}

#[test]
fn pacing_check_fails_on_broken_example() {
    expect_problems(
        &check_pacing_settings(&broken_template()),
        &[
            "OKTA_RATE_LIMIT_SHARE",
            "no template parameter BulkMaxConcurrency",
            "OKTA_RATE_LIMIT_TABLE is not !Ref a DynamoDB table",
        ],
    );
    let too_wide: Yaml = serde_norway::from_str(
        "Globals:\n  Function:\n    Environment:\n      Variables:\n        OKTA_RATE_LIMIT_TABLE: !Ref Limits\nResources:\n  Limits: {Type: AWS::DynamoDB::Table}\n  Ledger: {Type: AWS::DynamoDB::Table}\n  AllFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - Statement:\n            - {Effect: Allow, Action: 'dynamodb:*', Resource: !GetAtt Limits.Arn}\n  ReadFunction:\n    Type: AWS::Serverless::Function\n    Properties:\n      Policies:\n        - Statement:\n            - {Effect: Allow, Action: [dynamodb:GetItem, dynamodb:UpdateItem], Resource: !GetAtt Ledger.Arn}\n",
    )
    .expect("broken example parses");
    expect_problems(
        &check_pacing_settings(&too_wide),
        &[
            "AllFunction: DynamoDB grants [\"dynamodb:*\"]",
            "ReadFunction: DynamoDB grants [\"dynamodb:GetItem elsewhere\"",
        ],
    );
}
