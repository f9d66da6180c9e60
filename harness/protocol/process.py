"""Process plumbing shared by the adapter protocols (harness/protocol/parser.py,
harness/protocol/client.py).

An adapter runs in a session of its own (so that killing it kills what it
started) with three non-blocking pipes. Its first line is its hello, read
with a deadline and a size bound while stderr is drained; the hello's common
fields are checked here, each protocol adds its own. stderr is kept as a
bounded tail. Stopping closes stdin and gives the adapter EXIT_GRACE seconds
to exit, reading (and dropping) what it still writes meanwhile.
"""

from __future__ import annotations

import json
import os
import select
import selectors
import signal
import subprocess
import time
from typing import Sequence

STDERR_KEEP = 64 << 10          # bytes of adapter stderr kept for reports
READ_SIZE = 1 << 20
EXIT_GRACE = 5.0                # seconds an adapter has to exit once stdin is closed


def die_with_parent() -> None:
    """For preexec_fn: the child gets SIGKILL when the harness dies, even by
    SIGKILL (Linux prctl PR_SET_PDEATHSIG), so that no adapter or server
    outlives a run that was killed outright. Best effort elsewhere."""
    try:
        import ctypes
        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(1, signal.SIGKILL, 0, 0, 0)   # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        return
    # the harness may have died between the fork and the prctl: then the
    # child is init's already and no signal will come
    if os.getppid() == 1:
        os._exit(1)


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


def check_hello(line: bytes, kinds: Sequence[str], error: type[Exception]) -> tuple[dict, list[str]]:
    """The hello object of an adapter's first line and its "reports" (without
    repeats), after the checks both protocols make: a JSON object with a
    "hello" object holding "name" and "version" strings and a "reports" list
    of known kinds that includes "event". error(message) says what is wrong."""
    try:
        obj = json.loads(line)
    except (ValueError, UnicodeDecodeError, RecursionError):
        raise error(f"the first line is not JSON (or nested too deeply): {preview(line)}") from None
    if not isinstance(obj, dict) or "hello" not in obj:
        raise error(f"the first line is not a hello object: {preview(line)}")
    h = obj["hello"]
    if not isinstance(h, dict):
        raise error('"hello" is not an object')
    for key in ("name", "version"):
        if not isinstance(h.get(key), str):
            raise error(f'hello has no "{key}" string')
    reports = h.get("reports")
    if not isinstance(reports, list) or not all(isinstance(k, str) for k in reports):
        raise error('hello has no "reports" list of strings')
    unknown = [k for k in reports if k not in kinds]
    if unknown:
        raise error(f"hello reports unknown kind {unknown[0]!r} (kinds: {', '.join(kinds)})")
    if "event" not in reports:
        raise error('hello "reports" does not include "event"')
    return h, list(dict.fromkeys(reports))


class AdapterFailure(Exception):
    """The adapter did not answer properly: the case fails with this reason
    and the process is restarted before the next request."""

    def __init__(self, reason: str, timed_out: bool = False, malformed: bool = False) -> None:
        super().__init__(reason)
        self.timed_out = timed_out
        # the line was a response to the case, with contents that break the
        # protocol: the case fails, but the process is in step and is kept
        self.malformed = malformed


