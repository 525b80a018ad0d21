"""Bulk offboarding at Okta's rate limits: N users offboarded by the real function binaries, at the bulk flow's
concurrency, against the simulator enforcing Okta's buckets, published limits and per-token share (50 % of each
bucket by default, reported as the limit, as Okta does) on a fast clock (see bench/README.md, "Bulk").

Each of K workers plays one item of the bulk flow's Distributed Map running the offboarding flow, state by state as
infra/offboarding.asl.json has them (the rewritten flow of issue 24): Admit (the flow-step function), ResolveUser
(get-user), then the runbook: GetUser (get-user with groups and apps), Plan (flow-step), OffboardUser (offboard-user:
the plan's suspension, sessions, factors, devices, groups, apps and deactivation in one invocation),
RevokeUserGrants, TransferGroupOwnership, Verify (get-user again), ReadWhatRemains (get-user) and Report
(flow-step), whose `complete` decides whether the item failed. The Okta calls of issue 27's revocations (grants,
factors, devices, group ownership and their read-back) are reported apart from the runbook's.
The ledger's DynamoDB states call no function and no Okta, and are left out. Every Lambda state is an invocation
of the real binary through a Lambda Runtime API served here (one process per sandbox, K sandboxes per function). A
failed step is retried as its state's Retry says, read from the ASL file: the first retrier naming the error, its
own attempt count, MaxAttempts retries after the first attempt, IntervalSeconds × BackoffRate^(n−1) capped at
MaxDelaySeconds, full jitter (uniformly 0 to that). An item fails when a step fails after those retries (a step
the flow catches is handed to the report, as the flow does).

After the timed run, the leave and return flows run once each for 20 more users of the same org (no limits
counted there): their Okta calls and invocations per user are reported beside the offboarding's, per flow, with
the calls of each state (`perFlow`).

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
from localaws import Moto, OktaSim, binary_path  # noqa: E402  - the local harness's simulator and moto start-up (bench.py's path)

REPO = bench.REPO
TOKEN = "00bulk-bench-token-not-a-secret"
FLOW = REPO / "infra" / "offboarding.asl.json"
# The benchmark's steps: each flow's Lambda states, by their path in its ASL file, and their function.
FLOW_STATES = {
    "offboarding": {
        "Admit": "flow-step", "ResolveUser": "get-user", "Runbook/GetUser": "get-user", "Runbook/Plan": "flow-step",
        "Runbook/OffboardUser": "offboard-user", "Runbook/RevokeUserGrants": "revoke-user-grants",
        "Runbook/TransferGroupOwnership": "transfer-group-ownership", "Runbook/Verify": "get-user",
        "Runbook/ReadWhatRemains": "get-user", "Runbook/Report": "flow-step",
    },
    "leave": {"Admit": "flow-step", "ResolveUser": "get-user", "Runbook/SuspendUser": "suspend-user",
              "Runbook/Report": "flow-step"},
    "return": {"Admit": "flow-step", "ResolveUser": "get-user", "Runbook/UnsuspendUser": "unsuspend-user",
               "Runbook/Report": "flow-step"},
}
STATES = FLOW_STATES["offboarding"]
STEPS = sorted({function for states in FLOW_STATES.values() for function in states.values()})
# Real time in a function's deadline: the deadline margin and the time kept for the request (shared/src/okta).
REAL_DEADLINE_SECONDS = 2.0


def flow_retries(path: Path = FLOW, states: dict[str, str] = STATES) -> dict[str, list[dict]]:
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
    missing = set(states) - set(found)
    if missing:
        raise SystemExit(f"{path}: no state {sorted(missing)}; update FLOW_STATES in bench/bulk.py")
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


LEAVERS_ON_LEAVE = 20  # users of the leave-and-return run, outside the timed offboarding (more than the 8
# sandboxes per function, so that the median is a warm invocation's, as in the offboarding)


def on_leave_logins() -> list[str]:
    return [f"onleave{i:02d}@acme.example" for i in range(LEAVERS_ON_LEAVE)]


def seed_file(path: Path, users: int) -> list[str]:
    logins = [f"leaver{i:05d}@acme.example" for i in range(users)]
    seed = {
        "org": "bulk benchmark",
        "users": [{"login": login, "status": "ACTIVE", "sessions": 1} for login in logins + on_leave_logins()],
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
        binary = binary_path(function)  # target/debug, or CARGO_TARGET_DIR / LOCALAWS_BIN_DIR as the harness
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


class Item:
    """One flow run for one user: its Lambda states in order, each retried as its ASL state says, with the Okta
    calls (`oktaRequestIds`) and invocations counted per state."""

    EXECUTION = "arn:aws:states:us-east-1:000000000000:execution:okta-lifecycle-offboarding:bench"

    def __init__(self, pools: dict, flow: str, stats: dict, lock: threading.Lock) -> None:
        self.pools, self.flow, self.stats, self.lock = pools, flow, stats, lock
        self.calls: dict[str, int] = {}
        self.invocations: dict[str, int] = {}
        # Okta calls of issue 27's revocations (counted apart from the runbook's: its own states, and the factors and
        # devices steps inside OffboardUser, which answers each step's `oktaCalls`).
        self.revocation_calls = 0

    def step(self, state: str, payload: dict, caught: bool = False) -> dict:
        """The state's answer; a failure after the retries raises StepFailed, or is the answer (`Error`, `Cause`)
        when the flow catches it."""
        counts: dict[int, int] = {}
        while True:
            self.invocations[state] = self.invocations.get(state, 0) + 1
            kind, answer = self.pools[FLOW_STATES[self.flow][state]].invoke(payload)
            if kind == "response":
                self.calls[state] = self.calls.get(state, 0) + len(answer.get("oktaRequestIds", []))
                return answer
            error = answer.get("errorType", "") or kind
            delay = retry_delay(self.stats["retries"][self.flow][state], error, counts)
            if delay is None:
                if caught:
                    return {"Error": error, "Cause": json.dumps(answer)}
                raise StepFailed(error)
            with self.lock:
                self.stats["retried"][error] = self.stats["retried"].get(error, 0) + 1
            time.sleep(delay / self.stats["time_scale"])

    def admit(self, login: str, event_id: str) -> dict:
        started = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
        return self.step("Admit", {"step": "admit", "flow": self.flow, "executionStart": started,
                                   "leaseSeconds": 3600,
                                   "input": {"user": login, "eventId": event_id, "eventSource": "bench"}})

    def record(self) -> None:
        with self.lock:
            per_flow = self.stats["perFlow"].setdefault(self.flow, {"calls": [], "invocations": [], "byState": {},
                                                                     "revocationCalls": []})
            per_flow["calls"].append(sum(self.calls.values()))
            per_flow["revocationCalls"].append(self.revocation_calls)
            per_flow["invocations"].append(sum(self.invocations.values()))
            for state in set(self.calls) | set(self.invocations):
                by_state = per_flow["byState"].setdefault(state, {"calls": [], "invocations": []})
                by_state["calls"].append(self.calls.get(state, 0))
                by_state["invocations"].append(self.invocations.get(state, 0))


def offboard(pools: dict, login: str, stats: dict, lock: threading.Lock) -> str | None:
    """One item: the offboarding flow's Lambda states. Returns None, or the error name that failed the item."""
    item = Item(pools, "offboarding", stats, lock)
    try:
        admitted = item.admit(login, f"offboard-{login}")
        user_id = item.step("ResolveUser", {"user": admitted["user"]})["user"]["id"]
        read = item.step("Runbook/GetUser", {"user": user_id, "include": ["groups", "apps"], **caller(admitted)})
        user = {"id": read["user"]["id"], "login": read["user"]["login"], "status": read["properties"]["status"],
                "groups": read["groups"], "apps": read["apps"]}
        plan = item.step("Runbook/Plan", {"step": "plan", "flow": "offboarding", "admitted": admitted,
                                          "user": user})
        state = {"admitted": admitted, "user": user, "plan": plan}
        changes = item.step("Runbook/OffboardUser", {
            "user": user_id, "suspend": plan["suspend"], "resetFactors": plan["resetFactors"],
            "deactivateDevices": plan["deactivateDevices"], "groups": plan["removeGroups"], "apps": plan["revokeApps"],
            "deactivate": plan["deactivate"], **caller(admitted)}, caught=True)
        state["changes"] = changes if "Error" in changes else changes["steps"]
        if "Error" not in changes:
            item.revocation_calls += sum((changes["steps"].get(step) or {}).get("oktaCalls", 0)
                                         for step in ("factors", "devices"))
        for switch, name, key in (("revokeGrants", "Runbook/RevokeUserGrants", "grants"),
                                  ("transferGroupOwnership", "Runbook/TransferGroupOwnership", "ownership")):
            if plan[switch]:
                answer = item.step(name, {"user": user_id, **caller(admitted)}, caught=True)
                state[key] = answer if "Error" in answer else {
                    "changed": answer["changed"], "message": answer["message"], "detail": answer}
                item.revocation_calls += item.calls.get(name, 0)
        after = item.step("Runbook/Verify", {"user": user_id, "include": ["groups", "apps"], **caller(admitted)},
                          caught=True)
        state["after"] = after if "Error" in after else {
            "status": after["properties"]["status"], "groups": after["groups"], "apps": after["apps"]}
        if plan["readRemaining"]:
            read = item.step("Runbook/ReadWhatRemains", {
                "user": user_id, "include": ["clients", "factors", "devices", "ownedGroups"], **caller(admitted)},
                caught=True)
            state["remaining"] = read if "Error" in read else {"read": read}
            item.revocation_calls += item.calls.get("Runbook/ReadWhatRemains", 0)
        report = item.step("Runbook/Report", {"step": "report", "flow": "offboarding",
                                              "executionId": Item.EXECUTION, "state": state})
        return None if report["complete"] else "Offboarding.Incomplete"
    except StepFailed as failure:
        return str(failure)
    finally:
        item.record()


