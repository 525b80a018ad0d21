//! Okta's rate-limit buckets: which of Okta's per-minute counters a request is counted in.
//!
//! The table is Okta's own, as generated from Okta's code into terraform-provider-okta
//! (`okta/internal/apimutex/rate_limit_lines.go`, one `PATH METHOD BUCKET` line per operation; read at commit
//! e59c130b, the file last changed in 936f3e74). Its rules for the paths this project sends:
//! - `GET`/`POST /api/v1/users` and **every** `/api/v1/users/{id}/<sub-resource>` (lifecycle operations,
//!   `DELETE …/sessions`, `GET …/groups`, `…/roles`, `…/blocks`, `…/grants`, `…/clients/{id}/tokens`,
//!   `…/devices`, `…/linkedObjects/…`, …) count in `/api/v1/users`;
//! - `GET /api/v1/users/{idOrLogin}` is `/api/v1/users/{id:.+}`; `POST`/`PUT`/`DELETE /api/v1/users/{id}` is
//!   `/api/v1/users/{id}`; `GET /api/v1/users/me` is `/api/v1/users/me` (its `POST`/`PUT` are `/api/v1/users`);
//! - `GET`/`PUT`/`DELETE /api/v1/groups/{id}` is `/api/v1/groups/{id}`; the rest of `/api/v1/groups` (members,
//!   owners, roles, rules) is `/api/v1/groups`; the same for apps (`/api/v1/apps/{id}` and `/api/v1/apps`,
//!   assignments and grants included);
//! - `/api/v1/iam/*` is `/api/v1/iam` (`/api/v1/iam/assignees/users` is newer than the table: filed with the rest of
//!   `/api/v1/iam`); `GET`/`DELETE /api/v1/devices/{id}/users` is its own bucket, the rest of `/api/v1/devices`
//!   another; `POST /oauth2/v1/token` its own; any other `/api/v1` path the catch-all `/api/v1`.
//!
//! The table's few per-operation buckets this project never calls (`…/factors/{id}/verify`, `…/skinny_users`) are not
//! modelled: they would be counted with their neighbours.

use reqwest::Method;

/// One of Okta's rate-limit buckets.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bucket {
    /// `/api/v1/users/{id:.+}`: `GET /api/v1/users/{idOrLogin}`.
    GetUser,
    /// `/api/v1/users`: create, list and search users, and every operation on a user's sub-resources.
    Users,
    /// `/api/v1/users/{id}`: `POST`/`PUT`/`DELETE /api/v1/users/{id}`.
    UpdateUser,
    /// `/api/v1/users/me`: `GET` only.
    Me,
    /// `/api/v1/groups/{id}`: `GET`/`PUT`/`DELETE` of one group.
    Group,
    /// `/api/v1/groups`: the rest of `/api/v1/groups` (members, owners, roles, rules).
    Groups,
    /// `/api/v1/apps/{id}`: `GET`/`PUT`/`DELETE` of one app.
    App,
    /// `/api/v1/apps`: the rest of `/api/v1/apps` (assignments, group assignments, grants).
    Apps,
    /// `/api/v1/iam`: role assignments' IAM resources.
    Iam,
    /// `/api/v1/devices/{id}/users`: `GET`/`DELETE`.
    DeviceUsers,
    /// `/api/v1/devices`: the rest of `/api/v1/devices`.
    Devices,
    /// `/oauth2/v1/token`: `POST`.
    Token,
    /// `/api/v1`: every other path ("most other API actions").
    ApiV1,
}

impl Bucket {
    pub const ALL: [Bucket; 13] = [
        Bucket::GetUser,
        Bucket::Users,
        Bucket::UpdateUser,
        Bucket::Me,
        Bucket::Group,
        Bucket::Groups,
        Bucket::App,
        Bucket::Apps,
        Bucket::Iam,
        Bucket::DeviceUsers,
        Bucket::Devices,
        Bucket::Token,
        Bucket::ApiV1,
    ];

