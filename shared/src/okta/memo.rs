//! What the guardrails already resolved in this invocation (the target user, group or app, the user's groups), so
//! that the action does not read it from Okta a second time. One invocation only: nothing outlives the session.

use std::sync::Mutex;

use super::models::{App, Group, User};

/// One remembered answer, for the reference it answered.
#[derive(Debug)]
pub struct Slot<T>(Mutex<Option<(String, T)>>);

impl<T: Clone> Slot<T> {
    pub fn get(&self, reference: &str) -> Option<T> {
        let slot = self.0.lock().ok()?;
        slot.as_ref()
            .filter(|(key, _)| key == reference)
            .map(|(_, value)| value.clone())
    }

    /// Whatever is remembered, whichever reference it answered.
    pub fn value(&self) -> Option<T> {
        let slot = self.0.lock().ok()?;
        slot.as_ref().map(|(_, value)| value.clone())
    }

    pub fn set(&self, reference: &str, value: &T) {
        if let Ok(mut slot) = self.0.lock() {
            *slot = Some((reference.to_owned(), value.clone()));
        }
    }
}

impl<T> Default for Slot<T> {
    fn default() -> Self {
        Slot(Mutex::new(None))
    }
}

#[derive(Debug, Default)]
pub struct Memo {
    /// The target user, by the reference the caller gave.
    pub user: Slot<User>,
    /// The group, by the caller's reference.
    pub group: Slot<Group>,
    /// The app, by the caller's reference.
    pub app: Slot<App>,
    /// The groups of a user, by user id.
    pub user_groups: Slot<Vec<Group>>,
}
