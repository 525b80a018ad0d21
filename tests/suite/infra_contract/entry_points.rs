//! The entry points of the template (HTTP routes, HR events) and its operations: who may call what, what a started
//! flow receives, what the alarms watch. Each check returns its problems and is run on the real template and on a
//! broken example that must make it fail.

use std::collections::{BTreeMap, BTreeSet};

use okta_lifecycle::ErrorKind;
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

use super::{asl, intrinsic, property, read, referenced, resource_type, resources, template};

const SCOPE_PARAMETERS: [&str; 5] = [
    "JwtReadScope",
    "JwtLifecycleScope",
    "JwtCredentialsScope",
    "JwtFlowsScope",
    "JwtBulkScope",
];

/// Which scope a route needs (issue 9): reading; password, factor and activation actions (a factor reset lets
/// whoever next signs in enroll new factors, so it is a credential); status, group and app changes; the flows; a bulk
/// run, its own (issue 25: one key is not enough to offboard the company).
fn expected_scope(route_key: &str) -> &'static str {
    let (method, path) = route_key.split_once(' ').unwrap_or(("", route_key));
    let last = path.rsplit('/').next().unwrap_or("");
    if path == "/flows/bulk" {
        "JwtBulkScope"
    } else if path.starts_with("/flows/") {
        "JwtFlowsScope"
    } else if method == "GET" {
        "JwtReadScope"
    } else if [
        "activate",
        "unlock",
        "reset-password",
        "expire-password",
        "reset-factors",
    ]
    .contains(&last)
    {
        "JwtCredentialsScope"
    } else {
        "JwtLifecycleScope"
    }
}

/// `!If [Condition, then, else]` as (condition, then, else).
fn if_branches(value: &Yaml) -> Option<(&str, &Yaml, &Yaml)> {
    let (tag, inner) = intrinsic(value)?;
    match (tag.as_str(), inner.as_sequence().map(Vec::as_slice)) {
        ("If", Some([condition, then, otherwise])) => Some((condition.as_str()?, then, otherwise)),
        _ => None,
    }
}

fn is_no_value(value: &Yaml) -> bool {
    referenced(value).is_some_and(|(how, id)| how == "Ref" && id == "AWS::NoValue")
}

fn routes(template: &Yaml) -> Vec<(String, String, &Yaml)> {
    resources(template)
        .into_iter()
        .filter(|(_, r)| resource_type(r) == "AWS::ApiGatewayV2::Route")
        .map(|(id, r)| {
            let key = property(r, "RouteKey")
                .and_then(Yaml::as_str)
                .unwrap_or("")
                .to_owned();
            (id, key, r)
        })
        .collect()
}

/// Every route is authorized (IAM or JWT), and in JWT mode requires exactly the scope parameter of its group.
pub fn check_route_scopes(template: &Yaml) -> Vec<String> {
    let parameters = template.get("Parameters");
    let mut problems = Vec::new();
    for name in SCOPE_PARAMETERS {
        if parameters.and_then(|p| p.get(name)).is_none() {
            problems.push(format!("parameter {name} is missing"));
        }
    }
    for (id, key, route) in routes(template) {
        let authorization = property(route, "AuthorizationType").and_then(if_branches);
        if !matches!(authorization, Some(("UseJwt", then, otherwise))
            if then.as_str() == Some("JWT") && otherwise.as_str() == Some("AWS_IAM"))
        {
            problems.push(format!(
                "{id} ({key}): AuthorizationType is not !If [UseJwt, JWT, AWS_IAM]"
            ));
        }
        let scopes = match property(route, "AuthorizationScopes").and_then(if_branches) {
            Some(("UseJwt", Yaml::Sequence(scopes), otherwise)) if is_no_value(otherwise) => scopes,
            _ => {
                problems.push(format!(
                    "{id} ({key}): no AuthorizationScopes in JWT mode (!If [UseJwt, [scope], !Ref AWS::NoValue])"
                ));
                continue;
            }
        };
        let named: Vec<String> = scopes
            .iter()
            .filter_map(referenced)
            .map(|(_, name)| name)
            .collect();
        let expected = expected_scope(&key);
        if named != [expected] {
            problems.push(format!(
                "{id} ({key}): scopes {named:?}, expected [{expected:?}]"
            ));
        }
    }
    problems
}

