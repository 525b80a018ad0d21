//! What a user authorised OAuth 2.0 clients to do on their behalf: the clients with the user's grants or refresh
//! tokens (spec `listUserClients`), revoking every grant (`revokeUserGrants`) and one client's refresh tokens
//! (`revokeTokensForUserAndClient`).

use reqwest::Method;

use super::models::OAuthClient;
use super::{Session, segment};
use crate::error::Result;

/// The clients for which the user "has grants or tokens" (spec `listUserClients`): empty means nothing to revoke.
pub async fn user_clients(okta: &Session<'_>, user_id: &str) -> Result<Vec<OAuthClient>> {
    okta.get(&format!("/api/v1/users/{}/clients", segment(user_id)), &[])
        .await
}

/// Revokes every grant of the user (204, also when there is none: okta-sdk-python cassette
/// `test_users_it/TestUsersResource.test_revoke_user_grants.yaml`).
pub async fn revoke_grants(okta: &Session<'_>, user_id: &str) -> Result<()> {
    let path = format!("/api/v1/users/{}/grants", segment(user_id));
    okta.send_mutation(Method::DELETE, &path, &[], None)
        .await
        .map(drop)
}

/// Revokes every refresh token issued to the client for the user.
pub async fn revoke_client_tokens(
    okta: &Session<'_>,
    user_id: &str,
    client_id: &str,
) -> Result<()> {
    let path = format!(
        "/api/v1/users/{}/clients/{}/tokens",
        segment(user_id),
        segment(client_id)
    );
    okta.send_mutation(Method::DELETE, &path, &[], None)
        .await
        .map(drop)
}
