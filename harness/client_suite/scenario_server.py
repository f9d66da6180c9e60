"""The scenario server (ssespec-server, docs/server.md) for one client-suite run.

Started once with `--port 0 --tls-port 0`, the run's certificate, the static
folder for browser adapters and the scenario directory; its JSON log comes
on stdout, which the caller reads without blocking (fileno() and
read_lines()) and must keep reading, or the server stalls. Every line gets
the harness's monotonic receive time as `recv`. Started with a log file
instead (`log`, for tests that play by hand), the server writes only its
`listening` line on stdout, and entries() reads a run's lines from the file.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
from pathlib import Path

from harness.core.errors import Fatal
from harness.protocol.process import describe_exit, die_with_parent

START_TIMEOUT = 30.0
STOP_GRACE = 10.0
MAX_LOG_LINE = 1 << 20
SANITIZER_MARKS = (b"AddressSanitizer", b"LeakSanitizer", b"UndefinedBehaviorSanitizer",
                   b"runtime error:")


class ScenarioServer:
    def __init__(self, exe: Path, scenario_dir: Path, cert: Path, key: Path,
                 static: Path | None, log: Path | None = None, port: int = 0,
                 tls_port: int = 0, extra_dirs: list[Path] = ()) -> None:
        self.argv = [str(exe), "--port", str(port), "--tls-port", str(tls_port),
                     "--tls-h1-port", "0", "--h2c-port", "0", "--cert", str(cert),
                     "--key", str(key)]
        if static is not None:
            self.argv += ["--static", str(static)]
        self.log = log
        if log is not None:
            self.argv += ["--log", str(log)]
        self.argv.append(str(scenario_dir))
        self.argv += [str(d) for d in extra_dirs]
        self.proc: subprocess.Popen[bytes] | None = None
        self._err = tempfile.TemporaryFile()
        self._buf = bytearray()
        self.port = 0
        self.tls_port = 0           # HTTPS, offering h2 by ALPN (and http/1.1)
        self.tls_h1_port = 0        # HTTPS, http/1.1 only
        self.h2c_port = 0           # cleartext HTTP/2 with prior knowledge
        self.end_note: str | None = None
        self.lines_read = 0

    def start(self) -> None:
        try:
            self.proc = subprocess.Popen(self.argv, stdin=subprocess.DEVNULL,
                                         stdout=subprocess.PIPE, stderr=self._err,
                                         start_new_session=True, preexec_fn=die_with_parent)
        except OSError as e:
            raise Fatal(f"cannot start ssespec-server: {e.strerror}") from None
        assert self.proc.stdout is not None
        os.set_blocking(self.proc.stdout.fileno(), False)
        deadline = time.monotonic() + START_TIMEOUT
        while True:
            for line in self.read_lines(wait=min(0.2, max(0.0, deadline - time.monotonic()))):
                if line.get("ev") == "listening":
                    self.port = int(line["port"])
                    self.tls_port = int(line["tls_port"])
                    self.tls_h1_port = int(line.get("tls_h1_port") or 0)
                    self.h2c_port = int(line.get("h2c_port") or 0)
                    return
            if self.proc.poll() is not None and not self._buf:
                raise Fatal(f"ssespec-server {describe_exit(self.proc.returncode)} at start"
                            f"{self.stderr_hint()}")
            if time.monotonic() > deadline:
                self.kill()
                raise Fatal(f"ssespec-server did not say it was listening within "
                            f"{START_TIMEOUT:g} s{self.stderr_hint()}")

    def origin(self, transport: str) -> str:
        """The origin a variant of this transport connects to: plain HTTP/1.1
        (http), HTTPS with http/1.1 only (tls: so that a browser does not
        switch to h2), HTTPS offering h2 by ALPN (h2), cleartext h2 with prior
        knowledge (h2c)."""
        if transport == "tls":
            return f"https://127.0.0.1:{self.tls_h1_port or self.tls_port}"
        if transport == "h2":
            return f"https://127.0.0.1:{self.tls_port}"
        if transport == "h2c":
            return f"http://127.0.0.1:{self.h2c_port}"
        return f"http://127.0.0.1:{self.port}"

    def entries(self, run: str, ev: str | None = None) -> list[dict]:
        """The complete lines of the log file about one run (its TOKEN), only
        those of event ev when given."""
        assert self.log is not None
        out = []
        with open(self.log, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                e = json.loads(line)
                if e.get("run") == run and (ev is None or e.get("ev") == ev):
                    out.append(e)
        return out

    def fileno(self) -> int:
        assert self.proc is not None and self.proc.stdout is not None
        return self.proc.stdout.fileno()

    def read_lines(self, wait: float = 0.0) -> list[dict]:
        """The log lines that have arrived (waiting up to `wait` seconds for the
        first), parsed, each with `recv` added. A line that is not JSON is
        skipped (the server only writes JSON; this is defence)."""
        assert self.proc is not None and self.proc.stdout is not None
        fd = self.proc.stdout.fileno()
        if wait > 0:
            import select
            select.select([fd], [], [], wait)
        while True:
            try:
                data = os.read(fd, 1 << 20)
            except BlockingIOError:
                break
            if not data:
                break
            self._buf += data
            if len(data) < 1 << 20:
                break
        now = time.monotonic()
        out = []
        end = self._buf.rfind(b"\n")
        if end < 0:
            if len(self._buf) > MAX_LOG_LINE:
                self._buf.clear()
            return out
        chunk = bytes(self._buf[:end])
        del self._buf[:end + 1]
        for raw in chunk.split(b"\n"):
            try:
                obj = json.loads(raw)
            except ValueError:
                continue
            if isinstance(obj, dict):
                obj["recv"] = now
                out.append(obj)
        self.lines_read += len(out)
        return out

    @property
    def running(self) -> bool:
        return self.proc is not None and self.proc.poll() is None

    def stop(self) -> int | None:
        """SIGTERM, wait, and note anything wrong: a status other than 0, or a
        sanitizer report on stderr. Returns the exit status (None: killed)."""
        if self.proc is None:
            return None
        status: int | None = None
        if self.proc.poll() is None:
            try:
                self.proc.send_signal(signal.SIGTERM)
            except ProcessLookupError:
                pass
            try:
                status = self.proc.wait(STOP_GRACE)
            except subprocess.TimeoutExpired:
                self.kill()
                status = None
        else:
            status = self.proc.returncode
        if self.proc.stdout is not None:
            self.proc.stdout.close()
        err = self.stderr()
        if status is None:
            self.end_note = f"ssespec-server did not exit within {STOP_GRACE:g} s of SIGTERM"
        elif status != 0:
            self.end_note = f"ssespec-server {describe_exit(status)}"
        if any(m in err for m in SANITIZER_MARKS):
            self.end_note = ((self.end_note + "; ") if self.end_note else "") + \
                "ssespec-server wrote a sanitizer report on stderr"
        if self.end_note and err.strip():
            self.end_note += ": " + err.decode("utf-8", "replace").strip().splitlines()[-1][:300]
        self._err.close()
        self.proc = None
        return status

    def kill(self) -> None:
        if self.proc is None:
            return
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        self.proc.wait()

    def stderr(self, limit: int = 1 << 20) -> bytes:
        try:
            self._err.seek(0, os.SEEK_END)
            size = self._err.tell()
            self._err.seek(max(0, size - limit))
            return self._err.read()
        except (OSError, ValueError):
            return b""

    def stderr_hint(self) -> str:
        tail = self.stderr(4096).decode("utf-8", "replace").strip().splitlines()
        return f" (its stderr ends: {tail[-1][:300]})" if tail else ""
