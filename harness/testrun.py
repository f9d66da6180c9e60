"""`./ssespec test`: the project's own tests, as a list of named steps.

A step is a name, a line saying what it does, the steps it needs, and a
function that runs it and returns True when it passed. To add a step
(fuzz replays, a server suite, ...), append a Step to STEPS.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from . import build, deps
from .errors import Fatal

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "build" / "test-results"


@dataclass(frozen=True)
class Step:
    name: str
    what: str
    run: Callable[[], bool]
    needs: tuple[str, ...] = ()


def _call(cmd: list[str], env: dict[str, str] | None = None) -> int:
    print(f"$ {' '.join(cmd)}", flush=True)
    return subprocess.call(cmd, cwd=ROOT, stdin=subprocess.DEVNULL,
                           env=dict(os.environ, **(env or {})))


def _build(kind: str) -> Callable[[], bool]:
    def run() -> bool:
        try:
            build.build(kind)
        except Fatal as e:
            print(f"ssespec: {e}", file=sys.stderr)
            return False
        return True
    return run


def _ctest(kind: str) -> Callable[[], bool]:
    return lambda: _call(["ctest", "--test-dir", str(build.build_dir(kind)),
                          "--output-on-failure", "-j2"]) == 0


def _pytest() -> bool:
    """pytest on each folder of tests/ that has Python tests, one process per
    folder: the folders' helper modules (conftest.py, ...) share names, and
    separate processes keep one folder's from shadowing another's."""
    deps.ensure("pytest")
    dirs = sorted(d for d in (ROOT / "tests").iterdir()
                  if d.is_dir() and any(d.rglob("test_*.py")))
    if not dirs:
        print("ssespec: no Python tests below tests/", file=sys.stderr)
        return False
    outcome = {}
    for d in dirs:
        rel = d.relative_to(ROOT).as_posix()
        rc = _call([sys.executable, "-m", "pytest", rel, "-q", "-ra"])
        outcome[rel] = "passed" if rc == 0 else ("collected no tests" if rc == 5 else "FAILED")
    print("pytest: " + ", ".join(f"{k} {v}" for k, v in outcome.items()), flush=True)
    return all(v == "passed" for v in outcome.values())


C_DIRS = ("parser", "server", "client", "common", "adapters", "fuzz", "bench", "tests")


def c_sources() -> list[str]:
    """The project's C sources and headers (no build output, no npm packages)."""
    out = []
    for top in C_DIRS:
        for dirpath, dirnames, filenames in os.walk(ROOT / top):
            dirnames[:] = [d for d in dirnames if d not in ("node_modules", "build")]
            out += [os.path.join(dirpath, f) for f in filenames if f.endswith((".c", ".h"))]
    return sorted(os.path.relpath(f, ROOT) for f in out)


def _format() -> bool:
    """clang-format --dry-run -Werror over the C sources: they keep to the
    committed .clang-format (clang-format -i FILE mends one that does not)."""
    deps.ensure("clang-format")
    files = c_sources()
    print(f"$ clang-format --dry-run -Werror ({len(files)} files)", flush=True)
    return subprocess.call(["clang-format", "--dry-run", "-Werror", *files], cwd=ROOT,
                           stdin=subprocess.DEVNULL) == 0


def _conformance(kernel: str | None) -> Callable[[], bool]:
    """The parser suite against the ASan reference adapter, with the parser's
    scan kernel forced by SSESPEC_SCAN (None: the one it picks itself)."""
    return lambda: _conformance_asan(kernel)


def _conformance_asan(kernel: str | None = None) -> bool:
    name = "conformance-asan" + (f"-{kernel}" if kernel else "")
    out = RESULTS / f"{name}.json"
    out.unlink(missing_ok=True)
    rc = _call([str(ROOT / "ssespec"), "check", "--impl", "reference", "--build", "asan",
                "--json", str(out), "--junit", str(RESULTS / f"{name}.xml")],
               env={"SSESPEC_SCAN": kernel} if kernel else None)
    if rc != 0:
        return False
    note = json.loads(out.read_text())["adapter"].get("end_note")
    if note:
        print(f"ssespec: {note} (ASan/UBSan or leak report above?)", file=sys.stderr)
        return False
    return True


