//! Linked objects (spec `listLinkedObjectsForUser`): the user's manager, as the `manager` relationship Okta's docs
//! use for the example (primary `manager`, associated `subordinate`).

use serde::Deserialize;

use super::{Session, segment};
use crate::error::{ErrorKind, Result};

/// The name of the relationship whose primary user is a person's manager.
pub const MANAGER_RELATIONSHIP: &str = "manager";

#[derive(Deserialize)]
struct LinkedObject {
    #[serde(rename = "_links")]
    links: Links,
}

#[derive(Deserialize)]
struct Links {
    #[serde(rename = "self")]
    this: Href,
}

#[derive(Deserialize)]
struct Href {
    href: String,
}

/// The id of the user's manager: the last segment of the primary user's `self` link (spec example
/// `GetPrimaryLinkedObjectResponse`). `None` when the user has no manager, or when the org defines no `manager`
/// relationship (Okta answers 404 for it).
pub async fn manager_id(okta: &Session<'_>, user_id: &str) -> Result<Option<String>> {
    let path = format!(
        "/api/v1/users/{}/linkedObjects/{MANAGER_RELATIONSHIP}",
        segment(user_id)
    );
    let links: Vec<LinkedObject> = match okta.get(&path, &[]).await {
        Ok(links) => links,
        Err(error) if error.kind == ErrorKind::OktaNotFound => return Ok(None),
        Err(error) => return Err(error),
    };
    Ok(links.into_iter().next().and_then(|link| {
        link.links
            .this
            .href
            .rsplit('/')
            .next()
            .filter(|id| !id.is_empty())
            .map(str::to_owned)
    }))
}
