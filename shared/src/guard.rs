//! The guardrails: whatever the caller asks, the automation is never turned against the org it serves. Checked for
//! every action in one place, before the action sends anything to Okta:
//!
//! - references: `me` (the token's owner, by Okta's alias), `.`, `..` and dot segments are refused for every action;
//! - no path back for a leaver: activate-user and unsuspend-user refuse a user the flows' ledger records as
//!   offboarded (`Policy.Offboarded`), unless the request is an explicit rehire: `rehireReason`, the user named by
//!   id or full login; the reason is in the audit record;
//! - credentials: a link, token or temporary password is returned only when the deployment allows it
//!   (`OKTA_ALLOW_CREDENTIAL_RETURN`), and never to a flow, rule or schedule (their outputs are kept in history);
//! - one person: a change names its user by id, full login or an email only that user has; never by shortname;
//! - protected users: the token's owner, every admin (roles assigned directly or through a group) and members of
//!   `OKTA_PROTECTED_GROUPS` are changed in the Okta admin console only;
//! - grants: no group that carries admin roles, no protected group (nor an app assigned to one), and only what the
//!   allow-lists or the access profiles name (`grants.rs`: closed unless set, `*` opens); an app's `profile` keys
//!   only as its allow-list entry names them.

use std::sync::Arc;

use tokio::sync::Mutex;

use crate::actions::{Action, Input};
use crate::config::AuthKind;
use crate::config::OktaConfig;
use crate::error::{Error, ErrorKind, Result};
use crate::grants::{Grants, Verdict, access_profile_grants};
use crate::ledger::Ledger;
use crate::okta::apps::{app_group_ids, find_app};
use crate::okta::groups::find_group;
use crate::okta::models::{Group, Role, User, UserStatus};
use crate::okta::roles::{group_roles, token_owner, user_roles};
use crate::okta::users::{Matched, resolve_user, user_groups};
use crate::okta::{Session, looks_like_id};

mod caller_kind;
mod guarded_client;
pub use caller_kind::CallerKind;
pub use guarded_client::GuardedClient;

/// Where refusals send people: the change is legitimate only when a human admin makes it knowingly.
const USE_THE_CONSOLE: &str = "make this change in the Okta admin console";

/// The deployment's guardrail settings.
#[derive(Debug, Clone, Default)]
pub struct Guardrails {
    /// `OKTA_PROTECTED_GROUPS`: ids or exact names of groups whose members are never changed.
    pub protected_groups: Vec<String>,
    /// `OKTA_GRANTABLE_GROUPS`: the groups add-user-to-group may grant besides the access profiles' (closed unless
    /// set; `*` for any group without admin roles).
    pub grantable_groups: Grants,
    /// `OKTA_GRANTABLE_APPS`: the apps assign-app-to-user may grant besides the access profiles', with the profile
    /// keys each may set (closed unless set; `*` for any app, without a profile).
    pub grantable_apps: Grants,
    /// `OKTA_ALLOW_CREDENTIAL_RETURN`: whether direct and HTTP callers may receive links and temporary passwords.
    pub allow_credential_return: bool,
    /// This stack's own entry points (`OKTA_STACK_NAME`, `OKTA_API_ID`, set by the template): an event that claims
    /// another API, state machine or schedule group is refused. Unset (local runs), any is accepted.
    pub origin: Origin,
}

/// Where this stack's calls come from.
#[derive(Debug, Clone, Default)]
pub struct Origin {
    /// The stack's name: its state machines are `<stack>-<flow>`, its schedule group `<stack>`.
    pub stack_name: Option<String>,
    /// The stack's HTTP API id.
    pub api_id: Option<String>,
}

/// The settings the guardrails read, for the template and README contracts.
pub const SETTINGS: [&str; 4] = [
    "OKTA_PROTECTED_GROUPS",
    "OKTA_GRANTABLE_GROUPS",
    "OKTA_GRANTABLE_APPS",
    "OKTA_ALLOW_CREDENTIAL_RETURN",
];

