//! get-user: the user's essential properties and, on request, its groups and apps (every page).

use super::output::{AppSummary, GroupSummary, UserSummary, user_properties};
use super::{Action, Include, Input, Output, base_output};
use crate::error::Result;
use crate::okta::Session;
use crate::okta::users::{find_user, user_app_links, user_groups};

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
        output.groups = Some(groups.iter().map(GroupSummary::from).collect());
    }
    if input.include.contains(&Include::Apps) {
        let links = user_app_links(okta, &user.id).await?;
        output.apps = Some(
            links
                .into_iter()
                .map(|link| AppSummary {
                    id: link.app_instance_id,
                    label: link.label,
                    scope: None,
                })
                .collect(),
        );
    }
    Ok(output)
}
