//! okta-lifecycle: the Okta user-lifecycle actions behind the Lambda functions, one per action.
//!
//! - [`config`] and [`connection`]: the Okta org URL and API token, from Secrets Manager, cached.
//! - [`okta`]: the Okta Management API client (errors, retries, rate limits, pagination, lookups).
//! - [`guard`]: the guardrails every action passes before it may change anything; [`grants`]: what may be granted.
//! - [`actions`]: the idempotent actions, their input contract and their output.
//! - [`flows`]: the flows' decisions (admission, the offboarding plan and report) behind the `flow-step` function.
//! - [`lambda`]: the Lambda entry point shared by every function: caller detection, HTTP answers, audit record.
//! - [`doctor`]: the read-only check of a connection before deploying (`make doctor`, the `doctor` function).
//!
//! ## Layers
//!
//! Dependencies run one way, from the entry points down. A module uses only modules of the layers below its own,
//! never one of its own layer or above; inside a module, its files use each other one way too (no cycle).
//! `tests/suite/layers.rs` reads this list and every `crate::`, `super::` and `self::` path of the crate, and fails
//! otherwise.
//!
//! 1. [`lambda`]: the entry points: each function's Lambda loop, reading the settings from the environment
//!    (`lambda::Settings`, which asks each module below to read its own: `from_lookup`), the caller, the audit
//!    record, the answer.
//! 2. [`flows`], [`doctor`]: the flows' decisions; the connection check.
//! 3. [`guard`]: the guardrails, and the Okta client with the guard held beside it (`guard::GuardedClient`).
//! 4. [`actions`], [`grants`], [`ledger`]: what an action does; what may be granted; what the flows recorded.
//! 5. [`okta`]: the Okta client and one file per Okta resource.
//! 6. [`connection`]: where the Okta connection is read from (Secrets Manager, cached).
//! 7. [`config`]: what a connection is (org URL, credentials) and how its settings are checked.
//! 8. [`error`]: the errors every layer returns, with their stable names.
//!
//! This file itself only declares the modules, re-exports the names every function uses and holds [`VERSION`]. A new
//! module takes a place in this list, or the layers test names it.

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
