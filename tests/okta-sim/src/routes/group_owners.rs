//! Group owners (SPEC tag `GroupOwner`, Okta Identity Governance): list (`listGroupOwners`), assign
//! (`assignGroupOwner`) and delete (`deleteGroupOwner`). Okta has no "groups this user owns" listing: a client finds
//! them by reading each group's owners.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{GroupOwner, Org};
use crate::paging::{list_response, paginate};
use crate::util::{now_iso, query_pairs};

fn group_idx(org: &Org, id: &str) -> Result<usize, OktaError> {
    org.group_idx(id)
        .ok_or_else(|| OktaError::not_found(id, "UserGroup"))
}

/// A `GroupOwner` as the spec's examples (`ListsOwnersMultipleResponse`) show it.
fn owner_json(org: &Org, owner: &GroupOwner) -> Value {
    let display_name = match owner.owner_type.as_str() {
        "USER" => org.user_idx_by_id(&owner.id).map(|i| {
            let user = &org.users[i];
            format!(
                "{} {}",
                user.profile
                    .get("firstName")
                    .and_then(Value::as_str)
                    .unwrap_or(""),
                user.profile
                    .get("lastName")
                    .and_then(Value::as_str)
                    .unwrap_or("")
            )
        }),
        _ => org.group_idx(&owner.id).map(|i| org.groups[i].name.clone()),
    };
    json!({
        "id": owner.id,
        "type": owner.owner_type,
        "resolved": true,
        "originId": null,
        "originType": owner.origin_type,
        "displayName": display_name,
        "lastUpdated": owner.last_updated,
    })
}

/// `GET /api/v1/groups/{groupId}/owners`: paged by `after`/`limit` (default 1000, SPEC).
pub async fn list(sh: Sh, Path(group_id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let group = &org.groups[group_idx(&org, &group_id)?];
    let items: Vec<(u64, Value)> = group
        .owners
        .iter()
        .enumerate()
        .map(|(n, owner)| (u64::try_from(n).unwrap_or(0) + 1, owner_json(&org, owner)))
        .collect();
    let (page, limit) = paginate(items, &pairs, 1000, 1000)?;
    let path = format!("/api/v1/groups/{group_id}/owners");
    Ok(list_response(
        &sh.base,
        &path,
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

/// `POST /api/v1/groups/{groupId}/owners` with `{"id", "type"}` (SPEC `AssignGroupOwnerRequestBody`): 201 with the
/// owner. An owner that does not exist is 404; one already there is answered 201 again (not documented either way).
pub async fn assign(sh: Sh, Path(group_id): Path<String>, body: Bytes) -> ApiResult {
    let request: Value = serde_json::from_slice(&body).map_err(|_| OktaError::malformed_body())?;
    let (Some(id), Some(owner_type)) = (
        request.get("id").and_then(Value::as_str),
        request.get("type").and_then(Value::as_str),
    ) else {
        return Err(OktaError::validation("id, type"));
    };
    let mut org = sh.org();
    let gi = group_idx(&org, &group_id)?;
    match owner_type {
        "USER" if org.user_idx_by_id(id).is_none() => {
            return Err(OktaError::not_found(id, "User"));
        }
        "GROUP" if org.group_idx(id).is_none() => {
            return Err(OktaError::not_found(id, "UserGroup"));
        }
        "USER" | "GROUP" => {}
        _ => return Err(OktaError::validation("type")),
    }
    let owner = match org.groups[gi].owners.iter().find(|owner| owner.id == id) {
        Some(existing) => existing.clone(),
        None => {
            let owner = GroupOwner {
                id: id.to_owned(),
                owner_type: owner_type.to_owned(),
                origin_type: "OKTA_DIRECTORY".into(),
                last_updated: now_iso(),
            };
            org.groups[gi].owners.push(owner.clone());
            owner
        }
    };
    Ok((StatusCode::CREATED, json(owner_json(&org, &owner))).into_response())
}

/// `DELETE /api/v1/groups/{groupId}/owners/{ownerId}`: 204, or 404 E0000007 for an owner the group does not have.
/// Okta does not refuse removing the last owner; the client must not leave a group without one.
pub async fn remove(sh: Sh, Path((group_id, owner_id)): Path<(String, String)>) -> ApiResult {
    let mut org = sh.org();
    let gi = group_idx(&org, &group_id)?;
    let before = org.groups[gi].owners.len();
    org.groups[gi].owners.retain(|owner| owner.id != owner_id);
    if org.groups[gi].owners.len() == before {
        return Err(OktaError::not_found(&owner_id, "GroupOwner"));
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
