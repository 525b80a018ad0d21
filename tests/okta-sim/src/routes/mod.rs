//! Routes: the table of endpoints the simulator serves (with the spec's path templates and query
//! parameters) and the axum router.

mod apps;
mod devices;
mod factors;
mod grants;
mod group_owners;
mod groups;
mod lifecycle;
mod linked_objects;
mod oauth_grants;
mod roles;
mod users;

pub use roles::DEFAULT_TOKEN_OWNER_LOGIN;

use std::sync::Arc;

use axum::Router;
use axum::extract::{Path, RawQuery, State};
use axum::http::{HeaderMap, Method, Uri};
use axum::response::{IntoResponse, Response};
use axum::routing::{MethodRouter, delete, get, post};
use serde_json::Value;

use crate::errors::OktaError;
use crate::server::{Shared, pipeline};
use crate::util::query_get;

/// One endpoint: method, path template exactly as in Okta's spec (with its parameter names), and the
/// query parameters the spec lists for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Route {
    pub method: &'static str,
    pub path: &'static str,
    pub query: &'static [&'static str],
}

impl Route {
    /// The OAuth scope Okta requires for the route, by the spec's naming: `okta.<resource>.read` for a GET,
    /// `okta.<resource>.manage` otherwise, where role assignments (`.../roles`, `/iam/...`) are the `roles`
    /// resource whoever holds them (spec_contract checks this against every operation's `security`).
    pub fn scope(&self) -> String {
        let resource = if self.path.contains("/roles") || self.path.starts_with("/api/v1/iam/") {
            "roles"
        } else if self.path.starts_with("/api/v1/apps/") && self.path.ends_with("/grants") {
            // An app's scope consent grants are their own resource (spec `listScopeConsentGrants`).
            "appGrants"
        } else {
            self.path
                .trim_start_matches("/api/v1/")
                .split('/')
                .next()
                .unwrap_or_default()
        };
        let access = if self.method == "GET" {
            "read"
        } else {
            "manage"
        };
        format!("okta.{resource}.{access}")
    }
}

const fn r(method: &'static str, path: &'static str, query: &'static [&'static str]) -> Route {
    Route {
        method,
        path,
        query,
    }
}

