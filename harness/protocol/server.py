"""The server adapter protocol, version 1 (docs/server-adapter-protocol.md):
the hello of a producer (an encoder function or a server framework), its
encode requests and their answers, the served streams' commands and
reports, and the process that speaks it.

Messages are what a caller asks the library to send: an event ({"data",
and optionally "event", "id", "retry"}), a comment ({"comment"}) or a
reconnection time alone ({"retry"}). Strings may hold any Unicode scalar
value; JSON escapes carry U+0000, CR and LF.
"""

from __future__ import annotations

import base64
import binascii
import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from harness.core.records import shorten
from harness.protocol.process import AdapterFailure, LineAdapter, describe_exit, preview

__all__ = ["FIELDS", "REPORT_KINDS", "ServerHello", "ServerHelloError", "parse_server_hello",
           "Message", "check_message", "encode_request", "EncodeAnswer", "decode_encode_answer",
           "send_command", "end_command", "check_report", "ServerAdapterProcess",
           "AdapterFailure", "describe_exit"]

FIELDS = ("data", "event", "id", "retry", "comment")
REPORT_KINDS = ("request", "sent", "gone", "failure")
MAX_LINE = 256 << 20          # an encode answer: base64 of a case's bytes (1 MiB values)
MAX_RETRY = 2**64 - 1

Message = dict   # {"data": ..., "event": ..., "id": ..., "retry": ...} or {"comment": ...}


class ServerHelloError(Exception):
    """The adapter could not be started or its hello was missing or malformed."""


@dataclass
class ServerHello:
    name: str
    version: str
    fields: list[str]
    encode: bool
    url: str | None
    raw: dict = field(default_factory=dict)


