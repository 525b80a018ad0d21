//! Cursor pagination the way Okta does it: `limit` + opaque `after` cursor, and one `Link` header
//! value per relation (`rel="self"`, `rel="next"`), each an absolute URL on the simulator's own base.

use axum::http::{HeaderValue, header};
use axum::response::{IntoResponse, Response};
use serde_json::Value;

use crate::errors::OktaError;
use crate::util::{b64url_decode, b64url_encode, query_get};

const CURSOR_PREFIX: &str = "oktasim:";

/// The cursor names the creation sequence number of the last item of the previous page; the next
/// page starts after it, so removing items between pages doesn't skip or repeat others.
pub fn encode_cursor(seq: u64) -> String {
    b64url_encode(format!("{CURSOR_PREFIX}{seq}").as_bytes())
}

/// A cursor the simulator didn't make → 400 E0000029 "Invalid paging request." / "Invalid cursor."
/// (observed real behaviour for a forged `after`, notes §4).
pub fn decode_cursor(s: &str) -> Result<u64, OktaError> {
    b64url_decode(s)
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(CURSOR_PREFIX).and_then(|n| n.parse().ok()))
        .ok_or_else(OktaError::invalid_cursor)
}

/// `limit` handling: absent or ≤ 0 → the endpoint's default; above the maximum → the maximum;
/// not a number → 400 E0000001.
pub fn parse_limit(
    pairs: &[(String, String)],
    default: usize,
    max: usize,
) -> Result<usize, OktaError> {
    match query_get(pairs, "limit") {
        None | Some("") => Ok(default),
        Some(s) => {
            let n: i64 = s
                .trim()
                .parse()
                .map_err(|_| OktaError::validation("limit"))?;
            if n <= 0 {
                Ok(default)
            } else {
                Ok(usize::try_from(n).unwrap_or(max).min(max))
            }
        }
    }
}

/// One page of `items` (already in list order, each with its sequence number).
pub struct Page<T> {
    pub items: Vec<T>,
    pub next: Option<u64>,
}

pub fn paginate<T>(
    items: Vec<(u64, T)>,
    pairs: &[(String, String)],
    default: usize,
    max: usize,
) -> Result<(Page<T>, usize), OktaError> {
    let limit = parse_limit(pairs, default, max)?;
    let after = match query_get(pairs, "after") {
        Some(a) if !a.is_empty() => Some(decode_cursor(a)?),
        _ => None,
    };
    let mut rest: Vec<(u64, T)> = items
        .into_iter()
        .filter(|(seq, _)| after.is_none_or(|a| *seq > a))
        .collect();
    let more = rest.len() > limit;
    rest.truncate(limit);
    let next = if more {
        rest.last().map(|(s, _)| *s)
    } else {
        None
    };
    Ok((
        Page {
            items: rest.into_iter().map(|(_, t)| t).collect(),
            next,
        },
        limit,
    ))
}

/// JSON array response with `Link` headers. The links keep the request's other query parameters
/// (`search`, `filter`, ...) so following `next` continues the same query.
pub fn list_response(
    base: &str,
    path: &str,
    pairs: &[(String, String)],
    limit: Option<usize>,
    next: Option<u64>,
    items: Vec<Value>,
) -> Response {
    let build = |after: Option<&str>| {
        let mut ser = url::form_urlencoded::Serializer::new(String::new());
        for (k, v) in pairs.iter().filter(|(k, _)| k != "after" && k != "limit") {
            ser.append_pair(k, v);
        }
        if let Some(l) = limit {
            ser.append_pair("limit", &l.to_string());
        }
        if let Some(a) = after {
            ser.append_pair("after", a);
        }
        let q = ser.finish();
        if q.is_empty() {
            format!("{base}{path}")
        } else {
            format!("{base}{path}?{q}")
        }
    };
    let mut resp = axum::Json(Value::Array(items)).into_response();
    let h = resp.headers_mut();
    if let Ok(v) = HeaderValue::from_str(&format!("<{}>; rel=\"self\"", build(None))) {
        h.append(header::LINK, v);
    }
    if let Some(seq) = next {
        let cursor = encode_cursor(seq);
        if let Ok(v) = HeaderValue::from_str(&format!("<{}>; rel=\"next\"", build(Some(&cursor)))) {
            h.append(header::LINK, v);
        }
    }
    resp
}
