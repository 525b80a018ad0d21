"""Golden traces (issue 24, item 2): each case runs a flow on the local stack and compares what it did (status,
error and cause, output, ledger, schedules, Okta requests; golden_trace.py) with the trace recorded from the flows
as they were before the rewrite (tests/local/golden/<flow>/<case>.json).

A difference is allowed only where issue 24 asks for it, and then `ISSUE_24` below names the case, what changed and
why; the recorded file stays as recorded. `GOLDEN_RECORD=1 tests/local/run.sh -k golden` records again.
"""

from __future__ import annotations

import json
import os
import re
import time
import uuid
from pathlib import Path
from collections import Counter
from dataclasses import dataclass, field
from typing import Any, Callable

import pytest

import golden_trace

SAM, JANE, SUSAN, DAVE = ("sam.leaver@acme.example", "jane.doe@acme.example", "susan.suspended@acme.example",
                          "dave.gone@acme.example")
PETE, LARRY, BOB = "pete.provisioned@acme.example", "larry.locked@acme.example", "bob.sales@acme.example"
T1, T2, T3 = "2026-06-01T09:00:00Z", "2026-06-02T09:00:00Z", "2026-06-03T09:00:00Z"
RECORD = os.environ.get("GOLDEN_RECORD") == "1"


@dataclass
class Case:
    flow: str
    name: str
    input: Any  # the start input, or a function of the env giving it (ids are known only once the org is up)
    setup: Callable[[Any], None] | None = None
    times: set[str] = field(default_factory=set)  # times given by the case, kept as they are
    timeout: float = 300
    # (route, setup): the setup runs once the simulator has seen a request on that route (a fault for a later step)
    during: tuple[str, Callable[[Any], None]] | None = None


def ids(env, login: str) -> str:
    return env.sim.user(login)["id"]


def group_id(env, name: str) -> str:
    return next(g["id"] for g in env.sim_state()["groups"] if g["name"] == name)


def fault(route: str, status: int | None = 403, times: int = 1, method: str | None = None, latency_ms: int = 0):
    # A status Okta does not retry (403: Okta.Forbidden), so a step fails at once, and its Catch shows.
    kind = {"status": status} if status else {"latencyMs": latency_ms}
    return lambda env: env.sim_fault(kind, route=route, method=method, times=times)


def pre_run(flow: str, inp: dict):
    def setup(env):
        status, out = env.run_flow(flow, inp, timeout=300)
        assert status == "SUCCEEDED", out
        env.sim.reset_counters()
    return setup


def lease_held_by_another(login: str):
    """The user's lease held by an execution that is still running (a 15-minute Wait; the trace normalises its ARN),
    so the flow waits out its lease budget and ends Busy. (The old flows never asked whether the holder still ran;
    the new ones take over the lease of one that does not: test_admission.py.)"""
    def setup(env):
        sfn = env.client("stepfunctions")
        machine = sfn.create_state_machine(
            name=f"lease-holder-{uuid.uuid4().hex[:8]}", roleArn="arn:aws:iam::123456789012:role/lease-holder",
            definition=json.dumps({"StartAt": "Work", "States": {"Work": {"Type": "Wait", "Seconds": 900, "End": True}}}))
        holder = sfn.start_execution(stateMachineArn=machine["stateMachineArn"], name="running-1",
                                     input="{}")["executionArn"]
        ddb = env.client("dynamodb")
        table = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
        ddb.put_item(TableName=table, Item={
            "pk": {"S": f"user#{ids(env, login)}"},
            "leaseHolder": {"S": holder},
            "leaseSince": {"S": "2026-06-01T09:00:00Z"}})
    return setup


def pending_schedules(login: str):
    def setup(env):
        uid = ids(env, login)
        sched = env.client("scheduler")
        for name in (f"return-{uid}", f"offboard-{uid}"):
            sched.create_schedule(
                Name=name, GroupName="okta-lifecycle", ScheduleExpression="at(2027-01-15T09:00:00)",
                FlexibleTimeWindow={"Mode": "OFF"},
                Target={"Arn": env.state_machines["return" if name.startswith("return") else "offboarding"],
                        "RoleArn": "arn:aws:iam::123456789012:role/okta-lifecycle-ReturnSchedulerRole",
                        "Input": json.dumps({"user": uid, "eventId": f"schedule:{name}"})})
    return setup


