"""`./ssespec show ID`: one parser case variant, as a failure report names
it (`bom/strip@split-5`): its rule, its chunks escaped and its expected
records, or with --raw exactly its input bytes on stdout."""

from __future__ import annotations

import argparse
import sys

from harness.commands import Command
from harness.core.cases import CaseError, load_case
from harness.core.errors import Fatal
from harness.core.paths import CASES
from harness.core.records import line
from harness.core.report import describe_chunks, escape
from harness.core.rules import RULES
from harness.parser_suite.variants import variants
from harness.suite import roots
from harness.suite.base import rel


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("id", metavar="ID", help="a case name, or a variant id: NAME@bytes, "
                   "NAME@split-K")
    p.add_argument("--cases", action="append", default=[], metavar="DIR",
                   help="a folder of cases to look in beside the built-in corpus/cases "
                   "(repeatable)")
    p.add_argument("--no-builtin", action="store_true",
                   help="look only in the --cases folders")
    p.add_argument("--raw", action="store_true",
                   help="write the variant's input bytes to stdout, nothing else")


def run(args: argparse.Namespace) -> int:
    dirs = roots.with_builtin(args.cases, CASES, args.no_builtin)
    try:
        roots.check(dirs, (".case",))
    except roots.RootsError as e:
        raise Fatal(f"--cases: {e}") from None
    name, _, which = args.id.partition("@")
    found_in = [d for d in dirs if name and (d / f"{name}.case").is_file()]
    if not found_in:
        raise Fatal(f"no case called {name!r} in {', '.join(rel(d) for d in dirs)}")
    root = found_in[0]
    path = root / f"{name}.case"
    try:
        case = load_case(path, root)
    except CaseError as e:
        raise Fatal(str(e)) from None
    found = [v for v in variants(case) if v.id == args.id]
    if not found:
        names = sorted({v.name.split("-")[0] for v in variants(case)})
        raise Fatal(f"case {name!r} has no variant @{which} (it has: "
                    f"{', '.join(n if n != 'split' else 'split-K' for n in names)})")
    v = found[0]
    chunks = v.chunks()
    if args.raw:
        sys.stdout.buffer.write(b"".join(chunks))
        sys.stdout.flush()
        return 0
    rule = RULES.get(case.rule)
    data = b"".join(chunks)
    print(f"{v.id}")
    print(f"  file:   {path}")
    print(f"  rule:   {case.rule} {rule.title if rule else ''}")
    print(f"  about:  {case.about}")
    if case.open_reason:
        print(f"  open:   {case.open_reason}")
    print(f"  input:  {len(data)} bytes: {escape(data)}")
    ch = describe_chunks(chunks)
    print(f"  chunks: {ch[0]}")
    for c in ch[1:]:
        print("          " + c)
    print("  expected records:")
    for r in case.records:
        print("    " + line(r))
    return 0


COMMANDS = [Command("show", "show a parser case variant: its chunks and expected records, "
                    "or its raw bytes", run, configure)]
