"""The runbook (docs/operations.md, "When something fails") names AWS CLI commands an operator runs under pressure:
each must be a real operation of that service, with parameters the operation takes. Checked against botocore's
service models (the same ones the AWS CLI reads), without calling AWS."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import botocore.session
import pytest
from botocore import xform_name

REPO = Path(__file__).resolve().parents[2]
# The CLI's own options, not the operation's.
GLOBAL = {"query", "output", "region", "cli-binary-format", "no-cli-pager", "profile"}
# `aws s3 cp` and friends are the CLI's own commands, not API operations.
CLI_ONLY = {"s3"}


def runbook() -> str:
    text = (REPO / "docs" / "operations.md").read_text()
    return text.split("## When something fails: the runbook", 1)[1]


def commands(text: str) -> list[list[str]]:
    """Each `aws ...` command written in backquotes, as CLI words (shell-quoted arguments kept whole)."""
    found = []
    for snippet in re.findall(r"`(aws [^`]+)`", text):
        snippet = snippet.replace("$(date +%s)", "1")
        found.append(shlex.split(snippet.split(" | ")[0]))
    return found


def problems_of(words: list[str], session=botocore.session.get_session()) -> list[str]:
    service, operation = words[1], words[2]
    if service in CLI_ONLY:
        return []
    if service not in session.get_available_services():
        return [f"no AWS service {service!r}"]
    model = session.get_service_model(service)
    by_cli_name = {xform_name(name).replace("_", "-"): name for name in model.operation_names}
    if operation not in by_cli_name:
        return [f"aws {service} has no operation {operation!r}"]
    shape = model.operation_model(by_cli_name[operation]).input_shape
    members = {xform_name(name).replace("_", "-") for name in (shape.members if shape else {})}
    if service == "lambda" and operation == "invoke":
        members.add("payload")
    wrong = [w[2:] for w in words[3:] if w.startswith("--") and w[2:] not in GLOBAL and w[2:] not in members]
    return [f"aws {service} {operation} takes no --{name}" for name in wrong]


def test_every_runbook_command_is_a_real_cli_operation():
    found = commands(runbook())
    assert len(found) >= 12, found
    problems = [problem for words in found for problem in problems_of(words)]
    assert not problems, problems


@pytest.mark.parametrize("command, expected", [
    ("aws stepfunctions describe-executions --execution-arn x", "has no operation"),
    ("aws dynamodb get-item --table-name t --keys k", "takes no --keys"),
    ("aws nosuch thing", "no AWS service"),
])
def test_the_check_finds_a_wrong_command(command, expected):
    problems = problems_of(shlex.split(command))
    assert problems and expected in problems[0], problems
