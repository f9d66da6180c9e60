"""`./ssespec bench`: how fast the reference parser is, against baselines
measured in the same run over the same bytes (docs/performance.md).

Measurements (one per workload x split x implementation):

  reference           the C parser (parser/sse.c), timed in-process by
                      bench/ssespec-bench (Release build in build/release)
  memchr              a memchr scan for line ends over the same chunks: the
                      floor any line splitter pays (same program)
  eventsource-parser  the pinned npm package of adapters/eventsource-parser,
                      timed inside node (bench/peer.mjs) over the same bytes
                      and splits, TextDecoder stream decode + parser.feed
  --impl CMD          any parser behind the adapter protocol
                      (docs/adapter-protocol.md): the round trip of one big
                      request, JSON and base64 included

Workloads are named, reproducible streams (bench/workloads.c); splits say how
a stream is cut into feeds: whole, 1460, 16k, random, 1. Every figure is the
median of --reps repetitions of about --ms milliseconds each.

Output: a table (header: CPU, compiler and flags, date, load), or with
--json one JSON object whose "results" list has one object per measurement.
Exit status 0, or 2 when the run could not be done (bad arguments, a build
that fails). Targets missed are reported, not failed: these are figures.
"""

from __future__ import annotations

import argparse
import base64
import datetime
import json
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any, Iterable

from harness.commands import Command
from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.setup import build as buildmod
from harness.setup import bundled, deps

BENCH_EXE = "ssespec-bench"
PEER = "eventsource-parser"
PEER_SCRIPT = ROOT / "bench" / "peer.mjs"
SPLITS = ("whole", "1460", "16k", "random", "1")
DEFAULT_MEMORY_EVENT_MIB = 64
RAISED_LIMIT = "128M"

Result = dict[str, Any]


DESCRIPTION = ("Measure the reference parser (MB/s, events/s) on named workloads and "
               "splits, against a memchr floor and the bundled eventsource-parser measured in "
               "the same run over the same bytes; optionally against your parser (--impl). See "
               "docs/performance.md.")


def configure(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workload", action="append", metavar="W[,W]",
                   help="workloads to run (repeatable or comma list; default all; --list)")
    p.add_argument("--split", action="append", metavar="S[,S]",
                   help="splits: whole, 1460, 16k, random, 1 (default all)")
    p.add_argument("--impl", action="append", metavar="CMD|NAME",
                   help="also time this parser through the adapter protocol (a command line "
                   "or a bundled adapter's name); the round trip of one big request, "
                   "JSON and base64 included")
    p.add_argument("--kernel", default="", metavar="K[,K]|all",
                   help="reference parser kernels to time: scalar, sse2, avx2, or all "
                   "(default: the one sse_parser_init picks)")
    p.add_argument("--reps", type=int, default=5, help="repetitions per measurement (5)")
    p.add_argument("--ms", type=float, default=100.0,
                   help="milliseconds per repetition, about (100)")
    p.add_argument("--size", metavar="BYTES", help="generate workloads of about this size "
                   "instead of their defaults (e.g. 1M)")
    p.add_argument("--no-peer", action="store_true", help="leave out eventsource-parser")
    p.add_argument("--no-memory", action="store_true",
                   help="leave out the memory measurement (64 MiB event)")
    p.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    p.add_argument("--list", action="store_true", help="list workloads and splits, then exit")
    p.add_argument("-q", "--quiet", action="store_true", help="no progress lines on stderr")


# ------------------------------------------------------------------ helpers

def _progress(args: argparse.Namespace, msg: str) -> None:
    if not args.quiet:
        print(f"ssespec bench: {msg}", file=sys.stderr, flush=True)


def _split_list(values: Iterable[str] | None) -> list[str]:
    out: list[str] = []
    for v in values or []:
        out += [x.strip() for x in v.split(",") if x.strip()]
    return list(dict.fromkeys(out))