def both(*setups):
    def setup(env):
        for s in setups:
            s(env)
    return setup


def ev(name: str, **fields) -> dict:
    return {"eventId": f"golden-{name}", **fields}


OFF = "offboarding"
OFFBOARDING = [
    # Input that is not an object, or not what the flow takes: refused before Okta.
    Case(OFF, "input-array", [SAM]),
    Case(OFF, "input-string", SAM),
    Case(OFF, "request-not-object", {"request": [SAM], "eventId": "golden-x", "eventSource": "api"}),
    Case(OFF, "no-user", ev("no-user")),
    Case(OFF, "user-not-string", ev("user-not-string", user=7)),
    Case(OFF, "dry-run-not-boolean", ev("dry-run-not-boolean", user=SAM, dryRun="yes")),
    Case(OFF, "mode-unknown", ev("mode-unknown", user=SAM, mode="delete")),
    Case(OFF, "mode-not-string", ev("mode-not-string", user=SAM, mode=1)),
    Case(OFF, "keep-groups-not-array", ev("keep-groups-not-array", user=SAM, keepGroups="VPN Users")),
    Case(OFF, "no-event-id", {"user": SAM}),
    Case(OFF, "event-id-not-string", {"user": SAM, "eventId": 5}),
    Case(OFF, "event-time-not-a-time", ev("event-time-not-a-time", user=SAM, eventTime="yesterday")),
    Case(OFF, "event-source-not-string", ev("event-source-not-string", user=SAM, eventSource=3)),
    Case(OFF, "requested-by-not-string", ev("requested-by-not-string", user=SAM, requestedBy=["x"])),
    Case(OFF, "unknown-user", ev("unknown-user", user="nobody@acme.example")),
    # Each mode for each kind of user status.
    *[Case(OFF, f"{mode}-{status}", ev(f"{mode}-{status}", user=login, mode=mode, eventTime=T1), times={T1})
      for mode in ("deactivate", "suspend")
      for status, login in (("active", SAM), ("suspended", SUSAN), ("deprovisioned", DAVE), ("staged", JANE),
                            ("provisioned", PETE), ("locked-out", LARRY))],
    # keepGroups by name and by id; an app granted through a group (bob: Salesforce through Sales).
    Case(OFF, "keep-groups-by-name", ev("keep-groups-by-name", user=SAM, keepGroups=["VPN Users"])),
    Case(OFF, "keep-groups-by-id", lambda env: ev("keep-groups-by-id", user=SAM,
                                                   keepGroups=[group_id(env, "All Staff")])),
    Case(OFF, "app-through-group", ev("app-through-group", user=BOB)),
    Case(OFF, "user-by-id", lambda env: ev("user-by-id", user=ids(env, SAM))),
    # A fault at every step.
    Case(OFF, "fault-resolve", ev("fault-resolve", user=SAM), fault("/api/v1/users/{id}")),
    Case(OFF, "fault-suspend", ev("fault-suspend", user=SAM), fault("/api/v1/users/{id}/lifecycle/suspend")),
    Case(OFF, "fault-sessions", ev("fault-sessions", user=SAM), fault("/api/v1/users/{id}/sessions")),
    # Every removal refused (a Map runs its items concurrently: with one fault, which group got it would vary).
    Case(OFF, "fault-group", ev("fault-group", user=SAM), fault("/api/v1/groups/{groupId}/users/{userId}", times=20)),
    Case(OFF, "fault-app", ev("fault-app", user=SAM),
         fault("/api/v1/apps/{appId}/users/{userId}", method="DELETE", times=20)),
    Case(OFF, "fault-deactivate", ev("fault-deactivate", user=SAM),
         fault("/api/v1/users/{id}/lifecycle/deactivate")),
    # Verify's read of the user's apps is the only one after the suspension (GetUser read them before it; the
    # guardrails read single apps, not the list): the fault is set once the simulator has seen the suspension. The
    # call after the suspension (clearing the sessions) is held 3 s so that the fault is in place before Verify
    # reads, however fast the one offboard-user invocation runs on and however slow the machine polls.
    Case(OFF, "fault-verify", ev("fault-verify", user=SAM),
         fault("/api/v1/users/{userId}/sessions", status=None, method="DELETE", latency_ms=3000),
         during=("/api/v1/users/{id}/lifecycle/suspend", fault("/api/v1/apps", method="GET"))),
    Case(OFF, "suspend-and-deactivate-refused", ev("suspend-and-deactivate-refused", user=SAM),
         both(fault("/api/v1/users/{id}/lifecycle/suspend", 400, 20),
              fault("/api/v1/users/{id}/lifecycle/deactivate", 400, 20))),
    # Dry run, duplicate, stale, busy, pending schedules, envelopes.
    Case(OFF, "dry-run", ev("dry-run", user=SAM, dryRun=True)),
    Case(OFF, "duplicate", ev("duplicate", user=SAM), pre_run(OFF, ev("duplicate", user=SAM))),
    Case(OFF, "stale", ev("stale", user=SAM, eventTime=T1), pre_run("leave", ev("stale-leave", user=SAM, eventTime=T2)),
         times={T1, T2}),
    Case(OFF, "busy", ev("busy", user=SAM), lease_held_by_another(SAM), timeout=600),
    Case(OFF, "pending-schedules", ev("pending-schedules", user=SAM), pending_schedules(SAM)),
    Case(OFF, "api-envelope", {"request": {"user": SAM, "requestedBy": "forged", "eventId": "forged"},
                               "eventId": "golden-api-envelope", "eventSource": "api",
                               "requestedBy": "arn:aws:iam::123456789012:user/helpdesk-7"}),
    Case(OFF, "hr-envelope", {"request": {"user": SAM, "mode": "suspend"}, "eventId": "golden-hr-envelope",
                              "eventSource": "hr.system", "requestedBy": "hr.system", "eventTime": T2}, times={T2}),
    # Issue 24's holes, as they are today: a body's own eventTime in the API envelope wins.
    Case(OFF, "api-body-event-time", {"request": {"user": SAM, "eventTime": "9999-01-01T00:00:00Z"},
                                      "eventId": "golden-api-body-event-time", "eventSource": "api",
                                      "requestedBy": "arn:aws:iam::123456789012:user/helpdesk-7"}),
    Case(OFF, "stale-after-future-return", ev("stale-after-future-return", user=SAM),
         pre_run("return", {"request": {"user": SAM, "eventTime": "9999-01-01T00:00:00Z"},
                            "eventId": "golden-future-return", "eventSource": "api", "requestedBy": "x"})),
]

