//! `/api/v1/apps`: list, get, group assignments, app users, assign / unassign.

use axum::body::Bytes;
use axum::extract::{Path, RawQuery};
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Map, Value, json};

use super::{Sh, bool_param, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::{DirectAssignment, Org, UserStatus};
use crate::paging::{list_response, paginate};
use crate::search::{self, Op};
use crate::util::{now_iso, query_get, query_pairs};

fn app_idx(org: &Org, id: &str) -> Result<usize, OktaError> {
    org.app_idx(id)
        .ok_or_else(|| OktaError::not_found(id, "AppInstance"))
}

/// `filter` on apps: `id`, `status`, `name` with `eq` (SPEC); `user.id` / `group.id` are still
/// accepted as DOCS-APPS documented them.
fn filter_allowed(attr: &str, op: Op) -> bool {
    op == Op::Eq && matches!(attr, "id" | "status" | "name" | "user.id" | "group.id")
}

/// `expand=user/{userId}`: "Only supports `expand=user/{userId}` and must be used with the `user.id eq
/// "{userId}"` filter query for the same user" (SPEC listApplications). Anything else is 400 E0000001 "Expand
/// query is malformed." (observed, notes §3.5).
fn expanded_user(pairs: &[(String, String)]) -> Result<Option<String>, OktaError> {
    let Some(expand) = query_get(pairs, "expand") else {
        return Ok(None);
    };
    let malformed = || {
        OktaError::new(400, "E0000001", "Api validation failed: RequestParams")
            .cause("Expand query is malformed.")
    };
    let uid = expand.strip_prefix("user/").ok_or_else(malformed)?;
    let filter = query_get(pairs, "filter").unwrap_or("");
    let wanted = format!("user.id eq \"{uid}\"");
    if uid.is_empty() || !filter.contains(&wanted) {
        return Err(malformed());
    }
    Ok(Some(uid.to_string()))
}

pub async fn list(sh: Sh, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let expr = match query_get(&pairs, "filter").filter(|f| !f.is_empty()) {
        Some(f) => {
            let e = search::parse(f)?;
            e.check(&filter_allowed)?;
            Some(e)
        }
        None => None,
    };
    let include_inactive = bool_param(&pairs, "includeNonDeleted", false)?
        || query_get(&pairs, "filter").is_some_and(|f| f.contains("status"));
    let q = query_get(&pairs, "q").map(str::to_lowercase);
    let embed_user = expanded_user(&pairs)?;
    let items: Vec<_> = org
        .apps
        .iter()
        .filter(|a| a.active || include_inactive)
        .filter(|a| {
            q.as_ref().is_none_or(|q| {
                a.name.to_lowercase().starts_with(q) || a.label.to_lowercase().starts_with(q)
            })
        })
        .filter(|a| {
            expr.as_ref().is_none_or(|e| {
                e.eval(&|attr| match attr {
                    "user.id" => org
                        .app_users(a)
                        .into_iter()
                        .map(|(_, v)| v.user_id)
                        .collect(),
                    "group.id" => a.groups.iter().map(|g| g.group_id.clone()).collect(),
                    other => a.attr(other),
                })
            })
        })
        .map(|a| {
            let mut app = a.to_json(&sh.base);
            if let Some(v) = embed_user.as_deref().and_then(|uid| org.app_user(a, uid)) {
                app["_embedded"] = json!({ "user": org.app_user_json(&sh.base, a, &v) });
            }
            (a.seq, app)
        })
        .collect();
    // SPEC default −1 (server default), DOCS-APPS default 20: 20 it is; max 200.
    let (page, limit) = paginate(items, &pairs, 20, 200)?;
    Ok(list_response(
        &sh.base,
        "/api/v1/apps",
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

pub async fn get_app(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    Ok(json(org.apps[app_idx(&org, &id)?].to_json(&sh.base)))
}

pub async fn groups(sh: Sh, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let app = &org.apps[app_idx(&org, &id)?];
    let base = &sh.base;
    let items: Vec<_> = app
        .groups
        .iter()
        .filter_map(|ga| org.groups.iter().find(|g| g.id == ga.group_id).map(|g| (g, ga)))
        .map(|(g, ga)| {
            (
                g.seq,
                json!({
                    "id": g.id,
                    "lastUpdated": ga.last_updated,
                    "priority": ga.priority,
                    "profile": {},
                    "_links": {
                        "app": { "href": format!("{base}/api/v1/apps/{}", app.id) },
                        "self": { "href": format!("{base}/api/v1/apps/{}/groups/{}", app.id, g.id) },
                        "group": { "href": format!("{base}/api/v1/groups/{}", g.id) },
                    },
                }),
            )
        })
        .collect();
    let (page, limit) = paginate(items, &pairs, 20, 200)?;
    let path = format!("/api/v1/apps/{}/groups", app.id);
    Ok(list_response(
        base,
        &path,
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

pub async fn users(sh: Sh, Path(id): Path<String>, RawQuery(q): RawQuery) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let org = sh.org();
    let app = &org.apps[app_idx(&org, &id)?];
    let ql = query_get(&pairs, "q").map(str::to_lowercase);
    let items: Vec<_> = org
        .app_users(app)
        .into_iter()
        .filter(|(_, v)| {
            ql.as_ref().is_none_or(|q| {
                let Some(u) = org.user_idx_by_id(&v.user_id).map(|i| &org.users[i]) else {
                    return false;
                };
                let mut fields: Vec<String> = ["firstName", "lastName", "email"]
                    .iter()
                    .filter_map(|k| {
                        u.profile
                            .get(*k)
                            .and_then(Value::as_str)
                            .map(str::to_string)
                    })
                    .collect();
                fields.extend(v.user_name.clone());
                fields.iter().any(|f| f.to_lowercase().starts_with(q))
            })
        })
        .map(|(seq, v)| (seq, org.app_user_json(&sh.base, app, &v)))
        .collect();
    // limit 1–500, default 50 (SPEC listApplicationUsers).
    let (page, limit) = paginate(items, &pairs, 50, 500)?;
    let path = format!("/api/v1/apps/{}/users", app.id);
    Ok(list_response(
        &sh.base,
        &path,
        &pairs,
        Some(limit),
        page.next,
        page.items,
    ))
}

pub async fn get_app_user(sh: Sh, Path((app_id, uid)): Path<(String, String)>) -> ApiResult {
    let org = sh.org();
    let app = &org.apps[app_idx(&org, &app_id)?];
    let v = org
        .app_user(app, &uid)
        .ok_or_else(|| OktaError::not_found(&uid, "AppUser"))?;
    Ok(json(org.app_user_json(&sh.base, app, &v)))
}

/// `POST /api/v1/apps/{appId}/users` with `AppUserAssignRequest`. Always creates or updates a
/// direct assignment (scope USER), which also turns a group-scoped one into USER scope. Posting for
/// a user who is already directly assigned updates userName/profile and answers 200 (choice: Okta
/// behaviour unverified, E0000062 exists but isn't tied to this endpoint).
pub async fn assign(sh: Sh, Path(app_id): Path<String>, body: Bytes) -> ApiResult {
    if body.iter().all(u8::is_ascii_whitespace) {
        return Err(OktaError::malformed_body());
    }
    let v: Value = serde_json::from_slice(&body).map_err(|_| OktaError::malformed_body())?;
    let Some(obj) = v.as_object() else {
        return Err(OktaError::malformed_body());
    };
    let uid = match obj.get("id") {
        Some(Value::String(s)) if !s.is_empty() => s.clone(),
        _ => return Err(OktaError::validation("id").cause("id: The field cannot be left blank")),
    };
    let creds = match obj.get("credentials") {
        None | Some(Value::Null) => None,
        Some(Value::Object(c)) => Some(c.clone()),
        Some(_) => return Err(OktaError::malformed_body()),
    };
    let profile = match obj.get("profile") {
        None | Some(Value::Null) => Map::new(),
        Some(Value::Object(p)) => p.clone(),
        Some(_) => return Err(OktaError::malformed_body()),
    };

    let mut org = sh.org();
    let ai = app_idx(&org, &app_id)?;
    let ui = super::users::resolve_id(&org, &uid)?;
    if org.users[ui].status == UserStatus::Deprovisioned {
        return Err(OktaError::new(
            403,
            "E0000117",
            "Cannot assign apps or update app profiles for an inactive user.",
        ));
    }
    let mut user_name = None;
    if let Some(c) = &creds {
        if !org.apps[ai].user_name_allowed && !c.is_empty() {
            return Err(OktaError::new(
                400,
                "E0000041",
                "Credentials should not be set on this resource based on the scheme.",
            ));
        }
        match c.get("userName") {
            None | Some(Value::Null) => {}
            Some(Value::String(n)) if !n.is_empty() && n.chars().count() <= 100 => {
                user_name = Some(n.clone());
            }
            Some(_) => {
                return Err(OktaError::validation("credentials.userName")
                    .cause("userName: The field must be between 1 and 100 characters."));
            }
        }
    }
    let now = now_iso();
    let app = &mut org.apps[ai];
    match app.users.get_mut(&uid) {
        Some(d) => {
            if user_name.is_some() {
                d.user_name = user_name;
            }
            d.profile.extend(profile);
            d.last_updated = now;
        }
        None => {
            app.users.insert(
                uid.clone(),
                DirectAssignment {
                    user_name,
                    profile,
                    created: now.clone(),
                    last_updated: now,
                },
            );
        }
    }
    let app = &org.apps[ai];
    let view = org
        .app_user(app, &uid)
        .ok_or_else(|| OktaError::not_found(&uid, "AppUser"))?;
    Ok(json(org.app_user_json(&sh.base, app, &view)))
}

/// `DELETE /api/v1/apps/{appId}/users/{userId}` → 204. While a group assigned to the app includes
/// the user, Okta refuses with 403 E0000046 (observed), even if a direct assignment exists too.
pub async fn unassign(
    sh: Sh,
    Path((app_id, uid)): Path<(String, String)>,
    RawQuery(q): RawQuery,
) -> ApiResult {
    let pairs = query_pairs(q.as_deref());
    let send_email = bool_param(&pairs, "sendEmail", false)?;
    let mut org = sh.org();
    let ai = app_idx(&org, &app_id)?;
    let ui = super::users::resolve_id(&org, &uid)?;
    let app = &org.apps[ai];
    if org.app_user(app, &uid).is_none() {
        return Err(OktaError::not_found(&uid, "AppUser"));
    }
    if org.users[ui].status != UserStatus::Deprovisioned
        && !org.granting_groups(app, &uid).is_empty()
    {
        return Err(OktaError::new(403, "E0000046", "Deactivate application for user forbidden.").cause(
            "The application cannot be unassigned from the user while their group memberships grant them access",
        ));
    }
    org.apps[ai].users.remove(&uid);
    if send_email {
        org.record_email(&uid, "appUnassignment");
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