def build_bench(quiet: bool) -> Path:
    """Configure build/release (Release) if it has no cache, then build only
    ssespec-bench and what it needs; return the executable."""
    return buildmod.executable(BENCH_EXE, "release", quiet=quiet)


def _bench_json(exe: Path, *argv: str) -> list[dict[str, Any]]:
    r = subprocess.run([str(exe), *argv], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        raise Fatal(f"{BENCH_EXE} {' '.join(argv)}: {r.stderr.strip() or f'status {r.returncode}'}")
    return [json.loads(line) for line in r.stdout.splitlines() if line.strip()]


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def load_average() -> list[float]:
    try:
        return [round(x, 2) for x in os.getloadavg()]
    except OSError:
        return []


# ------------------------------------------------------------------ reference and memchr

def run_c(exe: Path, args: argparse.Namespace, workloads: list[str], splits: list[str],
          kernels: list[str]) -> list[Result]:
    argv = [str(exe), "run", "--workload", ",".join(workloads), "--split", ",".join(splits),
            "--impl", "reference,memchr", "--reps", str(args.reps), "--ms", str(args.ms)]
    if kernels:
        argv += ["--kernel", ",".join(kernels)]
    if args.size:
        argv += ["--size", args.size]
    out: list[Result] = []
    proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            stdin=subprocess.DEVNULL)
    assert proc.stdout and proc.stderr
    for line in proc.stdout:
        if not line.strip():
            continue
        r = json.loads(line)
        r["method"] = ("in-process, ssespec-bench" if r["impl"] == "reference"
                       else "memchr for the line end byte over the same chunks")
        out.append(r)
        k = f" [{r['kernel']}]" if r.get("kernel") else ""
        _progress(args, f"{r['workload']:<10} {r['split']:<6} {r['impl']}{k}: "
                  f"{r['mb_per_s']:.0f} MB/s")
    err = proc.stderr.read()
    if proc.wait() != 0:
        raise Fatal(f"{BENCH_EXE} run failed: {err.strip()}")
    return out


# ------------------------------------------------------------------ the node peer

def prepare_peer() -> tuple[dict[str, Any], Path | None]:
    """Install node and the pinned package if needed (as the rest of ssespec
    does); return (peer info, the folder holding node_modules) or a note."""
    info: dict[str, Any] = {"name": PEER, "method": "timed inside node: TextDecoder "
                            "stream decode + parser.feed per chunk (bench/peer.mjs)"}
    manifest = ROOT / "adapters" / PEER / "adapter.json"
    if not manifest.exists():
        info["status"] = f"skipped: {manifest.relative_to(ROOT)} is missing"
        return info, None
    try:
        deps.ensure("node", "npm")
        m = bundled.load_manifest(manifest)
        bundled.npm_install(m)
    except Fatal as e:
        info["status"] = f"skipped: {e}"
        return info, None
    node = shutil.which("node")
    if not node:
        info["status"] = "skipped: node is not installed"
        return info, None
    r = subprocess.run([node, "--version"], capture_output=True, text=True)
    info["node"] = r.stdout.strip()
    info["status"] = "ok"
    return info, m.dir


def run_peer(exe: Path, args: argparse.Namespace, lib: Path, workloads: list[str],
             splits: list[str], info: dict[str, Any]) -> list[Result]:
    out: list[Result] = []
    with tempfile.TemporaryDirectory(prefix="ssespec-bench-") as tmp:
        for w in workloads:
            data, rnd = Path(tmp) / f"{w}.bin", Path(tmp) / f"{w}.random"
            gen = ["gen", w, str(data), "--random-out", str(rnd)]
            if args.size:
                gen += ["--size", args.size]
            meta = _bench_json(exe, *gen)[0]
            for s in splits:
                cmd = ["node", str(PEER_SCRIPT), "--lib", str(lib), "--file", str(data),
                       "--random", str(rnd), "--split", s, "--events", str(meta["events"]),
                       "--reps", str(args.reps), "--ms", str(args.ms)]
                r = subprocess.run(cmd, capture_output=True, text=True, stdin=subprocess.DEVNULL)
                if r.returncode != 0:
                    raise Fatal(f"bench/peer.mjs {w} {s}: {r.stderr.strip()[-500:]}")
                res = json.loads(r.stdout)
                info.setdefault("version", res.get("version"))
                if not res["prefix"] and res["events_per_pass"] != meta["events"]:
                    res["note"] = (f"dispatched {res['events_per_pass']} events, the workload "
                                   f"has {meta['events']}")
                res.update(workload=w, impl=PEER, method=info["method"])
                out.append(res)
                pre = (f" (on the first {res['bytes_per_pass']} bytes)" if res["prefix"]
                       else "")
                _progress(args, f"{w:<10} {s:<6} {PEER}: {res['mb_per_s']:.0f} MB/s{pre}")
    return out


