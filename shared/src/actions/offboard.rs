//! offboard-user: the offboarding plan's changes to one user in one invocation (issue 24, item 6), in the runbook's
//! order: suspend (`suspend: true`, an ACTIVE user), clear sessions and OAuth tokens, reset the MFA factors
//! (`resetFactors: true`) and deactivate the user's own devices (`deactivateDevices: true`, shared ones kept),
//! leave each group of `groups`, revoke each app of `apps`, deactivate (`deactivate: true`).
//!
//! Why factors and devices here, between the suspension and the deactivation (issue 27, item 2): Okta hides a
//! deactivated user's factors (404, okta-sdk-java issue #646), so they are reset before the deactivation; and after
//! the suspension, so that the leaver, signed out, cannot enrol a new factor or device in between. An org without
//! the feature (Okta's 401 `E0000015`, "Feature not enabled": devices need Identity Engine) answers the step
//! `Okta.FeatureUnavailable`, which the flow's report names `unsupported`; the other steps go on.
//!
//! Why one invocation: every invocation that changes a user first checks, through the guardrails, who the user is
//! and whether they are protected (the user read and their admin-role read), so that a change never lands on an
//! admin. The old flow paid that check, and re-read the group, the user's groups and the app, once per step and
//! per item: 31 Okta calls for a user in two groups with one app. Here the check is made once, immediately before
//! the first change, exactly as a single-step action checks before its one change; the user's groups are read once
//! (membership and kind of every listed group); an app is revoked without reading it first (Okta's answer says
//! whether it was assigned, and whether a group grants it: 404, 403 `E0000046`).
//!
//! Each step and each item has its own outcome (`steps`): `changed` and `message`, or the error it met as Step
//! Functions' Catch would give it (`Error`, `Cause`); one failed item does not stop the others. An error a later
//! try may fix (Okta's rate limit or a transient fault) fails the invocation instead, so that the flow's Retry runs
//! it again: every step is idempotent (a group already left is `unchanged`).

use serde_json::{Map, Value, json};

use super::output::UserSummary;
use super::{Action, Input, Output, base_output, devices, factors, lifecycle, sessions};
use crate::error::{Error, ErrorKind, Result};
use crate::okta::Session;
use crate::okta::apps::{app_user, unassign};
use crate::okta::groups::{ensure_membership_is_manageable, remove_member};
use crate::okta::models::{Group, User, UserStatus};
use crate::okta::rules::{active_rules, rules_for};
use crate::okta::users::{find_user, user_groups};

pub async fn offboard(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let user = find_user(okta, &input.user).await?;
    let on_user = Input {
        user: user.id.clone(),
        ..input.clone()
    };
    // The status the last lifecycle step left (or, in a dry run, would leave).
    let mut status_after = user.status.to_string();
    let suspension = if input.suspend {
        let answer = lifecycle_step(Action::SuspendUser, okta, &on_user, &mut status_after).await?;
        if !input.dry_run && status_after == UserStatus::Suspended.to_string() {
            // Okta answered the suspension: the later steps plan from that status without reading the user again.
            let suspended = User {
                status: UserStatus::Suspended,
                ..user.clone()
            };
            okta.memo.user.set(&on_user.user, &suspended);
        }
        Some(answer)
    } else {
        None
    };
    let sessions = step(sessions::clear(okta, &on_user).await)?;
    // With what each found: the factors Okta listed before the reset, each device and what became of it (a shared
    // one kept), for the flow's report.
    // Each with its own Okta calls (`oktaCalls`), so that what these revocations cost is counted apart from the
    // runbook's (bench/bulk.py).
    let factors = if input.reset_factors {
        let before = okta.request_ids().len();
        let result = factors::reset(okta, &on_user).await;
        let listed = detail(&result, |output| serde_json::to_value(&output.factors).ok());
        let answer = with(step(result)?, "factors", listed);
        Some(with(
            answer,
            "oktaCalls",
            Some(json!(okta.request_ids().len() - before)),
        ))
    } else {
        None
    };
    let devices = if input.deactivate_devices {
        let before = okta.request_ids().len();
        let result = devices::deactivate(okta, &on_user).await;
        let each = detail(&result, |output| serde_json::to_value(&output.devices).ok());
        let answer = with(step(result)?, "devices", each);
        Some(with(
            answer,
            "oktaCalls",
            Some(json!(okta.request_ids().len() - before)),
        ))
    } else {
        None
    };
    let groups = leave_groups(okta, input, &user).await?;
    let apps = revoke_apps(okta, input, &user).await?;
    let deactivation = if input.deactivate {
        let deactivate = Input {
            send_email: Some(false),
            ..on_user.clone()
        };
        Some(lifecycle_step(Action::DeactivateUser, okta, &deactivate, &mut status_after).await?)
    } else {
        None
    };
    let mut steps = Map::new();
    steps.insert("suspension".into(), suspension.unwrap_or(Value::Null));
    steps.insert("sessions".into(), sessions);
    steps.insert("factors".into(), factors.unwrap_or(Value::Null));
    steps.insert("devices".into(), devices.unwrap_or(Value::Null));
    steps.insert("groups".into(), Value::Array(groups));
    steps.insert("apps".into(), Value::Array(apps));
    steps.insert("deactivation".into(), deactivation.unwrap_or(Value::Null));
    let changed = changed_any(&steps);
    let mut summary = UserSummary::new(&user, &user.status);
    summary.status_after = status_after;
    let mut output = base_output(
        Action::OffboardUser,
        summary,
        changed,
        input,
        describe(&steps),
    );
    output.steps = Some(Value::Object(steps));
    Ok(output)
}

