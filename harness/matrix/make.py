"""Making a matrix: run the checks, print a line as each one ends, gather
their results and write the report (docs/matrix.md)."""

from __future__ import annotations

import json
import shlex
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path
from typing import TextIO

from harness.core.errors import Fatal
from harness.core.paths import CASES, PRODUCERS, SCENARIOS
from harness.matrix import peers_doc, report
from harness.matrix.data import ImplData, build
from harness.matrix.impls import FLAGS, Target
from harness.matrix.inputs import Inputs
from harness.matrix.run import CheckOptions, Outcome, run_all


@dataclass(frozen=True)
class Plan:
    targets: list[Target]
    opts: CheckOptions
    parallel: int
    out: Path
    peers_doc: Path | None = None


def progress_line(o: Outcome, name: str, n: int, total: int) -> str:
    """One line for a finished check: name, kind, seconds (then its counts)."""
    head = f"[{n:>{len(str(total))}}/{total}] {name:<30} {o.target.kind:<7}"
    if o.not_run:
        return f"{head} not run: {o.not_run}  ({o.seconds:.1f} s)"
    return f"{head} {o.seconds:6.1f} s"


def _counts(d: ImplData) -> str:
    s = d.entry.get("summary") or {}
    words = [f"{s.get('total', 0)} variants", f"{s.get('pass', 0)} pass", f"{s.get('fail', 0)} fail"]
    words += [f"{s[k]} {w}" for k, w in (("informational", "info"), ("warning", "warn"),
                                         ("skipped", "skip")) if s.get(k)]
    b = d.entry.get("baseline")
    if b is not None:
        words.append("recorded results hold" if b["holds"] else "recorded results drift")
    return ", ".join(words)


def options_record(plan: Plan) -> dict:
    """What matrix.json says about how it was made."""
    o = plan.opts
    return {"cases": o.cases, "scenarios": o.scenarios, "producers": o.producers, "k": o.k,
            "build": o.build, "expect": o.expect, "parallel": plan.parallel,
            "command": shlex.join(["./ssespec", *sys.argv[1:]]) if sys.argv[1:2] == ["matrix"]
            else None}


def run_order(targets: list[Target], previous: Path) -> list[Target]:
    """The order to start the checks in: the longest first, as the last
    report in the same place timed them (those it did not time first of
    all), so that a long one does not start last."""
    seconds: dict[str, float] = {}
    try:
        for e in json.loads(previous.read_text(encoding="utf-8")).get("impls", []):
            seconds[e["id"]] = float(e.get("seconds") or 0)
    except (OSError, ValueError, TypeError, KeyError, AttributeError):
        return list(targets)
    return sorted(targets, key=lambda t: -seconds.get(t.id, float("inf")))


