//! The `flow-step` function's entry point: the flows' decisions (crate::flows) served to the state machines. No
//! Okta client, no secret: a step only decides from what the state machine passes.

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};

use super::Event;
use crate::flows;

/// Serves flow steps until the runtime stops.
pub async fn run_flow_steps() -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // Read as an `Event`, like every function's payload: the admit step carries the execution input as given, and
    // input too deep for serde_json is `Input.Invalid`, not the runtime's deserialiser error.
    lambda_runtime::run(service_fn(|event: LambdaEvent<Event>| async move {
        let answer = event
            .payload
            .into_value()
            .and_then(|payload| flows::decide(payload, jiff::Timestamp::now()));
        if let Err(error) = &answer {
            // The error names the field; the payload (which may hold a user's login) is not logged.
            tracing::warn!(error = %error.kind.name(), field = ?error.field, "flow step refused");
        }
        answer.map_err(Diagnostic::from)
    }))
    .await
}
