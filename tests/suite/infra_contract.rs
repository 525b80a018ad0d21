//! The contract between the Rust code and the infrastructure files: `template.yaml` (AWS SAM) and
//! `infra/*.asl.json` (Step Functions). Each check returns the problems it finds, so that it can be run both on
//! the real files and on small broken examples (which must make it fail).
//!
//! One file per concern under `infra_contract/`, each check beside the broken example that proves it can fail:
//! - `alarms`: the alarms and metric filters
//! - `broken_examples`: broken templates several checks share
//! - `bulk_role`: the bulk flow's role
//! - `callers`: the README's parameters and caller policies
//! - `deploy`: the one-command deploy
//! - `errors_and_retries`: error names, Retry and Catch in the flows
//! - `event_rules`: the HR event rules and their bus
//! - `flow_shape`: the flows' state budgets and timeouts (issue 24)
//! - `flow_starts`: what a started flow receives and who may start it
//! - `foreach`: Fn::ForEach expansion, so the checks read the template as deployed
//! - `functions`: function folders, template functions and actions
//! - `least_power`: least power (issue 25)
//! - `ledger`: the ledger and the lease (issue 9)
//! - `routes`: the HTTP routes
//! - `runbook`: the runbook covers every alarm and flow error
//! - `settings`: guardrail and pacing settings
//! - `substitutions`: the ASL placeholders and DefinitionSubstitutions
//! - `tool_functions`: the tools (the doctor)
//!
//! This file holds what they share: reading the files and the template helpers.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde_json::Value as Json;
use serde_norway::Value as Yaml;

#[path = "infra_contract/alarms.rs"]
mod alarms;
#[path = "infra_contract/broken_examples.rs"]
mod broken_examples;
#[path = "infra_contract/bulk_role.rs"]
mod bulk_role;
#[path = "infra_contract/callers.rs"]
mod callers;
#[path = "infra_contract/completion.rs"]
mod completion;
#[path = "infra_contract/deploy.rs"]
mod deploy;
#[path = "infra_contract/errors_and_retries.rs"]
mod errors_and_retries;
#[path = "infra_contract/event_rules.rs"]
mod event_rules;
#[path = "infra_contract/flow_shape.rs"]
mod flow_shape;
#[path = "infra_contract/flow_starts.rs"]
mod flow_starts;
#[path = "infra_contract/foreach.rs"]
mod foreach;
#[path = "infra_contract/functions.rs"]
mod functions;
#[path = "infra_contract/least_power.rs"]
mod least_power;
#[path = "infra_contract/ledger.rs"]
mod ledger;
#[path = "infra_contract/routes.rs"]
mod routes;
#[path = "infra_contract/runbook.rs"]
mod runbook;
#[path = "infra_contract/settings.rs"]
mod settings;
#[path = "infra_contract/substitutions.rs"]
mod substitutions;
#[path = "infra_contract/tool_functions.rs"]
mod tool_functions;

/// Function folders that are not actions: tools an operator invokes directly (the read-only doctor). They have no
/// route, no audit record and no part in pacing; `check_tool_functions` holds them to their own rules.
const TOOL_FUNCTIONS: [&str; 1] = [okta_lifecycle::doctor::FUNCTION];

/// Whether a template function is one of the tools (by its CodeUri folder).
fn is_tool(function: &Yaml) -> bool {
    property(function, "CodeUri")
        .and_then(Yaml::as_str)
        .and_then(|uri| uri.trim_end_matches('/').strip_prefix("functions/"))
        .is_some_and(|folder| TOOL_FUNCTIONS.contains(&folder))
}

