//! Which failures are worth another try inside this invocation, and how long to wait. The request loop in
//! `client.rs` only asks; every rule lives here.
//!
//! Rules (okta-api-notes.md section 5): a 429 waits until `X-Rate-Limit-Reset`, measured against the response's
//! `Date` (Okta's clock, not ours) plus one second, as Okta's SDKs do. 502/503/504, connect errors, timeouts and
//! dropped connections back off exponentially with full jitter. Both only while the wait ends before the caller's
//! deadline less a margin; past that the error goes back to the caller (Step Functions) to wait instead of the Lambda.
//! A 401 that refuses the credential is sent once more with a renewed token or a re-read secret; Okta's other 401s
//! (a feature the org lacks) are not, since no credential would change their answer.

use std::time::{Duration, Instant};

use reqwest::StatusCode;

use super::pacing::PacingPolicy;
/// The 429 rule's wait is computed where the pacing reads the same headers (`pacing.rs`).
pub use super::pacing::rate_limit_reset;
use crate::error::{Error, ErrorKind};

/// Bounds on in-process retries.
#[derive(Debug, Clone)]
pub struct RetryPolicy {
    /// Attempts in all, the first included.
    pub max_attempts: u32,
    pub base_backoff: Duration,
    pub max_backoff: Duration,
    /// Time kept in hand before the deadline to answer the caller.
    pub deadline_margin: Duration,
    /// Timeout of one HTTP request (shortened to fit the deadline).
    pub request_timeout: Duration,
    /// How much of Okta's rate limits this stack may use (`pacing.rs`).
    pub pacing: PacingPolicy,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 4,
            base_backoff: Duration::from_millis(200),
            max_backoff: Duration::from_secs(5),
            deadline_margin: Duration::from_secs(1),
            request_timeout: Duration::from_secs(10),
            pacing: PacingPolicy::default(),
        }
    }
}

/// Whether a request may be sent again after a failure that may have reached Okta.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Delivery {
    /// Reads and idempotent changes: repeating gives the same state.
    Repeatable,
    /// Its answer carries a one-time secret (activation link, reset link, temporary password): a repeat would
    /// replace the secret or be refused, so only attempts Okta certainly did not process are repeated.
    AtMostOnce,
}

/// A 5xx may come after Okta committed the change (a gateway timing out in front of a slow write).
pub fn status_may_have_committed(status: StatusCode) -> bool {
    status.is_server_error()
}

/// Only a failed connect proves the request never left; a timeout or a dropped connection may come after Okta
/// processed it.
pub fn transport_may_have_committed(error: &reqwest::Error) -> bool {
    !error.is_connect()
}

/// What a failed attempt means.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Failure {
    /// 429: wait for the bucket to reset.
    RateLimited,
    /// 502/503/504, connect error, timeout, dropped connection.
    Transient,
    /// Anything else: retrying would give the same answer.
    Fatal,
}

pub fn classify_status(status: StatusCode) -> Failure {
    match status.as_u16() {
        429 => Failure::RateLimited,
        502..=504 => Failure::Transient,
        _ => Failure::Fatal,
    }
}

/// Whether a failed answer is worth one more try with a renewed access token or a re-read secret: a 401 that
/// refuses the credential itself (its kind, from `errors::kind_of`, is `Okta.Unauthorized`), never another 401.
pub fn renews_credentials(status: StatusCode, error: &Error) -> bool {
    status == StatusCode::UNAUTHORIZED && error.kind == ErrorKind::OktaUnauthorized
}

pub fn classify_transport(error: &reqwest::Error) -> Failure {
    if error.is_timeout() || error.is_connect() || error.is_request() || error.is_body() {
        Failure::Transient
    } else {
        Failure::Fatal
    }
}

impl RetryPolicy {
    /// The backoff before attempt `attempt + 1` (attempt counts from 1): full jitter over an exponential cap.
    pub fn backoff(&self, attempt: u32) -> Duration {
        let exponent = attempt.saturating_sub(1).min(16);
        let cap = self
            .base_backoff
            .saturating_mul(1 << exponent)
            .min(self.max_backoff);
        let millis = u64::try_from(cap.as_millis()).unwrap_or(u64::MAX);
        Duration::from_millis(fastrand::u64(millis / 2..=millis.max(1)))
    }

    /// Whether a wait of `wait` from `now` still leaves the margin before `deadline`.
    pub fn fits(&self, now: Instant, wait: Duration, deadline: Instant) -> bool {
        now + wait + self.deadline_margin < deadline
    }

