//! Calls one action locally, through the same handler the Lambda functions run, against the simulator or a real
//! Okta org, so that an admin can try a service app or a token (and a `dryRun`) before deploying:
//!
//! ```sh
//! OKTA_ORG_URL=https://acme.okta.com OKTA_API_TOKEN=... \
//!   cargo run -q -p okta-lifecycle --example invoke -- get-user tests/events/get-user/stepfunctions.json
//! ```
//!
//! The connection comes from `OKTA_ORG_URL` + `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY` (+ `OKTA_KEY_ID`), or
//! `OKTA_ORG_URL` + `OKTA_API_TOKEN`, or from `OKTA_SECRET_ID` (Secrets Manager).
//! The event file may be any caller's shape (plain input, API Gateway, EventBridge); `-` reads standard input.
//! Prints the answer as JSON; exits 1 with `{"errorType", "errorMessage"}` on error.

#![allow(clippy::print_stdout)] // a command-line tool: its answer goes to standard output

use std::io::Read;
use std::process::ExitCode;

use lambda_runtime::{Context, LambdaEvent};
use okta_lifecycle::lambda::Event;
use okta_lifecycle::{Action, lambda};
use serde_json::json;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let [function, data] = args.as_slice() else {
        let names: Vec<&str> = Action::ALL.iter().map(|action| action.name()).collect();
        eprintln!(
            "usage: invoke FUNCTION EVENT_FILE|-\nfunctions: {}",
            names.join(", ")
        );
        return ExitCode::from(2);
    };
    let Some(action) = Action::from_name(function) else {
        eprintln!("unknown function {function:?}");
        return ExitCode::from(2);
    };
    let text = if data == "-" {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).map(|_| text)
    } else {
        std::fs::read_to_string(data)
    };
    // Read as Lambda's runtime hands it over: any JSON gets the function's answer, as deployed.
    let event = match text {
        Ok(text) => Event::from_json(&text),
        Err(error) => {
            eprintln!("{data}: {error}");
            return ExitCode::from(2);
        }
    };
    let client = lambda::client_from_env().await;
    let answer = lambda::handle(
        action,
        client.as_ref(),
        LambdaEvent::new(event, Context::default()),
    )
    .await;
    let (value, code) = match answer {
        Ok(value) => (value, ExitCode::SUCCESS),
        Err(error) => (
            json!({"errorType": error.kind.name(), "errorMessage": error.to_string()}),
            ExitCode::from(1),
        ),
    };
    println!(
        "{}",
        serde_json::to_string_pretty(&value).unwrap_or_default()
    );
    code
}
