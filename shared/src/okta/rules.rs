//! Group rules (spec `listGroupRules`): which groups an active rule fills. Removing a rule-managed member through
//! the API puts the user on the rule's exception list (support.okta.com "User getting added in group exclusion list
//! by Okta System"; the list holds at most 100 users), so the rule never adds them back, for example on a rehire.
//!
//! Rules change rarely and are read by many invocations, so one list per container is kept for a few minutes
//! (`rule_cache.rs`, held by the client).

use std::sync::Arc;

use serde::Deserialize;

use super::Session;
pub use super::models::ActiveRule;
use crate::error::Result;

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawRule {
    id: String,
    #[serde(default)]
    name: String,
    #[serde(default)]
    status: String,
    #[serde(default)]
    actions: Option<RawActions>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawActions {
    assign_user_to_groups: Option<RawAssign>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct RawAssign {
    #[serde(default)]
    group_ids: Vec<String>,
}

/// Every active group rule of the org, from the container's cache when it is fresh.
pub async fn active_rules(okta: &Session<'_>) -> Result<Arc<Vec<ActiveRule>>> {
    let org = okta.org_key().await?;
    let cache = okta.rule_cache();
    if let Some(rules) = cache.fresh(&org) {
        return Ok(rules);
    }
    let raw: Vec<RawRule> = okta
        .get_all("/api/v1/groups/rules", &[("limit", "200")])
        .await?;
    let rules = Arc::new(
        raw.into_iter()
            .filter(|rule| rule.status == "ACTIVE")
            .map(|rule| ActiveRule {
                id: rule.id,
                name: rule.name,
                group_ids: rule
                    .actions
                    .and_then(|actions| actions.assign_user_to_groups)
                    .map(|assign| assign.group_ids)
                    .unwrap_or_default(),
            })
            .collect(),
    );
    cache.store(org, Arc::clone(&rules));
    Ok(rules)
}

/// The active rules that assign users to `group_id`.
pub fn rules_for<'r>(rules: &'r [ActiveRule], group_id: &str) -> Vec<&'r ActiveRule> {
    rules
        .iter()
        .filter(|rule| rule.group_ids.iter().any(|id| id == group_id))
        .collect()
}
