//! The `doctor` function's entry point: the Lambda loop around `doctor::answer` (`doctor/function.rs` says what the
//! function is for).

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

use super::{client_from_env, deadline_of};
use crate::doctor::answer;
use crate::error::Error;

/// Builds the client once, then answers each invocation with a fresh report.
pub async fn run_doctor() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    let client = client_from_env().await;
    let client = &client;
    lambda_runtime::run(service_fn(move |event: LambdaEvent<Value>| async move {
        let deadline = deadline_of(event.context.deadline());
        Ok::<Value, Error>(answer(client.as_ref(), deadline).await)
    }))
    .await
}
