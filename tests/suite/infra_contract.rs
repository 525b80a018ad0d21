//! The contract between the Rust code and the infrastructure files: `template.yaml` (AWS SAM) and
//! `infra/*.asl.json` (Step Functions). Each check returns the problems it finds, so that it can be run both on
//! the real files and on small broken examples (which must make it fail).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use okta_lifecycle::{Action, ErrorKind};
use serde_json::Value as Json;
use serde_norway::Value as Yaml;

#[path = "infra_contract/completion.rs"]
mod completion;
#[path = "infra_contract/deploy.rs"]
mod deploy;
#[path = "infra_contract/entry_points.rs"]
mod entry_points;
#[path = "infra_contract/foreach.rs"]
mod foreach;
#[path = "infra_contract/least_power.rs"]
mod least_power;
#[path = "infra_contract/runbook.rs"]
mod runbook;

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

// ------------------------------------------------------------------------------------------ template helpers

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

fn placeholders(text: &str) -> BTreeSet<String> {
    let mut found = BTreeSet::new();
    let mut rest = text;
    while let Some(start) = rest.find("${") {
        rest = &rest[start + 2..];
        match rest.find('}') {
            Some(end) => {
                found.insert(rest[..end].to_owned());
                rest = &rest[end + 1..];
            }
            None => break,
        }
    }
    found
}

// ------------------------------------------------------------------------------------------------- checks

/// Every `${...}` of the flow's ASL has a DefinitionSubstitutions entry in the state machine whose DefinitionUri
/// is the file, every entry is used, and each points at a resource that exists (functions through `!GetAtt X.Arn`).
fn check_substitutions(template: &Yaml, flow: &str, asl_text: &str) -> Vec<String> {
    let mut problems = Vec::new();
    let resources = resources(template);
    let uri = format!("infra/{flow}.asl.json");
    let machines: Vec<_> = resources
        .iter()
        .filter(|(_, resource)| resource_type(resource) == "AWS::Serverless::StateMachine")
        .filter(|(_, resource)| {
            property(resource, "DefinitionUri").and_then(Yaml::as_str) == Some(uri.as_str())
        })
        .collect();
    let [(machine, resource)] = machines.as_slice() else {
        return vec![format!(
            "{} state machines have DefinitionUri {uri}, not one",
            machines.len()
        )];
    };
    let substitutions: BTreeMap<String, &Yaml> = property(resource, "DefinitionSubstitutions")
        .and_then(Yaml::as_mapping)
        .map(|map| {
            map.iter()
                .filter_map(|(k, v)| Some((k.as_str()?.to_owned(), v)))
                .collect()
        })
        .unwrap_or_default();
    let used = placeholders(asl_text);
    for name in &used {
        if !substitutions.contains_key(name) {
            problems.push(format!(
                "{uri}: ${{{name}}} has no DefinitionSubstitutions entry in {machine}"
            ));
        }
    }
    for (name, value) in &substitutions {
        if !used.contains(name) {
            problems.push(format!(
                "{machine}: substitution {name} is not used in {uri}"
            ));
        }
        let Some((how, target)) = referenced(value) else {
            problems.push(format!(
                "{machine}: substitution {name} is not a !Ref or !GetAtt"
            ));
            continue;
        };
        let is_parameter = how == "Ref"
            && template
                .get("Parameters")
                .and_then(|parameters| parameters.get(target.as_str()))
                .is_some();
        if is_parameter {
            continue;
        }
        let Some(target_resource) = resources.get(&target) else {
            problems.push(format!(
                "{machine}: substitution {name} names {target}, which is not a resource nor a parameter"
            ));
            continue;
        };
        if name.ends_with("FunctionArn")
            && (how != "GetAtt.Arn"
                || resource_type(target_resource) != "AWS::Serverless::Function")
        {
            problems.push(format!(
                "{machine}: substitution {name} must be !GetAtt <function>.Arn, not {how} {target}"
            ));
        }
    }
    problems
}

/// Every function folder has exactly one template function (matched by CodeUri) and the reverse; every function
/// is built with cargo-lambda, naming its own binary.
fn check_functions(template: &Yaml, folders: &BTreeSet<String>) -> Vec<String> {
    let mut problems = Vec::new();
    let mut by_folder: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for (id, resource) in resources(template) {
        if resource_type(resource) != "AWS::Serverless::Function" {
            continue;
        }
        let code_uri = property(resource, "CodeUri")
            .and_then(Yaml::as_str)
            .unwrap_or("");
        match code_uri.trim_end_matches('/').strip_prefix("functions/") {
            Some(folder) => {
                // SAM copies target/lambda/<Binary>/bootstrap: the binary must be the folder's.
                let binary = resource
                    .get("Metadata")
                    .and_then(|m| m.get("BuildProperties"))
                    .and_then(|p| p.get("Binary"))
                    .and_then(Yaml::as_str);
                if binary != Some(folder) {
                    problems.push(format!(
                        "{id}: Metadata.BuildProperties.Binary is {binary:?}, not {folder:?}"
                    ));
                }
                by_folder
                    .entry(folder.to_owned())
                    .or_default()
                    .push(id.clone());
            }
            None => problems.push(format!(
                "{id}: CodeUri {code_uri:?} is not functions/<name>"
            )),
        }
        let build = resource
            .get("Metadata")
            .and_then(|m| m.get("BuildMethod"))
            .and_then(Yaml::as_str);
        if build != Some("rust-cargolambda") {
            problems.push(format!(
                "{id}: Metadata.BuildMethod is {build:?}, not rust-cargolambda"
            ));
        }
    }
    for folder in folders {
        match by_folder.get(folder).map(Vec::len) {
            Some(1) => {}
            Some(n) => problems.push(format!("functions/{folder} has {n} template functions")),
            None => problems.push(format!("functions/{folder} has no template function")),
        }
    }
    for (folder, ids) in &by_folder {
        if !folders.contains(folder) {
            problems.push(format!(
                "{} has CodeUri functions/{folder}, which is not a function folder",
                ids.join(", ")
            ));
        }
    }
    problems
}

