//! The input contract: one set of camelCase field names for every action and every caller. Each action accepts
//! only its own fields, so that a typo is an `Input.Invalid` naming the field instead of being silently ignored.

use serde_json::{Map, Value};
use unicode_properties::{GeneralCategory, UnicodeGeneralCategory};

use super::Action;
use crate::error::{Error, Result};
use crate::okta::looks_like_id;

/// Longest accepted name of a user, group or app: Okta logins are at most 100 characters, but ids, emails and
/// labels from callers get some room before we call it garbage.
const MAX_NAME_LEN: usize = 1024;
/// Okta's limit for `credentials.userName` (spec `AppUserCredentials.userName`).
const MAX_APP_USER_NAME_LEN: usize = 100;
/// Longest list of groups or apps one offboard-user invocation acts on: a user's groups and apps are read from
/// Okta uncapped, and a flow's state carries them; past this many, a flow would split its list.
const MAX_LIST_ITEMS: usize = 1000;
/// Upper bound on an app profile's JSON size.
const MAX_PROFILE_BYTES: usize = 16 * 1024;

/// Invisible characters that make two different names look alike, or reorder the text of a log line or a console
/// (bidi overrides and isolates, zero-width spaces, byte-order marks, line and paragraph separators): in an event
/// naming whom to change they are a forgery or a paste accident, never needed. Zero-width joiner and non-joiner are
/// kept: Persian, Indic scripts and emoji sequences need them (as RFC 8264's identifier class allows).
fn is_invisible_format(c: char) -> bool {
    matches!(
        c.general_category(),
        GeneralCategory::Format
            | GeneralCategory::LineSeparator
            | GeneralCategory::ParagraphSeparator
    ) && !matches!(c, '\u{200C}' | '\u{200D}')
}

/// The JSON type a field must have.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FieldKind {
    Text,
    Bool,
    Object,
    /// An array of strings (a comma-separated list in a query string).
    List,
}

/// Every field any action accepts, with its type.
pub const FIELDS: [(&str, FieldKind); 24] = [
    ("user", FieldKind::Text),
    ("group", FieldKind::Text),
    ("app", FieldKind::Text),
    ("sendEmail", FieldKind::Bool),
    ("resendActivation", FieldKind::Bool),
    ("oauthTokens", FieldKind::Bool),
    ("forgetDevices", FieldKind::Bool),
    ("revokeSessions", FieldKind::Bool),
    ("tempPassword", FieldKind::Bool),
    ("userName", FieldKind::Text),
    ("profile", FieldKind::Object),
    ("include", FieldKind::List),
    ("allowRuleException", FieldKind::Bool),
    ("newOwner", FieldKind::Text),
    ("dryRun", FieldKind::Bool),
    ("executionId", FieldKind::Text),
    ("requestedBy", FieldKind::Text),
    ("rehireReason", FieldKind::Text),
    ("groups", FieldKind::List),
    ("apps", FieldKind::List),
    ("suspend", FieldKind::Bool),
    ("deactivate", FieldKind::Bool),
    ("resetFactors", FieldKind::Bool),
    ("deactivateDevices", FieldKind::Bool),
];

/// Fields every action accepts.
/// `requestedBy`: who asked for the flow that calls this action (Step Functions callers only, like
/// `executionId`); the audit record's `requested_by`, never its `principal`.
const COMMON: [&str; 4] = ["user", "dryRun", "executionId", "requestedBy"];

pub fn field_kind(name: &str) -> Option<FieldKind> {
    FIELDS
        .iter()
        .find(|(field, _)| *field == name)
        .map(|(_, kind)| *kind)
}

/// What `include` may ask of get-user.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Include {
    Groups,
    Apps,
    /// With `apps`: for each app a group grants, the user's groups that grant it (the mover reports them).
    AppGrants,
    /// What may remain after an offboarding (issue 27): the apps holding the user's OAuth grants or refresh tokens,
    /// the factors, the devices linked to the user, the groups the user owns.
    Clients,
    Factors,
    Devices,
    OwnedGroups,
}