class AdapterProcessBase:
    """One adapter process. Subclasses name the exception for a failed start
    (hello_error) and for a broken exchange (failure), check the hello
    (parse_hello) and speak the protocol. Besides the start and stop, it
    offers the pieces of an exchange driven by the caller's event loop
    (commands queued with send() and written by on_writable(), JSON objects
    read by read_objects()), for protocols whose reports come when they
    come (the client protocol, served producers)."""

    hello_error: type[Exception] = Exception
    failure: type[Exception] = AdapterFailure

    def __init__(self, argv: list[str], max_line: int, env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.max_line = max_line        # a longer stdout line is a failure
        self.env = env
        self.proc: subprocess.Popen[bytes] | None = None
        self.stderr_tail = bytearray()
        self.stderr_total = 0
        self._out = bytearray()
        self._in = bytearray()                 # commands not yet written
        self._in_stuck_since: float | None = None
        self._killed = False
        self.last_output = time.monotonic()   # when stdout last gave bytes

    def parse_hello(self, line: bytes) -> object:
        raise NotImplementedError

    # ------------------------------------------------------------ lifecycle

    def _start(self, timeout: float) -> object:
        """Start the adapter and read and check its hello; hello_error (the
        process killed) when it cannot be started or its hello is missing,
        endless or malformed."""
        self._spawn()
        try:
            return self.parse_hello(self._first_line(timeout))
        except self.hello_error:
            self.kill()
            raise

    def _spawn(self) -> None:
        err = self.hello_error
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                         stderr=subprocess.PIPE, bufsize=0, env=self.env,
                                         start_new_session=True, preexec_fn=die_with_parent)
        except FileNotFoundError:
            raise err(f"adapter command not found: {self.argv[0]!r}") from None
        except PermissionError:
            raise err(f"adapter command is not executable: {self.argv[0]!r}") from None
        except OSError as e:
            raise err(f"cannot start adapter {self.argv[0]!r}: {e.strerror}") from None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            assert f is not None
            os.set_blocking(f.fileno(), False)

    def _first_line(self, timeout: float) -> bytes:
        """The hello line (without its LF), stderr kept meanwhile."""
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
                    return line
                if len(self._out) > self.max_line:
                    raise self.hello_error(f"the hello line is longer than {self.max_line} bytes")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise self.hello_error(f"no hello within {timeout:g} s")
                for key, _ in sel.select(left):
                    if key.data == "err":
                        if not self.read_stderr():
                            sel.unregister(key.fd)
                    elif not self.read_out():
                        raise self.hello_error(self.end_reason(" before its hello"))
        finally:
            sel.close()

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
        self.read_stderr(64)
        self._close()

    def stop(self) -> int | None:
        """Close stdin and give the adapter EXIT_GRACE seconds to exit; return
        its exit status (None if it had to be killed)."""
        if self.proc is None or self._killed:
            return None
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except OSError:
            pass
        deadline = time.monotonic() + EXIT_GRACE
        reading = [f.fileno() for f in (self.proc.stdout, self.proc.stderr)
                   if f is not None and not f.closed]
        while self.proc.poll() is None and time.monotonic() < deadline:
            wait = min(0.05, max(0.0, deadline - time.monotonic()))
            if not reading:
                time.sleep(wait)
                continue
            ready, _, _ = select.select(reading, [], [], wait)
            for fd in ready:            # stdout is read and dropped, stderr kept
                try:
                    data = os.read(fd, READ_SIZE)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:
                    reading.remove(fd)
                elif fd == self.fd_err:
                    self._keep_stderr(data)
        status = self.proc.poll()
        self.kill()
        return status

    def _close(self) -> None:
        assert self.proc is not None
        for f in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            try:
                if f is not None:
                    f.close()
            except OSError:
                pass

    # ------------------------------------------------------------ stdout

    def read_out(self) -> bool:
        """Read what stdout has into the buffer; False at its end."""
        try:
            data = os.read(self.fd_out, READ_SIZE)
        except BlockingIOError:
            return True
        if not data:
            return False
        self._out += data
        self.last_output = time.monotonic()
        return True

    @property
    def pending(self) -> int:
        """Bytes read from stdout and not yet taken as lines."""
        return len(self._out)

    # ------------------------------------------------------------ commands

    def send(self, cmd: dict) -> None:
        """Queue one command line and write what the adapter takes now."""
        self._in += json.dumps(cmd, ensure_ascii=True).encode("ascii") + b"\n"
        self.on_writable()

    @property
    def wants_write(self) -> bool:
        return bool(self._in)

    def on_writable(self) -> None:
        """Write what the adapter will take; self.failure when it is gone."""
        if not self._in:
            return
        try:
            n = os.write(self.fd_in, self._in[:READ_SIZE])
        except BlockingIOError:
            n = 0
        except OSError:
            raise self.failure(self.end_reason(wrote=True)) from None
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

    def read_objects(self) -> list[dict]:
        """The JSON objects of the whole lines that arrived on stdout;
        self.failure for EOF (the adapter exited or closed stdout), an
        endless line, or a line that is not a JSON object."""
        if not self.read_out():
            raise self.failure(self.end_reason())
        out: list[dict] = []
        end = self._out.rfind(b"\n")
        if end < 0:
            if len(self._out) > self.max_line:
                raise self.failure(f"the adapter wrote a line longer than {self.max_line} bytes")
            return out
        chunk = bytes(self._out[:end])
        del self._out[:end + 1]
        for raw in chunk.split(b"\n"):
            if not raw.strip():
                continue
            try:
                obj = json.loads(raw)
            except (ValueError, UnicodeDecodeError, RecursionError):
                raise self.failure(f"the adapter wrote a line that is not JSON: "
                                   f"{preview(raw)}") from None
            if not isinstance(obj, dict):
                raise self.failure(f"the adapter wrote JSON that is not an object: "
                                   f"{preview(raw)}")
            out.append(obj)
        return out

    # ------------------------------------------------------------ stderr

    def read_stderr(self, reads: int = 16) -> bool:
        """Keep what the adapter wrote on stderr (at most `reads` reads);
        False at its end."""
        if self.proc is None or self.proc.stderr is None or self.proc.stderr.closed:
            return False
        for _ in range(reads):
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
        self.stderr_total += len(data)
        self.stderr_tail += data
        if len(self.stderr_tail) > STDERR_KEEP:
            del self.stderr_tail[:len(self.stderr_tail) - STDERR_KEEP]

    def stderr_text(self, limit: int = STDERR_KEEP) -> str:
        return bytes(self.stderr_tail[-limit:]).decode("utf-8", "replace")

    # ------------------------------------------------------------ reasons

    def end_reason(self, before: str = "", wrote: bool = False) -> str:
        """Why stdout ended (or stdin broke, when wrote): the adapter exited,
        was killed, or closed the pipe while still running. before is added
        after that (" before its hello"), then any line left without its LF."""
        assert self.proc is not None
        try:
            status: int | None = self.proc.wait(timeout=1.0)
        except subprocess.TimeoutExpired:
            status = None
        self.read_stderr(64)
        if status is None:
            reason = f"the adapter {'closed its stdin' if wrote else 'closed its stdout'}{before}"
        else:
            reason = f"the adapter {describe_exit(status)}{before}"
        if self._out:
            reason += f" (it wrote {preview(self._out)} without a newline)"
        return reason


