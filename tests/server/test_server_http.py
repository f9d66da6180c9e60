"""HTTP behaviours of ssespec-server, and how ssespec-get ends, over real
sockets on loopback (stdlib + pytest; docs/server.md, docs/reference-client.md).

Self-contained: the scenarios and the --static directory are written here;
the binaries, the Server wrapper and the test PKI come from
tests/support/scenario_server_env.py.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from scenario_server_env import (Server, connect, get_binary, new_pki, read_to_eof, tls_context,
                                 token)

SCENARIOS = {
    # one chunk per send, then the last chunk and close
    "chunked": 'connection\n  send "data: a\\n\\n"\n  send "data: b\\n\\n"\n  close\n',
    # Content-Length 22, then held (keep-alive possible)
    "length": ('connection\n  framing length\n  send "data: one\\n\\n"\n'
               '  send "data: two\\n\\n"\n'),
    # never ends: a comment, then held
    "hold": 'connection\n  send ": hi\\n\\n"\n',
    # never ends: many events at once, then held
    "many": 'connection\n  send "data: x\\n\\n" * 20000\n',
    "no-content": "connection\n  status 204\n",
    # no response at all: a reset, or a graceful close, before any byte
    "no-head-abort": "connection\n  omit-head\n  wait 50\n  abort\n",
    "no-head-goaway": "connection\n  omit-head\n  goaway\n",
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A throw-away CA and a certificate for 127.0.0.1."""
    return new_pki(tmp_path_factory)


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
    srv = Server(["--port", "0", "--tls-port", "0", "--cert", str(pki.cert),
                  "--key", str(pki.key), "--static", str(static_dir),
                  "--header-timeout-ms", "3000", str(sdir)], log)
    yield srv
    srv.stop_cleanly()


def request(path: str, method: str = "GET", version: str = "HTTP/1.1",
            headers: tuple[tuple[str, str], ...] = (("Host", "127.0.0.1"),)) -> bytes:
    return (f"{method} {path} {version}\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers)
            + "\r\n").encode()


def silent_for(s: socket.socket, seconds: float) -> bool:
    """Nothing arrives, and the connection stays open, for that long."""
    s.settimeout(seconds)
    try:
        s.recv(1)  # a byte or EOF: not silent
    except socket.timeout:
        return True
    return False


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


def split_head(data: bytes) -> tuple[bytes, bytes]:
    head, _, body = data.partition(b"\r\n\r\n")
    return head + b"\r\n\r\n", body


# ------------------------------------------------------------------ HTTP/1.0


def test_http10_gets_a_close_delimited_body_never_chunked(server):
    tok = token('h')
    with connect(server) as s:
        s.sendall(request(f"/s/chunked/{tok}", version="HTTP/1.0"))
        head, body = split_head(read_to_eof(s))
    assert b"Transfer-Encoding" not in head and b"Content-Length" not in head
    assert b"\r\nConnection: close\r\n" in head
    assert body == b"data: a\n\ndata: b\n\n"  # no chunk framing, no last chunk
    ev = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "head")
    assert ev["framing"] == "close" and ev["body"] is True
    assert "HTTP/1.0" in ev["note"]
    # the same scenario to HTTP/1.1 stays chunked
    with connect(server) as s:
        s.sendall(request(f"/s/chunked/{token('h')}"))
        head, body = split_head(read_to_eof(s))
    assert b"Transfer-Encoding: chunked\r\n" in head and body.endswith(b"0\r\n\r\n")


def test_http10_keeps_content_length_and_is_closed_after_the_response(server):
    with connect(server) as s:
        s.sendall(request(f"/s/length/{token('h')}", version="HTTP/1.0"))
        head, body = split_head(read_to_eof(s))  # EOF: the connection is not kept
    assert b"Content-Length: 22\r\n" in head and b"Connection: close\r\n" in head
    assert body == b"data: one\n\ndata: two\n\n"
    with connect(server) as s:
        s.sendall(request("/nope", version="HTTP/1.0"))
        head, _ = split_head(read_to_eof(s))
    assert head.startswith(b"HTTP/1.1 404 ") and b"Connection: close\r\n" in head


# ------------------------------------------------------------------ Connection: close


