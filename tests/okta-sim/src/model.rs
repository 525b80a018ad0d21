//! The in-memory org: users, groups, apps, assignments, and how Okta renders them as JSON.
//!
//! Objects carry a `seq` (creation order) which is what list endpoints sort and page by, so a cursor
//! stays valid when objects before it disappear.

use std::collections::{BTreeMap, HashMap};

use serde::Serialize;
use serde_json::{Map, Value, json};

use crate::util::now_iso;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum UserStatus {
    Staged,
    Provisioned,
    Active,
    Recovery,
    PasswordExpired,
    LockedOut,
    Suspended,
    Deprovisioned,
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

    pub fn as_str(self) -> &'static str {
        match self {
            UserStatus::Staged => "STAGED",
            UserStatus::Provisioned => "PROVISIONED",
            UserStatus::Active => "ACTIVE",
            UserStatus::Recovery => "RECOVERY",
            UserStatus::PasswordExpired => "PASSWORD_EXPIRED",
            UserStatus::LockedOut => "LOCKED_OUT",
            UserStatus::Suspended => "SUSPENDED",
            UserStatus::Deprovisioned => "DEPROVISIONED",
        }
    }

    pub fn parse(s: &str) -> Option<UserStatus> {
        Self::ALL
            .into_iter()
            .find(|st| st.as_str().eq_ignore_ascii_case(s))
    }

    /// Lifecycle operations that are allowed in this status, by their HAL link name (DOCS-USERS
    /// "Links object"). The lifecycle handlers use the same table, so `_links` never advertises an
    /// operation the simulator would refuse.
    ///
    /// `resetFactors`: a real org advertised it, and answered `reset_factors` with 200 `{}`, for an ACTIVE user
    /// with no factor enrolled (okta-sdk-python cassette `test_users_it/TestUsersResource.test_reset_factors.yaml`,
    /// commit 780ecaa8, 2025), although the spec (`resetFactors`) says the link shows only with factors. Every
    /// status but DEPROVISIONED keeps it here: Okta answers 404 to a DEPROVISIONED user's factors
    /// (okta-sdk-java issue #646); the other statuses are not documented either way.
    pub fn allowed_ops(self) -> &'static [&'static str] {
        use UserStatus::*;
        match self {
            Staged => &["activate", "deactivate", "resetFactors"],
            Provisioned => &["reactivate", "deactivate", "resetFactors"],
            Active => &[
                "suspend",
                "deactivate",
                "resetPassword",
                "expirePassword",
                "resetFactors",
            ],
            // SPEC `reactivateUser`: "only on users with a `PROVISIONED` or `RECOVERY` status".
            Recovery => &["reactivate", "deactivate", "resetPassword", "resetFactors"],
            PasswordExpired => &[
                "deactivate",
                "resetPassword",
                "expirePassword",
                "resetFactors",
            ],
            LockedOut => &["unlock", "deactivate", "resetPassword", "resetFactors"],
            Suspended => &["unsuspend", "deactivate", "resetFactors"],
            Deprovisioned => &["activate"],
        }
    }

    pub fn allows(self, op: &str) -> bool {
        self.allowed_ops().contains(&op)
    }
}

#[derive(Debug, Clone)]
pub struct User {
    pub seq: u64,
    pub id: String,
    pub status: UserStatus,
    pub created: String,
    pub activated: Option<String>,
    pub status_changed: Option<String>,
    pub last_login: Option<String>,
    pub last_updated: String,
    pub password_changed: Option<String>,
    pub profile: Map<String, Value>,
    pub has_password: bool,
    pub sessions: u32,
    pub oauth_tokens: u32,
    pub remembered_devices: bool,
    /// Role types assigned to the user directly.
    pub roles: Vec<String>,
    /// An asynchronous activation or deactivation in progress: its target status and the reads of the user
    /// before it completes (see `transitions.rs`).
    pub transition: Option<Transition>,
    /// ACTIVE but blocked from signing in on unknown devices (spec `listUserBlocks`, `unlockUser`).
    pub blocked_unknown_devices: bool,
    /// Signs in through an identity provider (`credentials.provider.type` FEDERATION): activation makes the
    /// user ACTIVE without an Okta password.
    pub federated: bool,
    /// OAuth 2.0 clients the user granted consent to or holds refresh tokens for (spec `listUserClients`).
    pub oauth_clients: Vec<UserClient>,
    /// Enrolled MFA factors (spec `listFactors`).
    pub factors: Vec<Factor>,
    /// The user's manager: the primary user of the `manager` linked object (spec `listLinkedObjectsForUser`).
    pub manager: Option<String>,
}

