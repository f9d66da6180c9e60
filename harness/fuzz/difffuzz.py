"""`./ssespec fuzz --impl CMD|NAME`: differential fuzzing of a parser through
the parser adapter protocol (docs/adapter-protocol.md), against the
reference parser (docs/fuzzing.md, "Differential fuzzing of adapters").

Both parsers run as adapter processes: the one under test (a command line,
or a bundled adapter's NAME, started as `check --impl` starts it) and the
reference (build/release ssespec-parser-adapter). Streams come from
harness/fuzz/streamgen.py: mutations of the corpus cases' inputs and a
structure-aware generator, cut into chunks at random. Requests go in
pipelined batches to both processes at once; every response still has its
own time limit (--timeout after the previous one). Records are compared
restricted to the kinds the adapter reports, as the suite does.

Each divergence gets a signature (the first differing record: a missing or
extra record, a kind that changed, or the first field that differs, with
"lost X" / "extra X" when it differs only by a run of one telling character
X at one end), so that one cause is reported once. The first input with a new signature is
minimized (delta debugging over its bytes, then over its chunk boundaries;
every candidate re-checked against both parsers: fewest bytes, then fewest
chunks, the same signature) and written as a case file, the reference's
records as the expected ones, ready to join corpus/cases after review.
Inputs whose reference records rest on a point the standard leaves open (a
retry value beyond 2^31-1: rule F9-range; an empty retry value: F9-empty)
are kept apart as informational, unless the input still diverges when those
retry lines are replaced by a field every parser ignores (then it is that
divergence).

Exit status: 0 no divergence (informational ones allowed), 1 a divergence,
2 the run could not be done (one line on stderr).
"""

from __future__ import annotations

import argparse
import difflib
import hashlib
import json
import math
import re
import selectors
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from harness.core.cases import CaseError, case_text, load_all, parse_case
from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.core.records import line as record_line
from harness.core.records import restrict
from harness.fuzz.streamgen import BOM, StreamGen
from harness.protocol.parser import (MAX_LINE, AdapterFailure, AdapterProcess, Hello, HelloError,
                                     decode_response, encode_request)
from harness.setup import build, bundled

DEFAULT_TIMEOUT = 5.0
BATCH = 256                 # requests in flight per adapter
MINIMIZE_SECONDS = 30.0     # the most one divergence's minimization may take
MAX_CORPUS_INPUT = 4096     # longer case inputs are not mutated
RANGE_LIMIT = 2**31 - 1     # retry values above: rule F9-range (open)
FIELD_ORDER = ("type", "data", "lastEventId", "ms", "text")
SIGNATURE_RULES = {  # the rule a field-level signature most likely belongs to
    ("comment", "text"): "F2", ("event", "data"): "F7", ("event", "type"): "F6",
    ("event", "lastEventId"): "E5", ("end", "lastEventId"): "E1", ("retry", "ms"): "F9",
}
OPEN_REASONS = {
    "F9-range": "the standard puts no upper bound on retry; implementations with bounded "
                "integers may ignore or clamp the value",
    "F9-empty": "the standard does not say whether an empty retry value \"consists of only "
                "ASCII digits\"; the reference ignores it",
}


# ------------------------------------------------------------ adapters


class Peer:
    """One adapter process: harness/protocol/parser.py's AdapterProcess, which starts
    it, checks its hello, reads and writes its pipes and kills it by the same
    rules as `check --impl`; exchange() serves several peers' pipes at once,
    with many requests in flight."""

    def __init__(self, label: str, argv: list[str], timeout: float) -> None:
        self.label = label
        self.argv = argv
        self.timeout = timeout
        self.restarts = 0
        self.ap: AdapterProcess | None = None
        self.hello: Hello | None = None

    def start(self) -> None:
        self.ap = AdapterProcess(self.argv, MAX_LINE)
        try:
            self.hello = self.ap.start(self.timeout)
        except HelloError as e:
            raise Fatal(f"adapter {self.label}: {e}") from None

    def restart(self) -> None:
        """Kill the process and start another (a new hello, checked)."""
        if self.ap is not None:
            self.ap.kill()
        self.restarts += 1
        self.start()

    def stop(self) -> None:
        if self.ap is not None:
            self.ap.stop()

    def kill(self) -> None:
        if self.ap is not None:
            self.ap.kill()

    def with_stderr(self, reason: str) -> str:
        """reason, followed by the end of what the adapter wrote on stderr."""
        tail = self.ap.stderr_text(300).strip() if self.ap is not None else ""
        return reason + (f" (stderr: ...{tail[-200:]})" if tail else "")


