//! `/api/v1/groups`: list/search, get, members, membership changes, group rules.

use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::json;

use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{GroupType, Org};
use crate::paging::{list_response, paginate, parse_limit};
use crate::search::{self, Op};
use crate::util::{now_iso, query_get, query_pairs};

fn group_idx(org: &Org, id: &str) -> Result<usize, OktaError> {
    org.group_idx(id)
        .ok_or_else(|| OktaError::not_found(id, "UserGroup"))
}

const DATE_ATTRS: [&str; 3] = ["created", "lastUpdated", "lastMembershipUpdated"];

/// `search`: `co` only on `profile.name` / `profile.description` (SPEC listGroups.search).
fn search_allowed(attr: &str, op: Op) -> bool {
    op != Op::Co || matches!(attr, "profile.name" | "profile.description")
}

/// `filter`: only `id`, `type`, `lastUpdated`, `lastMembershipUpdated` (SPEC listGroups.filter).
fn filter_allowed(attr: &str, op: Op) -> bool {
    match attr {
        "id" | "type" => op == Op::Eq,
        a if DATE_ATTRS.contains(&a) && a != "created" => {
            matches!(op, Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le)
        }
        _ => false,
    }
}

pub async fn list(sh: Sh, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let base = &sh.base;
    let search = query_get(&pairs, "search").filter(|s| !s.is_empty());
    let filter = query_get(&pairs, "filter").filter(|s| !s.is_empty());
    let expr = search::from_query(search, filter, &search_allowed, &filter_allowed)?;
    if expr.is_none()
        && let Some(q) = query_get(&pairs, "q")
    {
        // q: startsWith on the name, exact matches first, not paged, default limit 300 (SPEC,
        // DOCS-GROUPS).
        let limit = parse_limit(&pairs, 300, 10_000)?;
        let ql = q.to_lowercase();
        let mut hits: Vec<_> = org
            .groups
            .iter()
            .filter(|g| g.name.to_lowercase().starts_with(&ql))
            .collect();
        hits.sort_by_key(|g| g.name.to_lowercase() != ql);
        let items = hits
            .into_iter()
            .take(limit)
            .map(|g| g.to_json(base))
            .collect();
        return Ok(list_response(
            base,
            "/api/v1/groups",
            &pairs,
            Some(limit),
            None,
            items,
        ));
    }
    let items: Vec<_> = org
        .groups
        .iter()
        .filter(|g| expr.as_ref().is_none_or(|e| e.eval(&|a| g.attr(a))))
        .map(|g| (g.seq, g.to_json(base)))
        .collect();
    let (page, limit) = paginate(items, &pairs, 10_000, 10_000)?;
    Ok(list_response(
        base,
        "/api/v1/groups",
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

pub async fn get_group(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    Ok(json(org.groups[group_idx(&org, &id)?].to_json(&sh.base)))
}

pub async fn members(sh: Sh, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let g = &org.groups[group_idx(&org, &id)?];
    let items: Vec<_> = org
        .member_indices(g)
        .into_iter()
        .map(|i| (org.users[i].seq, org.users[i].to_json(&sh.base)))
        .collect();
    let (page, limit) = paginate(items, &pairs, 1000, 10_000)?;
    let path = format!("/api/v1/groups/{}/users", g.id);
    Ok(list_response(
        &sh.base,
        &path,
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

/// Checks shared by PUT and DELETE membership: group exists, user exists (by id: the spec's
/// `{userId}`), group is an OKTA_GROUP. APP_GROUP and BUILT_IN memberships are managed by imports
/// and by Okta (SPEC); changing them answers 403 E0000006 (observed, okta-sdk-java #314).
fn membership_target(org: &Org, gid: &str, uid: &str) -> Result<(usize, String), OktaError> {
    let gi = group_idx(org, gid)?;
    let ui = super::users::resolve_id(org, uid)?;
    if org.groups[gi].gtype != GroupType::Okta {
        return Err(OktaError::access_denied());
    }
    Ok((gi, org.users[ui].id.clone()))
}

/// Idempotent: adding a member twice is a 204 both times.
pub async fn add_member(sh: Sh, Path((gid, uid)): Path<(String, String)>) -> ApiResult {
    let mut org = sh.org();
    let (gi, uid) = membership_target(&org, &gid, &uid)?;
    let g = &mut org.groups[gi];
    if !g.members.contains(&uid) {
        g.members.push(uid);
        g.last_membership_updated = now_iso();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// Removing a non-member is a 204 too. App assignments granted only through this group disappear
/// with the membership (they are computed from memberships). Removing a member of a group an active
/// rule fills puts the user on the rule's exception list (see `transitions.rs`).
pub async fn remove_member(sh: Sh, Path((gid, uid)): Path<(String, String)>) -> ApiResult {
    let mut org = sh.org();
    let (gi, uid) = membership_target(&org, &gid, &uid)?;
    if org.groups[gi].members.contains(&uid) {
        crate::transitions::add_rule_exceptions(&mut org, &gid, &uid)?;
    }
    let g = &mut org.groups[gi];
    if let Some(p) = g.members.iter().position(|m| *m == uid) {
        g.members.remove(p);
        g.last_membership_updated = now_iso();
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/groups/rules`: `search` is a keyword matched against rule names.
pub async fn rules(sh: Sh, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let kw = query_get(&pairs, "search").map(str::to_lowercase);
    let items: Vec<_> = org
        .rules
        .iter()
        .enumerate()
        .filter(|(_, r)| {
            kw.as_ref()
                .is_none_or(|k| r.name.to_lowercase().contains(k))
        })
        .map(|(n, r)| {
            let seq = u64::try_from(n).unwrap_or(0) + 1;
            (
                seq,
                json!({
                    "id": r.id,
                    "type": "group_rule",
                    "name": r.name,
                    "status": if r.active { "ACTIVE" } else { "INACTIVE" },
                    "created": r.created,
                    "lastUpdated": r.created,
                    "conditions": {
                        "expression": { "value": r.expression, "type": "urn:okta:expression:1.0" },
                        "people": { "users": { "exclude": r.excluded } },
                    },
                    "actions": { "assignUserToGroups": { "groupIds": r.group_ids } },
                }),
            )
        })
        .collect();
    let (page, limit) = paginate(items, &pairs, 50, 200)?;
    Ok(list_response(
        &sh.base,
        "/api/v1/groups/rules",
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}