impl Guardrails {
    /// Reads the settings; a value that is not understood is `Config.Invalid` naming it (never a silent default).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self> {
        let list = |name: &str| {
            lookup(name)
                .filter(|value| !value.trim().is_empty())
                .map(|value| {
                    value
                        .split(',')
                        .map(|item| item.trim().to_owned())
                        .filter(|item| !item.is_empty())
                        .collect::<Vec<_>>()
                })
        };
        let allow_credential_return = match lookup("OKTA_ALLOW_CREDENTIAL_RETURN")
            .as_deref()
            .map(str::trim)
        {
            None | Some("" | "false") => false,
            Some("true") => true,
            Some(_) => {
                return Err(Error::config(
                    "OKTA_ALLOW_CREDENTIAL_RETURN",
                    "must be true or false",
                ));
            }
        };
        let name = |setting: &str| {
            lookup(setting)
                .map(|value| value.trim().to_owned())
                .filter(|value| !value.is_empty())
        };
        Ok(Guardrails {
            origin: Origin {
                stack_name: name("OKTA_STACK_NAME"),
                api_id: name("OKTA_API_ID"),
            },
            protected_groups: list("OKTA_PROTECTED_GROUPS").unwrap_or_default(),
            grantable_groups: Grants::parse(
                "OKTA_GRANTABLE_GROUPS",
                lookup("OKTA_GRANTABLE_GROUPS").as_deref(),
                false,
            )?,
            grantable_apps: Grants::parse(
                "OKTA_GRANTABLE_APPS",
                lookup("OKTA_GRANTABLE_APPS").as_deref(),
                true,
            )?,
            allow_credential_return,
        })
    }
}

/// The guardrail settings and what they cost to know, cached per container with the connection they were read
/// with: a new secret (rotation, another org) means a new token owner.
#[derive(Debug, Default)]
pub struct Guard {
    rules: Guardrails,
    known: Mutex<Option<Known>>,
    /// The flows' ledger (`OKTA_LEDGER_TABLE`); without it (local runs) no one is known to be offboarded.
    ledger: Option<Ledger>,
}

#[derive(Debug, Clone)]
struct Known {
    connection: Arc<OktaConfig>,
    /// The user behind an API token; a service app's token has none (there is no token's own user to protect).
    token_owner_id: Option<String>,
    /// Protected groups as (id, name).
    protected_groups: Vec<(String, String)>,
}

impl Guard {
    pub fn new(rules: Guardrails) -> Self {
        Guard {
            rules,
            known: Mutex::new(None),
            ledger: None,
        }
    }

    /// The same guard, consulting the flows' ledger before a user comes back.
    pub fn with_ledger(mut self, ledger: Option<Ledger>) -> Self {
        self.ledger = ledger;
        self
    }

    /// The ledger, handed on when the rules are replaced.
    pub fn take_ledger(&mut self) -> Option<Ledger> {
        self.ledger.take()
    }

    pub fn rules(&self) -> &Guardrails {
        &self.rules
    }

    async fn known(&self, okta: &Session<'_>) -> Result<Known> {
        let connection = okta.client().connection().get().await?;
        let mut known = self.known.lock().await;
        if let Some(cached) = known.as_ref()
            && Arc::ptr_eq(&cached.connection, &connection)
        {
            return Ok(cached.clone());
        }
        let owner = match connection.auth_kind() {
            AuthKind::ApiToken => Some(token_owner(okta).await?.id),
            AuthKind::ServiceApp => None,
        };
        let mut protected_groups = Vec::new();
        for reference in &self.rules.protected_groups {
            // An id needs no read; a group that cannot be found fails closed, naming the setting.
            if looks_like_id(reference, "00g") {
                protected_groups.push((reference.clone(), reference.clone()));
                continue;
            }
            let group = find_group(okta, reference).await.map_err(|error| {
                Error::config(
                    "OKTA_PROTECTED_GROUPS",
                    format!("cannot resolve {reference:?}: {error}"),
                )
            })?;
            protected_groups.push((group.id, group.profile.name));
        }
        let fresh = Known {
            connection,
            token_owner_id: owner,
            protected_groups,
        };
        *known = Some(fresh.clone());
        Ok(fresh)
    }
}

