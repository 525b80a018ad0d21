"""The Okta simulator (`tests/okta-sim`) as a process on 127.0.0.1."""

from __future__ import annotations

import re
import threading
import time
import urllib.parse
from pathlib import Path
from typing import Any

from .config import DEFAULT_SEED, DEFAULT_TOKEN, base_env, binary_path
from .processes import Proc


class OktaSim:
    """`okta-sim` on 127.0.0.1; `restart()` brings back the seed's state on the same port (so the functions'
    cached secret stays right)."""

    def __init__(self, log_dir: Path, seed: Path = DEFAULT_SEED, token: str = DEFAULT_TOKEN, port: int = 0,
                 binary: Path | None = None, extra_args: list[str] | None = None, name: str = "okta-sim"):
        """`binary`: the debug build unless given (the benchmarks pass the release one); `extra_args`: more of the
        simulator's options (bench/bulk.py: Okta's limits, a time scale); `name`: of the log file in `log_dir`."""
        self.log_dir = log_dir
        self.extra_args = list(extra_args or [])
        self.name = name
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
            self.proc = Proc(self.name, [str(self.binary), "--listen", f"127.0.0.1:{self.port}",
                                         "--seed", str(self.seed), *self.extra_args],
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
