"""Content codings in ssespec-server (content-encoding, flush-at; docs/server.md
"Content codings"), checked with real decoders: Python's zlib for gzip, the
`brotli` command (Debian's brotli) and curl --compressed for br, over
HTTP/1.1 and HTTP/2. Each piece is flushed, so the client decodes it before
the body ends; flush-at points cut a piece exactly where asked.
"""

from __future__ import annotations

import select
import socket
import subprocess
import time
import zlib

import pytest
from scenario_server_env import Server, need_tool, new_pki, token

SCENARIOS = {
    # a piece, then a pause with the body still open, then two pieces
    "gz": ('connection\n  content-encoding gzip\n  send "data: a\\n\\n"\n  wait 400\n'
           '  send "data: \\u{e9}" | "\\n\\n"\n  close\n'),
    "br": ('connection\n  content-encoding br\n  send "data: a\\n\\n"\n  wait 400\n'
           '  send "data: \\u{e9}" | "\\n\\n"\n  close\n'),
    # flush points inside the two bytes of U+00E9 and inside a CR LF
    "flush": ('connection\n  content-encoding gzip\n  flush-at 7 9\n'
              '  send "data: \\u{e9}\\r\\n\\r\\n"\n  close\n'),
    "gz-length": ('connection\n  content-encoding gzip\n  framing length\n'
                  '  send "data: one\\n\\n" | "data: two\\n\\n"\n'),
    "br-length-empty": 'connection\n  content-encoding br\n  framing length\n',
    "force": 'connection\n  content-encoding br force\n  send "data: f\\n\\n"\n  close\n',
    "held": 'connection\n  content-encoding br\n  send "data: held\\n\\n"\n  hold\n',
}


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pki = new_pki(tmp_path_factory)
    sdir = tmp_path_factory.mktemp("scenarios")
    for name, body in SCENARIOS.items():
        (sdir / f"{name}.scenario").write_text(f"about {name}\nrule C8\n{body}")
    log = tmp_path_factory.mktemp("log") / "server.log"
    srv = Server(["--port", "0", "--tls-port", "0", "--h2c-port", "0", "--cert", str(pki.cert),
                  "--key", str(pki.key), str(sdir)], log)
    yield srv
    srv.stop_cleanly()


def get(server, path: str, accept: str | None) -> socket.socket:
    s = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    hdrs = "Host: 127.0.0.1\r\n" + (f"Accept-Encoding: {accept}\r\n" if accept is not None else "")
    s.sendall(f"GET {path} HTTP/1.1\r\n{hdrs}\r\n".encode())
    return s


class Chunked:
    """Reads an HTTP/1.1 response head, then its chunked body as it comes."""

    def __init__(self, s: socket.socket):
        self.s, self.buf = s, b""
        while b"\r\n\r\n" not in self.buf:
            self._more()
        head, self.buf = self.buf.split(b"\r\n\r\n", 1)
        self.head = head.decode("latin-1")

    def _more(self, timeout: float = 10.0) -> bool:
        r, _, _ = select.select([self.s], [], [], timeout)
        if not r:
            return False
        d = self.s.recv(65536)
        if not d:
            raise AssertionError("EOF")
        self.buf += d
        return True

    def chunk(self, timeout: float = 10.0) -> bytes | None:
        """The next chunk's data (b"" for the last), or None if none came in time."""
        deadline = time.monotonic() + timeout
        while True:
            if b"\r\n" in self.buf:
                size = int(self.buf.split(b"\r\n", 1)[0].split(b";")[0], 16)
                start = self.buf.index(b"\r\n") + 2
                if len(self.buf) >= start + size + 2:
                    data = self.buf[start:start + size]
                    self.buf = self.buf[start + size + 2:]
                    return data
            if not self._more(max(0.0, deadline - time.monotonic())):
                return None


def test_gzip_pieces_decode_before_the_body_ends(server):
    tok = token("gz")
    with get(server, f"/s/gz/{tok}", "gzip, deflate, br;q=0") as s:
        r = Chunked(s)
        assert "Content-Encoding: gzip" in r.head and "Transfer-Encoding: chunked" in r.head
        d = zlib.decompressobj(wbits=31)
        first = r.chunk()
        # the body is still open (a 400 ms wait follows): the flushed piece
        # is decodable on its own
        assert d.decompress(first) == b"data: a\n\n"
        assert r.chunk(timeout=0.2) is None
        second = r.chunk()                 # one chunk: "data: \xc3\xa9" | "\n\n"
        assert d.decompress(second) == "data: é\n\n".encode()
        trailer = r.chunk()                # the gzip trailer, then the last chunk
        assert d.decompress(trailer) == b"" and d.eof and r.chunk() == b""
    acts = [e for e in server.run_events(tok) if e["ev"] == "action" and e["do"] == "send"]
    assert [a["bytes"] for a in acts] == [9, 8, 2] and all(a["wire"] > 0 for a in acts)


