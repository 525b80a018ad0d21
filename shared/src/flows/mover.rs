//! The mover runbook's decisions (issue 27, item 3): a user moves from access profile A to profile B
//! (`infra/access-profiles.json`, the profiles onboarding grants). The plan, from the user as get-user read it:
//! the groups and apps to leave (A grants them, B does not), to join (B only) and to keep (both), each membership
//! classified (direct, rule-managed, app-managed, built-in) and each app assignment by its `scope` (`USER`:
//! direct, `GROUP`: through a group; spec `AppUser.scope`, okta/okta-management-openapi-spec
//! dist/current/management-minimal.yaml, vendored at tests/okta-spec/management-minimal.yaml).
//!
//! Never through the API: a rule-managed membership (a removal puts the user on the rule's exception list for
//! good; the HR attribute that drives the rule must change instead), an app a group grants (Okta refuses the
//! removal while the group grants it; the report names the group), an app-managed or built-in membership (Okta
//! refuses: only OKTA_GROUP memberships change through the API). The report lists what the run changed: the
//! before-state the ledger keeps for an undo ([`super::undo_move`]).

use serde::Deserialize;
use serde_json::{Map, Value, json};

use super::admit::{boolean, required_string};
use super::{Source, step_outcome};
use crate::error::{Error, Result};
use crate::grants::{access_profile, access_profile_names};

pub const FLOW: &str = "move";

const RULE_MANAGED: &str = "rule-managed: a group rule adds the user, and a removal through the API would put them on the rule's exception list for good; change the HR attribute that drives the rule instead";
const APP_MANAGED: &str =
    "app-managed: its members come from the app (import or push); it cannot change through the API";
const BUILT_IN: &str = "built-in group (Everyone): it cannot change through the API";

/// `user` (login or id), `fromProfile` and `toProfile` (names of infra/access-profiles.json, not the same),
/// `dryRun`.
pub fn request(fields: &mut Map<String, Value>, _source: &Source) -> Result<Map<String, Value>> {
    let mut out = Map::new();
    out.insert("user".into(), required_string(fields, "user")?.into());
    let from = profile_name(fields, "fromProfile")?;
    let to = profile_name(fields, "toProfile")?;
    if from == to {
        return Err(Error::input(
            "toProfile",
            "names the same access profile as fromProfile: nothing would move",
        ));
    }
    out.insert("fromProfile".into(), from.into());
    out.insert("toProfile".into(), to.into());
    out.insert("dryRun".into(), boolean(fields, "dryRun", false)?.into());
    Ok(out)
}

fn profile_name(fields: &Map<String, Value>, field: &str) -> Result<String> {
    let name = required_string(fields, field)?;
    if access_profile(&name).is_none() {
        return Err(Error::input(
            field,
            format!(
                "names no access profile of infra/access-profiles.json ({})",
                access_profile_names().join(", ")
            ),
        ));
    }
    Ok(name)
}

/// The user as get-user read it (`include: groups, apps, appGrants`).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserRead {
    pub id: String,
    #[serde(default)]
    pub login: Value,
    #[serde(default)]
    pub groups: Vec<Value>,
    #[serde(default)]
    pub apps: Vec<Value>,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Admission {
    pub request: MoveRequest,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveRequest {
    pub from_profile: String,
    pub to_profile: String,
    pub dry_run: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PlanRequest {
    pub admitted: Admission,
    pub user: UserRead,
}

/// Where a group or app stands between the two profiles.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Change {
    /// A grants it, B does not.
    Leave,
    /// B grants it, A does not.
    Join,
    /// Both grant it: left as it is.
    Keep,
}

impl Change {
    fn name(self) -> &'static str {
        match self {
            Change::Leave => "leave",
            Change::Join => "join",
            Change::Keep => "keep",
        }
    }
}