# ------------------------------------------------------------------ --impl: the adapter protocol

def _request(name: str, data: bytes, lens: list[int]) -> bytes:
    chunks, at = [], 0
    for n in lens:
        chunks.append(base64.b64encode(data[at:at + n]).decode("ascii"))
        at += n
    return (json.dumps({"case": name, "chunks": chunks}, separators=(",", ":")) + "\n").encode()


def _split_lengths(split: str, n: int, random_lens: list[int]) -> list[int]:
    if split == "whole":
        return [n]
    if split == "random":
        out, at = [], 0
        for k in random_lens:
            if at >= n:
                break
            out.append(min(k, n - at))
            at += out[-1]
        return out
    size = 16384 if split == "16k" else int(split)
    return [min(size, n - at) for at in range(0, n, size)]


def start_impl(spec: str) -> tuple[dict[str, Any], Any]:
    """Start the adapter for --impl spec and read its hello (before any
    measurement, so that a bad command fails the run at once)."""
    from harness.protocol.parser import AdapterProcess, HelloError

    impl = bundled.resolve(spec, quiet=True)
    label = impl.label if impl.label not in ("reference", "memchr", PEER) \
        else f"{impl.label} (adapter)"
    method = ("adapter protocol: wall time of one request's round trip, base64 chunks in "
              "JSON out and JSON records back included (a prefix of the workload when slow)")
    info: dict[str, Any] = {"name": label, "command": impl.argv, "method": method}
    ap = AdapterProcess(impl.argv)
    try:
        hello = ap.start(30.0)
    except HelloError as e:
        raise Fatal(f"--impl {spec}: {e}") from None
    info["hello"] = {"name": hello.name, "version": hello.version}
    return info, ap


def run_impl(exe: Path, args: argparse.Namespace, info: dict[str, Any], ap: Any,
             workloads: list[str], splits: list[str]) -> list[Result]:
    from harness.protocol.parser import AdapterFailure

    label, method = info["name"], info["method"]
    out: list[Result] = []
    try:
        with tempfile.TemporaryDirectory(prefix="ssespec-bench-") as tmp:
            for w in workloads:
                data_path, rnd_path = Path(tmp) / "w.bin", Path(tmp) / "w.random"
                gen = ["gen", w, str(data_path), "--random-out", str(rnd_path)]
                if args.size:
                    gen += ["--size", args.size]
                meta = _bench_json(exe, *gen)[0]
                data = data_path.read_bytes()
                raw = rnd_path.read_bytes()
                random_lens = [int.from_bytes(raw[i:i + 4], "little")
                               for i in range(0, len(raw), 4)]
                for s in splits:
                    out.append(_time_impl(ap, args, label, method, w, s, data, random_lens,
                                          meta["events"]))
                    r = out[-1]
                    _progress(args, f"{w:<10} {s:<6} {label}: {r['mb_per_s']:.1f} MB/s"
                              + (f" (on the first {r['bytes_per_pass']} bytes)"
                                 if r["prefix"] else ""))
    except AdapterFailure as e:
        raise Fatal(f"--impl {label}: {e}") from None
    finally:
        ap.stop()
    return out