@dataclass
class Answer:
    """One adapter's answer to one request."""

    records: list | None = None
    error: str | None = None
    failure: str | None = None      # the adapter misbehaved (the process was restarted)
    timed_out: bool = False


def _decode(raw: bytes, case_id: str) -> Answer:
    """One response line as an Answer (the suite's decoder: one reading of
    the protocol for both)."""
    try:
        r = decode_response(raw, case_id)
    except AdapterFailure as e:
        return Answer(failure=str(e))
    return Answer(records=r.records, error=r.error)


def exchange(peers: list[Peer], lines: list[bytes], ids: list[str]) -> list[list[Answer | None]]:
    """Send every line to every peer at once and collect one answer per line
    from each. A peer that does not answer within its timeout of the previous
    answer (or of the start), exits or writes garbage gets a failure for the
    request it was on (None for the ones after it, which were not run) and
    is restarted."""
    sel = selectors.DefaultSelector()
    data = b"".join(lines)
    now = time.monotonic()
    views = [memoryview(data) for _ in peers]
    answers: list[list[Answer]] = [[] for _ in peers]
    last = [now for _ in peers]
    dead: list[Answer | None] = [None for _ in peers]
    aps: list[AdapterProcess] = []
    for i, p in enumerate(peers):
        assert p.ap is not None
        ap = p.ap
        aps.append(ap)
        sel.register(ap.fd_out, selectors.EVENT_READ, (i, "out"))
        sel.register(ap.fd_err, selectors.EVENT_READ, (i, "err"))
        if data:
            sel.register(ap.fd_in, selectors.EVENT_WRITE, (i, "in"))

    def finish(i: int, reason: str, timed_out: bool = False) -> None:
        dead[i] = Answer(failure=reason, timed_out=timed_out)
        for key in list(sel.get_map().values()):
            if key.data[0] == i:
                sel.unregister(key.fd)

    try:
        while True:
            live = [i for i in range(len(peers)) if dead[i] is None and len(answers[i]) < len(lines)]
            if not live:
                break
            now = time.monotonic()
            wait = None
            for i in live:
                left = last[i] + peers[i].timeout - now
                if left <= 0:
                    finish(i, f"no response within {peers[i].timeout:g} s", timed_out=True)
                else:
                    wait = left if wait is None else min(wait, left)
            if wait is None:
                continue
            for key, _ in sel.select(wait):
                i, what = key.data
                p, ap = peers[i], aps[i]
                if dead[i] is not None:
                    continue
                try:
                    if what == "in":
                        views[i] = ap.write_some(views[i])
                        if not views[i]:
                            sel.unregister(ap.fd_in)
                    elif what == "err":
                        if not ap.read_stderr(1):
                            sel.unregister(ap.fd_err)
                    else:
                        if not ap.read_out():
                            finish(i, p.with_stderr(ap.end_reason()))
                            continue
                        while len(answers[i]) < len(lines):
                            raw = ap.take_line()
                            if raw is None:
                                break
                            ans = _decode(raw, ids[len(answers[i])])
                            answers[i].append(ans)
                            last[i] = time.monotonic()
                            if ans.failure:
                                finish(i, ans.failure)
                                break
                        if dead[i] is None and ap.pending > MAX_LINE:
                            finish(i, f"a response line longer than {MAX_LINE} bytes")
                except AdapterFailure as e:
                    finish(i, p.with_stderr(str(e)))
    finally:
        sel.close()
    out: list[list[Answer | None]] = []
    for i, p in enumerate(peers):
        got: list[Answer | None] = list(answers[i])
        failure = dead[i]
        if failure is not None:
            if not got or not (got[-1] and got[-1].failure):
                got.append(failure)
            p.restart()
        got += [None] * (len(lines) - len(got))
        out.append(got)
    return out


