"""Writes tests/events/<function>/{stepfunctions,apigw-v2,apigw-v1,eventbridge}.json: one request per function,
valid against tests/okta-sim/sample-org.json, in each caller's shape. Run it after changing a case below:

    python tests/local/make_events.py

Each file works as-is with `cargo lambda invoke <function> --data-file tests/events/<function>/<caller>.json`.
"""

from __future__ import annotations

import hashlib
import json
import urllib.parse
from pathlib import Path

EVENTS = Path(__file__).resolve().parents[1] / "events"
ACCOUNT = "123456789012"
REGION = "us-east-1"
API_ID = "k7x2q9w4ab"
REST_API_ID = "r3st9api0d"
CALLER_ARN = f"arn:aws:sts::{ACCOUNT}:assumed-role/okta-lifecycle-operator/jordan.ops"
TIME = "2026-11-27T09:15:00Z"
EPOCH_MS = 1795770900000

SAM = "sam.leaver@acme.example"
JANE = "jane.doe@acme.example"

# function → (method, route, path params, query params, body fields). The path user/group/app and the query and
# body together make the input; the Step Functions and EventBridge fixtures carry the same input as plain JSON.
CASES: dict[str, tuple[str, str, dict, dict, dict]] = {
    "activate-user": ("POST", "/users/{user}/activate", {"user": JANE}, {}, {"sendEmail": True}),
    "add-user-to-group": ("PUT", "/users/{user}/groups/{group}", {"user": JANE, "group": "Engineering"}, {}, {}),
    "assign-app-to-user": ("PUT", "/users/{user}/apps/{app}", {"user": JANE, "app": "Slack"}, {}, {}),
    "clear-user-sessions": ("DELETE", "/users/{user}/sessions", {"user": SAM},
                            {"oauthTokens": "true", "forgetDevices": "true"}, {}),
    "deactivate-user": ("POST", "/users/{user}/deactivate", {"user": SAM}, {}, {"sendEmail": False}),
    "expire-password": ("POST", "/users/{user}/expire-password", {"user": SAM}, {},
                        {"tempPassword": False}),
    "get-user": ("GET", "/users/{user}", {"user": SAM}, {"include": "groups,apps"}, {}),
    "remove-user-from-group": ("DELETE", "/users/{user}/groups/{group}", {"user": SAM, "group": "VPN Users"}, {},
                               {}),
    "reset-password": ("POST", "/users/{user}/reset-password", {"user": SAM}, {},
                       {"sendEmail": True, "revokeSessions": True}),
    "revoke-app-from-user": ("DELETE", "/users/{user}/apps/{app}", {"user": SAM, "app": "Slack"}, {}, {}),
    "suspend-user": ("POST", "/users/{user}/suspend", {"user": SAM}, {}, {}),
    "unsuspend-user": ("POST", "/users/{user}/unsuspend", {"user": "susan.suspended@acme.example"}, {}, {}),
    "unlock-user": ("POST", "/users/{user}/unlock", {"user": "larry.locked@acme.example"}, {}, {}),
    "revoke-user-grants": ("DELETE", "/users/{user}/grants", {"user": SAM}, {}, {}),
    "reset-user-factors": ("POST", "/users/{user}/reset-factors", {"user": SAM}, {}, {}),
    "deactivate-user-devices": ("POST", "/users/{user}/deactivate-devices", {"user": SAM}, {}, {}),
    "transfer-group-ownership": ("POST", "/users/{user}/transfer-group-ownership", {"user": SAM}, {},
                                 {"newOwner": "alice.active@acme.example"}),
    # The offboarding flow passes the plan's group and app ids; ids are the simulator's own, so none here.
    "offboard-user": ("POST", "/users/{user}/offboard", {"user": SAM}, {}, {"suspend": True, "deactivate": False}),
}

# Which flow would send each action (for realistic execution ids and event sources).
FLOW = {
    "activate-user": "onboarding", "add-user-to-group": "onboarding", "assign-app-to-user": "onboarding",
    "clear-user-sessions": "offboarding", "deactivate-user": "offboarding", "expire-password": "leave",
    "get-user": "offboarding", "remove-user-from-group": "offboarding", "reset-password": "return",
    "revoke-app-from-user": "offboarding", "suspend-user": "leave", "unsuspend-user": "return",
    "unlock-user": "return", "revoke-user-grants": "offboarding", "reset-user-factors": "offboarding",
    "deactivate-user-devices": "offboarding", "transfer-group-ownership": "offboarding",
    "offboard-user": "offboarding",
}


def typed(name: str, text: str):
    """A query value as the function reads it, for the plain input."""
    if text in ("true", "false"):
        return text == "true"
    if name == "include":
        return [x for x in text.split(",") if x]
    return text


def plain_input(fn: str) -> dict:
    _, _, path, query, body = CASES[fn]
    out: dict = dict(path)
    out.update({k: typed(k, v) for k, v in query.items()})
    out.update(body)
    return out


def uid(*parts: str) -> str:
    h = hashlib.sha256("/".join(parts).encode()).hexdigest()
    return f"{h[:8]}-{h[8:12]}-{h[12:16]}-{h[16:20]}-{h[20:32]}"


def concrete_path(route: str, path: dict, encode: bool) -> str:
    out = route
    for k, v in path.items():
        out = out.replace("{" + k + "}", urllib.parse.quote(v, safe="") if encode else v)
    return out