class LineAdapter(AdapterProcessBase):
    """An adapter spoken to one request line at a time (the parser and server
    protocols): request() writes a line and returns one response line, with
    a deadline and a size bound; stderr is kept meanwhile."""

    def __init__(self, argv: list[str], max_line: int, env: dict[str, str] | None = None) -> None:
        super().__init__(argv, max_line, env)
        self._scan = 0
        self._sel: selectors.BaseSelector | None = None

    def _start_lines(self, timeout: float) -> object:
        hello = self._start(timeout)
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

    def pipeline(self, lines: list[bytes], timeout: float) -> list[bytes]:
        """Send every line at once and return one response line for each,
        in order; each response has timeout seconds after the previous one.
        AdapterFailure (timed_out when it is a timeout) names the first
        problem; the caller then kills the process."""
        if self.proc is None or self._sel is None:
            raise AdapterFailure("the adapter is not running")
        view = memoryview(b"".join(lines))
        out: list[bytes] = []
        writing = False
        if view:
            self._sel.register(self.fd_in, selectors.EVENT_WRITE, "in")
            writing = True
        deadline = time.monotonic() + timeout
        try:
            while len(out) < len(lines):
                line = self.take_line()
                if line is not None:
                    out.append(line)
                    deadline = time.monotonic() + timeout
                    continue
                if len(self._out) > self.max_line:
                    raise AdapterFailure(f"the response line is longer than {self.max_line} "
                                         f"bytes: {preview(self._out)}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise AdapterFailure(f"no response within {timeout:g} s (after "
                                         f"{len(out)} of {len(lines)})", timed_out=True)
                for key, _ in self._sel.select(left):
                    if key.data == "in":
                        view = self.write_some(view)
                        if not view:
                            self._sel.unregister(self.fd_in)
                            writing = False
                    elif key.data == "out":
                        if not self.read_out():
                            raise AdapterFailure(self._eof_reason("response"))
                    else:
                        self._read_err()
            return out
        finally:
            if writing and self._sel is not None:
                self._sel.unregister(self.fd_in)

    # The pieces of _exchange, also used by harness/fuzz/difffuzz.py, which
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