def caller(admitted: dict) -> dict:
    return {"dryRun": admitted["dryRun"], "executionId": Item.EXECUTION, "requestedBy": admitted["requestedBy"]}


def leave_and_return(pools: dict, login: str, stats: dict, lock: threading.Lock) -> None:
    """The leave flow without a returnDate (suspend, no schedule), then the return flow (unsuspend what the leave
    suspended), for one user: their Lambda states as infra/leave.asl.json and infra/return.asl.json have them."""
    for flow, state, result in (("leave", "Runbook/SuspendUser", "suspended"),
                                ("return", "Runbook/UnsuspendUser", "unsuspended")):
        item = Item(pools, flow, stats, lock)
        try:
            admitted = item.admit(login, f"{flow}-{login}")
            subject = item.step("ResolveUser", {"user": admitted["user"]})["user"]
            answer = item.step(state, {"user": subject["id"], **caller(admitted)})
            if not answer["changed"]:
                raise StepFailed(f"{state} changed nothing")
            # As the flows' ResultSelectors keep it.
            outcome = {"changed": answer["changed"], "message": answer["message"],
                       "statusBefore": answer["user"]["statusBefore"], "statusAfter": answer["user"]["statusAfter"]}
            runbook = {"admitted": admitted, "subject": {"id": subject["id"], "login": subject["login"]},
                       result: outcome, **({"deleted": {}} if flow == "return" else {})}
            report = item.step("Runbook/Report", {"step": "report", "flow": flow, "executionId": Item.EXECUTION,
                                                  "state": runbook})
            if not report["complete"]:
                raise StepFailed(f"{flow} incomplete: {json.dumps(report['summary'])}")
        except StepFailed as failure:
            raise SystemExit(f"the {flow} flow failed for {login}: {failure}") from failure
        finally:
            item.record()