/// Every guardrail for one invocation. Refusals happen before any change is sent to Okta; only reads precede them.
pub async fn check(
    action: Action,
    guard: &Guard,
    okta: &Session<'_>,
    input: &Input,
    caller: CallerKind,
) -> Result<()> {
    check_execution_id(input, caller, &guard.rules().origin)?;
    check_requested_by(input, caller)?;
    check_reference("user", &input.user)?;
    for (field, value) in [
        ("group", &input.group),
        ("app", &input.app),
        ("newOwner", &input.new_owner),
    ] {
        if let Some(value) = value {
            check_reference(field, value)?;
        }
    }
    if action == Action::GetUser {
        return Ok(());
    }
    check_credential_return(action, input, caller, guard.rules())?;
    let user = resolve_one_person(okta, action, input).await?;
    check_protected(okta, guard, &user).await?;
    check_no_path_back(guard, action, input, &user).await?;
    match action {
        Action::AddUserToGroup => check_group_grant(okta, guard, input).await,
        Action::AssignAppToUser => check_app_grant(okta, guard, input).await,
        _ => Ok(()),
    }
}

/// `executionId` names the flow or schedule in the audit record; only Step Functions and Scheduler can vouch for
/// one, so an HTTP caller may not send it, and nobody may send anything but such an ARN.
fn check_execution_id(input: &Input, caller: CallerKind, origin: &Origin) -> Result<()> {
    let Some(id) = input.execution_id.as_deref() else {
        return Ok(());
    };
    if caller.is_http() {
        return Err(Error::input(
            "executionId",
            "is set by Step Functions and EventBridge Scheduler only, not by HTTP callers",
        ));
    }
    let is_execution = [
        "arn:aws:states:",
        "arn:aws-us-gov:states:",
        "arn:aws-cn:states:",
    ]
    .iter()
    .any(|prefix| id.starts_with(prefix))
        && id.contains(":execution:");
    let is_schedule = id.starts_with("arn:") && id.contains(":scheduler:");
    // The ARN must also be this stack's: one of its state machines (`<stack>-<flow>`, the bulk flow's children
    // included) or a schedule of its group. A prefix alone let anyone name any execution (issue 25).
    let of_this_stack = origin.stack_name.as_deref().is_none_or(|stack| {
        id.contains(&format!(":execution:{stack}-")) || id.contains(&format!(":schedule/{stack}/"))
    });
    if (is_execution || is_schedule) && !of_this_stack {
        return Err(Error::input(
            "executionId",
            "names an execution or schedule of another stack than this one",
        ));
    }
    if is_execution || is_schedule {
        Ok(())
    } else {
        Err(Error::input(
            "executionId",
            "must be a Step Functions execution ARN or an EventBridge Scheduler schedule ARN",
        ))
    }
}

/// An API Gateway event must come through this stack's API (`requestContext.apiId`): a direct invoke dressed as an
/// API event, naming another API, is refused. (One that copies this API's id is not caught here: the function cannot
/// see who invoked it, which is why the audit record marks the principal as claimed and CloudTrail's data events are
/// the ground truth.)
pub fn check_origin(kind: CallerKind, api_id: Option<&str>, rules: &Guardrails) -> Result<()> {
    match (&rules.origin.api_id, kind.is_http()) {
        (Some(api), true) if api_id != Some(api.as_str()) => Err(Error::input(
            "event",
            "is an API Gateway event from another API than this stack's (requestContext.apiId)",
        )),
        _ => Ok(()),
    }
}

