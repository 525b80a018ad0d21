//! Pacing from Okta's rate-limit headers, so that a function slows down before Okta answers 429 rather than after.
//!
//! Okta's limits are per bucket (`buckets.rs`: Okta's own path→bucket table) per minute, shared with every other
//! integration of the org, and each API token or OAuth 2.0 app may use only its share of a bucket, 50 % unless an
//! admin changed it (okta-api-notes.md section 5; developer.okta.com `rl2-token-oauth`). Each response gives the
//! ceiling that applies to this client (`X-Rate-Limit-Limit`: its share of the bucket, as Okta's recorded traffic
//! shows, e.g. 300 of the users bucket's 600), how much of it is left (`X-Rate-Limit-Remaining`) and when the window
//! ends (`X-Rate-Limit-Reset`). The pacing below works on that reported budget, of which the stack uses
//! `share_percent`: Okta has already set the org's other integrations' part aside. A process remembers the last word
//! per bucket and, before the next request to that bucket:
//! - keeps a reserve alone: what others counted in the same budget may still use this window at an even pace
//!   (`100 − share` percent of the limit, in proportion to the time left to the reset) plus one request for each
//!   other caller of this stack that may be sending at the same moment (a worker's view is at most one request of
//!   each other worker old);
//! - keeps an even pace: the bucket may fall no faster than the whole limit spread over Okta's minute would make it
//!   (a line from the limit at the window's start down to our callers' reserve at its reset), so what is left is
//!   spread over the time to the reset; a tenth of the limit may run ahead of the line, so that one invocation's
//!   few requests in a quiet org are not slowed. Without it the
//!   callers spend a window in its first seconds and every caller that comes later waits for the reset, or gives
//!   up when the reset is past its deadline: an item can lose that race after every reset. At an even pace a
//!   caller waits a fraction of a second for the line to pass, whenever it comes. When the org's other
//!   integrations use their share at an even pace too, this stack's part of the line is its share.
//! - reads its last word as of now: the others may have used their share at an even pace since that answer, so a
//!   view a few seconds old counts that much less. Without it, a process that has not called the bucket for a while
//!   (a function with many warm sandboxes has many) sees room that the others have since taken, and each such
//!   process sends one request past the reserve.
//!
//! Retry decisions stay in `retry.rs`; the request loop asks this module before each attempt and tells it each
//! answer.

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use reqwest::header::HeaderMap;

pub use super::buckets::Bucket;
use crate::config::ConnectionSource;
use crate::error::{Error, Result};

/// How much of Okta's budget this stack may use.
#[derive(Debug, Clone)]
pub struct PacingPolicy {
    /// Percent of each bucket's reported limit (`X-Rate-Limit-Limit`) this stack may use; the rest is left to others
    /// counted in the same budget. Okta already holds each API token or OAuth 2.0 app to its share of the bucket (50 %
    /// by default) and reports that share as the limit, so 100 spends what Okta gives this client and no more;
    /// less only when something else uses the same token or app, or when the token's share in Okta was raised to the
    /// whole bucket and the stack should still leave the org's other integrations room.
    pub share_percent: u32,
    /// Callers of this stack that may call Okta at the same moment (the bulk flow's concurrency and the flows'
    /// own Maps): one request is kept in reserve for each of the others, and the budget is spread among at most
    /// this many.
    pub concurrent_callers: u32,
    /// How much faster than ours Okta's clock runs: 1 against Okta; more only against the simulator's time-scaled
    /// minutes (refused for any org URL other than loopback).
    pub time_scale: f64,
}

impl Default for PacingPolicy {
    fn default() -> Self {
        PacingPolicy {
            share_percent: 100,
            concurrent_callers: 1,
            time_scale: 1.0,
        }
    }
}

