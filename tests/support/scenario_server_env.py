"""What the scenario server's tests (tests/server/test_server*.py) share: the
binaries under test, a running ssespec-server with its log, the test PKI (the
project's one maker, harness.setup.certs.make_pki), and small socket helpers.

The server binary is $SSESPEC_SERVER, else build/release/server/ssespec-server,
else build/asan/server/ssespec-server; ssespec-get is $SSESPEC_GET, else the
same two builds' client/ssespec-get.
"""

from __future__ import annotations

import json
import os
import select
import shutil
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

from harness.setup.certs import Pki, make_pki

ROOT = Path(__file__).resolve().parents[2]


def binary(env: str, part: str, name: str) -> str:
    """$env, else build/release/PART/NAME, else build/asan/PART/NAME."""
    path = os.environ.get(env)
    if path:
        return path
    for build in ("release", "asan"):
        p = ROOT / "build" / build / part / name
        if p.exists():
            return str(p)
    pytest.fail(f"{name} is not built: build it or set {env}")


def server_binary() -> str:
    return binary("SSESPEC_SERVER", "server", "ssespec-server")


def get_binary() -> str:
    return binary("SSESPEC_GET", "client", "ssespec-get")


def new_pki(tmp_path_factory) -> Pki:
    """A throwaway CA and a server certificate for 127.0.0.1 and localhost
    (Pki: .ca, .cert, .key), made by the harness's own maker."""
    return make_pki(tmp_path_factory.mktemp("pki"))



def need_tool(command: str, package: str) -> str:
    """The path of a command-line tool the test needs, or a skip that names
    the Debian package to install."""
    path = shutil.which(command)
    if not path:
        pytest.skip(f"{command} is missing: apt-get install -y {package}")
    return path


class Server:
    """A running ssespec-server writing its log to a file; the listening line
    is read from its stdout."""

    def __init__(self, args: list[str], log: Path):
        self.log_path = log
        self.proc = subprocess.Popen(
            [server_binary(), "--log", str(log), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        r, _, _ = select.select([self.proc.stdout], [], [], 20.0)
        line = self.proc.stdout.readline() if r else b""
        if not line:
            self.proc.kill()
            self.proc.wait()
            raise AssertionError("the server printed no listening line: "
                                 + self.proc.stderr.read().decode(errors="replace"))
        self.listening = json.loads(line)
        assert self.listening["ev"] == "listening", self.listening
        self.port = self.listening["port"]
        self.tls_port = self.listening["tls_port"]
        self.h2c_port = self.listening.get("h2c_port")
        self._log_pos = 0
        self._events: list[dict] = []

    def events(self) -> list[dict]:
        """Every complete log line so far (read incrementally)."""
        with open(self.log_path, "rb") as f:
            f.seek(self._log_pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        for line in data[:end].splitlines():
            self._events.append(json.loads(line))
        self._log_pos += end
        return self._events

    def wait_for(self, pred, timeout: float = 10.0, count: int = 1) -> list[dict]:
        """The log lines matching pred, once there are at least count of them."""
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if pred(e)]
            if len(found) >= count:
                return found
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line matched within {timeout} s "
                                     f"(found {len(found)} of {count})")
            time.sleep(0.02)

    def wait_for_one(self, pred, timeout: float = 10.0) -> dict:
        """The first log line matching pred."""
        return self.wait_for(pred, timeout)[0]

    def run_events(self, run: str, scenario: str | None = None) -> list[dict]:
        return [e for e in self.events()
                if e.get("run") == run and (scenario is None or e.get("scenario") == scenario)]

    def alive(self) -> bool:
        return self.proc.poll() is None

    def stop(self) -> tuple[int, str]:
        """SIGTERM and wait: the exit status and stderr."""
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
        try:
            rc = self.proc.wait(30)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            rc = self.proc.wait()
        err = self.proc.stderr.read().decode(errors="replace")
        self.proc.stdout.close()
        self.proc.stderr.close()
        return rc, err

    def stop_cleanly(self) -> None:
        """Stop, and fail unless it exited 0 without a sanitizer report."""
        rc, err = self.stop()
        assert rc == 0, err
        assert "Sanitizer" not in err and "runtime error" not in err, err


_token = [0]


def token(prefix: str = "t") -> str:
    """A run TOKEN no other test of this process uses."""
    _token[0] += 1
    return f"{prefix}{os.getpid()}-{_token[0]}"


def tls_context(pki: Pki) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(pki.ca))


def connect(server: Server, tls: bool = False, pki: Pki | None = None,
            timeout: float = 10.0) -> socket.socket:
    """A socket to the server's HTTP port, or its HTTPS port (over TLS)."""
    s = socket.create_connection(("127.0.0.1", server.tls_port if tls else server.port),
                                 timeout=timeout)
    if tls:
        assert pki is not None
        s = tls_context(pki).wrap_socket(s, server_hostname="127.0.0.1")
    return s


def read_to_eof(s: socket.socket, timeout: float = 10.0) -> bytes:
    s.settimeout(timeout)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            return out
        out += d
