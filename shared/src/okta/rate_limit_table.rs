//! The rate-limit table: what the stack's processes last heard of Okta's budget, in one DynamoDB item per org, so
//! that a process whose own view is old reads the latest word any of them had before it sends.
//!
//! Okta's limits are org-wide, but each Lambda sandbox is a process with its own view (`pacing.rs`). In a bulk run a
//! function has as many warm sandboxes as the run has items at once, and an item's steps take turns on several
//! functions, so each process sends only a few requests a window, each on what it heard seconds before while the
//! others spent the bucket. Every one of them then sent past the reserve kept for the org's other integrations (in
//! `tests/suite/pacing.rs`, 18 processes taking turns refused the other integration about 35 requests in 6 windows).
//!
//! The item: `org` (the org's host and port) and, per bucket, `<bucket>Limit`, `<bucket>Remaining`,
//! `<bucket>ResetsAt` and `<bucket>HeardAt` (milliseconds since the epoch), and `expiresAt` (the table's TTL, in
//! seconds). Every answer is written, conditionally: a later window replaces an earlier one, and within a window
//! only a lower count is taken (the lowest is the latest word). The table holds counts and times, nothing secret.
//! A process that cannot read or write it paces on its own view, as without the table, and logs why (at most once a
//! minute).
//!
//! Whoever can write the table could stall the stack with one item (0 left, a reset in the year 3000), so what is
//! read is bounded by what Okta can say (`bounded`): a reset at most one window ahead of now, a count within the
//! limit, a word heard no later than now; an item Okta could not have sent (a limit of 0) is ignored. A poisoned item
//! thus delays a call by one window at most, and the next real answer overwrites it (`publish`'s condition treats a
//! reset beyond that horizon as no word at all). The template's resource policy lets only the function roles read
//! and write the table.

use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;

use super::pacing::{Bucket, Heard, PacingPolicy};
use crate::error::Result;

/// The setting that names the table.
pub const SETTING: &str = "OKTA_RATE_LIMIT_TABLE";

/// The table `OKTA_RATE_LIMIT_TABLE` names; without it each process paces on its own view.
pub fn table_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    crate::config::table_name_from_lookup(lookup, SETTING)
}

/// After a failed read or write, the table is left alone this long: a table that does not answer must not add its
/// timeout to every Okta call.
const BACK_OFF: Duration = Duration::from_secs(60);
/// An item outlives its last window by this much (DynamoDB deletes expired items within a few days).
const KEEP: Duration = Duration::from_secs(3600);

#[derive(Debug)]
pub struct RateLimitTable {
    client: OnceLock<Client>,
    /// What the client is made from, at its first use: most processes never pace, and a cold start has better
    /// things to do than build a client it may not need.
    aws: aws_config::SdkConfig,
    table: String,
    failed_at: Mutex<Option<Instant>>,
}

impl RateLimitTable {
    /// The table on the process's SDK configuration; its client is made when first needed.
    pub fn from_config(aws: &aws_config::SdkConfig, table: String) -> Self {
        RateLimitTable {
            client: OnceLock::new(),
            aws: aws.clone(),
            table,
            failed_at: Mutex::new(None),
        }
    }

