//! The input contract: one set of camelCase field names for every action and every caller. Each action accepts
//! only its own fields, so that a typo is an `Input.Invalid` naming the field instead of being silently ignored.

use serde_json::{Map, Value};

use super::Action;
use crate::error::{Error, Result};

/// Longest accepted name of a user, group or app: Okta logins are at most 100 characters, but ids, emails and
/// labels from callers get some room before we call it garbage.
const MAX_NAME_LEN: usize = 1024;
/// Okta's limit for `credentials.userName` (spec `AppUserCredentials.userName`).
const MAX_APP_USER_NAME_LEN: usize = 100;
/// Upper bound on an app profile's JSON size.
const MAX_PROFILE_BYTES: usize = 16 * 1024;

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
pub const FIELDS: [(&str, FieldKind); 15] = [
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
    ("dryRun", FieldKind::Bool),
    ("executionId", FieldKind::Text),
];

/// Fields every action accepts.
const COMMON: [&str; 3] = ["user", "dryRun", "executionId"];

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
    pub dry_run: bool,
    /// The Step Functions execution or Scheduler schedule that made this call; for the audit record only.
    pub execution_id: Option<String>,
}

impl Action {
    /// The fields this action accepts beyond `user`, `dryRun` and `executionId`.
    pub fn own_fields(self) -> &'static [&'static str] {
        match self {
            Action::ActivateUser => &["sendEmail", "resendActivation"],
            Action::AddUserToGroup => &["group"],
            Action::RemoveUserFromGroup => &["group", "allowRuleException"],
            Action::AssignAppToUser => &["app", "userName", "profile"],
            Action::RevokeAppFromUser => &["app"],
            Action::ClearUserSessions => &["oauthTokens", "forgetDevices"],
            Action::DeactivateUser => &["sendEmail"],
            Action::ExpirePassword => &["tempPassword", "revokeSessions"],
            Action::GetUser => &["include"],
            Action::ResetPassword => &["sendEmail", "revokeSessions"],
            Action::SuspendUser | Action::UnsuspendUser | Action::UnlockUser => &[],
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
        let include = match object.get("include") {
            Some(Value::Array(items)) => items
                .iter()
                .map(|item| match item.as_str() {
                    Some("groups") => Ok(Include::Groups),
                    Some("apps") => Ok(Include::Apps),
                    _ => Err(Error::input(
                        "include",
                        "takes only \"groups\" and \"apps\"",
                    )),
                })
                .collect::<Result<Vec<_>>>()?,
            _ => Vec::new(),
        };
        Ok(Input {
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
            dry_run: flag("dryRun").unwrap_or(false),
            execution_id: text("executionId", 2048)?,
        })
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
