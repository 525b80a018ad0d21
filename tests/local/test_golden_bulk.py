"""Golden traces of the bulk flow (issue 24, item 2): each case starts a bulk run on the local stack and compares what
it did with the trace recorded from the hand-written bulk flow before the rewrite (tests/local/golden/bulk/).

moto cannot start a bulk run's children (tests/local/test_bulk.py's docstring), so every case ends before a child
starts: bad run settings, a list that is not there or not a list, lines the bulk flow refuses itself (a flow other
than offboarding, onboarding, leave and return), the plan-then-apply approval (issue 25), a dry run and an approved
run of refused lines. Besides what golden_trace.capture holds, a bulk trace holds what the run leaves behind: the
items of the counts table (BulkCountsTable: the run's counters, the dry run's plan and its claim) and the result
files the Map's ResultWriter put in the bucket (each line's outcome, error and cause).

A difference from the recorded trace is allowed only where issue 24 asks for it: `ISSUE_24` below names the case,
what changed and why. `GOLDEN_RECORD=1 tests/local/run.sh -k golden_bulk` records again (on the old flows only: see
tests/local/golden/README.md).
"""

from __future__ import annotations

import json
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import pytest

import golden_trace
from localaws import BULK_BUCKET, BULK_TABLE, create_bulk_resources

RECORD = os.environ.get("GOLDEN_RECORD") == "1"
FLOW = "bulk"
SAM, JANE = "sam.leaver@acme.example", "jane.doe@acme.example"
# Lines naming a flow the bulk flow refuses itself: no child starts (moto cannot start one).
REFUSED_LINES = [{"user": SAM, "flow": "vacation"}, {"user": JANE, "flow": "vacation"}]
ALL_TOLERATED = {"toleratedFailurePercentage": 100.0}

_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
_MAP_RUN = re.compile(r"arn:aws:states:[a-z0-9-]+:\d{12}:mapRun:[A-Za-z0-9_.:/-]+")


@dataclass
class Case:
    name: str
    lines: Any  # the list's content (a JSON value), or None for no list in the bucket
    batch: dict  # the run's settings beside the list's bucket, key and versionId
    # Before the run: a dry run by `plan_by` (its name is given as dryRunExecution unless the batch names one).
    plan_by: str | None = None
    setup: Callable[[Any, dict, str], dict] | None = None  # (env, listed, plan) -> the listed to run with
    drop: tuple[str, ...] = ()  # settings of the list's location left out of the run's input


def replace_list(env, listed: dict, plan: str) -> dict:
    """The list is replaced after its dry run: the new version is not the reviewed plan."""
    body = json.dumps(REFUSED_LINES + [{"user": "ceo@acme.example", "flow": "vacation"}]).encode()
    version = env.client("s3").put_object(Bucket=BULK_BUCKET, Key=listed["key"], Body=body)["VersionId"]
    return {**listed, "versionId": version}


def apply_once(env, listed: dict, plan: str) -> dict:
    """The reviewed plan applied once already, by someone else."""
    status, out = run(env, {**listed, "requestedBy": "bob", "dryRunExecution": plan, **ALL_TOLERATED},
                      f"{plan}-first")
    assert out.get("error") == "Bulk.Incomplete", out
    return listed


CASES = [
    # The run's settings, each field wrong (a dry run, so approval is not what refuses them).
    Case("bucket-missing", REFUSED_LINES, {"dryRun": True}, drop=("bucket",)),
    Case("version-missing", REFUSED_LINES, {"dryRun": True}, drop=("versionId",)),
    Case("dry-run-not-boolean", REFUSED_LINES, {"dryRun": "yes"}),
    Case("tolerated-over-100", REFUSED_LINES, {"dryRun": True, "toleratedFailurePercentage": 150}),
    Case("flow-unknown", REFUSED_LINES, {"dryRun": True, "flow": "vacation"}),
    # Above the operator's BulkMaxConcurrency (the template's default, 8): a run may only lower it.
    Case("max-concurrency-over-cap", REFUSED_LINES, {"dryRun": True, "maxConcurrency": 9}),
    Case("requested-by-not-string", REFUSED_LINES, {"dryRun": True, "requestedBy": 5}),
    # The list: not in the bucket, not a list.
    Case("list-not-in-bucket", None, {"dryRun": True}),
    Case("list-not-a-list", {"user": SAM, "flow": "vacation"}, {"dryRun": True}),
    # Dry runs of lines the flow refuses: within the tolerance, and past it (the Map stops).
    Case("dry-run", REFUSED_LINES, {"dryRun": True, "requestedBy": "alice", **ALL_TOLERATED}),
    Case("dry-run-past-tolerance", REFUSED_LINES, {"dryRun": True, "requestedBy": "alice"}),
    # A line naming its own identity (and a flow refused, so no child is needed): the old flow let the line's
    # fields win over the run's.
    Case("line-own-identity", [{"user": SAM, "flow": "vacation", "eventId": "offboard-x", "requestedBy": "mallory",
                                "eventTime": "9999-01-01T00:00:00Z"}],
         {"dryRun": True, "requestedBy": "alice", **ALL_TOLERATED}),
    # The same line for the run's own flow: the old flow went on to start its child (which moto cannot: the line's
    # failure is moto's States.Runtime), so the trace shows whether the line was accepted or refused.
    Case("line-own-identity-run-flow", [{"user": SAM, "eventId": "offboard-x", "requestedBy": "mallory",
                                         "eventTime": "9999-01-01T00:00:00Z"}],
         {"dryRun": True, "requestedBy": "alice", **ALL_TOLERATED}),
    # Plan, then apply (issue 25).
    Case("real-run-without-dry-run", REFUSED_LINES, {"requestedBy": "bob"}),
    Case("real-run-no-such-dry-run", REFUSED_LINES, {"requestedBy": "bob", "dryRunExecution": "no-such-run"}),
    Case("real-run-same-principal", REFUSED_LINES, {"requestedBy": "alice", **ALL_TOLERATED}, plan_by="alice"),
    Case("real-run-list-changed", REFUSED_LINES, {"requestedBy": "bob", **ALL_TOLERATED}, plan_by="alice",
         setup=replace_list),
    Case("approved-run", REFUSED_LINES, {"requestedBy": "bob", **ALL_TOLERATED}, plan_by="alice"),
    Case("already-applied", REFUSED_LINES, {"requestedBy": "bob", **ALL_TOLERATED}, plan_by="alice",
         setup=apply_once),
]


