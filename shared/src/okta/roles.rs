//! Admin roles: who the token belongs to, and the role assignments of a user (direct and through groups) or of a
//! group (spec `listAssignedRolesForUser`, `listGroupAssignedRoles`; okta-api-notes.md section 12).

use super::models::{Role, User};
use super::{Session, segment};
use crate::error::Result;

/// The admin who owns the API token (spec `getUser`: `me` is the user linked to the token).
pub async fn token_owner(okta: &Session<'_>) -> Result<User> {
    okta.get("/api/v1/users/me", &[]).await
}

/// Every admin role the user holds, with `assignmentType` USER (direct) or GROUP (through a group).
pub async fn user_roles(okta: &Session<'_>, user_id: &str) -> Result<Vec<Role>> {
    okta.get(&format!("/api/v1/users/{}/roles", segment(user_id)), &[])
        .await
}

/// The admin roles assigned to a group: every member holds them.
pub async fn group_roles(okta: &Session<'_>, group_id: &str) -> Result<Vec<Role>> {
    okta.get(&format!("/api/v1/groups/{}/roles", segment(group_id)), &[])
        .await
}
