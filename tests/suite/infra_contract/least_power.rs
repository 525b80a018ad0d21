//! Issue 25, "least power everywhere", as template contracts: no path back for a leaver through a schedule, each
//! role trusted by its service for this stack's resources only, the secret and the rate-limit table usable by the
//! function roles only, no Okta credentials in a function's environment. Each check returns its problems and is run
//! on the real template and on a broken copy that must make it fail.

use serde_norway::Value as Yaml;

use super::{property, resource_type, resources, template};

/// Where the function roles live (RolePath), as the resource policies name them.
const FUNCTION_ROLES: &str =
    "arn:${AWS::Partition}:iam::${AWS::AccountId}:role/okta-lifecycle/${AWS::StackName}/*";

/// A value as compact text, for checks on what a policy names.
fn text(value: &Yaml) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The trust statements of every role of the template, with the service each trusts.
fn trusted_services(template: &Yaml) -> Vec<(String, String, &Yaml)> {
    let mut found = Vec::new();
    for (id, resource) in resources(template) {
        if resource_type(resource) != "AWS::IAM::Role" {
            continue;
        }
        let statements = property(resource, "AssumeRolePolicyDocument")
            .and_then(|document| document.get("Statement"))
            .and_then(Yaml::as_sequence);
        for statement in statements.into_iter().flatten() {
            let service = statement
                .get("Principal")
                .and_then(|principal| principal.get("Service"))
                .map(text)
                .unwrap_or_default();
            found.push((id.clone(), service, statement));
        }
    }
    found
}

/// Schedules start flows only (never a function: no direct unsuspend or activate), and every role is trusted by its
/// service for this account, the scheduler's and the HR rules' roles for this stack's group and bus only.
pub fn check_roles(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    for (id, service, statement) in trusted_services(template) {
        let condition = statement.get("Condition").map(text).unwrap_or_default();
        if !condition.contains("aws:SourceAccount") {
            problems.push(format!("{id}: trusts {service} without aws:SourceAccount"));
        }
        let source_arn = match service.as_str() {
            s if s.contains("scheduler.amazonaws.com") => Some(":schedule-group/${ScheduleGroup}"),
            s if s.contains("events.amazonaws.com") => Some(":rule/${AWS::StackName}-hr/"),
            _ => None,
        };
        if let Some(expected) = source_arn
            && !(condition.contains("aws:SourceArn") && condition.contains(expected))
        {
            problems.push(format!(
                "{id}: trusts {service} without aws:SourceArn naming {expected}"
            ));
        }
        if service.contains("scheduler.amazonaws.com") {
            let role = &resources(template)[&id];
            let policies = property(role, "Policies").map(text).unwrap_or_default();
            if policies.contains("lambda:") || policies.contains("\"*\"") {
                problems.push(format!("{id}: a schedule may do more than start a flow"));
            }
        }
    }
    let raw = std::fs::read_to_string(super::root().join("template.yaml")).unwrap_or_default();
    if raw.contains("unsuspend-<user-id>") || raw.contains("<unsuspend-user function ARN>") {
        problems.push(
            "the template still documents a schedule that unsuspends a user directly".to_owned(),
        );
    }
    problems
}

/// The secret: read by the function roles (and the break-glass role) only, by `aws:PrincipalArn`; its policy
/// changed by the break-glass role (or CloudFormation) only.
pub fn check_secret_policy(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let all = resources(template);
    let Some(policy) = all.get("OktaSecretPolicy") else {
        return vec!["no OktaSecretPolicy".to_owned()];
    };
    let statements = property(policy, "ResourcePolicy")
        .and_then(|document| document.get("Statement"))
        .and_then(Yaml::as_sequence)
        .cloned()
        .unwrap_or_default();
    let denies = |action: &str| {
        statements.iter().find(|statement| {
            statement.get("Effect").and_then(Yaml::as_str) == Some("Deny")
                && statement
                    .get("Action")
                    .map(text)
                    .unwrap_or_default()
                    .contains(action)
        })
    };
    match denies("secretsmanager:GetSecretValue") {
        None => problems.push("the secret's policy does not deny other readers".to_owned()),
        Some(statement) => {
            let condition = statement.get("Condition").map(text).unwrap_or_default();
            if !condition.contains("aws:PrincipalArn")
                || !condition.contains(FUNCTION_ROLES)
                || !condition.contains("BreakGlassRoleArn")
                || condition.contains("PrincipalTag")
            {
                problems.push(format!(
                    "the secret's readers are not the function roles and BreakGlassRoleArn by aws:PrincipalArn: {condition}"
                ));
            }
        }
    }
    for action in [
        "secretsmanager:PutResourcePolicy",
        "secretsmanager:DeleteResourcePolicy",
    ] {
        match denies(action) {
            Some(statement)
                if statement
                    .get("Condition")
                    .map(text)
                    .unwrap_or_default()
                    .contains("BreakGlassRoleArn") => {}
            _ => problems.push(format!(
                "{action} is not denied to all but BreakGlassRoleArn"
            )),
        }
    }
    problems
}