def start_peer(label: str, argv: list[str], timeout: float) -> Peer:
    p = Peer(label, argv, timeout)
    p.start()
    return p


# ------------------------------------------------------------ signatures


_NAMES = {" ": "space", "\t": "tab", "\r": "CR", "\n": "LF", "\0": "NUL", ":": "colon",
          "\ufeff": "U+FEFF", "\ufffd": "U+FFFD"}


def _chars(s: str) -> str:
    """A coarse name for a run of characters: the ones parsers trip on by
    name, anything else as 'a character' / 'characters'."""
    named = [_NAMES.get(c) for c in s]
    if len(s) <= 2 and all(named):
        return " ".join(n for n in named if n)
    if len(s) == 1:
        return "a character"
    if len(set(s)) == 1 and named[0]:
        return f"{named[0]}s"
    return "characters"


def special_change(ref: str, got: str) -> str | None:
    """'lost space', 'extra CR'...: when got is ref with a run of one of the
    characters parsers trip on (space, tab, CR, LF, NUL, U+FEFF, U+FFFD)
    taken away or added at one end, and nothing else, the rest not empty;
    else None. Part of
    the signature: such a change points at one cause (a space stripped, a
    CR kept), where other differences of a field may have many."""
    for long, short, verb in ((ref, got, "lost"), (got, ref, "extra")):
        k = len(long) - len(short)
        if k <= 0 or not short:  # a whole value lost or added says nothing of the kind
            continue
        for run in (long[:k], long[-k:]):
            if len(set(run)) == 1 and run[0] in _NAMES and run[0] != ":" and \
                    (long == run + short or long == short + run):
                return f"{verb} {_NAMES[run[0]]}"
    return None


def string_difference(ref: str, got: str) -> str:
    """How got differs from ref, coarsely: 'lost space at the start'..."""
    if got == "":
        return "empty instead of a value"
    if ref == "":
        return "a value instead of empty"
    ops = [op for op in difflib.SequenceMatcher(None, ref, got, autojunk=False).get_opcodes()
           if op[0] != "equal"]
    parts = []
    for tag, i1, i2, j1, j2 in ops[:2]:
        where = "at the start" if i1 == 0 else "at the end" if i2 == len(ref) else "inside"
        if tag == "delete":
            parts.append(f"lost {_chars(ref[i1:i2])} {where}")
        elif tag == "insert":
            parts.append(f"extra {_chars(got[j1:j2])} {where}")
        else:
            parts.append(f"{_chars(ref[i1:i2])} became {_chars(got[j1:j2])} {where}")
    if len(ops) > 2:
        parts.append("more")
    return ", ".join(parts)


