//! Okta's rate limits, enforced: Okta's own buckets per minute, each client's share of them, and a cap on concurrent
//! requests. Off unless switched on (`--okta-limits` or `PUT /__sim/limits`), so that functional tests are not slowed
//! by it.
//!
//! - Buckets: Okta's path→bucket table (terraform-provider-okta `okta/internal/apimutex/rate_limit_lines.go`,
//!   generated from Okta's code; read at commit e59c130b, the file as of 936f3e74), with the published limits per
//!   minute (okta-api-notes.md 5.2: developer.okta.com "Management rate limits", Workforce Identity column, as of
//!   okta-developer-docs 6de7f89^, the page's last version).
//! - The per-client share: "By default, each API token or OAuth 2.0 app can use up to 50% of a bucket's total rate
//!   limit" (developer.okta.com `rl2-token-oauth`). A client here is the API token, or the service app an access
//!   token was issued to. What Okta answers, from its recorded traffic (okta-sdk-python cassettes at f6850979):
//!   `X-Rate-Limit-Limit` is the client's ceiling, not the org's bucket (`test_sessions_it/*.yaml`: 300 for
//!   `POST /api/v1/users` and `…/lifecycle/deactivate`, one counter between them, in an org whose bucket is 600;
//!   `DELETE /api/v1/users/{id}` counted apart), and past it `429` with `E0000047` "API call exceeded rate limit due
//!   to too many requests.", `X-Rate-Limit-Limit` still the ceiling, `X-Rate-Limit-Remaining: 0` and the window's
//!   reset (`test_application_features_it/*comprehensive_coverage_push.yaml`: 50 of the apps' 100). Okta does not
//!   say whether `Remaining` counts the org's other clients once the org's bucket is the tighter one; here it is the
//!   lesser of the two (what this client may still send).
//! - Concurrency: the `rl2-concurrency` page, 75 concurrent requests per org.
//!
//! Options: a time scale (Okta's minute lasts `60 / timeScale` of our seconds; `Date` and `X-Rate-Limit-Reset` are
//! then given on the simulator's fast clock, which clients told the same scale read back), and a background load (an
//! "other integration" consuming a fraction of every bucket, spread evenly over each window). It counts 429s and the
//! peak number of requests in flight.

use std::collections::HashMap;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

use serde::{Deserialize, Serialize};

/// How the limits are enforced.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct LimitsConfig {
    /// How much faster than real time the simulator's clock runs (1: Okta's real minute).
    #[serde(default = "one")]
    pub time_scale: f64,
    /// Requests in flight at once before Okta answers 429 (`rl2-concurrency`: 75 for Workforce orgs).
    #[serde(default = "default_concurrency")]
    pub concurrency_limit: u32,
    /// Fraction of every bucket another integration uses, from 0 to 1, spread evenly over each window.
    #[serde(default)]
    pub background_load: f64,
    /// Real milliseconds each admitted request spends in flight (Okta takes time to answer; without it nothing
    /// would ever be concurrent here).
    #[serde(default)]
    pub latency_ms: u64,
    /// Per-family limits per minute replacing the published ones, by family name (see [`Family::name`]).
    #[serde(default)]
    pub overrides: HashMap<String, u32>,
    /// Percent of each bucket one client (API token or service app) may use: Okta's default, 50, unless an admin
    /// changed the token's or app's share. The background integration is not held to it.
    #[serde(default = "default_client_share")]
    pub client_share_percent: u32,
}

fn default_client_share() -> u32 {
    50
}

impl LimitsConfig {
    /// The override keys that name no bucket: a typo or an old family name would otherwise leave the published
    /// limit in force without a word.
    pub fn unknown_overrides(&self) -> Vec<String> {
        let mut unknown: Vec<String> = self
            .overrides
            .keys()
            .filter(|key| {
                !Family::ALL
                    .iter()
                    .any(|family| family.name() == key.as_str())
            })
            .cloned()
            .collect();
        unknown.sort();
        unknown
    }
}

fn one() -> f64 {
    1.0
}

fn default_concurrency() -> u32 {
    75
}

