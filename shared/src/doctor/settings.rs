//! The guardrail settings that name Okta objects: each protected or grantable group and each grantable app must
//! exist, or the functions refuse every change (`Config.Invalid`) or can never grant what the list names.

use super::reads::Reader;
use super::report::Report;
use crate::grants::Grants;
use crate::guard::Guardrails;
use crate::okta::apps::find_app;
use crate::okta::groups::find_group;
use crate::okta::roles::group_roles;
use crate::okta::{looks_like_id, segment};

const GROUPS_READ: &[&str] = &["okta.groups.read"];
const ROLES_READ: &[&str] = &["okta.roles.read"];
const APPS_READ: &[&str] = &["okta.apps.read"];

/// One item per setting: what each reference resolves to, or what does not resolve.
pub async fn check(reader: &mut Reader<'_>, rules: &Guardrails, report: &mut Report) {
    let protected = resolve_groups(reader, &rules.protected_groups).await;
    settle(
        report,
        "OKTA_PROTECTED_GROUPS",
        protected,
        "not set: only the token's admin and admins are protected",
        "every change is refused with Config.Invalid until it resolves",
    );
    match &rules.grantable_groups {
        Grants::Closed => report.ok(
            "OKTA_GRANTABLE_GROUPS",
            "not set: only the access profiles' groups may be granted (infra/access-profiles.json)",
        ),
        Grants::Any => report.ok(
            "OKTA_GRANTABLE_GROUPS",
            "*: any group without admin roles that is not protected may be granted",
        ),
        Grants::Only(entries) => {
            let groups: Vec<String> = entries
                .iter()
                .map(|grant| grant.reference.clone())
                .collect();
            let mut found = resolve_groups(reader, &groups).await;
            // A listed group that carries admin roles is always refused (Policy.PrivilegedGroup).
            for (id, resolved) in &mut found {
                if let (Some(id), Ok(name)) = (id.as_deref(), resolved.as_ref()) {
                    let session = reader.session(ROLES_READ);
                    match group_roles(&session, id).await {
                        Ok(roles) if roles.is_empty() => {}
                        Ok(_) => {
                            *resolved = Err(format!(
                                "{name} carries admin roles, so add-user-to-group always refuses it \
                                 (Policy.PrivilegedGroup): remove it from the list"
                            ));
                        }
                        Err(error) => *resolved = Err(format!("{name}: {error}")),
                    }
                }
            }
            settle(
                report,
                "OKTA_GRANTABLE_GROUPS",
                found,
                "",
                "add-user-to-group cannot grant it",
            );
        }
    }
    match &rules.grantable_apps {
        Grants::Closed => report.ok(
            "OKTA_GRANTABLE_APPS",
            "not set: only the access profiles' apps may be granted (infra/access-profiles.json)",
        ),
        Grants::Any => report.ok(
            "OKTA_GRANTABLE_APPS",
            "*: any app may be granted, without an app-user profile",
        ),
        Grants::Only(entries) => {
            let mut found = Vec::new();
            for reference in entries.iter().map(|grant| &grant.reference) {
                let session = reader.session(APPS_READ);
                found.push(match find_app(&session, reference).await {
                    Ok(app) => (
                        Some(app.id.clone()),
                        Ok(format!("{} ({})", app.label, app.id)),
                    ),
                    Err(error) => (None, Err(format!("{reference:?}: {error}"))),
                });
            }
            settle(
                report,
                "OKTA_GRANTABLE_APPS",
                found,
                "",
                "assign-app-to-user cannot grant it",
            );
        }
    }
}

/// Each group reference as (its id, "name (id)") or why it does not resolve. An id is read (the guardrails take it
/// on trust), a name looked up as the functions do.
async fn resolve_groups(
    reader: &mut Reader<'_>,
    references: &[String],
) -> Vec<(Option<String>, Result<String, String>)> {
    let mut found = Vec::new();
    for reference in references {
        let resolved = if looks_like_id(reference, "00g") {
            let path = format!("/api/v1/groups/{}", segment(reference));
            reader
                .get(GROUPS_READ, &path, &[])
                .await
                .map(|group| {
                    let name = group["profile"]["name"].as_str().unwrap_or_default();
                    (group["id"].as_str().map(str::to_owned), name.to_owned())
                })
                .map_err(|error| error.to_string())
        } else {
            let session = reader.session(GROUPS_READ);
            find_group(&session, reference)
                .await
                .map(|group| (Some(group.id), group.profile.name))
                .map_err(|error| error.to_string())
        };
        found.push(match resolved {
            Ok((id, name)) => {
                let shown = format!("{name:?} ({})", id.as_deref().unwrap_or(reference));
                (id, Ok(shown))
            }
            Err(why) => (None, Err(format!("{reference:?}: {why}"))),
        });
    }
    found
}

fn settle(
    report: &mut Report,
    setting: &str,
    found: Vec<(Option<String>, Result<String, String>)>,
    when_empty: &str,
    consequence: &str,
) {
    if found.is_empty() {
        report.ok(setting, when_empty);
        return;
    }
    let (resolved, failed): (Vec<_>, Vec<_>) = found
        .into_iter()
        .map(|(_, result)| result)
        .partition(Result::is_ok);
    let failed: Vec<String> = failed.into_iter().filter_map(Result::err).collect();
    if failed.is_empty() {
        let names: Vec<String> = resolved.into_iter().filter_map(Result::ok).collect();
        report.ok(setting, format!("resolves: {}", names.join(", ")));
    } else {
        report.fix(
            setting,
            format!(
                "{}; {consequence}: correct the setting (ids or exact names)",
                failed.join("; ")
            ),
        );
    }
}
