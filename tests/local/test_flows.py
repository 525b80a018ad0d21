"""The four Step Functions flows (infra/*.asl.json) executed by moto's interpreter, invoking the real binaries
through the proxy, against a fresh simulator per test."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone

import pytest

from localaws import outcomes

SAM, JANE = "sam.leaver@acme.example", "jane.doe@acme.example"
ONBOARD_JANE = {"user": JANE, "groups": ["Engineering", "VPN Users"],
                "apps": ["Slack", {"app": "AWS", "userName": "jane"}], "sendEmail": True}


def scheduled(schedule: dict, at: str) -> dict:
    """The input a schedule starts its flow with: the scheduler fills in its context attributes (only the
    scheduled time is used here)."""
    return json.loads(schedule["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", at))


def event(inp: dict, **more) -> dict:
    """A flow input as a start carries it: with an event id of its own."""
    return {**inp, "eventId": f"test-{uuid.uuid4().hex[:12]}", **more}


@pytest.fixture(autouse=True)
def _need_flows(env):
    if not env.state_machines:
        pytest.skip("no state machines (template.yaml / infra/*.asl.json missing)")


def test_onboarding(fresh):
    env = fresh
    status, out = env.run_flow("onboarding", event(ONBOARD_JANE))
    assert status == "SUCCEEDED", out
    assert out["user"]["statusBefore"] == "STAGED" and out["user"]["statusAfter"] == "PROVISIONED"
    assert [g["outcome"] for g in out["groups"]] == ["changed", "changed"]
    assert [a["outcome"] for a in out["apps"]] == ["changed", "changed"]
    st = env.sim_state()
    assert env.sim.user(JANE, st)["status"] == "PROVISIONED"
    assert env.sim.groups_of(JANE, st) == {"Everyone", "Engineering", "VPN Users"}
    assert env.sim.apps_of(JANE, st, "USER") == {"Slack", "AWS"}
    aws = next(a for a in st["apps"] if a["label"] == "AWS")
    uid = env.sim.user(JANE, st)["id"]
    assert any(x["userId"] == uid and x["userName"] == "jane" for x in aws["assignments"])


CREDENTIAL_KEYS = ("activationUrl", "activationToken", "resetPasswordUrl", "tempPassword")


def test_onboarding_history_holds_no_link_or_password(fresh):
    """A flow asking Okta not to email (sendEmail: false) would put the activation link and the reset link into
    the execution history, readable for 90 days: the functions refuse, even with OKTA_ALLOW_CREDENTIAL_RETURN on."""
    env = fresh
    execution = env.start_flow("onboarding", event({**ONBOARD_JANE, "sendEmail": False, "password": "reset"}))
    status, out = env.wait(execution)
    history = json.dumps(env.history(execution), default=str)
    for key in CREDENTIAL_KEYS:
        assert key not in history, key
    for link in ("/tokens/", "/reset_password/"):  # the simulator's activation and reset link paths
        assert link not in history, link
    assert "Policy.CredentialReturnDisabled" in history, (status, out)
    assert env.sim.user(JANE, env.sim_state())["status"] == "STAGED"  # nothing was activated without the email


def test_offboarding(fresh):
    env = fresh
    status, out = env.run_flow("offboarding", event({"user": SAM}))
    assert status == "SUCCEEDED", out
    assert out["user"]["statusAfter"] == "DEPROVISIONED"
    assert out["suspension"]["outcome"] == "changed" and out["deactivation"]["outcome"] == "changed"
    assert out["residual"]["apps"] == []
    assert {g["group"]["name"] for g in out["residual"]["groups"]} == {"Everyone", "AD: Domain Users", "Engineering"}
    engineering = next(g for g in out["groups"] if g["group"]["name"] == "Engineering")
    assert engineering["outcome"] == "kept" and engineering["reason"].startswith("rule-managed"), engineering
    st = env.sim_state()
    u = env.sim.user(SAM, st)
    assert u["status"] == "DEPROVISIONED"
    assert (u["sessions"], u["oauthTokens"]) == (0, 0)
    # Engineering is filled by an active group rule: kept, so the rule does not exclude a rehire.
    assert env.sim.groups_of(SAM, st) == {"Everyone", "AD: Domain Users", "Engineering"}
    assert env.sim.apps_of(SAM, st) == set()


def test_offboarding_revokes_every_way_back_in(fresh):
    """Issue 27 item 2: Sam has OAuth grants and refresh tokens at two apps, three factors, a laptop of his own and a
    lab kiosk shared with Carol, and owns VPN Users and IT Help Desk (which carries an admin role). Offboarded with
    the defaults, none of it remains but what is meant to: the shared kiosk and the privileged group, kept and
    reported, read again after the revocations."""
    env = fresh
    before = env.sim_state()
    sam = env.sim.user(SAM, before)
    assert sam["factors"] and any(c["grants"] or c["tokens"] for c in sam["oauthClients"])
    status, out = env.run_flow("offboarding", event({"user": SAM}))
    assert status == "SUCCEEDED", out
    steps = out["revocations"]
    assert {name: step["outcome"] for name, step in steps.items()} == {
        "grants": "changed", "factors": "changed", "devices": "changed", "groupOwnership": "changed"}, steps
    assert {d["name"]: d["outcome"] for d in steps["devices"]["devices"]} == {
        "SAM-LAPTOP": "deactivated", "LAB-KIOSK-1": "keptShared"}
    remaining = out["remaining"]
    assert remaining["read"]["outcome"] == "unchanged", remaining
    assert remaining["grants"] == [], remaining
    # Okta hides a deactivated user's factors: the report says why it could not read them again.
    assert remaining["factors"] is None and "factors" in remaining["notRead"], remaining
    assert [(d["item"]["name"], d["expected"]) for d in remaining["devices"]] == [("LAB-KIOSK-1", True)], remaining
    assert [(g["item"]["name"], g["expected"]) for g in remaining["ownedGroups"]] == [("IT Help Desk", True)]
    # What Okta shows, read from the simulator rather than from the report.
    after = env.sim_state()
    u = env.sim.user(SAM, after)
    assert u["status"] == "DEPROVISIONED" and not u["factors"]
    assert all(c["grants"] == 0 and c["tokens"] == 0 for c in u["oauthClients"]), u["oauthClients"]
    devices = {d["name"]: d for d in after["devices"]}
    assert devices["SAM-LAPTOP"]["status"] == "DEACTIVATED"
    assert devices["LAB-KIOSK-1"]["status"] == "ACTIVE" and u["id"] in devices["LAB-KIOSK-1"]["users"]
    owners = {g["name"]: g["owners"] for g in after["groups"]}
    assert owners["VPN Users"] == [env.sim.user("alice.active@acme.example", after)["id"]]
    assert u["id"] in owners["IT Help Desk"]
    # Factors were reset before the deactivation (Okta hides a deactivated user's factors).
    log = [r for r in env.sim.requests() if r.get("route")]
    order = [r["route"] for r in log if r["method"] == "POST"]
    assert order.index("/api/v1/users/{id}/lifecycle/reset_factors") < order.index(
        "/api/v1/users/{id}/lifecycle/deactivate"), order


def test_offboarding_revocations_can_be_turned_off(fresh):
    env = fresh
    status, out = env.run_flow("offboarding", event({
        "user": SAM, "revokeGrants": False, "resetFactors": False, "deactivateDevices": False,
        "transferGroupOwnership": False}))
    assert status == "SUCCEEDED", out
    assert {step["outcome"] for step in out["revocations"].values()} == {"skipped"}
    assert out["remaining"]["read"]["outcome"] == "skipped"
    u = env.sim.user(SAM, env.sim_state())
    assert u["factors"], "factors were left as the request asked"


def test_onboarding_partial_failure(fresh):
    env = fresh
    status, res = env.run_flow("onboarding", event({**ONBOARD_JANE,
                                              "groups": ["Engineering", "No Such Group", "VPN Users"]}))
    assert status == "FAILED", res
    assert res["error"] == "Onboarding.Incomplete", res
    cause = res["cause"]
    assert isinstance(cause, dict), cause  # the summary, as JSON
    by_group = {json.dumps(g.get("group")): g["outcome"] for g in cause["groups"]}
    assert by_group[json.dumps("No Such Group")] == "failed", cause["groups"]
    assert by_group[json.dumps("Engineering")] == "changed"
    st = env.sim_state()
    assert {"Engineering", "VPN Users"} <= env.sim.groups_of(JANE, st)  # the others still added
    assert env.sim.apps_of(JANE, st, "USER") == {"Slack", "AWS"}


def test_offboarding_retries_after_429(fresh):
    env = fresh
    # 4 answers 429: the function's own attempts all fail, so it reports Okta.RateLimited and the flow's Retry
    # runs the task again.
    env.sim_fault({"rateLimited": {"resetInSecs": 1}}, route="/api/v1/users/{id}/lifecycle/suspend", times=4)
    execution = env.start_flow("offboarding", event({"user": SAM}))
    status, out = env.wait(execution, timeout=90)
    assert status == "SUCCEEDED", out
    assert out["suspension"]["outcome"] == "changed"
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"
    failed = [e for e in env.history(execution) if e["type"] == "TaskFailed"
              and e["taskFailedEventDetails"]["resourceType"] == "lambda"]
    assert failed and failed[0]["taskFailedEventDetails"]["error"] == "Okta.RateLimited", failed
    rl = [r for r in env.sim.requests() if r["status"] == 429]
    assert len(rl) == 4


def test_one_429_is_absorbed_by_the_function(fresh):
    env = fresh
    env.sim_fault({"rateLimited": {"resetInSecs": 1}}, route="/api/v1/users/{id}/groups/{groupId}", times=1)
    status, out = env.run_flow("onboarding", event(ONBOARD_JANE))
    assert status == "SUCCEEDED", out
    assert env.sim.groups_of(JANE) >= {"Engineering", "VPN Users"}


@pytest.mark.parametrize("flow,inp", [("onboarding", ONBOARD_JANE), ("offboarding", {"user": SAM}),
                                      ("leave", {"user": SAM, "returnDate": "2027-01-15T09:00:00"}),
                                      ("return", {"user": "susan.suspended@acme.example"})])
def test_dry_run_changes_nothing(fresh, flow, inp):
    env = fresh
    before = env.sim_state()
    env.sim.reset_counters()
    status, out = env.run_flow(flow, event(inp, dryRun=True))
    assert status == "SUCCEEDED", out
    assert out["dryRun"] is True
    assert env.sim_state() == before
    assert env.sim.calls()["mutating"] == 0
    if flow == "leave":
        assert env.client("scheduler").list_schedules()["Schedules"] == []


@pytest.mark.parametrize("flow,inp", [("onboarding", ONBOARD_JANE), ("offboarding", {"user": SAM})])
def test_second_run_changes_nothing(fresh, flow, inp):
    env = fresh
    status, out = env.run_flow(flow, event(inp))
    assert status == "SUCCEEDED", out
    env.sim.reset_counters()
    state = env.sim_state()
    status, out = env.run_flow(flow, event(inp))
    assert status == "SUCCEEDED", out
    assert "changed" not in outcomes(out), out
    assert "failed" not in outcomes(out), out
    assert env.sim_state() == state
    assert env.sim.calls()["mutating"] == 0


def test_leave_then_return(fresh):
    env = fresh
    sched = env.client("scheduler")
    # The ledger outlives the simulator's reset: an earlier test's run of this leave's events (the same event ids) or
    # an event of this user would make this leave or its return a duplicate or stale. Start from a user and events
    # the stack has not seen.
    from localaws import LEDGER_TABLE
    ddb = env.client("dynamodb")
    uid = env.sim.user(SAM)["id"]
    for item in ddb.scan(TableName=LEDGER_TABLE).get("Items", []):
        if uid in item["pk"]["S"] or "leave-1" in item["pk"]["S"]:
            ddb.delete_item(TableName=LEDGER_TABLE, Key={"pk": item["pk"]})
    status, out = env.run_flow("leave", {"user": SAM, "returnDate": "2027-01-15T09:00:00", "eventId": "leave-1",
                                         "eventSource": "hr.system"})
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "SUSPENDED"
    uid = env.sim.user(SAM)["id"]
    names = {s["Name"] for s in sched.list_schedules(GroupName="okta-lifecycle")["Schedules"]}
    assert f"return-{uid}" in names
    s = sched.get_schedule(Name=f"return-{uid}", GroupName="okta-lifecycle")
    assert s["ScheduleExpression"] == "at(2027-01-15T09:00:00)"
    assert s["Target"]["Arn"] == env.state_machines["return"]
    assert json.loads(s["Target"]["Input"]) == {
        "user": uid, "eventId": f"schedule:return-{uid}:leave-1", "eventSource": "aws.scheduler",
        "eventTime": "<aws.scheduler.scheduled-time>", "requestedBy": "hr.system:leave-1"}
    # what the schedule would start
    # The schedule fires at its time, which is "now" when it fires (a time ahead of the clock is refused).
    # Scheduler's time has whole seconds; the leave's, recorded from its execution's start, has milliseconds: a return
    # in the same second as the leave would read as older than it (stale, nothing done). A real return date is days
    # later; here, the next second (well within the clock skew the admit step allows).
    fired = (datetime.now(timezone.utc) + timedelta(seconds=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    status, out = env.run_flow("return", scheduled(s, fired))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "ACTIVE"
    assert f"return-{uid}" not in {x["Name"] for x in
                                   sched.list_schedules(GroupName="okta-lifecycle")["Schedules"]}
    sched_cleanup = sched.list_schedules(GroupName="okta-lifecycle")["Schedules"]
    for x in sched_cleanup:
        sched.delete_schedule(Name=x["Name"], GroupName="okta-lifecycle")


def test_invalid_input_fails_fast(fresh):
    status, res = fresh.run_flow("onboarding", event({"groups": ["Engineering"]}))
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    status, res = fresh.run_flow("offboarding", event({"user": "nobody@acme.example"}))
    assert status == "FAILED" and res["error"] == "Okta.NotFound", res


def test_offboarding_300_apps_and_300_groups_fits_the_state_limit(env, tmp_path):
    """A leaver with 300 groups and 300 apps: offboarded completely, every function within its timeout, and no
    state's input or output near Step Functions' 256 KB limit (the flows carry ids and outcomes)."""
    leaver = "big.leaver@acme.example"
    seed = {
        "users": [{"login": leaver, "status": "ACTIVE"}],
        # The harness's OKTA_PROTECTED_GROUPS names Break Glass: an org without it is a configuration error.
        "groups": [{"name": f"Team {n:03}", "members": [leaver]} for n in range(300)]
        + [{"name": "Break Glass", "members": []}],
        "apps": [{"label": f"App {n:03}", "name": "bookmark", "users": [leaver]} for n in range(300)],
    }
    big = tmp_path / "big-org.json"
    big.write_text(json.dumps(seed))
    original = env.sim.seed
    env.sim.seed = big
    env.sim.restart()
    try:
        execution = env.start_flow("offboarding", event({"user": leaver}))
        status, out = env.wait(execution, 1800)
        assert status == "SUCCEEDED", str(out)[:2000]
        assert sum(1 for g in out["groups"] if g["outcome"] == "changed") == 300
        assert sum(1 for a in out["apps"] if a["outcome"] == "changed") == 300
        assert out["residual"]["apps"] == []
        assert {g["group"]["name"] for g in out["residual"]["groups"]} == {"Everyone"}
        sizes = []
        for e in env.history(execution):
            details = next((v for k, v in e.items() if k.endswith("EventDetails") and isinstance(v, dict)), {})
            for key in ("input", "output"):
                if isinstance(details.get(key), str):
                    sizes.append(len(details[key].encode()))
        largest = max(sizes)
        print(f"offboarding 300 groups + 300 apps: largest state {largest} bytes")
        assert largest < 256 * 1024 * 0.75, f"largest state {largest} bytes: too close to 256 KB"
    finally:
        env.sim.seed = original
        env.sim.restart()
