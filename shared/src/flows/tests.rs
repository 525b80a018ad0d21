//! Table tests of the flow steps: each row an input as a state machine would pass it, and what the step must
//! answer (or the field it must name).

#![allow(clippy::unwrap_used, clippy::expect_used)]

use jiff::Timestamp;
use serde_json::{Value, json};

use super::decide;

const NOW: &str = "2026-06-02T12:00:00Z";
const START: &str = "2026-06-02T11:59:59.250Z";

fn now() -> Timestamp {
    NOW.parse().unwrap_or_else(|e| panic!("{e}"))
}

fn admit(input: Value) -> Result<Value, String> {
    decide(
        json!({"step": "admit", "flow": "offboarding", "input": input,
               "executionStart": START, "leaseSeconds": 3600}),
        now(),
    )
    .map_err(|e| e.field.unwrap_or(e.message))
}

#[test]
fn admission_refuses_naming_the_field() {
    let cases: Vec<(Value, &str)> = vec![
        (json!(["sam"]), "input"),
        (json!("sam"), "input"),
        (
            json!({"request": ["sam"], "eventId": "e", "eventSource": "api"}),
            "request",
        ),
        (json!({"eventId": "e"}), "user"),
        (json!({"eventId": "e", "user": 7}), "user"),
        (json!({"eventId": "e", "user": ""}), "user"),
        (json!({"user": "sam"}), "eventId"),
        (json!({"user": "sam", "eventId": 5}), "eventId"),
        (
            json!({"user": "sam", "eventId": "e", "dryRun": "yes"}),
            "dryRun",
        ),
        (
            json!({"user": "sam", "eventId": "e", "mode": "delete"}),
            "mode",
        ),
        (json!({"user": "sam", "eventId": "e", "mode": 1}), "mode"),
        (
            json!({"user": "sam", "eventId": "e", "keepGroups": "VPN"}),
            "keepGroups",
        ),
        (
            json!({"user": "sam", "eventId": "e", "keepGroups": ["VPN", 3]}),
            "keepGroups[1]",
        ),
        (
            json!({"user": "sam", "eventId": "e", "keepGroups": vec!["g"; 101]}),
            "keepGroups",
        ),
        (
            json!({"user": "sam", "eventId": "e", "eventTime": "yesterday"}),
            "eventTime",
        ),
        (
            json!({"user": "sam", "eventId": "e", "eventSource": 3}),
            "eventSource",
        ),
        (
            json!({"user": "sam", "eventId": "e", "requestedBy": ["x"]}),
            "requestedBy",
        ),
        // Issue 24: a time in the future is refused, from any source.
        (
            json!({"user": "sam", "eventId": "e", "eventTime": "9999-01-01T00:00:00Z"}),
            "eventTime",
        ),
        (
            json!({"request": {"user": "sam"}, "eventId": "e", "eventSource": "api",
                   "eventTime": "2026-06-02T12:06:00Z"}),
            "eventTime",
        ),
        // An HR event (the template's envelope) always has EventBridge's time.
        (
            json!({"request": {"user": "sam"}, "eventId": "e", "eventSource": "hr.system"}),
            "eventTime",
        ),
        // An envelope names its source.
        (
            json!({"request": {"user": "sam"}, "eventId": "e"}),
            "eventSource",
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
fn admission_takes_identity_from_the_envelope_and_namespaces_event_ids() {
    let cases: Vec<(Value, &str, &str, &str)> = vec![
        // (input, event key, event time, requestedBy)
        (
            json!({"user": "sam", "eventId": "e-1"}),
            "direct:e-1",
            "2026-06-02T11:59:59.250Z",
            "direct:e-1",
        ),
        // The API envelope: the body's eventTime, eventId and requestedBy are ignored.
        (
            json!({"request": {"user": "sam", "eventTime": "9999-01-01T00:00:00Z",
                               "eventId": "offboard-00u1", "requestedBy": "ceo"},
                   "eventId": "req-1", "eventSource": "api", "requestedBy": "arn:helpdesk"}),
            "api:req-1",
            "2026-06-02T11:59:59.250Z",
            "arn:helpdesk",
        ),
        // The API envelope with the request time (API Gateway's requestTimeEpoch, milliseconds).
        (
            json!({"request": {"user": "sam"}, "eventId": "req-2", "eventSource": "api",
                   "requestedBy": "arn:helpdesk", "eventTime": "1780401600000"}),
            "api:req-2",
            "2026-06-02T12:00:00.000Z",
            "arn:helpdesk",
        ),
        (
            json!({"request": {"user": "sam"}, "eventId": "id-9", "eventSource": "hr.system",
                   "requestedBy": "hr.system", "eventTime": "2026-06-01T11:00:00+02:00"}),
            "hr:id-9",
            "2026-06-01T09:00:00.000Z",
            "hr.system",
        ),
        // The schedules' ids carry their prefix already: not doubled.
        (
            json!({"user": "00u1", "eventId": "schedule:return-00u1:leave-1",
                   "eventSource": "aws.scheduler", "eventTime": "2026-06-02T09:00:00Z"}),
            "schedule:return-00u1:leave-1",
            "2026-06-02T09:00:00.000Z",
            "aws.scheduler:schedule:return-00u1:leave-1",
        ),
        // ...but an API request cannot pass for a schedule: its ids are the API's.
        (
            json!({"request": {"user": "sam"}, "eventId": "schedule:return-00u1:leave-1",
                   "eventSource": "api", "requestedBy": "x"}),
            "api:schedule:return-00u1:leave-1",
            "2026-06-02T11:59:59.250Z",
            "x",
        ),
    ];
    for (input, key, time, requested_by) in cases {
        let answer = admit(input.clone()).unwrap_or_else(|e| panic!("{input}: {e}"));
        assert_eq!(answer["event"]["key"], key, "{input}");
        assert_eq!(answer["event"]["time"], time, "{input}");
        assert_eq!(answer["requestedBy"], requested_by, "{input}");
        assert_eq!(
            answer["user"],
            input.get("request").unwrap_or(&input)["user"],
            "{input}"
        );
    }
}

#[test]
fn admission_fills_in_the_defaults_and_the_lease_times() {
    let answer = admit(json!({"user": "sam", "eventId": "e"})).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(
        answer["request"],
        json!({"user": "sam", "mode": "deactivate", "keepGroups": [], "dryRun": false,
               // Issue 27: every way back in is closed unless the request says otherwise.
               "revokeGrants": true, "resetFactors": true, "deactivateDevices": true,
               "transferGroupOwnership": true})
    );
    let off = admit(json!({"user": "sam", "eventId": "e", "resetFactors": false}))
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(off["request"]["resetFactors"], false);
    let error =
        admit(json!({"user": "sam", "eventId": "e", "revokeGrants": "no"})).expect_err("refused");
    assert_eq!(error, "revokeGrants");
    assert_eq!(answer["dryRun"], false);
    let start: Timestamp = START.parse().unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(answer["lease"]["now"], now().as_second().to_string());
    assert_eq!(
        answer["lease"]["expires"],
        (start.as_second() + 3600).to_string()
    );
}

fn group(id: &str, name: &str, kind: &str, rule: Option<bool>) -> Value {
    let mut g = json!({"id": id, "name": name, "type": kind});
    if let Some(rule) = rule {
        g["ruleManaged"] = rule.into();
    }
    g
}

fn user(status: &str) -> Value {
    json!({
        "id": "00u1", "login": "sam", "status": status,
        "groups": [
            group("g0", "Everyone", "BUILT_IN", None),
            group("g1", "Engineering", "OKTA_GROUP", Some(true)),
            group("g2", "AD: Domain Users", "APP_GROUP", None),
            group("g3", "VPN Users", "OKTA_GROUP", Some(false)),
            group("g4", "All Staff", "OKTA_GROUP", None),
        ],
        "apps": [{"id": "a1", "label": "Slack", "scope": "USER"}, {"id": "a2", "label": "GitHub", "scope": "GROUP"}],
    })
}

fn admitted(mode: &str, keep: &[&str], dry_run: bool) -> Value {
    json!({"request": {"user": "sam", "mode": mode, "keepGroups": keep, "dryRun": dry_run}})
}

fn plan(status: &str, mode: &str, keep: &[&str]) -> Value {
    decide(
        json!({"step": "plan", "flow": "offboarding", "admitted": admitted(mode, keep, false), "user": user(status)}),
        now(),
    )
    .unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn the_plan_suspends_and_deactivates_by_mode_and_status() {
    let cases = [
        // (status, mode, suspend, deactivate)
        ("ACTIVE", "deactivate", true, true),
        ("ACTIVE", "suspend", true, false),
        ("SUSPENDED", "deactivate", false, true),
        ("SUSPENDED", "suspend", false, false),
        ("DEPROVISIONED", "suspend", false, false),
        ("DEPROVISIONED", "deactivate", false, true),
        ("STAGED", "suspend", false, true),
        ("PROVISIONED", "suspend", false, true),
        ("RECOVERY", "suspend", false, true),
        ("PASSWORD_EXPIRED", "suspend", false, true),
        ("LOCKED_OUT", "suspend", false, true),
    ];
    for (status, mode, suspend, deactivate) in cases {
        let p = plan(status, mode, &[]);
        assert_eq!(
            (p["suspend"].as_bool(), p["deactivate"].as_bool()),
            (Some(suspend), Some(deactivate)),
            "{status} {mode}"
        );
    }
}

#[test]
fn the_plan_leaves_only_groups_the_api_can_change_and_nobody_kept() {
    let ids = |p: &Value| -> Vec<String> {
        // Ids only, the list offboard-user takes: nothing else travels.
        p["removeGroups"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|g| g.as_str().unwrap_or("").to_owned())
            .collect()
    };
    assert_eq!(ids(&plan("ACTIVE", "deactivate", &[])), ["g3", "g4"]);
    assert_eq!(ids(&plan("ACTIVE", "deactivate", &["VPN Users"])), ["g4"]);
    assert_eq!(ids(&plan("ACTIVE", "deactivate", &["g4"])), ["g3"]);
    // Rule-managed wins over keepGroups (kept either way), built-in and app groups cannot be left.
    assert_eq!(
        ids(&plan("ACTIVE", "deactivate", &["Engineering", "Everyone"])),
        ["g3", "g4"]
    );
    // Only the app assigned directly: one a group grants goes with the group or the deactivation.
    assert_eq!(
        plan("ACTIVE", "deactivate", &[])["revokeApps"],
        json!(["a1"])
    );
}

fn report(dry_run: bool, steps: Value) -> Value {
    let mut state = json!({
        "admitted": admitted("deactivate", &["All Staff"], dry_run), "user": user("ACTIVE"),
        "plan": {"suspend": true, "deactivate": true, "removeGroups": ["g3"], "revokeApps": ["a1"]},
        // offboard-user's steps, as the state machine keeps them.
        "changes": {
            "suspension": {"changed": true, "message": "suspended"},
            "sessions": {"changed": true, "message": "cleared"},
            "groups": [{"group": {"id": "g3"}, "answer": {"changed": true, "message": "removed"}}],
            "apps": [{"app": {"id": "a1"}, "answer": {"changed": true, "message": "revoked"}}],
            "deactivation": {"changed": true, "message": "deactivated"},
        },
        "after": {"status": "DEPROVISIONED", "groups": [group("g0", "Everyone", "BUILT_IN", None),
                  group("g1", "Engineering", "OKTA_GROUP", Some(true)), group("g4", "All Staff", "OKTA_GROUP", None)],
                  "apps": [{"id": "a2", "scope": "GROUP"}]},
    });
    if let (Value::Object(r), Value::Object(s)) = (&mut state, steps) {
        r.extend(s);
    }
    let req =
        json!({"step": "report", "flow": "offboarding", "executionId": "arn:x", "state": state});
    decide(req, now()).unwrap_or_else(|e| panic!("{e}"))
}

fn outcome(v: &Value) -> &str {
    v["outcome"].as_str().unwrap_or("")
}

#[test]
fn the_report_is_complete_only_when_nothing_failed_and_the_end_state_is_proven() {
    let complete = report(false, json!({}));
    assert_eq!(complete["complete"], true, "{complete}");
    let summary = &complete["summary"];
    let groups: Vec<&str> = summary["groups"]
        .as_array()
        .into_iter()
        .flatten()
        .map(outcome)
        .collect();
    assert_eq!(groups, ["residual", "kept", "residual", "changed", "kept"]);
    let apps: Vec<&str> = summary["apps"]
        .as_array()
        .into_iter()
        .flatten()
        .map(outcome)
        .collect();
    assert_eq!(apps, ["changed", "skipped"]);
    assert!(
        summary["apps"][1]["reason"]
            .as_str()
            .unwrap()
            .starts_with("granted through a group"),
        "{summary}"
    );
    assert!(summary["apps"][1].get("error").is_none(), "{summary}");
    assert_eq!(summary["user"]["statusAfter"], "DEPROVISIONED");

    // An app assigned directly and through a group: Okta refuses the removal, the report skips it with the reason.
    let both = report(
        false,
        json!({"changes": {"sessions": {"changed": true, "message": "cleared"}, "groups": [], "deactivation": null,
               "apps": [{"app": {"id": "a1"}, "answer": {"Error": "Okta.NotApplicable", "Cause": "a group"}}]}}),
    );
    assert_eq!(both["summary"]["apps"][0]["outcome"], "skipped", "{both}");
    let forbidden = json!({"Error": "Okta.Forbidden", "Cause": "403"});
    let with_step = |name: &str, answer: Value| {
        let mut changes = json!({
            "suspension": {"changed": true, "message": "suspended"},
            "sessions": {"changed": true, "message": "cleared"},
            "groups": [{"group": {"id": "g3"}, "answer": {"changed": true, "message": "removed"}}],
            "apps": [{"app": {"id": "a1"}, "answer": {"changed": true, "message": "revoked"}}],
            "deactivation": {"changed": true, "message": "deactivated"},
        });
        changes[name] = answer;
        json!({ "changes": changes })
    };
    let incomplete = [
        with_step("suspension", forbidden.clone()),
        with_step("sessions", forbidden.clone()),
        with_step("deactivation", forbidden.clone()),
        // The plan asked for a deactivation that did not happen.
        with_step("deactivation", Value::Null),
        json!({"after": {"Error": "Okta.Forbidden", "Cause": "403"}}),
        with_step(
            "groups",
            json!([{"group": {"id": "g3"}, "answer": forbidden.clone()}]),
        ),
        with_step("groups", json!([])),
        with_step("apps", json!([])),
        // The invocation failed as a whole (the Catch's error): every planned step failed.
        json!({"changes": {"Error": "Okta.Forbidden", "Cause": "403"}}),
        json!({"after": {"status": "ACTIVE", "groups": [], "apps": []}}),
        json!({"after": {"status": "DEPROVISIONED", "groups": [group("g3", "VPN Users", "OKTA_GROUP", None)], "apps": []}}),
        json!({"after": {"status": "DEPROVISIONED", "groups": [], "apps": [{"id": "a1", "scope": "USER"}]}}),
    ];
    for steps in incomplete {
        let answer = report(false, steps.clone());
        assert_eq!(answer["complete"], false, "{steps}");
    }
    // A dry run leaves access in place: only a failed step makes it incomplete.
    let dry = report(
        true,
        json!({"after": {"status": "ACTIVE", "groups": [group("g3", "VPN Users", "OKTA_GROUP", None)], "apps": []}}),
    );
    assert_eq!(dry["complete"], true, "{dry}");
    assert_eq!(dry["summary"]["residual"]["groups"][0]["expected"], false);
}

/// The revocations of issue 27 as the report reads them: the plan's switches, the steps' answers, what remains.
fn revocations(plan: Value, steps: Value) -> Value {
    let mut all_on = json!({"suspend": true, "deactivate": true, "removeGroups": ["g3"], "revokeApps": ["a1"],
        "resetFactors": true, "deactivateDevices": true, "revokeGrants": true, "transferGroupOwnership": true});
    if let (Value::Object(p), Value::Object(o)) = (&mut all_on, plan) {
        p.extend(o);
    }
    let mut extra = json!({
        "plan": all_on,
        "changes": {
            "suspension": {"changed": true, "message": "suspended"},
            "sessions": {"changed": true, "message": "cleared"},
            "factors": {"changed": true, "message": "reset", "factors": [{"id": "f1", "factorType": "sms"}]},
            "devices": {"changed": true, "message": "deactivated", "devices": [
                {"id": "d1", "name": "laptop", "outcome": "deactivated"},
                {"id": "d2", "name": "kiosk", "outcome": "keptShared", "otherUsers": 1}]},
            "groups": [{"group": {"id": "g3"}, "answer": {"changed": true, "message": "removed"}}],
            "apps": [{"app": {"id": "a1"}, "answer": {"changed": true, "message": "revoked"}}],
            "deactivation": {"changed": true, "message": "deactivated"},
        },
        "grants": {"changed": true, "message": "revoked", "detail": {"clients": [{"id": "c1", "name": "CLI"}]}},
        "ownership": {"changed": true, "message": "transferred", "detail": {"ownedGroups": [
            {"id": "g3", "name": "VPN Users", "outcome": "transferred"},
            {"id": "g9", "name": "Help Desk", "outcome": "keptPrivileged"}]}},
        "remaining": {"read": {"clients": [], "factors": [], "devices": [{"id": "d2", "name": "kiosk"}],
                               "ownedGroups": [{"id": "g9", "name": "Help Desk"}]}},
    });
    if let (Value::Object(e), Value::Object(o)) = (&mut extra, steps) {
        e.extend(o);
    }
    report(false, extra)
}

#[test]
fn every_way_back_in_is_reported_and_only_what_was_meant_to_remains() {
    let all = revocations(json!({}), json!({}));
    assert_eq!(all["complete"], true, "{all}");
    let steps = &all["summary"]["revocations"];
    for step in ["grants", "factors", "devices", "groupOwnership"] {
        assert_eq!(steps[step]["outcome"], "changed", "{step}: {steps}");
    }
    assert_eq!(steps["devices"]["devices"][1]["outcome"], "keptShared");
    let remaining = &all["summary"]["remaining"];
    // The shared kiosk and the privileged group remain, on purpose, and the report says why.
    assert_eq!(remaining["devices"][0]["expected"], true, "{remaining}");
    assert!(
        remaining["devices"][0]["reason"]
            .as_str()
            .unwrap()
            .starts_with("shared")
    );
    assert_eq!(remaining["ownedGroups"][0]["expected"], true, "{remaining}");

    let cases = [
        // (plan, steps, what the step shows, complete)
        (
            json!({}),
            json!({"remaining": {"read": {"clients": [{"id": "c1"}], "factors": [], "devices": [],
            "ownedGroups": []}}}),
            ("grants", "changed"),
            false,
        ),
        (
            json!({}),
            json!({"remaining": {"read": {"clients": [], "factors": [], "devices": [{"id": "d1"}],
            "ownedGroups": []}}}),
            ("devices", "changed"),
            false,
        ),
        (
            json!({}),
            json!({"remaining": {"read": {"clients": [], "factors": [], "devices": [],
            "ownedGroups": [{"id": "g3"}]}}}),
            ("groupOwnership", "changed"),
            false,
        ),
        (
            json!({}),
            json!({"grants": {"Error": "Okta.Forbidden", "Cause": "403"}}),
            ("grants", "failed"),
            false,
        ),
        (
            json!({}),
            json!({"remaining": {"Error": "Okta.Forbidden", "Cause": "403"}}),
            ("grants", "changed"),
            false,
        ),
        // An org without the feature: unsupported, and what it could not close is expected to remain.
        (
            json!({}),
            json!({"ownership": {"Error": "Okta.FeatureUnavailable", "Cause": "E0000015"},
            "remaining": {"read": {"clients": [], "factors": [], "devices": []}}}),
            ("groupOwnership", "unsupported"),
            true,
        ),
        // Turned off: skipped, and what remains is expected.
        (
            json!({"revokeGrants": false}),
            json!({"grants": null,
            "remaining": {"read": {"clients": [{"id": "c1"}], "factors": [], "devices": [], "ownedGroups": []}}}),
            ("grants", "skipped"),
            true,
        ),
        // Planned but never run: a failure, not a silent skip.
        (
            json!({}),
            json!({"grants": null}),
            ("grants", "failed"),
            false,
        ),
    ];
    for (plan, steps, (step, shown), complete) in cases {
        let answer = revocations(plan, steps.clone());
        let summary = &answer["summary"];
        assert_eq!(
            summary["revocations"][step]["outcome"], shown,
            "{steps}: {summary}"
        );
        assert_eq!(answer["complete"], complete, "{steps}: {summary}");
    }
}

#[test]
fn factors_of_a_deprovisioned_user_are_not_reset_and_the_report_says_why() {
    let p = plan("DEPROVISIONED", "deactivate", &[]);
    assert_eq!(p["resetFactors"], false);
    assert_eq!(p["deactivateDevices"], true);
}

#[test]
fn a_payload_the_state_machine_did_not_build_is_input_invalid() {
    for payload in [
        json!(null),
        json!({"step": "launch"}),
        json!({"step": "plan", "flow": "offboarding"}),
    ] {
        let error = decide(payload.clone(), now()).expect_err("refused");
        assert_eq!(error.kind, crate::ErrorKind::InputInvalid, "{payload}");
    }
}

fn return_report(dry_run: bool, steps: Value) -> Value {
    let mut state = json!({
        "admitted": {"request": {"user": "sam", "dryRun": dry_run}},
        "subject": {"id": "00u1", "login": "sam@acme.example"},
    });
    if let (Value::Object(r), Value::Object(s)) = (&mut state, steps) {
        r.extend(s);
    }
    decide(
        json!({"step": "report", "flow": "return", "executionId": "arn:x", "state": state}),
        now(),
    )
    .unwrap()
}

#[test]
fn the_return_report_by_what_each_step_answered() {
    let unsuspended = json!({"changed": true, "message": "unsuspended", "statusBefore": "SUSPENDED", "statusAfter": "ACTIVE"});
    let cases = [
        // (dry run, steps, unsuspension, schedule, complete)
        (
            false,
            json!({"unsuspended": unsuspended, "deleted": {}}),
            "changed",
            "changed",
            true,
        ),
        (
            false,
            json!({"deleted": {"Error": "Scheduler.ResourceNotFoundException", "Cause": "none"}}),
            "skipped",
            "unchanged",
            true,
        ),
        (
            false,
            json!({"deleted": {"Error": "scheduler.ResourceNotFoundException", "Cause": "none"}}),
            "skipped",
            "unchanged",
            true,
        ),
        (
            false,
            json!({"deleted": {"Error": "Scheduler.AccessDeniedException", "Cause": "no"}}),
            "skipped",
            "failed",
            false,
        ),
        (
            false,
            json!({"unsuspended": {"Error": "Okta.Forbidden", "Cause": "403"}}),
            "failed",
            "skipped",
            false,
        ),
        (
            true,
            json!({"unsuspended": unsuspended}),
            "changed",
            "unchanged",
            true,
        ),
    ];
    for (dry_run, steps, unsuspension, schedule, complete) in cases {
        let answer = return_report(dry_run, steps.clone());
        let summary = &answer["summary"];
        assert_eq!(
            (
                summary["unsuspension"]["outcome"].as_str(),
                summary["schedule"]["outcome"].as_str(),
                answer["complete"].as_bool()
            ),
            (Some(unsuspension), Some(schedule), Some(complete)),
            "{steps}"
        );
    }
    let failed = return_report(
        false,
        json!({"unsuspended": {"Error": "Okta.Forbidden", "Cause": "403"}}),
    );
    assert_eq!(
        failed["summary"]["user"], "sam",
        "as before: the user as the request named it"
    );
    assert_eq!(
        return_report(false, json!({"deleted": {}}))["summary"]["schedule"]["name"],
        "return-00u1"
    );
}

fn leave_admit(input: Value) -> Result<Value, String> {
    decide(
        json!({"step": "admit", "flow": "leave", "input": input, "executionStart": START, "leaseSeconds": 900}),
        now(),
    )
    .map_err(|e| e.field.unwrap_or(e.message))
}

#[test]
fn leave_admission_reads_the_return_date_as_scheduler_takes_it() {
    for (given, field) in [
        (json!("soon"), "returnDate"),
        (json!("2027-01-15T09:00:00Z"), "returnDate"),
        (json!("2027-01-15 09:00"), "returnDate"),
        (json!(20270115), "returnDate"),
    ] {
        let answer = leave_admit(json!({"user": "sam", "eventId": "e", "returnDate": given}));
        assert_eq!(answer.err().as_deref(), Some(field), "{given}");
    }
    let ok =
        leave_admit(json!({"user": "sam", "eventId": "e", "returnDate": "2027-01-15T09:00:00"}))
            .unwrap();
    assert_eq!(
        ok["request"],
        json!({"user": "sam", "returnDate": "2027-01-15T09:00:00", "returnTimezone": "UTC", "dryRun": false})
    );
    let zone = leave_admit(json!({"user": "sam", "eventId": "e", "returnTimezone": 2}));
    assert_eq!(zone.err().as_deref(), Some("returnTimezone"));
}

#[test]
fn the_leave_plans_its_return_schedule_and_reports_each_outcome() {
    let admitted = json!({"request": {"user": "sam", "returnDate": "2027-01-15T09:00:00",
                                      "returnTimezone": "Europe/Paris", "dryRun": false},
                          "requestedBy": "hr.system:leave-1", "event": {"id": "leave-1"}});
    let plan = decide(
        json!({"step": "plan", "flow": "leave", "admitted": admitted, "subject": {"id": "00u1"}}),
        now(),
    )
    .unwrap();
    assert_eq!(plan["name"], "return-00u1");
    assert_eq!(plan["expression"], "at(2027-01-15T09:00:00)");
    assert_eq!(
        plan["input"],
        json!({"user": "00u1", "eventId": "schedule:return-00u1:leave-1", "eventSource": "aws.scheduler",
               "eventTime": "<aws.scheduler.scheduled-time>", "requestedBy": "hr.system:leave-1"})
    );
    let suspended = json!({"changed": true, "message": "suspended", "userId": "00u1", "login": "sam@x",
                           "statusBefore": "ACTIVE", "statusAfter": "SUSPENDED"});
    let report = |steps: Value| {
        let mut state =
            json!({"admitted": admitted, "subject": {"id": "00u1"}, "suspended": suspended});
        if let (Value::Object(r), Value::Object(s)) = (&mut state, steps) {
            r.extend(s);
        }
        decide(
            json!({"step": "report", "flow": "leave", "executionId": "arn:x", "state": state}),
            now(),
        )
        .unwrap()
    };
    let cases = [
        (
            json!({"created": {"arn": "arn:s"}, "updated": {"Error": "Scheduler.ResourceNotFoundException"}}),
            "changed",
            true,
            "scheduled at",
        ),
        (
            json!({"updated": {"arn": "arn:s"}}),
            "changed",
            true,
            "moved to",
        ),
        (
            json!({"updated": {"Error": "X"}, "created": {"Error": "Scheduler.ConflictException", "Cause": "c"}}),
            "failed",
            false,
            "",
        ),
        (
            json!({"suspended": {"Error": "Okta.Forbidden", "Cause": "403"}}),
            "skipped",
            false,
            "",
        ),
    ];
    for (steps, outcome, complete, words) in cases {
        let answer = report(steps.clone());
        assert_eq!(answer["summary"]["schedule"]["outcome"], outcome, "{steps}");
        assert_eq!(answer["complete"], complete, "{steps}");
        let message = answer["summary"]["schedule"]["message"]
            .as_str()
            .unwrap_or("");
        assert!(message.contains(words), "{message}");
    }
}
