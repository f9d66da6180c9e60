"""Text reports: failures, the summary line and the per-rule table."""

from __future__ import annotations

from .records import diff, line, shorten
from .results import FAIL, INFORMATIONAL, PASS, SKIPPED, Result, Run
from .rules import RULES

RUN_MIN = 16          # a run of this many equal bytes is shown as "x" * N
SHOW_INPUT = 600      # characters of escaped input shown before eliding the middle
SHOW_CHUNKS = 16      # chunks listed one by one when there are at most this many
STDERR_SHOW = 2048    # bytes of adapter stderr shown in a report

_SIMPLE = {0x5C: "\\\\", 0x22: '\\"', 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x00: "\\0"}


def _lit(data: bytes) -> str:
    out = []
    for b in data:
        if b in _SIMPLE:
            out.append(_SIMPLE[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02x}")
    return '"' + "".join(out) + '"'


def escape(data: bytes, limit: int = SHOW_INPUT) -> str:
    """data in the case-file string syntax ("...", \\n, \\xHH; runs of one
    byte as "x" * N), the middle elided when longer than limit characters."""
    if not data:
        return '""'
    parts: list[str] = []
    i = start = 0
    n = len(data)
    while i < n:
        j = i
        while j < n and data[j] == data[i]:
            j += 1
        if j - i >= RUN_MIN:
            if start < i:
                parts.append(_lit(data[start:i]))
            parts.append(f"{_lit(data[i:i + 1])} * {j - i}")
            start = j
        i = j
    if start < n:
        parts.append(_lit(data[start:]))
    text = " + ".join(parts)
    if len(text) > limit:
        head, tail = limit * 2 // 3, limit // 3
        text = f"{text[:head]} ...[{len(text) - head - tail} characters elided]... {text[-tail:]}"
    return text


def describe_chunks(chunks: list[bytes]) -> list[str]:
    """Lines describing how the input was split."""
    n = len(chunks)
    if n == 0:
        return ["no chunks (an empty stream)"]
    sizes = [len(c) for c in chunks]
    total = sum(sizes)
    if n > 1 and all(s == 1 for s in sizes):
        return [f"{n} chunks of one byte each"]
    if n <= SHOW_CHUNKS and total <= SHOW_INPUT:
        lines = [f"{n} chunk{'s' if n > 1 else ''}, lengths {', '.join(map(str, sizes))}:"]
        lines += [f"  [{i}] {escape(c)}" for i, c in enumerate(chunks)]
        return lines
    shown = ", ".join(map(str, sizes[:SHOW_CHUNKS]))
    more = f", ... ({n - SHOW_CHUNKS} more)" if n > SHOW_CHUNKS else ""
    return [f"{n} chunk{'s' if n > 1 else ''}, length{'s' if n > 1 else ''} {shown}{more}"]


def failure(result: Result, about: str, chunks: list[bytes], kinds: list[str]) -> str:
    """The full report of a failed or informational variant."""
    rule = RULES.get(result.rule)
    title = rule.title if rule else ""
    data = b"".join(chunks)
    out = [
        f"{'FAIL' if result.verdict == FAIL else 'INFORMATIONAL'} {result.id}",
        f"  rule:   {result.rule} {title}",
        f"  about:  {about}",
        f"  reason: {result.reason}",
        f"  input:  {len(data)} bytes: {escape(data)}",
    ]
    ch = describe_chunks(chunks)
    out.append(f"  chunks: {ch[0]}")
    out += ["          " + c for c in ch[1:]]
    if result.actual is not None:
        out.append(f"  records (- expected, + actual; kinds compared: {', '.join(kinds)}):")
        out += ["    " + d for d in diff(result.expected or [], result.actual)]
    else:
        out.append("  expected records:")
        out += ["     " + shorten(line(r)) for r in result.expected or []]
    if result.stderr:
        tail = result.stderr[-STDERR_SHOW:]
        cut = " (tail)" if len(result.stderr) > STDERR_SHOW else ""
        out.append(f"  adapter stderr{cut}:")
        out += ["    | " + s for s in tail.rstrip("\n").split("\n")]
    return "\n".join(out)


def summary_line(run: Run) -> str:
    s = run.summary()
    return (f"{s[PASS]} passed, {s[FAIL]} failed, {s[SKIPPED]} skipped, "
            f"{s[INFORMATIONAL]} informational ({s['total']} variants) in {run.seconds:.1f} s")


def rule_table(run: Run) -> list[str]:
    rows = run.by_rule()
    if not rows:
        return []
    lines = [f"{'rule':<13}{'pass':>7}{'fail':>7}{'skip':>7}{'info':>7}  title"]
    for rid, c in rows.items():
        rule = RULES.get(rid)
        title = rule.title if rule else "(unknown rule)"
        if len(title) > 60:
            title = title[:57] + "..."
        lines.append(f"{rid:<13}{c[PASS]:>7}{c[FAIL]:>7}{c[SKIPPED]:>7}{c[INFORMATIONAL]:>7}  {title}")
    return lines
