//! Who called, and the action input they meant. One function serves three callers:
//! - Step Functions, EventBridge Scheduler and direct invokes send the plain JSON input;
//! - API Gateway (HTTP API payload 2.0, REST API 1.0) sends a proxy event: path parameters, query string and JSON
//!   body merge into the same input, and the answer must be an HTTP response;
//! - EventBridge rules send an event whose `detail` is the input.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use base64::Engine;
use serde_json::{Map, Value};

use super::event::{Event, parse_json};
use crate::actions::input::value_from_text;
use crate::error::{Error, Result};
/// Decided here, judged by the guardrails (`guard/caller_kind.rs`).
pub use crate::guard::CallerKind;

/// An invocation, understood.
#[derive(Debug)]
pub struct Call {
    pub kind: CallerKind,
    /// Who asked, from what the caller cannot forge: API Gateway's authorizer context (IAM ARN, or JWT subject and
    /// client id). Only HTTP callers have one; Lambda invokes are attributed by CloudTrail.
    pub principal: Option<String>,
    /// EventBridge rule events: the event's source and resource, as the event states them.
    pub source: Option<String>,
    /// API Gateway events: the API the event says it came through (`requestContext.apiId`), which must be this
    /// stack's (`guard::check_origin`).
    pub api_id: Option<String>,
    /// The action input, or why it could not be formed.
    pub input: Result<Value>,
}

/// Recognises the event's shape. Anything that is not an API Gateway or EventBridge envelope is a plain input; a
/// payload that is no usable JSON value cannot say who sent it, and is answered as a plain input's error.
pub fn recognise(event: impl Into<Event>) -> Call {
    match event.into().into_value() {
        Ok(event) => recognise_value(event),
        Err(error) => Call {
            kind: CallerKind::Direct,
            principal: None,
            source: None,
            api_id: None,
            input: Err(error),
        },
    }
}

fn recognise_value(event: Value) -> Call {
    let is_object_with = |keys: &[&str]| keys.iter().all(|key| event.get(*key).is_some());
    if is_object_with(&["requestContext", "routeKey"])
        && event.get("version").and_then(Value::as_str) == Some("2.0")
    {
        return api_gateway_v2(event);
    }
    if is_object_with(&["requestContext", "httpMethod", "resource"]) {
        return api_gateway_v1(event);
    }
    if is_object_with(&["detail-type", "source", "detail"]) {
        return eventbridge(event);
    }
    let execution = event
        .get("executionId")
        .and_then(Value::as_str)
        .map(str::to_owned);
    let kind = match execution.as_deref() {
        Some(id)
            if id.starts_with("arn:aws:states:") || id.starts_with("arn:aws-us-gov:states:") =>
        {
            CallerKind::StepFunctions
        }
        Some(id) if id.contains(":scheduler:") => CallerKind::EventBridge,
        _ => CallerKind::Direct,
    };
    Call {
        kind,
        principal: None,
        source: None,
        api_id: None,
        input: Ok(event),
    }
}

