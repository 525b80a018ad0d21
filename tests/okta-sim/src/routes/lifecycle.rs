//! `POST /api/v1/users/{id}/lifecycle/*`: the status machine of notes §1–2.
//!
//! Which operation is allowed in which status comes from `UserStatus::allowed_ops`, the same table
//! that builds the user's `_links`. The error for a refused operation is per operation:
//! - activate: ACTIVE → 403 E0000016; other statuses → 403 E0000038 (generic code; unverified);
//! - reactivate (allowed for PROVISIONED and RECOVERY, SPEC `reactivateUser`: "Perform this operation only on
//!   users with a `PROVISIONED` or `RECOVERY` status"): 403 E0000038 otherwise (documented);
//! - deactivate: DEPROVISIONED → 404 E0000007 (observed, okta-sdk-java #721);
//! - suspend / unsuspend: 400 E0000001 (DOCS-USERS);
//! - unlock: 403 E0000032 with cause "The user is not locked out." (observed);
//! - expire_password (both): 403 E0000038 (unverified, generic code);
//! - reset_password: 403 E0000017 "Password reset failed" (unverified mapping);
//! - reset_factors: DEPROVISIONED → 404 E0000007, as Okta answers for that user's factor list (okta-sdk-java issue
//!   #646; the reset itself on such a user is unverified).

use axum::http::HeaderMap;
use serde_json::json;