def first_difference(ref: list, got: Answer, kinds: Sequence[str]) -> tuple[str, str] | None:
    """None when the answer agrees with the reference's records, else the
    signature of the difference and a description of it. The signature is
    the first differing record's kind and field ("comment.text"; with
    "lost space", "extra CR"... when the field differs only by such a run at
    one end: see special_change), or the kind of the first record missing
    ("missing event") or extra ("extra retry"), or a kind that changed
    ("event became comment"); the description adds how a string field
    differs ("lost space at the start").
    Records are compared position by position; the first difference reads
    as a missing or an extra record when everything after it lines up one
    further on."""
    if got.failure is not None:
        how = "timeout" if got.timed_out else "crash or bad response"
        return f"adapter failure: {how}", got.failure
    if got.error is not None:
        return "error response", got.error[:200]
    a = restrict(ref, kinds)
    b = restrict(got.records or [], kinds)
    if a == b:
        return None
    i = next((k for k, (x, y) in enumerate(zip(a, b)) if x != y), min(len(a), len(b)))
    if i == len(b):
        n = len(a) - i
        return f"missing {a[i].get('kind')}", f"the reference's last {n} record{'s' * (n != 1)} missing"
    if i == len(a):
        n = len(b) - i
        return f"extra {b[i].get('kind')}", f"{n} extra record{'s' * (n != 1)} at the end"
    x, y = a[i], b[i]
    # one record missing or one extra, with everything after it the same?
    if a[i + 1:] == b[i:]:
        return f"missing {x.get('kind')}", f"the reference's record {i + 1} is missing"
    if b[i + 1:] == a[i:]:
        return f"extra {y.get('kind')}", f"an extra record before the reference's record {i + 1}"
    if x.get("kind") != y.get("kind"):
        return f"{x.get('kind')} became {y.get('kind')}", f"record {i + 1}"
    for f in FIELD_ORDER + tuple(sorted(set(x) | set(y))):
        if f == "kind" or x.get(f) == y.get(f):
            continue
        if isinstance(x.get(f), str) and isinstance(y.get(f), str):
            special = special_change(x[f], y[f])
            sig = f"{x['kind']}.{f}" + (f": {special}" if special else "")
            return sig, string_difference(x[f], y[f])
        return f"{x['kind']}.{f}", "differs"
    return "records differ", ""


def signature(ref: list, got: Answer, kinds: Sequence[str]) -> str | None:
    d = first_difference(ref, got, kinds)
    return None if d is None else d[0]


# ------------------------------------------------------------ open rules


_EOL = re.compile(rb"\r\n|\r|\n")


def retry_lines(stream: bytes) -> list[tuple[int, int, str]]:
    """(start, end, rule) of every complete line of the stream that is a
    retry field whose value is empty (F9-empty) or digits beyond 2^31-1
    (F9-range), as the standard reads the stream (a BOM at the start is not
    part of the first line; a line ends at CRLF, LF or CR)."""
    out = []
    pos = 3 if stream.startswith(BOM) else 0
    for m in _EOL.finditer(stream, pos):
        line = stream[pos:m.start()]
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        if name == b"retry":
            if value == b"":
                out.append((pos, m.start(), "F9-empty"))
            elif value.isdigit() and value.isascii() and int(value) > RANGE_LIMIT:
                out.append((pos, m.start(), "F9-range"))
        pos = m.end()
    return out


def open_rules(stream: bytes) -> list[str]:
    return sorted({rule for _, _, rule in retry_lines(stream)})


# ------------------------------------------------------------ inputs: bytes and cuts


def cuts_of(chunks: list[bytes]) -> list[int]:
    """The chunk boundaries of chunks (all but the end), as offsets."""
    out, pos = [], 0
    for c in chunks[:-1]:
        pos += len(c)
        out.append(pos)
    return out


def chunks_of(data: bytes, cuts: list[int]) -> list[bytes]:
    bounds = [0] + cuts + [len(data)]
    return [data[bounds[i]:bounds[i + 1]] for i in range(len(bounds) - 1)]


def replace(data: bytes, cuts: list[int], start: int, end: int, new: bytes = b"") -> tuple[bytes, list[int]]:
    """data with [start, end) replaced by new; cuts inside move to start."""
    shift = len(new) - (end - start)
    out = [c if c <= start else start if c <= end else c + shift for c in cuts]
    return data[:start] + new + data[end:], out


def neutralize(data: bytes, cuts: list[int]) -> tuple[bytes, list[int]]:
    """The open retry lines made a field every parser ignores ("x"), line
    endings kept."""
    for start, end, _ in reversed(retry_lines(data)):
        data, cuts = replace(data, cuts, start, end, b"x")
    return data, cuts


# ------------------------------------------------------------ case files


