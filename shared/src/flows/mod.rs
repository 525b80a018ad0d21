//! The flows' decisions (issue 24): the state machines orchestrate (the lease, the Okta steps with their Retry and
//! Catch, the Maps over planned removals, waits, schedules), and the `flow-step` function decides, here, in typed
//! Rust: whether a start is admitted and what it asks ([`admit`]; onboarding's access profiles expanded in
//! [`onboarding::request`]), what the runbook will do to the user as read ([`offboarding::plan`]), and what it did
//! and whether that is complete ([`offboarding::report`], [`onboarding::report`], [`return_flow::report`]); and the
//! bulk flow's run, lines and summary ([`bulk`]); the mover's plan between two access profiles and its undo
//! ([`mover`], [`undo_move`], issue 27).
//!
//! Nothing here talks to Okta or AWS: every step is a pure function of what the state machine passes, so the
//! function needs no secret and no permission, and each decision is table-tested. Depends only downward (on
//! [`crate::error`] and the reviewed access profiles of [`crate::grants`]), never on the Lambda glue.

pub mod admit;
pub mod bulk;
pub mod event_time;
pub mod leave;
pub mod mover;
pub mod offboarding;
pub mod onboarding;
pub mod return_flow;
pub mod undo_move;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use admit::Source;

use crate::error::{Error, Result};

/// A step's or a Map item's answer as a report shows it: changed / unchanged with the function's message, or failed
/// with the error and its cause (a Catch's `Error` and `Cause`).
pub(crate) fn step_outcome(answer: &Value) -> Map<String, Value> {
    let mut out = Map::new();
    if let Some(error) = answer.get("Error") {
        out.insert("outcome".into(), "failed".into());
        out.insert("error".into(), error.clone());
        out.insert(
            "cause".into(),
            answer.get("Cause").cloned().unwrap_or(Value::Null),
        );
    } else {
        let changed = answer.get("changed") == Some(&Value::Bool(true));
        out.insert(
            "outcome".into(),
            if changed { "changed" } else { "unchanged" }.into(),
        );
        out.insert(
            "message".into(),
            answer.get("message").cloned().unwrap_or(Value::Null),
        );
    }
    out
}

/// The longest list a start may carry (keepGroups; groups and apps to grant): documented in the README's "The
/// flows", so that one start cannot hold a user's lease for hours. The user's own groups and apps, read from
/// Okta, are not capped: an offboarding removes all of them.
pub const LIST_CAP: usize = 100;

/// The flows whose starts the admit step decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    Onboarding,
    Offboarding,
    Leave,
    Return,
    Move,
    #[serde(rename = "undo-move")]
    UndoMove,
}

impl Flow {
    /// The flow's own request fields, validated, with their defaults.
    fn request(
        self,
        fields: &mut Map<String, Value>,
        source: &Source,
    ) -> Result<Map<String, Value>> {
        match self {
            Flow::Onboarding => onboarding::request(fields, source),
            Flow::Offboarding => offboarding::request(fields, source),
            Flow::Leave => leave::request(fields, source),
            Flow::Return => return_flow::request(fields, source),
            Flow::Move => mover::request(fields, source),
            Flow::UndoMove => undo_move::request(fields, source),
        }
    }
}

/// One invocation of the `flow-step` function: `{"step": "admit" | "plan" | "report", "flow": ..., ...}`.
#[derive(Debug, Deserialize)]
#[serde(tag = "step", rename_all = "lowercase")]
pub enum StepRequest {
    Admit(admit::AdmitRequest),
    Plan(PlanRequest),
    Report(ReportRequest),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "flow", rename_all = "lowercase")]
pub enum PlanRequest {
    Offboarding(offboarding::PlanRequest),
    Leave(leave::PlanRequest),
    Move(Box<mover::PlanRequest>),
    #[serde(rename = "undo-move")]
    UndoMove(Box<undo_move::PlanRequest>),
}

#[derive(Debug, Deserialize)]
#[serde(tag = "flow", rename_all = "lowercase")]
pub enum ReportRequest {
    Onboarding(Box<onboarding::ReportRequest>),
    Offboarding(Box<offboarding::ReportRequest>),
    Leave(Box<leave::ReportRequest>),
    Return(Box<return_flow::ReportRequest>),
    Move(Box<mover::ReportRequest>),
    #[serde(rename = "undo-move")]
    UndoMove(Box<undo_move::ReportRequest>),
}

/// Runs one step. A payload the state machine did not build is `Input.Invalid` naming what is wrong.
pub fn decide(payload: Value, now: Timestamp) -> Result<Value> {
    if payload.get("flow").and_then(Value::as_str) == Some(bulk::FLOW) {
        return bulk::decide(payload, now);
    }
    let request: StepRequest = serde_json::from_value(payload)
        .map_err(|error| Error::input("step", format!("not a flow step request: {error}")))?;
    match request {
        StepRequest::Admit(req) => admit::admit(&req, now),
        StepRequest::Plan(PlanRequest::Offboarding(req)) => Ok(offboarding::plan(&req)),
        StepRequest::Plan(PlanRequest::Leave(req)) => Ok(leave::plan(&req)),
        StepRequest::Plan(PlanRequest::Move(req)) => Ok(mover::plan(&req)),
        StepRequest::Plan(PlanRequest::UndoMove(req)) => Ok(undo_move::plan(&req)),
        StepRequest::Report(ReportRequest::Onboarding(req)) => Ok(onboarding::report(&req)),
        StepRequest::Report(ReportRequest::Offboarding(req)) => Ok(offboarding::report(&req)),
        StepRequest::Report(ReportRequest::Leave(req)) => Ok(leave::report(&req)),
        StepRequest::Report(ReportRequest::Return(req)) => Ok(return_flow::report(&req)),
        StepRequest::Report(ReportRequest::Move(req)) => Ok(mover::report(&req)),
        StepRequest::Report(ReportRequest::UndoMove(req)) => Ok(undo_move::report(&req)),
    }
}

#[cfg(test)]
mod move_tests;
#[cfg(test)]
mod tests;