use super::{bool_param, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{Transition, UserStatus};
use crate::server::Shared;
use crate::util::{now_iso, query_get, query_pairs, random_alnum};

fn refused(op: &str, status: UserStatus, id: &str) -> OktaError {
    match op {
        "activate" if status == UserStatus::Active => OktaError::new(
            403,
            "E0000016",
            "Activation failed because the user is already active",
        ),
        "deactivate" => OktaError::not_found(id, "User"),
        "suspend" => {
            OktaError::validation("status").cause("Cannot suspend a user that is not active.")
        }
        "unsuspend" => {
            OktaError::validation("status").cause("Cannot unsuspend a user that is not suspended.")
        }
        "unlock" => OktaError::new(403, "E0000032", "Unlock is not allowed for this user.")
            .cause("The user is not locked out."),
        "reset_password" => OktaError::new(403, "E0000017", "Password reset failed"),
        "reset_factors" => OktaError::not_found(id, "User"),
        _ => OktaError::not_allowed_in_status(),
    }
}

/// The `_links` name of a lifecycle path segment.
fn link_name(op: &str) -> &str {
    match op {
        "reset_password" => "resetPassword",
        "reset_factors" => "resetFactors",
        "expire_password" | "expire_password_with_temp_password" => "expirePassword",
        other => other,
    }
}

pub fn run(
    sh: &Shared,
    op: &str,
    id: &str,
    raw_query: Option<&str>,
    headers: &HeaderMap,
) -> ApiResult {
    let pairs = query_pairs(raw_query);
    // Parameters are validated before the user is looked at, as Spring-style binding does.
    let send_email = match op {
        "activate" => Some(bool_param(&pairs, "sendEmail", true)?),
        "reactivate" | "deactivate" => Some(bool_param(&pairs, "sendEmail", false)?),
        "reset_password" => {
            // Required by the SPEC (no default): Okta's current behaviour → 400 E0000028.
            if query_get(&pairs, "sendEmail").is_none() {
                return Err(OktaError::missing_param("sendEmail"));
            }
            Some(bool_param(&pairs, "sendEmail", true)?)
        }
        _ => None,
    };
    let revoke_sessions = bool_param(&pairs, "revokeSessions", false)?;
    // `Prefer: respond-async` is accepted; the simulator completes deactivation immediately either way
    // and answers 200 `{}` (the documented synchronous answer).
    let _async = headers
        .get("prefer")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.contains("respond-async"));

    let mut org = sh.org();
    let i = super::users::resolve(&org, id)?;
    if let Some(busy) = crate::transitions::still_transitioning(&org.users[i]) {
        return Err(busy);
    }
    let status = org.users[i].status;
    // Unlock also lifts an ACTIVE user's block from unknown devices (SPEC unlockUser).
    let unblock =
        op == "unlock" && status == UserStatus::Active && org.users[i].blocked_unknown_devices;
    if !status.allows(link_name(op)) && !unblock {
        return Err(refused(op, status, id));
    }
    let uid = org.users[i].id.clone();
    let base = &sh.base;
    let now = now_iso();
    match op {
        "activate" | "reactivate" => {
            // Activation is asynchronous (SPEC `activateUser`): with `activationSettlesAfterReads`, the old status
            // stays, with `transitioningToStatus`, for that many reads.
            let in_progress_for = org
                .activation_settles_after_reads
                .filter(|_| op == "activate");
            let u = &mut org.users[i];
            // With a password the user can sign in at once (ACTIVE); without one they must finish the
            // activation flow first (PROVISIONED). A DEPROVISIONED user lost the password on
            // deactivation, so comes back PROVISIONED (state diagram). Reactivate restarts the flow.
            // A federated user signs in through its identity provider: ACTIVE without an Okta password.
            let to = if op == "activate" && (u.has_password || u.federated) {
                UserStatus::Active
            } else {
                UserStatus::Provisioned
            };
            match in_progress_for {
                Some(reads) => {
                    u.transition = Some(Transition {
                        to,
                        reads_left: reads,
                    })
                }
                None => u.set_status(to),
            }
            u.activated = Some(now);
            let token = random_alnum(20);
            if send_email == Some(true) {
                org.record_email(&uid, "activation");
                Ok(json(json!({})))
            } else {
                Ok(json(json!({
                    "activationToken": token,
                    "activationUrl": format!("{base}/tokens/{token}/verify"),
                })))
            }
        }
        "deactivate" => {
            let u = &mut org.users[i];
            u.set_status(UserStatus::Deprovisioned);
            // "All app assignments are removed and the password is permanently deleted"
            // (HELP-STATES); sessions and tokens end with the account. Group memberships are kept
            // (Okta keeps them; group-granted apps are hidden while DEPROVISIONED, see model.rs).
            u.has_password = false;
            u.password_changed = None;
            u.sessions = 0;
            u.oauth_tokens = 0;
            for client in &mut u.oauth_clients {
                client.tokens = 0;
            }
            u.remembered_devices = false;
            for app in &mut org.apps {
                app.users.remove(&uid);
            }
            if send_email == Some(true) {
                org.record_email(&uid, "deactivation");
            }
            Ok(json(json!({})))
        }
        "suspend" => {
            let u = &mut org.users[i];
            u.set_status(UserStatus::Suspended);
            // ROLES (okta.users.lifecycle.suspend): "When a user is suspended, their user sessions
            // are also cleared."
            u.sessions = 0;
            Ok(json(json!({})))
        }
        "unsuspend" | "unlock" => {
            org.users[i].blocked_unknown_devices = false;
            org.users[i].set_status(UserStatus::Active);
            Ok(json(json!({})))
        }
        "expire_password" => {
            let u = &mut org.users[i];
            u.set_status(UserStatus::PasswordExpired);
            Ok(json(u.to_json(base)))
        }
        "expire_password_with_temp_password" => {
            let u = &mut org.users[i];
            u.set_status(UserStatus::PasswordExpired);
            u.has_password = true;
            u.password_changed = Some(now);
            if revoke_sessions {
                u.sessions = 0;
            }
            Ok(json(json!({ "tempPassword": random_alnum(12) })))
        }
        "reset_password" => {
            let u = &mut org.users[i];
            u.set_status(UserStatus::Recovery);
            if revoke_sessions {
                u.sessions = 0;
            }
            if send_email == Some(true) {
                org.record_email(&uid, "reset");
                Ok(json(json!({})))
            } else {
                let token = random_alnum(20);
                Ok(json(
                    json!({ "resetPasswordUrl": format!("{base}/reset_password/{token}") }),
                ))
            }
        }
        "reset_factors" => {
            // SPEC `resetFactors`: every enrollment returns to unenrolled, the status stays. A real org answered
            // 200 `{}`, also for a user with no factor (okta-sdk-python cassette
            // `test_users_it/TestUsersResource.test_reset_factors.yaml`, commit 780ecaa8).
            org.users[i].factors.clear();
            Ok(json(json!({})))
        }
        _ => Err(OktaError::method_not_allowed()),
    }
}
