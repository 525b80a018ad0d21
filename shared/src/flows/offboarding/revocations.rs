//! The offboarding report's part for issue 27's revocations (every way back in beyond groups and apps): OAuth
//! grants and refresh tokens, MFA factors, the user's own devices, the groups the user owns. Each step's outcome,
//! and what remains of each as read again after them (`remaining`): "nothing remains" is a read, not a hope.
//!
//! A step the request turned off is `skipped`; one the org cannot do (Okta's `E0000015` "Feature not enabled", as
//! `Okta.FeatureUnavailable`: devices need Identity Engine, group owners Identity Governance) is `unsupported` and
//! does not make the run incomplete; any other error is `failed`. What remains is `expected: true` only when it
//! was meant to: a shared device kept, a group whose ownership stays on purpose (admin roles, imported from an
//! app), or the step skipped or unsupported.

use serde_json::{Map, Value, json};

use super::RunbookState;

const FEATURE_UNAVAILABLE: &str = "Okta.FeatureUnavailable";

/// The steps' outcomes, what remains, and whether either makes the run incomplete.
#[derive(Debug)]
pub struct Revocations {
    pub steps: Value,
    pub remaining: Value,
    pub failed: bool,
    pub unexpected: bool,
}

/// One step: not asked (`skipped`, why), its answer, or the error (unsupported or failed).
fn outcome(asked: bool, answer: Option<&Value>, skipped_because: &str) -> Map<String, Value> {
    let mut out = Map::new();
    let answer = match (asked, answer) {
        (false, _) => {
            out.insert("outcome".into(), "skipped".into());
            out.insert("reason".into(), skipped_because.into());
            return out;
        }
        (true, None) => &json!({ "Error": "Flow.NotRun", "Cause": "the step did not run" }),
        (true, Some(answer)) => answer,
    };
    match answer.get("Error").and_then(Value::as_str) {
        Some(FEATURE_UNAVAILABLE) => {
            out.insert("outcome".into(), "unsupported".into());
            out.insert(
                "cause".into(),
                answer.get("Cause").cloned().unwrap_or(Value::Null),
            );
        }
        Some(error) => {
            out.insert("outcome".into(), "failed".into());
            out.insert("error".into(), error.into());
            out.insert(
                "cause".into(),
                answer.get("Cause").cloned().unwrap_or(Value::Null),
            );
        }
        None => {
            let changed = answer.get("changed") == Some(&Value::Bool(true));
            out.insert(
                "outcome".into(),
                if changed { "changed" } else { "unchanged" }.into(),
            );
            out.insert(
                "message".into(),
                answer.get("message").cloned().unwrap_or(Value::Null),
            );
            // offboard-user's steps carry what they found; a leaver function's whole answer is under `detail`.
            let source = answer.get("detail").unwrap_or(answer);
            for detail in ["factors", "devices", "clients", "ownedGroups", "newOwner"] {
                if let Some(found) = source.get(detail).filter(|found| !found.is_null()) {
                    out.insert(detail.into(), found.clone());
                }
            }
        }
    }
    out
}

fn is(step: &Map<String, Value>, outcomes: &[&str]) -> bool {
    step.get("outcome")
        .and_then(Value::as_str)
        .is_some_and(|outcome| outcomes.contains(&outcome))
}

/// Ids a step reported with one of `outcomes` in its `detail` list (a shared device kept, an ownership kept).
fn reported(step: &Map<String, Value>, detail: &str, outcomes: &[&str]) -> Vec<String> {
    step.get(detail)
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter(|item| {
            item.get("outcome")
                .and_then(Value::as_str)
                .is_some_and(|outcome| outcomes.contains(&outcome))
        })
        .filter_map(|item| item.get("id").and_then(Value::as_str).map(str::to_owned))
        .collect()
}

/// What remains of one kind, each item with `expected` and why; `None` when it was not read.
fn remains(
    remaining: Option<&Value>,
    kind: &str,
    step: &Map<String, Value>,
    kept: &[String],
    kept_reason: &str,
    left_reason: &str,
) -> Value {
    let Some(items) = remaining
        .and_then(|r| r.get(kind))
        .and_then(Value::as_array)
    else {
        return Value::Null;
    };
    let step_off = is(step, &["skipped", "unsupported"]);
    Value::Array(
        items
            .iter()
            .map(|item| {
                let id = item.get("id").and_then(Value::as_str).unwrap_or("");
                let (expected, reason) = if kept.iter().any(|k| k == id) {
                    (true, kept_reason.to_owned())
                } else if step_off {
                    (
                        true,
                        format!("the step was {}", step["outcome"].as_str().unwrap_or("")),
                    )
                } else {
                    (false, left_reason.to_owned())
                };
                json!({ "item": item, "expected": expected, "reason": reason })
            })
            .collect(),
    )
}

