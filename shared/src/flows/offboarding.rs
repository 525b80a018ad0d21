//! The offboarding runbook's decisions: its request, the plan made from the user as read (suspend first or not,
//! which groups to leave and which stay and why, which apps to revoke, deactivate or not), and the report made
//! from what each step answered (complete or not: the state machine fails an incomplete run as
//! `Offboarding.Incomplete` with the report as its cause).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::Source;
use super::admit::{boolean, names, one_of, required_string};
use crate::error::Result;

pub const FLOW: &str = "offboarding";

const BUILT_IN: &str = "built-in group (Everyone): cannot be changed through the API";
const APP_GROUP: &str = "app group: its members come from the app (import or push), it cannot be changed through the API";
const KEPT: &str = "listed in keepGroups";
const RULE_MANAGED: &str = "rule-managed: an active group rule fills this group, and a removal through the API would put the user on the rule's exception list for good (a rehire would not get the group back); deactivation ends the access, suspension blocks sign-in";
const RULE_MANAGED_RESIDUAL: &str = "rule-managed: kept on purpose (a removal would put the user on the rule's exception list); deactivation ends the access, suspension blocks sign-in";
const STILL_MEMBER: &str =
    "still a member: the removal failed, was a dry run, or Okta has not applied it yet";
const GRANTED_THROUGH_GROUP: &str = "granted through a group, not directly: it ends with the group's membership or the deactivation (see the residual access)";
const THROUGH_GROUP_RESIDUAL: &str = "granted through group: it goes when the user leaves the granting group (kept, built-in or app group)";
const STILL_ASSIGNED: &str =
    "still assigned: the revocation failed, was a dry run, or Okta has not applied it yet";

/// `user` (login or id), `mode` (deactivate | suspend), `keepGroups` (names or ids), `dryRun`.
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    out.insert(
        "mode".into(),
        one_of(fields, "mode", &["deactivate", "suspend"], "deactivate")?.into(),
    );
    out.insert("keepGroups".into(), names(fields, "keepGroups")?.into());
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

/// The user as GetUser read it (the state machine's ResultSelector).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRead {
    pub id: String,
    #[serde(default)]
    pub login: Value,
    pub status: String,
    #[serde(default)]
    pub groups: Vec<Value>,
    #[serde(default)]
    pub apps: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    pub admitted: Admission,
    pub user: UserRead,
}

/// The admit step's answer, as far as the plan and the report read it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: OffboardingRequest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OffboardingRequest {
    pub mode: String,
    #[serde(default)]
    pub keep_groups: Vec<String>,
    pub dry_run: bool,
}

/// Why a group the user is in stays: `None` when the runbook removes the user from it.
fn group_stays(group: &Value, keep: &[String]) -> Option<(&'static str, &'static str)> {
    let field = |name: &str| group.get(name).and_then(Value::as_str).unwrap_or("");
    match field("type") {
        "BUILT_IN" => return Some(("residual", BUILT_IN)),
        "APP_GROUP" => return Some(("residual", APP_GROUP)),
        _ => {}
    }
    if group.get("ruleManaged") == Some(&Value::Bool(true)) {
        return Some(("kept", RULE_MANAGED));
    }
    let listed = keep.iter().any(|k| k == field("id") || k == field("name"));
    listed.then_some(("kept", KEPT))
}

