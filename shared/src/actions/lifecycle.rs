//! The user-status actions: activate, deactivate, suspend, unsuspend, unlock, expire and reset password.
//! Each reads the user, decides from its status (okta-api-notes.md sections 1 and 2.14), and posts to
//! `/api/v1/users/{id}/lifecycle/{operation}` only when the status is not already the goal.

use reqwest::Method;
use serde_json::Value;

use super::output::{Revealed, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, ErrorKind, Result};
use crate::okta::models::{User, UserStatus};
use crate::okta::users::{find_user, get_user};
use crate::okta::{Session, segment};

/// What to do about a user in its current status.
#[derive(Debug)]
enum Plan {
    Unchanged(String),
    Post {
        operation: &'static str,
        query: Vec<(&'static str, String)>,
        after: UserStatus,
    },
}

pub async fn run(action: Action, okta: &Session<'_>, input: &Input) -> Result<Output> {
    let user = find_user(okta, &input.user).await?;
    let (operation, query, after) = match plan(action, &user, input)? {
        Plan::Post {
            operation,
            query,
            after,
        } => (operation, query, after),
        Plan::Unchanged(message) => {
            let summary = UserSummary::new(&user, &user.status);
            return Ok(base_output(action, summary, false, input, message));
        }
    };
    if input.dry_run {
        let message = format!("would {operation}: {} to {after}", user.status);
        return Ok(base_output(
            action,
            UserSummary::new(&user, &after),
            true,
            input,
            message,
        ));
    }
    let path = format!("/api/v1/users/{}/lifecycle/{operation}", segment(&user.id));
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let body = match okta.send_mutation(Method::POST, &path, &query, None).await {
        Ok(response) => response.body,
        Err(error) => {
            return confirm_after_refusal(action, okta, input, &user, &after, error).await;
        }
    };
    let status_after = match body.get("status").and_then(Value::as_str) {
        Some(status) => UserStatus::from(status.to_owned()),
        None => after,
    };
    let message = format!("{operation}: {} to {status_after}", user.status);
    let mut output = base_output(
        action,
        UserSummary::new(&user, &status_after),
        true,
        input,
        message,
    );
    // Okta returns these only when no email was sent, that is when the caller asked for them.
    output.activation_url = Revealed::from_json(&body, "activationUrl");
    output.activation_token = Revealed::from_json(&body, "activationToken");
    output.reset_password_url = Revealed::from_json(&body, "resetPasswordUrl");
    output.temp_password = Revealed::from_json(&body, "tempPassword");
    Ok(output)
}

/// Okta refused the change. If the user is nevertheless in the goal status (an earlier attempt whose answer was
/// lost, or a concurrent change; Okta answers 404 to deactivating a deactivated user), that is success.
async fn confirm_after_refusal(
    action: Action,
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    after: &UserStatus,
    error: Error,
) -> Result<Output> {
    if !matches!(
        error.kind,
        ErrorKind::OktaNotApplicable | ErrorKind::OktaNotFound | ErrorKind::OktaRejected
    ) {
        return Err(error);
    }
    match get_user(okta, &user.id).await {
        Ok(now) if now.status == *after => {
            let message = format!(
                "{} is now {after} (Okta refused the request: {error})",
                user.id
            );
            Ok(base_output(
                action,
                UserSummary::new(user, after),
                true,
                input,
                message,
            ))
        }
        Ok(now) if error.kind != ErrorKind::OktaNotFound => Err(Error {
            kind: ErrorKind::OktaNotApplicable,
            message: format!("{} (the user is {})", error.message, now.status),
            ..error
        }),
        _ => Err(error),
    }
}

fn plan(action: Action, user: &User, input: &Input) -> Result<Plan> {
    use UserStatus::*;
    let status = &user.status;
    let unchanged = |why: &str| {
        Ok(Plan::Unchanged(format!(
            "unchanged: the user is already {status}{why}"
        )))
    };
    let refuse = |why: &str| {
        Err(Error::not_applicable(format!(
            "{} cannot {}: the user is {status}{why}",
            user.id,
            action.name()
        )))
    };
    let post = |operation, query, after| {
        Ok(Plan::Post {
            operation,
            query,
            after,
        })
    };
    let flag = |value: bool| value.to_string();
    match action {
        Action::ActivateUser => match status {
            Staged | Deprovisioned => {
                // Activation sets ACTIVE only when a password exists (and a deactivated user's password is gone).
                let after = if *status == Staged && user.has_password() {
                    Active
                } else {
                    Provisioned
                };
                post(
                    "activate",
                    vec![("sendEmail", flag(input.send_email.unwrap_or(true)))],
                    after,
                )
            }
            Provisioned if input.resend_activation => post(
                "reactivate",
                vec![("sendEmail", flag(input.send_email.unwrap_or(true)))],
                Provisioned,
            ),
            Provisioned => unchanged(
                ": activation is pending; set resendActivation to send the activation again",
            ),
            Active | Recovery | PasswordExpired => unchanged(" (activated)"),
            Suspended => refuse("; use unsuspend-user"),
            LockedOut => refuse("; use unlock-user"),
            Other(_) => refuse(""),
        },
        Action::DeactivateUser => match status {
            Deprovisioned => unchanged(""),
            // Never DELETE /api/v1/users/{id}: on a deactivated user that deletes it for ever.
            _ => post(
                "deactivate",
                vec![("sendEmail", flag(input.send_email.unwrap_or(false)))],
                Deprovisioned,
            ),
        },
        Action::SuspendUser => match status {
            Active => post("suspend", vec![], Suspended),
            Suspended => unchanged(""),
            _ => refuse("; only ACTIVE users can be suspended"),
        },
        Action::UnsuspendUser => match status {
            Suspended => post("unsuspend", vec![], Active),
            Active => unchanged(""),
            _ => refuse("; only SUSPENDED users can be unsuspended"),
        },
        Action::UnlockUser => match status {
            LockedOut => post("unlock", vec![], Active),
            Active => unchanged(""),
            _ => refuse("; only LOCKED_OUT users can be unlocked"),
        },
        // `revokeSessions` without `tempPassword` is refused by `Input::parse`, before any request.
        Action::ExpirePassword => {
            match status {
                Active if input.temp_password => post(
                    "expire_password_with_temp_password",
                    vec![(
                        "revokeSessions",
                        flag(input.revoke_sessions.unwrap_or(false)),
                    )],
                    PasswordExpired,
                ),
                Active => post("expire_password", vec![], PasswordExpired),
                // A second run issues no new temporary password: the first one stands.
                PasswordExpired => unchanged(""),
                _ => refuse("; only ACTIVE users' passwords can be expired"),
            }
        }
        Action::ResetPassword => match status {
            Active | PasswordExpired | LockedOut => {
                let mut query = vec![("sendEmail", flag(input.send_email.unwrap_or(true)))];
                if let Some(revoke) = input.revoke_sessions {
                    query.push(("revokeSessions", flag(revoke)));
                }
                post("reset_password", query, Recovery)
            }
            // A reset is already pending; another would invalidate the link the user has.
            Recovery => unchanged(": a password reset is pending"),
            _ => {
                refuse("; passwords can be reset for ACTIVE, PASSWORD_EXPIRED and LOCKED_OUT users")
            }
        },
        _ => Err(Error::new(
            ErrorKind::InputInvalid,
            format!("{} is not a lifecycle action", action.name()),
        )),
    }
}
