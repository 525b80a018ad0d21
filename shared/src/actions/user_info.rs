//! get-user: the user's essential properties and, on request, its groups (every page, rule-managed ones marked) and
//! every app assigned to it (active or not) with how each is assigned.

use std::collections::HashSet;

use super::output::{AppSummary, GroupSummary, UserSummary, user_properties};
use super::{Action, Include, Input, Output, base_output};
use crate::error::Result;
use crate::okta::Session;
use crate::okta::apps::user_apps;
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
    }
    if input.include.contains(&Include::Apps) {
        let apps = user_apps(okta, &user.id).await?;
        output.apps = Some(
            apps.iter()
                .map(|app| AppSummary {
                    scope: app
                        .embedded
                        .as_ref()
                        .and_then(|embedded| embedded.user.as_ref())
                        .map(|assignment| assignment.scope.clone()),
                    ..AppSummary::from(app)
                })
                .collect(),
        );
    }
    Ok(output)
}
