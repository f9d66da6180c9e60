"""The pytest plugin that runs the parser suite.

Each corpus/cases/**/*.case file becomes a collector whose items are its
split variants (harness/parser_suite/variants.py): `NAME`, `NAME@bytes`, `NAME@split-K`,
marked variant_whole / variant_bytes / variant_split. One adapter process
serves the whole session (harness/parser_suite/runner.py).

Load it with `-p harness.parser_suite.plugin`; `./ssespec check` does that, turns off
pytest's own terminal output (-p no:terminal) and lets this plugin print a
compact report instead. Under plain pytest the normal terminal output is
kept and the per-rule table is added to its summary. What it shares with
the client suite's plugin (options, report, result files) is harness/suite/base.py.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Iterator, TextIO

import pytest

from harness.core import report
from harness.core.cases import CaseError, load_case
from harness.core.errors import Fatal
from harness.core.report import plural
from harness.core.results import FAIL, INFORMATIONAL, Result, Run
from harness.parser_suite.runner import Runner
from harness.parser_suite.variants import MARKERS, Variant, variants
from harness.protocol.parser import MAX_LINE
from harness.setup.bundled import Impl, resolve
from harness.suite.base import (ROOT, Suite, SuiteFile, SuiteItem, VariantFailed,
                                add_common_options, configure)

SUITE_KEY = pytest.StashKey["ParserSuite"]()
_MARKS = {kind: getattr(pytest.mark, f"variant_{kind}") for kind in MARKERS}

__all__ = ["ParserSuite", "CaseFile", "VariantItem", "VariantFailed"]


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ssespec", "ssespec parser conformance suite")
    g.addoption("--impl", default="reference", metavar="CMD|NAME",
                help="the adapter: 'reference', a bundled adapter's name, or a command line")
    g.addoption("--cases", action="append", default=None, metavar="DIR",
                help="collect the .case files below DIR (default corpus/cases); several "
                "times for several folders, whose case names must not clash")
    g.addoption("--impl-build", default="release", choices=["release", "asan"],
                help="which build of the reference adapter to use")
    g.addoption("--max-response-bytes", type=int, default=MAX_LINE, metavar="N",
                help="a longer response line fails its case (256 MiB)")
    add_common_options(g, "seconds allowed for the hello and for each case without its own "
                       "timeout (5)")


def pytest_configure(config: pytest.Config) -> None:
    configure(config, MARKERS, ParserSuite, "ssespec-parser-suite")


class CaseFile(SuiteFile):
    load_error = CaseError

    def collect(self) -> Iterator[pytest.Item]:
        suite = self.config.stash[SUITE_KEY]
        path = Path(os.path.abspath(self.path))
        case = load_case(path, suite.root_of(path))
        for which, reason in case.skip_variants.items():
            suite.left_out.append({"case": case.name, "variant": which, "reason": reason})
        for v in variants(case):
            item = VariantItem.from_parent(self, name=v.id, variant=v)
            item.add_marker(_MARKS[v.kind])
            yield item


class VariantItem(SuiteItem):
    suite_key = SUITE_KEY
    unit = "case"


class ParserSuite(Suite):
    """Session state: the adapter, the results, and the compact report."""

    variant_named = True

    suite_name = "parser"
    target_flag = "--impl"
    unit_name = "case"
    stash_key = SUITE_KEY
    root_option = "cases"
    default_root = ROOT / "corpus" / "cases"
    suffix = ".case"
    file_class = CaseFile

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None,
                 rerun: list[str] | None = None, show: list[str] | None = None) -> None:
        super().__init__(impl, out, rerun)
        self.show = show        # the command line that shows a variant's input (`show`)
        self.runner: Runner | None = None
        self._variants: dict[str, Variant] = {}
        self._details: dict[str, str] = {}

    def _start(self, session: pytest.Session) -> None:
        opt = session.config.getoption
        impl = self.impl or resolve(opt("impl"), build_kind=opt("impl_build"))
        self.runner = Runner(impl.argv, opt("case_timeout"), opt("max_response_bytes"))
        hello = self.runner.start()
        self.run = Run(self.suite_name, {**hello.raw, "command": impl.argv})
        self.run.folders = {"cases": [str(r) for r in self.roots]}
        if self.own_report and not self.quiet:
            cases = len({i.variant.case.name for i in session.items if isinstance(i, VariantItem)})
            self._say(f"ssespec {self.suite_name} suite: {plural(len(session.items), 'variant')} "
                      f"of {plural(cases, 'case')} from {self.roots_text()}")
            self._say(f"adapter: {hello.name} {hello.version}, reports {', '.join(hello.reports)}")
            self._say(f"command: {' '.join(impl.argv)}")

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
            text = report.failure(result, v.case.about, v.chunks(), kinds, self.rerun_lines(result))
            self._details[result.id] = text
        return text

    def rule_of(self, v: Variant) -> str:
        return v.case.rule

    def case_of(self, v: Variant) -> str:
        return v.case.name

    def rerun_lines(self, result: Result) -> list[str]:
        lines = super().rerun_lines(result)
        if self.show:
            lines.append(f"input:  {shlex.join([*self.show, result.id])}  (--raw: the bytes)")
        return lines

    def _shutdown(self) -> None:
        if self.runner is not None:
            self.runner.stop()

    def _end_notes(self) -> None:
        assert self.runner is not None
        self._adapter_end(self.runner.restarts, self.runner.end_note)
