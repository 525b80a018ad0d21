//! `okta-sim`: a stateful in-memory Okta org served over HTTP on loopback, for tests, flow tests
//! and the local demo. It follows Okta's documented behaviour (the Management API spec and the
//! project's Okta notes): statuses and transitions, error codes and bodies, pagination, rate-limit
//! headers. See README.md for the choices made where Okta's behaviour is not documented.

mod control;
mod errors;
mod faults;
mod model;
mod oauth;
mod okta_limits;
mod paging;
mod routes;
mod search;
mod seed;
mod server;
mod transitions;
mod util;

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};

pub use faults::{Fault, FaultKind, Match, RecordedRequest};
pub use model::Email;
pub use oauth::{DEFAULT_TOKEN_LIFETIME_SECS, TOKEN_PATH};
pub use okta_limits::{Family, LimitsConfig};
pub use routes::{DEFAULT_TOKEN_OWNER_LOGIN, ROUTES, Route};
pub use seed::{
    Seed, SeedApp, SeedAppUser, SeedDevice, SeedGroup, SeedGroupRule, SeedOAuthClient,
    SeedServiceApp, SeedUser,
};

use model::UserStatus;
use server::Shared;

/// A user as tests see it.
#[derive(Debug, Clone, PartialEq)]
pub struct UserSnapshot {
    pub id: String,
    pub login: String,
    pub email: String,
    pub status: String,
    pub has_password: bool,
    pub sessions: u32,
    pub oauth_tokens: u32,
    pub remembered_devices: bool,
    pub profile: serde_json::Value,
}

/// A user's effective assignment to an app.
#[derive(Debug, Clone, PartialEq)]
pub struct AppAssignmentSnapshot {
    pub user_id: String,
    /// `USER` (direct) or `GROUP` (through a group assigned to the app).
    pub scope: String,
    /// `credentials.userName`; `None` for apps whose scheme has no username.
    pub user_name: Option<String>,
    pub profile: serde_json::Value,
}

/// A running simulator. Dropping it shuts the server down (and closes open connections).
#[derive(Debug)]
pub struct Simulator {
    shared: Arc<Shared>,
    addr: SocketAddr,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Simulator {
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Simulator {
    /// Starts on `127.0.0.1:0` (a free port). Must be called inside a Tokio runtime.
    pub async fn start(seed: Seed, token: &str) -> std::io::Result<Simulator> {
        Self::start_on(SocketAddr::from(([127, 0, 0, 1], 0)), seed, token).await
    }

    /// Starts on `addr`, which must be a loopback address: the simulator has no real security.
    pub async fn start_on(addr: SocketAddr, seed: Seed, token: &str) -> std::io::Result<Simulator> {
        if !addr.ip().is_loopback() {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidInput,
                format!("okta-sim only listens on loopback addresses, not {addr}"),
            ));
        }
        let auth = oauth::AuthServer::new(&seed.service_apps);
        let org = seed
            .build()
            .map_err(|e| std::io::Error::new(std::io::ErrorKind::InvalidData, e))?;
        let listener = tokio::net::TcpListener::bind(addr).await?;
        let addr = listener.local_addr()?;
        let shared = Arc::new(Shared {
            org: Mutex::new(org),
            ctl: Mutex::new(faults::Controls::default()),
            auth: Mutex::new(auth),
            token: token.to_string(),
            base: format!("http://{addr}"),
        });
        let app = routes::router(shared.clone());
        let task = tokio::spawn(server::serve(listener, app));
        Ok(Simulator { shared, addr, task })
    }