const FLOWS: [&str; 7] = [
    "onboarding",
    "offboarding",
    "leave",
    "return",
    "move",
    "undo-move",
    "bulk",
];
/// The flows that act on one user: each records its event, takes the user's lease and has an HR rule. The bulk flow
/// starts them, one per user.
const USER_FLOWS: [&str; 6] = [
    "onboarding",
    "offboarding",
    "leave",
    "return",
    "move",
    "undo-move",
];
/// The user flows no HR event starts (issue 27: an undo names a mover execution, which no HR system knows).
const API_ONLY_USER_FLOWS: [&str; 1] = ["undo-move"];
const LAMBDA_INVOKE: &str = "arn:aws:states:::lambda:invoke";
/// The flows' decisions (issue 24, shared/src/flows/): a function of the template that is not an Okta action. It
/// talks to neither Okta nor AWS, so it has no route, no secret, no rate-limit table and no Okta metric filters, and
/// the state machines call it with the Lambda retries only.
const FLOW_STEP_FUNCTION: &str = "FlowStepFunction";
const FLOW_STEP_ARN: &str = "${FlowStepFunctionArn}";
const FLOW_STEP_FOLDER: &str = "flow-step";
const LAMBDA_ERRORS: [&str; 4] = [
    "Lambda.ServiceException",
    "Lambda.AWSLambdaException",
    "Lambda.SdkClientException",
    "Lambda.TooManyRequestsException",
];

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..")
}

fn read(relative: &str) -> String {
    let path = root().join(relative);
    std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("cannot read {}: {error}", path.display()))
}

/// The template as CloudFormation deploys it: its `Fn::ForEach` loops expanded.
fn template() -> Yaml {
    foreach::expand(
        serde_norway::from_str(&read("template.yaml"))
            .unwrap_or_else(|error| panic!("template.yaml: {error}")),
    )
}

fn asl(flow: &str) -> (String, Json) {
    let text = read(&format!("infra/{flow}.asl.json"));
    let json = serde_json::from_str(&text)
        .unwrap_or_else(|error| panic!("infra/{flow}.asl.json: {error}"));
    (text, json)
}

fn function_folders() -> BTreeSet<String> {
    std::fs::read_dir(root().join("functions"))
        .unwrap_or_else(|error| panic!("functions/: {error}"))
        .filter_map(Result::ok)
        .filter(|entry| entry.path().join("Cargo.toml").is_file())
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .collect()
}

fn assert_none(problems: Vec<String>) {
    assert!(
        problems.is_empty(),
        "{} problem(s):\n  {}",
        problems.len(),
        problems.join("\n  ")
    );
}

fn resources(template: &Yaml) -> BTreeMap<String, &Yaml> {
    template
        .get("Resources")
        .and_then(Yaml::as_mapping)
        .map(|map| {
            map.iter()
                .filter_map(|(key, value)| Some((key.as_str()?.to_owned(), value)))
                .collect()
        })
        .unwrap_or_default()
}

fn resource_type(resource: &Yaml) -> &str {
    resource.get("Type").and_then(Yaml::as_str).unwrap_or("")
}

fn property<'a>(resource: &'a Yaml, name: &str) -> Option<&'a Yaml> {
    resource
        .get("Properties")
        .and_then(|properties| properties.get(name))
}

/// `!Tag value` (or the long form `{"Fn::Tag": value}` / `{"Ref": value}`) as (tag, value).
fn intrinsic(value: &Yaml) -> Option<(String, &Yaml)> {
    match value {
        Yaml::Tagged(tagged) => Some((
            tagged.tag.to_string().trim_start_matches('!').to_owned(),
            &tagged.value,
        )),
        Yaml::Mapping(map) if map.len() == 1 => {
            let (key, inner) = map.iter().next()?;
            let key = key.as_str()?;
            let name = key.strip_prefix("Fn::").or((key == "Ref").then_some(key))?;
            Some((name.to_owned(), inner))
        }
        _ => None,
    }
}

