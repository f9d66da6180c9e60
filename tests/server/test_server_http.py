"""HTTP behaviours of ssespec-server over real sockets on loopback (stdlib +
pytest; docs/server.md).

Self-contained: the scenarios and the --static directory are written here.
The server binary is $SSESPEC_SERVER, else build/release/server/ssespec-server,
else build/asan/server/ssespec-server.
"""

from __future__ import annotations

import json
import os
import select
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent.parent

SCENARIOS = {
    # one chunk per send, then the last chunk and close
    "chunked": 'connection\n  send "data: a\\n\\n"\n  send "data: b\\n\\n"\n  close\n',
    # Content-Length 22, then held (keep-alive possible)
    "length": ('connection\n  framing length\n  send "data: one\\n\\n"\n'
               '  send "data: two\\n\\n"\n'),
    # never ends: a comment, then held
    "hold": 'connection\n  send ": hi\\n\\n"\n',
    "no-content": "connection\n  status 204\n",
}


def binary(env: str, part: str, name: str) -> str:
    path = os.environ.get(env)
    if path:
        return path
    for build in ("release", "asan"):
        p = ROOT / "build" / build / part / name
        if p.exists():
            return str(p)
    pytest.fail(f"{name} is not built: build it or set {env}")


# ------------------------------------------------------------------ the server


class Server:
    """A running ssespec-server writing its log to a file."""

    def __init__(self, args: list[str], log: Path):
        self.log_path = log
        self.proc = subprocess.Popen(
            [binary("SSESPEC_SERVER", "server", "ssespec-server"), "--log", str(log), *args],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
        r, _, _ = select.select([self.proc.stdout], [], [], 20.0)
        line = self.proc.stdout.readline() if r else b""
        if not line:
            self.proc.kill()
            raise AssertionError("the server printed no listening line: "
                                 + self.proc.stderr.read().decode(errors="replace"))
        listening = json.loads(line)
        self.port = listening["port"]
        self.tls_port = listening["tls_port"]

    def events(self) -> list[dict]:
        data = self.log_path.read_bytes()
        return [json.loads(x) for x in data[:data.rfind(b"\n") + 1].splitlines()]

    def wait_for(self, pred, timeout: float = 10.0) -> dict:
        deadline = time.monotonic() + timeout
        while True:
            found = [e for e in self.events() if pred(e)]
            if found:
                return found[0]
            if time.monotonic() > deadline:
                raise AssertionError(f"no log line matched within {timeout} s")
            time.sleep(0.02)

    def stop(self) -> tuple[int, str]:
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


@pytest.fixture(scope="module")
def pki(tmp_path_factory) -> Path:
    """A throw-away CA and a certificate for 127.0.0.1."""
    d = tmp_path_factory.mktemp("pki")

    def run(*args):
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)

    run("req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "ca.key", "-out", "ca.pem", "-days", "2", "-subj", "/CN=ssespec http test CA",
        "-addext", "basicConstraints=critical,CA:TRUE",
        "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    run("req", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256", "-nodes",
        "-keyout", "server.key", "-out", "server.csr", "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\nkeyUsage=critical,digitalSignature\n")
    run("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
        "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return d


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory) -> Path:
    """DIR with files, and real symbolic links that lead out of it (and one
    that stays inside); a secret beside DIR that must never be served."""
    top = tmp_path_factory.mktemp("static-top")
    d = top / "www"
    d.mkdir()
    (d / "page.txt").write_text("page\n")
    (d / "sub").mkdir()
    (d / "sub" / "in.txt").write_text("in\n")
    (top / "outside").mkdir()
    (top / "outside" / "secret.txt").write_text("SECRET\n")
    (d / "out").symlink_to(top / "outside")                  # a directory link, absolute
    (d / "leak.txt").symlink_to("../outside/secret.txt")     # a file link, relative
    (d / "sub" / "up").symlink_to("..")                      # a link back up, then out
    (d / "alias.txt").symlink_to("page.txt")                 # stays inside: refused too
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki, static_dir):
    sdir = tmp_path_factory.mktemp("scenarios")
    for name, body in SCENARIOS.items():
        (sdir / f"{name}.scenario").write_text(f"about {name}\nrule C8\n{body}")
    log = tmp_path_factory.mktemp("log") / "server.log"
    srv = Server(["--port", "0", "--tls-port", "0", "--cert", str(pki / "server.pem"),
                  "--key", str(pki / "server.key"), "--static", str(static_dir),
                  "--header-timeout-ms", "3000", str(sdir)], log)
    yield srv
    rc, err = srv.stop()
    assert rc == 0, err
    assert "Sanitizer" not in err and "runtime error" not in err, err


