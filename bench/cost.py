"""What the stack costs in AWS: 1,000 onboardings, 1,000 offboardings and one 2,000-user bulk offboarding, priced from
counts measured on the local stack (the real flows and function binaries, moto's Step Functions interpreter, the
Okta simulator) and AWS's public prices.

    .venv/bin/python bench/cost.py                 # measure, write bench/cost-results.json, print the table
    .venv/bin/python bench/cost.py --render-only   # print the table of bench/cost-results.json again

What is counted, per flow execution (each measured over `--runs` runs of the demo's new hire and leaver, median):
- state transitions: the history's `*StateEntered` events, inline Map iterations included, plus one per retry
  (AWS bills "each time a step of your workflow is executed ... including retries");
- Lambda invocations: the history's Lambda task schedules; Okta calls: the simulator's request log;
- DynamoDB requests: the history's DynamoDB integrations (the ledger), read or write;
- Step Functions log bytes: the template logs every state at Level ALL without execution data, about
  `SFN_LOG_BYTES_PER_EVENT` per history event.
A bulk run of N users is N offboardings (the bulk flow's Distributed Map starts one per line) plus its own states
per line, measured on a run of `--bulk-users` lines the flow refuses itself (moto cannot start the child executions;
an accepted line passes about as many of the bulk flow's states) and scaled to 2,000.

What is assumed, not measured (a real Okta org is not on this machine): each Lambda invocation lasts
`OKTA_LATENCY_MS` per Okta call plus `FUNCTION_OVERHEAD_MS` (the warm figures of docs/performance.md are a few ms;
Okta's round trip dominates), at the template's 128 MB on arm64; every invocation reads the secret once (an upper
bound: a warm container reads it once per OKTA_SECRET_TTL_SECONDS); each invocation writes `LAMBDA_LOG_BYTES` of logs
(the audit line and the platform's START/END/REPORT lines). Prices: PRICES below, us-east-1, with their sources.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO / "tests" / "local"))

RESULTS = REPO / "bench" / "cost-results.json"
OKTA_LATENCY_MS = 150
FUNCTION_OVERHEAD_MS = 10
LAMBDA_MEMORY_GB = 128 / 1024
LAMBDA_LOG_BYTES = 1_500
SFN_LOG_BYTES_PER_EVENT = 400
BULK_USERS = 2_000

# us-east-1 list prices, read 2026-12-07 from the stored copies of AWS's pricing pages (search tool, "pages"):
# aws.amazon.com/step-functions/pricing ($0.025 per 1,000 state transitions, Standard workflows),
# aws.amazon.com/lambda/pricing ($0.20 per million requests; arm64 $0.0000133334 per GB-second, first tier),
# aws.amazon.com/dynamodb/pricing/on-demand ($0.625 per million write and $0.125 per million read request units,
# since November 2024), aws.amazon.com/secrets-manager/pricing ($0.05 per 10,000 API calls; $0.40 per secret-month,
# not per run), aws.amazon.com/cloudwatch/pricing ($0.50 per GB of logs ingested). Free tiers are left out.
PRICES = {
    "stateTransition": 0.025 / 1_000,
    "lambdaRequest": 0.20 / 1_000_000,
    "lambdaGbSecond": 0.0000133334,
    "dynamodbWrite": 0.625 / 1_000_000,
    "dynamodbRead": 0.125 / 1_000_000,
    "secretsManagerCall": 0.05 / 10_000,
    "logGb": 0.50,
}
NEW_HIRE = {"user": "jane.doe@acme.example", "groups": ["Engineering", "All Staff", "VPN Users"],
            "apps": ["Slack", "Zoom", {"app": "AWS", "userName": "jane.doe"}], "sendEmail": True,
            "password": "none", "requestedBy": "bench/cost.py"}
LEAVER = {"user": "sam.leaver@acme.example", "mode": "deactivate", "keepGroups": [], "requestedBy": "bench/cost.py"}


def count(history: list[dict]) -> dict:
    """The billable events of one execution's history."""
    entered = sum(1 for e in history if e["type"].endswith("StateEntered"))
    task_states = sum(1 for e in history if e["type"] == "TaskStateEntered")
    lambda_tasks = dynamodb_reads = dynamodb_writes = schedules = 0
    for e in history:
        if e["type"] == "LambdaFunctionScheduled":
            lambda_tasks += 1
            schedules += 1
        details = e.get("taskScheduledEventDetails")
        if details:
            schedules += 1
            if details.get("resourceType") == "lambda":
                lambda_tasks += 1
            elif details.get("resourceType") == "dynamodb":
                if details.get("resource", "").lower() in ("getitem", "query", "scan"):
                    dynamodb_reads += 1
                else:
                    dynamodb_writes += 1
    # A retry schedules the same Task state again: one more billed transition each.
    retries = max(0, schedules - task_states)
    return {"stateTransitions": entered + retries, "lambdaInvocations": lambda_tasks,
            "dynamodbReads": dynamodb_reads, "dynamodbWrites": dynamodb_writes, "historyEvents": len(history)}


