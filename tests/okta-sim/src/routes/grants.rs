//! A service app's scope consent grants: the Okta API scopes granted to it (SPEC `listScopeConsentGrants`,
//! `GET /api/v1/apps/{appId}/grants`, scope `okta.appGrants.read`; schema `OAuth2ScopeConsentGrant`). Only the seed's
//! service apps have grants here; any other app id is 404 E0000007.

use axum::extract::Path;
use serde_json::{Value, json};

use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::util::seeded_id;

pub async fn list(sh: Sh, Path(app_id): Path<String>) -> ApiResult {
    let org = sh.org();
    let scopes = org
        .service_app_scopes
        .get(&app_id)
        .ok_or_else(|| OktaError::not_found(&app_id, "App"))?;
    let grants = scopes
        .iter()
        .map(|scope| {
            let id = seeded_id("oag", &format!("{app_id}|{scope}"));
            json!({
                "id": id,
                "clientId": app_id,
                "issuer": sh.base,
                "scopeId": scope,
                "source": "ADMIN",
                "status": "ACTIVE",
                "created": "2026-01-01T00:00:00.000Z",
                "lastUpdated": "2026-01-01T00:00:00.000Z",
                "_links": {
                    "app": { "href": format!("{}/api/v1/apps/{app_id}", sh.base) },
                    "self": { "href": format!("{}/api/v1/apps/{app_id}/grants/{id}", sh.base) },
                },
            })
        })
        .collect();
    Ok(json(Value::Array(grants)))
}
