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
import os
import re
import selectors
import signal
import subprocess
import time
from dataclasses import dataclass, field

from .adapter import describe_exit, preview

CLIENT_KINDS = ("open", "event", "error", "closed", "failure")
MAX_REPORT_LINE = 64 << 20     # a longer stdout line is a failure
STDERR_KEEP = 64 << 10
STREAM_STDERR_LINES = 40       # stderr lines kept per stream
STREAM_STDERR_LINE = 400       # characters kept of each
READ_SIZE = 1 << 20
EXIT_GRACE = 5.0
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


def parse_client_hello(line: bytes) -> ClientHello:
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError):
        raise ClientHelloError(f"the first line is not JSON: {preview(line)}") from None
    if not isinstance(obj, dict) or not isinstance(obj.get("hello"), dict):
        raise ClientHelloError(f"the first line is not a hello object: {preview(line)}")
    h = obj["hello"]
    for key in ("name", "version"):
        if not isinstance(h.get(key), str):
            raise ClientHelloError(f'hello has no "{key}" string')
    reports = h.get("reports")
    if not isinstance(reports, list) or not all(isinstance(k, str) for k in reports):
        raise ClientHelloError('hello has no "reports" list of strings')
    unknown = [k for k in reports if k not in CLIENT_KINDS]
    if unknown:
        raise ClientHelloError(f"hello reports unknown kind {unknown[0]!r} "
                               f"(kinds: {', '.join(CLIENT_KINDS)})")
    if "event" not in reports:
        raise ClientHelloError('hello "reports" does not include "event"')
    ms = h.get("max_streams", 1)
    if isinstance(ms, bool) or not isinstance(ms, int) or ms < 1:
        raise ClientHelloError('hello "max_streams" must be a whole number of at least 1')
    return ClientHello(h["name"], h["version"], list(dict.fromkeys(reports)), ms, h)


