"""A client adapter driven by hand, one command at a time: for tests of one
adapter's behaviour (tests/client/test_client.py,
tests/peers/test_client_adapters.py) and for trying an adapter out.

The adapter gets the commands as they are sent (any bytes, so malformed ones
too) and a thread collects its stdout lines: the raw lines, and each line
after the hello parsed and kept per stream id (a line that is not JSON is
kept in `bad`). stderr goes to a file. Scenario runs are the harness's
(harness/client_suite/runner.py, `./ssespec check --client`), not this.
"""

from __future__ import annotations

import json
import os
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Callable, TypeVar

from harness.protocol.client import close_command, open_command

T = TypeVar("T")


class ClientAdapterDriver:
    def __init__(self, argv: list[str], logdir: Path, ca: Path | None = None,
                 hello_timeout: float = 10.0, exit_timeout: float = 30.0) -> None:
        """Start argv with SSESPEC_CA_FILE set to ca (unset when None) and wait
        for its first line; RuntimeError when none comes. exit_timeout is the
        time finish() allows by default."""
        self.exit_timeout = exit_timeout
        env = dict(os.environ)
        env.pop("SSESPEC_CA_FILE", None)
        if ca is not None:
            env["SSESPEC_CA_FILE"] = str(ca)
        self.errpath = logdir / f"adapter-stderr-{uuid.uuid4().hex[:8]}.txt"
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        self.raw: list[bytes] = []                    # every stdout line, the hello first
        self.by_stream: dict[str | None, list[dict]] = {}
        self.bad: list[bytes] = []                    # lines after the hello that are not JSON
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.wait_for(lambda: self.raw, hello_timeout)
        if not self.raw:
            self.finish(5)
            raise RuntimeError(f"{argv}: no hello line: {self.stderr()[-2000:]}")
        self.hello = json.loads(self.raw[0])

    def _read(self) -> None:
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            with self.cond:
                self.raw.append(line)
                if len(self.raw) > 1:
                    try:
                        r = json.loads(line)
                        self.by_stream.setdefault(r.get("stream"), []).append(
                            {k: v for k, v in r.items() if k != "stream"})
                    except (ValueError, AttributeError):
                        self.bad.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, cmd: dict | str | bytes) -> None:
        """One command line: a dict as JSON, str or bytes as they are."""
        data = cmd if isinstance(cmd, (bytes, str)) else json.dumps(cmd)
        if isinstance(data, str):
            data = data.encode("utf-8")
        assert self.proc.stdin is not None
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, pred: Callable[[], T], timeout: float) -> T:
        """pred() once it is true, or its value at the timeout (or when the
        adapter has exited and all its output is read)."""
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred()
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.thread.is_alive()):
                    return pred()
                self.cond.wait(min(left, 0.2))

    def records(self, stream: str) -> list[dict]:
        """The stream's reports so far, without their stream id."""
        with self.cond:
            return list(self.by_stream.get(stream, []))

    def open(self, stream: str, url: str, types: tuple[str, ...] | list[str] = (),
             h2c: bool = False) -> None:
        """An open command; h2c adds `"h2c": true` (cleartext HTTP/2 with prior
        knowledge, for adapters whose hello offers it)."""
        self.send(open_command(stream, url, list(types), h2c=h2c))

    def close_stream(self, stream: str, timeout: float = 10) -> list[dict]:
        """Send close and wait (up to timeout) for its answer, a closed or a
        failure record more than before; the stream's records."""
        def ends() -> int:
            return sum(r["kind"] in ("closed", "failure") for r in self.records(stream))
        before = ends()
        self.send(close_command(stream))
        self.wait_for(lambda: ends() > before, timeout)
        return self.records(stream)

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return self.errpath.read_text(errors="replace")

    def finish(self, timeout: float | None = None) -> int | None:
        """Close stdin and return the exit status (None: killed after timeout)."""
        if timeout is None:
            timeout = self.exit_timeout
        try:
            assert self.proc.stdin is not None
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            rc: int | None = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.thread.join(5)
        assert self.proc.stdout is not None
        self.proc.stdout.close()
        self.err.close()
        return rc
