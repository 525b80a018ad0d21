//! The audit record: exactly one structured log line per invocation, whatever the outcome. It holds ids,
//! statuses and names, never a token, a password, an activation or reset link, or the raw event.
//!
//! In Lambda, `lambda_runtime`'s subscriber writes JSON without the target (`with_target(false)`), the event's
//! fields under `fields`: the `record` field is what finds audit lines there (`filter fields.record = "audit"`).

use std::time::Duration;

use super::caller::{Call, CallerKind};
use crate::actions::{Action, Input, Output};
use crate::error::Error;

/// The value of the `record` field on every audit line.
pub const RECORD: &str = "audit";

pub struct Record<'a> {
    pub action: Action,
    pub call: &'a Call,
    pub input: Option<&'a Input>,
    pub result: &'a Result<Output, Error>,
    pub okta_request_ids: &'a [String],
    /// The target user as the guardrails resolved it, so that a refusal names whom it protected.
    pub resolved_user_id: Option<&'a str>,
    /// Whether the invocation waited for Okta's rate limit before a request.
    pub paced: bool,
    pub duration: Duration,
}

/// `api`, `flow`, `schedule`, `rule` or `direct`: the entry point the event's shape and `executionId` claim.
fn via(record: &Record<'_>) -> &'static str {
    let execution = record.input.and_then(|input| input.execution_id.as_deref());
    match record.call.kind {
        CallerKind::ApiGatewayV1 | CallerKind::ApiGatewayV2 => "api",
        CallerKind::StepFunctions => "flow",
        CallerKind::EventBridge if execution.is_some_and(|id| id.contains(":scheduler:")) => {
            "schedule"
        }
        CallerKind::EventBridge => "rule",
        CallerKind::Direct => "direct",
    }
}

/// The attributions on this line that came from the payload: every one of them is a claim. The function checks
/// them against this stack's API, state machines and schedule group (`guard.rs`), but only CloudTrail can say
/// which principal invoked it.
fn claimed(record: &Record<'_>) -> String {
    let input = record.input;
    [
        ("principal", record.call.principal.is_some()),
        (
            "execution_id",
            input.is_some_and(|i| i.execution_id.is_some()),
        ),
        (
            "requested_by",
            input.is_some_and(|i| i.requested_by.is_some()),
        ),
        ("source", record.call.source.is_some()),
    ]
    .iter()
    .filter(|(_, present)| *present)
    .map(|(name, _)| *name)
    .collect::<Vec<_>>()
    .join(",")
}

pub fn record(record: &Record<'_>) {
    let output = record.result.as_ref().ok();
    let error = record.result.as_ref().err();
    // Every field on every line, empty when unknown: a fixed shape that queries and metric filters can rely on
    // (the subscriber would leave a `None` out).
    let text = |value: Option<&str>| value.unwrap_or_default().to_owned();
    tracing::info!(
        target: "audit",
        record = RECORD,
        version = crate::VERSION,
        action = record.action.name(),
        caller = record.call.kind.audit_name(),
        // Which of the stack's entry points the event says it came through, and which of its attributions the
        // function could not verify (a function cannot see who invoked it: CloudTrail's Invoke data events can).
        via = via(record),
        claimed = claimed(record),
        principal = text(record.call.principal.as_deref()),
        execution_id = text(record.input.and_then(|input| input.execution_id.as_deref())),
        // A flow's word for who asked it (the API caller or HR event source); `principal` stays what only API
        // Gateway's authorizer can vouch for.
        requested_by = text(record.input.and_then(|input| input.requested_by.as_deref())),
        source = text(record.call.source.as_deref()),
        target_user = text(record.input.map(|input| input.user.as_str())),
        user_id = text(
            output
                .map(|output| output.user.id.as_str())
                .or(record.resolved_user_id)
        ),
        group_id = text(output.and_then(|output| output.group.as_ref()).map(|group| group.id.as_str())),
        app_id = text(output.and_then(|output| output.app.as_ref()).map(|app| app.id.as_str())),
        status_before = text(output.map(|output| output.user.status_before.as_str())),
        status_after = text(output.map(|output| output.user.status_after.as_str())),
        // Nothing changed when the invocation failed.
        changed = output.is_some_and(|output| output.changed),
        dry_run = record.input.is_some_and(|input| input.dry_run),
        // An explicit rehire of a user the ledger records as offboarded says why, on the record.
        rehire_reason = text(record.input.and_then(|input| input.rehire_reason.as_deref())),
        outcome = error.map_or("ok", |error| error.kind.name()),
        error_message = text(error.map(|error| error.message.as_str())),
        okta_request_ids = record.okta_request_ids.join(","),
        paced = record.paced,
        duration_ms = u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        "audit"
    );
}
