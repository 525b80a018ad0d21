"""The 17 real binaries through the Lambda Invoke API (via the proxy, as Step Functions and the AWS SDKs call them),
with each of their tests/events fixtures against a fresh simulator; then robustness for every caller shape."""

from __future__ import annotations

import base64
import copy
import json
from pathlib import Path

import pytest

from localaws import FUNCTIONS

EVENTS = Path(__file__).resolve().parents[1] / "events"
CALLERS = ["stepfunctions", "apigw-v2", "apigw-v1", "eventbridge"]
SAM, JANE = "sam.leaver@acme.example", "jane.doe@acme.example"

# Known bugs in the functions (not in the fixtures): strict, so a fix shows up as XPASS and the mark must go.
KNOWN_BUGS: dict[tuple[str, str], str] = {}


def load(fn: str, caller: str) -> dict:
    return json.loads((EVENTS / fn / f"{caller}.json").read_text())


def user_of(state: dict, login: str) -> dict:
    return next(u for u in state["users"] if u["login"] == login)


def groups_of(state: dict, login: str) -> set[str]:
    uid = user_of(state, login)["id"]
    return {g["name"] for g in state["groups"] if uid in g["members"]}


def apps_of(state: dict, login: str, scope: str | None = None) -> set[str]:
    uid = user_of(state, login)["id"]
    return {a["label"] for a in state["apps"] for x in a["assignments"]
            if x["userId"] == uid and (scope is None or x["scope"] == scope)}


# function → (target login, status before, status after, extra checks on (output, state before, state after))
def _no_check(out, before, after):
    pass


def _groups_and_apps(out, before, after):
    assert {g["name"] for g in out["groups"]} >= {"Engineering", "All Staff", "VPN Users"}
    assert {a["label"] for a in out["apps"]} >= {"Slack", "GitHub", "Salesforce"}
    assert before == after


def _added(out, before, after):
    assert out["group"]["name"] == "Engineering"
    assert "Engineering" in groups_of(after, JANE) and "Engineering" not in groups_of(before, JANE)


def _assigned(out, before, after):
    assert out["app"]["label"] == "Slack"
    assert "Slack" in apps_of(after, JANE, "USER") and "Slack" not in apps_of(before, JANE)


def _cleared(out, before, after):
    u = user_of(after, SAM)
    assert (u["sessions"], u["oauthTokens"], u["rememberedDevices"]) == (0, 0, False)
    assert user_of(before, SAM)["sessions"] > 0


def _removed(out, before, after):
    assert out["group"]["name"] == "VPN Users"
    assert "VPN Users" in groups_of(before, SAM) and "VPN Users" not in groups_of(after, SAM)
    assert "Engineering" in groups_of(after, SAM)  # only the one group


def _revoked(out, before, after):
    assert out["app"]["label"] == "Slack"
    assert "Slack" in apps_of(before, SAM, "USER") and "Slack" not in apps_of(after, SAM)
    assert "Salesforce" in apps_of(after, SAM)


def _grants_revoked(out, before, after):
    assert {c["name"] for c in out["clients"]} == {c["name"] for c in user_of(before, SAM)["oauthClients"]}
    assert all(c["grants"] == 0 and c["tokens"] == 0 for c in user_of(after, SAM)["oauthClients"])


def _factors_reset(out, before, after):
    assert user_of(before, SAM)["factors"] and not user_of(after, SAM)["factors"]
    assert sorted(f["factorType"] for f in out["factors"]) == sorted(user_of(before, SAM)["factors"])


def _devices_deactivated(out, before, after):
    devices = {d["name"]: d for d in after["devices"]}
    assert devices["SAM-LAPTOP"]["status"] == "DEACTIVATED" and not devices["SAM-LAPTOP"]["users"]
    assert devices["LAB-KIOSK-1"]["status"] == "ACTIVE"
    assert user_of(after, SAM)["id"] in devices["LAB-KIOSK-1"]["users"]
    assert {d["name"]: d["outcome"] for d in out["devices"]} == {"SAM-LAPTOP": "deactivated",
                                                                  "LAB-KIOSK-1": "keptShared"}


