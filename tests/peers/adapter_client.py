"""A small client for the parser adapter protocol, for the peer tests.

It starts one adapter process, reads its hello, and sends requests one at a
time (a response must come back within a time limit). Kept independent of
harness/ on purpose: the agreement test drives two adapters directly.
"""

from __future__ import annotations

import base64
import json
import os
import selectors
import shlex
import subprocess
import tempfile
import time


class AdapterError(RuntimeError):
    pass


class Adapter:
    def __init__(self, command: list[str] | str, cwd: str | None = None, timeout: float = 10.0):
        if isinstance(command, str):
            command = shlex.split(command)
        self.command = command
        self.timeout = timeout
        self._err = tempfile.TemporaryFile()  # a file, so a chatty adapter never blocks on stderr
        self.proc = subprocess.Popen(command, cwd=cwd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self._err, bufsize=0)
        os.set_blocking(self.proc.stdout.fileno(), False)
        self._buf = b""
        self._sel = selectors.DefaultSelector()
        self._sel.register(self.proc.stdout, selectors.EVENT_READ)
        line = self._readline(self.timeout)
        try:
            hello = json.loads(line)["hello"]
            self.name, self.version, self.reports = hello["name"], hello["version"], list(hello["reports"])
        except (ValueError, KeyError, TypeError) as e:
            self.close()
            raise AdapterError(f"{command}: bad hello line {line!r}: {e}") from None

    def _readline(self, timeout: float) -> bytes:
        deadline = time.monotonic() + timeout
        while b"\n" not in self._buf:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AdapterError(f"{self.command}: no answer within {timeout} s")
            if not self._sel.select(left):
                continue
            data = self.proc.stdout.read(1 << 20)
            if data == b"":
                err = self.stderr()[-2000:]
                raise AdapterError(f"{self.command}: exited (status {self.proc.wait()}): {err}")
            if data:
                self._buf += data
        line, _, self._buf = self._buf.partition(b"\n")
        return line

    def request(self, case: str, chunks: list[bytes], timeout: float | None = None) -> dict:
        """Send one case and return the response object ({"records": ...} or {"error": ...})."""
        req = {"case": case, "chunks": [base64.b64encode(c).decode("ascii") for c in chunks]}
        self.proc.stdin.write(json.dumps(req).encode("ascii") + b"\n")
        self.proc.stdin.flush()
        resp = json.loads(self._readline(timeout or self.timeout))
        if resp.get("case") != case:
            raise AdapterError(f"{self.command}: response for {resp.get('case')!r}, expected {case!r}")
        return resp

    def close(self) -> int:
        try:
            self.proc.stdin.close()
        except OSError:
            pass
        try:
            rc = self.proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        self._sel.close()
        self.proc.stdout.close()
        self._err.close()
        return rc

    def stderr(self) -> str:
        self._err.seek(0)
        return self._err.read().decode("utf-8", "replace")

    def __enter__(self) -> "Adapter":
        return self

    def __exit__(self, *exc) -> None:
        self.close()
