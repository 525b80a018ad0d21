//! The user-status actions: activate, deactivate, suspend, unsuspend, unlock, expire and reset password.
//! Each reads the user, decides from its status (okta-api-notes.md sections 1 and 2.14), and posts to
//! `/api/v1/users/{id}/lifecycle/{operation}` only when the status is not already the goal.

use reqwest::Method;
use serde_json::Value;

use super::output::{Revealed, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, ErrorKind, Result};
use crate::okta::models::{User, UserStatus};
use crate::okta::users::{find_user, get_user, settled, user_blocks, wait_for_transition};
use crate::okta::{Session, segment};

/// What unlock-user learnt of an ACTIVE user's blocks (spec `listUserBlocks`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Blocks {
    /// Not asked: the action is not unlock-user, or the user is not ACTIVE.
    NotRead,
    Blocked,
    NotBlocked,
    /// The org has no blocks feature (401 E0000015, okta-sdk-python cassette `test_list_user_blocks`): whether the
    /// user is blocked from unknown devices cannot be read, so Okta is asked to unlock and decides.
    Unknown,
}

async fn read_blocks(okta: &Session<'_>, user: &User) -> Result<Blocks> {
    match user_blocks(okta, &user.id).await {
        Ok(blocks) if blocks.is_empty() => Ok(Blocks::NotBlocked),
        Ok(_) => Ok(Blocks::Blocked),
        Err(error) if error.kind == ErrorKind::OktaFeatureUnavailable => Ok(Blocks::Unknown),
        Err(error) => Err(error),
    }
}

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