    /// A stable name, for the rate-limit table's attributes (`rate_limit_table.rs`). Items written under a name no
    /// longer here (`other`, before the buckets followed Okta's table) are ignored.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::GetUser => "getUser",
            Bucket::Users => "users",
            Bucket::UpdateUser => "updateUser",
            Bucket::Me => "me",
            Bucket::Group => "group",
            Bucket::Groups => "groups",
            Bucket::App => "app",
            Bucket::Apps => "apps",
            Bucket::Iam => "iam",
            Bucket::DeviceUsers => "deviceUsers",
            Bucket::Devices => "devices",
            Bucket::Token => "token",
            Bucket::ApiV1 => "apiV1",
        }
    }

    /// The bucket's name in Okta's table and in the Admin Console's rate-limit dashboard.
    pub fn okta_name(self) -> &'static str {
        match self {
            Bucket::GetUser => "/api/v1/users/{id:.+}",
            Bucket::Users => "/api/v1/users",
            Bucket::UpdateUser => "/api/v1/users/{id}",
            Bucket::Me => "/api/v1/users/me",
            Bucket::Group => "/api/v1/groups/{id}",
            Bucket::Groups => "/api/v1/groups",
            Bucket::App => "/api/v1/apps/{id}",
            Bucket::Apps => "/api/v1/apps",
            Bucket::Iam => "/api/v1/iam",
            Bucket::DeviceUsers => "/api/v1/devices/{id}/users",
            Bucket::Devices => "/api/v1/devices",
            Bucket::Token => "/oauth2/v1/token",
            Bucket::ApiV1 => "/api/v1",
        }
    }

    /// The bucket of a request, from its method and (percent-encoded) path.
    pub fn of(method: &Method, path: &str) -> Bucket {
        let segments: Vec<&str> = path
            .trim_start_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let one_resource = [Method::GET, Method::PUT, Method::DELETE].contains(method);
        match segments.as_slice() {
            ["api", "v1", "users"] => Bucket::Users,
            ["api", "v1", "users", "me"] if method == Method::GET => Bucket::Me,
            ["api", "v1", "users", "me"] => Bucket::Users,
            ["api", "v1", "users", _] if method == Method::GET => Bucket::GetUser,
            ["api", "v1", "users", _] => Bucket::UpdateUser,
            ["api", "v1", "users", ..] => Bucket::Users,
            ["api", "v1", "groups", "rules"] => Bucket::Groups,
            ["api", "v1", "groups", _] if one_resource => Bucket::Group,
            ["api", "v1", "groups", ..] => Bucket::Groups,
            ["api", "v1", "apps", _] if one_resource => Bucket::App,
            ["api", "v1", "apps", ..] => Bucket::Apps,
            ["api", "v1", "iam", ..] => Bucket::Iam,
            ["api", "v1", "devices", _, "users"] => Bucket::DeviceUsers,
            ["api", "v1", "devices", ..] => Bucket::Devices,
            ["oauth2", "v1", "token"] => Bucket::Token,
            _ => Bucket::ApiV1,
        }
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::expect_used)]
    use super::*;

    /// Every request the project sends or is about to send (open issues), with the bucket Okta's table gives it:
    /// terraform-provider-okta `okta/internal/apimutex/rate_limit_lines.go` at commit
    /// e59c130b6e4b9f76aacbba437515cd5e95cc71 (the file as of 936f3e748ae8e26124c9dc3c29692e6da1625046). The right
    /// column is the table's bucket, spelled as Okta spells it.
    #[test]
    fn every_request_the_project_sends_counts_in_okta_s_bucket() {
        let cases = [
            // users.rs
            ("GET", "/api/v1/users/00u1", "/api/v1/users/{id:.+}"),
            (
                "GET",
                "/api/v1/users/jane%40acme.com",
                "/api/v1/users/{id:.+}",
            ),
            ("GET", "/api/v1/users", "/api/v1/users"),
            ("GET", "/api/v1/users/00u1/blocks", "/api/v1/users"),
            ("GET", "/api/v1/users/00u1/groups", "/api/v1/users"),
            // actions: lifecycle.rs, sessions.rs
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/activate",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/deactivate",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/suspend",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/unsuspend",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/unlock",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/expire_password",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/reset_password",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/reactivate",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/00u1/lifecycle/reset_factors",
                "/api/v1/users",
            ),
            ("DELETE", "/api/v1/users/00u1/sessions", "/api/v1/users"),
            ("POST", "/api/v1/users/00u1", "/api/v1/users/{id}"),
            ("DELETE", "/api/v1/users/00u1", "/api/v1/users/{id}"),
            // roles.rs and the guardrails
            ("GET", "/api/v1/users/me", "/api/v1/users/me"),
            ("GET", "/api/v1/users/00u1/roles", "/api/v1/users"),
            ("GET", "/api/v1/groups/00g1/roles", "/api/v1/groups"),
            ("GET", "/api/v1/iam/assignees/users", "/api/v1/iam"),
            // groups.rs, rules.rs
            ("GET", "/api/v1/groups/00g1", "/api/v1/groups/{id}"),
            ("GET", "/api/v1/groups", "/api/v1/groups"),
            ("PUT", "/api/v1/groups/00g1/users/00u1", "/api/v1/groups"),
            ("DELETE", "/api/v1/groups/00g1/users/00u1", "/api/v1/groups"),
            ("GET", "/api/v1/groups/rules", "/api/v1/groups"),
            // apps.rs
            ("GET", "/api/v1/apps/0oa1", "/api/v1/apps/{id}"),
            ("GET", "/api/v1/apps", "/api/v1/apps"),
            ("GET", "/api/v1/apps/0oa1/users/00u1", "/api/v1/apps"),
            ("POST", "/api/v1/apps/0oa1/users", "/api/v1/apps"),
            ("DELETE", "/api/v1/apps/0oa1/users/00u1", "/api/v1/apps"),
            ("GET", "/api/v1/apps/0oa1/groups", "/api/v1/apps"),
            // oauth.rs: not paced, but counted
            ("POST", "/oauth2/v1/token", "/oauth2/v1/token"),
            // paths of open issues
            ("GET", "/api/v1/users/00u1/grants", "/api/v1/users"),
            ("DELETE", "/api/v1/users/00u1/grants", "/api/v1/users"),
            ("GET", "/api/v1/users/00u1/clients", "/api/v1/users"),
            (
                "GET",
                "/api/v1/users/00u1/clients/0oa1/tokens",
                "/api/v1/users",
            ),
            (
                "DELETE",
                "/api/v1/users/00u1/clients/0oa1/tokens",
                "/api/v1/users",
            ),
            ("GET", "/api/v1/users/00u1/devices", "/api/v1/users"),
            ("DELETE", "/api/v1/users/00u1/devices", "/api/v1/users"),
            (
                "GET",
                "/api/v1/devices/guo1/users",
                "/api/v1/devices/{id}/users",
            ),
            ("GET", "/api/v1/devices/guo1", "/api/v1/devices"),
            ("GET", "/api/v1/groups/00g1/owners", "/api/v1/groups"),
            (
                "GET",
                "/api/v1/users/00u1/linkedObjects/manager",
                "/api/v1/users",
            ),
            ("GET", "/api/v1/apps/0oa1/grants", "/api/v1/apps"),
            ("GET", "/api/v1/users/00u1/appLinks", "/api/v1/users"),
            ("GET", "/api/v1/users/00u1/factors", "/api/v1/users"),
            // the catch-all
            ("GET", "/api/v1/idps", "/api/v1"),
        ];
        for (method, path, okta_bucket) in cases {
            let method = Method::from_bytes(method.as_bytes()).expect("a method");
            assert_eq!(
                Bucket::of(&method, path).okta_name(),
                okta_bucket,
                "{method} {path}"
            );
        }
    }

    #[test]
    fn names_are_unique() {
        for (i, a) in Bucket::ALL.iter().enumerate() {
            for b in &Bucket::ALL[i + 1..] {
                assert_ne!(a.name(), b.name());
                assert_ne!(a.okta_name(), b.okta_name());
            }
        }
    }
}
