"""Issue 9's guards on the flows, executed by moto's interpreter against the real binaries and the simulator: one run
per event, one flow at a time per user, stale events, leave and return that cannot resurrect a leaver, offboarding
that proves its end state, access profiles, and who asked reaching the audit record."""

from __future__ import annotations

import json
import uuid
from datetime import datetime, timezone

import pytest

from localaws import outcomes

SAM = "sam.leaver@acme.example"
# Event times as HR systems and EventBridge send them: UTC, ISO 8601.
T1, T2, T3 = "2026-06-01T09:00:00Z", "2026-06-02T09:00:00Z", "2026-06-03T09:00:00Z"


@pytest.fixture(autouse=True)
def _need_flows(env):
    if not env.state_machines:
        pytest.skip("no state machines (template.yaml / infra/*.asl.json missing)")


def ev(**fields) -> dict:
    return {"eventId": f"test-{uuid.uuid4().hex[:12]}", **fields}


def run(env, flow: str, inp: dict) -> tuple[str, dict]:
    """Generous wait: the machine running these tests may be busy."""
    return env.run_flow(flow, inp, timeout=300)


def uid(env, login: str) -> str:
    return env.sim.user(login)["id"]


def schedules(env) -> set[str]:
    return {s["Name"] for s in env.client("scheduler").list_schedules(GroupName="okta-lifecycle")["Schedules"]}


def scheduled_return(env, user_id: str, at: str) -> dict:
    """The input the return-<id> schedule would start the return flow with (the scheduler fills in the time)."""
    s = env.client("scheduler").get_schedule(Name=f"return-{user_id}", GroupName="okta-lifecycle")
    return json.loads(s["Target"]["Input"].replace("<aws.scheduler.scheduled-time>", at))


@pytest.fixture
def clean(fresh):
    yield fresh
    sched = fresh.client("scheduler")
    for s in sched.list_schedules(GroupName="okta-lifecycle")["Schedules"]:
        sched.delete_schedule(Name=s["Name"], GroupName="okta-lifecycle")


def test_a_duplicate_event_changes_nothing(clean):
    env = clean
    leave = ev(user=SAM, eventTime=T1)
    status, out = run(env, "leave", leave)
    assert status == "SUCCEEDED", out
    status, out = run(env, "return", ev(user=SAM, eventTime=T2))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "ACTIVE"
    env.sim.reset_counters()
    state = env.sim_state()
    # EventBridge delivers the leave again (same event id): without the ledger it would suspend SAM again.
    status, out = run(env, "leave", leave)
    assert status == "SUCCEEDED", out
    assert out["outcome"] == "duplicate", out
    assert env.sim.calls()["mutating"] == 0
    assert env.sim_state() == state


def test_onboarding_from_an_access_profile(clean):
    env = clean
    profiles = json.loads((env.template.parent / "infra" / "access-profiles.json").read_text())
    jane = "jane.doe@acme.example"
    status, out = run(env, "onboarding", ev(user=jane, accessProfile="engineering"))
    assert status == "SUCCEEDED", out
    st = env.sim_state()
    assert env.sim.groups_of(jane, st) == {"Everyone", *profiles["engineering"]["groups"]}
    assert env.sim.apps_of(jane, st) >= set(profiles["engineering"]["apps"])  # some through a group


def last_audit_line(env, function: str) -> str:
    """The function's last audit record, as logged (text or JSON, whichever the subscriber writes)."""
    lines = [line for line in (env.log_dir / f"fn-{function}.log").read_text(errors="replace").splitlines()
             if "audit" in line and "principal" in line]
    assert lines, f"no audit record in fn-{function}.log"
    return lines[-1]


def test_the_principal_reaches_the_audit_record(clean):
    env = clean
    status, out = run(env, "leave", ev(user=SAM, requestedBy="arn:aws:iam::123456789012:user/helpdesk-7"))
    assert status == "SUCCEEDED", out
    line = last_audit_line(env, "suspend-user")
    assert "arn:aws:iam::123456789012:user/helpdesk-7" in line and out["executionId"] in line, line
    # The flow's word is its own field: `principal` stays what only API Gateway's authorizer vouches for.
    assert "requested_by" in line, line
    status, out = run(env, "return", {"user": SAM, "eventId": "hr-event-9", "eventSource": "hr.system"})
    assert status == "SUCCEEDED", out
    line = last_audit_line(env, "unsuspend-user")
    assert "hr.system:hr-event-9" in line, line