/// The one-time secret the caller asked for, by the field of Okta's answer that carries it.
fn requested_secret(operation: &str, query: &[(&'static str, String)]) -> Option<&'static str> {
    let no_email = query
        .iter()
        .any(|(key, value)| *key == "sendEmail" && value == "false");
    match operation {
        "activate" | "reactivate" if no_email => Some("activationUrl"),
        "reset_password" if no_email => Some("resetPasswordUrl"),
        "expire_password_with_temp_password" => Some("tempPassword"),
        _ => None,
    }
}

/// What may have happened to a secret-bearing request whose answer was lost, and how to recover.
fn recovery_advice(operation: &str, user_id: &str) -> String {
    let check = format!("read the user with get-user ({user_id})");
    match operation {
        "activate" => format!(
            "{check}: if it is now PROVISIONED, the activation took effect and its link was lost; run activate-user with \
             resendActivation: true and sendEmail: false to issue a new link. If its status did not change, run activate-user again"
        ),
        "reactivate" => format!(
            "run activate-user with resendActivation: true and sendEmail: false again: each reactivation issues a new link \
             and the lost one stops working ({user_id})"
        ),
        "reset_password" => format!(
            "{check}: if it is now RECOVERY, a reset link was issued and lost (reset-password leaves a pending reset \
             alone): the user can start again with \"Forgot password\", or an admin can reset the password in Okta's Admin \
             Console. If its status did not change, run reset-password again"
        ),
        "expire_password_with_temp_password" => format!(
            "{check}: if it is now PASSWORD_EXPIRED, a temporary password replaced the user's password and was lost; run \
             reset-password with sendEmail: false to give the user a reset link instead. If it is still ACTIVE, run \
             expire-password again"
        ),
        _ => check,
    }
}

pub async fn run(action: Action, okta: &Session<'_>, input: &Input) -> Result<Output> {
    let user = settled(okta, find_user(okta, &input.user).await?).await?;
    match attempt(action, okta, input, &user).await {
        // Okta was still applying an earlier change (409 E0000112): plan again from the settled status, once.
        Err(error) if error.okta_code() == Some("E0000112") => {
            let user = settled(okta, get_user(okta, &user.id).await?).await?;
            attempt(action, okta, input, &user).await
        }
        other => other,
    }
}

async fn attempt(action: Action, okta: &Session<'_>, input: &Input, user: &User) -> Result<Output> {
    let blocks = if action == Action::UnlockUser && user.status == UserStatus::Active {
        read_blocks(okta, user).await?
    } else {
        Blocks::NotRead
    };
    let (operation, query, after) = match plan(action, user, input, blocks)? {
        Plan::Post {
            operation,
            query,
            after,
        } => (operation, query, after),
        Plan::Unchanged(message) => {
            let summary = UserSummary::new(user, &user.status);
            return Ok(base_output(action, summary, false, input, message));
        }
    };
    let from = match blocks {
        Blocks::Blocked => format!("{} (blocked from unknown devices)", user.status),
        Blocks::Unknown => format!(
            "{} (blocks unknown: the org has no blocks feature; Okta refuses the unlock when there is none)",
            user.status
        ),
        Blocks::NotRead | Blocks::NotBlocked => user.status.to_string(),
    };
    if input.dry_run {
        let message = format!("would {operation}: {from} to {after}");
        return Ok(base_output(
            action,
            UserSummary::new(user, &after),
            true,
            input,
            message,
        ));
    }
    let path = format!("/api/v1/users/{}/lifecycle/{operation}", segment(&user.id));
    let secret = requested_secret(operation, &query);
    let query: Vec<(&str, &str)> = query
        .iter()
        .map(|(key, value)| (*key, value.as_str()))
        .collect();
    let sent = match secret {
        Some(_) => okta.send_at_most_once(Method::POST, &path, &query).await,
        None => okta.send_mutation(Method::POST, &path, &query, None).await,
    };
    let body = match sent {
        Ok(response) => response.body,
        Err(error) if error.kind == ErrorKind::OktaOutcomeUnknown => {
            return Err(Error {
                message: format!(
                    "{operation} for {}: {}. {}",
                    user.id,
                    error.message,
                    recovery_advice(operation, &user.id)
                ),
                ..error
            });
        }
        Err(error) if error.okta_code() == Some("E0000112") => return Err(error),
        // "Unlock is not allowed for this user" (403, cause "The user is not locked out.": okta-sdk-python cassette
        // `test_users_it/TestUsersResource.test_unlock_user.yaml`, 780ecaa8): nothing to unlock, not a failure.
        Err(error) if operation == "unlock" && error.okta_code() == Some("E0000032") => {
            return unlock_refused(action, okta, input, user, error).await;
        }
        Err(error) => {
            return confirm_after_refusal(action, okta, input, user, &after, secret, error).await;
        }
    };
    if let Some(field) = secret
        && body.get(field).and_then(Value::as_str).is_none()
    {
        return Err(Error::new(
            ErrorKind::OktaOutcomeUnknown,
            format!(
                "{operation} for {}: Okta made the change but its answer carried no {field}. {}",
                user.id,
                recovery_advice(operation, &user.id)
            ),
        ));
    }
    let mut transitioning = None;
    let mut unconfirmed = String::new();
    let status_after = match body.get("status").and_then(Value::as_str) {
        Some(status) => UserStatus::from(status.to_owned()),
        // Activation's outcome depends on things the client cannot see (a federated user, an org where passwords
        // are optional), and reactivating a RECOVERY user is documented by no outcome at all: ask Okta rather than
        // predict. Activation is asynchronous (spec `activateUser`), so its end is waited for within the deadline;
        // not over by then, the status Okta shows is reported with the one it is moving to.
        None if matches!(operation, "activate" | "reactivate") => {
            let read = match get_user(okta, &user.id).await {
                Ok(read) => wait_for_transition(okta, read).await,
                Err(error) => Err(error),
            };
            match read {
                Ok(read) => {
                    transitioning = read.transitioning_to_status;
                    read.status
                }
                // The change was made (and may have issued a link, which must reach the caller): report what
                // Okta is expected to show, and say that it was not confirmed.
                Err(error) => {
                    unconfirmed = format!(" (expected; reading the user again failed: {error})");
                    after
                }
            }
        }
        None => after,
    };
    let message = match &transitioning {
        Some(target) => format!(
            "{operation}: {from} to {status_after}, which Okta is still changing to {target} (transitioningToStatus); \
             read the user again later for the end status"
        ),
        None => format!("{operation}: {from} to {status_after}{unconfirmed}"),
    };
    let mut summary = UserSummary::new(user, &status_after);
    summary.transitioning_to_status = transitioning;
    let mut output = base_output(action, summary, true, input, message);
    // Okta returns these only when no email was sent, that is when the caller asked for them.
    output.activation_url = Revealed::from_json(&body, "activationUrl");
    output.activation_token = Revealed::from_json(&body, "activationToken");
    output.reset_password_url = Revealed::from_json(&body, "resetPasswordUrl");
    output.temp_password = Revealed::from_json(&body, "tempPassword");
    Ok(output)
}

/// Okta will not unlock the user (403 E0000032). If the user went from LOCKED_OUT to ACTIVE meanwhile (the lockout
/// ended, or an earlier attempt of this call whose answer was lost), the goal is reached as in
/// `confirm_after_refusal`; otherwise nothing changed, and that is the answer: unchanged, with Okta's reason.
async fn unlock_refused(
    action: Action,
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    error: Error,
) -> Result<Output> {
    let now = get_user(okta, &user.id).await?;
    if user.status == UserStatus::LockedOut && now.status == UserStatus::Active {
        let message = format!(
            "{} is now {} (Okta refused the request: {error})",
            user.id, now.status
        );
        return Ok(base_output(
            action,
            UserSummary::new(user, &now.status),
            true,
            input,
            message,
        ));
    }
    let message = format!(
        "unchanged: Okta will not unlock the user, who is {} ({error})",
        now.status
    );
    Ok(base_output(
        action,
        UserSummary::new(user, &now.status),
        false,
        input,
        message,
    ))
}

/// Okta refused the change. If the user is nevertheless in the goal status (an earlier attempt whose answer was
/// lost, or a concurrent change; Okta answers 404 to deactivating a deactivated user), that is success, unless the
/// caller asked for a secret: this request issued none, so it is not reported as a change.
async fn confirm_after_refusal(
    action: Action,
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    after: &UserStatus,
    secret: Option<&str>,
    error: Error,
) -> Result<Output> {
    if !matches!(
        error.kind,
        ErrorKind::OktaNotApplicable | ErrorKind::OktaNotFound | ErrorKind::OktaRejected
    ) {
        return Err(error);
    }
    match get_user(okta, &user.id).await {
        Ok(now) if now.status == *after && secret.is_some() => Err(Error {
            kind: ErrorKind::OktaNotApplicable,
            message: format!(
                "{} (the user is already {after}, changed by someone else or an earlier attempt; no {} was issued)",
                error.message,
                secret.unwrap_or_default()
            ),
            ..error
        }),
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

fn plan(action: Action, user: &User, input: &Input, blocks: Blocks) -> Result<Plan> {
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
            // Spec `reactivateUser`: "only on users with a `PROVISIONED` or `RECOVERY` status"; it "restarts the
            // activation workflow" and, with `sendEmail: false`, returns an activation link. The status it leaves is
            // read back, not predicted (PROVISIONED is the simulator's guess for RECOVERY).
            Provisioned | Recovery if input.resend_activation => post(
                "reactivate",
                vec![("sendEmail", flag(input.send_email.unwrap_or(true)))],
                Provisioned,
            ),
            Provisioned => unchanged(
                ": activation is pending; set resendActivation to send the activation again",
            ),
            Recovery => unchanged(
                ": a password reset or activation is pending; set resendActivation to restart the activation (reactivate)",
            ),
            Active | PasswordExpired => unchanged(" (activated)"),
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
            // Unlock also lifts an ACTIVE user's block from unknown devices (spec `unlockUser`). Blocks unknown (no
            // blocks feature): Okta decides; its 403 E0000032 when there is no block means unchanged.
            Active if matches!(blocks, Blocks::Blocked | Blocks::Unknown) => {
                post("unlock", vec![], Active)
            }
            Active => unchanged(" and not blocked"),
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
