#!/usr/bin/env python3
"""Instructions to a cold start's first answer, per connection form, counted by callgrind.

    python3 bench/instructions.py [--functions get-user,suspend-user] [--reps 3]

Runs `bench/run.sh` with every Rust command under callgrind (`bench/callgrind-wrap.sh`): `--reps` cold starts of
each row (env, secret, oauth, oauth-secret and the floor), no warm invocation after them. Writes
bench/instructions.md: the median count of each row, and what a form adds to the one it builds on: the secret to the
same credential from the environment (secret over env, oauth-secret over oauth), the service app to the API token
(oauth over env).
Unlike the wall clock, which moves by a millisecond from run to run on a shared machine, the counts repeat to
~0.1%, so they show what a change costs or saves. Needs valgrind (apt-get install valgrind). Callgrind's CPU lacks
some of the real one's extensions, so crypto (aws-lc) counts run higher than on the hardware; compare rows and runs,
not instructions with milliseconds.
"""

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import time
from collections import defaultdict
from pathlib import Path

BENCH = Path(__file__).resolve().parent
REPO = BENCH.parent
FORMS = ["env", "secret", "oauth", "oauth-secret"]
# What each form is compared with: the same credential from the environment, or (oauth) the API token.
BASE = {"secret": "env", "oauth": "env", "oauth-secret": "oauth"}


def counts(folder: Path) -> dict[tuple[str, str], list[int]]:
    """Each (form, binary)'s totals, in start order, the benchmark's discarded first start and its warm-latency
    process left out."""
    found: dict[tuple[str, str], list[tuple[int, int]]] = defaultdict(list)
    for path in folder.iterdir():
        parts = path.name.split(".")
        if len(parts) != 3 or parts[0] not in FORMS:
            continue
        form, binary, pid = parts
        total = next(int(line.split()[1]) for line in path.read_text(errors="replace").splitlines()
                     if line.startswith("summary:"))
        found[(form, binary)].append((int(pid), total))
    # The first process of each row is the benchmark's discarded start (page cache), the last its warm-latency run (a
    # cold start and its warm invocations): both left out.
    return {key: [total for _, total in sorted(runs)[1:-1]] for key, runs in found.items()}


def commit() -> str:
    done = subprocess.run(["git", "-C", str(REPO), "rev-parse", "--short", "HEAD"], capture_output=True, text=True)
    changed = subprocess.run(["git", "-C", str(REPO), "status", "--porcelain", "--untracked-files=no"],
                             capture_output=True, text=True).stdout.strip()
    return (done.stdout.strip() or "unknown") + (" with uncommitted changes" if changed else "")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--functions", default="get-user")
    parser.add_argument("--reps", type=int, default=3)
    parser.add_argument("--markdown", default=str(BENCH / "instructions.md"))
    args = parser.parse_args()
    if not shutil.which("valgrind"):
        print("instructions.py: needs valgrind (apt-get install valgrind)", file=sys.stderr)
        return 2
    out = BENCH / "out/callgrind"
    shutil.rmtree(out, ignore_errors=True)
    out.mkdir(parents=True)
    command = ["bash", str(BENCH / "run.sh"), "--reps", str(args.reps), "--few", "0", "--warm", "1",
               "--functions", args.functions, "--no-python", "--wrap", f"{BENCH / 'callgrind-wrap.sh'} {out}",
               "--json", str(out / "bench.json"), "--markdown", str(out / "bench.md")]
    with open(out / "run.log", "wb") as log:
        done = subprocess.run(command, stdout=log, stderr=subprocess.STDOUT)
    # The functions finish (and callgrind writes) once the runtime API they poll is gone, just after run.sh.
    deadline = time.monotonic() + 60
    while subprocess.run(["pgrep", "-f", f"callgrind-out-file={out}"], capture_output=True).returncode == 0:
        if time.monotonic() > deadline:
            print("instructions.py: callgrind still running after 60 s", file=sys.stderr)
            return 1
        time.sleep(0.5)
    if done.returncode != 0:
        print(f"instructions.py: run.sh failed, see {out / 'run.log'}", file=sys.stderr)
        return 1
    rows = counts(out)
    lines = [
        f"Instructions to a cold start's first answer (callgrind, `python3 bench/instructions.py --functions "
        f"{args.functions} --reps {args.reps}`, {time.strftime('%Y-%m-%dT%H:%M:%S%z')}, commit {commit()}; median "
        f"of {args.reps} cold starts, whole process: the loader, every thread). Extra = over the same function in "
        "the form named.",
        "",
        "| Function | Form | Instructions (M) | Extra (M) | Spread of the runs |",
        "| --- | --- | ---: | ---: | ---: |",
    ]
    for (form, binary), runs in sorted(rows.items(), key=lambda item: (item[0][1], FORMS.index(item[0][0]))):
        median = statistics.median(runs)
        base = rows.get((BASE.get(form, ""), binary))
        extra = f"{(median - statistics.median(base)) / 1e6:+.2f} over {BASE[form]}" if base else ""
        spread = f"{(max(runs) - min(runs)) / median:.2%}"
        # The floor has no Okta connection: its form is a label of the wrapper's, not a variant.
        shown = "(none: echoes its event)" if binary == "floor" else form
        lines.append(f"| {binary} | {shown} | {median / 1e6:.2f} | {extra} | {spread} |")
    Path(args.markdown).write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