ON = "onboarding"
ONBOARD_JANE = {"user": JANE, "groups": ["Engineering", "VPN Users"], "apps": ["Slack", {"app": "AWS", "userName": "jane"}]}
ONBOARDING = [
    Case(ON, "input-array", [JANE]),
    Case(ON, "no-user", ev("no-user", groups=["Engineering"])),
    Case(ON, "groups-not-array", ev("groups-not-array", user=JANE, groups="Engineering")),
    Case(ON, "groups-apps", ev("groups-apps", **ONBOARD_JANE, sendEmail=True)),
    Case(ON, "access-profile", ev("access-profile", user=JANE, accessProfile="engineering")),
    Case(ON, "unknown-profile", ev("unknown-profile", user=JANE, accessProfile="no-such-profile")),
    Case(ON, "unknown-group", ev("unknown-group", **{**ONBOARD_JANE, "groups": ["Engineering", "No Such Group"]})),
    Case(ON, "dry-run", ev("dry-run", **ONBOARD_JANE, dryRun=True)),
    Case(ON, "duplicate", ev("duplicate", **ONBOARD_JANE), pre_run(ON, ev("duplicate", **ONBOARD_JANE))),
    Case(ON, "active-user", ev("active-user", user=SAM, groups=["Sales"])),
    Case(ON, "hr-envelope-groups", {"request": {"user": JANE, "groups": ["Engineering"]}, "eventId": "golden-hr-on",
                                    "eventSource": "hr.system", "requestedBy": "hr.system", "eventTime": T2},
         times={T2}),
    Case(ON, "fault-group", ev("fault-group", **ONBOARD_JANE),
         fault("/api/v1/groups/{groupId}/users/{userId}", times=20)),
]

