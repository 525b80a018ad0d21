//! Group membership: add-user-to-group and remove-user-from-group. Only OKTA_GROUP memberships can change; the
//! user's current groups decide whether anything needs to.

use super::output::{GroupSummary, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, Result};
use crate::okta::Session;
use crate::okta::groups::{add_member, ensure_membership_is_manageable, find_group, remove_member};
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