pub fn report(state: &RunbookState, changes_failed_whole: bool) -> Revocations {
    let plan = &state.plan;
    let request = &state.admitted.request;
    let from_changes = |name: &str| -> Option<Value> {
        if changes_failed_whole {
            Some(state.changes.clone())
        } else {
            state
                .changes
                .get(name)
                .filter(|answer| !answer.is_null())
                .cloned()
        }
    };
    let factors_skipped = if request.reset_factors {
        "the user is DEPROVISIONED: Okta hides a deactivated user's factors (reset them before deactivating)"
    } else {
        "resetFactors is false"
    };
    let grants = outcome(
        plan.revoke_grants,
        state.grants.as_ref(),
        "revokeGrants is false",
    );
    let factors = outcome(
        plan.reset_factors,
        from_changes("factors").as_ref(),
        factors_skipped,
    );
    let devices = outcome(
        plan.deactivate_devices,
        from_changes("devices").as_ref(),
        "deactivateDevices is false",
    );
    let ownership = outcome(
        plan.transfer_group_ownership,
        state.ownership.as_ref(),
        "transferGroupOwnership is false",
    );
    // ReadWhatRemains keeps get-user's answer under `read`; its Catch, the error.
    let remaining = state.remaining.as_ref().map(|r| r.get("read").unwrap_or(r));
    let read_failed = remaining.is_some_and(|r| r.get("Error").is_some());
    let remaining_view = json!({
        "read": match remaining {
            None => json!({ "outcome": "skipped", "message": "not read" }),
            Some(r) if read_failed => json!({ "outcome": "failed", "error": r.get("Error"), "cause": r.get("Cause") }),
            Some(_) => json!({ "outcome": "unchanged", "message": "read again after the revocations" }),
        },
        "grants": remains(remaining, "clients", &grants, &[], "", "still holds a grant or refresh token"),
        "factors": remains(remaining, "factors", &factors, &[], "", "still enrolled"),
        "devices": remains(
            remaining, "devices", &devices, &reported(&devices, "devices", &["keptShared"]),
            "shared: other users are linked to this device; kept", "still linked to the user",
        ),
        "ownedGroups": remains(
            remaining, "ownedGroups", &ownership,
            &reported(&ownership, "ownedGroups", &["keptPrivileged", "keptManagedInApp"]),
            "kept on purpose: admin roles or an ownership imported from an app (see the step)",
            "still owned by the user",
        ),
    });
    // A kind the read could not answer: why, so that a missing list never reads as "nothing remains".
    let mut not_read = Map::new();
    if let Some(read) = remaining.filter(|_| !read_failed) {
        for (kind, why) in [
            (
                "clients",
                "the org did not answer the read (Okta.FeatureUnavailable)",
            ),
            (
                "factors",
                "Okta hides a deactivated user's factors: they are reset before the deactivation (revocations.factors)",
            ),
            (
                "devices",
                "the org did not answer the read (devices need Identity Engine)",
            ),
            (
                "ownedGroups",
                "the org did not answer the read (group owners need Identity Governance)",
            ),
        ] {
            if read.get(kind).is_none_or(Value::is_null) {
                not_read.insert(kind.into(), why.into());
            }
        }
    }
    let mut remaining_view = remaining_view;
    remaining_view["notRead"] = Value::Object(not_read);
    let failed = [&grants, &factors, &devices, &ownership]
        .into_iter()
        .any(|step| is(step, &["failed"]))
        || read_failed;
    let unexpected = ["grants", "factors", "devices", "ownedGroups"]
        .iter()
        .any(|kind| {
            remaining_view[*kind]
                .as_array()
                .is_some_and(|items| items.iter().any(|item| item["expected"] == false))
        });
    Revocations {
        steps: json!({
            "grants": grants,
            "factors": factors,
            "devices": devices,
            "groupOwnership": ownership,
        }),
        remaining: remaining_view,
        failed,
        unexpected,
    }
}
