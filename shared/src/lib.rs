//! okta-lifecycle: the Okta user-lifecycle actions behind the 13 Lambda functions.
//!
//! - [`config`] and [`connection`]: the Okta org URL and API token, from Secrets Manager, cached.
//! - [`okta`]: the Okta Management API client (errors, retries, rate limits, pagination, lookups).
//! - [`guard`]: the guardrails every action passes before it may change anything.
//! - [`actions`]: the 13 idempotent actions, their input contract and their output.
//! - [`flows`]: the flows' decisions (admission, the offboarding plan and report) behind the `flow-step` function.
//! - [`lambda`]: the Lambda entry point shared by every function: caller detection, HTTP answers, audit record.

pub mod actions;
pub mod config;
pub mod connection;
pub mod error;
pub mod flows;
pub mod guard;
pub mod lambda;
pub mod okta;

pub use actions::{Action, Input, Output};

/// The release this build is (the workspace's version, `CHANGELOG.md`): every audit record carries it, so a
/// deployment can say what it runs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use error::{Error, ErrorKind};