/// Every action has a function folder of its name, and every folder is an action.
fn check_actions(folders: &BTreeSet<String>) -> Vec<String> {
    let names: BTreeSet<String> = Action::ALL
        .iter()
        .map(|action| action.name().to_owned())
        .collect();
    let folders: BTreeSet<String> = folders
        .iter()
        .filter(|folder| !TOOL_FUNCTIONS.contains(&folder.as_str()))
        .cloned()
        .collect();
    let mut problems: Vec<String> = names
        .difference(&folders)
        .map(|name| format!("action {name} has no folder functions/{name}"))
        .collect();
    problems.extend(
        folders
            .difference(&names)
            .filter(|name| name.as_str() != FLOW_STEP_FOLDER)
            .map(|name| format!("functions/{name} is not an action")),
    );
    problems
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

fn names(list: &Json) -> Vec<&str> {
    list.get("ErrorEquals")
        .and_then(Json::as_array)
        .into_iter()
        .flatten()
        .filter_map(Json::as_str)
        .collect()
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

// -------------------------------------------------------------------------------------- the real files

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

#[test]
fn every_placeholder_is_substituted() {
    let template = template();
    for flow in FLOWS {
        let (text, _) = asl(flow);
        assert_none(check_substitutions(&template, flow, &text));
    }
}

#[test]
fn functions_folders_and_actions_match() {
    let folders = function_folders();
    assert_none(check_functions(&template(), &folders));
    assert_none(check_actions(&folders));
}

#[test]
fn error_names_and_retries_follow_error_kinds() {
    for flow in FLOWS {
        let (_, machine) = asl(flow);
        assert_none(check_errors(flow, &machine));
    }
}

#[test]
fn every_route_targets_something_that_exists() {
    assert_none(check_routes(&template()));
}

#[test]
fn every_asl_file_is_a_flow_of_the_template() {
    let files: BTreeSet<String> = std::fs::read_dir(root().join("infra"))
        .expect("infra/")
        .filter_map(Result::ok)
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".asl.json"))
        .collect();
    let expected: BTreeSet<String> = FLOWS
        .iter()
        .map(|flow| format!("{flow}.asl.json"))
        .collect();
    assert_eq!(files, expected);
}

// ------------------------------------------------------------------------------------- issue 9: the ledger

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

// ------------------------------------------------------------------------ the checks fail on broken input

const BROKEN_TEMPLATE: &str = r#"
Resources:
  GetUserFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: go1.x}
    Properties: {CodeUri: functions/get-user}
  StrayFunction:
    Type: AWS::Serverless::Function
    Metadata: {BuildMethod: rust-cargolambda, BuildProperties: {Binary: get-user}}
    Properties: {CodeUri: functions/no-such-folder}
  Flow:
    Type: AWS::Serverless::StateMachine
    Properties:
      DefinitionUri: infra/onboarding.asl.json
      DefinitionSubstitutions:
        GetUserFunctionArn: !GetAtt MissingFunction.Arn
        UnusedFunctionArn: !Ref GetUserFunction
  GetUserRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {Target: !Sub "integrations/${NoIntegration}"}
  OtherRoute:
    Type: AWS::ApiGatewayV2::Route
    Properties: {Target: !Sub "integrations/${OtherIntegration}"}
  OtherIntegration:
    Type: AWS::ApiGatewayV2::Integration
    Properties: {IntegrationUri: !GetAtt Flow.Arn}
"#;

fn broken_template() -> Yaml {
    serde_norway::from_str(BROKEN_TEMPLATE).expect("the broken example parses")
}

fn expect_problems(problems: &[String], fragments: &[&str]) {
    for fragment in fragments {
        assert!(
            problems.iter().any(|problem| problem.contains(fragment)),
            "no problem mentions {fragment:?}; got {problems:#?}"
        );
    }
}

