//! Admin roles: the token's own user (`GET /api/v1/users/me`), a user's role assignments (direct and through
//! groups, SPEC `listAssignedRolesForUser`) and a group's (SPEC `listGroupAssignedRoles`).

use axum::extract::Path;
use serde_json::{Value, json};

use super::users::resolve_id;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{Org, User, UserStatus};
use crate::util::{now_iso, seeded_id};

/// Login of the super admin who answers `me` when the seed names no token owner. Not listed anywhere, as an
/// admin outside the org's user lists would be to a test.
pub const DEFAULT_TOKEN_OWNER_LOGIN: &str = "okta-sim-admin@sim.invalid";

/// SPEC `getUser`: "substitute `me` for the `id` to fetch the current user linked to an API token".
pub fn me(sh: &Sh) -> ApiResult {
    let org = sh.org();
    let owner = org
        .token_owner
        .as_deref()
        .and_then(|id| org.user_idx_by_id(id));
    Ok(json(match owner {
        Some(i) => org.users[i].to_json(&sh.base),
        None => default_owner().to_json(&sh.base),
    }))
}

fn default_owner() -> User {
    let now = now_iso();
    let mut profile = serde_json::Map::new();
    profile.insert("login".into(), json!(DEFAULT_TOKEN_OWNER_LOGIN));
    profile.insert("email".into(), json!(DEFAULT_TOKEN_OWNER_LOGIN));
    profile.insert("firstName".into(), json!("Okta-sim"));
    profile.insert("lastName".into(), json!("Admin"));
    User {
        seq: 0,
        id: seeded_id("00u", DEFAULT_TOKEN_OWNER_LOGIN),
        status: UserStatus::Active,
        created: now.clone(),
        activated: Some(now.clone()),
        status_changed: Some(now.clone()),
        last_login: None,
        last_updated: now.clone(),
        password_changed: Some(now),
        profile,
        has_password: true,
        sessions: 0,
        oauth_tokens: 0,
        remembered_devices: false,
        roles: vec!["SUPER_ADMIN".into()],
        transition: None,
        blocked_unknown_devices: false,
        federated: false,
        oauth_clients: Vec::new(),
        factors: Vec::new(),
        manager: None,
    }
}

/// A role assignment as the spec's `StandardRole` / `CustomRole` describe it.
fn role_json(base: &str, owner: &str, role: &str, assignment_type: &str, href: &str) -> Value {
    let label = match role {
        "SUPER_ADMIN" => "Super Administrator".to_string(),
        "ORG_ADMIN" => "Organizational Administrator".to_string(),
        "CUSTOM" => "Custom role".to_string(),
        other => other.replace('_', " "),
    };
    json!({
        "id": seeded_id("ra1", &format!("{owner}|{role}")),
        "label": label,
        "type": role,
        "status": "ACTIVE",
        "created": "2026-01-01T00:00:00.000Z",
        "lastUpdated": "2026-01-01T00:00:00.000Z",
        "assignmentType": assignment_type,
        "_links": { "assignee": { "href": format!("{base}{href}") } },
    })
}

/// A user's roles: direct ones (`assignmentType: USER`), then those of each group the user is in (`GROUP`).
pub async fn user_roles(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let user = &org.users[resolve_id(&org, &id)?];
    Ok(json(Value::Array(roles_of_user(&org, user, &sh.base))))
}

fn roles_of_user(org: &Org, user: &User, base: &str) -> Vec<Value> {
    let direct = user.roles.iter().map(|role| {
        role_json(
            base,
            &user.id,
            role,
            "USER",
            &format!("/api/v1/users/{}", user.id),
        )
    });
    let through_groups = org.user_group_indices(&user.id).into_iter().flat_map(|g| {
        let group = &org.groups[g];
        group.roles.iter().map(move |role| {
            role_json(
                base,
                &group.id,
                role,
                "GROUP",
                &format!("/api/v1/groups/{}", group.id),
            )
        })
    });
    direct.chain(through_groups).collect()
}

pub async fn group_roles(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let group = org
        .group_idx(&id)
        .map(|i| &org.groups[i])
        .ok_or_else(|| OktaError::not_found(&id, "UserGroup"))?;
    let roles = group
        .roles
        .iter()
        .map(|role| {
            role_json(
                &sh.base,
                &group.id,
                role,
                "GROUP",
                &format!("/api/v1/groups/{}", group.id),
            )
        })
        .collect();
    Ok(json(Value::Array(roles)))
}
