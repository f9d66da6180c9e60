"""The parser adapter protocol, version 1 (docs/adapter-protocol.md): its
one encoder of request lines, its one decoder of response lines, its hello,
and the process that speaks it.

The process is started once and kept. Every read has a deadline and a size
bound, so a hanging, crashing or chattering adapter costs at most the case's
time limit and a bounded amount of memory. stderr is drained while waiting
and its last bytes are kept for reports; it is never parsed. The process
plumbing (start, hello line, stderr tail, stop) is harness/protocol/process.py.
"""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass, field

from harness.core.records import check_records, shorten
from harness.protocol.process import (AdapterFailure, LineAdapter, check_hello, describe_exit,
                                      preview)

__all__ = ["KINDS", "MAX_LINE", "AdapterFailure", "HelloError", "Hello", "parse_hello",
           "AdapterProcess", "describe_exit", "preview", "encode_request", "Response",
           "decode_response", "response_limit"]

KINDS = ("event", "retry", "comment", "end")
MAX_LINE = 256 << 20            # the longest response line read at all
RESPONSE_SLACK = 1 << 20        # a response may be this much longer than the expected
RESPONSE_FACTOR = 8             # records' JSON times this (escapes: \u0000 is 6 bytes)
_B64 = [base64.b64encode(bytes([b])).decode("ascii") for b in range(256)]


# ---------------------------------------------------------------- requests


def encode_request(case_id: str, chunks: list[bytes]) -> bytes:
    """One request line: the case id and each chunk in base64."""
    return encode_parts(case_id, [base64.b64encode(c).decode("ascii") for c in chunks])


def encode_bytewise(case_id: str, data: bytes) -> bytes:
    """The request that feeds data one byte per chunk, without making a bytes
    object for each byte."""
    return encode_parts(case_id, [_B64[b] for b in data])


def encode_parts(case_id: str, parts: list[str]) -> bytes:
    chunk_list = '["' + '","'.join(parts) + '"]' if parts else "[]"
    return f'{{"case":{json.dumps(case_id)},"chunks":{chunk_list}}}\n'.encode("ascii")


# ---------------------------------------------------------------- responses


@dataclass
class Response:
    """A well-formed response: records, or the adapter's error text."""

    records: list[dict] | None = None
    error: str | None = None


def response_limit(expected: list[dict]) -> int:
    """The longest response line accepted for a case whose expected records
    are these: a correct answer is about their JSON size (escapes may make
    it a few times larger), so a far longer one is a flood, failed before it
    costs memory (and reports) many times its size."""
    size = len(json.dumps(expected, ensure_ascii=True))
    return min(MAX_LINE, RESPONSE_FACTOR * size + RESPONSE_SLACK)


def decode_response(raw: bytes, case_id: str) -> Response:
    """The response in one line; AdapterFailure names what is wrong with a
    line that is not a response to case_id (not JSON, nested too deeply, not
    an object, for another case, neither or both of records and error,
    malformed records)."""
    try:
        obj = json.loads(raw)
    except (ValueError, UnicodeDecodeError):
        raise AdapterFailure(f"the response is not JSON: {preview(raw)}") from None
    except RecursionError:
        raise AdapterFailure(f"the response is JSON nested too deeply to read: "
                             f"{preview(raw)}") from None
    if not isinstance(obj, dict):
        raise AdapterFailure(f"the response is not a JSON object: {preview(raw)}")
    if "case" not in obj:
        raise AdapterFailure(f'the response has no "case": {preview(raw)}')
    if obj["case"] != case_id:
        raise AdapterFailure(f"the response is for another case: {shorten(repr(obj['case']), 120)}")
    has_rec, has_err = "records" in obj, "error" in obj
    if has_rec == has_err:
        raise AdapterFailure('the response has neither or both of "records" and "error"',
                             malformed=True)
    if has_err:
        err = obj["error"]
        return Response(error=err if isinstance(err, str) else json.dumps(err))
    problem = check_records(obj["records"])
    if problem:
        raise AdapterFailure(f"malformed response: {problem}", malformed=True)
    return Response(records=obj["records"])


# ---------------------------------------------------------------- the process


class HelloError(Exception):
    """The adapter could not be started or its hello was missing or malformed."""


@dataclass
class Hello:
    name: str
    version: str
    reports: list[str]
    raw: dict = field(default_factory=dict)


def parse_hello(line: bytes) -> Hello:
    """Validate the first line an adapter writes; HelloError says what is wrong."""
    h, reports = check_hello(line, KINDS, HelloError)
    return Hello(h["name"], h["version"], reports, h)


class AdapterProcess(LineAdapter):
    """One running parser adapter. start() reads the hello; request() sends
    one line and returns one response line; stop() closes it down."""

    hello_error = HelloError

    def __init__(self, argv: list[str], max_line: int = MAX_LINE) -> None:
        super().__init__(argv, max_line)

    def parse_hello(self, line: bytes) -> Hello:
        return parse_hello(line)

    def start(self, timeout: float) -> Hello:
        hello = self._start_lines(timeout)
        assert isinstance(hello, Hello)
        return hello
