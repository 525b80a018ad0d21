//! Okta's error responses, mapped once to the project's error kinds (okta-api-notes.md section 4).
//! Branch on `errorCode`, never on `errorSummary`; tolerate empty and non-JSON bodies.

use reqwest::StatusCode;
use reqwest::header::HeaderMap;
use serde::Deserialize;

use crate::error::{Error, ErrorKind, OktaErrorBody};

#[derive(Deserialize, Default)]
#[serde(rename_all = "camelCase")]
struct RawError {
    error_code: Option<String>,
    error_summary: Option<String>,
    error_id: Option<String>,
    #[serde(default)]
    error_causes: Vec<RawCause>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawCause {
    error_summary: Option<String>,
}

/// Parses an error body; `None` when it is empty or not Okta's error object.
pub fn parse_error_body(bytes: &[u8]) -> Option<OktaErrorBody> {
    let raw: RawError = serde_json::from_slice(bytes).ok()?;
    if raw.error_code.is_none() && raw.error_summary.is_none() {
        return None;
    }
    Some(OktaErrorBody {
        error_code: raw.error_code,
        error_summary: raw.error_summary,
        error_id: raw.error_id,
        error_causes: raw
            .error_causes
            .into_iter()
            .filter_map(|cause| cause.error_summary)
            .collect(),
    })
}

/// Codes of a 401 that refuse the credential itself (ERRCODES, okta-api-notes.md section 4): E0000011 "Invalid token
/// provided" (an unknown, expired or revoked API token or access token; spec `ErrorInvalidToken401`) and E0000004
/// "Authentication failed". Okta's other 401s do not: E0000015 "Feature not enabled exception" answers a call to a
/// feature the org or the token's admin lacks (recorded: `GET /api/v1/users/{id}/blocks`, okta/okta-sdk-python
/// `tests/integration/cassettes/test_users_it/TestUsersResource.test_list_user_blocks.yaml` at
/// 780ecaa88f4c78a5009bd92fa467e04c3705c373: 401, that body and no `WWW-Authenticate`; okta/okta-sdk-java
/// `AuthenticatorsIT`: "HTTP 401, Okta E0000015" for a token of an admin below org admin), and E0000064/E0000207
/// belong to sign-in, not to the management API.
const CREDENTIAL_CODES: [&str; 2] = ["E0000011", "E0000004"];

/// The `error` of an OAuth challenge that refuses the access token or its DPoP proof (RFC 6750 section 3.1,
/// RFC 9449 section 7.1): a new token (with a new proof) is the cure.
const CREDENTIAL_CHALLENGES: [&str; 2] = ["invalid_token", "invalid_dpop_proof"];

/// Whether a 401 refuses the credential (a token to renew, a secret to read again) rather than something no
/// credential changes. A 401 without Okta's error object (a gateway's page, an OAuth challenge alone) is taken as a
/// refusal: nothing else says what it is.
pub fn refuses_credentials(code: Option<&str>, headers: &HeaderMap) -> bool {
    let challenged = headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .filter_map(|challenge| challenge_param(challenge, "error"))
        .any(|error| CREDENTIAL_CHALLENGES.contains(&error.as_str()));
    challenged || code.is_none_or(|code| CREDENTIAL_CODES.contains(&code))
}

/// The kind of an Okta error: by code where Okta gives one, by status otherwise; a 401 also by its
/// `WWW-Authenticate` challenge (`refuses_credentials`).
pub fn kind_of(status: StatusCode, code: Option<&str>, headers: &HeaderMap) -> ErrorKind {
    match (status.as_u16(), code) {
        (401, _) if refuses_credentials(code, headers) => ErrorKind::OktaUnauthorized,
        (401, Some("E0000015")) => ErrorKind::OktaFeatureUnavailable,
        // A 401 code this client does not know: not a credential problem, and not one to guess at.
        (401, _) => ErrorKind::OktaUnexpectedResponse,
        (403, Some("E0000006") | None) => ErrorKind::OktaForbidden,
        // Preconditions: already active (E0000016), reset refused (E0000017), not locked out (E0000032), wrong status
        // (E0000038), group-granted app (E0000046), inactive user (E0000117), profile mastered elsewhere (E0000023).
        (403, Some(_)) => ErrorKind::OktaNotApplicable,
        (404 | 410, _) => ErrorKind::OktaNotFound,
        // Still being activated: the same call works in a few minutes.
        (409, Some("E0000112")) => ErrorKind::OktaTransient,
        (409, _) => ErrorKind::OktaNotApplicable,
        (423, _) => ErrorKind::OktaNotApplicable,
        (400 | 422, _) => ErrorKind::OktaRejected,
        (429, _) => ErrorKind::OktaRateLimited,
        (500..=599, _) => ErrorKind::OktaTransient,
        _ => ErrorKind::OktaUnexpectedResponse,
    }
}

/// The scope named by a `WWW-Authenticate: Bearer ... error="insufficient_scope", scope="okta.groups.read"` challenge,
/// which is all Okta sends (no body) when an access token lacks a scope (okta-api-notes.md section 7.2).
pub fn insufficient_scope(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|challenge| challenge.contains("insufficient_scope"))
        .map(|challenge| {
            challenge_param(challenge, "scope").unwrap_or_else(|| "(not named)".to_owned())
        })
}

