"""HTTP/2 in ssespec-server (docs/server.md "HTTP/2"), with real HTTP/2
peers: curl (Debian's curl, built with nghttp2) and nghttp (Debian's
nghttp2-client), over TLS with ALPN and over cleartext with prior knowledge;
and a small raw client here for frame-level checks and malformed input
(a bad preface, huge header blocks, floods), which must never hurt the
server. Without curl or nghttp the tests that need them are skipped with the
package to install.
"""

from __future__ import annotations

import re
import resource
import socket
import struct
import subprocess
import time
from pathlib import Path

import pytest
from scenario_server_env import Server, need_tool, new_pki, token

SCENARIOS = {
    "chunked": 'connection\n  send "data: a\\n\\n"\n  send "data: b\\n\\n"\n  close\n',
    "splits": ('connection\n  send "data: a" | "bc\\n" | "\\n"\n  send-chunks "data: d\\n" | "\\n"\n'
               '  wait 100\n  raw "data: r\\n\\n"\n  close\n'),
    "length": 'connection\n  framing length\n  send "data: one\\n\\n"\n  send "data: two\\n\\n"\n',
    "hold": 'connection\n  send ": hi\\n\\n"\n',
    "redirect": ('connection\n  status 302\n  header Location "{origin}{base}/next"\n'
                 '  header Connection "close"\n  header X-Case "Kept"\n  close\n'
                 'connection\n  expect-path "next"\n  send "data: {base}\\n\\n"\n  close\n'),
    "no-content": "connection\n  status 204\n",
    "abort": 'connection\n  send "data: x\\n\\n"\n  abort CANCEL\n',
    "abort-default": 'connection\n  send "data: x\\n\\n"\n  abort\n',
    "no-head": "connection\n  omit-head\n  wait 50\n  abort REFUSED_STREAM\n",
    "goaway": 'connection\n  send "data: x\\n\\n"\n  goaway ENHANCE_YOUR_CALM\n',
    "padded": 'connection\n  h2-padding 7\n  send "data: p\\n\\n"\n  close\n',
    "chunk-ext": ('connection\n  chunk-extension ";x=1"\n  send "data: e\\n\\n"\n  close\n'),
}


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    return new_pki(tmp_path_factory)


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory) -> Path:
    d = tmp_path_factory.mktemp("static")
    (d / "page.txt").write_text("page\n")
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki, static_dir):
    sdir = tmp_path_factory.mktemp("scenarios")
    for name, body in SCENARIOS.items():
        (sdir / f"{name}.scenario").write_text(f"about {name}\nrule C8\n{body}")
    log = tmp_path_factory.mktemp("log") / "server.log"
    srv = Server(["--port", "0", "--tls-port", "0", "--tls-h1-port", "0", "--h2c-port", "0",
                  "--cert", str(pki.cert), "--key", str(pki.key), "--static", str(static_dir),
                  "--header-timeout-ms", "2000", str(sdir)], log)
    yield srv
    srv.stop_cleanly()


def h2c_url(server, path: str) -> str:
    return f"http://127.0.0.1:{server.h2c_port}{path}"


def curl(*args: str, timeout: float = 20) -> subprocess.CompletedProcess:
    exe = need_tool("curl", "curl")
    return subprocess.run([exe, "-sS", *args], capture_output=True, timeout=timeout,
                          stdin=subprocess.DEVNULL)


