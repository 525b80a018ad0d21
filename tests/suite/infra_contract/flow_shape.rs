//! Issue 24: flows that read like the runbook. The rewritten flows keep their state budget with no Pass chains,
//! and every flow has a `TimeoutSeconds`.

use serde_json::Value as Json;

use super::{FLOWS, asl, assert_none, expect_problems, walk_states};

/// The generated flows (infra/generate.py) and their state budgets (issue 24): the runbook, not bookkeeping.
/// Onboarding was 82 states, offboarding 105, leave 50, return 49, bulk 48 (now 27, with its list size cap).
/// The completion announcements of issue 27 (one `events:putEvents` task before each of the wrapper's six ends) are
/// counted apart, by `check_flow_shape`: they are what the flow tells the world, not reshaping.
const STATE_BUDGETS: [(&str, usize); 7] = [
    ("offboarding", 40),
    ("leave", 30),
    ("return", 30),
    ("onboarding", 35),
    ("bulk", 27),
    ("move", 42),
    ("undo-move", 46),
];

/// At most `budget` states besides the completion announcements (Map iterations and Parallel branches included),
/// and no Pass state but a named end state: reshaping belongs to the flow-step function, so Pass chains cannot grow back. Every flow has a
/// TimeoutSeconds (its leases expire then).
fn check_flow_shape(flow: &str, machine: &Json, budget: usize) -> Vec<String> {
    let mut problems = Vec::new();
    let mut count = 0;
    walk_states(machine, &mut |name, state| {
        let announces = state.get("Resource").and_then(Json::as_str)
            == Some("arn:aws:states:::events:putEvents");
        if !announces {
            count += 1;
        }
        let ends = state.get("End") == Some(&Json::Bool(true));
        if state.get("Type").and_then(Json::as_str) == Some("Pass") && !ends {
            problems.push(format!(
                "{flow}/{name}: a Pass state that is not an end state"
            ));
        }
    });
    if count > budget {
        problems.push(format!("{flow}: {count} states, more than {budget}"));
    }
    if machine
        .get("TimeoutSeconds")
        .and_then(Json::as_u64)
        .is_none()
    {
        problems.push(format!("{flow}: no TimeoutSeconds"));
    }
    problems
}

#[test]
fn rewritten_flows_keep_their_state_budget_and_no_pass_chains() {
    for (flow, budget) in STATE_BUDGETS {
        let (_, machine) = asl(flow);
        assert_none(check_flow_shape(flow, &machine, budget));
    }
}

/// Issue 24: every flow, generated or not, has a TimeoutSeconds: an execution cannot run (and hold a user's lease)
/// for ever.
#[test]
fn every_flow_has_a_timeout() {
    for flow in FLOWS {
        let (_, machine) = asl(flow);
        assert!(
            machine
                .get("TimeoutSeconds")
                .and_then(Json::as_u64)
                .is_some(),
            "{flow}: no TimeoutSeconds"
        );
    }
}

#[test]
fn flow_shape_check_fails_on_broken_example() {
    let broken = serde_json::json!({"StartAt": "A", "States": {
        "A": {"Type": "Pass", "Next": "B"},
        "B": {"Type": "Map", "ItemProcessor": {"StartAt": "C", "States": {
            "C": {"Type": "Pass", "Next": "D"}, "D": {"Type": "Succeed"}}}, "Next": "E"},
        "E": {"Type": "Pass", "End": true}}});
    expect_problems(
        &check_flow_shape("broken", &broken, 4),
        &[
            "broken/A: a Pass state that is not an end state",
            "broken/C: a Pass state that is not an end state",
            "broken: 5 states, more than 4",
            "broken: no TimeoutSeconds",
        ],
    );
    let (_, offboarding) = asl("offboarding");
    assert!(check_flow_shape("offboarding", &offboarding, 40).is_empty());
}
