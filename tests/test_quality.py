"""The quality gates, run with the suite so CI holds them: lint, formatting and types.

Each tool runs from this interpreter's environment, with its settings from pyproject.toml;
a failure prints what the tool found.
"""

from __future__ import annotations

import subprocess
import sys

import pytest

from server import ROOT

GATES = {
    "ruff check": ["ruff", "check", "."],
    "ruff format": ["ruff", "format", "--check", "."],
    # server/ and federation/, as [tool.mypy] says; the cache keeps later runs quick.
    "mypy": ["mypy"],
}


@pytest.mark.parametrize("gate", GATES)
def test_the_code_passes(gate: str) -> None:
    done = subprocess.run(
        [sys.executable, "-m", *GATES[gate]],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=600,
    )
    if done.returncode != 0:
        pytest.fail(f"{gate} found problems:\n{done.stdout}{done.stderr}", pytrace=False)
