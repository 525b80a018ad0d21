"""Bulk offboarding at Okta's rate limits: N users offboarded by the real function binaries, at the bulk flow's
concurrency, against the simulator enforcing Okta's buckets, published limits and per-token share (50 % of each
bucket by default, reported as the limit, as Okta does) on a fast clock (see bench/README.md, "Bulk").

Each of K workers plays one item of the bulk flow's Distributed Map running the offboarding flow, state by state as
infra/offboarding.asl.json has them: ResolveUser (get-user), Runbook/GetUser (get-user with groups and apps),
SuspendUser, ClearUserSessions, RemoveUserFromGroup per group, RevokeAppFromUser per direct app, DeactivateUser,
Verify (get-user again). Every step is a Lambda invocation of the real binary through a Lambda Runtime API served
here (one process per sandbox, K sandboxes per function). A failed step is retried as its state's Retry says, read
from the ASL file: the first retrier naming the error, its own attempt count, MaxAttempts retries after the first
attempt, IntervalSeconds × BackoffRate^(n−1) capped at MaxDelaySeconds, full jitter (uniformly 0 to that). An item
fails when a step fails after those retries.

Time runs `--time-scale` times faster for Okta's minute, the flows' Retry intervals and the part of the functions'
deadline (the template's Timeout) that pacing may spend waiting; the 2 s that are real work on any clock (the
functions' 1 s deadline margin and the 1 s they keep for the request itself, retry.rs `fits_before_request`) are
not scaled. So a function may wait as large a part of Okta's window as a real one (28 s of 60).

Reports: the rate-limit lower bound (for each of Okta's buckets, the requests it needed divided by what the stack may
use of it per minute: the token's share, of which OKTA_RATE_LIMIT_SHARE, and no more than the other integration
leaves; the largest, in real seconds at the time scale), the measured time, their ratio, the 429s Okta (the
simulator) answered, failed items, peak concurrent requests, Okta calls and Lambda invocations per user.
"""

from __future__ import annotations

import argparse
import json
import queue
import random
import statistics
import sys
import threading
import time
import urllib.request
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
import bench  # noqa: E402  - the Runtime API server and process helpers
from localaws import Moto, OktaSim  # noqa: E402  - the local harness's simulator and moto start-up (bench.py's path)

REPO = bench.REPO
TOKEN = "00bulk-bench-token-not-a-secret"
FLOW = REPO / "infra" / "offboarding.asl.json"
# The benchmark's steps: the offboarding flow's Lambda states, by their path in the ASL file, and their function.
STATES = {
    "ResolveUser": "get-user", "Runbook/GetUser": "get-user", "Runbook/SuspendUser": "suspend-user",
    "Runbook/ClearUserSessions": "clear-user-sessions",
    "Runbook/RemoveGroups/RemoveUserFromGroup": "remove-user-from-group",
    "Runbook/RevokeApps/RevokeAppFromUser": "revoke-app-from-user", "Runbook/DeactivateUser": "deactivate-user",
    "Runbook/Verify": "get-user",
}
STEPS = sorted(set(STATES.values()))
# Real time in a function's deadline: the deadline margin and the time kept for the request (shared/src/okta).
REAL_DEADLINE_SECONDS = 2.0


def flow_retries(path: Path = FLOW) -> dict[str, list[dict]]:
    """Each Lambda state's Retry list, by its path (Map and Parallel states nest)."""
    found: dict[str, list[dict]] = {}

    def walk(states: dict, prefix: str) -> None:
        for name, state in states.items():
            if state.get("Type") == "Task":
                found[prefix + name] = state.get("Retry", [])
            for key in ("ItemProcessor", "Iterator"):
                if key in state:
                    walk(state[key]["States"], prefix + name + "/")
            for branch in state.get("Branches", []):
                walk(branch["States"], prefix + name + "/")

    walk(json.loads(path.read_text())["States"], "")
    missing = set(STATES) - set(found)
    if missing:
        raise SystemExit(f"{path}: no state {sorted(missing)}; update STATES in bench/bulk.py")
    return found


