//! get-user: the user's essential properties and, on request, its groups (every page, rule-managed ones marked) and
//! every app assigned to it (active or not) with how each is assigned; with `appGrants`, which of the user's
//! groups grant each group-assigned app (`GET /api/v1/apps/{appId}/groups`, spec `listApplicationGroupAssignments`:
//! one read per such app, so only the mover asks for it).

use std::collections::HashSet;

use serde_json::json;

use super::output::{AppSummary, GroupSummary, UserSummary, user_properties};
use super::{Action, Include, Input, Output, base_output};
use crate::error::Result;
use crate::okta::Session;
use crate::okta::apps::{app_group_ids, user_apps};
use crate::okta::models::Group;
use crate::okta::rules::active_rules;
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
    Ok(output)
}
