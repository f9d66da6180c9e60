"""The reference parser and the literal parser agree on thousands of random
streams.

Both are driven through the adapter protocol (harness/protocol/parser.py's
AdapterProcess), one process each, with many requests: the reference adapter
as built by CMake (build/release, else build/asan; or
$SSESPEC_REFERENCE_ADAPTER) and tests/support/literal_parser.py. Streams come
from the seeded structure-aware generator that `./ssespec fuzz --impl` uses
(harness/fuzz/streamgen.py) and are cut into random chunks. Records are compared
exactly, except on streams with a retry value above 2^64-1 (open rule
F9-range; they are counted). The seed is printed; SSESPEC_AGREEMENT_SEED
picks another, SSESPEC_AGREEMENT_COUNT another number of streams (at least
3000 by default).
"""

from __future__ import annotations

import json
import os
import time
from contextlib import contextmanager
from typing import Iterator

import pytest
from peers_env import LITERAL, reference_adapter

from harness.fuzz.difffuzz import retry_lines
from harness.fuzz.streamgen import StreamGen
from harness.parser_suite.runner import encode_request
from harness.protocol.parser import MAX_LINE, AdapterProcess, Hello

DEFAULT_SEED = 20260601
DEFAULT_COUNT = 20000
SHOW = 5  # disagreements printed in full
TIMEOUT = 10.0  # seconds for the hello and for each response
U64_MAX = 2**64 - 1


def retry_beyond_u64(stream: bytes) -> bool:
    """Whether a retry field of the stream has a value above 2^64-1: the
    reference parser, bounded by uint64_t, ignores it and the literal one
    (unbounded) takes it. The standard sets no bound (open rule F9-range);
    below it the two must agree."""
    for start, end, rule in retry_lines(stream):
        if rule == "F9-range":
            value = stream[start:end].partition(b":")[2].removeprefix(b" ")
            if int(value) > U64_MAX:
                return True
    return False


@contextmanager
def adapter(argv: list[str]) -> Iterator[tuple[AdapterProcess, Hello]]:
    ap = AdapterProcess(argv, MAX_LINE)
    hello = ap.start(TIMEOUT)
    try:
        yield ap, hello
    finally:
        ap.stop()


def ask(ap: AdapterProcess, case: str, chunks: list[bytes]) -> dict:
    """One request; the response object ({"records": ...} or {"error": ...})."""
    resp = json.loads(ap.request(encode_request(case, chunks), TIMEOUT))
    assert resp.get("case") == case, f"response for {resp.get('case')!r}, expected {case!r}"
    return resp


def run_agreement(a_cmd, b_cmd, seed: int, count: int):
    """Send the same `count` generated streams to two adapters; return
    (disagreements, common kinds, seconds, streams left out as open)."""
    gen = StreamGen(seed)
    bad = []
    open_ = 0
    t0 = time.monotonic()
    with adapter(a_cmd) as (a, ha), adapter(b_cmd) as (b, hb):
        kinds = [k for k in ha.reports if k in hb.reports]
        for i in range(count):
            chunks = gen.case()
            name = f"agreement/{seed}/{i}"
            ra = ask(a, name, chunks)
            rb = ask(b, name, chunks)
            ga = ra.get("records")
            gb = rb.get("records")
            if ga is not None:
                ga = [r for r in ga if r.get("kind") in kinds]
            if gb is not None:
                gb = [r for r in gb if r.get("kind") in kinds]
            if ga is None or gb is None or ga != gb:
                if retry_beyond_u64(b"".join(chunks)):
                    open_ += 1
                else:
                    bad.append((i, chunks, ra, rb))
    return bad, kinds, time.monotonic() - t0, open_


def report(bad, a_name, b_name) -> str:
    lines = [f"{len(bad)} streams disagree"]
    for i, chunks, ra, rb in bad[:SHOW]:
        lines += [f"--- stream #{i}: input {b''.join(chunks)!r}", f"    chunks {chunks!r}",
                  f"    {a_name}: {ra.get('records', ra)}", f"    {b_name}: {rb.get('records', rb)}"]
    return "\n".join(lines)


def built_reference():
    ref = reference_adapter()
    if ref is None:  # not built yet: build it as `./ssespec check --impl reference` would
        from harness.core.errors import Fatal
        from harness.setup import build
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
    bad, kinds, secs, open_ = run_agreement([str(ref)], LITERAL, seed, count)
    print(f"agreement: {count} streams, kinds {kinds}, {len(bad)} disagreements, {open_} more "
          f"on retry values above 2^64-1 (F9-range, open), {secs:.1f} s")
    assert set(kinds) == {"event", "retry", "comment", "end"}, f"compared only {kinds}"
    assert not bad, report(bad, "reference", "literal")


def test_generator_finds_a_seeded_defect():
    """The generator is strong enough to tell a broken parser from the literal one."""
    missed = []
    for defect in ("cr-split-two-endings", "lost-last-event-id", "split-utf8-replaced", "retry-parseint"):
        bad, _, _, _ = run_agreement(LITERAL, LITERAL + ["--defect", defect], 1, 300)
        if not bad:
            missed.append(defect)
    assert not missed, f"300 generated streams never showed {missed}"
