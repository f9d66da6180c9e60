"""The producer suite's verdict rule (docs/server-adapter-protocol.md, "Rules
for the harness"), for encode answers and for what a served stream
delivered:

- pass: the bytes decode, with the reference parser, to exactly the intended
  records (CR and CRLF inside data or a comment may come back as LF: the
  format carries no other line break); or the library refused a message
  that the format cannot carry as given (harness/server_suite/intent.py);
- warning: the library wrote, removed or replaced only such an uncarriable
  value (the client loses or alters it) instead of refusing it, nothing else
  changed; or it added comments of its own (a keep-alive) between the
  intended records: a comment is not a field;
- fail: anything else extra, missing or altered; reported as injection,
  naming the field, when a field or event was forged from a value.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.core.records import Record
from harness.core.results import FAIL, PASS, WARNING
from harness.protocol.server import Message
from harness.server_suite.intent import Forgery, forgeries, intend, lines_of


@dataclass
class Judgement:
    verdict: str
    reason: str = ""
    injection: list[Forgery] | None = None   # the forged fields found, if any
    intended: list[Record] | None = None
    decoded: list[Record] | None = None


def _present(f: Forgery, decoded: list[Record], intended: list[Record]) -> bool:
    """Whether the decoded records show forgery f (and the intention does not)."""
    def kinds(rs: list[Record], kind: str) -> list[Record]:
        return [r for r in rs if r["kind"] == kind]
    if f.field == "dispatch":
        return len(kinds(decoded, "event")) > len(kinds(intended, "event"))
    if f.field == "event":
        want = {r["type"] for r in kinds(intended, "event")}
        return any(r["type"] == f.value and f.value not in want for r in kinds(decoded, "event"))
    if f.field == "id":
        want = {r["lastEventId"] for r in intended if "lastEventId" in r}
        return any(r.get("lastEventId") == f.value and f.value not in want for r in decoded)
    if f.field == "retry":
        if not f.value.isdigit() or not f.value.isascii():
            return False
        want = {r["ms"] for r in kinds(intended, "retry")}
        return any(r["ms"] == int(f.value) and int(f.value) not in want
                   for r in kinds(decoded, "retry"))
    if f.field == "data":
        want = {line for r in kinds(intended, "event") for line in r["data"].split("\n")}
        got = {line for r in kinds(decoded, "event") for line in r["data"].split("\n")}
        return f.value in got and (f.value not in want or
                                   len(kinds(decoded, "event")) > len(kinds(intended, "event")))
    return False


def _commented(messages: list[Message], decoded: list[Record]) -> set[int]:
    """The messages whose comment value came out as comment lines, every line
    of it in order (`: line` or `:line`): nothing of theirs was read as a
    field, whatever else the bytes forged."""
    texts = [r["text"] for r in decoded if r["kind"] == "comment"]
    out: set[int] = set()
    at = 0
    for i, m in enumerate(messages):
        if "comment" not in m:
            continue
        start, ok = at, True
        for line in lines_of(m["comment"]):
            while at < len(texts) and texts[at] not in (line, " " + line):
                at += 1
            if at == len(texts):
                ok = False
                break
            at += 1
        if ok:
            out.add(i)
        else:
            at = start
    return out


def _masked(records: list[Record], messages: list[Message], intended_sources: list[int] | None,
            bad: dict[int, list[str]]) -> list[Record]:
    """records with the values that stand for uncarriable ones replaced by a
    mask: event types of events whose type was uncarriable, and lastEventIds
    while an uncarriable id would be the last one; uncarriable comments are
    dropped. Applied to both sides, it says whether only those values differ."""
    masked_types = {i for i, fields in bad.items() if "event" in fields}
    out: list[Record] = []
    # which lastEventIds an uncarriable id governs: from its message on, until
    # the next carriable id
    id_open = False
    ev_index = 0
    event_msgs = [i for i, m in enumerate(messages) if "data" in m]
    id_masked_events: set[int] = set()
    for n, i in enumerate(event_msgs):
        m = messages[i]
        if "id" in m:
            id_open = "id" in bad.get(i, [])
        if id_open:
            id_masked_events.add(n)
    comment_bad = any("comment" in f for f in bad.values())
    for r in records:
        r = dict(r)
        if r["kind"] == "comment" and comment_bad:
            continue
        if r["kind"] == "event":
            if ev_index < len(event_msgs) and event_msgs[ev_index] in masked_types:
                r["type"] = "*"
            if ev_index in id_masked_events:
                r["lastEventId"] = "*"
            ev_index += 1
        if r["kind"] == "end" and id_open:
            r["lastEventId"] = "*"
        out.append(r)
    return out


def _strip_added(intended: list[Record], decoded: list[Record]) -> tuple[list[Record], list[str]]:
    """decoded without the comments the library put in of its own (a
    keep-alive) where the intention has none, and what they said."""
    want = {r["text"] for r in intended if r["kind"] == "comment"}
    kept, added = [], []
    for r in decoded:
        if r["kind"] == "comment" and r["text"] not in want:
            added.append(repr(r["text"][:40]))
        else:
            kept.append(r)
    return kept, added


def _first_difference(intended: list[Record], decoded: list[Record]) -> str:
    for n, (a, b) in enumerate(zip(intended, decoded)):
        if a != b:
            if a["kind"] != b["kind"]:
                return f"record {n + 1} is a {b['kind']}, expected a {a['kind']}"
            keys = [k for k in a if a.get(k) != b.get(k)]
            return f"record {n + 1} ({a['kind']}) differs in {', '.join(keys)}"
    if len(decoded) > len(intended):
        return f"{len(decoded) - len(intended)} records more than intended"
    return f"{len(intended) - len(decoded)} records fewer than intended"


def judge_bytes(messages: list[Message], decoded: list[Record]) -> Judgement:
    """The verdict of bytes a library produced for messages, decoded by the
    reference parser into decoded (event, retry, comment, end records)."""
    it = intend(messages)
    intended = it.records
    if decoded == intended:
        return Judgement(PASS, intended=intended, decoded=decoded)
    commented = _commented(messages, decoded)
    forged = [f for f in forgeries(messages)
              if not (f.source == "comment" and f.message in commented)
              and _present(f, decoded, intended)]
    if forged:
        fields = ", ".join(dict.fromkeys(f.describe() for f in forged))
        return Judgement(FAIL, f"injection: {fields}", forged, intended, decoded)
    kept, added = _strip_added(intended, decoded)
    also = (f"; it also added the comment{'s' if len(added) > 1 else ''} "
            f"{', '.join(dict.fromkeys(added[:3]))}") if added else ""
    if added and kept == intended:
        return Judgement(WARNING, f"the library added the comment{'s' if len(added) > 1 else ''} "
                         f"{', '.join(dict.fromkeys(added[:3]))} nobody asked for",
                         intended=intended, decoded=decoded)
    if it.uncarriable and _masked(kept, messages, None, it.uncarriable) == \
            _masked(intended, messages, None, it.uncarriable):
        what = "; ".join(f"message {i + 1}'s {', '.join(fs)}" for i, fs in it.uncarriable.items())
        return Judgement(WARNING, f"the library wrote, removed or replaced a value the format "
                         f"cannot carry ({what}) instead of refusing it{also}", intended=intended,
                         decoded=decoded)
    # the first difference that is not an uncarriable value's (when there is one)
    a, b = intended, decoded
    if it.uncarriable:
        a = _masked(intended, messages, None, it.uncarriable)
        b = _masked(kept, messages, None, it.uncarriable)
    return Judgement(FAIL, f"the bytes decode to other records: "
                     f"{_first_difference(a, b)}", intended=intended, decoded=decoded)


def judge_refusal(messages: list[Message], error: str) -> Judgement:
    """The verdict of a library that refused the messages (answered error)."""
    it = intend(messages)
    if it.uncarriable:
        what = "; ".join(f"message {i + 1}'s {', '.join(fs)}" for i, fs in it.uncarriable.items())
        return Judgement(PASS, f"refused what the format cannot carry ({what}): {error}",
                         intended=it.records)
    return Judgement(FAIL, f"refused messages the format can carry: {error}",
                     intended=it.records)


__all__ = ["Judgement", "judge_bytes", "judge_refusal", "lines_of"]