def _ownership_transferred(out, before, after):
    owners = {g["name"]: g["owners"] for g in after["groups"]}
    sam, alice = user_of(after, SAM)["id"], user_of(after, "alice.active@acme.example")["id"]
    assert owners["VPN Users"] == [alice]
    assert sam in owners["IT Help Desk"]  # it carries an admin role: left to an admin
    assert out["newOwner"]["login"] == "alice.active@acme.example"


def _suspended_and_cleared(out, before, after):
    assert out["steps"]["suspension"]["changed"] is True
    assert out["steps"]["sessions"]["changed"] is True
    assert out["steps"]["deactivation"] is None and out["steps"]["groups"] == [] and out["steps"]["apps"] == []
    assert (user_of(after, SAM)["sessions"], user_of(after, SAM)["oauthTokens"]) == (0, 0)
    assert user_of(before, SAM)["sessions"] > 0


EXPECT = {
    "activate-user": (JANE, "STAGED", "PROVISIONED", _no_check),
    "add-user-to-group": (JANE, "STAGED", "STAGED", _added),
    "assign-app-to-user": (JANE, "STAGED", "STAGED", _assigned),
    "clear-user-sessions": (SAM, "ACTIVE", "ACTIVE", _cleared),
    "deactivate-user": (SAM, "ACTIVE", "DEPROVISIONED", _no_check),
    "expire-password": (SAM, "ACTIVE", "PASSWORD_EXPIRED", _no_check),
    "get-user": (SAM, "ACTIVE", "ACTIVE", _groups_and_apps),
    "remove-user-from-group": (SAM, "ACTIVE", "ACTIVE", _removed),
    "reset-password": (SAM, "ACTIVE", "RECOVERY", _no_check),
    "revoke-app-from-user": (SAM, "ACTIVE", "ACTIVE", _revoked),
    "suspend-user": (SAM, "ACTIVE", "SUSPENDED", _no_check),
    "unsuspend-user": ("susan.suspended@acme.example", "SUSPENDED", "ACTIVE", _no_check),
    "unlock-user": ("larry.locked@acme.example", "LOCKED_OUT", "ACTIVE", _no_check),
    "revoke-user-grants": (SAM, "ACTIVE", "ACTIVE", _grants_revoked),
    "reset-user-factors": (SAM, "ACTIVE", "ACTIVE", _factors_reset),
    "deactivate-user-devices": (SAM, "ACTIVE", "ACTIVE", _devices_deactivated),
    "transfer-group-ownership": (SAM, "ACTIVE", "ACTIVE", _ownership_transferred),
    "offboard-user": (SAM, "ACTIVE", "SUSPENDED", _suspended_and_cleared),
}


def test_every_function_has_four_fixtures():
    assert sorted(p.name for p in EVENTS.iterdir() if p.is_dir()) == sorted(FUNCTIONS)
    for fn in FUNCTIONS:
        for caller in CALLERS:
            ev = load(fn, caller)
            if caller == "stepfunctions":
                assert ev["executionId"].startswith("arn:aws:states:")
            elif caller == "apigw-v2":
                assert ev["version"] == "2.0" and ev["requestContext"]["authorizer"]["iam"]["userArn"]
            elif caller == "apigw-v1":
                assert ev["httpMethod"] and ev["requestContext"]["identity"]["userArn"]
            else:
                assert {"version", "id", "detail-type", "source", "account", "time", "region", "resources",
                        "detail"} <= ev.keys()


def _params():
    for fn in FUNCTIONS:
        for caller in CALLERS:
            marks = []
            if (fn, caller) in KNOWN_BUGS:
                marks.append(pytest.mark.xfail(strict=True, reason=KNOWN_BUGS[(fn, caller)]))
            yield pytest.param(fn, caller, marks=marks, id=f"{fn}-{caller}")


