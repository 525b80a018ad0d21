"""Issue 24, item 3: admission that cannot be gamed, on the local stack (the rewritten offboarding flow, the real
binaries, the simulator, moto). Each test fails on the flows as they were before the rewrite (the golden traces
of tests/local/golden record that behaviour).

Not here yet: a bulk line's own eventTime (the bulk flow is not rewritten yet). The onboarding flow is not
rewritten either: its HR rule is a Choice rule of the hand-written flow (AccessProfileChoice). A lease whose holder was stopped early is taken over through DescribeExecution, which
moto's interpreter cannot run ("'ExecutionArn'", moto 5.2): here the lease is past its expiry instead.
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


def test_a_future_event_time_in_a_leave_body_is_not_recorded(fresh):
    """Before: `POST /flows/leave {"user": X, "eventTime": "9999-…"}` made every later offboarding of X stale."""
    env = fresh
    status, out = env.run_flow("leave", api({"user": SAM, "eventTime": "9999-01-01T00:00:00Z"}), timeout=300)
    assert status == "SUCCEEDED", out
    assert not env.ledger(f"user#{uid(env, SAM)}")["lastEventTime"].startswith("9999")
    status, out = run(env, api({"user": SAM}))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"
