"""Hostile input through the real binaries and the real flows: every payload gets a named answer.

The functions: nesting past serde_json's recursion limit (128), every top-level JSON type and a payload near Lambda's
6 MB limit reach the function and get `Input.Invalid` (HTTP 400 for API Gateway), never the runtime's
`&lambda_runtime::deserializer::DeserializeError`, and nothing reaches Okta.

The flows: generated execution inputs (seeded, bounded: FLOW_FUZZ_CASES per flow, default 6) end in a correct run or
a named failure (`Input.Invalid`, an `Okta.*` name, `<Flow>.Incomplete`), never `States.Runtime` from a bad path.
"""

from __future__ import annotations

import collections
import json
import os
import random
from pathlib import Path

import pytest

from localaws import FUNCTIONS

EVENTS = Path(__file__).resolve().parents[1] / "events"
SAM = "sam.leaver@acme.example"
RUST_TYPE_NAME = "lambda_runtime::"


def nested(depth: int, inner: str = "1") -> str:
    return "[" * depth + inner + "]" * depth


def refused(out, err) -> None:
    assert err == "Input.Invalid", (err, str(out)[:300])
    assert RUST_TYPE_NAME not in json.dumps(out)
    assert len(out["errorMessage"]) < 2000


@pytest.mark.parametrize("depth", [65, 129, 10_000])
def test_deep_events_are_input_invalid(fresh, depth):
    env = fresh
    before = env.sim.calls()
    for fn in FUNCTIONS:
        refused(*env.invoke(fn, nested(depth)))
        refused(*env.invoke(fn, '{"user": "%s", "profile": %s}' % (SAM, nested(depth))))
        refused(*env.invoke(fn, '{"version": "0", "detail-type": "x", "source": "hr", "detail": %s}'
                            % nested(depth, '{"user": "%s"}' % SAM)))
    assert env.sim.calls() == before, "a refused event reached Okta"
    assert not env.emulator.crashed()


def test_deep_api_gateway_body_is_a_400(fresh):
    env = fresh
    before = env.sim.calls()
    for caller in ["apigw-v2", "apigw-v1"]:
        ev = json.loads((EVENTS / "suspend-user" / f"{caller}.json").read_text())
        ev["body"], ev["isBase64Encoded"] = '{"dryRun": %s}' % nested(500, "true"), False
        out, err = env.invoke("suspend-user", ev)
        assert err is None and out["statusCode"] == 400, out
        body = json.loads(out["body"])
        assert body["error"] == "Input.Invalid" and body["field"] == "body", body
    assert env.sim.calls() == before


@pytest.mark.parametrize("payload", ["null", "true", "0", "-1.5e300", '"sam"', "[]", "{}", "[{\"user\": \"sam\"}]"])
def test_every_top_level_type_is_a_named_answer(env, payload):
    for fn in ["get-user", "suspend-user", "assign-app-to-user"]:
        refused(*env.invoke(fn, payload))


def test_a_payload_near_six_megabytes(env):
    payload = json.dumps({"user": "x" * (6 * 1024 * 1024 - 1024)})
    refused(*env.invoke("suspend-user", payload))
    out, err = env.invoke("get-user", {"user": SAM})
    assert err is None, out


def test_the_emulator_itself_gets_a_named_answer_for_non_json(env):
    """Lambda refuses non-JSON before any function runs; an emulator that passes it on still gets a stable name."""
    status, _, body = env.invoke_raw("suspend-user", b"{not json")
    assert b"Input.Invalid" in body and RUST_TYPE_NAME.encode() not in body, (status, body[:300])


# ------------------------------------------------------------------------------------------------------------------
# Flow inputs.

NAMED_FAILURES = {"Input.Invalid", "Onboarding.Incomplete", "Offboarding.Incomplete", "Leave.Incomplete",
                  "Return.Incomplete"}

VALID = {
    "onboarding": {"user": "jane.doe@acme.example", "groups": ["Engineering"], "apps": ["Slack"], "dryRun": True},
    "offboarding": {"user": SAM, "dryRun": True},
    "leave": {"user": "alice.active@acme.example", "dryRun": True},
    "return": {"user": "susan.suspended@acme.example", "dryRun": True},
}
# The identity fields every flow takes beside its own (eventId is required: without it every case would stop at
# ValidateInput and the states after it would never see a generated input).
EVENT_FIELDS = ["eventId", "eventTime", "eventSource", "requestedBy"]
FIELDS = {
    "onboarding": ["user", "groups", "apps", "sendEmail", "resendActivation", "password", "dryRun"] + EVENT_FIELDS,
    "offboarding": ["user", "mode", "keepGroups", "dryRun"] + EVENT_FIELDS,
    "leave": ["user", "returnDate", "returnTimezone", "dryRun"] + EVENT_FIELDS,
    "return": ["user", "dryRun"] + EVENT_FIELDS,
}
ARRAY_FIELDS = {"groups", "apps", "keepGroups"}
HOSTILE_STRINGS = ["", " ", "..", "../..", "%2e%2e/", "a/b?c#d%", "\u202eevil", "\u200b", "\x00", "x" * 5000,
                   "$.input", "States.Format('{}')", "sam.leaver@acme.example\u2066", "2026-13-45T99:99:99"]