@pytest.mark.parametrize("fn,caller", list(_params()))
def test_fixture(fresh, fn, caller):
    env = fresh
    login, status_before, status_after, check = EXPECT[fn]
    before = env.sim_state()
    assert user_of(before, login)["status"] == status_before
    out, err = env.invoke(fn, load(fn, caller))
    if caller.startswith("apigw"):
        assert err is None, out
        assert out["statusCode"] == 200, out.get("body")
        assert out["headers"]["content-type"] == "application/json"
        out = json.loads(out["body"])
    else:
        assert err is None, out
    assert out["action"] == fn
    assert out["user"]["login"] == login
    assert out["user"]["statusBefore"] == status_before
    assert out["user"]["statusAfter"] == status_after
    assert out["changed"] is (fn != "get-user")
    assert out["dryRun"] is False
    assert isinstance(out["message"], str) and out["message"]
    assert out["oktaRequestIds"] and all(isinstance(i, str) for i in out["oktaRequestIds"])
    after = env.sim_state()
    assert user_of(after, login)["status"] == status_after
    check(out, before, after)
    assert not env.emulator.crashed()


@pytest.mark.parametrize("fn", ["suspend-user", "add-user-to-group", "revoke-app-from-user"])
def test_second_call_changes_nothing(fresh, fn):
    ev = load(fn, "stepfunctions")
    first, err = fresh.invoke(fn, ev)
    assert err is None and first["changed"] is True
    fresh.sim.reset_counters()
    second, err = fresh.invoke(fn, ev)
    assert err is None, second
    assert second["changed"] is False
    assert fresh.sim.calls()["mutating"] == 0


@pytest.mark.parametrize("fn", ["suspend-user", "deactivate-user", "remove-user-from-group", "assign-app-to-user"])
def test_dry_run_changes_nothing(fresh, fn):
    ev = load(fn, "stepfunctions")
    ev["dryRun"] = True
    before = fresh.sim_state()
    fresh.sim.reset_counters()
    out, err = fresh.invoke(fn, ev)
    assert err is None, out
    assert out["dryRun"] is True and out["changed"] is True  # would change
    assert fresh.sim_state() == before
    assert fresh.sim.calls()["mutating"] == 0


def test_okta_answers_reach_the_rate_limit_table(fresh):
    """The deployed path: a function writes what Okta's headers said of a bucket being paced to the shared rate-limit
    table (moto's DynamoDB), for the stack's other processes to read; of a quiet one, nothing."""
    fresh.clear_tables()
    out, err = fresh.invoke("get-user", load("get-user", "stepfunctions"))
    assert err is None, out
    assert fresh.rate_limits() == {}, "a quiet org's answers were written"
    # Twenty reads of a user a minute in Okta's bucket for it, of which the token gets its default share, half: Okta
    # reports that share, 10, as the limit. The first answer already leaves the bucket near its even-pace line.
    fresh.sim.okta_limits({"overrides": {"/api/v1/users/{id:.+}": 20}})
    out, err = fresh.invoke("get-user", load("get-user", "stepfunctions"))
    assert err is None, out
    limits = fresh.rate_limits()
    assert limits, "no item for the simulator's org"
    assert limits["getUserLimit"] == 10 and 0 <= limits["getUserRemaining"] < 10, limits
    # Within Okta's minute, plus the second the client adds to the reset and the second of the Date header's rounding.
    assert limits["getUserHeardAt"] < limits["getUserResetsAt"] <= limits["getUserHeardAt"] + 62_000, limits
    assert limits["expiresAt"] * 1000 > limits["getUserResetsAt"], limits


# ------------------------------------------------------------------------------------------------------------------
# Errors reach every caller under their stable names.

def test_unknown_user_is_okta_not_found(fresh):
    out, err = fresh.invoke("suspend-user", {"user": "nobody@acme.example"})
    assert err == "Okta.NotFound", out
    ev = load("suspend-user", "apigw-v2")
    ev["pathParameters"]["user"] = "nobody@acme.example"
    out, err = fresh.invoke("suspend-user", ev)
    assert err is None and out["statusCode"] == 404
    body = json.loads(out["body"])
    assert body["error"] == "Okta.NotFound" and body["requestId"]