def retry_delay(retriers: list[dict], error: str, counts: dict[int, int]) -> float | None:
    """Seconds Step Functions waits before the next attempt after `error`, or None when the state fails."""
    for index, retrier in enumerate(retriers):
        if error in retrier["ErrorEquals"] or "States.ALL" in retrier["ErrorEquals"]:
            done = counts.get(index, 0)
            if done >= retrier.get("MaxAttempts", 3):
                return None
            counts[index] = done + 1
            delay = retrier.get("IntervalSeconds", 1) * retrier.get("BackoffRate", 2.0) ** done
            if "MaxDelaySeconds" in retrier:
                delay = min(delay, retrier["MaxDelaySeconds"])
            if retrier.get("JitterStrategy") == "FULL":
                delay = random.uniform(0, delay)
            return delay
    return None


def function_timeout(template: Path = REPO / "template.yaml") -> float:
    """The functions' Timeout from the template's Globals (the one line `    Timeout: N` under Function)."""
    in_globals = False
    for line in template.read_text().splitlines():
        if line.startswith("Globals:"):
            in_globals = True
        elif in_globals and line.startswith("    Timeout:"):
            return float(line.split(":", 1)[1])
        elif in_globals and line and not line.startswith(" ") and not line.startswith("#"):
            break
    raise SystemExit("template.yaml: no Globals Function Timeout")


def seed_file(path: Path, users: int) -> list[str]:
    logins = [f"leaver{i:05d}@acme.example" for i in range(users)]
    seed = {
        "org": "bulk benchmark",
        "users": [{"login": login, "status": "ACTIVE", "sessions": 1} for login in logins],
        "groups": [{"name": "Everyone", "type": "BUILT_IN"}]
        + [{"name": f"Team {t}", "members": logins[t::4]} for t in range(4)]
        + [{"name": "All staff", "members": logins}],
        "apps": [{"label": "Slack", "name": "slack", "users": logins[::2]},
                 {"label": "Jira", "name": "jira", "users": logins[1::2]}],
    }
    path.write_text(json.dumps(seed))
    return logins


class Pool:
    """K sandboxes (processes) of one function, each with its own Runtime API; one invocation at a time each."""

    def __init__(self, function: str, size: int, env: dict, log_dir: Path, deadline_ms: int) -> None:
        self.function = function
        self.idle: queue.Queue = queue.Queue()
        self.procs = []
        binary = REPO / "target" / "debug" / function
        for i in range(size):
            api = bench.RuntimeApi(function, deadline_ms)
            log = open(log_dir / f"{function}-{i}.log", "w")  # noqa: SIM115 - closed with the process
            proc = bench.spawn([str(binary)], env=bench.lambda_env(function, {
                **env, "AWS_LAMBDA_RUNTIME_API": f"127.0.0.1:{api.port}"}), stdout=log, stderr=log)
            self.procs.append((proc, api))
            self.idle.put(api)

    def invoke(self, event: dict) -> tuple[str, dict]:
        api = self.idle.get()
        try:
            api.session.events.put(event)
            kind, _, _, _, body = api.session.answers.get(timeout=120)
            return kind, json.loads(body)
        finally:
            self.idle.put(api)

    def close(self) -> None:
        for proc, api in self.procs:
            bench.kill(proc)
            api.close()


def control(sim_url: str, path: str, body=None, method: str = "GET"):
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(sim_url + path, data=data, method=method,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=30) as response:
        raw = response.read()
        return json.loads(raw) if raw else None


