//! Okta's cursor pagination: follow `Link: <...>; rel="next"` (RFC 8288), looking at every `Link` header value,
//! and never build a cursor by hand (okta-api-notes.md section 6).

use reqwest::header::HeaderMap;
use url::Url;

/// The `rel="next"` target among all `Link` header values, if any.
pub fn next_link(headers: &HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::LINK)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .flat_map(split_links)
        .find_map(|(target, params)| has_rel_next(params).then(|| target.to_owned()))
}

/// Splits one header value into `(target, params)` pairs; a value may hold several comma-separated links.
fn split_links(value: &str) -> Vec<(&str, &str)> {
    let mut links = Vec::new();
    let mut rest = value;
    while let Some(start) = rest.find('<') {
        let Some(end) = rest[start..].find('>') else {
            break;
        };
        let target = &rest[start + 1..start + end];
        let after = &rest[start + end + 1..];
        let params_end = after.find('<').unwrap_or(after.len());
        links.push((target, &after[..params_end]));
        rest = &after[params_end..];
    }
    links
}

fn has_rel_next(params: &str) -> bool {
    params.split(';').any(|param| {
        let Some((key, value)) = param.split_once('=') else {
            return false;
        };
        key.trim().eq_ignore_ascii_case("rel")
            && value
                .trim()
                .trim_end_matches(',')
                .trim_matches('"')
                .split_whitespace()
                .any(|rel| rel.eq_ignore_ascii_case("next"))
    })
}

/// Whether a link may be followed with our token: it must point at the org itself, never elsewhere.
pub fn same_origin(link: &Url, org: &Url) -> bool {
    link.scheme() == org.scheme()
        && link.host() == org.host()
        && link.port_or_known_default() == org.port_or_known_default()
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use reqwest::header::HeaderValue;

    #[test]
    fn finds_next_in_separate_and_combined_header_values() {
        let mut headers = HeaderMap::new();
        headers.append(
            "link",
            HeaderValue::from_static("<https://a.okta.com/api/v1/users?limit=2>; rel=\"self\""),
        );
        headers.append(
            "link",
            HeaderValue::from_static(
                "<https://a.okta.com/api/v1/users?limit=2&after=MDB1%3D>; rel=\"next\"",
            ),
        );
        assert_eq!(
            next_link(&headers).unwrap(),
            "https://a.okta.com/api/v1/users?limit=2&after=MDB1%3D"
        );

        let mut combined = HeaderMap::new();
        combined.insert(
            "link",
            HeaderValue::from_static("<https://a.okta.com/x?after=1>; rel=\"next\", <https://a.okta.com/x>; rel=\"self\""),
        );
        assert_eq!(
            next_link(&combined).unwrap(),
            "https://a.okta.com/x?after=1"
        );

        let mut last_page = HeaderMap::new();
        last_page.insert(
            "link",
            HeaderValue::from_static("<https://a.okta.com/x>; rel=\"self\""),
        );
        assert!(next_link(&last_page).is_none());
    }

    #[test]
    fn links_to_other_hosts_are_not_followed() {
        let org = Url::parse("https://acme.okta.com").unwrap();
        assert!(same_origin(
            &Url::parse("https://acme.okta.com/api/v1/users?after=x").unwrap(),
            &org
        ));
        assert!(!same_origin(
            &Url::parse("https://evil.example/api/v1/users").unwrap(),
            &org
        ));
        assert!(!same_origin(
            &Url::parse("http://acme.okta.com/api/v1/users").unwrap(),
            &org
        ));
    }
}
