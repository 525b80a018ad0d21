//! Asynchronous status changes (SPEC `activateUser`, `deactivateUser`: "The user's `transitioningToStatus`
//! property is `ACTIVE` during activation" / "`DEPROVISIONED` during deactivation"), user blocks (SPEC
//! `listUserBlocks`, `unlockUser`) and group-rule exception lists (support.okta.com "Removing Users from Exception
//! List in Group Rules": a manual removal adds the user to the rule's list, which holds at most 100 users).

use crate::errors::OktaError;
use crate::model::{Org, User};

/// The most users a group rule's exception list holds (support.okta.com, "the limit of users allowed in the
/// exception list (100 users)").
pub const MAX_RULE_EXCEPTIONS: usize = 100;

/// A read of the user moves a transition on: it shows `transitioningToStatus` for its remaining reads, then
/// completes before the read that finds none left.
pub fn on_read(user: &mut User) {
    let Some(mut t) = user.transition else {
        return;
    };
    if t.reads_left == 0 {
        user.transition = None;
        user.set_status(t.to);
    } else {
        t.reads_left -= 1;
        user.transition = Some(t);
    }
}

/// ERRCODES E0000112: "Cannot update this user because they are still being activated" (409); asked of any
/// lifecycle change while a transition is in progress.
pub fn still_transitioning(user: &User) -> Option<OktaError> {
    user.transition.map(|_| {
        OktaError::new(
            409,
            "E0000112",
            "Cannot update this user because they are still being activated. Please try again later.",
        )
    })
}

/// Removing `user_id` from `group_id` by hand puts them on the exception list of every active rule that fills the
/// group. A full list refuses the removal (code and wording unverified: see README).
pub fn add_rule_exceptions(org: &mut Org, group_id: &str, user_id: &str) -> Result<(), OktaError> {
    let targets =
        |r: &crate::model::GroupRule| r.active && r.group_ids.iter().any(|g| g == group_id);
    if let Some(full) = org.rules.iter().find(|r| {
        targets(r)
            && !r.excluded.iter().any(|u| u == user_id)
            && r.excluded.len() >= MAX_RULE_EXCEPTIONS
    }) {
        return Err(OktaError::validation("exclude").cause(format!(
            "The group rule {} already excludes {MAX_RULE_EXCEPTIONS} users, the most it can; remove users from its exception list first.",
            full.name
        )));
    }
    for rule in org.rules.iter_mut().filter(|r| targets(r)) {
        if !rule.excluded.iter().any(|u| u == user_id) {
            rule.excluded.push(user_id.to_string());
        }
    }
    Ok(())
}
