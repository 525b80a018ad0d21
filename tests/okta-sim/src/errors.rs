//! Okta's error object (`{errorCode, errorSummary, errorLink, errorId, errorCauses}`) and the codes the
//! simulator answers with. Codes, HTTP statuses and summaries follow Okta's published error-code table
//! (notes §4); only `errorCode` is meant for flow control, summaries are best effort.

use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use serde_json::json;

use crate::util::random_alnum;

#[derive(Debug, Clone)]
pub struct OktaError {
    pub status: StatusCode,
    pub code: &'static str,
    pub summary: String,
    pub causes: Vec<String>,
}

pub type ApiResult = Result<Response, OktaError>;

impl OktaError {
    pub fn new(status: u16, code: &'static str, summary: impl Into<String>) -> Self {
        OktaError {
            status: StatusCode::from_u16(status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
            code,
            summary: summary.into(),
            causes: Vec::new(),
        }
    }

    pub fn cause(mut self, cause: impl Into<String>) -> Self {
        self.causes.push(cause.into());
        self
    }

    /// E0000007 with the exact summary Okta uses: `Not found: Resource not found: {id} (User)`.
    pub fn not_found(id: &str, kind: &str) -> Self {
        Self::new(
            404,
            "E0000007",
            format!("Not found: Resource not found: {id} ({kind})"),
        )
    }

    pub fn validation(what: &str) -> Self {
        Self::new(400, "E0000001", format!("Api validation failed: {what}"))
    }

    pub fn access_denied() -> Self {
        Self::new(
            403,
            "E0000006",
            "You do not have permission to perform the requested action",
        )
    }

    pub fn method_not_allowed() -> Self {
        Self::new(
            405,
            "E0000022",
            "The endpoint does not support the provided HTTP method",
        )
    }

    pub fn invalid_token() -> Self {
        Self::new(401, "E0000011", "Invalid token provided")
    }

    /// ERRCODES E0000015 "Feature not enabled exception", a 401 without a `WWW-Authenticate` challenge, as recorded
    /// for `GET /api/v1/users/{id}/blocks` in an org without the feature (okta/okta-sdk-python
    /// `tests/integration/cassettes/test_users_it/TestUsersResource.test_list_user_blocks.yaml`, commit
    /// 780ecaa88f4c78a5009bd92fa467e04c3705c373).
    pub fn feature_not_enabled() -> Self {
        Self::new(
            401,
            "E0000015",
            "You do not have permission to access the feature you are requesting",
        )
    }

    pub fn invalid_search() -> Self {
        Self::new(400, "E0000031", "Invalid search criteria.")
    }

    pub fn invalid_cursor() -> Self {
        Self::new(400, "E0000029", "Invalid paging request.").cause("Invalid cursor.")
    }

    pub fn malformed_body() -> Self {
        Self::new(400, "E0000003", "The request body was not well-formed.")
    }

    pub fn missing_param(name: &str) -> Self {
        Self::new(
            400,
            "E0000028",
            "The request is missing a required parameter.",
        )
        .cause(format!("{name}: The parameter is required."))
    }

    pub fn not_allowed_in_status() -> Self {
        Self::new(
            403,
            "E0000038",
            "This operation is not allowed in the user's current status.",
        )
    }

    pub fn rate_limited() -> Self {
        Self::new(
            429,
            "E0000047",
            "API call exceeded rate limit due to too many requests.",
        )
    }

    /// The error Okta would send for an injected status (a fault): the matching code from the
    /// error-code table, or E0000009 for anything without a dedicated code.
    pub fn for_status(status: u16) -> Self {
        match status {
            400 => Self::validation("request"),
            401 => Self::invalid_token(),
            403 => Self::access_denied(),
            404 => Self::new(404, "E0000007", "Not found: Resource not found"),
            405 => Self::method_not_allowed(),
            429 => Self::rate_limited(),
            503 => Self::new(503, "E0000010", "Service is in read only mode"),
            _ => Self::new(status, "E0000009", "Internal Server Error"),
        }
    }

    pub fn body(&self) -> serde_json::Value {
        let causes: Vec<_> = self
            .causes
            .iter()
            .map(|c| json!({ "errorSummary": c }))
            .collect();
        json!({
            "errorCode": self.code,
            "errorSummary": self.summary,
            "errorLink": self.code,
            "errorId": format!("oae{}", random_alnum(22)),
            "errorCauses": causes,
        })
    }
}

impl IntoResponse for OktaError {
    fn into_response(self) -> Response {
        let mut resp = (self.status, axum::Json(self.body())).into_response();
        resp.headers_mut().insert(
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/json"),
        );
        resp
    }
}
