//! `GET /api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}` (SPEC `listLinkedObjectsForUser`) for the
//! `manager` / `subordinate` relationship, the example Okta's docs use: for `manager`, the `self` link of the
//! user's manager (the primary user, example `GetPrimaryLinkedObjectResponse`), or an empty array; for
//! `subordinate`, one link per user whose manager this user is. Other relationship names are not defined in the
//! simulated org: 404 E0000007 (what Okta answers for an undefined name is not documented).

use axum::extract::Path;
use serde_json::{Value, json};

use super::users::resolve;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};

pub async fn list(sh: Sh, Path((id, relationship)): Path<(String, String)>) -> ApiResult {
    let org = sh.org();
    let user = &org.users[resolve(&org, &id)?];
    let link = |user_id: &str| json!({ "_links": { "self": { "href": format!("{}/api/v1/users/{user_id}", sh.base) } } });
    let items: Vec<Value> = match relationship.as_str() {
        "manager" => user.manager.iter().map(|m| link(m)).collect(),
        "subordinate" => org
            .users
            .iter()
            .filter(|other| other.manager.as_deref() == Some(user.id.as_str()))
            .map(|other| link(&other.id))
            .collect(),
        _ => return Err(OktaError::not_found(&relationship, "LinkedObject")),
    };
    Ok(json(Value::Array(items)))
}
