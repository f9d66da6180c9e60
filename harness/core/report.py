"""Text reports: failures, the summary line and the per-rule table."""

from __future__ import annotations

import json

from harness.core.records import diff, line, shorten
from harness.core.results import FAIL, INFORMATIONAL, PASS, SKIPPED, WARNING, Result, Run
from harness.core.rules import RULES
from harness.core.strings import SHOW_LIMIT, show

SHOW_INPUT = SHOW_LIMIT   # characters of escaped input shown before eliding the middle
SHOW_CHUNKS = 16         # chunks listed one by one when there are at most this many
STDERR_SHOW = 2048       # bytes of adapter stderr shown in a report
DIFF_LINES = 60          # lines of a records diff shown in a report


def escape(data: bytes, limit: int = SHOW_INPUT) -> str:
    """data in the case-file string syntax, the middle elided when long."""
    return show(data, limit)


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


def failure(result: Result, about: str, chunks: list[bytes], kinds: list[str],
            rerun: list[str] = ()) -> str:
    """The full report of a failed or informational variant; rerun holds the
    commands that rerun it and show its input."""
    rule = RULES.get(result.rule)
    title = rule.title if rule else ""
    data = b"".join(chunks)
    out = [
        f"{result.verdict.upper()} {result.id}",
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
        out += ["    " + d for d in capped(diff(result.expected or [], result.actual))]
    else:
        out.append("  expected records:")
        out += ["     " + d for d in capped([shorten(line(r)) for r in result.expected or []])]
    out += stderr_lines(result.stderr)
    out += [f"  {r}" for r in rerun]
    return "\n".join(out)


def capped(lines: list[str], limit: int = DIFF_LINES) -> list[str]:
    """At most limit lines, then one saying how many more there are."""
    if len(lines) <= limit:
        return lines
    return lines[:limit] + [f"... ({len(lines) - limit} more lines; --json FILE has them all)"]


def stderr_lines(stderr: str, label: str = "adapter stderr") -> list[str]:
    """The tail of what an adapter wrote on stderr, as report lines."""
    if not stderr.strip():
        return []
    tail = stderr[-STDERR_SHOW:]
    cut = " (tail)" if len(stderr) > STDERR_SHOW else ""
    return [f"  {label}{cut}:"] + ["    | " + s for s in tail.rstrip("\n").split("\n")]


def summary_line(run: Run) -> str:
    s = run.summary()
    return (f"{s[PASS]} passed, {s[FAIL]} failed, {s[SKIPPED]} skipped, "
            f"{s[INFORMATIONAL]} informational"
            f"{', ' + plural(s[WARNING], 'warning') if s[WARNING] else ''} "
            f"({plural(s['total'], 'variant')}) in "
            f"{run.seconds:.1f} s")


def machine_line(run: Run, impl: str, comparison: object | None = None) -> str:
    """The one line a CI log can grep: `ssespec-result suite=... status=...`,
    key=value fields with no spaces in the values but impl (quoted)."""
    s = run.summary()
    fields = [f"suite={run.suite}", f"impl={json.dumps(impl)}", f"total={s['total']}",
              f"pass={s[PASS]}", f"fail={s[FAIL]}", f"skip={s[SKIPPED]}",
              f"info={s[INFORMATIONAL]}", f"warn={s[WARNING]}"]
    failing = s[FAIL]
    if comparison is not None:
        c = comparison
        failing = len(c.unexpected)  # type: ignore[attr-defined]
        fields += [f"expected-fail={len(c.expected)}", f"unexpected-fail={failing}",  # type: ignore[attr-defined]
                   f"fixed={len(c.fixed)}", f"changed={len(c.changed)}",  # type: ignore[attr-defined]
                   f"stale={len(c.stale)}"]  # type: ignore[attr-defined]
    fields.append(f"status={'fail' if failing else 'pass'}")
    return "ssespec-result " + " ".join(fields)


def plural(count: int, noun: str, nouns: str | None = None) -> str:
    """'1 variant', '2 variants' ('1 entry', '2 entries' with nouns given)."""
    return f"{count} {noun if count == 1 else nouns or noun + 's'}"


def rule_table(run: Run) -> list[str]:
    rows = run.by_rule()
    if not rows:
        return []
    warn = any(c[WARNING] for c in rows.values())   # a column only where there are any
    lines = [f"{'rule':<13}{'pass':>7}{'fail':>7}{'skip':>7}{'info':>7}"
             + (f"{'warn':>7}" if warn else "") + "  title"]
    for rid, c in rows.items():
        rule = RULES.get(rid)
        title = rule.title if rule else "(unknown rule)"
        if len(title) > 60:
            title = title[:57] + "..."
        lines.append(f"{rid:<13}{c[PASS]:>7}{c[FAIL]:>7}{c[SKIPPED]:>7}{c[INFORMATIONAL]:>7}"
                     + (f"{c[WARNING]:>7}" if warn else "") + f"  {title}")
    return lines
