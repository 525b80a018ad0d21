//! The alarms watch offboarding, the dead-letter queue and Okta's errors; each metric filter matches an audit
//! outcome and has an alarm.

use std::collections::{BTreeMap, BTreeSet};

use okta_lifecycle::ErrorKind;
use serde_norway::Value as Yaml;

use super::broken_examples::broken_entry_points;
use super::{
    FLOW_STEP_FUNCTION, assert_none, expect_problems, is_tool, property, read, referenced,
    resource_type, resources, template,
};

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
            || is_tool(function)
            || id == FLOW_STEP_FUNCTION
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

#[test]
fn the_alarms_watch_offboarding_the_queue_and_okta_errors() {
    assert_none(check_alarms(
        &template(),
        &read("shared/src/lambda/audit.rs"),
    ));
}

#[test]
fn alarm_check_fails_on_broken_example() {
    let template = broken_entry_points();
    expect_problems(
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
}

/// The dashboard's alarm widget shows the failure alarm of every flow of `Mappings.Flows` (its `<Flow>FailedAlarm`,
/// made by the alarms' `Fn::ForEach`): a flow added to the mapping without it would fail unseen on the dashboard.
fn check_dashboard_shows_every_flow_alarm(template: &Yaml) -> Vec<String> {
    let dashboard = resources(template)
        .values()
        .filter(|r| resource_type(r) == "AWS::CloudWatch::Dashboard")
        .filter_map(|r| property(r, "DashboardBody"))
        .map(|body| serde_json::to_string(body).unwrap_or_default())
        .collect::<String>();
    let flows = template
        .get("Mappings")
        .and_then(|m| m.get("Flows"))
        .and_then(Yaml::as_mapping)
        .map(|flows| {
            flows
                .keys()
                .filter_map(Yaml::as_str)
                .map(str::to_owned)
                .collect::<Vec<_>>()
        })
        .unwrap_or_default();
    let mut problems = Vec::new();
    if flows.is_empty() {
        problems.push("no Mappings.Flows".to_owned());
    }
    for flow in flows {
        if !dashboard.contains(&format!("${{{flow}FailedAlarm.Arn}}")) {
            problems.push(format!("the dashboard does not show {flow}FailedAlarm"));
        }
    }
    problems
}

#[test]
fn the_dashboard_shows_every_flow_alarm() {
    assert_none(check_dashboard_shows_every_flow_alarm(&template()));
}

#[test]
fn dashboard_check_fails_on_broken_example() {
    let text = read("template.yaml").replace("\"${MoveFailedAlarm.Arn}\",", "");
    let broken: Yaml = serde_norway::from_str(&text).expect("template.yaml parses");
    expect_problems(
        &check_dashboard_shows_every_flow_alarm(&broken),
        &["the dashboard does not show MoveFailedAlarm"],
    );
}
