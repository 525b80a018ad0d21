//! The 18 actions: each resolves its target, reads the current state, and changes Okta only when needed, so that
//! running it twice leaves the same state and reports `changed: false` the second time.

pub mod input;
pub mod output;

mod apps;
mod devices;
mod factors;
mod grants;
mod group_ownership;
mod groups;
mod lifecycle;
mod offboard;
mod sessions;
mod user_info;

pub use input::{Include, Input};
pub use output::Output;

use crate::error::Result;
use crate::okta::Session;
use crate::okta::oauth::Scopes;

/// One Lambda function each.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Action {
    ActivateUser,
    AddUserToGroup,
    AssignAppToUser,
    ClearUserSessions,
    DeactivateUser,
    ExpirePassword,
    GetUser,
    RemoveUserFromGroup,
    ResetPassword,
    RevokeAppFromUser,
    SuspendUser,
    UnsuspendUser,
    UnlockUser,
    RevokeUserGrants,
    ResetUserFactors,
    DeactivateUserDevices,
    TransferGroupOwnership,
    OffboardUser,
}

impl Action {
    pub const ALL: [Action; 18] = [
        Action::ActivateUser,
        Action::AddUserToGroup,
        Action::AssignAppToUser,
        Action::ClearUserSessions,
        Action::DeactivateUser,
        Action::ExpirePassword,
        Action::GetUser,
        Action::RemoveUserFromGroup,
        Action::ResetPassword,
        Action::RevokeAppFromUser,
        Action::SuspendUser,
        Action::UnsuspendUser,
        Action::UnlockUser,
        Action::RevokeUserGrants,
        Action::ResetUserFactors,
        Action::DeactivateUserDevices,
        Action::TransferGroupOwnership,
        Action::OffboardUser,
    ];

    /// The function's name: its folder under `functions/`, its binary and its template resource.
    pub fn name(self) -> &'static str {
        match self {
            Action::ActivateUser => "activate-user",
            Action::AddUserToGroup => "add-user-to-group",
            Action::AssignAppToUser => "assign-app-to-user",
            Action::ClearUserSessions => "clear-user-sessions",
            Action::DeactivateUser => "deactivate-user",
            Action::ExpirePassword => "expire-password",
            Action::GetUser => "get-user",
            Action::RemoveUserFromGroup => "remove-user-from-group",
            Action::ResetPassword => "reset-password",
            Action::RevokeAppFromUser => "revoke-app-from-user",
            Action::SuspendUser => "suspend-user",
            Action::UnsuspendUser => "unsuspend-user",
            Action::UnlockUser => "unlock-user",
            Action::RevokeUserGrants => "revoke-user-grants",
            Action::ResetUserFactors => "reset-user-factors",
            Action::DeactivateUserDevices => "deactivate-user-devices",
            Action::TransferGroupOwnership => "transfer-group-ownership",
            Action::OffboardUser => "offboard-user",
        }
    }

    /// The OAuth scopes the function's service-app token carries: exactly what its requests need (a `manage` scope
    /// includes the matching `read`). The per-endpoint scopes are the spec's `security`; a test derives these sets
    /// from the requests each action sends and fails on any difference.
    pub fn scopes(self) -> Scopes {
        match self {
            Action::ActivateUser
            | Action::ClearUserSessions
            | Action::DeactivateUser
            | Action::ExpirePassword
            | Action::ResetPassword
            | Action::SuspendUser
            | Action::UnsuspendUser
            | Action::RevokeUserGrants
            | Action::ResetUserFactors
            // The guardrails read role assignments (okta.roles.read) and resolve OKTA_PROTECTED_GROUPS given by
            // name once per container (okta.groups.read) before any change.
            | Action::UnlockUser => &["okta.users.manage", "okta.groups.read", "okta.roles.read"],
            Action::GetUser => &["okta.users.read", "okta.groups.read", "okta.apps.read"],
            Action::AddUserToGroup | Action::RemoveUserFromGroup => {
                &["okta.users.read", "okta.groups.manage", "okta.roles.read"]
            }
            Action::AssignAppToUser | Action::RevokeAppFromUser => &[
                "okta.users.read",
                "okta.groups.read",
                "okta.apps.manage",
                "okta.roles.read",
            ],
            Action::DeactivateUserDevices => &[
                "okta.users.read",
                "okta.groups.read",
                "okta.devices.manage",
                "okta.roles.read",
            ],
            // Owners are read and changed per group; the manager is a linked object of the user.
            Action::TransferGroupOwnership => {
                &["okta.users.read", "okta.groups.manage", "okta.roles.read"]
            }
            // Suspend, sessions, factors and deactivate (users.manage), leave groups (groups.manage), revoke apps,
            // deactivate devices.
            Action::OffboardUser => &[
                "okta.users.manage",
                "okta.groups.manage",
                "okta.apps.manage",
                "okta.devices.manage",
                "okta.roles.read",
            ],
        }
    }

    pub fn from_name(name: &str) -> Option<Action> {
        Action::ALL.into_iter().find(|action| action.name() == name)
    }

    /// Runs the action against Okta.
    pub async fn execute(self, okta: &Session<'_>, input: &Input) -> Result<Output> {
        let mut output = match self {
            Action::ActivateUser
            | Action::DeactivateUser
            | Action::SuspendUser
            | Action::UnsuspendUser
            | Action::UnlockUser
            | Action::ExpirePassword
            | Action::ResetPassword => lifecycle::run(self, okta, input).await?,
            Action::AddUserToGroup | Action::RemoveUserFromGroup => {
                groups::run(self, okta, input).await?
            }
            Action::AssignAppToUser => apps::assign(okta, input).await?,
            Action::RevokeAppFromUser => apps::revoke(okta, input).await?,
            Action::ClearUserSessions => sessions::clear(okta, input).await?,
            Action::GetUser => user_info::get(okta, input).await?,
            Action::RevokeUserGrants => grants::revoke(okta, input).await?,
            Action::ResetUserFactors => factors::reset(okta, input).await?,
            Action::DeactivateUserDevices => devices::deactivate(okta, input).await?,
            Action::TransferGroupOwnership => group_ownership::transfer(okta, input).await?,
            Action::OffboardUser => offboard::offboard(okta, input).await?,
        };
        output.okta_request_ids = okta.request_ids();
        Ok(output)
    }
}

/// An output with no group, app or secrets, filled in by each action.
fn base_output(
    action: Action,
    user: output::UserSummary,
    changed: bool,
    input: &Input,
    message: String,
) -> Output {
    Output {
        action: action.name(),
        user,
        group: None,
        app: None,
        changed,
        dry_run: input.dry_run,
        message,
        activation_url: None,
        activation_token: None,
        reset_password_url: None,
        temp_password: None,
        properties: None,
        groups: None,
        apps: None,
        clients: None,
        factors: None,
        devices: None,
        owned_groups: None,
        new_owner: None,
        steps: None,
        okta_request_ids: Vec::new(),
    }
}
