//! okta-lifecycle: the Okta user-lifecycle actions behind the Lambda functions, one per action.
//!
//! - [`config`] and [`connection`]: the Okta org URL and API token, from Secrets Manager, cached.
//! - [`okta`]: the Okta Management API client (errors, retries, rate limits, pagination, lookups).
//! - [`guard`]: the guardrails every action passes before it may change anything; [`grants`]: what may be granted.
//! - [`actions`]: the idempotent actions, their input contract and their output.
//! - [`flows`]: the flows' decisions (admission, the offboarding plan and report) behind the `flow-step` function.
//! - [`lambda`]: the Lambda entry point shared by every function: caller detection, HTTP answers, audit record.
//! - [`doctor`]: the read-only check of a connection before deploying (`make doctor`, the `doctor` function).

pub mod actions;
pub mod config;
pub mod connection;
pub mod doctor;
pub mod error;
pub mod flows;
pub mod grants;
pub mod guard;
pub mod lambda;
pub mod ledger;
pub mod okta;

pub use actions::{Action, Input, Output};

/// The release this build is (the workspace's version, `CHANGELOG.md`): every audit record carries it, so a
/// deployment can say what it runs.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");
pub use error::{Error, ErrorKind};
