"""`./ssespec check`: run the conformance suites against adapters and report
the verdicts (docs/results.md, docs/client-suite.md)."""

from __future__ import annotations

import argparse
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from harness.commands import Command
from harness.core import expect, report, sarif
from harness.core.errors import Fatal
from harness.core.paths import CASES, PRODUCERS, ROOT, SCENARIOS
from harness.core.results import merge_json, merge_junit
from harness.setup import build, bundled, deps
from harness.suite import roots
from harness.suite.base import rel
from harness.suite.session import NothingSelected, RunOptions, run_suite

DESCRIPTION = """\
Run the conformance suites and report the verdicts (docs/results.md,
docs/client-suite.md).

  ./ssespec check                      all three suites against the reference
                                       parser, client and producer
  ./ssespec check --impl CMD|NAME      the parser suite (docs/adapter-protocol.md)
  ./ssespec check --client [CMD|NAME]  the client suite (docs/client-adapter-protocol.md)
  ./ssespec check --server [CMD|NAME]  the producer suite: encoders and SSE servers
                                       (docs/server-adapter-protocol.md)
  ./ssespec check --impl X --client Y  those suites, with those adapters
  ./ssespec check --list -k bom        the variants a selection picks, not run

Selection: -k takes variant ids as reports print them (bom/strip@split-5,
name@tls), parts of them, and rule ids, joined with and/or/not.

Exit status: 0 every variant passed (skipped and informational allowed),
1 a variant failed, 2 the run could not be done."""


def _epilog() -> str:
    return ("Bundled parser adapters (--impl NAME):\n" + "\n".join(bundled.listing())
            + "\n\nBundled client adapters (--client NAME):\n"
            + "\n".join(bundled.listing("client"))
            + "\n\nBundled producer adapters (--server NAME):\n"
            + "\n".join(bundled.listing("server")))


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--impl", default=None, metavar="CMD|NAME",
                   help="run the parser suite against 'reference' (the built reference parser), "
                   "a bundled parser adapter's name, or an adapter command line (split like a "
                   "POSIX shell)")
    p.add_argument("--client", nargs="?", const="reference", default=None, metavar="CMD|NAME",
                   help="run the client suite against 'reference' (the default: the built "
                   "reference client), a bundled client adapter's name, or a command line")
    p.add_argument("--server", nargs="?", const="reference", default=None, metavar="CMD|NAME",
                   help="run the producer suite against 'reference' (the default: the built "
                   "reference encoder, serving), a bundled producer adapter's name, or a "
                   "command line")
    p.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of the reference adapters and the scenario server "
                   "(default release)")
    p.add_argument("--cases", action="append", default=[], metavar="DIR",
                   help="a folder of parser cases to run beside the built-in corpus/cases "
                   "(repeatable; case names must be unique across the folders); the client "
                   "suite serves them over the wire too")
    p.add_argument("--scenarios", action="append", default=[], metavar="DIR",
                   help="a folder of client scenarios beside the built-in corpus/scenarios "
                   "(repeatable)")
    p.add_argument("--no-client-cases", action="store_true",
                   help="client suite: only the scenarios, not every parser case served as a "
                   "connection's body (those are variants cases/NAME, marked from_case)")
    p.add_argument("--producers", action="append", default=[], metavar="DIR",
                   help="a folder of producer cases (.encode and .served files) beside the "
                   "built-in corpus/producers (repeatable)")
    p.add_argument("--no-builtin", action="store_true",
                   help="only the folders given with --cases, --scenarios and --producers: "
                   "leave out the built-in corpus of each suite given folders")
    p.add_argument("-k", metavar="EXPR", help="only variants whose ids contain these terms, "
                   "or of these rules (see above)")
    p.add_argument("-m", metavar="EXPR", help="only variants with these markers: variant_whole, "
                   "variant_bytes, variant_split, transport_http, transport_tls")
    p.add_argument("--rule", action="append", default=[], metavar="RULE",
                   help="only variants of this rule (repeatable)")
    p.add_argument("--list", action="store_true",
                   help="list the selected variants (id, rule, markers) without running them")
    p.add_argument("--expect", metavar="FILE",
                   help="an expectations baseline: fail (exit 1) only on a variant that fails "
                   "and is not listed; report listed variants that now pass (docs/results.md)")
    p.add_argument("--write-expect", metavar="FILE",
                   help="write this run's failing and informational variants as a baseline "
                   "(exit 0 unless the run could not be done)")
    p.add_argument("-q", "--quiet", action="store_true",
                   help="no progress and no per-rule table: the failures and the summary lines")
    p.add_argument("--json", metavar="FILE", help="write every verdict as JSON ('-': stdout, "
                   "and the report goes to stderr)")
    p.add_argument("--junit", metavar="FILE", help="write every verdict as JUnit XML")
    p.add_argument("--sarif", metavar="FILE", help="write every variant that did not pass as "
                   "SARIF 2.1.0, for code-scanning dashboards (docs/results.md)")
    p.add_argument("--timeout", type=float, metavar="S",
                   help="parser suite: seconds for the hello and for each case without its own "
                   "timeout (5); client suite: seconds for the hello (30)")
    p.add_argument("--max-streams", type=int, metavar="N",
                   help="client suite: at most N streams at once (default: the adapter's "
                   "max_streams, at most 256)")
    p.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    p.add_argument("-v", "--verbose", action="count", default=0,
                   help="one line per variant, and every failure in full")
    p.add_argument("--max-response-bytes", type=int, default=None, help=argparse.SUPPRESS)


