"""The Lambda Runtime API the benchmarks serve to each function process they start: one server (one port) per
process, that queues events, hands them out on `GET /next` with the headers Lambda sends, and timestamps every
step on this process's clock (time.perf_counter_ns) so that bench.py can tell init, first answer and warm latency
apart. (The local test harness runs cargo-lambda's emulator instead: tests/local/localaws/runtime_api.py; it does
not time anything.)"""

from __future__ import annotations

import http.server
import json
import queue
import re
import secrets
import socket
import sys
import threading
import time
import uuid
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "local"))
from localaws.loopback_http import QuietServer as _LoopbackServer  # noqa: E402


class Session:
    """One function process's view of the Runtime API: a queue of events, and what the process sent back."""

    def __init__(self) -> None:
        self.events: queue.Queue = queue.Queue()
        self.answers: queue.Queue = queue.Queue()
        self.first_next_ns: int | None = None
        self.first_next_event = threading.Event()
        self.closed = threading.Event()
        self.served: dict[str, int] = {}
        self.lock = threading.Lock()


class QuietServer(_LoopbackServer):
    daemon_threads = True
    request_queue_size = 64

    def handle_error(self, request, client_address):  # a killed process hangs up: not worth a traceback
        pass


class RuntimeApi:
    """Serves /2018-06-01/runtime/... on 127.0.0.1 for ONE function process: a new one (new port) per process, so
    that a request a killed process sent at its last moment can never take the next process's event."""

    def __init__(self, function_name: str, deadline_ms: int = 30_000) -> None:
        self.session = Session()
        self.function_name = function_name
        self.deadline_ms = deadline_ms
        api = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def setup(self):
                super().setup()
                # One write per response and no Nagle: no 40 ms delayed-ACK stalls on keep-alive connections.
                self.request.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)

            def log_message(self, *args):  # quiet
                pass

            def _reply(self, status: int, body: bytes = b"", headers: dict | None = None) -> None:
                head = [f"HTTP/1.1 {status} {'OK' if status == 200 else 'Accepted' if status == 202 else 'Error'}"]
                head += [f"{key}: {value}" for key, value in (headers or {}).items()]
                head += ["Content-Type: application/json", f"Content-Length: {len(body)}", "", ""]
                try:
                    self.wfile.write("\r\n".join(head).encode() + body)
                    self.wfile.flush()
                except OSError:
                    self.close_connection = True

            def _body(self) -> bytes:
                if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
                    chunks = []
                    while True:
                        size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                        if size == 0:
                            while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                                pass
                            return b"".join(chunks)
                        chunks.append(self.rfile.read(size))
                        self.rfile.readline()
                return self.rfile.read(int(self.headers.get("Content-Length") or 0))

            def do_GET(self):
                arrived = time.perf_counter_ns()
                session = api.session
                if self.path != "/2018-06-01/runtime/invocation/next":
                    self._reply(404, b'{"errorMessage":"not found"}')
                    return
                with session.lock:
                    if session.first_next_ns is None:
                        session.first_next_ns = arrived
                        session.first_next_event.set()
                give_up = time.monotonic() + 120
                while not session.closed.is_set() and time.monotonic() < give_up:
                    try:
                        event = session.events.get(timeout=0.05)
                    except queue.Empty:
                        continue
                    request_id = str(uuid.uuid4())
                    body = json.dumps(event).encode()
                    headers = {
                        "Lambda-Runtime-Aws-Request-Id": request_id,
                        "Lambda-Runtime-Deadline-Ms": str(int(time.time() * 1000) + api.deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn":
                            f"arn:aws:lambda:us-east-1:123456789012:function:{api.function_name}",
                        "Lambda-Runtime-Trace-Id":
                            f"Root=1-{int(time.time()):08x}-{secrets.token_hex(12)};Parent={secrets.token_hex(8)};"
                            "Sampled=0",
                    }
                    session.served[request_id] = time.perf_counter_ns()
                    self._reply(200, body, headers)
                    return
                self.close_connection = True  # the process is gone or the run is over: hang up

            def do_POST(self):
                session = api.session
                body = self._body()
                received = time.perf_counter_ns()
                match = re.fullmatch(r"/2018-06-01/runtime/invocation/([^/]+)/(response|error)", self.path)
                if match:
                    request_id, kind = match.groups()
                    session.answers.put((kind, request_id, received, session.served.get(request_id), body))
                    self._reply(202, b'{"status":"OK"}')
                elif self.path == "/2018-06-01/runtime/init/error":
                    session.answers.put(("init/error", None, received, None, body))
                    self._reply(202, b'{"status":"OK"}')
                else:
                    self._reply(404, b'{"errorMessage":"not found"}')

        self.server = QuietServer(("127.0.0.1", 0), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, kwargs={"poll_interval": 0.05},
                                       daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.session.closed.set()
        self.server.shutdown()
        self.server.server_close()