impl Default for LimitsConfig {
    fn default() -> Self {
        LimitsConfig {
            time_scale: 1.0,
            concurrency_limit: default_concurrency(),
            background_load: 0.0,
            latency_ms: 0,
            overrides: HashMap::new(),
            client_share_percent: default_client_share(),
        }
    }
}

/// Okta's rate-limit buckets, by the names Okta's table gives them, with their published Workforce Identity limits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    GetUser,
    Users,
    UpdateUser,
    Me,
    Group,
    Groups,
    App,
    Apps,
    Iam,
    DeviceUsers,
    Devices,
    Token,
    ApiV1,
}

impl Family {
    pub const ALL: [Family; 13] = [
        Family::GetUser,
        Family::Users,
        Family::UpdateUser,
        Family::Me,
        Family::Group,
        Family::Groups,
        Family::App,
        Family::Apps,
        Family::Iam,
        Family::DeviceUsers,
        Family::Devices,
        Family::Token,
        Family::ApiV1,
    ];

    /// The bucket's name in Okta's table (and the Admin Console's rate-limit dashboard).
    pub fn name(self) -> &'static str {
        match self {
            Family::GetUser => "/api/v1/users/{id:.+}",
            Family::Users => "/api/v1/users",
            Family::UpdateUser => "/api/v1/users/{id}",
            Family::Me => "/api/v1/users/me",
            Family::Group => "/api/v1/groups/{id}",
            Family::Groups => "/api/v1/groups",
            Family::App => "/api/v1/apps/{id}",
            Family::Apps => "/api/v1/apps",
            Family::Iam => "/api/v1/iam",
            Family::DeviceUsers => "/api/v1/devices/{id}/users",
            Family::Devices => "/api/v1/devices",
            Family::Token => "/oauth2/v1/token",
            Family::ApiV1 => "/api/v1",
        }
    }

    /// Limit per minute, Workforce Identity orgs: the management and end-user limits pages (okta-api-notes.md 5.2)
    /// where they name the bucket. Not published, and taken from recorded traffic (okta-sdk-python cassettes at
    /// f6850979), which reports a token's ceiling: `/api/v1/iam` 100 (`test_role_api_it`,
    /// `test_resource_set_api_it`, taken as the bucket), `/api/v1/devices/{id}/users` 600 (`test_device_it`: 300
    /// for a 50 % token). `/api/v1/users/me` has no figure anywhere: the `/api/v1` catch-all's 1,200.
    pub fn published_limit(self) -> u32 {
        match self {
            Family::GetUser | Family::Token => 2_000,
            Family::Users | Family::UpdateUser | Family::DeviceUsers => 600,
            Family::Group => 1_000,
            Family::Groups | Family::App => 500,
            Family::Apps | Family::Iam | Family::Devices => 100,
            Family::Me | Family::ApiV1 => 1_200,
        }
    }

    /// The bucket of a request, from its method and path (a route template or the path itself: only the fixed
    /// segments and the number of segments matter). Okta's table: every `/api/v1/users/{id}/<sub-resource>`
    /// (lifecycle operations, sessions, a user's groups or roles) is `/api/v1/users`; one group's or app's
    /// `GET`/`PUT`/`DELETE` its `{id}` bucket, the rest of `/groups` and `/apps` (members, assignments) theirs.
    pub fn of(method: &str, route: &str) -> Family {
        let segments: Vec<&str> = route
            .trim_start_matches('/')
            .split('/')
            .filter(|segment| !segment.is_empty())
            .collect();
        let get = method.eq_ignore_ascii_case("GET");
        let one_resource =
            get || method.eq_ignore_ascii_case("PUT") || method.eq_ignore_ascii_case("DELETE");
        match segments.as_slice() {
            ["api", "v1", "users"] => Family::Users,
            ["api", "v1", "users", "me"] if get => Family::Me,
            ["api", "v1", "users", "me"] => Family::Users,
            ["api", "v1", "users", _] if get => Family::GetUser,
            ["api", "v1", "users", _] => Family::UpdateUser,
            ["api", "v1", "users", ..] => Family::Users,
            ["api", "v1", "groups", "rules"] => Family::Groups,
            ["api", "v1", "groups", _] if one_resource => Family::Group,
            ["api", "v1", "groups", ..] => Family::Groups,
            ["api", "v1", "apps", _] if one_resource => Family::App,
            ["api", "v1", "apps", ..] => Family::Apps,
            ["api", "v1", "iam", ..] => Family::Iam,
            ["api", "v1", "devices", _, "users"] => Family::DeviceUsers,
            ["api", "v1", "devices", ..] => Family::Devices,
            ["oauth2", "v1", "token"] => Family::Token,
            _ => Family::ApiV1,
        }
    }
}

