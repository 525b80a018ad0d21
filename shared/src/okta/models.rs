//! The parts of Okta's resources this project reads (spec schemas `User`, `Group`, `Application`, `AppUser`,
//! `AssignedAppLink`). Unknown fields are ignored and unknown statuses kept as they are.

use std::fmt;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

/// Okta's `UserStatus`, tolerant of values added later (such as the transitional `ACTIVATING`).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(from = "String", into = "String")]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    PasswordExpired,
    LockedOut,
    Suspended,
    Deprovisioned,
    Other(String),
}

impl UserStatus {
    pub const ALL: [UserStatus; 8] = [
        UserStatus::Staged,
        UserStatus::Provisioned,
        UserStatus::Active,
        UserStatus::Recovery,
        UserStatus::PasswordExpired,
        UserStatus::LockedOut,
        UserStatus::Suspended,
        UserStatus::Deprovisioned,
    ];

    pub fn as_str(&self) -> &str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
            UserStatus::Other(other) => other,
        }
    }
}

impl From<String> for UserStatus {
    fn from(value: String) -> Self {
        match value.as_str() {
            "STAGED" => UserStatus::Staged,
            "PROVISIONED" => UserStatus::Provisioned,
            "ACTIVE" => UserStatus::Active,
            "RECOVERY" => UserStatus::Recovery,
            "PASSWORD_EXPIRED" => UserStatus::PasswordExpired,
            "LOCKED_OUT" => UserStatus::LockedOut,
            "SUSPENDED" => UserStatus::Suspended,
            "DEPROVISIONED" => UserStatus::Deprovisioned,
            _ => UserStatus::Other(value),
        }
    }
}

impl From<UserStatus> for String {
    fn from(status: UserStatus) -> Self {
        status.as_str().to_owned()
    }
}

impl fmt::Display for UserStatus {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct User {
    pub id: String,
    pub status: UserStatus,
    pub transitioning_to_status: Option<String>,
    pub created: Option<String>,
    pub activated: Option<String>,
    pub status_changed: Option<String>,
    pub last_login: Option<String>,
    pub last_updated: Option<String>,
    pub password_changed: Option<String>,
    #[serde(default)]
    pub profile: Map<String, Value>,
    #[serde(default)]
    pub credentials: Option<Value>,
}

impl User {
    pub fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or_default()
    }

    pub fn email(&self) -> Option<&str> {
        self.profile.get("email").and_then(Value::as_str)
    }

    /// Whether the user has a password: activation then makes it ACTIVE rather than PROVISIONED.
    pub fn has_password(&self) -> bool {
        self.credentials
            .as_ref()
            .and_then(|credentials| credentials.get("password"))
            .is_some()
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct Group {
    pub id: String,
    #[serde(rename = "type")]
    pub group_type: String,
    pub profile: GroupProfile,
}

#[derive(Debug, Clone, Deserialize)]
pub struct GroupProfile {
    #[serde(default)]
    pub name: String,
}

impl Group {
    /// Only OKTA_GROUP memberships can be changed through the API (spec `assignUserToGroup`).
    pub fn is_okta_group(&self) -> bool {
        self.group_type == "OKTA_GROUP"
    }
}

#[derive(Debug, Clone, Deserialize)]
pub struct App {
    pub id: String,
    #[serde(default)]
    pub name: String,
    #[serde(default)]
    pub label: String,
    #[serde(default)]
    pub status: String,
    /// With `expand=user/{userId}`: that user's assignment (spec `listApplications`, `expand`).
    #[serde(rename = "_embedded", default)]
    pub embedded: Option<AppEmbedded>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppEmbedded {
    pub user: Option<AppUser>,
}

#[derive(Debug, Clone, Deserialize)]
pub struct AppUser {
    pub id: String,
    /// `USER` for a direct assignment, `GROUP` for one granted through a group.
    #[serde(default)]
    pub scope: String,
    #[serde(default)]
    pub status: String,
}

/// One way the user is blocked from signing in (spec `UserBlock`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserBlock {
    /// `ANY_DEVICES` or `UNKNOWN_DEVICES`.
    #[serde(default)]
    pub applies_to: String,
}

/// An app assignment as group rows are read from `GET /api/v1/apps/{appId}/groups`.
#[derive(Debug, Clone, Deserialize)]
pub struct AppGroupAssignment {
    pub id: String,
}

/// An admin role assignment (spec `StandardRole` / `CustomRole`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Role {
    #[serde(rename = "type")]
    pub role_type: String,
    #[serde(default)]
    pub label: Option<String>,
    /// `USER` (direct), `GROUP` (through a group) or `CLIENT`.
    #[serde(default)]
    pub assignment_type: Option<String>,
}

/// An OAuth 2.0 client the user granted consent to or holds refresh tokens for (spec `OAuth2Client`, from
/// `listUserClients`).
#[derive(Debug, Clone, Deserialize)]
pub struct OAuthClient {
    pub client_id: String,
    #[serde(default)]
    pub client_name: Option<String>,
}

/// An enrolled MFA factor (spec `UserFactor`).
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Factor {
    pub id: String,
    #[serde(default)]
    pub factor_type: String,
    #[serde(default)]
    pub provider: Option<String>,
}

/// One device linked to a user (spec `UserDevice`, from `listUserDevices`).
#[derive(Debug, Clone, Deserialize)]
pub struct UserDevice {
    pub device: Device,
}

/// A device (spec `Device`): its status (`DeviceStatus`) and display name.
#[derive(Debug, Clone, Deserialize)]
pub struct Device {
    pub id: String,
    #[serde(default)]
    pub status: String,
    #[serde(default)]
    pub profile: Option<DeviceProfile>,
}

impl Device {
    pub fn display_name(&self) -> &str {
        self.profile
            .as_ref()
            .map(|profile| profile.display_name.as_str())
            .unwrap_or_default()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceProfile {
    #[serde(default)]
    pub display_name: String,
}

/// One user of a device (spec `DeviceUser`, from `listDeviceUsers`); only the user's id is read.
#[derive(Debug, Clone, Deserialize)]
pub struct DeviceUser {
    pub user: DeviceUserRef,
}

#[derive(Debug, Clone, Deserialize)]
pub struct DeviceUserRef {
    pub id: String,
}

/// An owner of a group (spec `GroupOwner`): a user or a group, its ownership managed in Okta or in an app.
#[derive(Debug, Clone, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupOwner {
    pub id: String,
    /// `USER` or `GROUP` (spec `GroupOwnerType`).
    #[serde(rename = "type", default)]
    pub owner_type: String,
    /// `OKTA_DIRECTORY`, or `APPLICATION` when the ownership is imported from an app (spec `GroupOwnerOriginType`).
    #[serde(default)]
    pub origin_type: Option<String>,
}

impl GroupOwner {
    pub fn is_user(&self, user_id: &str) -> bool {
        self.owner_type == "USER" && self.id == user_id
    }
}

/// An active group rule and the groups it assigns users to (`rules.rs`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ActiveRule {
    pub id: String,
    pub name: String,
    pub group_ids: Vec<String>,
}
