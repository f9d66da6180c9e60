"""The reference tools behind one name each: `adapter` (the reference
parser's adapter on stdin/stdout), `parse` (a stream's records as JSON
lines) and `get` (one live stream through the reference client). Each
builds what it needs (quietly: build output appears only when the build
fails) and then becomes the tool, so that signals and exit statuses are the
tool's own."""

from __future__ import annotations

import argparse
import os
import sys

from harness.commands import Command
from harness.setup import build, bundled


def _exec(name: str, kind: str, argv: list[str]) -> int:
    exe = build.executable(name, kind, quiet=True)
    sys.stdout.flush()
    os.execv(exe, [str(exe), *argv])


def _build_option(p: argparse.ArgumentParser) -> None:
    p.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of the tool (default release)")


def configure_parse(p: argparse.ArgumentParser) -> None:
    _build_option(p)
    p.add_argument("file", nargs="*", metavar="FILE", help="stream files (default: stdin)")


def run_adapter(args: argparse.Namespace) -> int:
    return _exec(bundled.REFERENCE_EXE, args.build, [])


def run_parse(args: argparse.Namespace) -> int:
    return _exec("ssespec-parse", args.build, args.file)


def run_get(args: argparse.Namespace) -> int:
    """Every argument goes to ssespec-get as given (its own --help included)."""
    return _exec("ssespec-get", "release", args.argv)


COMMANDS = [
    Command("adapter", "run the reference parser's adapter (on stdin/stdout)", run_adapter,
            _build_option, "Build if needed, then run the reference parser adapter: protocol "
            "lines on stdout (docs/adapter-protocol.md)."),
    Command("parse", "print a stream's records as JSON lines", run_parse, configure_parse,
            "Build if needed, then run ssespec-parse on FILE (or stdin)."),
    Command("get", "print one live stream's records as JSON lines (ssespec-get URL ...; "
            "docs/reference-client.md)", run_get, raw=True),
]
