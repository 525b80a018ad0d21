//! A service app's granted scopes against each function's (`Action::scopes`), and whether each action can run:
//! its scopes granted and the reads it depends on answered.
//!
//! The granted scopes are read from the app's scope consent grants (`GET /api/v1/apps/{clientId}/grants`, spec
//! `listScopeConsentGrants`, scope `okta.appGrants.read`): one read names every grant. Minting a token for each
//! function's scope set instead would hold manage-scoped tokens the doctor never needs, and Okta's `invalid_scope`
//! refusal does not say which scope is missing.

use std::collections::{BTreeMap, BTreeSet};

use super::reads::{Read, Reader};
use super::report::Report;
use crate::actions::Action;
use crate::okta::segment;

/// The one scope the doctor needs beyond the functions' read scopes.
pub const GRANTS_READ_SCOPE: &str = "okta.appGrants.read";

/// The scopes Okta has granted to the app (`ACTIVE` grants), or why they could not be read.
pub async fn granted(reader: &mut Reader<'_>, client_id: &str) -> Result<BTreeSet<String>, String> {
    let path = format!("/api/v1/apps/{}/grants", segment(client_id));
    let grants = reader
        .get(&[GRANTS_READ_SCOPE], &path, &[])
        .await
        .map_err(|error| error.to_string())?;
    let grants = grants
        .as_array()
        .ok_or("Okta's list of grants is not a list")?;
    Ok(grants
        .iter()
        .filter(|grant| grant["status"] == "ACTIVE")
        .filter_map(|grant| grant["scopeId"].as_str().map(str::to_owned))
        .collect())
}

/// Whether `granted` allows `needed`: a `manage` scope includes the matching `read` (Okta's scope naming).
fn covers(granted: &BTreeSet<String>, needed: &str) -> bool {
    granted.contains(needed)
        || needed
            .strip_suffix(".read")
            .is_some_and(|resource| granted.contains(&format!("{resource}.manage")))
}

/// The scopes of `action` that `granted` lacks.
fn missing(action: Action, granted: &BTreeSet<String>) -> Vec<&'static str> {
    action
        .scopes()
        .iter()
        .copied()
        .filter(|scope| !covers(granted, scope))
        .collect()
}

/// One item for the app's grants: OK, or each missing scope with the functions that need it.
pub fn report_grants(granted: &Result<BTreeSet<String>, String>, report: &mut Report) {
    const ITEM: &str = "service app's granted scopes";
    let granted = match granted {
        Ok(granted) => granted,
        Err(why) => {
            report.fix(
                ITEM,
                format!(
                    "cannot read the app's scope grants ({why}); grant the read-only scope {GRANTS_READ_SCOPE} so that \
                     the doctor can compare them with each function's, or compare its Okta API Scopes tab with the \
                     README's table by hand"
                ),
            );
            return;
        }
    };
    let mut needed_by: BTreeMap<&str, Vec<&str>> = BTreeMap::new();
    for action in Action::ALL {
        for scope in missing(action, granted) {
            needed_by.entry(scope).or_default().push(action.name());
        }
    }
    if needed_by.is_empty() {
        report.ok(
            ITEM,
            format!(
                "every scope the {} functions use is granted ({})",
                Action::ALL.len(),
                granted.iter().cloned().collect::<Vec<_>>().join(" ")
            ),
        );
    } else {
        let lines: Vec<String> = needed_by
            .iter()
            .map(|(scope, actions)| format!("{scope} (needed by {})", actions.join(", ")))
            .collect();
        report.fix(
            ITEM,
            format!(
                "grant on the app's Okta API Scopes tab: {}",
                lines.join("; ")
            ),
        );
    }
}

/// The reads an action depends on: those of its scopes' resources, and the group rules for the two actions that
/// tell rule-managed memberships apart (`actions/user_info.rs`, `actions/groups.rs`).
fn reads_of(action: Action) -> BTreeSet<Read> {
    let mut reads: BTreeSet<Read> = action
        .scopes()
        .iter()
        .filter_map(|scope| match scope.split('.').nth(1) {
            Some("users") => Some(Read::Users),
            Some("groups") => Some(Read::Groups),
            Some("apps") => Some(Read::Apps),
            Some("roles") => Some(Read::RoleAssignments),
            _ => None,
        })
        .collect();
    if matches!(action, Action::GetUser | Action::RemoveUserFromGroup) {
        reads.insert(Read::GroupRules);
    }
    reads
}

/// One item per action: whether it can run as far as a read-only check can tell.
pub fn report_actions(
    granted: Option<&BTreeSet<String>>,
    failed_reads: &BTreeSet<Read>,
    report: &mut Report,
) {
    for action in Action::ALL {
        let item = format!("action {}", action.name());
        let mut problems = Vec::new();
        if let Some(granted) = granted {
            let missing = missing(action, granted);
            if !missing.is_empty() {
                problems.push(format!("scopes not granted: {}", missing.join(" ")));
            }
        }
        let blocked: Vec<&str> = reads_of(action)
            .intersection(failed_reads)
            .map(|read| read.item())
            .collect();
        if !blocked.is_empty() {
            problems.push(format!("cannot {} (see above)", blocked.join(", ")));
        }
        if problems.is_empty() {
            let scopes = if granted.is_some() {
                "scopes granted; "
            } else {
                ""
            };
            report.ok(item, format!("{scopes}the reads it needs answer"));
        } else {
            report.fix(item, problems.join("; "));
        }
    }
    report.skip(
        "rights to change",
        "a read-only check cannot try them (the custom role's permissions, README Deploying step 1): run an action \
         with \"dryRun\": true, then for real on a test user",
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn manage_covers_read_and_actions_name_what_they_lack() {
        let granted: BTreeSet<String> = ["okta.users.manage", "okta.groups.read"]
            .map(str::to_owned)
            .into();
        assert!(covers(&granted, "okta.users.read"));
        assert!(!covers(&granted, "okta.groups.manage"));
        assert_eq!(missing(Action::SuspendUser, &granted), ["okta.roles.read"]);
        assert_eq!(
            missing(Action::AddUserToGroup, &granted),
            ["okta.groups.manage", "okta.roles.read"]
        );
        assert!(reads_of(Action::GetUser).contains(&Read::GroupRules));
        assert!(!reads_of(Action::SuspendUser).contains(&Read::GroupRules));
        assert!(reads_of(Action::SuspendUser).contains(&Read::RoleAssignments));
    }
}
