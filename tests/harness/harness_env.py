"""Paths and helpers shared by the harness's own tests (tests/harness/).

A module with its own name rather than conftest.py: tests/peers/ has a
conftest.py too, and `from conftest import ...` would find either."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = HERE / "cases"
FIXTURE = [sys.executable, str(HERE / "fixtures" / "adapter.py")]


@dataclass
class Check:
    rc: int
    stdout: str
    stderr: str
    seconds: float
    json: dict | None
    junit: Path | None

    def verdicts(self) -> dict[str, str]:
        assert self.json is not None, self.stdout + self.stderr
        return {c["id"]: c["verdict"] for c in self.json["cases"]}

    def case(self, case_id: str) -> dict:
        assert self.json is not None
        return next(c for c in self.json["cases"] if c["id"] == case_id)


def one_line(stderr: str) -> str:
    """The one line a run that could not be done writes on stderr."""
    lines = stderr.strip().splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{stderr}"
    assert lines[0].startswith("ssespec: ")
    return lines[0]


def fixture_impl(*flags: str) -> str:
    return shlex.join(FIXTURE + list(flags))


# ---------------------------------------------------------------- client suite

SCENARIOS = HERE / "scenarios"
FIXTURE_CLIENT = [sys.executable, str(HERE / "fixtures" / "client_adapter.py")]


def fixture_client(*flags: str) -> str:
    return shlex.join(FIXTURE_CLIENT + list(flags))