_count = [0]


def token() -> str:
    _count[0] += 1
    return f"h{os.getpid()}-{_count[0]}"


def connect(server, tls: bool = False, pki: Path | None = None) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.tls_port if tls else server.port),
                                 timeout=10)
    if tls:
        ctx = ssl.create_default_context(cafile=str(pki / "ca.pem"))
        s = ctx.wrap_socket(s, server_hostname="127.0.0.1")
    return s


def request(path: str, method: str = "GET", version: str = "HTTP/1.1",
            headers: tuple[tuple[str, str], ...] = (("Host", "127.0.0.1"),)) -> bytes:
    return (f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            + "\r\n").encode()


class Reader:
    """Reads HTTP/1.1 responses one by one from a socket."""

    def __init__(self, s: socket.socket):
        self.s, self.buf = s, b""
        s.settimeout(10)

    def _more(self) -> None:
        d = self.s.recv(65536)
        if not d:
            raise AssertionError(f"EOF; unparsed: {self.buf[:200]!r}")
        self.buf += d

    def response(self, head_only: bool = False) -> tuple[int, dict[str, str], bytes]:
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")
        status = int(lines[0].split(" ")[1])
        fields = {k.lower(): v.strip() for k, v in (ln.split(":", 1) for ln in lines[1:])}
        n = 0 if head_only else int(fields.get("content-length", "0"))
        while len(self.buf) < n:
            self._more()
        body, self.buf = self.buf[:n], self.buf[n:]
        return status, fields, body


# ------------------------------------------------------------------ --static


@pytest.mark.parametrize("path", [
    "/static/out/secret.txt",                    # a directory link out of DIR
    "/static/leak.txt",                          # a file link out of DIR
    "/static/sub/up/page.txt",                   # a link up to DIR itself
    "/static/sub/up/../outside/secret.txt",
    "/static/alias.txt",                         # a link inside DIR: no link is followed
    "/static/../outside/secret.txt",
    "/static/sub/../page.txt",
    "/static/%2e%2e/outside/secret.txt",
    "/static/%2E%2E%2Foutside%2Fsecret.txt",
    "/static/..%2foutside/secret.txt",
    "/static/sub/%2e%2e/%2e%2e/outside/secret.txt",
    "/static/.%2e/outside/secret.txt",
    "/static/%2fetc/passwd",
    "/static//etc/passwd",
    "/static/sub/",
    "/static/out",
])
def test_static_never_leaves_its_directory(server, path):
    with connect(server) as s:
        s.sendall(request(path))
        status, _, body = Reader(s).response()
    assert status in (403, 404), (path, status, body)
    assert b"SECRET" not in body and b"root:" not in body


def test_static_serves_what_is_inside(server):
    for path, body in [("/static/page.txt", b"page\n"), ("/static/sub/in.txt", b"in\n")]:
        with connect(server) as s:
            s.sendall(request(path))
            assert Reader(s).response()[1:] == ({"content-type": "text/plain; charset=utf-8",
                                                 "content-length": str(len(body)),
                                                 "cache-control": "no-store"}, body)
