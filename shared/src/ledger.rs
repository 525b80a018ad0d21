//! The flows' ledger as the functions read it: whether the last flow applied to a user was an offboarding, so that
//! activate-user and unsuspend-user never bring a leaver back unless a person asks for a rehire (`guard.rs`).
//!
//! The flows write `user#<Okta user id>` items (README "One run per event, one flow at a time per user"); the
//! functions only read them, with `GetItem` (the template grants nothing else). `lastFlow` is the flow that last
//! applied an event to the user: `offboarding` until a later leave, return or onboarding is applied.

use std::sync::OnceLock;
use std::time::Duration;

use aws_sdk_dynamodb::Client;
use aws_sdk_dynamodb::config::timeout::TimeoutConfig;
use aws_sdk_dynamodb::error::ProvideErrorMetadata;
use aws_sdk_dynamodb::types::AttributeValue;

use crate::error::{Error, Result};

/// The setting that names the table.
pub const SETTING: &str = "OKTA_LEDGER_TABLE";

/// The table `OKTA_LEDGER_TABLE` names; without it (local runs) no one is known to be offboarded.
pub fn table_from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Option<String>> {
    crate::config::table_name_from_lookup(lookup, SETTING)
}

/// What the ledger says of a user that the guard needs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Offboarded {
    /// The offboarding's execution, and its event's time, for the refusal's message.
    pub execution_id: String,
    pub event_time: String,
}

#[derive(Debug)]
pub struct Ledger {
    client: OnceLock<Client>,
    aws: aws_config::SdkConfig,
    table: String,
}

impl Ledger {
    pub fn from_config(aws: &aws_config::SdkConfig, table: String) -> Self {
        Ledger {
            client: OnceLock::new(),
            aws: aws.clone(),
            table,
        }
    }

    fn client(&self) -> &Client {
        self.client.get_or_init(|| {
            let mut config = aws_sdk_dynamodb::config::Builder::from(&self.aws);
            config.set_timeout_config(Some(
                TimeoutConfig::builder()
                    .operation_timeout(Duration::from_secs(2))
                    .build(),
            ));
            Client::from_conf(config.build())
        })
    }

    /// `Some` when the last flow applied to `user_id` was an offboarding. A ledger that cannot be read fails closed:
    /// the caller refuses rather than reactivate someone it cannot check.
    pub async fn offboarded(&self, user_id: &str) -> Result<Option<Offboarded>> {
        let answer = self
            .client()
            .get_item()
            .table_name(&self.table)
            .key("pk", AttributeValue::S(format!("user#{user_id}")))
            .consistent_read(true)
            .send()
            .await
            .map_err(|error| {
                Error::config(
                    SETTING,
                    format!(
                        "cannot read the flows' ledger ({}), so whether the user was offboarded is unknown",
                        error.code().unwrap_or("no answer")
                    ),
                )
            })?;
        let item = answer.item.unwrap_or_default();
        let text = |name: &str| {
            item.get(name)
                .and_then(|value| value.as_s().ok())
                .cloned()
                .unwrap_or_default()
        };
        if text("lastFlow") != "offboarding" {
            return Ok(None);
        }
        Ok(Some(Offboarded {
            execution_id: text("lastExecutionId"),
            event_time: text("lastEventTime"),
        }))
    }
}