@dataclass
class Planned:
    """One suite of a check run."""

    suite: object
    plugin: str
    roots: list[Path]
    opts: RunOptions
    files: Callable[[], dict[str, Path]]    # case name -> its file (for SARIF)


def _writable(flag: str, value: str | None) -> None:
    """Fatal now, before any work, when a results file cannot be written."""
    if value is None or value == "-":
        return
    path = Path(value)
    parent = path.parent if str(path.parent) else Path(".")
    if path.is_dir():
        raise Fatal(f"{flag} {value}: is a directory")
    if not parent.is_dir():
        raise Fatal(f"{flag} {value}: no such directory {parent}")
    if not os.access(parent, os.W_OK) or (path.exists() and not os.access(path, os.W_OK)):
        raise Fatal(f"{flag} {value}: not writable")


def _check_args(args: argparse.Namespace) -> None:
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise Fatal("--timeout must be over 0 and at most 3600 seconds")
    if args.max_streams is not None and args.max_streams < 1:
        raise Fatal("--max-streams must be at least 1")
    for flag in ("impl", "client", "server"):
        value = getattr(args, flag)
        if value is not None and not value.strip():
            raise Fatal(f"--{flag} is empty: give 'reference', a bundled adapter's name or a "
                        "command line")
    _writable("--json", args.json)
    _writable("--junit", args.junit)
    _writable("--write-expect", args.write_expect)
    _writable("--sarif", args.sarif)
    if args.sarif == "-":
        raise Fatal("--sarif needs a file name")
    if args.expect is not None:
        try:
            expect.load(Path(args.expect))
        except expect.ExpectError as e:
            raise Fatal(str(e)) from None
    if args.json == "-" and args.list:
        raise Fatal("--json - and --list both write to stdout: choose one")


def _folder_args(flag: str, dirs: list[Path], builtin: Path) -> list[str]:
    """The options that name these folders again, for a command to print."""
    out: list[str] = []
    for d in dirs:
        if d != builtin:
            out += [flag, rel(d)]
    if builtin not in dirs:
        out.append("--no-builtin")
    return out


def _rerun(flag: str, label: str, args: argparse.Namespace, folder_args: list[str]) -> list[str]:
    cmd = ["./ssespec", "check", flag, label, *folder_args]
    if args.build != "release":
        cmd += ["--build", args.build]
    return cmd


