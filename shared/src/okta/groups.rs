//! Groups: finding one by id or exact name, and changing memberships.

use super::models::Group;
use super::{Session, search_literal, segment};
use crate::error::{Error, ErrorKind, Result};

/// Okta group ids: `00g` followed by 17 characters.
fn looks_like_group_id(reference: &str) -> bool {
    reference.len() == 20
        && reference.starts_with("00g")
        && reference.chars().all(|c| c.is_ascii_alphanumeric())
}

/// A group by id or exact name. Names are matched exactly (case first, then case-insensitively, as Okta's `eq`
/// does); two groups with the name give `Okta.Ambiguous` with their ids.
pub async fn find_group(okta: &Session<'_>, reference: &str) -> Result<Group> {
    if looks_like_group_id(reference)
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
    let exact: Vec<&Group> = groups
        .iter()
        .filter(|group| group.profile.name == reference)
        .collect();
    let candidates: Vec<&Group> = if exact.is_empty() {
        groups
            .iter()
            .filter(|group| group.profile.name.eq_ignore_ascii_case(reference))
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [group] => Ok((*group).clone()),
        [] => Err(Error::new(
            ErrorKind::OktaNotFound,
            format!("no Okta group has the id or name {reference:?}"),
        )),
        many => Err(Error::new(
            ErrorKind::OktaAmbiguous,
            format!(
                "{} groups are named {reference:?}: {}; give the group's id",
                many.len(),
                many.iter()
                    .map(|group| format!("{} ({})", group.id, group.group_type))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
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
