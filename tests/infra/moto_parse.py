"""Parses every infra/*.asl.json with moto's Step Functions interpreter (the one the local flow tests run on), after
putting dummy ARNs in place of the ${...} placeholders, so that a construct moto does not know fails here first."""

import json
import pathlib
import re
import sys

from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

ROOT = pathlib.Path(__file__).resolve().parents[2]


def dummy(name: str) -> str:
    if name.endswith("FunctionArn"):
        return f"arn:aws:lambda:us-east-1:123456789012:function:{name[: -len('Arn')]}"
    if name.endswith("StateMachineArn"):
        return f"arn:aws:states:us-east-1:123456789012:stateMachine:{name[: -len('Arn')]}"
    if name.endswith("RoleArn"):
        return f"arn:aws:iam::123456789012:role/{name[: -len('Arn')]}"
    # Template parameters with a fixed set of values: one moto knows (it refuses JSONL, which AWS reads).
    if name == "BulkInputType":
        return "JSON"
    if name == "BulkMaxConcurrency":
        return "8"
    return f"dummy-{name}"


failures = 0
for path in sorted((ROOT / "infra").glob("*.asl.json")):
    text = re.sub(r"\$\{([A-Za-z0-9]+)\}", lambda m: dummy(m.group(1)), path.read_text())
    try:
        json.loads(text)
        AmazonStateLanguageParser.parse(text)
        print(f"moto parses {path.relative_to(ROOT)}")
    except Exception as error:  # noqa: BLE001 - report every file
        failures += 1
        print(f"moto cannot parse {path.relative_to(ROOT)}: {error}", file=sys.stderr)
sys.exit(1 if failures else 0)