/// Suspend first when ACTIVE (Okta suspends only ACTIVE users); deactivate in mode deactivate, and in mode
/// suspend when the user is in a status suspension cannot reach (STAGED, PROVISIONED, RECOVERY,
/// PASSWORD_EXPIRED, LOCKED_OUT).
pub fn plan(req: &PlanRequest) -> Value {
    let request = &req.admitted.request;
    let status = req.user.status.as_str();
    let suspend = status == "ACTIVE";
    let deactivate =
        request.mode == "deactivate" || !matches!(status, "ACTIVE" | "SUSPENDED" | "DEPROVISIONED");
    // Ids only: the Maps carry nothing else, so hundreds of items stay far from Step Functions' 256 KB.
    let ids = |items: &mut dyn Iterator<Item = &Value>| -> Vec<Value> {
        items.map(|item| json!({ "id": item.get("id") })).collect()
    };
    let remove = ids(&mut req
        .user
        .groups
        .iter()
        .filter(|g| group_stays(g, &request.keep_groups).is_none()));
    json!({
        "suspend": suspend,
        "deactivate": deactivate,
        "removeGroups": remove,
        "revokeApps": ids(&mut req.user.apps.iter()),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    /// The runbook's state as it stands after Verify.
    pub state: RunbookState,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunbookState {
    pub admitted: Admission,
    pub user: UserRead,
    /// Each step's answer: the function's result (changed, message) or the Catch's error (Error, Cause);
    /// absent when the plan skipped the step. The Maps' items: `{"group"|"app": {"id"}, "answer": ...}`.
    #[serde(default)]
    pub suspended: Option<Value>,
    #[serde(default)]
    pub cleared: Option<Value>,
    #[serde(default)]
    pub removed: Vec<Value>,
    #[serde(default)]
    pub revoked: Vec<Value>,
    #[serde(default)]
    pub deactivated: Option<Value>,
    /// Verify's read (status, groups, apps) or its error.
    pub after: Value,
}

/// A step's outcome as the report shows it: changed / unchanged with the function's message, or failed with
/// the error and its cause.
fn step_outcome(answer: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(error) = answer.get("Error") {
        out.insert("outcome".into(), "failed".into());
        out.insert("error".into(), error.clone());
        out.insert(
            "cause".into(),
            answer.get("Cause").cloned().unwrap_or(Value::Null),
        );
    } else {
        let changed = answer.get("changed") == Some(&Value::Bool(true));
        out.insert(
            "outcome".into(),
            if changed { "changed" } else { "unchanged" }.into(),
        );
        out.insert(
            "message".into(),
            answer.get("message").cloned().unwrap_or(Value::Null),
        );
    }
    out
}

fn skipped(message: String) -> Value {
    json!({ "outcome": "skipped", "message": message })
}

/// The report, and whether the runbook proved its end state.
pub fn report(report: &ReportRequest) -> Value {
    let req = &report.state;
    let request = &req.admitted.request;
    let status = req.user.status.as_str();
    let suspension = match &req.suspended {
        Some(answer) => Value::Object(step_outcome(answer)),
        None => skipped(format!("not suspended first: the user is {status}")),
    };
    let sessions = req
        .cleared
        .as_ref()
        .map(|a| Value::Object(step_outcome(a)))
        .unwrap_or(Value::Null);
    let deactivation = match &req.deactivated {
        Some(answer) => Value::Object(step_outcome(answer)),
        None => skipped("mode is suspend".into()),
    };
    let groups: Vec<Value> = req
        .user
        .groups
        .iter()
        .map(|group| match group_stays(group, &request.keep_groups) {
            Some((outcome, reason)) => {
                json!({ "group": group, "outcome": outcome, "reason": reason })
            }
            None => {
                let answer = item_answer(&req.removed, "group", group);
                let mut out = step_outcome(&answer);
                out.insert("group".into(), group.clone());
                Value::Object(out)
            }
        })
        .collect();
    let apps: Vec<Value> = req
        .user
        .apps
        .iter()
        .map(|app| {
            let answer = item_answer(&req.revoked, "app", app);
            let mut out = step_outcome(&answer);
            // Okta refuses to unassign an app a group grants: the step did not act, on purpose, and whether the
            // access remains is for the residual report to say (it goes with the group or the deactivation).
            if out.get("error").and_then(Value::as_str) == Some("Okta.NotApplicable") {
                out.remove("error");
                out.remove("cause");
                out.insert("outcome".into(), "skipped".into());
                out.insert("reason".into(), GRANTED_THROUGH_GROUP.into());
            }
            out.insert("app".into(), app.clone());
            Value::Object(out)
        })
        .collect();
    let (verification, after_status, after_groups, after_apps) = match req.after.get("Error") {
        Some(_) => (
            Value::Object(step_outcome(&req.after)),
            Value::from("UNKNOWN"),
            Vec::new(),
            Vec::new(),
        ),
        None => (
            json!({ "outcome": "unchanged", "message": "read the user again" }),
            req.after.get("status").cloned().unwrap_or(Value::Null),
            list(&req.after, "groups"),
            list(&req.after, "apps"),
        ),
    };
    let residual_groups: Vec<Value> = after_groups
        .iter()
        .map(|group| {
            let (expected, reason) = match group_stays(group, &request.keep_groups) {
                Some((_, BUILT_IN)) => (true, BUILT_IN),
                Some((_, APP_GROUP)) => (true, APP_GROUP),
                Some((_, RULE_MANAGED)) => (true, RULE_MANAGED_RESIDUAL),
                Some((_, reason)) => (true, reason),
                None => (false, STILL_MEMBER),
            };
            json!({ "group": group, "expected": expected, "reason": reason })
        })
        .collect();
    let residual_apps: Vec<Value> = after_apps
        .iter()
        .map(|app| {
            let through_group = app.get("scope").and_then(Value::as_str) == Some("GROUP");
            let (expected, reason) = if through_group {
                (true, THROUGH_GROUP_RESIDUAL)
            } else {
                (false, STILL_ASSIGNED)
            };
            json!({ "app": app, "expected": expected, "reason": reason })
        })
        .collect();
    let failed = |v: &Value| v.get("outcome").and_then(Value::as_str) == Some("failed");
    // `expected`: whether the access is meant to remain (a boolean: issue 26's "expected": "expected" meant two
    // things in one word).
    let unexpected = |v: &Value| v.get("expected").and_then(Value::as_bool) == Some(false);
    let step_failed = [&suspension, &sessions, &deactivation, &verification]
        .into_iter()
        .any(failed)
        || groups.iter().any(failed)
        || apps.iter().any(failed);
    let end_state_proven = matches!(after_status.as_str(), Some("SUSPENDED" | "DEPROVISIONED"))
        && !residual_groups.iter().any(unexpected)
        && !residual_apps.iter().any(unexpected);
    let complete = !step_failed && (request.dry_run || end_state_proven);
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": request.dry_run,
        "mode": request.mode,
        "user": {
            "id": req.user.id,
            "login": req.user.login,
            "statusBefore": status,
            "statusAfter": after_status,
        },
        "suspension": suspension,
        "sessions": sessions,
        "groups": groups,
        "apps": apps,
        "deactivation": deactivation,
        "verification": verification,
        "residual": { "groups": residual_groups, "apps": residual_apps },
    });
    json!({ "summary": summary, "complete": complete })
}

fn list(value: &Value, name: &str) -> Vec<Value> {
    value
        .get(name)
        .and_then(Value::as_array)
        .cloned()
        .unwrap_or_default()
}

/// The Map iteration's answer for one group or app (matched by id): the call's result or its error.
fn item_answer(answers: &[Value], key: &str, item: &Value) -> Value {
    let id = item.get("id");
    let found = answers
        .iter()
        .find(|a| a.get(key).and_then(|x| x.get("id")) == id);
    match found {
        Some(a) => a.get("answer").cloned().unwrap_or(Value::Null),
        None => json!({ "Error": "Flow.NotRun", "Cause": "the step did not run for this item" }),
    }
}
