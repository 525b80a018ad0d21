"""The mover, its undo and the completion events on the local stack (issue 27, items 3 to 5).

carol.eng@acme.example (the sample org) holds what the engineering profile grants the way real orgs hold it: the
Engineering membership comes from the active group rule "Engineering department" (rule-managed), VPN Users and
All Staff are direct, GitHub is granted through the Engineering group (scope GROUP), AWS is hers directly.
"""

from __future__ import annotations

import json
import uuid

import pytest

from localaws import LEDGER_TABLE

CAROL = "carol.eng@acme.example"


@pytest.fixture(autouse=True)
def _need_flows(env):
    if not env.state_machines.get("move"):
        pytest.skip("no move state machine")


def start(inp: dict) -> dict:
    return {**inp, "eventId": f"test-{uuid.uuid4().hex[:12]}", "requestedBy": "test_move"}


def access(env) -> tuple[set[str], set[tuple[str, str]]]:
    """Carol's groups, and her apps with how each is assigned, as the simulator holds them."""
    state = env.sim_state()
    uid = env.sim.user(CAROL, state)["id"]
    apps = {(a["label"], x["scope"]) for a in state["apps"] for x in a["assignments"] if x["userId"] == uid}
    return env.sim.groups_of(CAROL, state), apps


def forget_carol(env) -> str:
    """The ledger outlives the simulator's reset: start from a user it has not seen."""
    uid = env.sim.user(CAROL)["id"]
    ddb = env.client("dynamodb")
    for item in ddb.scan(TableName=LEDGER_TABLE).get("Items", []):
        if uid in item["pk"]["S"] or item.get("userId", {}).get("S") == uid:
            ddb.delete_item(TableName=LEDGER_TABLE, Key={"pk": item["pk"]})
    return uid


def writes(env) -> list[str]:
    return [f"{r['method']} {r.get('path') or r.get('rawPath')}" for r in env.sim.requests() if r["method"] != "GET"]


def line(report: dict, kind: str, name: str) -> dict:
    return next(x for x in report[kind] if x["group" if kind == "groups" else "app"] == name)


def test_a_move_leaves_rule_managed_and_group_granted_access_and_its_undo_restores_the_before_state(fresh):
    env = fresh
    uid = forget_carol(env)
    before = access(env)
    assert "Engineering" in before[0] and ("GitHub", "GROUP") in before[1] and ("AWS", "USER") in before[1], before

    # The dry run shows the plan and changes nothing.
    env.sim.reset_counters()
    status, dry = env.run_flow("move", start({"user": CAROL, "fromProfile": "engineering", "toProfile": "sales",
                                              "dryRun": True}))
    assert status == "SUCCEEDED", dry
    assert writes(env) == [] and access(env) == before
    assert line(dry, "groups", "VPN Users")["outcome"] == "changed", dry
    assert env.ledger(f"move#{dry['executionId']}") == {}

    status, report = env.run_flow("move", start({"user": CAROL, "fromProfile": "engineering", "toProfile": "sales"}))
    assert status == "SUCCEEDED", report
    groups, apps = access(env)
    # Left in place and reported: the rule-managed membership and the app its group grants.
    engineering = line(report, "groups", "Engineering")
    assert (engineering["holds"], engineering["outcome"]) == ("rule-managed", "kept"), engineering
    assert "HR attribute" in engineering["reason"]
    github = line(report, "apps", "GitHub")
    assert (github["holds"], github["outcome"]) == ("through a group", "kept"), github
    assert '"Engineering"' in github["reason"], github
    assert "Engineering" in groups and ("GitHub", "GROUP") in apps
    # Removed: the direct membership and assignment; joined: Sales (whose group grants Salesforce).
    assert "VPN Users" not in groups and "Sales" in groups and "All Staff" in groups
    assert ("AWS", "USER") not in apps and ("Salesforce", "GROUP") in apps
    assert line(report, "apps", "Salesforce")["outcome"] == "unchanged", report
    record = env.ledger(f"move#{report['executionId']}")
    assert json.loads(record["changes"]) == report["changes"] == {
        "removedGroups": [{"id": next(g["id"] for g in env.sim_state()["groups"] if g["name"] == "VPN Users"),
                           "name": "VPN Users"}],
        "addedGroups": [{"name": "Sales"}],
        "revokedApps": [{"id": next(a["id"] for a in env.sim_state()["apps"] if a["label"] == "AWS"), "name": "AWS"}],
        "assignedApps": []}
    assert env.ledger(f"user#{uid}")["lastMove"] == report["executionId"]

    # The undo's dry run changes nothing; the real one restores the before-state exactly.
    undo = {"user": CAROL, "moveExecution": report["executionId"]}
    env.sim.reset_counters()
    status, dry = env.run_flow("undo-move", start({**undo, "dryRun": True}))
    assert status == "SUCCEEDED", dry
    assert writes(env) == []
    status, undone = env.run_flow("undo-move", start(undo))
    assert status == "SUCCEEDED", undone
    assert access(env) == before, undone
    assert env.ledger(f"move#{report['executionId']}")["undoneBy"] == undone["executionId"]

    # Undone once is enough: a second undo is refused before Okta is written to.
    env.sim.reset_counters()
    status, res = env.run_flow("undo-move", start(undo))
    assert status == "FAILED" and res["error"] == "Undo.AlreadyUndone", res
    assert writes(env) == []