/// The `error_description` of a `WWW-Authenticate: DPoP ... error="invalid_dpop_proof"` challenge: Okta refused the
/// request's DPoP proof (`400`, the challenge alone; recorded in okta-sdk-nodejs issue #453 and
/// terraform-provider-okta issue #2392). Nothing the caller sent is wrong, so it is not `Okta.Rejected`.
pub fn dpop_proof_refused(headers: &reqwest::header::HeaderMap) -> Option<String> {
    headers
        .get_all(reqwest::header::WWW_AUTHENTICATE)
        .iter()
        .filter_map(|value| value.to_str().ok())
        .find(|challenge| {
            challenge_param(challenge, "error").as_deref() == Some("invalid_dpop_proof")
        })
        .map(|challenge| {
            challenge_param(challenge, "error_description")
                .unwrap_or_else(|| "(no description)".to_owned())
        })
}

/// One `name="value"` parameter of an authentication challenge.
fn challenge_param(challenge: &str, name: &str) -> Option<String> {
    let mut rest = challenge;
    while let Some(at) = rest.find(name) {
        let before = rest[..at].chars().last();
        let after = &rest[at + name.len()..];
        if matches!(before, None | Some(' ' | ','))
            && let Some(value) = after.trim_start().strip_prefix('=')
        {
            let value = value.trim_start();
            return Some(match value.strip_prefix('"') {
                Some(quoted) => quoted.split('"').next().unwrap_or_default().to_owned(),
                None => value
                    .split([',', ' '])
                    .next()
                    .unwrap_or_default()
                    .to_owned(),
            });
        }
        rest = after;
    }
    None
}

/// The project error for a failed Okta response.
pub fn error_from_response(
    status: StatusCode,
    headers: &HeaderMap,
    bytes: &[u8],
    request_id: Option<String>,
) -> Error {
    let body = parse_error_body(bytes);
    let code = body.as_ref().and_then(|body| body.error_code.as_deref());
    let kind = kind_of(status, code, headers);
    let mut message = match body.as_ref().and_then(|body| body.error_summary.as_deref()) {
        Some(summary) => format!("Okta answered {}: {summary}", status.as_u16()),
        None => format!(
            "Okta answered {} {}",
            status.as_u16(),
            status.canonical_reason().unwrap_or("")
        ),
    };
    if let Some(causes) = body
        .as_ref()
        .map(|body| &body.error_causes)
        .filter(|causes| !causes.is_empty())
    {
        message.push_str(&format!(" ({})", causes.join("; ")));
    }
    let mut error = Error::new(kind, message.trim_end().to_owned());
    error.okta = body.map(Box::new);
    error.okta_request_id = request_id;
    error
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn parses_okta_error_objects_and_tolerates_others() {
        let body = br#"{"errorCode":"E0000032","errorSummary":"Unlock is not allowed for this user.","errorLink":"E0000032","errorId":"oae1","errorCauses":[{"errorSummary":"The user is not locked out."}]}"#;
        let error = error_from_response(
            StatusCode::FORBIDDEN,
            &HeaderMap::new(),
            body,
            Some("req1".into()),
        );
        assert_eq!(error.kind, ErrorKind::OktaNotApplicable);
        assert_eq!(error.okta_code(), Some("E0000032"));
        assert!(error.message.contains("The user is not locked out."));
        assert_eq!(error.okta_request_id.as_deref(), Some("req1"));

        for empty in [
            &b""[..],
            b"<html>nope</html>",
            br#"{"status":404,"message":"Resource not found"}"#,
        ] {
            let error = error_from_response(StatusCode::NOT_FOUND, &HeaderMap::new(), empty, None);
            assert_eq!(error.kind, ErrorKind::OktaNotFound);
            assert!(error.okta.is_none());
        }
        let error = error_from_response(StatusCode::FORBIDDEN, &HeaderMap::new(), b"", None);
        assert_eq!(error.kind, ErrorKind::OktaForbidden);
    }

    #[test]
    fn insufficient_scope_names_the_scope() {
        let mut headers = reqwest::header::HeaderMap::new();
        headers.insert(
            reqwest::header::WWW_AUTHENTICATE,
            reqwest::header::HeaderValue::from_static(
                r#"Bearer authorization_uri="http://x/oauth2/v1/authorize", realm="http://x", scope="okta.groups.read", error="insufficient_scope", error_description="The access token provided does not contain the required scopes.", resource="/api/v1/groups/1""#,
            ),
        );
        assert_eq!(
            insufficient_scope(&headers).as_deref(),
            Some("okta.groups.read")
        );
        headers.insert(
            reqwest::header::WWW_AUTHENTICATE,
            reqwest::header::HeaderValue::from_static(r#"Bearer error="invalid_token""#),
        );
        assert_eq!(insufficient_scope(&headers), None);
    }

    #[test]
    fn status_and_code_matrix() {
        let cases = [
            (400, Some("E0000001"), ErrorKind::OktaRejected),
            (401, Some("E0000011"), ErrorKind::OktaUnauthorized),
            (401, Some("E0000015"), ErrorKind::OktaFeatureUnavailable),
            (403, Some("E0000006"), ErrorKind::OktaForbidden),
            (403, Some("E0000016"), ErrorKind::OktaNotApplicable),
            (403, Some("E0000046"), ErrorKind::OktaNotApplicable),
            (404, Some("E0000007"), ErrorKind::OktaNotFound),
            (409, Some("E0000112"), ErrorKind::OktaTransient),
            (409, Some("E0000062"), ErrorKind::OktaNotApplicable),
            (429, Some("E0000047"), ErrorKind::OktaRateLimited),
            (500, Some("E0000009"), ErrorKind::OktaTransient),
            (503, None, ErrorKind::OktaTransient),
            (411, None, ErrorKind::OktaUnexpectedResponse),
        ];
        for (status, code, kind) in cases {
            assert_eq!(
                kind_of(
                    StatusCode::from_u16(status).unwrap(),
                    code,
                    &HeaderMap::new()
                ),
                kind,
                "{status} {code:?}"
            );
        }
    }
}
