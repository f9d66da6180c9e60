"""The `./ssespec` command line: check, adapter, parse, test.

Exit statuses: 0 success; 1 a case or a test failed; 2 the run could not be
done (bad arguments, missing tools, an adapter that would not start or said
no proper hello), with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import NoReturn, Sequence

from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.setup import build, bundled, deps

PROG = "ssespec"

# pytest plugins a conformance run does without: its own report replaces the
# terminal, and the rest cost time on every one of ~20,000 items.
PYTEST_OFF = ("terminal", "logging", "warnings", "cacheprovider", "faulthandler", "junitxml",
              "pastebin", "nose", "doctest", "stepwise", "unraisableexception",
              "threadexception", "legacypath", "tmpdir", "monkeypatch", "recwarn")


# Commands implemented in their own module: NAME -> (module, one-line help).
# The module's main(argv) gets ["NAME", *arguments] and parses them itself.
DELEGATED: dict[str, tuple[str, str]] = {
    "fuzz": ("harness.fuzzing", "fuzz the C parsers with libFuzzer, or a parser adapter (--impl) "
             "against the reference parser (docs/fuzzing.md)"),
    "replay": ("harness.fuzzing", "replay fuzz inputs and regressions through the drivers"),
    "bench": ("harness.bench", "benchmark the reference parser against baselines (docs/performance.md)"),
}


class NothingSelected(Fatal):
    """-k / -m left no variant of a suite (exit 2 when it is the only suite)."""


def _available(module: str) -> bool:
    import importlib.util
    return importlib.util.find_spec(module) is not None


class Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"{PROG}: {message} (see ./{PROG} {self._sub()}--help)", file=sys.stderr)
        sys.exit(2)

    def _sub(self) -> str:
        parts = self.prog.split()
        return f"{parts[1]} " if len(parts) > 1 else ""


def make_parser() -> Parser:
    p = Parser(prog=PROG, description="ssespec: a conformance test suite for Server-Sent Events "
               "(text/event-stream).", epilog="Run './ssespec COMMAND --help' for a command's options.")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=Parser)

    c = sub.add_parser("check", help="run the conformance suites (parser, client, or both)",
                       description="Run the conformance suites and report the verdicts\n"
                       "(docs/results.md, docs/client-suite.md).\n\n"
                       "  ./ssespec check                      both suites against the reference\n"
                       "                                       parser and client\n"
                       "  ./ssespec check --impl CMD|NAME      the parser suite (docs/adapter-protocol.md)\n"
                       "  ./ssespec check --client [CMD|NAME]  the client suite (docs/client-adapter-protocol.md)\n"
                       "  ./ssespec check --impl X --client Y  both, with those adapters\n\n"
                       "Exit status: 0 every variant passed (skipped and informational allowed),\n"
                       "1 a variant failed, 2 the run could not be done.",
                       epilog="Bundled parser adapters (--impl NAME):\n" + "\n".join(bundled.listing())
                       + "\n\nBundled client adapters (--client NAME):\n"
                       + "\n".join(bundled.listing("client")),
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    c.add_argument("--impl", default=None, metavar="CMD|NAME",
                   help="run the parser suite against 'reference' (the built reference parser), "
                   "a bundled parser adapter's name, or an adapter command line (split like a "
                   "POSIX shell)")
    c.add_argument("--client", nargs="?", const="reference", default=None, metavar="CMD|NAME",
                   help="run the client suite against 'reference' (the default: the built "
                   "reference client), a bundled client adapter's name, or a command line")
    c.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of the reference adapters and the scenario server "
                   "(default release)")
    c.add_argument("--cases", default=str(ROOT / "corpus" / "cases"), metavar="DIR",
                   help="the parser suite's case directory (default corpus/cases)")
    c.add_argument("--scenarios", default=str(ROOT / "corpus" / "scenarios"), metavar="DIR",
                   help="the client suite's scenario directory (default corpus/scenarios)")
    c.add_argument("-k", metavar="EXPR", help="only cases / scenarios whose names match EXPR "
                   "(pytest -k)")
    c.add_argument("-m", metavar="EXPR", help="only variants matching EXPR, e.g. "
                   "'variant_whole', 'not variant_split', 'transport_tls' (pytest -m)")
    c.add_argument("--json", metavar="FILE", help="write every verdict as JSON")
    c.add_argument("--junit", metavar="FILE", help="write every verdict as JUnit XML")
    c.add_argument("--timeout", type=float, metavar="S",
                   help="parser suite: seconds for the hello and for each case without its own "
                   "timeout (5); client suite: seconds for the hello (30)")
    c.add_argument("--max-streams", type=int, metavar="N",
                   help="client suite: at most N streams at once (default: the adapter's "
                   "max_streams, at most 256)")
    c.add_argument("-x", "--exitfirst", action="store_true", help="stop at the first failure")
    c.add_argument("-v", "--verbose", action="count", default=0,
                   help="one line per variant, and every failure in full")
    c.add_argument("--max-response-bytes", type=int, default=None, help=argparse.SUPPRESS)

    a = sub.add_parser("adapter", help="run the reference parser's adapter (on stdin/stdout)",
                       description="Build if needed, then run the reference parser adapter: "
                       "protocol lines on stdout, build output on stderr.")
    a.add_argument("--build", default="release", choices=sorted(build.KINDS))

    r = sub.add_parser("parse", help="print a stream's records as JSON lines",
                       description="Build if needed, then run ssespec-parse on FILE.")
    r.add_argument("--build", default="release", choices=sorted(build.KINDS))
    r.add_argument("file", nargs="*", metavar="FILE")

    g = sub.add_parser("get", help="print one stream's records as JSON lines (ssespec-get)",
                       add_help=False)
    g.add_argument("rest", nargs=argparse.REMAINDER)

    t = sub.add_parser("test", help="run the project's own tests",
                       description="Build release and ASan, run ctest in both, pytest on tests/, "
                       "and the conformance suite against the ASan reference adapter.")
    t.add_argument("--list", action="store_true", help="list the steps and exit")
    t.add_argument("--only", action="append", metavar="STEP", help="run only these steps")
    t.add_argument("--skip", action="append", metavar="STEP", help="leave out these steps")

    for name, (module, text) in DELEGATED.items():
        if _available(module):
            sub.add_parser(name, help=text, add_help=False)
    return p


def check(args: argparse.Namespace) -> int:
    """`check`: the parser suite, the client suite, or both (no target given,
    or both --impl and --client): exit status the worse of the two."""
    if args.timeout is not None and not 0 < args.timeout <= 3600:
        raise Fatal("--timeout must be over 0 and at most 3600 seconds")
    if args.max_streams is not None and args.max_streams < 1:
        raise Fatal("--max-streams must be at least 1")
    run_parser = args.impl is not None or args.client is None
    run_client = args.client is not None or args.impl is None
    cases, scenarios = Path(args.cases), Path(args.scenarios)
    if run_parser and not cases.is_dir():
        raise Fatal(f"--cases {args.cases}: no such directory")
    if run_client and not scenarios.is_dir():
        raise Fatal(f"--scenarios {args.scenarios}: no such directory")
    deps.ensure("pytest")
    _check_expressions(args)
    from harness.client_suite.plugin import ClientSuite
    from harness.parser_suite.plugin import ParserSuite

    suites: list[tuple[object, Path, list[str]]] = []
    if run_parser:
        impl = bundled.resolve(args.impl or bundled.REFERENCE, "parser", build_kind=args.build)
        suites.append((ParserSuite(impl=impl), cases,
                       ["-p", "harness.plugin", "--cases", str(cases)]))
    if run_client:
        client = bundled.resolve(args.client or bundled.REFERENCE, "client", build_kind=args.build)
        server = build.executable("ssespec-server", args.build, quiet=True)
        extra = ["-p", "harness.client_plugin", "--scenarios", str(scenarios)]
        if args.max_streams:
            extra += ["--max-streams", str(args.max_streams)]
        suites.append((ClientSuite(impl=client, server_exe=server), scenarios, extra))
    if len(suites) == 1:
        suite, where, extra = suites[0]
        return run_suite(suite, where, args, extra)
    return _run_both(suites, args)


def _run_both(suites: list[tuple[object, Path, list[str]]], args: argparse.Namespace) -> int:
    """Each suite in turn (results files merged), then both summary lines."""
    import tempfile

    from harness.core import report
    from harness.core.results import merge_json, merge_junit

    rcs: list[int] = []
    skipped: list[str] = []
    with tempfile.TemporaryDirectory(prefix="ssespec-both-") as tmp:
        parts_json, parts_junit = [], []
        for n, (suite, where, extra) in enumerate(suites):
            sub = argparse.Namespace(**vars(args))
            if args.json:
                sub.json = str(Path(tmp) / f"{n}.json")
                parts_json.append(Path(sub.json))
            if args.junit:
                sub.junit = str(Path(tmp) / f"{n}.xml")
                parts_junit.append(Path(sub.junit))
            try:
                rcs.append(run_suite(suite, where, sub, extra))
            except NothingSelected as e:
                # -k / -m may pick from one suite only: the other is left out
                skipped.append(str(e))
                print(f"{getattr(suite, 'suite_name')}: {e}", flush=True)
            if n + 1 < len(suites):
                print(flush=True)
        if len(skipped) == len(suites):
            raise Fatal("; ".join(skipped))
        if args.json:
            merge_json(parts_json, Path(args.json))
        if args.junit:
            merge_junit(parts_junit, Path(args.junit))
    print()
    for suite, _, _ in suites:
        run = getattr(suite, "run", None)
        if run is not None:
            print(f"{getattr(suite, 'suite_name')}: {report.summary_line(run)}")
    return max(rcs)


def _check_expressions(args: argparse.Namespace) -> None:
    from _pytest.mark.expression import Expression, ParseError

    for flag, expr in (("-k", args.k), ("-m", args.m)):
        if expr:
            try:
                Expression.compile(expr)
            except ParseError as e:
                raise Fatal(f"{flag} {expr!r}: {e}") from None


def run_suite(suite: object, cases: Path, args: argparse.Namespace, extra: list[str]) -> int:
    """Run pytest in-process on cases with the suite's plugin object (which
    has .fatal and .collect_errors afterwards); map the outcome to 0/1/2."""
    import pytest

    pargs = [str(cases), "-c", os.devnull, "--rootdir", str(ROOT), "--strict-markers", "-s",
             *extra]
    for name in PYTEST_OFF:
        pargs += ["-p", f"no:{name}"]
    if args.k:
        pargs += ["-k", args.k]
    if args.m:
        pargs += ["-m", args.m]
    if args.exitfirst:
        pargs.append("-x")
    if args.timeout is not None:
        pargs += ["--case-timeout", str(args.timeout)]
    if args.max_response_bytes:
        pargs += ["--max-response-bytes", str(args.max_response_bytes)]
    if args.json:
        pargs += ["--results-json", args.json]
    if args.junit:
        pargs += ["--results-junit", args.junit]
    pargs += ["--ssespec-verbose"] * args.verbose
    rc = pytest.main(pargs, plugins=[suite])
    fatal: str | None = getattr(suite, "fatal", None)
    errors: list[str] = getattr(suite, "collect_errors", [])
    if fatal:
        raise Fatal(fatal)
    thing = "scenario" if getattr(suite, "suite_name", "") == "client" else "case"
    if errors:
        more = f" (and {len(errors) - 1} more)" if len(errors) > 1 else ""
        raise Fatal(f"bad {thing} file: {errors[0]}{more}")
    if rc == pytest.ExitCode.NO_TESTS_COLLECTED:
        sel = " ".join(f"{f} {e!r}" for f, e in (("-k", args.k), ("-m", args.m)) if e)
        raise NothingSelected(f"no {thing} selected from {cases}" + (f" by {sel}" if sel else ""))
    if rc in (pytest.ExitCode.OK, pytest.ExitCode.TESTS_FAILED):
        return int(rc)
    if rc == pytest.ExitCode.INTERRUPTED:
        raise Fatal("interrupted")
    raise Fatal(f"pytest ended with status {int(rc)}")


def exec_tool(name: str, kind: str, argv: Sequence[str]) -> NoReturn:
    exe = build.executable(name, kind)
    sys.stdout.flush()
    os.execv(exe, [str(exe), *argv])


def get(argv: list[str]) -> int:
    """`./ssespec get URL [options]`: build if needed, then run ssespec-get
    (docs/reference-client.md) with the arguments as given."""
    try:
        exe = build.executable("ssespec-get", "release", quiet=True)
    except Fatal as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.exit_status
    sys.stdout.flush()
    os.execv(exe, [str(exe), *argv])


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in DELEGATED and _available(DELEGATED[argv[0]][0]):
        import importlib
        return int(importlib.import_module(DELEGATED[argv[0]][0]).main(argv))
    if argv and argv[0] == "get":
        return get(argv[1:])
    parser = make_parser()
    args = parser.parse_args(argv)
    try:
        if args.command == "check":
            return check(args)
        if args.command == "adapter":
            exec_tool(bundled.REFERENCE_EXE, args.build, [])
        if args.command == "parse":
            exec_tool("ssespec-parse", args.build, args.file)
        if args.command == "test":
            from harness.commands import test as testrun
            return testrun.main(args)
        print(f"{PROG}: no command given (see ./{PROG} --help)", file=sys.stderr)
        return 2
    except Fatal as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.exit_status
    except KeyboardInterrupt:
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
