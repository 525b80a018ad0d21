//! Hostile events of every caller shape, generated from a byte source (`arbitrary::Unstructured`), and the
//! invariants every answer must keep. Shared by the bounded property tests (`tests/suite/hostile_events.rs`) and
//! the long fuzz run (`make fuzz`).
//!
//! Shapes: plain input and Step Functions, API Gateway HTTP API (2.0) and REST API (1.0), EventBridge, and raw
//! payloads (any top-level type, deep nesting). Strings: control and format characters, bidi overrides, dot
//! segments, percent-encodings, `/ ? # %`, very long values; and wrong types and unknown fields.

use std::io::Write;
use std::sync::{Arc, Mutex};

use arbitrary::{Result, Unstructured};
use base64::Engine;
use lambda_runtime::{Context, Diagnostic, LambdaEvent};
use okta_lifecycle::actions::input::{FieldKind, field_kind};
use okta_lifecycle::guard::GuardedClient;
use okta_lifecycle::lambda::Event;
use okta_lifecycle::{Action, ErrorKind, lambda};
use okta_sim::Simulator;
use serde_json::{Map, Value, json};

use crate::{TOKEN, repo_path};

/// The caller shapes a generated event takes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Shape {
    Plain,
    StepFunctions,
    ApiGatewayV2,
    ApiGatewayV1,
    EventBridge,
    /// Anything JSON: another top-level type, or nesting deeper than any real input.
    Raw,
}

impl Shape {
    pub const ALL: [Shape; 6] = [
        Shape::Plain,
        Shape::StepFunctions,
        Shape::ApiGatewayV2,
        Shape::ApiGatewayV1,
        Shape::EventBridge,
        Shape::Raw,
    ];

    fn is_http(self) -> bool {
        matches!(self, Shape::ApiGatewayV2 | Shape::ApiGatewayV1)
    }
}

/// One generated invocation.
#[derive(Debug, Clone)]
pub struct Generated {
    pub action: Action,
    pub shape: Shape,
    /// The payload exactly as Lambda would deliver it.
    pub text: String,
    /// Why the input must be refused (`Input.Invalid`, HTTP 400), when the generator made it invalid on purpose:
    /// an unknown field, a wrong type, a missing required field, nesting too deep, a body that is not JSON.
    pub must_refuse: Option<&'static str>,
}

const USERS: [&str; 8] = [
    "sam.leaver@acme.example",
    "alice.active@acme.example",
    "jane.doe@acme.example",
    "eng/ops.bot@acme.example",
    "tom+contractor@acme.example",
    "john.smith",
    "sam.leaver",
    "nobody@acme.example",
];
const GROUPS: [&str; 6] = [
    "Engineering",
    "Sales",
    "Everyone",
    "Project X",
    "AD: Domain Users",
    "Nope",
];
const APPS: [&str; 5] = ["Slack", "GitHub", "AWS", "Google Workspace", "Nope"];

/// Pieces of hostile names: control and format characters, bidi overrides, dot segments, percent-encodings,
/// URL delimiters, quotes, search syntax, other scripts.
const FRAGMENTS: [&str; 52] = [
    "..",
    ".",
    "../",
    "/..",
    "/./",
    "/",
    "?",
    "#",
    "%",
    "&",
    "=",
    ";",
    "\\",
    "%2e%2e",
    "%2E%2E%2F",
    "%2F",
    "%252F",
    "%00",
    "%zz",
    "%%",
    "\u{0}",
    "\u{7}",
    "\u{1b}",
    "\u{1f}",
    "\u{7f}",
    "\u{85}",
    "\u{200b}",
    "\u{200d}",
    "\u{200e}",
    "\u{202e}",
    "\u{2066}",
    "\u{2069}",
    "\u{feff}",
    "\u{fffd}",
    "é",
    "ß",
    "😀",
    "ＡＤ",
    " ",
    "\t",
    "\r\n",
    "{id}",
    "*",
    "\"",
    "'",
    "<b>",
    " eq \"",
    " or ",
    "$gt",
    "api/v1/users",
    "@",
    "+",
];

