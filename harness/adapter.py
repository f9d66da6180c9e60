"""Drive one adapter process over the parser adapter protocol (version 1).

The process is started once and kept. Every read has a deadline and a size
bound, so a hanging, crashing or chattering adapter costs at most the case's
time limit and a bounded amount of memory. stderr is drained while waiting
and its last bytes are kept for reports; it is never parsed.
"""

from __future__ import annotations

import json
import os
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

KINDS = ("event", "retry", "comment", "end")
STDERR_KEEP = 64 << 10          # bytes of adapter stderr kept for reports
MAX_LINE = 256 << 20            # a longer response line fails the case
READ_SIZE = 1 << 20
EXIT_GRACE = 5.0                # seconds an adapter has to exit once stdin is closed


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
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise HelloError(f"the first line is not JSON: {preview(line)}") from None
    if not isinstance(obj, dict) or "hello" not in obj:
        raise HelloError(f"the first line is not a hello object: {preview(line)}")
    h = obj["hello"]
    if not isinstance(h, dict):
        raise HelloError('"hello" is not an object')
    for key in ("name", "version"):
        if not isinstance(h.get(key), str):
            raise HelloError(f'hello has no "{key}" string')
    reports = h.get("reports")
    if not isinstance(reports, list) or not all(isinstance(k, str) for k in reports):
        raise HelloError('hello has no "reports" list of strings')
    unknown = [k for k in reports if k not in KINDS]
    if unknown:
        raise HelloError(f"hello reports unknown kind {unknown[0]!r} (kinds: {', '.join(KINDS)})")
    if "event" not in reports:
        raise HelloError('hello "reports" does not include "event"')
    return Hello(h["name"], h["version"], list(dict.fromkeys(reports)), h)


def preview(data: bytes, limit: int = 120) -> str:
    """A short printable view of some adapter output."""
    text = repr(bytes(data[:limit]))
    return text + (f" ... ({len(data)} bytes)" if len(data) > limit else "")


def describe_exit(status: int | None) -> str:
    if status is None:
        return "is still running"
    if status < 0:
        try:
            name = signal.Signals(-status).name
        except ValueError:
            name = f"signal {-status}"
        return f"was killed by {name}"
    return f"exited with status {status}"


