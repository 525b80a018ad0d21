//! Controls for tests and benchmarks: injected faults, rate-limit buckets, call counters and the
//! request log.

use std::collections::HashMap;
use std::time::Duration;

use serde::{Deserialize, Serialize};

use crate::util::epoch_secs;

/// Which requests a fault applies to; `None` matches anything. `route` is the route template, e.g.
/// `/api/v1/users/{id}/lifecycle/suspend` (see [`crate::ROUTES`]); `method` is case-insensitive.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Match {
    #[serde(default)]
    pub method: Option<String>,
    #[serde(default)]
    pub route: Option<String>,
}

impl Match {
    pub fn any() -> Match {
        Match::default()
    }

    pub fn route(method: &str, route: &str) -> Match {
        Match {
            method: Some(method.to_string()),
            route: Some(route.to_string()),
        }
    }

    fn matches(&self, method: &str, route: Option<&str>) -> bool {
        self.method
            .as_deref()
            .is_none_or(|m| m.eq_ignore_ascii_case(method))
            && self.route.as_deref().is_none_or(|r| Some(r) == route)
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(from = "FaultKindWire", into = "FaultKindWire")]
pub enum FaultKind {
    /// Answer with this status and the matching Okta error body (500 E0000009, 503 E0000010, ...).
    Status(u16),
    /// 429 E0000047 with `X-Rate-Limit-Remaining: 0` and a reset `reset_in_secs` from now.
    RateLimited { reset_in_secs: u64 },
    /// Delay the request, then handle it normally.
    Latency(Duration),
    /// Close the connection without writing any response.
    Drop,
    /// Handle the request (the change is made), then close the connection without answering: a client sees a
    /// dropped connection for a change that happened.
    DropAfterCommit,
    /// Handle the request (the change is made), then answer this status instead, as a gateway that timed out
    /// in front of a slow write does (502/503/504 after commit).
    StatusAfterCommit(u16),
}

/// JSON form for the control plane: `{"status":503}`, `{"rateLimited":{"resetInSecs":5}}`,
/// `{"latencyMs":300}`, `"drop"`, `"dropAfterCommit"` or `{"statusAfterCommit":504}`.
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
enum FaultKindWire {
    Status(u16),
    RateLimited {
        #[serde(rename = "resetInSecs")]
        reset_in_secs: u64,
    },
    LatencyMs(u64),
    Drop,
    DropAfterCommit,
    StatusAfterCommit(u16),
}

impl From<FaultKindWire> for FaultKind {
    fn from(w: FaultKindWire) -> Self {
        match w {
            FaultKindWire::Status(s) => FaultKind::Status(s),
            FaultKindWire::RateLimited { reset_in_secs } => {
                FaultKind::RateLimited { reset_in_secs }
            }
            FaultKindWire::LatencyMs(ms) => FaultKind::Latency(Duration::from_millis(ms)),
            FaultKindWire::Drop => FaultKind::Drop,
            FaultKindWire::DropAfterCommit => FaultKind::DropAfterCommit,
            FaultKindWire::StatusAfterCommit(s) => FaultKind::StatusAfterCommit(s),
        }
    }
}

impl From<FaultKind> for FaultKindWire {
    fn from(k: FaultKind) -> Self {
        match k {
            FaultKind::Status(s) => FaultKindWire::Status(s),
            FaultKind::RateLimited { reset_in_secs } => {
                FaultKindWire::RateLimited { reset_in_secs }
            }
            FaultKind::Latency(d) => {
                FaultKindWire::LatencyMs(u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            }
            FaultKind::Drop => FaultKindWire::Drop,
            FaultKind::DropAfterCommit => FaultKindWire::DropAfterCommit,
            FaultKind::StatusAfterCommit(s) => FaultKindWire::StatusAfterCommit(s),
        }
    }
}

/// A fault applied to the next `times` requests matching `matcher`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Fault {
    #[serde(default, alias = "match")]
    pub matcher: Match,
    #[serde(default = "one")]
    pub times: u32,
    pub kind: FaultKind,
}

fn one() -> u32 {
    1
}

impl Fault {
    pub fn new(matcher: Match, times: u32, kind: FaultKind) -> Fault {
        Fault {
            matcher,
            times,
            kind,
        }
    }
}

/// One request as the simulator saw it.
#[derive(Debug, Clone, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RecordedRequest {
    pub method: String,
    /// Path as sent (still percent-encoded).
    pub path: String,
    /// Percent-decoded path.
    pub decoded_path: String,
    pub query: Option<String>,
    pub headers: Vec<(String, String)>,
    /// Status answered; 0 when the connection was dropped by a fault.
    pub status: u16,
    /// Route template matched, e.g. `/api/v1/users/{id}/lifecycle/suspend`; `None` if none matched.
    pub route: Option<String>,
}

/// What the unconfigured bucket reports in `X-Rate-Limit-Limit`: unconfigured, nothing is enforced, and the
/// headers say so with a bucket no test run can spend. (It used to report Okta's 600 with a Remaining that never ran
/// dry: a client that paces on the headers, as ours does, then slowed down for a limit that did not exist.) Tests
/// of rate limits configure a bucket: per route, global, or Okta's published limits (`okta_limits.rs`).
pub const DEFAULT_REPORTED_LIMIT: u32 = 10_000_000;

