//! The Lambda entry point every function shares: `run(Action::X)` is the whole of a function's `main`.

mod audit;
pub mod caller;
mod doctor;
pub mod event;
mod flow_step;
mod http;
mod settings;

use std::time::{Instant, SystemTime};

use lambda_runtime::{Diagnostic, LambdaEvent, service_fn};
use serde_json::Value;

use crate::actions::{Action, Input, Output};
use crate::config::ConnectionSource;
use crate::connection::{Connection, aws_sdk};
use crate::error::{Error, Result};
use crate::guard::{Guard, GuardedClient};
use crate::ledger::Ledger;
use crate::okta::client::DEFAULT_BUDGET;
use crate::okta::rate_limit_table::RateLimitTable;
use crate::okta::retry::RetryPolicy;
use crate::okta::{OktaClient, Session};

pub use caller::{CallerKind, recognise};
pub use doctor::run_doctor;
pub use event::Event;
pub use flow_step::run_flow_steps;
pub use settings::Settings;

/// Builds the clients once, then serves invocations until the runtime stops.
pub async fn run(action: Action) -> Result<(), lambda_runtime::Error> {
    lambda_runtime::tracing::init_default_subscriber();
    // One line per process start: the template's ColdStarts metric filter counts them.
    tracing::info!(
        record = "init",
        version = crate::VERSION,
        action = action.name(),
        "cold start"
    );
    // A bad setting does not crash the init (an anonymous failure): every invocation reports Config.Invalid.
    let client = client_from_env().await;
    let client = &client;
    // The secret and a service app's token are fetched while the runtime asks for the first event.
    let prepare = async move {
        if let Ok(client) = client {
            client.prepare(action.scopes()).await;
        }
    };
    // The payload is read as an `Event`, never by the runtime's deserialiser, so that every payload gets a named
    // answer. Boxed: the handler's future is deep enough that nesting it unboxed in the runtime's overflows rustc's
    // layout query depth in the function crates.
    let serve = lambda_runtime::run(service_fn(move |event: LambdaEvent<Event>| {
        Box::pin(handle(action, client.as_ref(), event))
    }));
    let ((), served) = tokio::join!(prepare, serve);
    served
}

/// The Okta client described by the environment. Nothing is fetched yet: the secret is read on first use.
pub async fn client_from_env() -> Result<GuardedClient> {
    let settings = Settings::from_env()?;
    let policy = RetryPolicy {
        pacing: settings.pacing.clone(),
        ..RetryPolicy::default()
    };
    let uses_aws = matches!(settings.source, ConnectionSource::SecretsManager { .. })
        || settings.rate_limit_table.is_some()
        || settings.ledger_table.is_some();
    let aws = if uses_aws {
        Some(aws_sdk::config().await)
    } else {
        None
    };
    let connection = Connection::from_source(
        &settings.source,
        &settings.allowed_custom_domains,
        aws.as_ref(),
    )
    .await;
    let mut client = OktaClient::with_policy(connection, policy)?;
    if let (Some(table), Some(aws)) = (settings.rate_limit_table, &aws) {
        client = client.with_rate_limit_table(RateLimitTable::from_config(aws, table));
    }
    let mut client = GuardedClient::new(client, settings.guardrails);
    if let (Some(table), Some(aws)) = (settings.ledger_table, &aws) {
        client = client.with_ledger(Ledger::from_config(aws, table));
    }
    Ok(client)
}

/// The shared execution path: the guardrails, then the action. Every caller, the functions' handler and the
/// tests alike, goes through here, so that no action runs unguarded.
pub async fn execute(
    action: Action,
    guard: &Guard,
    session: &Session<'_>,
    input: &Input,
    caller: CallerKind,
) -> Result<Output> {
    crate::guard::check(action, guard, session, input, caller).await?;
    action.execute(session, input).await
}

/// One invocation: recognise the caller, validate the input, run the action, write the audit record, answer in
/// the caller's terms (an HTTP response for API Gateway, the output or a named error otherwise).
pub async fn handle(
    action: Action,
    client: Result<&GuardedClient, &Error>,
    event: LambdaEvent<impl Into<Event>>,
) -> Result<Value> {
    let started = Instant::now();
    let deadline = deadline_of(event.context.deadline());
    let request_id = event.context.request_id.clone();
    let call = recognise(event.payload);
    let input = call
        .input
        .clone()
        .and_then(|value| Input::parse(action, &value));
    let (result, okta_request_ids, resolved_user_id, paced) = match (&input, client) {
        (Err(error), _) => (Err(error.clone()), Vec::new(), None, false),
        (Ok(_), Err(error)) => (Err(error.clone()), Vec::new(), None, false),
        (Ok(input), Ok(client)) => {
            let session = client.session(deadline, action.scopes());
            let result = match crate::guard::check_origin(
                call.kind,
                call.api_id.as_deref(),
                client.guard().rules(),
            ) {
                Ok(()) => execute(action, client.guard(), &session, input, call.kind).await,
                Err(error) => Err(error),
            };
            let paced = session.waited_for_rate_limits();
            (
                result,
                session.request_ids(),
                session.resolved_user_id(),
                paced,
            )
        }
    };
    audit::record(&audit::Record {
        action,
        call: &call,
        input: input.as_ref().ok(),
        result: &result,
        okta_request_ids: &okta_request_ids,
        resolved_user_id: resolved_user_id.as_deref(),
        paced,
        duration: started.elapsed(),
    });
    if call.kind.is_http() {
        return Ok(http::respond(call.kind, &result, &request_id));
    }
    let output = result?;
    serde_json::to_value(&output).map_err(|error| {
        Error::new(
            crate::error::ErrorKind::OktaUnexpectedResponse,
            error.to_string(),
        )
    })
}

/// The Lambda deadline as an `Instant`. A deadline already past is no real deadline (`Context::default()` in tests,
/// or an emulator that sends a relative value): it gets the default budget instead.
pub(crate) fn deadline_of(deadline: SystemTime) -> Instant {
    let now = Instant::now();
    match deadline.duration_since(SystemTime::now()) {
        Ok(left) if !left.is_zero() => now + left,
        _ => now + DEFAULT_BUDGET,
    }
}

/// Step Functions sees the stable name as the error type, never a Rust type path.
impl From<Error> for Diagnostic {
    fn from(error: Error) -> Self {
        Diagnostic {
            error_type: error.kind.name().to_owned(),
            error_message: error.to_string(),
        }
    }
}
