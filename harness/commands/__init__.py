"""The `./ssespec` command line: a registry of commands.

Each command lives in its own module of this package and describes itself
with a Command: its name, a one-line summary, a function that adds its
options to its own argparse parser, and a function that runs it. The entry
point (main) builds one parser per command from the registry, so a
command's help screen lists only its own options.

Exit statuses, for every command: 0 success; 1 a case, a test or a check
failed; 2 the run could not be done (bad arguments, missing tools, an
adapter that would not start), with a one-line reason on stderr.
"""

from __future__ import annotations

import argparse
import importlib
import os
import signal
import sys
from dataclasses import dataclass
from types import FrameType
from typing import Callable, NoReturn, Sequence

from harness.core.errors import Fatal

PROG = "ssespec"

# The modules that register commands, in the order of the help screen.
MODULES = ("check", "matrix", "show", "lint", "server", "tools", "fuzz", "bench", "setup",
           "test")


@dataclass(frozen=True)
class Command:
    """One subcommand. configure adds its options to its parser (None for a
    command that takes its arguments as they are: raw); run does the work
    and returns the exit status."""

    name: str
    summary: str
    run: Callable[[argparse.Namespace], int]
    configure: Callable[[argparse.ArgumentParser], None] | None = None
    description: str = ""
    epilog: Callable[[], str] | None = None     # built only when the help is shown
    raw: bool = False                           # args.argv holds the arguments as given


class ArgumentParser(argparse.ArgumentParser):
    """argparse with ssespec's error style: one line, exit status 2."""

    def error(self, message: str) -> NoReturn:
        print(f"{PROG}: {message} (see ./{self.prog} --help)", file=sys.stderr)
        sys.exit(2)

    def format_help(self) -> str:
        if callable(self.epilog):
            self.epilog = self.epilog()
        return super().format_help()


def parser_for(cmd: Command) -> ArgumentParser:
    p = ArgumentParser(prog=f"{PROG} {cmd.name}", description=cmd.description or cmd.summary,
                       epilog=cmd.epilog,  # type: ignore[arg-type]
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    if cmd.configure is not None:
        cmd.configure(p)
    return p


def registry() -> dict[str, Command]:
    """Every command, by name, in help order."""
    out: dict[str, Command] = {}
    for mod in MODULES:
        for cmd in importlib.import_module(f"harness.commands.{mod}").COMMANDS:
            if cmd.name in out:
                raise AssertionError(f"two commands called {cmd.name}")
            out[cmd.name] = cmd
    return out


def overview(commands: dict[str, Command]) -> str:
    lines = [f"usage: {PROG} COMMAND [OPTIONS]", "",
             "ssespec: a conformance test suite and fuzzer for Server-Sent Events",
             "(text/event-stream and EventSource).", "", "commands:"]
    width = max(len(n) for n in commands)
    lines += [f"  {c.name:<{width}}  {c.summary}" for c in commands.values()]
    lines += ["", f"Run './{PROG} COMMAND --help' for a command's options.",
              "Exit status: 0 success, 1 something failed, 2 the run could not be done."]
    return "\n".join(lines)


class Terminated(KeyboardInterrupt):
    """SIGTERM or SIGHUP: unwinds like Ctrl-C, so that every command stops
    its server, adapters and temporary folders on the way out."""


class _Signals:
    """The signal that ended the run, for the last message (pytest turns the
    exception into its own)."""

    received: str | None = None


def _on_signal(signum: int, frame: FrameType | None) -> None:
    # Once: a second signal during the clean-up must not cut it short.
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, signal.SIG_IGN)
    _Signals.received = signal.Signals(signum).name
    raise Terminated(_Signals.received)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    for s in (signal.SIGTERM, signal.SIGHUP):
        signal.signal(s, _on_signal)
    commands = registry()
    if not argv:
        print(f"{PROG}: no command given (see ./{PROG} --help)", file=sys.stderr)
        return 2
    if argv[0] in ("-h", "--help", "help"):
        print(overview(commands))
        return 0
    name, rest = argv[0], argv[1:]
    cmd = commands.get(name)
    if cmd is None:
        print(f"{PROG}: unknown command {name!r} (commands: {', '.join(commands)})",
              file=sys.stderr)
        return 2
    try:
        if cmd.raw:
            args = argparse.Namespace(argv=rest)
        else:
            args = parser_for(cmd).parse_args(rest)
        return cmd.run(args)
    except Fatal as e:
        print(f"{PROG}: {e}", file=sys.stderr)
        return e.exit_status
    except SystemExit as e:   # --help, or argparse's own error (already printed)
        return e.code if isinstance(e.code, int) else 0 if e.code is None else 2
    except KeyboardInterrupt:
        why = f" ({_Signals.received})" if _Signals.received else ""
        print(f"{PROG}: interrupted{why}", file=sys.stderr)
        return 2
    except BrokenPipeError:
        # stdout was closed (`./ssespec check --list | head`): nothing more to
        # say, and nothing left for the interpreter to flush into the pipe
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return 0
