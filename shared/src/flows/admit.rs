//! Admission (issue 24, item 3): what a flow start is allowed to say, decided before anything is recorded.
//!
//! - Identity comes from the trusted envelope, never from the caller's body: API and HR starts carry the
//!   request under `request`, and the template writes `eventId`, `eventSource`, `requestedBy` and `eventTime`
//!   beside it; a body's own identity fields are ignored.
//! - The event time comes from a trusted clock: the API envelope's request time (or, without one, the execution's
//!   start), EventBridge's `time` for HR events, the scheduler's scheduled time, the bulk run's start for bulk
//!   items. A time more than [`event_time::MAX_CLOCK_SKEW_SECS`] in the future is refused; times are compared as
//!   instants (the ledger keeps one fixed-width UTC form).
//! - Event ids are namespaced by source (`api:`, `hr:`, `schedule:`, `bulk:`, or the direct caller's source), so
//!   no source can use up another's id.

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::event_time;
use super::{Flow, LIST_CAP};
use crate::error::{Error, Result};

/// What the state machine passes to the admit step.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AdmitRequest {
    pub flow: Flow,
    /// The execution input as given.
    pub input: Value,
    /// `$$.Execution.StartTime`: the time of a start that names none.
    pub execution_start: String,
    /// The flow's `TimeoutSeconds`: no execution holds a lease longer, so the lease expires then.
    pub lease_seconds: i64,
}

/// Where a start came from, as the envelope (or a direct start) names it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Source {
    /// `POST /flows/<flow>`: the template's envelope, eventSource `api`.
    Api,
    /// The HR event rule: eventSource is the event's `source`, which the rule's pattern fixes.
    Hr,
    /// A one-time schedule (the leave flow's `return-<id>`): eventSource `aws.scheduler`.
    Schedule,
    /// An item of a bulk run: the bulk flow sets every identity field from the run.
    Bulk,
    /// Anyone else allowed to start the state machine (an operator's StartExecution), by the source they name.
    Direct(String),
}

impl Source {
    fn of(name: &str) -> Source {
        match name {
            "api" => Source::Api,
            "hr.system" => Source::Hr,
            "aws.scheduler" => Source::Schedule,
            "bulk" => Source::Bulk,
            other => Source::Direct(other.to_owned()),
        }
    }

    /// The prefix of this source's event ids in the ledger.
    pub fn namespace(&self) -> &str {
        match self {
            Source::Api => "api",
            Source::Hr => "hr",
            Source::Schedule => "schedule",
            Source::Bulk => "bulk",
            Source::Direct(name) => name,
        }
    }
}

/// The identity fields a start may carry; in an envelope only the envelope's own count.
const IDENTITY_FIELDS: [&str; 4] = ["eventId", "eventSource", "eventTime", "requestedBy"];

/// The admitted start: identity, the flow's request with its defaults, and the lease's times.
#[derive(Debug)]
pub struct Admitted {
    pub source: Source,
    /// The source as the start named it (`hr.system`, `api`, `direct`...), recorded in the ledger.
    pub source_name: String,
    pub event_id: String,
    pub event_time: Timestamp,
    pub requested_by: String,
    /// The flow's own fields, validated, defaults filled in (`user` and `dryRun` included).
    pub request: Map<String, Value>,
}

impl Admitted {
    /// The ledger's key for this event: `<namespace>:<event id>`, the prefix not doubled when the id has it
    /// already (the schedules' `schedule:return-<id>:<leave event>`).
    pub fn event_key(&self) -> String {
        let namespace = self.source.namespace();
        if self
            .event_id
            .strip_prefix(namespace)
            .is_some_and(|rest| rest.starts_with(':'))
        {
            self.event_id.clone()
        } else {
            format!("{namespace}:{}", self.event_id)
        }
    }
}

/// Admits a start or says which field is wrong.
pub fn admit(req: &AdmitRequest, now: Timestamp) -> Result<Value> {
    let admitted = identify(req, now)?;
    let lease_start = event_time::parse("executionStart", &req.execution_start)?;
    Ok(json!({
        "user": admitted.request.get("user"),
        "dryRun": admitted.request.get("dryRun"),
        "requestedBy": admitted.requested_by,
        "request": admitted.request,
        "event": {
            "key": admitted.event_key(),
            "id": admitted.event_id,
            "source": admitted.source_name,
            "time": event_time::ledger_form(admitted.event_time),
        },
        "lease": {
            // DynamoDB numbers travel as text (`"N"`); the condition compares them as numbers.
            "now": now.as_second().to_string(),
            "expires": (lease_start.as_second() + req.lease_seconds).to_string(),
        },
    }))
}