def nghttp(*args: str, timeout: float = 20) -> str:
    """nghttp -nv: every frame with its flags, one line each (-n: the body is
    not printed, so that it cannot run into the frame lines)."""
    exe = need_tool("nghttp", "nghttp2-client")
    p = subprocess.run([exe, "-nv", *args], capture_output=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return p.stdout.decode("utf-8", "replace")


FRAME = re.compile(r"^\[\s*([0-9.]+)\] recv (\w+) frame <length=(\d+), flags=0x([0-9a-f]+), "
                   r"stream_id=(\d+)>", re.M)


def frames(out: str, stream: int | None = None) -> list[tuple[float, str, int, int]]:
    """(time, type, length, flags) of the frames nghttp received."""
    return [(float(t), ty, int(n), int(f, 16)) for t, ty, n, f, sid in FRAME.findall(out)
            if stream is None or int(sid) == stream]


# ------------------------------------------------------------------ transports


def test_listening_line_names_every_port(server):
    ls = server.listening
    assert all(isinstance(ls[k], int) and ls[k] > 0
               for k in ("port", "tls_port", "tls_h1_port", "h2c_port"))
    assert ls["h2_max_streams"] == 1000


@pytest.mark.parametrize("transport", ["h2c", "alpn"])
def test_a_scenario_plays_over_h2(server, pki, transport):
    tok = token("h2")
    if transport == "h2c":
        r = curl("-i", "--http2-prior-knowledge", h2c_url(server, f"/s/chunked/{tok}"))
    else:
        r = curl("-i", "--http2", "--cacert", str(pki.ca),
                 f"https://127.0.0.1:{server.tls_port}/s/chunked/{tok}")
    assert r.returncode == 0, r.stderr
    head, _, body = r.stdout.partition(b"\r\n\r\n")
    assert head.startswith(b"HTTP/2 200")
    assert b"content-type: text/event-stream" in head
    assert body == b"data: a\n\ndata: b\n\n"
    req = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "request")
    assert req["proto"] == "h2" and req["version"] == "HTTP/2"
    assert req["tls"] is (transport == "alpn") and isinstance(req["stream"], int)
    assert any(k == "user-agent" for k, _ in req["headers"])     # names as sent: lowercase
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "close" and end["complete"] is True
    session = [e for e in server.events() if e["ev"] == "session" and e["conn"] == req["conn"]]
    assert session[0]["via"] == ("prior-knowledge" if transport == "h2c" else "alpn")


def test_http11_is_the_fallback_over_tls(server, pki):
    """A client that offers only http/1.1 gets it on the TLS port, and the
    tls-h1 port never offers h2 even to a client that asks for it."""
    tok = token("h1")
    r = curl("-i", "--http1.1", "--cacert", str(pki.ca),
             f"https://127.0.0.1:{server.tls_port}/s/chunked/{tok}")
    assert r.stdout.startswith(b"HTTP/1.1 200 OK\r\n"), r.stdout[:100]
    req = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "request")
    assert req["proto"] == "http/1.1" and "stream" not in req
    tok = token("h1")
    r = curl("-i", "--http2", "--cacert", str(pki.ca),
             f"https://127.0.0.1:{server.listening['tls_h1_port']}/s/chunked/{tok}")
    assert r.stdout.startswith(b"HTTP/1.1 200 OK\r\n"), r.stdout[:100]


def test_the_same_origin_templates_and_redirects(server, pki):
    """Over TLS: curl 7.88's --http2-prior-knowledge fails on the second
    request of a reused connection (curl/curl#10634, fixed after 7.88.1)."""
    tok = token("rd")
    base = f"/s/redirect/{tok}"
    origin = f"https://127.0.0.1:{server.tls_port}"
    r = curl("-i", "-L", "--http2", "--cacert", str(pki.ca), origin + base)
    assert r.returncode == 0, r.stderr
    first, _, rest = r.stdout.partition(b"\r\n\r\n")
    assert first.startswith(b"HTTP/2 302")
    # names go lowercase; Connection is HTTP/1.1's own and is not sent
    assert f"location: {origin}{base}/next".encode() in first
    assert b"x-case: Kept" in first and b"connection" not in first.lower()
    assert rest.endswith(f"data: {base}\n\n".encode())
    reqs = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "request", count=2)
    assert reqs[1]["subpath"] == "next" and reqs[1]["step"] == 1
    assert reqs[1]["delay_ms"] is not None
    heads = [e for e in server.run_events(tok) if e["ev"] == "head"]
    assert heads[0]["dropped_headers"] == 1 and heads[0]["framing"] == "h2"


