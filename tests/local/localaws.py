r"""Local AWS for okta-lifecycle: the Okta simulator, moto (Secrets Manager + Step Functions) and the real
Lambda binaries under cargo-lambda's emulator, wired together on 127.0.0.1 only.

    from localaws import LocalAws

    with LocalAws() as env:                      # starts everything, tears it all down on exit
        out, err = env.invoke("suspend-user", {"user": "sam.leaver@acme.example"})
        execution = env.start_flow("offboarding", {"user": "sam.leaver@acme.example", "eventId": "hr-42"})
        status, result = env.wait(execution)     # ("SUCCEEDED", output) or ("FAILED", {"error", "cause"})
        env.sim_state()                          # GET /__sim/state
        env.sim_fault(route="/api/v1/users/{id}/lifecycle/suspend", kind={"status": 503})

Layout (all loopback):

    tests / demo --boto3--> LambdaProxy :P --(Lambda Invoke)--> cargo lambda watch :E --> function binaries
                                       \--(anything else)----> moto_server :M
    moto's Step Functions interpreter --(every SDK call, to localhost:$MOTO_PORT = :P)--> LambdaProxy
    function binaries --(Secrets Manager, AWS_ENDPOINT_URL = :M)--> moto_server
    function binaries --(Okta API, orgUrl from the secret)--> okta-sim :S

The proxy makes cargo-lambda's emulator look like real Lambda to the interpreter: it rewrites a function named by
ARN to its name, turns the emulator's HTTP 500 for a function error into 200 + `X-Amz-Function-Error: Unhandled`,
and adds an `x-amzn-RequestId`. Every other request goes to moto unchanged.

Processes are started in their own process groups and killed as groups on exit (context manager, atexit, and
SIGTERM/SIGHUP while a LocalAws is running).
"""

from __future__ import annotations

import atexit
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.parse
import uuid
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any, Iterable

REPO = Path(__file__).resolve().parents[2]
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


# ---------------------------------------------------------------------------------------------------------------
# Processes: own process group, log to a file, killed as a group; every live one is remembered for atexit.

_LIVE: set["Proc"] = set()
_LIVE_LOCK = threading.Lock()


