//! get-user: the user's essential properties and, on request, its groups (every page, rule-managed ones marked),
//! every app assigned to it (active or not) with how each is assigned; with `appGrants`, which of the user's groups
//! grant each group-assigned app (`GET /api/v1/apps/{appId}/groups`, spec `listApplicationGroupAssignments`: one
//! read per such app, so only the mover asks for it); and what an offboarding revokes beyond them (issue 27): the
//! apps holding its OAuth grants or refresh tokens, its factors (not for a DEPROVISIONED user: Okta hides them), the
//! devices linked to it, the groups it owns (every group's owners read, as transfer-group-ownership does).

use std::collections::HashSet;

use serde_json::json;

use super::output::{
    AppSummary, ClientSummary, DeviceSummary, FactorSummary, GroupSummary, OwnedGroupSummary,
    UserSummary, user_properties,
};
use super::{Action, Include, Input, Output, base_output};
use crate::error::{ErrorKind, Result};
use crate::okta::Session;
use crate::okta::apps::{app_group_ids, user_apps};
use crate::okta::devices::user_devices;
use crate::okta::factors::user_factors;
use crate::okta::group_owners::{all_groups, group_owners};
use crate::okta::models::{Group, User, UserStatus};
use crate::okta::rules::active_rules;
use crate::okta::user_grants::user_clients;
use crate::okta::users::{find_user, user_groups};

pub async fn get(okta: &Session<'_>, input: &Input) -> Result<Output> {
    let user = find_user(okta, &input.user).await?;
    let mut output = base_output(
        Action::GetUser,
        UserSummary::new(&user, &user.status),
        false,
        input,
        "read".to_owned(),
    );
    output.properties = Some(user_properties(&user));
    let mut groups_read: Option<Vec<Group>> = None;
    if input.include.contains(&Include::Groups) {
        let groups = user_groups(okta, &user.id).await?;
        // Offboarding leaves these alone: removing the user would put them on the rule's exception list.
        let rule_targets: HashSet<String> = active_rules(okta)
            .await?
            .iter()
            .flat_map(|rule| rule.group_ids.iter().cloned())
            .collect();
        output.groups = Some(
            groups
                .iter()
                .map(|group| GroupSummary {
                    rule_managed: rule_targets.contains(&group.id),
                    ..GroupSummary::from(group)
                })
                .collect(),
        );
        groups_read = Some(groups);
    }
    if input.include.contains(&Include::Apps) {
        let apps = user_apps(okta, &user.id).await?;
        let mut summaries: Vec<AppSummary> = apps
            .iter()
            .map(|app| AppSummary {
                scope: app
                    .embedded
                    .as_ref()
                    .and_then(|embedded| embedded.user.as_ref())
                    .map(|assignment| assignment.scope.clone()),
                ..AppSummary::from(app)
            })
            .collect();
        if input.include.contains(&Include::AppGrants) {
            let groups = match groups_read {
                Some(groups) => groups,
                None => user_groups(okta, &user.id).await?,
            };
            for app in summaries
                .iter_mut()
                .filter(|app| app.scope.as_deref() == Some("GROUP"))
            {
                let granting = app_group_ids(okta, &app.id).await?;
                app.granted_by = Some(
                    groups
                        .iter()
                        .filter(|group| granting.contains(&group.id))
                        .map(|group| json!({"id": group.id, "name": group.profile.name}))
                        .collect(),
                );
            }
        }
        output.apps = Some(summaries);
    }
    leaver_reads(okta, input, &user, &mut output).await?;
    Ok(output)
}

/// The reads of issue 27's revocations, each on request.
async fn leaver_reads(
    okta: &Session<'_>,
    input: &Input,
    user: &User,
    output: &mut Output,
) -> Result<()> {
    if input.include.contains(&Include::Clients) {
        output.clients = unless_unavailable(user_clients(okta, &user.id).await)?.map(|clients| {
            clients
                .iter()
                .map(|client| ClientSummary {
                    id: client.client_id.clone(),
                    name: client.client_name.clone().unwrap_or_default(),
                })
                .collect()
        });
    }
    if input.include.contains(&Include::Factors) && user.status != UserStatus::Deprovisioned {
        output.factors = unless_unavailable(user_factors(okta, &user.id).await)?.map(|factors| {
            factors
                .into_iter()
                .map(|factor| FactorSummary {
                    id: factor.id,
                    factor_type: factor.factor_type,
                })
                .collect()
        });
    }
    if input.include.contains(&Include::Devices) {
        // A deactivated device keeps no user link; one still listed is the user's.
        output.devices = unless_unavailable(user_devices(okta, &user.id).await)?.map(|devices| {
            devices
                .into_iter()
                .filter(|linked| linked.device.status != "DEACTIVATED")
                .map(|linked| DeviceSummary {
                    name: linked.device.display_name().to_owned(),
                    id: linked.device.id,
                    outcome: "linked",
                    other_users: None,
                })
                .collect()
        });
    }
    if input.include.contains(&Include::OwnedGroups) {
        output.owned_groups = unless_unavailable(owned_groups(okta, user).await)?;
    }
    Ok(())
}

/// The groups the user owns: every group's owners (the built-in Everyone has none).
async fn owned_groups(okta: &Session<'_>, user: &User) -> Result<Vec<OwnedGroupSummary>> {
    let mut owned = Vec::new();
    for group in all_groups(okta)
        .await?
        .into_iter()
        .filter(|group| group.group_type != "BUILT_IN")
    {
        if group_owners(okta, &group.id)
            .await?
            .iter()
            .any(|owner| owner.is_user(&user.id))
        {
            owned.push(OwnedGroupSummary {
                id: group.id,
                name: group.profile.name,
                outcome: "owned",
            });
        }
    }
    Ok(owned)
}

/// A read the org cannot answer (401 `E0000015`, "Feature not enabled": devices without Identity Engine, group
/// owners without Identity Governance) is left out of the output, not an error: the rest of the read stands.
fn unless_unavailable<T>(read: Result<T>) -> Result<Option<T>> {
    match read {
        Ok(found) => Ok(Some(found)),
        Err(error) if error.kind == ErrorKind::OktaFeatureUnavailable => Ok(None),
        Err(error) => Err(error),
    }
}
