"""moto_server on 127.0.0.1, with its Step Functions interpreter executing state machines, and the local speed-ups
of moto_speedups.py (Retry waits scaled by `LOCALAWS_RETRY_SCALE`, default 0.1; ASL syntax trees parsed once) unless
`speedups=False` (the benchmarks, which use moto for Secrets Manager only)."""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import os

from .config import base_env, free_port
from .processes import Proc, wait_http


# What the Step Functions interpreter's Retry waits are multiplied by (not the lease wait): see moto_speedups.
DEFAULT_RETRY_SCALE = 0.1


class Moto:
    def __init__(self, log_dir: Path, interpreter_port: int = 0, port: int = 0, retry_scale: float | None = None,
                 executable: Path | None = None, speedups: bool = True):
        """`interpreter_port`: where the Step Functions interpreter sends its SDK calls (the proxy), moto itself
        when 0; `executable`: a moto_server other than the one beside this Python (the benchmark's)."""
        self.log_dir = log_dir
        self.executable = executable
        # LOCALAWS_MOTO_SPEEDUPS=0 turns them off (bench/suite_time.py measures the suite both ways).
        self.speedups = speedups and os.environ.get("LOCALAWS_MOTO_SPEEDUPS", "1") != "0"
        self.retry_scale = retry_scale if retry_scale is not None else \
            float(os.environ.get("LOCALAWS_RETRY_SCALE") or DEFAULT_RETRY_SCALE)
        self.port = port or free_port()
        self.interpreter_port = interpreter_port or self.port
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Proc | None = None

    def start(self) -> "Moto":
        listen = ["-H", "127.0.0.1", "-p", str(self.port)]
        # MOTO_PORT is where the Step Functions interpreter sends its SDK calls: the proxy.
        env = base_env(MOTO_PORT=str(self.interpreter_port))
        package_parent = str(Path(__file__).resolve().parent.parent)
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_parent, env.get("PYTHONPATH")]))
        if self.speedups:
            argv = [sys.executable, "-m", "localaws.moto_speedups", str(self.retry_scale), *listen]
        elif self.executable is None:
            # Without the speed-ups, still the aws-sdk tasks' casing as AWS has it (aws_sdk_casing.py).
            argv = [sys.executable, "-m", "localaws.aws_sdk_casing", *listen]
        else:
            exe = self.executable or shutil.which("moto_server", path=str(Path(sys.executable).parent)) \
                or shutil.which("moto_server")
            argv = [str(exe), *listen] if exe else [sys.executable, "-m", "moto.server", *listen]
        self.proc = Proc("moto", argv, env, self.log_dir)
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
