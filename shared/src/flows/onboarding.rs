//! The onboarding runbook's decisions: its request (defaults, validation naming the field, the access profile
//! expanded into the groups and apps to grant, who may name groups and apps directly) and the report made from
//! what each step answered (complete or not: the state machine fails an incomplete run as
//! `Onboarding.Incomplete` with the report as its cause).
//!
//! The plan of groups and apps is the admitted request itself: the state machine's Maps grant exactly its
//! `groups` and `apps`, in order. Whether each may be granted at all is the grant allow-lists' decision
//! (`OKTA_GRANTABLE_GROUPS`, `OKTA_GRANTABLE_APPS` and the access profiles, [`crate::grants`]), made by the
//! `add-user-to-group` and `assign-app-to-user` functions on the group or app as Okta names it: only they read
//! Okta, so only they can tell that an id and a name are the same group.

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::admit::{boolean, names, one_of, required_string};
use super::{LIST_CAP, Source, step_outcome};
use crate::error::{Error, Result};
use crate::grants;

pub const FLOW: &str = "onboarding";

/// Statuses in which the runbook does not activate because activation is done or pending (the state machine's
/// `ActivateOrNot` activates STAGED and DEPROVISIONED users, and PROVISIONED ones given `resendActivation`):
/// reported `unchanged`. Any other status not activated (SUSPENDED...) is `skipped`.
const ACTIVATED: [&str; 5] = [
    "ACTIVE",
    "PROVISIONED",
    "PASSWORD_EXPIRED",
    "LOCKED_OUT",
    "RECOVERY",
];

