//! Undo a move (issue 27, item 4): a request names a mover execution; the runbook restores the before-state the
//! move recorded in the ledger (`move#<execution>`): it re-adds the groups the move left and re-assigns the apps
//! it revoked, and leaves the groups it joined and revokes the apps it assigned. Only what the move itself
//! changed is touched.
//!
//! Refused, with a named error and nothing changed, when the move is unknown (`Undo.UnknownMove`: no such real
//! run; a dry run records nothing), was for another user (`Undo.WrongUser`), is undone already
//! (`Undo.AlreadyUndone`), the user was moved again since (`Undo.MovedSince`: only the last move is undone) or
//! offboarded since (`Undo.Offboarded`: an offboarding clears the user's `lastMove`, and a deprovisioned user
//! is refused whoever deactivated it).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Source;
use super::admit::{boolean, required_string};
use super::mover::answer_for;
use super::step_outcome;
use crate::error::{Error, Result};

pub const FLOW: &str = "undo-move";

/// `user` (login or id), `moveExecution` (the move's execution ARN, as its report names it), `dryRun`.
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    let execution = required_string(fields, "moveExecution")?;
    if !is_execution_arn(&execution) {
        return Err(Error::input(
            "moveExecution",
            "the mover execution's ARN (arn:aws:states:<region>:<account>:execution:<state machine>:<name>), as \
             the move's report names it",
        ));
    }
    out.insert("moveExecution".into(), execution.into());
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

/// `arn:<partition>:states:<region>:<account>:execution:<state machine>:<name>`.
fn is_execution_arn(text: &str) -> bool {
    let parts: Vec<&str> = text.split(':').collect();
    parts.len() == 8
        && parts[0] == "arn"
        && parts[2] == "states"
        && parts[5] == "execution"
        && parts.iter().all(|part| !part.is_empty())
        && text.len() <= 2048
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: UndoRequest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoRequest {
    pub move_execution: String,
    pub dry_run: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    pub admitted: Admission,
    /// get-user's read: id, login, status.
    pub user: Value,
    /// The user's ledger item as the lease returned it (a dry run reads it): `{"Item": {...}}`.
    #[serde(default)]
    pub ledger: Value,
    /// The move's record: `{"Item": {...}}`, or `{}` when there is none.
    #[serde(default)]
    pub record: Value,
}

/// A DynamoDB string attribute of an item (`{"S": ...}`).
fn attribute<'v>(item: &'v Value, name: &str) -> Option<&'v str> {
    item.get(name)
        .and_then(|a| a.get("S"))
        .and_then(Value::as_str)
}

fn refusal(error: &str, cause: String) -> Value {
    json!({
        "refused": {"error": error, "cause": cause},
        "addGroups": [], "removeGroups": [], "assignApps": [], "revokeApps": [],
    })
}

/// What the move changed, as recorded (its `changes`, JSON text in the ledger).
fn recorded_changes(record: &Value) -> Option<Value> {
    attribute(record, "changes").and_then(|text| serde_json::from_str(text).ok())
}

fn list<'v>(changes: &'v Value, name: &str) -> &'v [Value] {
    changes
        .get(name)
        .and_then(Value::as_array)
        .map(Vec::as_slice)
        .unwrap_or(&[])
}