/// A validated input.
#[derive(Debug, Clone, Default)]
pub struct Input {
    pub user: String,
    pub group: Option<String>,
    pub app: Option<String>,
    pub send_email: Option<bool>,
    pub resend_activation: bool,
    pub oauth_tokens: Option<bool>,
    pub forget_devices: Option<bool>,
    pub revoke_sessions: Option<bool>,
    pub temp_password: bool,
    pub user_name: Option<String>,
    pub profile: Option<Map<String, Value>>,
    pub include: Vec<Include>,
    /// remove-user-from-group: remove a rule-managed member even though Okta then adds them to the rule's
    /// exception list.
    pub allow_rule_exception: bool,
    /// transfer-group-ownership: who receives the user's groups instead of the user's manager.
    pub new_owner: Option<String>,
    pub dry_run: bool,
    /// The Step Functions execution or Scheduler schedule that made this call; for the audit record only.
    pub execution_id: Option<String>,
    /// Who asked for the flow that made this call (the template's API caller or HR event source); accepted from
    /// Step Functions callers only (`guard::check_requested_by`), for the audit record's `requested_by` only.
    pub requested_by: Option<String>,
    /// activate-user, unsuspend-user: why a user the ledger records as offboarded comes back (a rehire); audited.
    pub rehire_reason: Option<String>,
    /// offboard-user: the ids of the groups to leave and of the apps to revoke (the offboarding plan's lists).
    pub groups: Vec<String>,
    pub apps: Vec<String>,
    /// offboard-user: suspend first (an ACTIVE user), and deactivate last.
    pub suspend: bool,
    pub deactivate: bool,
    /// offboard-user: reset the MFA factors and deactivate the user's own devices, before the deactivation.
    pub reset_factors: bool,
    pub deactivate_devices: bool,
}

impl Action {
    /// The fields this action accepts beyond `user`, `dryRun`, `executionId` and `requestedBy`.
    pub fn own_fields(self) -> &'static [&'static str] {
        match self {
            Action::ActivateUser => &["sendEmail", "resendActivation", "rehireReason"],
            Action::AddUserToGroup => &["group"],
            Action::RemoveUserFromGroup => &["group", "allowRuleException"],
            Action::AssignAppToUser => &["app", "userName", "profile"],
            Action::RevokeAppFromUser => &["app"],
            Action::ClearUserSessions => &["oauthTokens", "forgetDevices"],
            Action::DeactivateUser => &["sendEmail"],
            Action::ExpirePassword => &["tempPassword", "revokeSessions"],
            Action::GetUser => &["include"],
            Action::ResetPassword => &["sendEmail", "revokeSessions"],
            Action::TransferGroupOwnership => &["newOwner"],
            Action::OffboardUser => &[
                "groups",
                "apps",
                "suspend",
                "deactivate",
                "resetFactors",
                "deactivateDevices",
            ],
            Action::UnsuspendUser => &["rehireReason"],
            Action::SuspendUser
            | Action::UnlockUser
            | Action::RevokeUserGrants
            | Action::ResetUserFactors
            | Action::DeactivateUserDevices => &[],
        }
    }

    /// Every field this action accepts.
    pub fn fields(self) -> Vec<&'static str> {
        COMMON.iter().chain(self.own_fields()).copied().collect()
    }

    /// Fields that must be present.
    pub fn required_fields(self) -> &'static [&'static str] {
        match self {
            Action::AddUserToGroup | Action::RemoveUserFromGroup => &["user", "group"],
            Action::AssignAppToUser | Action::RevokeAppFromUser => &["user", "app"],
            // The spec makes sendEmail required for reset_password; so do we, rather than guess a default.
            Action::ResetPassword => &["user", "sendEmail"],
            _ => &["user"],
        }
    }
}