def _time_impl(ap: Any, args: argparse.Namespace, label: str, method: str, w: str, s: str,
               data: bytes, random_lens: list[int], events_all: int) -> Result:
    """Grow the request (whole chunks) until a round trip takes about --ms,
    bounded so a request stays under ~100k chunks; then time --reps of it."""
    def once(n: int) -> tuple[float, int, int]:
        lens = _split_lengths(s, n, random_lens)
        req = _request(f"bench/{w}@{s}", data[:n], lens)
        t0 = time.perf_counter()
        line = ap.request(req, 600.0)
        t = time.perf_counter() - t0
        resp = json.loads(line)
        if "error" in resp:
            raise Fatal(f"--impl {label}: {w}@{s}: the adapter answered error: "
                        f"{str(resp['error'])[:200]}")
        events = sum(1 for r in resp.get("records", []) if r.get("kind") == "event")
        return t, events, len(lens)

    max_chunks = 100_000
    per_chunk = {"whole": len(data), "1460": 1460, "16k": 16384, "1": 1}.get(s, 2048)
    cap = min(len(data), max_chunks * per_chunk)
    n = min(cap, 1 << 16)
    t, ev, feeds = once(n)
    while n < cap and t < args.ms / 1000 / 2:
        n = cap if n * 8 > cap else n * 4   # the whole when within 2x
        t, ev, feeds = once(n)
    secs = [once(n)[0] for _ in range(args.reps)]
    med = statistics.median(secs)
    return {"workload": w, "split": s, "impl": label, "method": method, "bytes_per_pass": n,
            "workload_bytes": len(data), "prefix": n < len(data), "events_per_pass": ev,
            "expected_events": events_all if n == len(data) else None,
            "feeds_per_pass": feeds, "passes": 1, "seconds": secs,
            "mb_per_s": n / med / 1e6, "events_per_s": ev / med}


# ------------------------------------------------------------------ memory

def run_memory(exe: Path, args: argparse.Namespace) -> list[dict[str, Any]]:
    out = []
    for limit in (None, RAISED_LIMIT):
        argv = ["memory", "--event-mib", str(DEFAULT_MEMORY_EVENT_MIB)]
        if limit:
            argv += ["--limit", limit]
        r = _bench_json(exe, *argv)[0]   # a fresh child process each time
        r["limit_setting"] = "default" if limit is None else limit
        out.append(r)
        _progress(args, f"memory, {DEFAULT_MEMORY_EVENT_MIB} MiB event, limit "
                  f"{r['limit']}: {r['status']}, peak buffered {r['peak_buffered']}, "
                  f"RSS peak {r['rss_peak_kib']} KiB")
    return out


# ------------------------------------------------------------------ ratios and targets

def add_ratios(results: list[Result], default_kernel: str) -> None:
    base: dict[tuple[str, str, str], Result] = {}
    for r in results:
        if r["impl"] != "reference":
            base[(r["impl"], r["workload"], r["split"])] = r
    for r in results:
        if r["impl"] != "reference":
            continue
        vs: dict[str, Any] = {}
        for (impl, w, s), b in base.items():
            if w != r["workload"] or s != r["split"]:
                continue
            entry = {"mb_per_s": _ratio(r["mb_per_s"], b["mb_per_s"])}
            if impl != "memchr":
                entry["events_per_s"] = _ratio(r["events_per_s"], b["events_per_s"])
            vs[impl] = entry
        r["vs"] = vs


def _ratio(a: float, b: float) -> float | None:
    return round(a / b, 3) if b else None