def headers(host: str, body: dict) -> dict:
    h = {
        "accept": "application/json",
        "host": host,
        "user-agent": "okta-lifecycle-cli/0.1 (aws-sdk-rust)",
        "x-amz-date": "20261127T091500Z",
        "x-amz-security-token": "IQoJb3JpZ2luX2VjEXAMPLETOKEN",
        "x-amzn-trace-id": "Root=1-6746e3ec-0123456789abcdef01234567",
        "x-forwarded-for": "203.0.113.24",
        "x-forwarded-port": "443",
        "x-forwarded-proto": "https",
    }
    if body:
        h["content-type"] = "application/json"
        h["content-length"] = str(len(json.dumps(body)))
    return h


def apigw_v2(fn: str) -> dict:
    method, route, path, query, body = CASES[fn]
    host = f"{API_ID}.execute-api.{REGION}.amazonaws.com"
    raw_qs = urllib.parse.urlencode(query, safe=",")
    request_id = "Zk" + hashlib.sha256(fn.encode()).hexdigest()[:10] + "="
    ev = {
        "version": "2.0",
        "routeKey": f"{method} {route}",
        "rawPath": concrete_path(route, path, encode=True),
        "rawQueryString": raw_qs,
        "headers": headers(host, body),
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": API_ID,
            "authorizer": {
                "iam": {
                    "accessKey": "ASIAEXAMPLEACCESSKEY",
                    "accountId": ACCOUNT,
                    "callerId": "AROAEXAMPLEROLEID:jordan.ops",
                    "cognitoIdentity": None,
                    "principalOrgId": "o-exampleorg1",
                    "userArn": CALLER_ARN,
                    "userId": "AROAEXAMPLEROLEID:jordan.ops",
                }
            },
            "domainName": host,
            "domainPrefix": API_ID,
            "http": {
                "method": method,
                "path": concrete_path(route, path, encode=False),
                "protocol": "HTTP/1.1",
                "sourceIp": "203.0.113.24",
                "userAgent": "okta-lifecycle-cli/0.1 (aws-sdk-rust)",
            },
            "requestId": request_id,
            "routeKey": f"{method} {route}",
            "stage": "$default",
            "time": "27/Nov/2026:09:15:00 +0000",
            "timeEpoch": EPOCH_MS,
        },
        "pathParameters": dict(path),
        "isBase64Encoded": False,
    }
    if query:
        ev["queryStringParameters"] = dict(query)
    if body:
        ev["body"] = json.dumps(body)
    return ev


def apigw_v1(fn: str) -> dict:
    method, route, path, query, body = CASES[fn]
    host = f"{REST_API_ID}.execute-api.{REGION}.amazonaws.com"
    h = headers(host, body)
    request_id = uid("v1", fn)
    return {
        "resource": route,
        "path": concrete_path(route, path, encode=False),
        "httpMethod": method,
        "headers": h,
        "multiValueHeaders": {k: [v] for k, v in h.items()},
        "queryStringParameters": dict(query) if query else None,
        "multiValueQueryStringParameters": {k: [v] for k, v in query.items()} if query else None,
        "pathParameters": dict(path),
        "stageVariables": None,
        "requestContext": {
            "accountId": ACCOUNT,
            "apiId": REST_API_ID,
            "domainName": host,
            "domainPrefix": REST_API_ID,
            "extendedRequestId": "Bq" + hashlib.sha256(fn.encode()).hexdigest()[:12] + "=",
            "httpMethod": method,
            "identity": {
                "accessKey": "ASIAEXAMPLEACCESSKEY",
                "accountId": ACCOUNT,
                "caller": "AROAEXAMPLEROLEID:jordan.ops",
                "cognitoAuthenticationProvider": None,
                "cognitoAuthenticationType": None,
                "cognitoIdentityId": None,
                "cognitoIdentityPoolId": None,
                "principalOrgId": "o-exampleorg1",
                "sourceIp": "203.0.113.24",
                "user": "AROAEXAMPLEROLEID:jordan.ops",
                "userAgent": "okta-lifecycle-cli/0.1 (aws-sdk-rust)",
                "userArn": CALLER_ARN,
            },
            "path": "/prod" + concrete_path(route, path, encode=False),
            "protocol": "HTTP/1.1",
            "requestId": request_id,
            "requestTime": "27/Nov/2026:09:15:00 +0000",
            "requestTimeEpoch": EPOCH_MS,
            "resourceId": hashlib.sha256(route.encode()).hexdigest()[:6],
            "resourcePath": route,
            "stage": "prod",
        },
        "body": json.dumps(body) if body else None,
        "isBase64Encoded": False,
    }


def eventbridge(fn: str) -> dict:
    return {
        "version": "0",
        "id": uid("eb", fn),
        "detail-type": "Okta Lifecycle Action Requested",
        "source": "acme.hr.lifecycle",
        "account": ACCOUNT,
        "time": TIME,
        "region": REGION,
        "resources": [f"arn:aws:events:{REGION}:{ACCOUNT}:rule/okta-lifecycle-{fn}"],
        "detail": plain_input(fn),
    }


def stepfunctions(fn: str) -> dict:
    out = plain_input(fn)
    out["executionId"] = (f"arn:aws:states:{REGION}:{ACCOUNT}:execution:okta-lifecycle-{FLOW[fn]}:"
                          f"{uid('sfn', fn)}")
    return out


def main() -> None:
    for fn in CASES:
        d = EVENTS / fn
        d.mkdir(parents=True, exist_ok=True)
        for name, build in (("stepfunctions", stepfunctions), ("apigw-v2", apigw_v2), ("apigw-v1", apigw_v1),
                            ("eventbridge", eventbridge)):
            (d / f"{name}.json").write_text(json.dumps(build(fn), indent=2) + "\n")
    print(f"wrote {len(CASES) * 4} fixtures under {EVENTS}")


if __name__ == "__main__":
    main()
