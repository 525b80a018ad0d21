//! The `doctor` function's answer (its Lambda loop is `lambda::run_doctor`): the same check in AWS, with the deployed secret and settings, for an operator to invoke
//! (`aws lambda invoke --function-name <DoctorFunctionName> report.json`). Any payload; the answer is the report as
//! JSON (`allOk`, `org`, `checks`). Its role may read the secret and nothing else in AWS; in Okta it only reads.

use std::time::Instant;

use serde_json::{Value, json};

use super::{Report, examine};
use crate::error::Error;
use crate::guard::GuardedClient;

/// One invocation's answer: the report as JSON, with `allOk`. A client that could not be built (a setting) is the
/// report's first item, not a failed invocation.
pub async fn answer(client: Result<&GuardedClient, &Error>, deadline: Instant) -> Value {
    let report = match client {
        Ok(client) => examine(client, deadline).await,
        Err(error) => {
            let mut report = Report::default();
            report.fix("connection settings", error.to_string());
            report
        }
    };
    tracing::info!(
        all_ok = report.all_ok(),
        fixes = report.fixes().count(),
        "doctor report"
    );
    let mut answer = serde_json::to_value(&report).unwrap_or_else(|_| json!({}));
    answer["allOk"] = json!(report.all_ok());
    answer
}
