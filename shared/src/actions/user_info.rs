//! get-user: the user's essential properties and, on request, its groups (every page) and its apps with how each
//! is assigned.

use super::output::{AppSummary, GroupSummary, UserSummary, user_properties};
use super::{Action, Include, Input, Output, base_output};
use crate::error::Result;
use crate::okta::Session;
use crate::okta::apps::app_user;
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
        // appLinks says which apps, not how: the assignment's scope (USER or GROUP) tells offboarding what it can
        // revoke and why an app remains, at one read per app.
        let mut apps = Vec::new();
        for link in user_app_links(okta, &user.id).await? {
            let assignment = app_user(okta, &link.app_instance_id, &user.id).await?;
            apps.push(AppSummary {
                id: link.app_instance_id,
                label: link.label,
                scope: assignment.map(|assignment| assignment.scope),
            });
        }
        output.apps = Some(apps);
    }
    Ok(output)
}