/// The answer for one request.
#[derive(Debug, Clone, Copy)]
pub struct Admission {
    pub limit: u32,
    pub remaining: u32,
    /// Epoch seconds on the simulator's clock.
    pub reset: u64,
    pub limited: bool,
}

/// Enforced limits and what was seen.
#[derive(Debug)]
pub struct OktaLimits {
    pub config: LimitsConfig,
    started: Instant,
    started_epoch: f64,
    windows: HashMap<Family, Window>,
    in_flight: u32,
    pub peak_in_flight: u32,
    pub rate_limited: u64,
    /// Of those, the 429s for a client past its share while the org's bucket still had room.
    pub share_limited: u64,
    pub concurrency_limited: u64,
    pub admitted: HashMap<Family, u64>,
    /// 429s (bucket or share, not concurrency) per bucket.
    pub refused: HashMap<Family, u64>,
    /// Requests of the background integration refused because the bucket was spent: what "starving the org's other
    /// integrations" means here.
    pub background_refused: u64,
}

#[derive(Debug, Clone)]
struct Window {
    /// Start on the simulator's clock.
    start: f64,
    /// Our requests admitted in it (every client's).
    ours: u32,
    /// The same, per client.
    by_client: HashMap<String, u32>,
    /// Background requests due so far (admitted or refused) and admitted.
    background_due: u32,
    background_admitted: u32,
}

impl Window {
    fn starting(start: f64) -> Window {
        Window {
            start,
            ours: 0,
            by_client: HashMap::new(),
            background_due: 0,
            background_admitted: 0,
        }
    }

    /// The other integration's requests due by `at` (it sends at a steady pace): each gets in only while the bucket
    /// has room. Returns how many were refused.
    fn background_until(&mut self, at: f64, limit: u32, background: f64) -> u64 {
        let due = (f64::from(limit) * background * (at - self.start) / 60.0).floor() as u32;
        let mut refused = 0;
        while self.background_due < due {
            self.background_due += 1;
            if self.ours + self.background_admitted < limit {
                self.background_admitted += 1;
            } else {
                refused += 1;
            }
        }
        refused
    }
}

impl OktaLimits {
    pub fn new(config: LimitsConfig) -> OktaLimits {
        OktaLimits {
            config,
            started: Instant::now(),
            started_epoch: SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .map(|d| d.as_secs_f64())
                .unwrap_or(0.0),
            windows: HashMap::new(),
            in_flight: 0,
            peak_in_flight: 0,
            rate_limited: 0,
            share_limited: 0,
            concurrency_limited: 0,
            admitted: HashMap::new(),
            refused: HashMap::new(),
            background_refused: 0,
        }
    }

    /// Now on the simulator's clock, epoch seconds.
    pub fn now(&self) -> f64 {
        self.started_epoch + self.started.elapsed().as_secs_f64() * self.config.time_scale.max(1.0)
    }

    /// Now on the simulator's clock, for the `Date` header.
    pub fn system_now(&self) -> SystemTime {
        UNIX_EPOCH + std::time::Duration::from_secs_f64(self.now())
    }

    fn limit(&self, family: Family) -> u32 {
        self.config
            .overrides
            .get(family.name())
            .copied()
            .unwrap_or_else(|| family.published_limit())
    }

