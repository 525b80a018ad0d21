//! The return runbook's decisions: its request, and the report made from what its steps answered (the state
//! machine decides from the ledger whether an open leave suspended the user, unsuspends only then, closes the
//! leave and deletes the pending `return-<user id>` schedule).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Source;
use super::admit::{boolean, required_string};
use crate::error::Result;

pub const FLOW: &str = "return";

/// `user` (login or id), `dryRun`.
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    pub state: ReturnState,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnState {
    pub admitted: Admission,
    /// ResolveUser's read: the user's id and login.
    pub subject: Value,
    /// UnsuspendUser's answer or error; absent when no open leave suspended the user.
    #[serde(default)]
    pub unsuspended: Option<Value>,
    /// DeleteReturnSchedule's answer (`{}`) or error; absent in a dry run or when the unsuspension failed.
    #[serde(default)]
    pub deleted: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: ReturnRequest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReturnRequest {
    pub user: Value,
    pub dry_run: bool,
}

/// The report, and whether the return is complete (the unsuspension and the schedule's deletion did not fail).
pub fn report(report: &ReportRequest) -> Value {
    let state = &report.state;
    let dry_run = state.admitted.request.dry_run;
    let id = state
        .subject
        .get("id")
        .and_then(Value::as_str)
        .unwrap_or("");
    let name = format!("return-{id}");
    let unsuspension = match &state.unsuspended {
        None => {
            json!({"outcome": "skipped", "message": "no open leave suspended this user: left as it is"})
        }
        Some(answer) if answer.get("Error").is_some() => json!({
            "outcome": "failed", "error": answer.get("Error"), "cause": answer.get("Cause"),
        }),
        Some(answer) => json!({
            "outcome": if answer.get("changed") == Some(&Value::Bool(true)) { "changed" } else { "unchanged" },
            "message": answer.get("message"),
            "statusBefore": answer.get("statusBefore"),
            "statusAfter": answer.get("statusAfter"),
        }),
    };
    let unsuspend_failed = unsuspension["outcome"] == "failed";
    let schedule = match &state.deleted {
        _ if unsuspend_failed => {
            json!({"outcome": "skipped", "message": "the user was not unsuspended"})
        }
        _ if dry_run => json!({
            "outcome": "unchanged", "name": name,
            "message": "dry run: a pending return schedule, if any, would be deleted",
        }),
        Some(answer) => match answer.get("Error").and_then(Value::as_str) {
            None => {
                json!({"outcome": "changed", "name": name, "message": "deleted the pending return schedule"})
            }
            // Scheduler's name for it; moto's interpreter spells the service in lower case.
            Some(error) if error.ends_with(".ResourceNotFoundException") => json!({
                "outcome": "unchanged", "name": name, "message": "no pending return schedule",
            }),
            Some(error) => json!({
                "outcome": "failed", "error": error, "cause": answer.get("Cause"), "name": name,
            }),
        },
        None => json!({"outcome": "skipped", "message": "the schedule step did not run"}),
    };
    let complete = !unsuspend_failed && schedule["outcome"] != "failed";
    // As before the rewrite: a failed unsuspension reports the user as the request named it.
    let user = if unsuspend_failed {
        state.admitted.request.user.clone()
    } else {
        json!({"id": state.subject.get("id"), "login": state.subject.get("login")})
    };
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": dry_run,
        "user": user,
        "unsuspension": unsuspension,
        "schedule": schedule,
    });
    json!({"summary": summary, "complete": complete})
}
