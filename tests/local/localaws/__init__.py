r"""Local AWS for okta-lifecycle: the Okta simulator, moto (Secrets Manager + Step Functions) and the real
Lambda binaries under cargo-lambda's emulator, wired together on 127.0.0.1 only.

    from localaws import LocalAws

    with LocalAws() as env:                      # starts everything, tears it all down on exit
        out, err = env.invoke("suspend-user", {"user": "sam.leaver@acme.example"})
        execution = env.start_flow("offboarding", {"user": "sam.leaver@acme.example", "eventId": "hr-42"})
        status, result = env.wait(execution)     # ("SUCCEEDED", output) or ("FAILED", {"error", "cause"})
        env.sim_state()                          # GET /__sim/state
        env.sim_fault(route="/api/v1/users/{id}/lifecycle/suspend", kind={"status": 503})

Layout (all loopback):

    tests / demo --boto3--> LambdaProxy :P --(Lambda Invoke)--> cargo lambda watch :E --> function binaries
                                       \--(anything else)----> moto_server :M
    moto's Step Functions interpreter --(every SDK call, to localhost:$MOTO_PORT = :P)--> LambdaProxy
    function binaries --(Secrets Manager, AWS_ENDPOINT_URL = :M)--> moto_server
    function binaries --(Okta API, orgUrl from the secret)--> okta-sim :S

The proxy makes cargo-lambda's emulator look like real Lambda to the interpreter: it rewrites a function named by
ARN to its name, turns the emulator's HTTP 500 for a function error into 200 + `X-Amz-Function-Error: Unhandled`,
and adds an `x-amzn-RequestId`. Every other request goes to moto unchanged.

Processes are started in their own process groups and killed as groups on exit (context manager, atexit, and
SIGTERM/SIGHUP while a LocalAws is running).

One module per part (this file only re-exports what the tests, the demo and the benchmarks import):

    config        names (stack, region, account, secret), the functions, dummy AWS credentials, ports, the log line
    processes     Proc (a process group with a log file), clean-up at exit, waiting for a port or a URL
    okta_sim      OktaSim: the simulator, its state, faults and restarts
    moto_server   Moto: moto_server with its Step Functions interpreter
    runtime_api   Emulator: cargo-lambda's emulator with the real binaries, and the Runtime API shim before it
    lambda_proxy  LambdaProxy: Lambda Invoke to the emulator, everything else to moto
    loopback_http what the two relays share
    template      template.yaml through cfn-lint's loader: each state machine's definition and substitutions
    flows         rendering a definition, what moto cannot run, the bulk flow's bucket and table, outcomes
    stack         LocalAws: everything together

`python tests/local/localaws` starts everything and prints the endpoints until Ctrl-C.
"""

from __future__ import annotations

from .config import (
    ACCOUNT, CONNECTIONS, DEFAULT_SEED, DEFAULT_TOKEN, DUMMY_AWS_ENV, FLOW_STEP_FUNCTIONS, FUNCTIONS, LEDGER_TABLE,
    RATE_LIMIT_TABLE, REGION, REPO, SECRET_ID, SERVICE_APPS, STACK, base_env, binary_path, free_port, function_arn,
    log, target_dir,
)
from .flows import (
    BULK_BUCKET, BULK_TABLE, LOCAL_SUBSTITUTIONS, create_bulk_resources, outcomes, render_definition,
    state_machine_arn,
)
from .lambda_proxy import LambdaProxy, function_name_of
from .moto_server import Moto
from .okta_sim import OktaSim
from .processes import Proc, wait_http, wait_tcp
from .runtime_api import Emulator, RuntimeApiShim, cargo_lambda
from .stack import LocalAws, main
from .template import definition_substitutions, expanded_template, flow_name_of

__all__ = [
    "ACCOUNT", "BULK_BUCKET", "BULK_TABLE", "CONNECTIONS", "DEFAULT_SEED", "DEFAULT_TOKEN", "DUMMY_AWS_ENV",
    "FLOW_STEP_FUNCTIONS", "FUNCTIONS", "LEDGER_TABLE", "LOCAL_SUBSTITUTIONS", "RATE_LIMIT_TABLE", "REGION", "REPO",
    "SECRET_ID", "SERVICE_APPS", "STACK", "Emulator", "LambdaProxy", "LocalAws", "Moto", "OktaSim", "Proc",
    "RuntimeApiShim", "base_env", "binary_path", "cargo_lambda", "create_bulk_resources", "definition_substitutions",
    "expanded_template", "flow_name_of", "free_port", "function_arn", "function_name_of", "log", "main", "outcomes",
    "render_definition", "state_machine_arn", "target_dir", "wait_http", "wait_tcp",
]
