"""Processes: own process group, log to a file, killed as a group; every live one is remembered for atexit.
Also the waits for a started process to answer."""

from __future__ import annotations

import atexit
import os
import signal
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

from .config import REPO


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


def install_signal_handlers() -> None:
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