impl Input {
    /// Validates a JSON input for `action`: an object, only the action's fields, each of its type and size.
    pub fn parse(action: Action, value: &Value) -> Result<Input> {
        let Some(object) = value.as_object() else {
            return Err(Error::input(
                "input",
                format!("must be a JSON object, not {}", json_type(value)),
            ));
        };
        let allowed = action.fields();
        for (name, value) in object {
            if !allowed.contains(&name.as_str()) {
                return Err(Error::input(
                    &truncate(name, 64),
                    format!(
                        "is not a field of {}; it takes {}",
                        action.name(),
                        allowed.join(", ")
                    ),
                ));
            }
            let kind = field_kind(name).unwrap_or(FieldKind::Text);
            check_type(name, kind, value)?;
        }
        for required in action.required_fields() {
            if object.get(*required).is_none_or(Value::is_null) {
                return Err(Error::input(
                    required,
                    format!("is required by {}", action.name()),
                ));
            }
        }
        let text = |name: &str, max: usize| -> Result<Option<String>> {
            let Some(value) = object.get(name).and_then(Value::as_str) else {
                return Ok(None);
            };
            let trimmed = value.trim();
            if trimmed.is_empty() {
                return Err(Error::input(name, "is empty"));
            }
            if trimmed.chars().count() > max {
                return Err(Error::input(
                    name,
                    format!("is longer than {max} characters"),
                ));
            }
            if trimmed.chars().any(char::is_control) {
                return Err(Error::input(name, "contains control characters"));
            }
            if let Some(invisible) = trimmed.chars().find(|c| is_invisible_format(*c)) {
                return Err(Error::input(
                    name,
                    format!(
                        "contains the invisible character U+{:04X}; type the name without it",
                        u32::from(invisible)
                    ),
                ));
            }
            Ok(Some(trimmed.to_owned()))
        };
        let flag = |name: &str| object.get(name).and_then(Value::as_bool);
        let profile = match object.get("profile") {
            Some(Value::Object(profile)) => {
                if serde_json::to_string(profile)
                    .map(|json| json.len())
                    .unwrap_or(usize::MAX)
                    > MAX_PROFILE_BYTES
                {
                    return Err(Error::input(
                        "profile",
                        format!("is larger than {MAX_PROFILE_BYTES} bytes"),
                    ));
                }
                Some(profile.clone())
            }
            _ => None,
        };
        // A list of Okta ids (the offboarding plan's groups or apps, `00g…` or `0oa…`): ids only, never names, so
        // that an item names one group or app whatever Okta's names are, and nothing else reaches a request path.
        let ids = |name: &str, prefix: &str| -> Result<Vec<String>> {
            let Some(Value::Array(items)) = object.get(name) else {
                return Ok(Vec::new());
            };
            if items.len() > MAX_LIST_ITEMS {
                return Err(Error::input(
                    name,
                    format!("has more than {MAX_LIST_ITEMS} items"),
                ));
            }
            items
                .iter()
                .map(|item| {
                    let id = item.as_str().unwrap_or_default().trim();
                    if !looks_like_id(id, prefix) {
                        Err(Error::input(
                            name,
                            format!("takes Okta ids only ({prefix} and 17 letters or digits)"),
                        ))
                    } else {
                        Ok(id.to_owned())
                    }
                })
                .collect()
        };
        let include = match object.get("include") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item.as_str() {
                    Some("groups") => Ok(Include::Groups),
                    Some("apps") => Ok(Include::Apps),
                    Some("appGrants") => Ok(Include::AppGrants),
                    Some("clients") => Ok(Include::Clients),
                    Some("factors") => Ok(Include::Factors),
                    Some("devices") => Ok(Include::Devices),
                    Some("ownedGroups") => Ok(Include::OwnedGroups),
                    _ => Err(Error::input(
                        "include",
                        "takes only \"groups\", \"apps\", \"appGrants\", \"clients\", \"factors\", \"devices\" and \"ownedGroups\"",
                    )),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        let input = Input {
            user: text("user", MAX_NAME_LEN)?.unwrap_or_default(),
            group: text("group", MAX_NAME_LEN)?,
            app: text("app", MAX_NAME_LEN)?,
            send_email: flag("sendEmail"),
            resend_activation: flag("resendActivation").unwrap_or(false),
            oauth_tokens: flag("oauthTokens"),
            forget_devices: flag("forgetDevices"),
            revoke_sessions: flag("revokeSessions"),
            temp_password: flag("tempPassword").unwrap_or(false),
            user_name: text("userName", MAX_APP_USER_NAME_LEN)?,
            profile,
            include,
            allow_rule_exception: flag("allowRuleException").unwrap_or(false),
            new_owner: text("newOwner", MAX_NAME_LEN)?,
            dry_run: flag("dryRun").unwrap_or(false),
            execution_id: text("executionId", 2048)?,
            requested_by: text("requestedBy", 2048)?,
            rehire_reason: text("rehireReason", 1000)?,
            groups: ids("groups", "00g")?,
            apps: ids("apps", "0oa")?,
            suspend: flag("suspend").unwrap_or(false),
            deactivate: flag("deactivate").unwrap_or(false),
            reset_factors: flag("resetFactors").unwrap_or(false),
            deactivate_devices: flag("deactivateDevices").unwrap_or(false),
        };
        // A rule between fields is input too: refused here, before any request reaches Okta.
        if action == Action::ExpirePassword
            && input.revoke_sessions.is_some()
            && !input.temp_password
        {
            return Err(Error::input(
                "revokeSessions",
                "applies only with tempPassword: true",
            ));
        }
        Ok(input)
    }
}

fn check_type(name: &str, kind: FieldKind, value: &Value) -> Result<()> {
    let ok = match kind {
        FieldKind::Text => value.is_string() || value.is_null(),
        FieldKind::Bool => value.is_boolean() || value.is_null(),
        FieldKind::Object => value.is_object() || value.is_null(),
        FieldKind::List => {
            value
                .as_array()
                .is_some_and(|items| items.iter().all(Value::is_string))
                || value.is_null()
        }
    };
    if ok {
        return Ok(());
    }
    let expected = match kind {
        FieldKind::Text => "a string",
        FieldKind::Bool => "true or false",
        FieldKind::Object => "a JSON object",
        FieldKind::List => "an array of strings",
    };
    Err(Error::input(
        name,
        format!("must be {expected}, not {}", json_type(value)),
    ))
}

fn json_type(value: &Value) -> &'static str {
    match value {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

fn truncate(text: &str, max: usize) -> String {
    if text.chars().count() <= max {
        text.to_owned()
    } else {
        format!("{}...", text.chars().take(max).collect::<String>())
    }
}

/// Turns a query-string or path value into the JSON its field takes: `"true"` to `true`, `"a,b"` to a list.
pub fn value_from_text(name: &str, text: &str) -> Result<Value> {
    match field_kind(name) {
        Some(FieldKind::Bool) => match text.trim() {
            "true" => Ok(Value::Bool(true)),
            "false" => Ok(Value::Bool(false)),
            _ => Err(Error::input(name, "must be true or false")),
        },
        Some(FieldKind::List) => Ok(Value::Array(
            text.split(',')
                .map(str::trim)
                .filter(|item| !item.is_empty())
                .map(|item| Value::String(item.to_owned()))
                .collect(),
        )),
        Some(FieldKind::Object) => Err(Error::input(name, "must be sent in the JSON body")),
        _ => Ok(Value::String(text.to_owned())),
    }
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;
    use serde_json::json;

    #[test]
    fn every_action_rejects_foreign_fields_by_name() {
        for action in Action::ALL {
            let error = Input::parse(action, &json!({"user": "a@b.c", "grup": "x"})).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("grup"), "{action:?}");
        }
        let error =
            Input::parse(Action::SuspendUser, &json!({"user": "a", "group": "Sales"})).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("group"));
    }

