//! clear-user-sessions: `DELETE /api/v1/users/{userId}/sessions`, revoking OAuth tokens by default.
//!
//! Okta cannot tell an API client whether a user has sessions, so this is the one action that changes (reports
//! `changed: true`) on every run against a user who could have sessions. A DEPROVISIONED user cannot, so nothing
//! is sent for one.

use reqwest::Method;

use super::output::UserSummary;
use super::{Action, Input, Output, base_output};
use crate::error::Result;
use crate::okta::models::UserStatus;
use crate::okta::users::find_user;
use crate::okta::{Session, segment};

pub async fn clear(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::ClearUserSessions;
    let user = find_user(okta, &input.user).await?;
    let summary = UserSummary::new(&user, &user.status);
    if user.status == UserStatus::Deprovisioned {
        let message = "unchanged: a DEPROVISIONED user has no sessions".to_owned();
        return Ok(base_output(action, summary, false, input, message));
    }
    // Offboarding must end OAuth access too, so tokens are revoked unless the caller says otherwise.
    let oauth_tokens = input.oauth_tokens.unwrap_or(true).to_string();
    let mut query = vec![("oauthTokens", oauth_tokens.as_str())];
    let forget_devices = input.forget_devices.map(|value| value.to_string());
    if let Some(value) = &forget_devices {
        query.push(("forgetDevices", value.as_str()));
    }
    if input.dry_run {
        return Ok(base_output(
            action,
            summary,
            true,
            input,
            "would clear all sessions".to_owned(),
        ));
    }
    let path = format!("/api/v1/users/{}/sessions", segment(&user.id));
    okta.send_mutation(Method::DELETE, &path, &query, None)
        .await?;
    let message = if oauth_tokens == "true" {
        "cleared all sessions and revoked OAuth tokens"
    } else {
        "cleared all sessions"
    };
    Ok(base_output(
        action,
        summary,
        true,
        input,
        message.to_owned(),
    ))
}