/// The identity and the request of a start, by the rules of the module's documentation.
pub fn identify(req: &AdmitRequest, now: Timestamp) -> Result<Admitted> {
    let Value::Object(input) = &req.input else {
        return Err(Error::input("input", "must be a JSON object"));
    };
    let (identity, body) = match input.get("request") {
        Some(Value::Object(body)) => (input, body),
        Some(_) => {
            return Err(Error::input(
                "request",
                "the envelope's request must be a JSON object",
            ));
        }
        None => (input, input),
    };
    let enveloped = input.contains_key("request");
    let event_id = match identity.get("eventId") {
        Some(Value::String(id)) if !id.trim().is_empty() => id.clone(),
        Some(Value::String(_)) | None => {
            return Err(Error::input(
                "eventId",
                "required: the id that makes a run happen once",
            ));
        }
        Some(_) => return Err(Error::input("eventId", "must be a string")),
    };
    let source = match identity.get("eventSource") {
        Some(Value::String(name)) if !name.trim().is_empty() => Source::of(name),
        None if !enveloped => Source::Direct("direct".into()),
        Some(Value::String(_)) | None => {
            return Err(Error::input(
                "eventSource",
                "required in an envelope (the template sets it)",
            ));
        }
        Some(_) => return Err(Error::input("eventSource", "must be a string")),
    };
    let event_time = match identity.get("eventTime") {
        Some(Value::String(text)) => event_time::parse("eventTime", text)?,
        Some(_) => return Err(Error::input("eventTime", "must be a string")),
        // HR events always carry EventBridge's time (the template's envelope); a start without one happened when
        // it started.
        None if enveloped && source == Source::Hr => {
            return Err(Error::input(
                "eventTime",
                "required for HR events (EventBridge's time)",
            ));
        }
        None => event_time::parse("executionStart", &req.execution_start)?,
    };
    let event_time = event_time::not_in_future("eventTime", event_time, now)?;
    let requested_by = match identity.get("requestedBy") {
        Some(Value::String(who)) => who.clone(),
        Some(_) => return Err(Error::input("requestedBy", "must be a string")),
        None => format!("{}:{event_id}", source_name(identity)),
    };
    let mut fields: Map<String, Value> = body
        .iter()
        .filter(|(key, _)| !IDENTITY_FIELDS.contains(&key.as_str()) && key.as_str() != "request")
        .map(|(key, value)| (key.clone(), value.clone()))
        .collect();
    let request = req.flow.request(&mut fields, &source)?;
    Ok(Admitted {
        source,
        source_name: source_name(identity).to_owned(),
        event_id,
        event_time,
        requested_by,
        request,
    })
}

/// The source as named (for the default requestedBy, `<source>:<event id>` as before).
fn source_name(identity: &Map<String, Value>) -> &str {
    identity
        .get("eventSource")
        .and_then(Value::as_str)
        .unwrap_or("direct")
}

/// Field readers for the flows' requests: each names the field it refuses.
pub(super) fn required_string(fields: &Map<String, Value>, name: &str) -> Result<String> {
    match fields.get(name) {
        Some(Value::String(text)) if !text.trim().is_empty() => Ok(text.clone()),
        Some(Value::String(_)) | None => Err(Error::input(name, "required (a string)")),
        Some(_) => Err(Error::input(name, "must be a string")),
    }
}

pub(super) fn boolean(fields: &Map<String, Value>, name: &str, default: bool) -> Result<bool> {
    match fields.get(name) {
        None => Ok(default),
        Some(Value::Bool(b)) => Ok(*b),
        Some(_) => Err(Error::input(name, "must be true or false")),
    }
}

pub(super) fn one_of(
    fields: &Map<String, Value>,
    name: &str,
    allowed: &[&str],
    default: &str,
) -> Result<String> {
    match fields.get(name) {
        None => Ok(default.to_owned()),
        Some(Value::String(text)) if allowed.contains(&text.as_str()) => Ok(text.clone()),
        Some(_) => Err(Error::input(
            name,
            format!("must be one of {}", allowed.join(", ")),
        )),
    }
}

/// A list of names or ids, at most [`LIST_CAP`] long.
pub(super) fn names(fields: &Map<String, Value>, name: &str) -> Result<Vec<Value>> {
    match fields.get(name) {
        None => Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() > LIST_CAP => Err(Error::input(
            name,
            format!("at most {LIST_CAP} entries ({} given)", items.len()),
        )),
        Some(Value::Array(items)) => {
            if let Some(position) = items.iter().position(|item| !item.is_string()) {
                return Err(Error::input(
                    &format!("{name}[{position}]"),
                    "must be a string (a name or an id)",
                ));
            }
            Ok(items.clone())
        }
        Some(_) => Err(Error::input(name, "must be an array of names or ids")),
    }
}