def test_fixed_answers_over_h2(server):
    r = curl("-i", "--http2-prior-knowledge", h2c_url(server, "/static/page.txt"))
    assert r.stdout.startswith(b"HTTP/2 200") and r.stdout.endswith(b"\r\n\r\npage\n")
    r = curl("-i", "--http2-prior-knowledge", h2c_url(server, "/nope"))
    assert r.stdout.startswith(b"HTTP/2 404")
    tok = token("un")
    curl("--http2-prior-knowledge", h2c_url(server, f"/s/no-content/{tok}"))
    r = curl("-i", "--http2-prior-knowledge", h2c_url(server, f"/s/no-content/{tok}"))
    assert r.stdout.startswith(b"HTTP/2 404")
    un = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "unexpected")
    assert un["proto"] == "h2" and un["step"] == 1
    nf = server.wait_for_one(lambda e: e["ev"] == "not-found" and e["target"] == "/nope")
    assert nf["proto"] == "h2"


# ------------------------------------------------------------------ frames


def test_each_piece_is_its_own_data_frame(server):
    tok = token("sp")
    out = nghttp(h2c_url(server, f"/s/splits/{tok}"))
    data = [f for f in frames(out) if f[1] == "DATA"]
    # three send pieces, two send-chunks pieces, the raw bytes, then an
    # empty DATA frame with END_STREAM for close
    assert [(n, fl & 1) for _, _, n, fl in data] == [(7, 0), (3, 0), (1, 0), (8, 0), (1, 0),
                                                      (9, 0), (0, 1)], out
    times = [t for t, _, _, _ in data]
    assert times[1] - times[0] >= 0.02 and times[2] - times[1] >= 0.02
    assert times[5] - times[4] >= 0.09          # wait 100
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "close" and end["stream"] > 0


def test_length_framing_sends_content_length_and_ends_with_the_last_byte(server):
    tok = token("ln")
    out = nghttp(h2c_url(server, f"/s/length/{tok}"))
    assert "content-length: 22" in out
    data = [f for f in frames(out) if f[1] == "DATA"]
    assert [(n, fl & 1) for _, _, n, fl in data] == [(11, 0), (11, 1)]
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "close" and end["complete"] is True


def test_no_content_ends_with_its_headers(server):
    out = nghttp(h2c_url(server, f"/s/no-content/{token('nc')}"))
    hs = [f for f in frames(out) if f[1] == "HEADERS"]
    assert hs and hs[0][3] & 1 and not [f for f in frames(out) if f[1] == "DATA"]


@pytest.mark.parametrize("name,code", [("abort", "CANCEL(0x08)"),
                                       ("abort-default", "INTERNAL_ERROR(0x02)")])
def test_abort_is_rst_stream_with_its_code(server, name, code):
    tok = token("ab")
    out = nghttp(h2c_url(server, f"/s/{name}/{tok}"))
    assert "recv RST_STREAM frame" in out and f"error_code={code}" in out, out
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "abort" and end["complete"] is False
    act = [e for e in server.run_events(tok) if e["ev"] == "action" and e["do"] == "abort"]
    assert act[0]["code"] == int(code[-5:-1], 16)


def test_omit_head_resets_the_stream_before_any_headers(server):
    tok = token("nh")
    out = nghttp(h2c_url(server, f"/s/no-head/{tok}"))
    assert "recv RST_STREAM frame" in out and "error_code=REFUSED_STREAM(0x07)" in out, out
    assert not [f for f in frames(out) if f[1] in ("HEADERS", "DATA")], out
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "abort" and end["complete"] is False
    assert not [e for e in server.run_events(tok) if e["ev"] == "head"]


def test_goaway_ends_the_connection(server):
    tok = token("ga")
    out = nghttp(h2c_url(server, f"/s/goaway/{tok}"))
    m = re.search(r"recv GOAWAY frame.*\n.*last_stream_id=(\d+), error_code=(\w+)", out)
    assert m and m.group(2) == "ENHANCE_YOUR_CALM", out
    end = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert end["how"] == "goaway" and int(m.group(1)) == end["stream"]
    server.wait_for_one(lambda e: e["ev"] == "disconnect" and e["conn"] == end["conn"])