pub const ROUTES: &[Route] = &[
    r(
        "GET",
        "/api/v1/users",
        &[
            "search",
            "filter",
            "q",
            "after",
            "limit",
            "sortBy",
            "sortOrder",
            "fields",
            "expand",
        ],
    ),
    r("GET", "/api/v1/users/{id}", &["expand"]),
    r(
        "POST",
        "/api/v1/users/{id}/lifecycle/activate",
        &["sendEmail"],
    ),
    r(
        "POST",
        "/api/v1/users/{id}/lifecycle/reactivate",
        &["sendEmail"],
    ),
    r(
        "POST",
        "/api/v1/users/{id}/lifecycle/deactivate",
        &["sendEmail"],
    ),
    r("POST", "/api/v1/users/{id}/lifecycle/suspend", &[]),
    r("POST", "/api/v1/users/{id}/lifecycle/unsuspend", &[]),
    r("POST", "/api/v1/users/{id}/lifecycle/unlock", &[]),
    r("POST", "/api/v1/users/{id}/lifecycle/expire_password", &[]),
    r(
        "POST",
        "/api/v1/users/{id}/lifecycle/expire_password_with_temp_password",
        &["revokeSessions"],
    ),
    r(
        "POST",
        "/api/v1/users/{id}/lifecycle/reset_password",
        &["sendEmail", "revokeSessions"],
    ),
    r("POST", "/api/v1/users/{id}/lifecycle/reset_factors", &[]),
    r("GET", "/api/v1/users/{userId}/factors", &[]),
    r("GET", "/api/v1/users/{userId}/clients", &[]),
    r("DELETE", "/api/v1/users/{userId}/grants", &[]),
    r(
        "DELETE",
        "/api/v1/users/{userId}/clients/{clientId}/tokens",
        &[],
    ),
    r("GET", "/api/v1/users/{userId}/devices", &[]),
    r(
        "GET",
        "/api/v1/users/{userIdOrLogin}/linkedObjects/{relationshipName}",
        &[],
    ),
    r("GET", "/api/v1/devices/{deviceId}/users", &[]),
    r(
        "POST",
        "/api/v1/devices/{deviceId}/lifecycle/deactivate",
        &[],
    ),
    r(
        "DELETE",
        "/api/v1/users/{userId}/sessions",
        &["oauthTokens", "forgetDevices"],
    ),
    r("GET", "/api/v1/users/{id}/groups", &[]),
    r("GET", "/api/v1/users/{id}/blocks", &[]),
    r("GET", "/api/v1/users/{id}/appLinks", &[]),
    r("GET", "/api/v1/users/{userId}/roles", &["expand"]),
    r("GET", "/api/v1/groups/{groupId}/roles", &["expand"]),
    r(
        "GET",
        "/api/v1/groups",
        &[
            "search",
            "filter",
            "q",
            "after",
            "limit",
            "expand",
            "sortBy",
            "sortOrder",
        ],
    ),
    r(
        "GET",
        "/api/v1/groups/rules",
        &["limit", "after", "search", "expand"],
    ),
    r("GET", "/api/v1/groups/{groupId}", &[]),
    r("GET", "/api/v1/groups/{groupId}/users", &["after", "limit"]),
    r("PUT", "/api/v1/groups/{groupId}/users/{userId}", &[]),
    r("DELETE", "/api/v1/groups/{groupId}/users/{userId}", &[]),
    r(
        "GET",
        "/api/v1/groups/{groupId}/owners",
        &["search", "after", "limit"],
    ),
    r("POST", "/api/v1/groups/{groupId}/owners", &[]),
    r("DELETE", "/api/v1/groups/{groupId}/owners/{ownerId}", &[]),
    r(
        "GET",
        "/api/v1/apps",
        &[
            "q",
            "after",
            "useOptimization",
            "alwaysIncludeVpnSettings",
            "limit",
            "filter",
            "expand",
            "includeNonDeleted",
        ],
    ),
    r("GET", "/api/v1/apps/{appId}", &["expand"]),
    r(
        "GET",
        "/api/v1/apps/{appId}/groups",
        &["q", "after", "limit", "expand"],
    ),
    r(
        "GET",
        "/api/v1/apps/{appId}/users",
        &["after", "limit", "q", "expand"],
    ),
    r("POST", "/api/v1/apps/{appId}/users", &[]),
    r("GET", "/api/v1/apps/{appId}/users/{userId}", &["expand"]),
    r("GET", "/api/v1/apps/{appId}/grants", &["expand"]),
    r(
        "DELETE",
        "/api/v1/apps/{appId}/users/{userId}",
        &["sendEmail"],
    ),
];

pub(crate) type Sh = State<Arc<Shared>>;

pub(crate) fn json(v: Value) -> Response {
    axum::Json(v).into_response()
}

/// Boolean query parameter; anything but `true`/`false` is a validation error.
pub(crate) fn bool_param(
    pairs: &[(String, String)],
    name: &str,
    default: bool,
) -> Result<bool, OktaError> {
    match query_get(pairs, name) {
        None => Ok(default),
        Some(v) if v.eq_ignore_ascii_case("true") => Ok(true),
        Some(v) if v.eq_ignore_ascii_case("false") => Ok(false),
        Some(_) => Err(OktaError::validation(name)),
    }
}

fn lifecycle_route(op: &'static str) -> MethodRouter<Arc<Shared>> {
    post(
        move |State(sh): Sh, Path(id): Path<String>, RawQuery(q): RawQuery, headers: HeaderMap| async move {
            lifecycle::run(&sh, op, &id, q.as_deref(), &headers)
        },
    )
}

/// Paths no route matches. A GET of `/api/v1/users/{a}/{b}` is what a client sends for a login with
/// an unencoded `/`; real Okta answers 405 there (okta-sdk-nodejs #430), everything else is 404.
async fn fallback(method: Method, uri: Uri) -> Response {
    if let Some(rest) = uri.path().strip_prefix("/api/v1/users/")
        && method == Method::GET
        && rest.split('/').count() == 2
    {
        return OktaError::method_not_allowed().into_response();
    }
    OktaError::new(
        404,
        "E0000007",
        format!("Not found: Resource not found: {} (Resource)", uri.path()),
    )
    .into_response()
}

