"""The client suite catches every seeded client defect.

The literal client (tests/support/literal_client.py) with no defect passes
every scenario variant of the corpus that is not about an open point (exit
0); with each single --defect switched on, `./ssespec check --client` fails
at least one scenario (exit 1). Each run is a real `./ssespec check`, so this
proves that the shipped harness, server and corpus together catch the
defect.

The run without a defect goes first and alone (all variants, HTTP and
HTTPS); the defect runs follow four at a time over plain HTTP only. Two
defects live at the level of TCP reads (a CR and its LF, or a UTF-8
sequence, split between two reads): they run on the split/ scenarios only,
so that the client is idle enough for every 30 ms gap between the server's
writes to reach it as a read boundary.

For the defects in CAUGHT_BY the test also names the scenario that catches
each one and what its report must say first (the reason, and for a crash
the adapter's stderr), so that a defect caught only by accident, or for
another reason, shows.

A scenario with `close-after` is left out of every run while the harness
does not read it (its scenarios have no `close_after`): the harness would
close the stream only at the end, and the events after the close point
would fail the run of any client.
"""

from __future__ import annotations

import os
import re
import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from literal_client import DEFECTS
from peers_env import LITERAL_CLIENT, ROOT, ssespec_check, tail

from harness.client_suite.scenarios import Scenario

SCENARIO_DIR = ROOT / "corpus" / "scenarios"


def closing_early() -> list[str]:
    """The scenarios with close-after, when the harness does not honour it."""
    if "close_after" in Scenario.__dataclass_fields__:
        return []
    return sorted(str(p.relative_to(SCENARIO_DIR).with_suffix(""))
                  for p in SCENARIO_DIR.rglob("*.scenario")
                  if re.search(r"^\s*close-after\s", p.read_text("utf-8"), re.M))


EARLY = closing_early()
NOT_EARLY = ["-k", "not (" + " or ".join(EARLY) + ")"] if EARLY else []
DEFAULT_ARGS = ["-m", "transport_http", *NOT_EARLY]
ARGS = {
    "cr-split-across-reads": ["-k", "split/"],
    "decode-each-read": ["-k", "split/"],
}
# defect: (the variant that catches it, what its reason says, what the
# adapter's stderr shown with it says, or None)
CAUGHT_BY: dict[str, tuple[str, str, str | None]] = {
    "strip-nul-from-data": (
        "data/nul-kept",
        'record 2 differs: expected event data="a\\u0000b", got event data="ab"', None),
    "drop-bare-data-line": (
        "data/bare-data-line",
        'record 2 differs: expected event data="", got event data="a\\nb"', None),
    "strip-second-bom": (
        "bom/second-bom-kept",
        'record 2 differs: expected event data="b", got event data="a"', None),
    "lf-cr-lf-one-ending": (
        "lines/lf-then-crlf-two-endings",
        'record 2 differs: expected event data="a", got event data="a\\nb"', None),
    "crash-on-odd-last-event-id": (
        "last-event-id/control-characters-in-id",
        "the adapter exited with status 1", "InvalidHeaderValue: Invalid character in header"),
    "silent-reconnect-after-fail": (
        "status/404-on-reconnection-fails",
        "request 3 came beyond the last connection", None),
    "gzip-whole-body": (
        "compression/gzip-events-before-end",
        'timed out after 10 s: expected record 2 (event data="a") never arrived', None),
}
# The runs wait on the clock (reconnection delays) more than they compute,
# so more of them than there are cores share the machine well.
JOBS = 2 * max(1, min(2, os.cpu_count() or 1))
RUN_TIMEOUT = 300

pytestmark = pytest.mark.slow


def run_check(argv: list[str], extra: list[str]) -> dict:
    return ssespec_check(["--client", shlex.join(argv), *extra], RUN_TIMEOUT)


def failed(r: dict) -> list[str]:
    return [c["id"] for c in (r["json"] or {}).get("cases", []) if c["verdict"] == "fail"]


@pytest.fixture(scope="module")
def results() -> dict:
    t0 = time.monotonic()
    out = {None: run_check(LITERAL_CLIENT, NOT_EARLY)}
    runs = {d: (LITERAL_CLIENT + ["--defect", d], ARGS.get(d, DEFAULT_ARGS)) for d in DEFECTS}
    with ThreadPoolExecutor(JOBS) as pool:
        futures = {k: pool.submit(run_check, *v) for k, v in runs.items()}
        out.update({k: f.result() for k, f in futures.items()})
    print(f"\nclient mutants: {len(out)} runs of ./ssespec check --client in "
          f"{time.monotonic() - t0:.1f} s, {JOBS} at a time")
    for k, r in out.items():
        s = (r["json"] or {}).get("summary", {})
        caught = ", ".join(failed(r)[:3])
        print(f"  {str(k or '(no defect)'):40} exit {r['rc']}  fail {s.get('fail', '?'):>3}"
              f"  info {s.get('informational', '?'):>2}  {r['secs']:5.1f} s  {caught}")
    return out


def test_literal_client_passes_the_corpus(results):
    r = results[None]
    assert r["rc"] == 0, (f"the literal client fails the corpus (exit {r['rc']}):\n"
                          f"{tail(r['stdout'], 80)}\n{tail(r['stderr'], 40)}")
    s = r["json"]["summary"]
    assert s["pass"] + s["informational"] == s["total"] and s["total"] >= 200, s


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_suite_catches_defect(results, defect):
    r = results[defect]
    assert r["rc"] != 2, f"could not run {r['cmd']}:\n{tail(r['stderr'], 40)}\n{tail(r['stdout'], 40)}"
    assert r["rc"] == 1, f"no scenario catches --defect {defect} ({DEFECTS[defect]}); exit {r['rc']}"
    assert failed(r)


@pytest.mark.parametrize("defect", sorted(CAUGHT_BY))
def test_defect_is_caught_for_its_reason(results, defect):
    variant, reason, stderr = CAUGHT_BY[defect]
    cases = {c["id"]: c for c in (results[defect]["json"] or {}).get("cases", [])}
    assert variant in cases, f"--defect {defect}: {variant} was not run"
    c = cases[variant]
    assert c["verdict"] == "fail", f"--defect {defect}: {variant} did not fail ({c['verdict']})"
    assert reason in c["reason"], f"--defect {defect}: {variant} failed for another reason: {c['reason']}"
    if stderr is not None:
        assert "Traceback" in c.get("stderr", "") and stderr in c.get("stderr", ""), \
            f"--defect {defect}: no traceback in the adapter's stderr:\n{c.get('stderr', '')}"


def test_each_catch_names_a_defect_and_a_scenario():
    assert set(CAUGHT_BY) <= set(DEFECTS)
    for variant, _, _ in CAUGHT_BY.values():
        assert (SCENARIO_DIR / f"{variant.split('@')[0]}.scenario").is_file(), variant
