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

/// The stack watches itself: every flow's failures, timeouts and aborts; every function's errors and throttles;
/// guardrail refusals over a threshold; offboardings that changed nothing (stale or duplicate), from states that
/// exist in the offboarding flow; the HR dead-letter queue and Okta's 401 and 429; each alarm notifying the alarm
/// topic, each metric of our namespace produced by a metric filter of the template; and a dashboard.
pub fn check_watching(template: &Yaml) -> Vec<String> {
    let mut problems = Vec::new();
    let all = resources(template);
    let alarms: Vec<(&String, &Yaml)> = all
        .iter()
        .filter(|(_, r)| resource_type(r) == "AWS::CloudWatch::Alarm")
        .map(|(id, r)| (id, *r))
        .collect();
    let filtered_metrics: Vec<String> = all
        .values()
        .filter(|r| resource_type(r) == "AWS::Logs::MetricFilter")
        .filter_map(|r| property(r, "MetricTransformations"))
        .flat_map(|t| t.as_sequence().cloned().unwrap_or_default())
        .filter_map(|t| {
            t.get("MetricName")
                .and_then(Yaml::as_str)
                .map(str::to_owned)
        })
        .collect();
    for (id, alarm) in &alarms {
        if !property(alarm, "AlarmActions")
            .map(text)
            .unwrap_or_default()
            .contains("AlarmTopic")
        {
            problems.push(format!("{id}: does not notify the alarm topic"));
        }
        let own = property(alarm, "Namespace")
            .map(text)
            .unwrap_or_default()
            .contains("okta-lifecycle/");
        let metric = property(alarm, "MetricName")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        if own && !filtered_metrics.iter().any(|m| m == metric) {
            problems.push(format!("{id}: nothing produces its metric {metric}"));
        }
    }
    let watches = |namespace: &str, metric: &str, dimension: &str| {
        alarms.iter().any(|(_, alarm)| {
            let body = text(alarm);
            body.contains(namespace)
                && body.contains(&format!("\"{metric}\""))
                && body.contains(dimension)
        })
    };
    for flow in ["Onboarding", "Offboarding", "Leave", "Return", "Bulk"] {
        for metric in [
            "ExecutionsFailed",
            "ExecutionsTimedOut",
            "ExecutionsAborted",
        ] {
            if !watches("AWS/States", metric, &format!("{flow}StateMachine")) {
                problems.push(format!("no alarm on {metric} of {flow}StateMachine"));
            }
        }
    }
    for (id, resource) in &all {
        if resource_type(resource) != "AWS::Serverless::Function" {
            continue;
        }
        for metric in ["Errors", "Throttles"] {
            if !watches("AWS/Lambda", metric, &format!("\"{id}\"")) {
                problems.push(format!("no alarm on {metric} of {id}"));
            }
        }
    }
    for (namespace, metric) in [
        ("okta-lifecycle/", "GuardrailRefusals"),
        ("okta-lifecycle/", "OffboardingsNotApplied"),
        ("okta-lifecycle/", "OktaUnauthorized"),
        ("okta-lifecycle/", "OktaRateLimited"),
        ("AWS/SQS", "ApproximateNumberOfMessagesVisible"),
    ] {
        if !watches(namespace, metric, "") {
            problems.push(format!("no alarm on {metric}"));
        }
    }
    // The stale and duplicate offboardings are counted from states the offboarding flow has.
    let offboarding: serde_json::Value = serde_json::from_str(
        &std::fs::read_to_string(super::root().join("infra/offboarding.asl.json"))
            .unwrap_or_default(),
    )
    .unwrap_or_default();
    for (id, filter) in &all {
        let pattern = property(filter, "FilterPattern")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        if resource_type(filter) != "AWS::Logs::MetricFilter" || !pattern.contains("$.details.name")
        {
            continue;
        }
        for state in pattern
            .split("$.details.name = \"")
            .skip(1)
            .filter_map(|rest| rest.split('"').next())
        {
            if offboarding["States"].get(state).is_none() {
                problems.push(format!("{id}: the offboarding flow has no state {state}"));
            }
        }
    }
    let dashboard = all
        .values()
        .filter(|r| resource_type(r) == "AWS::CloudWatch::Dashboard")
        .filter_map(|r| property(r, "DashboardBody"))
        .map(text)
        .collect::<String>();
    for shown in [
        "ExecutionsStarted",
        "ExecutionsSucceeded",
        "ExecutionsFailed",
        "RefusalsByName",
        "OktaRateLimited",
        "OktaPacingWaits",
        "ColdStarts",
    ] {
        if !dashboard.contains(shown) {
            problems.push(format!("the dashboard does not show {shown}"));
        }
    }
    problems
}