/// Refused or not, and the Maps' items: the inverse of the recorded changes.
pub fn plan(req: &PlanRequest) -> Value {
    let execution = &req.admitted.request.move_execution;
    let user_id = req.user.get("id").and_then(Value::as_str).unwrap_or("");
    let Some(record) = req.record.get("Item") else {
        return refusal(
            "Undo.UnknownMove",
            format!(
                "no move {execution} is recorded: it never ran, did not run for real (a dry run records nothing), or ran before moves were recorded; nothing changed"
            ),
        );
    };
    let ledger = req.ledger.get("Item").cloned().unwrap_or(Value::Null);
    if attribute(record, "userId") != Some(user_id) {
        return refusal(
            "Undo.WrongUser",
            format!(
                "move {execution} moved user {}, not {user_id}; nothing changed",
                attribute(record, "userId").unwrap_or("?")
            ),
        );
    }
    if let Some(by) = attribute(record, "undoneBy") {
        return refusal(
            "Undo.AlreadyUndone",
            format!("move {execution} was undone already by {by}; nothing changed"),
        );
    }
    if req.user.get("status").and_then(Value::as_str) == Some("DEPROVISIONED") {
        return refusal(
            "Undo.Offboarded",
            format!(
                "user {user_id} is DEPROVISIONED: a leaver's access is not restored; nothing changed"
            ),
        );
    }
    match attribute(&ledger, "lastMove") {
        None => {
            return refusal(
                "Undo.Offboarded",
                format!(
                    "user {user_id} was offboarded after move {execution} (the offboarding closed the undo); nothing changed"
                ),
            );
        }
        Some(last) if last != execution => {
            return refusal(
                "Undo.MovedSince",
                format!(
                    "user {user_id} was moved again after {execution} (by {last}): only the last move can be undone; nothing changed"
                ),
            );
        }
        Some(_) => {}
    }
    let Some(changes) = recorded_changes(record) else {
        return refusal(
            "Undo.UnknownMove",
            format!("move {execution}'s record has no readable changes; nothing changed"),
        );
    };
    let ids = |name: &str, field: &str| -> Vec<Value> {
        list(&changes, name)
            .iter()
            .map(|item| json!({ "id": item.get(field) }))
            .collect()
    };
    json!({
        "refused": null,
        "addGroups": ids("removedGroups", "id"),
        "removeGroups": ids("addedGroups", "name"),
        "assignApps": ids("revokedApps", "id"),
        "revokeApps": ids("assignedApps", "name"),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    pub state: UndoState,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UndoState {
    pub admitted: Admission,
    pub user: Value,
    pub plan: Value,
    /// The move's record, for the names of what it changed.
    #[serde(default)]
    pub record: Value,
    #[serde(default)]
    pub added: Vec<Value>,
    #[serde(default)]
    pub removed: Vec<Value>,
    #[serde(default)]
    pub assigned: Vec<Value>,
    #[serde(default)]
    pub revoked: Vec<Value>,
}

/// One line per planned item: what the undo did, the name the move recorded, and the answer.
fn lines(
    planned: &Value,
    items: &[Value],
    kind: &str,
    restore: &str,
    recorded: &[Value],
) -> Vec<Value> {
    planned
        .as_array()
        .map(Vec::as_slice)
        .unwrap_or(&[])
        .iter()
        .map(|item| {
            let id = item.get("id").and_then(Value::as_str).unwrap_or("");
            let name = recorded
                .iter()
                .find(|item| item.get("id").and_then(Value::as_str) == Some(id))
                .and_then(|item| item.get("name"))
                .and_then(Value::as_str)
                .unwrap_or(id);
            let mut out = Map::new();
            out.insert(kind.into(), name.into());
            out.insert("id".into(), id.into());
            out.insert("restore".into(), restore.into());
            match answer_for(items, kind, id) {
                Some(answer) => out.extend(step_outcome(answer)),
                None => {
                    out.insert("outcome".into(), "failed".into());
                    out.insert("error".into(), "Flow.NotRun".into());
                }
            }
            Value::Object(out)
        })
        .collect()
}

/// The report and whether the undo is complete (no step failed).
pub fn report(report: &ReportRequest) -> Value {
    let state = &report.state;
    let plan = &state.plan;
    let changes = state
        .record
        .get("Item")
        .and_then(recorded_changes)
        .unwrap_or(Value::Null);
    let recorded = |name: &str| list(&changes, name).to_vec();
    let mut groups = lines(
        &plan["addGroups"],
        &state.added,
        "group",
        "re-join (the move left it)",
        &recorded("removedGroups"),
    );
    groups.extend(lines(
        &plan["removeGroups"],
        &state.removed,
        "group",
        "leave (the move joined it)",
        &[],
    ));
    let mut apps = lines(
        &plan["assignApps"],
        &state.assigned,
        "app",
        "re-assign (the move revoked it)",
        &recorded("revokedApps"),
    );
    apps.extend(lines(
        &plan["revokeApps"],
        &state.revoked,
        "app",
        "revoke (the move assigned it)",
        &[],
    ));
    let complete = groups
        .iter()
        .chain(apps.iter())
        .all(|line| line["outcome"] != "failed");
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": state.admitted.request.dry_run,
        "user": {"id": state.user.get("id"), "login": state.user.get("login")},
        "moveExecution": state.admitted.request.move_execution,
        "groups": groups,
        "apps": apps,
    });
    json!({"summary": summary, "complete": complete})
}
