//! App assignment: assign-app-to-user and revoke-app-from-user. The user's current assignment (direct `USER` or
//! through a group, `GROUP`) decides whether anything needs to change.

use serde_json::{Map, Value, json};

use super::output::{AppSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, ErrorKind, Result};
use crate::okta::Session;
use crate::okta::apps::{app_group_ids, app_user, assign as post_assignment, find_app, unassign};
use crate::okta::models::{App, UserStatus};
use crate::okta::users::{find_user, user_groups};

pub async fn assign(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::AssignAppToUser;
    let app_name = input
        .app
        .as_deref()
        .ok_or_else(|| Error::input("app", "is required"))?;
    let user = find_user(okta, &input.user).await?;
    if user.status == UserStatus::Deprovisioned {
        return Err(Error::not_applicable(format!(
            "{} is DEPROVISIONED: Okta does not assign apps to deactivated users",
            user.id
        )));
    }
    let app = find_app(okta, app_name).await?;
    let existing = app_user(okta, &app.id, &user.id).await?;
    let summary = UserSummary::new(&user, &user.status);
    let (changed, scope, message) = match existing {
        Some(current) if current.scope == "GROUP" => (
            false,
            current.scope,
            format!(
                "unchanged: {:?} is already granted through a group",
                app.label
            ),
        ),
        Some(current) => (
            false,
            current.scope,
            format!("unchanged: {:?} is already assigned", app.label),
        ),
        None if input.dry_run => (
            true,
            "USER".to_owned(),
            format!("would assign {:?}", app.label),
        ),
        None => {
            let assigned =
                post_assignment(okta, &app.id, &assignment_request(&user.id, input)).await?;
            (true, assigned.scope, format!("assigned {:?}", app.label))
        }
    };
    let mut output = base_output(action, summary, changed, input, message);
    output.app = Some(AppSummary {
        scope: Some(scope),
        ..AppSummary::from(&app)
    });
    Ok(output)
}

/// The spec's `AppUserAssignRequest`: `id`, `scope: USER`, optional `credentials.userName` and `profile`.
fn assignment_request(user_id: &str, input: &Input) -> Value {
    let mut request = Map::new();
    request.insert("id".into(), json!(user_id));
    request.insert("scope".into(), json!("USER"));
    if let Some(user_name) = &input.user_name {
        request.insert("credentials".into(), json!({ "userName": user_name }));
    }
    if let Some(profile) = &input.profile {
        request.insert("profile".into(), Value::Object(profile.clone()));
    }
    Value::Object(request)
}

pub async fn revoke(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::RevokeAppFromUser;
    let app_name = input
        .app
        .as_deref()
        .ok_or_else(|| Error::input("app", "is required"))?;
    let user = find_user(okta, &input.user).await?;
    let app = find_app(okta, app_name).await?;
    let summary = UserSummary::new(&user, &user.status);
    let existing = app_user(okta, &app.id, &user.id).await?;
    let (changed, message) = match existing {
        None => (false, format!("unchanged: {:?} is not assigned", app.label)),
        Some(current) if current.scope == "GROUP" => {
            return Err(granted_through_groups(okta, &app, &user.id).await);
        }
        Some(_) if input.dry_run => (true, format!("would revoke {:?}", app.label)),
        Some(_) => match unassign(okta, &app.id, &user.id).await {
            Ok(()) => (true, format!("revoked {:?}", app.label)),
            // Direct and group-granted at once: Okta refuses (E0000046) while a group grants it.
            Err(error) if error.okta_code() == Some("E0000046") => {
                return Err(granted_through_groups(okta, &app, &user.id).await);
            }
            Err(error) if error.kind == ErrorKind::OktaNotFound => {
                (false, format!("unchanged: {:?} is not assigned", app.label))
            }
            Err(error) => return Err(error),
        },
    };
    let mut output = base_output(action, summary, changed, input, message);
    output.app = Some(AppSummary::from(&app));
    Ok(output)
}

/// A group-granted assignment cannot be revoked per user: say so, naming the groups when they can be found.
async fn granted_through_groups(okta: &Session<'_>, app: &App, user_id: &str) -> Error {
    let names = async {
        let app_groups = app_group_ids(okta, &app.id).await?;
        let groups = user_groups(okta, user_id).await?;
        Ok::<_, Error>(
            groups
                .into_iter()
                .filter(|group| app_groups.contains(&group.id))
                .map(|group| format!("{:?} ({})", group.profile.name, group.id))
                .collect::<Vec<_>>(),
        )
    }
    .await
    .unwrap_or_default();
    let through = if names.is_empty() {
        "a group".to_owned()
    } else {
        names.join(", ")
    };
    Error::not_applicable(format!(
        "{:?} is granted to the user through {through}; remove the user from the group instead",
        app.label
    ))
}