impl PacingPolicy {
    /// Reads `OKTA_RATE_LIMIT_SHARE`, `OKTA_CONCURRENT_CALLERS` and, against a loopback simulator only (`source`),
    /// `OKTA_SIM_TIME_SCALE`; a value out of range is `Config.Invalid` naming it.
    pub fn from_lookup(
        lookup: impl Fn(&str) -> Option<String>,
        source: &ConnectionSource,
    ) -> Result<PacingPolicy> {
        let non_empty = |name: &str| lookup(name).filter(|value| !value.trim().is_empty());
        let whole = |name: &'static str, range: std::ops::RangeInclusive<u32>, default: u32| {
            match non_empty(name) {
                None => Ok(default),
                Some(raw) => raw
                    .trim()
                    .parse::<u32>()
                    .ok()
                    .filter(|value| range.contains(value))
                    .ok_or_else(|| {
                        Error::config(
                            name,
                            format!(
                                "must be a whole number from {} to {}",
                                range.start(),
                                range.end()
                            ),
                        )
                    }),
            }
        };
        let defaults = PacingPolicy::default();
        let time_scale = match non_empty("OKTA_SIM_TIME_SCALE") {
            None => defaults.time_scale,
            Some(raw) => {
                let loopback = matches!(source, ConnectionSource::Environment(config)
                    if config.org_url.scheme() == "http");
                if !loopback {
                    return Err(Error::config(
                        "OKTA_SIM_TIME_SCALE",
                        "is only for a loopback simulator (OKTA_ORG_URL on http://127.0.0.1): Okta's clock is real",
                    ));
                }
                raw.trim()
                    .parse::<f64>()
                    .ok()
                    .filter(|scale| (1.0..=1000.0).contains(scale))
                    .ok_or_else(|| {
                        Error::config("OKTA_SIM_TIME_SCALE", "must be a number from 1 to 1000")
                    })?
            }
        };
        Ok(PacingPolicy {
            share_percent: whole("OKTA_RATE_LIMIT_SHARE", 1..=100, defaults.share_percent)?,
            concurrent_callers: whole(
                "OKTA_CONCURRENT_CALLERS",
                1..=1000,
                defaults.concurrent_callers,
            )?,
            time_scale,
        })
    }

    /// Okta's rate-limit window (one minute of Okta's clock), in ours.
    pub fn window(&self) -> Duration {
        Duration::from_secs(60).div_f64(self.time_scale.max(1.0))
    }

    /// Two resets closer than this are the same window: Okta gives the reset and its clock in whole seconds, so two
    /// processes' readings of one reset differ by a second or two, and the next window's is a minute later.
    pub fn same_window(&self) -> Duration {
        self.window() / 4
    }

    /// The remaining count at or below which a bucket is left alone, `time_left` before its reset: the part of the
    /// other integrations' share they may still use at an even pace, plus one request per other caller of ours.
    pub fn reserve(&self, limit: u32, time_left: Duration) -> u32 {
        let others = self.others_per_window(limit);
        let fraction = (time_left.as_secs_f64() / self.window().as_secs_f64()).min(1.0);
        let kept = (others * fraction).ceil() as u32;
        kept.saturating_add(self.concurrent_callers.saturating_sub(1))
    }

    /// What the org's other integrations may use of a bucket of `limit` in one window.
    fn others_per_window(&self, limit: u32) -> f64 {
        f64::from(limit) * f64::from(100 - self.share_percent.min(100)) / 100.0
    }
}

#[derive(Debug, Clone, Copy)]
struct Window {
    limit: u32,
    /// The last answer's count less the requests this process sent since; none for a window that began at the
    /// reset of a spent one and has not answered yet.
    remaining: Option<u32>,
    resets_at: Instant,
    /// When that answer came.
    observed_at: Instant,
    /// When this process was last due to look at the bucket again: its last answer (its own or another process's),
    /// or the end of the last wait it was given. A process that comes much later has sat idle while this stack's
    /// other processes may have spent the bucket, and its view says nothing of their use since.
    due: Instant,
}

/// One answer's word on a bucket, in wall-clock time so that another process can take it (`rate_limit_table.rs`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Heard {
    pub limit: u32,
    pub remaining: u32,
    pub resets_at: SystemTime,
    pub heard_at: SystemTime,
}