fn pick<'a>(u: &mut Unstructured<'_>, choices: &[&'a str]) -> Result<&'a str> {
    u.choose(choices).copied()
}

/// A reference to a user, group or app: a real one, or something hostile built around one.
fn name(u: &mut Unstructured<'_>, pool: &[&str]) -> Result<String> {
    Ok(match u.int_in_range(0..=9)? {
        0..=3 => pick(u, pool)?.to_owned(),
        4..=6 => {
            let mut text = String::new();
            for _ in 0..u.int_in_range(1..=5)? {
                if u.ratio(1, 3)? {
                    text.push_str(pick(u, pool)?);
                } else {
                    text.push_str(pick(u, &FRAGMENTS)?);
                }
            }
            text
        }
        7 => u.arbitrary::<String>()?,
        8 => pick(u, &FRAGMENTS)?.repeat(u.int_in_range(100..=3000)?),
        _ => {
            // A real name with a hostile wrapper: leading or trailing format characters, an encoded suffix.
            let real = pick(u, pool)?;
            format!("{}{real}{}", pick(u, &FRAGMENTS)?, pick(u, &FRAGMENTS)?)
        }
    })
}

/// Any JSON value, a few levels deep at most.
fn any_value(u: &mut Unstructured<'_>, depth: u32) -> Result<Value> {
    let choice = if depth >= 3 {
        u.int_in_range(0..=3)?
    } else {
        u.int_in_range(0..=5)?
    };
    Ok(match choice {
        0 => Value::Null,
        1 => Value::Bool(u.arbitrary()?),
        2 => match u.int_in_range(0..=2)? {
            0 => json!(u.arbitrary::<i64>()?),
            1 => json!(u.arbitrary::<u64>()?),
            _ => serde_json::Number::from_f64(u.arbitrary()?).map_or(Value::Null, Value::Number),
        },
        3 => Value::String(name(u, &USERS)?),
        4 => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| any_value(u, depth + 1))
                .collect::<Result<_>>()?,
        ),
        _ => {
            let mut object = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                object.insert(name(u, &FRAGMENTS)?, any_value(u, depth + 1)?);
            }
            Value::Object(object)
        }
    })
}

fn is_type(kind: FieldKind, value: &Value) -> bool {
    value.is_null()
        || match kind {
            FieldKind::Text => value.is_string(),
            FieldKind::Bool => value.is_boolean(),
            FieldKind::Object => value.is_object(),
            FieldKind::List => value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string)),
        }
}

/// A value for `field`: mostly of its type, sometimes of another (which must be refused).
fn field_value(u: &mut Unstructured<'_>, field: &str) -> Result<Value> {
    let kind = field_kind(field).unwrap_or(FieldKind::Text);
    if u.ratio(1, 6)? {
        return any_value(u, 0);
    }
    Ok(match (field, kind) {
        ("group", _) => Value::String(name(u, &GROUPS)?),
        ("app", _) => Value::String(name(u, &APPS)?),
        ("executionId", _) => Value::String(match u.int_in_range(0..=2)? {
            0 => format!(
                "arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-offboarding:{}",
                name(u, &FRAGMENTS)?
            ),
            1 => "arn:aws:scheduler:us-east-1:123456789012:schedule/default/return-00u1".to_owned(),
            _ => name(u, &FRAGMENTS)?,
        }),
        (_, FieldKind::Text) => Value::String(name(u, &USERS)?),
        (_, FieldKind::Bool) => Value::Bool(u.arbitrary()?),
        (_, FieldKind::List) => Value::Array(
            (0..u.int_in_range(0..=3)?)
                .map(|_| {
                    Ok(Value::String(if u.ratio(3, 4)? {
                        pick(u, &["groups", "apps"])?.to_owned()
                    } else {
                        name(u, &FRAGMENTS)?
                    }))
                })
                .collect::<Result<_>>()?,
        ),
        (_, FieldKind::Object) => {
            let mut profile = Map::new();
            for _ in 0..u.int_in_range(0..=3)? {
                profile.insert(name(u, &FRAGMENTS)?, any_value(u, 1)?);
            }
            Value::Object(profile)
        }
    })
}

