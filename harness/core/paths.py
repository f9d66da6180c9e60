"""Where things are: the repository root, and the folders every room refers to."""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
CORPUS = ROOT / "corpus"
CASES = CORPUS / "cases"
SCENARIOS = CORPUS / "scenarios"
PRODUCERS = CORPUS / "producers"
REGRESSIONS = CORPUS / "regressions"
ADAPTERS = ROOT / "adapters"
BUILD = ROOT / "build"