def run(env, batch: dict, name: str) -> tuple[str, Any]:
    return env.wait(env.start_flow(FLOW, batch, execution_name=name), timeout=300)


def put_list(env, case: str, lines: Any) -> dict:
    key = f"lists/golden-{case}.json"
    if lines is None:
        return {"bucket": BULK_BUCKET, "key": key, "versionId": "no-such-version"}
    version = env.client("s3").put_object(Bucket=BULK_BUCKET, Key=key, Body=json.dumps(lines).encode())["VersionId"]
    return {"bucket": BULK_BUCKET, "key": key, "versionId": version}


def counts_items(env) -> list[dict]:
    """The counts table's items. A dry run's `counts` is JSON text: compared as the JSON it holds (the hand-written
    flow wrote its keys in the report's order, the rewritten one sorted; the plan is the same)."""
    items = env.client("dynamodb").scan(TableName=BULK_TABLE, ConsistentRead=True).get("Items", [])
    out = []
    for item in items:
        plain = {k: next(iter(v.values())) for k, v in item.items()}
        if isinstance(plain.get("counts"), str):
            plain["counts"] = json.loads(plain["counts"])
        out.append(plain)
    return sorted(out, key=lambda i: i["run"])


def result_keys(env) -> set[str]:
    s3 = env.client("s3")
    pages = s3.get_paginator("list_objects_v2").paginate(Bucket=BULK_BUCKET, Prefix="results/")
    return {o["Key"] for page in pages for o in page.get("Contents", [])}


def result_files(env, keys: set[str]) -> dict[str, Any]:
    """The ResultWriter's files, by name within the run's folder (manifest.json, SUCCEEDED_0.json, FAILED_0.json)."""
    s3 = env.client("s3")
    out = {}
    for key in sorted(keys):
        body = s3.get_object(Bucket=BULK_BUCKET, Key=key)["Body"].read()
        try:
            content = json.loads(body)
        except ValueError:
            content = body.decode(errors="replace")
        out[key.rsplit("/", 1)[-1]] = content
    return out


def unnamed(value: Any, versions: dict[str, str]) -> Any:
    """What golden_trace.Normaliser leaves: the list's object versions (named by order), map runs, uuids."""
    text = json.dumps(value, sort_keys=True)
    for version, label in versions.items():
        text = text.replace(version, label)
    text = _MAP_RUN.sub("<map-run>", text)
    return json.loads(_UUID.sub("<uuid>", text))


@pytest.fixture(scope="module")
def bulk_env(env):
    """The session's stack with the bulk flow's bucket and counts table (created once)."""
    if FLOW not in env.state_machines:
        pytest.skip("no bulk state machine")
    if BULK_BUCKET not in {b["Name"] for b in env.client("s3").list_buckets().get("Buckets", [])}:
        create_bulk_resources(env)
    return env


@pytest.fixture
def clean_bulk(bulk_env, fresh):
    """An empty counts table (a trace holds all its items) and an empty ledger (bulk lines refused write none)."""
    ddb = bulk_env.client("dynamodb")
    for item in ddb.scan(TableName=BULK_TABLE, ProjectionExpression="#r",
                         ExpressionAttributeNames={"#r": "run"}).get("Items", []):
        ddb.delete_item(TableName=BULK_TABLE, Key={"run": item["run"]})
    ledger = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    for item in ddb.scan(TableName=ledger, ProjectionExpression="pk").get("Items", []):
        ddb.delete_item(TableName=ledger, Key={"pk": item["pk"]})
    yield bulk_env
    fresh.sim.clear_faults()


