//! The event as Lambda delivers it, read by this crate rather than by the runtime's deserialiser: whatever JSON
//! arrives (any type at the top, any size Lambda allows, any depth) becomes a value or an `Input.Invalid` naming
//! `event`. The runtime's own deserialiser stops at serde_json's recursion limit (128 levels) and answers with a
//! Rust type name (`&lambda_runtime::deserializer::DeserializeError`) before any handler runs, which Step
//! Functions' Retry/Catch and HTTP callers cannot act on.

use serde::{Deserialize, Deserializer};
use serde_json::Value;
use serde_json::value::RawValue;

use crate::error::{Error, Result};

/// Deepest nesting of arrays and objects accepted in an event or an API Gateway body. A real input is a few levels
/// deep (an API Gateway event about five, an app profile a few more); the limit sits well below serde_json's own
/// (128), so that serde_json's limit is never what answers, and a value this deep is dropped without risk to the stack.
pub const MAX_DEPTH: usize = 64;

/// An invocation's payload: the JSON value, or why it cannot be one.
#[derive(Debug)]
pub struct Event(Result<Value>);

impl Event {
    /// Reads an event's JSON text, as the runtime hands it over.
    pub fn from_json(text: &str) -> Event {
        Event(parse_json(text.as_bytes(), "event"))
    }

    pub fn into_value(self) -> Result<Value> {
        self.0
    }
}

/// A value built in code (a test, the local `invoke` example) gets the same depth rule as one read from JSON.
impl From<Value> for Event {
    fn from(value: Value) -> Event {
        if depth_of_value(&value) > MAX_DEPTH {
            return Event(Err(too_deep("event")));
        }
        Event(Ok(value))
    }
}

/// Never fails, so that the runtime never answers for the function: the raw JSON is taken as it is (serde_json
/// skips over a raw value without recursing) and read by `from_json`.
impl<'de> Deserialize<'de> for Event {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> std::result::Result<Event, D::Error> {
        Ok(match Box::<RawValue>::deserialize(deserializer) {
            Ok(raw) => Event::from_json(raw.get()),
            // Lambda refuses a payload that is not JSON before any function runs; an emulator may not.
            Err(_) => Event(Err(Error::input("event", "is not valid JSON"))),
        })
    }
}

/// Parses JSON text found in `field` with the explicit depth limit: too deep or not JSON is `Input.Invalid`.
pub fn parse_json(bytes: &[u8], field: &str) -> Result<Value> {
    if depth_exceeds(bytes, MAX_DEPTH) {
        return Err(too_deep(field));
    }
    serde_json::from_slice(bytes).map_err(|error| {
        Error::input(
            field,
            format!(
                "is not valid JSON (line {} column {})",
                error.line(),
                error.column()
            ),
        )
    })
}

fn too_deep(field: &str) -> Error {
    Error::input(
        field,
        format!("is nested deeper than {MAX_DEPTH} levels of arrays and objects"),
    )
}

/// Whether JSON text nests arrays and objects deeper than `limit`, without parsing it (and so without recursion).
/// Brackets inside strings do not count; on text that is not JSON the answer only has to be safe, not exact.
fn depth_exceeds(bytes: &[u8], limit: usize) -> bool {
    let mut depth = 0usize;
    let mut in_string = false;
    let mut escaped = false;
    for &byte in bytes {
        if in_string {
            match byte {
                _ if escaped => escaped = false,
                b'\\' => escaped = true,
                b'"' => in_string = false,
                _ => {}
            }
            continue;
        }
        match byte {
            b'"' => in_string = true,
            b'[' | b'{' => {
                depth += 1;
                if depth > limit {
                    return true;
                }
            }
            b']' | b'}' => depth = depth.saturating_sub(1),
            _ => {}
        }
    }
    false
}

/// The nesting depth of a value, walked with an explicit stack (a recursive walk is what this module avoids).
fn depth_of_value(value: &Value) -> usize {
    let mut deepest = 0;
    let mut stack = vec![(value, 0usize)];
    while let Some((value, depth)) = stack.pop() {
        match value {
            Value::Array(items) => stack.extend(items.iter().map(|item| (item, depth + 1))),
            Value::Object(fields) => stack.extend(fields.values().map(|field| (field, depth + 1))),
            _ => continue,
        }
        deepest = deepest.max(depth + 1);
        if deepest > MAX_DEPTH {
            break;
        }
    }
    deepest
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    fn nested(depth: usize, inner: &str) -> String {
        format!("{}{inner}{}", "[".repeat(depth), "]".repeat(depth))
    }

    /// What the runtime does with the payload (lambda_runtime 1.x `deserializer::deserialize`).
    fn as_the_runtime_reads(text: &str) -> Event {
        let deserializer = &mut serde_json::Deserializer::from_str(text);
        serde_path_to_error::deserialize(deserializer).expect("reading an event never fails")
    }

    #[test]
    fn any_depth_is_a_value_or_a_named_refusal() {
        for depth in [0, 1, MAX_DEPTH] {
            let text = nested(depth, "1");
            assert!(as_the_runtime_reads(&text).into_value().is_ok(), "{depth}");
        }
        for depth in [MAX_DEPTH + 1, 128, 129, 100_000] {
            let error = as_the_runtime_reads(&nested(depth, "1"))
                .into_value()
                .unwrap_err();
            assert_eq!(error.kind.name(), "Input.Invalid", "{depth}");
            assert_eq!(error.field.as_deref(), Some("event"));
        }
        let objects = format!("{}1{}", r#"{"a":"#.repeat(1000), "}".repeat(1000));
        assert!(as_the_runtime_reads(&objects).into_value().is_err());
    }

    #[test]
    fn brackets_inside_strings_do_not_count() {
        let text = format!(r#"{{"user": "{}\"{}"}}"#, "[".repeat(500), "{".repeat(500));
        let value = as_the_runtime_reads(&text).into_value().unwrap();
        assert!(value["user"].as_str().unwrap().starts_with("[["));
    }

    #[test]
    fn every_top_level_type_is_a_value() {
        for text in [
            "null",
            "true",
            "0",
            "-1.5e300",
            r#""text""#,
            "[]",
            "{}",
            " {} ",
        ] {
            assert!(as_the_runtime_reads(text).into_value().is_ok(), "{text}");
        }
    }

    #[test]
    fn text_that_is_not_json_is_a_named_refusal() {
        let error = as_the_runtime_reads("{not json").into_value().unwrap_err();
        assert_eq!(error.field.as_deref(), Some("event"));
        let error = parse_json(b"[1,", "body").unwrap_err();
        assert_eq!(error.field.as_deref(), Some("body"));
    }

    #[test]
    fn values_built_in_code_get_the_same_limit() {
        let mut value = json!(1);
        for _ in 0..MAX_DEPTH {
            value = json!([value]);
        }
        assert!(Event::from(value.clone()).into_value().is_ok());
        let error = Event::from(json!({"a": value})).into_value().unwrap_err();
        assert_eq!(error.field.as_deref(), Some("event"));
    }
}
