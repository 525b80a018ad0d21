//! revoke-user-grants: ends what the user authorised apps to do on their behalf. Every OAuth 2.0 grant (spec
//! `revokeUserGrants`) and every refresh token, client by client (`revokeTokensForUserAndClient`), for the clients
//! Okta lists as holding the user's grants or tokens (`listUserClients`). Sessions and their access tokens are
//! clear-user-sessions' part.
//!
//! `changed` is false when Okta lists no client: the user has no grant and no refresh token left. No user status
//! is refused: Okta keeps grants across suspension and deactivation (the spec documents no status rule).

use super::output::{ClientSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{ErrorKind, Result};
use crate::okta::Session;
use crate::okta::models::OAuthClient;
use crate::okta::user_grants::{revoke_client_tokens, revoke_grants, user_clients};
use crate::okta::users::find_user;

pub async fn revoke(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::RevokeUserGrants;
    let user = find_user(okta, &input.user).await?;
    let summary = UserSummary::new(&user, &user.status);
    let clients = user_clients(okta, &user.id).await?;
    if clients.is_empty() {
        let message = "unchanged: no app holds a grant or refresh token of the user".to_owned();
        return Ok(base_output(action, summary, false, input, message));
    }
    let names = describe(&clients);
    let message = if input.dry_run {
        format!("would revoke the grants and refresh tokens of {names}")
    } else {
        revoke_grants(okta, &user.id).await?;
        for client in &clients {
            match revoke_client_tokens(okta, &user.id, &client.client_id).await {
                // The client was deleted meanwhile: its tokens went with it.
                Err(error) if error.kind == ErrorKind::OktaNotFound => {}
                other => other?,
            }
        }
        format!("revoked the grants and refresh tokens of {names}")
    };
    let mut output = base_output(action, summary, true, input, message);
    output.clients = Some(
        clients
            .iter()
            .map(|client| ClientSummary {
                id: client.client_id.clone(),
                name: client.client_name.clone().unwrap_or_default(),
            })
            .collect(),
    );
    Ok(output)
}

fn describe(clients: &[OAuthClient]) -> String {
    let names: Vec<String> = clients
        .iter()
        .map(|client| match &client.client_name {
            Some(name) => format!("{name:?} ({})", client.client_id),
            None => client.client_id.clone(),
        })
        .collect();
    format!("{} app(s): {}", clients.len(), names.join(", "))
}
