//! The uniform output of every action.

use std::fmt;

use serde::{Serialize, Serializer};
use serde_json::{Map, Value};

use crate::okta::models::{App, Group, User, UserStatus};

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Output {
    pub action: &'static str,
    pub user: UserSummary,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<GroupSummary>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub app: Option<AppSummary>,
    /// True exactly when Okta's state changed (or, with `dryRun`, would change).
    pub changed: bool,
    pub dry_run: bool,
    /// What happened, in words.
    pub message: String,
    /// Secret-bearing results, present only when the caller asked for them (never logged).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_url: Option<Revealed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub activation_token: Option<Revealed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reset_password_url: Option<Revealed>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub temp_password: Option<Revealed>,
    /// get-user: the user's essential properties.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub properties: Option<Value>,
    /// get-user with `include: ["groups"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub groups: Option<Vec<GroupSummary>>,
    /// get-user with `include: ["apps"]`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub apps: Option<Vec<AppSummary>>,
    /// revoke-user-grants: the apps (OAuth 2.0 clients) whose grants and refresh tokens were revoked.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub clients: Option<Vec<ClientSummary>>,
    /// reset-user-factors: the factors Okta listed before the reset.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub factors: Option<Vec<FactorSummary>>,
    /// deactivate-user-devices: each device of the user and what became of it.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub devices: Option<Vec<DeviceSummary>>,
    /// transfer-group-ownership: each group the user owned and what became of the ownership.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owned_groups: Option<Vec<OwnedGroupSummary>>,
    /// transfer-group-ownership: who receives the groups.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub new_owner: Option<UserRef>,
    /// offboard-user: each step's and each item's outcome (`changed` and `message`, or `Error` and `Cause`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub steps: Option<Value>,
    pub okta_request_ids: Vec<String>,
}

/// An OAuth 2.0 client (an app) that held the user's grants or refresh tokens.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ClientSummary {
    pub id: String,
    pub name: String,
}

/// An enrolled factor, by its id and type (`sms`, `push`, `token:software:totp`...).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FactorSummary {
    pub id: String,
    pub factor_type: String,
}

/// A device of the user and its outcome: `deactivated` (or `wouldDeactivate` in a dry run), or `keptShared` when
/// other users are linked to it too (`otherUsers` of them).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DeviceSummary {
    pub id: String,
    pub name: String,
    pub outcome: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub other_users: Option<usize>,
}

/// A group the user owned and its outcome: `transferred` (`wouldTransfer`), `keptPrivileged` (it carries admin
/// roles) or `keptManagedInApp` (the ownership is imported from an app).
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnedGroupSummary {
    pub id: String,
    pub name: String,
    pub outcome: &'static str,
}

/// A user other than the target, by id and login.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRef {
    pub id: String,
    pub login: String,
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct UserSummary {
    pub id: String,
    pub login: String,
    pub status_before: String,
    pub status_after: String,
    /// Okta was still completing the change when the deadline came (spec `activateUser`): `statusAfter` is the
    /// status it showed then, and this the status it is moving to.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transitioning_to_status: Option<String>,
}

impl UserSummary {
    pub fn new(user: &User, status_after: &UserStatus) -> Self {
        UserSummary {
            id: user.id.clone(),
            login: user.login().to_owned(),
            status_before: user.status.to_string(),
            status_after: status_after.to_string(),
            transitioning_to_status: None,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct GroupSummary {
    pub id: String,
    pub name: String,
    #[serde(rename = "type")]
    pub group_type: String,
    /// get-user: an active group rule assigns users to this group, so removing a member through the API would put
    /// them on the rule's exception list. Left out when false, to keep flow state small.
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub rule_managed: bool,
}

impl From<&Group> for GroupSummary {
    fn from(group: &Group) -> Self {
        GroupSummary {
            id: group.id.clone(),
            name: group.profile.name.clone(),
            group_type: group.group_type.clone(),
            rule_managed: false,
        }
    }
}

#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct AppSummary {
    pub id: String,
    pub label: String,
    /// `USER` (direct) or `GROUP` (through a group), where known.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub scope: Option<String>,
    /// The app's status (`ACTIVE`, `INACTIVE`), where known: an INACTIVE app still holds the assignment.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub status: Option<String>,
    /// get-user with `appGrants`: the user's groups that grant this app (scope `GROUP`), by id and name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub granted_by: Option<Vec<Value>>,
}

impl From<&App> for AppSummary {
    fn from(app: &App) -> Self {
        AppSummary {
            id: app.id.clone(),
            label: app.label.clone(),
            scope: None,
            status: (!app.status.is_empty()).then(|| app.status.clone()),
            granted_by: None,
        }
    }
}

/// A secret the caller asked for: serialized into the output, redacted everywhere else (`Debug`, logs).
#[derive(Clone)]
pub struct Revealed(String);

impl Revealed {
    pub fn from_json(value: &Value, key: &str) -> Option<Revealed> {
        value
            .get(key)
            .and_then(Value::as_str)
            .map(|text| Revealed(text.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Revealed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("[redacted]")
    }
}

impl Serialize for Revealed {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(&self.0)
    }
}

/// get-user's essential properties.
pub fn user_properties(user: &User) -> Value {
    let mut properties = Map::new();
    let mut put = |key: &str, value: Value| {
        properties.insert(key.to_owned(), value);
    };
    put("id", Value::String(user.id.clone()));
    put("status", Value::String(user.status.to_string()));
    put("login", Value::String(user.login().to_owned()));
    for (key, field) in [
        ("email", "email"),
        ("firstName", "firstName"),
        ("lastName", "lastName"),
    ] {
        put(key, user.profile.get(field).cloned().unwrap_or(Value::Null));
    }
    for (key, value) in [
        ("created", &user.created),
        ("activated", &user.activated),
        ("statusChanged", &user.status_changed),
        ("lastLogin", &user.last_login),
        ("lastUpdated", &user.last_updated),
        ("passwordChanged", &user.password_changed),
        ("transitioningToStatus", &user.transitioning_to_status),
    ] {
        put(key, value.clone().map(Value::String).unwrap_or(Value::Null));
    }
    put("profile", Value::Object(user.profile.clone()));
    Value::Object(properties)
}