class Proc:
    def __init__(self, name: str, argv: list[str], env: dict[str, str], log_dir: Path, cwd: Path = REPO,
                 stdout_pipe: bool = False):
        self.name = name
        self.argv = argv
        self.log_path = log_dir / f"{name}.log"
        self._log = open(self.log_path, "ab")
        self.popen = subprocess.Popen(
            argv, env=env, cwd=str(cwd), stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE if stdout_pipe else self._log, stderr=self._log,
            start_new_session=True,
        )
        with _LIVE_LOCK:
            _LIVE.add(self)

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def log_tail(self, n: int = 40) -> str:
        try:
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-n:])
        except OSError:
            return ""

    def stop(self, timeout: float = 5.0) -> None:
        if self.popen.poll() is None:
            try:
                os.killpg(self.popen.pid, signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                pass
        # The group may outlive its leader (cargo-lambda's children): always finish it off.
        try:
            os.killpg(self.popen.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        try:
            self.popen.wait(2)
        except subprocess.TimeoutExpired:
            pass
        if self.popen.stdout:
            self.popen.stdout.close()
        self._log.close()
        with _LIVE_LOCK:
            _LIVE.discard(self)


def _kill_all() -> None:
    with _LIVE_LOCK:
        procs = list(_LIVE)
    for p in procs:
        try:
            p.stop(timeout=2)
        except Exception:  # noqa: BLE001 - best effort at exit
            pass


atexit.register(_kill_all)


def _install_signal_handlers() -> None:
    """SIGTERM/SIGHUP run the atexit clean-up too (a plain SIGTERM would skip it)."""
    if threading.current_thread() is not threading.main_thread():
        return
    for sig in (signal.SIGTERM, signal.SIGHUP):
        if signal.getsignal(sig) in (signal.SIG_DFL, None):
            signal.signal(sig, lambda signum, frame: sys.exit(128 + signum))


def wait_http(url: str, timeout: float, proc: Proc | None = None, what: str = "") -> None:
    import requests

    deadline = time.monotonic() + timeout
    last: Exception | None = None
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what or proc.name} exited ({proc.popen.returncode}):\n{proc.log_tail()}")
        try:
            requests.get(url, timeout=2)
            return
        except requests.RequestException as e:
            last = e
            time.sleep(0.1)
    raise TimeoutError(f"{what or url} not answering after {timeout}s: {last}"
                       + (f"\n{proc.log_tail()}" if proc else ""))


def wait_tcp(port: int, timeout: float, proc: Proc | None = None, what: str = "") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and not proc.alive():
            raise RuntimeError(f"{what or proc.name} exited ({proc.popen.returncode}):\n{proc.log_tail()}")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            time.sleep(0.1)
    raise TimeoutError(f"{what} not listening on 127.0.0.1:{port} after {timeout}s"
                       + (f"\n{proc.log_tail()}" if proc else ""))


# ---------------------------------------------------------------------------------------------------------------
# The Okta simulator.

class OktaSim:
    """`okta-sim` on 127.0.0.1; `restart()` brings back the seed's state on the same port (so the functions'
    cached secret stays right)."""

    def __init__(self, log_dir: Path, seed: Path = DEFAULT_SEED, token: str = DEFAULT_TOKEN, port: int = 0,
                 binary: Path | None = None):
        self.log_dir = log_dir
        self.seed = Path(seed)
        self.token = token
        self.port = port
        self.binary = binary or binary_path("okta-sim")
        self.proc: Proc | None = None
        self.url = ""

    def start(self) -> "OktaSim":
        if not self.binary.exists():
            raise FileNotFoundError(f"{self.binary} not built (cargo build --bins)")
        if not self.seed.exists():
            raise FileNotFoundError(f"seed {self.seed} missing")
        last = ""
        for _ in range(20):  # the old socket may take a moment to free after a restart
            self.proc = Proc("okta-sim", [str(self.binary), "--listen", f"127.0.0.1:{self.port}",
                                          "--seed", str(self.seed)],
                             base_env(OKTA_SIM_TOKEN=self.token, RUST_LOG="warn"), self.log_dir, stdout_pipe=True)
            line = self._read_ready_line(timeout=15)
            if line:
                m = re.search(r"listening on (http://127\.0\.0\.1:(\d+))", line)
                if not m:
                    self.proc.stop()
                    raise RuntimeError(f"okta-sim: unexpected first line {line!r}")
                self.url, self.port = m.group(1), int(m.group(2))
                return self
            last = self.proc.log_tail()
            self.proc.stop()
            time.sleep(0.2)
        raise RuntimeError(f"okta-sim did not start:\n{last}")

    def _read_ready_line(self, timeout: float) -> str:
        assert self.proc and self.proc.popen.stdout
        result: list[str] = []

        def reader() -> None:
            line = self.proc.popen.stdout.readline()  # type: ignore[union-attr]
            result.append(line.decode(errors="replace").strip())

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        t.join(timeout)
        return result[0] if result else ""

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
            self.proc = None

    def restart(self) -> None:
        """A fresh org from the seed, same URL and token."""
        self.stop()
        self.start()

    # control plane ------------------------------------------------------------------------------------------
    def _ctl(self, method: str, path: str, body: Any = None) -> Any:
        import requests

        r = requests.request(method, self.url + path, json=body, timeout=10)
        if r.status_code >= 400:
            raise RuntimeError(f"okta-sim {method} {path}: {r.status_code} {r.text}")
        return r.json() if r.content else None

    def state(self) -> dict:
        return self._ctl("GET", "/__sim/state")

    def calls(self) -> dict:
        return self._ctl("GET", "/__sim/calls")

    def requests(self) -> list:
        return self._ctl("GET", "/__sim/requests")

    def reset_counters(self) -> None:
        self._ctl("POST", "/__sim/reset-counters")

    def fault(self, kind: Any, route: str | None = None, method: str | None = None, times: int = 1) -> None:
        """kind: {"status": 503} | {"rateLimited": {"resetInSecs": 1}} | {"latencyMs": 300} | "drop"."""
        self._ctl("POST", "/__sim/faults", {"matcher": {"method": method, "route": route}, "times": times,
                                            "kind": kind})

    def clear_faults(self) -> None:
        self._ctl("DELETE", "/__sim/faults")

    def okta_limits(self, config: dict | None) -> None:
        """Okta's published per-family limits from now on (`LimitsConfig`: overrides, timeScale, ...); None: off."""
        self._ctl("PUT", "/__sim/limits", config)

    def rate_limit(self, per_minute: int | None, route: str | None = None) -> None:
        self._ctl("PUT", "/__sim/rate-limit", {"perMinute": per_minute, "route": route})

    def set_status(self, user: str, status: str) -> None:
        self._ctl("POST", f"/__sim/users/{urllib.parse.quote(user, safe='')}/status", {"status": status})

    # views of the state -------------------------------------------------------------------------------------
    def user(self, login_or_id: str, state: dict | None = None) -> dict:
        state = state or self.state()
        for u in state["users"]:
            if login_or_id in (u["id"], u["login"]):
                return u
        raise KeyError(login_or_id)

    def groups_of(self, login_or_id: str, state: dict | None = None) -> set[str]:
        state = state or self.state()
        uid = self.user(login_or_id, state)["id"]
        return {g["name"] for g in state["groups"] if uid in g["members"]}

    def apps_of(self, login_or_id: str, state: dict | None = None, scope: str | None = None) -> set[str]:
        state = state or self.state()
        uid = self.user(login_or_id, state)["id"]
        return {a["label"] for a in state["apps"]
                for x in a["assignments"] if x["userId"] == uid and (scope is None or x["scope"] == scope)}


# ---------------------------------------------------------------------------------------------------------------
# The proxy between moto's interpreter (and the tests) and cargo-lambda's emulator.

class _QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            return  # a client went away (a function killed at tear-down)
        super().handle_error(request, client_address)


_INVOKE_RE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")
_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
        "content-length"}


def function_name_of(raw: str) -> str:
    """`arn:aws:lambda:REGION:ACCOUNT:function:NAME[:QUALIFIER]`, `ACCOUNT:function:NAME` or `NAME[:QUALIFIER]`
    → NAME."""
    name = urllib.parse.unquote(raw)
    m = re.match(r"^(?:arn:aws[\w-]*:lambda:[\w-]+:\d{12}:function:|\d{12}:function:)?([A-Za-z0-9_-]+)", name)
    return m.group(1) if m else name


