//! MFA factors: the user's enrolled factors (spec `listFactors`) and resetting them all (`resetFactors`).

use reqwest::Method;

use super::models::Factor;
use super::{Session, segment};
use crate::error::Result;

/// The factors Okta lists for the user. The list covers only factors of the highest-priority authenticator
/// enrollment policy that applies (spec `listFactors`), so an empty list does not prove the user has none.
pub async fn user_factors(okta: &Session<'_>, user_id: &str) -> Result<Vec<Factor>> {
    okta.get(&format!("/api/v1/users/{}/factors", segment(user_id)), &[])
        .await
}

/// Returns every factor enrollment of the user to unenrolled; the status stays (spec `resetFactors`). Okta answers
/// 200 `{}` with or without factors (okta-sdk-python cassette `test_users_it/TestUsersResource.test_reset_factors.yaml`).
pub async fn reset_factors(okta: &Session<'_>, user_id: &str) -> Result<()> {
    let path = format!("/api/v1/users/{}/lifecycle/reset_factors", segment(user_id));
    okta.send_mutation(Method::POST, &path, &[], None)
        .await
        .map(drop)
}
