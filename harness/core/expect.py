"""Expectation baselines (docs/results.md, "Baselines"): the variants an
implementation is known to fail, or to answer differently on an open point,
each with a reason. A run with a baseline fails only on what the baseline
does not expect, and says which expected failures now pass (fixed) and
which entries match nothing (stale).

The file is text, one entry a line, grouped by suite:

    # eventsource-parser 3.1.1: what it is known to get wrong
    suite parser
    fail  comments/leading-space-kept         comment text loses its leading space
    fail  line-endings/cr-end-of-chunk@split-7
    informational  rule:F9-empty             an empty retry resets the delay
    suite client
    fail  content-type/other-charset-still-utf8
    flaky close/close-while-reconnecting@tls  its close lands late under load

An entry is a verdict (fail, informational, or flaky: either way, never a
surprise), a selector and an optional reason to the end of the line. A
selector is a variant id (NAME@VARIANT: that variant; the plain variant is
NAME@whole in the parser suite and NAME@http in the client suite, since a
bare NAME is the case), a case or scenario name (every variant of it) or
rule:ID (every variant of that rule). The most specific entry decides:
variant, then case, then rule. Blank lines and lines starting with # are
ignored.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

from harness.core.results import FAIL, INFORMATIONAL, PASS, WARNING, Result

FLAKY = "flaky"     # a baseline verdict only: the variant may pass or fail
VERDICTS = (FAIL, INFORMATIONAL, FLAKY)
_SUITE = re.compile(r"^suite\s+(\S+)\s*$")
_ENTRY = re.compile(r"^(\S+)\s+(\S+)(?:\s+(.*?))?\s*$")
_SELECTOR = re.compile(r"^(rule:[A-Z][0-9]+(?:-[a-z-]+)?|[a-z0-9][a-z0-9/._-]*(?:@[a-z0-9-]+)?)$")


class ExpectError(ValueError):
    """A baseline file that does not follow the format: FILE:LINE: what."""


@dataclass(frozen=True)
class Entry:
    suite: str
    verdict: str
    selector: str
    reason: str
    line: int

    @property
    def kind(self) -> str:
        if self.selector.startswith("rule:"):
            return "rule"
        return "variant" if "@" in self.selector else "case"


@dataclass
class Baseline:
    path: Path
    entries: list[Entry] = field(default_factory=list)

    def for_suite(self, suite: str) -> "SuiteBaseline":
        return SuiteBaseline(self, [e for e in self.entries if e.suite == suite])


def parse(text: str, path: Path) -> Baseline:
    base = Baseline(path)
    suite: str | None = None
    seen: dict[tuple[str, str], int] = {}
    if text.startswith("\ufeff"):
        text = text[1:]
    for n, raw in enumerate(text.splitlines(), 1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        m = _SUITE.match(line)
        if m:
            suite = m.group(1)
            continue
        m = _ENTRY.match(line)
        if m is None:
            raise ExpectError(f"{path}:{n}: expected 'VERDICT SELECTOR [REASON]' or 'suite NAME'")
        verdict, selector, reason = m.group(1), m.group(2), m.group(3) or ""
        if suite is None:
            raise ExpectError(f"{path}:{n}: an entry before any 'suite NAME' line")
        if verdict not in VERDICTS:
            raise ExpectError(f"{path}:{n}: unknown verdict {verdict!r} "
                              f"(expected {', '.join(VERDICTS[:-1])} or {VERDICTS[-1]})")
        if not _SELECTOR.match(selector):
            raise ExpectError(f"{path}:{n}: {selector!r} is not a variant id, a case name or "
                              "rule:ID")
        key = (suite, selector)
        if key in seen:
            raise ExpectError(f"{path}:{n}: {selector} is listed twice (first on line "
                              f"{seen[key]})")
        seen[key] = n
        base.entries.append(Entry(suite, verdict, selector, reason, n))
    return base


def load(path: Path) -> Baseline:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ExpectError(f"{path}: a baseline is UTF-8 text ({e})") from None
    except OSError as e:
        raise ExpectError(f"{path}: cannot read: {e.strerror}") from None
    return parse(text, path)


@dataclass
class Comparison:
    """A run held against a baseline."""

    expected: list[Result] = field(default_factory=list)     # failed, as the baseline says
    #                                                  (or failed where it says flaky)
    unexpected: list[Result] = field(default_factory=list)   # failed, and not expected to
    fixed: list[tuple[Result, Entry]] = field(default_factory=list)  # passed, though listed
    changed: list[tuple[Result, Entry]] = field(default_factory=list)  # listed as one non-pass
    #                                                     verdict, got the other (not a failure)
    stale: list[Entry] = field(default_factory=list)          # entries that matched nothing

    def as_json(self) -> dict:
        return {"expected_failures": [r.id for r in self.expected],
                "unexpected_failures": [r.id for r in self.unexpected],
                "fixed": [r.id for r, _ in self.fixed],
                "changed": [{"id": r.id, "verdict": r.verdict, "baseline": e.verdict}
                            for r, e in self.changed],
                "stale": [f"{e.selector} (line {e.line})" for e in self.stale]}


@dataclass
class SuiteBaseline:
    baseline: Baseline
    entries: list[Entry]

    def entry_for(self, r: Result) -> Entry | None:
        best: Entry | None = None
        rank = {"variant": 0, "case": 1, "rule": 2}
        for e in self.entries:
            hit = (e.kind == "variant" and e.selector in (r.id, f"{r.case}@{r.variant}")) or \
                  (e.kind == "case" and e.selector == r.case) or \
                  (e.kind == "rule" and e.selector == f"rule:{r.rule}")
            if hit and (best is None or rank[e.kind] < rank[best.kind]):
                best = e
        return best

    def compare(self, results: Iterable[Result]) -> Comparison:
        c = Comparison()
        used: set[int] = set()
        for r in results:
            e = self.entry_for(r)
            if e is not None:
                used.add(id(e))
            if e is not None and e.verdict == FLAKY:
                if r.verdict == FAIL:
                    c.expected.append(r)
                continue
            if r.verdict == FAIL:
                if e is not None and e.verdict == FAIL:
                    c.expected.append(r)
                else:
                    c.unexpected.append(r)
            elif r.verdict == PASS and e is not None:
                c.fixed.append((r, e))
            elif r.verdict in (INFORMATIONAL, WARNING) and e is not None and e.verdict == FAIL:
                c.changed.append((r, e))
        c.stale = [e for e in self.entries if id(e) not in used]
        return c


def write(path: Path, runs: list[tuple[str, str, list[Result]]]) -> int:
    """Write a baseline of runs [(suite, implementation, results)]: every
    variant that did not pass, a case whose variants all share one verdict
    as one case entry (never flaky: one run cannot tell). Returns the
    number of entries."""
    out = ["# ssespec expectations baseline (docs/results.md, \"Baselines\").",
           "# Written by --write-expect; keep each reason short and true.", ""]
    count = 0
    for suite, impl, results in runs:
        out.append(f"# {suite} suite: {impl}")
        out.append(f"suite {suite}")
        by_case: dict[str, list[Result]] = {}
        for r in results:
            by_case.setdefault(r.case, []).append(r)
        for case, rs in by_case.items():
            bad = [r for r in rs if r.verdict in (FAIL, INFORMATIONAL)]
            if not bad:
                continue
            verdicts = {r.verdict for r in rs}
            if len(verdicts) == 1 and len(rs) > 1:
                out.append(_line(rs[0].verdict, case, rs[0].reason))
                count += 1
                continue
            for r in bad:
                # the plain variant by its variant name: a bare NAME is the case
                sel = r.id if r.id != r.case else f"{r.case}@{r.variant}"
                out.append(_line(r.verdict, sel, r.reason))
                count += 1
        out.append("")
    path.write_text("\n".join(out), encoding="utf-8")
    return count


def _line(verdict: str, selector: str, reason: str) -> str:
    reason = " ".join(reason.split())
    if len(reason) > 160:
        reason = reason[:157] + "..."
    return f"{verdict:<13} {selector:<60} {reason}".rstrip()
