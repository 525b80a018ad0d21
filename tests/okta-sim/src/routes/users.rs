//! `/api/v1/users` reads: get, list/search/filter/q, a user's groups and app links, and clearing
//! sessions.

use axum::extract::{Path, RawQuery};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::IntoResponse;
use serde_json::json;

use super::{Sh, bool_param, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{Org, UserStatus};
use crate::paging::{list_response, paginate, parse_limit};
use crate::search::{self, Op};
use crate::util::{fnv, query_get, query_pairs};

/// Resolves the spec's `{id}` (id, login or unambiguous shortname). A login containing `/` can't be
/// addressed by path (SPEC getUser): real Okta answers 405 E0000022 (okta-sdk-nodejs #430).
pub(crate) fn resolve(org: &Org, id: &str) -> Result<usize, OktaError> {
    if id.contains('/') {
        return Err(OktaError::method_not_allowed());
    }
    org.resolve_user(id)
        .ok_or_else(|| OktaError::not_found(id, "User"))
}

/// Resolves the spec's `{userId}`: "ID of an existing Okta user" — logins are not accepted there.
pub(crate) fn resolve_id(org: &Org, id: &str) -> Result<usize, OktaError> {
    org.user_idx_by_id(id)
        .ok_or_else(|| OktaError::not_found(id, "User"))
}

pub async fn get_user(sh: Sh, Path(id): Path<String>) -> ApiResult {
    if id == "me" {
        return super::roles::me(&sh);
    }
    let mut org = sh.org();
    let i = resolve(&org, &id)?;
    crate::transitions::on_read(&mut org.users[i]);
    let u = &org.users[i];
    let mut resp = json(u.to_json(&sh.base));
    let etag = format!(
        "W/\"{:016x}\"",
        fnv(&format!(
            "{}|{}|{}",
            u.id,
            u.last_updated,
            u.status.as_str()
        ))
    );
    if let Ok(v) = HeaderValue::from_str(&etag) {
        resp.headers_mut().insert(header::ETAG, v);
    }
    Ok(resp)
}

/// `search`: any attribute; `co` only on firstName/lastName/email/login (SPEC listUsers.search).
fn search_allowed(attr: &str, op: Op) -> bool {
    op != Op::Co
        || matches!(
            attr,
            "profile.firstName" | "profile.lastName" | "profile.email" | "profile.login"
        )
}

/// `filter`: only these attributes, `eq` (plus ordering on `lastUpdated`) (SPEC listUsers.filter).
fn filter_allowed(attr: &str, op: Op) -> bool {
    match attr {
        "lastUpdated" => matches!(op, Op::Eq | Op::Gt | Op::Ge | Op::Lt | Op::Le),
        "status" | "id" | "profile.login" | "profile.email" | "profile.firstName"
        | "profile.lastName" => op == Op::Eq,
        _ => false,
    }
}

pub async fn list(sh: Sh, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let search = query_get(&pairs, "search").filter(|s| !s.is_empty());
    let filter = query_get(&pairs, "filter").filter(|s| !s.is_empty());
    let org = sh.org();
    let base = &sh.base;
    let expr = search::from_query(search, filter, &search_allowed, &filter_allowed)?;
    if let Some(e) = expr {
        // search and filter results include DEPROVISIONED users (SPEC listUsers).
        let items: Vec<_> = org
            .users
            .iter()
            .filter(|u| e.eval(&|a| u.attr(a)))
            .map(|u| (u.seq, u.to_json(base)))
            .collect();
        let (page, limit) = paginate(items, &pairs, 200, 200)?;
        return Ok(list_response(
            base,
            "/api/v1/users",
            &pairs,
            Some(limit),
            page.next,
            page.items,
        ));
    }
    if let Some(q) = query_get(&pairs, "q") {
        // q: startsWith on firstName, lastName or email; no DEPROVISIONED; not paged; default 10.
        let limit = parse_limit(&pairs, 10, 200)?;
        let ql = q.to_lowercase();
        let items: Vec<_> = org
            .users
            .iter()
            .filter(|u| u.status != UserStatus::Deprovisioned)
            .filter(|u| {
                ["firstName", "lastName", "email"].iter().any(|k| {
                    u.profile
                        .get(*k)
                        .and_then(|v| v.as_str())
                        .is_some_and(|v| v.to_lowercase().starts_with(&ql))
                })
            })
            .take(limit)
            .map(|u| u.to_json(base))
            .collect();
        return Ok(list_response(
            base,
            "/api/v1/users",
            &pairs,
            Some(limit),
            None,
            items,
        ));
    }
    let items: Vec<_> = org
        .users
        .iter()
        .filter(|u| u.status != UserStatus::Deprovisioned)
        .map(|u| (u.seq, u.to_json(base)))
        .collect();
    let (page, limit) = paginate(items, &pairs, 200, 200)?;
    Ok(list_response(
        base,
        "/api/v1/users",
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

pub async fn groups(sh: Sh, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let uid = org.users[resolve(&org, &id)?].id.clone();
    let items: Vec<_> = org
        .user_group_indices(&uid)
        .into_iter()
        .map(|i| (org.groups[i].seq, org.groups[i].to_json(&sh.base)))
        .collect();
    // The SPEC lists no paging parameters here, but real responses carry `limit=200` links.
    let (page, limit) = paginate(items, &pairs, 200, 200)?;
    let path = format!("/api/v1/users/{uid}/groups");
    Ok(list_response(
        &sh.base,
        &path,
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

/// One `AssignedAppLink` per app link for every active app the user is assigned to, directly or
/// through a group, each link with its own label; an app without links has no entry although it is
/// assigned. Not paged.
pub async fn app_links(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let uid = org.users[resolve(&org, &id)?].id.clone();
    let base = &sh.base;
    let mut out = Vec::new();
    for app in org.apps.iter().filter(|a| a.active) {
        if org.app_user(app, &uid).is_none() {
            continue;
        }
        for (n, label) in app.link_labels.iter().enumerate() {
            out.push(json!({
                "id": crate::util::seeded_id("00b", &format!("{}|{}|{n}", app.id, uid)),
                "label": label,
                "linkUrl": format!("{base}/home/{}/{}/{}", app.name, app.id, n + 1),
                "logoUrl": format!("{base}/assets/img/logos/{}.png", app.name),
                "appName": app.name,
                "appInstanceId": app.id,
                "appAssignmentId": crate::util::seeded_id("0ua", &format!("{}|{}", app.id, uid)),
                "credentialsSetup": false,
                "hidden": false,
                "sortOrder": out.len(),
            }));
        }
    }
    Ok(json(serde_json::Value::Array(out)))
}

/// `DELETE /api/v1/users/{userId}/sessions`: sessions always; OAuth tokens only with
/// `oauthTokens=true`; remembered devices with `forgetDevices` (default true, SPEC).
pub async fn clear_sessions(sh: Sh, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let oauth = bool_param(&pairs, "oauthTokens", false)?;
    let forget = bool_param(&pairs, "forgetDevices", true)?;
    let mut org = sh.org();
    let i = resolve_id(&org, &id)?;
    let u = &mut org.users[i];
    u.sessions = 0;
    if oauth {
        // "Revokes issued OpenID Connect and OAuth refresh and access tokens" (SPEC revokeUserSessions); consent
        // grants are not tokens and stay.
        u.oauth_tokens = 0;
        for client in &mut u.oauth_clients {
            client.tokens = 0;
        }
    }
    if forget {
        u.remembered_devices = false;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `GET /api/v1/users/{id}/blocks` (SPEC `listUserBlocks`): a LOCKED_OUT user is blocked on any device; an ACTIVE
/// user may be blocked from unknown devices only. An org without the feature answers 401 E0000015 for any user.
pub async fn blocks(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let u = &org.users[resolve(&org, &id)?];
    if org.blocks_feature_off {
        return Err(OktaError::feature_not_enabled());
    }
    let applies_to = match (u.status, u.blocked_unknown_devices) {
        (UserStatus::LockedOut, _) => Some("ANY_DEVICES"),
        (UserStatus::Active, true) => Some("UNKNOWN_DEVICES"),
        _ => None,
    };
    let items: Vec<_> = applies_to
        .map(|a| json!({ "type": "DEVICE_BASED", "appliesTo": a }))
        .into_iter()
        .collect();
    Ok(json(serde_json::Value::Array(items)))
}