def guess_rule(sig: str, detail: str, chunks: list[bytes], informational: list[str]) -> str:
    """The rule a divergence most likely belongs to, for review: first what
    the minimized input's chunk boundaries show (minimization keeps only the
    boundaries the divergence needs), then the differing field, then what
    the input holds."""
    if informational:
        return informational[0]
    data = b"".join(chunks)
    inner = chunks[:-1]
    if any(c.endswith(b"\r") for c in inner):
        return "L2"  # a CR ends a chunk
    if any(c.startswith((b"\xef", b"\xbb", b"\xbf")) for c in chunks[1:]):
        return "D1"  # a chunk starts with (part of) a BOM
    for c, nxt in zip(inner, chunks[1:]):
        if nxt[:1] and 0x80 <= nxt[0] < 0xC0 and c[-1:] and c[-1] >= 0x80:
            return "D3"  # a UTF-8 sequence split across chunks
    if not any(w in sig + detail for w in ("CR", "U+FEFF", "U+FFFD")):
        m = re.match(r"(\w+)\.(\w+)", sig)
        if m and (m.group(1), m.group(2)) in SIGNATURE_RULES:
            return SIGNATURE_RULES[(m.group(1), m.group(2))]
    if data.startswith(BOM) or BOM in data:
        return "D1"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return "D2"
    if data.endswith(b"\r"):
        return "L3"
    if data and not data.endswith((b"\n", b"\r")):
        return "L4"
    if b"\r" in data:
        return "L1"
    return "F1"


def slug(text: str, limit: int = 48) -> str:
    s = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return s[:limit].rstrip("-") or "divergence"


@dataclass
class Divergence:
    signature: str
    informational: list[str]           # the open rules, if it is informational
    chunks: list[bytes]                # minimized
    ref: list                          # the reference's records for them
    got: Answer                        # the adapter's answer for them
    found_as: list[bytes]              # the input it was first seen in
    detail: str = ""                   # how the minimized input's records differ
    cases: int = 1                     # cases seen with this signature
    checks: int = 0                    # evaluations spent minimizing
    path: Path | None = None


def divergence_case(d: Divergence, impl_name: str, command: str, seed: int, rule: str) -> str:
    """The case file of a divergence: the reference's records expected, the
    adapter's answer and how it was found in comments (core/cases.py
    writes it)."""
    got = d.got
    comments = [f"Found by `ssespec fuzz --impl {command}` (seed {seed}) on {impl_name}:",
                f"the implementation diverges from the reference parser: {d.signature}"
                + (f" ({d.detail})." if d.detail else "."),
                "The expected records below are the reference parser's "
                "(ssespec-parser-adapter);",
                f"{impl_name} answered:"]
    if got.failure is not None:
        comments.append(f"  (adapter failure: {got.failure})")
    elif got.error is not None:
        comments.append(f"  (error: {got.error[:200]})")
    else:
        comments += [f"  {record_line(r)}" for r in got.records or []] or ["  (no records)"]
    comments += [f"Minimized from {len(b''.join(d.found_as))} bytes in {len(d.found_as)} chunks. "
                 "The rule is a guess from the difference:",
                 "review the case before moving it into corpus/cases."]
    about = f"fuzzing found {impl_name} diverging: {d.signature}"
    open_why = OPEN_REASONS[d.informational[0]] if d.informational else None
    return case_text(about, rule, d.chunks, d.ref, comments, open_why)


# ------------------------------------------------------------ the campaign


@dataclass
class Stats:
    cases: int = 0
    divergent: int = 0
    informational_cases: int = 0
    fuzz_seconds: float = 0.0
    minimize_seconds: float = 0.0
    checks: int = 0
    reference_problems: int = 0