def offboard(pools: dict, login: str, stats: dict, lock: threading.Lock) -> str | None:
    """One item: the offboarding flow's steps. Returns None, or the error name that failed the item."""
    calls = 0
    invocations = 0

    def step(state: str, payload: dict) -> dict:
        nonlocal calls, invocations
        counts: dict[int, int] = {}
        while True:
            invocations += 1
            kind, answer = pools[STATES[state]].invoke(payload)
            if kind == "response":
                calls += len(answer.get("oktaRequestIds", []))
                return answer
            error = answer.get("errorType", "") or kind
            delay = retry_delay(stats["retries"][state], error, counts)
            if delay is None:
                raise StepFailed(error)
            with lock:
                stats["retried"][error] = stats["retried"].get(error, 0) + 1
            time.sleep(delay / stats["time_scale"])

    try:
        resolved = step("ResolveUser", {"user": login})
        user_id = resolved["user"]["id"]
        user = step("Runbook/GetUser", {"user": user_id, "include": ["groups", "apps"]})
        if user["user"]["statusBefore"] == "ACTIVE":
            step("Runbook/SuspendUser", {"user": user_id})
        step("Runbook/ClearUserSessions", {"user": user_id})
        for group in user.get("groups", []):
            if group.get("type") == "OKTA_GROUP":
                step("Runbook/RemoveGroups/RemoveUserFromGroup", {"user": user_id, "group": group["id"]})
        for app in user.get("apps", []):
            if app.get("scope") == "USER":
                step("Runbook/RevokeApps/RevokeAppFromUser", {"user": user_id, "app": app["id"]})
        step("Runbook/DeactivateUser", {"user": user_id})
        after = step("Runbook/Verify", {"user": user_id, "include": ["groups", "apps"]})
        if after["user"]["statusBefore"] != "DEPROVISIONED" or after.get("apps"):
            raise StepFailed("Offboarding.Incomplete")
        return None
    except StepFailed as failure:
        return str(failure)
    finally:
        with lock:
            stats["calls"].append(calls)
            stats["invocations"].append(invocations)


class StepFailed(Exception):
    pass


RATE_LIMIT_TABLE = "okta-lifecycle-OktaRateLimitTable"


def create_rate_limit_table(moto_url: str) -> None:
    """template.yaml's OktaRateLimitTable, in moto: one item per org, string key `org`."""
    import boto3  # the harness's .venv has it (tests/requirements.txt)

    boto3.client("dynamodb", endpoint_url=moto_url, region_name="us-east-1", aws_access_key_id="testing",
                 aws_secret_access_key="testing").create_table(
        TableName=RATE_LIMIT_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "org", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "org", "KeyType": "HASH"}])


