"""Encoder case files (docs/encoder-case-format.md): the messages a caller
asks a producer to send, and what the bytes must decode to. The one reader
(EncodeCase objects) and the one writer (encode_case_text, which encoder
fuzzing writes through).

    # An LF in data must become a second data line.
    about an LF in data is written as two data lines
    rule P1
    attack L1
    message data="a\\nevent: forged"
    expect event data="a\\nevent: forged"
    expect end

Every malformed file is rejected with an EncodeCaseError naming the file,
the line and what was wrong.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.records import Record
from harness.core.rules import RULES
from harness.core.strings import (MAX_BYTES, MAX_REPEAT, RECORD_KEYWORDS, FormatError, expression,
                                  parse_record, quote_text, text_expression_of, text_of, tokens,
                                  write_record)
from harness.protocol.server import FIELDS, Message, check_message
from harness.server_suite.intent import intend

SUFFIX = ".encode"
DEFAULT_TIMEOUT = 5.0
MAX_MESSAGES = 100_000
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*(/[a-z0-9][a-z0-9-]*)*$")


class EncodeCaseError(FormatError):
    """An encoder case file that does not follow the format."""


@dataclass
class EncodeCase:
    name: str
    path: Path
    about: str
    rule: str
    attack: str | None
    messages: list[Message]
    timeout: float = DEFAULT_TIMEOUT
    expect: list[Record] | None = field(default=None, repr=False)   # as written, if any

    @property
    def fields(self) -> set[str]:
        return {k for m in self.messages for k in m}


def parse_message(args: str, where: str) -> Message:
    """One `message` line's fields (data=, event=, id=, retry=, comment=)."""
    toks = tokens(args, where, EncodeCaseError)
    m: Message = {}
    total = 0
    i = 0
    while i < len(toks):
        kind, key = toks[i]
        if kind != "key" or key not in FIELDS:
            raise EncodeCaseError(f"{where}: expected one of {', '.join(f + '=' for f in FIELDS)}")
        if key in m:
            raise EncodeCaseError(f"{where}: field {key}= given twice")
        if key == "retry":
            if i + 1 >= len(toks) or toks[i + 1][0] != "int" or "." in toks[i + 1][1]:
                raise EncodeCaseError(f"{where}: retry= needs a whole number of milliseconds")
            m[key] = int(toks[i + 1][1])
            i += 2
            continue
        b, i = expression(toks, i + 1, False, where, EncodeCaseError)
        total += len(b)
        m[key] = text_of(b, where, EncodeCaseError)
    if total > MAX_BYTES:
        raise EncodeCaseError(f"{where}: the message is over {MAX_BYTES} bytes")
    problem = check_message(m)
    if problem:
        raise EncodeCaseError(f"{where}: {problem}")
    return m


