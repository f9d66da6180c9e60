"""Parser case files (docs/case-format.md): the one reader (Case objects)
and the one writer (case_text), so that what fuzzing writes is what the
suite reads.

Every malformed file is rejected with a CaseError that names the file, the
line and what was wrong; nothing is guessed. The string syntax is
harness/core/strings.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.records import Record
from harness.core.rules import RULES
from harness.core.strings import (MAX_BYTES, MAX_REPEAT, RECORD_KEYWORDS, FormatError,
                                  expression_of, parse_record, whole_expression, write_record)

DEFAULT_TIMEOUT = 5.0
MAX_CASE_BYTES = MAX_BYTES  # generated input or expected text of one case
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")
VARIANT_NAMES = ("bytes", "splits")


class CaseError(FormatError):
    """A case file that does not follow the format."""


@dataclass
class Case:
    name: str
    path: Path
    about: str
    rule: str
    chunks: list[bytes]
    records: list[Record]
    open_reason: str | None = None
    timeout: float = DEFAULT_TIMEOUT
    skip_variants: dict[str, str] = field(default_factory=dict)

    @property
    def input(self) -> bytes:
        return b"".join(self.chunks)

    @property
    def kinds(self) -> set[str]:
        """The record kinds this case depends on."""
        return {r["kind"] for r in self.records}


# ---------------------------------------------------------------- parsing


ONCE_KEYWORDS = ("about", "rule", "open", "timeout")


def name_of(path: Path, root: Path) -> str:
    rel = path.relative_to(root).as_posix()
    if not rel.endswith(".case"):
        raise CaseError(f"{path}: a case file's name ends in .case")
    return rel[: -len(".case")]


def parse_case(text: str, name: str, path: Path) -> Case:
    """Parse the text of one case file."""
    if not NAME_RE.match(name):
        raise CaseError(f"{path}: case name {name!r} may use only a-z, 0-9, '-' and '/'")
    seen: dict[str, str] = {}
    chunks: list[bytes] = []
    records: list[Record] = []
    skips: dict[str, str] = {}
    timeout = DEFAULT_TIMEOUT
    total = 0
    for lineno, raw in enumerate(text.split("\n"), 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip("\r").strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        count = 1
        if keyword == "repeat":
            n, _, rest = args.strip().partition(" ")
            if not n.isdigit() or int(n) < 1 or int(n) > MAX_REPEAT:
                raise CaseError(f"{where}: repeat needs a count from 1 to {MAX_REPEAT}, got {n!r}")
            count = int(n)
            keyword, _, args = rest.strip().partition(" ")
            if keyword not in ("chunk",) + RECORD_KEYWORDS:
                raise CaseError(f"{where}: repeat applies to chunk or a record, not {keyword!r}")
        if keyword in ONCE_KEYWORDS:
            if keyword in seen:
                raise CaseError(f"{where}: {keyword} given twice")
            if not args.strip():
                raise CaseError(f"{where}: {keyword} needs a value")
            seen[keyword] = args.strip()
            if keyword == "rule" and args.strip() not in RULES:
                raise CaseError(f"{where}: unknown rule {args.strip()!r} (see docs/rules.md)")
            if keyword == "timeout":
                try:
                    timeout = float(args)
                except ValueError:
                    raise CaseError(f"{where}: timeout needs seconds, got {args.strip()!r}") from None
                if not 0 < timeout <= 600:
                    raise CaseError(f"{where}: timeout must be over 0 and at most 600 seconds")
        elif keyword == "skip-variant":
            which, _, why = args.strip().partition(" ")
            if which not in VARIANT_NAMES:
                raise CaseError(f"{where}: skip-variant takes {' or '.join(VARIANT_NAMES)}, got {which!r}")
            if not why.strip():
                raise CaseError(f"{where}: skip-variant {which} needs a reason")
            skips[which] = why.strip()
        elif keyword == "chunk":
            b = whole_expression(args, True, where, CaseError)
            total += len(b) * count
            if total > MAX_CASE_BYTES:
                raise CaseError(f"{where}: the input is over {MAX_CASE_BYTES} bytes")
            chunks.extend([b] * count)
        elif keyword in RECORD_KEYWORDS:
            if records and records[-1]["kind"] == "end":
                raise CaseError(f"{where}: no record may follow end")
            rec = parse_record(keyword, args, where, CaseError)
            if keyword == "end" and count != 1:
                raise CaseError(f"{where}: end comes once")
            records.extend(dict(rec) for _ in range(count))
        else:
            raise CaseError(f"{where}: unknown keyword {keyword!r}")
    for required in ("about", "rule"):
        if required not in seen:
            raise CaseError(f"{path}: missing '{required}' line")
    if not records or records[-1]["kind"] != "end":
        raise CaseError(f"{path}: the last record must be 'end' (the last event ID at end of stream)")
    return Case(name=name, path=path, about=seen["about"], rule=seen["rule"], chunks=chunks,
                records=records, open_reason=seen.get("open"), timeout=timeout, skip_variants=skips)


def load_case(path: Path, root: Path) -> Case:
    try:
        text = path.read_bytes().decode("utf-8")
        if text.startswith("\ufeff"):   # editors on some systems write one
            text = text[1:]
    except UnicodeDecodeError as e:
        raise CaseError(f"{path}: a case file is UTF-8 text ({e})") from None
    except OSError as e:
        raise CaseError(f"{path}: cannot read: {e.strerror}") from None
    return parse_case(text, name_of(path, root), path)


def load_all(root: Path) -> list[Case]:
    """Every case below root, sorted by name."""
    return [load_case(p, root) for p in sorted(root.rglob("*.case"))]


# ---------------------------------------------------------------- writing


def case_text(about: str, rule: str, chunks: list[bytes], records: list[Record],
              comments: list[str] = (), open_reason: str | None = None) -> str:
    """A whole case file: comment lines, about, rule, open, the chunks and
    the expected records (the last one an end record). parse_case reads it
    back to the same case."""
    lines = [f"# {c}" if c else "#" for c in comments]
    lines += [f"about {about}", f"rule {rule}"]
    if open_reason:
        lines.append(f"open {open_reason}")
    lines += [f"chunk {expression_of(c)}" for c in chunks]
    lines += [write_record(r) for r in records]
    return "\n".join(lines) + "\n"
