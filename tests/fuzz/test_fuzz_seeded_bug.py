"""`fuzz` finds a planted defect: the diff target, built with clang against a
copy of the parser with a small realistic bug (conftest.DEFECT_*), reports a
divergence from the literal implementation within 60 seconds, minimizes it
and keeps it as a regression input."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

from harness.commands import main
from harness.fuzz.targets import PARSER_TARGETS


def test_fuzz_finds_the_planted_defect(clang: str, defective_parser: Path, tmp_path: Path,
                                       capsys: pytest.CaptureFixture[str]) -> None:
    regressions = tmp_path / "regressions"
    started = time.monotonic()
    rc = main(["fuzz", "diff", "--seconds", "60", "--build-dir", str(tmp_path / "build"),
                       "--regressions", str(regressions), "--parser-src", str(defective_parser)])
    elapsed = time.monotonic() - started
    out = capsys.readouterr().out
    assert rc == 1, out
    assert "the reference parser and the literal implementation differ" in out
    kept = sorted((regressions / "diff").iterdir())
    assert kept, out
    # Found within the budget (build and minimization included, bounded).
    assert elapsed < 60 + 60 + 60, out
    # The kept input is a finding for the defective build, and none for the
    # real parser.
    binary = tmp_path / "build" / "out-address-undefined" / "diff"
    r = subprocess.run([str(binary), "-runs=1", str(kept[0])], capture_output=True, text=True,
                       timeout=60)
    assert r.returncode != 0 and "==== finding: diff" in r.stderr
    assert len(kept[0].read_bytes()) <= 64, "minimized"


def test_fuzz_reports_no_finding_on_the_real_parser(clang: str, tmp_path: Path,
                                                    capsys: pytest.CaptureFixture[str]) -> None:
    rc = main(["fuzz", "diff", "split", "parse", "--seconds", "3", "--build-dir",
                       str(tmp_path / "build"), "--regressions", str(tmp_path / "regressions")])
    out = capsys.readouterr().out
    assert rc == 0, out
    for t in PARSER_TARGETS:
        line = next(ln for ln in out.splitlines() if ln.strip().startswith(t))
        assert "findings 0" in line and " cov " in line, line
