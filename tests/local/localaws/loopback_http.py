"""What the harness's two HTTP relays (the Lambda proxy, the Runtime API shim) share: a threaded server that
ignores clients going away, and the hop-by-hop headers a relay must not pass on."""

from __future__ import annotations

import sys
from http.server import ThreadingHTTPServer
from typing import Any


class QuietServer(ThreadingHTTPServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        exc = sys.exc_info()[1]
        if isinstance(exc, (BrokenPipeError, ConnectionResetError)):
            return  # a client went away (a function killed at tear-down)
        super().handle_error(request, client_address)


HOP_BY_HOP = {"connection", "keep-alive", "proxy-connection", "transfer-encoding", "te", "trailer", "upgrade", "host",
        "content-length"}
