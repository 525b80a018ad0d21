//! The bulk flow's decisions: the run's settings ([`admit`]), each line of the list turned into a child start
//! ([`line`]), a child's output read as one outcome ([`outcome`]), why a real run is not approved ([`refusal`]),
//! and the run's report ([`report`]).
//!
//! **The run's settings override every line.** A child's identity is the run's: event id `bulk:<run>:<line
//! index>`, source `bulk`, requestedBy `bulk:<run>`, event time the run's start; its flow is the run's flow. A line
//! that names its own `eventId`, `eventSource`, `eventTime` or `requestedBy`, or another flow, is refused (the item
//! fails with `Input.Invalid` naming the field, and no child starts) rather than silently overridden: the dry run
//! then shows the reviewer every such line, and a list meant to set times or ids (a future time that would make
//! the user's later offboardings stale, another source's event id such as an `offboard-<id>` schedule's, which
//! would make that offboarding a duplicate) does not pass for one that ran as written.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::event_time;
use crate::error::{Error, Result};

pub const FLOW: &str = "bulk";

/// The flows a bulk run can start, as the state machine's `Route` names them.
pub const FLOWS: [&str; 4] = ["offboarding", "onboarding", "leave", "return"];

/// Fields a line may not set: the run decides them for every line.
const RUN_FIELDS: [&str; 4] = ["eventId", "eventSource", "eventTime", "requestedBy"];

/// One invocation for the bulk flow: `{"step": ..., "flow": "bulk", ...}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum Step {
    Admit(AdmitRequest),
    Line(LineRequest),
    Outcome(OutcomeRequest),
    Refusal(RefusalRequest),
    Report(ReportRequest),
}

