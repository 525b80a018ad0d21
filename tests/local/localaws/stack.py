"""Everything together: `LocalAws` starts the simulator, moto, the proxy and the functions, creates the
flows of the template, and gives the tests their handles (invoke, run a flow, read the ledger, the simulator)."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

from .config import (
    ACCOUNT, CONNECTIONS, DEFAULT_SEED, DEFAULT_TOKEN, DUMMY_AWS_ENV, FLOW_STEP_FUNCTIONS, FUNCTIONS, LEDGER_TABLE,
    RATE_LIMIT_TABLE, REGION, REPO, SECRET_ID, SERVICE_APPS, STACK, free_port, log,
)
from .flows import LOCAL_SUBSTITUTIONS, render_definition
from .lambda_proxy import LambdaProxy
from .moto_server import Moto
from .okta_sim import OktaSim
from .processes import install_signal_handlers
from .runtime_api import Emulator
from .template import definition_substitutions


class LocalAws:
    """Starts the simulator, moto, the proxy and the functions; `close()` (or leaving the `with`) stops them."""

    def __init__(self, seed: Path | str = DEFAULT_SEED, token: str = DEFAULT_TOKEN, mode: str | None = None,
                 functions: list[str] = FUNCTIONS + FLOW_STEP_FUNCTIONS, flows: bool = True,
                 template: Path = REPO / "template.yaml",
                 log_dir: Path | str | None = None, connection: str | None = None):
        self.seed = Path(seed)
        self.token = token
        # The form of the connection secret: an API token, or a service app with or without DPoP.
        self.connection = connection or os.environ.get("OKTA_LOCAL_CONNECTION", "api-token")
        if self.connection not in CONNECTIONS:
            raise ValueError(f"connection {self.connection!r}: expected one of {', '.join(CONNECTIONS)}")
        self.mode = mode or os.environ.get("LOCALAWS_MODE", "binaries")
        self.functions = functions
        self.want_flows = flows
        self.template = template
        self._own_log_dir = log_dir is None
        self.log_dir = Path(log_dir) if log_dir else Path(tempfile.mkdtemp(prefix="localaws-"))
        self.log_dir.mkdir(parents=True, exist_ok=True)
        self.sim: OktaSim | None = None
        self.moto: Moto | None = None
        self.proxy: LambdaProxy | None = None
        self.emulator: Emulator | None = None
        self.state_machines: dict[str, str] = {}  # flow name → state machine ARN
        self._clients: dict[str, Any] = {}

    # lifecycle ----------------------------------------------------------------------------------------------
    def __enter__(self) -> "LocalAws":
        try:
            return self.start()
        except BaseException:
            self.close()
            raise

    def __exit__(self, *exc: Any) -> None:
        self.close()

    def start(self) -> "LocalAws":
        install_signal_handlers()
        t0 = time.monotonic()
        self.sim = OktaSim(self.log_dir, self.seed, self.token).start()
        log(f"okta-sim at {self.sim.url}")
        moto_port, emulator_port = free_port(), free_port()
        self.proxy = LambdaProxy(moto_port, emulator_port).start()
        self.moto = Moto(self.log_dir, interpreter_port=self.proxy.port, port=moto_port).start()
        log(f"moto at {self.moto.url}; proxy at http://127.0.0.1:{self.proxy.port}")
        self.client("secretsmanager").create_secret(Name=SECRET_ID, SecretString=json.dumps(self.secret()))
        self.create_table(RATE_LIMIT_TABLE, key="org")
        # The flows' ledger, as the template names it for the state machines (!Ref LedgerTable) and the functions
        # (OKTA_LEDGER_TABLE): activate-user and unsuspend-user read it (issue 25).
        self.create_table(LEDGER_TABLE)
        fn_env = dict(DUMMY_AWS_ENV)
        fn_env.update({"OKTA_SECRET_ID": SECRET_ID, "AWS_ENDPOINT_URL": self.moto.url, "RUST_LOG": "info",
                       "OKTA_RATE_LIMIT_TABLE": RATE_LIMIT_TABLE, "OKTA_LEDGER_TABLE": LEDGER_TABLE,
                       # The template names the stack (issue 25): executionIds of other stacks are refused.
                       "OKTA_STACK_NAME": STACK,
                       # On here (off by default when deployed), so that the tests prove a flow never receives a
                       # link or password even when direct callers may.
                       "OKTA_ALLOW_CREDENTIAL_RETURN": "true",
                       "OKTA_PROTECTED_GROUPS": "Break Glass",
                       # Grants are closed unless listed (issue 25): the flow tests grant the sample org's groups
                       # and apps, as a deployment that opens its lists with * would.
                       "OKTA_GRANTABLE_GROUPS": "*", "OKTA_GRANTABLE_APPS": "*"})
        self.emulator = Emulator(self.log_dir, fn_env, self.functions, self.mode, port=emulator_port).start()
        if self.emulator.shim:
            self.proxy.on_invoke = self.emulator.shim.wake
        log(f"cargo-lambda emulator at {self.emulator.url} ({self.mode}, {len(self.functions)} functions)")
        if self.want_flows:
            self.create_flows()
        log(f"ready in {time.monotonic() - t0:.1f}s; logs in {self.log_dir}")
        return self

    def secret(self) -> dict:
        """The connection secret of the chosen form, as an operator would store it."""
        if self.connection == "api-token":
            return {"orgUrl": self.sim.url, "apiToken": self.token}
        client_id, key_file, key_id = SERVICE_APPS[self.connection]
        secret = {"orgUrl": self.sim.url, "clientId": client_id,
                  "privateKey": (REPO / "tests" / "okta-sim" / "keys" / key_file).read_text()}
        if key_id:
            secret["keyId"] = key_id
        return secret

    def close(self) -> None:
        for part in (self.emulator, self.moto, self.sim):
            if part is not None:
                try:
                    part.stop()
                except Exception as e:  # noqa: BLE001
                    log(f"stopping {type(part).__name__}: {e}")
        if self.proxy is not None:
            self.proxy.stop()
        self.emulator = self.moto = self.sim = self.proxy = None
        if self._own_log_dir and os.environ.get("LOCALAWS_KEEP_LOGS") != "1":
            shutil.rmtree(self.log_dir, ignore_errors=True)

    # AWS side -----------------------------------------------------------------------------------------------
    @property
    def endpoint(self) -> str:
        """Where SDK clients go: the proxy (Lambda Invoke → emulator, the rest → moto)."""
        assert self.proxy
        return f"http://127.0.0.1:{self.proxy.port}"

    def client(self, service: str) -> Any:
        if service not in self._clients:
            import boto3
            from botocore.config import Config

            self._clients[service] = boto3.client(
                service, region_name=REGION, endpoint_url=self.endpoint, aws_access_key_id="testing",
                aws_secret_access_key="testing", aws_session_token="testing",
                config=Config(retries={"max_attempts": 1}, read_timeout=120, connect_timeout=5))
        return self._clients[service]

    def invoke(self, function: str, payload: Any) -> tuple[Any, str | None]:
        """Lambda Invoke through the proxy. Returns (payload, None) on success, or (error payload, errorType) when
        the function failed. `payload` may be raw bytes/str to send something that is not JSON."""
        data = payload if isinstance(payload, (bytes, str)) else json.dumps(payload)
        r = self.client("lambda").invoke(FunctionName=function, Payload=data)
        body = r["Payload"].read()
        try:
            out = json.loads(body) if body else None
        except json.JSONDecodeError:
            out = body.decode(errors="replace")
        if r.get("FunctionError"):
            return out, (out.get("errorType") if isinstance(out, dict) else None) or r["FunctionError"]
        return out, None

    def invoke_raw(self, function: str, payload: bytes | str) -> tuple[int, dict[str, str], bytes]:
        """POST straight to the emulator (no proxy): status, headers, body as it answered."""
        import requests

        assert self.emulator
        r = requests.post(f"{self.emulator.url}/2015-03-31/functions/{function}/invocations", data=payload,
                          timeout=120)
        return r.status_code, dict(r.headers), r.content

    def create_flows(self) -> dict[str, str]:
        """Creates one state machine per flow of the template (`okta-lifecycle-<flow>`), and what they refer to
        (the schedule group)."""
        sfn = self.client("stepfunctions")
        machines = definition_substitutions(self.template) if self.template.exists() else {}
        for lid, m in machines.items():
            path = m["definition"]
            if not path or not Path(path).exists():
                log(f"flow {lid} skipped: no definition {path}")
                continue
            try:
                subs = {**m["subs"], **{k: v for k, v in LOCAL_SUBSTITUTIONS.items() if k in m["subs"]}}
                body = render_definition(Path(path), subs)
            except KeyError as e:
                log(f"flow {m['flow']} skipped: {e}")
                continue
            for key, val in m["subs"].items():
                if key.startswith("ScheduleGroup"):
                    try:
                        self.client("scheduler").create_schedule_group(Name=val)
                    except Exception:  # noqa: BLE001 - already there
                        pass
                if key.endswith("TableName"):
                    self.create_table(val)
            arn = sfn.create_state_machine(name=f"{STACK}-{m['flow']}", definition=body,
                                           roleArn=f"arn:aws:iam::{ACCOUNT}:role/{STACK}-{lid}Role")["stateMachineArn"]
            self.state_machines[m["flow"]] = arn
        if machines:
            log(f"state machines: {', '.join(sorted(self.state_machines))}")
        return self.state_machines

    def create_table(self, name: str, key: str = "pk") -> None:
        """A table of the template: the flows' ledger (LedgerTable, key `pk`) or the rate-limit table (`org`)."""
        ddb = self.client("dynamodb")
        if name in ddb.list_tables()["TableNames"]:
            return
        ddb.create_table(TableName=name, BillingMode="PAY_PER_REQUEST",
                         AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                         KeySchema=[{"AttributeName": key, "KeyType": "HASH"}])

    def clear_tables(self) -> None:
        """Empties every table (the ledger, the rate limits), e.g. with a fresh simulator: the org it described is
        gone."""
        ddb = self.client("dynamodb")
        for name in ddb.list_tables()["TableNames"]:
            key = ddb.describe_table(TableName=name)["Table"]["KeySchema"][0]["AttributeName"]
            for item in ddb.scan(TableName=name).get("Items", []):
                ddb.delete_item(TableName=name, Key={key: item[key]})

    def rate_limits(self) -> dict:
        """The rate-limit table's item of the simulator's org, as numbers, {} when absent."""
        org = self.sim.url.split("://", 1)[1].rstrip("/")
        item = self.client("dynamodb").get_item(TableName=RATE_LIMIT_TABLE, Key={"org": {"S": org}},
                                                ConsistentRead=True).get("Item") or {}
        return {k: int(v["N"]) for k, v in item.items() if "N" in v}

    def ledger(self, pk: str) -> dict:
        """One ledger item as plain values (`user#<id>`, `event#<event id>`), {} when absent."""
        ddb = self.client("dynamodb")
        name = next(n for n in ddb.list_tables()["TableNames"] if n.endswith("LedgerTable"))
        item = ddb.get_item(TableName=name, Key={"pk": {"S": pk}}, ConsistentRead=True).get("Item") or {}
        return {k: next(iter(v.values())) for k, v in item.items()}

    def start_flow(self, name: str, input: Any, execution_name: str | None = None) -> str:
        """Starts flow `name` (e.g. "onboarding"); returns the execution ARN."""
        if name not in self.state_machines:
            raise KeyError(f"no state machine {name!r}; have {sorted(self.state_machines)}")
        # Always name it: moto leaves $$.Execution.Id ending in ":None" for an unnamed execution.
        kwargs = {"stateMachineArn": self.state_machines[name], "input": json.dumps(input),
                  "name": execution_name or f"{name}-{uuid.uuid4().hex[:12]}"}
        return self.client("stepfunctions").start_execution(**kwargs)["executionArn"]

    def wait(self, execution: str, timeout: float = 120) -> tuple[str, Any]:
        """Polls DescribeExecution: ("SUCCEEDED", output) or (status, {"error", "cause"})."""
        sfn = self.client("stepfunctions")
        deadline = time.monotonic() + timeout
        while True:
            d = sfn.describe_execution(executionArn=execution)
            status = d["status"]
            if status != "RUNNING":
                if status == "SUCCEEDED":
                    return status, json.loads(d.get("output") or "null")
                cause = d.get("cause")
                try:
                    cause = json.loads(cause) if cause else cause
                except (TypeError, json.JSONDecodeError):
                    pass
                return status, {"error": d.get("error"), "cause": cause}
            if time.monotonic() > deadline:
                raise TimeoutError(f"{execution} still RUNNING after {timeout}s")
            time.sleep(0.05)  # moto answers DescribeExecution in about a millisecond

    def run_flow(self, name: str, input: Any, timeout: float = 120) -> tuple[str, Any]:
        return self.wait(self.start_flow(name, input), timeout)

    def history(self, execution: str) -> list[dict]:
        sfn = self.client("stepfunctions")
        events, token = [], None
        while True:
            kw = {"executionArn": execution, "maxResults": 1000}
            if token:
                kw["nextToken"] = token
            r = sfn.get_execution_history(**kw)
            events += r["events"]
            token = r.get("nextToken")
            if not token:
                return events

    def steps(self, execution: str) -> list[dict]:
        """The execution's states in order: [{"state", "type", "status": entered/exited/failed, ...}], for
        printing a run step by step."""
        out = []
        for e in self.history(execution):
            t = e["type"]
            if t.endswith("StateEntered"):
                d = e["stateEnteredEventDetails"]
                out.append({"state": d["name"], "event": t, "input": d.get("input")})
            elif t.endswith("StateExited"):
                d = e["stateExitedEventDetails"]
                out.append({"state": d["name"], "event": t, "output": d.get("output")})
            elif t.endswith("Failed") or t.endswith("TimedOut"):
                key = next((k for k in e if k.endswith("EventDetails")), None)
                out.append({"state": None, "event": t, **(e.get(key) or {})})
        return out

    # simulator ----------------------------------------------------------------------------------------------
    def sim_state(self) -> dict:
        assert self.sim
        return self.sim.state()

    def sim_fault(self, kind: Any, route: str | None = None, method: str | None = None, times: int = 1) -> None:
        assert self.sim
        self.sim.fault(kind, route=route, method=method, times=times)

    def sim_reset(self) -> None:
        """A fresh org from the seed (same URL, so the functions' cached secret stays valid)."""
        assert self.sim
        self.sim.restart()
        if self.state_machines:
            self.clear_tables()


def main(argv: list[str]) -> int:
    """`python tests/local/localaws`: start everything and wait (Ctrl-C to stop)."""
    with LocalAws(log_dir=os.environ.get("LOCALAWS_LOG_DIR")) as env:
        print(json.dumps({"okta": env.sim.url, "endpoint": env.endpoint, "emulator": env.emulator.url,
                          "stateMachines": env.state_machines, "logs": str(env.log_dir)}, indent=2), flush=True)
        try:
            while True:
                time.sleep(3600)
        except KeyboardInterrupt:
            return 0