LEAVE = [
    Case("leave", "no-user", ev("no-user")),
    Case("leave", "bad-return-date", ev("bad-return-date", user=SAM, returnDate="soon")),
    Case("leave", "with-return-date", ev("with-return-date", user=SAM, returnDate="2027-01-15T09:00:00",
                                         eventSource="hr.system")),
    Case("leave", "without-return-date", ev("without-return-date", user=SAM)),
    Case("leave", "already-suspended", ev("already-suspended", user=SUSAN)),
    Case("leave", "dry-run", ev("dry-run", user=SAM, returnDate="2027-01-15T09:00:00", dryRun=True)),
    Case("leave", "stale", ev("stale", user=SAM, eventTime=T1), pre_run(OFF, ev("stale-off", user=SAM, eventTime=T2,
                                                                                mode="suspend")),
         times={T1, T2}),
    Case("leave", "fault-suspend", ev("fault-suspend", user=SAM), fault("/api/v1/users/{id}/lifecycle/suspend")),
]

RETURN = [
    Case("return", "no-user", ev("no-user")),
    Case("return", "after-leave", ev("after-leave", user=SAM, eventTime=T2),
         pre_run("leave", ev("the-leave", user=SAM, eventTime=T1, returnDate="2027-01-15T09:00:00")), times={T1, T2}),
    Case("return", "without-leave", ev("without-leave", user=SUSAN)),
    Case("return", "active-user", ev("active-user", user=SAM)),
    Case("return", "dry-run", ev("dry-run", user=SAM, dryRun=True),
         pre_run("leave", ev("the-leave", user=SAM))),
    Case("return", "stale", ev("stale", user=SAM, eventTime=T1),
         pre_run(OFF, ev("stale-off", user=SAM, eventTime=T2, mode="suspend")), times={T1, T2}),
    Case("return", "fault-unsuspend", ev("fault-unsuspend", user=SAM),
         both(pre_run("leave", ev("the-leave", user=SAM)), fault("/api/v1/users/{id}/lifecycle/unsuspend"))),
]

CASES = OFFBOARDING + ONBOARDING + LEAVE + RETURN


# Differences issue 24 asks for: case → (what changed, a function turning the recorded trace into the new one).
# REWRITTEN flows get `ledger_now` on every case; the entries below change single cases. Nothing else may differ.
REWRITTEN = {"offboarding", "leave", "return", "onboarding"}
NAMESPACES = {"direct": "direct", "api": "api", "hr.system": "hr", "aws.scheduler": "schedule", "bulk": "bulk"}


def ledger_time(t: str) -> str:
    """Item 3: times compared as instants, kept in one fixed-width UTC form (2026-06-01T09:00:00.000Z)."""
    return t[:-1] + ".000Z" if len(t) == 20 and t.endswith("Z") else t