def bulk_transitions_per_item(env, items: int) -> float:
    """The bulk flow's own transitions per list line, measured on the path of a line the flow refuses itself (moto
    cannot start the child executions: tests/local/test_bulk.py), the run's own states spread over its lines."""
    from localaws import BULK_BUCKET, create_bulk_resources

    create_bulk_resources(env)
    key = f"lists/{uuid.uuid4()}.json"
    lines = [{"user": f"nobody{i}@acme.example", "flow": "vacation"} for i in range(items)]
    env.client("s3").put_object(Bucket=BULK_BUCKET, Key=key, Body=json.dumps(lines).encode())
    execution = env.start_flow("bulk", {"bucket": BULK_BUCKET, "key": key, "toleratedFailurePercentage": 100.0},
                               execution_name=f"bulk-{uuid.uuid4()}")
    env.wait(execution, timeout=600)
    return count(env.history(execution))["stateTransitions"] / items


def measure(runs: int, bulk_users: int) -> dict:
    from localaws import LocalAws

    per_flow: dict[str, list[dict]] = {"onboarding": [], "offboarding": []}
    with LocalAws() as env:
        for flow, template in (("onboarding", NEW_HIRE), ("offboarding", LEAVER)):
            for _ in range(runs):
                env.sim_reset()
                before = len(env.sim.requests())
                execution = env.start_flow(flow, {**template, "eventId": f"cost-{uuid.uuid4().hex[:12]}"})
                status, _ = env.wait(execution, timeout=300)
                if status != "SUCCEEDED":
                    raise SystemExit(f"{flow} ended {status}: the cost of a failed run is not the cost of a run")
                counts = count(env.history(execution))
                counts["oktaCalls"] = len(env.sim.requests()) - before
                per_flow[flow].append(counts)
        bulk_per_item = bulk_transitions_per_item(env, bulk_users) if "bulk" in env.state_machines else None
    medians = {flow: {key: statistics.median(run[key] for run in runs_) for key in runs_[0]}
               for flow, runs_ in per_flow.items()}
    return {"runs": runs, "bulkLinesMeasured": bulk_users, "bulkTransitionsPerItem": bulk_per_item,
            "perExecution": medians,
            "assumptions": {"oktaLatencyMs": OKTA_LATENCY_MS, "functionOverheadMs": FUNCTION_OVERHEAD_MS,
                            "lambdaMemoryGb": LAMBDA_MEMORY_GB, "lambdaLogBytes": LAMBDA_LOG_BYTES,
                            "sfnLogBytesPerEvent": SFN_LOG_BYTES_PER_EVENT},
            "prices": PRICES}


def dollars(counts: dict, executions: int, extra_transitions: float = 0) -> dict:
    """The cost of `executions` executions with these per-execution counts."""
    n = executions
    invocations = counts["lambdaInvocations"] * n
    okta_calls = counts["oktaCalls"] * n
    seconds = (okta_calls * OKTA_LATENCY_MS + invocations * FUNCTION_OVERHEAD_MS) / 1_000
    log_bytes = invocations * LAMBDA_LOG_BYTES + counts["historyEvents"] * n * SFN_LOG_BYTES_PER_EVENT
    parts = {
        "Step Functions": (counts["stateTransitions"] * n + extra_transitions) * PRICES["stateTransition"],
        "Lambda": invocations * PRICES["lambdaRequest"] + seconds * LAMBDA_MEMORY_GB * PRICES["lambdaGbSecond"],
        "DynamoDB": counts["dynamodbWrites"] * n * PRICES["dynamodbWrite"]
        + counts["dynamodbReads"] * n * PRICES["dynamodbRead"],
        "Secrets Manager": invocations * PRICES["secretsManagerCall"],
        "CloudWatch Logs": log_bytes / 1e9 * PRICES["logGb"],
    }
    parts["Total"] = sum(parts.values())
    return parts


def render(results: dict) -> str:
    """The cost table docs/performance.md shows (tests/local/test_cost_page.py checks that it is this one)."""
    on, off = results["perExecution"]["onboarding"], results["perExecution"]["offboarding"]
    # The bulk flow itself: its own states per line (measured), around each line's offboarding.
    bulk_own = results["bulkTransitionsPerItem"] * BULK_USERS
    columns = [("1,000 onboardings", dollars(on, 1_000)), ("1,000 offboardings", dollars(off, 1_000)),
               (f"bulk offboarding of {BULK_USERS:,}", dollars(off, BULK_USERS, bulk_own))]
    lines = ["| | " + " | ".join(name for name, _ in columns) + " |",
             "|---|" + "---:|" * len(columns)]
    for part in columns[0][1]:
        cells = [f"${costs[part]:,.2f}" for _, costs in columns]
        label = f"**{part}**" if part == "Total" else part
        lines.append(f"| {label} | " + " | ".join(f"**{c}**" if part == "Total" else c for c in cells) + " |")
    lines.append("")
    lines.append("| Per execution (measured, median) | onboarding | offboarding |")
    lines.append("|---|---:|---:|")
    for key, label in (("stateTransitions", "state transitions"), ("lambdaInvocations", "Lambda invocations"),
                       ("oktaCalls", "Okta calls"), ("dynamodbWrites", "DynamoDB writes"),
                       ("dynamodbReads", "DynamoDB reads")):
        lines.append(f"| {label} | {on[key]:g} | {off[key]:g} |")
    return "\n".join(lines) + "\n"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=3, help="runs per flow (median); default 3")
    parser.add_argument("--bulk-users", type=int, default=20, help="lines of the measured bulk run; default 20")
    parser.add_argument("--render-only", action="store_true", help="print the table of the saved results")
    args = parser.parse_args()
    if not args.render_only:
        results = measure(args.runs, args.bulk_users)
        RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print(render(json.loads(RESULTS.read_text())), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
