"""The reference parser and the literal parser agree on thousands of random
streams.

Both are driven through the adapter protocol, one process each, with many
requests: the reference adapter as built by CMake (build/release, else
build/asan; or $SSESPEC_REFERENCE_ADAPTER) and tests/peers/literal_parser.py.
Streams come from a seeded structure-aware generator (tests/peers/streamgen.py)
and are cut into random chunks. Records are compared exactly. The seed is
printed; SSESPEC_AGREEMENT_SEED picks another, SSESPEC_AGREEMENT_COUNT another
number of streams (at least 3000 by default).
"""

from __future__ import annotations

import os
import time

import pytest

from adapter_client import Adapter
from peers_env import LITERAL, reference_adapter
from streamgen import StreamGen

DEFAULT_SEED = 20260601
DEFAULT_COUNT = 20000
SHOW = 5  # disagreements printed in full


def run_agreement(a_cmd, b_cmd, seed: int, count: int):
    """Send the same `count` generated streams to two adapters; return
    (disagreements, common kinds, seconds)."""
    gen = StreamGen(seed)
    bad = []
    t0 = time.monotonic()
    with Adapter(a_cmd) as a, Adapter(b_cmd) as b:
        kinds = [k for k in a.reports if k in b.reports]
        for i in range(count):
            chunks = gen.case()
            name = f"agreement/{seed}/{i}"
            ra = a.request(name, chunks)
            rb = b.request(name, chunks)
            ga = ra.get("records")
            gb = rb.get("records")
            if ga is not None:
                ga = [r for r in ga if r.get("kind") in kinds]
            if gb is not None:
                gb = [r for r in gb if r.get("kind") in kinds]
            if ga is None or gb is None or ga != gb:
                bad.append((i, chunks, ra, rb))
    return bad, kinds, time.monotonic() - t0


def report(bad, a_name, b_name) -> str:
    lines = [f"{len(bad)} streams disagree"]
    for i, chunks, ra, rb in bad[:SHOW]:
        lines += [f"--- stream #{i}: input {b''.join(chunks)!r}", f"    chunks {chunks!r}",
                  f"    {a_name}: {ra.get('records', ra)}", f"    {b_name}: {rb.get('records', rb)}"]
    return "\n".join(lines)


def built_reference():
    ref = reference_adapter()
    if ref is None:  # not built yet: build it as `./ssespec check --impl reference` would
        from harness import build
        from harness.errors import Fatal
        try:
            ref = build.executable("ssespec-parser-adapter", "release", quiet=True)
        except Fatal as e:
            pytest.fail(f"cannot build the reference adapter: {e}")
    return ref


@pytest.mark.slow
def test_reference_agrees_with_literal():
    ref = built_reference()
    seed = int(os.environ.get("SSESPEC_AGREEMENT_SEED", DEFAULT_SEED))
    count = int(os.environ.get("SSESPEC_AGREEMENT_COUNT", DEFAULT_COUNT))
    print(f"agreement: seed {seed} (SSESPEC_AGREEMENT_SEED), {count} streams, reference {ref}")
    bad, kinds, secs = run_agreement([str(ref)], LITERAL, seed, count)
    print(f"agreement: {count} streams, kinds {kinds}, {len(bad)} disagreements, {secs:.1f} s")
    assert set(kinds) == {"event", "retry", "comment", "end"}, f"compared only {kinds}"
    assert not bad, report(bad, "reference", "literal")


def test_generator_finds_a_seeded_defect():
    """The generator is strong enough to tell a broken parser from the literal one."""
    missed = []
    for defect in ("cr-split-two-endings", "lost-last-event-id", "split-utf8-replaced", "retry-parseint"):
        bad, _, _ = run_agreement(LITERAL, LITERAL + ["--defect", defect], 1, 300)
        if not bad:
            missed.append(defect)
    assert not missed, f"300 generated streams never showed {missed}"