/// Where a bucket may stand at a moment of its window.
#[derive(Debug, Clone, Copy)]
struct Levels {
    /// The even-pace line: the bucket falls no faster than the whole limit over the window would make it, so what
    /// is left is spread over the time to the reset. It ends the window at our callers' reserve, where the floor
    /// takes over, and the burst may run ahead of it.
    line: f64,
    /// Left alone: `PacingPolicy::reserve`.
    reserve: f64,
    /// The line's fall.
    per_second: f64,
    time_left: Duration,
}

impl Window {
    /// A tenth of the limit may run ahead of the line: one invocation's few requests in a quiet org go at once (at
    /// the line alone, every request but the first would wait 0.1 s for a bucket of 600 a minute, 0.6 s for the
    /// apps' 100), while callers arriving together still cannot spend the window in its first seconds.
    fn burst(&self) -> f64 {
        f64::from(self.limit.div_ceil(10))
    }

    fn levels(&self, policy: &PacingPolicy, now: Instant) -> Levels {
        let kept = f64::from(policy.concurrent_callers.saturating_sub(1));
        let time_left = self.resets_at.saturating_duration_since(now);
        let per_second = (f64::from(self.limit) - kept).max(0.0) / policy.window().as_secs_f64();
        Levels {
            line: kept + per_second * time_left.as_secs_f64() - self.burst(),
            reserve: f64::from(policy.reserve(self.limit, time_left)),
            per_second,
            time_left,
        }
    }

    /// What is left of the bucket at `now`, as far as this view knows; without an answer in this window, as spent
    /// as the even pace and the reserve allow.
    fn left(&self, policy: &PacingPolicy, now: Instant) -> f64 {
        match self.remaining {
            Some(remaining) => f64::from(remaining) - self.others_since(policy, now),
            None => {
                let levels = self.levels(policy, now);
                levels.line.max(levels.reserve)
            }
        }
    }

    /// Whether the bucket is being paced: what is left is down to the line or the reserve, give or take half a
    /// burst (callers that keep to the line hold it there). A quiet bucket stays above both (at a window's start
    /// the line is the limit less a burst), and what any process heard of it matters to none.
    fn busy(&self, policy: &PacingPolicy, now: Instant) -> bool {
        let levels = self.levels(policy, now);
        self.left(policy, now) <= levels.line.max(levels.reserve) + self.burst() / 2.0
    }

    /// What the org's other integrations may have used of the bucket between the answer and `at`, at the even pace
    /// of their share: an answer a few seconds old counts that much less.
    fn others_since(&self, policy: &PacingPolicy, at: Instant) -> f64 {
        let since = at.saturating_duration_since(self.observed_at).as_secs_f64();
        policy.others_per_window(self.limit) * since / policy.window().as_secs_f64()
    }
}

/// What this process last heard of each bucket. Kept for the life of the process: a warm function starts its next
/// invocation knowing how spent the buckets were.
#[derive(Debug, Default)]
pub struct Pacer {
    windows: Mutex<HashMap<Bucket, Window>>,
    /// Until when each bucket counts as being paced: two windows after an answer showed it near its line or its
    /// reserve.
    paced_until: Mutex<HashMap<Bucket, Instant>>,
}

impl Pacer {
    /// Whether this process's view of `bucket` is worth less than what the stack's other processes heard: the
    /// bucket has been paced lately (an answer of the last two windows showed it near its line or its reserve: bulk
    /// work is on), and this process has no view of this window, or its view has sat idle (past its due time by
    /// more than a second of Okta's clock) while the others may have spent the bucket. A process of a bulk run is
    /// idle most of the time: an item's steps take turns on several functions, each with as many warm sandboxes as
    /// the run has items at once, so each process sends a few requests a window, and each would send past the
    /// reserve on what it last heard.
    ///
    /// Otherwise no read: a new process (no round trip on a cold start) and every process of a quiet org go on their
    /// own view, and the table is neither read nor written. The price: when bulk work begins, a process that has not
    /// yet seen the bucket paced sends once on its own view (once a run, not once a window).
    pub fn needs_news(&self, bucket: Bucket, policy: &PacingPolicy, now: Instant) -> bool {
        let paced = self
            .paced_until
            .lock()
            .ok()
            .and_then(|paced| paced.get(&bucket).copied())
            .is_some_and(|until| now < until);
        if !paced {
            return false;
        }
        let Ok(windows) = self.windows.lock() else {
            return false;
        };
        windows.get(&bucket).is_none_or(|window| {
            window.remaining.is_none()
                || now >= window.resets_at
                || now.saturating_duration_since(window.due) > policy.window() / 60
        })
    }