def run(args, background: float, share: int, log_dir: Path) -> dict:
    seed = log_dir / "bulk-org.json"
    logins = seed_file(seed, args.users)
    sim = OktaSim(log_dir, seed=seed, token=TOKEN, binary=REPO / "target/debug/okta-sim",
                  name=f"okta-sim-{background}",
                  extra_args=["--okta-limits", "--time-scale", str(args.time_scale), "--latency-ms",
                              str(args.latency_ms), "--background-load", str(background),
                              "--client-share-percent", str(args.client_share)]).start()
    sim_url = sim.url
    env = {"OKTA_ORG_URL": sim_url, "OKTA_API_TOKEN": TOKEN, "OKTA_SIM_TIME_SCALE": str(args.time_scale),
           "OKTA_CONCURRENT_CALLERS": str(args.concurrency), "OKTA_RATE_LIMIT_SHARE": str(share),
           "AWS_LAMBDA_LOG_FORMAT": "JSON", "RUST_LOG": "warn"}
    moto = None
    if not args.no_rate_limit_table:
        # As deployed: the processes share what they heard through the template's OktaRateLimitTable (moto here).
        moto = Moto(log_dir, speedups=False, executable=REPO / ".venv/bin/moto_server").start()
        create_rate_limit_table(moto.url)
        env.update({"AWS_ENDPOINT_URL": moto.url, "OKTA_RATE_LIMIT_TABLE": RATE_LIMIT_TABLE})
    timeout = function_timeout()
    deadline_ms = int(1000 * (REAL_DEADLINE_SECONDS + (timeout - REAL_DEADLINE_SECONDS) / args.time_scale))
    pools = {f: Pool(f, args.concurrency, env, log_dir, deadline_ms) for f in STEPS}
    try:
        # A new clock and new counters from here.
        control(sim_url, "/__sim/limits", {"timeScale": args.time_scale, "latencyMs": args.latency_ms,
                                           "backgroundLoad": background,
                                           "clientSharePercent": args.client_share}, "PUT")
        stats = {"calls": [], "invocations": [], "retried": {}, "time_scale": args.time_scale,
                 "retries": flow_retries()}
        lock = threading.Lock()
        work: queue.Queue = queue.Queue()
        for login in logins:
            work.put(login)
        failed: dict[str, int] = {}

        def worker():
            while True:
                try:
                    login = work.get_nowait()
                except queue.Empty:
                    return
                error = offboard(pools, login, stats, lock)
                if error:
                    with lock:
                        failed[error] = failed.get(error, 0) + 1

        started = time.monotonic()
        threads = [threading.Thread(target=worker) for _ in range(args.concurrency)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        measured = time.monotonic() - started
        report = control(sim_url, "/__sim/limits")
    finally:
        for pool in pools.values():
            pool.close()
        sim.stop()
        if moto:
            moto.stop()
    bound_minutes, binding = 0.0, ""
    for family in report["families"]:
        # What this stack may use: its API token's share of the bucket (Okta's ceiling for one client, reported as
        # the limit) of which OKTA_RATE_LIMIT_SHARE percent, and no more than the other integration leaves.
        budget = min(family["clientLimitPerMinute"] * share / 100, family["limitPerMinute"] * (1 - background))
        minutes = family["admitted"] / budget if budget else 0
        if minutes > bound_minutes:
            bound_minutes, binding = minutes, family["family"]
    bound = bound_minutes * 60 / args.time_scale
    return {
        "users": args.users, "concurrency": args.concurrency, "timeScale": args.time_scale,
        "backgroundLoad": background, "rateLimitShare": share, "clientSharePercent": args.client_share,
        "latencyMs": args.latency_ms,
        "rateLimitTable": not args.no_rate_limit_table,
        "functionDeadlineMs": deadline_ms,
        "bindingFamily": binding, "lowerBoundSeconds": round(bound, 2), "measuredSeconds": round(measured, 2),
        "ratio": round(measured / bound, 3) if bound else None,
        "okta429": report["rateLimited"] + report["concurrencyLimited"],
        "okta429Rate": report["rateLimited"], "okta429Share": report["shareLimited"],
        "okta429Concurrency": report["concurrencyLimited"],
        "retriedByTheFlow": stats["retried"], "failedItems": failed,
        "backgroundRefused": report["backgroundRefused"],
        "peakConcurrentRequests": report["peakConcurrentRequests"],
        "oktaCallsPerUser": {"median": statistics.median(stats["calls"]), "max": max(stats["calls"])},
        "lambdaInvocationsPerUser": {"median": statistics.median(stats["invocations"]),
                                     "max": max(stats["invocations"])},
        "families": report["families"],
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=8, help="the bulk flow's BulkMaxConcurrency")
    parser.add_argument("--time-scale", type=float, default=10.0, help="Okta minutes per real minute (the real 2 s of each function deadline are not scaled)")
    parser.add_argument("--latency-ms", type=int, default=5, help="real ms each Okta request takes")
    parser.add_argument("--background", default="0:100,0.5:100",
                        help="runs as background-load:OKTA_RATE_LIMIT_SHARE pairs, comma-separated")
    parser.add_argument("--client-share", type=int, default=50,
                        help="percent of each bucket Okta lets the stack's API token use (Okta's default: 50)")
    parser.add_argument("--no-rate-limit-table", action="store_true",
                        help="each function process paces on its own view (no shared OktaRateLimitTable)")
    args = parser.parse_args()
    log_dir = bench.OUT / "logs" / "bulk"
    log_dir.mkdir(parents=True, exist_ok=True)
    results = []
    for pair in args.background.split(","):
        background, share = float(pair.split(":")[0]), int(pair.split(":")[1])
        bench.log(f"bulk: {args.users} users, concurrency {args.concurrency}, background load {background}, "
                  f"share {share} %")
        result = run(args, background, share, log_dir)
        bench.log(json.dumps({k: v for k, v in result.items() if k != "families"}))
        results.append(result)
    (bench.BENCH / "bulk-results.json").write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(not r["failedItems"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
