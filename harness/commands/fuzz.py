"""`./ssespec fuzz` and `./ssespec replay` (docs/fuzzing.md).

`fuzz` has three modes, each with its own options and help screen:

  ./ssespec fuzz [TARGET...] --seconds N        libFuzzer campaigns on the C code
  ./ssespec fuzz --impl CMD|NAME --seconds N    differential fuzzing of a parser
                                                adapter against the reference
  ./ssespec fuzz --server CMD|NAME --seconds N  fuzzing a producer's encoder

Exit status: 0 no finding (no divergence), 1 a finding, 2 not done.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

from harness.commands import ArgumentParser, Command
from harness.core.errors import Fatal
from harness.core.paths import BUILD, CASES, REGRESSIONS
from harness.fuzz import difffuzz, encfuzz, libfuzzer
from harness.setup import build

LIBFUZZER_HELP = """\
Fuzz the reference parser, the HTTP parsers and the scenario loader with
libFuzzer (clang), each target for --seconds on --jobs cores; findings are
minimized into corpus/regressions/TARGET (docs/fuzzing.md).

Differential fuzzing of another parser through its adapter is a mode of its
own: ./ssespec fuzz --impl CMD|NAME --help; so is fuzzing a producer's
encoder: ./ssespec fuzz --server CMD|NAME --help

