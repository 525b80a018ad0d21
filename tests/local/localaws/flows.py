"""What the flows need locally beyond the template: rendering a state machine's definition with its substitutions,
what moto's interpreter cannot run, the bulk flow's bucket and table, and reading outcomes from a flow's report."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import ACCOUNT, REGION, STACK

if TYPE_CHECKING:
    from .stack import LocalAws

# What moto's Step Functions interpreter cannot run, replaced locally (and said so in the tests that rely on it):
# moto 5.2.5 refuses ItemReader InputType JSONL ("'JSONL' is not a valid InputTypeValue"), so the local bulk flow
# reads a JSON array; the JSONL reader itself is AWS's, configured by the template parameter BulkInputType.
LOCAL_SUBSTITUTIONS = {"BulkInputType": "JSON"}


def outcomes(report: Any) -> list[str]:
    """Every `outcome` anywhere in a flow's report (what the bulk flow's `$..outcome` reads too)."""
    found: list[str] = []

    def walk(v: Any) -> None:
        if isinstance(v, dict):
            if isinstance(v.get("outcome"), str):
                found.append(v["outcome"])
            for x in v.values():
                walk(x)
        elif isinstance(v, list):
            for x in v:
                walk(x)

    walk(report)
    return found


# What the template creates for the bulk flow, under the names the state machine's substitutions give them.
BULK_BUCKET = "okta-lifecycle-bulkbucket"
BULK_TABLE = "okta-lifecycle-BulkCountsTable"


def create_bulk_resources(env: LocalAws) -> None:
    """The bulk flow's input/results bucket and counts table (the template's BulkBucket and BulkCountsTable)."""
    env.client("s3").create_bucket(Bucket=BULK_BUCKET)
    # Versioned, as the template's (issue 25): a real run reads the object version its dry run read.
    env.client("s3").put_bucket_versioning(Bucket=BULK_BUCKET, VersioningConfiguration={"Status": "Enabled"})
    env.client("dynamodb").create_table(
        TableName=BULK_TABLE, BillingMode="PAY_PER_REQUEST",
        AttributeDefinitions=[{"AttributeName": "run", "AttributeType": "S"}],
        KeySchema=[{"AttributeName": "run", "KeyType": "HASH"}])


def state_machine_arn(flow: str) -> str:
    return f"arn:aws:states:{REGION}:{ACCOUNT}:stateMachine:{STACK}-{flow}"


def render_definition(definition: Path, subs: dict[str, str]) -> str:
    text = definition.read_text()

    def repl(m: re.Match) -> str:
        key = m.group(1)
        if key not in subs:
            raise KeyError(f"{definition.name}: ${{{key}}} has no DefinitionSubstitutions entry")
        return subs[key]

    return re.sub(r"\$\{([A-Za-z0-9_]+)\}", repl, text)