/// `requestedBy` is a flow's word for who asked it (the template fills it from the authorizer or the HR event);
/// only a Step Functions caller may send it, so an HTTP caller, a schedule or a direct invoke cannot name someone
/// else in the audit record.
fn check_requested_by(input: &Input, caller: CallerKind) -> Result<()> {
    if input.requested_by.is_none() || caller == CallerKind::StepFunctions {
        return Ok(());
    }
    Err(Error::input(
        "requestedBy",
        "is set by the Step Functions flows only",
    ))
}

/// `me` is Okta's alias for the token's owner; `.` and `..` would change the request path (`/api/v1/users/.` is
/// the user list).
fn check_reference(field: &str, reference: &str) -> Result<()> {
    if reference.eq_ignore_ascii_case("me") {
        return Err(Error::input(
            field,
            "\"me\" is Okta's alias for the API token's own admin and is not accepted; name the user by id or login",
        ));
    }
    if reference.split('/').any(|part| part == "." || part == "..") {
        return Err(Error::input(
            field,
            "must not be or contain a \".\" or \"..\" path segment",
        ));
    }
    Ok(())
}

/// Which credential an input would have Okta return instead of emailing it.
fn requested_credential(action: Action, input: &Input) -> Option<&'static str> {
    match action {
        Action::ActivateUser if input.send_email == Some(false) => {
            Some("an activation link and token (sendEmail: false)")
        }
        Action::ResetPassword if input.send_email == Some(false) => {
            Some("a password reset link (sendEmail: false)")
        }
        Action::ExpirePassword if input.temp_password => {
            Some("a temporary password (tempPassword: true)")
        }
        _ => None,
    }
}

fn check_credential_return(
    action: Action,
    input: &Input,
    caller: CallerKind,
    rules: &Guardrails,
) -> Result<()> {
    let Some(credential) = requested_credential(action, input) else {
        return Ok(());
    };
    if !rules.allow_credential_return {
        return Err(Error::policy(
            ErrorKind::PolicyCredentialReturnDisabled,
            format!(
                "{} would return {credential}; this deployment does not hand out credentials \
                 (OKTA_ALLOW_CREDENTIAL_RETURN is not true): let Okta email the user instead",
                action.name()
            ),
        ));
    }
    if matches!(caller, CallerKind::StepFunctions | CallerKind::EventBridge) {
        return Err(Error::policy(
            ErrorKind::PolicyCredentialReturnDisabled,
            format!(
                "{} would return {credential} to a Step Functions, EventBridge or Scheduler caller, whose outputs \
                 are kept in execution history: flows always let Okta email the user",
                action.name()
            ),
        ));
    }
    Ok(())
}

/// The target of a change, named so that it can only be one person; remembered for the action.
async fn resolve_one_person(okta: &Session<'_>, action: Action, input: &Input) -> Result<User> {
    let (user, matched) = resolve_user(okta, &input.user).await?;
    if matched == Matched::Shortname {
        return Err(Error::input(
            "user",
            format!(
                "{:?} is a login shortname, which names whoever holds it today; give the full login or the id",
                input.user
            ),
        ));
    }
    if action == Action::ActivateUser
        && matched == Matched::Email
        && user.status == UserStatus::Deprovisioned
    {
        return Err(Error::new(
            ErrorKind::OktaAmbiguous,
            format!(
                "{:?} is the email of the DEPROVISIONED account {} ({}); it may be a former employee's, so an \
                 email never reactivates one: to rehire that account name its id or login",
                input.user,
                user.id,
                user.login()
            ),
        ));
    }
    okta.memo.user.set(&input.user, &user);
    Ok(user)
}