@dataclass
class Campaign:
    ref: Peer
    impl: Peer
    kinds: list[str]
    batch: int = BATCH
    minimize_seconds: float = MINIMIZE_SECONDS
    stats: Stats = field(default_factory=Stats)
    serial: int = 0

    def evaluate(self, inputs: list[list[bytes]],
                 deadline: float | None = None) -> list[tuple[list | None, Answer]]:
        """Each input through both parsers: (the reference's records or None
        when the reference failed, the adapter's answer). Past the deadline,
        inputs not yet run get (None, a failure): no answer."""
        results: list[tuple[list | None, Answer] | None] = [None] * len(inputs)
        todo = list(range(len(inputs)))
        while todo:
            if deadline is not None and time.monotonic() >= deadline:
                for k in todo:
                    results[k] = (None, Answer(failure="not run"))
                break
            part, todo = todo[:self.batch], todo[self.batch:]
            ids, lines = [], []
            for k in part:
                self.serial += 1
                ids.append(f"fuzz/{self.serial}")
                lines.append(encode_request(ids[-1], inputs[k]))
            ra, ia = exchange([self.ref, self.impl], lines, ids)
            # Each exchange answers at least the request an adapter failed
            # on; the ones after it were not run by that adapter: again.
            for k, a, b in zip(part, ra, ia):
                if a is None or b is None:
                    todo.append(k)
                    continue
                results[k] = (a.records, b)
        return [r if r is not None else (None, Answer(failure="not run")) for r in results]

    def key(self, data: bytes, res: tuple[list | None, Answer]) -> tuple[str, bool] | None:
        ref, got = res
        if ref is None:
            return None
        sig = signature(ref, got, self.kinds)
        return None if sig is None else (sig, bool(open_rules(data)))

    def minimize(self, chunks: list[bytes], want: tuple[str, bool]) -> tuple[list[bytes], int]:
        """The smallest input found with the same key: fewest bytes, then
        fewest chunks. Returns it and the number of checks made."""
        data, cuts = b"".join(chunks), cuts_of(chunks)
        end = time.monotonic() + self.minimize_seconds
        checks = 0

        def first_ok(cands: list[tuple[bytes, list[int]]]) -> int | None:
            nonlocal checks
            checks += len(cands)
            res = self.evaluate([chunks_of(d, c) for d, c in cands], deadline=end)
            for i, ((d, _), r) in enumerate(zip(cands, res)):
                if self.key(d, r) == want:
                    return i
            return None

        for _round in range(4):
            changed = False
            n = 2
            while data and time.monotonic() < end:
                size = math.ceil(len(data) / n)
                cands = [replace(data, cuts, s, min(len(data), s + size))
                         for s in range(0, len(data), size)]
                i = first_ok(cands)
                if i is not None:
                    data, cuts = cands[i]
                    n = max(n - 1, 2)
                    changed = True
                    continue
                if size == 1:
                    break
                n = min(n * 2, len(data))
            while cuts and time.monotonic() < end:
                cands = [(data, [])] if len(cuts) > 1 else []
                cands += [(data, cuts[:k] + cuts[k + 1:]) for k in range(len(cuts))]
                i = first_ok(cands)
                if i is None:
                    break
                data, cuts = cands[i]
                changed = True
            if not changed or time.monotonic() >= end:
                break
        return chunks_of(data, cuts), checks


def _corpus_inputs(cases_dir: Path) -> list[bytes]:
    try:
        cases = load_all(cases_dir)
    except CaseError as e:
        raise Fatal(f"--cases {cases_dir}: {e}") from None
    return [c.input for c in cases if len(c.input) <= MAX_CORPUS_INPUT]


def impl_label(spec: str, hello: Hello) -> str:
    if spec == bundled.REFERENCE or (ROOT / "adapters" / spec / "adapter.json").is_file():
        return slug(spec)
    return slug(hello.name)