class ClientAdapterProcess:
    def __init__(self, argv: list[str], env: dict[str, str]) -> None:
        self.argv = argv
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.hello: ClientHello | None = None
        self.stderr_tail = bytearray()
        self.sanitizer = False
        self.stream_stderr: dict[str, list[str]] = {}   # filled for ids in `watching`
        self.watching: set[str] = set()
        self._err_line = bytearray()
        self._out = bytearray()
        self._in = bytearray()
        self._in_stuck_since: float | None = None
        self._killed = False
        self.last_output = time.monotonic()   # when stdout last gave bytes

    # ------------------------------------------------------------ lifecycle

    def start(self, timeout: float) -> ClientHello:
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0, env=self.env,
                                         start_new_session=True)
        except FileNotFoundError:
            raise ClientHelloError(f"adapter command not found: {self.argv[0]!r}") from None
        except PermissionError:
            raise ClientHelloError(f"adapter command is not executable: {self.argv[0]!r}") from None
        except OSError as e:
            raise ClientHelloError(f"cannot start adapter {self.argv[0]!r}: {e.strerror}") from None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            assert f is not None
            os.set_blocking(f.fileno(), False)
        deadline = time.monotonic() + timeout
        sel = selectors.DefaultSelector()
        sel.register(self.fd_out, selectors.EVENT_READ, "out")
        sel.register(self.fd_err, selectors.EVENT_READ, "err")
        try:
            while True:
                i = self._out.find(b"\n")
                if i >= 0:
                    line = bytes(self._out[:i])
                    del self._out[:i + 1]
                    break
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ClientHelloError(f"no hello within {timeout:g} s")
                for key, _ in sel.select(left):
                    if key.data == "err":
                        if not self.read_stderr():
                            sel.unregister(self.fd_err)
                    elif not self._read_out():
                        raise ClientHelloError(self.eof_reason("hello"))
                if len(self._out) > MAX_REPORT_LINE:
                    raise ClientHelloError("the hello line is too long")
        except ClientHelloError:
            self.kill()
            raise
        finally:
            sel.close()
        try:
            self.hello = parse_client_hello(line)
        except ClientHelloError:
            self.kill()
            raise
        return self.hello

    @property
    def fd_out(self) -> int:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.fileno()

    @property
    def fd_err(self) -> int:
        assert self.proc is not None and self.proc.stderr is not None
        return self.proc.stderr.fileno()

    @property
    def fd_in(self) -> int:
        assert self.proc is not None and self.proc.stdin is not None
        return self.proc.stdin.fileno()

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def kill(self) -> None:
        if self.proc is None or self._killed:
            return
        self._killed = True
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()
        self.read_stderr()
        self._close_pipes()

    def stop(self) -> int | None:
        """Close stdin and give the adapter EXIT_GRACE seconds; its status, or
        None when it had to be killed."""
        if self.proc is None or self._killed:
            return None
        try:
            self.flush(1.0)
        except ClientAdapterFailure:
            pass
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.monotonic() + EXIT_GRACE
        while self.proc.poll() is None and time.monotonic() < deadline:
            self._drain(0.05)
        status = self.proc.poll()
        self._drain(0)
        self.kill()
        return status

    def _drain(self, wait: float) -> None:
        """Read and drop stdout, keep stderr, for up to `wait` seconds."""
        import select
        fds = []
        for f in (self.proc.stdout, self.proc.stderr) if self.proc else ():
            if f is not None and not f.closed:
                fds.append(f.fileno())
        if not fds:
            time.sleep(wait)
            return
        ready, _, _ = select.select(fds, [], [], wait)
        for fd in ready:
            try:
                data = os.read(fd, READ_SIZE)
            except (BlockingIOError, OSError):
                continue
            if fd == self.fd_err:
                self._keep_stderr(data)

    def _close_pipes(self) -> None:
        assert self.proc is not None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass

    # ------------------------------------------------------------ stdin

    def send(self, cmd: dict) -> None:
        self._in += json.dumps(cmd, ensure_ascii=True).encode("ascii") + b"\n"
        self.on_writable()

    @property
    def wants_write(self) -> bool:
        return bool(self._in)

    def on_writable(self) -> None:
        """Write what the adapter will take; ClientAdapterFailure when it is gone."""
        if not self._in:
            return
        try:
            n = os.write(self.fd_in, self._in[:READ_SIZE])
        except BlockingIOError:
            n = 0
        except OSError:
            raise ClientAdapterFailure(self.eof_reason("command", wrote=True)) from None
        if n:
            del self._in[:n]
            self._in_stuck_since = None
        elif self._in_stuck_since is None:
            self._in_stuck_since = time.monotonic()

    def stuck_for(self) -> float:
        """Seconds the adapter has not read its stdin while commands waited."""
        if not self._in or self._in_stuck_since is None:
            return 0.0
        return time.monotonic() - self._in_stuck_since

    def flush(self, timeout: float) -> None:
        deadline = time.monotonic() + timeout
        while self._in and time.monotonic() < deadline:
            self.on_writable()
            if self._in:
                time.sleep(0.01)

    # ------------------------------------------------------------ stdout

    def _read_out(self) -> bool:
        try:
            data = os.read(self.fd_out, READ_SIZE)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._out += data
        self.last_output = time.monotonic()
        return True

    def on_readable(self) -> list[dict]:
        """The reports that arrived; ClientAdapterFailure for EOF (the
        adapter exited or closed stdout), an endless line, or a line that is
        not a JSON report object with a "stream" and a "kind" string."""
        if not self._read_out():
            raise ClientAdapterFailure(self.eof_reason("report"))
        out = []
        end = self._out.rfind(b"\n")
        if end < 0:
            if len(self._out) > MAX_REPORT_LINE:
                raise ClientAdapterFailure(f"the adapter wrote a line longer than "
                                           f"{MAX_REPORT_LINE} bytes")
            return out
        chunk = bytes(self._out[:end])
        del self._out[:end + 1]
        for raw in chunk.split(b"\n"):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError):
                raise ClientAdapterFailure(f"the adapter wrote a line that is not JSON: "
                                           f"{preview(raw)}") from None
            if not isinstance(obj, dict):
                raise ClientAdapterFailure(f"the adapter wrote JSON that is not an object: "
                                           f"{preview(raw)}")
            if not isinstance(obj.get("stream"), str) or not isinstance(obj.get("kind"), str):
                raise ClientAdapterFailure(f'the adapter wrote a report without a "stream" and '
                                           f'a "kind" string: {preview(raw)}')
            out.append(obj)
        return out

    # ------------------------------------------------------------ stderr

    def read_stderr(self) -> bool:
        """Keep what the adapter wrote on stderr; False at its end."""
        if self.proc is None or self.proc.stderr is None or self.proc.stderr.closed:
            return False
        for _ in range(16):
            try:
                data = os.read(self.fd_err, READ_SIZE)
            except BlockingIOError:
                return True
            except OSError:
                return False
            if not data:
                return False
            self._keep_stderr(data)
        return True

    def _keep_stderr(self, data: bytes) -> None:
        self.stderr_tail += data
        if len(self.stderr_tail) > STDERR_KEEP:
            del self.stderr_tail[:len(self.stderr_tail) - STDERR_KEEP]
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

    def stderr_text(self, limit: int = STDERR_KEEP) -> str:
        return bytes(self.stderr_tail[-limit:]).decode("utf-8", "replace")

    # ------------------------------------------------------------ reasons

    def eof_reason(self, what: str, wrote: bool = False) -> str:
        assert self.proc is not None
        try:
            status: int | None = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            status = None
        self.read_stderr()
        if status is None:
            how = "closed its stdin" if wrote else "closed its stdout"
            return f"the adapter {how}" + (" before its hello" if what == "hello" else "")
        reason = f"the adapter {describe_exit(status)}"
        if what == "hello":
            reason += " before its hello"
        if self._out:
            reason += f" (it wrote {preview(self._out)} without a newline)"
        return reason
