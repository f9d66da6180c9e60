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
"""

from __future__ import annotations

import os
import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from literal_client import DEFECTS
from peers_env import LITERAL_CLIENT, ssespec_check, tail

DEFAULT_ARGS = ["-m", "transport_http"]
ARGS = {
    "cr-split-across-reads": ["-k", "split/"],
    "decode-each-read": ["-k", "split/"],
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