def test_typo_field_is_input_invalid(fresh):
    out, err = fresh.invoke("add-user-to-group", {"user": SAM, "grup": "Sales"})
    assert err == "Input.Invalid", out
    assert "grup" in out["errorMessage"]
    ev = load("add-user-to-group", "apigw-v1")
    ev["body"] = json.dumps({"grup": "Sales"})
    out, err = fresh.invoke("add-user-to-group", ev)
    assert out["statusCode"] == 400
    assert json.loads(out["body"])["field"] == "grup"


def test_ambiguous_group_is_named(fresh):
    out, err = fresh.invoke("add-user-to-group", {"user": SAM, "group": "Project X"})
    assert err == "Okta.Ambiguous", out


def test_not_applicable_transition(fresh):
    out, err = fresh.invoke("unsuspend-user", {"user": SAM})  # ACTIVE: nothing to unsuspend
    assert err in (None, "Okta.NotApplicable"), out
    if err is None:
        assert out["changed"] is False


def test_rate_limited_and_transient_after_retries(fresh):
    fresh.sim_fault({"status": 503}, route="/api/v1/users/{id}/lifecycle/suspend", times=20)
    out, err = fresh.invoke("suspend-user", {"user": SAM})
    assert err == "Okta.Transient", out
    fresh.sim.clear_faults()
    ev = load("suspend-user", "apigw-v2")
    fresh.sim_fault({"rateLimited": {"resetInSecs": 30}}, route="/api/v1/users/{id}/lifecycle/suspend", times=20)
    out, err = fresh.invoke("suspend-user", ev)
    assert out["statusCode"] == 429, out
    assert int(out["headers"]["retry-after"]) >= 1
    assert json.loads(out["body"])["error"] == "Okta.RateLimited"
    fresh.sim.clear_faults()


def test_one_injected_503_is_retried(fresh):
    fresh.sim_fault({"status": 503}, route="/api/v1/users/{id}/lifecycle/suspend", times=1)
    out, err = fresh.invoke("suspend-user", {"user": SAM})
    assert err is None, out
    assert out["user"]["statusAfter"] == "SUSPENDED"


# ------------------------------------------------------------------------------------------------------------------
# Robustness: odd input in every caller shape never kills the process; it answers with a named error or a 400.

def _bad_inputs(fn: str):
    base = load(fn, "stepfunctions")
    huge = "x" * 100_000
    yield "wrong type", {**base, "user": 42}
    yield "wrong bool type", {**base, "dryRun": "yes"}
    yield "100 kB string", {**base, "user": huge}
    yield "100 kB unknown field", {**base, huge[:200]: huge}
    yield "unknown field", {**base, "favouriteColour": "blue"}
    yield "array input", [base]
    yield "null input", None
    yield "nested garbage", {**base, "user": {"id": {"$gt": ""}}}


def _v2_bad_bodies():
    yield "malformed JSON body", "{not json", False
    yield "body not an object", "[1,2]", False
    yield "bad base64 body", "%%%not-base64", True
    yield "100 kB body", json.dumps({"user": "y" * 100_000}), False


@pytest.mark.parametrize("fn", FUNCTIONS)
def test_robust_plain_and_eventbridge(env, fn):
    for label, payload in _bad_inputs(fn):
        out, err = env.invoke(fn, payload)
        assert err == "Input.Invalid", (label, out)
        assert len(out["errorMessage"]) < 2000, label  # never echoes a 100 kB value
        ev = load(fn, "eventbridge")
        ev["detail"] = payload
        out, err = env.invoke(fn, ev)
        assert err == "Input.Invalid", (label, out)
    assert not env.emulator.crashed()
    out, err = env.invoke(fn, {"user": "nobody@acme.example", **({"group": "Sales"} if fn.endswith("-group") else {}),
                               **({"app": "Slack"} if "-app-" in fn else {}),
                               **({"sendEmail": True} if fn == "reset-password" else {})})
    assert err == "Okta.NotFound", out  # still answers


def load_api(fn: str, caller: str) -> dict:
    """An API Gateway fixture without its query string, so that the checks below see only what they add
    (and step around the known `include` bug of HTTP API 2.0)."""
    ev = load(fn, caller)
    if caller == "apigw-v2":
        ev.pop("queryStringParameters", None)
        ev["rawQueryString"] = ""
    else:
        ev["queryStringParameters"] = ev["multiValueQueryStringParameters"] = None
    return ev