    /// The table's client, with a short timeout: the read is on the way to an Okta call.
    fn client(&self) -> &Client {
        self.client.get_or_init(|| {
            let mut config = aws_sdk_dynamodb::config::Builder::from(&self.aws);
            config.set_timeout_config(Some(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_millis(500))
                    .build(),
            ));
            Client::from_conf(config.build())
        })
    }

    /// Every bucket the stack's processes heard of for `org`, each bounded by what Okta could have said
    /// (`bounded`); `None` when the table cannot be read.
    pub async fn read(&self, org: &str, policy: &PacingPolicy) -> Option<Vec<(Bucket, Heard)>> {
        if self.backing_off() {
            return None;
        }
        let answer = self
            .client()
            .get_item()
            .table_name(&self.table)
            .key("org", AttributeValue::S(org.to_owned()))
            .consistent_read(true)
            .send()
            .await;
        let item = match answer {
            Ok(answer) => answer.item.unwrap_or_default(),
            Err(error) => {
                self.failed("read", error.code());
                return None;
            }
        };
        let number = |name: String| {
            item.get(&name)
                .and_then(|value| value.as_n().ok())
                .and_then(|text| text.parse::<u64>().ok())
        };
        let time = |millis: u64| UNIX_EPOCH + Duration::from_millis(millis);
        let heard = Bucket::ALL
            .into_iter()
            .filter_map(|bucket| {
                let name = bucket.name();
                let heard = Heard {
                    limit: u32::try_from(number(format!("{name}Limit"))?).ok()?,
                    remaining: u32::try_from(number(format!("{name}Remaining"))?).ok()?,
                    resets_at: time(number(format!("{name}ResetsAt"))?),
                    heard_at: time(number(format!("{name}HeardAt"))?),
                };
                Some((bucket, bounded(heard, policy.window(), SystemTime::now())?))
            })
            .collect();
        Some(heard)
    }

    /// Writes what this process heard of `bucket`, unless the item already has a later window or a lower count
    /// (resets closer than `same_window` are one window: `PacingPolicy::same_window`). An item whose reset lies
    /// beyond a window after this answer's, or whose count exceeds its limit, is no word of Okta's: overwritten.
    pub async fn publish(&self, org: &str, bucket: Bucket, heard: Heard, policy: &PacingPolicy) {
        let same_window = policy.same_window();
        if self.backing_off() {
            return;
        }
        let millis = |time: SystemTime| {
            let since = time.duration_since(UNIX_EPOCH).unwrap_or_default();
            AttributeValue::N(since.as_millis().to_string())
        };
        let name = bucket.name();
        let expires = (heard.resets_at + KEEP)
            .duration_since(UNIX_EPOCH)
            .unwrap_or_default()
            .as_secs();
        let written = self
            .client()
            .update_item()
            .table_name(&self.table)
            .key("org", AttributeValue::S(org.to_owned()))
            .update_expression(
                "SET #limit = :limit, #remaining = :remaining, #resets = :resets, #heard = :heard, \
                 expiresAt = :expires",
            )
            .condition_expression(
                "attribute_not_exists(#resets) OR #resets < :earlier \
                 OR (#resets <= :later AND #remaining > :remaining) \
                 OR #resets > :horizon OR #remaining > #limit",
            )
            .expression_attribute_names("#limit", format!("{name}Limit"))
            .expression_attribute_names("#remaining", format!("{name}Remaining"))
            .expression_attribute_names("#resets", format!("{name}ResetsAt"))
            .expression_attribute_names("#heard", format!("{name}HeardAt"))
            .expression_attribute_values(":limit", AttributeValue::N(heard.limit.to_string()))
            .expression_attribute_values(
                ":remaining",
                AttributeValue::N(heard.remaining.to_string()),
            )
            .expression_attribute_values(":resets", millis(heard.resets_at))
            .expression_attribute_values(":heard", millis(heard.heard_at))
            .expression_attribute_values(":earlier", millis(heard.resets_at - same_window))
            .expression_attribute_values(":later", millis(heard.resets_at + same_window))
            // A later window is one window later: a reset beyond that (and its slack) is poison.
            .expression_attribute_values(
                ":horizon",
                millis(
                    heard.heard_at.max(SystemTime::now())
                        + policy.window()
                        + policy.window()
                        + same_window,
                ),
            )
            .expression_attribute_values(":expires", AttributeValue::N(expires.to_string()))
            .send()
            .await;
        match written {
            Ok(_) => {}
            // Another process heard a lower count or a later window first: the item is already the latest word.
            Err(error) if error.code() == Some("ConditionalCheckFailedException") => {}
            Err(error) => self.failed("write", error.code()),
        }
    }

    fn backing_off(&self) -> bool {
        self.failed_at
            .lock()
            .map(|failed_at| failed_at.is_some_and(|at| at.elapsed() < BACK_OFF))
            .unwrap_or(false)
    }

    fn failed(&self, what: &str, code: Option<&str>) {
        if let Ok(mut failed_at) = self.failed_at.lock() {
            *failed_at = Some(Instant::now());
        }
        tracing::warn!(
            table = %self.table,
            error = code.unwrap_or("no answer"),
            "cannot {what} the rate-limit table; pacing on this process's own view for a minute"
        );
    }
}

/// What a table item may say, whoever wrote it: Okta announces a bucket's reset at most one window ahead and a
/// remaining count within its limit, and nobody heard anything in the future. A limit of 0 is no bucket of Okta's.
fn bounded(heard: Heard, window: Duration, now: SystemTime) -> Option<Heard> {
    if heard.limit == 0 {
        return None;
    }
    Some(Heard {
        limit: heard.limit,
        remaining: heard.remaining.min(heard.limit),
        resets_at: heard.resets_at.min(now + window),
        heard_at: heard.heard_at.min(now),
    })
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn what_is_read_is_bounded_by_what_okta_could_say() {
        let now = SystemTime::now();
        let window = Duration::from_secs(60);
        let year_3000 = UNIX_EPOCH + Duration::from_secs(32_503_680_000);
        let poisoned = Heard {
            limit: 600,
            remaining: 0,
            resets_at: year_3000,
            heard_at: year_3000,
        };
        let read = bounded(poisoned, window, now).unwrap();
        assert_eq!(read.resets_at, now + window);
        assert_eq!(read.heard_at, now);
        let inflated = Heard {
            remaining: 5_000,
            resets_at: now + Duration::from_secs(20),
            heard_at: now,
            ..poisoned
        };
        assert_eq!(bounded(inflated, window, now).unwrap().remaining, 600);
        assert_eq!(
            bounded(inflated, window, now).unwrap().resets_at,
            inflated.resets_at
        );
        assert!(
            bounded(
                Heard {
                    limit: 0,
                    ..inflated
                },
                window,
                now
            )
            .is_none()
        );
    }
}
