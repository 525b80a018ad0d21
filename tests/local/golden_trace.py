"""Golden traces of the flows (issue 24, item 2): what a flow run did, captured on the local stack and normalised so
that two runs of the same case compare equal whatever ids, times and execution names they got.

A trace holds: the execution's status, error and cause, its output, the ledger items after the run, the schedules
left in the schedule group, and the simulator's request log (method, route with ids named, query, status; sorted,
because a Map's items run concurrently). Ids are replaced by what they name (`<user:sam.leaver@acme.example>`,
`<group:Engineering>`, `<app:Slack>`), execution ARNs by `<execution:N>` in order of appearance, times near now by
`<now>`.

`GOLDEN_RECORD=1` (re)writes tests/local/golden/<flow>/<case>.json instead of comparing; see tests/local/golden/README.md.
"""

from __future__ import annotations

import json
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

GOLDEN_DIR = Path(__file__).resolve().parent / "golden"
SCHEDULE_GROUP = "okta-lifecycle"

_EXECUTION = re.compile(r"arn:aws:states:[a-z0-9-]+:\d{12}:execution:[A-Za-z0-9_.:-]+")
_EPOCH = re.compile(r"^\d{10}$")
_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?(?:Z|[+-]\d\d:?\d\d)?")


class Normaliser:
    """Rewrites every string of a trace: ids the simulator gave, execution ARNs, and times within a day of now."""

    def __init__(self, sim_state: dict, keep_times: set[str]):
        self.names: dict[str, str] = {}
        for u in sim_state.get("users", []):
            self.names[u["id"]] = f"<user:{u['profile']['login'] if 'profile' in u else u.get('login')}>"
        for g in sim_state.get("groups", []):
            name = g["profile"]["name"] if "profile" in g else g.get("name")
            # Two groups may share a name (the sample org's "Project X"): the id decides, in seed order.
            label = f"<group:{name}>"
            while label in self.names.values():
                label = label[:-1] + "'>"
            self.names[g["id"]] = label
        for a in sim_state.get("apps", []):
            self.names[a["id"]] = f"<app:{a.get('label')}>"
        self._ids = re.compile("|".join(re.escape(i) for i in sorted(self.names, key=len, reverse=True))) \
            if self.names else None
        self.executions: dict[str, str] = {}
        self.keep_times = keep_times
        self.now = time.time()

    def text(self, s: str) -> str:
        def execution(m: re.Match) -> str:
            return self.executions.setdefault(m.group(0), f"<execution:{len(self.executions) + 1}>")

        def when(m: re.Match) -> str:
            t = m.group(0)
            if t in self.keep_times:
                return t
            try:
                parsed = datetime.fromisoformat(t.replace("Z", "+00:00"))
                if parsed.tzinfo is None:
                    parsed = parsed.replace(tzinfo=timezone.utc)
                if abs(parsed.timestamp() - self.now) < 86400:
                    return "<now>"
            except ValueError:
                pass
            return t

        # Epoch seconds within two days of now (a lease's or a run's deadline): <epoch>.
        if _EPOCH.match(s) and abs(int(s) - self.now) < 2 * 86400:
            return "<epoch>"
        s = _EXECUTION.sub(execution, s)
        if self._ids:
            s = self._ids.sub(lambda m: self.names[m.group(0)], s)
        return _TIME.sub(when, s)

    def value(self, v: Any) -> Any:
        if isinstance(v, str):
            # A cause may be JSON text (a summary): normalise what it says, keep it text.
            return self.text(v)
        if isinstance(v, list):
            return [self.value(x) for x in v]
        if isinstance(v, dict):
            return {self.text(k): self.value(x) for k, x in v.items()}
        return v


def ledger_items(env) -> list[dict]:
    ddb = env.client("dynamodb")
    name = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
    items = ddb.scan(TableName=name, ConsistentRead=True).get("Items", [])
    return [{k: next(iter(v.values())) for k, v in item.items()} for item in items]


def schedules(env) -> list[dict]:
    sched = env.client("scheduler")
    out = []
    for s in sched.list_schedules(GroupName=SCHEDULE_GROUP)["Schedules"]:
        full = sched.get_schedule(Name=s["Name"], GroupName=SCHEDULE_GROUP)
        out.append({"name": s["Name"], "expression": full["ScheduleExpression"],
                    "target": full["Target"]["Arn"].rsplit(":", 1)[-1],
                    "input": json.loads(full["Target"].get("Input") or "null")})
    return sorted(out, key=lambda s: s["name"])


def okta_requests(env) -> list[str]:
    """`METHOD /path?query -> status`, sorted (a Map's items run concurrently)."""
    lines = []
    for r in env.sim.requests():
        query = r.get("query") or ""
        lines.append(f"{r['method']} {r.get('path') or r.get('rawPath')}{'?' + query if query else ''} -> {r['status']}")
    return sorted(lines)


def capture(env, execution: str, status: str, result: Any, sim_state_before: dict, keep_times: set[str]) -> dict:
    norm = Normaliser(sim_state_before, keep_times)
    norm.value(execution)  # the run itself is <execution:1>
    trace: dict[str, Any] = {"status": status}
    if status == "SUCCEEDED":
        trace["output"] = result
    else:
        trace["error"] = result.get("error")
        trace["cause"] = result.get("cause")
    trace["ledger"] = sorted(ledger_items(env), key=lambda i: i.get("pk", ""))
    trace["schedules"] = schedules(env)
    trace["okta"] = okta_requests(env)
    return norm.value(trace)


# The guardrails' knowledge of the org (the token's own user, the protected groups' ids) and the org's group rules
# are cached per function container (shared/src/guard.rs), so whether a run reads them depends on which containers
# ran before, not on the flow: those reads are recorded but not compared.
PER_CONTAINER_READS = (re.compile(r"^GET /api/v1/users/me "), re.compile(r"^GET /api/v1/groups/rules\?"),
                       re.compile(r"^GET /api/v1/groups\?search=profile\.name\+eq\+"))


def comparable(trace: dict) -> dict:
    out = dict(trace)
    out["okta"] = [line for line in trace.get("okta", []) if not any(p.match(line) for p in PER_CONTAINER_READS)]
    return out


def golden_path(flow: str, case: str) -> Path:
    return GOLDEN_DIR / flow / f"{case}.json"


def write(flow: str, case: str, trace: dict) -> None:
    write_to(GOLDEN_DIR, flow, case, trace)


def write_to(base: Path, flow: str, case: str, trace: dict) -> None:
    path = base / flow / f"{case}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(trace, indent=2, sort_keys=True) + "\n")


def read(flow: str, case: str) -> dict:
    return json.loads(golden_path(flow, case).read_text())
