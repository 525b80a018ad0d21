//! Table tests of the mover's plan and report and of the undo's refusals (issue 27, items 3 and 4).
#![allow(clippy::unwrap_used, clippy::expect_used)]

use serde_json::{Value, json};

use super::mover::{self, Change, Step};
use super::undo_move;
use super::{Source, decide};

const EXECUTION: &str = "arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-move:m-1";

fn user(groups: Value, apps: Value) -> mover::UserRead {
    serde_json::from_value(
        json!({"id": "00u1", "login": "carol@acme.example", "groups": groups, "apps": apps}),
    )
    .unwrap()
}

fn move_request(from: &str, to: &str, dry_run: bool) -> mover::MoveRequest {
    serde_json::from_value(json!({"fromProfile": from, "toProfile": to, "dryRun": dry_run}))
        .unwrap()
}

/// Engineering's groups and apps as a typical engineer holds them: Engineering filled by a rule, VPN Users
/// direct, All Staff direct; GitHub through the Engineering group, AWS and Slack direct.
fn engineer() -> mover::UserRead {
    user(
        json!([
            {"id": "00gEng", "name": "Engineering", "type": "OKTA_GROUP", "ruleManaged": true},
            {"id": "00gVpn", "name": "VPN Users", "type": "OKTA_GROUP"},
            {"id": "00gAll", "name": "All Staff", "type": "OKTA_GROUP"},
            {"id": "00gEvery", "name": "Everyone", "type": "BUILT_IN"},
        ]),
        json!([
            {"id": "0oaGit", "label": "GitHub", "scope": "GROUP", "grantedBy": [{"id": "00gEng", "name": "Engineering"}]},
            {"id": "0oaAws", "label": "AWS", "scope": "USER"},
            {"id": "0oaSlack", "label": "Slack", "scope": "USER"},
        ]),
    )
}

fn line<'p>(lines: &'p [mover::Line], name: &str) -> &'p mover::Line {
    lines.iter().find(|l| l.name == name).expect(name)
}

#[test]
fn the_plan_leaves_only_direct_memberships_and_direct_assignments() {
    let plan = mover::classify(&move_request("engineering", "sales", false), &engineer());
    // (name, change, holds, step) for every group of either profile.
    let cases: [(&str, Change, &str, Step); 4] = [
        (
            "VPN Users",
            Change::Leave,
            "direct",
            Step::Remove("00gVpn".into()),
        ),
        (
            "All Staff",
            Change::Keep,
            "direct",
            Step::Nothing {
                kept: false,
                reason: "both profiles grant it: left as it is".into(),
            },
        ),
        ("Sales", Change::Join, "none", Step::Add("Sales".into())),
        (
            "Engineering",
            Change::Leave,
            "rule-managed",
            line(&plan.groups, "Engineering").step.clone(),
        ),
    ];
    for (name, change, holds, step) in cases {
        let got = line(&plan.groups, name);
        assert_eq!(
            (got.change, got.holds, &got.step),
            (change, holds, &step),
            "{name}"
        );
    }
    let Step::Nothing { kept: true, reason } = &line(&plan.groups, "Engineering").step else {
        panic!(
            "a rule-managed membership is never removed: {:?}",
            plan.groups
        );
    };
    assert!(reason.contains("HR attribute"), "{reason}");
    assert_eq!(
        plan.groups.len(),
        4,
        "Engineering, All Staff, VPN Users, Sales: {:?}",
        plan.groups
    );

    let github = line(&plan.apps, "GitHub");
    let Step::Nothing { kept: true, reason } = &github.step else {
        panic!("an app a group grants is never revoked: {github:?}");
    };
    assert!(
        reason.contains("\"Engineering\" (00gEng)"),
        "names the granting group: {reason}"
    );
    assert_eq!(github.holds, "through a group");
    assert_eq!(line(&plan.apps, "AWS").step, Step::Remove("0oaAws".into()));
    assert_eq!(
        line(&plan.apps, "Salesforce").step,
        Step::Add("Salesforce".into())
    );
    assert!(matches!(
        line(&plan.apps, "Slack").step,
        Step::Nothing { kept: false, .. }
    ));
    assert!(matches!(line(&plan.apps, "Zoom").change, Change::Keep));
}

#[test]
fn an_app_granted_by_a_group_the_move_leaves_goes_with_the_membership() {
    let mut carol = engineer();
    carol.apps[0]["grantedBy"] = json!([{"id": "00gVpn", "name": "VPN Users"}]);
    let plan = mover::classify(&move_request("engineering", "sales", false), &carol);
    let Step::Nothing { kept, reason } = &line(&plan.apps, "GitHub").step else {
        panic!()
    };
    assert!(
        !kept && reason.contains("which this move leaves"),
        "{reason}"
    );
}