fn pointer_str(event: &Value, pointer: &str) -> Option<String> {
    event
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

/// A JWT caller: its subject and the client it was issued to (`client_id`, or `cid` in Okta's access tokens),
/// both verified by API Gateway's authorizer before the function runs.
fn jwt_principal(event: &Value, claims: &str) -> Option<String> {
    let sub = pointer_str(event, &format!("{claims}/sub"))?;
    let client = pointer_str(event, &format!("{claims}/client_id"))
        .or_else(|| pointer_str(event, &format!("{claims}/cid")));
    Some(match client {
        Some(client) => format!("jwt sub={sub} client_id={client}"),
        None => format!("jwt sub={sub}"),
    })
}

fn api_gateway_v2(event: Value) -> Call {
    let api_id = pointer_str(&event, "/requestContext/apiId");
    let principal = pointer_str(&event, "/requestContext/authorizer/iam/userArn")
        .or_else(|| jwt_principal(&event, "/requestContext/authorizer/jwt/claims"));
    let input = serde_json::from_value::<ApiGatewayV2httpRequest>(event)
        .map_err(|_| Error::input("event", "is not a valid API Gateway HTTP API (2.0) event"))
        .and_then(|request| {
            merge_request(
                &request.path_parameters,
                request.query_string_parameters.iter(),
                request.body.as_deref(),
                request.is_base64_encoded,
            )
        });
    Call {
        kind: CallerKind::ApiGatewayV2,
        principal,
        source: None,
        api_id,
        input,
    }
}

fn api_gateway_v1(event: Value) -> Call {
    let api_id = pointer_str(&event, "/requestContext/apiId");
    let principal = pointer_str(&event, "/requestContext/identity/userArn")
        .or_else(|| jwt_principal(&event, "/requestContext/authorizer/claims"))
        .or_else(|| pointer_str(&event, "/requestContext/authorizer/principalId"));
    let input = serde_json::from_value::<ApiGatewayProxyRequest>(event)
        .map_err(|_| Error::input("event", "is not a valid API Gateway REST API (1.0) event"))
        .and_then(|request| {
            merge_request(
                &request.path_parameters,
                request.query_string_parameters.iter(),
                request.body.as_deref(),
                request.is_base64_encoded,
            )
        });
    Call {
        kind: CallerKind::ApiGatewayV1,
        principal,
        source: None,
        api_id,
        input,
    }
}

fn eventbridge(event: Value) -> Call {
    match serde_json::from_value::<EventBridgeEvent<Value>>(event) {
        Ok(event) => {
            let resource = event
                .resources
                .as_ref()
                .and_then(|resources| resources.first())
                .cloned();
            let source = Some(match resource {
                Some(resource) => format!("{} via {resource}", event.source),
                None => event.source.clone(),
            });
            Call {
                kind: CallerKind::EventBridge,
                principal: None,
                source,
                api_id: None,
                input: Ok(event.detail),
            }
        }
        Err(_) => Call {
            kind: CallerKind::EventBridge,
            principal: None,
            source: None,
            api_id: None,
            input: Err(Error::input("event", "is not a valid EventBridge event")),
        },
    }
}

/// `merge` for an API Gateway request, whichever version's query map it has.
fn merge_request<'q>(
    path: &std::collections::HashMap<String, String>,
    query: impl Iterator<Item = (&'q str, &'q str)>,
    body: Option<&str>,
    base64_body: bool,
) -> Result<Value> {
    let query: Vec<(String, String)> = query
        .map(|(key, value)| (key.to_owned(), value.to_owned()))
        .collect();
    merge(path, &query, body, base64_body)
}