/// Suspend or deactivate (lifecycle.rs: from the user's status, settled), noting the status it leaves.
async fn lifecycle_step(
    action: Action,
    okta: &Session<'_>,
    input: &Input,
    status_after: &mut String,
) -> Result<Value> {
    let result = lifecycle::run(action, okta, input).await;
    if let Ok(output) = &result {
        status_after.clone_from(&output.user.status_after);
    }
    step(result)
}

/// A step's outcome as the flow's report reads it, or the invocation's error when a later try may succeed.
fn step(result: Result<Output>) -> Result<Value> {
    match result {
        Ok(output) => Ok(json!({ "changed": output.changed, "message": output.message })),
        Err(error) if retryable(&error) => Err(error),
        Err(error) => Ok(caught(&error)),
    }
}

fn detail(result: &Result<Output>, pick: impl Fn(&Output) -> Option<Value>) -> Option<Value> {
    result.as_ref().ok().and_then(pick)
}

/// The step's answer with what it found, when it succeeded.
fn with(mut answer: Value, key: &str, found: Option<Value>) -> Value {
    if let (Value::Object(map), Some(found)) = (&mut answer, found) {
        map.insert(key.to_owned(), found);
    }
    answer
}

/// Okta's rate limit outlasting the function's deadline, a transient fault, the secret unreadable: the flow's Retry
/// policies for these (`okta-rate-limited`, `okta-transient`) run the invocation again.
fn retryable(error: &Error) -> bool {
    matches!(
        error.kind,
        ErrorKind::OktaRateLimited | ErrorKind::OktaTransient | ErrorKind::SecretUnavailable
    )
}

/// The error as Step Functions' Catch gives it for a failed Lambda task: the Cause is the Lambda error's JSON text,
/// `errorType` first, as Lambda writes it.
fn caught(error: &Error) -> Value {
    let cause = format!(
        "{{\"errorType\":{},\"errorMessage\":{}}}",
        json!(error.kind.name()),
        json!(error.to_string())
    );
    json!({ "Error": error.kind.name(), "Cause": cause })
}

/// Each listed group: left, not a member, or refused (a built-in, app or rule-managed group); its id with the
/// outcome. The user's groups are read once, for all of them.
async fn leave_groups(okta: &Session<'_>, input: &Input, user: &User) -> Result<Vec<Value>> {
    if input.groups.is_empty() {
        return Ok(Vec::new());
    }
    let current = user_groups(okta, &user.id).await?;
    let mut outcomes = Vec::new();
    for id in &input.groups {
        let outcome = match current.iter().find(|group| &group.id == id) {
            None => {
                json!({ "changed": false, "message": format!("unchanged: not a member of {id}") })
            }
            Some(group) => match leave_group(okta, input, user, group).await {
                Ok(message) => json!({ "changed": true, "message": message }),
                Err(error) if retryable(&error) => return Err(error),
                Err(error) => caught(&error),
            },
        };
        outcomes.push(json!({ "group": { "id": id }, "answer": outcome }));
    }
    Ok(outcomes)
}

