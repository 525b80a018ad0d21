//! Users: finding one by id, login, login shortname or email, and reading its groups and apps.

use std::time::Duration;

use super::models::{Group, User, UserBlock};
use super::{Session, is_path_segment, search_literal, segment};
use crate::error::{Error, ErrorKind, Result};

/// How a reference matched its user: changes accept only the unambiguous ways (guard.rs).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Matched {
    Id,
    /// The full login, compared case-insensitively (Okta treats logins so).
    Login,
    /// The login's part before `@`, which Okta resolves by path when it is unique today.
    Shortname,
    Email,
}

/// Resolves what a person would call a user: id, login, login shortname or email. Exactly one user, or
/// `Okta.NotFound` naming what was searched, or `Okta.Ambiguous` listing the candidates. Never a prefix match.
/// A user the guardrails already resolved in this invocation is not read again.
pub async fn find_user(okta: &Session<'_>, reference: &str) -> Result<User> {
    if let Some(user) = okta.memo.user.get(reference) {
        return Ok(user);
    }
    resolve_user(okta, reference).await.map(|(user, _)| user)
}

/// `find_user`, telling how the reference matched.
pub async fn resolve_user(okta: &Session<'_>, reference: &str) -> Result<(User, Matched)> {
    // Okta resolves id, login and unambiguous shortname by path, except logins with `/` (405 there) and dot
    // segments (which never reach Okta as a user).
    if !reference.contains('/')
        && is_path_segment(reference)
        && let Some(user) = okta
            .get_optional::<User>(&format!("/api/v1/users/{}", segment(reference)), &[])
            .await?
    {
        let matched = if user.id == reference {
            Matched::Id
        } else if user.login().eq_ignore_ascii_case(reference) {
            Matched::Login
        } else {
            Matched::Shortname
        };
        return Ok((user, matched));
    }
    let by_login = search_users(okta, "profile.login", reference).await?;
    if let Some(user) = exactly_one(by_login, reference, "login")? {
        return Ok((user, Matched::Login));
    }
    if reference.contains('@') {
        // Emails are not unique in Okta: several users may share one.
        let by_email = search_users(okta, "profile.email", reference).await?;
        if let Some(user) = exactly_one(by_email, reference, "email")? {
            return Ok((user, Matched::Email));
        }
    }
    Err(Error::new(
        ErrorKind::OktaNotFound,
        format!("no Okta user has the id, login or email {reference:?}"),
    ))
}

/// `search` matches string values case-insensitively (and includes DEPROVISIONED users): keep exact matches first.
async fn search_users(okta: &Session<'_>, property: &str, value: &str) -> Result<Vec<User>> {
    let expression = format!("{property} eq {}", search_literal(value));
    let users: Vec<User> = okta
        .get_all("/api/v1/users", &[("search", &expression)])
        .await?;
    let field = property.trim_start_matches("profile.");
    let exact: Vec<User> = users
        .iter()
        .filter(|user| user.profile.get(field).and_then(|v| v.as_str()) == Some(value))
        .cloned()
        .collect();
    Ok(if exact.is_empty() { users } else { exact })
}

fn exactly_one(mut users: Vec<User>, reference: &str, what: &str) -> Result<Option<User>> {
    match users.len() {
        0 => Ok(None),
        1 => Ok(users.pop()),
        _ => Err(Error::new(
            ErrorKind::OktaAmbiguous,
            format!(
                "{} users have the {what} {reference:?}: {}; give the user's id",
                users.len(),
                users
                    .iter()
                    .map(|user| user.id.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

/// Re-reads a user by id (the consistent read; searches are eventually consistent).
pub async fn get_user(okta: &Session<'_>, id: &str) -> Result<User> {
    okta.get(&format!("/api/v1/users/{}", segment(id)), &[])
        .await
}

/// The user as Okta shows it once an asynchronous activation or deactivation (`transitioningToStatus`, spec
/// `activateUser` / `deactivateUser`: "Activation of a user is an asynchronous operation") has finished: re-read with
/// growing pauses (250 ms doubling to 2 s) while a pause and the read after it fit before the deadline. Returns the
/// last read, settled or, when time ran out, still transitioning.
pub async fn wait_for_transition(okta: &Session<'_>, mut user: User) -> Result<User> {
    let mut wait = Duration::from_millis(250);
    while user.transitioning_to_status.is_some() {
        if !okta.pause_before_request(wait).await {
            break;
        }
        wait = (wait * 2).min(Duration::from_secs(2));
        user = get_user(okta, &user.id).await?;
    }
    Ok(user)
}

/// The user with no transition in progress, so that an action plans from the settled status. Not settled in time:
/// a retryable `Okta.Transient` that says so.
pub async fn settled(okta: &Session<'_>, user: User) -> Result<User> {
    let user = wait_for_transition(okta, user).await?;
    match &user.transitioning_to_status {
        Some(target) => Err(Error::new(
            ErrorKind::OktaTransient,
            format!(
                "{} is still transitioning from {} to {target} in Okta; retry once the change is complete",
                user.id, user.status
            ),
        )),
        None => Ok(user),
    }
}

/// How the user is blocked from signing in (spec `listUserBlocks`); empty when not blocked. An org without the
/// feature answers `Okta.FeatureUnavailable` (401 E0000015, see `errors.rs`).
pub async fn user_blocks(okta: &Session<'_>, user_id: &str) -> Result<Vec<UserBlock>> {
    okta.get(&format!("/api/v1/users/{}/blocks", segment(user_id)), &[])
        .await
}

/// Every group the user is in, all pages, the built-in `Everyone` included.
pub async fn user_groups(okta: &Session<'_>, user_id: &str) -> Result<Vec<Group>> {
    if let Some(groups) = okta.memo.user_groups.get(user_id) {
        return Ok(groups);
    }
    okta.get_all(&format!("/api/v1/users/{}/groups", segment(user_id)), &[])
        .await
}
