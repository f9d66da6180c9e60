"""One client adapter process (docs/client-adapter-protocol.md).

The caller owns the event loop: it polls the descriptors this object names
(stdout, stderr, and stdin while commands wait to be written) and calls
on_readable / on_writable. Reports come back parsed; a line that is not a
JSON report, an exit, or stdin that stays full is a ClientAdapterFailure, after
which the caller kills the process and starts another one. stderr is kept as
a bounded tail, and lines naming a stream id are kept per stream.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field

from harness.protocol.process import AdapterProcessBase, check_hello, preview

CLIENT_KINDS = ("open", "event", "error", "closed", "failure")
# The fields each report kind carries (besides "stream" and "kind").
REPORT_FIELDS = {"event": ("type", "data", "lastEventId"), "error": ("readyState",),
                 "failure": ("message",)}
MAX_REPORT_LINE = 64 << 20     # a longer stdout line is a failure
STREAM_STDERR_LINES = 40       # stderr lines kept per stream
STREAM_STDERR_LINE = 400       # characters kept of each
SANITIZER_MARKS = ("AddressSanitizer", "LeakSanitizer", "UndefinedBehaviorSanitizer",
                   "runtime error:")
_STREAM_REF = re.compile(r"[A-Za-z0-9_./@-]+#[0-9]+")


class ClientAdapterFailure(Exception):
    """The adapter broke the protocol or died: every open stream fails with
    this reason, and the adapter is restarted."""


class ClientHelloError(Exception):
    """The adapter could not be started, or its hello was missing or malformed."""


@dataclass
class ClientHello:
    name: str
    version: str
    reports: list[str]
    max_streams: int
    raw: dict = field(default_factory=dict)
    fetch: bool = False     # the client makes its requests with Fetch (rule C1-cache)


def parse_client_hello(line: bytes) -> ClientHello:
    h, reports = check_hello(line, CLIENT_KINDS, ClientHelloError)
    ms = h.get("max_streams", 1)
    if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
        raise ClientHelloError('hello "max_streams" must be a whole number of at least 1')
    for key in ("fetch", "h2", "h2c"):
        if not isinstance(h.get(key, False), bool):
            raise ClientHelloError(f'hello "{key}" must be true or false')
    fetch = h.get("fetch", False)
    return ClientHello(h["name"], h["version"], reports, ms, h, fetch)


def normalise(report: dict) -> dict:
    """A report without its stream id and any key the protocol does not define."""
    kind = report.get("kind")
    out: dict = {"kind": kind}
    for k in REPORT_FIELDS.get(str(kind), ()):
        if k in report:
            out[k] = report[k]
    return out


def open_command(stream: str, url: str, types: list[str], h2c: bool = False) -> dict:
    """An open command; `"h2c": true` (an ssespec extension of version 1) only
    for an h2c variant, which runs only for an adapter whose hello offers h2c."""
    cmd = {"cmd": "open", "stream": stream, "url": url, "types": types}
    if h2c:
        cmd["h2c"] = True
    return cmd


def close_command(stream: str) -> dict:
    return {"cmd": "close", "stream": stream}


class ClientAdapterProcess(AdapterProcessBase):
    hello_error = ClientHelloError
    failure = ClientAdapterFailure

    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        super().__init__(argv, MAX_REPORT_LINE, env)
        self.hello: ClientHello | None = None
        self.sanitizer = False
        self.stream_stderr: dict[str, list[str]] = {}   # filled for ids in `watching`
        self.watching: set[str] = set()
        self._err_line = bytearray()

    # ------------------------------------------------------------ lifecycle

    def parse_hello(self, line: bytes) -> ClientHello:
        return parse_client_hello(line)

    def start(self, timeout: float) -> ClientHello:
        hello = self._start(timeout)
        assert isinstance(hello, ClientHello)
        self.hello = hello
        return hello

    def stop(self) -> int | None:
        """Write the commands still waiting (for up to a second), close stdin
        and give the adapter EXIT_GRACE seconds; its status, or None when it
        had to be killed."""
        if self.proc is None or self._killed:
            return None
        try:
            self.flush(1.0)
        except ClientAdapterFailure:
            pass
        return super().stop()

    # ------------------------------------------------------------ stdout

    def on_readable(self) -> list[dict]:
        """The reports that arrived; ClientAdapterFailure for EOF (the
        adapter exited or closed stdout), an endless line, or a line that is
        not a JSON report object with a "stream" and a "kind" string."""
        out = self.read_objects()
        for obj in out:
            if not isinstance(obj.get("stream"), str) or not isinstance(obj.get("kind"), str):
                raise ClientAdapterFailure(f'the adapter wrote a report without a "stream" and '
                                           f'a "kind" string: {preview(json.dumps(obj).encode())}')
        return out

    # ------------------------------------------------------------ stderr

    def _keep_stderr(self, data: bytes) -> None:
        super()._keep_stderr(data)
        self._err_line += data
        while True:
            i = self._err_line.find(b"\n")
            if i < 0:
                if len(self._err_line) > 8192:
                    self._stderr_line(bytes(self._err_line[:8192]))
                    self._err_line.clear()
                return
            self._stderr_line(bytes(self._err_line[:i]))
            del self._err_line[:i + 1]

    def _stderr_line(self, raw: bytes) -> None:
        text = raw.decode("utf-8", "replace")
        if not self.sanitizer and any(m in text for m in SANITIZER_MARKS):
            self.sanitizer = True
        if not self.watching or "#" not in text:
            return
        for ref in set(_STREAM_REF.findall(text)):
            if ref in self.watching:
                lines = self.stream_stderr.setdefault(ref, [])
                if len(lines) < STREAM_STDERR_LINES:
                    lines.append(text[:STREAM_STDERR_LINE])
