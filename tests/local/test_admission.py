"""Issue 24, item 3: admission that cannot be gamed, on the local stack (the rewritten offboarding flow, the real
binaries, the simulator, moto). Each test fails on the flows as they were before the rewrite (the golden traces
of tests/local/golden record that behaviour).

A bulk line's own eventTime, event id, eventSource or requestedBy: tests/local/test_bulk_children.py (moto cannot
start a bulk run's children: the child starts are rendered there). A lease whose holder was stopped early is taken
over through DescribeExecution, an `aws-sdk:sfn` task that moto's interpreter runs only with
tests/local/localaws/aws_sdk_casing.py's casing fix.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone

import pytest

from localaws import REPO

SAM = "sam.leaver@acme.example"
HELPDESK = "arn:aws:iam::123456789012:user/helpdesk-7"


def uid(env, login: str) -> str:
    return env.sim.user(login)["id"]


def api(request: dict) -> dict:
    """What POST /flows/offboarding starts the flow with (template.yaml's envelope): the body under request."""
    return {"request": request, "eventId": f"api-{uuid.uuid4().hex[:12]}", "eventSource": "api",
            "requestedBy": HELPDESK}


def run(env, inp: dict, timeout: float = 300) -> tuple[str, dict]:
    return env.run_flow("offboarding", inp, timeout=timeout)


def test_the_generated_flows_are_what_the_generator_makes():
    done = subprocess.run([sys.executable, str(REPO / "infra" / "generate.py"), "--check"], capture_output=True,
                          text=True)
    assert done.returncode == 0, done.stderr


def test_a_future_event_time_in_an_api_body_is_not_recorded(fresh):
    """Before: the body's eventTime 9999-… became the user's lastEventTime, so every later offboarding of the user
    ended as "stale" (and succeeded)."""
    env = fresh
    status, out = run(env, api({"user": SAM, "mode": "suspend", "eventTime": "9999-01-01T00:00:00Z"}))
    assert status == "SUCCEEDED", out
    last = env.ledger(f"user#{uid(env, SAM)}")["lastEventTime"]
    assert not last.startswith("9999"), last
    recorded = datetime.fromisoformat(last.replace("Z", "+00:00"))
    assert abs((datetime.now(timezone.utc) - recorded).total_seconds()) < 3600, last  # when the request came
    # ...and the next offboarding of the user is applied, not stale.
    status, out = run(env, api({"user": SAM}))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"


def test_a_future_event_time_is_refused_before_okta(fresh):
    env = fresh
    env.sim.reset_counters()
    status, res = run(env, {"user": SAM, "eventId": "future-1", "eventTime": "9999-01-01T00:00:00Z"})
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert res["cause"]["errorMessage"].startswith("eventTime: "), res
    assert env.sim.requests() == []
    assert env.ledger("event#direct:future-1") == {}


def test_an_event_id_of_one_source_does_not_use_up_another_sources(fresh):
    """Before: a start that took the README's schedule id `offboard-<id>` made the real schedule's offboarding a
    duplicate that changed nothing."""
    env = fresh
    user_id = uid(env, SAM)
    status, out = run(env, {"user": SAM, "mode": "suspend", "eventId": f"offboard-{user_id}"})
    assert status == "SUCCEEDED", out
    status, out = run(env, {"user": user_id, "eventId": f"offboard-{user_id}", "eventSource": "aws.scheduler"})
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"
    assert env.ledger(f"event#direct:offboard-{user_id}")["flow"] == "offboarding"
    assert env.ledger(f"event#schedule:offboard-{user_id}")["flow"] == "offboarding"


def test_a_stale_offboarding_fails_loudly_and_names_what_it_lost_to(fresh):
    """Before: it succeeded with outcome "stale", which no alarm counts. Now it fails (OffboardingFailedAlarm counts
    the state machine's ExecutionsFailed: tests/suite/infra_contract/least_power.rs) and says which event won."""
    env = fresh
    status, out = run(env, {"user": SAM, "mode": "suspend", "eventId": "newer", "eventTime": "2026-06-02T09:00:00Z"})
    assert status == "SUCCEEDED", out
    env.sim.reset_counters()
    status, res = run(env, {"user": SAM, "eventId": "older", "eventTime": "2026-06-01T09:00:00Z"})
    assert status == "FAILED" and res["error"] == "Offboarding.Stale", res
    assert "direct:newer at 2026-06-02T09:00:00.000Z" in res["cause"], res
    assert env.sim.calls()["mutating"] == 0
    assert "leaseHolder" not in env.ledger(f"user#{uid(env, SAM)}")


def test_a_duplicate_offboarding_fails_loudly_and_says_how_to_run_again(fresh):
    env = fresh
    inp = {"user": SAM, "eventId": "hr-7"}
    assert run(env, inp)[0] == "SUCCEEDED"
    status, res = run(env, inp)
    assert status == "FAILED" and res["error"] == "Offboarding.Duplicate", res
    assert "new event id" in res["cause"], res


def test_an_expired_lease_is_taken_over(fresh):
    """Before: a lease never expired; every later flow of the user waited minutes and failed Flow.Busy until someone
    edited DynamoDB by hand."""
    env = fresh
    ddb = env.client("dynamodb")
    table = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    stopped = "arn:aws:states:us-east-1:123456789012:execution:okta-lifecycle-onboarding:stopped-1"
    ddb.put_item(TableName=table, Item={
        "pk": {"S": f"user#{uid(env, SAM)}"}, "leaseHolder": {"S": stopped},
        "leaseSince": {"S": "2026-06-01T09:00:00.000Z"}, "leaseExpires": {"N": str(int(time.time()) - 60)},
        "leaseFlow": {"S": "onboarding"}})
    started = time.monotonic()
    status, out = run(env, {"user": SAM, "eventId": "after-stop"})
    assert status == "SUCCEEDED", out
    assert time.monotonic() - started < 60, "waited for a lease that had expired"
    item = env.ledger(f"user#{uid(env, SAM)}")
    assert "leaseHolder" not in item and item["lastEventId"] == "direct:after-stop", item


def test_a_lease_whose_holder_was_stopped_is_taken_over(fresh):
    """Before: a lease never expired and nothing asked whether its holder still ran; a flow stopped by an operator (or
    by a bulk run past its failure tolerance) left the user unworkable until someone edited DynamoDB by hand. Here
    the lease has not expired: the flow asks Step Functions (DescribeExecution) and takes it over."""
    env = fresh
    sfn = env.client("stepfunctions")
    holder_machine = sfn.create_state_machine(
        name=f"lease-holder-{uuid.uuid4().hex[:8]}", roleArn="arn:aws:iam::123456789012:role/lease-holder",
        definition=json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Wait", "Seconds": 600, "End": True}}}))
    holder = sfn.start_execution(stateMachineArn=holder_machine["stateMachineArn"], name="stopped-by-operator",
                                 input="{}")["executionArn"]
    sfn.stop_execution(executionArn=holder, cause="an operator stopped it")
    assert sfn.describe_execution(executionArn=holder)["status"] == "ABORTED"
    ddb = env.client("dynamodb")
    table = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    ddb.put_item(TableName=table, Item={
        "pk": {"S": f"user#{uid(env, SAM)}"}, "leaseHolder": {"S": holder},
        "leaseSince": {"S": "2026-06-01T09:00:00.000Z"}, "leaseExpires": {"N": str(int(time.time()) + 3600)},
        "leaseFlow": {"S": "onboarding"}})
    started = time.monotonic()
    execution = env.start_flow("offboarding", {"user": SAM, "eventId": "after-operator-stop"})
    status, out = env.wait(execution, timeout=300)
    assert status == "SUCCEEDED", out
    assert time.monotonic() - started < 60, "waited out the lease budget behind an execution that was stopped"
    entered = [e["stateEnteredEventDetails"]["name"] for e in env.history(execution) if "stateEnteredEventDetails" in e]
    assert "TakeOverLease" in entered and "AwaitLease" not in entered, entered
    item = env.ledger(f"user#{uid(env, SAM)}")
    assert "leaseHolder" not in item and item["lastEventId"] == "direct:after-operator-stop", item
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"


def test_a_failed_run_does_not_make_its_event_a_duplicate(fresh):
    """Before: re-sending the HR event after Offboarding.Incomplete ended as "duplicate" and changed nothing."""
    env = fresh
    env.sim_fault({"status": 400}, route="/api/v1/users/{id}/lifecycle/suspend", times=20)
    env.sim_fault({"status": 400}, route="/api/v1/users/{id}/lifecycle/deactivate", times=20)
    hr = {"request": {"user": SAM}, "eventId": "hr-event-1", "eventSource": "hr.system", "requestedBy": "hr.system",
          "eventTime": "2026-06-01T09:00:00Z"}
    status, res = run(env, hr)
    assert status == "FAILED" and res["error"] == "Offboarding.Incomplete", res
    assert env.ledger("event#hr:hr-event-1") == {}
    env.sim.clear_faults()
    status, out = run(env, hr)
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"
    assert env.ledger("event#hr:hr-event-1")["eventSource"] == "hr.system"


@pytest.mark.parametrize("keep", [101])
def test_lists_have_a_size_cap(fresh, keep):
    env = fresh
    env.sim.reset_counters()
    status, res = run(env, {"user": SAM, "eventId": "big", "keepGroups": [f"g{i}" for i in range(keep)]})
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert json.dumps(res["cause"]).count("at most 100"), res
    assert env.sim.requests() == []


@pytest.mark.parametrize("request_body", [
    {"user": "jane.doe@acme.example", "groups": ["Engineering"], "apps": [{"app": "Salesforce", "profile": {"role": "Admin"}}]},
    {"user": "jane.doe@acme.example"},
])
def test_an_hr_onboard_without_an_access_profile_is_refused_before_okta(fresh, request_body):
    """Before: an Onboard event without accessProfile still sent arbitrary groups and apps (an app profile too):
    nothing tied the event's source to what it may ask for. Groups and apps named directly come from the API only."""
    env = fresh
    env.sim.reset_counters()
    hr = {"request": request_body, "eventId": f"hr-{uuid.uuid4().hex[:8]}", "eventSource": "hr.system",
          "requestedBy": "hr.system", "eventTime": "2026-06-01T09:00:00Z"}
    status, res = env.run_flow("onboarding", hr, timeout=300)
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert "accessProfile" in json.dumps(res["cause"])
    assert env.sim.requests() == []
    # The same request from the API is what the API may ask (and passes the grant allow-lists).
    status, out = env.run_flow("onboarding", {**api({**request_body, "groups": ["Engineering"]}), "eventSource": "api"},
                               timeout=300)
    assert status in ("SUCCEEDED", "FAILED") and out.get("error") != "Input.Invalid", out


def test_a_future_event_time_in_an_onboarding_body_is_not_recorded(fresh):
    """Before: `POST /flows/onboarding {"user": X, "eventTime": "9999-…", ...}` recorded 9999-… as X's
    lastEventTime, so every later offboarding of X ended as "stale"."""
    env = fresh
    jane = "jane.doe@acme.example"
    request = api({"user": jane, "groups": ["Engineering"], "eventTime": "9999-01-01T00:00:00Z"})
    status, out = env.run_flow("onboarding", request, timeout=300)
    assert status == "SUCCEEDED", out
    assert out["groups"] == [{"group": "Engineering", "outcome": "changed", "message": 'added to "Engineering"'}], out
    item = env.ledger(f"user#{uid(env, jane)}")
    assert not item["lastEventTime"].startswith("9999"), item
    assert item["lastEventId"] == f"api:{request['eventId']}", item
    assert env.ledger(f"event#api:{request['eventId']}")["eventTime"] == item["lastEventTime"]
    status, out = run(env, api({"user": jane}))
    assert status == "SUCCEEDED", out
    assert env.sim.user(jane)["status"] == "DEPROVISIONED"


def test_a_future_event_time_in_a_leave_body_is_not_recorded(fresh):
    """Before: `POST /flows/leave {"user": X, "eventTime": "9999-…"}` made every later offboarding of X stale."""
    env = fresh
    status, out = env.run_flow("leave", api({"user": SAM, "eventTime": "9999-01-01T00:00:00Z"}), timeout=300)
    assert status == "SUCCEEDED", out
    assert not env.ledger(f"user#{uid(env, SAM)}")["lastEventTime"].startswith("9999")
    status, out = run(env, api({"user": SAM}))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"