def ledger_now(flow: str, trace: dict, own: bool) -> dict:
    """What the rewritten flow's ledger keeps, item 3: event ids namespaced by source (`direct:`, `api:`, `hr:`);
    times in the ledger form; an event item carries its runDeadline; a run that failed forgets its event (only a
    succeeded run makes its event a duplicate); the lease's own fields (leaseExpires, leaseFlow) are removed with it;
    a dry run takes no lease (it changes nothing: no user item written just for it)."""
    t = json.loads(json.dumps(trace))
    keys: dict[str, str] = {}
    items = []
    for item in t["ledger"]:
        if item["pk"].startswith("event#") and item.get("flow") == flow:
            key = f"{NAMESPACES.get(item['eventSource'], item['eventSource'])}:{item['pk'][6:]}"
            keys[item["pk"][6:]] = key
            item = {**item, "pk": f"event#{key}", "eventTime": ledger_time(item["eventTime"]), "runDeadline": "<epoch>"}
            # A stale event was recorded before the lease showed it stale: it stays (sent again, it is stale again).
            failed = t["status"] == "FAILED" and t.get("error") != "Offboarding.Stale"
            if failed and item["executionId"] == "<execution:1>":
                continue
        items.append(item)
    for item in items:
        if item["pk"].startswith("user#") and item.get("lastFlow") == flow:
            item["lastEventId"] = keys.get(item["lastEventId"], item["lastEventId"])
            item["lastEventTime"] = ledger_time(item["lastEventTime"])
        if flow == "leave" and "leaveSince" in item:  # the leave's time, in the ledger form too
            item["leaveSince"] = ledger_time(item["leaveSince"])
    # `own`: the case runs this flow (and not only in its setup).
    t["ledger"] = sorted((i for i in items if not (own and set(i) == {"pk", "login"})), key=lambda i: i["pk"])
    return t


def refused(message: str) -> Callable[[dict], dict]:
    """Item 1: validation moved to the admit step, whose error names the field (the team's standard)."""
    def change(t: dict) -> dict:
        return {**t, "cause": {"errorType": "Input.Invalid", "errorMessage": message}}
    return change


def fails(error: str, cause: str) -> Callable[[dict], dict]:
    """Item 3: a stale or duplicate offboarding is not a silent success: it fails with a named error (the
    OffboardingFailedAlarm counts failed executions) and a cause that says what it lost to."""
    def change(t: dict) -> dict:
        out = {k: v for k, v in t.items() if k != "output"}
        return {**out, "status": "FAILED", "error": error, "cause": cause}
    return change


def body_time_ignored(t: dict) -> dict:
    """Item 3: an API body's own eventTime is ignored: the event happened when the request started the flow."""
    t = json.loads(json.dumps(t).replace("9999-01-01T00:00:00Z", "<now>"))
    return t


def applied_after_future_return(t: dict) -> dict:
    """The trace of an undisturbed offboarding (deactivate-active, with this case's event id and no event time),
    beside the return's event item, now recorded at its request time."""
    plain = golden_trace.read("offboarding", "deactivate-active")
    case = "golden-stale-after-future-return"
    out = json.loads(json.dumps(plain).replace("golden-deactivate-active", case).replace(T1, "<now>"))
    earlier = [{**i, "eventTime": "<now>"} for i in t["ledger"] if i.get("flow") == "return"]
    out["ledger"] = sorted(out["ledger"] + earlier, key=lambda i: i["pk"])
    return out


def hr_onboard_refused(t: dict) -> dict:
    """Item 3: an HR Onboard must name an access profile (groups and apps named directly come from the API only):
    refused by the admit step, before Okta and before the ledger, naming the field."""
    refused_start = golden_trace.read("onboarding", "no-user")
    return refused(HR_NEEDS_PROFILE)({**refused_start, "schedules": t["schedules"]})


HR_NEEDS_PROFILE = ("accessProfile: required for an onboarding from hr: groups and apps named directly are accepted "
                    "only from the API (one of contractor, engineering, sales)")


def onboarding_reads_the_user_once(t: dict) -> dict:
    """Items 1 and 6: the rewritten onboarding reads the user once, in ResolveUser (id, login and status), where the
    hand-written one read it again in GetUser: the flow routes on that status (ActivateOrNot, PasswordOrNot) and
    each function still reads what it changes (activate-user, reset-password, expire-password re-read the status
    under the lease). One Okta request fewer per onboarding; and it keeps the flow within its 35 states."""
    if t.get("status") == "SUCCEEDED" and (t.get("output") or {}).get("flow") != "onboarding":
        return t  # stale or duplicate: the runbook did not run
    if t.get("status") == "FAILED" and t.get("error") != "Onboarding.Incomplete":
        return t
    by_login = [r for r in t["okta"] if re.fullmatch(r"GET /api/v1/users/[^/<]+%40[^/]+ -> 200", r)]
    okta = list(t["okta"])
    if len(by_login) >= 2:
        okta.remove(by_login[0])
    return {**t, "okta": okta}


