"""Fixtures for the whole test tree. `check` and `check_client` run
`./ssespec check` on a small case or scenario set (tests/parser_suite/cases,
tests/client_suite/scenarios) with the fixture adapters
(tests/support/suite_env.py). Helper modules live in tests/support/, which
pytest.ini puts on the import path: each has a name of its own."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from suite_env import CASES, ROOT, SCENARIOS, Check, fixture_client, fixture_impl


def _run_check(tmp_path: Path, stem: str, args: list[str], timeout: float) -> Check:
    """./ssespec check ARGS --json --junit (files named after stem in tmp_path)."""
    out = tmp_path / f"{stem}.json"
    junit = tmp_path / f"{stem}.xml"
    out.unlink(missing_ok=True)
    junit.unlink(missing_ok=True)
    # the folders the tests give are the only ones (not beside the built-in corpus)
    own = ["--no-builtin"] if {"--cases", "--scenarios", "--producers"} & set(args) else []
    cmd = [str(ROOT / "ssespec"), "check", *args, *own, "--json", str(out), "--junit", str(junit)]
    t0 = time.monotonic()
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    secs = time.monotonic() - t0
    data = json.loads(out.read_text()) if out.exists() else None
    return Check(p.returncode, p.stdout, p.stderr, secs, data, junit if junit.exists() else None)


@pytest.fixture
def check(tmp_path: Path):
    """check(*args, flags=[...], cases="basic") runs ./ssespec check with the
    fixture adapter (given flags) unless args hold their own --impl."""

    def run(*args: str, flags: tuple[str, ...] = (), cases: str = "basic",
            timeout: float = 120) -> Check:
        own = [] if "--impl" in args else ["--impl", fixture_impl(*flags)]
        return _run_check(tmp_path, "results", ["--cases", str(CASES / cases), *own, *args],
                          timeout)

    return run


@pytest.fixture
def check_client(tmp_path: Path):
    """check_client(*args, flags=[...], scenarios="basic") runs ./ssespec
    check --client with the fixture client adapter (given flags) unless args
    hold their own --client."""

    def run(*args: str, flags: tuple[str, ...] = (), scenarios: str = "basic",
            timeout: float = 120) -> Check:
        own = [] if "--client" in args or "--impl" in args else ["--client", fixture_client(*flags)]
        # the parser cases served over the wire are not these tests' subject
        # (tests/client_suite/test_client_suite_cases.py has its own)
        own += [] if "--cases" in args else ["--no-client-cases"]
        return _run_check(tmp_path, "client-results",
                          ["--scenarios", str(SCENARIOS / scenarios), *own, *args], timeout)

    return run
