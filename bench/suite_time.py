#!/usr/bin/env python3
"""Where the local flow tests' time goes, and what the harness's moto speed-ups save: runs the same pytest
selection of tests/local with the speed-ups off (LOCALAWS_MOTO_SPEEDUPS=0: moto_server as it is) and on (the
default: tests/local/localaws/moto_speedups.py), and reports for each the wall time, the CPU time of everything the
run started, and each test's duration (setup + call + teardown, from pytest --durations=0); then the ratio on/off
of the totals and the median of the per-test ratios. The machine may be shared: compare CPU and the per-test
medians, not the wall time alone.

    .venv/bin/python bench/suite_time.py                          # the golden traces of offboarding (default)
    .venv/bin/python bench/suite_time.py -k "flows or flow_guards" --json /tmp/suite-time.json
    .venv/bin/python bench/suite_time.py -k "" --modes on        # the whole local suite, speed-ups on only

Needs the debug binaries (cargo build --bins; CARGO_TARGET_DIR is honoured) and the harness's .venv. Writes
bench/suite-time-results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
DURATION = re.compile(r"^([0-9.]+)s (setup|call|teardown)\s+(\S+)$")


def run(selection: str, speedups: bool) -> dict:
    """One pytest run of the selection: wall and CPU seconds, and each test's seconds."""
    env = dict(os.environ, LOCALAWS_MOTO_SPEEDUPS="1" if speedups else "0", LOCALAWS_QUIET="1")
    argv = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "--durations=0", "tests/local"]
    if selection:
        argv += ["-k", selection]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.monotonic()
    done = subprocess.run(argv, cwd=REPO, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    tests: dict[str, float] = {}
    for line in done.stdout.splitlines():
        match = DURATION.match(line.strip())
        if match:
            tests[match.group(3)] = tests.get(match.group(3), 0.0) + float(match.group(1))
    summary = done.stdout.strip().splitlines()[-1] if done.stdout.strip() else done.stderr[-500:]
    return {"speedups": speedups, "exitCode": done.returncode, "summary": summary, "wallSeconds": round(wall, 1),
            "cpuSeconds": round((after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), 1),
            "testSeconds": round(sum(tests.values()), 1), "tests": {k: round(v, 2) for k, v in tests.items()}}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-k", dest="selection", default="golden and offboarding",
                        help='pytest -k expression ("" for the whole local suite)')
    parser.add_argument("--modes", default="off,on", help="off, on or off,on (default)")
    parser.add_argument("--json", default=str(REPO / "bench" / "suite-time-results.json"))
    args = parser.parse_args()
    modes = [mode.strip() for mode in args.modes.split(",") if mode.strip()]
    runs = {}
    for mode in modes:
        runs[mode] = run(args.selection, speedups=mode == "on")
        print(f"speed-ups {mode}: {runs[mode]['summary']}; wall {runs[mode]['wallSeconds']} s, "
              f"CPU {runs[mode]['cpuSeconds']} s", file=sys.stderr, flush=True)
    results = {"command": " ".join([".venv/bin/python", "bench/suite_time.py", *sys.argv[1:]]),
               "date": time.strftime("%Y-%m-%d"), "cpus": os.cpu_count(), "loadavg": os.getloadavg(),
               "selection": args.selection, "runs": runs}
    if {"off", "on"} <= set(runs):
        off, on = runs["off"], runs["on"]
        both = sorted(set(off["tests"]) & set(on["tests"]))
        ratios = [on["tests"][t] / off["tests"][t] for t in both if off["tests"][t] > 0]
        results["onOverOff"] = {
            "wall": round(on["wallSeconds"] / off["wallSeconds"], 2),
            "cpu": round(on["cpuSeconds"] / off["cpuSeconds"], 2) if off["cpuSeconds"] else None,
            "testSeconds": round(on["testSeconds"] / off["testSeconds"], 2) if off["testSeconds"] else None,
            "perTestMedian": round(statistics.median(ratios), 2) if ratios else None,
            "tests": len(both),
        }
        print(json.dumps(results["onOverOff"]), flush=True)
    Path(args.json).write_text(json.dumps(results, indent=1) + "\n")
    return 0 if all(run_["exitCode"] == 0 for run_ in runs.values()) else 1


if __name__ == "__main__":
    sys.exit(main())
