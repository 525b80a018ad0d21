//! Group owners (spec tag `GroupOwner`, an Okta Identity Governance feature): the org's groups, each group's owners
//! (`listGroupOwners`), assigning (`assignGroupOwner`) and removing (`deleteGroupOwner`) one.
//!
//! Okta has no "groups this user owns" listing (the spec's `GroupOwner` operations are all per group), so the groups
//! a user owns are found by reading every group's owners, as Okta admins' own scripts do (gabrielsroka's console
//! export of groups and owners, gabrielsroka/gabrielsroka.github.io issue #74).

use reqwest::Method;
use serde_json::json;

use super::models::{Group, GroupOwner};
use super::{Session, segment};
use crate::error::Result;

/// Every group of the org, 200 a page (Okta's recommended limit, spec `listGroups`).
pub async fn all_groups(okta: &Session<'_>) -> Result<Vec<Group>> {
    okta.get_all("/api/v1/groups", &[("limit", "200")]).await
}

/// Every owner of the group, users and groups.
pub async fn group_owners(okta: &Session<'_>, group_id: &str) -> Result<Vec<GroupOwner>> {
    okta.get_all(&format!("/api/v1/groups/{}/owners", segment(group_id)), &[])
        .await
}

/// Makes the user an owner of the group (spec `AssignGroupOwnerRequestBody`: `id`, `type: USER`).
pub async fn add_user_owner(okta: &Session<'_>, group_id: &str, user_id: &str) -> Result<()> {
    let path = format!("/api/v1/groups/{}/owners", segment(group_id));
    let body = json!({ "id": user_id, "type": "USER" });
    okta.send_mutation(Method::POST, &path, &[], Some(&body))
        .await
        .map(drop)
}

pub async fn remove_owner(okta: &Session<'_>, group_id: &str, owner_id: &str) -> Result<()> {
    let path = format!(
        "/api/v1/groups/{}/owners/{}",
        segment(group_id),
        segment(owner_id)
    );
    okta.send_mutation(Method::DELETE, &path, &[], None)
        .await
        .map(drop)
}
