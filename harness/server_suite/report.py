"""The producer suite's failure reports: the messages a caller asked for
(as case-file lines), the bytes the library produced (escaped), and the
records they decode to against the intended ones."""

from __future__ import annotations

from harness.core.records import diff
from harness.core.report import capped, escape, stderr_lines
from harness.core.results import Result
from harness.core.rules import RULES
from harness.protocol.server import Message
from harness.server_suite.cases import message_line

SHOW_MESSAGES = 12


def encode_failure(result: Result, about: str, attack: str | None, messages: list[Message],
                   data: bytes | None, rerun: list[str]) -> str:
    rule = RULES.get(result.rule)
    out = [f"{result.verdict.upper()} {result.id}",
           f"  rule:     {result.rule} {rule.title if rule else ''}"]
    if attack:
        a = RULES.get(attack)
        out.append(f"  attack:   {attack} {a.title if a else ''}")
    out += [f"  about:    {about}", f"  reason:   {result.reason}",
            f"  messages ({len(messages)}):"]
    out += [f"    {message_line(m)[len('message '):][:300]}" for m in messages[:SHOW_MESSAGES]]
    if len(messages) > SHOW_MESSAGES:
        out.append(f"    ... ({len(messages) - SHOW_MESSAGES} more)")
    if result.error is not None:
        out.append(f"  refused:  {result.error[:500]}")
    if data is not None:
        out.append(f"  bytes:    {len(data)}: {escape(data)}")
    if result.actual is not None:
        out.append("  records (- intended, + decoded by the reference parser):")
        out += ["    " + d for d in capped(diff(result.expected or [], result.actual))]
    out += stderr_lines(result.stderr)
    out += [f"  {r}" for r in rerun]
    return "\n".join(out)