def test_an_undo_after_a_later_move_or_an_offboarding_is_refused_and_changes_nothing(fresh):
    env = fresh
    forget_carol(env)
    status, first = env.run_flow("move", start({"user": CAROL, "fromProfile": "engineering", "toProfile": "sales"}))
    assert status == "SUCCEEDED", first
    status, second = env.run_flow("move", start({"user": CAROL, "fromProfile": "sales", "toProfile": "contractor"}))
    assert status == "SUCCEEDED", second
    after = access(env)
    env.sim.reset_counters()
    status, res = env.run_flow("undo-move", start({"user": CAROL, "moveExecution": first["executionId"]}))
    assert status == "FAILED" and res["error"] == "Undo.MovedSince", res
    assert second["executionId"] in res["cause"], res
    assert writes(env) == [] and access(env) == after

    status, out = env.run_flow("offboarding", start({"user": CAROL, "mode": "suspend"}))
    assert status in ("SUCCEEDED", "FAILED"), out
    env.sim.reset_counters()
    status, res = env.run_flow("undo-move", start({"user": CAROL, "moveExecution": second["executionId"]}))
    assert status == "FAILED" and res["error"] == "Undo.Offboarded", res
    assert writes(env) == []

    status, res = env.run_flow("undo-move", start({"user": CAROL, "moveExecution": "not-an-arn"}))
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert "moveExecution" in json.dumps(res["cause"]), res


def test_every_generated_flow_announces_its_end_on_the_completion_bus(fresh):
    env = fresh
    forget_carol(env)
    sqs, events = env.client("sqs"), env.client("events")
    queue = sqs.create_queue(QueueName=f"ended-{uuid.uuid4().hex[:8]}")["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    rule = f"flow-ended-{uuid.uuid4().hex[:8]}"
    events.put_rule(Name=rule, EventBusName="default",
                    EventPattern=json.dumps({"source": ["okta-lifecycle"], "detail-type": ["Flow ended"]}))
    events.put_targets(Rule=rule, EventBusName="default", Targets=[{"Id": "q", "Arn": arn}])
    try:
        status, moved = env.run_flow("move", start({"user": CAROL, "fromProfile": "engineering", "toProfile": "sales",
                                                   "dryRun": True}))
        assert status == "SUCCEEDED", moved
        status, refused = env.run_flow("undo-move", start({"user": CAROL, "moveExecution": moved["executionId"]}))
        assert status == "FAILED", refused
        received = []
        for _ in range(10):
            got = sqs.receive_message(QueueUrl=queue, MaxNumberOfMessages=10, WaitTimeSeconds=1).get("Messages", [])
            received += [json.loads(m["Body"]) for m in got]
            if len(received) >= 2:
                break
        details = sorted((e["detail"] for e in received), key=lambda d: d["flow"])
        assert [(d["flow"], d["outcome"]) for d in details] == [("move", "succeeded"), ("undo-move", "failed")]
        move, undo = details
        assert move["execution"] == moved["executionId"] and move["summary"] == moved
        assert move["user"]["login"] == CAROL
        assert undo["summary"]["error"] == "Undo.UnknownMove", undo
    finally:
        events.remove_targets(Rule=rule, EventBusName="default", Ids=["q"])
        events.delete_rule(Name=rule, EventBusName="default")
        sqs.delete_queue(QueueUrl=queue)


def test_a_move_keeps_the_guardrails_and_runs_once_per_event(fresh):
    env = fresh
    # bree.breakglass is in the protected group Break Glass (the harness's OKTA_PROTECTED_GROUPS): every change is
    # refused by the functions' guardrails before it reaches Okta, and the move ends incomplete.
    env.sim.reset_counters()
    status, res = env.run_flow("move", start({"user": "bree.breakglass@acme.example", "fromProfile": "engineering",
                                              "toProfile": "sales"}))
    assert status == "FAILED" and res["error"] == "Move.Incomplete", res
    joins = [x for x in res["cause"]["groups"] + res["cause"]["apps"] if x["change"] == "join"]
    assert joins and all(x["outcome"] == "failed" and x["error"].startswith("Policy.") for x in joins), joins
    assert writes(env) == []

    # The same event twice: the second run is a duplicate that changes nothing.
    forget_carol(env)
    once = start({"user": CAROL, "fromProfile": "engineering", "toProfile": "sales"})
    status, first = env.run_flow("move", once)
    assert status == "SUCCEEDED", first
    env.sim.reset_counters()
    status, again = env.run_flow("move", once)
    assert status == "SUCCEEDED" and again["outcome"] == "duplicate", again
    assert writes(env) == []
