"""Fixtures for the matrix's tests: small, real runs.

`small_matrix` runs `./ssespec matrix` once (per pytest worker) on the
reference parser and client, the literal parser with a seeded defect and
the literal client with one, over the harness's own small case and
scenario sets. `defect_check` runs one `./ssespec check --json` of the
literal parser against a baseline written here, whose reasons name causes
as the bundled adapters' expect.txt files do."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from matrix_env import (BASELINE, BASIC_CASES, BASIC_SCENARIOS, CLIENT_DEFECT, DEFECTS,
                        PARSER_DEFECT, DefectCheck, Ran, literal, literal_client, run_matrix)
from suite_env import ROOT


@pytest.fixture(scope="session")
def small_matrix(tmp_path_factory) -> Ran:
    out = tmp_path_factory.mktemp("matrix") / "report"
    return run_matrix(out, "--only", "reference-parser,reference-client",
                      "--impl", literal(PARSER_DEFECT), "--client", literal_client(CLIENT_DEFECT),
                      "--cases", str(BASIC_CASES), "--scenarios", str(BASIC_SCENARIOS),
                      "--no-builtin", "--peers-doc", str(out / "peers.md"))


@pytest.fixture(scope="session")
def defect_check(tmp_path_factory) -> DefectCheck:
    d = tmp_path_factory.mktemp("defect")
    baseline = d / "expect.txt"
    baseline.write_text(BASELINE, encoding="utf-8")
    out = d / "results.json"
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--impl",
                        literal(*DEFECTS), "--cases",
                        str(BASIC_CASES), "--expect", str(baseline), "--json", str(out), "-q"],
                       cwd=ROOT, capture_output=True, text=True, timeout=120,
                       stdin=subprocess.DEVNULL)
    assert out.exists(), p.stdout + p.stderr
    return DefectCheck(out, baseline)


@pytest.fixture(scope="session")
def reference_check(tmp_path_factory) -> Path:
    """The reference parser's JSON over BASIC_CASES."""
    out = tmp_path_factory.mktemp("reference") / "results.json"
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", "reference",
                        "--cases",
                        str(BASIC_CASES), "--json", str(out), "-q"],
                       cwd=ROOT, capture_output=True, text=True, timeout=300,
                       stdin=subprocess.DEVNULL)
    assert out.exists(), p.stdout + p.stderr
    return out
