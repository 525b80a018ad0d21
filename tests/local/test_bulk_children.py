"""The bulk flow's child start, tested the way moto allows.

moto 5.2.5 fails every `states:startExecution` task (`.sync:2` too) with States.Runtime "'StateMachineArn'", so the
bulk flow cannot start its children locally. Instead, copies of infra/bulk.asl.json are created in which each child
start Task is replaced by Pass states, the rest of the definition unchanged:
- "render": a Pass with the Task's very Parameters, so moto's interpreter renders, from an S3 list, exactly the
  request the bulk flow would send for each item (StateMachineArn, Input, Name); each rendered Input then starts the
  real child flow on moto against the simulator.
- "read": a Pass whose result is what `.sync:2` returns (DescribeExecution's fields, `Output` as JSON) with the
  Output of a real offboarding run, then a Pass with the Task's own ResultSelector: the outcome-reading states
  (`$..outcome`), the counters and the summary run on that real output shape.
Kept small: a few users, one module-scoped local stack.
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from pathlib import Path

import pytest

from localaws import (
    ACCOUNT,
    BULK_BUCKET,
    BULK_TABLE,
    LOCAL_SUBSTITUTIONS,
    REPO,
    STACK,
    LocalAws,
    create_bulk_resources,
    definition_substitutions,
    outcomes,
    render_definition,
)

BULK = REPO / "infra" / "bulk.asl.json"
BUCKET = BULK_BUCKET
TABLE = BULK_TABLE
START = "arn:aws:states:::states:startExecution.sync:2"
USERS = [f"child{i}@acme.example" for i in range(4)]


def org(tmp: Path) -> Path:
    seed = json.loads((REPO / "tests/okta-sim/sample-org.json").read_text())
    seed["users"] += [{"login": login, "status": "ACTIVE", "sessions": 1} for login in USERS]
    eng = next(g for g in seed["groups"] if g["name"] == "Engineering")
    eng["members"] += USERS
    slack = next(a for a in seed["apps"] if a["label"] == "Slack")
    slack["users"] += USERS
    path = tmp / "children-org.json"
    path.write_text(json.dumps(seed))
    return path


def start_tasks(definition: dict) -> dict[str, dict]:
    states = definition["States"]["Users"]["ItemProcessor"]["States"]
    found = {name: state for name, state in states.items() if state.get("Resource") == START}
    assert set(found) == {"Offboarding", "Onboarding", "Leave", "Return"}, sorted(found)
    return found


def rerooted(selector: dict, root: str) -> dict:
    """A ResultSelector's paths read from `root` instead of the task's result."""
    return {k: (v.replace("$", root, 1) if k.endswith(".$") and v.startswith("$") else v)
            for k, v in selector.items()}


def recorder(fields: dict, next_state: str | None) -> dict:
    """A state that keeps what an item saw, keyed by run and index, in the counts table: moto 5.2.5 neither
    writes the items' results (ResultWriter leaves an empty manifest) nor shows a Distributed Map's items in the
    execution's history."""
    item = {"run": {"S.$": "States.Format('item {} {}', $.run, $.index)"}}
    item |= {name: {"S.$": f"States.JsonToString({path})"} for name, path in fields.items()}
    state = {"Type": "Task", "Resource": "arn:aws:states:::dynamodb:putItem",
             "Parameters": {"TableName": "${BulkCountsTable}", "Item": item}, "ResultPath": None}
    return state | ({"Next": next_state} if next_state else {"End": True})


def render_copy(definition: dict) -> dict:
    copy_ = copy.deepcopy(definition)
    processor = copy_["States"]["Users"]["ItemProcessor"]["States"]
    for name, task in start_tasks(definition).items():
        processor[name] = {"Type": "Pass", "Parameters": task["Parameters"], "ResultPath": "$.request",
                           "Next": "Record"}
    processor["Record"] = recorder({"request": "$.request"}, None)
    return copy_


def read_copy(definition: dict, child_output: dict) -> dict:
    copy_ = copy.deepcopy(definition)
    processor = copy_["States"]["Users"]["ItemProcessor"]["States"]
    for name, task in start_tasks(definition).items():
        # What DescribeExecution answers for a succeeded child, as `.sync:2` returns it: Output parsed as JSON.
        sync_result = {"ExecutionArn": f"arn:aws:states:us-east-1:{ACCOUNT}:execution:{STACK}-offboarding:x",
                       "Status": "SUCCEEDED", "Output": child_output,
                       "OutputDetails": {"Included": True}}
        processor[name] = {"Type": "Pass", "Result": sync_result, "ResultPath": "$.syncResult",
                           "Next": f"{name}Selected"}
        processor[f"{name}Selected"] = {"Type": "Pass", "Parameters": rerooted(task["ResultSelector"], "$.syncResult"),
                                        "ResultPath": task["ResultPath"], "Next": task["Next"]}
    # Count ends the item with its result (OutputPath): the copy records the result before it ends.
    count = processor["Count"]
    assert count.pop("End") is True and count.pop("OutputPath") == "$.result", count
    count["Next"] = "Record"
    processor["Record"] = recorder({"result": "$.result"}, None)
    return copy_


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    with LocalAws(seed=org(tmp_path_factory.mktemp("children"))) as env:
        if "bulk" not in env.state_machines:
            pytest.skip("no bulk state machine")
        create_bulk_resources(env)
        yield env