def _checked(flag: str, dirs: list[Path], suffixes: tuple[str, ...], what: str) -> list[Path]:
    try:
        roots.check(dirs, suffixes, what)
    except roots.RootsError as e:
        raise Fatal(f"{flag}: {e}") from None
    return dirs


def plan(args: argparse.Namespace, out: object) -> list[Planned]:
    """The suites this check runs, set up (adapters resolved and installed)."""
    from harness.client_suite.plugin import ClientSuite
    from harness.parser_suite.plugin import ParserSuite
    from harness.server_suite.plugin import ServerSuite

    none = args.impl is None and args.client is None and args.server is None
    run_parser = args.impl is not None or none
    run_client = args.client is not None or none
    run_server = args.server is not None or none
    cases = roots.with_builtin(args.cases, CASES, args.no_builtin)
    scenarios = roots.with_builtin(args.scenarios, SCENARIOS, args.no_builtin)
    producers = roots.with_builtin(args.producers, PRODUCERS, args.no_builtin)
    if run_parser or (run_client and not args.no_client_cases):
        _checked("--cases", cases, (".case",), "case")
    if run_client:
        _checked("--scenarios", scenarios, (".scenario",), "scenario")
    if run_server:
        _checked("--producers", producers, (".encode", ".served"), "case")
    case_args = _folder_args("--cases", cases, CASES)
    deps.ensure("pytest")
    base = RunOptions(k=args.k, m=args.m, rules=args.rule, list_only=args.list,
                      exitfirst=args.exitfirst, timeout=args.timeout, json=args.json,
                      junit=args.junit, verbose=args.verbose)
    common = []
    if args.expect:
        common += ["--ssespec-expect", args.expect]
    if args.quiet:
        common.append("--ssespec-quiet")
    base.check()
    planned: list[Planned] = []
    if run_parser:
        label = args.impl or bundled.REFERENCE
        impl = bundled.resolve(label, "parser", build_kind=args.build)
        suite = ParserSuite(impl=impl, out=out,  # type: ignore[arg-type]
                            rerun=_rerun("--impl", label, args, case_args),
                            show=["./ssespec", "show", *case_args])
        extra = [x for d in cases for x in ("--cases", str(d))] + common
        if args.max_response_bytes:
            extra += ["--max-response-bytes", str(args.max_response_bytes)]
        planned.append(Planned(suite, "harness.parser_suite.plugin", cases,
                               RunOptions(**{**vars(base), "extra": extra}),
                               lambda: sarif.case_files(cases, (".case",))))
    if run_client:
        label = args.client or bundled.REFERENCE
        client = bundled.resolve(label, "client", build_kind=args.build)
        server = build.executable("ssespec-server", args.build, quiet=True)
        extra = [x for d in scenarios for x in ("--scenarios", str(d))] + common
        dirs = list(scenarios)
        again = _folder_args("--scenarios", scenarios, SCENARIOS)
        if args.no_client_cases:
            again.append("--no-client-cases")
        else:
            extra += [x for d in cases for x in ("--client-cases", str(d))]
            dirs += cases
            again += [a for a in case_args if a != "--no-builtin" or a not in again]
        if args.max_streams:
            extra += ["--max-streams", str(args.max_streams)]
        suite = ClientSuite(impl=client, server_exe=server, out=out,  # type: ignore[arg-type]
                            rerun=_rerun("--client", label, args, again))
        served = [] if args.no_client_cases else cases
        planned.append(Planned(suite, "harness.client_suite.plugin", dirs,
                               RunOptions(**{**vars(base), "extra": extra}),
                               lambda: {**sarif.case_files(scenarios, (".scenario",)),
                                        **{"cases/" + k: v for k, v in
                                           sarif.case_files(served, (".case",)).items()}}))
    if run_server:
        label = args.server or bundled.REFERENCE
        producer = bundled.resolve(label, "server", build_kind=args.build)
        suite = ServerSuite(impl=producer, out=out,  # type: ignore[arg-type]
                            rerun=_rerun("--server", label, args,
                                         _folder_args("--producers", producers, PRODUCERS)))
        extra = [x for d in producers for x in ("--producers", str(d))]
        extra += ["--server-build", args.build, *common]
        planned.append(Planned(suite, "harness.server_suite.plugin", producers,
                               RunOptions(**{**vars(base), "extra": extra}),
                               lambda: sarif.case_files(producers, (".encode", ".served"))))
    return planned


