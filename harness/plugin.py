"""The pytest plugin that runs the parser suite.

Each corpus/cases/**/*.case file becomes a collector whose items are its
split variants (harness/variants.py): `NAME`, `NAME@bytes`, `NAME@split-K`,
marked variant_whole / variant_bytes / variant_split. One adapter process
serves the whole session (harness/runner.py).

Load it with `-p harness.plugin`; `./ssespec check` does that, turns off
pytest's own terminal output (-p no:terminal) and lets this plugin print a
compact report instead. Under plain pytest the normal terminal output is
kept and the per-rule table is added to its summary.
"""

from __future__ import annotations

import os
import sys
import time
from pathlib import Path
from typing import Iterator, TextIO

import pytest

from . import report
from .adapter import MAX_LINE
from .bundled import Impl, resolve
from .cases import CaseError, load_case
from .errors import Fatal
from .results import FAIL, INFORMATIONAL, PASS, SKIPPED, Result, Run, write_json, write_junit
from .runner import Runner
from .variants import MARKERS, Variant, variants

ROOT = Path(__file__).resolve().parent.parent
SUITE_KEY = pytest.StashKey["ParserSuite"]()
FULL_REPORTS = 25        # cases reported in full at the end (all with --ssespec-verbose)
_MARKS = {kind: getattr(pytest.mark, f"variant_{kind}") for kind in MARKERS}


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ssespec", "ssespec parser conformance suite")
    g.addoption("--impl", default="reference", metavar="CMD|NAME",
                help="the adapter: 'reference', a bundled adapter's name, or a command line")
    g.addoption("--cases", default=None, metavar="DIR",
                help="collect the .case files below DIR (default corpus/cases)")
    g.addoption("--impl-build", default="release", choices=["release", "asan"],
                help="which build of the reference adapter to use")
    g.addoption("--case-timeout", type=float, default=None, metavar="S",
                help="seconds allowed for the hello and for each case without its own timeout (5)")
    g.addoption("--results-json", default=None, metavar="FILE", help="write results as JSON")
    g.addoption("--results-junit", default=None, metavar="FILE", help="write results as JUnit XML")
    g.addoption("--max-response-bytes", type=int, default=MAX_LINE, metavar="N",
                help="a longer response line fails its case (256 MiB)")
    g.addoption("--ssespec-verbose", action="count", default=0,
                help="ssespec report: one line per variant and every failure in full")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    if not any(isinstance(p, ParserSuite) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(ParserSuite(), "ssespec-parser-suite")


class VariantFailed(Exception):
    def __init__(self, result: Result) -> None:
        super().__init__(result.reason)
        self.result = result


class CaseFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        suite = self.config.stash[SUITE_KEY]
        case = load_case(Path(os.path.abspath(self.path)), suite.cases_root)
        for which, reason in case.skip_variants.items():
            suite.left_out.append({"case": case.name, "variant": which, "reason": reason})
        for v in variants(case):
            item = VariantItem.from_parent(self, name=v.id, variant=v)
            item.add_marker(_MARKS[v.kind])
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, CaseError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]


class VariantItem(pytest.Item):
    def __init__(self, *, variant: Variant, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.variant = variant

    def runtest(self) -> None:
        result = self.config.stash[SUITE_KEY].execute(self.variant)
        if result.verdict == FAIL:
            raise VariantFailed(result)
        if result.verdict == SKIPPED:
            pytest.skip(result.reason)
        if result.verdict == INFORMATIONAL:
            self.user_properties.append(("verdict", INFORMATIONAL))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, VariantFailed):
            return self.config.stash[SUITE_KEY].details(excinfo.value.result)
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"case {self.name}"


