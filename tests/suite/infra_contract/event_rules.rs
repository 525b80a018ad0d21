//! The HR events: every rule is on a bus only HR publishers can put to, matches this account, and passes the
//! whole event to its flow.

use std::collections::BTreeMap;

use serde_norway::Value as Yaml;

use super::broken_examples::broken_entry_points;
use super::{
    assert_none, expect_problems, if_branches, is_no_value, property, referenced, resource_type,
    resources, strings, template,
};

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

#[test]
fn every_rule_is_on_a_bus_only_hr_publishers_can_put_to() {
    assert_none(check_event_rules(&template()));
}

#[test]
fn event_rule_check_fails_on_broken_example() {
    let template = broken_entry_points();
    expect_problems(
        &check_event_rules(&template),
        &[
            "Rule: bus Bus has no policy denying publishers",
            "Rule: the pattern does not match account",
            "Rule: a target passes Input/InputPath",
            "Machine.Events.Hr: not on a bus of the template",
            "Machine.Events.Hr: a target passes Input/InputPath",
        ],
    );
}
