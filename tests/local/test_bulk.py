"""The bulk flow (infra/bulk.asl.json) on moto's interpreter: a Distributed Map reading a user list from S3, items
routed to a flow, outcomes counted in DynamoDB, the summary as output, results written to S3.

What moto 5.2.5 cannot run, and how it is covered instead:
- ItemReader InputType JSONL ("'JSONL' is not a valid InputTypeValue"): the local list is a JSON array
  (localaws.LOCAL_SUBSTITUTIONS); AWS reads the JSON Lines the template configures (BulkInputType).
- Starting a child execution: every states:startExecution task (optimized, .sync, .sync:2 and aws-sdk:sfn) fails
  in moto with States.Runtime "'StateMachineArn'" (tried by hand; the same definition is valid for asl-validator,
  cfn-lint and SAM). So the items here use a flow name the bulk flow refuses itself, which exercises the reader,
  the routing, the counters, the summary and the result writer without a child; test_bulk_children.py renders each
  child's start request with the Task's own Parameters and starts the real flow with it, and reads a real child
  output through the outcome states; bench/bulk.py runs the offboarding steps per user over thousands of users.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest

from localaws import BULK_BUCKET, REPO, LocalAws, create_bulk_resources

USERS = 24
BUCKET = BULK_BUCKET


def bulk_seed(tmp: Path) -> Path:
    seed = json.loads((REPO / "tests/okta-sim/sample-org.json").read_text())
    logins = [f"leaver{i:02d}@acme.example" for i in range(USERS)]
    seed["users"] += [{"login": login, "status": "ACTIVE", "sessions": 1} for login in logins]
    eng = next(g for g in seed["groups"] if g["name"] == "Engineering")
    eng["members"] += logins[: USERS // 2]
    slack = next(a for a in seed["apps"] if a["label"] == "Slack")
    slack["users"] += logins[::3]
    path = tmp / "bulk-org.json"
    path.write_text(json.dumps(seed))
    return path


@pytest.fixture(scope="module")
def bulk(tmp_path_factory):
    with LocalAws(seed=bulk_seed(tmp_path_factory.mktemp("bulk"))) as env:
        if "bulk" not in env.state_machines:
            pytest.skip("no bulk state machine")
        create_bulk_resources(env)
        yield env


def put_list(env: LocalAws, items: list[dict]) -> dict:
    """Puts a list; returns where it is: bucket, key and the version written."""
    key = f"lists/{uuid.uuid4()}.json"
    version = env.client("s3").put_object(Bucket=BUCKET, Key=key, Body=json.dumps(items).encode())["VersionId"]
    return {"bucket": BUCKET, "key": key, "versionId": version}


def run_bulk(env: LocalAws, batch: dict, timeout: float = 600, name: str | None = None) -> tuple[str, dict]:
    execution = env.start_flow("bulk", batch, execution_name=name or f"bulk-{uuid.uuid4()}")
    return env.wait(execution, timeout=timeout)


def dry_run(env: LocalAws, listed: dict, by: str, **batch) -> str:
    """A dry run of `listed` started by `by`; returns its execution name."""
    name = f"bulk-plan-{uuid.uuid4()}"
    run_bulk(env, {**listed, "dryRun": True, "requestedBy": by, **batch}, name=name)
    return name


def test_items_are_read_routed_counted_and_summarised(bulk):
    env = bulk
    items = [{"user": f"leaver{i:02d}@acme.example", "flow": "vacation"} for i in range(USERS)]
    listed = put_list(env, items)
    plan = dry_run(env, listed, "alice", toleratedFailurePercentage=100.0)
    env.sim.reset_counters()
    status, out = run_bulk(env, {**listed, "requestedBy": "bob", "dryRunExecution": plan,
                                 "toleratedFailurePercentage": 100.0})
    # Every item failed (no such flow): the run did all it could, then fails with its summary as the cause.
    assert status == "FAILED", out
    assert out["error"] == "Bulk.Incomplete", out
    summary = json.loads(out["cause"]) if isinstance(out["cause"], str) else out["cause"]
    assert summary["counts"] == {"changed": 0, "unchanged": 0, "skipped": 0, "failed": USERS}, summary
    assert summary["counters"]["failed Input.Invalid"] == {"N": str(USERS)}, summary
    assert summary["flow"] == "offboarding" and summary["dryRun"] is False
    # The plan it applied: the dry run's counts, and who started it.
    assert summary["approval"]["dryRunCounts"] == summary["counts"], summary
    assert summary["approval"]["approvedBy"] == "alice", summary
    # Refused by the bulk flow itself: nothing reached Okta.
    assert env.sim.calls()["total"] == 0
    s3 = env.client("s3")
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="results/").get("Contents", [])]
    assert summary["results"]["Key"] in keys, (summary["results"], keys)


def test_bad_batch_input_is_refused_naming_the_fields(bulk):
    listed = put_list(bulk, [])
    for batch, field in (({"key": "x.json"}, "bucket"), ({**listed, "dryRun": "yes"}, "dryRun"),
                         ({**listed, "toleratedFailurePercentage": 150}, "toleratedFailurePercentage"),
                         ({"bucket": BUCKET, "key": listed["key"], "dryRun": True}, "versionId"),
                         ({**listed, "dryRun": True, "flow": "vacation"}, "flow"),
                         # Above the operator's BulkMaxConcurrency (the template's default, 8): the body may only
                         # lower it.
                         ({**listed, "dryRun": True, "maxConcurrency": 9}, "maxConcurrency")):
        status, out = run_bulk(bulk, batch)
        assert status == "FAILED" and out["error"] == "Input.Invalid", (batch, out)
        cause = json.loads(out["cause"]) if isinstance(out["cause"], str) else out["cause"]
        message = cause["errorMessage"]
        assert message.startswith(f"{field}: "), (batch, message)
    assert "BulkMaxConcurrency" in message


def test_a_list_over_its_size_cap_is_refused_before_any_line_runs(bulk):
    """Issue 24: bulk items have a documented cap. Before: any list ran, line by line, for up to a day. The cap is the
    template's BulkMaxListBytes (default 1 MiB); the size is the object's, read before the Map."""
    line = {"user": "nobody.here@acme.example", "mode": "suspend", "keepGroups": ["x" * 80]}
    lines = [line] * (1_048_576 // len(json.dumps(line)) + 10)
    listed = put_list(bulk, lines)
    size = bulk.client("s3").head_object(Bucket=BUCKET, Key=listed["key"])["ContentLength"]
    assert size > 1_048_576
    bulk.sim.reset_counters()
    name = f"bulk-too-large-{uuid.uuid4()}"
    status, out = run_bulk(bulk, {**listed, "dryRun": True, "requestedBy": "alice"}, name=name)
    assert status == "FAILED" and out["error"] == "Input.Invalid", out
    assert out["cause"] == (f"key: the list is {size} bytes, more than BulkMaxListBytes (1048576); split it into "
                            "several runs"), out
    assert bulk.sim.requests() == []
    # Nothing was counted for it: the Map never started (the smaller lists of the other tests run as before).
    ddb = bulk.client("dynamodb")
    table = next(n for n in ddb.list_tables()["TableNames"] if "BulkCounts" in n)
    assert "Item" not in ddb.get_item(TableName=table, Key={"run": {"S": name}}, ConsistentRead=True)


def test_a_real_run_applies_only_a_plan_reviewed_by_someone_else(bulk):
    """Issue 25, plan then apply: a real run without a dry run, after the list changed, by the dry run's own
    principal, or a second time, is refused before any item starts (nothing reaches Okta)."""
    env = bulk
    # Lines naming a flow other than the run's are refused by the bulk flow itself: nothing reaches Okta.
    items = [{"user": f"leaver{i:02d}@acme.example", "flow": "vacation"} for i in range(3)]
    listed = put_list(env, items)
    env.sim.reset_counters()
    status, out = run_bulk(env, {**listed, "requestedBy": "bob"})
    assert status == "FAILED" and out["error"] == "Bulk.NotApproved" and "dry run" in out["cause"], out
    status, out = run_bulk(env, {**listed, "requestedBy": "bob", "dryRunExecution": "no-such-run"})
    assert status == "FAILED" and out["error"] == "Bulk.NotApproved" and "no completed dry run" in out["cause"], out
    plan = dry_run(env, listed, "alice", toleratedFailurePercentage=100.0)
    # The list is replaced after the review: the new version is not the plan.
    changed = env.client("s3").put_object(Bucket=BUCKET, Key=listed["key"],
                                          Body=json.dumps(items + [{"user": "ceo@acme.example"}]).encode())
    status, out = run_bulk(env, {**listed, "versionId": changed["VersionId"],
                                 "requestedBy": "bob", "dryRunExecution": plan})
    assert status == "FAILED" and out["error"] == "Bulk.NotApproved" and "differs" in out["cause"], out
    # The principal who planned cannot approve their own run.
    status, out = run_bulk(env, {**listed, "requestedBy": "alice", "dryRunExecution": plan})
    assert status == "FAILED" and out["error"] == "Bulk.NotApproved" and "principal" in out["cause"], out
    assert env.sim.calls()["total"] == 0
    # Someone else applies the reviewed version once (its items are refused by the flow: nothing reaches Okta).
    batch = {**listed, "requestedBy": "bob", "dryRunExecution": plan,
             "toleratedFailurePercentage": 100.0}
    status, out = run_bulk(env, batch)
    assert out.get("error") == "Bulk.Incomplete", out
    summary = json.loads(out["cause"]) if isinstance(out["cause"], str) else out["cause"]
    # It read the reviewed version (3 users), not the list as it is now (4): the version is pinned.
    assert summary["counts"]["failed"] == len(items) and summary["items"]["versionId"] == listed["versionId"], summary
    status, out = run_bulk(env, batch)
    assert status == "FAILED" and out["error"] == "Bulk.NotApproved" and "already applied" in out["cause"], out
    assert env.sim.calls()["total"] == 0
