//! Event times as the ledger keeps them: parsed from what a trusted source sent, refused when in the future, and
//! written in one fixed-width UTC form so that the state machines' string comparison (`StringGreaterThanPath`
//! on `lastEventTime`) orders them as instants.

use jiff::Timestamp;
use jiff::civil::DateTime;
use jiff::tz::TimeZone;

use crate::error::{Error, Result};

/// How far ahead of this function's clock an event time may be: clocks of EventBridge, API Gateway and the HR
/// system differ a little; more than this is a caller's time, not a clock's.
pub const MAX_CLOCK_SKEW_SECS: i64 = 300;

/// `2026-06-01T09:00:00.000Z`: always milliseconds, always `Z`, so text order is time order (years 0000–9999).
pub fn ledger_form(at: Timestamp) -> String {
    format!("{at:.3}")
}

/// An event time as its source sent it: RFC 3339 (`2026-06-01T09:00:00Z`, `…+02:00`), a time without offset
/// (taken as UTC, as the flows documented it), or milliseconds since the epoch (API Gateway's
/// `$context.requestTimeEpoch`).
pub fn parse(field: &str, text: &str) -> Result<Timestamp> {
    let text = text.trim();
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        let millis: i64 = text
            .parse()
            .map_err(|_| Error::input(field, "not a time: too many digits"))?;
        return Timestamp::from_millisecond(millis)
            .map_err(|_| Error::input(field, "not a time: out of range"));
    }
    if let Ok(at) = text.parse::<Timestamp>() {
        return Ok(at);
    }
    text.parse::<DateTime>()
        .ok()
        .and_then(|civil| TimeZone::UTC.to_timestamp(civil).ok())
        .ok_or_else(|| {
            Error::input(
                field,
                "not a time: expected UTC ISO 8601 / RFC 3339, e.g. 2026-06-01T09:00:00Z",
            )
        })
}

/// Refuses a time further in the future than the clock skew allows.
pub fn not_in_future(field: &str, at: Timestamp, now: Timestamp) -> Result<Timestamp> {
    if at.as_second() > now.as_second() + MAX_CLOCK_SKEW_SECS {
        return Err(Error::input(
            field,
            format!(
                "{} is in the future (now {}): an event cannot have happened later than it is received",
                ledger_form(at),
                ledger_form(now)
            ),
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    fn at(text: &str) -> Timestamp {
        text.parse().unwrap_or_else(|e| panic!("{text}: {e}"))
    }

    #[test]
    fn forms_a_source_may_send_are_read_as_instants() {
        let cases = [
            ("2026-06-01T09:00:00Z", "2026-06-01T09:00:00.000Z"),
            ("2026-06-01T11:00:00+02:00", "2026-06-01T09:00:00.000Z"),
            ("2026-06-01T09:00:00", "2026-06-01T09:00:00.000Z"),
            ("2026-06-01T09:00:00.5Z", "2026-06-01T09:00:00.500Z"),
            ("1780304400000", "2026-06-01T09:00:00.000Z"),
        ];
        for (given, ledger) in cases {
            let parsed = parse("eventTime", given).unwrap_or_else(|e| panic!("{given}: {e}"));
            assert_eq!(ledger_form(parsed), ledger, "{given}");
        }
    }

    #[test]
    fn what_is_not_a_time_is_refused_naming_the_field() {
        for given in [
            "",
            "yesterday",
            "2026-13-01T00:00:00Z",
            "99999999999999999999999",
        ] {
            let error = parse("eventTime", given).expect_err(given);
            assert_eq!(error.field.as_deref(), Some("eventTime"), "{given}");
        }
    }

    #[test]
    fn text_order_of_the_ledger_form_is_time_order() {
        // The old string comparison got these wrong: an offset, and fewer fraction digits.
        let earlier = parse("t", "2026-06-01T10:00:00+02:00").unwrap_or_else(|e| panic!("{e}"));
        let later = parse("t", "2026-06-01T09:00:00Z").unwrap_or_else(|e| panic!("{e}"));
        assert!(earlier < later);
        assert!(ledger_form(earlier) < ledger_form(later));
        let a = parse("t", "2026-06-01T09:00:00.9Z").unwrap_or_else(|e| panic!("{e}"));
        let b = parse("t", "2026-06-01T09:00:01Z").unwrap_or_else(|e| panic!("{e}"));
        assert!(ledger_form(a) < ledger_form(b));
    }

    #[test]
    fn the_future_beyond_the_skew_is_refused() {
        let now = at("2026-06-01T09:00:00Z");
        assert!(not_in_future("eventTime", at("2026-06-01T09:04:59Z"), now).is_ok());
        assert!(not_in_future("eventTime", at("2026-06-01T09:05:01Z"), now).is_err());
        let far = not_in_future("eventTime", at("9999-01-01T00:00:00Z"), now);
        assert_eq!(
            far.expect_err("far future").field.as_deref(),
            Some("eventTime")
        );
    }
}
