"""Load parser case files (docs/case-format.md) into Case objects.

Every malformed file is rejected with a CaseError that names the file, the
line and what was wrong; nothing is guessed.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from .rules import RULES

Record = dict  # one adapter-protocol record: {"kind": ..., ...}

DEFAULT_TIMEOUT = 5.0
MAX_REPEAT = 10_000_000
MAX_CASE_BYTES = 64 << 20  # generated input or expected text of one case
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")
VARIANT_NAMES = ("bytes", "splits")


class CaseError(ValueError):
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


# ---------------------------------------------------------------- lexing


_TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<str>"(?:[^"\\]|\\.)*")
      | (?P<key>[a-z]+)=
      | (?P<int>\d+(?:\.\d+)?)
      | (?P<op>[*+])
      | (?P<bad>\S+)
    )""",
    re.VERBOSE,
)


def _tokens(text: str, where: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    pos = 0
    text = text.rstrip()
    while pos < len(text):
        m = _TOKEN_RE.match(text, pos)
        if m is None or m.end() == pos:
            break
        kind = m.lastgroup or "bad"
        if kind == "bad":
            tok = m.group("bad")
            if tok.startswith('"'):
                raise CaseError(f"{where}: unterminated string {tok!r}")
            raise CaseError(f"{where}: unexpected {tok!r}")
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def _unquote(tok: str, binary: bool, where: str) -> bytes:
    body = tok[1:-1]
    out = bytearray()
    i = 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode("utf-8")
            i += 1
            continue
        if i + 1 >= len(body):
            raise CaseError(f"{where}: a string ends in a lone backslash")
        e = body[i + 1]
        simple = {"\\": b"\\", '"': b'"', "n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0"}
        if e in simple:
            out += simple[e]
            i += 2
        elif e == "x":
            hx = body[i + 2 : i + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", hx):
                raise CaseError(f"{where}: \\x needs two hex digits, got {hx!r}")
            v = int(hx, 16)
            if not binary and v > 0x7F:
                raise CaseError(f"{where}: \\x{hx} in a record; records are text, write \\u{{...}}")
            out.append(v)
            i += 4
        elif e == "u":
            m = re.match(r"\{([0-9A-Fa-f]{1,6})\}", body[i + 2 :])
            if not m:
                raise CaseError(f"{where}: \\u needs braces and hex digits, as \\u{{FFFD}}")
            cp = int(m.group(1), 16)
            if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                raise CaseError(f"{where}: \\u{{{m.group(1)}}} is not a Unicode scalar value")
            out += chr(cp).encode("utf-8")
            i += 2 + m.end()
        else:
            raise CaseError(f"{where}: unknown escape \\{e}")
    return bytes(out)


def _expr(toks: list[tuple[str, str]], i: int, binary: bool, where: str) -> tuple[bytes, int]:
    """Parse `str [* n] (+ str [* n])*` from toks[i:]; return the bytes and the next index."""
    parts: list[bytes] = []
    total = 0
    while True:
        if i >= len(toks) or toks[i][0] != "str":
            raise CaseError(f"{where}: expected a quoted string")
        s = _unquote(toks[i][1], binary, where)
        i += 1
        if i < len(toks) and toks[i] == ("op", "*"):
            if i + 1 >= len(toks) or toks[i + 1][0] != "int" or "." in toks[i + 1][1]:
                raise CaseError(f"{where}: '*' needs a whole count after it")
            n = int(toks[i + 1][1])
            if n > MAX_REPEAT:
                raise CaseError(f"{where}: repetition {n} is over {MAX_REPEAT}")
            s = s * n
            i += 2
        total += len(s)
        if total > MAX_CASE_BYTES:
            raise CaseError(f"{where}: string expression is over {MAX_CASE_BYTES} bytes")
        parts.append(s)
        if i < len(toks) and toks[i] == ("op", "+"):
            i += 1
            continue
        return b"".join(parts), i


def _text(b: bytes, where: str) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:  # cannot happen for records: \x is limited to ASCII
        raise CaseError(f"{where}: not UTF-8 text: {e}") from None


def _fields(args: str, allowed: tuple[str, ...], where: str) -> dict[str, str]:
    toks = _tokens(args, where)
    out: dict[str, str] = {}
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        if kind != "key":
            raise CaseError(f"{where}: expected one of {', '.join(a + '=' for a in allowed)}")
        if val not in allowed:
            raise CaseError(f"{where}: unknown field {val}= (allowed: {', '.join(allowed)})")
        if val in out:
            raise CaseError(f"{where}: field {val}= given twice")
        b, i = _expr(toks, i + 1, binary=False, where=where)
        out[val] = _text(b, where)
    return out


def _whole_expr(args: str, binary: bool, where: str) -> bytes:
    toks = _tokens(args, where)
    b, i = _expr(toks, 0, binary, where)
    if i != len(toks):
        raise CaseError(f"{where}: unexpected {toks[i][1]!r} after the string")
    return b


# ---------------------------------------------------------------- parsing


def _record(keyword: str, args: str, where: str) -> Record:
    if keyword == "event":
        f = _fields(args, ("type", "data", "id"), where)
        if "data" not in f:
            raise CaseError(f"{where}: an event needs data=")
        return {"kind": "event", "type": f.get("type", "message"), "data": f["data"],
                "lastEventId": f.get("id", "")}
    if keyword == "retry":
        if not re.fullmatch(r"\d+", args.strip()):
            raise CaseError(f"{where}: retry needs a non-negative integer, got {args.strip()!r}")
        return {"kind": "retry", "ms": int(args.strip())}
    if keyword == "comment":
        return {"kind": "comment", "text": _text(_whole_expr(args, False, where), where)}
    if keyword == "end":
        f = _fields(args, ("id",), where)
        return {"kind": "end", "lastEventId": f.get("id", "")}
    raise AssertionError(keyword)


RECORD_KEYWORDS = ("event", "retry", "comment", "end")
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
            b = _whole_expr(args, True, where)
            total += len(b) * count
            if total > MAX_CASE_BYTES:
                raise CaseError(f"{where}: the input is over {MAX_CASE_BYTES} bytes")
            chunks.extend([b] * count)
        elif keyword in RECORD_KEYWORDS:
            if records and records[-1]["kind"] == "end":
                raise CaseError(f"{where}: no record may follow end")
            rec = _record(keyword, args, where)
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
    except UnicodeDecodeError as e:
        raise CaseError(f"{path}: a case file is UTF-8 text ({e})") from None
    except OSError as e:
        raise CaseError(f"{path}: cannot read: {e.strerror}") from None
    return parse_case(text, name_of(path, root), path)


def load_all(root: Path) -> list[Case]:
    """Every case below root, sorted by name."""
    return [load_case(p, root) for p in sorted(root.rglob("*.case"))]
