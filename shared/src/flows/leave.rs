//! The leave runbook's decisions: its request, the return schedule it plans (name, time, the input the
//! schedule starts the return flow with) and the report made from what its steps answered.

use jiff::civil::DateTime;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Source;
use super::admit::{boolean, required_string};
use crate::error::{Error, Result};

pub const FLOW: &str = "leave";

/// `user` (login or id), `returnDate` (local `YYYY-MM-DDThh:mm:ss`, no offset: EventBridge Scheduler's `at()`),
/// `returnTimezone` (default UTC), `dryRun`.
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    match fields.get("returnDate") {
        None => {}
        Some(Value::String(text)) if is_local_date_time(text) => {
            out.insert("returnDate".into(), text.clone().into());
        }
        Some(_) => {
            return Err(Error::input(
                "returnDate",
                "a local date and time YYYY-MM-DDThh:mm:ss, without offset (returnTimezone says where)",
            ));
        }
    }
    match fields.get("returnTimezone") {
        None => {
            out.insert("returnTimezone".into(), "UTC".into());
        }
        Some(Value::String(zone)) if !zone.trim().is_empty() => {
            out.insert("returnTimezone".into(), zone.clone().into());
        }
        Some(_) => {
            return Err(Error::input(
                "returnTimezone",
                "an IANA time zone name, e.g. Europe/Paris",
            ));
        }
    }
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

/// `2027-01-15T09:00:00`: what Scheduler's `at()` takes (seconds included, no fraction, no offset).
fn is_local_date_time(text: &str) -> bool {
    text.len() == 19 && text.parse::<DateTime>().is_ok()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    pub admitted: Admission,
    /// ResolveUser's read: the user's id.
    pub subject: Value,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: LeaveRequest,
    #[serde(default)]
    pub requested_by: String,
    pub event: Event,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Event {
    pub id: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveRequest {
    pub user: Value,
    #[serde(default)]
    pub return_date: Option<String>,
    pub return_timezone: String,
    pub dry_run: bool,
}

/// The one-time schedule `return-<user id>`: it starts the return flow at the return date with its own event id
/// (`schedule:return-<user id>:<leave event>`), whoever asked for the leave as requestedBy, and the scheduled time
/// as the event time (the scheduler fills it in).
pub fn plan(req: &PlanRequest) -> Value {
    let id = req.subject.get("id").and_then(Value::as_str).unwrap_or("");
    let request = &req.admitted.request;
    json!({
        "name": format!("return-{id}"),
        "expression": format!("at({})", request.return_date.as_deref().unwrap_or("")),
        "timezone": request.return_timezone,
        "input": {
            "user": id,
            "eventId": format!("schedule:return-{id}:{}", req.admitted.event.id),
            "eventSource": "aws.scheduler",
            "eventTime": "<aws.scheduler.scheduled-time>",
            "requestedBy": req.admitted.requested_by,
        },
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    pub state: LeaveState,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct LeaveState {
    pub admitted: Admission,
    pub subject: Value,
    /// SuspendUser's answer or error.
    pub suspended: Value,
    /// UpdateReturnSchedule's answer (`arn`) or error; absent when it did not run.
    #[serde(default)]
    pub updated: Option<Value>,
    /// CreateReturnSchedule's answer or error; absent when it did not run (no schedule, or the update did it).
    #[serde(default)]
    pub created: Option<Value>,
}

pub fn report(report: &ReportRequest) -> Value {
    let state = &report.state;
    let request = &state.admitted.request;
    let id = state
        .subject
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = format!("return-{id}");
    let when = format!(
        "{} ({})",
        request.return_date.as_deref().unwrap_or(""),
        request.return_timezone
    );
    let failed = |answer: &Value| answer.get("Error").is_some();
    if failed(&state.suspended) {
        let summary = json!({
            "flow": FLOW, "executionId": report.execution_id, "dryRun": request.dry_run,
            "user": request.user,
            "suspension": {"outcome": "failed", "error": state.suspended.get("Error"),
                           "cause": state.suspended.get("Cause")},
            "schedule": {"outcome": "skipped", "message": "the user was not suspended"},
        });
        return json!({"summary": summary, "complete": false});
    }
    let suspended = &state.suspended;
    let suspension = json!({
        "outcome": if suspended.get("changed") == Some(&Value::Bool(true)) { "changed" } else { "unchanged" },
        "message": suspended.get("message"),
        "statusBefore": suspended.get("statusBefore"),
        "statusAfter": suspended.get("statusAfter"),
    });
    let schedule = match (&request.return_date, &state.updated, &state.created) {
        (None, _, _) => json!({
            "outcome": "skipped", "message": "no returnDate: run the return flow when the user is back",
        }),
        _ if request.dry_run => json!({
            "outcome": "changed", "name": name,
            "message": format!("dry run: would schedule the return flow at {when}"),
        }),
        (_, Some(updated), _) if !failed(updated) => json!({
            "outcome": "changed", "name": name, "arn": updated.get("arn"),
            "message": format!("the pending return schedule was moved to {when}"),
        }),
        (_, _, Some(created)) if !failed(created) => json!({
            "outcome": "changed", "name": name, "arn": created.get("arn"),
            "message": format!("the return flow is scheduled at {when}"),
        }),
        (_, _, Some(created)) => json!({
            "outcome": "failed", "error": created.get("Error"), "cause": created.get("Cause"), "name": name,
        }),
        _ => {
            json!({"outcome": "failed", "error": "Flow.NotRun", "cause": "no schedule step ran", "name": name})
        }
    };
    let complete = schedule["outcome"] != "failed";
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": request.dry_run,
        "user": {"id": suspended.get("userId"), "login": suspended.get("login")},
        "suspension": suspension,
        "schedule": schedule,
    });
    json!({"summary": summary, "complete": complete})
}