def capture(env, case: Case) -> dict:
    listed = put_list(env, case.name, case.lines)
    versions = {listed["versionId"]: "<list-version:1>"}
    plan = f"golden-{case.name}-plan"
    if case.plan_by:
        run(env, {**listed, "dryRun": True, "requestedBy": case.plan_by, **ALL_TOLERATED}, plan)
    if case.setup:
        listed = case.setup(env, listed, plan)
        versions.setdefault(listed["versionId"], "<list-version:2>")
    batch = {**{k: v for k, v in listed.items() if k not in case.drop}, **case.batch}
    if case.plan_by and "dryRunExecution" not in batch:
        batch["dryRunExecution"] = plan
    state = env.sim_state()
    env.sim.reset_counters()
    before = result_keys(env)
    name = f"golden-{case.name}"
    execution = env.start_flow(FLOW, batch, execution_name=name)
    status, result = env.wait(execution, timeout=300)
    trace = golden_trace.capture(env, execution, status, result, state, set())
    norm = golden_trace.Normaliser(state, set())
    norm.value(execution)
    trace["bulkCounts"] = norm.value(counts_items(env))
    trace["results"] = norm.value(result_files(env, result_keys(env) - before))
    return unnamed(trace, versions)


def refused(message: str) -> Callable[[dict], dict]:
    """Item 1: the run's settings are checked by the admit step, whose error names the one field that is wrong (the
    hand-written flow answered every bad setting with one sentence listing them all)."""
    def change(t: dict) -> dict:
        return {**t, "cause": {"errorType": "Input.Invalid", "errorMessage": message}}
    return change


def refused_before_the_list(message: str) -> Callable[[dict], dict]:
    """Item 1: a run naming a flow the bulk flow cannot start is refused by the admit step, before the list is read.
    The hand-written flow checked only that `flow` was a string: it read the list and failed every line
    (`UnknownFlow`), and a dry run of it recorded a plan for that flow."""
    def change(t: dict) -> dict:
        out = {k: v for k, v in t.items() if k not in ("output", "cause")}
        return {**refused(message)(out), "status": "FAILED", "error": "Input.Invalid", "bulkCounts": [], "results": {}}
    return change


def line_identity_refused(t: dict) -> dict:
    """Item 3: a line may not set its own eventId, eventSource, eventTime or requestedBy; the run's settings decide
    them. The hand-written flow merged the line over the run's defaults (the line's fields won) and went on to start
    its child, which moto cannot (`States.Runtime`); the rewritten one fails the line with `Input.Invalid` naming the
    field, and no child starts."""
    text = json.dumps(t).replace("failed States.Runtime", "failed Input.Invalid")
    return json.loads(text)


def list_measured_first(t: dict) -> dict:
    """Item 3 (lists have documented size caps): the list's size is read (S3 HeadObject, `MeasureList`) before the
    Map, against `BulkMaxListBytes`, so a list that is not there fails at that read, with S3's own 404 (named by
    moto's interpreter `s3.s3Exception`, its lower-case service prefix: tests/local/README.md), before the run's
    counters are started, instead of at the Map's reader after them."""
    return {**t, "error": "s3.s3Exception",
            "cause": "Not Found (Service: s3, Status Code: 404, Request ID: , Extended Request ID: )",
            "bulkCounts": []}


BUCKET_KEY_VERSION = "bucket, key and versionId name the list's S3 object version"
# Differences issue 24 asks for: case → (what changed, a function turning the recorded trace into the new one).
ISSUE_24: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "bucket-missing": ("item 1", refused(f"bucket: required (a string): {BUCKET_KEY_VERSION}")),
    "version-missing": ("item 1", refused(f"versionId: required (a string): {BUCKET_KEY_VERSION}")),
    "dry-run-not-boolean": ("item 1", refused("dryRun: must be true or false")),
    "tolerated-over-100": ("item 1", refused("toleratedFailurePercentage: must be a number from 0 to 100")),
    "max-concurrency-over-cap": ("item 1", refused(
        "maxConcurrency: must be a whole number from 1 to 8 (BulkMaxConcurrency: a run may only lower the "
        "operator's cap)")),
    "requested-by-not-string": ("item 1", refused("requestedBy: must be a string")),
    "flow-unknown": ("item 1", refused_before_the_list("flow: must be one of offboarding, onboarding, leave, return")),
    "line-own-identity-run-flow": ("item 3", line_identity_refused),
    "list-not-in-bucket": ("item 3", list_measured_first),
}


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_golden_bulk_trace(clean_bulk, case: Case):
    trace = capture(clean_bulk, case)
    if RECORD:
        golden_trace.write(FLOW, case.name, trace)
        return
    expected = golden_trace.read(FLOW, case.name)
    if case.name in ISSUE_24:
        _why, change = ISSUE_24[case.name]
        expected = change(expected)
    if os.environ.get("GOLDEN_ACTUAL_DIR"):  # where to leave what the run did, to diff by hand
        golden_trace.write_to(Path(os.environ["GOLDEN_ACTUAL_DIR"]), FLOW, case.name, trace)
    actual, expected = golden_trace.comparable(trace), golden_trace.comparable(expected)
    assert actual == expected, f"bulk-{case.name}: the trace differs from tests/local/golden/bulk/{case.name}.json"