pub fn decide(payload: Value, now: Timestamp) -> Result<Value> {
    let step: Step = serde_json::from_value(payload)
        .map_err(|error| Error::input("step", format!("not a bulk step request: {error}")))?;
    match step {
        Step::Admit(req) => admit(&req),
        Step::Line(req) => line(&req, now),
        Step::Outcome(req) => Ok(outcome(&req)),
        Step::Refusal(req) => Ok(refusal(&req)),
        Step::Report(req) => Ok(report(&req)),
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmitRequest {
    /// The execution input as given: the API's envelope (`request` beside the template's `requestedBy`) or a
    /// direct start.
    pub input: Value,
    /// The operator's `BulkMaxConcurrency`: a run may only lower it.
    pub max_concurrency_cap: u64,
}

/// The run's settings, validated, with their defaults; a refusal names the field.
pub fn admit(req: &AdmitRequest) -> Result<Value> {
    let Value::Object(input) = &req.input else {
        return Err(Error::input("input", "must be a JSON object"));
    };
    let body = match input.get("request") {
        None => input,
        Some(Value::Object(body)) => body,
        Some(_) => {
            return Err(Error::input(
                "request",
                "the envelope's request must be a JSON object",
            ));
        }
    };
    let text = |name: &str| -> Result<String> {
        match body.get(name) {
            Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
            _ => Err(Error::input(
                name,
                "required (a string): bucket, key and versionId name the list's S3 object version",
            )),
        }
    };
    let bucket = text("bucket")?;
    let key = text("key")?;
    let version = text("versionId")?;
    let flow = match body.get("flow") {
        None => "offboarding".to_owned(),
        Some(Value::String(flow)) if FLOWS.contains(&flow.as_str()) => flow.clone(),
        Some(_) => {
            return Err(Error::input(
                "flow",
                format!("must be one of {}", FLOWS.join(", ")),
            ));
        }
    };
    let dry_run = match body.get("dryRun") {
        None => false,
        Some(Value::Bool(dry)) => *dry,
        Some(_) => return Err(Error::input("dryRun", "must be true or false")),
    };
    let tolerated = match body.get("toleratedFailurePercentage") {
        None => 0.0,
        Some(Value::Number(n)) if n.as_f64().is_some_and(|p| (0.0..=100.0).contains(&p)) => {
            n.as_f64().unwrap_or_default()
        }
        Some(_) => {
            return Err(Error::input(
                "toleratedFailurePercentage",
                "must be a number from 0 to 100",
            ));
        }
    };
    let cap = req.max_concurrency_cap;
    let concurrency = match body.get("maxConcurrency") {
        None => cap,
        Some(Value::Number(n)) if n.as_u64().is_some_and(|c| (1..=cap).contains(&c)) => {
            n.as_u64().unwrap_or(cap)
        }
        Some(_) => {
            return Err(Error::input(
                "maxConcurrency",
                format!(
                    "must be a whole number from 1 to {cap} (BulkMaxConcurrency: a run may only lower the \
                     operator's cap)"
                ),
            ));
        }
    };
    let dry_run_execution = match body.get("dryRunExecution") {
        None => String::new(),
        Some(Value::String(name)) => name.clone(),
        Some(_) => {
            return Err(Error::input(
                "dryRunExecution",
                "must be a string (the dry run's execution name)",
            ));
        }
    };
    // Who started the run: the envelope's principal (API Gateway's), never the body's; a direct start's own.
    let requested_by = match input.get("requestedBy") {
        None => "unknown".to_owned(),
        Some(Value::String(who)) => who.clone(),
        Some(_) => return Err(Error::input("requestedBy", "must be a string")),
    };
    Ok(json!({
        "bucket": bucket, "key": key, "versionId": version, "flow": flow, "dryRun": dry_run,
        "toleratedFailurePercentage": tolerated, "maxConcurrency": concurrency,
        "dryRunExecution": dry_run_execution, "requestedBy": requested_by,
    }))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LineRequest {
    /// The line as read from the list.
    pub line: Value,
    /// Its position in the list (`$$.Map.Item.Index`).
    pub index: u64,
    /// The run's execution name.
    pub run: String,
    /// The run's start (`$$.Execution.StartTime`): every child's event time.
    pub run_time: String,
    /// The run's flow (`flow` names the step's: bulk).
    pub run_flow: String,
    pub dry_run: bool,
}

/// The child start for one line: `{"flow", "input"}`, or `Input.Invalid` naming the line's field.
pub fn line(req: &LineRequest, now: Timestamp) -> Result<Value> {
    let Value::Object(fields) = &req.line else {
        return Err(Error::input("line", "must be a JSON object"));
    };
    if let Some(name) = RUN_FIELDS.iter().find(|name| fields.contains_key(**name)) {
        return Err(Error::input(
            name,
            "a bulk line cannot set it: the run sets every line's eventId (bulk:<run>:<line>), eventSource \
             (bulk), eventTime (the run's start) and requestedBy (bulk:<run>)",
        ));
    }
    match fields.get("flow") {
        None => {}
        Some(Value::String(flow)) if *flow == req.run_flow => {}
        Some(_) => {
            return Err(Error::input(
                "flow",
                format!(
                    "a bulk line runs the run's flow ({}): the reviewed dry run is of that flow",
                    req.run_flow
                ),
            ));
        }
    }
    let time =
        event_time::not_in_future("runTime", event_time::parse("runTime", &req.run_time)?, now)?;
    let mut input: Map<String, Value> = fields
        .iter()
        .filter(|(name, _)| name.as_str() != "flow")
        .map(|(name, value)| (name.clone(), value.clone()))
        .collect();
    input.insert(
        "eventId".into(),
        format!("bulk:{}:{}", req.run, req.index).into(),
    );
    input.insert("eventSource".into(), "bulk".into());
    input.insert("eventTime".into(), event_time::ledger_form(time).into());
    input.insert("requestedBy".into(), format!("bulk:{}", req.run).into());
    // A dry run's lines are all dry; in a real run a line may still ask for a dry run of its own.
    if req.dry_run {
        input.insert("dryRun".into(), true.into());
    }
    Ok(json!({"flow": req.run_flow, "input": input}))
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OutcomeRequest {
    pub index: u64,
    pub run_flow: String,
    /// The child's input (its `user`).
    pub input: Value,
    /// The child's output: its report.
    pub output: Value,
}

/// One line's result, as the run counts it and writes it to S3: `changed` when any step of the child's report
/// changed something, else `unchanged` when any step found its goal already reached, else `skipped`.
pub fn outcome(req: &OutcomeRequest) -> Value {
    let mut found = Vec::new();
    outcomes(&req.output, &mut found);
    let outcome = if found.contains(&"changed") {
        "changed"
    } else if found.contains(&"unchanged") {
        "unchanged"
    } else {
        "skipped"
    };
    json!({
        "index": req.index,
        "user": req.input.get("user"),
        "flow": req.run_flow,
        "outcome": outcome,
        "report": req.output,
    })
}

/// Every `outcome` text anywhere in a report.
fn outcomes<'a>(value: &'a Value, found: &mut Vec<&'a str>) {
    match value {
        Value::Object(fields) => {
            for (name, item) in fields {
                match (name.as_str(), item) {
                    ("outcome", Value::String(text)) => found.push(text),
                    _ => outcomes(item, found),
                }
            }
        }
        Value::Array(items) => items.iter().for_each(|item| outcomes(item, found)),
        _ => {}
    }
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RefusalRequest {
    /// The run's state: its admitted settings (`input`) and the dry run's record as read (`plan.Item`), if any.
    pub state: Value,
}

/// Why a real run is not approved (`Bulk.NotApproved`'s cause).
pub fn refusal(req: &RefusalRequest) -> Value {
    let input = &req.state["input"];
    let item = req.state.pointer("/plan/Item");
    let text = |name: &str| input.get(name).and_then(Value::as_str).unwrap_or("");
    let recorded = |name: &str| {
        item.and_then(|i| i.pointer(&format!("/{name}/S")))
            .and_then(Value::as_str)
    };
    let cause = if text("dryRunExecution").is_empty() {
        "a real bulk run names its completed dry run (dryRunExecution: the dry run's execution name) of the same \
         list version, started by someone else; start a dry run first (dryRun true)"
    } else if item.is_none() {
        "dryRunExecution names no completed dry run of the bulk flow: start a dry run (dryRun true) and have it \
         reviewed"
    } else if item.is_some_and(|i| i.get("appliedBy").is_some()) {
        "the named dry run was already applied by another real run; a plan is applied once"
    } else if ["versionId", "bucket", "key", "flow"]
        .iter()
        .any(|name| recorded(name) != Some(text(name)))
    {
        "the list (bucket, key or object version) or the flow differs from the named dry run's: the reviewed plan \
         is not this run; dry-run this version"
    } else if recorded("requestedBy") == Some(text("requestedBy")) {
        "the real run was started by the principal who started its dry run: a second person applies a reviewed plan"
    } else {
        "dryRunExecution names no completed dry run of the bulk flow: start a dry run (dryRun true) and have it \
         reviewed"
    };
    json!({ "cause": cause })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    /// The run's state after the Map: `input`, `approval` (a real run's), `counts` (the counters item as read),
    /// `results` (the Map's result writer details) or `stopped` (the Map's error past the tolerated failures).
    pub state: Value,
}

/// The run's summary: its settings, the counts, every counter (`failed <error>` too), where the items' reports
/// are, and the approval it applied.
pub fn report(req: &ReportRequest) -> Value {
    let state = &req.state;
    let input = &state["input"];
    let counters = state.pointer("/counts/Item").cloned().unwrap_or(json!({}));
    let count = |name: &str| -> u64 {
        counters
            .pointer(&format!("/{name}/N"))
            .and_then(Value::as_str)
            .and_then(|n| n.parse().ok())
            .unwrap_or(0)
    };
    let mut report = json!({
        "flow": input["flow"],
        "dryRun": input["dryRun"],
        "executionId": req.execution_id,
        "items": {"bucket": input["bucket"], "key": input["key"], "versionId": input["versionId"]},
        "counts": {"changed": count("changed"), "unchanged": count("unchanged"), "skipped": count("skipped"),
                   "failed": count("failed")},
        "counters": counters,
        "results": state.pointer("/results/ResultWriterDetails").cloned().unwrap_or(Value::Null),
        "requestedBy": input["requestedBy"],
        "approval": state.get("approval").cloned().unwrap_or_else(|| "none: this is a dry run".into()),
    });
    if let Some(stopped) = state.get("stopped") {
        report["stopped"] = json!({
            "error": stopped.get("Error"), "cause": stopped.get("Cause"),
            "message": "more lines failed than toleratedFailurePercentage allows: the run stopped starting lines",
        });
    }
    report
}

#[cfg(test)]
mod tests {
    //! Table tests of the bulk steps, each row as the state machine passes it.
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use super::*;

    fn now() -> Timestamp {
        "2026-06-02T12:00:00Z".parse().unwrap()
    }

    fn step(payload: Value) -> Result<Value> {
        let mut payload = payload;
        payload["flow"] = FLOW.into();
        decide(payload, now())
    }

    fn field(result: Result<Value>) -> String {
        match result {
            Ok(answer) => format!("admitted: {answer}"),
            Err(error) => error.field.unwrap_or(error.message),
        }
    }

    const LISTED: &str = r#"{"bucket": "b", "key": "k.jsonl", "versionId": "v1"}"#;

    fn listed(extra: Value) -> Value {
        let mut input: Value = serde_json::from_str(LISTED).unwrap();
        input
            .as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        input
    }

    fn admit(input: Value) -> Result<Value> {
        step(json!({"step": "admit", "input": input, "maxConcurrencyCap": 8}))
    }

    #[test]
    fn the_run_is_admitted_with_its_defaults_or_refused_naming_the_field() {
        let cases: Vec<(Value, &str)> = vec![
            (json!([]), "input"),
            (json!({"key": "k", "versionId": "v"}), "bucket"),
            (json!({"bucket": "b", "versionId": "v"}), "key"),
            (json!({"bucket": "b", "key": "k"}), "versionId"),
            (listed(json!({"flow": "vacation"})), "flow"),
            (listed(json!({"dryRun": "yes"})), "dryRun"),
            (
                listed(json!({"toleratedFailurePercentage": 150})),
                "toleratedFailurePercentage",
            ),
            (
                listed(json!({"toleratedFailurePercentage": -1})),
                "toleratedFailurePercentage",
            ),
            (listed(json!({"maxConcurrency": 9})), "maxConcurrency"),
            (listed(json!({"maxConcurrency": 0})), "maxConcurrency"),
            (listed(json!({"dryRunExecution": 1})), "dryRunExecution"),
            (json!({"request": "x", "requestedBy": "arn:ops"}), "request"),
        ];
        for (input, expected) in cases {
            assert_eq!(field(admit(input.clone())), expected, "{input}");
        }
        let run = admit(listed(json!({}))).unwrap();
        assert_eq!(
            run,
            json!({"bucket": "b", "key": "k.jsonl", "versionId": "v1", "flow": "offboarding", "dryRun": false,
                   "toleratedFailurePercentage": 0.0, "maxConcurrency": 8, "dryRunExecution": "",
                   "requestedBy": "unknown"})
        );
        // Through the API: the principal is the envelope's, whatever the body says.
        let run = admit(
            json!({"request": listed(json!({"requestedBy": "ceo", "maxConcurrency": 2})),
                               "requestedBy": "arn:ops", "eventId": "r", "eventSource": "api"}),
        )
        .unwrap();
        assert_eq!(run["requestedBy"], "arn:ops");
        assert_eq!(run["maxConcurrency"], 2);
    }

    fn line(line: Value, dry_run: bool) -> Result<Value> {
        step(
            json!({"step": "line", "line": line, "index": 3, "run": "run-1",
                    "runTime": "2026-06-02T11:00:00Z", "runFlow": "offboarding", "dryRun": dry_run}),
        )
    }

    #[test]
    fn a_line_runs_with_the_runs_identity_and_cannot_set_its_own() {
        let cases: Vec<(Value, &str)> = vec![
            (json!("sam"), "line"),
            (
                json!({"user": "sam", "eventTime": "9999-01-01T00:00:00Z"}),
                "eventTime",
            ),
            (
                json!({"user": "sam", "eventId": "offboard-00u1"}),
                "eventId",
            ),
            (
                json!({"user": "sam", "eventId": "e", "eventSource": "aws.scheduler"}),
                "eventId",
            ),
            (
                json!({"user": "sam", "eventSource": "hr.system"}),
                "eventSource",
            ),
            (json!({"user": "sam", "requestedBy": "ceo"}), "requestedBy"),
            (json!({"user": "sam", "flow": "onboarding"}), "flow"),
        ];
        for (given, expected) in cases {
            assert_eq!(field(line(given.clone(), false)), expected, "{given}");
        }
        let start = line(
            json!({"user": "sam", "mode": "suspend", "flow": "offboarding"}),
            false,
        )
        .unwrap();
        assert_eq!(
            start,
            json!({"flow": "offboarding", "input": {
                "user": "sam", "mode": "suspend", "eventId": "bulk:run-1:3", "eventSource": "bulk",
                "eventTime": "2026-06-02T11:00:00.000Z", "requestedBy": "bulk:run-1"}})
        );
        // A dry run's lines are all dry, whatever a line says.
        let dry = line(json!({"user": "sam", "dryRun": false}), true).unwrap();
        assert_eq!(dry["input"]["dryRun"], true);
    }

    #[test]
    fn a_childs_report_is_one_outcome() {
        let cases = [
            (
                json!({"groups": [{"outcome": "unchanged"}, {"outcome": "changed"}]}),
                "changed",
            ),
            (
                json!({"suspension": {"outcome": "unchanged"}, "apps": []}),
                "unchanged",
            ),
            (json!({"outcome": "duplicate", "message": "m"}), "skipped"),
            (json!({"activation": {"outcome": "skipped"}}), "skipped"),
        ];
        for (output, expected) in cases {
            let answer = step(
                json!({"step": "outcome", "index": 2, "runFlow": "onboarding",
                                     "input": {"user": "jane"}, "output": output}),
            )
            .unwrap();
            assert_eq!(answer["outcome"], expected, "{output}");
            assert_eq!(answer["user"], "jane");
            assert_eq!(answer["index"], 2);
            assert_eq!(answer["report"], output);
        }
    }

    #[test]
    fn a_refused_real_run_says_which_rule_it_breaks() {
        let input = json!({"bucket": "b", "key": "k", "versionId": "v1", "flow": "offboarding",
                           "requestedBy": "bob", "dryRunExecution": "plan-1"});
        let record = |by: &str, version: &str, applied: bool| {
            let mut item = json!({"bucket": {"S": "b"}, "key": {"S": "k"}, "versionId": {"S": version},
                                  "flow": {"S": "offboarding"}, "requestedBy": {"S": by}});
            if applied {
                item["appliedBy"] = json!({"S": "arn:earlier"});
            }
            json!({"Item": item})
        };
        let mut unnamed = input.clone();
        unnamed["dryRunExecution"] = "".into();
        let rows = [
            (json!({"input": unnamed}), "names its completed dry run"),
            (json!({"input": input, "plan": {}}), "no completed dry run"),
            (
                json!({"input": input, "plan": record("alice", "v1", true)}),
                "already applied",
            ),
            (
                json!({"input": input, "plan": record("alice", "v0", false)}),
                "differs",
            ),
            (
                json!({"input": input, "plan": record("bob", "v1", false)}),
                "principal",
            ),
        ];
        for (state, expected) in rows {
            let answer = step(json!({"step": "refusal", "state": state})).unwrap();
            let cause = answer["cause"].as_str().unwrap();
            assert!(cause.contains(expected), "{state}: {cause}");
        }
    }

    #[test]
    fn the_report_counts_and_says_when_the_run_stopped() {
        let state = json!({
            "input": {"bucket": "b", "key": "k", "versionId": "v1", "flow": "leave", "dryRun": true,
                      "requestedBy": "alice"},
            "counts": {"Item": {"run": {"S": "r"}, "changed": {"N": "2"}, "unchanged": {"N": "0"},
                                "skipped": {"N": "1"}, "failed": {"N": "3"}, "failed Input.Invalid": {"N": "3"}}},
            "results": {"ResultWriterDetails": {"Bucket": "b", "Key": "results/m.json"}},
        });
        let report =
            step(json!({"step": "report", "executionId": "arn:r", "state": state})).unwrap();
        assert_eq!(
            report["counts"],
            json!({"changed": 2, "unchanged": 0, "skipped": 1, "failed": 3})
        );
        assert_eq!(
            report["counters"]["failed Input.Invalid"],
            json!({"N": "3"})
        );
        assert_eq!(report["results"]["Key"], "results/m.json");
        assert_eq!(report["approval"], "none: this is a dry run");
        assert!(report.get("stopped").is_none());
        let mut stopped = state.clone();
        stopped.as_object_mut().unwrap().remove("results");
        stopped["stopped"] =
            json!({"Error": "States.ExceedToleratedFailureThreshold", "Cause": "c"});
        let report =
            step(json!({"step": "report", "executionId": "arn:r", "state": stopped})).unwrap();
        assert_eq!(
            report["stopped"]["error"],
            "States.ExceedToleratedFailureThreshold"
        );
        assert_eq!(report["results"], Value::Null);
    }
}
