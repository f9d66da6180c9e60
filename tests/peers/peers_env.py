"""Paths and commands shared by the peer tests (literal parser, mutants, agreement)."""

from __future__ import annotations

import os
import sys
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))
sys.path.insert(0, str(ROOT))

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
LITERAL = [PYTHON, str(HERE / "literal_parser.py")]

REFERENCE_NAME = "ssespec-parser-adapter"


def reference_adapter() -> Path | None:
    """The built reference adapter: $SSESPEC_REFERENCE_ADAPTER, else the one in
    build/release, else build/asan (None when neither is built)."""
    env = os.environ.get("SSESPEC_REFERENCE_ADAPTER")
    if env:
        return Path(env)
    from harness.build import build_dir, find_executable

    for kind in ("release", "asan"):
        d = build_dir(kind)
        if d.is_dir():
            exe = find_executable(d, REFERENCE_NAME)
            if exe is not None:
                return exe
    return None