class ParserSuite:
    """Session state: the adapter, the results, and the compact report."""

    suite_name = "parser"
    unit_name = "case"      # what a collected file holds, in the report

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None) -> None:
        self.impl = impl
        self.out = out or sys.stdout
        self.runner: Runner | None = None
        self.run: Run | None = None
        self.fatal: str | None = None
        self.collect_errors: list[str] = []
        self.left_out: list[dict] = []
        self._variants: dict[str, Variant] = {}
        self._details: dict[str, str] = {}
        self._t0 = 0.0
        self._case: str | None = None
        self._case_mark = ""
        self._column = 0

    # ------------------------------------------------------------ setup

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[SUITE_KEY] = self
        # abspath, not resolve: pytest hands over paths as given, symlinks and all
        self.cases_root = Path(os.path.abspath(config.getoption("cases") or ROOT / "corpus" / "cases"))
        self.own_report = False  # decided at session start, once every plugin is configured
        self.verbose = config.getoption("ssespec_verbose")

    def pytest_sessionstart(self, session: pytest.Session) -> None:
        self.own_report = session.config.pluginmanager.get_plugin("terminalreporter") is None

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> CaseFile | None:
        if file_path.suffix == ".case" and Path(os.path.abspath(file_path)).is_relative_to(self.cases_root):
            return CaseFile.from_parent(parent, path=file_path)
        return None

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip()
            self.collect_errors.append(text.splitlines()[-1] if text else report.nodeid)
            if self.own_report:
                print(f"ERROR collecting {report.nodeid}:\n{text}", file=self.out, flush=True)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.testsfailed or not session.items or session.config.option.collectonly:
            return
        self._t0 = time.monotonic()
        try:
            self._start(session)
        except Fatal as e:
            self.fatal = str(e)
            raise pytest.exit(self.fatal, returncode=2) from None

    def _start(self, session: pytest.Session) -> None:
        opt = session.config.getoption
        impl = self.impl or resolve(opt("impl"), build_kind=opt("impl_build"))
        self.runner = Runner(impl.argv, opt("case_timeout"), opt("max_response_bytes"))
        hello = self.runner.start()
        self.run = Run(self.suite_name, {**hello.raw, "command": impl.argv})
        if self.own_report:
            cases = len({i.variant.case.name for i in session.items if isinstance(i, VariantItem)})
            self._say(f"ssespec {self.suite_name} suite: {len(session.items)} variants of "
                      f"{cases} cases from {_rel(self.cases_root)}")
            self._say(f"adapter: {hello.name} {hello.version}, reports {', '.join(hello.reports)}")
            self._say(f"command: {' '.join(impl.argv)}")

    # ------------------------------------------------------------ running

    def execute(self, v: Variant) -> Result:
        assert self.runner is not None and self.run is not None
        try:
            result = self.runner.run(v)
        except Fatal as e:
            self.fatal = str(e)
            raise pytest.exit(self.fatal, returncode=2) from None
        self.run.results.append(result)
        if result.verdict in (FAIL, INFORMATIONAL):
            self._variants[result.id] = v
        if self.own_report:
            self._progress(result)
        return result

    def details(self, result: Result) -> str:
        text = self._details.get(result.id)
        if text is None:
            v = self._variants[result.id]
            assert self.runner is not None
            kinds = [k for k in ("event", "retry", "comment", "end") if k in self.runner.reports]
            text = report.failure(result, v.case.about, v.chunks(), kinds)
            self._details[result.id] = text
        return text

    def _say(self, text: str) -> None:
        if self._column:
            self.out.write("\n")
            self._column = 0
        self.out.write(text + "\n")
        self.out.flush()

    def _progress(self, r: Result) -> None:
        if self.verbose:
            word = {PASS: "PASS", FAIL: "FAIL", SKIPPED: "SKIP", INFORMATIONAL: "INFO"}[r.verdict]
            self._say(f"{word:<5} {r.id}" + (f"  ({r.reason})" if r.reason else ""))
            return
        if r.case != self._case:
            self._flush_case()
            self._case = r.case
        rank = {"": 0, ".": 1, "s": 0, "i": 2, "F": 3}
        mark = {PASS: ".", FAIL: "F", SKIPPED: "s", INFORMATIONAL: "i"}[r.verdict]
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
        if report.when == "call" and report.passed and ("verdict", INFORMATIONAL) in report.user_properties:
            return "informational", "i", "INFORMATIONAL"
        return None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        if self.runner is not None:
            self.runner.stop()
        if self.run is None or self.fatal:
            return
        assert self.runner is not None
        self.run.seconds = time.monotonic() - self._t0
        self.run.adapter["restarts"] = self.runner.restarts
        self.run.adapter["end_note"] = self.runner.end_note
        if self.runner.restarts:
            self.run.notes.append(f"the adapter was restarted {self.runner.restarts} times")
        if self.runner.end_note:
            self.run.notes.append(self.runner.end_note)
        if session.shouldfail:
            self.run.notes.append(f"the run stopped early (-x): {session.shouldfail}")
        ran = {r.case for r in self.run.results}
        self.run.left_out = [x for x in self.left_out if x["case"] in ran]
        opt = session.config.getoption
        if opt("results_json"):
            write_json(self.run, Path(opt("results_json")))
        if opt("results_junit"):
            details = {r.id: self.details(r) for r in self.run.results
                       if r.verdict in (FAIL, INFORMATIONAL)}
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
        for verdict, title in ((FAIL, "failures"), (INFORMATIONAL, "informational")):
            groups: dict[str, list[Result]] = {}
            for r in results:
                if r.verdict == verdict:
                    groups.setdefault(r.case, []).append(r)
            if not groups:
                continue
            n_var = sum(map(len, groups.values()))
            self._say(f"==================== {title} ({_n(n_var, 'variant')} of "
                      f"{_n(len(groups), self.unit_name)}) ====================")
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
                    more = f" (and {len(rs) - 1} more variants)" if len(rs) > 1 else ""
                    self._say(f"{'FAIL' if verdict == FAIL else 'INFO'} {rs[0].id}: {rs[0].reason}{more}")
            if len(groups) > full:
                self._say(f"({'run with -v to see every report in full; ' if not self.verbose else ''}"
                          "--json FILE has them all)")
            self._say("")
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
        for line in report.rule_table(self.run):
            self._say(line)
        self._say(f"{self.suite_name}: {report.summary_line(self.run)}")


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


def _n(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)