/// Leaves one group the user is in: never a group Okta does not let the API change, never one an active rule
/// fills (the removal would put the user on the rule's exception list: remove-user-from-group's rule).
async fn leave_group(
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    group: &Group,
) -> Result<String> {
    ensure_membership_is_manageable(group)?;
    let rules = active_rules(okta).await?;
    if !rules_for(&rules, &group.id).is_empty() {
        return Err(Error::not_applicable(format!(
            "group {:?} is filled by a group rule: removing the user through the API puts them on the rule's \
             exception list; deactivating the user already ends the access",
            group.profile.name
        )));
    }
    if input.dry_run {
        return Ok(format!("would remove from {:?}", group.profile.name));
    }
    remove_member(okta, &group.id, &user.id).await?;
    Ok(format!("removed from {:?}", group.profile.name))
}

/// Each listed app: revoked, not assigned, or granted through a group (Okta refuses: `Okta.NotApplicable`).
async fn revoke_apps(okta: &Session<'_>, input: &Input, user: &User) -> Result<Vec<Value>> {
    let mut outcomes = Vec::new();
    for id in &input.apps {
        let outcome = match revoke_app(okta, input, user, id).await {
            Ok((changed, message)) => json!({ "changed": changed, "message": message }),
            Err(error) if retryable(&error) => return Err(error),
            Err(error) => caught(&error),
        };
        outcomes.push(json!({ "app": { "id": id }, "answer": outcome }));
    }
    Ok(outcomes)
}

async fn revoke_app(
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    id: &str,
) -> Result<(bool, String)> {
    let through_group = || {
        Error::not_applicable(format!(
            "app {id} is granted to the user through a group; remove the user from the group instead"
        ))
    };
    if input.dry_run {
        // Read only in a dry run: a real run lets Okta's answer to the removal say the same.
        return match app_user(okta, id, &user.id).await? {
            None => Ok((false, format!("unchanged: app {id} is not assigned"))),
            Some(assignment) if assignment.scope == "GROUP" => Err(through_group()),
            Some(_) => Ok((true, format!("would revoke app {id}"))),
        };
    }
    match unassign(okta, id, &user.id).await {
        Ok(()) => Ok((true, format!("revoked app {id}"))),
        // Granted through a group (directly too, or only): Okta refuses (okta-api-notes.md section 2.10).
        Err(error) if error.okta_code() == Some("E0000046") => Err(through_group()),
        Err(error) if error.kind == ErrorKind::OktaNotFound => {
            Ok((false, format!("unchanged: app {id} is not assigned")))
        }
        Err(error) => Err(error),
    }
}

fn changed_any(steps: &Map<String, Value>) -> bool {
    let changed = |answer: &Value| answer.get("changed") == Some(&Value::Bool(true));
    [
        "suspension",
        "sessions",
        "factors",
        "devices",
        "deactivation",
    ]
    .iter()
    .any(|name| steps.get(*name).is_some_and(changed))
        || ["groups", "apps"].iter().any(|name| {
            steps
                .get(*name)
                .and_then(Value::as_array)
                .is_some_and(|items| {
                    items
                        .iter()
                        .any(|item| item.get("answer").is_some_and(changed))
                })
        })
}

/// One line for the audit record and the caller: how many items changed, and which failed.
fn describe(steps: &Map<String, Value>) -> String {
    let mut parts = Vec::new();
    for name in [
        "suspension",
        "sessions",
        "factors",
        "devices",
        "deactivation",
    ] {
        if let Some(answer) = steps.get(name).filter(|answer| !answer.is_null()) {
            parts.push(format!("{name}: {}", outcome_word(answer)));
        }
    }
    for (name, key) in [("groups", "group"), ("apps", "app")] {
        for item in steps
            .get(name)
            .and_then(Value::as_array)
            .into_iter()
            .flatten()
        {
            let id = item
                .get(key)
                .and_then(|x| x.get("id"))
                .and_then(Value::as_str)
                .unwrap_or("");
            let answer = item.get("answer").unwrap_or(&Value::Null);
            parts.push(format!("{key} {id}: {}", outcome_word(answer)));
        }
    }
    parts.join("; ")
}

fn outcome_word(answer: &Value) -> String {
    match answer.get("Error").and_then(Value::as_str) {
        Some(error) => format!("failed ({error})"),
        None if answer.get("changed") == Some(&Value::Bool(true)) => "changed".to_owned(),
        None => "unchanged".to_owned(),
    }
}