def targets(results: list[Result], default_kernel: str) -> list[dict[str, Any]]:
    """The issue's numbers, judged on this run (the default kernel's rows)."""
    ref = {(r["workload"], r["split"]): r for r in results
           if r["impl"] == "reference" and r.get("kernel") == default_kernel}
    other = {(r["impl"], r["workload"], r["split"]): r for r in results
             if r["impl"] != "reference"}
    out: list[dict[str, Any]] = []

    def add(name: str, value: float | None, goal: str, met: bool | None) -> None:
        out.append({"target": name, "value": None if value is None else round(value, 3),
                    "goal": goal, "met": met})

    chat = ref.get(("chat", "whole"))
    if chat:
        add("chat whole MB/s", chat["mb_per_s"], ">= 2000", chat["mb_per_s"] >= 2000)
        esp = other.get((PEER, "chat", "whole"))
        if esp:
            for key, what in (("mb_per_s", "bytes/s"), ("events_per_s", "events/s")):
                x = chat[key] / esp[key]
                add(f"chat whole vs {PEER} ({what})", x, ">= 3x", x >= 3)
        mem = other.get(("memchr", "chat", "whole"))
        if mem:
            x = chat["mb_per_s"] / mem["mb_per_s"]
            add("chat whole vs memchr floor", x, ">= 0.5x", x >= 0.5)
        for w in ("crlf", "cr", "utf8"):
            r = ref.get((w, "whole"))
            if r:
                x = chat["mb_per_s"] / r["mb_per_s"]
                add(f"{w} whole: chat is this many times faster", x, "<= 2x", x <= 2)
    for w in ("lines-1k", "big"):
        r = ref.get((w, "whole"))
        if r:
            add(f"{w} whole MB/s", r["mb_per_s"], ">= 10000", r["mb_per_s"] >= 10000)
    for (w, s), r in sorted(ref.items()):
        whole = ref.get((w, "whole"))
        if s == "1460" and whole and w != "line-8m":
            x = r["mb_per_s"] / whole["mb_per_s"]
            add(f"{w} 1460 vs whole", x, ">= 0.85x (within 15%)", x >= 0.85)
        if s == "1":
            add(f"{w} 1 byte per feed MB/s", r["mb_per_s"], ">= 100", r["mb_per_s"] >= 100)
    big = ref.get(("line-8m", "1460"))
    whole8 = ref.get(("line-8m", "whole"))
    if big and whole8:
        x = big["mb_per_s"] / whole8["mb_per_s"]
        add("line-8m (8 MiB line) 1460 vs whole", x, ">= 0.5x", x >= 0.5)
    return out


# ------------------------------------------------------------------ output

def _fmt_rate(x: float | None) -> str:
    if x is None:
        return "-"
    if x >= 100:
        return f"{x:,.0f}"
    return f"{x:.1f}" if x >= 10 else f"{x:.2f}"


def _fmt_ev(x: float | None) -> str:
    if x is None:
        return "-"
    return f"{x / 1e6:.2f}M" if x >= 1e5 else f"{x / 1e3:.1f}k" if x >= 100 else f"{x:.0f}"


def _fmt_x(x: float | None) -> str:
    return "-" if x is None else f"{x:.2f}x"