def run(args: argparse.Namespace) -> int:
    """The suites named by --impl, --client and --server (all three when none
    is named): exit status the worst of them."""
    _check_args(args)
    out = sys.stderr if args.json == "-" else sys.stdout
    planned = plan(args, out)
    with tempfile.TemporaryDirectory(prefix="ssespec-check-") as tmp:
        parts_json: list[Path] = []
        parts_junit: list[Path] = []
        rcs: list[int] = []
        skipped: list[str] = []
        for n, p in enumerate(planned):
            if args.json and (len(planned) > 1 or args.json == "-"):
                p.opts.json = str(Path(tmp) / f"{n}.json")
                parts_json.append(Path(p.opts.json))
            if args.junit and len(planned) > 1:
                p.opts.junit = str(Path(tmp) / f"{n}.xml")
                parts_junit.append(Path(p.opts.junit))
            try:
                rcs.append(run_suite(p.suite, p.plugin, p.roots, p.opts))
            except NothingSelected as e:
                if len(planned) == 1 and not args.list:
                    raise
                if args.list:   # the suite's listing said "0 variants" already
                    continue
                # -k / -m may pick from one suite only: the other is left out
                skipped.append(str(e))
                print(f"{getattr(p.suite, 'suite_name')}: {e}", file=out, flush=True)
            if n + 1 < len(planned) and not args.list:
                print(file=out, flush=True)
        if len(skipped) == len(planned):
            raise Fatal("; ".join(skipped))
        if args.list:
            return 0
        if parts_json:
            if len(planned) > 1:
                merged = Path(tmp) / "merged.json"
                merge_json(parts_json, merged)
            else:
                merged = parts_json[0]
            if args.json == "-":
                sys.stdout.write(merged.read_text(encoding="utf-8"))
                sys.stdout.flush()
            else:
                shutil.move(str(merged), args.json)
        if parts_junit:
            merge_junit(parts_junit, Path(args.junit))
    if len(planned) > 1:
        print(file=out)
        for p in planned:
            r = getattr(p.suite, "run", None)
            if r is not None:
                print(f"{getattr(p.suite, 'suite_name')}: {report.summary_line(r)}", file=out)
    if args.sarif:
        _write_sarif(Path(args.sarif), planned)
        print(f"ssespec: wrote SARIF to {args.sarif}", file=out)
    if args.write_expect:
        runs = [(p.suite.run.suite, p.suite.impl.label, p.suite.run.results)  # type: ignore[attr-defined]
                for p in planned if getattr(p.suite, "run", None) is not None]
        n = expect.write(Path(args.write_expect), runs)
        print(f"ssespec: wrote {report.plural(n, 'baseline entry', 'baseline entries')} to "
              f"{args.write_expect}", file=out)
        return 0 if rcs else 2
    return max(rcs) if rcs else 2


def _write_sarif(path: Path, planned: list[Planned]) -> None:
    runs = []
    for p in planned:
        run = getattr(p.suite, "run", None)
        if run is None:
            continue
        baseline = getattr(p.suite, "baseline", None)
        reasons = {}
        if baseline is not None:
            for r in run.results:
                e = baseline.entry_for(r)
                if e is not None:
                    reasons[r.id] = e.reason or f"{e.verdict} {e.selector}"
        runs.append(sarif.run_object(run, p.files(), p.suite.impl.label,  # type: ignore[attr-defined]
                                     reasons))
    sarif.write(path, runs)


COMMANDS = [Command("check", "run the conformance suites (parser, client, producer)", run,
                    configure, DESCRIPTION, _epilog)]

__all__ = ["COMMANDS", "ROOT"]
