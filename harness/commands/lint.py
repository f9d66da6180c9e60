"""`./ssespec lint URL`: judge a live event stream from outside, with no
adapter (docs/lint.md). Exit status: 0 no error (warnings allowed), 1 an
error, 2 the stream could not be read at all."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from harness.commands import Command
from harness.core.errors import Fatal
from harness.core.report import plural
from harness.server_suite.lint import ERROR, INFO, WARNING
from harness.server_suite.lint import run as lint_url

DESCRIPTION = """\
Read a live event stream (http or https: a staging server, or the proxy in
front of it) for a bounded time, number of events and number of bytes, and
report what can be judged from the wire: status, headers, framing, UTF-8,
line endings, a BOM not at the stream's start, unknown fields, malformed
retry values, U+0000 in an id, events arriving in bursts (a buffering
server or proxy), the keep-alive interval. Each finding names its rule
(docs/rules.md) and shows the bytes.

Exit status: 0 no error (warnings allowed), 1 an error, 2 the stream could
not be read."""


def _header(text: str) -> tuple[str, str]:
    name, colon, value = text.partition(":")
    if not colon or not name.strip() or any(c in text for c in "\r\n\0"):
        raise argparse.ArgumentTypeError(f"{text!r} is not 'Name: value'")
    return name.strip(), value.strip()


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("url", metavar="URL", help="the event stream's http or https URL")
    p.add_argument("--seconds", type=float, default=10.0, help="read for at most this long (10)")
    p.add_argument("--events", type=int, default=1000, help="stop after this many events (1000)")
    p.add_argument("--max-bytes", type=int, default=16 << 20, help="stop after this many body "
                   "bytes (16 MiB)")
    p.add_argument("--http", choices=("1.1", "1.0"), default="1.1", help="the request's version")
    p.add_argument("-H", "--header", action="append", type=_header, default=[],
                   metavar="'NAME: VALUE'", help="a request header (repeatable)")
    p.add_argument("--insecure", action="store_true", help="https: do not check the certificate")
    p.add_argument("--cafile", metavar="PEM", help="https: trust this CA file")
    p.add_argument("--json", metavar="FILE", help="write the findings as JSON ('-': stdout)")


def run(args: argparse.Namespace) -> int:
    if not 0 < args.seconds <= 3600:
        raise Fatal("--seconds must be over 0 and at most 3600")
    if args.events < 1 or args.max_bytes < 1:
        raise Fatal("--events and --max-bytes must be at least 1")
    if not args.url.startswith(("http://", "https://")):
        raise Fatal(f"{args.url!r} is not an http or https URL")
    result = lint_url(args.url, args.seconds, args.events, args.max_bytes, args.http,
                      args.header, not args.insecure, args.cafile)
    findings = result["findings"]
    errors = [f for f in findings if f.level == ERROR]
    out = sys.stderr if args.json == "-" else sys.stdout
    if "error" in result:
        raise Fatal(f"lint {args.url}: {result['error']}")
    print(f"ssespec lint {args.url}", file=out)
    head = result.get("head", "")
    for line in head.splitlines():
        print(f"  | {line}", file=out)
    stream = result.get("stream")
    if stream:
        endings = ", ".join(f"{v} {k}" for k, v in stream.get("line_endings", {}).items()) or "none"
        print(f"read {stream['bytes']} bytes, {plural(stream['events'], 'event')}, "
              f"{plural(stream['comments'], 'comment')} in {result['read_seconds']} s "
              f"(stopped: {result['stopped']}); line endings: {endings}", file=out)
    for level in (ERROR, WARNING, INFO):
        for f in findings:
            if f.level != level:
                continue
            print(f"{level.upper():<8}{f.rule:<10}{f.what}", file=out)
            if f.sample is not None:
                at = f" at byte {f.at}" if f.at is not None else ""
                print(f"{'':18}bytes{at}: {f.as_json()['bytes']}", file=out)
    n_warn = sum(f.level == WARNING for f in findings)
    print(f"lint: {plural(len(errors), 'error')}, {plural(n_warn, 'warning')}", file=out)
    if args.json:
        doc = {**{k: v for k, v in result.items() if k != "findings"},
               "findings": [f.as_json() for f in findings]}
        text = json.dumps(doc, indent=1) + "\n"
        if args.json == "-":
            sys.stdout.write(text)
        else:
            Path(args.json).write_text(text, encoding="utf-8")
    return 1 if errors else 0


COMMANDS = [Command("lint", "judge a live event stream (any http/https URL) from outside",
                    run, configure, DESCRIPTION)]