fn function_timeout_seconds(template: &Yaml, function: &Yaml) -> Option<u64> {
    property(function, "Timeout")
        .or_else(|| {
            template
                .get("Globals")
                .and_then(|g| g.get("Function"))
                .and_then(|f| f.get("Timeout"))
        })
        .and_then(Yaml::as_u64)
}

/// A function's HTTP integration gives up before the function does, so that the function's own error (for example
/// Okta.RateLimited) reaches the caller rather than the API's 503.
pub fn check_integration_timeouts(template: &Yaml) -> Vec<String> {
    let all = resources(template);
    let mut problems = Vec::new();
    for (id, integration) in &all {
        if resource_type(integration) != "AWS::ApiGatewayV2::Integration" {
            continue;
        }
        let Some((_, function)) = property(integration, "IntegrationUri").and_then(referenced)
        else {
            continue;
        };
        let Some(timeout) = all
            .get(&function)
            .and_then(|f| function_timeout_seconds(template, f))
        else {
            problems.push(format!("{id}: {function} has no Timeout"));
            continue;
        };
        match property(integration, "TimeoutInMillis").and_then(Yaml::as_u64) {
            Some(ms) if ms < timeout * 1000 => {}
            other => problems.push(format!(
                "{id}: TimeoutInMillis {other:?} is not below {function}'s Timeout of {timeout} s"
            )),
        }
    }
    problems
}

fn strings(value: &Yaml) -> Vec<&str> {
    match value {
        Yaml::String(text) => vec![text.as_str()],
        Yaml::Sequence(items) => items.iter().filter_map(Yaml::as_str).collect(),
        _ => Vec::new(),
    }
}

/// The bus's policy denies events:PutEvents to every principal outside HrPublisherPrincipalArns.
fn bus_denies_other_publishers(bus: &Yaml) -> bool {
    let statements = property(bus, "Policy")
        .and_then(|p| p.get("Statement"))
        .and_then(Yaml::as_sequence);
    statements.into_iter().flatten().any(|statement| {
        // `!If [HasHrPublishers, {condition}, !Ref AWS::NoValue]`: without publishers the deny has no condition.
        let condition = statement
            .get("Condition")
            .and_then(|c| match if_branches(c) {
                Some((_, then, otherwise)) if is_no_value(otherwise) => Some(then),
                Some(_) => None,
                None => Some(c),
            });
        let condition = condition.and_then(|c| {
            c.get("ArnNotEquals")
                .or_else(|| c.get("ArnNotLike"))
                .and_then(|c| c.get("aws:PrincipalArn"))
        });
        statement.get("Effect").and_then(Yaml::as_str) == Some("Deny")
            && statement.get("Principal").and_then(Yaml::as_str) == Some("*")
            && statement
                .get("Action")
                .is_some_and(|a| strings(a).contains(&"events:PutEvents"))
            && condition.and_then(referenced)
                == Some(("Ref".into(), "HrPublisherPrincipalArns".into()))
    })
}

/// A rule as (id, EventBusName, event pattern, targets).
type Rule<'a> = (String, Option<&'a Yaml>, Option<&'a Yaml>, Vec<&'a Yaml>);

