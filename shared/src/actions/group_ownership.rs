//! transfer-group-ownership: the groups the user owns (Okta Identity Governance group owners) go to the user's
//! manager (the `manager` linked object) or to `newOwner`. The new owner is added before the user is removed, so
//! that no group is ever left without an owner, even if the run stops half-way; without a new owner nothing changes.
//!
//! Okta cannot list the groups a user owns, so every group's owners are read (one call per group, the built-in
//! Everyone excepted), all before the first change: a run that runs out of time changes nothing. Kept as they
//! are, and reported: groups that carry admin roles (their owner would govern who holds the roles: an admin
//! transfers those in the admin console, as the guardrails ask for every privileged group) and ownerships imported
//! from an app (`originType: APPLICATION`, changed in that app). `changed` is false when nothing is left to
//! transfer.

use super::output::{OwnedGroupSummary, UserRef, UserSummary};
use super::{Action, Input, Output, base_output};
use crate::error::{Error, ErrorKind, Result};
use crate::okta::Session;
use crate::okta::group_owners::{add_user_owner, all_groups, group_owners, remove_owner};
use crate::okta::linked_objects::{MANAGER_RELATIONSHIP, manager_id};
use crate::okta::models::{Group, GroupOwner, User, UserStatus};
use crate::okta::roles::group_roles;
use crate::okta::users::{Matched, find_user, get_user, resolve_user};

/// A group the user owns, with all its owners as read.
struct Owned {
    group: Group,
    owners: Vec<GroupOwner>,
    /// Why it stays as it is, if it does.
    kept: Option<&'static str>,
}

pub async fn transfer(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let action = Action::TransferGroupOwnership;
    let user = find_user(okta, &input.user).await?;
    let summary = UserSummary::new(&user, &user.status);
    let owned = owned_groups(okta, &user).await?;
    let transferable: Vec<&Owned> = owned.iter().filter(|group| group.kept.is_none()).collect();
    let kept: Vec<&Owned> = owned.iter().filter(|group| group.kept.is_some()).collect();
    let kept_text = describe_kept(&kept);
    if transferable.is_empty() {
        let message = if owned.is_empty() {
            "unchanged: the user owns no group".to_owned()
        } else {
            format!("unchanged: nothing to transfer{kept_text}")
        };
        let mut output = base_output(action, summary, false, input, message);
        output.owned_groups = Some(summaries(&owned, input.dry_run));
        return Ok(output);
    }
    let new_owner = new_owner(okta, input, &user, &transferable).await?;
    if !input.dry_run {
        for group in &transferable {
            // First the new owner, then the user's removal: the group always has an owner.
            if !group
                .owners
                .iter()
                .any(|owner| owner.is_user(&new_owner.id))
            {
                add_user_owner(okta, &group.group.id, &new_owner.id).await?;
            }
            match remove_owner(okta, &group.group.id, &user.id).await {
                // Removed meanwhile (an earlier attempt whose answer was lost, or an admin).
                Err(error) if error.kind == ErrorKind::OktaNotFound => {}
                other => other?,
            }
        }
    }
    let names = names(&transferable);
    let to = format!("{} ({})", new_owner.login(), new_owner.id);
    let message = if input.dry_run {
        format!("would transfer {names} to {to}{kept_text}")
    } else {
        format!("transferred {names} to {to}{kept_text}")
    };
    let mut output = base_output(action, summary, true, input, message);
    output.owned_groups = Some(summaries(&owned, input.dry_run));
    output.new_owner = Some(UserRef {
        id: new_owner.id.clone(),
        login: new_owner.login().to_owned(),
    });
    Ok(output)
}

/// Every group the user owns as a user (`type: USER`), each marked when it must stay as it is.
async fn owned_groups(okta: &Session<'_>, user: &User) -> Result<Vec<Owned>> {
    let mut owned = Vec::new();
    // The built-in Everyone group is Okta's own: it has no owners to transfer.
    for group in all_groups(okta)
        .await?
        .into_iter()
        .filter(|group| group.group_type != "BUILT_IN")
    {
        let owners = group_owners(okta, &group.id).await?;
        let Some(mine) = owners.iter().find(|owner| owner.is_user(&user.id)) else {
            continue;
        };
        let kept = if mine.origin_type.as_deref() == Some("APPLICATION") {
            Some("keptManagedInApp")
        } else if !group_roles(okta, &group.id).await?.is_empty() {
            Some("keptPrivileged")
        } else {
            None
        };
        owned.push(Owned {
            group,
            owners,
            kept,
        });
    }
    Ok(owned)
}

/// `newOwner` when given (one person: id, full login or an email only they have), else the user's manager. Active,
/// and not the user: an owner who cannot sign in would leave the group ownerless in all but name.
async fn new_owner(
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    transferable: &[&Owned],
) -> Result<User> {
    let candidate = match input.new_owner.as_deref() {
        Some(reference) => {
            let (candidate, matched) = resolve_user(okta, reference).await?;
            if matched == Matched::Shortname {
                return Err(Error::input(
                    "newOwner",
                    format!(
                        "{reference:?} is a login shortname, which names whoever holds it today; give the full login or the id"
                    ),
                ));
            }
            candidate
        }
        None => match manager_id(okta, &user.id).await? {
            Some(id) => get_user(okta, &id).await?,
            None => {
                return Err(Error::not_applicable(format!(
                    "{} owns {} but has no manager (linked object {MANAGER_RELATIONSHIP:?}) and no newOwner was \
                     given; ownership was not changed, so that no group is left without an owner",
                    user.id,
                    names(transferable)
                )));
            }
        },
    };
    if candidate.id == user.id {
        return Err(Error::input(
            "newOwner",
            "is the user whose groups are transferred; name someone else",
        ));
    }
    if candidate.status != UserStatus::Active {
        return Err(Error::not_applicable(format!(
            "the new owner {} ({}) is {}, not ACTIVE; name an active owner with newOwner",
            candidate.login(),
            candidate.id,
            candidate.status
        )));
    }
    Ok(candidate)
}

fn names(groups: &[&Owned]) -> String {
    let names: Vec<String> = groups
        .iter()
        .map(|owned| format!("{:?} ({})", owned.group.profile.name, owned.group.id))
        .collect();
    format!("{} group(s): {}", groups.len(), names.join(", "))
}

fn describe_kept(kept: &[&Owned]) -> String {
    if kept.is_empty() {
        return String::new();
    }
    let why = |reason: &str| match reason {
        "keptPrivileged" => "it carries admin roles: transfer it in the admin console",
        _ => "its ownership is managed in an app",
    };
    let items: Vec<String> = kept
        .iter()
        .map(|owned| {
            format!(
                "{:?} ({}): {}",
                owned.group.profile.name,
                owned.group.id,
                why(owned.kept.unwrap_or_default())
            )
        })
        .collect();
    format!("; kept {}", items.join("; "))
}

fn summaries(owned: &[Owned], dry_run: bool) -> Vec<OwnedGroupSummary> {
    owned
        .iter()
        .map(|group| OwnedGroupSummary {
            id: group.group.id.clone(),
            name: group.group.profile.name.clone(),
            outcome: match group.kept {
                Some(reason) => reason,
                None if dry_run => "wouldTransfer",
                None => "transferred",
            },
        })
        .collect()
}
