"""The `check` fixture: run `./ssespec check` on a small case set below
tests/harness/cases/ with the fixture adapter (harness_env.py)."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent))

from harness_env import CASES, ROOT, Check, fixture_impl  # noqa: E402


@pytest.fixture
def check(tmp_path: Path):
    """check(*args, flags=[...], cases="basic") runs ./ssespec check with the
    fixture adapter (given flags) unless args hold their own --impl."""

    def run(*args: str, flags: tuple[str, ...] = (), cases: str = "basic",
            timeout: float = 120) -> Check:
        out = tmp_path / "results.json"
        junit = tmp_path / "results.xml"
        out.unlink(missing_ok=True)
        junit.unlink(missing_ok=True)
        cmd = [str(ROOT / "ssespec"), "check", "--cases", str(CASES / cases),
               "--json", str(out), "--junit", str(junit)]
        if "--impl" not in args:
            cmd += ["--impl", fixture_impl(*flags)]
        cmd += list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout)
        secs = time.monotonic() - t0
        data = json.loads(out.read_text()) if out.exists() else None
        return Check(p.returncode, p.stdout, p.stderr, secs, data,
                     junit if junit.exists() else None)

    return run


@pytest.fixture
def check_client(tmp_path: Path):
    """check_client(*args, flags=[...], scenarios="basic") runs ./ssespec
    check --client with the fixture client adapter (given flags) unless args
    hold their own --client."""
    from harness_env import SCENARIOS, fixture_client

    def run(*args: str, flags: tuple[str, ...] = (), scenarios: str = "basic",
            timeout: float = 120) -> Check:
        out = tmp_path / "client-results.json"
        junit = tmp_path / "client-results.xml"
        out.unlink(missing_ok=True)
        junit.unlink(missing_ok=True)
        cmd = [str(ROOT / "ssespec"), "check", "--scenarios", str(SCENARIOS / scenarios),
               "--json", str(out), "--junit", str(junit)]
        if "--client" not in args and "--impl" not in args:
            cmd += ["--client", fixture_client(*flags)]
        cmd += list(args)
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        secs = time.monotonic() - t0
        data = json.loads(out.read_text()) if out.exists() else None
        return Check(p.returncode, p.stdout, p.stderr, secs, data,
                     junit if junit.exists() else None)

    return run