def print_table(doc: dict[str, Any], file: Any = sys.stdout) -> None:
    m, b = doc["machine"], doc["build"]
    print(f"ssespec bench  {doc['date']}", file=file)
    print(f"  CPU: {m['cpu']} ({m['cpus']} CPUs), load before/after: "
          f"{' '.join(map(str, m['load_before']))} / {' '.join(map(str, m['load_after']))}",
          file=file)
    print(f"  compiler: {b['compiler']}, flags: {b['cflags']} ({b['build_type']}; no -march: "
          f"kernels chosen at run time: {', '.join(b['kernels'])}; default {b['default_kernel']})",
          file=file)
    print(f"  each figure: median of {doc['settings']['reps']} repetitions of about "
          f"{doc['settings']['ms']:g} ms; MB = 10^6 bytes; ev = events", file=file)
    print("  reference: parser/sse.c in-process; memchr: memchr for line ends over the same "
          "chunks (the floor)", file=file)
    peer = doc.get("peer")
    if peer:
        if peer.get("status") == "ok":
            print(f"  esp = {PEER} {peer.get('version', '?')} on node {peer.get('node', '?')}, "
                  f"{peer['method']}", file=file)
        else:
            print(f"  {PEER}: {peer.get('status')}", file=file)
    results = doc["results"]
    kernels = sorted({r.get("kernel", "") for r in results if r["impl"] == "reference"})
    others = [i for i in dict.fromkeys(r["impl"] for r in results)
              if i not in ("reference", "memchr")]
    alias = {o: "esp" if o == PEER else f"A{n}" for n, o in
             enumerate((o for o in others if o != PEER), 1)}
    alias[PEER] = "esp"
    for i in doc.get("impls", []):
        print(f"  {alias.get(i['name'], i['name'])} = {i['name']}: {i['method']}", file=file)
    cols = ["workload", "split", "kernel", "ref MB/s", "ref ev/s", "memchr MB/s", "ref/memchr"]
    for o in others:
        short = alias[o]
        cols += [f"{short} MB/s", f"{short} ev/s", f"ref/{short} B", f"ref/{short} ev"]
    rows: list[list[str]] = []
    notes: list[str] = []
    for r in results:
        if r["impl"] != "reference":
            continue
        mem = next((x for x in results if x["impl"] == "memchr"
                    and x["workload"] == r["workload"] and x["split"] == r["split"]), None)
        row = [r["workload"], r["split"], r.get("kernel", ""), _fmt_rate(r["mb_per_s"]),
               _fmt_ev(r["events_per_s"]), _fmt_rate(mem["mb_per_s"]) if mem else "-",
               _fmt_x(r.get("vs", {}).get("memchr", {}).get("mb_per_s"))]
        for o in others:
            x = next((y for y in results if y["impl"] == o and y["workload"] == r["workload"]
                      and y["split"] == r["split"]), None)
            v = r.get("vs", {}).get(o, {})
            mark = "*" if x and x.get("prefix") else ""
            row += [_fmt_rate(x["mb_per_s"]) + mark if x else "-",
                    _fmt_ev(x["events_per_s"]) if x else "-",
                    _fmt_x(v.get("mb_per_s")), _fmt_x(v.get("events_per_s"))]
            if mark and f"*{o}" not in notes:
                notes.append(f"*{o}")
        rows.append(row)
    if len(kernels) <= 1:
        k = cols.index("kernel")
        cols.pop(k)
        for row in rows:
            row.pop(k)
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c)
              for i, c in enumerate(cols)]
    print(file=file)
    print("  ".join(c.rjust(w) if i > 1 else c.ljust(w)
                    for i, (c, w) in enumerate(zip(cols, widths))), file=file)
    for row in rows:
        print("  ".join(v.rjust(w) if i > 1 else v.ljust(w)
                        for i, (v, w) in enumerate(zip(row, widths))), file=file)
    for n in notes:
        print(f"  * {alias.get(n[1:], n[1:])}: timed on a prefix of the workload (slow at that "
              "split); MB/s and ev/s are over that prefix", file=file)
    for r in results:
        if r.get("note"):
            print(f"  ! {alias.get(r['impl'], r['impl'])} {r['workload']} {r['split']}: "
                  f"{r['note']}", file=file)
    if doc.get("memory"):
        print("\nmemory: one event of one 64 MiB data line, fed in 64 KiB chunks made on the "
              "fly, in a fresh process", file=file)
        for r in doc["memory"]:
            print(f"  limit {r['limit']:>10} ({r['limit_setting']}): {r['status']:<10} "
                  f"peak buffered {r['peak_buffered']:>10} B, process RSS peak "
                  f"{r['rss_peak_kib'] / 1024:.1f} MiB (+{r['rss_growth_kib'] / 1024:.1f} MiB "
                  f"while parsing), {r['events']} event(s)", file=file)
    if doc.get("targets"):
        print("\ntargets (docs/performance.md), default kernel:", file=file)
        for t in doc["targets"]:
            v = t["value"]
            vs = "-" if v is None else (f"{v:,.0f}" if v >= 100 else f"{v:.3f}")
            print(f"  {'met   ' if t['met'] else 'MISSED'}  {t['target']:<44} {vs:>10}  "
                  f"(goal {t['goal']})", file=file)
    for n in doc.get("notes", []):
        print(f"note: {n}", file=file)


