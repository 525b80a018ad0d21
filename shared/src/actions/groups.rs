//! Group membership: add-user-to-group and remove-user-from-group. Only OKTA_GROUP memberships can change; the
//! user's current groups decide whether anything needs to.

use super::output::{GroupSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, Result};
use crate::okta::Session;
use crate::okta::groups::{add_member, ensure_membership_is_manageable, find_group, remove_member};
use crate::okta::models::Group;
use crate::okta::rules::{active_rules, rules_for};
use crate::okta::users::{find_user, user_groups};

pub async fn run(action: Action, okta: &Session<'_>, input: &Input) -> Result<Output> {
    let group_name = input
        .group
        .as_deref()
        .ok_or_else(|| Error::input("group", "is required"))?;
    let user = find_user(okta, &input.user).await?;
    let group = find_group(okta, group_name).await?;
    ensure_membership_is_manageable(&group)?;
    let member = user_groups(okta, &user.id)
        .await?
        .iter()
        .any(|g| g.id == group.id);
    let adding = action == Action::AddUserToGroup;
    let changed = adding != member;
    if changed && !adding && !input.allow_rule_exception {
        ensure_not_rule_managed(okta, &group).await?;
    }
    let message = match (changed, input.dry_run, adding) {
        (false, _, true) => format!("unchanged: already a member of {:?}", group.profile.name),
        (false, _, false) => format!("unchanged: not a member of {:?}", group.profile.name),
        (true, true, true) => format!("would add to {:?}", group.profile.name),
        (true, true, false) => format!("would remove from {:?}", group.profile.name),
        (true, false, true) => format!("added to {:?}", group.profile.name),
        (true, false, false) => format!("removed from {:?}", group.profile.name),
    };
    if changed && !input.dry_run {
        if adding {
            add_member(okta, &group.id, &user.id).await?;
        } else {
            remove_member(okta, &group.id, &user.id).await?;
        }
    }
    let mut output = base_output(
        action,
        UserSummary::new(&user, &user.status),
        changed,
        input,
        message,
    );
    output.group = Some(GroupSummary::from(&group));
    Ok(output)
}

/// A removal from a group an active rule fills would put the user on the rule's exception list, for good: refuse
/// unless the caller accepts that.
async fn ensure_not_rule_managed(okta: &Session<'_>, group: &Group) -> Result<()> {
    let rules = active_rules(okta).await?;
    let managing = rules_for(&rules, &group.id);
    if managing.is_empty() {
        return Ok(());
    }
    let names = managing
        .iter()
        .map(|rule| format!("{:?} ({})", rule.name, rule.id))
        .collect::<Vec<_>>()
        .join(", ");
    Err(Error::not_applicable(format!(
        "group {:?} is filled by the group rule {names}: removing the user through the API puts them on the \
         rule's exception list (at most 100 users), so the rule never adds them back, even after a rehire; \
         deactivating the user already ends the access. Set allowRuleException: true to remove anyway",
        group.profile.name
    )))
}