/// What the runbook does about one group or app of the two profiles.
#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    /// Leave the group (by id) / revoke the app (by id).
    Remove(String),
    /// Join the group / assign the app, by the profile's name (the action resolves it).
    Add(String),
    /// Nothing to do, and why (`outcome` unchanged) or why it must stay (`outcome` kept: reported).
    Nothing { kept: bool, reason: String },
}

/// One line of the plan: the profile's name for the group or app, the change, what the user has now, the step.
#[derive(Debug, Clone, PartialEq)]
pub struct Line {
    pub name: String,
    pub change: Change,
    /// The membership (direct, rule-managed, app-managed, built-in) or assignment (direct, through a group), or
    /// `none`.
    pub holds: &'static str,
    pub step: Step,
}

/// The plan: a line for each group and each app of either profile, in the profiles' order (A's, then B's own).
#[derive(Debug, Clone, PartialEq)]
pub struct Plan {
    pub groups: Vec<Line>,
    pub apps: Vec<Line>,
}

fn text<'v>(item: &'v Value, field: &str) -> &'v str {
    item.get(field).and_then(Value::as_str).unwrap_or("")
}

/// Each name of A and of B once, with its change.
fn changes(from: &[String], to: &[String]) -> Vec<(String, Change)> {
    let mut out: Vec<(String, Change)> = from
        .iter()
        .map(|name| {
            let change = if to.contains(name) {
                Change::Keep
            } else {
                Change::Leave
            };
            (name.clone(), change)
        })
        .collect();
    out.extend(
        to.iter()
            .filter(|name| !from.contains(name))
            .map(|name| (name.clone(), Change::Join)),
    );
    out
}

/// How the user is in a group: the classes the plan decides by.
fn membership(group: &Value) -> &'static str {
    match text(group, "type") {
        "BUILT_IN" => "built-in",
        "APP_GROUP" => "app-managed",
        _ if group.get("ruleManaged") == Some(&Value::Bool(true)) => "rule-managed",
        _ => "direct",
    }
}

/// The groups that grant a group-assigned app, as `"Name" (id)`, and whether this move leaves every one of them.
fn granting_groups(app: &Value, leaving: &[String]) -> (String, bool) {
    let groups: Vec<&Value> = app
        .get("grantedBy")
        .and_then(Value::as_array)
        .map(|groups| groups.iter().collect())
        .unwrap_or_default();
    if groups.is_empty() {
        return ("a group".to_owned(), false);
    }
    let names: Vec<String> = groups
        .iter()
        .map(|group| format!("{:?} ({})", text(group, "name"), text(group, "id")))
        .collect();
    let all_left = groups
        .iter()
        .all(|group| leaving.iter().any(|id| id == text(group, "id")));
    (names.join(", "), all_left)
}

