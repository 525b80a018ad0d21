"""The cost page's figures are the counting script's output: docs/performance.md holds exactly the table that
`bench/cost.py --render-only` prints from bench/cost-results.json (no figure typed by hand)."""

from __future__ import annotations

import json
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO / "bench"))

import cost  # noqa: E402


def test_the_cost_page_shows_the_scripts_table():
    page = (REPO / "docs" / "performance.md").read_text()
    shown = page.split("<!-- cost table: bench/cost.py --render-only -->\n", 1)[1].split("<!-- end cost table -->", 1)[0]
    results = json.loads(cost.RESULTS.read_text())
    assert shown == cost.render(results)


def test_the_bill_follows_the_counts():
    results = json.loads(cost.RESULTS.read_text())
    offboarding = dict(results["perExecution"]["offboarding"])
    base = cost.dollars(offboarding, 1_000)["Step Functions"]
    offboarding["stateTransitions"] *= 2
    assert cost.dollars(offboarding, 1_000)["Step Functions"] == 2 * base
    # 1,000 executions of 90 transitions at $0.025 per 1,000 transitions.
    assert abs(cost.dollars({**offboarding, "stateTransitions": 90}, 1_000)["Step Functions"] - 2.25) < 1e-9
