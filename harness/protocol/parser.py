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
import os
import selectors
import time
from dataclasses import dataclass, field

from harness.core.records import check_records, shorten
from harness.protocol.process import (READ_SIZE, AdapterProcessBase, check_hello, describe_exit,
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


class AdapterFailure(Exception):
    """The adapter did not answer properly: the case fails with this reason
    and the process is restarted before the next request."""

    def __init__(self, reason: str, timed_out: bool = False, malformed: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out
        # the line was a response to the case, with contents that break the
        # protocol: the case fails, but the process is in step and is kept
        self.malformed = malformed


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


class AdapterProcess(AdapterProcessBase):
    """One running adapter. start() reads the hello; request() sends one line
    and returns one response line; stop() closes it down."""

    hello_error = HelloError

    def __init__(self, argv: list[str], max_line: int = MAX_LINE) -> None:
        super().__init__(argv, max_line)
        self._scan = 0
        self._sel: selectors.BaseSelector | None = None

    def parse_hello(self, line: bytes) -> Hello:
        return parse_hello(line)

    def start(self, timeout: float) -> Hello:
        hello = self._start(timeout)
        assert isinstance(hello, Hello)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.fd_out, selectors.EVENT_READ, "out")
        self._sel.register(self.fd_err, selectors.EVENT_READ, "err")
        return hello

    def _close(self) -> None:
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        if self.proc is not None:
            super()._close()
        self._out.clear()
        self._scan = 0

    def stderr_since(self, mark: int) -> bytes:
        """What the adapter wrote to stderr since stderr_total was mark (as far as kept)."""
        self.read_stderr(64)
        n = self.stderr_total - mark
        return bytes(self.stderr_tail[-n:]) if n > 0 else b""

    # ------------------------------------------------------------ requests

    def request(self, line: bytes, timeout: float, max_line: int | None = None) -> bytes:
        """Send one request line; return one response line (without its LF),
        at most max_line bytes (default: the process's bound). AdapterFailure
        names the problem; the caller then kills the process."""
        if self.proc is None or self._sel is None:
            raise AdapterFailure("the adapter is not running")
        return self._exchange(line, timeout, "response", max_line or self.max_line)

    def _exchange(self, send: bytes, timeout: float, what: str, max_line: int) -> bytes:
        assert self.proc is not None and self._sel is not None
        deadline = time.monotonic() + timeout
        view = memoryview(send)
        in_fd = self.fd_in
        writing = False
        if view:
            view = self.write_some(view)
            if view:
                self._sel.register(in_fd, selectors.EVENT_WRITE, "in")
                writing = True
        try:
            while True:
                line = self.take_line()
                if line is not None:
                    return line
                if len(self._out) > max_line:
                    raise AdapterFailure(
                        f"the {what} line is longer than {max_line} bytes: "
                        f"{preview(self._out)}")
                left = deadline - time.monotonic()
                if left <= 0:
                    sent = "" if not view else f" (it had not read all of the request: {len(view)} bytes left)"
                    raise AdapterFailure(f"no {what} within {timeout:g} s{sent}", timed_out=True)
                events = self._sel.select(left)
                for key, _ in events:
                    if key.data == "in":
                        view = self.write_some(view)
                        if not view:
                            self._sel.unregister(in_fd)
                            writing = False
                    elif key.data == "out":
                        if not self.read_out():
                            raise AdapterFailure(self._eof_reason(what))
                    else:
                        self._read_err()
        finally:
            if writing and self._sel is not None:
                self._sel.unregister(in_fd)

    # The pieces of _exchange, also used by harness/difffuzz.py, which
    # serves several adapters' pipes in one loop.

    def write_some(self, view: memoryview) -> memoryview:
        """Write what stdin takes now of view; return the rest.
        AdapterFailure when stdin is closed."""
        try:
            n = os.write(self.fd_in, view[:READ_SIZE])
        except BlockingIOError:
            return view
        except (BrokenPipeError, OSError):
            raise AdapterFailure(self._eof_reason("response", wrote=True)) from None
        return view[n:]

    def take_line(self) -> bytes | None:
        """The next whole line read from stdout (without its LF), or None."""
        i = self._out.find(b"\n", self._scan)
        if i < 0:
            self._scan = len(self._out)
            return None
        line = bytes(self._out[:i])
        del self._out[: i + 1]
        self._scan = 0
        return line

    def _read_err(self) -> None:
        assert self._sel is not None and self.proc is not None and self.proc.stderr is not None
        if not self.read_stderr(1) and not self.proc.stderr.closed:
            self._sel.unregister(self.fd_err)

    def _eof_reason(self, what: str, wrote: bool = False) -> str:
        return self.end_reason(f" before its {what}", wrote)
