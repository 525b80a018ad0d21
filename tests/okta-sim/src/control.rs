//! The out-of-process control plane under `/__sim/` (no Okta auth; the server only listens on
//! loopback). Used by flow tests and the local demo, which run the simulator as a binary.

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post, put};
use serde::Deserialize;
use serde_json::json;

use crate::faults::Fault;
use crate::model::UserStatus;
use crate::okta_limits::{LimitsConfig, OktaLimits};
use crate::server::Shared;

type Sh = State<Arc<Shared>>;

fn bad_request(msg: impl std::fmt::Display) -> Response {
    (
        StatusCode::BAD_REQUEST,
        axum::Json(json!({ "error": msg.to_string() })),
    )
        .into_response()
}

pub fn router() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/__sim/faults",
            post(add_fault).get(list_faults).delete(clear_faults),
        )
        .route("/__sim/rate-limit", put(set_rate_limit))
        .route("/__sim/limits", put(set_limits).get(limits_report))
        .route("/__sim/state", get(state))
        .route("/__sim/calls", get(calls))
        .route("/__sim/requests", get(requests))
        .route("/__sim/reset-counters", post(reset_counters))
        .route("/__sim/users/{id}/status", post(set_user_status))
}

/// Body: a [`Fault`] as JSON, e.g.
/// `{"matcher":{"method":"POST","route":"/api/v1/users/{id}/lifecycle/suspend"},"times":1,"kind":{"status":503}}`.
async fn add_fault(sh: Sh, body: Bytes) -> Response {
    match serde_json::from_slice::<Fault>(&body) {
        Ok(f) => {
            sh.ctl().faults.push(f);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(e),
    }
}

async fn list_faults(sh: Sh) -> Response {
    axum::Json(json!(sh.ctl().faults)).into_response()
}

async fn clear_faults(sh: Sh) -> Response {
    sh.ctl().faults.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RateLimitBody {
    per_minute: Option<u32>,
    /// A route template for a bucket of its own; absent: the global bucket.
    #[serde(default)]
    route: Option<String>,
}

async fn set_rate_limit(sh: Sh, body: Bytes) -> Response {
    match serde_json::from_slice::<RateLimitBody>(&body) {
        Ok(b) => {
            let mut ctl = sh.ctl();
            match b.route {
                Some(r) => ctl.set_route_limit(&r, b.per_minute),
                None => ctl.set_global_limit(b.per_minute),
            }
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(e),
    }
}

/// Body: a `LimitsConfig` (`{"timeScale":20,"backgroundLoad":0.5}`) to enforce Okta's published limits from now
/// on, with a new clock and counters; `null` to switch them off.
async fn set_limits(sh: Sh, body: Bytes) -> Response {
    match serde_json::from_slice::<Option<LimitsConfig>>(&body) {
        Ok(Some(config)) if !config.unknown_overrides().is_empty() => bad_request(format!(
            "overrides name no bucket: {:?}; the buckets are {:?}",
            config.unknown_overrides(),
            crate::okta_limits::Family::ALL.map(crate::okta_limits::Family::name)
        )),
        Ok(config) => {
            sh.ctl().okta_limits = config.map(OktaLimits::new);
            StatusCode::NO_CONTENT.into_response()
        }
        Err(e) => bad_request(e),
    }
}

async fn limits_report(sh: Sh) -> Response {
    axum::Json(
        sh.ctl()
            .okta_limits
            .as_ref()
            .map_or(serde_json::Value::Null, OktaLimits::report),
    )
    .into_response()
}

async fn state(sh: Sh) -> Response {
    axum::Json(sh.org().state_json()).into_response()
}

async fn calls(sh: Sh) -> Response {
    let emails = sh.org().emails.clone();
    let ctl = sh.ctl();
    let mut calls: Vec<_> = ctl
        .calls
        .iter()
        .map(|((m, r), n)| json!({ "method": m, "route": r, "count": n }))
        .collect();
    calls.sort_by_key(|c| (c["route"].to_string(), c["method"].to_string()));
    axum::Json(json!({
        "total": ctl.total,
        "mutating": ctl.mutating,
        "calls": calls,
        "emails": emails,
    }))
    .into_response()
}

async fn requests(sh: Sh) -> Response {
    axum::Json(json!(sh.ctl().requests)).into_response()
}

async fn reset_counters(sh: Sh) -> Response {
    sh.ctl().reset_counters();
    sh.org().emails.clear();
    StatusCode::NO_CONTENT.into_response()
}

#[derive(Deserialize)]
struct StatusBody {
    status: String,
}

async fn set_user_status(sh: Sh, Path(id): Path<String>, body: Bytes) -> Response {
    let b = match serde_json::from_slice::<StatusBody>(&body) {
        Ok(b) => b,
        Err(e) => return bad_request(e),
    };
    match set_status(&sh, &id, &b.status) {
        Ok(()) => StatusCode::NO_CONTENT.into_response(),
        Err(e) if e.starts_with("unknown user") => {
            (StatusCode::NOT_FOUND, axum::Json(json!({ "error": e }))).into_response()
        }
        Err(e) => bad_request(e),
    }
}

/// Forces a status for test set-up; nothing else about the user changes (no assignments removed,
/// no email), except that `activated` is filled in when leaving STAGED.
pub fn set_status(sh: &Shared, id_or_login: &str, status: &str) -> Result<(), String> {
    let st = UserStatus::parse(status).ok_or_else(|| format!("unknown status {status}"))?;
    let mut org = sh.org();
    let i = org
        .resolve_user(id_or_login)
        .ok_or_else(|| format!("unknown user {id_or_login}"))?;
    let u = &mut org.users[i];
    u.set_status(st);
    if st != UserStatus::Staged && u.activated.is_none() {
        u.activated = Some(u.last_updated.clone());
    }
    Ok(())
}