    fn paced_until(&self, bucket: Bucket, until: Instant) {
        if let Ok(mut paced) = self.paced_until.lock() {
            let known = paced.entry(bucket).or_insert(until);
            *known = (*known).max(until);
        }
    }

    /// Takes what another process heard of `bucket` (or, with `None`, that nobody heard anything newer): within
    /// one window the lowest count is the latest word, and a later window replaces an earlier one. Either way the
    /// view is now as fresh as anyone's.
    pub fn hear(&self, bucket: Bucket, heard: Option<Heard>, policy: &PacingPolicy, now: Instant) {
        let Ok(mut windows) = self.windows.lock() else {
            return;
        };
        let system_now = SystemTime::now();
        let at = |time: SystemTime| match time.duration_since(system_now) {
            Ok(ahead) => now + ahead,
            Err(behind) => now.checked_sub(behind.duration()).unwrap_or(now),
        };
        let Some(heard) = heard else {
            if let Some(window) = windows.get_mut(&bucket) {
                window.due = now;
            }
            return;
        };
        let taken = Window {
            limit: heard.limit,
            remaining: Some(heard.remaining),
            resets_at: at(heard.resets_at),
            observed_at: at(heard.heard_at).min(now),
            due: now,
        };
        if taken.resets_at > now {
            // Only the answers of a bucket being paced are shared: this one still is.
            self.paced_until(bucket, now + 2 * policy.window());
        }
        let Some(window) = windows.get_mut(&bucket) else {
            if taken.resets_at > now {
                windows.insert(bucket, taken);
            }
            return;
        };
        let tolerance = policy.same_window();
        let later_window = taken.resets_at > window.resets_at + tolerance;
        let same_window = !later_window && taken.resets_at + tolerance >= window.resets_at;
        if later_window
            || (same_window && window.remaining.is_none_or(|known| heard.remaining < known))
        {
            *window = taken;
        } else {
            window.due = now;
        }
    }

    /// How long to wait before sending a request to `bucket`; zero to send now (the request is then counted as
    /// sent). After a wait, ask again.
    pub fn wait_before(&self, bucket: Bucket, policy: &PacingPolicy, now: Instant) -> Duration {
        let Ok(mut windows) = self.windows.lock() else {
            return Duration::ZERO;
        };
        let Some(window) = windows.get_mut(&bucket) else {
            return Duration::ZERO;
        };
        if now >= window.resets_at {
            // Okta's windows follow each other. When this one ended spent (at its floor, give or take the burst),
            // the bulk work that spent it is likely spending the next one too, which began at this reset: until it
            // answers, the process assumes it as spent as the even pace and the reserve allow. Otherwise a process
            // that last called in the previous window would send whatever the time, past the others' reserve.
            // A quiet bucket, or one not called for a whole window, is forgotten: the next request goes at once.
            let next_reset = window.resets_at + policy.window();
            let kept = f64::from(policy.concurrent_callers.saturating_sub(1));
            let spent = window.remaining.is_some_and(|remaining| {
                f64::from(remaining) - window.others_since(policy, window.resets_at)
                    <= kept + window.burst()
            });
            if !spent || now >= next_reset {
                windows.remove(&bucket);
                return Duration::ZERO;
            }
            window.resets_at = next_reset;
            window.remaining = None;
        }
        let Levels {
            line,
            reserve,
            per_second,
            time_left,
        } = window.levels(policy, now);
        let left = window.left(policy, now);
        let wait = if left <= reserve {
            // The others' part of the reserve shrinks as the window passes, but so does what we may assume is left:
            // only a new answer or the reset frees the bucket.
            time_left.max(Duration::from_millis(1))
        } else if left < line {
            let wait = Duration::from_secs_f64((line - left) / per_second.max(f64::MIN_POSITIVE));
            wait.min(time_left).max(Duration::from_millis(1))
        } else {
            window.remaining = window
                .remaining
                .map(|remaining| remaining.saturating_sub(1));
            Duration::ZERO
        };
        window.due = now + wait;
        wait
    }