OFFBOARD_DUPLICATE = ("event direct:golden-duplicate already ran for user sam.leaver@acme.example, or is running "
                      "now: nothing changed. A run that fails forgets its event, so re-sending a failed event runs it "
                      "again; to run a succeeded one again, start it with a new event id.")
ISSUE_24: dict[str, tuple[str, Callable[[dict], dict]]] = {
    "offboarding-input-array": ("item 1", refused("input: must be a JSON object")),
    "offboarding-input-string": ("item 1", refused("input: must be a JSON object")),
    "offboarding-request-not-object": ("item 1", refused("request: the envelope's request must be a JSON object")),
    "offboarding-no-user": ("item 1", refused("user: required (a string)")),
    "offboarding-user-not-string": ("item 1", refused("user: must be a string")),
    "offboarding-dry-run-not-boolean": ("item 1", refused("dryRun: must be true or false")),
    "offboarding-mode-unknown": ("item 1", refused("mode: must be one of deactivate, suspend")),
    "offboarding-mode-not-string": ("item 1", refused("mode: must be one of deactivate, suspend")),
    "offboarding-keep-groups-not-array": ("item 1", refused("keepGroups: must be an array of names or ids")),
    "offboarding-no-event-id": ("item 1", refused("eventId: required: the id that makes a run happen once")),
    "offboarding-event-id-not-string": ("item 1", refused("eventId: must be a string")),
    "offboarding-event-time-not-a-time": ("item 1", refused(
        "eventTime: not a time: expected UTC ISO 8601 / RFC 3339, e.g. 2026-06-01T09:00:00Z")),
    "offboarding-event-source-not-string": ("item 1", refused("eventSource: must be a string")),
    "offboarding-requested-by-not-string": ("item 1", refused("requestedBy: must be a string")),
    "offboarding-duplicate": ("item 3", fails("Offboarding.Duplicate", OFFBOARD_DUPLICATE)),
    "offboarding-stale": ("item 3", fails("Offboarding.Stale", (
        "event direct:golden-stale (2026-06-01T09:00:00.000Z) is older than the last event applied to this user: "
        "direct:golden-stale-leave at 2026-06-02T09:00:00.000Z (leave execution <execution:2>); nothing changed. "
        "Check the user: an older event is not applied over a newer one."))),
    # The headline hole: the return's body set eventTime 9999-…, which made every later offboarding "stale". The
    # rewritten return ignores a body's time, so the offboarding is applied as any other.
    "offboarding-stale-after-future-return": ("item 3", applied_after_future_return),
    "offboarding-api-body-event-time": ("item 3", body_time_ignored),
    # The setup ran the rewritten offboarding: the stale report quotes the time as the ledger now keeps it, and
    # the rewritten leave its own event's time in that form.
    "leave-stale": ("item 3", lambda t: {**t, "output": {**t["output"], "lastEventTime": ledger_time(T2),
                                                         "eventTime": ledger_time(T1)}}),
    # ...and the return flow, rewritten too, quotes its own event's time in that form.
    "return-stale": ("item 3", lambda t: {**t, "output": {**t["output"], "lastEventTime": ledger_time(T2),
                                                          "eventTime": ledger_time(T1)}}),
    "return-no-user": ("item 1", refused("user: required (a string)")),
    "leave-no-user": ("item 1", refused("user: required (a string)")),
    "leave-bad-return-date": ("item 1", refused(
        "returnDate: a local date and time YYYY-MM-DDThh:mm:ss, without offset (returnTimezone says where)")),
    "onboarding-hr-envelope-groups": ("item 3", hr_onboard_refused),
    "onboarding-input-array": ("item 1", refused("input: must be a JSON object")),
    "onboarding-no-user": ("item 1", refused("user: required (a string)")),
    "onboarding-groups-not-array": ("item 1", refused("groups: must be an array of names or ids")),
    "onboarding-unknown-profile": ("item 1", refused(
        'accessProfile: "no-such-profile" names no profile of infra/access-profiles.json (one of contractor, '
        'engineering, sales)')),
    # The rewritten onboarding's duplicate says how to run the event again (as leave and return do).
    "onboarding-duplicate": ("item 3", lambda t: {**t, "output": {**t["output"], "message": (
        f"this event id was already applied; nothing changed. {RERUN}")}}),
}
RERUN = ("A run that fails forgets its event, so re-sending a failed event runs it again; to run a succeeded one "
         "again, start it with a new event id.")



