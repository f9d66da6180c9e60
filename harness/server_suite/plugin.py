"""The pytest plugin that runs the producer suite (docs/server-suite.md).

Each corpus/producers/**/*.encode file is one encode variant (`NAME`,
marked producer_encode): its messages go to the adapter's encoder and the
bytes are judged. Each **/*.served file is one served variant (`NAME`,
marked producer_served): the harness is the HTTP client of the adapter's
url. Encode variants need a hello with "encode": true, served ones a
"url"; otherwise they are skipped.

Load it with `-p harness.server_suite.plugin`; `./ssespec check --server`
does. The compact report and the result files are the ones the suites
share (harness/suite/base.py).
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Iterator, TextIO

import pytest

from harness.core.errors import Fatal
from harness.core.paths import ROOT
from harness.core.report import plural
from harness.core.results import FAIL, Result, Run
from harness.server_suite.cases import SUFFIX as ENCODE
from harness.server_suite.cases import EncodeCase, EncodeCaseError, load_encode_case
from harness.server_suite.decode import Decoder
from harness.server_suite.report import encode_failure
from harness.server_suite.runner import EncodeRunner
from harness.server_suite.served import ServedRunner
from harness.server_suite.served_cases import SUFFIX as SERVED
from harness.server_suite.served_cases import ServedCase, ServedCaseError, load_served_case
from harness.setup.bundled import Impl, resolve
from harness.suite.base import Suite, SuiteFile, SuiteItem, add_common_options, configure

SERVER_KEY = pytest.StashKey["ServerSuite"]()
MARKERS = {"encode": "producer_encode: an encoder case (a .encode file)",
           "served": "producer_served: a served case (a .served file)"}
_MARKS = {k: getattr(pytest.mark, f"producer_{k}") for k in MARKERS}


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ssespec-server", "ssespec producer suite")
    g.addoption("--server", default="reference", metavar="CMD|NAME",
                help="the producer adapter: 'reference', a bundled adapter's name, or a "
                "command line")
    g.addoption("--producers", action="append", default=None, metavar="DIR",
                help="collect the .encode and .served files below DIR (default corpus/producers); "
                "several times for several folders, whose case names must not clash")
    g.addoption("--server-build", default="release", choices=["release", "asan"],
                help="which build of the reference producer and parser")
    add_common_options(g, "seconds for the hello (30) and for each encode request without "
                       "its own timeout (5)")


def pytest_configure(config: pytest.Config) -> None:
    configure(config, MARKERS, ServerSuite, "ssespec-server-suite")


class ProducerFile(SuiteFile):
    load_error = (EncodeCaseError, ServedCaseError)  # type: ignore[assignment]

    def collect(self) -> Iterator[pytest.Item]:
        suite = self.config.stash[SERVER_KEY]
        path = Path(os.path.abspath(self.path))
        if path.suffix == ENCODE:
            case: EncodeCase | ServedCase = load_encode_case(path, suite.root_of(path))
            kind = "encode"
        else:
            case = load_served_case(path, suite.root_of(path))
            kind = "served"
        item = ProducerItem.from_parent(self, name=case.name, variant=case)
        item.add_marker(_MARKS[kind])
        yield item


class ProducerItem(SuiteItem):
    suite_key = SERVER_KEY
    unit = "case"


class ServerSuite(Suite):
    """Session state: the producer adapter, the reference decoder, the results."""

    suite_name = "server"
    target_flag = "--server"
    unit_name = "case"
    stash_key = SERVER_KEY
    root_option = "producers"
    default_root = ROOT / "corpus" / "producers"
    suffix = ENCODE
    suffixes = (ENCODE, SERVED)  # type: ignore[assignment]
    file_class = ProducerFile

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None,
                 rerun: list[str] | None = None) -> None:
        super().__init__(impl, out, rerun)
        self.runner: EncodeRunner | None = None
        self.decoder: Decoder | None = None
        self._served: dict[str, tuple[Result, str]] = {}
        self._details: dict[str, str] = {}
        self._cases: dict[str, EncodeCase] = {}
        self._bytes: dict[str, bytes | None] = {}

    def _start(self, session: pytest.Session) -> None:
        opt = session.config.getoption
        impl = self.impl or resolve(opt("server"), "server", build_kind=opt("server_build"))
        self.impl = impl
        self.decoder = Decoder(opt("server_build"))
        self.decoder.start()
        self.runner = EncodeRunner(impl.argv, self.decoder, opt("case_timeout"))
        hello = self.runner.start()
        self.run = Run(self.suite_name, {**hello.raw, "command": impl.argv})
        self.run.folders = {"producers": [str(r) for r in self.roots]}
        if self.own_report and not self.quiet:
            n = len(session.items)
            self._say(f"ssespec {self.suite_name} suite: {plural(n, 'case')} from "
                      f"{self.roots_text()}")
            offers = ", ".join(x for x in (["encode"] if hello.encode else []) +
                               ([f"url {hello.url}"] if hello.url else []))
            self._say(f"adapter: {hello.name} {hello.version}, fields {', '.join(hello.fields)}; "
                      f"{offers}")
            self._say(f"command: {shlex.join(impl.argv)}")

    def _run_all(self, session: pytest.Session) -> None:
        """The served cases run first, all of them, while the adapter is
        fresh; the encode cases then run one by one as pytest asks."""
        assert self.runner is not None and self.runner.hello is not None
        served = [i.variant for i in session.items
                  if isinstance(i, ProducerItem) and isinstance(i.variant, ServedCase)]
        if not served:
            return
        hello = self.runner.hello
        if hello.url is None:
            for c in served:
                missing = Result(id=c.name, case=c.name, variant="served", rule=c.rule,
                                 verdict="skipped", reason="the adapter serves no url (its hello "
                                 "has no \"url\")")
                self._served[c.name] = (missing, "")
            return
        assert self.runner.proc is not None and self.decoder is not None
        missing_fields = {c.name: sorted(c.fields - set(hello.fields)) for c in served}
        runnable = [c for c in served if not missing_fields[c.name]]
        for c in served:
            if missing_fields[c.name]:
                self._served[c.name] = (Result(
                    id=c.name, case=c.name, variant="served", rule=c.rule, verdict="skipped",
                    reason=f"the library does not let a caller set "
                    f"{', '.join(missing_fields[c.name])}"), "")
        runner = ServedRunner(self.runner.proc, hello.url, self.decoder)
        self._served.update(runner.run_all(runnable))
        if runner.dead:
            self.runner.proc.kill()
            self.runner.proc = None
            self.runner.restarts += 1

    def execute(self, v: EncodeCase | ServedCase) -> Result:
        assert self.run is not None and self.runner is not None
        if isinstance(v, ServedCase):
            if v.name not in self._served:
                raise Fatal(f"no result for {v.name}")
            result, details = self._served[v.name]
            if details:
                self._details[result.id] = details
        else:
            result, _, data = self.runner.run(v)
            if result.verdict != "pass":
                self._cases[result.id] = v
                self._bytes[result.id] = data
        self.run.results.append(result)
        if self.own_report:
            self._progress(result)
        return result

    def details(self, result: Result) -> str:
        text = self._details.get(result.id)
        if text is None:
            c = self._cases.get(result.id)
            if c is None:
                text = f"{result.verdict.upper()} {result.id}: {result.reason}"
            else:
                text = encode_failure(result, c.about, c.attack, c.messages,
                                      self._bytes.get(result.id), self.rerun_lines(result))
            self._details[result.id] = text
        elif self.rerun and "rerun:" not in text:
            text = "\n".join([text, *(f"  {x}" for x in self.rerun_lines(result))])
            self._details[result.id] = text
        return text

    def rule_of(self, v: EncodeCase | ServedCase) -> str:
        return v.rule

    def case_of(self, v: EncodeCase | ServedCase) -> str:
        return v.name

    def _shutdown(self) -> None:
        if self.runner is not None:
            self.runner.stop()
        if self.decoder is not None:
            self.decoder.stop()

    def _end_notes(self) -> None:
        assert self.runner is not None
        self._adapter_end(self.runner.restarts, self.runner.end_note)


__all__ = ["ServerSuite", "ProducerFile", "ProducerItem", "FAIL"]
