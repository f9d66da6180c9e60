"""Records: restricting to the kinds an adapter reports, and showing them."""

from __future__ import annotations

import difflib
import json
from typing import Iterable

Record = dict


def restrict(records: Iterable[Record], kinds: Iterable[str]) -> list[Record]:
    """The records whose kind is one of kinds, in order."""
    keep = set(kinds)
    return [r for r in records if r.get("kind") in keep]


def check_records(records: object) -> str | None:
    """None when records is a list of objects with a string kind, else what is wrong."""
    if not isinstance(records, list):
        return '"records" is not a list'
    for i, r in enumerate(records):
        if not isinstance(r, dict):
            return f"record {i} is not an object"
        if not isinstance(r.get("kind"), str):
            return f'record {i} has no "kind" string'
    return None


def line(record: Record) -> str:
    """One record as one line of JSON; keys in protocol order, every
    non-ASCII or control character escaped so that nothing is invisible."""
    order = {"kind": 0, "type": 1, "data": 2, "ms": 2, "text": 2, "lastEventId": 3}
    ordered = dict(sorted(record.items(), key=lambda kv: (order.get(kv[0], 9), kv[0])))
    return json.dumps(ordered, ensure_ascii=True)


def shorten(text: str, limit: int = 200, at: int | None = None) -> str:
    """text cut to about limit characters, around position at if given."""
    if len(text) <= limit:
        return text
    if at is None or at < limit * 2 // 3:
        head, tail = limit * 2 // 3, limit // 3
        return f"{text[:head]} ...[{len(text) - head - tail} chars]... {text[-tail:]}"
    start = max(0, at - limit // 3)
    end = min(len(text), start + limit)
    out = f"{text[:40]} ...[{start - 40} chars]... {text[start:end]}"
    if end < len(text):
        out += f" ...[{len(text) - end} chars]"
    return out


def first_difference(a: list[str], b: list[str]) -> tuple[int, int] | None:
    """(line index, character index) of the first difference of two line lists."""
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            j = next((k for k, (c, d) in enumerate(zip(x, y)) if c != d), min(len(x), len(y)))
            return i, j
    if len(a) != len(b):
        return min(len(a), len(b)), 0
    return None


def diff(expected: list[Record], actual: list[Record], width: int = 200) -> list[str]:
    """A unified diff of one-record-per-line JSON, long lines shortened
    around the first difference."""
    a = [line(r) for r in expected]
    b = [line(r) for r in actual]
    first = first_difference(a, b)
    at = first[1] if first else None
    out = []
    for d in difflib.unified_diff(a, b, "expected", "actual", lineterm="", n=2):
        if d.startswith(("---", "+++", "@@")):
            out.append(d)
        else:
            out.append(d[0] + shorten(d[1:], width, at))
    if first and first[1] > width // 2:
        out.append(f"(first difference: record {first[0] + 1}, character {first[1] + 1})")
    return out