# ------------------------------------------------------------------ main

def run(args: argparse.Namespace) -> int:
    if not 1 <= args.reps <= 64:
        raise Fatal("--reps must be 1 to 64")
    if not 0 < args.ms <= 60000:
        raise Fatal("--ms must be over 0 and at most 60000")
    exe = build_bench(quiet=True)
    listing = _bench_json(exe, "list")
    known_w = [x["workload"] for x in listing if "workload" in x]
    if args.list:
        for x in listing:
            if "workload" in x:
                print(f"workload  {x['workload']:<10} {x['what']}")
        print(f"splits    {', '.join(SPLITS)}")
        return 0
    workloads = _split_list(args.workload) or known_w
    splits = _split_list(args.split) or list(SPLITS)
    for w in workloads:
        if w not in known_w:
            raise Fatal(f"no workload called {w!r} (workloads: {', '.join(known_w)})")
    for s in splits:
        if s not in SPLITS:
            raise Fatal(f"no split called {s!r} (splits: {', '.join(SPLITS)})")
    info = _bench_json(exe, "info")[0]
    kernels = _split_list([args.kernel]) if args.kernel else []
    if kernels == ["all"]:
        kernels = list(info["kernels"])
    for k in kernels:
        if k not in ("scalar", "sse2", "avx2"):
            raise Fatal(f"no kernel called {k!r} (scalar, sse2, avx2, all)")
        if k not in info["kernels"]:
            raise Fatal(f"this CPU cannot run the {k} kernel (it runs: "
                        f"{', '.join(info['kernels'])})")
    notes: list[str] = []
    env_scan = os.environ.get("SSESPEC_SCAN")
    if env_scan and not kernels:
        notes.append(f"SSESPEC_SCAN={env_scan} is set: the reference parser runs "
                     f"{info['default_kernel']}")
    doc: dict[str, Any] = {
        "ssespec_bench": 1,
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        "machine": {"cpu": cpu_model(), "cpus": os.cpu_count(), "system": platform.platform(),
                    "load_before": load_average()},
        "build": {"dir": str(buildmod.build_dir("release").relative_to(ROOT)), **info},
        "settings": {"reps": args.reps, "ms": args.ms, "size": args.size,
                     "workloads": workloads, "splits": splits},
    }
    started = [start_impl(spec) for spec in args.impl or []]
    try:
        doc["results"] = _measure(exe, args, doc, workloads, splits, kernels, started, notes)
    finally:
        for _, ap in started:
            ap.stop()
    results = doc["results"]
    default_kernel = kernels[0] if len(kernels) == 1 else info["default_kernel"]
    add_ratios(results, default_kernel)
    if not args.no_memory:
        doc["memory"] = run_memory(exe, args)
    doc["targets"] = targets(results, default_kernel)
    doc["machine"]["load_after"] = load_average()
    doc["notes"] = notes
    if args.json:
        json.dump(doc, sys.stdout, indent=1)
        sys.stdout.write("\n")
    else:
        print_table(doc)
    return 0


def _measure(exe: Path, args: argparse.Namespace, doc: dict[str, Any], workloads: list[str],
             splits: list[str], kernels: list[str], started: list[tuple[dict[str, Any], Any]],
             notes: list[str]) -> list[Result]:
    results = run_c(exe, args, workloads, splits, kernels)
    if not args.no_peer:
        peer, lib = prepare_peer()
        doc["peer"] = peer
        if lib is not None:
            results += run_peer(exe, args, lib, workloads, splits, peer)
        else:
            notes.append(f"{PEER} left out: {peer['status']}")
    doc["impls"] = [info for info, _ in started]
    for info, ap in started:
        results += run_impl(exe, args, info, ap, workloads, splits)
    return results


COMMANDS = [Command("bench", "benchmark the reference parser against baselines "
                    "(docs/performance.md)", run, configure, DESCRIPTION)]