def _replay() -> bool:
    return all(_call([str(ROOT / "ssespec"), "replay"], env=env) == 0
               for env in (None, {"SSESPEC_SCAN": "scalar"}))


def _client_asan() -> bool:
    """The client suite against the ASan/UBSan reference client and scenario
    server: every scenario must pass, and neither program may exit with a
    status other than 0 or write a sanitizer report."""
    out = RESULTS / "client-asan.json"
    out.unlink(missing_ok=True)
    rc = _call([str(ROOT / "ssespec"), "check", "--client", "--build", "asan",
                "--json", str(out), "--junit", str(RESULTS / "client-asan.xml")])
    if rc != 0:
        return False
    data = json.loads(out.read_text())
    notes = [n for n in (data["adapter"].get("end_note"), (data.get("server") or {}).get("end_note"))
             if n]
    for note in notes:
        print(f"ssespec: {note}", file=sys.stderr)
    return not notes


STEPS: list[Step] = [
    Step("build-release", "configure and build build/release", _build("release")),
    Step("ctest-release", "ctest in build/release", _ctest("release"), ("build-release",)),
    Step("build-asan", "configure and build build/asan (ASan + UBSan)", _build("asan")),
    Step("ctest-asan", "ctest in build/asan", _ctest("asan"), ("build-asan",)),
    Step("pytest", "pytest on each folder of tests/ (harness, peers, ...)", _pytest),
    Step("conformance-asan", "./ssespec check against the ASan reference adapter",
         _conformance(None), ("build-asan",)),
    Step("conformance-scalar", "the same with the parser's scalar scan kernel forced",
         _conformance("scalar"), ("build-asan",)),
    Step("conformance-sse2", "the same with the SSE2 scan kernel forced",
         _conformance("sse2"), ("build-asan",)),
    Step("fuzz-replay", "./ssespec replay: every fuzz target over its seeds and regressions "
         "(gcc + ASan build, no clang), with the default and the scalar kernel", _replay,
         ("build-asan",)),
    Step("client-asan", "./ssespec check --client: ASan reference client and server",
         _client_asan, ("build-asan",)),
    Step("format", "clang-format --dry-run -Werror over the C sources (.clang-format)", _format),
]


def main(args: argparse.Namespace) -> int:
    names = [s.name for s in STEPS]
    if args.list:
        for s in STEPS:
            print(f"{s.name:<20} {s.what}")
        return 0
    for n in (args.only or []) + (args.skip or []):
        if n not in names:
            raise Fatal(f"unknown step {n!r} (steps: {', '.join(names)})")
    chosen = [s for s in STEPS if (not args.only or s.name in args.only)
              and s.name not in (args.skip or [])]
    RESULTS.mkdir(parents=True, exist_ok=True)
    outcome: dict[str, tuple[str, float]] = {}
    for s in chosen:
        broken = [n for n in s.needs if outcome.get(n, ("PASS",))[0] != "PASS"]
        if broken:
            outcome[s.name] = ("NOT RUN", 0.0)
            print(f"\n=== {s.name}: not run, it needs {', '.join(broken)}", flush=True)
            continue
        print(f"\n=== {s.name}: {s.what}", flush=True)
        t0 = time.monotonic()
        try:
            ok = s.run()
        except Fatal as e:
            print(f"ssespec: {e}", file=sys.stderr)
            ok = False
        outcome[s.name] = ("PASS" if ok else "FAIL", time.monotonic() - t0)
    print("\n=== summary")
    for name, (status, secs) in outcome.items():
        print(f"  {status:<8} {name:<20} {secs:7.1f} s")
    passed = sum(1 for st, _ in outcome.values() if st == "PASS")
    failed = len(outcome) - passed
    print(f"test: {passed} passed, {failed} failed", flush=True)
    return 0 if failed == 0 else 1
