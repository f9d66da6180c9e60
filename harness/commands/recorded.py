"""The `results` step of `./ssespec test`: each bundled adapter against
its recorded results (adapters/NAME/expect.txt), with a second run for the
variants that disagree (all_hold; holds for one adapter)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from harness.core import expect
from harness.core.paths import ROOT
from harness.setup import bundled


def all_hold(slow: bool, out: Path) -> bool:
    """Each bundled adapter against its recorded results (adapters/NAME/
    expect.txt): the run must fail exactly the listed variants, no more and
    no fewer (no unexpected failure, none fixed or changed, no stale
    entry); their JSON goes to out. Variants the baseline calls flaky are not run (any verdict
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
        done = [pool.submit(lambda ms: [holds(m, out, checks=checks) for m in ms], ms)
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


def holds(m: bundled.Manifest, out: Path, extra: tuple[str, ...] = (),
          checks: _Checks | None = None) -> bool:
    """Whether adapter m's run agrees with its recorded results (see
    all_hold); out: the folder for the runs' JSON. Prints what it
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
