"""Running `./ssespec check` once per implementation, a few at a time.

Each check runs in a session (and so a process group) of its own, with its
JSON results, stdout and stderr going to files in a scratch folder. On
Ctrl-C, SIGTERM or SIGHUP (a KeyboardInterrupt here, harness/commands) every
running check gets SIGTERM, which it answers by stopping its adapters and
servers; a group still there after a grace period gets SIGKILL. A check that
exits with status 2, or is killed, did not run: its reason is the last
`ssespec:` line of its stderr.
"""

from __future__ import annotations

import os
import signal
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.core.paths import ROOT
from harness.matrix.impls import Target

GRACE = 15.0        # seconds a check gets to stop its adapters after SIGTERM
POLL = 0.2          # seconds between looks at the running checks
MAX_PARALLEL = 8    # -j is bounded: each check runs adapters, servers, browsers


@dataclass(frozen=True)
class CheckOptions:
    """What every check of a matrix is given besides its implementation."""

    expect: bool = True                 # hold bundled adapters to adapters/NAME/expect.txt
    cases: str | None = None            # --cases DIR (parser suite, and the client's bodies)
    scenarios: str | None = None        # --scenarios DIR
    producers: str | None = None        # --producers DIR
    k: str | None = None                # -k EXPR
    no_builtin: bool = False            # --no-builtin: only the folders given
    build: str = "release"              # --build
    timeout: float = 1800.0             # seconds one check may take before it is stopped

    def selection_args(self) -> list[str]:
        """The options that pick what runs, for the check and its rerun lines."""
        out: list[str] = []
        for flag, value in (("--cases", self.cases), ("--scenarios", self.scenarios),
                            ("--producers", self.producers), ("-k", self.k)):
            if value is not None:
                out += [flag, value]
        if self.no_builtin:
            out.append("--no-builtin")
        if self.build != "release":
            out += ["--build", self.build]
        return out


def check_argv(target: Target, json_path: Path, opts: CheckOptions) -> list[str]:
    """The check a matrix runs for target."""
    argv = [str(ROOT / "ssespec"), "check", target.flag, target.spec, "--json", str(json_path),
            "-q", *opts.selection_args()]
    if opts.expect and target.baseline is not None:
        argv += ["--expect", str(target.baseline)]
    return argv


@dataclass
class Outcome:
    """How one check went."""

    target: Target
    argv: list[str]
    status: int | None = None           # its exit status; None when it was stopped
    seconds: float = 0.0
    json_path: Path | None = None       # its results, when it wrote them
    stderr: str = ""
    not_run: str = ""                   # why it could not be run ("" when it ran)

    @property
    def ran(self) -> bool:
        return not self.not_run


@dataclass
class _Running:
    target: Target
    argv: list[str]
    proc: subprocess.Popen
    started: float
    json_path: Path
    stderr_path: Path
    stopped: str = ""                   # why the matrix stopped it


def _reason(stderr: str) -> str:
    """The one line a check that could not run says why, else its last line."""
    lines = [s.strip() for s in stderr.splitlines() if s.strip()]
    said = [s for s in lines if s.startswith("ssespec: ")]
    if said:
        return said[-1][len("ssespec: "):]
    return lines[-1] if lines else "no reason given"


def _finish(r: _Running) -> Outcome:
    stderr = r.stderr_path.read_text(encoding="utf-8", errors="replace") \
        if r.stderr_path.exists() else ""
    status = r.proc.returncode
    out = Outcome(r.target, r.argv, status, time.monotonic() - r.started, None, stderr)
    if r.stopped:
        out.status, out.not_run = None, r.stopped
    elif status not in (0, 1):
        out.not_run = _reason(stderr) if status == 2 else \
            f"./ssespec check ended with status {status} ({_reason(stderr)})"
    elif not r.json_path.exists():
        out.not_run = "./ssespec check wrote no results"
    else:
        out.json_path = r.json_path
    return out


_STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


def _unblock() -> None:
    """For preexec_fn: the check takes the signals the matrix held back."""
    signal.pthread_sigmask(signal.SIG_UNBLOCK, _STOPPING)


def _signal_group(proc: subprocess.Popen, sig: int) -> None:
    try:
        os.killpg(proc.pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


def stop_all(running: list[_Running], grace: float = GRACE) -> None:
    """SIGTERM to every running check's group; SIGKILL to what is left after
    grace seconds (and to the group of a check that did stop, in case it left
    something behind)."""
    for r in running:
        _signal_group(r.proc, signal.SIGTERM)
    deadline = time.monotonic() + grace
    for r in running:
        try:
            r.proc.wait(timeout=max(0.0, deadline - time.monotonic()))
        except subprocess.TimeoutExpired:
            pass
    for r in running:
        _signal_group(r.proc, signal.SIGKILL)
        r.proc.wait()


def run_all(targets: list[Target], scratch: Path, opts: CheckOptions, parallel: int,
            on_done: Callable[[Outcome], None], grace: float = GRACE) -> list[Outcome]:
    """Run each target's check, at most parallel at once, in the order given;
    on_done is called as each one ends. Returns the outcomes in target order.
    A KeyboardInterrupt stops every running check before it goes on up."""
    parallel = max(1, min(parallel, MAX_PARALLEL))
    waiting = list(enumerate(targets))
    running: list[tuple[int, _Running]] = []
    done: dict[int, Outcome] = {}
    try:
        while waiting or running:
            while waiting and len(running) < parallel:
                n, t = waiting.pop(0)
                # a signal between the fork and the append would lose the
                # check (it would run on, unstopped): held back until it is in
                held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
                try:
                    running.append((n, _start(n, t, scratch, opts)))
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
            time.sleep(POLL)
            still: list[tuple[int, _Running]] = []
            for n, r in running:
                if r.proc.poll() is None and not r.stopped \
                        and time.monotonic() - r.started > opts.timeout:
                    r.stopped = f"stopped after {opts.timeout:g} s (the matrix's --timeout)"
                    stop_all([r], grace)
                if r.proc.poll() is None:
                    still.append((n, r))
                    continue
                _signal_group(r.proc, signal.SIGKILL)   # nothing of it may outlive it
                done[n] = _finish(r)
                on_done(done[n])
            running = still
    except BaseException:
        # Ctrl-C, SIGTERM, or anything else: leave nothing running
        old = signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            stop_all([r for _, r in running], grace)
        finally:
            signal.signal(signal.SIGINT, old)
        raise
    return [done[n] for n in range(len(targets))]


def _start(n: int, target: Target, scratch: Path, opts: CheckOptions) -> _Running:
    json_path = scratch / f"{n:03d}-{target.id[:40]}.json"
    json_path = json_path.with_name(json_path.name.replace("/", "_").replace(" ", "_"))
    stderr_path = json_path.with_suffix(".stderr")
    stdout_path = json_path.with_suffix(".stdout")
    argv = check_argv(target, json_path, opts)
    with open(stderr_path, "wb") as err, open(stdout_path, "wb") as out:
        proc = subprocess.Popen(argv, cwd=ROOT, stdin=subprocess.DEVNULL, stdout=out,
                                stderr=err, start_new_session=True, preexec_fn=_unblock)
    return _Running(target, argv, proc, time.monotonic(), json_path, stderr_path)