def run(args: argparse.Namespace) -> int:
    if args.seconds < 1:
        raise Fatal("--seconds must be at least 1")
    if args.timeout <= 0:
        raise Fatal("--timeout must be over 0")
    if args.batch < 1 or args.minimize_seconds < 0 or args.max_divergences < 0:
        raise Fatal("--batch must be at least 1; --minimize-seconds and --max-divergences "
                    "at least 0")
    seed = args.seed if args.seed is not None else int.from_bytes(hashlib.sha1(
        str(time.time_ns()).encode()).digest()[:4], "big")
    cases_dir = Path(args.cases)
    if not cases_dir.is_dir():
        raise Fatal(f"--cases {args.cases}: no such directory")
    corpus = _corpus_inputs(cases_dir)
    impl = bundled.resolve(args.impl, "parser")
    ref_exe = build.executable(bundled.REFERENCE_EXE, args.build, quiet=True)
    ref = start_peer("reference", [str(ref_exe)], args.timeout)
    try:
        peer = start_peer(impl.label, impl.argv, args.timeout)
    except Fatal:
        ref.kill()
        raise
    hello = peer.hello
    assert hello is not None
    kinds = list(hello.reports)
    name = f"{hello.name} {hello.version}"
    label = impl_label(args.impl, hello)
    out = Path(args.out) if args.out else ROOT / "build" / "fuzz" / "divergences" / label
    camp = Campaign(ref, peer, kinds, batch=args.batch, minimize_seconds=args.minimize_seconds)
    print(f"ssespec fuzz --impl {args.impl}: {name}, seed {seed}, {args.seconds} s, "
          f"kinds compared: {', '.join(kinds)}", file=sys.stderr, flush=True)
    gen = StreamGen(seed, corpus)
    found: dict[tuple[str, bool], Divergence] = {}
    st = camp.stats
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    def enough() -> bool:
        return bool(args.max_divergences) and \
            sum(1 for k in found if not k[1]) >= args.max_divergences

    try:
        while time.monotonic() < deadline and not enough():
            t_batch = time.monotonic()
            inputs = [gen.case() for _ in range(camp.batch)]
            results = camp.evaluate(inputs, deadline=deadline)
            st.fuzz_seconds += time.monotonic() - t_batch
            for chunks, res in zip(inputs, results):
                if enough():
                    break
                data = b"".join(chunks)
                if res[0] is None:
                    if res[1].failure != "not run":  # else: the time was up
                        st.cases += 1
                        st.reference_problems += 1
                    continue
                st.cases += 1
                k = camp.key(data, res)
                if k is None:
                    continue
                st.divergent += 1
                if k[1]:
                    # open retry lines: does it still diverge without them?
                    # Then it is that divergence (maybe under another
                    # signature, as the open line's record came first).
                    nd, nc = neutralize(data, cuts_of(chunks))
                    nres = camp.evaluate([chunks_of(nd, nc)])[0]
                    nk = camp.key(nd, nres)
                    if nk is not None and not nk[1]:
                        chunks, data, res, k = chunks_of(nd, nc), nd, nres, nk
                    else:
                        st.informational_cases += 1
                if k in found:
                    found[k].cases += 1
                    continue
                t_min = time.monotonic()
                small, checks = camp.minimize(chunks, k)
                ref_records, got = camp.evaluate([small])[0]
                if camp.key(b"".join(small), (ref_records, got)) != k:  # flaky: keep the original
                    small, (ref_records, got) = chunks, res
                st.minimize_seconds += time.monotonic() - t_min
                st.checks += checks
                fd = first_difference(ref_records or [], got, kinds)
                d = Divergence(k[0], open_rules(b"".join(small)) if k[1] else [], small,
                               ref_records or [], got, chunks, detail=fd[1] if fd else "",
                               checks=checks)
                found[k] = d
                write_case(d, out, name, args.impl, seed)
                if args.verbose:
                    show(d, len(found), hello.name)
    finally:
        elapsed = time.monotonic() - t0
        ref.stop()
        peer.stop()
    report(found, st, elapsed, name, out, hello.name, seed)
    write_summary(found, st, elapsed, out, name, seed, args)
    return 1 if any(not k[1] for k in found) else 0