def test_padding_goes_on_headers_and_data(server):
    out = nghttp(h2c_url(server, f"/s/padded/{token('pd')}"))
    fs = frames(out, 13) or frames(out)
    padded = [f for f in fs if f[1] in ("HEADERS", "DATA")]
    assert len(padded) == 3 and all(fl & 0x08 for _, _, _, fl in padded), out
    assert out.count("(padlen=8)") == 3     # the Pad Length byte and 7 bytes


def test_http11_only_directives_are_ignored_over_h2(server):
    r = curl("--http2-prior-knowledge", h2c_url(server, f"/s/chunk-ext/{token('ce')}"))
    assert r.stdout == b"data: e\n\n"


# ------------------------------------------------------------------ a raw client


def hp_int(v: int, bits: int, first: int = 0) -> bytes:
    top = (1 << bits) - 1
    if v < top:
        return bytes([first | v])
    out = [first | top]
    v -= top
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    out.append(v)
    return bytes(out)


def hpack(fields: list[tuple[str, str]]) -> bytes:
    """Literal fields without indexing, new names, no Huffman coding."""
    out = b""
    for k, v in fields:
        kb, vb = k.encode(), v.encode()
        out += b"\x00" + hp_int(len(kb), 7) + kb + hp_int(len(vb), 7) + vb
    return out


def frame(ftype: int, flags: int, sid: int, payload: bytes = b"") -> bytes:
    return struct.pack(">I", len(payload))[1:] + bytes([ftype, flags]) + \
        struct.pack(">I", sid) + payload


PREFACE = b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"
DATA, HEADERS, RST_STREAM, SETTINGS, PING, GOAWAY, CONTINUATION = 0, 1, 3, 4, 6, 7, 9


def request(path: str, port: int, sid: int, extra=()) -> bytes:
    block = hpack([(":method", "GET"), (":scheme", "http"), (":path", path),
                   (":authority", f"127.0.0.1:{port}"), *extra])
    return frame(HEADERS, 0x5, sid, block)     # END_STREAM | END_HEADERS


class Raw:
    """A raw HTTP/2 connection: frames in and out, nothing checked."""

    def __init__(self, port: int, preface: bool = True):
        self.s = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""
        if preface:
            self.s.sendall(PREFACE + frame(SETTINGS, 0, 0))

    def send(self, data: bytes) -> None:
        self.s.sendall(data)

    def frames(self, timeout: float = 0.2) -> list[tuple[int, int, int, bytes]]:
        """The frames that arrive within timeout (type, flags, stream, payload);
        [] and closed at EOF."""
        self.s.settimeout(timeout)
        try:
            while True:
                d = self.s.recv(1 << 20)
                if not d:
                    self.eof = True
                    break
                self.buf += d
                if len(d) < 1 << 20:
                    break
        except (socket.timeout, ConnectionResetError):
            pass
        out = []
        while len(self.buf) >= 9:
            n = int.from_bytes(self.buf[:3], "big")
            if len(self.buf) < 9 + n:
                break
            ftype, flags = self.buf[3], self.buf[4]
            sid = int.from_bytes(self.buf[5:9], "big") & 0x7FFFFFFF
            out.append((ftype, flags, sid, self.buf[9:9 + n]))
            self.buf = self.buf[9 + n:]
        return out

    def read_until_eof(self, timeout: float = 10.0) -> list[tuple[int, int, int, bytes]]:
        got, deadline = [], time.monotonic() + timeout
        self.eof = False
        while not self.eof and time.monotonic() < deadline:
            got += self.frames(0.5)
        return got

    def close(self) -> None:
        self.s.close()


def normal_h2_run_works(server) -> None:
    tok = token("ok")
    raw = Raw(server.h2c_port)
    raw.send(request(f"/s/chunked/{tok}", server.h2c_port, 1))
    body, deadline = b"", time.monotonic() + 10
    while time.monotonic() < deadline:
        fs = raw.frames(0.5)
        body += b"".join(p for t, _, sid, p in fs if t == DATA and sid == 1)
        if any(t == DATA and fl & 1 for t, fl, _, _ in fs):
            break
    raw.close()
    assert body == b"data: a\n\ndata: b\n\n"
    assert server.alive()


