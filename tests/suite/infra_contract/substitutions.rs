//! Every `${...}` placeholder of a flow's ASL has a `DefinitionSubstitutions` entry in the template that names
//! something real, every entry is used, and every `infra/*.asl.json` is a flow of the template.

use std::collections::{BTreeMap, BTreeSet};

use serde_norway::Value as Yaml;

use super::broken_examples::broken_template;
use super::{
    FLOWS, asl, assert_none, expect_problems, property, referenced, resource_type, resources, root,
    template,
};

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

#[test]
fn every_placeholder_is_substituted() {
    let template = template();
    for flow in FLOWS {
        let (text, _) = asl(flow);
        assert_none(check_substitutions(&template, flow, &text));
    }
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
