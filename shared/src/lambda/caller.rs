//! Who called, and the action input they meant. One function serves three callers:
//! - Step Functions, EventBridge Scheduler and direct invokes send the plain JSON input;
//! - API Gateway (HTTP API payload 2.0, REST API 1.0) sends a proxy event: path parameters, query string and JSON
//!   body merge into the same input, and the answer must be an HTTP response;
//! - EventBridge rules send an event whose `detail` is the input.

use aws_lambda_events::apigw::{ApiGatewayProxyRequest, ApiGatewayV2httpRequest};
use aws_lambda_events::eventbridge::EventBridgeEvent;
use base64::Engine;
use serde_json::{Map, Value};

use crate::actions::input::value_from_text;
use crate::error::{Error, Result};

/// The kind of caller, for the answer's shape and the audit record.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CallerKind {
    StepFunctions,
    ApiGatewayV2,
    ApiGatewayV1,
    EventBridge,
    Direct,
}

impl CallerKind {
    pub fn audit_name(self) -> &'static str {
        match self {
            CallerKind::StepFunctions => "stepfunctions",
            CallerKind::ApiGatewayV1 | CallerKind::ApiGatewayV2 => "apigateway",
            CallerKind::EventBridge => "eventbridge",
            CallerKind::Direct => "direct",
        }
    }

    pub fn is_http(self) -> bool {
        matches!(self, CallerKind::ApiGatewayV1 | CallerKind::ApiGatewayV2)
    }
}

/// An invocation, understood.
#[derive(Debug)]
pub struct Call {
    pub kind: CallerKind,
    /// Who asked, when known: IAM ARN or JWT subject, event source and rule, execution or schedule ARN.
    pub principal: Option<String>,
    /// The action input, or why it could not be formed.
    pub input: Result<Value>,
}

/// Recognises the event's shape. Anything that is not an API Gateway or EventBridge envelope is a plain input.
pub fn recognise(event: Value) -> Call {
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
    // A flow names who asked (`requestedBy`: the API caller, or the HR event's source and id); the execution
    // stays in the record as executionId. Trusted like the execution id: only the flows' roles invoke this way.
    let requested_by = match kind {
        CallerKind::StepFunctions => event
            .get("requestedBy")
            .and_then(Value::as_str)
            .map(str::to_owned),
        _ => None,
    };
    Call {
        kind,
        principal: requested_by.or(execution),
        input: Ok(event),
    }
}

fn pointer_str(event: &Value, pointer: &str) -> Option<String> {
    event
        .pointer(pointer)
        .and_then(Value::as_str)
        .map(str::to_owned)
}

fn api_gateway_v2(event: Value) -> Call {
    let principal = pointer_str(&event, "/requestContext/authorizer/iam/userArn")
        .or_else(|| pointer_str(&event, "/requestContext/authorizer/jwt/claims/sub"));
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
        input,
    }
}

fn api_gateway_v1(event: Value) -> Call {
    let principal = pointer_str(&event, "/requestContext/identity/userArn")
        .or_else(|| pointer_str(&event, "/requestContext/authorizer/claims/sub"))
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
            let principal = Some(match resource {
                Some(resource) => format!("{} via {resource}", event.source),
                None => event.source.clone(),
            });
            Call {
                kind: CallerKind::EventBridge,
                principal,
                input: Ok(event.detail),
            }
        }
        Err(_) => Call {
            kind: CallerKind::EventBridge,
            principal: None,
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
            match serde_json::from_slice::<Value>(&bytes) {
                Ok(Value::Object(object)) => object,
                Ok(_) => return Err(Error::input("body", "must be a JSON object")),
                Err(error) => {
                    return Err(Error::input(
                        "body",
                        format!(
                            "is not valid JSON (line {} column {})",
                            error.line(),
                            error.column()
                        ),
                    ));
                }
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
        assert_eq!(
            call.principal.as_deref(),
            Some("arn:aws:states:us-east-1:1:execution:x:y")
        );
        assert_eq!(recognise(json!({"user": "a"})).kind, CallerKind::Direct);
    }

    #[test]
    fn a_flow_names_who_asked() {
        let execution = "arn:aws:states:us-east-1:1:execution:x:y";
        let call = recognise(
            json!({"user": "a", "executionId": execution, "requestedBy": "hr.system:event-1"}),
        );
        assert_eq!(call.principal.as_deref(), Some("hr.system:event-1"));
        // Only a flow's word is taken: a plain invocation naming someone stays anonymous.
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
