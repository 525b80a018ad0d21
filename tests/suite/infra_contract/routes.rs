//! The HTTP routes: each targets an integration that invokes a function of the template (and each action has a
//! route), requires its own scope in JWT mode, and gives up before the function it calls.

use std::collections::BTreeSet;

use serde_norway::Value as Yaml;

use super::broken_examples::{broken_entry_points, broken_template};
use super::{
    FLOW_STEP_FUNCTION, assert_none, expect_problems, if_branches, intrinsic, is_no_value, is_tool,
    property, referenced, resource_type, resources, template,
};

/// Every HTTP route targets an integration that exists, which invokes a template function or starts a template
/// state machine; every function has a route.
fn check_routes(template: &Yaml) -> Vec<String> {
    let resources = resources(template);
    let mut problems = Vec::new();
    let mut routed = BTreeSet::new();
    for (id, route) in &resources {
        if resource_type(route) != "AWS::ApiGatewayV2::Route" {
            continue;
        }
        let target = property(route, "Target").and_then(intrinsic);
        let integration = match target {
            Some((tag, Yaml::String(text))) if tag == "Sub" => text
                .strip_prefix("integrations/${")
                .and_then(|rest| rest.strip_suffix('}'))
                .map(str::to_owned),
            _ => None,
        };
        let Some(integration) = integration else {
            problems.push(format!(
                "{id}: Target is not !Sub integrations/${{<integration>}}"
            ));
            continue;
        };
        let Some(integration_resource) = resources.get(&integration) else {
            problems.push(format!("{id}: integration {integration} does not exist"));
            continue;
        };
        if let Some((how, function)) =
            property(integration_resource, "IntegrationUri").and_then(referenced)
        {
            match resources.get(&function) {
                Some(f)
                    if how == "GetAtt.Arn" && resource_type(f) == "AWS::Serverless::Function" =>
                {
                    routed.insert(function);
                }
                _ => problems.push(format!(
                    "{id}: {integration} invokes {function}, which is not a function"
                )),
            }
        } else if let Some((_, machine)) = property(integration_resource, "RequestParameters")
            .and_then(|p| p.get("StateMachineArn"))
            .and_then(referenced)
        {
            if resources.get(&machine).map(|m| resource_type(m))
                != Some("AWS::Serverless::StateMachine")
            {
                problems.push(format!(
                    "{id}: {integration} starts {machine}, which is not a state machine"
                ));
            }
        } else {
            problems.push(format!(
                "{id}: {integration} targets neither a function nor a state machine"
            ));
        }
    }
    for (id, resource) in &resources {
        // The flow-step function is called by the state machines only.
        if resource_type(resource) != "AWS::Serverless::Function" || id == FLOW_STEP_FUNCTION {
            continue;
        }
        match (is_tool(resource), routed.contains(id)) {
            (false, false) => problems.push(format!("function {id} has no HTTP route")),
            (true, true) => problems.push(format!("tool function {id} has an HTTP route")),
            _ => {}
        }
    }
    problems
}

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

pub fn routes(template: &Yaml) -> Vec<(String, String, &Yaml)> {
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

#[test]
fn every_route_targets_something_that_exists() {
    assert_none(check_routes(&template()));
}

#[test]
fn route_check_fails_on_broken_example() {
    let problems = check_routes(&broken_template());
    expect_problems(
        &problems,
        &[
            "GetUserRoute: integration NoIntegration does not exist",
            "OtherRoute: OtherIntegration invokes Flow, which is not a function",
            "function GetUserFunction has no HTTP route",
        ],
    );
}

#[test]
fn every_route_requires_its_scope_in_jwt_mode() {
    assert_none(check_route_scopes(&template()));
}

#[test]
fn integrations_give_up_before_the_functions() {
    assert_none(check_integration_timeouts(&template()));
}

#[test]
fn route_scope_and_timeout_checks_fail_on_broken_example() {
    let template = broken_entry_points();
    expect_problems(
        &check_route_scopes(&template),
        &[
            "parameter JwtFlowsScope is missing",
            "ReadRoute (GET /users/{user}): scopes [\"JwtLifecycleScope\"], expected [\"JwtReadScope\"]",
            "UnlockRoute (POST /users/{user}/unlock): AuthorizationType is not",
            "UnlockRoute (POST /users/{user}/unlock): no AuthorizationScopes",
        ],
    );
    expect_problems(
        &check_integration_timeouts(&template),
        &["ReaderIntegration: TimeoutInMillis Some(29000) is not below Reader's Timeout of 10 s"],
    );
}
