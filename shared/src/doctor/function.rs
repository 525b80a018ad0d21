//! The `doctor` function: the same check in AWS, with the deployed secret and settings, for an operator to invoke
//! (`aws lambda invoke --function-name <DoctorFunctionName> report.json`). Any payload; the answer is the report as
//! JSON (`allOk`, `org`, `checks`). Its role may read the secret and nothing else in AWS; in Okta it only reads.

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::{Value, json};

use super::{Report, examine};
use crate::error::{Error, ErrorKind};
use crate::lambda::{client_from_env, deadline_of};

/// Builds the client once, then answers each invocation with a fresh report.
pub async fn run() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let client = client_from_env().await;
    let client = &client;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let report = match client {
            Ok(client) => examine(client, deadline_of(event.context.deadline())).await,
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
        let mut answer = serde_json::to_value(&report)
            .map_err(|error| Error::new(ErrorKind::OktaUnexpectedResponse, error.to_string()))?;
        answer["allOk"] = json!(report.all_ok());
        Ok::<Value, Error>(answer)
    }))
    .await
}
