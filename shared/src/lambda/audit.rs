//! The audit record: exactly one structured log line per invocation, whatever the outcome. It holds ids,
//! statuses and names, never a token, a password, an activation or reset link, or the raw event.

use std::time::Duration;

use super::caller::Call;
use crate::actions::{Action, Input, Output};
use crate::error::Error;

pub struct Record<'a> {
    pub action: Action,
    pub call: &'a Call,
    pub input: Option<&'a Input>,
    pub result: &'a Result<Output, Error>,
    pub okta_request_ids: &'a [String],
    pub duration: Duration,
}

pub fn record(record: &Record<'_>) {
    let output = record.result.as_ref().ok();
    let error = record.result.as_ref().err();
    tracing::info!(
        target: "audit",
        action = record.action.name(),
        caller = record.call.kind.audit_name(),
        principal = record.call.principal.as_deref(),
        execution_id = record.input.and_then(|input| input.execution_id.as_deref()),
        target_user = record.input.map(|input| input.user.as_str()),
        user_id = output.map(|output| output.user.id.as_str()),
        group_id = output.and_then(|output| output.group.as_ref()).map(|group| group.id.as_str()),
        app_id = output.and_then(|output| output.app.as_ref()).map(|app| app.id.as_str()),
        status_before = output.map(|output| output.user.status_before.as_str()),
        status_after = output.map(|output| output.user.status_after.as_str()),
        changed = output.map(|output| output.changed),
        dry_run = record.input.map(|input| input.dry_run),
        outcome = error.map_or("ok", |error| error.kind.name()),
        error_message = error.map(|error| error.message.as_str()),
        okta_request_ids = record.okta_request_ids.join(","),
        duration_ms = u64::try_from(record.duration.as_millis()).unwrap_or(u64::MAX),
        "audit"
    );
}
