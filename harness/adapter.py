"""Drive one adapter process over the parser adapter protocol (version 1).

The process is started once and kept. Every read has a deadline and a size
bound, so a hanging, crashing or chattering adapter costs at most the case's
time limit and a bounded amount of memory. stderr is drained while waiting
and its last bytes are kept for reports; it is never parsed. The process
plumbing (start, hello line, stderr tail, stop) is harness/process.py.
"""

from __future__ import annotations

import os
import selectors
import time
from dataclasses import dataclass, field

from .process import READ_SIZE, AdapterProcessBase, check_hello, describe_exit, preview

__all__ = ["KINDS", "MAX_LINE", "AdapterFailure", "HelloError", "Hello", "parse_hello",
           "AdapterProcess", "describe_exit", "preview"]

KINDS = ("event", "retry", "comment", "end")
MAX_LINE = 256 << 20            # a longer response line fails the case


class AdapterFailure(Exception):
    """The adapter did not answer properly: the case fails with this reason
    and the process is restarted before the next request."""

    def __init__(self, reason: str, timed_out: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out


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

    def request(self, line: bytes, timeout: float) -> bytes:
        """Send one request line; return one response line (without its LF).
        AdapterFailure names the problem; the caller then kills the process."""
        if self.proc is None or self._sel is None:
            raise AdapterFailure("the adapter is not running")
        return self._exchange(line, timeout, what="response")

    def _exchange(self, send: bytes, timeout: float, what: str) -> bytes:
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
                if len(self._out) > self.max_line:
                    raise AdapterFailure(
                        f"the {what} line is longer than {self.max_line} bytes")
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