def make(plan: Plan, out: TextIO = sys.stdout) -> tuple[dict, int]:
    """Run the plan, write its report; return the matrix and the exit status
    (0 every implementation ran and every recorded result held, 1 not)."""
    if not plan.targets:
        raise Fatal("no implementation selected")
    # a check runs the folders it is given beside the built-in ones (unless
    # --no-builtin, which leaves out the built-in folder of a kind given one)
    def folders(given: str | None, builtin: Path) -> list[Path]:
        mine = [Path(given)] if given else []
        return mine if mine and plan.opts.no_builtin else [builtin, *mine]
    inputs = Inputs(folders(plan.opts.cases, CASES), folders(plan.opts.scenarios, SCENARIOS),
                    folders(plan.opts.producers, PRODUCERS))
    print(f"ssespec matrix: {len(plan.targets)} implementations, {plan.parallel} at a time; "
          f"report in {plan.out}", file=out, flush=True)
    started, t0 = time.time(), time.monotonic()
    gathered: dict[str, ImplData] = {}
    finished = [0]

    def done(o: Outcome) -> None:
        finished[0] += 1
        d = ImplData(o, inputs, plan.opts)
        gathered[o.target.id] = d
        line = progress_line(o, d.entry["name"], finished[0], len(plan.targets))
        if o.ran:
            line += f"  {_counts(d)}"
        print(line, file=out, flush=True)

    with tempfile.TemporaryDirectory(prefix="ssespec-matrix-") as scratch:
        run_all(run_order(plan.targets, plan.out / "matrix.json"), Path(scratch), plan.opts,
                plan.parallel, done)
    seconds = time.monotonic() - t0
    m = build([gathered[t.id] for t in plan.targets], inputs, started, seconds,
              options_record(plan))
    size = report.write(m, plan.out)
    not_run = [e for e in m["impls"] if e["not_run"]]
    drift = [e for e in m["impls"] if e["baseline"] is not None and not e["baseline"]["holds"]]
    print(f"\nmatrix: {len(m['impls'])} implementations, {len(m['impls']) - len(not_run)} ran, "
          f"{len(not_run)} not run, {len(drift)} with recorded results that no longer hold; "
          f"{seconds:.0f} s", file=out)
    print(f"report: {plan.out / 'index.html'} ({size / 1e6:.2f} MB with matrix.json and "
          f"{len(m['impls'])} pages)", file=out)
    if size > report.SIZE_BUDGET:
        print(f"note: the report is over its budget of {report.SIZE_BUDGET / 1e6:.1f} MB",
              file=out)
    if plan.peers_doc is not None:
        peers_doc.write(m, plan.peers_doc)
        print(f"wrote {plan.peers_doc}", file=out)
    for e in not_run:
        print(f"not run: {e['name']} ({e['kind']}): {e['not_run']}", file=out)
    for e in drift:
        b = e["baseline"]
        print(f"drift: {e['name']} ({e['kind']}): {b['unexpected_failures']} unexpected "
              f"failures, {b['fixed']} fixed, {b['changed']} changed, {b['stale']} stale "
              f"entries in {b['file']}", file=out)
    out.flush()
    return m, 1 if not_run or drift else 0


def from_check(results: Path, out: Path) -> dict:
    """The report of one `./ssespec check --json` file (one suite or several,
    each a column), written into out: what ci/check.sh keeps beside the JSON.
    The case files are read from the folders the check recorded."""
    try:
        data = json.loads(results.read_text(encoding="utf-8"))
        suites = data["suites"] if "suites" in data else [data]
        kinds = [s["suite"] for s in suites]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise Fatal(f"{results}: not the JSON of ./ssespec check ({e})") from None
    if not suites or any(k not in FLAGS for k in kinds):
        raise Fatal(f"{results}: not the JSON of ./ssespec check (suites {kinds})")
    folders: dict[str, list[Path]] = {}
    for s in suites:
        for kind, dirs in (s.get("folders") or {}).items():
            folders.setdefault(kind, [])
            folders[kind] += [Path(d) for d in dirs if Path(d) not in folders[kind]]
    inputs = Inputs(folders.get("cases") or CASES, folders.get("scenarios") or SCENARIOS,
                    folders.get("producers") or PRODUCERS)
    gathered: list[ImplData] = []
    with tempfile.TemporaryDirectory(prefix="ssespec-report-") as scratch:
        for n, s in enumerate(suites):
            adapter = s.get("adapter") or {}
            command = adapter.get("command")
            spec = shlex.join(command) if isinstance(command, list) else str(command or "?")
            base = (s.get("baseline") or {}).get("file")
            target = Target(f"{s['suite']}-{n + 1}", str(adapter.get("name") or spec), s["suite"],
                            spec, False, baseline=Path(base) if base else None)
            part = Path(scratch) / f"{n}.json"
            part.write_text(json.dumps(s), encoding="utf-8")
            status = 1 if (s.get("summary") or {}).get("fail") else 0
            gathered.append(ImplData(Outcome(target, [], status, float(s.get("seconds", 0)),
                                             part), inputs, CheckOptions()))
        m = build(gathered, inputs, time.time(), sum(float(s.get("seconds", 0)) for s in suites),
                  {"from_check": str(results)})
    report.write(m, out)
    return m