#[test]
fn app_managed_built_in_and_absent_groups_are_not_removed() {
    let sam = user(
        json!([{"id": "00gVpn", "name": "VPN Users", "type": "APP_GROUP"}]),
        json!([]),
    );
    let plan = mover::classify(&move_request("engineering", "contractor", false), &sam);
    assert_eq!(line(&plan.groups, "VPN Users").holds, "app-managed");
    assert!(matches!(
        line(&plan.groups, "VPN Users").step,
        Step::Nothing { kept: true, .. }
    ));
    assert!(matches!(
        line(&plan.groups, "Engineering").step,
        Step::Nothing { kept: false, .. }
    ));
    assert_eq!(
        line(&plan.groups, "Contractors").step,
        Step::Add("Contractors".into())
    );
    assert!(matches!(
        line(&plan.apps, "AWS").step,
        Step::Nothing { kept: false, .. }
    ));
}

fn admit(flow: &str, request: Value) -> Result<Value, crate::Error> {
    decide(
        json!({"step": "admit", "flow": flow, "input": {"eventId": "e1", "request": request, "eventSource": "api",
               "eventTime": "2026-06-01T09:00:00Z", "requestedBy": "api:alice"},
               "executionStart": "2026-06-01T09:00:00Z", "leaseSeconds": 900}),
        "2026-06-01T09:00:01Z".parse().unwrap(),
    )
}

#[test]
fn a_move_start_names_the_field_it_refuses() {
    let cases = [
        (
            json!({"user": "a", "fromProfile": "engineering"}),
            "toProfile",
        ),
        (
            json!({"user": "a", "fromProfile": "marketing", "toProfile": "sales"}),
            "fromProfile",
        ),
        (
            json!({"user": "a", "fromProfile": "sales", "toProfile": "sales"}),
            "toProfile",
        ),
        (
            json!({"user": "a", "fromProfile": "sales", "toProfile": 3}),
            "toProfile",
        ),
        (
            json!({"fromProfile": "sales", "toProfile": "engineering"}),
            "user",
        ),
        (
            json!({"user": "a", "fromProfile": "sales", "toProfile": "engineering", "dryRun": "yes"}),
            "dryRun",
        ),
    ];
    for (request, field) in cases {
        let error = admit("move", request.clone()).unwrap_err();
        assert_eq!(error.field.as_deref(), Some(field), "{request}");
    }
    let admitted = admit(
        "move",
        json!({"user": "a", "fromProfile": "engineering", "toProfile": "sales"}),
    )
    .unwrap();
    assert_eq!(admitted["request"]["dryRun"], false);
    assert_eq!(admitted["request"]["toProfile"], "sales");
    let _ = Source::Api;
}

#[test]
fn an_undo_start_names_the_field_it_refuses() {
    for (execution, ok) in [
        (EXECUTION, true),
        ("m-1", false),
        (
            "arn:aws:states:us-east-1:123456789012:stateMachine:okta-lifecycle-move",
            false,
        ),
        (
            "arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-move:",
            false,
        ),
    ] {
        let answer = admit(
            "undo-move",
            json!({"user": "a", "moveExecution": execution}),
        );
        match answer {
            Ok(admitted) => {
                assert!(ok, "{execution} admitted");
                assert_eq!(admitted["request"]["moveExecution"], execution);
            }
            Err(error) => {
                assert!(!ok, "{execution} refused: {error}");
                assert_eq!(error.field.as_deref(), Some("moveExecution"));
            }
        }
    }
}

fn report_state(dry_run: bool, added_answer: Value) -> Value {
    json!({
        "step": "report", "flow": "move", "executionId": EXECUTION,
        "state": {
            "admitted": {"request": {"fromProfile": "engineering", "toProfile": "sales", "dryRun": dry_run}},
            "user": {"id": "00u1", "login": "carol@acme.example",
                     "groups": engineer().groups, "apps": engineer().apps},
            "removed": [{"group": {"id": "00gVpn"}, "answer": {"changed": true, "message": "removed"}}],
            "added": [{"group": {"id": "Sales"}, "answer": added_answer}],
            "revoked": [{"app": {"id": "0oaAws"}, "answer": {"changed": true, "message": "revoked"}}],
            "assigned": [{"app": {"id": "Salesforce"}, "answer": {"changed": false, "message": "through a group"}}],
        }
    })
}

#[test]
fn the_report_records_only_what_the_run_changed() {
    let now = "2026-06-01T09:00:00Z".parse().unwrap();
    let out = decide(
        report_state(false, json!({"changed": true, "message": "added"})),
        now,
    )
    .unwrap();
    assert_eq!(out["complete"], true);
    assert_eq!(
        out["changes"],
        json!({"removedGroups": [{"id": "00gVpn", "name": "VPN Users"}], "addedGroups": [{"name": "Sales"}],
               "revokedApps": [{"id": "0oaAws", "name": "AWS"}], "assignedApps": []})
    );
    let groups = out["summary"]["groups"].as_array().unwrap();
    let engineering = groups.iter().find(|g| g["group"] == "Engineering").unwrap();
    assert_eq!(engineering["outcome"], "kept");

    let failed = decide(
        report_state(false, json!({"Error": "Okta.Forbidden", "Cause": "no"})),
        now,
    )
    .unwrap();
    assert_eq!(failed["complete"], false);
    assert_eq!(
        failed["changes"]["addedGroups"],
        json!([]),
        "a failed join is not recorded"
    );

    let dry = decide(
        report_state(true, json!({"changed": true, "message": "would add"})),
        now,
    )
    .unwrap();
    assert_eq!(
        dry["changes"]["removedGroups"],
        json!([]),
        "a dry run records nothing"
    );
}

