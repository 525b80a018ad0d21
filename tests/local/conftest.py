"""One LocalAws (simulator + moto + proxy + the 17 binaries under cargo-lambda's emulator) per pytest session."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from localaws import LocalAws  # noqa: E402


@pytest.fixture(scope="session")
def env():
    with LocalAws() as e:
        yield e


@pytest.fixture
def fresh(env):
    """A fresh org from the seed for this test (same URL and token; ~0.1 s)."""
    env.sim_reset()
    return env
