"""Run one suite: pytest in this process, with the suite's plugin object
and ssespec's compact report instead of pytest's terminal, and map the
outcome to ssespec's exit statuses (0 nothing failed, 1 a variant failed,
2 the run could not be done: Fatal).
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import ROOT
from harness.core.select import SelectError, Selection

# pytest plugins a conformance run does without: its own report replaces the
# terminal, and the rest cost time on every one of ~20,000 items.
PYTEST_OFF = ("terminal", "logging", "warnings", "cacheprovider", "faulthandler", "junitxml",
              "pastebin", "nose", "doctest", "stepwise", "unraisableexception",
              "threadexception", "legacypath", "tmpdir", "monkeypatch", "recwarn")


class NothingSelected(Fatal):
    """-k / -m / --rule left no variant of a suite (exit 2 when it is the
    only suite of the run)."""


@dataclass
class RunOptions:
    """What every suite's run takes from the command line."""

    k: str | None = None
    m: str | None = None
    rules: list[str] = field(default_factory=list)
    list_only: bool = False
    exitfirst: bool = False
    timeout: float | None = None
    json: str | None = None
    junit: str | None = None
    verbose: int = 0
    extra: list[str] = field(default_factory=list)   # the suite plugin's own options

    def check(self) -> None:
        """Fatal for a selection expression that does not parse."""
        try:
            Selection.parse(self.k, self.m, self.rules)
        except SelectError as e:
            raise Fatal(str(e)) from None

    def describe_selection(self) -> str:
        return Selection.parse(self.k, self.m, self.rules).describe()


def run_suite(suite: object, plugin_module: str, roots: list[Path], opts: RunOptions) -> int:
    """Run pytest on roots with suite (which has .fatal, .collect_errors,
    .unit_name afterwards); 0 or 1, or Fatal."""
    import pytest

    pargs = [*(str(r) for r in roots), "-c", os.devnull, "--rootdir", str(ROOT),
             "--strict-markers", "--noconftest", "-s", "-p", plugin_module, *opts.extra]
    for name in PYTEST_OFF:
        pargs += ["-p", f"no:{name}"]
    if opts.k is not None:
        pargs += ["--ssespec-k", opts.k]
    if opts.m is not None:
        pargs += ["--ssespec-m", opts.m]
    for r in opts.rules:
        pargs += ["--ssespec-rule", r]
    if opts.list_only:
        pargs += ["--collect-only", "--ssespec-list"]
    if opts.exitfirst:
        pargs.append("-x")
    if opts.timeout is not None:
        pargs += ["--case-timeout", str(opts.timeout)]
    if opts.json:
        pargs += ["--results-json", opts.json]
    if opts.junit:
        pargs += ["--results-junit", opts.junit]
    pargs += ["--ssespec-verbose"] * opts.verbose
    rc = pytest.main(pargs, plugins=[suite])
    fatal: str | None = getattr(suite, "fatal", None)
    errors: list[str] = getattr(suite, "collect_errors", [])
    thing = getattr(suite, "unit_name", "case")
    if fatal:
        raise Fatal(fatal)
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise Fatal(f"bad {thing} file: {errors[0]}{more}")
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        sel = opts.describe_selection()
        where = ", ".join(str(r) for r in roots)
        raise NothingSelected(f"no {thing} selected from {where}" + (f" by {sel}" if sel else ""))
    if rc == pytest.ExitCode.USAGE_ERROR:
        raise Fatal("pytest refused the arguments (see above)")
    if rc in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(rc)
    if rc == pytest.ExitCode.INTERRUPTED:
        raise KeyboardInterrupt()
    raise Fatal(f"pytest ended with status {int(rc)}")