def write_case(d: Divergence, out: Path, impl_name: str, command: str, seed: int) -> None:
    rule = guess_rule(d.signature, d.detail, d.chunks, d.informational)
    text = divergence_case(d, impl_name, command, seed, rule)
    digest = hashlib.sha1(repr(d.chunks).encode()).hexdigest()[:8]
    where = out / "informational" if d.informational else out
    where.mkdir(parents=True, exist_ok=True)
    path = where / f"{slug(d.signature)}-{digest}.case"
    # the file must load, and give back the input and the records it was written from
    try:
        case = parse_case(text, "fuzz/" + path.stem, path)
    except CaseError as e:
        raise Fatal(f"internal error: the case file written for {d.signature!r} does not load: {e}") from None
    if case.chunks != d.chunks or case.records != d.ref:
        raise Fatal(f"internal error: the case file for {d.signature!r} does not round-trip")
    path.write_text(text, encoding="utf-8")
    d.path = path


def _rel(p: Path | None) -> str:
    if p is None:
        return "-"
    try:
        return str(p.resolve().relative_to(ROOT))
    except ValueError:
        return str(p)


def show(d: Divergence, n: int, impl_name: str, prefix: str = "") -> None:
    print(f"  {prefix}{n}. {d.signature}" + (f": {d.detail}" if d.detail else "")
          + f"  ({d.cases} case{'s' if d.cases != 1 else ''})")
    print(f"     input: {len(b''.join(d.chunks))} bytes in {len(d.chunks)} chunk"
          f"{'s' if len(d.chunks) != 1 else ''}: " + " | ".join(repr(c)[1:] for c in d.chunks))
    print(f"     reference: {' '.join(record_line(r) for r in d.ref)}")
    got = d.got
    what = (f"(adapter failure: {got.failure})" if got.failure is not None else
            f"(error: {got.error[:120]})" if got.error is not None else
            " ".join(record_line(r) for r in got.records or []) or "(no records)")
    print(f"     {impl_name}: {what}")
    if d.informational:
        print(f"     open: {', '.join(d.informational)}")
    print(f"     case file: {_rel(d.path)}")


def report(found: dict, st: Stats, elapsed: float, name: str, out: Path, impl_name: str,
           seed: int) -> None:
    regular = [d for k, d in found.items() if not k[1]]
    info = [d for k, d in found.items() if k[1]]
    rate = st.cases / st.fuzz_seconds if st.fuzz_seconds > 0 else 0.0
    print(f"fuzz --impl: {name}, seed {seed}")
    print(f"  {st.cases} cases in {elapsed:.1f} s: {rate:.0f} cases/s while fuzzing "
          f"({st.minimize_seconds:.1f} s minimizing, {st.checks} checks)")
    print(f"  divergent cases: {st.divergent}; distinct divergences: {len(regular)}"
          f"; informational (open rules): {len(info)}")
    if st.reference_problems:
        print(f"  cases the reference adapter could not answer (skipped): {st.reference_problems}")
    for n, d in enumerate(regular, 1):
        show(d, n, impl_name)
    for n, d in enumerate(info, 1):
        show(d, n, impl_name, prefix="informational ")
    if found:
        print(f"  case files in {_rel(out)}")
    sys.stdout.flush()


def write_summary(found: dict, st: Stats, elapsed: float, out: Path, name: str, seed: int,
                  args: argparse.Namespace) -> None:
    if not found:
        return
    out.mkdir(parents=True, exist_ok=True)
    summary = {
        "impl": args.impl, "name": name, "seed": seed, "seconds": round(elapsed, 1),
        "cases": st.cases, "cases_per_second": round(st.cases / st.fuzz_seconds) if st.fuzz_seconds else 0,
        "divergent_cases": st.divergent,
        "divergences": [{"signature": d.signature, "detail": d.detail,
                         "informational": d.informational,
                         "cases": d.cases, "file": _rel(d.path),
                         "bytes": len(b"".join(d.chunks)), "chunks": len(d.chunks)}
                        for d in found.values()],
    }
    (out / "summary.json").write_text(json.dumps(summary, indent=1) + "\n", encoding="utf-8")