Exit status: 0 no finding, 1 a finding, 2 not done."""

DIFF_HELP = """\
Differential fuzzing of a parser through its adapter (a command line or a
bundled adapter's name; docs/adapter-protocol.md) against the reference
parser: mutated corpus inputs and generated streams, cut into random chunks.
Each distinct divergence is minimized into a case file, ready for review and
for corpus/cases (docs/fuzzing.md).

Exit status: 0 no divergence (informational ones allowed), 1 a divergence,
2 not done."""


def libfuzzer_parser() -> ArgumentParser:
    p = ArgumentParser(prog="ssespec fuzz", description=LIBFUZZER_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("targets", nargs="*", metavar="TARGET",
                   help=f"targets to fuzz (default all: {' '.join(libfuzzer.TARGETS)})")
    p.add_argument("--seconds", type=int, default=60, help="time per target (default 60)")
    p.add_argument("--jobs", type=int, default=1, help="parallel jobs per target (default 1)")
    p.add_argument("--sanitize", choices=sorted(libfuzzer.SANITIZERS),
                   default="address,undefined", metavar="SET",
                   help="sanitizers: 'address' or 'address,undefined' (the default)")
    p.add_argument("--no-trace-cmp", action="store_true",
                   help="build without comparison tracing: about 1.5 times the executions "
                   "per second, without libFuzzer's comparison-guided mutations")
    p.add_argument("--no-minimize", action="store_true", help="keep findings as found")
    p.add_argument("--parser-src", type=Path, help="build against this copy of parser/sse.c")
    p.add_argument("--build-dir", type=Path, default=BUILD / "fuzz")
    p.add_argument("--regressions", type=Path, default=REGRESSIONS,
                   help="where findings are kept (default corpus/regressions)")
    p.add_argument("-v", "--verbose", action="store_true", help="show libFuzzer's output")
    return p


def diff_parser() -> ArgumentParser:
    p = ArgumentParser(prog="ssespec fuzz --impl", description=DIFF_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--impl", required=True, metavar="CMD|NAME",
                   help="the parser under test: a command line or a bundled adapter's name")
    p.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    p.add_argument("--seed", type=int, help="the generator's seed (default: random, printed)")
    p.add_argument("--out", metavar="DIR", help="where divergence case files go (default "
                   "build/fuzz/divergences/NAME)")
    p.add_argument("--cases", default=str(CASES), metavar="DIR",
                   help="the cases whose inputs are mutated (default corpus/cases)")
    p.add_argument("--timeout", type=float, default=difffuzz.DEFAULT_TIMEOUT, metavar="S",
                   help="seconds for the hello and for each response (default 5)")
    p.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of the reference adapter (default release)")
    p.add_argument("--batch", type=int, default=difffuzz.BATCH, help=argparse.SUPPRESS)
    p.add_argument("--minimize-seconds", type=float, default=difffuzz.MINIMIZE_SECONDS,
                   metavar="S", help="the most one divergence's minimization may take "
                   f"(default {difffuzz.MINIMIZE_SECONDS:g})")
    p.add_argument("--max-divergences", type=int, default=0, metavar="N",
                   help="stop after N distinct divergences (default: run for --seconds)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each divergence as it is found")
    return p


SERVER_HELP = """\
Fuzz a producer's encoder through its adapter (a command line or a bundled
adapter's name; docs/server-adapter-protocol.md): message sequences biased
toward CR, LF, NUL, BOM, colons, spaces and non-ASCII go to its encode
requests, every answer is decoded with the reference parser and judged by
the producer suite's rule. Each distinct failure is minimized into an
encoder case file, ready for review and for corpus/producers
(docs/fuzzing.md).

Exit status: 0 no failure (warnings allowed), 1 a failure, 2 not done."""


def server_parser() -> ArgumentParser:
    p = ArgumentParser(prog="ssespec fuzz --server", description=SERVER_HELP,
                       formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--server", required=True, metavar="CMD|NAME",
                   help="the producer under test: 'reference', a bundled producer adapter's "
                   "name, or a command line")
    p.add_argument("--seconds", type=int, default=60, help="how long to fuzz (default 60)")
    p.add_argument("--seed", type=int, help="the generator's seed (default: random, printed)")
    p.add_argument("--out", metavar="DIR", help="where failure case files go (default "
                   "build/fuzz/encoder/NAME)")
    p.add_argument("--timeout", type=float, default=encfuzz.TIMEOUT, metavar="S",
                   help="seconds for each answer (default 10)")
    p.add_argument("--build", default="release", choices=sorted(build.KINDS),
                   help="which build of the reference parser and producer (default release)")
    p.add_argument("--batch", type=int, default=encfuzz.BATCH, help=argparse.SUPPRESS)
    p.add_argument("--minimize-seconds", type=float, default=encfuzz.MINIMIZE_SECONDS,
                   metavar="S", help="the most one failure's minimization may take "
                   f"(default {encfuzz.MINIMIZE_SECONDS:g})")
    p.add_argument("--max-failures", type=int, default=0, metavar="N",
                   help="stop after N distinct failures (default: run for --seconds)")
    p.add_argument("-v", "--verbose", action="store_true",
                   help="print each failure as it is found")
    return p


def _mode(argv: list[str]) -> str:
    for mode in ("impl", "server"):
        if any(a == f"--{mode}" or a.startswith(f"--{mode}=") for a in argv):
            return mode
    return "targets"


def run_fuzz(args: argparse.Namespace) -> int:
    mode = _mode(args.argv)
    if mode == "impl":
        return difffuzz.run(diff_parser().parse_args(args.argv))
    if mode == "server":
        a = server_parser().parse_args(args.argv)
        if a.batch < 1 or a.minimize_seconds < 0 or a.max_failures < 0 or a.timeout <= 0:
            raise Fatal("--batch and --timeout must be over 0; --minimize-seconds and "
                        "--max-failures at least 0")
        return encfuzz.run(a)
    a = libfuzzer_parser().parse_args(args.argv)
    targets = list(dict.fromkeys(a.targets)) or list(libfuzzer.TARGETS)
    for t in targets:
        if t not in libfuzzer.TARGETS:
            raise Fatal(f"unknown target {t!r} (targets: {', '.join(libfuzzer.TARGETS)})")
    if a.seconds < 1 or a.jobs < 1:
        raise Fatal("--seconds and --jobs must be at least 1")
    if a.parser_src and not a.parser_src.is_file():
        raise Fatal(f"--parser-src {a.parser_src}: no such file")
    layout = libfuzzer.Layout(a.build_dir.resolve(), a.regressions.resolve())
    clang = libfuzzer.ensure_clang()
    started = time.monotonic()
    out = libfuzzer.build_targets(clang, layout, a.sanitize, targets, a.parser_src,
                                  not a.no_trace_cmp)
    results = [libfuzzer.run_target(out, layout, t, a.seconds, a.jobs, not a.no_minimize,
                                    a.verbose) for t in targets]
    libfuzzer.report(results, a.seconds, a.sanitize)
    print(f"  ({time.monotonic() - started:.0f} s in all)")
    return 1 if any(r.findings for r in results) else 0


def configure_replay(p: argparse.ArgumentParser) -> None:
    p.add_argument("paths", nargs="*", metavar="PATH",
                   help="files or directories (default: corpus/regressions and the seeds)")
    p.add_argument("--target", choices=libfuzzer.TARGETS, help="only this target")
    p.add_argument("--build", choices=sorted(build.KINDS), default="asan",
                   help="which build of the drivers (default asan: ASan+UBSan)")
    p.add_argument("--build-dir", type=Path, default=BUILD / "fuzz")
    p.add_argument("--regressions", type=Path, default=REGRESSIONS)


def run_replay(args: argparse.Namespace) -> int:
    return libfuzzer.replay(args, libfuzzer.Layout(args.build_dir.resolve(),
                                                   args.regressions.resolve()))


COMMANDS = [
    Command("fuzz", "libFuzzer campaigns on the C code, differential fuzzing of a parser "
            "adapter (--impl), or fuzzing a producer's encoder (--server)", run_fuzz, raw=True),
    Command("replay", "replay fuzz inputs and regressions through the drivers (no clang)",
            run_replay, configure_replay, "Replay fuzz inputs through the replay drivers (no "
            "clang needed). Exit status: 0 all pass, 1 a finding, 2 not done."),
]