/// `user` (login or id), `accessProfile` (a profile of `infra/access-profiles.json`, instead of `groups` and
/// `apps`), `groups` (names or ids), `apps` (labels or ids, or `{app, userName?, profile?}`), `sendEmail`
/// (default true), `resendActivation` (default false), `password` (none | reset | expire), `dryRun`.
///
/// An HR event must name an access profile: only the reviewed profiles may be granted on an HR system's word.
/// Groups and apps named directly come from people: the API, an operator's start, or a bulk run (started through
/// the API and approved by a second person); each still passes the grant allow-lists when granted.
pub fn request(fields: &mut Map<String, Value>, source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    let (groups, apps) = match fields.get("accessProfile") {
        None if matches!(source, Source::Hr | Source::Schedule) => {
            return Err(Error::input(
                "accessProfile",
                format!(
                    "required for an onboarding from {}: groups and apps named directly are accepted only from \
                     the API (one of {})",
                    source.namespace(),
                    grants::access_profile_names().join(", ")
                ),
            ));
        }
        None => (names(fields, "groups")?, apps(fields)?),
        Some(Value::String(name)) => {
            for list in ["groups", "apps"] {
                if fields.contains_key(list) {
                    return Err(Error::input(
                        list,
                        "not with accessProfile: the profile names the groups and apps",
                    ));
                }
            }
            let Some((groups, apps)) = grants::access_profile(name) else {
                return Err(Error::input(
                    "accessProfile",
                    format!(
                        "{name:?} names no profile of infra/access-profiles.json (one of {})",
                        grants::access_profile_names().join(", ")
                    ),
                ));
            };
            out.insert("accessProfile".into(), name.clone().into());
            let groups = groups.into_iter().map(Value::from).collect();
            let apps = apps
                .into_iter()
                .map(|app| app_spec(app.into(), None, None))
                .collect();
            (groups, apps)
        }
        Some(_) => {
            return Err(Error::input(
                "accessProfile",
                "must be a string (a profile name)",
            ));
        }
    };
    out.insert("groups".into(), groups.into());
    out.insert("apps".into(), apps.into());
    out.insert(
        "sendEmail".into(),
        boolean(fields, "sendEmail", true)?.into(),
    );
    out.insert(
        "resendActivation".into(),
        boolean(fields, "resendActivation", false)?.into(),
    );
    out.insert(
        "password".into(),
        one_of(fields, "password", &["none", "reset", "expire"], "none")?.into(),
    );
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

/// One app as the Map passes it to `assign-app-to-user`: every key present (`null` when not given).
fn app_spec(app: Value, user_name: Option<Value>, profile: Option<Value>) -> Value {
    json!({
        "app": app,
        "userName": user_name.unwrap_or(Value::Null),
        "profile": profile.unwrap_or(Value::Null),
    })
}

/// `apps`: at most [`LIST_CAP`], each a label or id, or `{app, userName?, profile?}`.
fn apps(fields: &Map<String, Value>) -> Result<Vec<Value>> {
    let items = match fields.get("apps") {
        None => return Ok(Vec::new()),
        Some(Value::Array(items)) if items.len() > LIST_CAP => {
            return Err(Error::input(
                "apps",
                format!("at most {LIST_CAP} entries ({} given)", items.len()),
            ));
        }
        Some(Value::Array(items)) => items,
        Some(_) => {
            return Err(Error::input(
                "apps",
                "must be an array of labels or ids, or of {app, userName?, profile?}",
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(position, item)| {
            let field = format!("apps[{position}]");
            match item {
                Value::String(app) if !app.trim().is_empty() => {
                    Ok(app_spec(item.clone(), None, None))
                }
                Value::Object(spec) => {
                    if let Some(unknown) = spec
                        .keys()
                        .find(|key| !matches!(key.as_str(), "app" | "userName" | "profile"))
                    {
                        return Err(Error::input(
                            &format!("{field}.{unknown}"),
                            "unknown: an app is {app, userName?, profile?}",
                        ));
                    }
                    let app = match spec.get("app") {
                        Some(Value::String(app)) if !app.trim().is_empty() => app.clone(),
                        _ => {
                            return Err(Error::input(
                                &format!("{field}.app"),
                                "required (the app's label or id)",
                            ));
                        }
                    };
                    let user_name = match spec.get("userName") {
                        None | Some(Value::Null) => None,
                        Some(Value::String(name)) => Some(Value::from(name.clone())),
                        Some(_) => {
                            return Err(Error::input(
                                &format!("{field}.userName"),
                                "must be a string",
                            ));
                        }
                    };
                    let profile = match spec.get("profile") {
                        None | Some(Value::Null) => None,
                        Some(profile @ Value::Object(_)) => Some(profile.clone()),
                        Some(_) => {
                            return Err(Error::input(
                                &format!("{field}.profile"),
                                "must be an object (the app user's profile)",
                            ));
                        }
                    };
                    Ok(app_spec(app.into(), user_name, profile))
                }
                _ => Err(Error::input(
                    &field,
                    "an app is a label or id, or an object {app, userName?, profile?}",
                )),
            }
        })
        .collect()
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    pub state: RunbookState,
}

/// The admit step's answer, as far as the report reads it.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: OnboardingRequest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct OnboardingRequest {
    pub password: String,
    pub dry_run: bool,
}

/// The user as ResolveUser read it: id, login and status.
#[derive(Debug, Deserialize)]
pub struct Subject {
    pub id: Value,
    #[serde(default)]
    pub login: Value,
    pub status: String,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct RunbookState {
    pub admitted: Admission,
    pub subject: Subject,
    /// Each step's answer: the function's result (changed, message...) or the Catch's error (Error, Cause);
    /// absent when the runbook did not run the step. The Maps' items: `{"group"|"app": ..., "answer": ...}`.
    #[serde(default)]
    pub activated: Option<Value>,
    #[serde(default)]
    pub groups: Vec<Value>,
    #[serde(default)]
    pub apps: Vec<Value>,
    #[serde(default)]
    pub password: Option<Value>,
}

fn failed(answer: &Value) -> bool {
    answer.get("Error").is_some()
}

/// One Map item's outcome, named as the request named it (`"group": "Engineering"`, `"app": "Slack"`).
fn item(kind: &str, named: Value, answer: &Value) -> Value {
    let mut out = step_outcome(answer);
    out.insert(kind.into(), named);
    Value::Object(out)
}

/// The report, and whether every step succeeded.
pub fn report(report: &ReportRequest) -> Value {
    let state = &report.state;
    let request = &state.admitted.request;
    let before = state.subject.status.as_str();
    let (activation, status_after) = match &state.activated {
        Some(answer) if !failed(answer) => {
            let after = answer.get("statusAfter").cloned().unwrap_or_default();
            let mut out = step_outcome(answer);
            out.insert("statusAfter".into(), after.clone());
            (Value::Object(out), after)
        }
        Some(answer) => {
            let mut out = step_outcome(answer);
            out.insert("statusAfter".into(), before.into());
            (Value::Object(out), before.into())
        }
        None if ACTIVATED.contains(&before) => (
            json!({"outcome": "unchanged", "message": format!("already activated: the user is {before}"),
                   "statusAfter": before}),
            before.into(),
        ),
        None => (
            json!({"outcome": "skipped", "message": format!("not activated: the user is {before}"),
                   "statusAfter": before}),
            before.into(),
        ),
    };
    let groups: Vec<Value> = state
        .groups
        .iter()
        .map(|entry| {
            item(
                "group",
                entry.get("group").cloned().unwrap_or_default(),
                &entry["answer"],
            )
        })
        .collect();
    let apps: Vec<Value> = state
        .apps
        .iter()
        .map(|entry| {
            item(
                "app",
                entry.pointer("/app/app").cloned().unwrap_or_default(),
                &entry["answer"],
            )
        })
        .collect();
    let password = match &state.password {
        Some(answer) => {
            let mut out = step_outcome(answer);
            out.insert("step".into(), request.password.clone().into());
            Value::Object(out)
        }
        None if request.password == "none" => {
            json!({"outcome": "skipped", "message": "no password step asked"})
        }
        None => json!({"outcome": "skipped", "message": format!(
            "password step skipped: the user is {}, not ACTIVE", status_after.as_str().unwrap_or(""))}),
    };
    let complete = ![&activation, &password]
        .into_iter()
        .chain(&groups)
        .chain(&apps)
        .any(|step| step["outcome"] == "failed");
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": request.dry_run,
        "user": {"id": state.subject.id, "login": state.subject.login, "statusBefore": before,
                 "statusAfter": status_after},
        "activation": activation,
        "groups": groups,
        "apps": apps,
        "password": password,
    });
    json!({"summary": summary, "complete": complete})
}

#[cfg(test)]
mod tests {
    //! Table tests: each row an input as the state machine passes it, and what the step answers (or the field it
    //! names).
    #![allow(clippy::unwrap_used, clippy::expect_used)]

    use jiff::Timestamp;
    use serde_json::{Value, json};

    use crate::flows::decide;

    fn now() -> Timestamp {
        "2026-06-02T12:00:00Z".parse().unwrap()
    }

    fn admit(input: Value) -> Result<Value, String> {
        decide(
            json!({"step": "admit", "flow": "onboarding", "input": input,
                   "executionStart": "2026-06-02T11:59:59Z", "leaseSeconds": 3600}),
            now(),
        )
        .map_err(|e| e.field.unwrap_or(e.message))
    }

    fn hr(request: Value) -> Value {
        json!({"request": request, "eventId": "ev-1", "eventSource": "hr.system", "requestedBy": "hr.system",
               "eventTime": "2026-06-02T09:00:00Z"})
    }

    #[test]
    fn admission_refuses_naming_the_field() {
        let start = |fields: Value| {
            let mut input = json!({"eventId": "e", "user": "jane"});
            input
                .as_object_mut()
                .unwrap()
                .extend(fields.as_object().unwrap().clone());
            input
        };
        let cases: Vec<(Value, &str)> = vec![
            (json!(["jane"]), "input"),
            (json!({"eventId": "e", "groups": ["Engineering"]}), "user"),
            (start(json!({"groups": "Engineering"})), "groups"),
            (start(json!({"groups": ["Engineering", 3]})), "groups[1]"),
            (start(json!({"groups": vec!["g"; 101]})), "groups"),
            (start(json!({"apps": "Slack"})), "apps"),
            (start(json!({"apps": vec!["a"; 101]})), "apps"),
            (start(json!({"apps": ["Slack", 7]})), "apps[1]"),
            (start(json!({"apps": [""]})), "apps[0]"),
            (
                start(json!({"apps": [{"userName": "jane"}]})),
                "apps[0].app",
            ),
            (
                start(json!({"apps": [{"app": "AWS", "userName": 1}]})),
                "apps[0].userName",
            ),
            (
                start(json!({"apps": [{"app": "AWS", "profile": "admin"}]})),
                "apps[0].profile",
            ),
            (
                start(json!({"apps": [{"app": "AWS", "role": "admin"}]})),
                "apps[0].role",
            ),
            (
                start(json!({"accessProfile": "no-such-profile"})),
                "accessProfile",
            ),
            (start(json!({"accessProfile": 3})), "accessProfile"),
            (
                start(json!({"accessProfile": "sales", "groups": ["Admins"]})),
                "groups",
            ),
            (
                start(json!({"accessProfile": "sales", "apps": ["AWS"]})),
                "apps",
            ),
            (start(json!({"password": "later"})), "password"),
            (start(json!({"sendEmail": "yes"})), "sendEmail"),
            (start(json!({"resendActivation": 1})), "resendActivation"),
            (start(json!({"dryRun": "no"})), "dryRun"),
            // Issue 24: an HR Onboard names an access profile; groups and apps named directly come from the API.
            (hr(json!({"user": "jane"})), "accessProfile"),
            (
                hr(
                    json!({"user": "jane", "groups": ["Engineering"], "apps": [{"app": "AWS", "profile": {}}]}),
                ),
                "accessProfile",
            ),
            // ...and its time, like any source's, is not in the future.
            (
                json!({"request": {"user": "jane", "accessProfile": "sales"}, "eventId": "ev",
                       "eventSource": "hr.system", "requestedBy": "hr.system", "eventTime": "9999-01-01T00:00:00Z"}),
                "eventTime",
            ),
        ];
        for (input, field) in cases {
            let answer = admit(input.clone());
            assert_eq!(
                answer.as_ref().err().map(String::as_str),
                Some(field),
                "{input}: {answer:?}"
            );
        }
    }

    #[test]
    fn admission_fills_in_defaults_and_expands_the_access_profile() {
        let plain = admit(json!({"eventId": "e", "user": "jane"})).unwrap();
        assert_eq!(
            plain["request"],
            json!({"user": "jane", "groups": [], "apps": [], "sendEmail": true, "resendActivation": false,
                   "password": "none", "dryRun": false})
        );
        let named = admit(json!({"eventId": "e", "user": "jane", "groups": ["Engineering", "00g1"],
                                 "apps": ["Slack", {"app": "AWS", "userName": "jane"}], "password": "reset"}))
        .unwrap();
        assert_eq!(named["request"]["groups"], json!(["Engineering", "00g1"]));
        assert_eq!(
            named["request"]["apps"],
            json!([{"app": "Slack", "userName": null, "profile": null},
                   {"app": "AWS", "userName": "jane", "profile": null}])
        );
        // The profile as infra/access-profiles.json defines it, in the file's order.
        let file: Value =
            serde_json::from_str(include_str!("../../../infra/access-profiles.json")).unwrap();
        let answer = admit(hr(json!({"user": "jane", "accessProfile": "engineering"}))).unwrap();
        assert_eq!(answer["event"]["key"], "hr:ev-1");
        assert_eq!(answer["event"]["time"], "2026-06-02T09:00:00.000Z");
        let request = &answer["request"];
        assert_eq!(request["accessProfile"], "engineering");
        assert_eq!(request["groups"], file["engineering"]["groups"]);
        let labels: Vec<&Value> = request["apps"]
            .as_array()
            .unwrap()
            .iter()
            .map(|app| &app["app"])
            .collect();
        assert_eq!(json!(labels), file["engineering"]["apps"], "{request}");
        // An API body's own eventTime is not the event's: the request time is.
        let api = admit(json!({"request": {"user": "jane", "eventTime": "9999-01-01T00:00:00Z", "groups": ["Sales"]},
                               "eventId": "req-1", "eventSource": "api", "requestedBy": "arn:helpdesk"}))
        .unwrap();
        assert_eq!(api["event"]["time"], "2026-06-02T11:59:59.000Z");
        assert_eq!(api["event"]["key"], "api:req-1");
        assert_eq!(api["request"]["groups"], json!(["Sales"]));
    }

    fn report(status: &str, password: &str, steps: Value) -> Value {
        let mut state = json!({
            "admitted": {"request": {"password": password, "dryRun": false}},
            "subject": {"id": "00u1", "login": "jane@acme.example", "status": status},
        });
        state
            .as_object_mut()
            .unwrap()
            .extend(steps.as_object().unwrap().clone());
        decide(
            json!({"step": "report", "flow": "onboarding", "executionId": "arn:x", "state": state}),
            now(),
        )
        .unwrap()
    }

    const FORBIDDEN: &str = "Okta.Forbidden";

    #[test]
    fn the_report_says_each_outcome_and_is_complete_only_when_nothing_failed() {
        let activated = json!({"changed": true, "message": "activate: STAGED to PROVISIONED",
                               "statusAfter": "PROVISIONED"});
        let failed = json!({"Error": FORBIDDEN, "Cause": "403"});
        let added = json!({"changed": true, "message": "added"});
        // (status read, password, steps, activation outcome, statusAfter, password outcome, complete)
        let cases: Vec<(&str, &str, Value, &str, &str, &str, bool)> = vec![
            (
                "STAGED",
                "none",
                json!({"activated": activated}),
                "changed",
                "PROVISIONED",
                "skipped",
                true,
            ),
            (
                "STAGED",
                "none",
                json!({"activated": failed}),
                "failed",
                "STAGED",
                "skipped",
                false,
            ),
            (
                "ACTIVE",
                "none",
                json!({}),
                "unchanged",
                "ACTIVE",
                "skipped",
                true,
            ),
            (
                "PROVISIONED",
                "none",
                json!({}),
                "unchanged",
                "PROVISIONED",
                "skipped",
                true,
            ),
            (
                "SUSPENDED",
                "none",
                json!({}),
                "skipped",
                "SUSPENDED",
                "skipped",
                true,
            ),
            (
                "ACTIVE",
                "reset",
                json!({"password": {"changed": true, "message": "reset"}}),
                "unchanged",
                "ACTIVE",
                "changed",
                true,
            ),
            (
                "ACTIVE",
                "expire",
                json!({"password": failed}),
                "unchanged",
                "ACTIVE",
                "failed",
                false,
            ),
            (
                "STAGED",
                "reset",
                json!({"activated": activated}),
                "changed",
                "PROVISIONED",
                "skipped",
                true,
            ),
            (
                "ACTIVE",
                "none",
                json!({"groups": [{"group": "Sales", "answer": added},
                                                  {"group": "VPN", "answer": failed}]}),
                "unchanged",
                "ACTIVE",
                "skipped",
                false,
            ),
            (
                "ACTIVE",
                "none",
                json!({"apps": [{"app": {"app": "AWS", "userName": null, "profile": null},
                                                "answer": failed}]}),
                "unchanged",
                "ACTIVE",
                "skipped",
                false,
            ),
        ];
        for (status, password, steps, activation, after, password_outcome, complete) in cases {
            let answer = report(status, password, steps.clone());
            let summary = &answer["summary"];
            let row = format!("{status} {password} {steps}: {answer}");
            assert_eq!(summary["activation"]["outcome"], activation, "{row}");
            assert_eq!(summary["activation"]["statusAfter"], after, "{row}");
            assert_eq!(summary["user"]["statusBefore"], status, "{row}");
            assert_eq!(summary["user"]["statusAfter"], after, "{row}");
            assert_eq!(summary["password"]["outcome"], password_outcome, "{row}");
            assert_eq!(answer["complete"], complete, "{row}");
        }
        let answer = report(
            "ACTIVE",
            "expire",
            json!({"groups": [{"group": "Sales", "answer": added}, {"group": "VPN", "answer": failed}],
                   "apps": [{"app": {"app": "AWS", "userName": "j", "profile": null}, "answer": added}],
                   "password": failed}),
        );
        let summary = &answer["summary"];
        assert_eq!(
            summary["groups"],
            json!([{"group": "Sales", "outcome": "changed", "message": "added"},
                   {"group": "VPN", "outcome": "failed", "error": FORBIDDEN, "cause": "403"}])
        );
        assert_eq!(
            summary["apps"],
            json!([{"app": "AWS", "outcome": "changed", "message": "added"}])
        );
        assert_eq!(
            summary["password"],
            json!({"outcome": "failed", "error": FORBIDDEN, "cause": "403", "step": "expire"})
        );
        assert_eq!(summary["flow"], "onboarding");
        assert_eq!(summary["executionId"], "arn:x");
        let skipped = report(
            "STAGED",
            "reset",
            json!({"activated": {"changed": true, "message": "m",
                                                                     "statusAfter": "PROVISIONED"}}),
        );
        assert_eq!(
            skipped["summary"]["password"]["message"],
            "password step skipped: the user is PROVISIONED, not ACTIVE"
        );
    }
}
