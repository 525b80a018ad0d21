//! The Okta client with the guardrails beside it: what a function holds for its container's life and hands to every
//! invocation (`lambda::handle`, `lambda::execute`). The client (`okta/`) knows nothing of the guardrails; the
//! guardrails read Okta through it (`guard.rs`); this pair is where the two meet.

use std::ops::Deref;

use super::{Guard, Guardrails};
use crate::ledger::Ledger;
use crate::okta::OktaClient;

#[derive(Debug)]
pub struct GuardedClient {
    client: OktaClient,
    guard: Guard,
}

impl GuardedClient {
    /// `client` with the deployment's guardrails.
    pub fn new(client: OktaClient, rules: Guardrails) -> Self {
        GuardedClient {
            client,
            guard: Guard::new(rules),
        }
    }

    /// The same client with other guardrails; the ledger, if any, is kept.
    #[must_use]
    pub fn with_guardrails(mut self, rules: Guardrails) -> Self {
        let ledger = self.guard.take_ledger();
        self.guard = Guard::new(rules).with_ledger(ledger);
        self
    }

    /// Guards activate-user and unsuspend-user with the flows' ledger (`guard.rs`, no path back for a leaver).
    #[must_use]
    pub fn with_ledger(mut self, ledger: Ledger) -> Self {
        self.guard = std::mem::take(&mut self.guard).with_ledger(Some(ledger));
        self
    }

    pub fn guard(&self) -> &Guard {
        &self.guard
    }

    pub fn client(&self) -> &OktaClient {
        &self.client
    }
}

/// Everything the client offers (`session`, `connection`, `prepare`) is used through the pair as it was before the
/// guard moved beside the client.
impl Deref for GuardedClient {
    type Target = OktaClient;

    fn deref(&self) -> &OktaClient {
        &self.client
    }
}

/// A client with the default guardrails: no protected groups, no allow-lists (nothing may be granted), no
/// credential return.
impl From<OktaClient> for GuardedClient {
    fn from(client: OktaClient) -> Self {
        GuardedClient::new(client, Guardrails::default())
    }
}
