"""`./ssespec matrix`: the suites against many implementations, one report
(docs/matrix.md); `./ssespec peers-doc`: docs/peers.md from a matrix.json."""

from __future__ import annotations

import argparse
from pathlib import Path

from harness.commands import Command
from harness.core.errors import Fatal
from harness.matrix import impls, make, peers_doc, report
from harness.matrix.run import MAX_PARALLEL, CheckOptions

DESCRIPTION = """\
Run the suites against many implementations, a few at a time, and write a
browsable report (docs/matrix.md): every bundled adapter and the three
references by default, and your own adapters with --impl, --client, --server.

  ./ssespec matrix                              everything bundled (about 10 min)
  ./ssespec matrix --skip-slow                  without browsers, Node 22 runtimes, Go
  ./ssespec matrix --only parsers               every parser
  ./ssespec matrix --only reference --impl "python3 my_adapter.py"
  ./ssespec matrix --peers-doc docs/peers.md    and write docs/peers.md from it

Each implementation runs as `./ssespec check ... --json` in a process group
of its own; bundled adapters are held to their adapters/NAME/expect.txt.
The report: OUT/index.html (open it from disk), OUT/impl/ID.html (one page
per implementation), OUT/matrix.json (all the data).

Exit status: 0 every implementation ran and every recorded result held,
1 the report was written but an implementation could not be run or its
recorded results no longer hold, 2 no report (bad arguments, nothing
selected, interrupted)."""


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--impl", action="append", default=[], metavar="CMD",
                   help="add your parser adapter (a command line; repeatable)")
    p.add_argument("--client", action="append", default=[], metavar="CMD",
                   help="add your client adapter (repeatable)")
    p.add_argument("--server", action="append", default=[], metavar="CMD",
                   help="add your producer adapter (repeatable)")
    p.add_argument("--only", action="append", default=[], metavar="NAME[,NAME]",
                   help="only these bundled implementations: names, ids (reference-parser, "
                   "...), or kinds (parsers, clients, producers); your own always run")
    p.add_argument("--skip-slow", action="store_true",
                   help='leave out the "slow": true adapters (browsers, Node 22, Go builds)')
    p.add_argument("-j", "--jobs", type=int, default=2, metavar="N",
                   help=f"implementations run at a time (default 2, at most {MAX_PARALLEL})")
    p.add_argument("--out", default="report", metavar="DIR",
                   help="where the report goes (default report/)")
    p.add_argument("--no-expect", action="store_true",
                   help="do not hold bundled adapters to their recorded results")
    p.add_argument("--peers-doc", metavar="FILE",
                   help="also write the peers page (docs/peers.md) from this matrix")
    p.add_argument("--list", action="store_true",
                   help="list the implementations the matrix would run, and stop")
    p.add_argument("--cases", metavar="DIR", help="a folder of parser cases beside corpus/cases")
    p.add_argument("--scenarios", metavar="DIR",
                   help="a folder of client scenarios beside corpus/scenarios")
    p.add_argument("--producers", metavar="DIR",
                   help="a folder of producer cases beside corpus/producers")
    p.add_argument("--no-builtin", action="store_true",
                   help="only the folders given with --cases, --scenarios, --producers")
    p.add_argument("-k", metavar="EXPR", help="only the variants -k picks, in every check")
    p.add_argument("--timeout", type=float, default=1800.0, metavar="S",
                   help="seconds one implementation's check may take (default 1800)")
    p.add_argument("--from-json", metavar="MATRIX_JSON",
                   help="run nothing: write the report (and --peers-doc) anew from a "
                   "matrix.json")
    p.add_argument("--from-check", metavar="RESULTS_JSON",
                   help="run nothing: write the report of one ./ssespec check --json file "
                   "(each suite in it a column); ci/check.sh does")


def _targets(args: argparse.Namespace) -> list[impls.Target]:
    chosen = impls.select(impls.bundled_targets(), args.only, args.skip_slow)
    if args.only and not chosen and not (args.impl or args.client or args.server):
        raise Fatal("--only and --skip-slow leave no implementation")
    mine = impls.user_targets([("parser", c) for c in args.impl]
                              + [("client", c) for c in args.client]
                              + [("server", c) for c in args.server])
    return chosen + mine


def run(args: argparse.Namespace) -> int:
    if not 1 <= args.jobs <= MAX_PARALLEL:
        raise Fatal(f"-j must be from 1 to {MAX_PARALLEL}")
    if not 0 < args.timeout <= 86400:
        raise Fatal("--timeout must be over 0 and at most 86400 seconds")
    for flag, value in (("--cases", args.cases), ("--scenarios", args.scenarios),
                        ("--producers", args.producers)):
        if value is not None and not Path(value).is_dir():
            raise Fatal(f"{flag} {value}: no such directory")
    if args.from_check:
        m = make.from_check(Path(args.from_check), Path(args.out))
        print(f"report: {Path(args.out) / 'index.html'} ({len(m['impls'])} "
              f"{'suite' if len(m['impls']) == 1 else 'suites'} of {args.from_check})")
        return 0
    if args.from_json:
        m = report.load(Path(args.from_json))
        size = report.write(m, Path(args.out))
        print(f"report: {Path(args.out) / 'index.html'} ({size / 1e6:.2f} MB)")
        if args.peers_doc:
            peers_doc.write(m, Path(args.peers_doc))
            print(f"wrote {args.peers_doc}")
        return 0
    targets = _targets(args)
    if args.list:
        for t in targets:
            slow = " (slow)" if t.slow else ""
            print(f"{t.id:<32} {t.kind:<7} {t.description or t.spec}{slow}")
        return 0
    out = Path(args.out)
    if out.exists() and not out.is_dir():
        raise Fatal(f"--out {args.out}: not a directory")
    opts = CheckOptions(expect=not args.no_expect, cases=args.cases, scenarios=args.scenarios,
                        producers=args.producers, k=args.k, timeout=args.timeout,
                        no_builtin=args.no_builtin)
    plan = make.Plan(targets, opts, args.jobs, out,
                     Path(args.peers_doc) if args.peers_doc else None)
    _, status = make.make(plan)
    return status


def configure_peers(p: argparse.ArgumentParser) -> None:
    p.add_argument("matrix", nargs="?", default="report/matrix.json", metavar="MATRIX_JSON",
                   help="a matrix.json (default report/matrix.json)")
    p.add_argument("-o", "--out", default="docs/peers.md", metavar="FILE",
                   help="the page to write (default docs/peers.md)")


def run_peers(args: argparse.Namespace) -> int:
    m = report.load(Path(args.matrix))
    peers_doc.write(m, Path(args.out))
    print(f"wrote {args.out} from {args.matrix}")
    return 0


COMMANDS = [
    Command("matrix", "run the suites against many implementations; an HTML report", run,
            configure, DESCRIPTION),
    Command("peers-doc", "write docs/peers.md from a matrix.json", run_peers, configure_peers,
            "Write the peers page (docs/peers.md) from a matrix.json made by ./ssespec matrix."),
]
