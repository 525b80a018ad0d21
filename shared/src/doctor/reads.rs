//! The reads the actions and the guardrails depend on. Each is sent once, in a session whose service-app token
//! carries only the scope that read needs, so that a refusal points at one scope or one permission.

use std::time::Instant;

use reqwest::Method;
use serde_json::Value;

use super::headroom::Headroom;
use crate::error::{Error, ErrorKind, Result};
use crate::okta::oauth::Scopes;
use crate::okta::roles::{READ_ROLES_PERMISSION, READ_ROLES_PERMISSION_LABEL};
use crate::okta::{OktaClient, Session, segment};

/// One kind of read, with the scope a service app's token needs for it and the custom-role permission the admin
/// role needs (okta/okta-developer-docs `docs/concepts/role-assignment/index.md`, "Permission types").
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Read {
    Users,
    Groups,
    Apps,
    /// A user's admin role assignments: the guardrails' check before every change.
    RoleAssignments,
    /// Group rules: which memberships a rule manages (`get-user`, `remove-user-from-group`).
    GroupRules,
}

impl Read {
    pub const ALL: [Read; 5] = [
        Read::Users,
        Read::Groups,
        Read::Apps,
        Read::RoleAssignments,
        Read::GroupRules,
    ];

    pub fn item(self) -> &'static str {
        match self {
            Read::Users => "read users",
            Read::Groups => "read groups",
            Read::Apps => "read apps",
            Read::RoleAssignments => "read admin role assignments",
            Read::GroupRules => "read group rules",
        }
    }

    /// The scope of the spec's `security` for the endpoint read.
    pub fn scopes(self) -> Scopes {
        match self {
            Read::Users => &["okta.users.read"],
            Read::Groups | Read::GroupRules => &["okta.groups.read"],
            Read::Apps => &["okta.apps.read"],
            Read::RoleAssignments => &["okta.roles.read"],
        }
    }

    /// The custom-role permission behind the read. For group rules Okta's list names none: `okta.groups.read` is
    /// the nearest, unverified (README, Deploying, step 1).
    fn permission(self) -> String {
        match self {
            Read::Users => "okta.users.read".to_owned(),
            Read::Groups => "okta.groups.read".to_owned(),
            Read::GroupRules => {
                "okta.groups.read (the nearest: Okta's permission list names none for group \
                 rules, unverified)"
                    .to_owned()
            }
            Read::Apps => "okta.apps.read".to_owned(),
            Read::RoleAssignments => {
                format!("{READ_ROLES_PERMISSION} (custom role: \"{READ_ROLES_PERMISSION_LABEL}\")")
            }
        }
    }

    /// The request: a one-item page of a list, or one user's roles.
    fn path(self, user_id: &str) -> (String, &'static [(&'static str, &'static str)]) {
        match self {
            Read::Users => ("/api/v1/users".to_owned(), &[("limit", "1")]),
            Read::Groups => ("/api/v1/groups".to_owned(), &[("limit", "1")]),
            Read::Apps => ("/api/v1/apps".to_owned(), &[("limit", "1")]),
            Read::RoleAssignments => (format!("/api/v1/users/{}/roles", segment(user_id)), &[]),
            Read::GroupRules => ("/api/v1/groups/rules".to_owned(), &[("limit", "1")]),
        }
    }

    /// What to grant when Okta refused the read.
    pub fn advice(self, error: &Error) -> String {
        match (error.kind, error.okta_code()) {
            (ErrorKind::OktaForbidden, Some("E0000006")) => {
                let consequence = if self == Read::RoleAssignments {
                    "; without it every change is refused (Okta.Forbidden), since the guardrails cannot tell an \
                     admin from anyone else"
                } else {
                    ""
                };
                format!(
                    "Okta refused (403 E0000006): the admin role behind this token lacks {} or is not a super \
                     admin; add it to the custom admin role{consequence}",
                    self.permission()
                )
            }
            // A 403 without Okta's body is a missing scope (named by WWW-Authenticate), and a token request refused
            // for a scope is Forbidden too: the client's message names the scope.
            (ErrorKind::OktaForbidden, _) => format!(
                "{error}; grant the scope {} to the service app (Okta API Scopes tab)",
                self.scopes().join(" ")
            ),
            _ => error.to_string(),
        }
    }
}

/// Sends the doctor's reads and keeps what their answers said of the rate limits.
#[derive(Debug)]
pub struct Reader<'c> {
    client: &'c OktaClient,
    /// When the whole check must be done (the Lambda deadline, or the command's budget).
    deadline: Instant,
    pub headroom: Headroom,
}

impl<'c> Reader<'c> {
    pub fn new(client: &'c OktaClient, deadline: Instant) -> Self {
        Reader {
            client,
            deadline,
            headroom: Headroom::default(),
        }
    }

    /// A session whose token carries `scopes` only, for the library's own lookups.
    pub fn session(&self, scopes: Scopes) -> Session<'c> {
        self.client.session(self.deadline, scopes)
    }

    /// GET `path` with a token for `scopes`; the answer's rate-limit headers are kept.
    pub async fn get(
        &mut self,
        scopes: Scopes,
        path: &str,
        query: &[(&str, &str)],
    ) -> Result<Value> {
        let response = self.session(scopes).get_response(path, query).await?;
        self.headroom.hear(&Method::GET, path, &response.headers);
        Ok(response.body)
    }

    /// One of the reads; `user_id` names the user whose roles are read.
    pub async fn read(&mut self, read: Read, user_id: &str) -> Result<Value> {
        let (path, query) = read.path(user_id);
        self.get(read.scopes(), &path, query).await
    }
}
