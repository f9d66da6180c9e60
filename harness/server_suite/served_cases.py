"""Served case files (docs/served-case-format.md): one HTTP exchange with a
producer adapter's SSE endpoint (its hello's "url"), step by step.

    # Each event must reach the client while the response is still open.
    about each event reaches the client as soon as the app sends it
    rule P6-flush
    http 1.1
    header Accept-Encoding "gzip"
    send data="a" id="1"
    pause 300
    send data="b"
    end

Steps, in order: `send FIELDS` (the adapter writes that message through the
library and reports `sent`), `pause MS`, `end` (the adapter ends the
response), `disconnect` (the client goes away; the adapter must report
`gone`). Settings: `http 1.1|1.0`, `header NAME "value"` (sent with the
request), `expect-request-header NAME "value"` (the app must see it),
`streams N` (that many copies at once), `timeout S`.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.rules import RULES
from harness.core.strings import FormatError, text_of, whole_expression
from harness.protocol.server import Message
from harness.server_suite.cases import NAME_RE, parse_message

SUFFIX = ".served"
DEFAULT_TIMEOUT = 20.0
MAX_STREAMS = 1000
MAX_STEPS = 10_000
_HEADER_NAME = re.compile(r"^[!#$%&'*+.^_`|~0-9A-Za-z-]+$")


class ServedCaseError(FormatError):
    """A served case file that does not follow the format."""


@dataclass(frozen=True)
class Step:
    what: str                    # send, pause, end, disconnect
    message: Message | None = None
    ms: int = 0


@dataclass
class ServedCase:
    name: str
    path: Path
    about: str
    rule: str
    http: str = "1.1"
    headers: list[tuple[str, str]] = field(default_factory=list)
    expect_headers: list[tuple[str, str]] = field(default_factory=list)
    streams: int = 1
    timeout: float = DEFAULT_TIMEOUT
    steps: list[Step] = field(default_factory=list)

    @property
    def messages(self) -> list[Message]:
        return [s.message for s in self.steps if s.message is not None]

    @property
    def fields(self) -> set[str]:
        return {k for m in self.messages for k in m}


def _header(args: str, where: str) -> tuple[str, str]:
    name, _, rest = args.strip().partition(" ")
    if not _HEADER_NAME.match(name):
        raise ServedCaseError(f"{where}: {name!r} is not a header name")
    value = text_of(whole_expression(rest, False, where, ServedCaseError), where, ServedCaseError)
    if any(c in value for c in "\r\n\0"):
        raise ServedCaseError(f"{where}: a header value cannot hold CR, LF or NUL")
    return name, value


def parse_served_case(text: str, name: str, path: Path) -> ServedCase:
    if not NAME_RE.match(name):
        raise ServedCaseError(f"{path}: case name {name!r} may use only a-z, 0-9, '-' and '/'")
    if text.startswith("\ufeff"):
        text = text[1:]
    once: dict[str, str] = {}
    case = ServedCase(name, path, "", "")
    for lineno, raw in enumerate(text.split("\n"), 1):
        where = f"{path}:{lineno}"
        line = raw.rstrip("\r").strip()
        if not line or line.startswith("#"):
            continue
        keyword, _, args = line.partition(" ")
        value = args.strip()
        if keyword in ("about", "rule", "http", "streams", "timeout"):
            if keyword in once:
                raise ServedCaseError(f"{where}: {keyword} given twice")
            if not value:
                raise ServedCaseError(f"{where}: {keyword} needs a value")
            once[keyword] = value
            if keyword == "rule" and (value not in RULES or not value.startswith("P")):
                raise ServedCaseError(f"{where}: a served case checks a P rule of docs/rules.md, "
                                      f"not {value!r}")
            if keyword == "http" and value not in ("1.1", "1.0"):
                raise ServedCaseError(f"{where}: http is 1.1 or 1.0, not {value!r}")
            if keyword == "streams":
                if not value.isdigit() or not 1 <= int(value) <= MAX_STREAMS:
                    raise ServedCaseError(f"{where}: streams needs 1 to {MAX_STREAMS}")
                case.streams = int(value)
            if keyword == "timeout":
                try:
                    case.timeout = float(value)
                except ValueError:
                    raise ServedCaseError(f"{where}: timeout needs seconds") from None
                if not 0 < case.timeout <= 600:
                    raise ServedCaseError(f"{where}: timeout must be over 0 and at most 600 s")
        elif keyword == "header":
            case.headers.append(_header(args, where))
        elif keyword == "expect-request-header":
            case.expect_headers.append(_header(args, where))
        elif keyword == "send":
            case.steps.append(Step("send", parse_message(args, where)))
        elif keyword == "pause":
            if not value.isdigit() or int(value) > 60_000:
                raise ServedCaseError(f"{where}: pause needs milliseconds, 0 to 60000")
            case.steps.append(Step("pause", ms=int(value)))
        elif keyword in ("end", "disconnect"):
            if value:
                raise ServedCaseError(f"{where}: {keyword} takes nothing after it")
            if any(s.what in ("end", "disconnect") for s in case.steps):
                raise ServedCaseError(f"{where}: the stream already ended")
            case.steps.append(Step(keyword))
        else:
            raise ServedCaseError(f"{where}: unknown keyword {keyword!r}")
        if len(case.steps) > MAX_STEPS:
            raise ServedCaseError(f"{where}: more than {MAX_STEPS} steps")
    for required in ("about", "rule"):
        if required not in once:
            raise ServedCaseError(f"{path}: missing '{required}' line")
    case.about, case.rule = once["about"], once["rule"]
    case.http = once.get("http", "1.1")
    if not any(s.what == "send" for s in case.steps):
        raise ServedCaseError(f"{path}: no send step")
    return case


def load_served_case(path: Path, root: Path) -> ServedCase:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as e:
        raise ServedCaseError(f"{path}: a served case file is UTF-8 text ({e})") from None
    except OSError as e:
        raise ServedCaseError(f"{path}: cannot read: {e.strerror}") from None
    rel = path.relative_to(root).as_posix()
    return parse_served_case(text, rel[:-len(SUFFIX)], path)


__all__ = ["ServedCase", "ServedCaseError", "Step", "load_served_case", "parse_served_case"]
