//! The cold-start floor: a `lambda_runtime` function that answers every event with the event itself, at once.
//! Every function's figure in bench/results.md can be read against it (same runtime, same build profile).

use lambda_runtime::{LambdaEvent, service_fn};
use serde_json::Value;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::run(service_fn(|event: LambdaEvent<Value>| async move {
        Ok::<Value, lambda_runtime::Error>(event.payload)
    }))
    .await
}