/// Every rule listens on a bus of the template whose policy admits only the HR publishers, matches the account
/// and the source, and starts a flow with the event's id, source and time (an input transformer), never with the
/// raw event or its detail alone. SAM `EventBridgeRule` events count as rules too.
pub fn check_event_rules(template: &Yaml) -> Vec<String> {
    let all = resources(template);
    let mut problems = Vec::new();
    let mut rules: Vec<Rule<'_>> = Vec::new();
    for (id, resource) in &all {
        if resource_type(resource) == "AWS::Events::Rule" {
            let targets = property(resource, "Targets")
                .and_then(Yaml::as_sequence)
                .map(|t| t.iter().collect())
                .unwrap_or_default();
            rules.push((
                id.clone(),
                property(resource, "EventBusName"),
                property(resource, "EventPattern"),
                targets,
            ));
        }
        let events = property(resource, "Events").and_then(Yaml::as_mapping);
        for (name, event) in events.into_iter().flatten() {
            if event.get("Type").and_then(Yaml::as_str) == Some("EventBridgeRule") {
                let properties = event.get("Properties");
                rules.push((
                    format!("{id}.Events.{}", name.as_str().unwrap_or("?")),
                    properties.and_then(|p| p.get("EventBusName")),
                    properties.and_then(|p| p.get("Pattern")),
                    properties.into_iter().collect(),
                ));
            }
        }
    }
    for (id, bus, pattern, targets) in rules {
        match bus.and_then(referenced) {
            Some((how, bus)) if how == "Ref" => match all.get(&bus) {
                Some(b) if bus_denies_other_publishers(b) => {}
                _ => problems.push(format!(
                    "{id}: bus {bus} has no policy denying publishers outside HrPublisherPrincipalArns"
                )),
            },
            _ => problems.push(format!(
                "{id}: not on a bus of the template (the default bus takes anyone's events)"
            )),
        }
        for field in ["account", "source"] {
            if pattern.and_then(|p| p.get(field)).is_none() {
                problems.push(format!("{id}: the pattern does not match {field}"));
            }
        }
        for target in targets {
            if target.get("Input").is_some() || target.get("InputPath").is_some() {
                problems.push(format!(
                    "{id}: a target passes Input/InputPath, not the envelope"
                ));
                continue;
            }
            let transformer = target.get("InputTransformer");
            let paths: BTreeMap<&str, &str> = transformer
                .and_then(|t| t.get("InputPathsMap"))
                .and_then(Yaml::as_mapping)
                .into_iter()
                .flatten()
                .filter_map(|(k, v)| Some((k.as_str()?, v.as_str()?)))
                .collect();
            let input = transformer
                .and_then(|t| t.get("InputTemplate"))
                .and_then(Yaml::as_str)
                .unwrap_or("")
                .replace(' ', "");
            for (field, path) in [
                ("eventId", "$.id"),
                ("eventSource", "$.source"),
                ("requestedBy", "$.source"),
                ("eventTime", "$.time"),
                ("request", "$.detail"),
            ] {
                let carried = paths
                    .iter()
                    .any(|(var, p)| *p == path && input.contains(&format!("\"{field}\":<{var}>")));
                if !carried {
                    problems.push(format!(
                        "{id}: the InputTransformer does not set {field} from {path}"
                    ));
                }
            }
        }
    }
    problems
}

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
    super::walk_states(machine, &mut |_, state| {
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

/// Every function log group feeds the Okta.Unauthorized and Okta.RateLimited metrics (from the audit record's
/// `outcome`), every such metric and the offboarding failures and the dead-letter queue have an alarm.
pub fn check_alarms(template: &Yaml, audit_source: &str) -> Vec<String> {
    let all = resources(template);
    let kinds: BTreeSet<&str> = ErrorKind::ALL.iter().map(|k| k.name()).collect();
    let mut problems = Vec::new();
    if !audit_source.contains("outcome =") {
        problems.push("the audit record has no outcome field".to_owned());
    }
    let alarms: Vec<&Yaml> = all
        .values()
        .copied()
        .filter(|r| resource_type(r) == "AWS::CloudWatch::Alarm")
        .collect();
    let alarmed = |namespace: &Yaml, metric: &str, dimension: Option<&str>| {
        alarms.iter().any(|alarm| {
            let stats: Vec<&Yaml> = match property(alarm, "Metrics").and_then(Yaml::as_sequence) {
                Some(metrics) => metrics
                    .iter()
                    .filter_map(|m| m.get("MetricStat").and_then(|s| s.get("Metric")))
                    .collect(),
                None => alarm.get("Properties").into_iter().collect(),
            };
            stats.iter().any(|m| {
                m.get("Namespace") == Some(namespace)
                    && m.get("MetricName").and_then(Yaml::as_str) == Some(metric)
                    && dimension.is_none_or(|d| {
                        m.get("Dimensions")
                            .and_then(Yaml::as_sequence)
                            .into_iter()
                            .flatten()
                            .filter_map(|dim| dim.get("Value").and_then(referenced))
                            .any(|(_, id)| id == d)
                    })
            })
        })
    };
    let dashboard = all
        .values()
        .filter(|r| resource_type(r) == "AWS::CloudWatch::Dashboard")
        .filter_map(|r| property(r, "DashboardBody"))
        .map(|body| serde_json::to_string(body).unwrap_or_default())
        .collect::<String>();
    let mut filtered: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for (id, filter) in &all {
        if resource_type(filter) != "AWS::Logs::MetricFilter" {
            continue;
        }
        let pattern = property(filter, "FilterPattern")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        let outcome = pattern
            .split("$.fields.outcome = \"")
            .nth(1)
            .and_then(|rest| rest.split('"').next());
        // Function-log filters read the audit record (or the init line); state-machine filters read the flows'
        // own log events (least_power.rs checks those).
        let on_function_logs = pattern.contains("$.fields.");
        match outcome {
            Some(kind) if kinds.contains(kind) => {}
            // A family of names, `Policy.*`: at least one error name must be in it.
            Some(prefix)
                if prefix
                    .strip_suffix('*')
                    .is_some_and(|prefix| kinds.iter().any(|kind| kind.starts_with(prefix))) => {}
            None if !on_function_logs
                || pattern.contains("$.fields.paced IS TRUE")
                || pattern.contains("$.fields.record = \"init\"") => {}
            _ => problems.push(format!(
                "{id}: the pattern does not match an audit outcome that is an error name"
            )),
        }
        if on_function_logs
            && !pattern.contains("$.fields.record = \"audit\"")
            && !pattern.contains("$.fields.record = \"init\"")
        {
            problems.push(format!("{id}: the pattern does not select audit records"));
        }
        if let Some((_, group)) = property(filter, "LogGroupName").and_then(referenced) {
            filtered
                .entry(group)
                .or_default()
                .insert(outcome.unwrap_or("").to_owned());
        }
        for transformation in property(filter, "MetricTransformations")
            .and_then(Yaml::as_sequence)
            .into_iter()
            .flatten()
        {
            let metric = transformation
                .get("MetricName")
                .and_then(Yaml::as_str)
                .unwrap_or("");
            match transformation.get("MetricNamespace") {
                Some(namespace) if alarmed(namespace, metric, None) => {}
                // Dashboard metrics (issue 25): refusals by name, pacing waits, cold starts.
                _ if !metric.is_empty() && dashboard.contains(metric) => {}
                _ => problems.push(format!("{id}: metric {metric} has no alarm")),
            }
        }
    }
    for (id, function) in &all {
        // The doctor writes no audit record (its findings are its answer); the flow-step function reaches no Okta.
        if resource_type(function) != "AWS::Serverless::Function"
            || super::is_tool(function)
            || id == super::FLOW_STEP_FUNCTION
        {
            continue;
        }
        let group = property(function, "LoggingConfig")
            .and_then(|c| c.get("LogGroup"))
            .and_then(referenced)
            .map(|(_, g)| g);
        for kind in ["Okta.Unauthorized", "Okta.RateLimited"] {
            let covered = group
                .as_ref()
                .and_then(|g| filtered.get(g))
                .is_some_and(|outcomes| outcomes.contains(kind));
            if !covered {
                problems.push(format!("{id}: no metric filter on its logs for {kind}"));
            }
        }
    }
    let states = Yaml::String("AWS/States".into());
    if !alarmed(&states, "ExecutionsFailed", Some("OffboardingStateMachine")) {
        problems.push("no alarm on failed offboarding executions".to_owned());
    }
    let sqs = Yaml::String("AWS/SQS".into());
    if !alarmed(&sqs, "ApproximateNumberOfMessagesVisible", None) {
        problems.push("no alarm on the dead-letter queue".to_owned());
    }
    problems
}

/// Every template parameter is named in the README (its deploy section explains them).
pub fn check_parameters_documented(template: &Yaml, readme: &str) -> Vec<String> {
    template
        .get("Parameters")
        .and_then(Yaml::as_mapping)
        .into_iter()
        .flatten()
        .filter_map(|(name, _)| name.as_str())
        .filter(|name| !readme.contains(&format!("`{name}`")))
        .map(|name| format!("parameter {name} is not in the README"))
        .collect()
}

/// `GET /users/{user}` as the execute-api resource path it is invoked on, `GET/users/x`.
fn invoked_path(route_key: &str) -> String {
    let (method, path) = route_key.split_once(' ').unwrap_or(("", route_key));
    let path: Vec<&str> = path
        .split('/')
        .map(|segment| {
            if segment.starts_with('{') {
                "x"
            } else {
                segment
            }
        })
        .collect();
    format!("{method}{}", path.join("/"))
}

/// IAM's `*` (any characters, `/` included) and `?`.
fn glob(pattern: &str, text: &str) -> bool {
    match pattern.chars().next() {
        None => text.is_empty(),
        Some('*') => (0..=text.len())
            .filter(|i| text.is_char_boundary(*i))
            .any(|i| glob(&pattern[1..], &text[i..])),
        Some(c) => {
            text.chars().next().is_some_and(|t| c == '?' || c == t)
                && glob(
                    &pattern[c.len_utf8()..],
                    &text[text.chars().next().map_or(0, char::len_utf8)..],
                )
        }
    }
}

/// The README's caller policies (JSON blocks whose statements have a Sid): each allows execute-api:Invoke on exactly
/// the routes that caller needs (help desk: read, unlock, reset; HR integration: the flows; admin tooling: all).
pub fn check_caller_policies(template: &Yaml, readme: &str) -> Vec<String> {
    let routes: Vec<String> = routes(template)
        .into_iter()
        .map(|(_, key, _)| key)
        .collect();
    let expected: BTreeMap<&str, BTreeSet<String>> = [
        (
            "HelpDesk",
            routes
                .iter()
                .filter(|r| {
                    r.starts_with("GET /users/")
                        || r.ends_with("/unlock")
                        || r.ends_with("/reset-password")
                })
                .cloned()
                .collect(),
        ),
        (
            "HrIntegration",
            // The user flows, never a bulk run: that is a permission of its own (issue 25).
            routes
                .iter()
                .filter(|r| r.starts_with("POST /flows/") && *r != "POST /flows/bulk")
                .cloned()
                .collect(),
        ),
        ("AdminTooling", routes.iter().cloned().collect()),
    ]
    .into();
    let mut found: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for block in readme.split("```json").skip(1) {
        let text = block.split("```").next().unwrap_or("");
        let Ok(policy) = serde_json::from_str::<Json>(text) else {
            continue;
        };
        for statement in policy
            .get("Statement")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            let (Some(sid), Some("execute-api:Invoke")) = (
                statement.get("Sid").and_then(Json::as_str),
                statement.get("Action").and_then(Json::as_str),
            ) else {
                continue;
            };
            let resources = match statement.get("Resource") {
                Some(Json::String(one)) => vec![one.clone()],
                Some(Json::Array(many)) => many
                    .iter()
                    .filter_map(|r| r.as_str().map(str::to_owned))
                    .collect(),
                _ => Vec::new(),
            };
            found.entry(sid.to_owned()).or_default().extend(resources);
        }
    }
    let mut problems = Vec::new();
    for (caller, want) in &expected {
        let Some(arns) = found.get(*caller) else {
            problems.push(format!("the README has no {caller} policy"));
            continue;
        };
        let mut allowed = BTreeSet::new();
        for arn in arns {
            // arn:aws:execute-api:REGION:ACCOUNT:API_ID/STAGE/METHOD/path
            let pattern = arn
                .splitn(6, ':')
                .nth(5)
                .and_then(|rest| rest.splitn(3, '/').nth(2))
                .unwrap_or("");
            let matched: Vec<&String> = routes
                .iter()
                .filter(|route| glob(pattern, &invoked_path(route)))
                .collect();
            if matched.is_empty() {
                problems.push(format!("{caller}: {arn} matches no route of the template"));
            }
            allowed.extend(matched.into_iter().cloned());
        }
        for route in want.difference(&allowed) {
            problems.push(format!("{caller}: cannot call {route}"));
        }
        for route in allowed.difference(want) {
            problems.push(format!(
                "{caller}: may call {route}, which it does not need"
            ));
        }
    }
    problems
}

// -------------------------------------------------------------------------------------- the real files

fn definitions() -> BTreeMap<String, Json> {
    super::FLOWS
        .iter()
        .map(|flow| (format!("infra/{flow}.asl.json"), asl(flow).1))
        .collect()
}

#[test]
fn every_route_requires_its_scope_in_jwt_mode() {
    super::assert_none(check_route_scopes(&template()));
}

#[test]
fn integrations_give_up_before_the_functions() {
    super::assert_none(check_integration_timeouts(&template()));
}

#[test]
fn every_rule_is_on_a_bus_only_hr_publishers_can_put_to() {
    super::assert_none(check_event_rules(&template()));
}

#[test]
fn every_api_flow_start_carries_an_event_id_and_the_caller() {
    super::assert_none(check_api_flow_starts(&template()));
}

#[test]
fn every_route_and_rule_starts_its_flow_with_a_role_for_that_flow_only() {
    super::assert_none(check_start_roles(&template()));
}

#[test]
fn no_state_machine_role_starts_flows_it_does_not_need() {
    super::assert_none(check_state_machine_roles(&template(), &definitions()));
}

#[test]
fn the_alarms_watch_offboarding_the_queue_and_okta_errors() {
    super::assert_none(check_alarms(
        &template(),
        &read("shared/src/lambda/audit.rs"),
    ));
}

#[test]
fn the_readme_names_every_parameter_and_its_caller_policies_fit_the_routes() {
    let readme = okta_lifecycle_tests::documentation();
    super::assert_none(check_parameters_documented(&template(), &readme));
    super::assert_none(check_caller_policies(&template(), &readme));
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
        super::USER_FLOWS.len() - super::API_ONLY_USER_FLOWS.len(),
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
    assert_eq!(starts, super::FLOWS.len(), "one API route per flow");
}

// ------------------------------------------------------------------------ the checks fail on broken input

const BROKEN: &str = r#"
Parameters:
  JwtReadScope: {Type: String}
  Documented: {Type: String}
  Undocumented: {Type: String}
Globals:
  Function: {Timeout: 10}
Resources:
  Reader:
    Type: AWS::Serverless::Function
    Properties:
      LoggingConfig: {LogGroup: !Ref ReaderLogs}
  ReaderLogs: {Type: AWS::Logs::LogGroup}
  ReaderUnauthorized:
    Type: AWS::Logs::MetricFilter
    Properties:
      LogGroupName: !Ref ReaderLogs
      FilterPattern: '{ $.fields.outcome = "Okta.Nope" }'
      MetricTransformations: [{MetricNamespace: ns, MetricName: Lonely}]
  ReaderIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {IntegrationUri: !GetAtt Reader.Arn, TimeoutInMillis: 29000}
  ReadRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties:
      RouteKey: GET /users/{user}
      AuthorizationType: !If [UseJwt, JWT, AWS_IAM]
      AuthorizationScopes: !If [UseJwt, [!Ref JwtLifecycleScope], !Ref AWS::NoValue]
  UnlockRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {RouteKey: "POST /users/{user}/unlock", AuthorizationType: NONE}
  DeactivateRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {RouteKey: "POST /users/{user}/deactivate"}
  FlowIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties:
      IntegrationSubtype: StepFunctions-StartExecution
      RequestParameters: {Input: $request.body}
  Bus: {Type: AWS::Events::EventBus, Properties: {Name: hr}}
  Rule:
    Type: AWS::Events::Rule
    Properties:
      EventBusName: !Ref Bus
      EventPattern: {source: [hr.system]}
      Targets: [{Arn: !Ref Machine, RoleArn: !GetAtt WideRole.Arn, InputPath: $.detail}]
  WideRole:
    Type: AWS::IAM::Role
    Properties:
      Policies:
        - PolicyDocument:
            Statement: [{Effect: Allow, Action: states:StartExecution, Resource: [!Ref Machine, !Ref Other]}]
  Machine:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/return.asl.json
      Policies:
        - StepFunctionsExecutionPolicy: {StateMachineName: other}
        - Statement: [{Effect: Allow, Action: iam:PassRole, Resource: "*"}]
      Events:
        Hr:
          Type: EventBridgeRule
          Properties: {Pattern: {account: [1], source: [hr.system]}, InputPath: $.detail}
"#;

fn broken() -> Yaml {
    serde_norway::from_str(BROKEN).expect("the broken example parses")
}

#[test]
fn entry_point_checks_fail_on_broken_example() {
    let template = broken();
    super::expect_problems(
        &check_route_scopes(&template),
        &[
            "parameter JwtFlowsScope is missing",
            "ReadRoute (GET /users/{user}): scopes [\"JwtLifecycleScope\"], expected [\"JwtReadScope\"]",
            "UnlockRoute (POST /users/{user}/unlock): AuthorizationType is not",
            "UnlockRoute (POST /users/{user}/unlock): no AuthorizationScopes",
        ],
    );
    super::expect_problems(
        &check_integration_timeouts(&template),
        &["ReaderIntegration: TimeoutInMillis Some(29000) is not below Reader's Timeout of 10 s"],
    );
    super::expect_problems(
        &check_event_rules(&template),
        &[
            "Rule: bus Bus has no policy denying publishers",
            "Rule: the pattern does not match account",
            "Rule: a target passes Input/InputPath",
            "Machine.Events.Hr: not on a bus of the template",
            "Machine.Events.Hr: a target passes Input/InputPath",
        ],
    );
    super::expect_problems(
        &check_api_flow_starts(&template),
        &[
            "FlowIntegration: Name is not $context.requestId",
            "FlowIntegration: Input lacks \"eventId\":\"$context.requestId\"",
            "FlowIntegration: Input lacks \"requestedBy\"",
            "FlowIntegration: Input does not start with the body",
        ],
    );
    super::expect_problems(
        &check_start_roles(&template),
        &[
            "Rule: starts Some(\"Machine\") with role Some(\"WideRole\"), which may start {\"Machine\", \"Other\"}",
            "FlowIntegration: starts None with role None",
        ],
    );
    super::expect_problems(
        &check_state_machine_roles(&template, &definitions()),
        &[
            "Machine: its role may start executions (StepFunctionsExecutionPolicy (SAM policy template))",
            "Machine: its role may pass roles (iam:PassRole)",
        ],
    );
    super::expect_problems(
        &check_alarms(&template, "no such field"),
        &[
            "the audit record has no outcome field",
            "ReaderUnauthorized: the pattern does not match an audit outcome",
            "ReaderUnauthorized: the pattern does not select audit records",
            "ReaderUnauthorized: metric Lonely has no alarm",
            "Reader: no metric filter on its logs for Okta.RateLimited",
            "no alarm on failed offboarding executions",
            "no alarm on the dead-letter queue",
        ],
    );
    super::expect_problems(
        &check_parameters_documented(&template, "`JwtReadScope` and `Documented`"),
        &["parameter Undocumented is not in the README"],
    );
}

#[test]
fn caller_policy_check_fails_on_broken_readme() {
    let template = broken();
    let readme = r#"
```json
{"Statement": [
  {"Sid": "HelpDesk", "Effect": "Allow", "Action": "execute-api:Invoke",
   "Resource": ["arn:aws:execute-api:R:A:API/*/GET/users/*", "arn:aws:execute-api:R:A:API/*/POST/users/*"]},
  {"Sid": "HrIntegration", "Effect": "Allow", "Action": "execute-api:Invoke",
   "Resource": "arn:aws:execute-api:R:A:API/*/POST/flows/*"}
]}
```
"#;
    super::expect_problems(
        &check_caller_policies(&template, readme),
        &[
            "the README has no AdminTooling policy",
            "HrIntegration: arn:aws:execute-api:R:A:API/*/POST/flows/* matches no route",
            "HelpDesk: may call POST /users/{user}/deactivate, which it does not need",
        ],
    );
    let wide = check_caller_policies(&template, readme);
    assert!(
        !wide.iter().any(|p| p.contains("HelpDesk: cannot call")),
        "{wide:#?}"
    );
    assert!(glob("GET/users/*", "GET/users/x"));
    assert!(glob("*", "POST/users/x/unlock"));
    assert!(!glob("GET/users/*", "POST/users/x"));
}
