//! Rate-limit headroom: what Okta's `X-Rate-Limit-*` headers said of each bucket the doctor's reads fell in. The
//! buckets are `okta::pacing::Bucket::of` of each request, never a list kept here, so they follow the client's
//! table of Okta's limits.

use std::collections::BTreeMap;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use reqwest::Method;
use reqwest::header::HeaderMap;

use super::report::Report;
use crate::okta::pacing::Bucket;

/// Below this share of its limit left, a bucket is reported: the flows would be paced to a crawl, or refused until
/// the reset (the pacing leaves a fifth of each bucket to the org's other integrations by default).
const LOW_SHARE: f64 = 0.2;

/// A bucket as its latest answer described it.
#[derive(Debug, Clone, Copy)]
struct Level {
    limit: u32,
    remaining: u32,
    /// When the window resets, as Okta said (epoch seconds).
    reset: Option<u64>,
}

/// The latest word on each bucket, by the bucket's name.
#[derive(Debug, Default)]
pub struct Headroom {
    buckets: BTreeMap<&'static str, Level>,
}

impl Headroom {
    /// Records the rate-limit headers of an answer to `method path`. A concurrency 429's `X-Rate-Limit-Limit: 0`
    /// says nothing of the bucket and is left out.
    pub fn hear(&mut self, method: &Method, path: &str, headers: &HeaderMap) {
        let number = |name: &str| {
            headers
                .get(name)
                .and_then(|value| value.to_str().ok())
                .and_then(|value| value.split(',').next())
                .and_then(|value| value.trim().parse::<u64>().ok())
        };
        let (Some(limit), Some(remaining)) = (
            number("x-rate-limit-limit"),
            number("x-rate-limit-remaining"),
        ) else {
            return;
        };
        if limit == 0 {
            return;
        }
        let level = Level {
            limit: u32::try_from(limit).unwrap_or(u32::MAX),
            remaining: u32::try_from(remaining).unwrap_or(u32::MAX),
            reset: number("x-rate-limit-reset"),
        };
        self.buckets.insert(Bucket::of(method, path).name(), level);
    }

    /// One item per bucket heard: OK with what is left, or a fix when less than a fifth is.
    pub fn report(&self, report: &mut Report) {
        if self.buckets.is_empty() {
            report.skip(
                "rate-limit headroom",
                "no answer carried X-Rate-Limit headers",
            );
            return;
        }
        let now = SystemTime::now()
            .duration_since(UNIX_EPOCH)
            .unwrap_or(Duration::ZERO)
            .as_secs();
        for (name, level) in &self.buckets {
            let item = format!("rate-limit headroom, bucket {name}");
            let resets = level
                .reset
                .map(|reset| format!(" (resets in {} s)", reset.saturating_sub(now)))
                .unwrap_or_default();
            let left = format!(
                "{} of {} requests left in this minute's window{resets}",
                level.remaining, level.limit
            );
            if f64::from(level.remaining) < f64::from(level.limit) * LOW_SHARE {
                report.fix(
                    item,
                    format!(
                        "only {left}: another integration (or a run of this stack) is spending this bucket; flows \
                         started now are paced or refused with Okta.RateLimited until the reset. Wait for it, find the \
                         caller in the System Log (rate limit events), or ask Okta for a higher limit"
                    ),
                );
            } else {
                report.ok(item, left);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::doctor::report::Verdict;

    fn headers(limit: &str, remaining: &str) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for (name, value) in [
            ("x-rate-limit-limit", limit),
            ("x-rate-limit-remaining", remaining),
            ("x-rate-limit-reset", "4102444800"),
        ] {
            if let Ok(value) = value.parse() {
                headers.insert(name, value);
            }
        }
        headers
    }

    #[test]
    fn a_bucket_with_less_than_a_fifth_left_is_to_fix_and_a_concurrency_answer_is_ignored() {
        let mut headroom = Headroom::default();
        headroom.hear(&Method::GET, "/api/v1/groups", &headers("500", "480"));
        headroom.hear(&Method::GET, "/api/v1/apps", &headers("100", "19"));
        headroom.hear(&Method::GET, "/api/v1/users", &headers("0", "0"));
        let mut report = Report::default();
        headroom.report(&mut report);
        assert_eq!(report.checks.len(), 2, "{report}");
        let apps = Bucket::of(&Method::GET, "/api/v1/apps").name();
        let groups = Bucket::of(&Method::GET, "/api/v1/groups").name();
        assert!(matches!(
            report.get(&format!("rate-limit headroom, bucket {apps}")),
            Some(Verdict::Fix(detail)) if detail.contains("19 of 100")
        ));
        assert!(matches!(
            report.get(&format!("rate-limit headroom, bucket {groups}")),
            Some(Verdict::Ok(detail)) if detail.starts_with("480 of 500")
        ));
    }
}
