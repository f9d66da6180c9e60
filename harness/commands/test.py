"""`./ssespec test`: the project's own tests, as a list of named steps.

A step is a name, a line saying what it does, the steps it needs, and a
function that runs it and returns True when it passed. To add a step
(fuzz replays, a server suite, ...), add a Step to steps().
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Callable

from harness.commands import Command, recorded
from harness.core.errors import Fatal
from harness.core.paths import ROOT
from harness.setup import build, deps

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


PYTEST_WORKERS = 4   # most tests wait on the clock or on subprocesses, not on the CPU


def _pytest() -> bool:
    """One pytest run over all of tests/ (helper modules in tests/support
    have names of their own), spread over PYTEST_WORKERS processes by
    pytest-xdist, a test file per worker at a time (--dist loadfile: a
    module's fixtures are made once). The slowest tests are listed at the
    end."""
    deps.ensure("pytest", "pytest-xdist", "yaml", "h2", "curl", "nghttp", "brotli", "nginx")
    rc = _call([sys.executable, "-m", "pytest", "tests", "-q", "-ra", "--durations=8",
                "-n", str(PYTEST_WORKERS), "--dist", "loadfile"])
    return rc == 0


PY_DIRS = ("harness", "tests", "fuzz", "bench")


def python_sources() -> list[str]:
    """The project's Python files (no build output, no npm packages)."""
    out = []
    for top in PY_DIRS:
        for dirpath, dirnames, filenames in os.walk(ROOT / top):
            dirnames[:] = [d for d in dirnames if d not in ("node_modules", "build", "__pycache__")]
            out += [os.path.join(dirpath, f) for f in filenames if f.endswith(".py")]
    return sorted(os.path.relpath(f, ROOT) for f in out)


def _lint() -> bool:
    """pyflakes (undefined names, unused imports, ...) and isort's order of
    imports over the Python sources; `isort -l 100 -m 0 FILE` mends an
    order, pyflakes' message names the line."""
    deps.ensure("pyflakes", "isort")
    files = python_sources()
    print(f"$ python3 -m pyflakes ({len(files)} files)", flush=True)
    ok = subprocess.call([sys.executable, "-m", "pyflakes", *files], cwd=ROOT,
                         stdin=subprocess.DEVNULL) == 0
    print(f"$ python3 -m isort --check-only -l 100 -m 0 ({len(files)} files)", flush=True)
    ok = subprocess.call([sys.executable, "-m", "isort", "--check-only", "--diff", "-q", "-l",
                          "100", "-m", "0", "--py", "39", *files], cwd=ROOT,
                         stdin=subprocess.DEVNULL) == 0 and ok
    return ok


C_DIRS = ("parser", "encoder", "server", "client", "common", "adapters", "fuzz", "bench", "tests")


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


def _results(slow: bool) -> Callable[[], bool]:
    return lambda: recorded.all_hold(slow, RESULTS)


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


def steps(slow: bool = False) -> list[Step]:
    """The steps, in order (slow: the results step runs the slow adapters too)."""
    return [
        Step("build-release", "configure and build build/release", _build("release")),
        Step("ctest-release", "ctest in build/release", _ctest("release"), ("build-release",)),
        Step("build-asan", "configure and build build/asan (ASan + UBSan)", _build("asan")),
        Step("ctest-asan", "ctest in build/asan", _ctest("asan"), ("build-asan",)),
        Step("pytest", "pytest over tests/, one session (pytest-xdist workers)", _pytest,
             ("build-release",)),
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
        Step("results", "each bundled adapter against its recorded results (adapters/*/expect.txt)",
             _results(slow), ("build-release",)),
        Step("format", "clang-format --dry-run -Werror over the C sources (.clang-format)", _format),
        Step("lint", "pyflakes and isort --check-only over the Python sources", _lint),
    ]


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--list", action="store_true", help="list the steps and exit")
    p.add_argument("--only", action="append", metavar="STEP", help="run only these steps")
    p.add_argument("--skip", action="append", metavar="STEP", help="leave out these steps")
    p.add_argument("--slow", action="store_true",
                   help="the results step also runs the slow bundled adapters (browsers)")


def run(args: argparse.Namespace) -> int:
    all_steps = steps(args.slow)
    names = [s.name for s in all_steps]
    if args.list:
        for s in all_steps:
            print(f"{s.name:<20} {s.what}")
        return 0
    for n in (args.only or []) + (args.skip or []):
        if n not in names:
            raise Fatal(f"unknown step {n!r} (steps: {', '.join(names)})")
    chosen = [s for s in all_steps if (not args.only or s.name in args.only)
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


COMMANDS = [Command("test", "run the project's own tests (.ci/run calls it)", run, configure,
                    "Build release and ASan, run ctest in both, pytest on tests/, and the "
                    "conformance suites against the ASan reference implementations.")]