def test_raw_client_reads_data_frames(server):
    normal_h2_run_works(server)


def test_control_characters_in_values_are_kept_as_over_http11(server):
    """nghttp2 finds a value with a control character invalid; the server
    keeps it, as it does over HTTP/1.1 (RFC 9110 5.5 allows it), and
    resets a stream whose value holds NUL, as HTTP/1.1 answers 400."""
    tok = token("ctl")
    raw = Raw(server.h2c_port)
    raw.send(request(f"/s/hold/{tok}", server.h2c_port, 1,
                     [("last-event-id", "a\x01b\x1fc\x7fd"), ("x-blank", " v ")]))
    req = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "request")
    assert ["last-event-id", "a\x01b\x1fc\x7fd"] in req["headers"]
    assert ["x-blank", "v"] in req["headers"]
    tok2 = token("nul")
    raw.send(request(f"/s/hold/{tok2}", server.h2c_port, 3, [("x", "a\x00b")]))
    deadline, resets = time.monotonic() + 10, []
    while not resets and time.monotonic() < deadline:
        resets = [f for f in raw.frames(0.5) if f[0] == RST_STREAM and f[2] == 3]
    raw.close()
    assert resets and not server.run_events(tok2)
    normal_h2_run_works(server)


def test_a_bad_preface_gets_goaway_and_close(server):
    for junk in (b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", b"PRI * HTTP/2.0\r\n\r\nXX\r\n\r\n",
                 b"\x00" * 100):
        raw = Raw(server.h2c_port, preface=False)
        raw.send(junk)
        got = raw.read_until_eof()
        raw.close()
        assert raw.eof
        assert [t for t, _, _, _ in got if t == GOAWAY], got
    server.wait_for_one(lambda e: e["ev"] == "h2-error")
    normal_h2_run_works(server)


def test_a_silent_h2c_connection_times_out(server):
    raw = Raw(server.h2c_port, preface=False)
    t0 = time.monotonic()
    raw.read_until_eof(10)
    raw.close()
    assert raw.eof and 1.9 <= time.monotonic() - t0 < 8


def test_too_many_header_fields_get_431(server):
    tok = token("big")
    raw = Raw(server.h2c_port)
    raw.send(request(f"/s/chunked/{tok}", server.h2c_port, 1,
                     [(f"x-{i}", "v") for i in range(150)]))
    got, deadline = [], time.monotonic() + 10
    while not [f for f in got if f[0] == DATA and f[1] & 1] and time.monotonic() < deadline:
        got += raw.frames(0.2)
    raw.close()
    assert [t for t, _, sid, _ in got if t == HEADERS and sid == 1]
    assert b"431" in b"".join(p for t, _, sid, p in got if t == DATA and sid == 1)
    bad = server.wait_for_one(lambda e: e["ev"] == "bad-request" and e.get("proto") == "h2")
    assert bad["status"] == 431
    assert not server.run_events(tok)       # the run took no step
    normal_h2_run_works(server)


@pytest.mark.parametrize("how", ["one-frame", "continuations", "continuation-flood"])
def test_huge_header_blocks_never_hurt(server, how):
    raw = Raw(server.h2c_port)
    path = f"/s/chunked/{token('hb')}"
    if how == "one-frame":
        # 1 MiB of header block in one HEADERS frame: beyond the frame size
        block = hpack([(":method", "GET"), (":path", path), ("x-big", "v" * (1 << 20))])
        raw.send(frame(HEADERS, 0x5, 1, block))
    else:
        block = hpack([(":method", "GET"), (":scheme", "http"), (":path", path),
                       (":authority", "x"), *[(f"x-{i}", "v" * 100) for i in range(2000)]])
        parts = [block[i:i + 16000] for i in range(0, len(block), 16000)]
        if how == "continuation-flood":
            parts = [block[:100]] + [b""] * 10000 + [block[100:200]]
        raw.send(frame(HEADERS, 0x1, 1, parts[0]))
        try:
            for k, part in enumerate(parts[1:]):
                raw.send(frame(CONTINUATION, 0x4 if k == len(parts) - 2 else 0, 1, part))
        except (BrokenPipeError, ConnectionResetError):
            pass
    got = raw.read_until_eof(5)
    raw.close()
    # either a 431 on the stream or the connection ended with GOAWAY: never a 200
    assert not [p for t, _, sid, p in got if t == DATA and sid == 1]
    normal_h2_run_works(server)