def test_flush_at_cuts_inside_utf8_and_crlf(server):
    tok = token("fl")
    with get(server, f"/s/flush/{tok}", "gzip") as s:
        r = Chunked(s)
        body = r.chunk()
        r.chunk()                          # trailer
    acts = [e for e in server.run_events(tok) if e["ev"] == "action" and e["do"] == "send"]
    # three writes of 7, 2 and 3 decoded bytes; each flush ends a decodable block
    assert [a["bytes"] for a in acts] == [7, 2, 3]
    text = "data: é\r\n\r\n".encode()
    pos, decoded = 0, 0
    for a in acts:
        wire = a["wire"] - (len(b"%x\r\n" % len(body)) if a is acts[0] else 0)
        wire -= 2 if a is acts[-1] else 0
        pos += wire
        decoded += a["bytes"]
        assert zlib.decompressobj(wbits=31).decompress(body[:pos]) == text[:decoded]


def test_identity_when_not_offered(server):
    for accept in (None, "identity", "gzip;q=0", "br", "*;q=0"):
        tok = token("id")
        with get(server, f"/s/gz/{tok}", accept) as s:
            r = Chunked(s)
            assert "Content-Encoding" not in r.head
            assert r.chunk() == b"data: a\n\n"
        head = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "head")
        assert head["content_encoding"] == "identity"
        assert head["note"] == "the request did not offer gzip: sent identity"
    tok = token("star")
    with get(server, f"/s/gz/{tok}", "*") as s:
        assert "Content-Encoding: gzip" in Chunked(s).head


def test_gzip_with_content_length(server):
    with get(server, f"/s/gz-length/{token('gl')}", "x-gzip") as s:
        s.settimeout(10)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        while len(body) < n:
            body += s.recv(65536)
    assert b"Content-Encoding: gzip" in head and len(body) == n
    assert zlib.decompress(body, wbits=31) == b"data: one\n\ndata: two\n\n"


def brotli_d(data: bytes) -> bytes:
    exe = need_tool("brotli", "brotli")
    p = subprocess.run([exe, "-d", "-c"], input=data, capture_output=True, timeout=20)
    assert p.returncode == 0, p.stderr
    return p.stdout


def test_brotli_over_http11(server):
    with get(server, f"/s/br/{token('br')}", "gzip, br") as s:
        r = Chunked(s)
        assert "Content-Encoding: br" in r.head
        parts = []
        while (c := r.chunk()) != b"":
            parts.append(c)
    assert brotli_d(b"".join(parts)) == "data: a\n\ndata: é\n\n".encode()
    with get(server, f"/s/br-length-empty/{token('be')}", "br") as s:
        s.settimeout(10)
        buf = b""
        while b"\r\n\r\n" not in buf:
            buf += s.recv(65536)
        head, body = buf.split(b"\r\n\r\n", 1)
        n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        while len(body) < n:
            body += s.recv(65536)
    assert n > 0 and brotli_d(body) == b""


def test_force_encodes_without_accept_encoding(server):
    with get(server, f"/s/force/{token('fo')}", None) as s:
        r = Chunked(s)
        assert "Content-Encoding: br" in r.head
        body = r.chunk() + r.chunk()
    assert brotli_d(body) == b"data: f\n\n"


def curl_stream(args: list[str], want: bytes, timeout: float = 10.0) -> bytes:
    """Run curl on a stream that never ends; return its decoded output once
    it holds want (the piece reached the client before the body ended)."""
    exe = need_tool("curl", "curl")
    p = subprocess.Popen([exe, "-sS", "-N", "--compressed", *args], stdout=subprocess.PIPE,
                         stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    out, deadline = b"", time.monotonic() + timeout
    try:
        while want not in out and time.monotonic() < deadline:
            r, _, _ = select.select([p.stdout], [], [], 0.2)
            if r:
                d = p.stdout.read1(65536)
                if not d:
                    break
                out += d
    finally:
        p.kill()
        p.communicate()
    return out


@pytest.mark.parametrize("proto", ["http/1.1", "h2c", "h2"])
def test_a_held_encoded_stream_reaches_curl(server, proto, tmp_path_factory):
    tok = token("cu")
    if proto == "http/1.1":
        args = [f"http://127.0.0.1:{server.port}/s/held/{tok}"]
    elif proto == "h2c":
        args = ["--http2-prior-knowledge", f"http://127.0.0.1:{server.h2c_port}/s/held/{tok}"]
    else:
        args = ["--http2", "-k", f"https://127.0.0.1:{server.tls_port}/s/held/{tok}"]
    assert curl_stream(args, b"data: held\n\n") == b"data: held\n\n"
    head = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "head")
    assert head["content_encoding"] == "br"


@pytest.mark.parametrize("name,text", [("gz", "data: a\n\ndata: é\n\n"),
                                       ("gz-length", "data: one\n\ndata: two\n\n"),
                                       ("flush", "data: é\r\n\r\n")])
def test_encoded_bodies_over_h2(server, name, text):
    exe = need_tool("curl", "curl")
    p = subprocess.run([exe, "-sS", "--compressed", "--http2-prior-knowledge",
                        f"http://127.0.0.1:{server.h2c_port}/s/{name}/{token('h2')}"],
                       capture_output=True, timeout=20)
    assert p.returncode == 0, p.stderr
    assert p.stdout == text.encode()
