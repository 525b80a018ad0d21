//! Okta's published rate limits, enforced: one bucket per endpoint family per minute and a cap on concurrent
//! requests (okta-api-notes.md section 5, from Okta's "Management rate limits" page, Workforce Identity column, and
//! the `rl2-concurrency` page: 75 concurrent requests per org). Off unless switched on (`--okta-limits` or
//! `PUT /__sim/limits`), so that functional tests are not slowed by it.
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
        }
    }
}

/// Okta's endpoint families with their published Workforce Identity limits per minute (okta-api-notes.md 5.2).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Family {
    GetUser,
    Users,
    UpdateUser,
    Group,
    Groups,
    App,
    Apps,
    Other,
}

impl Family {
    pub const ALL: [Family; 8] = [
        Family::GetUser,
        Family::Users,
        Family::UpdateUser,
        Family::Group,
        Family::Groups,
        Family::App,
        Family::Apps,
        Family::Other,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Family::GetUser => "GET /api/v1/users/{id}",
            Family::Users => "/api/v1/users",
            Family::UpdateUser => "POST|PUT|DELETE /api/v1/users/{id}",
            Family::Group => "/api/v1/groups/{id}",
            Family::Groups => "/api/v1/groups/*",
            Family::App => "/api/v1/apps/{id}",
            Family::Apps => "/api/v1/apps/*",
            Family::Other => "other /api/v1",
        }
    }

    /// Published limit per minute, Workforce Identity orgs.
    pub fn published_limit(self) -> u32 {
        match self {
            Family::GetUser => 2_000,
            Family::Users | Family::UpdateUser => 600,
            Family::Group => 1_000,
            Family::Groups | Family::App => 500,
            Family::Apps => 100,
            Family::Other => 1_200,
        }
    }

    /// The family of a matched route template (the spec's path with its parameter names). The published table
    /// names paths exactly; what it does not name (lifecycle operations, sessions, a user's groups) is "most
    /// other /api/v1" — Okta does not say otherwise (okta-api-notes.md 5.2).
    pub fn of(method: &str, route: &str) -> Family {
        let segments: Vec<&str> = route.trim_start_matches('/').split('/').collect();
        match segments.as_slice() {
            ["api", "v1", "users"] => Family::Users,
            ["api", "v1", "users", _] if method.eq_ignore_ascii_case("GET") => Family::GetUser,
            ["api", "v1", "users", _] => Family::UpdateUser,
            ["api", "v1", "groups", "rules"] => Family::Groups,
            ["api", "v1", "groups", _] => Family::Group,
            ["api", "v1", "groups", ..] => Family::Groups,
            ["api", "v1", "apps", _] => Family::App,
            ["api", "v1", "apps", ..] => Family::Apps,
            _ => Family::Other,
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
    pub concurrency_limited: u64,
    pub admitted: HashMap<Family, u64>,
    /// Requests of the background integration refused because the bucket was spent: what "starving the org's other
    /// integrations" means here.
    pub background_refused: u64,
}

#[derive(Debug, Clone, Copy)]
struct Window {
    /// Start on the simulator's clock.
    start: f64,
    /// Our requests admitted in it.
    ours: u32,
    /// Background requests due so far (admitted or refused) and admitted.
    background_due: u32,
    background_admitted: u32,
}

impl Window {
    fn starting(start: f64) -> Window {
        Window {
            start,
            ours: 0,
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
            concurrency_limited: 0,
            admitted: HashMap::new(),
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

    /// A request arrives: counts it in flight, then against the concurrency cap and its family's bucket.
    /// Every call must be paired with [`OktaLimits::finish`].
    pub fn admit(&mut self, method: &str, route: &str) -> Admission {
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
        let family = Family::of(method, route);
        let limit = self.limit(family);
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
        let used = window.ours + window.background_admitted;
        let reset = (window.start + 60.0).ceil() as u64;
        if used >= limit {
            self.rate_limited += 1;
            return Admission {
                limit,
                remaining: 0,
                reset,
                limited: true,
            };
        }
        window.ours += 1;
        *self.admitted.entry(family).or_insert(0) += 1;
        Admission {
            limit,
            remaining: limit - used - 1,
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
                    "admitted": self.admitted.get(family).copied().unwrap_or(0),
                })
            })
            .collect();
        serde_json::json!({
            "config": self.config,
            "peakConcurrentRequests": self.peak_in_flight,
            "rateLimited": self.rate_limited,
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

    #[test]
    fn routes_fall_in_the_published_families() {
        for (method, route, family) in [
            ("GET", "/api/v1/users/{id}", Family::GetUser),
            ("GET", "/api/v1/users", Family::Users),
            (
                "POST",
                "/api/v1/users/{id}/lifecycle/suspend",
                Family::Other,
            ),
            ("DELETE", "/api/v1/users/{userId}/sessions", Family::Other),
            ("GET", "/api/v1/groups/rules", Family::Groups),
            ("GET", "/api/v1/groups/{groupId}", Family::Group),
            (
                "PUT",
                "/api/v1/groups/{groupId}/users/{userId}",
                Family::Groups,
            ),
            ("GET", "/api/v1/apps", Family::Apps),
            ("GET", "/api/v1/apps/{appId}", Family::App),
            (
                "DELETE",
                "/api/v1/apps/{appId}/users/{userId}",
                Family::Apps,
            ),
        ] {
            assert_eq!(Family::of(method, route), family, "{method} {route}");
        }
    }

    #[test]
    fn a_bucket_and_the_concurrency_cap_are_enforced() {
        let mut limits = OktaLimits::new(LimitsConfig {
            concurrency_limit: 2,
            overrides: [(Family::Apps.name().to_string(), 3)].into(),
            ..LimitsConfig::default()
        });
        for expected in [2, 1, 0] {
            let a = limits.admit("GET", "/api/v1/apps");
            limits.finish();
            assert!(!a.limited);
            assert_eq!(a.remaining, expected);
        }
        assert!(limits.admit("GET", "/api/v1/apps").limited);
        limits.finish();
        assert_eq!(limits.rate_limited, 1);
        // Another family has its own bucket.
        assert!(!limits.admit("GET", "/api/v1/users/{id}").limited);
        assert!(!limits.admit("GET", "/api/v1/users/{id}").limited);
        let third = limits.admit("GET", "/api/v1/users/{id}");
        assert!(third.limited && third.limit == 0);
        assert_eq!(limits.peak_in_flight, 3);
        assert_eq!(limits.concurrency_limited, 1);
    }

    #[test]
    fn background_load_takes_its_share_as_the_window_passes() {
        let mut limits = OktaLimits::new(LimitsConfig {
            time_scale: 300.0,
            background_load: 0.5,
            ..LimitsConfig::default()
        });
        let first = limits.admit("GET", "/api/v1/apps");
        limits.finish();
        assert_eq!(first.remaining, 99);
        // 50 ms of ours is 15 s of the simulator's clock: a quarter of the window, an eighth of the bucket gone to
        // others (more if this machine is slow to wake the thread, but still the same window).
        std::thread::sleep(std::time::Duration::from_millis(50));
        let later = limits.admit("GET", "/api/v1/apps");
        limits.finish();
        assert!((50..=86).contains(&later.remaining), "{}", later.remaining);
    }

    #[test]
    fn the_background_sends_to_the_end_of_the_window_even_when_we_do_not() {
        let mut limits = OktaLimits::new(LimitsConfig {
            time_scale: 120.0,
            background_load: 0.5,
            ..LimitsConfig::default()
        });
        // We take 60 of the apps' 100 at once, then fall silent past the window's end (60 s of the simulator's
        // clock is 500 ms of ours): of the other integration's 50, the last 10 found the bucket spent.
        for _ in 0..60 {
            assert!(!limits.admit("GET", "/api/v1/apps").limited);
            limits.finish();
        }
        std::thread::sleep(std::time::Duration::from_millis(530));
        let next = limits.admit("GET", "/api/v1/apps");
        limits.finish();
        assert!(!next.limited);
        assert_eq!(limits.background_refused, 10);
        // The next window began where the last one ended, not at this request: the other integration has used it
        // for the 30 ms past the end (3.6 s of the simulator's clock, 3 requests) or more if this thread woke late.
        assert!(next.remaining <= 100 - 1 - 3, "{}", next.remaining);
    }
}