    /// A client's ceiling in a bucket of `limit`: its share, at least one request.
    fn ceiling(&self, limit: u32) -> u32 {
        let share = self.config.client_share_percent.clamp(1, 100);
        (u64::from(limit) * u64::from(share) / 100).max(1) as u32
    }

    /// A request for `path` (as sent, or a route template) of `client` (an API token or a service app) arrives: counts it in flight, then against
    /// the concurrency cap, its bucket and the client's share of it. Every call must be paired with
    /// [`OktaLimits::finish`].
    pub fn admit(&mut self, method: &str, path: &str, client: &str) -> Admission {
        self.in_flight += 1;
        self.peak_in_flight = self.peak_in_flight.max(self.in_flight);
        let now = self.now();
        if self.in_flight > self.config.concurrency_limit {
            // rl2-monitor: a concurrency 429 reports limit 0, remaining 0 and an estimated reset.
            self.concurrency_limited += 1;
            return Admission {
                limit: 0,
                remaining: 0,
                reset: now as u64 + 1,
                limited: true,
            };
        }
        let family = Family::of(method, path);
        let limit = self.limit(family);
        let ceiling = self.ceiling(limit);
        let background = self.config.background_load.clamp(0.0, 1.0);
        let window = self
            .windows
            .entry(family)
            .or_insert_with(|| Window::starting(now));
        if now >= window.start + 60.0 {
            // The other integration kept sending until the window's end, whether or not we called meanwhile.
            self.background_refused +=
                window.background_until(window.start + 60.0, limit, background);
            // Beside a steady other integration, windows follow each other minute by minute; alone, our next
            // request opens one.
            let start = if background > 0.0 {
                window.start + 60.0 * ((now - window.start) / 60.0).floor()
            } else {
                now
            };
            *window = Window::starting(start);
        }
        self.background_refused += window.background_until(now, limit, background);
        let org_left = limit.saturating_sub(window.ours + window.background_admitted);
        let mine = window.by_client.get(client).copied().unwrap_or(0);
        let my_left = ceiling.saturating_sub(mine);
        let reset = (window.start + 60.0).ceil() as u64;
        if org_left == 0 || my_left == 0 {
            self.rate_limited += 1;
            *self.refused.entry(family).or_insert(0) += 1;
            if org_left > 0 {
                self.share_limited += 1;
            }
            return Admission {
                limit: ceiling,
                remaining: 0,
                reset,
                limited: true,
            };
        }
        window.ours += 1;
        *window.by_client.entry(client.to_owned()).or_insert(0) += 1;
        *self.admitted.entry(family).or_insert(0) += 1;
        Admission {
            limit: ceiling,
            remaining: org_left.min(my_left) - 1,
            reset,
            limited: false,
        }
    }

    pub fn finish(&mut self) {
        self.in_flight = self.in_flight.saturating_sub(1);
    }