def parse_encode_case(text: str, name: str, path: Path) -> EncodeCase:
    if not NAME_RE.match(name):
        raise EncodeCaseError(f"{path}: case name {name!r} may use only a-z, 0-9, '-' and '/'")
    once: dict[str, str] = {}
    messages: list[Message] = []
    expect: list[Record] = []
    timeout = DEFAULT_TIMEOUT
    if text.startswith("\ufeff"):
        text = text[1:]
    for lineno, raw in enumerate(text.split("\n"), 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip("\r").strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        count = 1
        if keyword == "repeat":
            n, _, rest = args.strip().partition(" ")
            if not n.isdigit() or not 1 <= int(n) <= MAX_REPEAT:
                raise EncodeCaseError(f"{where}: repeat needs a count from 1 to {MAX_REPEAT}, "
                                      f"got {n!r}")
            count = int(n)
            keyword, _, args = rest.strip().partition(" ")
            if keyword != "message":
                raise EncodeCaseError(f"{where}: repeat applies to message, not {keyword!r}")
        if keyword in ("about", "rule", "attack", "timeout"):
            if keyword in once:
                raise EncodeCaseError(f"{where}: {keyword} given twice")
            value = args.strip()
            if not value:
                raise EncodeCaseError(f"{where}: {keyword} needs a value")
            once[keyword] = value
            if keyword in ("rule", "attack") and value not in RULES:
                raise EncodeCaseError(f"{where}: unknown rule {value!r} (see docs/rules.md)")
            if keyword == "rule" and not value.startswith("P"):
                raise EncodeCaseError(f"{where}: an encoder case checks a P rule (producing a "
                                      f"stream), not {value}")
            if keyword == "timeout":
                try:
                    timeout = float(value)
                except ValueError:
                    raise EncodeCaseError(f"{where}: timeout needs seconds, got {value!r}") from None
                if not 0 < timeout <= 600:
                    raise EncodeCaseError(f"{where}: timeout must be over 0 and at most 600 s")
        elif keyword == "message":
            m = parse_message(args, where)
            if len(messages) + count > MAX_MESSAGES:
                raise EncodeCaseError(f"{where}: more than {MAX_MESSAGES} messages")
            messages.extend(dict(m) for _ in range(count))
        elif keyword == "expect":
            kind, _, rest = args.strip().partition(" ")
            if kind not in RECORD_KEYWORDS:
                raise EncodeCaseError(f"{where}: expect takes a record: "
                                      f"{', '.join(RECORD_KEYWORDS)}")
            expect.append(parse_record(kind, rest, where, EncodeCaseError))
        else:
            raise EncodeCaseError(f"{where}: unknown keyword {keyword!r}")
    for required in ("about", "rule"):
        if required not in once:
            raise EncodeCaseError(f"{path}: missing '{required}' line")
    if not messages:
        raise EncodeCaseError(f"{path}: no message")
    if expect:
        derived = intend(messages).records
        if expect != derived:
            n = next((i for i, (a, b) in enumerate(zip(expect, derived)) if a != b),
                     min(len(expect), len(derived)))
            want = write_record(derived[n]) if n < len(derived) else "(nothing more)"
            raise EncodeCaseError(f"{path}: the expect lines do not say what the messages "
                                  f"decode to: at record {n + 1} the messages give `{want}`")
    return EncodeCase(name, path, once["about"], once["rule"], once.get("attack"), messages,
                      timeout, expect or None)


def load_encode_case(path: Path, root: Path) -> EncodeCase:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise EncodeCaseError(f"{path}: an encoder case file is UTF-8 text ({e})") from None
    except OSError as e:
        raise EncodeCaseError(f"{path}: cannot read: {e.strerror}") from None
    rel = path.relative_to(root).as_posix()
    if not rel.endswith(SUFFIX):
        raise EncodeCaseError(f"{path}: an encoder case file's name ends in {SUFFIX}")
    return parse_encode_case(text, rel[:-len(SUFFIX)], path)


def load_all(root: Path) -> list[EncodeCase]:
    return [load_encode_case(p, root) for p in sorted(root.rglob(f"*{SUFFIX}"))]


# ---------------------------------------------------------------- writing


def message_line(m: Message) -> str:
    parts = []
    for k in FIELDS:
        if k not in m:
            continue
        if k == "retry":
            parts.append(f"retry={int(m[k])}")
        elif k == "data":
            parts.append(f"data={text_expression_of(m[k])}")
        else:
            parts.append(f"{k}={quote_text(m[k])}")
    return "message " + " ".join(parts)


def encode_case_text(about: str, rule: str, messages: list[Message], attack: str | None = None,
                     comments: list[str] = (), with_expect: bool = True) -> str:
    """A whole encoder case file; parse_encode_case reads it back."""
    lines = [f"# {c}" if c else "#" for c in comments]
    lines += [f"about {about}", f"rule {rule}"]
    if attack:
        lines.append(f"attack {attack}")
    lines += [message_line(m) for m in messages]
    if with_expect:
        lines += ["expect " + write_record(r) for r in intend(messages).records]
    return "\n".join(lines) + "\n"
