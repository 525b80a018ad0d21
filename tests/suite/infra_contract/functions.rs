//! The function folders, the template's functions and the crate's actions match one to one, and each function is
//! built by cargo-lambda from its own binary.

use std::collections::{BTreeMap, BTreeSet};

use okta_lifecycle::Action;
use serde_norway::Value as Yaml;

use super::broken_examples::broken_template;
use super::{
    FLOW_STEP_FOLDER, TOOL_FUNCTIONS, assert_none, expect_problems, function_folders, property,
    resource_type, resources, template,
};

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

#[test]
fn functions_folders_and_actions_match() {
    let folders = function_folders();
    assert_none(check_functions(&template(), &folders));
    assert_none(check_actions(&folders));
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