/// The function roles live under the path the policies name; the rate-limit table's items are read and written
/// by those roles only; no function environment carries Okta credentials or the override that would accept them.
pub fn check_function_roles_and_table(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let all = resources(template);
    for (id, resource) in &all {
        if resource_type(resource) != "AWS::Serverless::Function" {
            continue;
        }
        let path = property(resource, "RolePath").map(text).unwrap_or_default();
        if !path.contains("/okta-lifecycle/${AWS::StackName}/") {
            problems.push(format!(
                "{id}: its role is not under /okta-lifecycle/<stack>/ ({path})"
            ));
        }
    }
    let environment = template.get("Globals").map(text).unwrap_or_default()
        + &all
            .values()
            .filter_map(|resource| property(resource, "Environment"))
            .map(text)
            .collect::<String>();
    for name in [
        "OKTA_API_TOKEN",
        "OKTA_PRIVATE_KEY",
        "OKTA_CLIENT_ID",
        "OKTA_ALLOW_ENV_CREDENTIALS",
    ] {
        if environment.contains(name) {
            problems.push(format!("a function's environment sets {name}"));
        }
    }
    let policy = all
        .get("OktaRateLimitTable")
        .and_then(|table| property(table, "ResourcePolicy"))
        .map(text)
        .unwrap_or_default();
    for needed in [
        "\"Deny\"",
        "dynamodb:GetItem",
        "dynamodb:UpdateItem",
        "dynamodb:PutItem",
        "aws:PrincipalArn",
        FUNCTION_ROLES,
    ] {
        if !policy.contains(needed) {
            problems.push(format!(
                "the rate-limit table's resource policy lacks {needed}"
            ));
        }
    }
    problems
}

#[test]
fn least_power_holds_in_the_template() {
    let template = template();
    let mut problems = check_roles(&template);
    problems.extend(check_secret_policy(&template));
    problems.extend(check_function_roles_and_table(&template));
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn least_power_checks_fail_on_broken_examples() {
    let raw = std::fs::read_to_string(super::root().join("template.yaml")).unwrap();
    let broken = |from: &str, to: &str| {
        assert!(raw.contains(from), "the example no longer matches: {from}");
        super::foreach::expand(serde_norway::from_str(&raw.replacen(from, to, 1)).unwrap())
    };
    // A scheduler role that may invoke functions again, and trusts any schedule of the account.
    let template = broken(
        "              - Sid: StartFlows\n",
        "              - Sid: Invoke\n                Effect: Allow\n                Action: lambda:InvokeFunction\n                Resource: \"*\"\n              - Sid: StartFlows\n",
    );
    assert!(
        check_roles(&template)
            .iter()
            .any(|p| p.contains("SchedulerRole: a schedule may do more"))
    );
    let template = broken(
        "              ArnEquals:\n                aws:SourceArn: !Sub arn:${AWS::Partition}:scheduler:",
        "              ArnLike:\n                aws:Other: !Sub arn:${AWS::Partition}:scheduler:",
    );
    assert!(
        check_roles(&template)
            .iter()
            .any(|p| p.contains("without aws:SourceArn"))
    );
    // The tag-based secret policy of before.
    let template = broken(
        "              ArnNotLike:\n                aws:PrincipalArn: !If\n                  - HasBreakGlassRole\n                  - - !Sub",
        "              StringNotEquals:\n                aws:PrincipalTag/reader: !If\n                  - HasBreakGlassRole\n                  - - !Sub",
    );
    assert!(!check_secret_policy(&template).is_empty());
    let template = broken("              - secretsmanager:DeleteResourcePolicy\n", "");
    assert!(
        check_secret_policy(&template)
            .iter()
            .any(|p| p.contains("DeleteResourcePolicy"))
    );
    // A function role outside the path, a token in the environment, a table without its policy.
    let template = broken(
        "          RolePath: !Sub /okta-lifecycle/${AWS::StackName}/\n",
        "",
    );
    assert!(
        check_function_roles_and_table(&template)
            .iter()
            .any(|p| p.contains("its role is not under"))
    );
    let template = broken(
        "        OKTA_PROTECTED_GROUPS: !Ref ProtectedGroups\n",
        "        OKTA_PROTECTED_GROUPS: !Ref ProtectedGroups\n        OKTA_API_TOKEN: x\n",
    );
    assert!(
        check_function_roles_and_table(&template)
            .iter()
            .any(|p| p.contains("OKTA_API_TOKEN"))
    );
    let template = broken(
        "            - Sid: OnlyTheFunctionsUseTheItems\n              Effect: Deny\n",
        "            - Sid: OnlyTheFunctionsUseTheItems\n              Effect: Allow\n",
    );
    assert!(
        check_function_roles_and_table(&template)
            .iter()
            .any(|p| p.contains("Deny"))
    );
}
