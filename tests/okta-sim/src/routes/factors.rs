//! `GET /api/v1/users/{userId}/factors` (SPEC `listFactors`). The reset is a lifecycle operation
//! (`lifecycle.rs`, `reset_factors`).

use axum::extract::Path;
use serde_json::{Value, json};

use super::users::resolve_id;
use super::{Sh, json};
use crate::errors::{ApiResult, OktaError};
use crate::model::UserStatus;

/// The user's enrolled factors, not paged. A DEPROVISIONED user's factors are 404 E0000007 "(User)": real Okta
/// answers so (okta-sdk-java issue #646, "User.listFactors can fail for some user statuses", closed as not a bug).
pub async fn list(sh: Sh, Path(id): Path<String>) -> ApiResult {
    let org = sh.org();
    let user = &org.users[resolve_id(&org, &id)?];
    if user.status == UserStatus::Deprovisioned {
        return Err(OktaError::not_found(&id, "User"));
    }
    let base = &sh.base;
    let items: Vec<Value> = user
        .factors
        .iter()
        .map(|factor| {
            json!({
                "id": factor.id,
                "factorType": factor.factor_type,
                "provider": factor.provider,
                "vendorName": factor.provider,
                "status": "ACTIVE",
                "created": user.created,
                "lastUpdated": user.last_updated,
                "profile": {},
                "_links": {
                    "self": { "href": format!("{base}/api/v1/users/{}/factors/{}", user.id, factor.id) },
                    "user": { "href": format!("{base}/api/v1/users/{}", user.id) },
                },
            })
        })
        .collect();
    Ok(json(Value::Array(items)))
}
