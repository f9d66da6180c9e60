"""What the suites' pytest plugins share (harness/parser_suite/plugin.py,
harness/client_suite/plugin.py): the options they take, the collector and
item base classes, and the session object's common part: collection of the
suite's files, ssespec's own selection (-k, -m, --rule: harness/core/select.py)
and listing, the end of the run (notes, result files) and the compact report
`./ssespec check` prints instead of pytest's own.

A suite subclasses Suite and says where its files are (stash_key,
root_option, default_root, suffix, file_class), starts its run (_start, then
_run_all), runs one variant (execute), writes a failure in full (details)
and stops what it started (_shutdown).
"""

from __future__ import annotations

import os
import shlex
import sys
import time
import traceback
from pathlib import Path
from typing import Any, TextIO

import pytest

from harness.core import report
from harness.core.errors import Fatal
from harness.core.expect import Comparison, ExpectError, SuiteBaseline
from harness.core.expect import load as load_baseline
from harness.core.paths import ROOT  # noqa: E402
from harness.core.report import plural
from harness.core.results import (FAIL, INFORMATIONAL, NOT_PASSED, PASS, SKIPPED, WARNING, Result,
                                  Run, write_json, write_junit)
from harness.core.select import SelectError, Selection
from harness.setup.bundled import Impl
from harness.suite import roots

FULL_REPORTS = 25        # failures reported in full at the end (all with --ssespec-verbose)


def add_option(group: pytest.OptionGroup, *names: str, **kw: Any) -> None:
    """Add an option unless the other suite's plugin already has (the two
    share --results-json, --results-junit, --case-timeout, --ssespec-verbose)."""
    try:
        group.addoption(*names, **kw)
    except ValueError:
        pass


def add_common_options(group: pytest.OptionGroup, timeout_help: str) -> None:
    add_option(group, "--case-timeout", type=float, default=None, metavar="S", help=timeout_help)
    add_option(group, "--ssespec-k", default=None, metavar="EXPR",
               help="ssespec's -k: variant ids (with @ and /) and rules (harness/core/select.py)")
    add_option(group, "--ssespec-m", default=None, metavar="EXPR", help="ssespec's -m: markers")
    add_option(group, "--ssespec-rule", action="append", default=[], metavar="RULE",
               help="only variants of these rules")
    add_option(group, "--ssespec-list", action="store_true",
               help="list the selected variants (id, rule, variant) instead of running them")
    add_option(group, "--ssespec-quiet", action="store_true",
               help="the summary and the unexpected failures only")
    add_option(group, "--ssespec-expect", default=None, metavar="FILE",
               help="an expectations baseline: fail only on what it does not expect "
               "(harness/core/expect.py)")
    add_option(group, "--results-json", default=None, metavar="FILE", help="write results as JSON")
    add_option(group, "--results-junit", default=None, metavar="FILE",
               help="write results as JUnit XML")
    add_option(group, "--ssespec-verbose", action="count", default=0,
               help="ssespec report: one line per variant and every failure in full")


def configure(config: pytest.Config, markers: dict[str, str], suite: type["Suite"],
              name: str) -> None:
    """The plugin module's pytest_configure: the markers, and a session
    object unless one was handed to pytest.main."""
    for line in markers.values():
        config.addinivalue_line("markers", line)
    if not any(isinstance(p, suite) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(suite(), name)


class VariantFailed(Exception):
    def __init__(self, result: Result) -> None:
        super().__init__(result.reason)
        self.result = result


class SuiteFile(pytest.File):
    """A case or scenario file; a file that does not load is reported with
    the loader's one-line message."""

    load_error: type[Exception] = Exception

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, self.load_error):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]


