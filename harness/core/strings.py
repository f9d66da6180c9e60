"""The quoted-string syntax of ssespec's data files, read and written in one
place (docs/case-format.md, "String expressions"): parser case files,
encoder case files, and every report that shows bytes.

    "data: x\\r\\n" + "a" * 1000 + "\\xEF\\xBB\\xBF\\u{2028}"

Escapes: \\\\ \\" \\n \\r \\t \\0, \\xHH (a byte; in text only 00-7F), \\u{H...}
(a Unicode scalar value as UTF-8). Writers use upper-case hex, the same in
case files and reports, so that what a report shows can be pasted into a
case file.
"""

from __future__ import annotations

import re

MAX_REPEAT = 10_000_000
MAX_BYTES = 64 << 20          # one expression's value
RUN_MIN = 16                  # a run of this many equal bytes is written "x" * N
SHOW_LIMIT = 600              # characters of an escaped value a report shows

_SIMPLE_IN = {"\\": b"\\", '"': b'"', "n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0"}
_SIMPLE_OUT = {0x5C: "\\\\", 0x22: '\\"', 0x0A: "\\n", 0x0D: "\\r", 0x09: "\\t", 0x00: "\\0"}

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


class FormatError(ValueError):
    """A data file that does not follow its format; the message names the
    file, the line and what was wrong."""


Token = tuple[str, str]


# ---------------------------------------------------------------- reading


def tokens(text: str, where: str, error: type[FormatError] = FormatError) -> list[Token]:
    """The tokens of a directive's arguments: strings, key=, numbers, * and +."""
    out: list[Token] = []
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
                raise error(f"{where}: unterminated string {tok!r}")
            raise error(f"{where}: unexpected {tok!r}")
        out.append((kind, m.group(kind)))
        pos = m.end()
    return out


def unquote(tok: str, binary: bool, where: str, error: type[FormatError] = FormatError) -> bytes:
    """The bytes of one quoted string. binary allows \\xHH above 7F."""
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
            raise error(f"{where}: a string ends in a lone backslash")
        e = body[i + 1]
        if e in _SIMPLE_IN:
            out += _SIMPLE_IN[e]
            i += 2
        elif e == "x":
            hx = body[i + 2: i + 4]
            if not re.fullmatch(r"[0-9A-Fa-f]{2}", hx):
                raise error(f"{where}: \\x needs two hex digits, got {hx!r}")
            v = int(hx, 16)
            if not binary and v > 0x7F:
                raise error(f"{where}: \\x{hx} in text; text is Unicode, write \\u{{...}}")
            out.append(v)
            i += 4
        elif e == "u":
            m = re.match(r"\{([0-9A-Fa-f]{1,6})\}", body[i + 2:])
            if not m:
                raise error(f"{where}: \\u needs braces and hex digits, as \\u{{FFFD}}")
            cp = int(m.group(1), 16)
            if cp > 0x10FFFF or 0xD800 <= cp <= 0xDFFF:
                raise error(f"{where}: \\u{{{m.group(1)}}} is not a Unicode scalar value")
            out += chr(cp).encode("utf-8")
            i += 2 + m.end()
        else:
            raise error(f"{where}: unknown escape \\{e}")
    return bytes(out)


def expression(toks: list[Token], i: int, binary: bool, where: str,
               error: type[FormatError] = FormatError) -> tuple[bytes, int]:
    """Parse `str [* n] (+ str [* n])*` from toks[i:]; the bytes and the next index."""
    parts: list[bytes] = []
    total = 0
    while True:
        if i >= len(toks) or toks[i][0] != "str":
            raise error(f"{where}: expected a quoted string")
        s = unquote(toks[i][1], binary, where, error)
        i += 1
        if i < len(toks) and toks[i] == ("op", "*"):
            if i + 1 >= len(toks) or toks[i + 1][0] != "int" or "." in toks[i + 1][1]:
                raise error(f"{where}: '*' needs a whole count after it")
            n = int(toks[i + 1][1])
            if n > MAX_REPEAT:
                raise error(f"{where}: repetition {n} is over {MAX_REPEAT}")
            if len(s) * n > MAX_BYTES:
                raise error(f"{where}: string expression is over {MAX_BYTES} bytes")
            s = s * n
            i += 2
        total += len(s)
        if total > MAX_BYTES:
            raise error(f"{where}: string expression is over {MAX_BYTES} bytes")
        parts.append(s)
        if i < len(toks) and toks[i] == ("op", "+"):
            i += 1
            continue
        return b"".join(parts), i


def text_of(b: bytes, where: str, error: type[FormatError] = FormatError) -> str:
    try:
        return b.decode("utf-8")
    except UnicodeDecodeError as e:  # cannot happen for text: \x is limited to ASCII
        raise error(f"{where}: not UTF-8 text: {e}") from None


def whole_expression(args: str, binary: bool, where: str,
                     error: type[FormatError] = FormatError) -> bytes:
    """The value of args, which must be exactly one string expression."""
    toks = tokens(args, where, error)
    b, i = expression(toks, 0, binary, where, error)
    if i != len(toks):
        raise error(f"{where}: unexpected {toks[i][1]!r} after the string")
    return b


