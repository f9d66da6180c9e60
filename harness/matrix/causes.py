"""The causes named in a baseline entry's reason.

The bundled adapters' expect.txt files give each entry a reason made of one
or more causes, each led by a label and a colon, joined by "; ":

    A: a comment's text loses its leading space; C: a CR at the end of a chunk waits
    2: an event without an id gets lastEventId ""
    F9-range (open): a retry value beyond its integer range is ignored

A reason without a label is one cause with an empty label.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

_LABEL = r"[A-Z0-9][A-Za-z0-9-]{0,15}(?: \(open\))?"
_START = re.compile(rf"^({_LABEL}): (.*)$", re.S)
_SPLIT = re.compile(rf";\s+(?={_LABEL}: )")


@dataclass(frozen=True)
class Cause:
    label: str      # "A", "2", "F9-range (open)", or "" for a reason with no label
    text: str

    def __str__(self) -> str:
        return f"{self.label}: {self.text}" if self.label else self.text


def split(reason: str) -> list[Cause]:
    """The causes of one reason, in the order written (none for an empty one)."""
    reason = reason.strip()
    if not reason:
        return []
    parts = _SPLIT.split(reason) if _START.match(reason) else [reason]
    out: list[Cause] = []
    for part in parts:
        m = _START.match(part.strip())
        cause = Cause(m.group(1), m.group(2).strip()) if m else Cause("", part.strip())
        if cause not in out:
            out.append(cause)
    return out