def test_the_templates_envelope_wins_over_a_forged_requested_by(clean):
    """API and HR starts come as the template's envelope; a caller who puts requestedBy (or eventId) inside its own
    request must not name someone else in the audit record."""
    env = clean
    real, forged = "arn:aws:iam::123456789012:user/helpdesk-7", "arn:aws:iam::123456789012:user/ceo"
    event_id = f"api-{uuid.uuid4().hex[:12]}"
    envelope = {"request": {"user": SAM, "requestedBy": forged, "eventId": "forged-event", "eventSource": "forged"},
                "eventId": event_id, "requestedBy": real, "eventSource": "api"}
    status, out = run(env, "leave", envelope)
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "SUSPENDED"
    line = last_audit_line(env, "suspend-user")
    assert real in line and forged not in line, line
    # The envelope's event id is the one the ledger used up: the same envelope again is a duplicate.
    env.sim.reset_counters()
    status, out = run(env, "leave", envelope)
    assert status == "SUCCEEDED" and out["outcome"] == "duplicate", out
    assert env.sim.calls()["mutating"] == 0


@pytest.mark.parametrize("request_value", [None, "sam", 7, True, [{"user": SAM}]])
def test_an_envelope_whose_request_is_not_an_object_is_refused_before_okta(clean, request_value):
    env = clean
    env.sim.reset_counters()
    status, res = run(env, "offboarding", {"request": request_value, "eventId": "e-1", "eventSource": "api"})
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert env.sim.requests() == [] and env.sim.calls()["mutating"] == 0


def test_a_stale_return_after_offboarding_changes_nothing(clean):
    env = clean
    status, out = run(env, "offboarding", ev(user=SAM, mode="suspend", eventTime=T3))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "SUSPENDED"
    env.sim.reset_counters()
    state = env.sim_state()
    status, out = run(env, "return", ev(user=SAM, eventTime=T2))
    assert status == "SUCCEEDED", out
    # The rewritten offboarding keeps times in one fixed-width UTC form (issue 24: compared as instants).
    assert out["outcome"] == "stale" and out["lastEventTime"] == "2026-06-03T09:00:00.000Z", out
    assert env.sim.calls()["mutating"] == 0
    assert env.sim_state() == state
    assert "leaseHolder" not in env.ledger(f"user#{uid(env, SAM)}")


def test_two_flows_for_one_user_never_interleave(clean):
    env = clean
    # The first flow to take the lease is slow to suspend; the other must wait for all of it.
    env.sim_fault({"latencyMs": 3000}, route="/api/v1/users/{id}/lifecycle/suspend", times=1)
    env.sim.reset_counters()
    executions = [env.start_flow("offboarding", ev(user=SAM)) for _ in range(2)]
    results = [env.wait(e, timeout=300) for e in executions]
    # The one that waited either found the work done (all unchanged) or, if it was the earlier event (it started
    # first but took the lease second), ends Offboarding.Stale (issue 24: a stale offboarding fails loudly).
    done = [out for status, out in results if status == "SUCCEEDED"]
    stale = [out for status, out in results if status == "FAILED" and out.get("error") == "Offboarding.Stale"]
    assert len(done) + len(stale) == 2, results
    changed = [any(o == "changed" for o in outcomes(out)) for out in done]
    assert sorted(changed) in ([True], [False, True]), results  # one did the work, the other changed nothing
    mutating = [(r["method"], r["path"]) for r in env.sim.requests() if r["method"] != "GET"]
    assert mutating, "the offboarding changed nothing"
    assert len(mutating) == len(set(mutating)), mutating  # no step was sent twice
    waiter = next(e for e, (status, out) in zip(executions, results)
                  if status == "FAILED" or not any(o == "changed" for o in outcomes(out)))
    waited = [e for e in env.history(waiter) if e["type"] == "TaskFailed"
              and "ConditionalCheckFailed" in e["taskFailedEventDetails"].get("error", "")]
    assert waited, "the second flow never waited for the lease"
    assert env.sim.user(SAM)["status"] == "DEPROVISIONED"