/// The plan for the user as read: pure, table-tested (shared/src/flows/move_tests.rs).
pub fn classify(request: &MoveRequest, user: &UserRead) -> Plan {
    let (from_groups, from_apps) = access_profile(&request.from_profile).unwrap_or_default();
    let (to_groups, to_apps) = access_profile(&request.to_profile).unwrap_or_default();
    let named = |items: &'_ [Value], name: &str, label: &str| -> Option<Value> {
        items
            .iter()
            .find(|item| text(item, label) == name || text(item, "id") == name)
            .cloned()
    };
    let groups: Vec<Line> = changes(&from_groups, &to_groups)
        .into_iter()
        .map(|(name, change)| {
            let held = named(&user.groups, &name, "name");
            let holds = held.as_ref().map(membership).unwrap_or("none");
            let step = match (change, &held) {
                (Change::Leave, None) => Step::Nothing {
                    kept: false,
                    reason: "not a member".into(),
                },
                (Change::Leave, Some(group)) => match holds {
                    "direct" => Step::Remove(text(group, "id").to_owned()),
                    "rule-managed" => Step::Nothing {
                        kept: true,
                        reason: RULE_MANAGED.into(),
                    },
                    "app-managed" => Step::Nothing {
                        kept: true,
                        reason: APP_MANAGED.into(),
                    },
                    _ => Step::Nothing {
                        kept: true,
                        reason: BUILT_IN.into(),
                    },
                },
                (Change::Join, None) => Step::Add(name.clone()),
                (Change::Join, Some(_)) => Step::Nothing {
                    kept: false,
                    reason: "already a member".into(),
                },
                (Change::Keep, _) => Step::Nothing {
                    kept: false,
                    reason: "both profiles grant it: left as it is".into(),
                },
            };
            Line {
                name,
                change,
                holds,
                step,
            }
        })
        .collect();
    let leaving: Vec<String> = groups
        .iter()
        .filter_map(|line| match &line.step {
            Step::Remove(id) => Some(id.clone()),
            _ => None,
        })
        .collect();
    let apps = changes(&from_apps, &to_apps)
        .into_iter()
        .map(|(name, change)| {
            let held = named(&user.apps, &name, "label");
            let holds = match held.as_ref().map(|app| text(app, "scope")) {
                None => "none",
                Some("GROUP") => "through a group",
                Some(_) => "direct",
            };
            let step = match (change, &held) {
                (Change::Leave, None) => Step::Nothing {
                    kept: false,
                    reason: "not assigned".into(),
                },
                (Change::Leave, Some(app)) if holds == "through a group" => {
                    let (groups, all_left) = granting_groups(app, &leaving);
                    let reason = if all_left {
                        format!("granted through {groups}, which this move leaves: it goes with the membership")
                    } else {
                        format!(
                            "granted through {groups}: Okta refuses to remove it while the group grants it; it goes when the user leaves the group"
                        )
                    };
                    Step::Nothing {
                        kept: !all_left,
                        reason,
                    }
                }
                (Change::Leave, Some(app)) => Step::Remove(text(app, "id").to_owned()),
                (Change::Join, None) => Step::Add(name.clone()),
                (Change::Join, Some(_)) => Step::Nothing {
                    kept: false,
                    reason: "already assigned".into(),
                },
                (Change::Keep, _) => Step::Nothing {
                    kept: false,
                    reason: "both profiles grant it: left as it is".into(),
                },
            };
            Line {
                name,
                change,
                holds,
                step,
            }
        })
        .collect();
    Plan { groups, apps }
}

/// The Maps' items: ids only (or the profile's name for what the user does not hold yet).
fn items(lines: &[Line], add: bool) -> Vec<Value> {
    lines
        .iter()
        .filter_map(|line| match (&line.step, add) {
            (Step::Remove(id), false) => Some(json!({ "id": id })),
            (Step::Add(name), true) => Some(json!({ "id": name })),
            _ => None,
        })
        .collect()
}

/// The state machine's plan: the four Maps' items, and the plan as the dry run shows it.
pub fn plan(req: &PlanRequest) -> Value {
    let plan = classify(&req.admitted.request, &req.user);
    json!({
        "removeGroups": items(&plan.groups, false),
        "addGroups": items(&plan.groups, true),
        "revokeApps": items(&plan.apps, false),
        "assignApps": items(&plan.apps, true),
    })
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ReportRequest {
    pub execution_id: String,
    pub state: MoveState,
}

/// The runbook's state after the four Maps: each item `{"group"|"app": {"id"}, "answer": ...}`, its answer the
/// function's (changed, message) or the Catch's error (Error, Cause).
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct MoveState {
    pub admitted: Admission,
    pub user: UserRead,
    #[serde(default)]
    pub removed: Vec<Value>,
    #[serde(default)]
    pub added: Vec<Value>,
    #[serde(default)]
    pub revoked: Vec<Value>,
    #[serde(default)]
    pub assigned: Vec<Value>,
}

/// The answer of the Map item for `id`, if the Map ran it.
pub(super) fn answer_for<'a>(items: &'a [Value], kind: &str, id: &str) -> Option<&'a Value> {
    items
        .iter()
        .find(|item| item.get(kind).map(|k| text(k, "id")) == Some(id))
        .and_then(|item| item.get("answer"))
}

