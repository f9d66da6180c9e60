"""Every parser case as a client scenario (docs/client-suite.md, "Parser
cases over the wire").

A case's bytes become the body of one connection: its chunks as separate
HTTP chunks and separate TCP writes 30 ms apart, so that they reach the
client as separate reads (over TLS and h2 as well); then the connection is
held open, so the client neither reconnects nor sees the body end. The
expected records are the case's events, with their lastEventId, after the
client's `open`; the records a client API cannot observe (comments, retry,
the end-of-stream record) drop out, the way the parser suite restricts
kinds. Holding the connection changes no event: what the end of a stream
would discard (a pending event, text after the last line ending) is never
dispatched either, and a CR at the very end acts at once (L2, L3).

What a connection cannot carry is said, per case, in `unfit()`.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.core.cases import Case
from harness.core.strings import expression_of, quote_text, text_expression_of

GAP_CHUNKS = 64             # chunks beyond this many are written without the 30 ms gaps
MAX_BYTES = 16 << 20        # input + expected data a generated scenario may hold (the
#                             server's limit for one scenario's strings is 64 MiB)
BASE_TIMEOUT = 10.0


@dataclass
class Generated:
    case: str
    name: str               # the scenario's name: cases/NAME
    text: str | None        # the scenario file, or None when the case cannot be carried
    why_not: str = ""


def _scenario_string(expr: str) -> str:
    """A case-file string expression in the scenario syntax: a literal `{`
    is written `\\{` there (templates use braces); escapes stay as they are."""
    out = []
    i = 0
    while i < len(expr):
        c = expr[i]
        if c == "\\":
            if expr.startswith("\\u{", i):
                j = expr.index("}", i)
                out.append(expr[i:j + 1])
                i = j + 1
            else:
                out.append(expr[i:i + 2])
                i += 2
            continue
        out.append("\\{" if c == "{" else c)
        i += 1
    return "".join(out)


def unfit(case: Case) -> str | None:
    """Why a connection cannot carry this case, or None."""
    size = len(case.input) + sum(len(r.get("data", "")) for r in case.records)
    if size > MAX_BYTES:
        return (f"its input and expected data ({size} bytes) are over the {MAX_BYTES >> 20} MiB a "
                "generated scenario holds; the parser suite covers it")
    return None


def generate(case: Case, prefix: str = "cases/") -> Generated:
    name = prefix + case.name
    why = unfit(case)
    if why:
        return Generated(case.name, name, None, why)
    events = [r for r in case.records if r["kind"] == "event"]
    chunks = [c for c in case.chunks if c]         # an empty write is nothing on the wire
    types = sorted({r["type"] for r in events if r["type"] != "message"})
    lines = [f"# Generated from the parser case {case.name}: its chunks as one connection's",
             "# body, then the connection held; its events expected (docs/client-suite.md).",
             f"about {case.about} (parser case over the wire)",
             f"rule {case.rule}"]
    if case.open_reason:
        lines.append(f"open {case.open_reason}")
    if types:
        lines.append("types " + " ".join(_scenario_string(quote_text(t)) for t in types))
    gaps = min(len(chunks), GAP_CHUNKS) * 0.03
    lines.append(f"timeout {BASE_TIMEOUT + gaps + len(case.input) / (4 << 20):.1f}")
    lines += ["", "connection"]
    if chunks:
        spaced = chunks[:GAP_CHUNKS]
        lines.append("  send-chunks " + " | ".join(_scenario_string(expression_of(c))
                                                   for c in spaced))
        rest = chunks[GAP_CHUNKS:]
        for c in rest:   # their own HTTP chunks, without the gaps
            lines.append(f"  send {_scenario_string(expression_of(c))}")
    lines += ["  hold", "", "expect open"]
    for r in events:
        e = f"expect event data={_scenario_string(text_expression_of(r['data']))}"
        if r["type"] != "message":
            e += f" type={_scenario_string(quote_text(r['type']))}"
        if r["lastEventId"]:
            e += f" id={_scenario_string(quote_text(r['lastEventId']))}"
        lines.append(e)
    return Generated(case.name, name, "\n".join(lines) + "\n")


def write_all(cases: list[Case], root: Path) -> dict[str, Generated]:
    """Write a scenario file below root/cases/ for every case that a
    connection can carry; every case's Generated, by scenario name."""
    out: dict[str, Generated] = {}
    for case in cases:
        g = generate(case)
        out[g.name] = g
        if g.text is not None:
            path = root / f"{g.name}.scenario"
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(g.text, encoding="utf-8")
    return out
