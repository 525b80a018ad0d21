//! The `doctor` function: the same check in AWS, with the deployed secret and settings, for an operator to invoke
//! (`aws lambda invoke --function-name <DoctorFunctionName> report.json`). Any payload; the answer is the report as
//! JSON (`allOk`, `org`, `checks`). Its role may read the secret and nothing else in AWS; in Okta it only reads.

use std::time::Instant;

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

use super::{Report, examine};
use crate::error::Error;
use crate::lambda::{client_from_env, deadline_of};
use crate::okta::OktaClient;

/// Builds the client once, then answers each invocation with a fresh report.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let client = client_from_env().await;
    let client = &client;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = deadline_of(event.context.deadline());
        Ok::<Value, Error>(answer(client.as_ref(), deadline).await)
    }))
    .await
}

/// One invocation's answer: the report as JSON, with `allOk`. A client that could not be built (a setting) is the
/// report's first item, not a failed invocation.
pub async fn answer(client: Result<&OktaClient, &Error>, deadline: Instant) -> Value {
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