/// The logical id that `!GetAtt X.Arn` or `!Ref X` names.
fn referenced(value: &Yaml) -> Option<(String, String)> {
    let (tag, inner) = intrinsic(value)?;
    match tag.as_str() {
        "Ref" => Some(("Ref".into(), inner.as_str()?.to_owned())),
        "GetAtt" => {
            let text = match inner {
                Yaml::String(text) => text.clone(),
                Yaml::Sequence(items) => items
                    .iter()
                    .filter_map(Yaml::as_str)
                    .collect::<Vec<_>>()
                    .join("."),
                _ => return None,
            };
            let (id, attribute) = text.split_once('.')?;
            Some((format!("GetAtt.{attribute}"), id.to_owned()))
        }
        _ => None,
    }
}

/// Calls `visit(name, state)` for every state, in Map iterations and Parallel branches too.
fn walk_states<'a>(machine: &'a Json, visit: &mut dyn FnMut(&'a str, &'a Json)) {
    let Some(states) = machine.get("States").and_then(Json::as_object) else {
        return;
    };
    for (name, state) in states {
        visit(name, state);
        for key in ["ItemProcessor", "Iterator"] {
            if let Some(inner) = state.get(key) {
                walk_states(inner, visit);
            }
        }
        for branch in state
            .get("Branches")
            .and_then(Json::as_array)
            .into_iter()
            .flatten()
        {
            walk_states(branch, visit);
        }
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

fn strings(value: &Yaml) -> Vec<&str> {
    match value {
        Yaml::String(text) => vec![text.as_str()],
        Yaml::Sequence(items) => items.iter().filter_map(Yaml::as_str).collect(),
        _ => Vec::new(),
    }
}

fn names(list: &Json) -> Vec<&str> {
    list.get("ErrorEquals")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect()
}

#[test]
fn template_parses_with_short_tags() {
    let template = template();
    let resources = resources(&template);
    assert!(
        resources.len() > 13,
        "template.yaml has {} resources",
        resources.len()
    );
    // `!GetAtt X.Arn` stays a tagged value that the checks can read.
    let parsed: Yaml = serde_norway::from_str(
        "a: !GetAtt GetUserFunction.Arn\nb: !If [C, !Ref X, !Ref AWS::NoValue]",
    )
    .expect("short tags parse");
    assert_eq!(
        referenced(parsed.get("a").expect("a")),
        Some(("GetAtt.Arn".into(), "GetUserFunction".into()))
    );
    assert_eq!(
        intrinsic(parsed.get("b").expect("b")).map(|(tag, _)| tag),
        Some("If".into())
    );
}

fn expect_problems(problems: &[String], fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            problems.iter().any(|problem| problem.contains(fragment)),
            "no problem mentions {fragment:?}; got {problems:#?}"
        );
    }
}

/// A string of the template, `!Sub` or not.
fn text_of(value: &Yaml) -> Option<String> {
    match intrinsic(value) {
        Some((tag, inner)) if tag == "Sub" => inner.as_str().map(str::to_owned),
        Some(_) => None,
        None => value.as_str().map(str::to_owned),
    }
}

fn policy_statements(resource: &Yaml) -> impl Iterator<Item = &Yaml> {
    property(resource, "Policies")
        .and_then(Yaml::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(|policy| policy.get("Statement").and_then(Yaml::as_sequence))
        .flatten()
}

/// An Action or Resource entry as strings; `!Ref` to a state machine as the ARN it stands for.
fn one_or_many(value: Option<&Yaml>, template: &Yaml) -> Vec<String> {
    let one = |value: &Yaml| {
        match referenced(value) {
        Some((tag, id)) if tag == "Ref" => resources(template)
            .get(&id)
            .filter(|resource| resource_type(resource) == "AWS::Serverless::StateMachine")
            .and_then(|resource| property(resource, "Name"))
            .and_then(text_of)
            .map(|name| {
                format!("arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:stateMachine:{name}")
            }),
        _ => text_of(value),
    }
    };
    match value {
        Some(Yaml::Sequence(items)) => items.iter().filter_map(one).collect(),
        Some(value) => one(value).into_iter().collect(),
        None => Vec::new(),
    }
}