#[test]
fn the_stack_watches_itself() {
    let problems = check_watching(&template());
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_watching_check_fails_on_broken_examples() {
    let raw = std::fs::read_to_string(super::root().join("template.yaml")).unwrap();
    let broken = |from: &str, to: &str| {
        assert!(raw.contains(from), "the example no longer matches: {from}");
        super::foreach::expand(serde_norway::from_str(&raw.replacen(from, to, 1)).unwrap())
    };
    let template = broken(
        "    - [Onboarding, Offboarding, Leave, Return, Move, UndoMove, Bulk]\n    - ${Flow}FailedAlarm:",
        "    - [Onboarding, Offboarding, Leave, Return, Move, UndoMove]\n    - ${Flow}FailedAlarm:",
    );
    assert!(
        check_watching(&template)
            .iter()
            .any(|p| p.contains("BulkStateMachine"))
    );
    let template = broken(
        "          MetricName: Throttles\n",
        "          MetricName: Invocations\n",
    );
    assert!(
        check_watching(&template)
            .iter()
            .any(|p| p.contains("no alarm on Throttles"))
    );
    let template = broken(
        "$.details.name = \"Stale\"",
        "$.details.name = \"StaleEvent\"",
    );
    assert!(
        check_watching(&template)
            .iter()
            .any(|p| p.contains("no state StaleEvent"))
    );
    let template = broken(
        "      MetricName: GuardrailRefusals\n      Statistic",
        "      MetricName: GuardrailRefusal\n      Statistic",
    );
    assert!(
        check_watching(&template)
            .iter()
            .any(|p| p.contains("nothing produces"))
    );
}

/// Attribution (issue 25, item 4) and bulk's two keys (item 3), in the template: every function knows this stack's
/// name and API (to refuse other stacks' events), its resource policy names only this stack's API and the optional
/// operator role, the template can record every Invoke in CloudTrail; the bulk bucket is versioned, TLS only, with
/// named list writers, and the bulk flow reads the version its run names.
pub fn check_attribution_and_bulk(template: &Yaml, bulk_asl: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let all = resources(template);
    let variables = template
        .get("Globals")
        .and_then(|globals| globals.get("Function"))
        .and_then(|function| function.get("Environment"))
        .and_then(|environment| environment.get("Variables"));
    for (setting, target) in [
        ("OKTA_STACK_NAME", "AWS::StackName"),
        ("OKTA_API_ID", "HttpApi"),
    ] {
        let value = variables
            .and_then(|variables| variables.get(setting))
            .and_then(super::referenced);
        if value != Some(("Ref".to_owned(), target.to_owned())) {
            problems.push(format!("Globals: {setting} is not !Ref {target}"));
        }
    }
    let permissions: Vec<(&String, &Yaml)> = all
        .iter()
        .filter(|(_, r)| resource_type(r) == "AWS::Lambda::Permission")
        .map(|(id, r)| (id, *r))
        .collect();
    for (id, permission) in &permissions {
        let body = text(permission);
        let api = body.contains("apigateway.amazonaws.com") && body.contains("${HttpApi}");
        let operator = body.contains("DirectInvokeRoleArn");
        if !api && !operator {
            problems.push(format!(
                "{id}: lets someone other than this stack's API or DirectInvokeRoleArn invoke"
            ));
        }
    }
    let trail = all
        .values()
        .filter(|r| resource_type(r) == "AWS::CloudTrail::EventDataStore")
        .map(|r| text(r))
        .collect::<String>();
    if !(trail.contains("AWS::Lambda::Function")
        && trail.contains("Invoke")
        && trail.contains("Data"))
    {
        problems
            .push("no CloudTrail event data store of the functions' Invoke data events".to_owned());
    }
    let bucket = all.get("BulkBucket").map(|b| text(b)).unwrap_or_default();
    if !bucket.contains("\"VersioningConfiguration\":{\"Status\":\"Enabled\"}") {
        problems.push("the bulk bucket is not versioned".to_owned());
    }
    let policy = all
        .get("BulkBucketPolicy")
        .map(|b| text(b))
        .unwrap_or_default();
    for needed in [
        "aws:SecureTransport",
        "BulkWriterPrincipalArns",
        "s3:PutObject",
    ] {
        if !policy.contains(needed) {
            problems.push(format!("the bulk bucket policy lacks {needed}"));
        }
    }
    let cap = template
        .get("Parameters")
        .and_then(|p| p.get("BulkMaxConcurrency"))
        .and_then(|p| p.get("MaxValue"))
        .and_then(Yaml::as_u64)
        .unwrap_or(u64::MAX);
    // Each user's flow sends up to 4 requests at once; Okta allows about 75 concurrent transactions per org.
    if cap * 4 > 75 {
        problems.push(format!(
            "BulkMaxConcurrency may reach {cap}: more than Okta's concurrency allowance"
        ));
    }
    for needed in [
        "\"VersionId.$\": \"$.input.versionId\"",
        // The run's admit step gets the operator's cap and refuses a body's maxConcurrency above it
        // (shared/src/flows/bulk.rs, table-tested).
        "\"maxConcurrencyCap.$\": \"States.StringToJson('${BulkMaxConcurrency}')\"",
        "#by <> :by",
        "attribute_not_exists(#applied)",
    ] {
        if !bulk_asl.contains(needed) {
            problems.push(format!("infra/bulk.asl.json lacks {needed}"));
        }
    }
    problems
}

#[test]
fn attribution_and_bulk_keys_hold_in_the_template() {
    let bulk = std::fs::read_to_string(super::root().join("infra/bulk.asl.json")).unwrap();
    let problems = check_attribution_and_bulk(&template(), &bulk);
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

#[test]
fn the_attribution_and_bulk_check_fails_on_broken_examples() {
    let raw = std::fs::read_to_string(super::root().join("template.yaml")).unwrap();
    let bulk = std::fs::read_to_string(super::root().join("infra/bulk.asl.json")).unwrap();
    let broken = |from: &str, to: &str| {
        assert!(raw.contains(from), "the example no longer matches: {from}");
        super::foreach::expand(serde_norway::from_str(&raw.replacen(from, to, 1)).unwrap())
    };
    let template = broken(
        "          Principal: !Ref DirectInvokeRoleArn\n",
        "          Principal: events.amazonaws.com\n",
    );
    assert!(
        check_attribution_and_bulk(&template, &bulk)
            .iter()
            .any(|p| p.contains("lets someone other"))
    );
    let template = broken(
        "      VersioningConfiguration:\n        Status: Enabled\n",
        "",
    );
    assert!(
        check_attribution_and_bulk(&template, &bulk)
            .iter()
            .any(|p| p.contains("not versioned"))
    );
    let template = broken("    MaxValue: 18\n", "    MaxValue: 1000\n");
    assert!(
        check_attribution_and_bulk(&template, &bulk)
            .iter()
            .any(|p| p.contains("concurrency allowance"))
    );
    let problems =
        check_attribution_and_bulk(&super::template(), &bulk.replace("#by <> :by", "#by = #by"));
    assert!(problems.iter().any(|p| p.contains("#by <> :by")));
    let template = broken("        OKTA_STACK_NAME: !Ref AWS::StackName\n", "");
    assert!(
        check_attribution_and_bulk(&template, &bulk)
            .iter()
            .any(|p| p.contains("OKTA_STACK_NAME"))
    );
}