#[test]
fn substitution_check_fails_on_broken_example() {
    let asl = r#"{"x": "${GetUserFunctionArn}", "y": "${ActivateUserFunctionArn}"}"#;
    let problems = check_substitutions(&broken_template(), "onboarding", asl);
    expect_problems(
        &problems,
        &[
            "${ActivateUserFunctionArn} has no DefinitionSubstitutions entry",
            "UnusedFunctionArn is not used",
            "names MissingFunction, which is not a resource",
            "UnusedFunctionArn must be !GetAtt <function>.Arn",
        ],
    );
    let none = check_substitutions(&broken_template(), "leave", asl);
    expect_problems(
        &none,
        &["0 state machines have DefinitionUri infra/leave.asl.json"],
    );
}

#[test]
fn function_check_fails_on_broken_example() {
    let folders: BTreeSet<String> = ["get-user", "suspend-user"].map(String::from).into();
    let problems = check_functions(&broken_template(), &folders);
    expect_problems(
        &problems,
        &[
            "functions/suspend-user has no template function",
            "StrayFunction has CodeUri functions/no-such-folder",
            "GetUserFunction: Metadata.BuildMethod",
            "StrayFunction: Metadata.BuildProperties.Binary is Some(\"get-user\")",
        ],
    );
    let actions = check_actions(&["get-user", "frobnicate-user"].map(String::from).into());
    expect_problems(
        &actions,
        &[
            "action suspend-user has no folder",
            "functions/frobnicate-user is not an action",
        ],
    );
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

// ------------------------------------------------------------------------------- guardrail settings

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

/// A string of the template, `!Sub` or not.
fn text_of(value: &Yaml) -> Option<String> {
    match intrinsic(value) {
        Some((tag, inner)) if tag == "Sub" => inner.as_str().map(str::to_owned),
        Some(_) => None,
        None => value.as_str().map(str::to_owned),
    }
}

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

// ------------------------------------------------------------------ issue 24: flows that read like the runbook

/// The generated flows (infra/generate.py) and their state budgets (issue 24): the runbook, not bookkeeping.
/// Onboarding was 82 states, offboarding 105, leave 50, return 49, bulk 48 (now 25: its ceiling keeps the shrink).
/// The completion announcements of issue 27 (one `events:putEvents` task before each of the wrapper's six ends) are
/// counted apart, by `check_flow_shape`: they are what the flow tells the world, not reshaping.
const STATE_BUDGETS: [(&str, usize); 7] = [
    ("offboarding", 40),
    ("leave", 30),
    ("return", 30),
    ("onboarding", 35),
    ("bulk", 26),
    ("move", 42),
    ("undo-move", 46),
];

/// At most `budget` states besides the completion announcements (Map iterations and Parallel branches included),
/// and no Pass state but a named end
/// state: reshaping belongs to the flow-step function, so Pass chains cannot grow back. Every flow has a
/// TimeoutSeconds (its leases expire then).
fn check_flow_shape(flow: &str, machine: &Json, budget: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut count = 0;
    walk_states(machine, &mut |name, state| {
        let announces = state.get("Resource").and_then(Json::as_str)
            == Some("arn:aws:states:::events:putEvents");
        if !announces {
            count += 1;
        }
        let ends = state.get("End") == Some(&Json::Bool(true));
        if state.get("Type").and_then(Json::as_str) == Some("Pass") && !ends {
            problems.push(format!(
                "{flow}/{name}: a Pass state that is not an end state"
            ));
        }
    });
    if count > budget {
        problems.push(format!("{flow}: {count} states, more than {budget}"));
    }
    if machine
        .get("TimeoutSeconds")
        .and_then(Json::as_u64)
        .is_none()
    {
        problems.push(format!("{flow}: no TimeoutSeconds"));
    }
    problems
}

#[test]
fn rewritten_flows_keep_their_state_budget_and_no_pass_chains() {
    for (flow, budget) in STATE_BUDGETS {
        let (_, machine) = asl(flow);
        assert_none(check_flow_shape(flow, &machine, budget));
    }
}

/// Issue 24: every flow, generated or not, has a TimeoutSeconds: an execution cannot run (and hold a user's lease)
/// for ever.
#[test]
fn every_flow_has_a_timeout() {
    for flow in FLOWS {
        let (_, machine) = asl(flow);
        assert!(
            machine
                .get("TimeoutSeconds")
                .and_then(Json::as_u64)
                .is_some(),
            "{flow}: no TimeoutSeconds"
        );
    }
}

#[test]
fn flow_shape_check_fails_on_broken_example() {
    let broken = serde_json::json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Map", "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Pass", "Next": "D"}, "D": {"Type": "Succeed"}}}, "Next": "E"},
        "E": {"Type": "Pass", "End": true}}});
    expect_problems(
        &check_flow_shape("broken", &broken, 4),
        &[
            "broken/A: a Pass state that is not an end state",
            "broken/C: a Pass state that is not an end state",
            "broken: 5 states, more than 4",
            "broken: no TimeoutSeconds",
        ],
    );
    let (_, offboarding) = asl("offboarding");
    assert!(check_flow_shape("offboarding", &offboarding, 40).is_empty());
}