GRANTED_THROUGH_GROUP = ("granted through a group, not directly: it ends with the group's membership or the "
                         "deactivation (see the residual access)")


def report_format_now(trace: dict) -> dict:
    """Issue 26, in every case: the offboarding report's residual `expected` is true or false (it was the word
    "expected" or "unexpected"), and an app a group grants is a `skipped` step with its reason (it was labelled
    "residual" even when the final residual list, after deactivation, had no app), without the refusal's error."""
    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        value = {key: walk(item) for key, item in value.items()}
        if value.get("expected") in ("expected", "unexpected") and "reason" in value:
            value["expected"] = value["expected"] == "expected"
        if value.get("outcome") == "residual" and value.get("reason") == "granted through group" and "app" in value:
            value = {key: item for key, item in value.items() if key not in ("error", "cause")}
            value.update(outcome="skipped", reason=GRANTED_THROUGH_GROUP)
        return value
    return walk(trace)


@pytest.fixture(scope="module", autouse=True)
def ledger_as_recorded(env):
    """The cases were recorded in CASES order on a new stack: each case after the first meets the ledger items the
    earlier cases left (a user's lastEventTime, a dry run's absence of one), and its trace holds them. Other test
    modules that ran first leave items of their own, so this module starts, as the recording did, from an empty
    ledger."""
    ddb = env.client("dynamodb")
    table = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    for item in ddb.scan(TableName=table, ConsistentRead=True, ProjectionExpression="pk").get("Items", []):
        ddb.delete_item(TableName=table, Key={"pk": item["pk"]})
    assert golden_trace.ledger_items(env) == []
    yield
def offboard_in_one_invocation(trace: dict) -> dict:
    """Issue 24 item 6, in every offboarding case: the plan's changes run in one offboard-user invocation. It names
    an app by id in its messages (it revokes by id without reading the app first: `revoked app <app:Slack>` was
    `revoked "Slack"`), and an app the user's read shows granted through a group (`scope: GROUP`) is not sent to Okta
    for revocation at all: `skipped` with its reason (it was tried, and answered `Okta.NotApplicable` or, for a
    PROVISIONED or LOCKED_OUT user, `unchanged: not assigned`). The request log is compared by `same_changes_fewer_reads`."""
    labelled = re.compile(r'^(revoked|would revoke|unchanged:) "(.*?)"( is not assigned)?$')

    def app(entry: dict) -> dict:
        if entry.get("app", {}).get("scope") == "GROUP":
            return {"app": entry["app"], "outcome": "skipped", "reason": GRANTED_THROUGH_GROUP}
        match = labelled.match(entry.get("message") or "")
        if match:
            verb, label, tail = match.groups()
            entry = {**entry, "message": f"{verb} app <app:{label}>{tail or ''}"}
        return entry

    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        value = {key: walk(item) for key, item in value.items()}
        if value.get("flow") == "offboarding" and isinstance(value.get("apps"), list):
            value["apps"] = [app(entry) for entry in value["apps"]]
        return value
    return walk(trace)


def same_changes_fewer_reads(actual: list[str], recorded: list[str]) -> None:
    """Issue 24 item 6: every change the recorded flow sent to Okta is sent again, no more and no fewer (each
    non-GET request, counted), and every read is one the recorded flow made too (a sub-multiset): the guardrails'
    and the actions' reads once per invocation instead of once per step and item."""
    changes = lambda log: Counter(line for line in log if not line.startswith("GET "))  # noqa: E731
    reads = lambda log: Counter(line for line in log if line.startswith("GET "))  # noqa: E731
    assert changes(actual) == changes(recorded), "the changes sent to Okta differ"
    assert not reads(actual) - reads(recorded), f"reads the recorded flow did not make: {reads(actual) - reads(recorded)}"