async fn check_protected(okta: &Session<'_>, guard: &Guard, user: &User) -> Result<()> {
    let known = guard.known(okta).await?;
    let refuse = |why: String| {
        Err(Error::policy(
            ErrorKind::PolicyProtectedUser,
            format!(
                "{} ({}) is protected: {why}; {USE_THE_CONSOLE}",
                user.id,
                user.login()
            ),
        ))
    };
    if known.token_owner_id.as_deref() == Some(user.id.as_str()) {
        return refuse("it is the admin who owns this deployment's API token".to_owned());
    }
    let roles = user_roles(okta, &user.id).await?;
    if !roles.is_empty() {
        return refuse(format!("it holds admin roles ({})", describe_roles(&roles)));
    }
    if !known.protected_groups.is_empty() {
        let groups = user_groups(okta, &user.id).await?;
        okta.memo.user_groups.set(&user.id, &groups);
        if let Some((_, name)) = known
            .protected_groups
            .iter()
            .find(|(id, _)| groups.iter().any(|group| &group.id == id))
        {
            return refuse(format!(
                "it is a member of the protected group {name:?} (OKTA_PROTECTED_GROUPS)"
            ));
        }
    }
    Ok(())
}

/// A leaver stays gone: activate-user and unsuspend-user, when they would change the user, refuse one the flows'
/// ledger records as offboarded unless the request is an explicit rehire. A schedule or a stale HR event cannot
/// undo an offboarding; a person can, knowingly and on the record.
async fn check_no_path_back(
    guard: &Guard,
    action: Action,
    input: &Input,
    user: &User,
) -> Result<()> {
    let would_bring_back = match action {
        Action::ActivateUser => {
            matches!(user.status, UserStatus::Deprovisioned | UserStatus::Staged)
        }
        Action::UnsuspendUser => user.status == UserStatus::Suspended,
        _ => false,
    };
    if input.rehire_reason.is_some()
        && !matches!(action, Action::ActivateUser | Action::UnsuspendUser)
    {
        return Err(Error::input(
            "rehireReason",
            "applies to activate-user and unsuspend-user only",
        ));
    }
    let Some(ledger) = guard.ledger.as_ref().filter(|_| would_bring_back) else {
        return Ok(());
    };
    let Some(offboarded) = ledger.offboarded(&user.id).await? else {
        return Ok(());
    };
    match input.rehire_reason.as_deref().map(str::trim) {
        Some(reason) if !reason.is_empty() => {
            // An id or the full login: `resolve_one_person` refuses shortnames, and an email may be someone else's.
            let named_exactly =
                input.user == user.id || input.user.eq_ignore_ascii_case(user.login());
            if named_exactly {
                Ok(())
            } else {
                Err(Error::input(
                    "user",
                    "a rehire names the user by Okta id or full login, never by email",
                ))
            }
        }
        Some(_) => Err(Error::input(
            "rehireReason",
            "is empty: say why the user comes back",
        )),
        None => Err(Error::policy(
            ErrorKind::PolicyOffboarded,
            format!(
                "{} ({}) was offboarded (ledger: execution {}, event time {}); {} would bring them back: only an \
                 explicit rehire may (rehireReason, the user named by id or full login), and it is audited",
                user.id,
                user.login(),
                offboarded.execution_id,
                offboarded.event_time,
                action.name()
            ),
        )),
    }
}