    #[test]
    fn invisible_characters_are_refused_naming_field_and_code_point() {
        let cases = [
            ("user", "pat\u{202E}moc.elpmaxe@", "U+202E"),
            ("user", "\u{200B}pat@example.com", "U+200B"),
            ("user", "pat@example.com\u{FEFF}", "U+FEFF"),
            ("requestedBy", "hr\u{2066}admin\u{2069}", "U+2066"),
            ("executionId", "run\u{2028}forged line", "U+2028"),
        ];
        for (field, value, code_point) in cases {
            let error = Input::parse(Action::SuspendUser, &json!({"user": "a@b.c", field: value}))
                .unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{value:?}");
            assert!(error.message.contains(code_point), "{}", error.message);
            assert!(!error.message.contains(value), "echoes the input");
        }
        let error = Input::parse(
            Action::AddUserToGroup,
            &json!({"user": "a@b.c", "group": "Admins\u{200E}"}),
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("group"));
    }

    #[test]
    fn joiners_that_scripts_and_emoji_need_are_kept() {
        for group in [
            "\u{0645}\u{06CC}\u{200C}\u{062E}\u{0648}\u{0627}\u{0647}\u{0645}",
            "Team \u{1F469}\u{200D}\u{1F4BB}",
            "Ventes Île-de-France",
            "営業部",
        ] {
            let input = Input::parse(
                Action::AddUserToGroup,
                &json!({"user": "a@b.c", "group": group}),
            )
            .unwrap();
            assert_eq!(input.group.as_deref(), Some(group));
        }
    }