class AdapterProcess:
    """One running adapter. start() reads the hello; request() sends one line
    and returns one response line; stop() closes it down."""

    def __init__(self, argv: list[str], max_line: int = MAX_LINE) -> None:
        self.argv = argv
        self.max_line = max_line
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_tail = bytearray()
        self.stderr_total = 0
        self._out = bytearray()
        self._scan = 0
        self._sel: selectors.BaseSelector | None = None
        self._killed = False

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float) -> Hello:
        try:
            self.proc = subprocess.Popen(
                self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                stderr=subprocess.PIPE, bufsize=0, start_new_session=True)
        except FileNotFoundError:
            raise HelloError(f"adapter command not found: {self.argv[0]!r}") from None
        except PermissionError:
            raise HelloError(f"adapter command is not executable: {self.argv[0]!r}") from None
        except OSError as e:
            raise HelloError(f"cannot start adapter {self.argv[0]!r}: {e.strerror}") from None
        assert self.proc.stdin and self.proc.stdout and self.proc.stderr
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            os.set_blocking(f.fileno(), False)
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout.fileno(), selectors.EVENT_READ, "out")
        self._sel.register(self.proc.stderr.fileno(), selectors.EVENT_READ, "err")
        try:
            line = self._exchange(b"", timeout, what="hello")
        except AdapterFailure as e:
            self.kill()
            raise HelloError(str(e)) from None
        try:
            return parse_hello(line)
        except HelloError:
            self.kill()
            raise

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        """Kill the adapter and everything in its process group (once: the
        group id is not ours any more after that)."""
        if self.proc is None or self._killed:
            return
        self._killed = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self._drain_stderr()
        self._close()

    def stop(self) -> int | None:
        """Close stdin and give the adapter EXIT_GRACE seconds to exit; return
        its exit status (None if it had to be killed)."""
        if self.proc is None:
            return None
        assert self.proc.stdin
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.monotonic() + EXIT_GRACE
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._pump(min(0.05, max(0.0, deadline - time.monotonic())), discard_out=True)
        status = self.proc.poll()
        self.kill()
        return status

    def _close(self) -> None:
        if self._sel is not None:
            self._sel.close()
            self._sel = None
        if self.proc is not None:
            for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
                try:
                    if f is not None:
                        f.close()
                except OSError:
                    pass
        self._out.clear()
        self._scan = 0

    # ------------------------------------------------------------ stderr

    def _keep_stderr(self, data: bytes) -> None:
        self.stderr_total += len(data)
        self.stderr_tail += data
        if len(self.stderr_tail) > STDERR_KEEP:
            del self.stderr_tail[: len(self.stderr_tail) - STDERR_KEEP]

    def _drain_stderr(self) -> None:
        if self.proc is None or self.proc.stderr is None or self.proc.stderr.closed:
            return
        fd = self.proc.stderr.fileno()
        for _ in range(64):
            try:
                data = os.read(fd, READ_SIZE)
            except (BlockingIOError, OSError):
                return
            if not data:
                return
            self._keep_stderr(data)

    def stderr_since(self, mark: int) -> bytes:
        """What the adapter wrote to stderr since stderr_total was mark (as far as kept)."""
        self._drain_stderr()
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
        in_fd = self.proc.stdin.fileno() if self.proc.stdin else -1
        writing = False
        if view:
            view = self._write_some(in_fd, view)
            if view:
                self._sel.register(in_fd, selectors.EVENT_WRITE, "in")
                writing = True
        try:
            while True:
                line = self._take_line()
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
                        view = self._write_some(in_fd, view)
                        if not view:
                            self._sel.unregister(in_fd)
                            writing = False
                    elif key.data == "out":
                        if not self._read_out():
                            raise AdapterFailure(self._eof_reason(what))
                    else:
                        self._read_err()
        finally:
            if writing and self._sel is not None:
                self._sel.unregister(in_fd)

    def _write_some(self, fd: int, view: memoryview) -> memoryview:
        try:
            n = os.write(fd, view[:READ_SIZE])
        except BlockingIOError:
            return view
        except (BrokenPipeError, OSError):
            raise AdapterFailure(self._eof_reason("response", wrote=True)) from None
        return view[n:]

    def _take_line(self) -> bytes | None:
        i = self._out.find(b"\n", self._scan)
        if i < 0:
            self._scan = len(self._out)
            return None
        line = bytes(self._out[:i])
        del self._out[: i + 1]
        self._scan = 0
        return line

    def _read_out(self) -> bool:
        assert self.proc is not None and self.proc.stdout is not None
        try:
            data = os.read(self.proc.stdout.fileno(), READ_SIZE)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._out += data
        return True

    def _read_err(self) -> None:
        assert self.proc is not None and self.proc.stderr is not None and self._sel is not None
        try:
            data = os.read(self.proc.stderr.fileno(), READ_SIZE)
        except BlockingIOError:
            return
        if data:
            self._keep_stderr(data)
        else:
            self._sel.unregister(self.proc.stderr.fileno())

    def _pump(self, timeout: float, discard_out: bool) -> None:
        if self._sel is None:
            time.sleep(timeout)
            return
        for key, _ in self._sel.select(timeout):
            if key.data == "out":
                if not self._read_out():
                    self._sel.unregister(key.fd)
                if discard_out:
                    self._out.clear()
            elif key.data == "err":
                self._read_err()

    def _eof_reason(self, what: str, wrote: bool = False) -> str:
        assert self.proc is not None
        try:
            status = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            status = None
        self._drain_stderr()
        if status is None:
            how = "closed its stdin" if wrote else "closed its stdout"
            reason = f"the adapter {how} before its {what}"
        else:
            reason = f"the adapter {describe_exit(status)} before its {what}"
        if self._out:
            reason += f" (it wrote {preview(self._out)} without a newline)"
        return reason
