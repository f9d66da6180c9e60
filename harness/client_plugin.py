"""The pytest plugin that runs the client suite (docs/client-suite.md).

Each corpus/scenarios/**/*.scenario file becomes a collector whose items are
its variants: `NAME` (plain HTTP, marked transport_http) and `NAME@tls`
(HTTPS, marked transport_tls) unless the scenario says `skip-variant tls`.
The scenarios themselves come from `ssespec-server --dump`.

At the start of the test loop every selected item is run at once
(harness/client_runner.py) against one scenario server and one client
adapter; each item then reports the verdict its run got. The compact report
and the result files are the parser suite's (harness/plugin.py), with
"suite": "client".

Load it with `-p harness.client_plugin`; `./ssespec check --client` does.
"""

from __future__ import annotations

import os
import shlex
import shutil
import tempfile
import time
from pathlib import Path
from typing import Iterator, TextIO

import pytest

from . import build
from .bundled import Impl, resolve
from .certs import make_pki
from .client_runner import ClientRunner, Finished
from .errors import Fatal
from .plugin import ParserSuite, VariantFailed
from .results import FAIL, INFORMATIONAL, SKIPPED, Result, Run, write_json, write_junit
from .scenarios import MARKERS, ClientVariant, Scenario, ScenarioError, load, variants
from .server import ScenarioServer

ROOT = Path(__file__).resolve().parent.parent
STATIC = ROOT / "harness" / "static"
CLIENT_KEY = pytest.StashKey["ClientSuite"]()
HELLO_TIMEOUT = 30.0      # a browser adapter starts a browser before its hello
_MARKS = {t: getattr(pytest.mark, f"transport_{t}") for t in MARKERS}


def _add(group: pytest.OptionGroup, *names: str, **kw: object) -> None:
    """Add an option unless the parser suite's plugin already has (the two
    share --results-json, --results-junit, --case-timeout, --ssespec-verbose)."""
    try:
        group.addoption(*names, **kw)  # type: ignore[arg-type]
    except ValueError:
        pass


def pytest_addoption(parser: pytest.Parser) -> None:
    g = parser.getgroup("ssespec-client", "ssespec client conformance suite")
    g.addoption("--client", default="reference", metavar="CMD|NAME",
                help="the client adapter: 'reference', a bundled adapter's name, or a command line")
    g.addoption("--scenarios", default=None, metavar="DIR",
                help="collect the .scenario files below DIR (default corpus/scenarios)")
    g.addoption("--client-build", default="release", choices=sorted(build.KINDS),
                help="which build of the reference client and of the scenario server")
    g.addoption("--max-streams", type=int, default=None, metavar="N",
                help="at most N streams at once (default: the adapter's max_streams, at most 256)")
    _add(g, "--case-timeout", type=float, default=None, metavar="S",
         help="seconds allowed for the adapter's hello (client suite: default 30)")
    _add(g, "--results-json", default=None, metavar="FILE", help="write results as JSON")
    _add(g, "--results-junit", default=None, metavar="FILE", help="write results as JUnit XML")
    _add(g, "--ssespec-verbose", action="count", default=0,
         help="ssespec report: one line per variant and every failure in full")


def pytest_configure(config: pytest.Config) -> None:
    for line in MARKERS.values():
        config.addinivalue_line("markers", line)
    if not any(isinstance(p, ClientSuite) for p in config.pluginmanager.get_plugins()):
        config.pluginmanager.register(ClientSuite(), "ssespec-client-suite")


class ScenarioFile(pytest.File):
    def collect(self) -> Iterator[pytest.Item]:
        suite = self.config.stash[CLIENT_KEY]
        sc = suite.scenario_at(Path(os.path.abspath(self.path)))
        if "tls" in sc.skip_variants:
            suite.left_out.append({"case": sc.name, "variant": "tls", "reason": sc.skip_variants["tls"]})
        for v in variants(sc):
            item = ScenarioItem.from_parent(self, name=v.id, variant=v)
            item.add_marker(_MARKS[v.transport])
            yield item

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, ScenarioError):
            return str(excinfo.value)
        return super().repr_failure(excinfo)  # type: ignore[return-value]