    /// Records a response's rate-limit headers for `bucket`, and returns them as heard when they are news for the
    /// stack's other processes: the latest word of a bucket being paced (of a quiet one, nobody needs to hear). A
    /// concurrency 429 (`X-Rate-Limit-Limit: 0`) says nothing about the bucket and is ignored here
    /// (`retry.rs` handles it).
    pub fn observe(
        &self,
        bucket: Bucket,
        headers: &HeaderMap,
        policy: &PacingPolicy,
    ) -> Option<Heard> {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .and_then(|value| value.trim().parse::<u32>().ok())
        };
        let (Some(limit), Some(remaining)) = (
            number("x-rate-limit-limit"),
            number("x-rate-limit-remaining"),
        ) else {
            return None;
        };
        if limit == 0 {
            return None;
        }
        let system_now = SystemTime::now();
        let reset = rate_limit_reset(headers, system_now, policy.time_scale)?;
        let now = Instant::now();
        let resets_at = now + reset.duration_since(system_now).unwrap_or_default();
        let heard = Heard {
            limit,
            remaining,
            resets_at: reset,
            heard_at: system_now,
        };
        let Ok(mut windows) = self.windows.lock() else {
            return Some(heard);
        };
        let fresh = Window {
            limit,
            remaining: Some(remaining),
            resets_at,
            observed_at: now,
            due: now,
        };
        let window = windows.entry(bucket).or_insert(fresh);
        // Answers can arrive out of order: within one window the lowest count is the latest word.
        if resets_at > window.resets_at + policy.same_window()
            || window.remaining.is_none_or(|known| remaining <= known)
        {
            *window = fresh;
            let busy = window.busy(policy, now);
            drop(windows);
            if busy {
                self.paced_until(bucket, now + 2 * policy.window());
            }
            busy.then_some(heard)
        } else {
            window.due = now;
            None
        }
    }
}