#[derive(Debug, Clone, Copy)]
pub struct RateDecision {
    pub limit: u32,
    pub remaining: u32,
    pub reset: u64,
    pub limited: bool,
}

#[derive(Debug, Default)]
pub struct Controls {
    pub faults: Vec<Fault>,
    pub global_limit: Option<u32>,
    pub route_limits: HashMap<String, u32>,
    /// bucket key → (window start, requests counted in the window)
    windows: HashMap<String, (u64, u32)>,
    pub calls: HashMap<(String, String), usize>,
    pub total: usize,
    pub mutating: usize,
    pub requests: Vec<RecordedRequest>,
    /// Okta's published limits, when enforced (`okta_limits.rs`).
    pub okta_limits: Option<crate::okta_limits::OktaLimits>,
}

impl Controls {
    /// Consumes one use of the first fault matching the request.
    pub fn take_fault(&mut self, method: &str, route: Option<&str>) -> Option<FaultKind> {
        let i = self
            .faults
            .iter()
            .position(|f| f.times > 0 && f.matcher.matches(method, route))?;
        let kind = self.faults[i].kind.clone();
        self.faults[i].times -= 1;
        if self.faults[i].times == 0 {
            self.faults.remove(i);
        }
        Some(kind)
    }

    /// Counts the request in its bucket: the route's own bucket if it has a limit, else the global
    /// one. Windows are one minute long, starting at the bucket's first request (Okta's windows
    /// "aren't necessarily synchronized with wall clock minutes").
    pub fn rate_check(&mut self, route: Option<&str>) -> RateDecision {
        let (key, limit) = match route.and_then(|r| self.route_limits.get(r).map(|l| (r, *l))) {
            Some((r, l)) => (r.to_string(), Some(l)),
            None => ("*".to_string(), self.global_limit),
        };
        let now = epoch_secs();
        let w = self.windows.entry(key).or_insert((now, 0));
        if now >= w.0 + 60 {
            *w = (now, 0);
        }
        let reset = w.0 + 60;
        match limit {
            Some(limit) => {
                if w.1 >= limit {
                    RateDecision {
                        limit,
                        remaining: 0,
                        reset,
                        limited: true,
                    }
                } else {
                    w.1 += 1;
                    RateDecision {
                        limit,
                        remaining: limit - w.1,
                        reset,
                        limited: false,
                    }
                }
            }
            None => {
                w.1 = w.1.saturating_add(1);
                // Unenforced: report a plausible bucket that never runs dry, so clients that throttle
                // on `X-Rate-Limit-Remaining` don't slow down for nothing.
                let limit = DEFAULT_REPORTED_LIMIT;
                RateDecision {
                    limit,
                    remaining: limit.saturating_sub(w.1).max(1),
                    reset,
                    limited: false,
                }
            }
        }
    }

    pub fn set_global_limit(&mut self, per_minute: Option<u32>) {
        self.global_limit = per_minute;
        self.windows.clear();
    }

    pub fn set_route_limit(&mut self, route: &str, per_minute: Option<u32>) {
        match per_minute {
            Some(n) => self.route_limits.insert(route.to_string(), n),
            None => self.route_limits.remove(route),
        };
        self.windows.clear();
    }

    pub fn reset_counters(&mut self) {
        self.calls.clear();
        self.total = 0;
        self.mutating = 0;
        self.requests.clear();
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn fault_json_forms() {
        let f: Fault = serde_json::from_str(
            r#"{"matcher":{"method":"POST","route":"/api/v1/users/{id}/lifecycle/suspend"},"times":2,"kind":{"status":503}}"#,
        )
        .unwrap();
        assert_eq!(f.kind, FaultKind::Status(503));
        assert_eq!(f.times, 2);
        let f: Fault = serde_json::from_str(r#"{"kind":"drop"}"#).unwrap();
        assert_eq!((f.kind, f.times), (FaultKind::Drop, 1));
        let f: Fault = serde_json::from_str(r#"{"kind":{"latencyMs":250}}"#).unwrap();
        assert_eq!(f.kind, FaultKind::Latency(Duration::from_millis(250)));
        let f: Fault =
            serde_json::from_str(r#"{"kind":{"rateLimited":{"resetInSecs":3}}}"#).unwrap();
        assert_eq!(f.kind, FaultKind::RateLimited { reset_in_secs: 3 });
        let f: Fault = serde_json::from_str(r#"{"kind":"dropAfterCommit"}"#).unwrap();
        assert_eq!(f.kind, FaultKind::DropAfterCommit);
        let f: Fault = serde_json::from_str(r#"{"kind":{"statusAfterCommit":504}}"#).unwrap();
        assert_eq!(f.kind, FaultKind::StatusAfterCommit(504));
    }

    #[test]
    fn rate_limit_window() {
        let mut c = Controls::default();
        c.set_global_limit(Some(2));
        assert!(!c.rate_check(None).limited);
        let d = c.rate_check(None);
        assert_eq!((d.remaining, d.limited), (0, false));
        assert!(c.rate_check(None).limited);
    }
}
