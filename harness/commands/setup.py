"""`./ssespec setup`: install what `./ssespec check` needs (the build tools
and libraries, pytest, openssl; with --node, Node.js and npm for the
bundled Node adapters), or with --print only say which Debian packages are
missing. For CI systems whose job runs as a user with sudo (ci/check.sh)."""

from __future__ import annotations

import argparse

from harness.commands import Command
from harness.setup import deps

NEEDS = (*deps.BUILD, "pytest", "openssl")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--node", action="store_true",
                   help="also Node.js and npm (the bundled Node.js adapters need them)")
    p.add_argument("--print", action="store_true", dest="print_only",
                   help="print the Debian packages that are missing, one line, and install "
                   "nothing (an empty line: nothing is missing)")


def run(args: argparse.Namespace) -> int:
    names = [*NEEDS, *(("node", "npm") if args.node else ())]
    if args.print_only:
        print(" ".join(deps.missing_packages(*names)))
        return 0
    deps.ensure(*names)
    return 0


COMMANDS = [Command("setup", "install what check needs, or --print the missing Debian packages",
                    run, configure, __doc__ or "")]