/// Merges an HTTP request into one input: the JSON body, then query parameters, then path parameters. A field
/// given twice with different values is an error rather than a silent choice.
fn merge(
    path: &std::collections::HashMap<String, String>,
    query: &[(String, String)],
    body: Option<&str>,
    base64_body: bool,
) -> Result<Value> {
    let mut input = match body.map(str::trim).filter(|body| !body.is_empty()) {
        None => Map::new(),
        Some(body) => {
            let bytes = if base64_body {
                base64::engine::general_purpose::STANDARD
                    .decode(body)
                    .map_err(|_| Error::input("body", "is not valid base64"))?
            } else {
                body.as_bytes().to_vec()
            };
            match parse_json(&bytes, "body")? {
                Value::Object(object) => object,
                _ => return Err(Error::input("body", "must be a JSON object")),
            }
        }
    };
    // A repeated query parameter (`?include=groups&include=apps`, or HTTP API's comma-joined form) is one list.
    let mut pairs: Vec<(String, String)> = Vec::new();
    for (key, value) in query {
        match pairs.iter_mut().find(|(name, _)| name == key) {
            Some((_, joined)) => {
                joined.push(',');
                joined.push_str(value);
            }
            None => pairs.push((key.clone(), value.clone())),
        }
    }
    pairs.extend(path.iter().map(|(key, value)| (key.clone(), value.clone())));
    for (name, text) in pairs {
        let value = value_from_text(&name, &text)?;
        match input.get(&name) {
            Some(existing) if *existing != value => {
                return Err(Error::input(
                    &name,
                    "is given twice with different values (path, query or body)",
                ));
            }
            _ => {
                input.insert(name, value);
            }
        }
    }
    Ok(Value::Object(input))
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn plain_inputs_and_step_functions() {
        let call = recognise(
            json!({"user": "a", "executionId": "arn:aws:states:us-east-1:1:execution:x:y"}),
        );
        assert_eq!(call.kind, CallerKind::StepFunctions);
        // A plain input's claims are not a principal: only API Gateway's authorizer vouches for one.
        assert_eq!(call.principal, None);
        assert_eq!(recognise(json!({"user": "a"})).kind, CallerKind::Direct);
    }

    #[test]
    fn a_jwt_principal_is_its_subject_and_client() {
        let event = json!({"requestContext": {"authorizer": {"jwt": {"claims": {"sub": "00u1", "cid": "0oa9"}}}}});
        assert_eq!(
            jwt_principal(&event, "/requestContext/authorizer/jwt/claims").as_deref(),
            Some("jwt sub=00u1 client_id=0oa9")
        );
        let event =
            json!({"requestContext": {"authorizer": {"jwt": {"claims": {"client_id": "c"}}}}});
        assert_eq!(
            jwt_principal(&event, "/requestContext/authorizer/jwt/claims"),
            None
        );
    }

    #[test]
    fn a_flows_requested_by_is_never_the_principal() {
        let execution = "arn:aws:states:us-east-1:1:execution:x:y";
        let call = recognise(
            json!({"user": "a", "executionId": execution, "requestedBy": "hr.system:event-1"}),
        );
        assert_eq!(call.kind, CallerKind::StepFunctions);
        // The flow's `requestedBy` stays in the input (audit `requested_by`); `principal` is the authorizer's only.
        assert_eq!(call.principal, None);
        assert_eq!(
            call.input.unwrap()["requestedBy"].as_str(),
            Some("hr.system:event-1")
        );
        let call = recognise(json!({"user": "a", "requestedBy": "someone-else"}));
        assert_eq!(call.kind, CallerKind::Direct);
        assert_eq!(call.principal, None);
    }

    #[test]
    fn http_inputs_merge_and_conflicts_are_named() {
        let path = [("user".to_owned(), "jane".to_owned())]
            .into_iter()
            .collect();
        let query = vec![
            ("dryRun".to_owned(), "true".to_owned()),
            ("include".to_owned(), "groups,apps".to_owned()),
        ];
        let merged = merge(&path, &query, Some(r#"{"sendEmail": false}"#), false).unwrap();
        assert_eq!(
            merged,
            json!({"user": "jane", "dryRun": true, "include": ["groups", "apps"], "sendEmail": false})
        );
        let error = merge(&path, &[], Some(r#"{"user": "bob"}"#), false).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("user"));
        let error = merge(&path, &[("dryRun".into(), "maybe".into())], None, false).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("dryRun"));
        let repeated = vec![
            ("include".to_owned(), "groups".to_owned()),
            ("include".to_owned(), "apps".to_owned()),
        ];
        assert_eq!(
            merge(&path, &repeated, None, false).unwrap()["include"],
            json!(["groups", "apps"])
        );
        let twice = vec![
            ("dryRun".to_owned(), "true".to_owned()),
            ("dryRun".to_owned(), "false".to_owned()),
        ];
        assert_eq!(
            merge(&path, &twice, None, false)
                .unwrap_err()
                .field
                .as_deref(),
            Some("dryRun")
        );
        let error = merge(&path, &[], Some("{not json"), false).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("body"));
        let encoded = base64::engine::general_purpose::STANDARD.encode(r#"{"group": "Sales"}"#);
        assert_eq!(
            merge(&path, &[], Some(&encoded), true).unwrap()["group"],
            "Sales"
        );
    }
}
