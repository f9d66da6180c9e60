"""The producer suite catches every seeded producer defect.

The literal producer (tests/support/literal_producer.py) with no defect
passes every encoder and served case; with each single --defect switched on
`./ssespec check --server` fails at least one case, and names injection
where the defect writes a line break raw. Three defects are what the
protocol calls warnings (an uncarriable value removed rather than refused;
a recommended header missing): their runs pass, with warnings.
"""

from __future__ import annotations

import shlex
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from literal_producer import DEFECTS
from peers_env import PYTHON, ROOT, ssespec_check, tail

LITERAL = [PYTHON, str(ROOT / "tests" / "support" / "literal_producer.py")]
WARNING_ONLY = {"nul-id", "strip-event-breaks", "no-cache-header"}
INJECTING = {"split-lf-only", "raw-data", "raw-event", "raw-id", "raw-comment"}
# the server's defects show on the wire only: their runs leave out the encoder
# cases, and the encoder's defects' runs the served ones (the run without a
# defect has them all)
SERVER = {"buffer", "no-gone", "content-length", "chunked-1.0", "text-plain", "no-cache-header"}
JOBS = 2

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def results() -> dict:
    runs = {None: (LITERAL, [])}
    runs.update({d: (LITERAL + ["--defect", d],
                     ["-m", "producer_served" if d in SERVER else "producer_encode"])
                 for d in DEFECTS})
    t0 = time.monotonic()
    with ThreadPoolExecutor(JOBS) as pool:
        futures = {k: pool.submit(ssespec_check, ["--server", shlex.join(v), *extra], 300)
                   for k, (v, extra) in runs.items()}
        out = {k: f.result() for k, f in futures.items()}
    print(f"\nproducer mutants: {len(runs)} runs in {time.monotonic() - t0:.1f} s")
    for k, r in out.items():
        s = (r["json"] or {}).get("summary", {})
        print(f"  {str(k or '(no defect)'):20} exit {r['rc']}  fail {s.get('fail', '?'):>3}"
              f"  warn {s.get('warning', '?'):>3}  {r['secs']:.1f} s")
    return out


def test_literal_producer_passes(results):
    r = results[None]
    assert r["rc"] == 0, tail(r["stdout"], 60)
    assert r["json"]["summary"]["warning"] == 0


@pytest.mark.parametrize("defect", sorted(set(DEFECTS) - WARNING_ONLY))
def test_suite_catches_defect(results, defect):
    r = results[defect]
    assert r["rc"] == 1, f"no case catches --defect {defect} ({DEFECTS[defect]}); exit {r['rc']}"
    if defect in INJECTING:
        reasons = [c["reason"] for c in r["json"]["cases"] if c["verdict"] == "fail"]
        assert any(x.startswith("injection: ") for x in reasons), reasons


@pytest.mark.parametrize("defect", sorted(WARNING_ONLY))
def test_suite_warns_of_defect(results, defect):
    r = results[defect]
    assert r["rc"] == 0 and r["json"]["summary"]["warning"] > 0, r["json"]["summary"]