class ScenarioItem(pytest.Item):
    def __init__(self, *, variant: ClientVariant, **kw: object) -> None:
        super().__init__(**kw)  # type: ignore[arg-type]
        self.variant = variant

    def runtest(self) -> None:
        result = self.config.stash[CLIENT_KEY].execute(self.variant)
        if result.verdict == FAIL:
            raise VariantFailed(result)
        if result.verdict == SKIPPED:
            pytest.skip(result.reason)
        if result.verdict == INFORMATIONAL:
            self.user_properties.append(("verdict", INFORMATIONAL))

    def repr_failure(self, excinfo: pytest.ExceptionInfo[BaseException]) -> str:  # type: ignore[override]
        if isinstance(excinfo.value, VariantFailed):
            return self.config.stash[CLIENT_KEY].details(excinfo.value.result)
        return super().repr_failure(excinfo)  # type: ignore[return-value]

    def reportinfo(self) -> tuple[Path, None, str]:
        return self.path, None, f"scenario {self.name}"


class ClientSuite(ParserSuite):
    """Session state of a client-suite run: the server, the adapter, the
    results; the report is the parser suite's."""

    suite_name = "client"
    unit_name = "scenario"

    def __init__(self, impl: Impl | None = None, out: TextIO | None = None,
                 server_exe: Path | None = None) -> None:
        super().__init__(impl, out)
        self.server_exe = server_exe
        self.client: ClientRunner | None = None
        self.server: ScenarioServer | None = None
        self._tmp: Path | None = None
        self._scenarios: dict[str, Scenario] | None = None
        self._load_error: str | None = None
        self._finished: dict[str, Finished] = {}

    # ------------------------------------------------------------ setup

    @pytest.hookimpl(trylast=True)
    def pytest_configure(self, config: pytest.Config) -> None:
        self.config = config
        config.stash[CLIENT_KEY] = self
        self.cases_root = Path(os.path.abspath(config.getoption("scenarios")
                                               or ROOT / "corpus" / "scenarios"))
        self.own_report = False
        self.verbose = config.getoption("ssespec_verbose")

    def pytest_collect_file(self, file_path: Path, parent: pytest.Collector) -> ScenarioFile | None:
        if file_path.suffix == ".scenario" and \
                Path(os.path.abspath(file_path)).is_relative_to(self.cases_root):
            return ScenarioFile.from_parent(parent, path=file_path)
        return None

    def _server_exe(self) -> Path:
        if self.server_exe is None:
            kind = self.config.getoption("client_build")
            self.server_exe = build.executable("ssespec-server", kind, quiet=True)
        return self.server_exe

    def scenario_at(self, path: Path) -> Scenario:
        """The loaded scenario of a .scenario file; ScenarioError when the
        directory did not load (naming this file's problem when it has one)."""
        if self._scenarios is None and self._load_error is None:
            try:
                self._scenarios = load(self._server_exe(), self.cases_root)
            except ScenarioError as e:
                self._load_error = str(e)
        if self._load_error is not None:
            lines = self._load_error.splitlines()
            mine = [m for m in lines if m.startswith(str(path) + ":")]
            if mine or not self.collect_errors:
                raise ScenarioError((mine or lines)[0])
            raise ScenarioError(f"{path}: not loaded (another scenario file is malformed)")
        assert self._scenarios is not None
        name = path.relative_to(self.cases_root).with_suffix("").as_posix()
        if name not in self._scenarios:
            raise ScenarioError(f"{path}: ssespec-server --dump did not list it")
        return self._scenarios[name]

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            text = str(report.longrepr).strip()
            line = text.splitlines()[-1] if text else report.nodeid
            if not line.endswith("(another scenario file is malformed)"):
                self.collect_errors.append(line)
            if self.own_report:
                print(f"ERROR collecting {report.nodeid}:\n{text}", file=self.out, flush=True)

    # ------------------------------------------------------------ running

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtestloop(self, session: pytest.Session) -> None:
        if session.testsfailed or not session.items or session.config.option.collectonly:
            return
        self._t0 = time.monotonic()
        try:
            self._start(session)
            items = [i for i in session.items if isinstance(i, ScenarioItem)]
            assert self.client is not None
            self._finished = self.client.run_all([i.variant for i in items])
        except Fatal as e:
            self.fatal = str(e)
            self._shutdown()
            raise pytest.exit(self.fatal, returncode=2) from None

    def _start(self, session: pytest.Session) -> None:
        opt = session.config.getoption
        impl = self.impl or resolve(opt("client"), "client", build_kind=opt("client_build"))
        self._tmp = Path(tempfile.mkdtemp(prefix="ssespec-client-"))
        pki = make_pki(self._tmp / "pki")
        self.server = ScenarioServer(self._server_exe(), self.cases_root, pki.cert, pki.key,
                                     STATIC if STATIC.is_dir() else None)
        self.server.start()
        env = dict(os.environ, SSESPEC_CA_FILE=str(pki.ca))
        timeout = opt("case_timeout")
        self.client = ClientRunner(impl.argv, env, self.server,
                                   hello_timeout=timeout if timeout is not None else HELLO_TIMEOUT,
                                   max_streams=opt("max_streams"),
                                   max_failures=int(session.config.option.maxfail or 0),
                                   on_result=self._live)
        hello = self.client.start()
        self.run = Run(self.suite_name, {**hello.raw, "command": impl.argv})
        if self.own_report:
            n = len({i.variant.scenario.name for i in session.items if isinstance(i, ScenarioItem)})
            self._say(f"ssespec {self.suite_name} suite: {len(session.items)} variants of "
                      f"{n} scenarios from {_rel(self.cases_root)}")
            self._say(f"adapter: {hello.name} {hello.version}, reports {', '.join(hello.reports)}, "
                      f"{min(self.client.limit, len(session.items))} streams at once")
            self._say(f"command: {shlex.join(impl.argv)}")
            self._say(f"server:  {self.server.origin('http')} and {self.server.origin('tls')}")

    def _live(self, f: Finished) -> None:
        if self.own_report:
            self._progress(f.result)

    def execute(self, v: ClientVariant) -> Result:  # type: ignore[override]
        assert self.run is not None
        f = self._finished.get(v.id)
        if f is None:
            raise Fatal(f"no result for {v.id}")
        self.run.results.append(f.result)
        return f.result

    def details(self, result: Result) -> str:
        f = self._finished.get(result.id)
        return f.details if f and f.details else f"{result.verdict.upper()} {result.id}: {result.reason}"

    # ------------------------------------------------------------ the end

    def _shutdown(self) -> None:
        if self.client is not None:
            self.client.stop()
        if self.server is not None:
            self.server.stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def pytest_sessionfinish(self, session: pytest.Session) -> None:
        self._shutdown()
        if self.run is None or self.fatal:
            return
        assert self.client is not None and self.server is not None
        self.run.seconds = time.monotonic() - self._t0
        self.run.adapter["restarts"] = self.client.restarts
        self.run.adapter["end_note"] = self.client.end_note
        self.run.server = {"command": self.server.argv, "end_note": self.server.end_note}
        if self.client.restarts:
            self.run.notes.append(f"the adapter was restarted {self.client.restarts} times")
        for note in (self.client.end_note, self.server.end_note):
            if note:
                self.run.notes.append(note)
        if self.client.stray_reports:
            self.run.notes.append(f"{self.client.stray_reports} reports named no open stream "
                                  "(ignored)")
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


def _rel(p: Path) -> str:
    try:
        return str(p.relative_to(Path.cwd()))
    except ValueError:
        return str(p)


__all__ = ["ClientSuite", "ScenarioFile", "ScenarioItem"]