    /// What was seen, for `GET /__sim/limits` and benchmarks.
    pub fn report(&self) -> serde_json::Value {
        let families: Vec<_> = Family::ALL
            .iter()
            .map(|family| {
                serde_json::json!({
                    "family": family.name(),
                    "limitPerMinute": self.limit(*family),
                    "clientLimitPerMinute": self.ceiling(self.limit(*family)),
                    "admitted": self.admitted.get(family).copied().unwrap_or(0),
                    "rateLimited": self.refused.get(family).copied().unwrap_or(0),
                })
            })
            .collect();
        serde_json::json!({
            "config": self.config,
            "peakConcurrentRequests": self.peak_in_flight,
            "rateLimited": self.rate_limited,
            "shareLimited": self.share_limited,
            "concurrencyLimited": self.concurrency_limited,
            "backgroundRefused": self.background_refused,
            "families": families,
        })
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    /// Okta's table (terraform-provider-okta `okta/internal/apimutex/rate_limit_lines.go` at e59c130b): the
    /// project's requests, path by path, with the bucket the table names.
    #[test]
    fn requests_fall_in_okta_s_buckets() {
        for (method, route, bucket) in [
            ("GET", "/api/v1/users/{id}", "/api/v1/users/{id:.+}"),
            ("GET", "/api/v1/users", "/api/v1/users"),
            (
                "POST",
                "/api/v1/users/{id}/lifecycle/suspend",
                "/api/v1/users",
            ),
            (
                "POST",
                "/api/v1/users/{id}/lifecycle/reset_factors",
                "/api/v1/users",
            ),
            ("DELETE", "/api/v1/users/{userId}/sessions", "/api/v1/users"),
            ("GET", "/api/v1/users/{id}/groups", "/api/v1/users"),
            ("GET", "/api/v1/users/{id}/roles", "/api/v1/users"),
            ("GET", "/api/v1/users/{id}/blocks", "/api/v1/users"),
            ("GET", "/api/v1/users/{id}/grants", "/api/v1/users"),
            (
                "GET",
                "/api/v1/users/{id}/clients/{clientId}/tokens",
                "/api/v1/users",
            ),
            ("GET", "/api/v1/users/{id}/devices", "/api/v1/users"),
            (
                "GET",
                "/api/v1/users/{id}/linkedObjects/manager",
                "/api/v1/users",
            ),
            ("POST", "/api/v1/users/{id}", "/api/v1/users/{id}"),
            ("GET", "/api/v1/users/me", "/api/v1/users/me"),
            ("GET", "/api/v1/iam/assignees/users", "/api/v1/iam"),
            ("GET", "/api/v1/groups/rules", "/api/v1/groups"),
            ("GET", "/api/v1/groups/{groupId}", "/api/v1/groups/{id}"),
            ("GET", "/api/v1/groups/{groupId}/owners", "/api/v1/groups"),
            ("GET", "/api/v1/groups/{groupId}/roles", "/api/v1/groups"),
            (
                "PUT",
                "/api/v1/groups/{groupId}/users/{userId}",
                "/api/v1/groups",
            ),
            ("GET", "/api/v1/apps", "/api/v1/apps"),
            ("GET", "/api/v1/apps/{appId}", "/api/v1/apps/{id}"),
            (
                "DELETE",
                "/api/v1/apps/{appId}/users/{userId}",
                "/api/v1/apps",
            ),
            ("GET", "/api/v1/apps/{appId}/grants", "/api/v1/apps"),
            (
                "GET",
                "/api/v1/devices/{deviceId}/users",
                "/api/v1/devices/{id}/users",
            ),
            ("POST", "/oauth2/v1/token", "/oauth2/v1/token"),
            ("GET", "/api/v1/idps", "/api/v1"),
        ] {
            assert_eq!(Family::of(method, route).name(), bucket, "{method} {route}");
        }
    }

    /// rl2-token-oauth: one client may use half a bucket; the headers give its ceiling (recorded traffic: 300 of
    /// 600), and past it Okta answers 429 while another client still gets in.
    #[test]
    fn a_client_gets_half_a_bucket_and_the_headers_say_so() {
        let mut limits = OktaLimits::new(LimitsConfig {
            overrides: [(Family::Users.name().to_string(), 6)].into(),
            ..LimitsConfig::default()
        });
        let route = "/api/v1/users/00u1/lifecycle/suspend";
        for expected in [2, 1, 0] {
            let a = limits.admit("POST", route, "api token");
            limits.finish();
            assert!(!a.limited);
            assert_eq!((a.limit, a.remaining), (3, expected));
        }
        // The same bucket by another path of it: the share is spent.
        let refused = limits.admit("GET", "/api/v1/users", "api token");
        limits.finish();
        assert!(refused.limited);
        assert_eq!((refused.limit, refused.remaining), (3, 0));
        assert_eq!((limits.rate_limited, limits.share_limited), (1, 1));
        assert_eq!(limits.refused.get(&Family::Users), Some(&1));
        // Another client has its own share of the same bucket.
        let other = limits.admit("POST", route, "app 0oa2");
        limits.finish();
        assert!(!other.limited);
        assert_eq!((other.limit, other.remaining), (3, 2));
        // A user's own bucket is not this one.
        assert!(
            !limits
                .admit("DELETE", "/api/v1/users/00u1", "api token")
                .limited
        );
        limits.finish();
    }

    /// Past what the org's bucket holds, every client is refused, whatever its share; `Remaining` says the lesser.
    #[test]
    fn the_org_bucket_binds_every_client() {
        let mut limits = OktaLimits::new(LimitsConfig {
            overrides: [(Family::Apps.name().to_string(), 4)].into(),
            client_share_percent: 75,
            ..LimitsConfig::default()
        });
        for client in ["a", "a", "b"] {
            assert!(!limits.admit("GET", "/api/v1/apps", client).limited);
            limits.finish();
        }
        let last = limits.admit("GET", "/api/v1/apps", "b");
        limits.finish();
        assert!(!last.limited);
        assert_eq!((last.limit, last.remaining), (3, 0));
        assert!(limits.admit("GET", "/api/v1/apps", "c").limited);
        limits.finish();
        assert_eq!((limits.rate_limited, limits.share_limited), (1, 0));
    }

    #[test]
    fn a_bucket_and_the_concurrency_cap_are_enforced() {
        let mut limits = OktaLimits::new(LimitsConfig {
            concurrency_limit: 2,
            overrides: [(Family::Apps.name().to_string(), 3)].into(),
            client_share_percent: 100,
            ..LimitsConfig::default()
        });
        for expected in [2, 1, 0] {
            let a = limits.admit("GET", "/api/v1/apps", "api token");
            limits.finish();
            assert!(!a.limited);
            assert_eq!(a.remaining, expected);
        }
        assert!(limits.admit("GET", "/api/v1/apps", "api token").limited);
        limits.finish();
        assert_eq!(limits.rate_limited, 1);
        // Another family has its own bucket.
        assert!(
            !limits
                .admit("GET", "/api/v1/users/{id}", "api token")
                .limited
        );
        assert!(
            !limits
                .admit("GET", "/api/v1/users/{id}", "api token")
                .limited
        );
        let third = limits.admit("GET", "/api/v1/users/{id}", "api token");
        assert!(third.limited && third.limit == 0);
        assert_eq!(limits.peak_in_flight, 3);
        assert_eq!(limits.concurrency_limited, 1);
    }

    #[test]
    fn background_load_takes_its_share_as_the_window_passes() {
        let mut limits = OktaLimits::new(LimitsConfig {
            time_scale: 300.0,
            background_load: 0.5,
            client_share_percent: 100,
            ..LimitsConfig::default()
        });
        let first = limits.admit("GET", "/api/v1/apps", "api token");
        limits.finish();
        assert_eq!(first.remaining, 99);
        // 50 ms of ours is 15 s of the simulator's clock: a quarter of the window, an eighth of the bucket gone to
        // others (more if this machine is slow to wake the thread, but still the same window).
        std::thread::sleep(std::time::Duration::from_millis(50));
        let later = limits.admit("GET", "/api/v1/apps", "api token");
        limits.finish();
        assert!((50..=86).contains(&later.remaining), "{}", later.remaining);
    }

    #[test]
    fn the_background_sends_to_the_end_of_the_window_even_when_we_do_not() {
        let mut limits = OktaLimits::new(LimitsConfig {
            time_scale: 120.0,
            background_load: 0.5,
            client_share_percent: 100,
            ..LimitsConfig::default()
        });
        // We take 60 of the apps' 100 at once, then fall silent past the window's end (60 s of the simulator's
        // clock is 500 ms of ours): of the other integration's 50, the last 10 found the bucket spent.
        for _ in 0..60 {
            assert!(!limits.admit("GET", "/api/v1/apps", "api token").limited);
            limits.finish();
        }
        std::thread::sleep(std::time::Duration::from_millis(530));
        let next = limits.admit("GET", "/api/v1/apps", "api token");
        limits.finish();
        assert!(!next.limited);
        assert_eq!(limits.background_refused, 10);
        // The next window began where the last one ended, not at this request: the other integration has used it
        // for the 30 ms past the end (3.6 s of the simulator's clock, 3 requests) or more if this thread woke late.
        assert!(next.remaining <= 100 - 1 - 3, "{}", next.remaining);
    }
}