@pytest.mark.parametrize("value", ["close", "Close", "keep-alive, close", "te,  CLOSE "])
def test_connection_close_is_honoured(server, value):
    hdrs = (("Host", "127.0.0.1"), ("Connection", value))
    # a fixed response
    with connect(server) as s:
        s.sendall(request("/nope", headers=hdrs))
        data = read_to_eof(s)
    head, _ = split_head(data)
    assert head.startswith(b"HTTP/1.1 404 ") and b"Connection: close\r\n" in head
    # a static file
    with connect(server) as s:
        s.sendall(request("/static/page.txt", headers=hdrs))
        head, body = split_head(read_to_eof(s))
    assert b"Connection: close\r\n" in head and body == b"page\n"
    # a scenario whose response would be kept alive (length framing, then held)
    tok = token('h')
    with connect(server) as s:
        s.sendall(request(f"/s/length/{tok}", headers=hdrs))
        head, body = split_head(read_to_eof(s))
    assert b"Connection: close\r\n" in head and body == b"data: one\n\ndata: two\n\n"
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "close" and end["complete"] is True


def test_without_connection_close_the_connection_is_kept(server):
    with connect(server) as s:
        r = Reader(s)
        for _ in range(3):
            s.sendall(request("/nope", headers=(("Host", "h"), ("Connection", "keep-alive"))))
            status, fields, _ = r.response()
            assert status == 404 and "connection" not in fields
        # a 204 scenario response is complete with its head; the next
        # request on the same connection is answered too
        s.sendall(request(f"/s/no-content/{token('h')}"))
        status, fields, _ = r.response()
        assert status == 204 and "connection" not in fields
        s.sendall(request("/static/page.txt"))
        assert r.response()[2] == b"page\n"


# ------------------------------------------------------------------ omit-head


@pytest.mark.parametrize("method", ["GET", "HEAD"])
def test_omit_head_resets_before_any_byte(server, pki, method):
    for tls in (False, True):
        tok = token("nh")
        got = b""
        reset = False
        with connect(server, tls, pki) as s:
            s.sendall(request(f"/s/no-head-abort/{tok}", method=method))
            s.settimeout(10)
            try:
                while d := s.recv(65536):
                    got += d
            except (ConnectionResetError, ssl.SSLError):
                reset = True
        # (Python's TLS layer may report the reset as a ragged EOF)
        assert got == b"" and (reset or tls)
        evs = server.run_events(tok)
        assert not [e for e in evs if e["ev"] == "head"]
        assert [e["do"] for e in evs if e["ev"] == "action"] == ["wait", "abort"]
        end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
        assert end["how"] == "abort" and end["complete"] is False


def test_omit_head_goaway_closes_before_any_byte(server):
    tok = token("nh")
    with connect(server) as s:
        s.sendall(request(f"/s/no-head-goaway/{tok}"))
        assert read_to_eof(s) == b""
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "goaway" and end["complete"] is False


# ------------------------------------------------------------------ HEAD


def test_head_gets_the_head_and_no_body(server):
    # a kept-alive scenario response: the head says Content-Length: 22, and
    # the next bytes on the connection are the answer to the next request
    tok = token('h')
    with connect(server) as s:
        s.sendall(request(f"/s/length/{tok}", method="HEAD"))
        r = Reader(s)
        status, fields, body = r.response(head_only=True)
        assert status == 200 and fields["content-length"] == "22"
        assert fields["content-type"] == "text/event-stream"
        assert r.buf == b"" and silent_for(s, 0.4), r.buf  # no body bytes
        s.sendall(request("/nope"))
        assert r.response()[0] == 404
        assert r.buf == b""
    ev = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "head")
    assert ev["body"] is False and ev["framing"] == "length"
    assert not [e for e in server.events() if e.get("run") == tok and e["ev"] == "action"]
    # a chunked scenario response that announces its close: head, then EOF
    with connect(server) as s:
        s.sendall(request(f"/s/chunked/{token('h')}", method="HEAD"))
        data = read_to_eof(s)
    head, body = split_head(data)
    assert b"Transfer-Encoding: chunked\r\n" in head and b"Connection: close\r\n" in head
    assert body == b""
    # a static file and a 404
    with connect(server) as s:
        s.sendall(request("/static/page.txt", method="HEAD", headers=(("Connection", "close"),)))
        head, body = split_head(read_to_eof(s))
    assert head.startswith(b"HTTP/1.1 200 ") and b"Content-Length: 5\r\n" in head and body == b""
    with connect(server) as s:
        s.sendall(request("/nope", method="HEAD", headers=(("Connection", "close"),)))
        head, body = split_head(read_to_eof(s))
    assert head.startswith(b"HTTP/1.1 404 ") and body == b""