    #[test]
    fn types_sizes_and_required_fields_are_named() {
        let cases = [
            (Action::SuspendUser, json!({"user": 42}), "user"),
            (
                Action::SuspendUser,
                json!({"user": "a", "dryRun": "yes"}),
                "dryRun",
            ),
            (Action::SuspendUser, json!({}), "user"),
            (Action::SuspendUser, json!({"user": "  "}), "user"),
            (
                Action::SuspendUser,
                json!({"user": "x".repeat(5000)}),
                "user",
            ),
            (Action::AddUserToGroup, json!({"user": "a"}), "group"),
            (Action::ResetPassword, json!({"user": "a"}), "sendEmail"),
            // Found by the fuzz run: refused only after the user lookup had reached Okta.
            (
                Action::ExpirePassword,
                json!({"user": "a", "revokeSessions": false}),
                "revokeSessions",
            ),
            (
                Action::GetUser,
                json!({"user": "a", "include": ["roles"]}),
                "include",
            ),
            (
                Action::AssignAppToUser,
                json!({"user": "a", "app": "x", "profile": [1]}),
                "profile",
            ),
            (
                Action::AssignAppToUser,
                json!({"user": "a", "app": "x", "userName": "u".repeat(101)}),
                "userName",
            ),
        ];
        for (action, input, field) in cases {
            let error = Input::parse(action, &input).unwrap_err();
            assert_eq!(error.field.as_deref(), Some(field), "{input}");
        }
        let error = Input::parse(Action::SuspendUser, &json!(["user"])).unwrap_err();
        assert_eq!(error.field.as_deref(), Some("input"));
    }

    #[test]
    fn a_full_input_parses() {
        let input = Input::parse(
            Action::AssignAppToUser,
            &json!({"user": " jane@acme.com ", "app": "Slack", "userName": "jane", "profile": {"role": "dev"}, "dryRun": true}),
        )
        .unwrap();
        assert_eq!(input.user, "jane@acme.com");
        assert_eq!(input.app.as_deref(), Some("Slack"));
        assert!(input.dry_run);
        assert_eq!(input.profile.unwrap()["role"], "dev");
    }
}
