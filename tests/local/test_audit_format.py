"""The audit record as a deployed function writes it (Lambda's JSON log format) has the fields that template.yaml's
metric filters read, so the Okta.Unauthorized and Okta.RateLimited alarms count real records."""

from __future__ import annotations

import json
import re
import time

from localaws import REPO, LocalAws

FUNCTION = "get-user"
TERM = re.compile(r'\$\.([\w.]+)\s*=\s*"([^"]*)"')


def filter_patterns() -> list[str]:
    """The filters that read audit records (the init line's and the flows' state filters are checked by
    tests/suite/audit_log.rs and the infra contract)."""
    text = (REPO / "template.yaml").read_text()
    return [p for p in re.findall(r"^\s*FilterPattern:\s*'(.+)'\s*$", text, re.M)
            if '$.fields.record = "audit"' in p]


def at(record: dict, path: str):
    value = record
    for key in path.split("."):
        if not isinstance(value, dict) or key not in value:
            return None
        value = value[key]
    return value


def test_the_metric_filters_read_the_audit_record_as_lambda_writes_it(monkeypatch, tmp_path):
    patterns = filter_patterns()
    assert patterns, "template.yaml has no metric filter"
    # LoggingConfig.LogFormat JSON in the template: Lambda sets this variable, and the runtime switches to JSON. A
    # LocalAws of its own, so that the session's functions keep their plain logs.
    monkeypatch.setenv("AWS_LAMBDA_LOG_FORMAT", "JSON")
    with LocalAws(functions=[FUNCTION], flows=False, log_dir=tmp_path) as aws:
        log = aws.emulator.fn_procs[FUNCTION].log_path
        out, err = aws.invoke(FUNCTION, {"user": "nobody@acme.example"})
        assert err == "Okta.NotFound", out
        records = []
        for _ in range(50):
            lines = log.read_text(errors="replace").splitlines()
            records = [json.loads(line) for line in lines if line.startswith("{")]
            records = [r for r in records if at(r, "fields.record") == "audit"]
            if records:
                break
            time.sleep(0.1)
    assert len(records) == 1, f"one audit record in JSON, got {records}"
    record = records[0]
    for pattern in patterns:
        terms = TERM.findall(pattern)
        assert terms, pattern
        for path, value in terms:
            assert at(record, path) is not None, f"{pattern}: the audit record has no {path}: {record}"
            if path == "fields.record":
                assert at(record, path) == value, pattern
    # The field the filters compare with an error name carries this invocation's error name.
    assert at(record, "fields.outcome") == "Okta.NotFound", record