class StepFailed(Exception):
    pass


def per_flow(stats: dict) -> dict:
    """Per flow: the median Okta calls and invocations per user, and of each state (medians over the users)."""
    median = statistics.median
    def runbook(found: dict) -> list[int]:
        return [total - apart for total, apart in zip(found["calls"], found["revocationCalls"])]

    return {flow: {
        "users": len(found["calls"]),
        "oktaCallsPerUser": {"median": median(found["calls"]), "max": max(found["calls"])},
        # Issue 24's figure: the runbook as it measured it (read, suspend, sessions, groups, apps, deactivate,
        # verify), without issue 27's revocations, which are counted apart.
        "runbookOktaCallsPerUser": {"median": median(runbook(found)), "max": max(runbook(found))},
        "revocationOktaCallsPerUser": {"median": median(found["revocationCalls"]),
                                       "max": max(found["revocationCalls"])},
        "lambdaInvocationsPerUser": {"median": median(found["invocations"]), "max": max(found["invocations"])},
        "byState": {state: {"oktaCalls": median(v["calls"]), "invocations": median(v["invocations"])}
                    for state, v in sorted(found["byState"].items())},
    } for flow, found in sorted(stats["perFlow"].items())}


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
    sim = OktaSim(log_dir, seed=seed, token=TOKEN, binary=binary_path("okta-sim"),
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
        stats = {"perFlow": {}, "retried": {}, "time_scale": args.time_scale,
                 "retries": {flow: flow_retries(REPO / "infra" / f"{flow}.asl.json", states)
                             for flow, states in FLOW_STATES.items()}}
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
        for login in on_leave_logins():
            leave_and_return(pools, login, stats, lock)
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
    flows = per_flow(stats)
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
        # The offboarding's: every Lambda state of the flow, Admit to Report; of which the runbook's (issue 24's
        # figure) and the revocations' (issue 27) apart, in perFlow.
        "oktaCallsPerUser": flows["offboarding"]["oktaCallsPerUser"],
        "runbookOktaCallsPerUser": flows["offboarding"]["runbookOktaCallsPerUser"],
        "lambdaInvocationsPerUser": flows["offboarding"]["lambdaInvocationsPerUser"],
        "perFlow": flows,
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
    parser.add_argument("--out", type=Path, default=bench.BENCH / "bulk-results.json",
                        help="where to write the results (a small run for calls per user: bench/bulk-calls.json)")
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
    args.out.write_text(json.dumps(results, indent=2) + "\n")
    print(json.dumps(results, indent=2))
    return 0 if all(not r["failedItems"] for r in results) else 1


if __name__ == "__main__":
    sys.exit(main())
