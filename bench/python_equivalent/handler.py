"""The Python equivalent of the `get-user` and `suspend-user` Rust functions, for the benchmark in bench/.

Written the way such a handler is usually written: module-level clients built at import time (the Lambda init
phase), `requests` for Okta, boto3 for Secrets Manager. It does the same Okta calls as the Rust functions for the
benchmark's inputs (GET /api/v1/users/{login}; suspend-user with dryRun only reads) and answers the same kind of JSON.
It is a benchmark subject, not a supported implementation: no retries, no pagination, no search fallback.

Connection, as in the Rust crate: `OKTA_SECRET_ID` (a Secrets Manager secret {"orgUrl", "apiToken"}, read on first
use and cached) or, for local runs, `OKTA_ORG_URL` + `OKTA_API_TOKEN`.
"""

import json
import os
import time
from urllib.parse import quote

import requests

SECRET_ID = os.environ.get("OKTA_SECRET_ID", "").strip()
SECRET_TTL = int(os.environ.get("OKTA_SECRET_TTL_SECONDS", "300"))

if SECRET_ID:
    # boto3 is part of the Lambda Python runtime; import it and build the client at init, as people do. Done only
    # when a secret is named, like the Rust crate, which builds its Secrets Manager client only in that case.
    import boto3

    SECRETS = boto3.client("secretsmanager")
else:
    SECRETS = None

HTTP = requests.Session()
HTTP.headers.update({"Accept": "application/json", "User-Agent": "okta-lifecycle-python/0.1.0"})
TIMEOUT = (3.0, 10.0)

_cached = None  # (org_url, token, fetched_at)


def _connection():
    global _cached
    if SECRETS is None:
        return os.environ["OKTA_ORG_URL"].rstrip("/"), os.environ["OKTA_API_TOKEN"]
    if _cached is None or time.monotonic() - _cached[2] > SECRET_TTL:
        secret = json.loads(SECRETS.get_secret_value(SecretId=SECRET_ID)["SecretString"])
        _cached = (secret["orgUrl"].rstrip("/"), secret["apiToken"], time.monotonic())
    return _cached[0], _cached[1]


class OktaError(Exception):
    pass


def _get_user(login):
    org_url, token = _connection()
    response = HTTP.get(
        f"{org_url}/api/v1/users/{quote(login, safe='')}",
        headers={"Authorization": f"SSWS {token}"},
        timeout=TIMEOUT,
    )
    request_id = response.headers.get("X-Okta-Request-Id")
    if response.status_code == 404:
        raise OktaError(f"Okta.NotFound: no Okta user has the id or login {login!r}")
    response.raise_for_status()
    return response.json(), [request_id] if request_id else []


def _summary(user, status_after):
    return {
        "id": user["id"],
        "login": user["profile"]["login"],
        "statusBefore": user["status"],
        "statusAfter": status_after,
    }


def _output(action, user, status_after, changed, dry_run, message, request_ids):
    return {
        "action": action,
        "user": _summary(user, status_after),
        "changed": changed,
        "dryRun": dry_run,
        "message": message,
        "oktaRequestIds": request_ids,
    }


def get_user(event, context):
    user, request_ids = _get_user(event["user"])
    output = _output("get-user", user, user["status"], False, bool(event.get("dryRun", False)), "read", request_ids)
    profile = user.get("profile", {})
    output["properties"] = {
        "id": user["id"],
        "status": user["status"],
        "login": profile.get("login"),
        "email": profile.get("email"),
        "firstName": profile.get("firstName"),
        "lastName": profile.get("lastName"),
        **{key: user.get(key) for key in (
            "created", "activated", "statusChanged", "lastLogin", "lastUpdated", "passwordChanged",
            "transitioningToStatus",
        )},
        "profile": profile,
    }
    return output


def suspend_user(event, context):
    user, request_ids = _get_user(event["user"])
    dry_run = bool(event.get("dryRun", False))
    status = user["status"]
    if status == "SUSPENDED":
        return _output("suspend-user", user, status, False, dry_run, "unchanged: the user is already SUSPENDED",
                       request_ids)
    if status != "ACTIVE":
        raise OktaError(f"Okta.NotApplicable: {user['id']} cannot suspend-user: the user is {status}")
    if dry_run:
        return _output("suspend-user", user, "SUSPENDED", True, True, f"would suspend: {status} to SUSPENDED",
                       request_ids)
    org_url, token = _connection()
    response = HTTP.post(
        f"{org_url}/api/v1/users/{quote(user['id'], safe='')}/lifecycle/suspend",
        headers={"Authorization": f"SSWS {token}"},
        timeout=TIMEOUT,
    )
    response.raise_for_status()
    request_id = response.headers.get("X-Okta-Request-Id")
    if request_id:
        request_ids.append(request_id)
    return _output("suspend-user", user, "SUSPENDED", True, False, f"suspend: {status} to SUSPENDED", request_ids)


_HANDLERS = {"get-user": get_user, "suspend-user": suspend_user}


def lambda_handler(event, context):
    """One deployment, dispatched on the function's name (AWS_LAMBDA_FUNCTION_NAME)."""
    return _HANDLERS[context.function_name](event, context)