def test_floods_never_hurt(server):
    # SETTINGS and PING floods that are never read, then a rapid reset flood
    for payload in (frame(SETTINGS, 0, 0) * 20000, frame(PING, 0, 0, b"12345678") * 20000):
        raw = Raw(server.h2c_port)
        try:
            raw.send(payload)
        except (BrokenPipeError, ConnectionResetError):
            pass
        time.sleep(0.2)
        raw.close()
    raw = Raw(server.h2c_port)
    try:
        for i in range(1, 4000, 2):
            raw.send(request(f"/s/hold/{token('rr')}", server.h2c_port, i) +
                     frame(RST_STREAM, 0, i, b"\x00\x00\x00\x08"))
    except (BrokenPipeError, ConnectionResetError):
        pass
    raw.read_until_eof(3)
    raw.close()
    normal_h2_run_works(server)


def test_random_frames_never_hurt(server):
    import random
    rnd = random.Random(4321)
    for i in range(200):
        raw = Raw(server.h2c_port)
        data = b"".join(frame(rnd.randrange(12), rnd.randrange(256), rnd.randrange(8),
                              bytes(rnd.randrange(256) for _ in range(rnd.randrange(40))))
                        for _ in range(rnd.randrange(1, 6)))
        try:
            raw.send(data)
        except OSError:
            pass
        raw.close()
    time.sleep(0.2)
    normal_h2_run_works(server)


# ------------------------------------------------------------------ 1,000 streams


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


@pytest.mark.parametrize("conns,per", [(1, 1000), (10, 100)], ids=["1x1000", "10x100"])
def test_a_thousand_concurrent_streams(tmp_path, capsys, conns, per):
    """On a server of its own, so that its memory before is a baseline."""
    sdir = tmp_path / "sc"
    sdir.mkdir()
    (sdir / "hold.scenario").write_text(f"about hold\nrule C8\n{SCENARIOS['hold']}")
    server = Server(["--port", "0", "--h2c-port", "0", str(sdir)], tmp_path / "log")
    try:
        held_streams(server, capsys, conns, per)
    finally:
        server.stop_cleanly()


def held_streams(server, capsys, conns, per):
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    prefix = token(f"many{conns}")
    before = rss_kb(server.proc.pid)
    raws = [Raw(server.h2c_port) for _ in range(conns)]
    try:
        for k, raw in enumerate(raws):
            raw.send(b"".join(request(f"/s/hold/{prefix}-{k}-{i}", server.h2c_port, 2 * i + 1)
                              for i in range(per)))
        deadline = time.monotonic() + 60
        seen = [set() for _ in raws]
        while time.monotonic() < deadline and sum(len(x) for x in seen) < conns * per:
            for k, raw in enumerate(raws):
                seen[k] |= {sid for t, _, sid, p in raw.frames(0.05)
                            if t == DATA and p == b": hi\n\n"}
        assert sum(len(x) for x in seen) == conns * per
        server.wait_for(lambda e: e["ev"] == "action" and e["do"] == "hold"
                        and e["run"].startswith(prefix + "-"), timeout=60, count=conns * per)
        during = rss_kb(server.proc.pid)
        with capsys.disabled():
            print(f"\n[server] {conns} x {per} held h2 streams: RSS {before} kB -> {during} kB, "
                  f"about {(during - before) * 1024 // (conns * per)} bytes per stream")
    finally:
        for raw in raws:
            raw.close()
    ends = server.wait_for(lambda e: e["ev"] == "end" and e["run"].startswith(prefix + "-"),
                           timeout=60, count=conns * per)
    assert all(e["how"] == "client-closed" for e in ends)
    assert soft > 0 and hard > 0 and server.alive()
