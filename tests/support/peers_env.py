"""Paths and commands shared by the peer tests (literal parser, mutants, agreement)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]

PYTHON = "/usr/bin/python3" if os.path.exists("/usr/bin/python3") else sys.executable
LITERAL = [PYTHON, str(HERE / "literal_parser.py")]
LITERAL_CLIENT = [PYTHON, str(HERE / "literal_client.py")]

SSESPEC = ROOT / "ssespec"
REFERENCE_NAME = "ssespec-parser-adapter"


def reference_adapter() -> Path | None:
    """The built reference adapter: $SSESPEC_REFERENCE_ADAPTER, else the one in
    build/release, else build/asan (None when neither is built)."""
    env = os.environ.get("SSESPEC_REFERENCE_ADAPTER")
    if env:
        return Path(env)
    from harness.setup.build import build_dir, find_executable

    for kind in ("release", "asan"):
        d = build_dir(kind)
        if d.is_dir():
            exe = find_executable(d, REFERENCE_NAME)
            if exe is not None:
                return exe
    return None


def ssespec_check(args: list[str], timeout: float) -> dict:
    """Run `./ssespec check ARGS --json FILE`: the command, its exit status
    (0 all passed, 1 some failed, 2 could not run), seconds, stdout, stderr
    and JSON results (None when it wrote none)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "results.json"
        cmd = [str(SSESPEC), "check", *args, "--json", str(out)]
        t0 = time.monotonic()
        p = subprocess.run(cmd, cwd=ROOT, capture_output=True, timeout=timeout,
                           stdin=subprocess.DEVNULL)
        result = {"cmd": cmd, "rc": p.returncode, "secs": time.monotonic() - t0,
                  "stdout": p.stdout.decode("utf-8", "replace"),
                  "stderr": p.stderr.decode("utf-8", "replace"), "json": None}
        if out.exists():
            try:
                result["json"] = json.loads(out.read_text())
            except ValueError:
                pass
        return result


def tail(text: str, n: int = 25) -> str:
    return "\n".join(text.splitlines()[-n:])