def create_copy(env: LocalAws, name: str, definition: dict, tmp: Path) -> None:
    bulk = next(m for m in definition_substitutions(env.template).values() if m["flow"] == "bulk")
    subs = {**bulk["subs"], **{k: v for k, v in LOCAL_SUBSTITUTIONS.items() if k in bulk["subs"]}}
    path = tmp / f"{name}.asl.json"
    path.write_text(json.dumps(definition))
    arn = env.client("stepfunctions").create_state_machine(
        name=f"{STACK}-{name}-{uuid.uuid4().hex[:6]}", definition=render_definition(path, subs),
        roleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-BulkStateMachineRole")["stateMachineArn"]
    env.state_machines[name] = arn


def run_batch(env: LocalAws, machine: str, batch: dict, items: list[dict]) -> tuple[str, str, dict]:
    """A dry run as asked; a real run after a dry run of the same list version by someone else (plan, then apply)."""
    key = f"lists/{uuid.uuid4()}.json"
    version = env.client("s3").put_object(Bucket=BUCKET, Key=key, Body=json.dumps(items).encode())["VersionId"]
    listed = {"bucket": BUCKET, "key": key, "versionId": version}
    if not batch.get("dryRun"):
        plan = f"bulk-plan-{uuid.uuid4()}"
        env.wait(env.start_flow(machine, {**listed, **batch, "dryRun": True, "requestedBy": "reviewer"},
                                execution_name=plan), timeout=300)
        batch = {**batch, "dryRunExecution": plan}
    name = f"bulk-{uuid.uuid4()}"
    execution = env.start_flow(machine, {**listed, "requestedBy": "operator", **batch}, execution_name=name)
    status, out = env.wait(execution, timeout=300)
    return execution, status, out


def item_results(env: LocalAws, execution: str) -> list[dict]:
    """What each item's recorder kept, in item order."""
    run = execution.rsplit(":", 1)[-1]
    items = env.client("dynamodb").scan(TableName=TABLE)["Items"]
    kept = {int(i["run"]["S"].rsplit(" ", 1)[1]): i for i in items if i["run"]["S"].startswith(f"item {run} ")}
    return [{"index": index, **{k: json.loads(v["S"]) for k, v in kept[index].items() if k != "run"}}
            for index in sorted(kept)]


def test_each_item_starts_its_flow_with_its_event_id_requester_and_the_batch_dry_run(env, tmp_path):
    create_copy(env, "bulk-render", render_copy(json.loads(BULK.read_text())), tmp_path)
    items = [{"user": USERS[0]}, {"user": USERS[1], "dryRun": False}]
    execution, status, out = run_batch(env, "bulk-render", {"dryRun": True}, items)
    assert status == "SUCCEEDED", out
    name = execution.rsplit(":", 1)[-1]
    rendered = item_results(env, execution)
    assert [r["index"] for r in rendered] == [0, 1], rendered
    for result, item in zip(rendered, items):
        request = result["request"]
        assert request["StateMachineArn"] == env.state_machines["offboarding"], request
        assert re.fullmatch(r"[0-9a-f-]{36}", request["Name"]), request
        child = request["Input"]
        assert child["user"] == item["user"]
        # Issue 24: the run's identity, namespaced: bulk:<run>:<line>, the run's start as the event time.
        assert child["eventId"] == f"bulk:{name}:{result['index']}", child
        assert child["eventSource"] == "bulk" and child["requestedBy"] == f"bulk:{name}", child
        assert child["eventTime"].endswith("Z") and "flow" not in child, child
        # The batch is a dry run: an item cannot turn it off.
        assert child["dryRun"] is True, child
    env.sim.reset_counters()
    for result in rendered:
        status, report = env.run_flow("offboarding", result["request"]["Input"], timeout=300)
        assert status == "SUCCEEDED", report
        assert any(a.get("outcome") for a in report.get("apps", [])), report
    # A dry run changed nothing in Okta: both users are still active.
    assert [env.sim.user(login)["status"] for login in USERS[:2]] == ["ACTIVE", "ACTIVE"]

    items = [{"user": USERS[2]}, {"user": USERS[3], "flow": "offboarding"}]
    execution, status, out = run_batch(env, "bulk-render", {}, items)
    assert status == "SUCCEEDED", out
    name = execution.rsplit(":", 1)[-1]
    results = item_results(env, execution)
    assert len(results) == 2, results
    for result in results:
        child = result["request"]["Input"]
        # Not a dry run: the child gets no dryRun from the batch, so its own default (a real run) applies.
        assert "dryRun" not in child and child["eventId"] == f"bulk:{name}:{result['index']}", child
        status, report = env.run_flow("offboarding", child, timeout=300)
        assert status == "SUCCEEDED", report
        # The ledger keeps the id as the bulk run made it (its namespace not doubled).
        assert ledger_item(env, f"event#bulk:{name}:{result['index']}")["flow"] == {"S": "offboarding"}
    assert [env.sim.user(login)["status"] for login in USERS[2:]] == ["DEPROVISIONED", "DEPROVISIONED"]


def ledger_item(env: LocalAws, pk: str) -> dict:
    ddb = env.client("dynamodb")
    table = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    return ddb.get_item(TableName=table, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item") or {}


def test_a_line_cannot_set_its_own_time_id_source_or_requester(env, tmp_path):
    """Issue 24: the run's settings override every line. A line's own eventTime (a future one would make the
    user's later offboardings stale), an event id of another source (the README's offboard-<id> schedule id: the
    real scheduled offboarding would end as a duplicate), an eventSource or a requestedBy: each such line fails
    with Input.Invalid naming the field, no child starts for it (nothing reaches Okta), and the dry run shows it."""
    create_copy(env, "bulk-render-refusals", render_copy(json.loads(BULK.read_text())), tmp_path)
    uid = env.sim.user(USERS[1])["id"]
    items = [{"user": USERS[0], "eventTime": "9999-01-01T00:00:00Z"},
             {"user": USERS[1], "eventId": f"offboard-{uid}"},
             {"user": USERS[2], "eventSource": "hr.system", "eventId": "hr-evt-1"},
             {"user": USERS[3], "requestedBy": "ceo"},
             {"user": USERS[3]}]
    env.sim.reset_counters()
    execution, status, out = run_batch(env, "bulk-render-refusals",
                                       {"dryRun": True, "toleratedFailurePercentage": 100.0}, items)
    assert status == "FAILED" and out["error"] == "Bulk.Incomplete", out
    summary = json.loads(out["cause"]) if isinstance(out["cause"], str) else out["cause"]
    assert summary["counts"]["failed"] == 4, summary
    assert summary["counters"]["failed Input.Invalid"] == {"N": "4"}, summary
    # Only the plain line reached its child start, with the run's identity.
    rendered = item_results(env, execution)
    assert [r["index"] for r in rendered] == [4], rendered
    name = execution.rsplit(":", 1)[-1]
    assert rendered[0]["request"]["Input"]["eventId"] == f"bulk:{name}:4", rendered
    assert env.sim.calls()["total"] == 0


def outcome_of(report) -> str:
    """What the bulk flow's FindOutcomes/Classify/Outcome states should conclude, from every `outcome` field."""
    found = outcomes(report)
    return "changed" if "changed" in found else "unchanged" if "unchanged" in found else "skipped"


def test_outcomes_are_read_from_a_real_child_output(env, tmp_path):
    reports = {}
    status, reports["changed"] = env.run_flow("offboarding", {"user": USERS[0], "eventId": f"ev-{uuid.uuid4()}",
                                                               "requestedBy": "test"}, timeout=300)
    assert status == "SUCCEEDED", reports["changed"]
    status, reports["unchanged"] = env.run_flow("offboarding", {"user": USERS[0], "eventId": f"ev-{uuid.uuid4()}",
                                                                 "requestedBy": "test"}, timeout=300)
    assert status == "SUCCEEDED", reports["unchanged"]
    for expected, report in reports.items():
        assert outcome_of(report) == expected, (expected, report)
        machine = f"bulk-read-{expected}"
        create_copy(env, machine, read_copy(json.loads(BULK.read_text()), report), tmp_path)
        execution, status, out = run_batch(env, machine, {}, [{"user": USERS[1]}, {"user": USERS[2]}])
        assert status == "SUCCEEDED", out
        assert out["counts"] == {"changed": 0, "unchanged": 0, "skipped": 0, "failed": 0, expected: 2}, out
        results = item_results(env, execution)
        assert len(results) == 2, results
        for result in results:
            line = result["result"]
            assert line["outcome"] == expected and line["report"] == report, result
            assert line["flow"] == "offboarding" and line["user"] in USERS[1:3], result
