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

With --h2 the literal client speaks HTTP/2 as well (python3-h2): that run
covers the @h2 and @h2c variants, which must pass too, and the one
HTTP/2 defect (a CR and its LF split between DATA frames) runs there.
"""

from __future__ import annotations

import os
import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from literal_client import DEFECTS
from peers_env import LITERAL_CLIENT, ROOT, ssespec_check, tail

SCENARIO_DIR = ROOT / "corpus" / "scenarios"
OVER_H2 = ["-m", "transport_h2 or transport_h2c"]
DEFAULT_ARGS = ["-m", "transport_http"]
ARGS = {
    "cr-split-across-reads": ["-k", "split/"],
    "decode-each-read": ["-k", "split/"],
    "h2-frame-crlf": ["-k", "split/", *OVER_H2],
}
NEEDS_H2 = {"h2-frame-crlf"}
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
    "h2-frame-crlf": (
        "split/crlf-across-writes@h2",
        'record 2 differs: expected event data="a\\nb", got event data="a"', None),
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
    out = {None: run_check(LITERAL_CLIENT, [])}
    runs: dict = {d: (LITERAL_CLIENT + (["--h2"] if d in NEEDS_H2 else []) + ["--defect", d],
                      ARGS.get(d, DEFAULT_ARGS)) for d in DEFECTS}
    runs["--h2"] = (LITERAL_CLIENT + ["--h2"], OVER_H2)
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


@pytest.mark.parametrize("mode", [None, "--h2"])
def test_literal_client_passes_the_corpus(results, mode):
    """Over HTTP/1.1 and HTTPS; with --h2, over @h2 and @h2c."""
    r = results[mode]
    assert r["rc"] == 0, (f"the literal client fails the corpus (exit {r['rc']}):\n"
                          f"{tail(r['stdout'], 80)}\n{tail(r['stderr'], 40)}")
    s = r["json"]["summary"]
    assert s["pass"] + s["informational"] == s["total"] and s["total"] >= 200, s
    ids = [c["id"] for c in r["json"]["cases"]]
    if mode == "--h2":
        assert all(i.endswith(("@h2", "@h2c")) for i in ids) and any(i.endswith("@h2c") for i in ids)
    else:
        assert not any(i.endswith(("@h2", "@h2c")) for i in ids)


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