REVOCATIONS = ("revokeGrants", "resetFactors", "deactivateDevices", "transferGroupOwnership")


def without_revocations(start):
    """Issue 27 item 2: an offboarding also revokes grants, factors, devices and group ownership unless the request
    turns each off. The recorded flows had none of them, so each offboarding case starts with all four off (in the
    request of an envelope); tests/local/test_flows.py `test_offboarding_revokes_every_way_back_in` runs them on.
    A start that is not an object, or whose request is not one, is left as it is (it is refused either way)."""
    if not isinstance(start, dict):
        return start
    if "request" in start:
        if not isinstance(start["request"], dict):
            return start
        return {**start, "request": {**start["request"], **dict.fromkeys(REVOCATIONS, False)}}
    return {**start, **dict.fromkeys(REVOCATIONS, False)}


def revocations_skipped(trace: dict) -> dict:
    """The report's parts for issue 27, all four skipped as the start asked, are checked and left out of the
    comparison with the recorded trace (which predates them)."""
    def walk(value):
        if isinstance(value, list):
            return [walk(item) for item in value]
        if not isinstance(value, dict):
            return value
        value = {key: walk(item) for key, item in value.items()}
        if value.get("flow") == "offboarding" and "revocations" in value:
            steps = value.pop("revocations")
            assert {step["outcome"] for step in steps.values()} == {"skipped"}, steps
            remaining = value.pop("remaining")
            assert remaining["read"]["outcome"] == "skipped", remaining
        return value
    return walk(trace)


@pytest.fixture
def clean(fresh):
    yield fresh
    sched = fresh.client("scheduler")
    for s in sched.list_schedules(GroupName="okta-lifecycle")["Schedules"]:
        sched.delete_schedule(Name=s["Name"], GroupName="okta-lifecycle")
    fresh.sim.clear_faults()


@pytest.mark.parametrize("case", CASES, ids=[f"{c.flow}-{c.name}" for c in CASES])
def test_golden_trace(clean, case: Case):
    env = clean
    if case.setup:
        case.setup(env)
    state = env.sim_state()
    env.sim.reset_counters()
    inp = case.input(env) if callable(case.input) else case.input
    if case.flow == "offboarding":
        inp = without_revocations(inp)
    execution = env.start_flow(case.flow, inp)
    if case.during:
        route, later = case.during
        deadline = time.monotonic() + case.timeout
        while not any(r.get("route") == route for r in env.sim.requests()) and time.monotonic() < deadline:
            time.sleep(0.1)
        later(env)
    status, result = env.wait(execution, timeout=case.timeout)
    trace = golden_trace.capture(env, execution, status, result, state, case.times)
    key = f"{case.flow}-{case.name}"
    if RECORD:
        golden_trace.write(case.flow, case.name, trace)
        return
    expected = golden_trace.read(case.flow, case.name)
    if key in ISSUE_24:
        _why, change = ISSUE_24[key]
        expected = change(expected)
    if case.flow == "onboarding":  # every onboarding case: the user is read once (items 1 and 6)
        expected = onboarding_reads_the_user_once(expected)
    expected = report_format_now(expected)
    if case.flow == "offboarding":
        expected = offboard_in_one_invocation(expected)
    for flow in REWRITTEN:  # a case of another flow may have run a rewritten one first (its setup)
        expected = ledger_now(flow, expected, own=flow == case.flow)
    if os.environ.get("GOLDEN_ACTUAL_DIR"):  # where to leave what the run did, to diff by hand
        golden_trace.write_to(Path(os.environ["GOLDEN_ACTUAL_DIR"]), case.flow, case.name, trace)
    actual, expected = golden_trace.comparable(trace), golden_trace.comparable(expected)
    if case.flow == "offboarding":
        actual = revocations_skipped(actual)
        same_changes_fewer_reads(actual.pop("okta"), expected.pop("okta"))
    assert actual == expected, f"{key}: the trace differs from tests/local/golden/{case.flow}/{case.name}.json"
