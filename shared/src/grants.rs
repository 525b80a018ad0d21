//! What a deployment may grant: the allow-lists `OKTA_GRANTABLE_GROUPS` and `OKTA_GRANTABLE_APPS`, and the reviewed
//! access profiles (`infra/access-profiles.json`, compiled in: the groups and apps HR onboarding grants).
//!
//! Closed by default: a deployment that names neither a list nor a profile grants nothing, and the refusal says how
//! to allow it. `*` opens a list (any group without admin roles, any app). An app entry may name the keys of the
//! app-user `profile` it may set, `Label[key|key]` (`AWS Account Federation[samlRoles]`): a profile can carry
//! rights inside the app (an AWS SAML role, a Salesforce profile), so any other key, and any key under `*`, is
//! refused.

use std::collections::BTreeMap;

use serde::Deserialize;

use crate::error::{Error, Result};

/// One allow-list.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum Grants {
    /// Not set: only what the access profiles name.
    #[default]
    Closed,
    /// `*`: anything (groups still never with admin roles; apps without a profile).
    Any,
    /// The listed groups or apps, by id or exact name or label.
    Only(Vec<Grant>),
}

/// One entry of an allow-list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Grant {
    pub reference: String,
    /// The app-user profile keys it may set (apps only).
    pub profile_keys: Vec<String>,
}

impl Grant {
    pub fn named(reference: &str) -> Self {
        Grant {
            reference: reference.to_owned(),
            profile_keys: Vec::new(),
        }
    }
}

/// What a list says of one group or app.
#[derive(Debug, PartialEq, Eq)]
pub enum Verdict<'a> {
    Granted { profile_keys: &'a [String] },
    NotListed,
}

impl Grants {
    /// Reads a list setting: empty or unset is closed, `*` alone is open, else comma-separated entries, each an id,
    /// a name or label, optionally followed by `[key|key]` (apps only).
    pub fn parse(setting: &'static str, value: Option<&str>, keys_allowed: bool) -> Result<Self> {
        let Some(value) = value.map(str::trim).filter(|value| !value.is_empty()) else {
            return Ok(Grants::Closed);
        };
        if value == "*" {
            return Ok(Grants::Any);
        }
        let mut entries = Vec::new();
        for item in value
            .split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
        {
            if item == "*" {
                return Err(Error::config(
                    setting,
                    "\"*\" opens the list alone; it cannot be one entry among others",
                ));
            }
            let (reference, keys) = match item
                .strip_suffix(']')
                .and_then(|rest| rest.rsplit_once('['))
            {
                Some((reference, keys)) => (reference.trim(), Some(keys)),
                None => (item, None),
            };
            let profile_keys: Vec<String> = match keys {
                None => Vec::new(),
                Some(_) if !keys_allowed => {
                    return Err(Error::config(
                        setting,
                        format!("{reference:?}: only app entries name profile keys"),
                    ));
                }
                Some(keys) => keys
                    .split('|')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(str::to_owned)
                    .collect(),
            };
            if reference.is_empty() {
                return Err(Error::config(
                    setting,
                    format!("{item:?} names no group or app"),
                ));
            }
            entries.push(Grant {
                reference: reference.to_owned(),
                profile_keys,
            });
        }
        Ok(Grants::Only(entries))
    }

    /// Whether the list (with the access profiles' `profiled` names) grants the group or app `id` / `name`.
    pub fn verdict<'a>(&'a self, id: &str, name: &str, profiled: &[String]) -> Verdict<'a> {
        let in_profiles = profiled.iter().any(|item| item == id || item == name);
        match self {
            Grants::Any => Verdict::Granted { profile_keys: &[] },
            Grants::Only(entries) => match entries
                .iter()
                .find(|e| e.reference == id || e.reference == name)
            {
                Some(entry) => Verdict::Granted {
                    profile_keys: &entry.profile_keys,
                },
                None if in_profiles => Verdict::Granted { profile_keys: &[] },
                None => Verdict::NotListed,
            },
            Grants::Closed if in_profiles => Verdict::Granted { profile_keys: &[] },
            Grants::Closed => Verdict::NotListed,
        }
    }
}

/// The reviewed access profiles, compiled in: the onboarding flow's admit step expands them, the guard grants
/// what they name.
const ACCESS_PROFILES: &str = include_str!("../../infra/access-profiles.json");

#[derive(Deserialize)]
struct Profile {
    groups: Vec<String>,
    apps: Vec<String>,
}

fn access_profiles() -> BTreeMap<String, Profile> {
    serde_json::from_str(ACCESS_PROFILES).unwrap_or_default()
}

/// The profiles' names, sorted.
pub fn access_profile_names() -> Vec<String> {
    access_profiles().into_keys().collect()
}

/// One profile's (groups, apps), in the file's order; `None` for a name the file does not define.
pub fn access_profile(name: &str) -> Option<(Vec<String>, Vec<String>)> {
    access_profiles()
        .remove(name)
        .map(|profile| (profile.groups, profile.apps))
}

/// Every group and every app some access profile grants: (groups, apps).
pub fn access_profile_grants() -> (Vec<String>, Vec<String>) {
    let profiles = access_profiles();
    let mut groups = Vec::new();
    let mut apps = Vec::new();
    for profile in profiles.into_values() {
        groups.extend(profile.groups);
        apps.extend(profile.apps);
    }
    groups.sort();
    groups.dedup();
    apps.sort();
    apps.dedup();
    (groups, apps)
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]
    use super::*;

    #[test]
    fn lists_are_closed_unless_set_and_entries_may_name_profile_keys() {
        assert_eq!(Grants::parse("X", None, true).unwrap(), Grants::Closed);
        assert_eq!(
            Grants::parse("X", Some("  "), true).unwrap(),
            Grants::Closed
        );
        assert_eq!(Grants::parse("X", Some("*"), true).unwrap(), Grants::Any);
        let apps = Grants::parse(
            "X",
            Some("Slack, AWS Account Federation[samlRoles|role], 0oa1"),
            true,
        )
        .unwrap();
        assert_eq!(
            apps.verdict("0oa9", "AWS Account Federation", &[]),
            Verdict::Granted {
                profile_keys: &["samlRoles".to_owned(), "role".to_owned()]
            }
        );
        assert_eq!(
            apps.verdict("0oa1", "Other", &[]),
            Verdict::Granted { profile_keys: &[] }
        );
        assert_eq!(apps.verdict("0oa2", "GitHub", &[]), Verdict::NotListed);
        assert_eq!(
            Grants::Closed.verdict("0oa2", "Zoom", &["Zoom".to_owned()]),
            Verdict::Granted { profile_keys: &[] }
        );
        assert_eq!(
            Grants::Closed.verdict("0oa2", "GitHub", &["Zoom".to_owned()]),
            Verdict::NotListed
        );
        let error = Grants::parse("OKTA_GRANTABLE_GROUPS", Some("Sales[x]"), false).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_GRANTABLE_GROUPS"));
        let error = Grants::parse("OKTA_GRANTABLE_APPS", Some("Slack, *"), true).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_GRANTABLE_APPS"));
    }

    #[test]
    fn the_access_profiles_are_read() {
        let (groups, apps) = access_profile_grants();
        assert!(groups.contains(&"Engineering".to_owned()), "{groups:?}");
        assert!(apps.contains(&"Salesforce".to_owned()), "{apps:?}");
    }
}