@pytest.mark.parametrize("fn", FUNCTIONS)
@pytest.mark.parametrize("caller", ["apigw-v2", "apigw-v1"])
def test_robust_api_gateway(env, fn, caller):
    for label, body, b64 in _v2_bad_bodies():
        ev = load_api(fn, caller)
        ev["body"], ev["isBase64Encoded"] = body, b64
        out, err = env.invoke(fn, ev)
        assert err is None, (label, out)
        assert out["statusCode"] == 400, (label, out)
        b = json.loads(out["body"])
        assert b["error"] == "Input.Invalid", (label, b)
        if label != "100 kB body":
            assert b["field"] == "body", (label, b)
        assert len(out["body"]) < 2000
    # wrong types and unknown fields in the body
    for label, body in [("wrong type", {"dryRun": "yes"}), ("unknown field", {"favouriteColour": "blue"}),
                        ("conflicting user", {"user": "someone.else@acme.example"})]:
        ev = load_api(fn, caller)
        ev["body"], ev["isBase64Encoded"] = json.dumps(body), False
        out, err = env.invoke(fn, ev)
        assert err is None and out["statusCode"] == 400, (label, out)
        assert json.loads(out["body"])["field"] in body, (label, out)
    # a bad query value
    ev = load_api(fn, caller)
    ev["queryStringParameters"] = {"dryRun": "maybe"}
    if caller == "apigw-v1":
        ev["multiValueQueryStringParameters"] = {"dryRun": ["maybe"]}
    else:
        ev["rawQueryString"] = "dryRun=maybe"
    out, err = env.invoke(fn, ev)
    assert err is None and out["statusCode"] == 400, out
    assert json.loads(out["body"])["field"] == "dryRun"
    # a base64 body that is fine
    ev = load_api(fn, caller)
    body = {**json.loads(ev.get("body") or "{}"), "dryRun": True}
    ev["body"] = base64.b64encode(json.dumps(body).encode()).decode()
    ev["isBase64Encoded"] = True
    out, err = env.invoke(fn, ev)
    assert err is None and out["statusCode"] in (200, 404, 409), out
    assert not env.emulator.crashed()


def test_envelope_lookalikes_are_named_errors(env):
    ev = load("suspend-user", "apigw-v2")
    broken = copy.deepcopy(ev)
    broken["requestContext"] = "not an object"
    out, err = env.invoke("suspend-user", broken)
    assert (err == "Input.Invalid") or (err is None and out["statusCode"] == 400), out
    eb = load("suspend-user", "eventbridge")
    eb["resources"] = "not a list"
    out, err = env.invoke("suspend-user", eb)
    assert err == "Input.Invalid", out
    assert not env.emulator.crashed()


def test_non_json_payload_is_refused_before_the_function(env):
    import botocore.exceptions

    with pytest.raises(botocore.exceptions.ClientError) as e:
        env.invoke("suspend-user", b"{not json")
    assert e.value.response["Error"]["Code"] == "InvalidRequestContentException"
    # Straight at the emulator (no proxy): the function reads the event itself and names the error.
    status, _, body = env.invoke_raw("suspend-user", b"{not json")
    assert status == 500 and b"Input.Invalid" in body
    out, err = env.invoke("get-user", {"user": SAM})
    assert err is None


def test_proxy_resolves_arns_and_reports_function_errors(env):
    """What moto's interpreter relies on: a function named by ARN, a function error as 200 + X-Amz-Function-Error."""
    lam = env.client("lambda")
    r = lam.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:get-user",
                   Payload=json.dumps({"user": SAM}))
    assert r["StatusCode"] == 200 and "FunctionError" not in r
    assert r["ResponseMetadata"]["RequestId"]
    r = lam.invoke(FunctionName="arn:aws:lambda:us-east-1:123456789012:function:get-user:$LATEST",
                   Payload=json.dumps({"user": "nobody@acme.example"}))
    assert r["StatusCode"] == 200 and r["FunctionError"] == "Unhandled"
    assert json.loads(r["Payload"].read())["errorType"] == "Okta.NotFound"