class SuiteItem(pytest.Item):
    """One variant; its verdict comes from the suite's session object."""

    suite_key: pytest.StashKey[Any]
    unit = "case"

    def __init__(self, *, variant: Any, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.variant = variant

    def runtest(self) -> None:
        result = self.config.stash[self.suite_key].verdict(self)
        if result.expected_failure:
            # not pytest.xfail: its report costs ~35 ms a variant, and a
            # baseline may list thousands; ssespec's own report counts them
            self.user_properties.append(("verdict", "expected failure"))
            return
        if result.verdict == FAIL:
            raise VariantFailed(result)
        if result.verdict == SKIPPED:
            pytest.skip(result.reason)
        if result.verdict in (INFORMATIONAL, WARNING):
            self.user_properties.append(("verdict", result.verdict))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, VariantFailed):
            return self.config.stash[self.suite_key].details(excinfo.value.result)
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"{self.unit} {self.name}"


class Suite:
    """Session state: the run, the results, and the compact report."""

    suite_name = ""
    target_flag = ""            # the check option that names the adapter (--impl, --client)
    unit_name = "case"          # what a collected file holds, in the report
    stash_key: pytest.StashKey[Any]
    root_option = ""            # the option naming the folders of the suite's files
    default_root = ROOT
    suffix = ""
    file_class: type[SuiteFile] = SuiteFile
    secondary_error: str | None = None   # a collection error caused by another's

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None,
                 rerun: list[str] | None = None) -> None:
        self.impl = impl
        self.out = out or sys.stdout
        # the command line that reruns a variant of this run, without -k
        self.rerun = rerun
        self.run: Run | None = None
        self.fatal: str | None = None
        self.collect_errors: list[str] = []
        self.left_out: list[dict] = []
        self.selected = 0
        self.harness_errors = 0
        self.baseline: SuiteBaseline | None = None
        self.comparison: Comparison | None = None
        self._t0 = 0.0
        self._case: str | None = None
        self._case_mark = ""
        self._column = 0

    # ------------------------------------------------------------ for the suites

    def _start(self, session: pytest.Session) -> None:
        raise NotImplementedError

    def _run_all(self, session: pytest.Session) -> None:
        """Run every selected item before the items report (the client suite)."""

    def execute(self, v: Any) -> Result:
        raise NotImplementedError

    def rule_of(self, v: Any) -> str:
        raise NotImplementedError

    def variant_name_of(self, v: Any) -> str:
        """The name of v's variant (`whole`, `http`), for -k to read a plain
        variant's id with it (`NAME@http`), as baselines do; "" if none."""
        return str(getattr(v, "name", "")) if self.variant_named else ""

    variant_named = False      # whether variant_name_of has a name to give

    def verdict(self, item: SuiteItem) -> Result:
        """The verdict of one item. A fault of the harness itself is that
        variant's failure (and a traceback on stderr), never a variant that
        drops out of the run's count."""
        try:
            result = self.execute(item.variant)
            if self.baseline is not None:
                entry = self.baseline.entry_for(result)
                result.baseline = entry.verdict if entry is not None else None
            return result
        except (Fatal, KeyboardInterrupt, pytest.exit.Exception):
            raise
        except Exception as e:  # noqa: BLE001 - reported in full, and the run fails
            self.harness_errors += 1
            print(f"ssespec: harness error on {item.name}:\n{traceback.format_exc()}",
                  file=sys.stderr, flush=True)
            r = Result(id=item.name, case=self.case_of(item.variant), variant="?",
                       rule=self.rule_of(item.variant), verdict=FAIL,
                       reason=f"harness error: {type(e).__name__}: {e}")
            if self.run is not None:
                self.run.results.append(r)
            return r

    def case_of(self, v: Any) -> str:
        raise NotImplementedError

    def rerun_lines(self, result: Result) -> list[str]:
        """The commands that rerun one variant and show its input."""
        if not self.rerun:
            return []
        cmd = shlex.join([*self.rerun, "-k", result.id])
        return [f"rerun:  {cmd}"]

    def details(self, result: Result) -> str:
        raise NotImplementedError

    def _shutdown(self) -> None:
        """Stop the adapter (and whatever else the run started)."""

    def _end_notes(self) -> None:
        """Add what the adapter (and the rest) said at the end to self.run."""

    def _adapter_end(self, restarts: int, end_note: str | None) -> None:
        assert self.run is not None
        self.run.adapter["restarts"] = restarts
        self.run.adapter["end_note"] = end_note
        if restarts:
            self.run.notes.append(f"the adapter was restarted {plural(restarts, 'time')}")
        if end_note:
            self.run.notes.append(end_note)

    # ------------------------------------------------------------ setup

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[self.stash_key] = self
        # the suite's folders (harness/suite/roots.py): names unique across them
        self.roots = roots.absolute(config.getoption(self.root_option) or [self.default_root])
        try:
            roots.check(self.roots, self.suffixes, self.unit_name)
        except roots.RootsError as e:
            raise pytest.UsageError(str(e)) from None
        self.own_report = False  # decided at session start, once every plugin is configured
        self.verbose = config.getoption("ssespec_verbose")
        self.quiet = config.getoption("ssespec_quiet")
        path = config.getoption("ssespec_expect")
        if path:
            try:
                self.baseline = load_baseline(Path(path)).for_suite(self.suite_name)
            except ExpectError as e:
                raise pytest.UsageError(str(e)) from None

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.own_report = session.config.pluginmanager.get_plugin("terminalreporter") is None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
        if file_path.suffix in self.suffixes and roots.root_of(file_path, self.roots) is not None:
            return self.file_class.from_parent(parent, path=file_path)
        return None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip()
            line = text.splitlines()[-1] if text else report.nodeid
            if not (self.secondary_error and line.endswith(self.secondary_error)):
                self.collect_errors.append(line)
            if self.own_report:
                print(f"ERROR collecting {report.nodeid}:\n{text}", file=self.out, flush=True)

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        try:
            sel = Selection.parse(config.getoption("ssespec_k"), config.getoption("ssespec_m"),
                                  config.getoption("ssespec_rule"))
        except SelectError as e:
            raise pytest.UsageError(str(e)) from None
        if not sel.active:
            self.selected = len(items)
            return
        keep, drop = [], []
        for item in items:
            if isinstance(item, SuiteItem) and not sel.selects(
                    item.name, self.rule_of(item.variant), (m.name for m in item.iter_markers()),
                    self._file_of(item), self.variant_name_of(item.variant)):
                drop.append(item)
            else:
                keep.append(item)
        if drop:
            config.hook.pytest_deselected(items=drop)
            items[:] = keep
        self.selected = len(items)

    def _file_of(self, item: pytest.Item) -> str:
        root = roots.root_of(item.path, self.roots)
        if root is None:
            return item.path.name
        return Path(os.path.abspath(item.path)).relative_to(root).as_posix()

    @property
    def suffixes(self) -> tuple[str, ...]:
        """The suffixes of the suite's files (a suite with several overrides it)."""
        return (self.suffix,)

    def root_of(self, path: Path) -> Path:
        """The suite folder that holds path (collected files are in one)."""
        root = roots.root_of(path, self.roots)
        assert root is not None, path
        return root

    def roots_text(self) -> str:
        return ", ".join(rel(r) for r in self.roots)

    def pytest_collection_finish(self, session: pytest.Session) -> None:
        # after every plugin's selection (pytest's own -k and -m too, under
        # plain pytest): what has to get a verdict
        self.selected = len(session.items)
        if not session.config.getoption("ssespec_list") or self.collect_errors:
            return
        units: set[str] = set()
        try:
            for item in session.items:
                if isinstance(item, SuiteItem):
                    v = item.variant
                    units.add(self.case_of(v))
                    markers = ",".join(m.name for m in item.iter_markers())
                    self.out.write(f"{item.name}\t{self.rule_of(v)}\t{markers}\n")
            self.out.write(f"{self.suite_name}: {plural(len(session.items), 'variant')} of "
                           f"{plural(len(units), self.unit_name)}\n")
            self.out.flush()
        except BrokenPipeError:   # `--list | head`: the reader has what it wanted
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.out.fileno())

    # ------------------------------------------------------------ running

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.testsfailed or not session.items or session.config.option.collectonly:
            return
        self._t0 = time.monotonic()
        try:
            self._start(session)
            self._run_all(session)
        except Fatal as e:
            self.fatal = str(e)
            self._shutdown()
            raise pytest.exit(self.fatal, returncode=2) from None

    def _say(self, text: str) -> None:
        if self._column:
            self.out.write("\n")
            self._column = 0
        self.out.write(text + "\n")
        self.out.flush()

    def _progress(self, r: Result) -> None:
        if self.quiet:
            return
        if self.verbose:
            word = {PASS: "PASS", FAIL: "FAIL", SKIPPED: "SKIP", INFORMATIONAL: "INFO",
                    WARNING: "WARN"}[r.verdict]
            self._say(f"{word:<5} {r.id}" + (f"  ({r.reason})" if r.reason else ""))
            return
        if r.case != self._case:
            self._flush_case()
            self._case = r.case
        rank = {"": 0, ".": 1, "s": 0, "i": 2, "w": 2, "F": 3}
        mark = {PASS: ".", FAIL: "F", SKIPPED: "s", INFORMATIONAL: "i", WARNING: "w"}[r.verdict]
        if not self._case_mark or rank[mark] > rank[self._case_mark]:
            self._case_mark = mark
        if self._case_mark == "s" and mark == ".":
            self._case_mark = "."

    def _flush_case(self) -> None:
        if self._case_mark:
            self.out.write(self._case_mark)
            self._column += 1
            if self._column >= 72:
                self.out.write("\n")
                self._column = 0
            self.out.flush()
        self._case_mark = ""

    # ------------------------------------------------------------ the end

    def pytest_report_teststatus(self, report: pytest.TestReport) -> tuple[str, str, str] | None:
        if report.when == "call" and report.passed:
            for verdict, letter in ((INFORMATIONAL, "i"), (WARNING, "w")):
                if ("verdict", verdict) in report.user_properties:
                    return verdict, letter, verdict.upper()
        return None

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus: int) -> None:
        self._shutdown()
        if exitstatus == pytest.ExitCode.INTERRUPTED:
            return
        if self.run is None or self.fatal:
            return
        self.run.seconds = time.monotonic() - self._t0
        self._end_notes()
        if session.shouldfail:
            self.run.notes.append(f"the run stopped early (-x): {session.shouldfail}")
        ran = {r.case for r in self.run.results}
        self.run.left_out = [x for x in self.left_out if x["case"] in ran]
        if not session.shouldfail and len(self.run.results) != self.selected:
            # every selected variant has a verdict; anything else is a fault
            self.harness_errors += 1
            self.run.notes.append(f"harness error: {self.selected} variants were selected but "
                                  f"{len(self.run.results)} have a verdict")
        if self.baseline is not None:
            self.comparison = self.baseline.compare(self.run.results)
            self.run.baseline = {"file": str(self.baseline.baseline.path),
                                 **self.comparison.as_json()}
        if self.harness_errors:
            session.exitstatus = pytest.ExitCode.TESTS_FAILED
        opt = session.config.getoption
        if opt("results_json"):
            write_json(self.run, Path(opt("results_json")))
        if opt("results_junit"):
            details = {r.id: self.details(r) for r in self.run.results
                       if r.verdict in NOT_PASSED}
            write_junit(self.run, Path(opt("results_junit")), details)
        if self.own_report:
            self._flush_case()
            self._final_report()

    def pytest_terminal_summary(self, terminalreporter: pytest.TerminalReporter) -> None:
        if self.run is None or self.fatal:
            return
        terminalreporter.section("ssespec: verdicts by rule")
        for line in report.rule_table(self.run):
            terminalreporter.write_line(line)
        for note in self.run.notes:
            terminalreporter.write_line(f"note: {note}")

    def _final_report(self) -> None:
        assert self.run is not None
        results = self.run.results
        self._say("")
        for verdict, title in ((FAIL, "failures"), (WARNING, "warnings"),
                               (INFORMATIONAL, "informational")):
            groups: dict[str, list[Result]] = {}
            for r in results:
                if r.verdict == verdict and not r.expected_failure:
                    groups.setdefault(r.case, []).append(r)
            if self.quiet and verdict == INFORMATIONAL:
                continue
            if not groups:
                continue
            n_var = sum(map(len, groups.values()))
            self._say(f"==================== {title} ({plural(n_var, 'variant')} of "
                      f"{plural(len(groups), self.unit_name)}) ====================")
            full = len(groups) if self.verbose else FULL_REPORTS
            if verdict == INFORMATIONAL and not self.verbose:
                full = 0
            for n, (case, rs) in enumerate(groups.items()):
                if n < full:
                    self._say(self.details(rs[0]))
                    if len(rs) > 1:
                        self._say("  also " + _others(rs[1:], verdict))
                    self._say("")
                else:
                    more = f" (and {plural(len(rs) - 1, 'more variant')})" if len(rs) > 1 else ""
                    word = {FAIL: "FAIL", WARNING: "WARN", INFORMATIONAL: "INFO"}[verdict]
                    self._say(f"{word} {rs[0].id}: {rs[0].reason}{more}")
            if len(groups) > full:
                self._say(f"({'run with -v to see every report in full; ' if not self.verbose else ''}"
                          "--json FILE has them all)")
            self._say("")
        if self.comparison is not None:
            self._baseline_report(self.comparison)
        for note in self.run.notes:
            self._say(f"note: {note}")
        left = self.run.left_out
        if left:
            self._say(f"note: variants left out by skip-variant ({len(left)})"
                      + (":" if self.verbose or len(left) <= 5 else "; -v lists them"))
            if self.verbose or len(left) <= 5:
                for x in left:
                    self._say(f"  {x['case']} @{'split-K' if x['variant'] == 'splits' else x['variant']}:"
                              f" {x['reason']}")
        if not self.quiet:
            for line in report.rule_table(self.run):
                self._say(line)
        self._say(f"{self.suite_name}: {report.summary_line(self.run)}")
        self._say(report.machine_line(self.run, self.impl.label if self.impl else "",
                                      self.comparison))

    def _baseline_report(self, c: Comparison) -> None:
        assert self.baseline is not None
        where = rel(self.baseline.baseline.path)
        self._say(f"baseline {where}: {plural(len(c.expected), 'expected failure')}, "
                  f"{plural(len(c.unexpected), 'unexpected failure')}")
        if c.fixed:
            self._say(f"fixed: {plural(len(c.fixed), 'variant')} the baseline expects to fail "
                      "now pass; remove from the baseline:")
            for r, e in c.fixed[:50]:
                self._say(f"  {r.id}  (line {e.line}: {e.verdict} {e.selector})")
            if len(c.fixed) > 50:
                self._say(f"  ... ({len(c.fixed) - 50} more; --json FILE has them all)")
        if c.changed:
            self._say(f"changed: {plural(len(c.changed), 'variant')} listed as failing "
                      "pass with a warning or are informational now:")
            for r, e in c.changed[:20]:
                self._say(f"  {r.id}  (line {e.line})")
        if c.stale:
            self._say(f"stale: {plural(len(c.stale), 'baseline entry', 'baseline entries')} "
                      "matched no variant of this run:")
            for e in c.stale[:50]:
                self._say(f"  line {e.line}: {e.verdict} {e.selector}")
        self._say("")


def _others(rs: list[Result], verdict: str) -> str:
    """One line for the other failing variants of a case."""
    reasons: dict[str, list[str]] = {}
    for r in rs:
        reasons.setdefault(r.reason, []).append("@" + r.variant if r.variant != "whole" else "as written")
    parts = []
    for reason, names in reasons.items():
        shown = ", ".join(names[:8]) + (f", ... ({len(names) - 8} more)" if len(names) > 8 else "")
        parts.append(f"{shown}: {reason}")
    return ("failed: " if verdict == FAIL else "informational: ") + "; ".join(parts)


def rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)
