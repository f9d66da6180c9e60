"""`./ssespec server`: the scenario server on its own, for trying a client by
hand (docs/server.md). It serves every scenario of a folder over HTTP and
HTTPS (a throwaway test CA, removed when the server stops), prints its URLs
and then its log, one JSON line per event, until Ctrl-C or SIGTERM."""

from __future__ import annotations

import argparse
import json
import select
import shutil
import signal
import sys
import tempfile
from pathlib import Path

from harness.client_suite.scenario_server import ScenarioServer
from harness.client_suite.scenarios import ScenarioError, load
from harness.commands import Command
from harness.core.errors import Fatal
from harness.core.paths import SCENARIOS
from harness.core.report import plural
from harness.setup import build
from harness.setup.certs import make_pki


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--scenarios", default=str(SCENARIOS), metavar="DIR",
                   help="the scenario folder (default corpus/scenarios)")
    p.add_argument("--port", type=int, default=0, help="HTTP port (default: any free one)")
    p.add_argument("--tls-port", type=int, default=0, help="HTTPS port (default: any free one)")
    p.add_argument("--static", metavar="DIR", help="also serve DIR under /static/")
    p.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of ssespec-server (default release)")


def run(args: argparse.Namespace) -> int:
    scenarios = Path(args.scenarios)
    if not scenarios.is_dir():
        raise Fatal(f"--scenarios {args.scenarios}: no such directory")
    for flag, port in (("--port", args.port), ("--tls-port", args.tls_port)):
        if not 0 <= port <= 65535:
            raise Fatal(f"{flag} {port}: not a port number (0 to 65535)")
    static = Path(args.static) if args.static else None
    if static is not None and not static.is_dir():
        raise Fatal(f"--static {args.static}: no such directory")
    exe = build.executable("ssespec-server", args.build, quiet=True)
    try:
        names = sorted(load(exe, scenarios))
    except ScenarioError as e:
        raise Fatal(f"bad scenario file: {str(e).splitlines()[0]}") from None
    tmp = Path(tempfile.mkdtemp(prefix="ssespec-server-"))
    server: ScenarioServer | None = None
    try:
        pki = make_pki(tmp / "pki")
        server = ScenarioServer(exe, scenarios, pki.cert, pki.key, static,
                                port=args.port, tls_port=args.tls_port)
        server.start()
        http, https = server.origin("http"), server.origin("tls")
        example = names[0] if names else "NAME"
        print(f"ssespec server: {plural(len(names), 'scenario')} from {scenarios}")
        print(f"  http:   {http}/s/NAME/TOKEN")
        print(f"  https:  {https}/s/NAME/TOKEN   (test CA: {pki.ca})")
        print(f"  try:    curl -N {http}/s/{example}/try1")
        print("  TOKEN is any name for one run: its reconnections share it.")
        print("the server's log follows, one JSON line per event; Ctrl-C stops it.", flush=True)
        fd = server.fileno()
        try:
            while True:
                # Ctrl-C and SIGTERM are taken in select() only: one raised
                # inside Popen.poll() would leave its lock held, and the
                # clean-up's wait() would then wait for it for ever
                held = signal.pthread_sigmask(signal.SIG_BLOCK, _STOPPING)
                try:
                    alive = server.running
                    lines = server.read_lines() if alive else []
                finally:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)
                for line in lines:
                    line.pop("recv", None)
                    print(json.dumps(line), flush=True)
                if not alive:
                    break
                select.select([fd], [], [], 1.0)
        except KeyboardInterrupt:   # Ctrl-C or SIGTERM: the way to stop it
            print("ssespec server: stopped", file=sys.stderr, flush=True)
            return 0
        raise Fatal(f"ssespec-server stopped{server.stderr_hint()}")
    finally:
        try:
            if server is not None:
                server.stop()
        finally:   # the test CA's key goes whatever happened to the server
            shutil.rmtree(tmp, ignore_errors=True)


_STOPPING = {signal.SIGINT, signal.SIGTERM, signal.SIGHUP}


COMMANDS = [Command("server", "start the scenario server on its own and print its URLs",
                    run, configure, __doc__ or "")]

__all__ = ["COMMANDS"]