/// Why a generated input must be refused, per field (`""` for the event as a whole).
type Reasons = Vec<(String, &'static str)>;

fn missing_required(
    action: Action,
    object: &Map<String, Value>,
    path: &Map<String, Value>,
) -> Reasons {
    action
        .required_fields()
        .iter()
        .filter(|field| {
            !path.contains_key(**field) && object.get(**field).is_none_or(Value::is_null)
        })
        .map(|field| ((*field).to_owned(), "a required field is missing"))
        .collect()
}

/// The action input, as a JSON object, and why it must be refused where the generator broke it on purpose.
fn input(u: &mut Unstructured<'_>, action: Action) -> Result<(Map<String, Value>, Reasons)> {
    let mut object = Map::new();
    let mut reasons = Reasons::new();
    for field in action.fields() {
        let required = action.required_fields().contains(&field);
        if (required && !u.ratio(1, 12)?) || u.ratio(1, 3)? {
            let value = field_value(u, field)?;
            if !is_type(field_kind(field).unwrap_or(FieldKind::Text), &value) {
                reasons.push((field.to_owned(), "a field of the wrong type"));
            }
            object.insert(field.to_owned(), value);
        }
    }
    if u.ratio(1, 8)? {
        let unknown = format!(
            "{}{}",
            pick(u, &["grup", "users", "", "__proto__", "dry_run"])?,
            name(u, &FRAGMENTS)?
        );
        if !action.fields().contains(&unknown.as_str()) {
            object.insert(unknown.clone(), any_value(u, 0)?);
            reasons.push((unknown, "an unknown field"));
        }
    }
    Ok((object, reasons))
}

fn fixture(action: Action, caller: &str) -> Value {
    let path = repo_path(&format!("tests/events/{}/{caller}.json", action.name()));
    let text = std::fs::read_to_string(&path)
        .unwrap_or_else(|error| panic!("{}: {error}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|error| panic!("{}: {error}", path.display()))
}

/// The fixtures of every action, read once.
#[derive(Debug)]
pub struct Fixtures(Vec<(Action, Value, Value, Value)>);

impl Fixtures {
    pub fn load() -> Fixtures {
        Fixtures(
            Action::ALL
                .iter()
                .map(|&action| {
                    (
                        action,
                        fixture(action, "apigw-v2"),
                        fixture(action, "apigw-v1"),
                        fixture(action, "eventbridge"),
                    )
                })
                .collect(),
        )
    }

    fn of(&self, action: Action) -> &(Action, Value, Value, Value) {
        self.0
            .iter()
            .find(|entry| entry.0 == action)
            .unwrap_or_else(|| panic!("fixtures of {}", action.name()))
    }
}

/// Replaces a placeholder string in JSON text with raw JSON text (nesting no `Value` could hold safely).
const PLACEHOLDER: &str = "\u{1}deep\u{1}";

fn nested(u: &mut Unstructured<'_>) -> Result<String> {
    let depth = *u.choose(&[65_usize, 129, 200, 5_000, 100_000])?;
    let (open, close) = if u.arbitrary()? {
        ("[", "]")
    } else {
        (r#"{"a":"#, "}")
    };
    Ok(format!("{}1{}", open.repeat(depth), close.repeat(depth)))
}

fn with_deep_value(text: &str, deep: &str) -> String {
    let placeholder = serde_json::to_string(PLACEHOLDER).unwrap_or_default();
    text.replacen(&placeholder, deep, 1)
}

/// One generated invocation of `action` in `shape`.
pub fn generate(
    u: &mut Unstructured<'_>,
    fixtures: &Fixtures,
    action: Action,
    shape: Shape,
) -> Result<Generated> {
    let (mut object, mut reasons) = input(u, action)?;
    // Nesting too deep, in a field: wherever the field ends up (body, query, path), the input is refused.
    let deep = if u.ratio(1, 20)? {
        let field = pick(u, &["user", "profile", "detail", "x"])?;
        object.insert(field.to_owned(), Value::String(PLACEHOLDER.to_owned()));
        reasons.push((String::new(), "nesting deeper than any real input"));
        Some(nested(u)?)
    } else {
        None
    };
    let (_, v2, v1, eventbridge) = fixtures.of(action);
    let text = match shape {
        Shape::Plain | Shape::StepFunctions => {
            if shape == Shape::StepFunctions {
                object.insert(
                    "executionId".to_owned(),
                    json!("arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-offboarding:run-1"),
                );
                reasons.retain(|(field, _)| field != "executionId");
            }
            reasons.extend(missing_required(action, &object, &Map::new()));
            Value::Object(object).to_string()
        }
        Shape::EventBridge => {
            reasons.extend(missing_required(action, &object, &Map::new()));
            let mut event = eventbridge.clone();
            event["detail"] = Value::Object(object);
            if u.ratio(1, 10)? {
                let key = pick(u, &["time", "resources", "id", "account"])?;
                event[key] = json!(42);
                reasons.push((String::new(), "a broken EventBridge envelope"));
            }
            event.to_string()
        }
        Shape::ApiGatewayV2 | Shape::ApiGatewayV1 => {
            let template = if shape == Shape::ApiGatewayV2 { v2 } else { v1 };
            // The deep value goes into the body only: API Gateway's own envelope is always shallow.
            let text = http_event(
                u,
                action,
                template,
                shape,
                object,
                &mut reasons,
                deep.as_deref(),
            )?;
            return Ok(Generated {
                action,
                shape,
                text,
                must_refuse: reasons.first().map(|(_, why)| *why),
            });
        }
        Shape::Raw => {
            let text = match u.int_in_range(0..=4)? {
                0 => nested(u)?,
                1 => any_value(u, 0)?.to_string(),
                2 => json!([Value::Object(object)]).to_string(),
                3 => json!(name(u, &USERS)?).to_string(),
                _ => format!(
                    "{}{} ",
                    " \n\t".repeat(u.int_in_range(0..=3)?),
                    pick(
                        u,
                        &["null", "0", "-0.0", "1e308", "true", "\"\"", "[]", "{}"]
                    )?
                ),
            };
            // Any value, even an object (`any_value` objects have only hostile keys, or none and so no `user`).
            return Ok(Generated {
                action,
                shape,
                text,
                must_refuse: Some("not an action input"),
            });
        }
    };
    let text = match &deep {
        Some(deep) => with_deep_value(&text, deep),
        None => text,
    };
    Ok(Generated {
        action,
        shape,
        text,
        must_refuse: reasons.first().map(|(_, why)| *why),
    })
}

/// An API Gateway event carrying `object`: references in the path, some fields in the query string, the rest
/// in the body (plain or base64); sometimes a body that is no JSON object at all.
fn http_event(
    u: &mut Unstructured<'_>,
    action: Action,
    template: &Value,
    shape: Shape,
    mut object: Map<String, Value>,
    reasons: &mut Reasons,
    deep: Option<&str>,
) -> Result<String> {
    let mut event = template.clone();
    let mut path = Map::new();
    for key in ["user", "group", "app"] {
        if template["pathParameters"].get(key).is_none() {
            continue;
        }
        let text = match object.remove(key) {
            // A path parameter is always a string; a value of another type stays in the body, where it
            // conflicts with the path.
            Some(Value::String(text)) => text,
            Some(Value::Null) | None => name(u, &USERS)?,
            Some(other) => {
                object.insert(key.to_owned(), other);
                name(u, &USERS)?
            }
        };
        path.insert(key.to_owned(), Value::String(text));
    }
    reasons.extend(missing_required(action, &object, &path));
    event["pathParameters"] = Value::Object(path);
    let mut query: Vec<(String, String)> = Vec::new();
    let keys: Vec<String> = object.keys().cloned().collect();
    for key in keys {
        if !u.ratio(1, 3)? {
            continue;
        }
        // Only values of the field's own type move: in a query string every value is text.
        let text = match (field_kind(&key), object.get(&key)) {
            (Some(FieldKind::Bool), Some(Value::Bool(flag))) => flag.to_string(),
            (Some(FieldKind::Text), Some(Value::String(text))) => text.clone(),
            _ => continue,
        };
        object.remove(&key);
        query.push((key, text));
    }
    if u.ratio(1, 10)? {
        query.push(("dryRun".to_owned(), name(u, &FRAGMENTS)?));
        reasons.push((
            "dryRun".to_owned(),
            "a query value that is not true or false",
        ));
    }
    let query_map: Map<String, Value> = query
        .iter()
        .map(|(key, value)| (key.clone(), Value::String(value.clone())))
        .collect();
    if shape == Shape::ApiGatewayV2 {
        event["rawQueryString"] = Value::String(
            query
                .iter()
                .map(|(key, value)| format!("{}={}", percent_encode(key), percent_encode(value)))
                .collect::<Vec<_>>()
                .join("&"),
        );
    } else {
        event["multiValueQueryStringParameters"] = Value::Object(
            query_map
                .iter()
                .map(|(key, value)| (key.clone(), json!([value])))
                .collect(),
        );
    }
    event["queryStringParameters"] = Value::Object(query_map);
    let mut base64_body = false;
    let body = match u.int_in_range(0..=9)? {
        0 => {
            reasons.push(("body".to_owned(), "a body that is not JSON"));
            Some(pick(u, &["{not json", "[1,", "{\"user\":", "\u{feff}{}", "nul"])?.to_owned())
        }
        1 => match any_value(u, 0)? {
            Value::Object(_) => Some(Value::Object(object).to_string()),
            other => {
                reasons.push(("body".to_owned(), "a body that is no JSON object"));
                Some(other.to_string())
            }
        },
        2 => {
            base64_body = true;
            if u.arbitrary()? {
                reasons.push((
                    "body".to_owned(),
                    "a body that is not base64 of a JSON object",
                ));
                Some(format!("{}!", name(u, &FRAGMENTS)?))
            } else {
                Some(
                    base64::engine::general_purpose::STANDARD
                        .encode(Value::Object(object).to_string()),
                )
            }
        }
        _ if object.is_empty() && u.arbitrary()? => None,
        _ => Some(Value::Object(object).to_string()),
    };
    let body = match (body, deep) {
        (Some(body), Some(deep)) if !base64_body => Some(with_deep_value(&body, deep)),
        (body, _) => body,
    };
    event["body"] = body.map_or(Value::Null, Value::String);
    event["isBase64Encoded"] = Value::Bool(base64_body);
    Ok(event.to_string())
}

fn percent_encode(text: &str) -> String {
    text.bytes()
        .map(|byte| {
            if byte.is_ascii_alphanumeric() || b"-._~".contains(&byte) {
                (byte as char).to_string()
            } else {
                format!("%{byte:02X}")
            }
        })
        .collect()
}

/// Every log line written during an invocation.
#[derive(Clone, Default, Debug)]
pub struct Capture(Arc<Mutex<Vec<u8>>>);

impl Write for Capture {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0
            .lock()
            .map_err(|_| std::io::ErrorKind::Other)?
            .extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Capture {
    /// The lines written since the last call.
    pub fn take(&self) -> String {
        let mut buffer = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let text = String::from_utf8_lossy(&buffer).into_owned();
        buffer.clear();
        text
    }

    /// A subscriber writing every line, at every level, as JSON, into this capture.
    pub fn subscriber(&self) -> impl tracing::Subscriber + Send + Sync {
        let writer = self.clone();
        tracing_subscriber::fmt()
            .json()
            .with_max_level(tracing::Level::TRACE)
            .with_writer(move || writer.clone())
            .finish()
    }
}

/// What the caller got.
#[derive(Debug)]
enum Answer {
    Output(Value),
    Error(String),
}

/// Runs one generated invocation through `lambda::handle` against `sim` and checks every invariant. `Err` says
/// which invariant broke and how; `Ok` says what the caller got: `output`, or the error's stable name.
pub async fn check(
    sim: &Simulator,
    client: &GuardedClient,
    logs: &Capture,
    generated: &Generated,
) -> std::result::Result<String, String> {
    check_within(sim, client, logs, generated, None).await
}

/// `check` with the Lambda deadline `budget` from now (`None`: the handler's default budget, as for a context
/// without a deadline).
pub async fn check_within(
    sim: &Simulator,
    client: &GuardedClient,
    logs: &Capture,
    generated: &Generated,
    budget: Option<std::time::Duration>,
) -> std::result::Result<String, String> {
    sim.reset_counters();
    logs.take();
    let action = generated.action;
    let mut context = Context::default();
    if let Some(budget) = budget {
        let deadline = std::time::SystemTime::now() + budget;
        context.deadline = deadline
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |since| {
                u64::try_from(since.as_millis()).unwrap_or(u64::MAX)
            });
    }
    let event = LambdaEvent::new(Event::from_json(&generated.text), context);
    let result = lambda::handle(action, Ok(client), event).await;
    let requests = sim.requests();
    let log = logs.take();
    let shown = match &result {
        Ok(answer) => answer.to_string(),
        Err(error) => format!("{} {error}", error.kind.name()),
    };
    let fail = |why: String| Err(format!("{why}\nanswer: {}", truncated(&shown, 600)));

    // Answers in the caller's terms, with a named error.
    let answer = match (generated.shape.is_http(), result) {
        (true, Ok(response)) => {
            let Some(status) = response["statusCode"].as_u64() else {
                return fail("an HTTP caller got no status code".into());
            };
            let body: Value = match response["body"].as_str().map(serde_json::from_str) {
                Some(Ok(body)) => body,
                _ => return fail("an HTTP answer without a JSON body".into()),
            };
            if status >= 500 {
                return fail(format!("HTTP {status} for a generated request"));
            }
            match status {
                200 => Answer::Output(body),
                400..=499 => {
                    let name = body["error"].as_str().unwrap_or_default().to_owned();
                    if ErrorKind::ALL
                        .iter()
                        .find(|kind| kind.name() == name)
                        .map(|kind| u64::from(kind.http_status()))
                        != Some(status)
                    {
                        return fail(format!("HTTP {status} with error {name:?}"));
                    }
                    Answer::Error(name)
                }
                _ => return fail(format!("HTTP {status}")),
            }
        }
        (true, Err(error)) => {
            return fail(format!(
                "an HTTP caller got a Lambda error {}",
                error.kind.name()
            ));
        }
        (false, Ok(output)) => Answer::Output(output),
        (false, Err(error)) => {
            let diagnostic = Diagnostic::from(error);
            if !ErrorKind::ALL
                .iter()
                .any(|kind| kind.name() == diagnostic.error_type)
            {
                return fail(format!(
                    "error type {:?} is not a stable name",
                    diagnostic.error_type
                ));
            }
            Answer::Error(diagnostic.error_type)
        }
    };
    if let Answer::Output(output) = &answer
        && output["action"] != action.name()
    {
        return fail("an output without its action".into());
    }

    // Invalid input: refused by name, and nothing reached Okta.
    if let Some(why) = generated.must_refuse
        && !matches!(&answer, Answer::Error(name) if name == "Input.Invalid")
    {
        return fail(format!("{why} was not refused as Input.Invalid"));
    }
    // Input that is invalid as written is refused before any request. A reference that is only refused once Okta
    // says how it matched (a login shortname, a deactivated account named by email) and a guardrail's refusal may
    // follow reads, never a change.
    if generated.must_refuse.is_some() && !requests.is_empty() {
        return fail(format!(
            "refused input still sent {} request(s) to Okta",
            requests.len()
        ));
    }
    if let Answer::Error(name) = &answer
        && (name == "Input.Invalid" || name.starts_with("Policy."))
        && let Some(change) = requests.iter().find(|request| request.method != "GET")
    {
        return fail(format!(
            "{name} refused the input after a change: {} {}",
            change.method, change.path
        ));
    }
    // Okta's answers to any generated reference are a lookup miss, an ambiguity, a status that does not apply, or
    // a refused content; never a failure of the client or the connection.
    if let Answer::Error(name) = &answer
        && ![
            "Input.Invalid",
            "Okta.NotFound",
            "Okta.Ambiguous",
            "Okta.NotApplicable",
            "Okta.Rejected",
            // Thousands of generated calls drain the simulator's per-minute buckets; pacing then answers this.
            "Okta.RateLimited",
        ]
        .contains(&name.as_str())
        && !name.starts_with("Policy.")
    {
        return fail(format!("unexpected {name}"));
    }

    // Every request stays under /api/v1/, on a route Okta has, and names the resolved ids: the user, group and app
    // of the answer, and what the leaver actions report they changed (apps whose tokens they revoked, devices,
    // owned groups, the new owner).
    let resolved: Vec<&str> = match &answer {
        Answer::Output(output) => ["user", "group", "app", "newOwner"]
            .iter()
            .filter_map(|key| output[*key]["id"].as_str())
            .chain(
                ["clients", "devices", "ownedGroups"]
                    .iter()
                    .filter_map(|key| output[*key].as_array())
                    .flatten()
                    .filter_map(|item| item["id"].as_str()),
            )
            // offboard-user: the groups it found the user in, and the apps (ids only, `0oa` and 17 letters or
            // digits, refused otherwise before any request) whose assignment it asked Okta to end.
            .chain(
                [("groups", "group"), ("apps", "app")]
                    .iter()
                    .filter_map(|(list, key)| Some((output["steps"][*list].as_array()?, *key)))
                    .flat_map(|(items, key)| {
                        items
                            .iter()
                            .filter_map(move |item| item[key]["id"].as_str())
                    }),
            )
            // ...and the devices its devices step found linked to the user (as deactivate-user-devices reports).
            .chain(
                output["steps"]["devices"]["devices"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .filter_map(|item| item["id"].as_str()),
            )
            .collect(),
        Answer::Error(_) => Vec::new(),
    };
    for request in &requests {
        let segments: Vec<&str> = request.path.split('/').collect();
        if !request.path.starts_with("/api/v1/")
            || segments
                .iter()
                .any(|segment| matches!(*segment, "." | ".."))
        {
            return fail(format!(
                "request outside /api/v1/: {} {}",
                request.method, request.path
            ));
        }
        let Some(route) = &request.route else {
            return fail(format!(
                "request on no Okta route: {} {}",
                request.method, request.path
            ));
        };
        if request.method != "GET" && matches!(answer, Answer::Output(_)) {
            for (template, segment) in route.split('/').zip(&segments) {
                if template.starts_with('{') && !resolved.contains(segment) {
                    return fail(format!(
                        "{} {} names {segment:?}, not a resolved id ({resolved:?})",
                        request.method, request.path
                    ));
                }
            }
        }
    }

    // Secrets never in the answer or the logs; links and passwords only in the answer that asked for them.
    if shown.contains(TOKEN) || log.contains(TOKEN) {
        return fail("the API token appears in the answer or the logs".into());
    }
    if let Answer::Output(output) = &answer {
        for key in [
            "activationUrl",
            "activationToken",
            "resetPasswordUrl",
            "tempPassword",
        ] {
            if let Some(secret) = output[key].as_str()
                && log.contains(secret)
            {
                return fail(format!("{key} appears in the logs"));
            }
        }
    }
    let audits = log.matches("\"target\":\"audit\"").count();
    if audits != 1 {
        return fail(format!("{audits} audit records for one invocation"));
    }
    Ok(match answer {
        Answer::Output(_) => "output".to_owned(),
        Answer::Error(name) => name,
    })
}

pub fn truncated(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!(
            "{}... ({} characters)",
            text.chars().take(max).collect::<String>(),
            text.chars().count()
        )
    }
}
