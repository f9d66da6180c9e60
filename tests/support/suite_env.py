"""Paths and helpers shared by the suites' own tests (tests/parser_suite/,
tests/client_suite/, tests/commands/): the case and scenario sets written
for them and the fixture adapters (tests/support/fixture_*_adapter.py)."""

from __future__ import annotations

import shlex
import sys
from dataclasses import dataclass
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
CASES = ROOT / "tests" / "parser_suite" / "cases"
FIXTURE = [sys.executable, str(HERE / "fixture_parser_adapter.py")]


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

SCENARIOS = ROOT / "tests" / "client_suite" / "scenarios"
FIXTURE_CLIENT = [sys.executable, str(HERE / "fixture_client_adapter.py")]


def fixture_client(*flags: str) -> str:
    return shlex.join(FIXTURE_CLIENT + list(flags))