def hostile_value(rng: random.Random, depth: int = 0):
    kind = rng.randrange(7 if depth < 3 else 4)
    if kind == 0:
        return None
    if kind == 1:
        return rng.choice([True, False])
    if kind == 2:
        return rng.choice([0, -1, 1.5, 10**20])
    if kind == 3:
        return rng.choice(HOSTILE_STRINGS)
    if kind == 4:
        return [hostile_value(rng, depth + 1) for _ in range(rng.randrange(3))]
    if kind == 5:
        keys = HOSTILE_STRINGS + ["app", "user"]
        return {rng.choice(keys): hostile_value(rng, depth + 1) for _ in range(rng.randrange(3))}
    return rng.choice(["Engineering", "Slack", SAM, {"app": "Slack"}, {"app": 5}])


def flow_input(rng: random.Random, flow: str, index: int):
    case = rng.randrange(10)
    if case == 0:
        # Not an object, the empty array and an envelope whose request is not an object included.
        return rng.choice(["sam", 5, None, True, [], [VALID[flow]], {"request": []}, {"request": "sam"}])
    data = json.loads(json.dumps(VALID[flow]))
    data["eventId"] = f"fuzz-{SEED}-{flow}-{index}"
    for field in rng.sample(FIELDS[flow], rng.randrange(1, 3)):
        if rng.random() < 0.2:
            data.pop(field, None)
            continue
        value = hostile_value(rng)
        while field in ARRAY_FIELDS and isinstance(value, dict):
            value = hostile_value(rng)
        # An object where a list belongs, every fourth case (a Map over it would fail with States.Runtime); chosen
        # by the index, so that the other cases stay what the seed made them.
        if field in ARRAY_FIELDS and index % 4 == 1:
            value = {"0": "Engineering"}
        data[field] = value
    if rng.random() < 0.2:
        data[rng.choice(HOSTILE_STRINGS[1:] + ["unknownField"])] = hostile_value(rng)
    data["dryRun"] = data.get("dryRun", True) if rng.random() < 0.3 else True
    return data


CASES = int(os.environ.get("FLOW_FUZZ_CASES", "6"))
SEED = int(os.environ.get("FLOW_FUZZ_SEED", "13"))


@pytest.mark.parametrize("flow", sorted(VALID))
def test_generated_flow_inputs_end_in_a_named_answer(fresh, flow):
    env = fresh
    if flow not in env.state_machines:
        pytest.skip("no state machines")
    rng = random.Random(f"{SEED}-{flow}")
    failures = []
    answers = collections.Counter()
    for index in range(CASES):
        data = flow_input(rng, flow, index)
        try:
            status, result = env.run_flow(flow, data, timeout=180)
        except Exception as error:  # noqa: BLE001 - a refused StartExecution is an answer too
            if "InvalidExecutionInput" in str(error):
                answers["InvalidExecutionInput"] += 1
                continue
            raise
        error = (result or {}).get("error") or ""
        answers[status if status == "SUCCEEDED" else error or status] += 1
        if status == "SUCCEEDED":
            continue
        if error in NAMED_FAILURES or error.startswith("Okta."):
            continue
        failures.append(f"#{index} {json.dumps(data)[:300]} -> {status} {error}: {str(result.get('cause'))[:300]}")
    print(f"{flow}: {dict(answers)}")
    assert not failures, "\n".join(failures)
    # Some generated inputs must get past the flow's own validation, or the states after it were never exercised.
    assert sum(n for answer, n in answers.items() if answer != "Input.Invalid") > 0, dict(answers)


@pytest.mark.parametrize("flow", sorted(VALID) + ["bulk"])
def test_shapes_no_choice_rule_can_test_are_input_invalid(fresh, flow):
    """ASL has no IsObject or IsArray: an empty array (as the input or as an envelope's request) and an object where
    a list belongs are told by their JSON text (States.JsonToString + StringMatches), before JsonMerge or a Map
    could fail with States.Runtime."""
    env = fresh
    if flow not in env.state_machines:
        pytest.skip("no state machines")
    shapes = [[], {"request": []}, {"request": "sam"}]
    lists = {"onboarding": ["groups", "apps"], "offboarding": ["keepGroups"]}.get(flow, [])
    for field in lists:
        shapes.append({**VALID[flow], "eventId": f"shape-{flow}-{field}", field: {"0": "Engineering"}})
    env.sim.reset_counters()
    for index, data in enumerate(shapes):
        status, result = env.run_flow(flow, data, timeout=60)
        assert (status, (result or {}).get("error")) == ("FAILED", "Input.Invalid"), (index, data, result)
    # Refused before any step: nothing reached Okta.
    assert env.sim.calls()["total"] == 0
