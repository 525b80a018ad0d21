//! Admin roles: who the token belongs to, and the role assignments of a user (direct and through groups) or of a
//! group (spec `listAssignedRolesForUser`, `listGroupAssignedRoles`; okta-api-notes.md section 12).
//!
//! Reading role assignments needs more than the `okta.roles.read` scope: the admin role behind the token must be a
//! super admin or hold the custom-role permission `okta.iam.read` ("Allows the admin to view roles, resources, and
//! admin assignments": okta/okta-developer-docs packages/@okta/vuepress-site/docs/concepts/role-assignment/index.md,
//! "Permission types", at 6e3d66fc4bd3ac8c7c7269ada26e3858647bbd43). Otherwise Okta answers `403 E0000006`
//! (okta/terraform-provider-okta issues #1492, #1541, #1900, PR #1372; okta-api-notes.md section 13), and the
//! refusal says so by name: the guardrails cannot tell an admin from anyone else, so no change is sent.

use super::models::{Role, User};
use super::{Session, segment};
use crate::error::{Error, ErrorKind, Result};

/// The custom-role permission that lets the token's admin read role assignments.
pub const READ_ROLES_PERMISSION: &str = "okta.iam.read";

/// How the Admin Console names `okta.iam.read` when a custom role is edited.
pub const READ_ROLES_PERMISSION_LABEL: &str = "View roles, resources, and admin assignments";

/// The OAuth scope a service app's token needs for the same reads (a scope grants nothing the role lacks).
pub const READ_ROLES_SCOPE: &str = "okta.roles.read";

/// The admin who owns the API token (spec `getUser`: `me` is the user linked to the token).
pub async fn token_owner(okta: &Session<'_>) -> Result<User> {
    okta.get("/api/v1/users/me", &[]).await
}

/// Every admin role the user holds, with `assignmentType` USER (direct) or GROUP (through a group).
pub async fn user_roles(okta: &Session<'_>, user_id: &str) -> Result<Vec<Role>> {
    okta.get(&format!("/api/v1/users/{}/roles", segment(user_id)), &[])
        .await
        .map_err(name_permission_refusal)
}

/// The admin roles assigned to a group: every member holds them.
pub async fn group_roles(okta: &Session<'_>, group_id: &str) -> Result<Vec<Role>> {
    okta.get(&format!("/api/v1/groups/{}/roles", segment(group_id)), &[])
        .await
        .map_err(name_permission_refusal)
}

/// A role read refused with `E0000006` is the admin role's doing: say which permission it lacks. A missing scope
/// (a 403 without a body, named by `WWW-Authenticate`) keeps the client's message, which names the scope.
fn name_permission_refusal(mut error: Error) -> Error {
    if error.kind == ErrorKind::OktaForbidden && error.okta_code() == Some("E0000006") {
        error.message = permission_refusal_message();
    }
    error
}

/// What to grant when Okta refuses a role read for lack of permission.
pub fn permission_refusal_message() -> String {
    format!(
        "Okta refused to read admin role assignments (403): the admin role behind this token lacks the permission \
         {READ_ROLES_PERMISSION} (custom role: \"{READ_ROLES_PERMISSION_LABEL}\") or is not a super admin, so the \
         guardrails cannot tell whether the user is an admin and nothing was changed; add {READ_ROLES_PERMISSION} to \
         the custom admin role (for a service app, its token also needs the {READ_ROLES_SCOPE} scope granted)"
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_e0000006_role_read_is_renamed() {
        let mut refused = Error::new(ErrorKind::OktaForbidden, "Okta answered 403");
        refused.okta = Some(Box::new(crate::error::OktaErrorBody {
            error_code: Some("E0000006".to_owned()),
            ..Default::default()
        }));
        let named = name_permission_refusal(refused);
        assert_eq!(named.kind, ErrorKind::OktaForbidden);
        assert!(named.message.contains("okta.iam.read"), "{named}");
        assert!(named.message.contains("okta.roles.read scope"), "{named}");
        let scope = Error::new(
            ErrorKind::OktaForbidden,
            "the access token lacks the scope okta.roles.read",
        );
        assert_eq!(
            name_permission_refusal(scope).message,
            "the access token lacks the scope okta.roles.read"
        );
        let not_found = Error::new(ErrorKind::OktaNotFound, "no such user");
        assert_eq!(name_permission_refusal(not_found).message, "no such user");
    }
}
