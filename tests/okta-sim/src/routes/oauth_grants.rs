//! What a user authorised OAuth 2.0 clients to do: the clients with the user's grants or refresh tokens (SPEC
//! `listUserClients`), revoking every grant (`revokeUserGrants`) and a client's refresh tokens
//! (`revokeTokensForUserAndClient`).

use axum::extract::Path;
use axum::http::StatusCode;
use axum::response::IntoResponse;
use serde_json::{Value, json};

use super::users::resolve_id;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};

/// `GET /api/v1/users/{userId}/clients`: "client resources for which the specified user has grants or tokens"
/// (SPEC `listUserClients`, example `ListUserClients`). Not paged: the spec lists no query parameters.
pub async fn clients(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let user = &org.users[resolve_id(&org, &id)?];
    let base = &sh.base;
    let items: Vec<Value> = user
        .oauth_clients
        .iter()
        .filter(|client| client.listed())
        .map(|client| {
            let href = format!(
                "{base}/api/v1/users/{}/clients/{}",
                user.id, client.client_id
            );
            json!({
                "client_id": client.client_id,
                "client_name": client.name,
                "client_uri": null,
                "logo_uri": null,
                "_links": {
                    "grants": { "href": format!("{href}/grants") },
                    "tokens": { "href": format!("{href}/tokens") },
                },
            })
        })
        .collect();
    Ok(json(Value::Array(items)))
}

/// `DELETE /api/v1/users/{userId}/grants` (SPEC `revokeUserGrants`): 204, also for a user without grants (a real
/// org answered so: okta-sdk-python cassette `test_users_it/TestUsersResource.test_revoke_user_grants.yaml`,
/// commit 780ecaa8). Refresh tokens are not grants and stay.
pub async fn revoke_grants(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let mut org = sh.org();
    let i = resolve_id(&org, &id)?;
    for client in &mut org.users[i].oauth_clients {
        client.grants = 0;
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}

/// `DELETE /api/v1/users/{userId}/clients/{clientId}/tokens` (SPEC `revokeTokensForUserAndClient`): 204; a client
/// the org does not know is 404 E0000007 (the spec's 404; its summary names an app, as Okta's clients are apps).
pub async fn revoke_tokens(sh: Sh, Path((id, client_id)): Path<(String, String)>) -> ApiResult {
    let mut org = sh.org();
    let i = resolve_id(&org, &id)?;
    let known = org.apps.iter().any(|app| app.id == client_id)
        || org
            .users
            .iter()
            .flat_map(|user| &user.oauth_clients)
            .any(|client| client.client_id == client_id);
    if !known {
        return Err(OktaError::not_found(&client_id, "App"));
    }
    for client in &mut org.users[i].oauth_clients {
        if client.client_id == client_id {
            client.tokens = 0;
        }
    }
    Ok(StatusCode::NO_CONTENT.into_response())
}