pub fn router(sh: Arc<Shared>) -> Router {
    // axum allows one parameter name per position, so `{id}` stands for the spec's `{userId}` in the
    // sessions route; `server::spec_route` maps patterns back to the spec templates above.
    Router::new()
        .route("/api/v1/users", get(users::list))
        .route("/api/v1/users/{id}", get(users::get_user))
        .route(
            "/api/v1/users/{id}/lifecycle/activate",
            lifecycle_route("activate"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/reactivate",
            lifecycle_route("reactivate"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/deactivate",
            lifecycle_route("deactivate"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/suspend",
            lifecycle_route("suspend"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/unsuspend",
            lifecycle_route("unsuspend"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/unlock",
            lifecycle_route("unlock"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/expire_password",
            lifecycle_route("expire_password"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/expire_password_with_temp_password",
            lifecycle_route("expire_password_with_temp_password"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/reset_password",
            lifecycle_route("reset_password"),
        )
        .route(
            "/api/v1/users/{id}/lifecycle/reset_factors",
            lifecycle_route("reset_factors"),
        )
        .route("/api/v1/users/{id}/sessions", delete(users::clear_sessions))
        .route("/api/v1/users/{id}/factors", get(factors::list))
        .route("/api/v1/users/{id}/clients", get(oauth_grants::clients))
        .route(
            "/api/v1/users/{id}/grants",
            delete(oauth_grants::revoke_grants),
        )
        .route(
            "/api/v1/users/{id}/clients/{clientId}/tokens",
            delete(oauth_grants::revoke_tokens),
        )
        .route("/api/v1/users/{id}/devices", get(devices::of_user))
        .route(
            "/api/v1/users/{id}/linkedObjects/{relationshipName}",
            get(linked_objects::list),
        )
        .route("/api/v1/devices/{deviceId}/users", get(devices::users))
        .route(
            "/api/v1/devices/{deviceId}/lifecycle/deactivate",
            post(devices::deactivate),
        )
        .route("/api/v1/users/{id}/groups", get(users::groups))
        .route("/api/v1/users/{id}/blocks", get(users::blocks))
        .route("/api/v1/users/{id}/appLinks", get(users::app_links))
        .route("/api/v1/users/{id}/roles", get(roles::user_roles))
        .route("/api/v1/groups", get(groups::list))
        .route("/api/v1/groups/rules", get(groups::rules))
        .route("/api/v1/groups/{groupId}", get(groups::get_group))
        .route("/api/v1/groups/{groupId}/users", get(groups::members))
        .route("/api/v1/groups/{groupId}/roles", get(roles::group_roles))
        .route(
            "/api/v1/groups/{groupId}/owners",
            get(group_owners::list).post(group_owners::assign),
        )
        .route(
            "/api/v1/groups/{groupId}/owners/{ownerId}",
            delete(group_owners::remove),
        )
        .route(
            "/api/v1/groups/{groupId}/users/{userId}",
            axum::routing::put(groups::add_member).delete(groups::remove_member),
        )
        .route("/api/v1/apps", get(apps::list))
        .route("/api/v1/apps/{appId}", get(apps::get_app))
        .route("/api/v1/apps/{appId}/groups", get(apps::groups))
        .route(
            "/api/v1/apps/{appId}/users",
            get(apps::users).post(apps::assign),
        )
        .route(
            "/api/v1/apps/{appId}/users/{userId}",
            get(apps::get_app_user).delete(apps::unassign),
        )
        .route("/api/v1/apps/{appId}/grants", get(grants::list))
        .route(
            crate::oauth::TOKEN_PATH,
            post(
                |State(sh): Sh, headers: HeaderMap, body: axum::body::Bytes| async move {
                    let base = sh.base.clone();
                    sh.auth().token(&base, &headers, &body)
                },
            ),
        )
        .merge(crate::control::router())
        .fallback(fallback)
        .layer(axum::middleware::from_fn_with_state(sh.clone(), pipeline))
        .with_state(sh)
}