fn describe_roles(roles: &[Role]) -> String {
    roles
        .iter()
        .map(|role| match role.assignment_type.as_deref() {
            Some("GROUP") => format!("{} through a group", role.role_type),
            _ => role.role_type.clone(),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// How a refusal of an unlisted grant tells the operator to allow it.
fn how_to_allow(setting: &str, what: &str) -> String {
    format!(
        "this deployment grants only the {what}s {setting} or an access profile (infra/access-profiles.json) names: \
         add it to {setting} (or set {setting} to * for any {what}; README \"Guardrails\")"
    )
}

async fn check_group_grant(okta: &Session<'_>, guard: &Guard, input: &Input) -> Result<()> {
    let Some(reference) = input.group.as_deref() else {
        return Ok(());
    };
    let group: Group = find_group(okta, reference).await?;
    okta.memo.group.set(reference, &group);
    let known = guard.known(okta).await?;
    if let Some((_, name)) = known
        .protected_groups
        .iter()
        .find(|(id, _)| *id == group.id)
    {
        return Err(Error::policy(
            ErrorKind::PolicyPrivilegedGroup,
            format!(
                "group {name:?} ({}) is protected (OKTA_PROTECTED_GROUPS): its members are never changed, and no \
                 one is added to it by automation; {USE_THE_CONSOLE}",
                group.id
            ),
        ));
    }
    let (profiled, _) = access_profile_grants();
    if guard
        .rules()
        .grantable_groups
        .verdict(&group.id, &group.profile.name, &profiled)
        == Verdict::NotListed
    {
        return Err(Error::policy(
            ErrorKind::PolicyNotGrantable,
            format!(
                "group {:?} ({}) is not grantable: {}",
                group.profile.name,
                group.id,
                how_to_allow("OKTA_GRANTABLE_GROUPS", "group")
            ),
        ));
    }
    let roles = group_roles(okta, &group.id).await?;
    if !roles.is_empty() {
        return Err(Error::policy(
            ErrorKind::PolicyPrivilegedGroup,
            format!(
                "group {:?} ({}) carries admin roles ({}): a member would hold them; {USE_THE_CONSOLE}",
                group.profile.name,
                group.id,
                describe_roles(&roles)
            ),
        ));
    }
    Ok(())
}

async fn check_app_grant(okta: &Session<'_>, guard: &Guard, input: &Input) -> Result<()> {
    let Some(reference) = input.app.as_deref() else {
        return Ok(());
    };
    let app = find_app(okta, reference).await?;
    okta.memo.app.set(reference, &app);
    let (_, profiled) = access_profile_grants();
    let profile_keys = match guard
        .rules()
        .grantable_apps
        .verdict(&app.id, &app.label, &profiled)
    {
        Verdict::NotListed => {
            return Err(Error::policy(
                ErrorKind::PolicyNotGrantable,
                format!(
                    "app {:?} ({}) is not grantable: {}",
                    app.label,
                    app.id,
                    how_to_allow("OKTA_GRANTABLE_APPS", "app")
                ),
            ));
        }
        Verdict::Granted { profile_keys } => profile_keys,
    };
    // An app-user profile can carry rights inside the app (an AWS SAML role, a Salesforce profile).
    if let Some(key) = input
        .profile
        .iter()
        .flat_map(|profile| profile.keys())
        .find(|key| !profile_keys.contains(key))
    {
        return Err(Error::policy(
            ErrorKind::PolicyNotGrantable,
            format!(
                "profile key {key:?} may not be set for app {:?} ({}): an app profile can carry rights inside the app, so \
                 only the keys its OKTA_GRANTABLE_APPS entry names may be set (for example {}[{key}])",
                app.label, app.id, app.label
            ),
        ));
    }
    // An app that a protected group has (a break-glass console, say) is not handed to anyone else one by one.
    let known = guard.known(okta).await?;
    if !known.protected_groups.is_empty() {
        let groups = app_group_ids(okta, &app.id).await?;
        if let Some((_, name)) = known
            .protected_groups
            .iter()
            .find(|(id, _)| groups.contains(id))
        {
            return Err(Error::policy(
                ErrorKind::PolicyPrivilegedGroup,
                format!(
                    "app {:?} ({}) is assigned to the protected group {name:?} (OKTA_PROTECTED_GROUPS); \
                     {USE_THE_CONSOLE}",
                    app.label, app.id
                ),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used, clippy::expect_used)]
    use super::*;

    #[test]
    fn settings_are_read_strictly() {
        let rules = Guardrails::from_lookup(|name| match name {
            "OKTA_PROTECTED_GROUPS" => Some(" Break Glass , 00g1a2b3c4d5e6f7g8h9 ".to_owned()),
            "OKTA_ALLOW_CREDENTIAL_RETURN" => Some("true".to_owned()),
            _ => None,
        })
        .unwrap();
        assert_eq!(
            rules.protected_groups,
            ["Break Glass", "00g1a2b3c4d5e6f7g8h9"]
        );
        assert!(rules.allow_credential_return && rules.grantable_apps == Grants::Closed);
        let error = Guardrails::from_lookup(|name| {
            (name == "OKTA_ALLOW_CREDENTIAL_RETURN").then(|| "yes".to_owned())
        })
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("OKTA_ALLOW_CREDENTIAL_RETURN"));
        assert!(
            !Guardrails::from_lookup(|_| None)
                .unwrap()
                .allow_credential_return
        );
    }

    #[test]
    fn references_that_change_the_path_or_mean_the_token_owner_are_refused() {
        for bad in ["me", "ME", ".", "..", "a/../b", "./x", "x/."] {
            let error = check_reference("user", bad).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("user"), "{bad}");
        }
        for good in [
            "jane.doe@acme.com",
            "00u1a2b3c4d5e6f7g8h9",
            "a..b",
            "eng/ops.bot@x.com",
        ] {
            assert!(check_reference("user", good).is_ok(), "{good}");
        }
    }

    #[test]
    fn execution_ids_come_only_from_flows_and_schedules() {
        let input = |id: &str| Input {
            execution_id: Some(id.to_owned()),
            ..Input::default()
        };
        let execution = "arn:aws:states:us-east-1:1:execution:okta-lifecycle-onboarding:x";
        let schedule = "arn:aws:scheduler:us-east-1:1:schedule/okta/return-00u1";
        assert!(
            check_execution_id(
                &input(execution),
                CallerKind::StepFunctions,
                &Origin::default()
            )
            .is_ok()
        );
        assert!(
            check_execution_id(
                &input(schedule),
                CallerKind::EventBridge,
                &Origin::default()
            )
            .is_ok()
        );
        for caller in [CallerKind::ApiGatewayV1, CallerKind::ApiGatewayV2] {
            let error =
                check_execution_id(&input(execution), caller, &Origin::default()).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("executionId"));
        }
        let error = check_execution_id(
            &input("admin-did-it"),
            CallerKind::Direct,
            &Origin::default(),
        )
        .unwrap_err();
        assert_eq!(error.field.as_deref(), Some("executionId"));
        // With the stack known, only its own executions and schedules.
        let origin = Origin {
            stack_name: Some("okta-lifecycle".to_owned()),
            api_id: None,
        };
        assert!(check_execution_id(&input(execution), CallerKind::StepFunctions, &origin).is_ok());
        let own_schedule = "arn:aws:scheduler:us-east-1:1:schedule/okta-lifecycle/return-00u1";
        assert!(check_execution_id(&input(own_schedule), CallerKind::EventBridge, &origin).is_ok());
        for other in [
            "arn:aws:states:us-east-1:1:execution:attacker-flow:x",
            "arn:aws:scheduler:us-east-1:1:schedule/other-group/return-00u1",
        ] {
            let error =
                check_execution_id(&input(other), CallerKind::StepFunctions, &origin).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("executionId"), "{other}");
        }
    }

    #[test]
    fn requested_by_comes_only_from_flows() {
        let input = Input {
            requested_by: Some("api:00u1".to_owned()),
            ..Input::default()
        };
        assert!(check_requested_by(&input, CallerKind::StepFunctions).is_ok());
        for caller in [
            CallerKind::ApiGatewayV1,
            CallerKind::ApiGatewayV2,
            CallerKind::EventBridge,
            CallerKind::Direct,
        ] {
            let error = check_requested_by(&input, caller).unwrap_err();
            assert_eq!(error.field.as_deref(), Some("requestedBy"));
        }
        assert!(check_requested_by(&Input::default(), CallerKind::Direct).is_ok());
    }
}
