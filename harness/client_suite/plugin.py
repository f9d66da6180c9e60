"""The pytest plugin that runs the client suite (docs/client-suite.md).

Each corpus/scenarios/**/*.scenario file becomes a collector whose items are
its variants: `NAME` (plain HTTP), `NAME@tls` (HTTPS, HTTP/1.1), `NAME@h2`
and `NAME@h2c` (HTTP/2, for adapters whose hello offers them), each marked
transport_*, less what the scenario's `skip-variant` lines leave out. With
--client-cases DIR, every parser case below DIR becomes a scenario too
(`cases/NAME`, harness/client_suite/from_cases.py), marked from_case; the
scenario files are marked from_scenario. The scenarios themselves come
from `ssespec-server --dump`.

At the start of the test loop every selected item is run at once
(harness/client_suite/runner.py) against one scenario server and one client
adapter; each item then reports the verdict its run got. The compact report
and the result files are the ones the suites share (harness/suite/base.py), with
"suite": "client".

Load it with `-p harness.client_suite.plugin`; `./ssespec check --client` does.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
from pathlib import Path
from typing import Iterator, TextIO

import pytest

from harness.client_suite.from_cases import Generated, write_all
from harness.client_suite.runner import ClientRunner, Finished
from harness.client_suite.scenario_server import ScenarioServer
from harness.client_suite.scenarios import (CASE_PREFIX, MARKERS, NEEDS, SOURCE_MARKERS,
                                            ClientVariant, Scenario, ScenarioError, load, variants)
from harness.core.cases import CaseError, load_all
from harness.core.errors import Fatal
from harness.core.report import plural
from harness.core.results import Result, Run
from harness.setup import build
from harness.setup.bundled import Impl, resolve
from harness.setup.certs import make_pki
from harness.suite import roots
from harness.suite.base import ROOT, Suite, SuiteFile, SuiteItem, add_common_options, configure

CLIENT_KEY = pytest.StashKey["ClientSuite"]()
HELLO_TIMEOUT = 30.0      # a browser adapter starts a browser before its hello
_MARKS = {t: getattr(pytest.mark, f"transport_{t}") for t in MARKERS}
_SOURCE = {k: getattr(pytest.mark, k) for k in SOURCE_MARKERS}


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ssespec-client", "ssespec client conformance suite")
    g.addoption("--client", default="reference", metavar="CMD|NAME",
                help="the client adapter: 'reference', a bundled adapter's name, or a command line")
    g.addoption("--scenarios", action="append", default=None, metavar="DIR",
                help="collect the .scenario files below DIR (default corpus/scenarios); several "
                "times for several folders, whose scenario names must not clash")
    g.addoption("--client-build", default="release", choices=sorted(build.KINDS),
                help="which build of the reference client and of the scenario server")
    g.addoption("--max-streams", type=int, default=None, metavar="N",
                help="at most N streams at once (default: the adapter's max_streams, at most 256)")
    g.addoption("--client-cases", action="append", default=None, metavar="DIR",
                help="also serve every parser case below DIR (.case files) as one connection's "
                "body (variants cases/NAME, marked from_case)")
    add_common_options(g, "seconds allowed for the adapter's hello (client suite: default 30)")


def pytest_configure(config: pytest.Config) -> None:
    configure(config, {**MARKERS, **SOURCE_MARKERS}, ClientSuite, "ssespec-client-suite")


class ScenarioFile(SuiteFile):
    load_error = ScenarioError

    def collect(self) -> Iterator[pytest.Item]:
        suite = self.config.stash[CLIENT_KEY]
        path = Path(os.path.abspath(self.path))
        if path.suffix == ".case":
            sc = suite.case_scenario(path)
            if sc is None:
                return
        else:
            sc = suite.scenario_at(path)
        for t in ("tls", "h2"):
            if t in sc.skip_variants:
                suite.left_out.append({"case": sc.name, "variant": t,
                                       "reason": sc.skip_variants[t]})
        source = _SOURCE["from_case" if sc.from_case else "from_scenario"]
        for v in variants(sc):
            item = ScenarioItem.from_parent(self, name=v.id, variant=v)
            item.add_marker(_MARKS[v.transport])
            item.add_marker(source)
            yield item


class ScenarioItem(SuiteItem):
    suite_key = CLIENT_KEY
    unit = "scenario"


class ClientSuite(Suite):
    """Session state of a client-suite run: the server, the adapter, the
    results; the report is the suites' shared one (harness/suite/base.py)."""

    variant_named = True

    suite_name = "client"
    target_flag = "--client"
    unit_name = "scenario"
    stash_key = CLIENT_KEY
    root_option = "scenarios"
    default_root = ROOT / "corpus" / "scenarios"
    suffix = ".scenario"
    file_class = ScenarioFile
    secondary_error = "(another scenario file is malformed)"

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None,
                 server_exe: Path | None = None, rerun: list[str] | None = None) -> None:
        super().__init__(impl, out, rerun)
        self.server_exe = server_exe
        self.client: ClientRunner | None = None
        self.server: ScenarioServer | None = None
        self._tmp: Path | None = None
        self._scenarios: dict[str, Scenario] | None = None
        self._load_error: str | None = None
        self._finished: dict[str, Finished] = {}
        self._generated: dict[str, Generated] = {}
        self._case_roots: list[Path] | None = None
        self._gen_root: Path | None = None
        self.transport_note: str | None = None

    # ------------------------------------------------------------ setup

    def _server_exe(self) -> Path:
        if self.server_exe is None:
            kind = self.config.getoption("client_build")
            self.server_exe = build.executable("ssespec-server", kind, quiet=True)
        return self.server_exe

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> SuiteFile | None:
        found = super().pytest_collect_file(file_path, parent)
        if found is None and file_path.suffix == ".case" and \
                roots.root_of(file_path, self._client_cases()) is not None:
            return self.file_class.from_parent(parent, path=file_path)
        return found

    def _client_cases(self) -> list[Path]:
        """The folders of the parser cases served over the wire (none without
        --client-cases)."""
        if self._case_roots is None:
            self._case_roots = roots.absolute(self.config.getoption("client_cases") or [])
            try:
                roots.check(self._case_roots, (".case",))
            except roots.RootsError as e:
                raise ScenarioError(str(e)) from None
            taken = [r / CASE_PREFIX.rstrip("/") for r in self.roots]
            clash = [t for t in taken if t.exists()] if self._case_roots else []
            if clash:
                raise ScenarioError(f"{clash[0]}: scenario names {CASE_PREFIX}... are the parser "
                                    "cases' served over the wire (rename the folder, or give "
                                    "--no-client-cases)")
        return self._case_roots

    def _scenario_dirs(self) -> list[Path]:
        """The scenario folder, and the folder of the scenarios made from the
        parser cases (generated once, into the run's temporary folder)."""
        dirs = list(self.roots)
        if self._client_cases():
            if self._gen_root is None:
                self._tmp = self._tmp or Path(tempfile.mkdtemp(prefix="ssespec-client-"))
                self._gen_root = self._tmp / "generated"
                try:
                    cases = [c for r in self._client_cases() for c in load_all(r)]
                except CaseError as e:
                    raise ScenarioError(str(e)) from None
                self._generated = write_all(cases, self._gen_root)
            if any(g.text is not None for g in self._generated.values()):
                dirs.append(self._gen_root)
        return dirs

    def case_scenario(self, path: Path) -> Scenario | None:
        """The scenario made from a parser case file, or None (noted) when a
        connection cannot carry it."""
        root = roots.root_of(path, self._client_cases())
        assert root is not None, path
        self.scenario_at(None)
        name = CASE_PREFIX + path.relative_to(root).with_suffix("").as_posix()
        g = self._generated.get(name)
        if g is None:
            raise ScenarioError(f"{path}: no scenario was made from it")
        if g.text is None:
            self.left_out.append({"case": name, "variant": "all", "reason": g.why_not})
            return None
        assert self._scenarios is not None
        return self._scenarios[name]

    def scenario_at(self, path: Path | None) -> Scenario:
        """The loaded scenario of a .scenario file; ScenarioError when the
        directory did not load (naming this file's problem when it has one).
        With no path, only makes sure everything is loaded."""
        if self._scenarios is None and self._load_error is None:
            try:
                self._scenarios = load(self._server_exe(), *self._scenario_dirs())
            except ScenarioError as e:
                self._load_error = str(e)
        if self._load_error is not None:
            lines = self._load_error.splitlines()
            mine = [m for m in lines if m.startswith(str(path) + ":")]
            if mine or not self.collect_errors:
                raise ScenarioError((mine or lines)[0])
            raise ScenarioError(f"{path}: not loaded {self.secondary_error}")
        assert self._scenarios is not None
        if path is None:
            return next(iter(self._scenarios.values())) if self._scenarios else None  # type: ignore[return-value]
        name = path.relative_to(self.root_of(path)).with_suffix("").as_posix()
        if name not in self._scenarios:
            raise ScenarioError(f"{path}: ssespec-server --dump did not list it")
        return self._scenarios[name]

    # ------------------------------------------------------------ running

    def pytest_collection_modifyitems(self, session: pytest.Session, config: pytest.Config,
                                      items: list[pytest.Item]) -> None:
        """h2 and h2c variants run only for a client whose hello offers them:
        the adapter is started now (with the server) to read its hello, and
        the other variants are left out (noted), before any selection."""
        if items and not config.getoption("ssespec_list") and not self.collect_errors:
            try:
                hello = self._start_adapter(session)
            except Fatal as e:
                self.fatal = str(e)
                self._shutdown()
                raise pytest.exit(self.fatal, returncode=2) from None
            keep, dropped = [], 0
            for item in items:
                need = NEEDS.get(getattr(getattr(item, "variant", None), "transport", ""))
                if need and not hello.raw.get(need):
                    dropped += 1
                else:
                    keep.append(item)
            if not any(hello.raw.get(k) for k in NEEDS.values()):
                # a skip-variant h2 says nothing to a client that speaks no HTTP/2
                self.left_out = [x for x in self.left_out if x["variant"] != "h2"]
            if dropped:
                offered = [t for t, k in NEEDS.items() if hello.raw.get(k)]
                self.transport_note = (f"{plural(dropped, 'variant')} over "
                                       f"{' and '.join(t for t in NEEDS if t not in offered)} "
                                       "left out: the adapter's hello does not offer them")
                items[:] = keep
        super().pytest_collection_modifyitems(session, config, items)

    def _start_adapter(self, session: pytest.Session) -> object:
        """Start the scenario server (with the run's test CA) and the client
        adapter, once; the adapter's hello."""
        if self.client is not None and self.client.hello is not None:
            return self.client.hello
        opt = session.config.getoption
        impl = self.impl or resolve(opt("client"), "client", build_kind=opt("client_build"))
        self.impl = impl
        self._tmp = self._tmp or Path(tempfile.mkdtemp(prefix="ssespec-client-"))
        pki = make_pki(self._tmp / "pki")
        first, *rest = self._scenario_dirs()
        self.server = ScenarioServer(self._server_exe(), first, pki.cert, pki.key,
                                     impl.static, extra_dirs=rest)
        self.server.start()
        env = dict(os.environ, SSESPEC_CA_FILE=str(pki.ca))
        timeout = opt("case_timeout")
        self.client = ClientRunner(impl.argv, env, self.server,
                                   hello_timeout=timeout if timeout is not None else HELLO_TIMEOUT,
                                   max_streams=opt("max_streams"),
                                   max_failures=int(session.config.option.maxfail or 0),
                                   on_result=self._live)
        return self.client.start()

    def _start(self, session: pytest.Session) -> None:
        hello = self._start_adapter(session)
        impl = self.impl
        assert impl is not None and self.client is not None and self.server is not None
        self.run = Run(self.suite_name, {**hello.raw, "command": impl.argv})
        self.run.folders = {"scenarios": [str(r) for r in self.roots],
                            "cases": [str(r) for r in self._client_cases()]}
        if self.transport_note:
            self.run.notes.append(self.transport_note)
        if self.own_report and not self.quiet:
            n = len({i.variant.scenario.name for i in session.items if isinstance(i, ScenarioItem)})
            self._say(f"ssespec {self.suite_name} suite: {plural(len(session.items), 'variant')} "
                      f"of {plural(n, 'scenario')} from {self.roots_text()}")
            self._say(f"adapter: {hello.name} {hello.version}, reports {', '.join(hello.reports)}, "
                      f"{min(self.client.limit, len(session.items))} streams at once")
            self._say(f"command: {shlex.join(impl.argv)}")
            self._say(f"server:  {self.server.origin('http')}, {self.server.origin('tls')} "
                      f"(h2: {self.server.origin('h2')}, h2c: {self.server.origin('h2c')})")

    def _run_all(self, session: pytest.Session) -> None:
        items = [i for i in session.items if isinstance(i, ScenarioItem)]
        assert self.client is not None
        self._finished = self.client.run_all([i.variant for i in items])

    def _live(self, f: Finished) -> None:
        if self.own_report:
            self._progress(f.result)

    def execute(self, v: ClientVariant) -> Result:
        assert self.run is not None
        f = self._finished.get(v.id)
        if f is None:
            raise Fatal(f"no result for {v.id}")
        self.run.results.append(f.result)
        return f.result

    def details(self, result: Result) -> str:
        f = self._finished.get(result.id)
        text = f.details if f and f.details else f"{result.verdict.upper()} {result.id}: {result.reason}"
        return "\n".join([text, *(f"  {x}" for x in self.rerun_lines(result))])

    def rule_of(self, v: ClientVariant) -> str:
        return v.scenario.rule

    def case_of(self, v: ClientVariant) -> str:
        return v.scenario.name

    # ------------------------------------------------------------ the end

    def _shutdown(self) -> None:
        if self.client is not None:
            self.client.stop()
        if self.server is not None:
            self.server.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def _end_notes(self) -> None:
        assert self.run is not None and self.client is not None and self.server is not None
        self._adapter_end(self.client.restarts, self.client.end_note)
        self.run.server = {"command": self.server.argv, "end_note": self.server.end_note}
        if self.server.end_note:
            self.run.notes.append(self.server.end_note)
        if self.client.stray_reports:
            self.run.notes.append(f"{self.client.stray_reports} reports named no open stream "
                                  "(ignored)")


__all__ = ["ClientSuite", "ScenarioFile", "ScenarioItem"]
