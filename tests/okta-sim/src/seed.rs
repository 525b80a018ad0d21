//! The seed: the org the simulator starts with. Read from JSON (see README "Seed format") or built in
//! code by tests. Ids left out are derived from the object's login/name, so the same seed always gives
//! the same ids.

use std::collections::HashMap;
use std::path::Path;

use serde::{Deserialize, Serialize};
use serde_json::{Map, Value};

use crate::model::{
    App, Device, DirectAssignment, Factor, Group, GroupAssignment, GroupOwner, GroupRule,
    GroupType, Org, User, UserClient, UserStatus,
};
use crate::util::{now_iso, seeded_id};

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Seed {
    /// Free text, e.g. the org's name; not used by the simulator.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub org: Option<String>,
    #[serde(default)]
    pub users: Vec<SeedUser>,
    #[serde(default)]
    pub groups: Vec<SeedGroup>,
    #[serde(default)]
    pub apps: Vec<SeedApp>,
    #[serde(default)]
    pub group_rules: Vec<SeedGroupRule>,
    /// The admin who owns the API token (id or login): what `GET /api/v1/users/me` answers. Without one,
    /// `me` is a built-in super admin who is not listed (real Okta always has a token owner).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub token_owner: Option<String>,
    /// OAuth 2.0 service apps the org authorization server knows (client credentials with `private_key_jwt`).
    #[serde(default)]
    pub service_apps: Vec<SeedServiceApp>,
    /// An org without the user-blocks feature: `GET /api/v1/users/{id}/blocks` answers 401 E0000015 (see
    /// `transitions.rs`).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub blocks_feature_off: bool,
    /// Activation is asynchronous (SPEC `activateUser`): after `activate`, the user shows `transitioningToStatus`
    /// for this many reads before the new status. Absent: activation completes at once.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub activation_settles_after_reads: Option<u32>,
    /// Devices registered in the org, each linked to its users (spec `listDeviceUsers`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub devices: Vec<SeedDevice>,
}

/// A device and the users linked to it: one user for a personal device, several for a shared one.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedDevice {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// `WINDOWS` (default), `MACOS`, `IOS`, `ANDROID`...
    #[serde(default)]
    pub platform: Option<String>,
    /// `ACTIVE` (default), `SUSPENDED` or `DEACTIVATED`.
    #[serde(default)]
    pub status: Option<String>,
    /// User ids or logins.
    #[serde(default)]
    pub users: Vec<String>,
}

/// An OAuth 2.0 client a user granted consent to or holds refresh tokens for.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedOAuthClient {
    /// Default: derived from the name.
    #[serde(default)]
    pub client_id: Option<String>,
    pub name: String,
    #[serde(default)]
    pub grants: u32,
    #[serde(default)]
    pub tokens: u32,
}

/// A registered OAuth 2.0 service app: its client id, its public keys, the Okta API scopes granted to it, and
/// whether it requires DPoP ("Require Demonstrating Proof of Possession (DPoP) header in token requests").
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedServiceApp {
    pub client_id: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    /// `{"keys": [public JWK, ...]}`, as the app's "Public keys" in the Admin Console.
    pub jwks: serde_json::Value,
    pub scopes: Vec<String>,
    #[serde(default = "dpop_by_default")]
    pub dpop: bool,
    /// The permissions of the admin role assigned to the app (Admin roles tab), when it is a custom role; absent:
    /// a role that may do everything (see `SeedUser::admin_permissions`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_permissions: Option<Vec<String>>,
}