    /// `http://127.0.0.1:PORT`, no trailing slash.
    pub fn url(&self) -> String {
        self.shared.base.clone()
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    pub fn user(&self, id_or_login: &str) -> Option<UserSnapshot> {
        let org = self.shared.org();
        let u = &org.users[org.resolve_user(id_or_login)?];
        Some(UserSnapshot {
            id: u.id.clone(),
            login: u.login().to_string(),
            email: u.email().to_string(),
            status: u.status.as_str().to_string(),
            has_password: u.has_password,
            sessions: u.sessions,
            oauth_tokens: u.oauth_tokens,
            remembered_devices: u.remembered_devices,
            profile: serde_json::Value::Object(u.profile.clone()),
        })
    }

    /// The user's OAuth clients as (name, grants, refresh tokens), listed or not.
    pub fn user_oauth_clients(&self, id_or_login: &str) -> Vec<(String, u32, u32)> {
        let org = self.shared.org();
        org.resolve_user(id_or_login)
            .map(|i| {
                org.users[i]
                    .oauth_clients
                    .iter()
                    .map(|c| (c.name.clone(), c.grants, c.tokens))
                    .collect()
            })
            .unwrap_or_default()
    }

    /// The factor types the user has enrolled.
    pub fn user_factor_types(&self, id_or_login: &str) -> Vec<String> {
        let org = self.shared.org();
        org.resolve_user(id_or_login)
            .map(|i| {
                org.users[i]
                    .factors
                    .iter()
                    .map(|f| f.factor_type.clone())
                    .collect()
            })
            .unwrap_or_default()
    }

    /// A device's status and the user ids it is linked to, by id or display name.
    pub fn device(&self, id_or_name: &str) -> Option<(String, Vec<String>)> {
        let org = self.shared.org();
        org.devices
            .iter()
            .find(|d| d.id == id_or_name || d.display_name == id_or_name)
            .map(|d| (d.status.clone(), d.users.clone()))
    }

    /// The ids of a group's owners (users and groups), by group id or name.
    pub fn group_owner_ids(&self, group_id_or_name: &str) -> Vec<String> {
        let org = self.shared.org();
        org.group_idx_by_id_or_name(group_id_or_name)
            .map(|gi| org.groups[gi].owners.iter().map(|o| o.id.clone()).collect())
            .unwrap_or_default()
    }

    /// Member user ids of a group given by id or name (first group with that name).
    pub fn group_member_ids(&self, group_id_or_name: &str) -> Vec<String> {
        let org = self.shared.org();
        let Some(gi) = org.group_idx_by_id_or_name(group_id_or_name) else {
            return Vec::new();
        };
        org.member_indices(&org.groups[gi])
            .into_iter()
            .map(|i| org.users[i].id.clone())
            .collect()
    }

    /// Names of the groups a user is in (including `Everyone`).
    pub fn user_group_names(&self, user_id_or_login: &str) -> Vec<String> {
        let org = self.shared.org();
        let Some(ui) = org.resolve_user(user_id_or_login) else {
            return Vec::new();
        };
        let uid = org.users[ui].id.clone();
        org.user_group_indices(&uid)
            .into_iter()
            .map(|i| org.groups[i].name.clone())
            .collect()
    }

    pub fn app_assignment(
        &self,
        app_id_or_label: &str,
        user_id_or_login: &str,
    ) -> Option<AppAssignmentSnapshot> {
        let org = self.shared.org();
        let app = &org.apps[org.app_idx_by_id_or_label(app_id_or_label)?];
        let uid = org.users[org.resolve_user(user_id_or_login)?].id.clone();
        let v = org.app_user(app, &uid)?;
        Some(AppAssignmentSnapshot {
            user_id: v.user_id,
            scope: v.scope.to_string(),
            user_name: v.user_name,
            profile: serde_json::Value::Object(v.profile),
        })
    }

    /// Starts an asynchronous change of the user's status to `to`, shown for `reads` reads of the user (see
    /// README "Transitions"). Unknown users or statuses are ignored.
    pub fn begin_transition(&self, id_or_login: &str, to: &str, reads: u32) {
        let mut org = self.shared.org();
        if let (Some(i), Some(to)) = (org.resolve_user(id_or_login), UserStatus::parse(to)) {
            org.users[i].transition = Some(model::Transition {
                to,
                reads_left: reads,
            });
        }
    }

    /// The user ids on the exception list of the group rule named `name`.
    pub fn rule_exclusions(&self, name: &str) -> Vec<String> {
        let org = self.shared.org();
        org.rules
            .iter()
            .find(|r| r.name == name)
            .map(|r| r.excluded.clone())
            .unwrap_or_default()
    }

    pub fn group_id(&self, name: &str) -> Option<String> {
        let org = self.shared.org();
        org.groups
            .iter()
            .find(|g| g.name == name)
            .map(|g| g.id.clone())
    }

    pub fn app_id(&self, label: &str) -> Option<String> {
        let org = self.shared.org();
        org.app_idx_by_id_or_label(label)
            .map(|i| org.apps[i].id.clone())
    }

    /// Forces a user's status (test set-up, e.g. `LOCKED_OUT`). Unknown users or statuses are
    /// ignored; use [`Simulator::try_set_user_status`] to know.
    pub fn set_user_status(&self, id_or_login: &str, status: &str) {
        let _ = self.try_set_user_status(id_or_login, status);
    }

    pub fn try_set_user_status(&self, id_or_login: &str, status: &str) -> Result<(), String> {
        control::set_status(&self.shared, id_or_login, status)
    }

    pub fn inject(&self, fault: Fault) {
        self.shared.ctl().faults.push(fault);
    }

    /// Lifetime of the access tokens issued from now on (Okta's is one hour).
    pub fn set_token_lifetime(&self, secs: u64) {
        self.shared.auth().token_lifetime_secs = secs;
    }

    /// Ends every access token issued so far, as a revocation would.
    pub fn expire_tokens(&self) {
        self.shared.auth().expire_tokens();
    }

    /// A new DPoP nonce: the next token request gets the `use_dpop_nonce` challenge.
    pub fn rotate_dpop_nonce(&self) {
        self.shared.auth().rotate_nonce();
    }

    /// Access tokens issued so far.
    pub fn tokens_issued(&self) -> usize {
        self.shared.auth().issued
    }

    /// Removes every pending fault.
    pub fn clear_faults(&self) {
        self.shared.ctl().faults.clear();
    }

    /// Global bucket: at most `per_minute` requests per minute (`None`: unlimited).
    pub fn set_rate_limit(&self, per_minute: Option<u32>) {
        self.shared.ctl().set_global_limit(per_minute);
    }

    /// A bucket of its own for one route template.
    /// Enforces Okta's published limits (`None`: off, the default). Starts a new clock and new counters.
    pub fn set_okta_limits(&self, config: Option<LimitsConfig>) {
        self.shared.ctl().okta_limits = config.map(okta_limits::OktaLimits::new);
    }

    /// Peak concurrent requests, 429 counts and admitted requests per family since the limits were switched on.
    pub fn okta_limits_report(&self) -> Option<serde_json::Value> {
        self.shared.ctl().okta_limits.as_ref().map(|l| l.report())
    }

    pub fn set_route_rate_limit(&self, route: &str, per_minute: Option<u32>) {
        self.shared.ctl().set_route_limit(route, per_minute);
    }

    /// Requests received for (method, route template), whatever their outcome.
    pub fn calls(&self, method: &str, route: &str) -> usize {
        let ctl = self.shared.ctl();
        ctl.calls
            .iter()
            .filter(|((m, r), _)| m.eq_ignore_ascii_case(method) && r == route)
            .map(|(_, n)| *n)
            .sum()
    }

    pub fn total_calls(&self) -> usize {
        self.shared.ctl().total
    }

    /// POST/PUT/DELETE requests that passed faults, auth and rate limits and reached a handler.
    pub fn mutating_calls(&self) -> usize {
        self.shared.ctl().mutating
    }

    pub fn emails(&self) -> Vec<Email> {
        self.shared.org().emails.clone()
    }

    pub fn requests(&self) -> Vec<RecordedRequest> {
        self.shared.ctl().requests.clone()
    }

    /// Clears call counters, the request log and the sent emails.
    pub fn reset_counters(&self) {
        self.shared.ctl().reset_counters();
        self.shared.org().emails.clear();
    }

    /// The whole org as `GET /__sim/state` shows it.
    pub fn state(&self) -> serde_json::Value {
        self.shared.org().state_json()
    }
}

/// Status names Okta uses, for callers that want to validate input.
pub fn user_statuses() -> Vec<&'static str> {
    UserStatus::ALL.iter().map(|s| s.as_str()).collect()
}