# ------------------------------------------------------------------ half-close


def tls_half_closed(server, pki, req: bytes, timeout: float = 5.0) -> bytes:
    """Over TLS: send req, then close_notify (a TLS half-close), and read
    on until the server's close_notify or EOF. Returns the plaintext."""
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=timeout)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_context(pki).wrap_bio(inc, out, server_hostname="127.0.0.1")
    got = b""
    try:
        while True:
            try:
                obj.do_handshake()
                break
            except ssl.SSLWantReadError:
                raw.sendall(out.read())
                data = raw.recv(65536)
                assert data, "EOF in the handshake"
                inc.write(data)
        obj.write(req)
        try:
            obj.unwrap()  # sends close_notify; the server's is not there yet
        except ssl.SSLWantReadError:
            pass
        raw.sendall(out.read())
        while True:
            data = raw.recv(65536)
            if not data:
                return got
            inc.write(data)
            try:
                while True:
                    chunk = obj.read(65536)
                    if not chunk:
                        return got
                    got += chunk
            except ssl.SSLWantReadError:
                pass
            except ssl.SSLZeroReturnError:
                return got
    finally:
        raw.close()


@pytest.mark.parametrize("path,expect", [
    ("/nope", b"HTTP/1.1 404 "),
    ("/static/page.txt", b"HTTP/1.1 200 "),
    ("/s/length/{tok}", b"HTTP/1.1 200 "),
    ("/s/chunked/{tok}", b"HTTP/1.1 200 "),
    ("/s/hold/{tok}", b"HTTP/1.1 200 "),
], ids=["404", "static", "length", "chunked", "hold"])
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_a_request_then_a_half_close_is_answered(server, pki, path, expect, tls):
    req = request(path.format(tok=token('h')))
    if tls:
        data = tls_half_closed(server, pki, req)
    else:
        with connect(server) as s:
            s.sendall(req)
            s.shutdown(socket.SHUT_WR)
            data = read_to_eof(s, timeout=5)  # the server closes after answering
    assert data.startswith(expect), data[:200]
    head, body = split_head(data)
    if "length" in path:
        assert body == b"data: one\n\ndata: two\n\n"
    elif "chunked" in path:
        assert body == b"9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"
    elif "hold" in path:
        assert body == b"6\r\n: hi\n\n\r\n"  # a held stream ends: nothing more can be asked
    elif "static" in path:
        assert body == b"page\n"


def test_pipelined_requests_then_a_half_close_are_all_answered(server):
    n = 300
    with connect(server) as s:
        s.sendall(b"".join(request("/nope" if i % 2 else "/static/page.txt") for i in range(n)))
        s.shutdown(socket.SHUT_WR)
        r = Reader(s)
        for i in range(n):
            status, _, body = r.response()
            assert status == (404 if i % 2 else 200), i
        assert read_to_eof(s) == b"" and r.buf == b""


# ------------------------------------------------------------------ pipelining


@pytest.mark.parametrize("n", [200, 1000])
@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_pipelined_requests_are_served_in_order(server, pki, n, tls):
    """More than the 64 requests one turn of the loop answers, and (n=1000,
    about 40 KiB) more than the 17 KiB input buffer holds: all in order."""
    reqs = []
    for i in range(n):
        path = "/static/page.txt" if i % 3 == 0 else f"/nope/{i}"
        hdrs = (("Host", "127.0.0.1"),) + ((("Connection", "close"),) if i == n - 1 else ())
        reqs.append(request(path, headers=hdrs))
    t0 = time.monotonic()
    with connect(server, tls, pki) as s:
        s.sendall(b"".join(reqs))  # one send
        r = Reader(s)
        for i in range(n):
            status, fields, body = r.response()
            if i % 3 == 0:
                assert (status, body) == (200, b"page\n"), i
            else:
                assert status == 404, i
            assert ("connection" in fields) == (i == n - 1), i
        assert read_to_eof(s) == b"" and r.buf == b""
    assert time.monotonic() - t0 < 10
    # others are served meanwhile and after
    with connect(server) as s:
        s.sendall(request("/static/page.txt", headers=(("Connection", "close"),)))
        assert read_to_eof(s).endswith(b"page\n")


