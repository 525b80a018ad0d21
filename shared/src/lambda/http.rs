//! API Gateway answers: 200 with the output, or the error's status with `{error, message, oktaErrorCode?,
//! requestId}`, and `Retry-After` when rate limited. Never the token, never a stack trace.

use aws_lambda_events::apigw::{ApiGatewayProxyResponse, ApiGatewayV2httpResponse};
use aws_lambda_events::encodings::Body;
use aws_lambda_events::http::{HeaderMap, HeaderValue, header};
use serde_json::{Map, Value, json};

use super::caller::CallerKind;
use crate::actions::Output;
use crate::error::Error;

pub fn respond(kind: CallerKind, result: &Result<Output, Error>, request_id: &str) -> Value {
    let (status, body, retry_after) = match result {
        Ok(output) => (
            200,
            serde_json::to_value(output).unwrap_or(Value::Null),
            None,
        ),
        Err(error) => (
            error.kind.http_status(),
            error_body(error, request_id),
            error.retry_after_secs(),
        ),
    };
    let mut headers = HeaderMap::new();
    headers.insert(
        header::CONTENT_TYPE,
        HeaderValue::from_static("application/json"),
    );
    headers.insert(header::CACHE_CONTROL, HeaderValue::from_static("no-store"));
    if let Some(seconds) = retry_after
        && let Ok(value) = HeaderValue::from_str(&seconds.max(1).to_string())
    {
        headers.insert(header::RETRY_AFTER, value);
    }
    let body = Some(Body::Text(body.to_string()));
    // The event types are non-exhaustive: start from their defaults and fill in.
    let response = if kind == CallerKind::ApiGatewayV1 {
        let mut response = ApiGatewayProxyResponse::default();
        response.status_code = i64::from(status);
        response.headers = headers;
        response.body = body;
        serde_json::to_value(response)
    } else {
        let mut response = ApiGatewayV2httpResponse::default();
        response.status_code = i64::from(status);
        response.headers = headers;
        response.body = body;
        serde_json::to_value(response)
    };
    response.unwrap_or_else(|_| json!({"statusCode": 500}))
}

fn error_body(error: &Error, request_id: &str) -> Value {
    let mut body = Map::new();
    body.insert("error".into(), json!(error.kind.name()));
    body.insert("message".into(), json!(error.to_string()));
    if let Some(field) = &error.field {
        body.insert("field".into(), json!(field));
    }
    if let Some(code) = error.okta_code() {
        body.insert("oktaErrorCode".into(), json!(code));
    }
    body.insert("requestId".into(), json!(request_id));
    Value::Object(body)
}