    /// Whether a wait before sending a request leaves, besides the margin, time for the request itself (as long
    /// again as the margin): a wait that ends just before the margin would send a request bound to time out, and
    /// the invocation would fail `Okta.Transient` when the rate limits were what took its time.
    pub fn fits_before_request(&self, now: Instant, wait: Duration, deadline: Instant) -> bool {
        now + wait + self.deadline_margin * 2 < deadline
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use reqwest::header::{HeaderMap, HeaderValue};

    #[test]
    fn statuses_are_classified_once() {
        let expected = [
            (429, Failure::RateLimited),
            (502, Failure::Transient),
            (503, Failure::Transient),
            (504, Failure::Transient),
            (500, Failure::Fatal),
            (400, Failure::Fatal),
            (401, Failure::Fatal),
            (404, Failure::Fatal),
        ];
        for (status, failure) in expected {
            assert_eq!(
                classify_status(StatusCode::from_u16(status).unwrap()),
                failure,
                "{status}"
            );
        }
    }

    /// (status, errorCode, WWW-Authenticate) → (renew the credential?, error kind).
    #[test]
    fn which_401s_renew_the_credential() {
        use crate::okta::errors::error_from_response;
        let cases = [
            // An unknown, expired or revoked API token or access token.
            (
                401,
                Some("E0000011"),
                None,
                true,
                ErrorKind::OktaUnauthorized,
            ),
            (
                401,
                Some("E0000004"),
                None,
                true,
                ErrorKind::OktaUnauthorized,
            ),
            // An access token refused in OAuth's terms, with or without Okta's body; a DPoP proof refused.
            (
                401,
                Some("E0000011"),
                Some(
                    r#"Bearer error="invalid_token", error_description="The access token is expired.""#,
                ),
                true,
                ErrorKind::OktaUnauthorized,
            ),
            (
                401,
                None,
                Some(
                    r#"DPoP algs="ES256", error="invalid_token", error_description="The access token is invalid.""#,
                ),
                true,
                ErrorKind::OktaUnauthorized,
            ),
            (
                401,
                Some("E0000015"),
                Some(r#"DPoP error="invalid_dpop_proof", error_description="'htu' is invalid.""#),
                true,
                ErrorKind::OktaUnauthorized,
            ),
            // No Okta body at all: nothing says it is anything but the credential.
            (401, None, None, true, ErrorKind::OktaUnauthorized),
            // The org lacks the feature: the credential is fine (okta-sdk-python cassette test_list_user_blocks).
            (
                401,
                Some("E0000015"),
                None,
                false,
                ErrorKind::OktaFeatureUnavailable,
            ),
            (
                401,
                Some("E0000015"),
                Some(r#"Bearer error="insufficient_scope", scope="okta.users.read""#),
                false,
                ErrorKind::OktaFeatureUnavailable,
            ),
            // A 401 code this client does not know is neither renewed nor called a credential problem.
            (
                401,
                Some("E0000999"),
                None,
                false,
                ErrorKind::OktaUnexpectedResponse,
            ),
            // Not 401s.
            (403, Some("E0000006"), None, false, ErrorKind::OktaForbidden),
            (
                403,
                None,
                Some(r#"Bearer error="invalid_token""#),
                false,
                ErrorKind::OktaForbidden,
            ),
        ];
        for (status, code, challenge, renew, kind) in cases {
            let status = StatusCode::from_u16(status).unwrap();
            let mut headers = HeaderMap::new();
            if let Some(challenge) = challenge {
                headers.insert(
                    reqwest::header::WWW_AUTHENTICATE,
                    HeaderValue::from_str(challenge).unwrap(),
                );
            }
            let body = code
                .map(|code| {
                    format!(r#"{{"errorCode":"{code}","errorSummary":"s","errorCauses":[]}}"#)
                })
                .unwrap_or_default();
            let error = error_from_response(status, &headers, body.as_bytes(), None);
            assert_eq!(error.kind, kind, "{status} {code:?} {challenge:?}");
            assert_eq!(
                renews_credentials(status, &error),
                renew,
                "{status} {code:?} {challenge:?}"
            );
        }
    }

    #[test]
    fn backoff_grows_and_stays_capped() {
        let policy = RetryPolicy::default();
        for attempt in 1..20 {
            let wait = policy.backoff(attempt);
            assert!(wait <= policy.max_backoff, "{attempt}: {wait:?}");
        }
        assert!(policy.backoff(1) <= Duration::from_millis(200));
        assert!(policy.backoff(3) >= Duration::from_millis(400));
    }
}
