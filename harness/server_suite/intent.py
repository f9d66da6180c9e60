"""What a caller's messages must decode to (docs/server-suite.md,
"Verdicts"): the records a client's parser gives for a stream that carries
exactly these messages, under the standard's parsing rules; which values
the format cannot carry as given; and which fields a value would forge if
a producer wrote its line breaks raw.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from harness.core.records import Record
from harness.protocol.server import Message

LINE_BREAK = re.compile(r"\r\n|\r|\n")
FIELD_NAMES = ("data", "event", "id", "retry")


def lines_of(value: str) -> list[str]:
    """The value's lines, split at CRLF, LF and lone CR (9.2.6)."""
    return LINE_BREAK.split(value)


def uncarriable(m: Message) -> list[str]:
    """The fields of m the format cannot carry as given (P2, P3): an event
    type or id with CR or LF, an id with U+0000, a comment with CR or LF
    (which may also be split into several comment lines)."""
    out = []
    for k in ("event", "id"):
        if k in m and ("\r" in m[k] or "\n" in m[k]):
            out.append(k)
    if "id" in m and "\0" in m["id"] and "id" not in out:
        out.append("id")
    if "comment" in m and ("\r" in m["comment"] or "\n" in m["comment"]):
        out.append("comment")
    return out


@dataclass
class Intent:
    """The records the messages must decode to, and where they come from."""

    records: list[Record]        # events, comments, retries, then one end record
    sources: list[int]           # for each record, the index of its message (-1: end)
    uncarriable: dict[int, list[str]]   # message index -> fields it cannot carry


def intend(messages: list[Message]) -> Intent:
    """The records a client's parser gives for messages written exactly:
    data's line breaks as LF, the type message when none (or an empty one)
    is given, lastEventId the last id given so far, a comment with line
    breaks as one comment per line."""
    records: list[Record] = []
    sources: list[int] = []
    bad: dict[int, list[str]] = {}
    last_id = ""
    for i, m in enumerate(messages):
        u = uncarriable(m)
        if u:
            bad[i] = u
        if "comment" in m:
            for text in lines_of(m["comment"]):
                records.append({"kind": "comment", "text": text})
                sources.append(i)
            continue
        if "retry" in m:
            records.append({"kind": "retry", "ms": m["retry"]})
            sources.append(i)
        if "id" in m:
            last_id = m["id"]
        if "data" in m:
            records.append({"kind": "event", "type": m.get("event") or "message",
                            "data": "\n".join(lines_of(m["data"])), "lastEventId": last_id})
            sources.append(i)
    records.append({"kind": "end", "lastEventId": last_id})
    sources.append(-1)
    return Intent(records, sources, bad)


@dataclass(frozen=True)
class Forgery:
    """A field that a value would forge if its line breaks were written raw."""

    message: int          # index of the message whose value holds it
    source: str           # the field of that message (data, event, id, comment)
    field: str            # what the rest of the value would be read as: data, event,
    #                       id, retry, or "dispatch" (an empty line)
    value: str

    def describe(self) -> str:
        if self.field == "dispatch":
            return f"an event dispatched early by an empty line in message {self.message + 1}'s " \
                f"{self.source} value"
        article = "an" if self.field[0] in "aeiou" else "a"
        return f"{article} {self.field} field forged from message {self.message + 1}'s " \
            f"{self.source} value"


def forgeries(messages: list[Message]) -> list[Forgery]:
    """Every field a value's later lines would read as (9.2.6: a line
    `name: value`, `name`, or an empty line that dispatches)."""
    out: list[Forgery] = []
    for i, m in enumerate(messages):
        for src in ("data", "event", "id", "comment"):
            if src not in m:
                continue
            for line in lines_of(m[src])[1:]:
                if line == "":
                    out.append(Forgery(i, src, "dispatch", ""))
                    continue
                if line.startswith(":"):
                    continue
                name, colon, value = line.partition(":")
                if colon and value.startswith(" "):
                    value = value[1:]
                if name in FIELD_NAMES:
                    out.append(Forgery(i, src, name, value))
    return out