/// New service apps have DPoP required by default in the Admin Console.
fn dpop_by_default() -> bool {
    true
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedUser {
    #[serde(default)]
    pub id: Option<String>,
    pub login: String,
    /// Defaults to the login.
    #[serde(default)]
    pub email: Option<String>,
    /// Default from the login's local part: `jane.doe@…` → `Jane` / `Doe`.
    #[serde(default)]
    pub first_name: Option<String>,
    #[serde(default)]
    pub last_name: Option<String>,
    /// One of Okta's user statuses; default `ACTIVE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Whether a password is set; default: false for STAGED/PROVISIONED, true otherwise.
    #[serde(default)]
    pub password: Option<bool>,
    /// Further profile attributes (department, title, custom ones...).
    #[serde(default)]
    pub profile: Map<String, Value>,
    #[serde(default)]
    pub sessions: u32,
    #[serde(default)]
    pub oauth_tokens: u32,
    #[serde(default)]
    pub remembered_devices: bool,
    #[serde(default)]
    pub last_login: Option<String>,
    #[serde(default)]
    pub created: Option<String>,
    /// Admin role types assigned to the user directly (`assignmentType: USER`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// An asynchronous activation or deactivation in progress: the status the user is transitioning to.
    #[serde(default)]
    pub transitioning_to_status: Option<String>,
    /// Reads of the user (`GET /api/v1/users/{id}`) before the transition completes; default 2.
    #[serde(default)]
    pub settles_after_reads: Option<u32>,
    /// ACTIVE but blocked from unknown devices.
    #[serde(default)]
    pub blocked_unknown_devices: bool,
    /// Signs in through an identity provider: activation makes the user ACTIVE without a password.
    #[serde(default)]
    pub federated: bool,
    /// The permissions of this admin's custom role (`okta.users.read`, `okta.iam.read`, ...), which bound what an
    /// API token they own may do; absent: a role that may do everything (a super admin's). Only role reads check it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub admin_permissions: Option<Vec<String>>,
    /// OAuth 2.0 clients with the user's consent grants or refresh tokens.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub oauth_clients: Vec<SeedOAuthClient>,
    /// Enrolled factor types (`sms`, `push`, `token:software:totp`, `webauthn`, ...).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub factors: Vec<String>,
    /// The user's manager (id or login), as the `manager` linked object.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub manager: Option<String>,
}

impl SeedUser {
    pub fn new(login: &str, status: &str) -> SeedUser {
        SeedUser {
            login: login.to_string(),
            status: Some(status.to_string()),
            ..SeedUser::default()
        }
    }
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedGroup {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// `OKTA_GROUP` (default), `APP_GROUP` or `BUILT_IN`.
    #[serde(default, rename = "type")]
    pub group_type: Option<String>,
    #[serde(default)]
    pub description: Option<String>,
    /// User ids or logins. Ignored for `Everyone`, which always holds every user.
    #[serde(default)]
    pub members: Vec<String>,
    /// Admin role types assigned to the group (`SUPER_ADMIN`, `ORG_ADMIN`, ..., `CUSTOM`): every member holds
    /// them with `assignmentType: GROUP`.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub roles: Vec<String>,
    /// Owners that are users (ids or logins).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owners: Vec<String>,
    /// Owners that are groups (ids or names).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub owner_groups: Vec<String>,
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedApp {
    #[serde(default)]
    pub id: Option<String>,
    pub label: String,
    /// Integration key (`salesforce`, `slack`, ...).
    pub name: String,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Default `SAML_2_0`.
    #[serde(default)]
    pub sign_on_mode: Option<String>,
    /// Whether assignments may carry `credentials.userName` (else 400 E0000041).
    #[serde(default)]
    pub user_name_allowed: bool,
    /// Dashboard links per assignment in `/users/{id}/appLinks`; default 1, 0 for an app without a link.
    #[serde(default)]
    pub links: Option<u32>,
    /// The links' own labels (their number wins over `links`); default: the app's label, then "label (n)".
    #[serde(default)]
    pub link_labels: Vec<String>,
    /// Groups (ids or names; a name picks the first group with that name) assigned to the app.
    #[serde(default)]
    pub groups: Vec<String>,
    /// Direct (scope USER) assignments.
    #[serde(default)]
    pub users: Vec<SeedAppUser>,
}

impl SeedApp {
    pub fn new(label: &str, name: &str) -> SeedApp {
        SeedApp {
            label: label.to_string(),
            name: name.to_string(),
            ..SeedApp::default()
        }
    }
}

/// A direct assignment: either a plain user id/login string or an object.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(untagged)]
pub enum SeedAppUser {
    User(String),
    Full {
        user: String,
        #[serde(default, rename = "userName")]
        user_name: Option<String>,
        #[serde(default)]
        profile: Map<String, Value>,
    },
}

#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct SeedGroupRule {
    #[serde(default)]
    pub id: Option<String>,
    pub name: String,
    /// `ACTIVE` (default) or `INACTIVE`.
    #[serde(default)]
    pub status: Option<String>,
    /// Groups (ids or names) the rule assigns users to.
    #[serde(default)]
    pub groups: Vec<String>,
    #[serde(default)]
    pub expression: Option<String>,
    /// Users (ids or logins) already on the rule's exception list.
    #[serde(default)]
    pub exclude: Vec<String>,
}

fn user_key(login: &str) -> String {
    login.to_ascii_lowercase()
}

impl Seed {
    pub fn empty() -> Seed {
        Seed::default()
    }

    pub fn from_json(text: &str) -> Result<Seed, std::io::Error> {
        serde_json::from_str(text)
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))
    }

    pub fn from_file(path: impl AsRef<Path>) -> Result<Seed, std::io::Error> {
        Seed::from_json(&std::fs::read_to_string(path)?)
    }

    /// Adds a user with defaults for everything but login and status; returns its id.
    pub fn user(&mut self, login: &str, status: &str) -> String {
        self.add_user(SeedUser::new(login, status))
    }

    /// Adds a fully described user; returns its id (the given one or a derived one).
    pub fn add_user(&mut self, mut user: SeedUser) -> String {
        let id = user
            .id
            .clone()
            .unwrap_or_else(|| seeded_id("00u", &user_key(&user.login)));
        user.id = Some(id.clone());
        self.users.push(user);
        id
    }

    /// Adds a group (`type`: OKTA_GROUP, APP_GROUP or BUILT_IN); returns its id.
    pub fn group(&mut self, name: &str, group_type: &str) -> String {
        let nth = self.groups.iter().filter(|g| g.name == name).count();
        let id = seeded_id("00g", &format!("{name}#{nth}"));
        self.groups.push(SeedGroup {
            id: Some(id.clone()),
            name: name.to_string(),
            group_type: Some(group_type.to_string()),
            ..SeedGroup::default()
        });
        id
    }

    /// Adds a fully described group; returns its id (the given one or a derived one).
    pub fn add_group(&mut self, mut group: SeedGroup) -> String {
        let nth = self.groups.iter().filter(|g| g.name == group.name).count();
        let id = group
            .id
            .clone()
            .unwrap_or_else(|| seeded_id("00g", &format!("{}#{nth}", group.name)));
        group.id = Some(id.clone());
        self.groups.push(group);
        id
    }

    /// Adds an app by label and integration name; returns its id.
    pub fn app(&mut self, label: &str, name: &str) -> String {
        self.add_app(SeedApp::new(label, name))
    }

    pub fn add_app(&mut self, mut app: SeedApp) -> String {
        let id = app
            .id
            .clone()
            .unwrap_or_else(|| seeded_id("0oa", &app.label));
        app.id = Some(id.clone());
        self.apps.push(app);
        id
    }

    pub fn add_member(&mut self, group_id: &str, user_id: &str) {
        if let Some(g) = self
            .groups
            .iter_mut()
            .find(|g| g.id.as_deref() == Some(group_id))
        {
            g.members.push(user_id.to_string());
        }
    }

    pub fn assign_app(&mut self, app_id: &str, user_id: &str) {
        if let Some(a) = self
            .apps
            .iter_mut()
            .find(|a| a.id.as_deref() == Some(app_id))
        {
            a.users.push(SeedAppUser::User(user_id.to_string()));
        }
    }

    /// Makes a user (id or login) an owner of the group.
    pub fn add_group_owner(&mut self, group_id: &str, user: &str) {
        if let Some(g) = self
            .groups
            .iter_mut()
            .find(|g| g.id.as_deref() == Some(group_id))
        {
            g.owners.push(user.to_string());
        }
    }

    /// Registers a device linked to `users` (ids or logins); returns its id.
    pub fn device(&mut self, name: &str, users: &[&str]) -> String {
        let id = seeded_id("guo", name);
        self.devices.push(SeedDevice {
            id: Some(id.clone()),
            name: name.to_string(),
            users: users.iter().map(|u| (*u).to_string()).collect(),
            ..SeedDevice::default()
        });
        id
    }

    /// Assigns an admin role (`SUPER_ADMIN`, `ORG_ADMIN`, ...) to a user directly.
    pub fn assign_user_role(&mut self, user_id: &str, role: &str) {
        if let Some(u) = self
            .users
            .iter_mut()
            .find(|u| u.id.as_deref() == Some(user_id))
        {
            u.roles.push(role.to_string());
        }
    }

    /// Assigns an admin role to a group: its members hold it through the group.
    pub fn assign_group_role(&mut self, group_id: &str, role: &str) {
        if let Some(g) = self
            .groups
            .iter_mut()
            .find(|g| g.id.as_deref() == Some(group_id))
        {
            g.roles.push(role.to_string());
        }
    }

    pub fn assign_app_to_group(&mut self, app_id: &str, group_id: &str) {
        if let Some(a) = self
            .apps
            .iter_mut()
            .find(|a| a.id.as_deref() == Some(app_id))
        {
            a.groups.push(group_id.to_string());
        }
    }

    /// Turns the seed into an org; unknown references and bad enum values are errors so that a typo in
    /// a seed file doesn't silently change a test.
    pub(crate) fn build(&self) -> Result<Org, String> {
        let mut org = self.build_without_owner()?;
        if let Some(owner) = &self.token_owner {
            let i = org
                .user_idx_by_id(owner)
                .or_else(|| {
                    org.users
                        .iter()
                        .position(|u| u.login().eq_ignore_ascii_case(owner))
                })
                .ok_or_else(|| format!("unknown tokenOwner {owner}"))?;
            org.token_owner = Some(org.users[i].id.clone());
        }
        org.blocks_feature_off = self.blocks_feature_off;
        org.activation_settles_after_reads = self.activation_settles_after_reads;
        for su in &self.users {
            if let Some(permissions) = &su.admin_permissions {
                let id = org
                    .resolve_user(su.id.as_deref().unwrap_or(&su.login))
                    .map(|i| org.users[i].id.clone())
                    .ok_or_else(|| format!("unknown user {}", su.login))?;
                org.admin_permissions.insert(id, permissions.clone());
            }
        }
        for app in &self.service_apps {
            org.service_app_scopes
                .insert(app.client_id.clone(), app.scopes.clone());
            if let Some(permissions) = &app.admin_permissions {
                org.admin_permissions
                    .insert(app.client_id.clone(), permissions.clone());
            }
        }
        Ok(org)
    }

    fn build_without_owner(&self) -> Result<Org, String> {
        let mut org = Org::default();
        let now = now_iso();
        let mut logins: HashMap<String, usize> = HashMap::new();
        for su in &self.users {
            let status = UserStatus::parse(su.status.as_deref().unwrap_or("ACTIVE"))
                .ok_or_else(|| format!("user {}: unknown status {:?}", su.login, su.status))?;
            let key = user_key(&su.login);
            if logins.contains_key(&key) {
                return Err(format!("duplicate login {}", su.login));
            }
            let id = su.id.clone().unwrap_or_else(|| seeded_id("00u", &key));
            let local = su.login.split('@').next().unwrap_or(&su.login);
            let mut parts = local.split(['.', '_', '-', '+', '/']);
            let cap = |s: &str| {
                let mut c = s.chars();
                c.next()
                    .map(|f| f.to_uppercase().chain(c).collect::<String>())
                    .unwrap_or_default()
            };
            let first = su
                .first_name
                .clone()
                .unwrap_or_else(|| cap(parts.next().unwrap_or("")));
            let last = su
                .last_name
                .clone()
                .unwrap_or_else(|| cap(parts.next().unwrap_or("User")));
            let mut profile = Map::new();
            profile.insert("login".into(), Value::String(su.login.clone()));
            profile.insert(
                "email".into(),
                Value::String(su.email.clone().unwrap_or_else(|| su.login.clone())),
            );
            profile.insert("firstName".into(), Value::String(first));
            profile.insert("lastName".into(), Value::String(last));
            for (k, v) in &su.profile {
                profile.insert(k.clone(), v.clone());
            }
            let has_password = su.password.unwrap_or(!matches!(
                status,
                UserStatus::Staged | UserStatus::Provisioned | UserStatus::Deprovisioned
            ));
            let created = su.created.clone().unwrap_or_else(|| now.clone());
            let activated = (!matches!(status, UserStatus::Staged)).then(|| created.clone());
            let seq = org.seq();
            logins.insert(key, org.users.len());
            org.users.push(User {
                seq,
                id,
                status,
                created: created.clone(),
                activated,
                status_changed: (status != UserStatus::Staged).then(|| created.clone()),
                last_login: su.last_login.clone(),
                last_updated: created.clone(),
                password_changed: has_password.then(|| created.clone()),
                profile,
                has_password,
                sessions: su.sessions,
                oauth_tokens: su.oauth_tokens,
                remembered_devices: su.remembered_devices,
                roles: checked_roles(&su.roles, &su.login)?,
                transition: match &su.transitioning_to_status {
                    None => None,
                    Some(to) => Some(crate::model::Transition {
                        to: UserStatus::parse(to).ok_or_else(|| {
                            format!("user {}: unknown transitioningToStatus {to:?}", su.login)
                        })?,
                        reads_left: su.settles_after_reads.unwrap_or(2),
                    }),
                },
                blocked_unknown_devices: su.blocked_unknown_devices,
                federated: su.federated,
                oauth_clients: su
                    .oauth_clients
                    .iter()
                    .map(|c| UserClient {
                        client_id: c
                            .client_id
                            .clone()
                            .unwrap_or_else(|| seeded_id("0oa", &format!("client|{}", c.name))),
                        name: c.name.clone(),
                        grants: c.grants,
                        tokens: c.tokens,
                    })
                    .collect(),
                factors: su
                    .factors
                    .iter()
                    .map(|factor_type| Factor {
                        id: seeded_id("mfa", &format!("{}|{factor_type}", su.login)),
                        factor_type: factor_type.clone(),
                        provider: if factor_type == "webauthn" {
                            "FIDO".into()
                        } else {
                            "OKTA".into()
                        },
                    })
                    .collect(),
                manager: None,
            });
        }
        let find_user = |org: &Org, key: &str| -> Result<String, String> {
            org.user_idx_by_id(key)
                .or_else(|| logins.get(&user_key(key)).copied())
                .map(|i| org.users[i].id.clone())
                .ok_or_else(|| format!("unknown user {key}"))
        };

        for su in &self.users {
            if let Some(manager) = &su.manager {
                let manager_id = find_user(&org, manager)?;
                let me = find_user(&org, &su.login)?;
                if let Some(i) = org.user_idx_by_id(&me) {
                    org.users[i].manager = Some(manager_id);
                }
            }
        }

        // Okta always has the BUILT_IN Everyone group.
        let mut groups = self.groups.clone();
        if !groups.iter().any(|g| {
            g.name == "Everyone"
                && g.group_type
                    .as_deref()
                    .is_some_and(|t| t.eq_ignore_ascii_case("BUILT_IN"))
        }) {
            groups.insert(
                0,
                SeedGroup {
                    name: "Everyone".into(),
                    group_type: Some("BUILT_IN".into()),
                    description: Some("All users in your organization".into()),
                    ..SeedGroup::default()
                },
            );
        }
        let mut nth: HashMap<String, usize> = HashMap::new();
        for sg in &groups {
            let gtype = GroupType::parse(sg.group_type.as_deref().unwrap_or("OKTA_GROUP"))
                .ok_or_else(|| format!("group {}: unknown type {:?}", sg.name, sg.group_type))?;
            let n = nth.entry(sg.name.clone()).or_insert(0);
            let id = sg
                .id
                .clone()
                .unwrap_or_else(|| seeded_id("00g", &format!("{}#{n}", sg.name)));
            *n += 1;
            let everyone = gtype == GroupType::BuiltIn && sg.name == "Everyone";
            let mut members = Vec::new();
            if !everyone {
                for m in &sg.members {
                    let uid = find_user(&org, m)?;
                    if !members.contains(&uid) {
                        members.push(uid);
                    }
                }
            }
            let mut owners = Vec::new();
            for owner in &sg.owners {
                owners.push(GroupOwner {
                    id: find_user(&org, owner)?,
                    owner_type: "USER".into(),
                    origin_type: "OKTA_DIRECTORY".into(),
                    last_updated: now.clone(),
                });
            }
            let seq = org.seq();
            org.groups.push(Group {
                seq,
                id,
                gtype,
                name: sg.name.clone(),
                description: sg.description.clone(),
                created: now.clone(),
                last_updated: now.clone(),
                last_membership_updated: now.clone(),
                members,
                everyone,
                roles: checked_roles(&sg.roles, &sg.name)?,
                owners,
            });
        }
        // Owner groups, once every group exists (a group may be owned by one listed after it).
        for sg in &groups {
            for owner in &sg.owner_groups {
                let owner_id = org
                    .group_idx_by_id_or_name(owner)
                    .map(|i| org.groups[i].id.clone())
                    .ok_or_else(|| format!("group {}: unknown owner group {owner}", sg.name))?;
                let gi = sg
                    .id
                    .as_deref()
                    .and_then(|id| org.group_idx(id))
                    .or_else(|| org.group_idx_by_id_or_name(&sg.name))
                    .ok_or_else(|| format!("unknown group {}", sg.name))?;
                org.groups[gi].owners.push(GroupOwner {
                    id: owner_id,
                    owner_type: "GROUP".into(),
                    origin_type: "OKTA_DIRECTORY".into(),
                    last_updated: now.clone(),
                });
            }
        }
        let find_group = |org: &Org, key: &str| -> Result<String, String> {
            org.group_idx_by_id_or_name(key)
                .map(|i| org.groups[i].id.clone())
                .ok_or_else(|| format!("unknown group {key}"))
        };

        for sa in &self.apps {
            let id = sa.id.clone().unwrap_or_else(|| seeded_id("0oa", &sa.label));
            let mut app = App {
                seq: org.seq(),
                id,
                name: sa.name.clone(),
                label: sa.label.clone(),
                active: !sa
                    .status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("INACTIVE")),
                sign_on_mode: sa.sign_on_mode.clone().unwrap_or_else(|| "SAML_2_0".into()),
                user_name_allowed: sa.user_name_allowed,
                link_labels: if sa.link_labels.is_empty() {
                    (0..sa.links.unwrap_or(1))
                        .map(|n| {
                            if n == 0 {
                                sa.label.clone()
                            } else {
                                format!("{} ({})", sa.label, n + 1)
                            }
                        })
                        .collect()
                } else {
                    sa.link_labels.clone()
                },
                created: now.clone(),
                last_updated: now.clone(),
                users: Default::default(),
                groups: Vec::new(),
            };
            for (i, g) in sa.groups.iter().enumerate() {
                app.groups.push(GroupAssignment {
                    group_id: find_group(&org, g)?,
                    priority: u32::try_from(i).unwrap_or(0),
                    last_updated: now.clone(),
                });
            }
            for au in &sa.users {
                let (user, user_name, profile) = match au {
                    SeedAppUser::User(u) => (u, None, Map::new()),
                    SeedAppUser::Full {
                        user,
                        user_name,
                        profile,
                    } => (user, user_name.clone(), profile.clone()),
                };
                let uid = find_user(&org, user)?;
                app.users.insert(
                    uid,
                    DirectAssignment {
                        user_name,
                        profile,
                        created: now.clone(),
                        last_updated: now.clone(),
                    },
                );
            }
            org.apps.push(app);
        }

        for r in &self.group_rules {
            let group_ids = r
                .groups
                .iter()
                .map(|g| find_group(&org, g))
                .collect::<Result<Vec<_>, _>>()?;
            org.rules.push(GroupRule {
                id: r.id.clone().unwrap_or_else(|| seeded_id("0pr", &r.name)),
                name: r.name.clone(),
                active: !r
                    .status
                    .as_deref()
                    .is_some_and(|s| s.eq_ignore_ascii_case("INACTIVE")),
                group_ids,
                expression: r.expression.clone().unwrap_or_else(|| "true".into()),
                created: now.clone(),
                excluded: r
                    .exclude
                    .iter()
                    .map(|u| find_user(&org, u))
                    .collect::<Result<Vec<_>, _>>()?,
            });
        }

        for sd in &self.devices {
            let status = sd.status.clone().unwrap_or_else(|| "ACTIVE".into());
            if !matches!(status.as_str(), "ACTIVE" | "SUSPENDED" | "DEACTIVATED") {
                return Err(format!("device {}: unknown status {status:?}", sd.name));
            }
            let users = if status == "DEACTIVATED" {
                // Deactivation removes every device user link (SPEC DeviceStatus).
                Vec::new()
            } else {
                sd.users
                    .iter()
                    .map(|u| find_user(&org, u))
                    .collect::<Result<Vec<_>, _>>()?
            };
            org.devices.push(Device {
                id: sd.id.clone().unwrap_or_else(|| seeded_id("guo", &sd.name)),
                display_name: sd.name.clone(),
                platform: sd.platform.clone().unwrap_or_else(|| "WINDOWS".into()),
                status,
                created: now.clone(),
                users,
            });
        }
        Ok(org)
    }
}

/// Role types as the spec's `listAssignedRolesForUser` discriminator names them; a typo in a seed is an error.
const ROLE_TYPES: [&str; 14] = [
    "API_ACCESS_MANAGEMENT_ADMIN",
    "APP_ADMIN",
    "GROUP_MEMBERSHIP_ADMIN",
    "HELP_DESK_ADMIN",
    "MOBILE_ADMIN",
    "ORG_ADMIN",
    "READ_ONLY_ADMIN",
    "REPORT_ADMIN",
    "SUPER_ADMIN",
    "USER_ADMIN",
    "WORKFLOWS_ADMIN",
    "ACCESS_CERTIFICATIONS_ADMIN",
    "ACCESS_REQUESTS_ADMIN",
    "CUSTOM",
];

fn checked_roles(roles: &[String], owner: &str) -> Result<Vec<String>, String> {
    roles
        .iter()
        .map(|role| {
            ROLE_TYPES
                .iter()
                .find(|known| known.eq_ignore_ascii_case(role))
                .map(|known| (*known).to_string())
                .ok_or_else(|| format!("{owner}: unknown role type {role:?}"))
        })
        .collect()
}
