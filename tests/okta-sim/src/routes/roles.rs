//! Admin roles: the token's own user (`GET /api/v1/users/me`), a user's role assignments (direct and through
//! groups, SPEC `listAssignedRolesForUser`) and a group's (SPEC `listGroupAssignedRoles`).

use axum::extract::Path;
use axum::http::{HeaderMap, header};
use serde_json::{Value, json};

use super::users::resolve_id;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{Org, User, UserStatus};
use crate::server::Shared;
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
    // Recorded: APP_ADMIN "Application Administrator", USER_ADMIN "User Administrator" (okta/okta-sdk-python
    // cassettes TestUsersResource.test_assign_user_to_role and TestGroupsResource.test_group_roles_operations,
    // tests/okta-recordings). The others are the standard roles' names in Okta's admin-role documentation.
    let label = match role {
        "SUPER_ADMIN" => "Super Administrator".to_string(),
        "ORG_ADMIN" => "Organizational Administrator".to_string(),
        "APP_ADMIN" => "Application Administrator".to_string(),
        "USER_ADMIN" => "User Administrator".to_string(),
        "HELP_DESK_ADMIN" => "Help Desk Administrator".to_string(),
        "READ_ONLY_ADMIN" => "Read-only Administrator".to_string(),
        "GROUP_MEMBERSHIP_ADMIN" => "Group Membership Administrator".to_string(),
        "REPORT_ADMIN" => "Report Administrator".to_string(),
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

/// The custom-role permission that lets an admin read role assignments: "okta.iam.read: Allows the admin to view
/// roles, resources, and admin assignments" (okta/okta-developer-docs
/// packages/@okta/vuepress-site/docs/concepts/role-assignment/index.md, "Permission types", at
/// 6e3d66fc4bd3ac8c7c7269ada26e3858647bbd43).
pub const READ_ROLES_PERMISSION: &str = "okta.iam.read";

/// Role reads by an admin whose custom role lacks `okta.iam.read` answer `403 E0000006` "You do not have permission to
/// perform the requested action": okta/terraform-provider-okta issues #1492, #1541, #1900 and PR #1372 (tokens of
/// admins below super admin), okta-api-notes.md section 13. The principal is the API token's owner for `SSWS`, the
/// service app the access token was issued to otherwise; one whose seed lists no `adminPermissions` may do everything.
fn check_may_read_roles(sh: &Shared, headers: &HeaderMap) -> Result<(), OktaError> {
    let credential = headers
        .get(header::AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '));
    let principal = match credential {
        Some((scheme, _)) if scheme.eq_ignore_ascii_case("SSWS") => sh.org().token_owner.clone(),
        Some((_, token)) => sh.auth().client_of(token.trim()).map(str::to_owned),
        None => None,
    };
    let org = sh.org();
    let permitted = principal
        .and_then(|principal| org.admin_permissions.get(&principal))
        .is_none_or(|permissions| permissions.iter().any(|p| p == READ_ROLES_PERMISSION));
    if permitted {
        Ok(())
    } else {
        Err(OktaError::access_denied())
    }
}

/// A user's roles: direct ones (`assignmentType: USER`), then those of each group the user is in (`GROUP`).
pub async fn user_roles(sh: Sh, headers: HeaderMap, Path(id): Path<String>) -> ApiResult {
    check_may_read_roles(&sh, &headers)?;
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

pub async fn group_roles(sh: Sh, headers: HeaderMap, Path(id): Path<String>) -> ApiResult {
    check_may_read_roles(&sh, &headers)?;
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
