//! The Okta Management API: one client, one file per resource, one for errors, pagination and retries.

pub mod apps;
pub mod buckets;
pub mod client;
pub mod devices;
pub mod errors;
pub mod factors;
pub mod group_owners;
pub mod groups;
pub mod linked_objects;
pub mod memo;
pub mod models;
pub mod oauth;
pub mod pacing;
pub mod pagination;
pub mod rate_limit_table;
pub mod retry;
pub mod roles;
pub mod rule_cache;
pub mod rules;
pub mod tls;
pub mod user_grants;
pub mod users;

pub use client::{OktaClient, Response, Session};

use percent_encoding::{AsciiSet, NON_ALPHANUMERIC, utf8_percent_encode};

/// Everything but RFC 3986 unreserved characters is encoded in a path segment, so that `@ + # ? % & /` and
/// non-ASCII logins reach Okta intact (okta-api-notes.md section 3.1).
const SEGMENT: &AsciiSet = &NON_ALPHANUMERIC
    .remove(b'-')
    .remove(b'.')
    .remove(b'_')
    .remove(b'~');

/// `work`'s result, computed on a blocking thread so that the runtime's thread goes on meanwhile (the cold start's
/// heavy CPU work: the DPoP key); on the calling thread should the blocking pool fail it.
pub(crate) async fn off_the_runtime_thread<T: Send + 'static>(work: fn() -> T) -> T {
    tokio::task::spawn_blocking(work)
        .await
        .unwrap_or_else(|_| work())
}

/// One percent-encoded path segment.
pub fn segment(value: &str) -> String {
    utf8_percent_encode(value, SEGMENT).to_string()
}

/// Whether a reference can be read by path at all: URL parsers resolve the dot segments `.` and `..` (also
/// percent-encoded, as WHATWG URL does), so `/api/v1/users/..` would be a request for `/api/v1/`.
pub fn is_path_segment(value: &str) -> bool {
    !matches!(value, "" | "." | "..")
}

/// A string literal for Okta's `search` expressions: double-quoted, with `"` and `\` escaped.
pub fn search_literal(value: &str) -> String {
    let mut quoted = String::with_capacity(value.len() + 2);
    quoted.push('"');
    for c in value.chars() {
        if c == '"' || c == '\\' {
            quoted.push('\\');
        }
        quoted.push(c);
    }
    quoted.push('"');
    quoted
}

/// Whether `reference` has the shape of an Okta id of one type: its three-character prefix (`00g` groups, `0oa`
/// apps) and 17 more letters and digits.
pub(crate) fn looks_like_id(reference: &str, prefix: &str) -> bool {
    reference.len() == 20
        && reference.starts_with(prefix)
        && reference.chars().all(|c| c.is_ascii_alphanumeric())
}

/// The one item whose name is exactly `reference`: same case first, then ignoring case (Okta's `eq` and `q` do).
/// None is `Okta.NotFound`; several are `Okta.Ambiguous`, listing them. Never a prefix match.
pub(crate) fn exactly_named<T: Clone>(
    items: &[T],
    reference: &str,
    name: impl Fn(&T) -> &str,
    describe: impl Fn(&T) -> String,
    kind: &str,
) -> crate::error::Result<T> {
    use crate::error::{Error, ErrorKind};
    let exact: Vec<&T> = items
        .iter()
        .filter(|item| name(item) == reference)
        .collect();
    let candidates: Vec<&T> = if exact.is_empty() {
        items
            .iter()
            .filter(|item| name(item).eq_ignore_ascii_case(reference))
            .collect()
    } else {
        exact
    };
    match candidates.as_slice() {
        [item] => Ok((*item).clone()),
        [] => Err(Error::new(
            ErrorKind::OktaNotFound,
            format!("no Okta {kind} has the id or name {reference:?}"),
        )),
        many => Err(Error::new(
            ErrorKind::OktaAmbiguous,
            format!(
                "{} {kind}s are named {reference:?}: {}; give the {kind}'s id",
                many.len(),
                many.iter()
                    .map(|item| describe(item))
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn segments_encode_reserved_and_unicode_characters() {
        assert_eq!(segment("a+b@x.com"), "a%2Bb%40x.com");
        assert_eq!(segment("we#ird?&%/"), "we%23ird%3F%26%25%2F");
        assert_eq!(segment("zoë"), "zo%C3%AB");
        assert!(!is_path_segment("..") && !is_path_segment(".") && is_path_segment("..."));
        assert_eq!(search_literal(r#"a"b\c"#), r#""a\"b\\c""#);
    }
}