def test_pipelined_requests_behind_a_scenario_response(server):
    """A kept-alive scenario response first, then requests written with it."""
    tok = token('h')
    with connect(server) as s:
        s.sendall(request(f"/s/length/{tok}") + request("/nope") * 100
                  + request("/static/page.txt", headers=(("Connection", "close"),)))
        r = Reader(s)
        assert r.response()[2] == b"data: one\n\ndata: two\n\n"
        for _ in range(100):
            assert r.response()[0] == 404
        assert r.response()[2] == b"page\n"
        assert read_to_eof(s) == b""
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "keep-alive"


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


# ------------------------------------------------------------------ ssespec-get


@pytest.mark.parametrize("scenario", ["hold", "many"])
def test_get_ends_at_once_when_its_reader_goes_away(server, scenario):
    """`ssespec-get URL | head -1` on a stream that never ends: quiet (hold)
    or busy (many) when head exits."""
    url = f"http://127.0.0.1:{server.port}/s/{scenario}/{token('h')}"
    t0 = time.monotonic()
    # its own process group, so that a get that does not end is killed
    sh = subprocess.Popen(["sh", "-c", '"$0" "$1" | head -1; echo "${?}"', get_binary(), url],
                          stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                          stdin=subprocess.DEVNULL, start_new_session=True)
    try:
        out, _ = sh.communicate(timeout=10)
    except subprocess.TimeoutExpired:
        os.killpg(sh.pid, signal.SIGKILL)
        sh.communicate()
        raise AssertionError("ssespec-get URL | head -1 did not end within 10 s") from None
    elapsed = time.monotonic() - t0
    assert elapsed < 3, f"took {elapsed:.1f} s"
    first, status = out.splitlines()
    assert json.loads(first)["kind"] == "open" and status == b"0"  # head's status
    # the status of get itself, seen from its own pipe
    proc = subprocess.Popen([get_binary(), url.replace(scenario + "/", scenario + "/x")],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            stdin=subprocess.DEVNULL)
    assert json.loads(proc.stdout.readline())["kind"] == "open"
    t0 = time.monotonic()
    proc.stdout.close()
    try:
        rc = proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
        raise AssertionError("ssespec-get went on after its stdout was closed") from None
    elapsed = time.monotonic() - t0
    err = proc.stderr.read().decode()
    proc.stderr.close()
    assert rc == 4 and elapsed < 2, (rc, elapsed, err)
    assert "Sanitizer" not in err and "runtime error" not in err, err


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def run_get(*args: str, timeout: float = 20) -> tuple[int, list[dict], list[str], float]:
    t0 = time.monotonic()
    p = subprocess.run([get_binary(), *args], capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return (p.returncode, [json.loads(x) for x in p.stdout.splitlines()],
            p.stderr.decode().splitlines(), time.monotonic() - t0)


def test_get_refused_port_exits_non_zero_with_one_line():
    url = f"http://127.0.0.1:{free_port()}/stream"
    rc, recs, err, elapsed = run_get(url)
    assert rc == 3 and elapsed < 3
    assert recs == [{"kind": "error", "readyState": 0}]
    assert len(err) == 1, err
    assert err[0].startswith(f"ssespec-get: {url}: never connected: ") and "refused" in err[0]


def test_get_tls_failure_before_any_response_exits_non_zero(server):
    # https to the plain-HTTP port: the handshake fails
    rc, recs, err, _ = run_get(f"https://127.0.0.1:{server.port}/s/hold/{token('h')}")
    assert rc == 3 and len(err) == 1 and "never connected" in err[0] and "TLS" in err[0], err


def test_get_with_reconnects_that_never_connects_exits_non_zero():
    url = f"http://127.0.0.1:{free_port()}/stream"
    rc, recs, err, _ = run_get(url, "--reconnects", "2", "--retry-default", "50")
    assert rc == 3
    assert recs == [{"kind": "error", "readyState": 0}] * 3
    assert err[-1] == "ssespec-get: stopping after 2 reconnection(s); never connected"


def test_get_that_connected_once_keeps_its_statuses(server):
    # 0: a clean stop after the stream opened; 1: a failed connection (204)
    rc, recs, _, _ = run_get(f"http://127.0.0.1:{server.port}/s/chunked/{token('h')}",
                             "--reconnects", "0")
    assert rc == 0 and recs[0] == {"kind": "open"}
    rc, recs, _, _ = run_get(f"http://127.0.0.1:{server.port}/s/no-content/{token('h')}")
    assert rc == 1 and recs == [{"kind": "error", "readyState": 2}]
