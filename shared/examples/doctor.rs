//! `make doctor`: checks, read-only, the Okta connection the functions would use, before deploying:
//!
//! ```sh
//! OKTA_ORG_URL=https://acme.okta.com OKTA_CLIENT_ID=0oa... OKTA_PRIVATE_KEY="$(cat okta-lifecycle.pem)" \
//!   OKTA_KEY_ID=... cargo run -q -p okta-lifecycle --example doctor
//! ```
//!
//! The connection and the guardrail settings come from the same environment as the functions' (`OKTA_SECRET_ID`,
//! or `OKTA_ORG_URL` with `OKTA_API_TOKEN` or `OKTA_CLIENT_ID` + `OKTA_PRIVATE_KEY` (+ `OKTA_KEY_ID`);
//! `OKTA_PROTECTED_GROUPS`, `OKTA_GRANTABLE_GROUPS`, `OKTA_GRANTABLE_APPS`). Prints one line per item, OK or what to
//! fix (`--json`: the report as JSON); exits 0 when nothing needs fixing, 1 otherwise, 2 on bad usage.

#![allow(clippy::print_stdout)] // a command-line tool: its report goes to standard output

use std::process::ExitCode;
use std::time::Instant;

use okta_lifecycle::doctor::{self, Report};
use okta_lifecycle::lambda;

#[tokio::main(flavor = "current_thread")]
async fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let json = match args.as_slice() {
        [] => false,
        [flag] if flag == "--json" => true,
        _ => {
            eprintln!("usage: doctor [--json]");
            return ExitCode::from(2);
        }
    };
    let report = match lambda::client_from_env().await {
        Ok(client) => doctor::examine(&client, Instant::now() + doctor::DEFAULT_BUDGET).await,
        Err(error) => {
            let mut report = Report::default();
            report.fix("connection settings", error.to_string());
            report
        }
    };
    if json {
        println!(
            "{}",
            serde_json::to_string_pretty(&report).unwrap_or_default()
        );
    } else {
        println!("{report}");
    }
    if report.all_ok() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    }
}