@pytest.mark.parametrize("mode,final", [("deactivate", "DEPROVISIONED"), ("suspend", "SUSPENDED")])
def test_leave_offboard_late_return_leaves_the_leaver_out(clean, mode, final):
    env = clean
    status, out = run(env, "leave", ev(user=SAM, returnDate="2027-01-15T09:00:00", eventTime=T1))
    assert status == "SUCCEEDED", out
    user_id = uid(env, SAM)
    assert env.ledger(f"user#{user_id}")["leaveSuspendedUser"] is True
    # The schedule fires at its time, which is "now" when it fires (a time ahead of the clock is refused).
    late_return = scheduled_return(env, user_id, datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"))
    status, out = run(env, "offboarding", ev(user=SAM, mode=mode, eventTime=T2))
    assert status == "SUCCEEDED", out
    assert f"return-{user_id}" not in schedules(env)
    assert "leaveOpen" not in env.ledger(f"user#{user_id}")
    env.sim.reset_counters()
    # The schedule fired before offboarding deleted it (or the delete failed): newer than the offboarding, so
    # only the closed leave stops it.
    status, out = run(env, "return", late_return)
    assert status == "SUCCEEDED", out
    assert out["unsuspension"]["outcome"] == "skipped", out
    assert env.sim.calls()["mutating"] == 0
    assert env.sim.user(SAM)["status"] == final


def test_return_does_not_unsuspend_someone_it_did_not_suspend(clean):
    env = clean
    susan = "susan.suspended@acme.example"  # suspended by an administrator, not by a leave
    env.sim.reset_counters()
    status, out = run(env, "return", ev(user=susan))
    assert status == "SUCCEEDED", out
    assert out["unsuspension"]["outcome"] == "skipped", out
    assert env.sim.calls()["mutating"] == 0
    assert env.sim.user(susan)["status"] == "SUSPENDED"
    # A leave of someone already suspended does not make the return unsuspend them either.
    status, out = run(env, "leave", ev(user=susan))
    assert status == "SUCCEEDED", out
    status, out = run(env, "return", ev(user=susan))
    assert status == "SUCCEEDED", out
    assert out["unsuspension"]["outcome"] == "skipped", out
    assert env.sim.user(susan)["status"] == "SUSPENDED"


@pytest.mark.parametrize("login", ["pete.provisioned@acme.example", "rita.recovery@acme.example",
                                   "eddie.expired@acme.example", "larry.locked@acme.example",
                                   "jane.doe@acme.example"])
def test_suspend_mode_offboarding_ends_suspended_or_deprovisioned(clean, login):
    env = clean
    status, out = run(env, "offboarding", ev(user=login, mode="suspend"))
    assert status == "SUCCEEDED", out
    assert env.sim.user(login)["status"] in ("SUSPENDED", "DEPROVISIONED")
    assert out["user"]["statusAfter"] == env.sim.user(login)["status"]
    assert out["deactivation"]["outcome"] == "changed", out  # Okta suspends only ACTIVE users


def test_offboarding_fails_unless_the_end_state_is_proven(clean):
    env = clean
    # Okta refuses both suspension and deactivation: the user keeps access, and the execution must say so.
    env.sim_fault({"status": 400}, route="/api/v1/users/{id}/lifecycle/suspend", times=20)
    env.sim_fault({"status": 400}, route="/api/v1/users/{id}/lifecycle/deactivate", times=20)
    status, res = run(env, "offboarding", ev(user=SAM))
    assert status == "FAILED", res
    assert res["error"] == "Offboarding.Incomplete", res
    assert res["cause"]["user"]["statusAfter"] == "ACTIVE"
    assert "leaseHolder" not in env.ledger(f"user#{uid(env, SAM)}")  # released on failure too


@pytest.mark.parametrize("inp", [
    {"user": "jane.doe@acme.example", "accessProfile": "no-such-profile"},
    {"user": "jane.doe@acme.example", "accessProfile": "engineering", "groups": ["Sales"]},
    {"user": "jane.doe@acme.example", "accessProfile": ["engineering"]},
])
def test_a_bad_access_profile_is_refused_before_okta(clean, inp):
    env = clean
    env.sim.reset_counters()
    status, res = run(env, "onboarding", ev(**inp))
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert "accessProfile" in json.dumps(res["cause"])
    assert env.sim.requests() == [] and env.sim.calls()["mutating"] == 0


@pytest.mark.parametrize("flow", ["onboarding", "offboarding", "leave", "return"])
def test_every_flow_start_needs_an_event_id(clean, flow):
    env = clean
    env.sim.reset_counters()
    status, res = run(env, flow, {"user": SAM})
    assert status == "FAILED" and res["error"] == "Input.Invalid", res
    assert "eventId" in json.dumps(res["cause"])  # text, or the admit step's error (errorType, errorMessage)
    assert env.sim.requests() == [] and env.sim.calls()["mutating"] == 0


def test_no_path_back_for_a_leaver_but_an_explicit_rehire(clean):
    """Issue 25: after a suspend-mode offboarding, a direct unsuspend (what the removed `unsuspend-<id>` schedule
    did) and an activate are refused by the function itself, from the ledger, before any Okta change; an explicit
    rehire (rehireReason, the full login) goes through and is audited."""
    env = clean
    status, out = run(env, "offboarding", ev(user=SAM, mode="suspend", eventTime=T1))
    assert status == "SUCCEEDED", out
    assert env.sim.user(SAM)["status"] == "SUSPENDED"
    assert env.ledger(f"user#{uid(env, SAM)}")["lastFlow"] == "offboarding"
    env.sim.reset_counters()
    state = env.sim_state()
    schedule = "arn:aws:scheduler:us-east-1:123456789012:schedule/okta-lifecycle/unsuspend-x"
    for payload in [{"user": uid(env, SAM)}, {"user": SAM, "executionId": schedule}]:
        out, error = env.invoke("unsuspend-user", payload)
        assert error == "Policy.Offboarded", (payload, out)
    assert env.sim.calls()["mutating"] == 0
    assert env.sim_state() == state
    # A deactivate-mode leaver is not reactivated either.
    jane = "jane.doe@acme.example"
    status, out = run(env, "offboarding", ev(user=jane, mode="deactivate", eventTime=T1))
    assert status == "SUCCEEDED", out
    env.sim.reset_counters()
    out, error = env.invoke("activate-user", {"user": jane})
    assert error == "Policy.Offboarded", out
    assert env.sim.calls()["mutating"] == 0 and env.sim.user(jane)["status"] == "DEPROVISIONED"
    out, error = env.invoke("unsuspend-user", {"user": SAM, "rehireReason": "rehired, HR ticket 4411"})
    assert error is None, out
    assert env.sim.user(SAM)["status"] == "ACTIVE"
    line = last_audit_line(env, "unsuspend-user")
    assert "rehire_reason" in line and "rehired, HR ticket 4411" in line, line


def test_grants_cannot_escalate(clean):
    """Issue 25: through the deployed functions, the break-glass group is never a grant target, an app profile key
    the allow-list does not name is refused (here the lists are `*`: any app, without a profile), and an onboarding
    naming the protected group changes nothing for it."""
    env = clean
    env.sim.reset_counters()
    out, error = env.invoke("add-user-to-group", {"user": SAM, "group": "Break Glass"})
    assert error == "Policy.PrivilegedGroup" and "OKTA_PROTECTED_GROUPS" in out["errorMessage"], out
    out, error = env.invoke("assign-app-to-user", {"user": SAM, "app": "Slack", "profile": {"role": "admin"}})
    assert error == "Policy.NotGrantable" and "profile key" in out["errorMessage"], out
    assert env.sim.calls()["mutating"] == 0
    status, out = run(env, "onboarding", ev(user=SAM, groups=["Break Glass"]))
    assert "Policy.PrivilegedGroup" in json.dumps(out), out
    assert "Break Glass" not in env.sim.groups_of(SAM)
    assert env.sim.calls()["mutating"] == 0
