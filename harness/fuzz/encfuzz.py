"""`./ssespec fuzz --server CMD|NAME`: fuzzing a producer's encoder through
the server adapter protocol (docs/fuzzing.md, "Fuzzing an encoder").

Message sequences are generated with values biased toward what breaks
encoders (CR, LF, CRLF, U+0000, U+FEFF, colons, spaces, text that looks
like a field, non-ASCII), restricted to the fields the adapter's hello
lists. They go to the adapter in pipelined batches; every answer is decoded
with the reference parser (harness/server_suite/decode.py) and judged by
the producer suite's own rule (harness/server_suite/judge.py). Each distinct
failure (its signature: the verdict's kind and the fields it names) is
minimized (fewer messages, fewer fields, shorter values; every candidate
re-checked) and written as an encoder case file, ready for review and for
corpus/producers.

Exit status: 0 nothing failed (warnings allowed), 1 a failure, 2 not done.
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import BUILD
from harness.core.results import FAIL, WARNING
from harness.protocol.server import (AdapterFailure, Message, ServerAdapterProcess, ServerHello,
                                     ServerHelloError, decode_encode_answer, encode_request)
from harness.server_suite.cases import encode_case_text
from harness.server_suite.decode import Decoder
from harness.server_suite.judge import Judgement, judge_bytes, judge_refusal
from harness.setup import bundled

BATCH = 200
TIMEOUT = 10.0
MINIMIZE_SECONDS = 20.0
PIECES = ["\n", "\r", "\r\n", "\n\r", "\r\r", "\n\n", "\0", "\ufeff", ":", " ", "  ", "data:",
          "data: x", "event: e", "id: 1", "retry: 1", ":c", "é", "😀", "\u2028", "x", "ab", ""]


@dataclass
class Finding:
    signature: str
    messages: list[Message]
    judgement: Judgement
    data: bytes | None
    seen: int = 1
    path: Path | None = None


class Generator:
    def __init__(self, seed: int, fields: list[str]) -> None:
        self.r = random.Random(seed)
        self.fields = fields

    def value(self) -> str:
        r = self.r
        parts = [r.choice(PIECES) if r.random() < 0.7 else
                 "".join(chr(r.randrange(0x20, 0x7f)) for _ in range(r.randrange(1, 5)))
                 for _ in range(r.randrange(0, 6))]
        return "".join(parts)

    def message(self) -> Message:
        r = self.r
        kinds = ["event"] * 6 + (["comment"] if "comment" in self.fields else []) + \
            (["retry"] if "retry" in self.fields else [])
        kind = r.choice(kinds)
        if kind == "comment":
            return {"comment": self.value()}
        if kind == "retry":
            # 2^53-1: the largest the suite asks (exact in every JSON reader)
            return {"retry": r.choice([0, 1, 3000, 2**31, 2**53 - 1])}
        m: Message = {"data": self.value()}
        for f in ("event", "id"):
            if f in self.fields and r.random() < 0.4:
                m[f] = self.value()
        if "retry" in self.fields and r.random() < 0.1:
            m["retry"] = r.randrange(0, 10000)
        return m

    def sequence(self) -> list[Message]:
        return [self.message() for _ in range(self.r.randrange(1, 4))]


def signature(j: Judgement) -> str:
    """What kind of failure: the reason without the message numbers and
    values, so that one cause is reported once."""
    reason = re.sub(r"message \d+'s", "message N's", j.reason)
    if reason.startswith("injection: "):   # each forged field once
        reason = "injection: " + ", ".join(dict.fromkeys(reason[11:].split(", ")))
    reason = re.sub(r"record \d+", "record N", reason)
    reason = re.sub(r"\d+ records (more|fewer)", r"records \1", reason)
    if reason.startswith("refused messages the format can carry"):
        return "refused messages the format can carry"
    return reason


class Campaign:
    def __init__(self, proc: ServerAdapterProcess, argv: list[str], decoder: Decoder,
                 timeout: float) -> None:
        self.proc = proc
        self.argv = argv
        self.decoder = decoder
        self.timeout = timeout
        self.cases = 0
        self.restarts = 0

    def restart(self) -> None:
        self.proc.kill()
        self.proc = ServerAdapterProcess(self.argv)
        try:
            self.proc.start(30)
        except ServerHelloError as e:
            raise Fatal(f"restarting the adapter: {e}") from None
        self.restarts += 1

    def evaluate(self, batch: list[list[Message]]) -> list[tuple[Judgement, bytes | None]]:
        """Encode, decode and judge every sequence of batch."""
        ids = [f"f{self.cases + n}" for n in range(len(batch))]
        self.cases += len(batch)
        try:
            lines = self.proc.pipeline([encode_request(i, ms) for i, ms in zip(ids, batch)],
                                       self.timeout)
        except AdapterFailure as e:
            self.restart()
            return [(Judgement(FAIL, f"the adapter failed: {e}"), None) for _ in batch]
        answers = []
        for i, line in zip(ids, lines):
            try:
                answers.append(decode_encode_answer(line, i))
            except AdapterFailure as e:
                answers.append(e)
        datas = [a.data for a in answers if not isinstance(a, Exception) and a.data is not None]
        decoded = iter(self.decoder.decode_many(datas)) if datas else iter(())
        out: list[tuple[Judgement, bytes | None]] = []
        for ms, a in zip(batch, answers):
            if isinstance(a, Exception):
                out.append((Judgement(FAIL, f"a broken answer: {a}"), None))
            elif a.error is not None:
                out.append((judge_refusal(ms, a.error), None))
            else:
                out.append((judge_bytes(ms, next(decoded)), a.data))
        return out

    def minimize(self, messages: list[Message], sig: str, seconds: float) -> list[Message]:
        """Fewer messages, then fewer fields, then shorter values, keeping
        the signature."""
        deadline = time.monotonic() + seconds
        best = [dict(m) for m in messages]

        def same(cands: list[list[Message]]) -> list[Message] | None:
            for cand, (j, _) in zip(cands, self.evaluate(cands)):
                if j.verdict == FAIL and signature(j) == sig:
                    return cand
            return None

        changed = True
        while changed and time.monotonic() < deadline:
            changed = False
            cands = [best[:i] + best[i + 1:] for i in range(len(best)) if len(best) > 1]
            for i, m in enumerate(best):
                for k in list(m):
                    if k != "data" or "comment" in m:
                        if len(m) > 1:
                            cands.append(best[:i] + [{x: v for x, v in m.items() if x != k}] +
                                         best[i + 1:])
                for k, v in m.items():
                    if isinstance(v, str) and v:
                        for a, b in ((0, len(v) // 2), (len(v) // 2, len(v))):
                            cands.append(best[:i] + [{**m, k: v[:a] + v[b:]}] + best[i + 1:])
                        for j in range(len(v)):
                            cands.append(best[:i] + [{**m, k: v[:j] + v[j + 1:]}] + best[i + 1:])
            for start in range(0, len(cands), BATCH):
                found = same(cands[start:start + BATCH])
                if found is not None:
                    best, changed = found, True
                    break
        return best


def run(args: argparse.Namespace) -> int:
    if args.seconds < 1:
        raise Fatal("--seconds must be at least 1")
    impl = bundled.resolve(args.server, "server", build_kind=args.build)
    seed = args.seed if args.seed is not None else int.from_bytes(hashlib.sha1(
        str(time.time_ns()).encode()).digest()[:4], "big")
    proc = ServerAdapterProcess(impl.argv)
    try:
        hello: ServerHello = proc.start(30)
    except ServerHelloError as e:
        raise Fatal(f"{e} (adapter: {impl.label})") from None
    if not hello.encode:
        proc.kill()
        raise Fatal(f"{hello.name} answers no encode requests (its hello has no "
                    "\"encode\": true): nothing to fuzz")
    decoder = Decoder(args.build)
    decoder.start()
    camp = Campaign(proc, impl.argv, decoder, args.timeout)
    gen = Generator(seed, hello.fields)
    # by the adapter's label, not its hello name: two versions of one library
    # (h3 and h3-1.15.5) keep their findings apart
    out = Path(args.out) if args.out else BUILD / "fuzz" / "encoder" / re.sub(
        r"[^a-z0-9.-]+", "-", impl.label.lower()).strip("-")[:64]
    found: dict[str, Finding] = {}
    warnings: dict[str, int] = {}
    print(f"ssespec fuzz --server {args.server}: {hello.name} {hello.version}, seed {seed}, "
          f"{args.seconds} s, fields {', '.join(hello.fields)}", file=sys.stderr, flush=True)
    t0 = time.monotonic()
    deadline = t0 + args.seconds
    fuzz_seconds = 0.0
    generated = 0
    try:
        while time.monotonic() < deadline:
            batch = [gen.sequence() for _ in range(args.batch)]
            t1 = time.monotonic()
            results = camp.evaluate(batch)
            fuzz_seconds += time.monotonic() - t1
            generated += len(batch)
            for ms, (j, data) in zip(batch, results):
                if args.max_failures and len(found) >= args.max_failures:
                    break
                if j.verdict == WARNING:
                    s = signature(j)
                    warnings[s] = warnings.get(s, 0) + 1
                if j.verdict != FAIL:
                    continue
                sig = signature(j)
                if sig in found:
                    found[sig].seen += 1
                    continue
                budget = min(args.minimize_seconds, max(0.0, deadline - time.monotonic()))
                small = camp.minimize(ms, sig, budget)
                (jj, dd), = camp.evaluate([small])
                f = Finding(sig, small, jj, dd)
                found[sig] = f
                write_case(f, out, hello, seed)
                if args.verbose:
                    print(f"  new: {sig}", file=sys.stderr, flush=True)
            if args.max_failures and len(found) >= args.max_failures:
                break
    finally:
        camp.proc.stop()
        decoder.stop()
    elapsed = time.monotonic() - t0
    rate = generated / fuzz_seconds if fuzz_seconds else 0.0
    print(f"fuzz --server: {generated} sequences in {elapsed:.1f} s ({rate:,.0f} per second "
          f"while generating; {camp.cases - generated} more checked while minimizing), "
          f"{len(found)} distinct failures, {sum(warnings.values())} warnings, "
          f"{camp.restarts} restarts")
    for f in found.values():
        print(f"  FAIL {f.signature}  (seen {f.seen} times)")
        print(f"       {f.path}")
    for s, n in warnings.items():
        print(f"  WARN {s}  (seen {n} times)")
    return 1 if found else 0


def write_case(f: Finding, out: Path, hello: ServerHello, seed: int) -> None:
    out.mkdir(parents=True, exist_ok=True)
    # the signature's start, then a digest of all of it: two failures whose
    # signatures share the first 48 characters do not overwrite each other
    slug = (re.sub(r"[^a-z0-9]+", "-", f.signature.lower()).strip("-")[:48].rstrip("-")
            or "failure") + "-" + hashlib.sha1(f.signature.encode()).hexdigest()[:8]
    injection = f.signature.startswith("injection")
    rule = "P1" if injection and "data value" in f.signature else \
        "P2" if injection else "P5"
    comments = [f"Found by `ssespec fuzz --server` (seed {seed}) on {hello.name} {hello.version}:",
                f"{f.signature}.",
                "Minimized; the rule is a guess from the failure: review the case before",
                "moving it into corpus/producers."]
    text = encode_case_text(f"fuzzing found {hello.name} failing: {f.signature}"[:200], rule,
                            f.messages, "L1" if injection else None, comments)
    path = out / f"{slug}.encode"
    path.write_text(text, encoding="utf-8")
    f.path = path
