//! reset-user-factors: every MFA factor enrollment of the user returns to unenrolled (spec `resetFactors`), so that
//! a phone or key the leaver kept cannot sign in to a restored or rehired account.
//!
//! Okta cannot tell an API client for sure that a user has no factor: `listFactors` lists only the factors of the
//! highest-priority enrollment policy that applies, and Okta answers the reset 200 with or without factors
//! (okta-sdk-python cassette `test_users_it/TestUsersResource.test_reset_factors.yaml`, commit 780ecaa8). So, like
//! clear-user-sessions, the reset is sent on every run and reports `changed: true`; the factors Okta listed before
//! are in the output. A DEPROVISIONED user is refused before any change: Okta answers 404 for a deactivated user's
//! factors (okta-sdk-java issue #646), so factors are reset before deactivation.

use super::output::{FactorSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, Result};
use crate::okta::Session;
use crate::okta::factors::{reset_factors, user_factors};
use crate::okta::models::UserStatus;
use crate::okta::users::find_user;

pub async fn reset(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::ResetUserFactors;
    let user = find_user(okta, &input.user).await?;
    if user.status == UserStatus::Deprovisioned {
        return Err(Error::not_applicable(format!(
            "{} is DEPROVISIONED: Okta does not show or reset a deactivated user's factors; reset them before \
             deactivating the user",
            user.id
        )));
    }
    let listed = user_factors(okta, &user.id).await?;
    let types: Vec<&str> = listed
        .iter()
        .map(|factor| factor.factor_type.as_str())
        .collect();
    let before = if types.is_empty() {
        "Okta listed none".to_owned()
    } else {
        format!("Okta listed {}", types.join(", "))
    };
    let message = if input.dry_run {
        format!("would reset all factors ({before})")
    } else {
        reset_factors(okta, &user.id).await?;
        format!("reset all factors ({before})")
    };
    let mut output = base_output(
        action,
        UserSummary::new(&user, &user.status),
        true,
        input,
        message,
    );
    output.factors = Some(
        listed
            .into_iter()
            .map(|factor| FactorSummary {
                id: factor.id,
                factor_type: factor.factor_type,
            })
            .collect(),
    );
    Ok(output)
}
