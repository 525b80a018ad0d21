//! The offboarding runbook's decisions: its request, the plan made from the user as read (suspend first or not,
//! which groups to leave and which stay and why, which apps to revoke, deactivate or not), and the report made
//! from what each step answered (complete or not: the state machine fails an incomplete run as
//! `Offboarding.Incomplete` with the report as its cause).

use serde::Deserialize;
use serde_json::{Map, Value, json};

pub mod revocations;

use super::admit::{boolean, names, one_of, required_string};
use super::{Source, step_outcome};
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

/// The revocations of issue 27 beyond groups and apps, each on by default (the safe side: every way back in is
/// closed unless the request says otherwise): the option that skips each.
pub const REVOCATIONS: [&str; 4] = [
    "revokeGrants",
    "resetFactors",
    "deactivateDevices",
    "transferGroupOwnership",
];

/// `user` (login or id), `mode` (deactivate | suspend), `keepGroups` (names or ids), `dryRun`, and each of
/// [`REVOCATIONS`] (default true).
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    out.insert(
        "mode".into(),
        one_of(fields, "mode", &["deactivate", "suspend"], "deactivate")?.into(),
    );
    out.insert("keepGroups".into(), names(fields, "keepGroups")?.into());
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    for option in REVOCATIONS {
        out.insert(option.into(), boolean(fields, option, true)?.into());
    }
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
    /// Issue 27's revocations: absent (a request admitted before them) is on.
    #[serde(default = "on")]
    pub revoke_grants: bool,
    #[serde(default = "on")]
    pub reset_factors: bool,
    #[serde(default = "on")]
    pub deactivate_devices: bool,
    #[serde(default = "on")]
    pub transfer_group_ownership: bool,
}

fn on() -> bool {
    true
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
    // Ids only, the lists offboard-user takes: hundreds of items stay far from Step Functions' 256 KB.
    let id = |item: &Value| item.get("id").cloned().unwrap_or(Value::Null);
    let remove: Vec<Value> = req
        .user
        .groups
        .iter()
        .filter(|g| group_stays(g, &request.keep_groups).is_none())
        .map(id)
        .collect();
    // An app a group grants is not revoked per user (Okta refuses, E0000046): it goes with the group or the
    // deactivation, and the report says so without asking Okta.
    let revoke: Vec<Value> = req
        .user
        .apps
        .iter()
        .filter(|a| !through_group(a))
        .map(id)
        .collect();
    json!({
        "suspend": suspend,
        "deactivate": deactivate,
        "removeGroups": remove,
        "revokeApps": revoke,
        // Okta hides a deactivated user's factors (okta-sdk-java issue #646): none to reset once DEPROVISIONED.
        "resetFactors": request.reset_factors && status != "DEPROVISIONED",
        "deactivateDevices": request.deactivate_devices,
        "revokeGrants": request.revoke_grants,
        "transferGroupOwnership": request.transfer_group_ownership,
        // What the revocations closed is read again only when one of them ran.
        "readRemaining": request.revoke_grants || request.reset_factors || request.deactivate_devices
            || request.transfer_group_ownership,
    })
}

fn through_group(app: &Value) -> bool {
    app.get("scope").and_then(Value::as_str) == Some("GROUP")
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
    /// The plan as made (what offboard-user was asked to do).
    pub plan: PlanMade,
    /// offboard-user's `steps` (each step's and item's answer: `changed` and `message`, or `Error` and `Cause`),
    /// or the Catch's error when the invocation failed as a whole.
    pub changes: Value,
    /// RevokeUserGrants' and TransferGroupOwnership's answers (or errors); absent when the plan skipped them.
    #[serde(default)]
    pub grants: Option<Value>,
    #[serde(default)]
    pub ownership: Option<Value>,
    /// Verify's read (status, groups, apps) or its error.
    pub after: Value,
    /// What remains of issue 27's revocations, read after them (clients, factors, devices, ownedGroups) or the
    /// read's error; absent in a report of a run that did not read it.
    #[serde(default)]
    pub remaining: Option<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanMade {
    pub suspend: bool,
    pub deactivate: bool,
    #[serde(default)]
    pub reset_factors: bool,
    #[serde(default)]
    pub deactivate_devices: bool,
    #[serde(default)]
    pub revoke_grants: bool,
    #[serde(default)]
    pub transfer_group_ownership: bool,
}

fn skipped(message: String) -> Value {
    json!({ "outcome": "skipped", "message": message })
}

/// The report, and whether the runbook proved its end state.
pub fn report(report: &ReportRequest) -> Value {
    let req = &report.state;
    let request = &req.admitted.request;
    let status = req.user.status.as_str();
    // The invocation failed as a whole: every step it was asked to run has that error as its answer.
    let failed_whole = req.changes.get("Error").is_some();
    let answer = |name: &str| -> Option<Value> {
        if failed_whole {
            Some(req.changes.clone())
        } else {
            req.changes.get(name).filter(|a| !a.is_null()).cloned()
        }
    };
    let items = |name: &str| -> Vec<Value> {
        req.changes
            .get(name)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let not_run = || json!({ "Error": "Flow.NotRun", "Cause": "the step did not run" });
    let planned = |asked: bool, name: &str, skipped_because: String| {
        if asked {
            Value::Object(step_outcome(&answer(name).unwrap_or_else(not_run)))
        } else {
            skipped(skipped_because)
        }
    };
    let suspension = planned(
        req.plan.suspend,
        "suspension",
        format!("not suspended first: the user is {status}"),
    );
    let sessions = Value::Object(step_outcome(&answer("sessions").unwrap_or_else(not_run)));
    let deactivation = planned(
        req.plan.deactivate,
        "deactivation",
        "mode is suspend".into(),
    );
    let (removed, revoked) = (items("groups"), items("apps"));
    let item = |answers: &[Value], key: &str, it: &Value| {
        if failed_whole {
            req.changes.clone()
        } else {
            item_answer(answers, key, it)
        }
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
                let mut out = step_outcome(&item(&removed, "group", group));
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
            if through_group(app) {
                return json!({ "app": app, "outcome": "skipped", "reason": GRANTED_THROUGH_GROUP });
            }
            let mut out = step_outcome(&item(&revoked, "app", app));
            // Okta refused to unassign an app a group grants as well: the step did not act, on purpose, and
            // whether the access remains is for the residual report to say (it goes with the group or the
            // deactivation).
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
            let (expected, reason) = if through_group(app) {
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
    let revocations = revocations::report(req, failed_whole);
    let step_failed = [&suspension, &sessions, &deactivation, &verification]
        .into_iter()
        .any(failed)
        || groups.iter().any(failed)
        || apps.iter().any(failed)
        || revocations.failed;
    let end_state_proven = matches!(after_status.as_str(), Some("SUSPENDED" | "DEPROVISIONED"))
        && !residual_groups.iter().any(unexpected)
        && !residual_apps.iter().any(unexpected)
        && !revocations.unexpected;
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
        "revocations": revocations.steps,
        "verification": verification,
        "residual": { "groups": residual_groups, "apps": residual_apps },
        "remaining": revocations.remaining,
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

/// offboard-user's answer for one group or app (matched by id): the step's result or its error.
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