def parse_server_hello(line: bytes) -> ServerHello:
    """The hello of a producer adapter; ServerHelloError says what is wrong."""
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise ServerHelloError(f"the first line is not JSON: {preview(line)}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("hello"), dict):
        raise ServerHelloError(f"the first line is not a hello object: {preview(line)}")
    h = obj["hello"]
    for key in ("name", "version"):
        if not isinstance(h.get(key), str):
            raise ServerHelloError(f'hello has no "{key}" string')
    fields = h.get("fields")
    if not isinstance(fields, list) or not all(isinstance(f, str) for f in fields):
        raise ServerHelloError('hello has no "fields" list of strings')
    unknown = [f for f in fields if f not in FIELDS]
    if unknown:
        raise ServerHelloError(f"hello lists unknown field {unknown[0]!r} "
                               f"(fields: {', '.join(FIELDS)})")
    if "data" not in fields:
        raise ServerHelloError('hello "fields" does not include "data"')
    encode = h.get("encode", False)
    if not isinstance(encode, bool):
        raise ServerHelloError('hello "encode" must be true or false')
    url = h.get("url")
    if url is not None:
        if not isinstance(url, str):
            raise ServerHelloError('hello "url" must be a string')
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or not parts.hostname:
            raise ServerHelloError(f'hello "url" is not an http or https URL: {url!r}')
    if not encode and url is None:
        raise ServerHelloError('hello offers neither "encode": true nor a "url"')
    return ServerHello(h["name"], h["version"], list(dict.fromkeys(fields)), encode, url, h)


def check_message(m: object) -> str | None:
    """None when m is a well-formed message, else what is wrong (the harness
    checks its own messages before sending them)."""
    if not isinstance(m, dict) or not m:
        return "a message is a non-empty object"
    unknown = [k for k in m if k not in FIELDS]
    if unknown:
        return f"unknown field {unknown[0]!r}"
    if "comment" in m and len(m) != 1:
        return "a comment message has no other field"
    if "data" not in m and "comment" not in m and set(m) != {"retry"}:
        return "an event needs data (or the message is a comment or a retry alone)"
    for k in ("data", "event", "id", "comment"):
        if k in m and not isinstance(m[k], str):
            return f"{k} must be a string"
    if "retry" in m and (isinstance(m["retry"], bool) or not isinstance(m["retry"], int)
                         or not 0 <= m["retry"] <= MAX_RETRY):
        return "retry must be a whole number of milliseconds"
    return None


def fields_of(messages: list[Message]) -> set[str]:
    return {k for m in messages for k in m}


# ---------------------------------------------------------------- encode


def encode_request(case_id: str, messages: list[Message]) -> bytes:
    """One encode request line."""
    return (json.dumps({"case": case_id, "messages": messages}, ensure_ascii=True) + "\n"
            ).encode("ascii")


@dataclass
class EncodeAnswer:
    data: bytes | None = None      # the exact bytes the library produced
    error: str | None = None       # the library refused or threw


def decode_encode_answer(raw: bytes, case_id: str) -> EncodeAnswer:
    """The answer in one line; AdapterFailure names what is wrong with a line
    that is not an answer to case_id. Contents that break the protocol (not
    base64, neither or both of bytes and error) fail the case but keep the
    process (malformed)."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdapterFailure(f"the answer is not JSON: {preview(raw)}") from None
    except RecursionError:
        raise AdapterFailure(f"the answer is JSON nested too deeply to read: "
                             f"{preview(raw)}") from None
    if not isinstance(obj, dict):
        raise AdapterFailure(f"the answer is not a JSON object: {preview(raw)}")
    if "case" not in obj:
        raise AdapterFailure(f'the answer has no "case": {preview(raw)}')
    if obj["case"] != case_id:
        raise AdapterFailure(f"the answer is for another case: {shorten(repr(obj['case']), 120)}")
    has_b, has_e = "bytes" in obj, "error" in obj
    if has_b == has_e:
        raise AdapterFailure('the answer has neither or both of "bytes" and "error"',
                             malformed=True)
    if has_e:
        err = obj["error"]
        return EncodeAnswer(error=err if isinstance(err, str) else json.dumps(err))
    b = obj["bytes"]
    if not isinstance(b, str):
        raise AdapterFailure('"bytes" is not a string', malformed=True)
    try:
        return EncodeAnswer(data=base64.b64decode(b, validate=True))
    except (binascii.Error, ValueError):
        raise AdapterFailure(f'"bytes" is not base64 (RFC 4648, padded): {shorten(b, 80)}',
                             malformed=True) from None


# ---------------------------------------------------------------- served streams


def send_command(stream: str, messages: list[Message]) -> dict:
    return {"cmd": "send", "stream": stream, "messages": messages}


def end_command(stream: str) -> dict:
    return {"cmd": "end", "stream": stream}


def check_report(obj: dict) -> str | None:
    """None for a well-formed report of a served stream, else what is wrong."""
    if not isinstance(obj.get("stream"), str):
        return 'a report without a "stream" string'
    kind = obj.get("kind")
    if kind not in REPORT_KINDS:
        return f"a report of unknown kind {kind!r} (kinds: {', '.join(REPORT_KINDS)})"
    if kind == "request":
        if not isinstance(obj.get("method"), str) or not isinstance(obj.get("path"), str):
            return 'a request report needs "method" and "path" strings'
        h = obj.get("headers")
        if not isinstance(h, dict) or not all(isinstance(k, str) and isinstance(v, str)
                                              for k, v in h.items()):
            return 'a request report needs a "headers" object of strings'
    if kind == "sent" and (isinstance(obj.get("count"), bool)
                           or not isinstance(obj.get("count"), int)):
        return 'a sent report needs a whole "count"'
    if kind == "failure" and not isinstance(obj.get("message"), str):
        return 'a failure report needs a "message" string'
    return None


class ServerAdapterProcess(LineAdapter):
    """One producer adapter: encode() for the encode suite (one request line,
    one answer); send()/read_objects() for served streams, driven by the
    caller's event loop."""

    hello_error = ServerHelloError

    def __init__(self, argv: list[str], max_line: int = MAX_LINE,
                 env: dict[str, str] | None = None) -> None:
        super().__init__(argv, max_line, env)
        self.hello: ServerHello | None = None
        self.late_reports: list[dict] = []

    def parse_hello(self, line: bytes) -> ServerHello:
        return parse_server_hello(line)

    def start(self, timeout: float) -> ServerHello:
        hello = self._start_lines(timeout)
        assert isinstance(hello, ServerHello)
        self.hello = hello
        return hello

    def encode(self, case_id: str, messages: list[Message], timeout: float) -> EncodeAnswer:
        """The answer to one encode request. Reports of served streams that
        come in between (a late "gone") are set aside in late_reports."""
        raw = self.request(encode_request(case_id, messages), timeout)
        while raw.startswith(b'{"stream"') or b'"stream"' in raw[:40]:
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                break
            if not (isinstance(obj, dict) and "stream" in obj and "case" not in obj):
                break
            self.late_reports.append(obj)
            raw = self.request(b"", timeout)
        return decode_encode_answer(raw, case_id)

    def reports(self) -> list[dict[str, Any]]:
        """The served streams' reports that arrived; AdapterFailure for EOF,
        a line that is not JSON, or a malformed report."""
        out = self.read_objects()
        for obj in out:
            problem = check_report(obj)
            if problem:
                raise AdapterFailure(f"the adapter wrote {problem}: "
                                     f"{preview(json.dumps(obj).encode())}")
        return out
