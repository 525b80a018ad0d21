"""The proxy between moto's interpreter (and the tests) and cargo-lambda's emulator: it makes the emulator look
like real Lambda (function ARN → name, a function error as 200 + `X-Amz-Function-Error`, a request id) and
sends everything else to moto."""

from __future__ import annotations

import json
import re
import threading
import urllib.parse
import uuid
from http.client import HTTPConnection
from http.server import BaseHTTPRequestHandler
from typing import Any, Iterable

from .config import function_arn
from .loopback_http import HOP_BY_HOP, QuietServer

_INVOKE_RE = re.compile(r"^/2015-03-31/functions/([^/]+)/invocations$")


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
                headers = list(headers)
                for k, v in headers:
                    if k.lower() not in HOP_BY_HOP:
                        self.send_header(k, v)
                # A HEAD answer has no body but says the length of the one a GET would get (S3's HeadObject: the
                # bulk flow's list size); every other answer, the length of the body relayed.
                upstream = next((v for k, v in headers if k.lower() == "content-length"), None)
                length = upstream if self.command == "HEAD" and upstream is not None else str(len(body))
                self.send_header("Content-Length", length)
                self.end_headers()
                if self.command != "HEAD":
                    self.wfile.write(body)

            def _forward(self, port: int, path: str, body: bytes, timeout: float,
                         ) -> tuple[int, list[tuple[str, str]], bytes] | None:
                conn = HTTPConnection("127.0.0.1", port, timeout=timeout)
                try:
                    headers = {k: v for k, v in self.headers.items() if k.lower() not in HOP_BY_HOP}
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

        self.server = QuietServer(("127.0.0.1", port), Handler)
        self.port = self.server.server_address[1]
        self.thread = threading.Thread(target=self.server.serve_forever, name="lambda-proxy", daemon=True)

    def start(self) -> "LambdaProxy":
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