class LambdaProxy:
    def __init__(self, moto_port: int, emulator_port: int, port: int = 0):
        self.moto_port = moto_port
        self.emulator_port = emulator_port
        self.invocations: list[dict] = []  # (function, status, function_error) for debugging
        self.on_invoke = lambda name: None  # told before each invoke is sent (wakes the function's poll)
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:  # quiet
                pass

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                path, _, query = self.path.partition("?")
                m = _INVOKE_RE.match(path)
                if m:
                    self._invoke(function_name_of(m.group(1)), body)
                else:
                    self._forward(proxy.moto_port, self.path, body, timeout=120)

            do_GET = do_POST = do_PUT = do_DELETE = do_PATCH = do_HEAD = _handle

            def _send(self, status: int, headers: Iterable[tuple[str, str]], body: bytes) -> None:
                self.send_response(status)
                for k, v in headers:
                    if k.lower() not in _HOP:
                        self.send_header(k, v)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self, port: int, path: str, body: bytes, timeout: float,
                         ) -> tuple[int, list[tuple[str, str]], bytes] | None:
                conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    headers["Host"] = f"127.0.0.1:{port}"
                    conn.request(self.command, path, body=body if body or self.command in ("POST", "PUT") else None,
                                 headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    self._send(r.status, r.getheaders(), data)
                except OSError as e:
                    self._send(502, [("Content-Type", "application/json")],
                               json.dumps({"message": f"proxy: {e}"}).encode())
                finally:
                    conn.close()
                return None

            def _invoke(self, name: str, body: bytes) -> None:
                invocation_type = self.headers.get("X-Amz-Invocation-Type", "RequestResponse")
                if body.strip():
                    try:
                        json.loads(body)
                    except RecursionError:
                        pass  # nested deeper than Python's parser recurses: still JSON, and Lambda passes it on
                    except (UnicodeDecodeError, json.JSONDecodeError) as e:
                        # Real Lambda refuses a payload that is not JSON before any function runs.
                        self._send(400, [("Content-Type", "application/json"),
                                         ("x-amzn-ErrorType", "InvalidRequestContentException"),
                                         ("x-amzn-RequestId", str(uuid.uuid4()))],
                                   json.dumps({"Type": "User", "message": f"Could not parse request body into "
                                                                          f"json: {e}"}).encode())
                        return
                conn = HTTPConnection("127.0.0.1", proxy.emulator_port, timeout=900)
                request_id = str(uuid.uuid4())
                waker = threading.Timer(0.005, proxy.on_invoke, args=(name,))
                waker.start()
                try:
                    headers = {"Content-Type": "application/json",
                               "X-Amz-Invocation-Type": "RequestResponse"}
                    conn.request("POST", f"/2015-03-31/functions/{name}/invocations", body=body, headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    status = r.status
                except OSError as e:
                    status, data = 502, json.dumps({"errorType": "Proxy.EmulatorUnreachable",
                                                    "errorMessage": str(e)}).encode()
                finally:
                    conn.close()
                out = [("Content-Type", "application/json"), ("x-amzn-RequestId", request_id),
                       ("X-Amz-Executed-Version", "$LATEST")]
                fn_error = None
                if status == 500:
                    fn_error = "Unhandled"  # the emulator's way of saying the function failed
                    out.append(("X-Amz-Function-Error", fn_error))
                    status = 200
                elif status == 404:
                    data = json.dumps({"Type": "User", "Message": f"Function not found: {function_arn(name)}"}
                                      ).encode()
                    out.append(("x-amzn-ErrorType", "ResourceNotFoundException"))
                elif status != 200:
                    out.append(("x-amzn-ErrorType", "ServiceException"))
                if invocation_type == "Event" and status == 200:
                    status, data = 202, b""
                proxy.invocations.append({"function": name, "status": status, "functionError": fn_error})
                self._send(status, out, data)

        self.server = _QuietServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="lambda-proxy", daemon=True)

    def start(self) -> "LambdaProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# ---------------------------------------------------------------------------------------------------------------
# moto_server.

class Moto:
    def __init__(self, log_dir: Path, interpreter_port: int, port: int = 0):
        self.log_dir = log_dir
        self.port = port or free_port()
        self.interpreter_port = interpreter_port
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> "Moto":
        # moto_server with the aws-sdk integrations' PascalCase put back (tests/local/moto_server.py says why).
        argv = [sys.executable, str(Path(__file__).resolve().parent / "moto_server.py"), "-H", "127.0.0.1",
                "-p", str(self.port)]
        # MOTO_PORT is where the Step Functions interpreter sends its SDK calls: the proxy.
        self.proc = Proc("moto", argv, base_env(MOTO_PORT=str(self.interpreter_port)), self.log_dir)
        wait_http(self.url + "/moto-api/", 60, self.proc, "moto_server")
        import requests

        r = requests.post(self.url + "/moto-api/config", json={"stepfunctions": {"execute_state_machine": True}},
                          timeout=10)
        r.raise_for_status()
        return self

    def stop(self) -> None:
        if self.proc:
            self.proc.stop()
            self.proc = None


# ---------------------------------------------------------------------------------------------------------------
# cargo-lambda's emulator and the functions.

def cargo_lambda() -> list[str]:
    exe = shutil.which("cargo-lambda", path=str(Path(sys.executable).parent)) or shutil.which("cargo-lambda")
    if not exe:
        raise FileNotFoundError("cargo-lambda not found (pip install cargo-lambda)")
    return [exe, "lambda"]


class RuntimeApiShim:
    """Between the function binaries and cargo-lambda's Runtime API: passes everything through, except that the
    `Lambda-Runtime-Deadline-Ms` of `/invocation/next` becomes what real Lambda sends, an epoch time in ms.
    cargo-lambda sends a relative 600000 there, which the Lambda runtime reads as 1970 + 10 min: a deadline long
    past, and the functions answer `Okta.Transient: no time left before the deadline` without calling Okta.
    Set LOCALAWS_RAW_DEADLINE=1 to see the emulator's header as is."""

    def __init__(self, emulator_port: int, deadline_ms: int = 60_000):
        shim = self
        self.emulator_port = emulator_port
        self.deadline_ms = deadline_ms

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, fmt: str, *args: Any) -> None:
                pass

            def _once(self, body: bytes) -> tuple[int, list[tuple[str, str]], bytes]:
                conn = HTTPConnection("127.0.0.1", shim.emulator_port, timeout=60)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in _HOP}
                    conn.request(self.command, self.path, body=body if self.command != "GET" else None,
                                 headers=headers)
                    r = conn.getresponse()
                    data = r.read()
                    out = []
                    for k, v in r.getheaders():
                        if k.lower() == "lambda-runtime-deadline-ms" and os.environ.get("LOCALAWS_RAW_DEADLINE") != "1":
                            v = str(int(time.time() * 1000) + shim.deadline_ms)
                        out.append((k, v))
                    return r.status, out, data
                except OSError as e:
                    return 502, [], str(e).encode()
                finally:
                    conn.close()

            def _handle(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                m = re.match(r"^/\.rt/([^/]+)/2018-06-01/runtime/invocation/next", self.path)
                if m and self.command == "GET":
                    # The emulator answers 204 at once when nothing is queued, and the runtime asks again at
                    # once: a busy loop per function. Hold the poll here instead, until the proxy says an
                    # invoke is on its way (or every 250 ms, for invokes sent straight to the emulator).
                    event = shim.event(m.group(1))
                    fast_until = 0.0
                    while not shim.stopped:
                        status, out, data = self._once(body)
                        # Only a 200 is an invocation. The emulator ends a poll it held for its 60 s timeout with
                        # an error (502 here when it did not answer at all); passed on, that answer has no request
                        # id, the runtime panics and the function is gone for the rest of the session.
                        if status == 200:
                            break
                        if time.monotonic() < fast_until:
                            time.sleep(0.003)
                            continue
                        if event.wait(0.25):
                            event.clear()
                            fast_until = time.monotonic() + 1.0
                    else:
                        return
                else:
                    status, out, data = self._once(body)
                try:
                    self.send_response(status)
                    for k, v in out:
                        if k.lower() not in _HOP:
                            self.send_header(k, v)
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                except OSError:
                    pass  # the function went away

            do_GET = do_POST = do_PUT = _handle

        self.stopped = False
        self._events: dict[str, threading.Event] = {}
        self._events_lock = threading.Lock()
        self.server = _QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        threading.Thread(target=self.server.serve_forever, name="runtime-shim", daemon=True).start()

    def event(self, function: str) -> threading.Event:
        with self._events_lock:
            return self._events.setdefault(function, threading.Event())

    def wake(self, function: str) -> None:
        """An invoke for `function` is being sent to the emulator: fetch it now."""
        self.event(function).set()

    def stop(self) -> None:
        self.stopped = True
        self.server.shutdown()
        self.server.server_close()


class Emulator:
    """cargo-lambda's Lambda emulator on 127.0.0.1.

    mode "binaries" (default): `cargo lambda watch --only-lambda-apis` serves the Invoke and Runtime APIs; the
    prebuilt debug binaries are started here, one per function, with `AWS_LAMBDA_RUNTIME_API` pointing at it.
    No cargo at test time (no waiting on the shared target dir's lock), and a crashed function is seen as a
    crash (`crashed()`), not silently rebuilt.

    mode "watch": `cargo lambda watch` starts each function itself (`cargo run --bin NAME`) on its first invoke.
    """

    def __init__(self, log_dir: Path, function_env: dict[str, str], functions: list[str] = FUNCTIONS,
                 mode: str = "binaries", port: int = 0):
        self.log_dir = log_dir
        self.function_env = function_env
        self.functions = functions
        self.mode = mode
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None
        self.fn_procs: dict[str, Proc] = {}
        self.shim: RuntimeApiShim | None = None

    def start(self) -> "Emulator":
        argv = cargo_lambda() + ["watch", "--invoke-address", "127.0.0.1", "--invoke-port", str(self.port),
                                 "--ignore-changes", "--disable-cors", "--timeout", "60"]
        env = base_env()
        if self.mode == "binaries":
            argv.append("--only-lambda-apis")
        else:
            argv += ["--quiet"]
            for k, v in self.function_env.items():
                argv += ["--env-var", f"{k}={v}"]
        self.proc = Proc("cargo-lambda", argv, env, self.log_dir)
        # Its HTTP routes all belong to functions (a GET / would wait for a function "_"): wait for the port.
        wait_tcp(self.port, 60, self.proc, "cargo lambda watch")
        if self.mode == "binaries":
            self.shim = RuntimeApiShim(self.port)
            for name in self.functions:
                self.start_function(name)
        return self

    def start_function(self, name: str) -> None:
        old = self.fn_procs.pop(name, None)
        if old:
            old.stop()
        path = binary_path(name)
        if not path.exists():
            raise FileNotFoundError(f"{path} not built (cargo build --bins)")
        env = base_env(**self.function_env)
        env.update({
            "AWS_LAMBDA_RUNTIME_API": f"http://127.0.0.1:{self.shim.port if self.shim else self.port}/.rt/{name}",
            "AWS_LAMBDA_FUNCTION_NAME": name,
            "AWS_LAMBDA_FUNCTION_VERSION": "$LATEST",
            "AWS_LAMBDA_FUNCTION_MEMORY_SIZE": "256",
            "AWS_LAMBDA_LOG_GROUP_NAME": f"/aws/lambda/{name}",
            "AWS_LAMBDA_LOG_STREAM_NAME": "local",
        })
        self.fn_procs[name] = Proc(f"fn-{name}", [str(path)], env, self.log_dir)

    def crashed(self) -> dict[str, int]:
        """Functions whose process has exited, with the exit code."""
        return {n: p.popen.returncode for n, p in self.fn_procs.items() if not p.alive()}

    def stop(self) -> None:
        for p in self.fn_procs.values():
            p.stop(timeout=2)
        self.fn_procs.clear()
        if self.shim:
            self.shim.stop()
            self.shim = None
        if self.proc:
            self.proc.stop()
            self.proc = None


# ---------------------------------------------------------------------------------------------------------------
# The template: DefinitionSubstitutions → function names.

def _template_text(template: Path) -> str:
    return template.read_text()


STACK = "okta-lifecycle"
LEDGER_TABLE = f"{STACK}-LedgerTable"


def definition_substitutions(template: Path = REPO / "template.yaml") -> dict[str, dict[str, Any]]:
    """{state machine logical id: {"definition": path, "flow": name, "subs": {placeholder: value}}}, with values as
    they would be deployed as stack `okta-lifecycle`: a function's `!GetAtt X.Arn` becomes
    `arn:aws:lambda:us-east-1:123456789012:function:<binary name>`, a state machine's `!Ref` its ARN, a role's
    `!GetAtt X.Arn` a role ARN, another resource's `!Ref` its Name (with ${AWS::StackName} filled in).

    Parsed with a small reader of our own (the template's !GetAtt/!Ref/!Sub tags need a custom YAML loader): enough
    for `DefinitionUri`/`DefinitionSubstitutions` blocks and the functions' `CodeUri`.
    """
    text = _template_text(template)
    resources = _resources_blocks(text)
    machines: dict[str, dict[str, Any]] = {}
    for lid, (rtype, block) in resources.items():
        if rtype not in ("AWS::Serverless::StateMachine", "AWS::StepFunctions::StateMachine"):
            continue
        m = re.search(r"^\s*(?:DefinitionUri|DefinitionS3Location):\s*(\S+)", block, re.M)
        definition = (template.parent / m.group(1).strip("'\"")) if m else None
        machines[lid] = {"definition": definition, "flow": flow_name_of(definition) if definition else lid,
                         "subs": {}}

    defaults = _parameter_defaults(text)

    def resolve(val: str) -> str:
        ref = re.match(r"^!(?:GetAtt\s+([A-Za-z0-9]+)\.Arn|Ref\s+([A-Za-z0-9]+))$", val)
        if not ref:
            return _sub(val.strip("'\""))
        target = ref.group(1) or ref.group(2)
        if ref.group(2) and target in defaults:
            return defaults[target]
        rtype, block = resources.get(target, ("", ""))
        # Functions made by the template's Fn::ForEach loop are not top-level blocks: <Name>Function is functions/<name>.
        if rtype in ("AWS::Serverless::Function", "AWS::Lambda::Function") or (not rtype and target.endswith("Function")):
            return function_arn(_function_binary_name(target, block))
        if target in machines:
            return state_machine_arn(machines[target]["flow"])
        if rtype == "AWS::S3::Bucket":
            return f"{STACK}-{target}".lower()
        if rtype == "AWS::IAM::Role":
            return f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{target}"
        nm = re.search(r"^\s*Name:\s*(.+?)\s*$", block, re.M)
        if nm:
            return _sub(re.sub(r"^!Sub\s+", "", nm.group(1)).strip("'\""))
        return f"{STACK}-{target}"

    for lid, m in machines.items():
        block = resources[lid][1]
        sm = re.search(r"^(\s*)DefinitionSubstitutions:\s*\n((?:\1\s+.*\n?)+)", block, re.M)
        if sm:
            for line in sm.group(2).splitlines():
                kv = re.match(r"^\s*([A-Za-z0-9_]+):\s*(.+?)\s*$", line)
                if kv:
                    m["subs"][kv.group(1)] = resolve(kv.group(2))
    return machines


def _parameter_defaults(text: str) -> dict[str, str]:
    """{parameter: its Default}, as a stack deployed with no overrides gets them."""
    m = re.search(r"^Parameters:\s*\n((?:(?:  .*)?\n)+)", text, re.M)
    out: dict[str, str] = {}
    if not m:
        return out
    for pm in re.finditer(r"^  ([A-Za-z0-9]+):\s*\n((?:(?:    .*)?\n)+)", m.group(1), re.M):
        d = re.search(r"^    Default:\s*(.*?)\s*$", pm.group(2), re.M)
        if d:
            out[pm.group(1)] = d.group(1).strip("'\"")
    return out


# What moto's Step Functions interpreter cannot run, replaced locally (and said so in the tests that rely on it):
# moto 5.2.5 refuses ItemReader InputType JSONL ("'JSONL' is not a valid InputTypeValue"), so the local bulk flow
# reads a JSON array; the JSONL reader itself is AWS's, configured by the template parameter BulkInputType.
LOCAL_SUBSTITUTIONS = {"BulkInputType": "JSON"}

def outcomes(report: Any) -> list[str]:
    """Every `outcome` anywhere in a flow's report (what the bulk flow's `$..outcome` reads too)."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if isinstance(v.get("outcome"), str):
                found.append(v["outcome"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(report)
    return found


# What the template creates for the bulk flow, under the names the state machine's substitutions give them.
BULK_BUCKET = "okta-lifecycle-bulkbucket"
BULK_TABLE = "okta-lifecycle-BulkCountsTable"


def create_bulk_resources(env: "LocalAws") -> None:
    """The bulk flow's input/results bucket and counts table (the template's BulkBucket and BulkCountsTable)."""
    env.client("s3").create_bucket(Bucket=BULK_BUCKET)
    # Versioned, as the template's (issue 25): a real run reads the object version its dry run read.
    env.client("s3").put_bucket_versioning(Bucket=BULK_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    env.client("dynamodb").create_table(
        TableName=BULK_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "run", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "run", "KeyType": "HASH"}])


def _sub(text: str) -> str:
    return (text.replace("${AWS::StackName}", STACK).replace("${AWS::Region}", REGION)
            .replace("${AWS::AccountId}", ACCOUNT).replace("${AWS::Partition}", "aws"))


def state_machine_arn(flow: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-{flow}"


def _resources_blocks(text: str) -> dict[str, tuple[str, str]]:
    m = re.search(r"^Resources:\s*\n", text, re.M)
    if not m:
        return {}
    body = text[m.end():]
    end = re.search(r"^\S", body, re.M)
    body = body[: end.start()] if end else body
    out: dict[str, tuple[str, str]] = {}
    for rm in re.finditer(r"^  ([A-Za-z0-9]+):\s*\n((?:(?:    .*)?\n)+)", body, re.M):
        block = rm.group(2)
        tm = re.search(r"^    Type:\s*['\"]?([\w:]+)", block, re.M)
        out[rm.group(1)] = (tm.group(1) if tm else "", block)
    return out


def _function_binary_name(logical_id: str, block: str) -> str:
    """The binary behind a function resource: from CodeUri (`functions/<name>` or cargo-lambda's
    Metadata.BinaryName), else the logical id in kebab case without a `Function` suffix."""
    m = re.search(r"^\s*BinaryName:\s*['\"]?([\w-]+)", block, re.M)
    if m:
        return m.group(1)
    m = re.search(r"^\s*CodeUri:\s*['\"]?\.?/?functions/([\w-]+)", block, re.M)
    if m:
        return m.group(1)
    base = re.sub(r"Function$", "", logical_id)
    return re.sub(r"(?<!^)(?=[A-Z])", "-", base).lower()


def flow_name_of(definition: Path) -> str:
    """`infra/onboarding.asl.json` → `onboarding`."""
    return definition.name.split(".")[0]


def render_definition(definition: Path, subs: dict[str, str]) -> str:
    text = definition.read_text()

    def repl(m: re.Match) -> str:
        key = m.group(1)
        if key not in subs:
            raise KeyError(f"{definition.name}: ${{{key}}} has no DefinitionSubstitutions entry")
        return subs[key]

    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", repl, text)


# ---------------------------------------------------------------------------------------------------------------
# Everything together.

class LocalAws:
    """Starts the simulator, moto, the proxy and the functions; `close()` (or leaving the `with`) stops them."""

    def __init__(self, seed: Path | str = DEFAULT_SEED, token: str = DEFAULT_TOKEN, mode: str | None = None,
                 functions: list[str] = FUNCTIONS + FLOW_STEP_FUNCTIONS, flows: bool = True,
                 template: Path = REPO / "template.yaml",
                 log_dir: Path | str | None = None, connection: str | None = None):
        self.seed = Path(seed)
        self.token = token
        # The form of the connection secret: an API token, or a service app with or without DPoP.
        self.connection = connection or os.environ.get("OKTA_LOCAL_CONNECTION", "api-token")
        if self.connection not in CONNECTIONS:
            raise ValueError(f"connection {self.connection!r}: expected one of {', '.join(CONNECTIONS)}")
        self.mode = mode or os.environ.get("LOCALAWS_MODE", "binaries")
        self.functions = functions
        self.want_flows = flows
        self.template = template
        self._own_log_dir = log_dir is None
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="localaws-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.sim: OktaSim | None = None
        self.moto: Moto | None = None
        self.proxy: LambdaProxy | None = None
        self.emulator: Emulator | None = None
        self.state_machines: dict[str, str] = {}  # flow name → state machine ARN
        self._clients: dict[str, Any] = {}

    # lifecycle ----------------------------------------------------------------------------------------------
    def __enter__(self) -> "LocalAws":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> "LocalAws":
        _install_signal_handlers()
        t0 = time.monotonic()
        self.sim = OktaSim(self.log_dir, self.seed, self.token).start()
        log(f"okta-sim at {self.sim.url}")
        moto_port, emulator_port = free_port(), free_port()
        self.proxy = LambdaProxy(moto_port, emulator_port).start()
        self.moto = Moto(self.log_dir, interpreter_port=self.proxy.port, port=moto_port).start()
        log(f"moto at {self.moto.url}; proxy at http://127.0.0.1:{self.proxy.port}")
        self.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=json.dumps(self.secret()))
        self.create_table(RATE_LIMIT_TABLE, key="org")
        # The flows' ledger, as the template names it for the state machines (!Ref LedgerTable) and the functions
        # (OKTA_LEDGER_TABLE): activate-user and unsuspend-user read it (issue 25).
        self.create_table(LEDGER_TABLE)
        fn_env = dict(DUMMY_AWS_ENV)
        fn_env.update({"OKTA_SECRET_ID": SECRET_ID, "AWS_ENDPOINT_URL": self.moto.url, "RUST_LOG": "info",
                       "OKTA_RATE_LIMIT_TABLE": RATE_LIMIT_TABLE, "OKTA_LEDGER_TABLE": LEDGER_TABLE,
                       # The template names the stack (issue 25): executionIds of other stacks are refused.
                       "OKTA_STACK_NAME": STACK,
                       # On here (off by default when deployed), so that the tests prove a flow never receives a
                       # link or password even when direct callers may.
                       "OKTA_ALLOW_CREDENTIAL_RETURN": "true",
                       "OKTA_PROTECTED_GROUPS": "Break Glass",
                       # Grants are closed unless listed (issue 25): the flow tests grant the sample org's groups
                       # and apps, as a deployment that opens its lists with * would.
                       "OKTA_GRANTABLE_GROUPS": "*", "OKTA_GRANTABLE_APPS": "*"})
        self.emulator = Emulator(self.log_dir, fn_env, self.functions, self.mode, port=emulator_port).start()
        if self.emulator.shim:
            self.proxy.on_invoke = self.emulator.shim.wake
        log(f"cargo-lambda emulator at {self.emulator.url} ({self.mode}, {len(self.functions)} functions)")
        if self.want_flows:
            self.create_flows()
        log(f"ready in {time.monotonic() - t0:.1f}s; logs in {self.log_dir}")
        return self

    def secret(self) -> dict:
        """The connection secret of the chosen form, as an operator would store it."""
        if self.connection == "api-token":
            return {"orgUrl": self.sim.url, "apiToken": self.token}
        client_id, key_file, key_id = SERVICE_APPS[self.connection]
        secret = {"orgUrl": self.sim.url, "clientId": client_id,
                  "privateKey": (REPO / "tests" / "okta-sim" / "keys" / key_file).read_text()}
        if key_id:
            secret["keyId"] = key_id
        return secret

    def close(self) -> None:
        for part in (self.emulator, self.moto, self.sim):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # noqa: BLE001
                    log(f"stopping {type(part).__name__}: {e}")
        if self.proxy is not None:
            self.proxy.stop()
        self.emulator = self.moto = self.sim = self.proxy = None
        if self._own_log_dir and os.environ.get("LOCALAWS_KEEP_LOGS") != "1":
            shutil.rmtree(self.log_dir, ignore_errors=True)

    # AWS side -----------------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """Where SDK clients go: the proxy (Lambda Invoke → emulator, the rest → moto)."""
        assert self.proxy
        return f"http://127.0.0.1:{self.proxy.port}"

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.endpoint, aws_access_key_id="testing",
                aws_secret_access_key="testing", aws_session_token="testing",
                config=Config(retries={"max_attempts": 1}, read_timeout=120, connect_timeout=5))
        return self._clients[service]

    def invoke(self, function: str, payload: Any) -> tuple[Any, str | None]:
        """Lambda Invoke through the proxy. Returns (payload, None) on success, or (error payload, errorType) when
        the function failed. `payload` may be raw bytes/str to send something that is not JSON."""
        data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        r = self.client("lambda").invoke(FunctionName=function, Payload=data)
        body = r["Payload"].read()
        try:
            out = json.loads(body) if body else None
        except json.JSONDecodeError:
            out = body.decode(errors="replace")
        if r.get("FunctionError"):
            return out, (out.get("errorType") if isinstance(out, dict) else None) or r["FunctionError"]
        return out, None

    def invoke_raw(self, function: str, payload: bytes | str) -> tuple[int, dict[str, str], bytes]:
        """POST straight to the emulator (no proxy): status, headers, body as it answered."""
        import requests

        assert self.emulator
        r = requests.post(f"{self.emulator.url}/2015-03-31/functions/{function}/invocations", data=payload,
                          timeout=120)
        return r.status_code, dict(r.headers), r.content

    def create_flows(self) -> dict[str, str]:
        """Creates one state machine per flow of the template (`okta-lifecycle-<flow>`), and what they refer to
        (the schedule group)."""
        sfn = self.client("stepfunctions")
        machines = definition_substitutions(self.template) if self.template.exists() else {}
        for lid, m in machines.items():
            path = m["definition"]
            if not path or not Path(path).exists():
                log(f"flow {lid} skipped: no definition {path}")
                continue
            try:
                subs = {**m["subs"], **{k: v for k, v in LOCAL_SUBSTITUTIONS.items() if k in m["subs"]}}
                body = render_definition(Path(path), subs)
            except KeyError as e:
                log(f"flow {m['flow']} skipped: {e}")
                continue
            for key, val in m["subs"].items():
                if key.startswith("ScheduleGroup"):
                    try:
                        self.client("scheduler").create_schedule_group(Name=val)
                    except Exception:  # noqa: BLE001 - already there
                        pass
                if key.endswith("TableName"):
                    self.create_table(val)
            arn = sfn.create_state_machine(name=f"{STACK}-{m['flow']}", definition=body,
                                           roleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{lid}Role")["stateMachineArn"]
            self.state_machines[m["flow"]] = arn
        if machines:
            log(f"state machines: {', '.join(sorted(self.state_machines))}")
        return self.state_machines

    def create_table(self, name: str, key: str = "pk") -> None:
        """A table of the template: the flows' ledger (LedgerTable, key `pk`) or the rate-limit table (`org`)."""
        ddb = self.client("dynamodb")
        if name in ddb.list_tables()["TableNames"]:
            return
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])

    def clear_tables(self) -> None:
        """Empties every table (the ledger, the rate limits), e.g. with a fresh simulator: the org it described is
        gone."""
        ddb = self.client("dynamodb")
        for name in ddb.list_tables()["TableNames"]:
            key = ddb.describe_table(TableName=name)["Table"]["KeySchema"][0]["AttributeName"]
            for item in ddb.scan(TableName=name).get("Items", []):
                ddb.delete_item(TableName=name, Key={key: item[key]})

    def rate_limits(self) -> dict:
        """The rate-limit table's item of the simulator's org, as numbers, {} when absent."""
        org = self.sim.url.split("://", 1)[1].rstrip("/")
        item = self.client("dynamodb").get_item(TableName=RATE_LIMIT_TABLE, Key={"org": {"S": org}},
                                                ConsistentRead=True).get("Item") or {}
        return {k: int(v["N"]) for k, v in item.items() if "N" in v}

    def ledger(self, pk: str) -> dict:
        """One ledger item as plain values (`user#<id>`, `event#<event id>`), {} when absent."""
        ddb = self.client("dynamodb")
        name = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
        item = ddb.get_item(TableName=name, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item") or {}
        return {k: next(iter(v.values())) for k, v in item.items()}

    def start_flow(self, name: str, input: Any, execution_name: str | None = None) -> str:
        """Starts flow `name` (e.g. "onboarding"); returns the execution ARN."""
        if name not in self.state_machines:
            raise KeyError(f"no state machine {name!r}; have {sorted(self.state_machines)}")
        # Always name it: moto leaves $$.Execution.Id ending in ":None" for an unnamed execution.
        kwargs = {"stateMachineArn": self.state_machines[name], "input": json.dumps(input),
                  "name": execution_name or f"{name}-{uuid.uuid4().hex[:12]}"}
        return self.client("stepfunctions").start_execution(**kwargs)["executionArn"]

    def wait(self, execution: str, timeout: float = 120) -> tuple[str, Any]:
        """Polls DescribeExecution: ("SUCCEEDED", output) or (status, {"error", "cause"})."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            d = sfn.describe_execution(executionArn=execution)
            status = d["status"]
            if status != "RUNNING":
                if status == "SUCCEEDED":
                    return status, json.loads(d.get("output") or "null")
                cause = d.get("cause")
                try:
                    cause = json.loads(cause) if cause else cause
                except (TypeError, json.JSONDecodeError):
                    pass
                return status, {"error": d.get("error"), "cause": cause}
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution} still RUNNING after {timeout}s")
            time.sleep(0.2)

    def run_flow(self, name: str, input: Any, timeout: float = 120) -> tuple[str, Any]:
        return self.wait(self.start_flow(name, input), timeout)

    def history(self, execution: str) -> list[dict]:
        sfn = self.client("stepfunctions")
        events, token = [], None
        while True:
            kw = {"executionArn": execution, "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            r = sfn.get_execution_history(**kw)
            events += r["events"]
            token = r.get("nextToken")
            if not token:
                return events

    def steps(self, execution: str) -> list[dict]:
        """The execution's states in order: [{"state", "type", "status": entered/exited/failed, ...}], for
        printing a run step by step."""
        out = []
        for e in self.history(execution):
            t = e["type"]
            if t.endswith("StateEntered"):
                d = e["stateEnteredEventDetails"]
                out.append({"state": d["name"], "event": t, "input": d.get("input")})
            elif t.endswith("StateExited"):
                d = e["stateExitedEventDetails"]
                out.append({"state": d["name"], "event": t, "output": d.get("output")})
            elif t.endswith("Failed") or t.endswith("TimedOut"):
                key = next((k for k in e if k.endswith("EventDetails")), None)
                out.append({"state": None, "event": t, **(e.get(key) or {})})
        return out

    # simulator ----------------------------------------------------------------------------------------------
    def sim_state(self) -> dict:
        assert self.sim
        return self.sim.state()

    def sim_fault(self, kind: Any, route: str | None = None, method: str | None = None, times: int = 1) -> None:
        assert self.sim
        self.sim.fault(kind, route=route, method=method, times=times)

    def sim_reset(self) -> None:
        """A fresh org from the seed (same URL, so the functions' cached secret stays valid)."""
        assert self.sim
        self.sim.restart()
        if self.state_machines:
            self.clear_tables()


def main(argv: list[str]) -> int:
    """`python tests/local/localaws.py`: start everything and wait (Ctrl-C to stop)."""
    with LocalAws(log_dir=os.environ.get("LOCALAWS_LOG_DIR")) as env:
        print(json.dumps({"okta": env.sim.url, "endpoint": env.endpoint, "emulator": env.emulator.url,
                          "stateMachines": env.state_machines, "logs": str(env.log_dir)}, indent=2), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