/// When a rate-limited bucket resets, in our clock: `X-Rate-Limit-Reset` − `Date` + 1 s after now. With several
/// reset values (several buckets), the latest, so that one wait clears them all. `time_scale` is how much faster
/// Okta's clock runs than ours: 1 against Okta, more against the simulator's time-scaled minutes.
pub fn rate_limit_reset(
    headers: &HeaderMap,
    now: SystemTime,
    time_scale: f64,
) -> Option<SystemTime> {
    let reset = headers
        .get_all("x-rate-limit-reset")
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(|value| value.split(','))
        .filter_map(|value| value.trim().parse::<u64>().ok())
        .max()?;
    let server_now = headers
        .get(reqwest::header::DATE)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| httpdate::parse_http_date(value).ok())
        .and_then(|date| date.duration_since(UNIX_EPOCH).ok())
        .map(|since| since.as_secs())
        .unwrap_or_else(|| {
            now.duration_since(UNIX_EPOCH)
                .map(|since| since.as_secs())
                .unwrap_or(0)
        });
    let wait = Duration::from_secs(reset.saturating_sub(server_now) + 1);
    Some(now + wait.div_f64(time_scale.max(1.0)))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use reqwest::header::HeaderValue;

    fn policy_of(share_percent: u32, concurrent_callers: u32) -> PacingPolicy {
        PacingPolicy {
            share_percent,
            concurrent_callers,
            time_scale: 1.0,
        }
    }

    fn headers(limit: u32, remaining: u32, reset_in: u64) -> HeaderMap {
        let now = SystemTime::now();
        let epoch = now.duration_since(std::time::UNIX_EPOCH).unwrap().as_secs();
        let mut headers = HeaderMap::new();
        headers.insert("x-rate-limit-limit", HeaderValue::from(limit));
        headers.insert("x-rate-limit-remaining", HeaderValue::from(remaining));
        headers.insert("x-rate-limit-reset", HeaderValue::from(epoch + reset_in));
        headers.insert(
            "date",
            HeaderValue::from_str(&httpdate::fmt_http_date(now)).unwrap(),
        );
        headers
    }

    #[test]
    fn reset_is_measured_against_the_server_date_plus_one_second() {
        let mut headers = HeaderMap::new();
        headers.insert(
            "date",
            HeaderValue::from_static("Mon, 29 Sep 2025 06:24:57 GMT"),
        );
        headers.insert("x-rate-limit-reset", HeaderValue::from_static("1759127105"));
        let now = SystemTime::now();
        // 1759127105 is 06:25:05, 8 s after the server's Date: 9 s from our now whatever our clock says.
        let at = rate_limit_reset(&headers, now, 1.0).unwrap();
        assert_eq!(at.duration_since(now).unwrap(), Duration::from_secs(9));
        headers.append("x-rate-limit-reset", HeaderValue::from_static("1759127100"));
        assert_eq!(
            rate_limit_reset(&headers, now, 1.0)
                .unwrap()
                .duration_since(now)
                .unwrap(),
            Duration::from_secs(9)
        );
        assert!(rate_limit_reset(&HeaderMap::new(), now, 1.0).is_none());
        // Against a simulator whose minute lasts 3 s, the same headers mean 9 s / 20.
        assert_eq!(
            rate_limit_reset(&headers, now, 20.0)
                .unwrap()
                .duration_since(now)
                .unwrap(),
            Duration::from_millis(450)
        );
    }

    #[test]
    fn the_reserve_keeps_the_others_share_of_the_time_left_and_one_request_per_other_caller() {
        let policy = policy_of(80, 5);
        // 20 % of 100 for the others' whole minute, plus one for each of this stack's 4 other callers.
        assert_eq!(policy.reserve(100, Duration::from_secs(60)), 24);
        assert_eq!(policy.reserve(100, Duration::from_secs(90)), 24);
        // Half the minute left: the others may still use half their share at an even pace.
        assert_eq!(policy.reserve(100, Duration::from_secs(30)), 14);
        assert_eq!(policy.reserve(100, Duration::ZERO), 4);
        let all = policy_of(100, 5);
        assert_eq!(all.reserve(100, Duration::from_secs(60)), 4);
    }

    #[test]
    fn a_bucket_is_left_alone_at_its_reserve_until_it_resets() {
        let policy = policy_of(100, 5);
        let pacer = Pacer::default();
        let now = Instant::now();
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, now),
            Duration::ZERO
        );
        pacer.observe(Bucket::Apps, &headers(100, 4, 30), &policy);
        let wait = pacer.wait_before(Bucket::Apps, &policy, Instant::now());
        assert!(
            wait > Duration::from_secs(29) && wait <= Duration::from_secs(31),
            "{wait:?}"
        );
        // Another bucket is not slowed by this one.
        assert_eq!(
            pacer.wait_before(Bucket::Users, &policy, now),
            Duration::ZERO
        );
        // After the reset, requests go again.
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, now + Duration::from_secs(32)),
            Duration::ZERO
        );
    }

    #[test]
    fn an_old_answer_counts_the_others_use_since() {
        let policy = policy_of(50, 1);
        let pacer = Pacer::default();
        // 10 left with 10 s to go; 5 s later the others may have used 50 × 5/60 ≈ 4.2 of it at their even pace,
        // and their reserve for the last 5 s is ⌈4.2⌉ = 5: about 5.8 is left, so one request goes, not five.
        pacer.observe(Bucket::Apps, &headers(100, 10, 9), &policy);
        let later = Instant::now() + Duration::from_secs(5);
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, later),
            Duration::ZERO
        );
        // Then nothing frees the bucket but a new answer or the reset.
        let wait = pacer.wait_before(Bucket::Apps, &policy, later);
        assert!(
            wait > Duration::from_millis(4500) && wait <= Duration::from_millis(5100),
            "{wait:?}"
        );
    }

    #[test]
    fn a_window_that_ended_spent_is_followed_by_one_as_spent_until_it_answers() {
        let policy = policy_of(50, 1);
        let pacer = Pacer::default();
        // 1 left with 10 s to go: the window ends spent.
        pacer.observe(Bucket::Apps, &headers(100, 1, 9), &policy);
        let reset = Instant::now() + Duration::from_secs(10);
        // Early in the next window the even pace has room: the request goes, unanswered as the window is.
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, reset + Duration::from_secs(1)),
            Duration::ZERO
        );
        // Near its end the bucket may be down to the others' reserve: wait for the reset, or an answer.
        let late = reset + Duration::from_secs(55);
        let wait = pacer.wait_before(Bucket::Apps, &policy, late);
        assert!(
            wait > Duration::from_millis(4500) && wait <= Duration::from_millis(5100),
            "{wait:?}"
        );
        // A bucket that ended its window with room to spare is forgotten at the reset.
        pacer.observe(Bucket::Users, &headers(100, 90, 9), &policy);
        assert_eq!(
            pacer.wait_before(Bucket::Users, &policy, late),
            Duration::ZERO
        );
    }

    #[test]
    fn an_idle_view_takes_the_stacks_latest_word() {
        let policy = policy_of(50, 1);
        let pacer = Pacer::default();
        let now = Instant::now();
        // A new process goes on its own: no table read on a cold start.
        assert!(!pacer.needs_news(Bucket::Apps, &policy, now));
        // A quiet bucket (99 of 100 with half the window left: far above the line's 42 and the reserve's 26) is
        // nobody's news, however old the view.
        assert_eq!(
            pacer.observe(Bucket::Apps, &headers(100, 99, 30), &policy),
            None
        );
        let idle = Instant::now() + Duration::from_secs(5);
        assert!(!pacer.needs_news(Bucket::Apps, &policy, idle));
        // A bucket being paced: the answer is news for the others, and this view is fresh for now.
        assert!(
            pacer
                .observe(Bucket::Apps, &headers(100, 40, 30), &policy)
                .is_some()
        );
        assert!(!pacer.needs_news(Bucket::Apps, &policy, Instant::now()));
        // Two seconds idle (more than a second of Okta's clock): the others may have spent the bucket since.
        let later = Instant::now() + Duration::from_secs(2);
        assert!(pacer.needs_news(Bucket::Apps, &policy, later));
        // Another process heard 20 left: the line (about 46 with 28 s to go) is far above; wait for it.
        let system_now = SystemTime::now();
        let heard = Heard {
            limit: 100,
            remaining: 20,
            resets_at: system_now + Duration::from_secs(28),
            heard_at: system_now,
        };
        pacer.hear(Bucket::Apps, Some(heard), &policy, later);
        assert!(!pacer.needs_news(Bucket::Apps, &policy, later));
        assert!(pacer.wait_before(Bucket::Apps, &policy, later) > Duration::from_secs(10));
        // A higher count of the same window is an older word: it changes nothing.
        let older = Heard {
            remaining: 70,
            ..heard
        };
        pacer.hear(Bucket::Apps, Some(older), &policy, later);
        assert!(pacer.wait_before(Bucket::Apps, &policy, later) > Duration::from_secs(10));
        // A later window replaces it (here as if the reset had come 30 s early).
        let next = Heard {
            remaining: 99,
            resets_at: system_now + Duration::from_secs(58),
            ..heard
        };
        pacer.hear(Bucket::Apps, Some(next), &policy, later);
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, later),
            Duration::ZERO
        );
        // Nothing newer in the table: the view is as fresh as anyone's, until it idles again.
        let much_later = later + Duration::from_secs(5);
        assert!(pacer.needs_news(Bucket::Apps, &policy, much_later));
        pacer.hear(Bucket::Apps, None, &policy, much_later);
        assert!(!pacer.needs_news(Bucket::Apps, &policy, much_later));
    }

    #[test]
    fn the_bucket_falls_at_an_even_pace_over_the_window() {
        let policy = policy_of(100, 4);
        let pacer = Pacer::default();
        // 90 left with 40 s to go: the even-pace line, from 100 at the window's start to the 3 kept for the other
        // callers at its reset, is at 3 + 97 × 40/60 ≈ 67.7, and a tenth of the limit (10) may run ahead of it:
        // 33 requests go at once, the next waits for the line.
        pacer.observe(Bucket::Apps, &headers(100, 90, 39), &policy);
        let now = Instant::now();
        for sent in 0..33 {
            assert_eq!(
                pacer.wait_before(Bucket::Apps, &policy, now),
                Duration::ZERO,
                "{sent}"
            );
        }
        let wait = pacer.wait_before(Bucket::Apps, &policy, now);
        // 57 left: the line must fall from 57.7 to 57, 0.4 s at 97 a minute.
        assert!(
            wait > Duration::from_millis(300) && wait <= Duration::from_millis(500),
            "{wait:?}"
        );
        // Then one request every 0.62 s, the line's pace.
        let turn = now + wait + Duration::from_millis(1);
        assert_eq!(
            pacer.wait_before(Bucket::Apps, &policy, turn),
            Duration::ZERO
        );
        let next = pacer.wait_before(Bucket::Apps, &policy, turn);
        assert!(
            next > Duration::from_millis(550) && next <= Duration::from_millis(650),
            "{next:?}"
        );
        // An answer showing others took more moves the wait accordingly.
        pacer.observe(Bucket::Apps, &headers(100, 50, 39), &policy);
        let wait = pacer.wait_before(Bucket::Apps, &policy, Instant::now());
        // 50 against 57.7: 4.8 s for the line to get there.
        assert!(
            wait > Duration::from_millis(4600) && wait <= Duration::from_millis(4900),
            "{wait:?}"
        );
    }

    #[test]
    fn an_invocation_in_a_quiet_org_is_not_slowed() {
        let policy = PacingPolicy::default();
        let pacer = Pacer::default();
        // The first answer of a fresh window of the apps' 100 a minute: the line is still at the limit.
        pacer.observe(Bucket::Apps, &headers(100, 99, 59), &policy);
        let now = Instant::now();
        for sent in 0..9 {
            assert_eq!(
                pacer.wait_before(Bucket::Apps, &policy, now),
                Duration::ZERO,
                "{sent}"
            );
        }
        // Past the burst (a tenth of the limit ahead of the line, which has fallen about 1 by now), the even pace.
        let more = (0..5)
            .take_while(|_| pacer.wait_before(Bucket::Apps, &policy, now).is_zero())
            .count();
        assert!(more <= 2, "{more} more requests went at once");
    }

    #[test]
    fn a_concurrency_429_and_a_stale_answer_do_not_move_the_window() {
        let policy = PacingPolicy::default();
        let pacer = Pacer::default();
        pacer.observe(Bucket::Users, &headers(0, 0, 1), &policy);
        assert_eq!(
            pacer.wait_before(Bucket::Users, &policy, Instant::now()),
            Duration::ZERO
        );
        pacer.observe(Bucket::Users, &headers(10, 1, 30), &policy);
        pacer.observe(Bucket::Users, &headers(10, 5, 30), &policy);
        // The one request left waits for the even-pace line (10 × 31/60 ≈ 5.2, less the burst of 1) to come down
        // to it: 19 s; with the stale 5 it would go at once.
        let wait = pacer.wait_before(Bucket::Users, &policy, Instant::now());
        assert!(
            wait > Duration::from_secs(18) && wait <= Duration::from_secs(20),
            "{wait:?}"
        );
    }

    #[test]
    fn a_time_scaled_clock_shortens_the_wait() {
        let policy = PacingPolicy {
            time_scale: 20.0,
            ..PacingPolicy::default()
        };
        let pacer = Pacer::default();
        pacer.observe(Bucket::Users, &headers(10, 0, 59), &policy);
        let wait = pacer.wait_before(Bucket::Users, &policy, Instant::now());
        // (59 + 1) s of Okta's clock at 20× is 3 s of ours.
        assert!(
            wait > Duration::from_millis(2800) && wait <= Duration::from_secs(3),
            "{wait:?}"
        );
    }
}
