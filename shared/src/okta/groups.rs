//! Groups: finding one by id or exact name, and changing memberships.

use super::models::Group;
use super::{Session, exactly_named, looks_like_id, search_literal, segment};
use crate::error::{Error, Result};

/// A group by id or exact name; two groups with the name give `Okta.Ambiguous` with their ids and types.
pub async fn find_group(okta: &Session<'_>, reference: &str) -> Result<Group> {
    if let Some(group) = okta.memo.group.get(reference) {
        return Ok(group);
    }
    if looks_like_id(reference, "00g")
        && let Some(group) = okta
            .get_optional::<Group>(&format!("/api/v1/groups/{}", segment(reference)), &[])
            .await?
    {
        return Ok(group);
    }
    let expression = format!("profile.name eq {}", search_literal(reference));
    let groups: Vec<Group> = okta
        .get_all("/api/v1/groups", &[("search", &expression)])
        .await?;
    exactly_named(
        &groups,
        reference,
        |group| &group.profile.name,
        |group| format!("{} ({})", group.id, group.group_type),
        "group",
    )
}

/// Refuses groups whose memberships Okta does not let the API change.
pub fn ensure_membership_is_manageable(group: &Group) -> Result<()> {
    match group.group_type.as_str() {
        "OKTA_GROUP" => Ok(()),
        "BUILT_IN" => Err(Error::not_applicable(format!(
            "group {:?} is built in: Okta manages its members (every user is in Everyone)",
            group.profile.name
        ))),
        other => Err(Error::not_applicable(format!(
            "group {:?} is an {other} group: its members are imported from its app or directory, not managed in Okta",
            group.profile.name
        ))),
    }
}

pub async fn add_member(okta: &Session<'_>, group_id: &str, user_id: &str) -> Result<()> {
    let path = format!(
        "/api/v1/groups/{}/users/{}",
        segment(group_id),
        segment(user_id)
    );
    okta.send_mutation(reqwest::Method::PUT, &path, &[], None)
        .await
        .map(drop)
}

pub async fn remove_member(okta: &Session<'_>, group_id: &str, user_id: &str) -> Result<()> {
    let path = format!(
        "/api/v1/groups/{}/users/{}",
        segment(group_id),
        segment(user_id)
    );
    okta.send_mutation(reqwest::Method::DELETE, &path, &[], None)
        .await
        .map(drop)
}