fn undo_plan(record: Value, ledger: Value, status: &str) -> Value {
    decide(
        json!({"step": "plan", "flow": "undo-move",
               "admitted": {"request": {"moveExecution": EXECUTION, "dryRun": false}},
               "user": {"id": "00u1", "login": "carol@acme.example", "status": status},
               "ledger": ledger, "record": record}),
        "2026-06-01T09:00:00Z".parse().unwrap(),
    )
    .unwrap()
}

fn record(extra: Value) -> Value {
    let changes = json!({"removedGroups": [{"id": "00gVpn", "name": "VPN Users"}], "addedGroups": [{"name": "Sales"}],
                         "revokedApps": [{"id": "0oaAws", "name": "AWS"}], "assignedApps": []});
    let mut item = json!({"pk": {"S": format!("move#{EXECUTION}")}, "userId": {"S": "00u1"},
                          "changes": {"S": changes.to_string()}});
    item.as_object_mut()
        .unwrap()
        .extend(extra.as_object().unwrap().clone());
    json!({ "Item": item })
}

#[test]
fn an_undo_restores_the_inverse_of_the_recorded_changes() {
    let plan = undo_plan(
        record(json!({})),
        json!({"Item": {"lastMove": {"S": EXECUTION}}}),
        "ACTIVE",
    );
    assert_eq!(plan["refused"], Value::Null);
    assert_eq!(plan["addGroups"], json!([{"id": "00gVpn"}]));
    assert_eq!(plan["removeGroups"], json!([{"id": "Sales"}]));
    assert_eq!(plan["assignApps"], json!([{"id": "0oaAws"}]));
    assert_eq!(plan["revokeApps"], json!([]));
}

#[test]
fn an_undo_is_refused_by_name_when_the_move_is_not_the_users_last() {
    let last = json!({"Item": {"lastMove": {"S": EXECUTION}}});
    let cases = [
        (json!({}), last.clone(), "ACTIVE", "Undo.UnknownMove"),
        (
            record(json!({"userId": {"S": "00u2"}})),
            last.clone(),
            "ACTIVE",
            "Undo.WrongUser",
        ),
        (
            record(json!({"undoneBy": {"S": "arn:x"}})),
            last.clone(),
            "ACTIVE",
            "Undo.AlreadyUndone",
        ),
        (
            record(json!({})),
            json!({"Item": {"lastMove": {"S": "arn:later"}}}),
            "ACTIVE",
            "Undo.MovedSince",
        ),
        (
            record(json!({})),
            json!({"Item": {"lastFlow": {"S": "offboarding"}}}),
            "SUSPENDED",
            "Undo.Offboarded",
        ),
        (record(json!({})), last, "DEPROVISIONED", "Undo.Offboarded"),
    ];
    for (record, ledger, status, error) in cases {
        let plan = undo_plan(record, ledger, status);
        assert_eq!(plan["refused"]["error"], error, "{plan}");
        for list in ["addGroups", "removeGroups", "assignApps", "revokeApps"] {
            assert_eq!(
                plan[list],
                json!([]),
                "a refused undo plans nothing: {plan}"
            );
        }
    }
}

#[test]
fn the_undo_report_shows_each_restoration() {
    let out = decide(
        json!({"step": "report", "flow": "undo-move", "executionId": "arn:undo",
               "state": {"admitted": {"request": {"moveExecution": EXECUTION, "dryRun": false}},
                         "user": {"id": "00u1", "login": "carol@acme.example"},
                         "record": record(json!({})),
                         "plan": {"addGroups": [{"id": "00gVpn"}], "removeGroups": [{"id": "Sales"}],
                                  "assignApps": [{"id": "0oaAws"}], "revokeApps": []},
                         "added": [{"group": {"id": "00gVpn"}, "answer": {"changed": true, "message": "added"}}],
                         "removed": [{"group": {"id": "Sales"}, "answer": {"changed": true, "message": "removed"}}],
                         "assigned": [{"app": {"id": "0oaAws"}, "answer": {"Error": "Okta.Forbidden", "Cause": "x"}}]}}),
        "2026-06-01T09:00:00Z".parse().unwrap(),
    )
    .unwrap();
    assert_eq!(out["complete"], false, "a failed re-assignment: {out}");
    assert_eq!(out["summary"]["groups"].as_array().unwrap().len(), 2);
    assert_eq!(
        (
            &out["summary"]["groups"][0]["group"],
            &out["summary"]["groups"][0]["id"]
        ),
        (&json!("VPN Users"), &json!("00gVpn")),
        "named as the move recorded it"
    );
    assert_eq!(out["summary"]["apps"][0]["outcome"], "failed");
    let _ = undo_move::FLOW;
}
