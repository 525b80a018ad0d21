"""Names, places and the environment every part shares: the stack, region and account the tests pretend to
be, the functions and their binaries, dummy AWS credentials, loopback ports, the log line."""

from __future__ import annotations

import os
import socket
import sys
from pathlib import Path


REPO = Path(__file__).resolve().parents[3]
# The stack the tests pretend to be: names and ARNs are those a stack of this name would have.
STACK = "okta-lifecycle"
# The flows' ledger table, as the template names it (!Ref LedgerTable).
LEDGER_TABLE = f"{STACK}-LedgerTable"
REGION = "us-east-1"
ACCOUNT = "123456789012"
SECRET_ID = "okta-lifecycle/okta"
# template.yaml's OktaRateLimitTable: what the function processes heard of Okta's rate limits, one item per org.
RATE_LIMIT_TABLE = "okta-lifecycle-OktaRateLimitTable"
DEFAULT_SEED = REPO / "tests" / "okta-sim" / "sample-org.json"
# The sample org's service apps and their test keys (tests/okta-sim/keys/README.md).
SERVICE_APPS = {
    "dpop": ("0oasimlifecycledpop1", "service-app-ec.pem", "sim-ec-1"),
    "bearer": ("0oasimlifecyclebear1", "service-app-rsa.pem", None),
}
CONNECTIONS = ("api-token", *SERVICE_APPS)
DEFAULT_TOKEN = "00sim-local-test-token-" + "x" * 16

FUNCTIONS = [
    "activate-user",
    "add-user-to-group",
    "assign-app-to-user",
    "clear-user-sessions",
    "deactivate-user",
    "expire-password",
    "get-user",
    "remove-user-from-group",
    "reset-password",
    "revoke-app-from-user",
    "suspend-user",
    "unsuspend-user",
    "unlock-user",
    "revoke-user-grants",
    "reset-user-factors",
    "deactivate-user-devices",
    "transfer-group-ownership",
    "offboard-user",
]

# The flows' decisions (shared/src/flows/): no Okta, no AWS; the state machines call it, the tests of the 13 Okta
# actions above do not.
FLOW_STEP_FUNCTIONS = ["flow-step"]

# Dummy credentials: nothing started here can reach AWS.
DUMMY_AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "AWS_EC2_METADATA_DISABLED": "true",
}
# Variables that could send something elsewhere or change credentials; removed from every child's environment.
_SCRUB = ("AWS_PROFILE", "AWS_CONFIG_FILE", "AWS_SHARED_CREDENTIALS_FILE", "AWS_ENDPOINT_URL", "AWS_CA_BUNDLE",
          "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI", "AWS_CONTAINER_CREDENTIALS_FULL_URI", "AWS_WEB_IDENTITY_TOKEN_FILE",
          "AWS_ROLE_ARN", "HTTP_PROXY", "HTTPS_PROXY", "http_proxy", "https_proxy", "ALL_PROXY", "all_proxy")


def log(msg: str) -> None:
    if os.environ.get("LOCALAWS_QUIET") != "1":
        print(f"[localaws] {msg}", file=sys.stderr, flush=True)


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def base_env(**extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in _SCRUB and not k.startswith("AWS_ENDPOINT_URL")}
    env.update(DUMMY_AWS_ENV)
    env["NO_PROXY"] = env["no_proxy"] = "127.0.0.1,localhost"
    env.update(extra)
    return env


def function_arn(name: str) -> str:
    return f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"


def target_dir() -> Path:
    return Path(os.environ.get("CARGO_TARGET_DIR") or REPO / "target")


def binary_path(name: str) -> Path:
    """A debug binary; LOCALAWS_BIN_DIR overrides where they are looked for."""
    base = Path(os.environ["LOCALAWS_BIN_DIR"]) if os.environ.get("LOCALAWS_BIN_DIR") else target_dir() / "debug"
    return base / name