/// An OAuth 2.0 client as one user sees it: how many consent grants and refresh tokens they hold for it.
#[derive(Debug, Clone)]
pub struct UserClient {
    pub client_id: String,
    pub name: String,
    pub grants: u32,
    pub tokens: u32,
}

impl UserClient {
    /// `listUserClients` lists "client resources for which the specified user has grants or tokens".
    pub fn listed(&self) -> bool {
        self.grants > 0 || self.tokens > 0
    }
}

/// An enrolled factor (spec `UserFactor`).
#[derive(Debug, Clone)]
pub struct Factor {
    pub id: String,
    pub factor_type: String,
    pub provider: String,
}

/// A device registered in the org (spec `Device`), with the users it is linked to.
#[derive(Debug, Clone)]
pub struct Device {
    pub id: String,
    pub display_name: String,
    pub platform: String,
    /// `ACTIVE`, `SUSPENDED` or `DEACTIVATED` (spec `DeviceStatus`).
    pub status: String,
    pub created: String,
    /// User ids of the device's user links, in the order they were made.
    pub users: Vec<String>,
}

/// One owner of a group (spec `GroupOwner`).
#[derive(Debug, Clone)]
pub struct GroupOwner {
    pub id: String,
    /// `USER` or `GROUP`.
    pub owner_type: String,
    /// `OKTA_DIRECTORY`, or `APPLICATION` when ownership is managed in an app.
    pub origin_type: String,
    pub last_updated: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Transition {
    pub to: UserStatus,
    pub reads_left: u32,
}

impl User {
    pub fn login(&self) -> &str {
        self.profile
            .get("login")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn email(&self) -> &str {
        self.profile
            .get("email")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    pub fn set_status(&mut self, status: UserStatus) {
        let now = now_iso();
        if self.status != status {
            self.status_changed = Some(now.clone());
        }
        self.status = status;
        self.last_updated = now;
    }

    /// Values of a search/filter attribute (array profile values give one entry per element).
    pub fn attr(&self, attr: &str) -> Vec<String> {
        let one = |v: &Option<String>| v.iter().cloned().collect();
        match attr {
            "id" => vec![self.id.clone()],
            "status" => vec![self.status.as_str().to_string()],
            "created" => vec![self.created.clone()],
            "activated" => one(&self.activated),
            "statusChanged" => one(&self.status_changed),
            "lastUpdated" => vec![self.last_updated.clone()],
            "lastLogin" => one(&self.last_login),
            "passwordChanged" => one(&self.password_changed),
            "type.id" => vec![USER_TYPE_ID.to_string()],
            _ => attr
                .strip_prefix("profile.")
                .and_then(|k| self.profile.get(k))
                .map(json_values)
                .unwrap_or_default(),
        }
    }

    pub fn to_json(&self, base: &str) -> Value {
        let mut links = Map::new();
        let href = format!("{base}/api/v1/users/{}", self.id);
        links.insert("self".into(), json!({ "href": href }));
        for op in self.status.allowed_ops() {
            let path = match *op {
                "resetPassword" => "reset_password",
                "expirePassword" => "expire_password",
                "resetFactors" => "reset_factors",
                other => other,
            };
            links.insert(
                (*op).to_string(),
                json!({ "href": format!("{href}/lifecycle/{path}"), "method": "POST" }),
            );
        }
        let mut credentials = Map::new();
        if self.has_password {
            // Okta never returns the password, only an empty object telling that one is set.
            credentials.insert("password".into(), json!({}));
        }
        let provider = if self.federated {
            json!({ "type": "FEDERATION", "name": "FEDERATION" })
        } else {
            json!({ "type": "OKTA", "name": "OKTA" })
        };
        credentials.insert("provider".into(), provider);
        let mut user = json!({
            "id": self.id,
            "status": self.status.as_str(),
            "created": self.created,
            "activated": self.activated,
            "statusChanged": self.status_changed,
            "lastLogin": self.last_login,
            "lastUpdated": self.last_updated,
            "passwordChanged": self.password_changed,
            "type": { "id": USER_TYPE_ID },
            "profile": self.profile,
            "credentials": credentials,
            "_links": links,
        });
        if let Some(t) = self.transition {
            user["transitioningToStatus"] = json!(t.to.as_str());
        }
        user
    }
}

pub const USER_TYPE_ID: &str = "oty1simulatordefault";

fn json_values(v: &Value) -> Vec<String> {
    match v {
        Value::Null => vec![],
        Value::String(s) => vec![s.clone()],
        Value::Array(a) => a.iter().flat_map(json_values).collect(),
        other => vec![other.to_string()],
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum GroupType {
    Okta,
    App,
    BuiltIn,
}

impl GroupType {
    pub fn as_str(self) -> &'static str {
        match self {
            GroupType::Okta => "OKTA_GROUP",
            GroupType::App => "APP_GROUP",
            GroupType::BuiltIn => "BUILT_IN",
        }
    }

    pub fn parse(s: &str) -> Option<GroupType> {
        [GroupType::Okta, GroupType::App, GroupType::BuiltIn]
            .into_iter()
            .find(|t| t.as_str().eq_ignore_ascii_case(s))
    }
}

#[derive(Debug, Clone)]
pub struct Group {
    pub seq: u64,
    pub id: String,
    pub gtype: GroupType,
    pub name: String,
    pub description: Option<String>,
    pub created: String,
    pub last_updated: String,
    pub last_membership_updated: String,
    /// Member user ids in the order they were added. Unused for the BUILT_IN `Everyone` group, whose
    /// membership is every user of the org.
    pub members: Vec<String>,
    pub everyone: bool,
    /// Role types assigned to the group; its members hold them too.
    pub roles: Vec<String>,
    /// The group's owners (spec `listGroupOwners`).
    pub owners: Vec<GroupOwner>,
}

impl Group {
    pub fn attr(&self, attr: &str) -> Vec<String> {
        match attr {
            "id" => vec![self.id.clone()],
            "type" => vec![self.gtype.as_str().to_string()],
            "created" => vec![self.created.clone()],
            "lastUpdated" => vec![self.last_updated.clone()],
            "lastMembershipUpdated" => vec![self.last_membership_updated.clone()],
            "profile.name" => vec![self.name.clone()],
            "profile.description" => self.description.iter().cloned().collect(),
            _ => vec![],
        }
    }

    pub fn to_json(&self, base: &str) -> Value {
        let object_class = match self.gtype {
            GroupType::App => "okta:windows_security_principal",
            _ => "okta:user_group",
        };
        let href = format!("{base}/api/v1/groups/{}", self.id);
        json!({
            "id": self.id,
            "created": self.created,
            "lastUpdated": self.last_updated,
            "lastMembershipUpdated": self.last_membership_updated,
            "objectClass": [object_class],
            "type": self.gtype.as_str(),
            "profile": { "name": self.name, "description": self.description },
            "_links": {
                "logo": [{ "name": "medium", "href": format!("{base}/assets/img/logos/groups/okta-medium.png"), "type": "image/png" }],
                "users": { "href": format!("{href}/users") },
                "apps": { "href": format!("{href}/apps") },
            },
        })
    }
}

/// A stored direct (scope USER) assignment. Group-scoped assignments are computed from group
/// memberships and the app's group assignments, so they appear and vanish with membership changes.
#[derive(Debug, Clone)]
pub struct DirectAssignment {
    pub user_name: Option<String>,
    pub profile: Map<String, Value>,
    pub created: String,
    pub last_updated: String,
}

#[derive(Debug, Clone)]
pub struct GroupAssignment {
    pub group_id: String,
    pub priority: u32,
    pub last_updated: String,
}

#[derive(Debug, Clone)]
pub struct App {
    pub seq: u64,
    pub id: String,
    pub name: String,
    pub label: String,
    pub active: bool,
    pub sign_on_mode: String,
    /// Whether the app's credentials scheme takes a username (`credentials.userName`). When false, an
    /// assignment request carrying credentials is rejected with 400 E0000041.
    pub user_name_allowed: bool,
    /// Labels of the app's dashboard links (AssignedAppLink entries), each its own (one app may show "Google
    /// Mail" and "Google Calendar"); none for an app without a link (OIDC "Login initiated by: App only").
    pub link_labels: Vec<String>,
    pub created: String,
    pub last_updated: String,
    pub users: BTreeMap<String, DirectAssignment>,
    pub groups: Vec<GroupAssignment>,
}

impl App {
    pub fn attr(&self, attr: &str) -> Vec<String> {
        match attr {
            "id" => vec![self.id.clone()],
            "name" => vec![self.name.clone()],
            "label" => vec![self.label.clone()],
            "status" => vec![if self.active { "ACTIVE" } else { "INACTIVE" }.to_string()],
            "signOnMode" => vec![self.sign_on_mode.clone()],
            _ => vec![],
        }
    }

    pub fn to_json(&self, base: &str) -> Value {
        let href = format!("{base}/api/v1/apps/{}", self.id);
        let mut credentials = json!({
            "userNameTemplate": { "template": "${source.login}", "type": "BUILT_IN" },
            "signing": {},
        });
        if self.user_name_allowed {
            credentials["scheme"] = json!("EDIT_USERNAME_AND_PASSWORD");
        }
        json!({
            "id": self.id,
            "name": self.name,
            "label": self.label,
            "status": if self.active { "ACTIVE" } else { "INACTIVE" },
            "created": self.created,
            "lastUpdated": self.last_updated,
            "signOnMode": self.sign_on_mode,
            "accessibility": { "selfService": false, "errorRedirectUrl": null, "loginRedirectUrl": null },
            "visibility": { "autoSubmitToolbar": false, "hide": { "iOS": false, "web": false }, "appLinks": {} },
            "features": [],
            "credentials": credentials,
            "settings": { "app": {} },
            "_links": {
                "users": { "href": format!("{href}/users") },
                "groups": { "href": format!("{href}/groups") },
                "self": { "href": href },
                "logo": [{ "name": "medium", "href": format!("{base}/assets/img/logos/{}.png", self.name), "type": "image/png" }],
            },
        })
    }
}

/// An effective assignment of a user to an app, as `GET /api/v1/apps/{appId}/users/{userId}` shows it.
#[derive(Debug, Clone)]
pub struct AppUserView {
    pub user_id: String,
    pub scope: &'static str,
    pub user_name: Option<String>,
    pub profile: Map<String, Value>,
    pub created: String,
    pub last_updated: String,
}

#[derive(Debug, Clone)]
pub struct GroupRule {
    pub id: String,
    pub name: String,
    pub active: bool,
    pub group_ids: Vec<String>,
    pub expression: String,
    pub created: String,
    /// The rule's exception list (`conditions.people.users.exclude`): users removed from a target group by
    /// hand, whom the rule no longer adds.
    pub excluded: Vec<String>,
}

#[derive(Debug, Clone, Serialize, PartialEq, Eq)]
pub struct Email {
    #[serde(rename = "userId")]
    pub user_id: String,
    /// `activation`, `reset`, `deactivation` or `appUnassignment`.
    pub kind: String,
}

#[derive(Debug, Default)]
pub struct Org {
    pub users: Vec<User>,
    pub groups: Vec<Group>,
    pub apps: Vec<App>,
    pub rules: Vec<GroupRule>,
    pub devices: Vec<Device>,
    pub emails: Vec<Email>,
    pub next_seq: u64,
    /// The user id `GET /api/v1/users/me` answers, when the seed names one.
    pub token_owner: Option<String>,
    /// The org lacks the user-blocks feature (seed `blocksFeatureOff`).
    pub blocks_feature_off: bool,
    /// Reads of a user that an activation stays in progress for (seed `activationSettlesAfterReads`).
    pub activation_settles_after_reads: Option<u32>,
    /// The custom-role permissions of the admins (user id) and service apps (client id) whose role is restricted;
    /// a principal not listed may do everything.
    pub admin_permissions: HashMap<String, Vec<String>>,
    /// The Okta API scopes granted to each service app (client id), as its scope consent grants list them.
    pub service_app_scopes: HashMap<String, Vec<String>>,
}

impl Org {
    pub fn seq(&mut self) -> u64 {
        self.next_seq += 1;
        self.next_seq
    }

    pub fn user_idx_by_id(&self, id: &str) -> Option<usize> {
        self.users.iter().position(|u| u.id == id)
    }

    /// SPEC `{id}`: "An ID, login, or login shortname (as long as the shortname is unambiguous)".
    /// Logins compare case-insensitively, as Okta treats them.
    pub fn resolve_user(&self, key: &str) -> Option<usize> {
        if let Some(i) = self.user_idx_by_id(key) {
            return Some(i);
        }
        if let Some(i) = self
            .users
            .iter()
            .position(|u| u.login().eq_ignore_ascii_case(key))
        {
            return Some(i);
        }
        if key.contains('@') {
            return None;
        }
        let mut hits = self.users.iter().enumerate().filter(|(_, u)| {
            u.login()
                .split('@')
                .next()
                .is_some_and(|s| s.eq_ignore_ascii_case(key))
        });
        match (hits.next(), hits.next()) {
            (Some((i, _)), None) => Some(i),
            _ => None,
        }
    }

    pub fn group_idx(&self, id: &str) -> Option<usize> {
        self.groups.iter().position(|g| g.id == id)
    }

    /// Test helper lookups accept an id or a name (first group with that name).
    pub fn group_idx_by_id_or_name(&self, key: &str) -> Option<usize> {
        self.group_idx(key)
            .or_else(|| self.groups.iter().position(|g| g.name == key))
    }

    pub fn app_idx(&self, id: &str) -> Option<usize> {
        self.apps.iter().position(|a| a.id == id)
    }

    pub fn app_idx_by_id_or_label(&self, key: &str) -> Option<usize> {
        self.app_idx(key).or_else(|| {
            self.apps.iter().position(|a| a.label == key).or_else(|| {
                self.apps
                    .iter()
                    .position(|a| a.label.eq_ignore_ascii_case(key))
            })
        })
    }

    pub fn is_member(&self, group: &Group, user_id: &str) -> bool {
        group.everyone || group.members.iter().any(|m| m == user_id)
    }

    /// Members in the order Okta would list them (user creation order).
    pub fn member_indices(&self, group: &Group) -> Vec<usize> {
        self.users
            .iter()
            .enumerate()
            .filter(|(_, u)| self.is_member(group, &u.id))
            .map(|(i, _)| i)
            .collect()
    }

    pub fn user_group_indices(&self, user_id: &str) -> Vec<usize> {
        self.groups
            .iter()
            .enumerate()
            .filter(|(_, g)| self.is_member(g, user_id))
            .map(|(i, _)| i)
            .collect()
    }

    /// Groups through which `user` gets `app`, in the app's group-assignment order.
    pub fn granting_groups(&self, app: &App, user_id: &str) -> Vec<String> {
        app.groups
            .iter()
            .filter(|ga| {
                self.group_idx(&ga.group_id)
                    .is_some_and(|gi| self.is_member(&self.groups[gi], user_id))
            })
            .map(|ga| ga.group_id.clone())
            .collect()
    }

    /// The effective assignment: a direct one (scope USER) wins over group-granted ones (scope GROUP).
    /// A DEPROVISIONED user keeps group memberships but has no app assignments (Okta removes them all
    /// on deactivation; they come back through the groups if the user is activated again).
    pub fn app_user(&self, app: &App, user_id: &str) -> Option<AppUserView> {
        let user = &self.users[self.user_idx_by_id(user_id)?];
        let user_name = |explicit: Option<&String>| {
            app.user_name_allowed.then(|| {
                explicit
                    .cloned()
                    .unwrap_or_else(|| user.login().to_string())
            })
        };
        if let Some(d) = app.users.get(user_id) {
            return Some(AppUserView {
                user_id: user_id.to_string(),
                scope: "USER",
                user_name: user_name(d.user_name.as_ref()),
                profile: d.profile.clone(),
                created: d.created.clone(),
                last_updated: d.last_updated.clone(),
            });
        }
        if user.status == UserStatus::Deprovisioned {
            return None;
        }
        let gid = self.granting_groups(app, user_id).into_iter().next()?;
        let ga = app.groups.iter().find(|g| g.group_id == gid)?;
        Some(AppUserView {
            user_id: user_id.to_string(),
            scope: "GROUP",
            user_name: user_name(None),
            profile: Map::new(),
            created: ga.last_updated.clone(),
            last_updated: ga.last_updated.clone(),
        })
    }

    /// Every effective assignment of an app, in user creation order.
    pub fn app_users(&self, app: &App) -> Vec<(u64, AppUserView)> {
        self.users
            .iter()
            .filter_map(|u| self.app_user(app, &u.id).map(|v| (u.seq, v)))
            .collect()
    }

    pub fn app_user_json(&self, base: &str, app: &App, v: &AppUserView) -> Value {
        let mut links = json!({
            "app": { "href": format!("{base}/api/v1/apps/{}", app.id) },
            "user": { "href": format!("{base}/api/v1/users/{}", v.user_id) },
        });
        if v.scope == "GROUP"
            && let Some(gid) = self.granting_groups(app, &v.user_id).first()
        {
            links["group"] = json!({ "href": format!("{base}/api/v1/groups/{gid}"), "name": self.groups.iter().find(|g| &g.id == gid).map(|g| g.name.clone()) });
        }
        let mut out = json!({
            "id": v.user_id,
            "externalId": null,
            "created": v.created,
            "lastUpdated": v.last_updated,
            "scope": v.scope,
            "status": "ACTIVE",
            "statusChanged": v.created,
            "passwordChanged": null,
            "syncState": "DISABLED",
            "profile": v.profile,
            "_links": links,
        });
        if let Some(name) = &v.user_name {
            out["credentials"] = json!({ "userName": name });
        }
        out
    }

    pub fn record_email(&mut self, user_id: &str, kind: &str) {
        self.emails.push(Email {
            user_id: user_id.to_string(),
            kind: kind.to_string(),
        });
    }

    /// Whole org for `GET /__sim/state`.
    pub fn state_json(&self) -> Value {
        let users: Vec<_> = self
            .users
            .iter()
            .map(|u| {
                json!({
                    "id": u.id, "login": u.login(), "status": u.status.as_str(),
                    "hasPassword": u.has_password, "sessions": u.sessions,
                    "oauthTokens": u.oauth_tokens, "rememberedDevices": u.remembered_devices,
                    "profile": u.profile,
                    "oauthClients": u.oauth_clients.iter().map(|c| json!({
                        "clientId": c.client_id, "name": c.name, "grants": c.grants, "tokens": c.tokens,
                    })).collect::<Vec<_>>(),
                    "factors": u.factors.iter().map(|f| f.factor_type.clone()).collect::<Vec<_>>(),
                    "manager": u.manager,
                })
            })
            .collect();
        let groups: Vec<_> = self
            .groups
            .iter()
            .map(|g| {
                let members: Vec<_> = self
                    .member_indices(g)
                    .into_iter()
                    .map(|i| self.users[i].id.clone())
                    .collect();
                let owners: Vec<_> = g.owners.iter().map(|o| o.id.clone()).collect();
                json!({ "id": g.id, "name": g.name, "type": g.gtype.as_str(), "members": members, "owners": owners })
            })
            .collect();
        let apps: Vec<_> = self
            .apps
            .iter()
            .map(|a| {
                let assignments: Vec<_> = self
                    .app_users(a)
                    .into_iter()
                    .map(|(_, v)| json!({ "userId": v.user_id, "scope": v.scope, "userName": v.user_name, "profile": v.profile }))
                    .collect();
                let groups: Vec<_> = a.groups.iter().map(|g| g.group_id.clone()).collect();
                json!({
                    "id": a.id, "name": a.name, "label": a.label,
                    "status": if a.active { "ACTIVE" } else { "INACTIVE" },
                    "groups": groups, "assignments": assignments,
                })
            })
            .collect();
        let devices: Vec<_> = self
            .devices
            .iter()
            .map(|d| json!({ "id": d.id, "name": d.display_name, "status": d.status, "users": d.users }))
            .collect();
        json!({ "users": users, "groups": groups, "apps": apps, "devices": devices })
    }
}
