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
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.commands import Command
from harness.core import expect
from harness.core.errors import Fatal
from harness.core.paths import ROOT
from harness.setup import build, bundled, deps

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
    return lambda: _recorded_results(slow)


def _recorded_results(slow: bool) -> bool:
    """Each bundled adapter against its recorded results (adapters/NAME/
    expect.txt): the run must fail exactly the listed variants, no more and
    no fewer (no unexpected failure, none fixed or changed, no stale
    entry). Variants the baseline calls flaky are not run (any verdict
    agrees). A variant that disagrees is run once more on its own: a
    third-party client's verdict can hang on timing under load, so one that
    agrees on the second run is reported by name and let pass; one that
    disagrees twice, and any stale entry, fails the step. Slow adapters
    (browsers, own runtimes) only with --slow.

    Two lanes run side by side: the client adapters (which mostly wait on
    the clock) one after another in one, the parser and server adapters
    (which mostly compute) in the other. Each check's output is printed
    whole when it ends."""
    lanes: dict[bool, list[bundled.Manifest]] = {True: [], False: []}
    for m in bundled.manifests().values():
        if not m.baseline.exists() or (m.slow and not slow):
            if m.slow and not slow:
                print(f"ssespec: {m.name}: slow, left out (./ssespec test --slow runs it)")
            continue
        lanes[m.kind == "client"].append(m)
    checks = _Checks()
    pool = ThreadPoolExecutor(2)
    try:
        done = [pool.submit(lambda ms: [holds(m, checks=checks) for m in ms], ms)
                for ms in lanes.values()]
        return all(all(f.result()) for f in done)
    except BaseException:      # Ctrl-C, SIGTERM: stop the checks under way, start no more
        checks.stop()
        raise
    finally:
        pool.shutdown(wait=True)


_FLAG = {"parser": "--impl", "client": "--client", "server": "--server"}
_PRINTING = threading.Lock()   # one adapter's output at a time


class _Checks:
    """The `check` processes of one results step: stop() ends those under way
    (SIGTERM: each stops its adapters and servers) and refuses new ones."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._running: set[subprocess.Popen[str]] = set()
        self._stopped = False

    def run(self, cmd: list[str]) -> tuple[int, str] | None:
        """cmd's exit status and output (stdout and stderr), or None once stopped."""
        with self._lock:
            if self._stopped:
                return None
            p = subprocess.Popen(cmd, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                 stderr=subprocess.STDOUT, text=True, errors="replace")
            self._running.add(p)
        try:
            out, _ = p.communicate()
        finally:
            with self._lock:
                self._running.discard(p)
        return p.returncode, out

    def stop(self) -> None:
        with self._lock:
            self._stopped = True
            for p in self._running:
                p.terminate()


def _shown(path: Path) -> str:
    return os.path.relpath(path, ROOT) if path.is_relative_to(ROOT) else str(path)


class _Output:
    """What one adapter's checks print, held back and printed whole."""

    def __init__(self) -> None:
        self.parts: list[tuple[str, bool]] = []

    def say(self, text: str, err: bool = False) -> None:
        self.parts.append((text, err))

    def flush(self) -> None:
        with _PRINTING:
            for text, err in self.parts:
                print(text, file=sys.stderr if err else sys.stdout, flush=True)
        self.parts = []


def _check_against_baseline(m: bundled.Manifest, out: Path, said: _Output, checks: _Checks,
                            k: str | None = None,
                            extra: tuple[str, ...] = ()) -> tuple[int, dict | None]:
    """One `check` of adapter m (its name, or a command) with its baseline:
    the exit status and the JSON (None when the run wrote none: the adapter
    or the check broke, as its output says, or the step was stopped).
    extra: more `check` arguments."""
    out.unlink(missing_ok=True)
    cmd = [str(ROOT / "ssespec"), "check", _FLAG[m.kind], m.name, "--expect", _shown(m.baseline),
           "--json", str(out), "-q", *extra, *(["-k", k] if k else [])]
    ran = checks.run(cmd)
    if ran is None:
        return 2, None
    said.say(f"$ {' '.join(cmd)}\n{ran[1].rstrip()}")
    return ran[0], (json.loads(out.read_text()) if out.exists() else None)


def disagreements(data: dict) -> tuple[set[str], list[str]]:
    """From a check's JSON: the ids of variants that disagree with the
    baseline (failed unexpectedly, fixed or changed), and its stale entries."""
    ids: set[str] = set()
    stale: list[str] = []
    for suite in data.get("suites", [data]):
        b = suite.get("baseline") or {}
        ids.update(b.get("unexpected_failures", []))
        ids.update(b.get("fixed", []))
        ids.update(c["id"] for c in b.get("changed", []))
        stale += b.get("stale", [])
    return ids, stale


def holds(m: bundled.Manifest, out: Path = RESULTS, extra: tuple[str, ...] = (),
          checks: _Checks | None = None) -> bool:
    """Whether adapter m's run agrees with its recorded results (see
    _recorded_results); out: the folder for the runs' JSON. Prints what it
    did when it is done."""
    said = _Output()
    try:
        return _holds(m, out, extra, said, checks or _Checks())
    finally:
        said.flush()


def _holds(m: bundled.Manifest, out: Path, extra: tuple[str, ...], said: _Output,
           checks: _Checks) -> bool:
    where = _shown(m.baseline)
    label = m.dir.name
    # a variant the baseline calls flaky agrees with it whatever its verdict:
    # it is not run here (a slow one would only cost time; the matrix runs it)
    flaky = sorted({e.selector for e in expect.load(m.baseline).entries
                    if e.verdict == expect.FLAKY and e.kind != "rule"})
    rc, data = _check_against_baseline(m, out / f"results-{label}.json", said, checks,
                                       f"not ({' or '.join(flaky)})" if flaky else None, extra)
    if data is None:
        return False
    ids, stale = disagreements(data)
    # -k leaves out every variant whose id holds a flaky entry's selector, so
    # an entry whose selector holds one may match only variants left out
    stale = [s for s in stale
             if not any(f.lower() in s.split(" (line ")[0].lower() for f in flaky)]
    if stale:
        said.say(f"ssespec: {label}: stale entries in {where} (they match no variant): "
                 f"{', '.join(stale)}", err=True)
    if not ids:
        return rc == 0 and not stale
    said.say(f"ssespec: {label}: {len(ids)} variants disagree with {where}; running them once more")
    _, again = _check_against_baseline(m, out / f"results-{label}-again.json", said, checks,
                                       " or ".join(sorted(ids)), extra)
    if again is None:
        return False
    ran = {c["id"] for suite in again.get("suites", [again]) for c in suite.get("cases", [])}
    twice = sorted((ids - ran) | (ids & disagreements(again)[0]))
    settled = sorted(ids - set(twice))
    if settled:
        said.say(f"ssespec: {label}: agreed with the recorded results on a second run (a verdict "
                 f"that varies with timing; mark it flaky in {where} if it recurs): "
                 f"{', '.join(settled)}")
    if twice:
        said.say(f"ssespec: {label}: the recorded results no longer hold (twice): "
                 f"{', '.join(twice)}; update {where} (--write-expect) and its doc", err=True)
    return not twice and not stale


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
