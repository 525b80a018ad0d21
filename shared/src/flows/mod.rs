//! The flows' decisions (issue 24): the state machines orchestrate (the lease, the Okta steps with their Retry and
//! Catch, the Maps over planned removals, waits, schedules), and the `flow-step` function decides, here, in typed
//! Rust: whether a start is admitted and what it asks ([`admit`]), what the runbook will do to the user as read
//! ([`offboarding::plan`]), and what it did and whether that is complete ([`offboarding::report`],
//! [`return_flow::report`]).
//!
//! Nothing here talks to Okta or AWS: every step is a pure function of what the state machine passes, so the
//! function needs no secret and no permission, and each decision is table-tested. Depends only downward (on
//! [`crate::error`]), never on the Lambda glue.

pub mod admit;
pub mod event_time;
pub mod leave;
pub mod offboarding;
pub mod return_flow;
pub mod revocations;

use jiff::Timestamp;
use serde::Deserialize;
use serde_json::{Map, Value};

pub use admit::Source;

use crate::error::{Error, Result};

/// The longest list a start may carry (keepGroups; groups and apps to grant): documented in the README's "The
/// flows", so that one start cannot hold a user's lease for hours. The user's own groups and apps, read from
/// Okta, are not capped: an offboarding removes all of them.
pub const LIST_CAP: usize = 100;

/// The flows whose starts the admit step decides.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Flow {
    Offboarding,
    Leave,
    Return,
}

impl Flow {
    /// The flow's own request fields, validated, with their defaults.
    fn request(
        self,
        fields: &mut Map<String, Value>,
        source: &Source,
    ) -> Result<Map<String, Value>> {
        match self {
            Flow::Offboarding => offboarding::request(fields, source),
            Flow::Leave => leave::request(fields, source),
            Flow::Return => return_flow::request(fields, source),
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
}

#[derive(Debug, Deserialize)]
#[serde(tag = "flow", rename_all = "lowercase")]
pub enum ReportRequest {
    Offboarding(Box<offboarding::ReportRequest>),
    Leave(Box<leave::ReportRequest>),
    Return(Box<return_flow::ReportRequest>),
}

/// Runs one step. A payload the state machine did not build is `Input.Invalid` naming what is wrong.
pub fn decide(payload: Value, now: Timestamp) -> Result<Value> {
    let request: StepRequest = serde_json::from_value(payload)
        .map_err(|error| Error::input("step", format!("not a flow step request: {error}")))?;
    match request {
        StepRequest::Admit(req) => admit::admit(&req, now),
        StepRequest::Plan(PlanRequest::Offboarding(req)) => Ok(offboarding::plan(&req)),
        StepRequest::Plan(PlanRequest::Leave(req)) => Ok(leave::plan(&req)),
        StepRequest::Report(ReportRequest::Offboarding(req)) => Ok(offboarding::report(&req)),
        StepRequest::Report(ReportRequest::Leave(req)) => Ok(leave::report(&req)),
        StepRequest::Report(ReportRequest::Return(req)) => Ok(return_flow::report(&req)),
    }
}

#[cfg(test)]
mod tests;