def fields(args: str, allowed: tuple[str, ...], where: str,
           error: type[FormatError] = FormatError) -> dict[str, str]:
    """`key=expr key=expr ...` of text values, each key at most once."""
    toks = tokens(args, where, error)
    out: dict[str, str] = {}
    i = 0
    while i < len(toks):
        kind, val = toks[i]
        if kind != "key":
            raise error(f"{where}: expected one of {', '.join(a + '=' for a in allowed)}")
        if val not in allowed:
            raise error(f"{where}: unknown field {val}= (allowed: {', '.join(allowed)})")
        if val in out:
            raise error(f"{where}: field {val}= given twice")
        b, i = expression(toks, i + 1, False, where, error)
        out[val] = text_of(b, where, error)
    return out


# ---------------------------------------------------------------- records

RECORD_KEYWORDS = ("event", "retry", "comment", "end")


def parse_record(keyword: str, args: str, where: str,
                 error: type[FormatError] = FormatError) -> dict:
    """One expected record of a case file (`event data=... type=... id=...`,
    `retry N`, `comment EXPR`, `end id=...`): the parser adapter protocol's
    record."""
    if keyword == "event":
        f = fields(args, ("type", "data", "id"), where, error)
        if "data" not in f:
            raise error(f"{where}: an event needs data=")
        return {"kind": "event", "type": f.get("type", "message"), "data": f["data"],
                "lastEventId": f.get("id", "")}
    if keyword == "retry":
        if not re.fullmatch(r"\d+", args.strip()):
            raise error(f"{where}: retry needs a non-negative integer, got {args.strip()!r}")
        return {"kind": "retry", "ms": int(args.strip())}
    if keyword == "comment":
        return {"kind": "comment",
                "text": text_of(whole_expression(args, False, where, error), where, error)}
    if keyword == "end":
        f = fields(args, ("id",), where, error)
        return {"kind": "end", "lastEventId": f.get("id", "")}
    raise error(f"{where}: unknown record {keyword!r} (records: {', '.join(RECORD_KEYWORDS)})")


def write_record(r: dict) -> str:
    """One record as its case-file line (parse_record reads it back)."""
    k = r["kind"]
    if k == "event":
        s = f"event data={text_expression_of(r['data'])}"
        if r.get("type", "message") != "message":
            s += f" type={quote_text(r['type'])}"
        if r.get("lastEventId"):
            s += f" id={quote_text(r['lastEventId'])}"
        return s
    if k == "retry":
        return f"retry {int(r['ms'])}"
    if k == "comment":
        return f"comment {text_expression_of(r['text'])}"
    if k == "end":
        return "end" + (f" id={quote_text(r['lastEventId'])}" if r.get("lastEventId") else "")
    raise ValueError(f"no case-file line for a {k!r} record")


# ---------------------------------------------------------------- writing


def quote_bytes(data: bytes) -> str:
    """One quoted string holding exactly data (bytes outside printable ASCII
    as \\xHH)."""
    out = []
    for b in data:
        if b in _SIMPLE_OUT:
            out.append(_SIMPLE_OUT[b])
        elif 0x20 <= b < 0x7F:
            out.append(chr(b))
        else:
            out.append(f"\\x{b:02X}")
    return '"' + "".join(out) + '"'


def quote_text(s: str) -> str:
    """One quoted string holding exactly the text s (control characters as
    \\xHH, anything beyond ASCII as \\u{H...}, so nothing is invisible)."""
    out = []
    for ch in s:
        o = ord(ch)
        if o < 0x80 and o in _SIMPLE_OUT:
            out.append(_SIMPLE_OUT[o])
        elif o < 0x20 or o == 0x7F:
            out.append(f"\\x{o:02X}")
        elif o < 0x7F:
            out.append(ch)
        else:
            out.append(f"\\u{{{o:X}}}")
    return '"' + "".join(out) + '"'


def expression_of(data: bytes) -> str:
    """data as a string expression, runs of RUN_MIN or more equal bytes as
    "x" * N: what a case file says and a report shows."""
    if not data:
        return '""'
    parts: list[str] = []
    i = start = 0
    n = len(data)
    while i < n:
        j = i
        while j < n and data[j] == data[i]:
            j += 1
        if j - i >= RUN_MIN:
            if start < i:
                parts.append(quote_bytes(data[start:i]))
            parts.append(f"{quote_bytes(data[i:i + 1])} * {j - i}")
            start = j
        i = j
    if start < n:
        parts.append(quote_bytes(data[start:]))
    return " + ".join(parts)


def text_expression_of(s: str) -> str:
    """Text as a string expression (runs as "x" * N), for records."""
    if not s:
        return '""'
    parts: list[str] = []
    i = start = 0
    while i < len(s):
        j = i
        while j < len(s) and s[j] == s[i]:
            j += 1
        if j - i >= RUN_MIN:
            if start < i:
                parts.append(quote_text(s[start:i]))
            parts.append(f"{quote_text(s[i])} * {j - i}")
            start = j
        i = j
    if start < len(s):
        parts.append(quote_text(s[start:]))
    return " + ".join(parts)


def show(data: bytes, limit: int = SHOW_LIMIT) -> str:
    """data as a string expression for a report, the middle elided when it
    is longer than limit characters."""
    text = expression_of(data)
    if len(text) > limit:
        head, tail = limit * 2 // 3, limit // 3
        text = f"{text[:head]} ...[{len(text) - head - tail} characters elided]... {text[-tail:]}"
    return text
