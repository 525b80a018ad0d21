"""cargo-lambda's emulator running the real function binaries, and the Runtime API shim in front of it that
gives the functions the deadline real Lambda gives."""

from __future__ import annotations

import os
import re
import shutil
import sys
import threading
import time
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from .config import FUNCTIONS, base_env, binary_path, free_port
from .loopback_http import HOP_BY_HOP, QuietServer
from .processes import Proc, wait_tcp


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
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
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
                        if k.lower() not in HOP_BY_HOP:
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
        self.server = QuietServer(("127.0.0.1", 0), Handler)
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