fn changed(answer: Option<&Value>) -> bool {
    answer.and_then(|a| a.get("changed")) == Some(&Value::Bool(true))
}

/// The report lines of one kind, and what the run changed of it (`removed`, `added`: the before-state).
fn report_lines(
    lines: &[Line],
    kind: &str,
    removed_items: &[Value],
    added_items: &[Value],
    held: &[Value],
    label: &str,
) -> (Vec<Value>, Vec<Value>, Vec<Value>) {
    let mut report = Vec::new();
    let (mut removed, mut added) = (Vec::new(), Vec::new());
    for line in lines {
        let mut out = Map::new();
        out.insert(kind.into(), line.name.clone().into());
        out.insert("change".into(), line.change.name().into());
        out.insert("holds".into(), line.holds.into());
        match &line.step {
            Step::Nothing { kept, reason } => {
                out.insert(
                    "outcome".into(),
                    if *kept { "kept" } else { "unchanged" }.into(),
                );
                out.insert("reason".into(), reason.clone().into());
            }
            Step::Remove(id) | Step::Add(id) => {
                let items = if matches!(line.step, Step::Remove(_)) {
                    removed_items
                } else {
                    added_items
                };
                let answer = answer_for(items, kind, id);
                match answer {
                    Some(answer) => out.extend(step_outcome(answer)),
                    None => {
                        out.insert("outcome".into(), "failed".into());
                        out.insert("error".into(), "Flow.NotRun".into());
                        out.insert("cause".into(), "the step did not run".into());
                    }
                }
                if changed(answer) {
                    if let Step::Remove(id) = &line.step {
                        let name = held
                            .iter()
                            .find(|item| text(item, "id") == id)
                            .map(|item| text(item, label))
                            .unwrap_or(&line.name);
                        removed.push(json!({ "id": id, "name": name }));
                    } else {
                        added.push(json!({ "name": id }));
                    }
                }
            }
        }
        report.push(Value::Object(out));
    }
    (report, removed, added)
}

/// The report, whether the move is complete (no step failed), and what it changed (`changes`: empty in a dry
/// run), which the runbook records in the ledger for an undo.
pub fn report(report: &ReportRequest) -> Value {
    let state = &report.state;
    let request = &state.admitted.request;
    let plan = classify(request, &state.user);
    let (groups, left_groups, joined_groups) = report_lines(
        &plan.groups,
        "group",
        &state.removed,
        &state.added,
        &state.user.groups,
        "name",
    );
    let (apps, revoked_apps, assigned_apps) = report_lines(
        &plan.apps,
        "app",
        &state.revoked,
        &state.assigned,
        &state.user.apps,
        "label",
    );
    let complete = groups
        .iter()
        .chain(apps.iter())
        .all(|line| line["outcome"] != "failed");
    let changes = if request.dry_run {
        json!({"removedGroups": [], "addedGroups": [], "revokedApps": [], "assignedApps": []})
    } else {
        json!({
            "removedGroups": left_groups, "addedGroups": joined_groups,
            "revokedApps": revoked_apps, "assignedApps": assigned_apps,
        })
    };
    let undo = if request.dry_run {
        Value::String("dry run: nothing changed, nothing recorded".into())
    } else {
        Value::String(format!(
            "to undo this move, start the undo-move flow with user {} and moveExecution {}",
            state.user.id, report.execution_id
        ))
    };
    let summary = json!({
        "flow": FLOW,
        "executionId": report.execution_id,
        "dryRun": request.dry_run,
        "user": {"id": state.user.id, "login": state.user.login},
        "fromProfile": request.from_profile,
        "toProfile": request.to_profile,
        "groups": groups,
        "apps": apps,
        "changes": changes,
        "undo": undo,
    });
    json!({"summary": summary, "complete": complete, "changes": changes})
}
