"""Tests of ssespec-server over real sockets on loopback (stdlib + pytest).

The binary, the Server wrapper and the test PKI come from
tests/support/scenario_server_env.py. Timing assertions are lower bounds
with generous upper bounds only.
"""

from __future__ import annotations

import base64
import json
import os
import resource
import select
import socket
import ssl
import subprocess
import time
from pathlib import Path

import pytest
from scenario_server_env import (Server, connect, new_pki, read_to_eof, server_binary, tls_context,
                                 token)

HERE = Path(__file__).resolve().parent
SCENARIOS = HERE / "scenarios" / "play"
HEADER_TIMEOUT_MS = 1000


@pytest.fixture(scope="module")
def pki(tmp_path_factory):
    """A test CA and a server certificate for 127.0.0.1 and localhost, made now."""
    return new_pki(tmp_path_factory)


@pytest.fixture(scope="module")
def static_dir(tmp_path_factory):
    d = tmp_path_factory.mktemp("static")
    (d / "page.html").write_text("<!doctype html><title>t</title>\n")
    (d / "sub").mkdir()
    (d / "sub" / "app.js").write_text("console.log(1);\n")
    (d / "secret.bin").write_bytes(b"\x00\x01")
    (d.parent / "outside.txt").write_text("outside\n")
    return d


@pytest.fixture(scope="module")
def server(tmp_path_factory, pki, static_dir):
    log = tmp_path_factory.mktemp("log") / "server.log"
    srv = Server(["--port", "0", "--tls-port", "0", "--cert", str(pki.cert),
                  "--key", str(pki.key), "--static", str(static_dir),
                  "--header-timeout-ms", str(HEADER_TIMEOUT_MS), str(SCENARIOS)], log)
    yield srv
    srv.stop_cleanly()


def get(s: socket.socket, path: str, headers=(("Host", "127.0.0.1"),
                                             ("Accept", "text/event-stream"))):
    req = f"GET {path} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers) + "\r\n"
    s.sendall(req.encode())


def read_exactly(s: socket.socket, n: int, timeout: float = 10.0) -> bytes:
    s.settimeout(timeout)
    out = b""
    while len(out) < n:
        d = s.recv(n - len(out))
        if not d:
            raise AssertionError(f"EOF after {out!r}")
        out += d
    return out


def read_head(s: socket.socket, timeout: float = 10.0) -> bytes:
    s.settimeout(timeout)
    out = b""
    while b"\r\n\r\n" not in out:
        d = s.recv(1)
        if not d:
            raise AssertionError(f"EOF in the head: {out!r}")
        out += d
    return out


def timed_reads(s: socket.socket, timeout: float = 10.0) -> list[tuple[float, bytes]]:
    """Every recv until EOF with its arrival time."""
    s.settimeout(timeout)
    reads = []
    while True:
        d = s.recv(65536)
        if not d:
            return reads
        reads.append((time.monotonic(), d))


CHUNKED_HEAD = (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                b"Transfer-Encoding: chunked\r\n\r\n")
# a response whose last action is close says so in its head
CHUNKED_CLOSE_HEAD = CHUNKED_HEAD[:-2] + b"Connection: close\r\n\r\n"


# ------------------------------------------------------------------ loading


def run_cli(*args) -> subprocess.CompletedProcess:
    return subprocess.run([server_binary(), *args], capture_output=True, timeout=60)


def test_check_accepts_the_test_scenarios():
    r = run_cli("--check", str(SCENARIOS))
    assert r.returncode == 0, r.stderr
    assert r.stdout == b"12 scenarios OK\n"


def test_dump_is_the_parsed_scenarios():
    r = run_cli("--dump", str(SCENARIOS))
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    by_name = {s["name"]: s for s in doc["scenarios"]}
    assert sorted(by_name) == sorted([
        "abort", "big", "chunked", "close-delimited", "group/nested", "hold", "length",
        "no-content", "reconnect", "splits", "templates", "vanish"])
    rc = by_name["reconnect"]
    assert rc["rule"] == "C5" and rc["open"] is None and rc["timeout"] == 10
    assert rc["linger_ms"] == 300 and rc["types"] == [] and rc["skip_variants"] == {}
    assert rc["close_after"] is None
    c0, c1 = rc["connections"]
    assert c0["expect"] == {"method": "GET", "path": "", "delay_ms": None, "headers": [
        {"name": "Last-Event-ID", "op": "absent", "value": None}]}
    assert c1["expect"]["delay_ms"] == [300, 2500]
    assert c1["expect"]["headers"] == [{"name": "Last-Event-ID", "op": "equal", "value": "7"}]
    assert [a["do"] for a in c0["response"]["actions"]] == ["send", "close"]
    assert base64.b64decode(c0["response"]["actions"][0]["pieces"][0]) == \
        b"retry: 300\nid: 7\ndata: a\n\n"
    assert rc["records"] == [
        {"kind": "open"}, {"kind": "event", "type": "message", "data": "a", "lastEventId": "7"},
        {"kind": "error", "readyState": 0}, {"kind": "open"},
        {"kind": "event", "type": "message", "data": "b", "lastEventId": "7"}]
    t = by_name["templates"]["connections"]
    assert t[0]["response"]["headers"] == [["Location", "{origin}{base}/next"]]
    assert t[0]["response"]["status"] == 302 and t[0]["response"]["reason"] == "Found"
    assert base64.b64decode(t[1]["response"]["actions"][0]["pieces"][0]) == b"data: {base}\n\n"
    assert t[1]["expect"]["path"] == "next"
    n = by_name["group/nested"]
    assert n["types"] == ["foo", "bar"] and n["timeout"] == 2.5 and n["linger_ms"] == 100
    assert n["skip_variants"] == {"tls": "nothing to do with TLS"} and n["close_after"] == 3
    assert len(n["records"]) == 3
    s = by_name["splits"]["connections"][0]["response"]
    assert s["chunk_extension"] == ";x=1"
    assert [len(a.get("pieces", [])) for a in s["actions"]] == [3, 2, 0, 1, 0]


def test_a_file_given_directly_is_named_below_scenarios():
    r = run_cli("--dump", str(SCENARIOS / "group" / "nested.scenario"))
    assert r.returncode == 0, r.stderr
    assert json.loads(r.stdout)["scenarios"][0]["name"] == "play/group/nested"


def test_malformed_file_stops_the_server_with_exit_2(tmp_path):
    good = tmp_path / "good.scenario"
    good.write_text("about a\nrule C5\nconnection\n")
    bad = tmp_path / "bad.scenario"
    bad.write_text("about a\nrule C5\nconnection\n  status 99\n")
    r = run_cli("--port", "0", str(tmp_path))
    assert r.returncode == 2
    assert f"{bad}:4: status: needs a code from 200 to 599, got '99'".encode() in r.stderr
    assert b"listening" not in r.stdout
    r = run_cli("--check", str(tmp_path), str(good))
    assert r.returncode == 2
    r = run_cli("--check", str(good))
    assert r.returncode == 0 and r.stdout == b"1 scenarios OK\n"


def test_check_reports_every_malformed_file(tmp_path):
    (tmp_path / "a.scenario").write_text("rule C5\nconnection\n")
    (tmp_path / "b.scenario").write_text("about a\nrule C5\nsend \"x\"\n")
    r = run_cli("--check", str(tmp_path))
    assert r.returncode == 2
    lines = r.stderr.decode().splitlines()
    assert lines == [
        f"{tmp_path}/a.scenario:1: about: missing: every scenario says what it checks",
        f"{tmp_path}/b.scenario:3: send: outside a connection (write `connection` first)"]


def test_duplicate_names_are_refused(tmp_path):
    (tmp_path / "x.scenario").write_text("about a\nrule C5\nconnection\n")
    r = run_cli("--check", str(tmp_path), str(tmp_path / "x.scenario"))
    assert r.returncode == 2
    assert b"scenario x is also loaded from" in r.stderr


# ------------------------------------------------------------------ playback


def test_listening_line(server):
    assert server.listening["scenarios"] == 12
    assert isinstance(server.port, int) and server.port > 0
    assert isinstance(server.tls_port, int) and server.tls_port not in (0, server.port)


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_chunked_bytes_on_the_wire(server, pki, tls):
    tok = token()
    with connect(server, tls, pki) as s:
        get(s, f"/s/chunked/{tok}")
        data = read_to_eof(s)
    assert data == CHUNKED_CLOSE_HEAD + b"9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"
    ev = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert ev[0]["how"] == "close" and ev[0]["complete"] is True
    req = [e for e in server.run_events(tok, "chunked") if e["ev"] == "request"]
    assert req[0]["tls"] is tls and req[0]["step"] == 0 and req[0]["delay_ms"] is None


def test_close_delimited_bytes(server):
    with connect(server) as s:
        get(s, f"/s/close-delimited/{token()}")
        data = read_to_eof(s)
    assert data == (b"HTTP/1.0 200 OK\r\nContent-Type: text/event-stream\r\n"
                    b"Connection: close\r\n\r\ndata: x\n\n")


def test_length_framing_and_keep_alive_reuse(server):
    tok = token()
    with connect(server) as s:
        get(s, f"/s/length/{tok}")
        head = read_head(s)
        assert head == (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\n"
                        b"Content-Length: 22\r\n\r\n")
        assert read_exactly(s, 22) == b"data: one\n\ndata: two\n\n"
        time.sleep(0.2)
        get(s, f"/s/length/{tok}", headers=(("Host", "h"), ("Last-Event-ID", "x")))
        data = read_to_eof(s)
    assert data == (b"HTTP/1.1 200 OK\r\nX-Step: 2\r\nContent-Type: text/event-stream\r\n"
                    b"Content-Length: 13\r\nConnection: close\r\n\r\ndata: three\n\n")
    server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end" and e["step"] == 1)
    evs = server.run_events(tok, "length")
    ends = [e for e in evs if e["ev"] == "end"]
    assert [(e["step"], e["how"]) for e in ends] == [(0, "keep-alive"), (1, "close")]
    reqs = [e for e in evs if e["ev"] == "request"]
    assert reqs[0]["conn"] == reqs[1]["conn"]
    assert reqs[1]["headers"] == [["Host", "h"], ["Last-Event-ID", "x"]]
    assert 190 <= reqs[1]["delay_ms"] < 5000


def test_send_pieces_are_separate_writes(server, pki):
    expected = (CHUNKED_CLOSE_HEAD + b"b;x=1\r\ndata: a" + b"bc\n" + b"\n\r\n" +
                b"8;x=1\r\ndata: d\n\r\n" + b"1;x=1\r\n\n\r\n" + b"5\r\nhello\r\n" +
                b"0;x=1\r\n\r\n")
    # the byte offsets where a new write starts after a pause
    head = len(CHUNKED_CLOSE_HEAD)
    boundaries = [head + 14, head + 17, head + 20 + 17, head + 20 + 17 + 10]
    for tls in (False, True):
        ok = False
        for attempt in range(3):  # a reader delayed past 30 ms may merge reads
            tok = token()
            with connect(server, tls, pki) as s:
                get(s, f"/s/splits/{tok}")
                reads = timed_reads(s)
            data = b"".join(d for _, d in reads)
            assert data == expected
            starts, pos, times = set(), 0, {}
            for t, d in reads:
                starts.add(pos)
                times[pos] = t
                pos += len(d)
            if all(b in starts for b in boundaries):
                # each piece arrived at least ~30 ms after the one before
                for a, b in zip(boundaries, boundaries[1:3]):
                    assert times[b] - times[a] >= 0.02
                ok = True
                break
        assert ok, f"pieces were never seen as separate reads (tls={tls})"
        evs = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
        acts = [e for e in server.run_events(tok, "splits") if e["ev"] == "action"]
        assert [(a["do"], a.get("piece")) for a in acts] == [
            ("send", 0), ("send", 1), ("send", 2), ("send-chunks", 0), ("send-chunks", 1),
            ("wait", None), ("raw", 0), ("close", None)]
        assert [a.get("bytes") for a in acts[:5]] == [7, 3, 1, 8, 1]
        for a, b in zip(acts, acts[1:3]):
            assert b["t"] - a["t"] >= 29.0
        assert acts[6]["t"] - acts[5]["t"] >= 99.0
        assert evs[0]["how"] == "close"


def tls_over_raw_socket(server, pki):
    """A TLS client whose TCP socket stays visible (Python's SSLSocket reports
    a reset under TLS as an EOF): returns (raw socket, SSLObject, incoming BIO,
    pump)."""
    raw = socket.create_connection(("127.0.0.1", server.tls_port), timeout=10)
    inc, out = ssl.MemoryBIO(), ssl.MemoryBIO()
    obj = tls_context(pki).wrap_bio(inc, out, server_hostname="127.0.0.1")

    def pump():
        data = out.read()
        if data:
            raw.sendall(data)

    while True:
        try:
            obj.do_handshake()
            break
        except ssl.SSLWantReadError:
            pump()
            data = raw.recv(65536)
            if not data:
                raise AssertionError("EOF in the handshake")
            inc.write(data)
    pump()
    return raw, obj, inc, pump


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_abort_resets_the_connection(server, pki, tls):
    tok = token()
    got = b""
    if tls:
        raw, obj, inc, pump = tls_over_raw_socket(server, pki)
        obj.write(f"GET /s/abort/{tok} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        pump()
        with pytest.raises(ConnectionResetError):
            while True:
                data = raw.recv(65536)
                if not data:
                    break
                inc.write(data)
                try:
                    got += obj.read(65536)
                except ssl.SSLWantReadError:
                    pass
        raw.close()
    else:
        with connect(server) as s:
            get(s, f"/s/abort/{tok}")
            with pytest.raises(ConnectionResetError):
                s.settimeout(10)
                while True:
                    d = s.recv(65536)
                    if not d:
                        break
                    got += d
    assert got.startswith(CHUNKED_HEAD[:-2])
    ev = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert ev[0]["how"] == "abort"


@pytest.mark.parametrize("tls", [False, True], ids=["http", "https"])
def test_templates_are_expanded(server, pki, tls):
    tok = token()
    port = server.tls_port if tls else server.port
    origin = f"{'https' if tls else 'http'}://127.0.0.1:{port}"
    base = f"/s/templates/{tok}"
    body = f"at {base} from {origin} {{x}}".encode()
    with connect(server, tls, pki) as s:
        get(s, base)
        data = read_to_eof(s)
    assert data == (f"HTTP/1.1 302 Found\r\nLocation: {origin}{base}/next\r\n"
                    f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n").encode() + body
    with connect(server, tls, pki) as s:
        get(s, base + "/next")
        head = read_head(s)
        assert head == (b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream; charset=utf-8\r\n"
                        b"Transfer-Encoding: chunked\r\n\r\n")
        payload = f"data: {base}\n\n".encode()
        assert read_exactly(s, len(payload) + 6) == b"%x\r\n" % len(payload) + payload + b"\r\n"
    reqs = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "request", count=2)
    assert reqs[1]["subpath"] == "next" and reqs[1]["target"] == base + "/next"
    assert reqs[1]["step"] == 1 and reqs[1]["tls"] is tls


def test_request_log_and_delays_between_connections(server):
    tok = token()
    hdrs = (("Host", "127.0.0.1"), ("Accept", "text/event-stream"), ("X-Dup", "1"),
            ("x-dup", "2"), ("Cache-Control", "no-cache"))
    with connect(server) as s:
        get(s, f"/s/reconnect/{tok}", headers=hdrs)
        read_to_eof(s)
    time.sleep(0.35)
    with connect(server) as s:
        get(s, f"/s/reconnect/{tok}?q=1", headers=hdrs + (("Last-Event-ID", "7"),))
        head = read_head(s)
        assert head.startswith(b"HTTP/1.1 200 OK\r\n")
        read_exactly(s, 14)
        # a third request is beyond the scenario: 404, and logged as unexpected
        with connect(server) as s3:
            get(s3, f"/s/reconnect/{tok}")
            data = read_to_eof(s3)
        assert data.startswith(b"HTTP/1.1 404 Not Found\r\n")
        assert b"Connection: close\r\n" in data
    reqs = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "request", count=2)
    assert reqs[0]["method"] == "GET" and reqs[0]["version"] == "HTTP/1.1"
    assert reqs[0]["headers"] == [list(h) for h in hdrs]
    assert reqs[0]["delay_ms"] is None and reqs[0]["subpath"] == ""
    assert reqs[1]["subpath"] == "?q=1" and reqs[1]["step"] == 1
    assert 340 <= reqs[1]["delay_ms"] < 5000
    unexpected = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "unexpected")
    assert unexpected[0]["step"] == 2 and unexpected[0]["scenario"] == "reconnect"
    assert unexpected[0]["delay_ms"] is None  # step 1 is still held open
    ends = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end", count=2)
    assert [e["how"] for e in ends] == ["close", "client-closed"]


def test_unknown_paths_and_tokens(server):
    for path in ["/", "/s/", "/s/nope/tok", "/s/chunked", "/s/chunked/", "/s/chunked/a.b",
                 "/s/chunked/" + "a" * 65, "/static/page.html/../x"]:
        with connect(server) as s:
            get(s, path)
            head = read_head(s)
            assert head.startswith(b"HTTP/1.1 404 Not Found\r\n"), path
    # a 404 keeps the connection for the next request
    with connect(server) as s:
        get(s, "/nope")
        head = read_head(s)
        n = int(head.split(b"Content-Length: ")[1].split(b"\r\n")[0])
        read_exactly(s, n)
        tok = "a" * 64
        get(s, f"/s/chunked/{tok}")
        assert read_to_eof(s).startswith(CHUNKED_HEAD[:-2])


def test_longest_scenario_name_wins(server):
    # "group/nested" is matched even though "group" is not a scenario
    tok = token()
    with connect(server) as s:
        get(s, f"/s/group/nested/{tok}/deeper/path")
        head = read_head(s)
        assert head.startswith(b"HTTP/1.1 200 OK")
    req = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "request")
    assert req[0]["scenario"] == "group/nested" and req[0]["subpath"] == "deeper/path"


def test_no_content_status_has_no_body(server):
    tok = token()
    with connect(server) as s:
        get(s, f"/s/no-content/{tok}")
        assert read_head(s) == b"HTTP/1.1 204 No Content\r\n\r\n"
        s.settimeout(0.3)
        with pytest.raises(socket.timeout):
            s.recv(1)
    ev = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert ev[0]["how"] == "client-closed" and ev[0]["complete"] is True


def test_static_files(server):
    cases = {
        "/static/page.html": (200, b"text/html; charset=utf-8", b"<!doctype html><title>t</title>\n"),
        "/static/sub/app.js?v=1": (200, b"text/javascript; charset=utf-8", b"console.log(1);\n"),
        "/static/secret.bin": (200, b"application/octet-stream", b"\x00\x01"),
    }
    for path, (status, ctype, body) in cases.items():
        with connect(server) as s:
            get(s, path)
            head = read_head(s)
            assert head.startswith(b"HTTP/1.1 %d " % status)
            assert b"Content-Type: " + ctype + b"\r\n" in head
            assert read_exactly(s, len(body)) == body
    for path in ["/static/../outside.txt", "/static/sub/../page.html", "/static/./page.html",
                 "/static//page.html", "/static/sub", "/static/missing.txt",
                 "/static/%2e%2e/outside.txt"]:
        with connect(server) as s:
            get(s, path)
            assert read_head(s).startswith(b"HTTP/1.1 404 "), path


# ------------------------------------------------------------------ TLS


def test_tls_garbage_is_dropped(server, pki):
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as s:
        s.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        try:
            data = read_to_eof(s)
        except ConnectionResetError:
            data = b""
        assert not data.startswith(b"HTTP/")
    with socket.create_connection(("127.0.0.1", server.tls_port), timeout=10) as s:
        s.sendall(os.urandom(3000))
        try:
            read_to_eof(s)
        except ConnectionResetError:
            pass
    server.wait_for(lambda e: e["ev"] == "tls-error")
    # TLS still works
    with connect(server, True, pki) as s:
        get(s, f"/s/chunked/{token()}")
        assert read_to_eof(s).startswith(CHUNKED_HEAD[:-2])
    assert server.alive()


def test_plain_tls_hello_on_the_http_port_is_a_bad_request(server, pki):
    raw = socket.create_connection(("127.0.0.1", server.port), timeout=10)
    ctx = tls_context(pki)
    with pytest.raises((ssl.SSLError, ConnectionResetError, OSError)):
        ctx.wrap_socket(raw, server_hostname="127.0.0.1")
    raw.close()
    assert server.alive()


# ------------------------------------------------------------------ robustness


def normal_run_works(server):
    with connect(server) as s:
        get(s, f"/s/chunked/{token('ok')}")
        assert read_to_eof(s) == CHUNKED_CLOSE_HEAD + b"9\r\ndata: a\n\n\r\n9\r\ndata: b\n\n\r\n0\r\n\r\n"


@pytest.mark.parametrize("garbage,status", [
    (b"\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03" + b"\x00" * 40, 400),
    (b"HELLO\r\n\r\n", 400),
    (b"GET /s/chunked/x HTTP/1.1\r\nBad Header\r\n\r\n", 400),
    (b"GET /s/chunked/x HTTP/1.1\r\n folded\r\n\r\n", 400),
    (b"GET /s/chunked/x HTTP/2.0\r\n\r\n", 505),
    (b"GET  HTTP/1.1\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nContent-Length: zz\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n", 501),
    (b"GET /x HTTP/1.1\r\nX: a\x00b\r\n\r\n", 400),
    (b"GET /x HTTP/1.1\r\nX: a\rb\r\n\r\n", 400),
], ids=["tls-hello", "word", "bad-header", "folding", "http2", "no-target", "bad-length",
        "chunked-request", "nul-in-value", "cr-in-value"])
def test_garbage_gets_an_error_and_close(server, garbage, status):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(garbage)
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 %d " % status), data
    assert b"Connection: close\r\n" in data
    normal_run_works(server)


def test_other_control_characters_in_values_are_kept(server):
    """RFC 9110 5.5 lets a recipient retain control characters other than
    CR, LF and NUL: a Last-Event-ID made of an id with them is logged as
    sent (blanks around a value are still removed)."""
    tok = token()
    value = "a\x01b\x1fc\x7fd\te"
    with connect(server) as s:
        get(s, f"/s/hold/{tok}", headers=(("Host", "x"), ("Last-Event-ID", f" {value}\t")))
        assert read_head(s).startswith(b"HTTP/1.1 200 OK\r\n")
    req = server.wait_for_one(lambda e: e.get("run") == tok and e["ev"] == "request")
    assert req["headers"] == [["Host", "x"], ["Last-Event-ID", value]]


def test_oversized_head_gets_431(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /" + b"a" * 20000 + b" HTTP/1.1\r\n\r\n")
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 431 ")
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /x HTTP/1.1\r\n" + b"".join(b"X-%d: y\r\n" % i for i in range(150)) +
                  b"\r\n")
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 431 ")
    normal_run_works(server)


def test_endless_headers_get_431(server):
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /s/hold/endless HTTP/1.1\r\n")
        data = b""
        for i in range(100000):
            r, _, _ = select.select([s], [], [], 0)
            if r:
                break
            try:
                s.sendall(b"X-Endless-%d: %s\r\n" % (i, b"v" * 50))
            except (BrokenPipeError, ConnectionResetError):
                break
        s.settimeout(10)
        data = s.recv(65536)
    assert data.startswith(b"HTTP/1.1 431 "), data
    normal_run_works(server)


def test_slow_headers_time_out_with_408(server):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        s.sendall(b"GET /s/hold/slow HTTP/1.1\r\n")
        got = b""
        for ch in b"X-Slow: 1234567890abcdefghijklmnopqrstuvwxyz":
            normal_run_works(server)  # others are served meanwhile
            try:
                s.sendall(bytes([ch]))
            except (BrokenPipeError, ConnectionResetError):
                break
            r, _, _ = select.select([s], [], [], 0.1)
            if r:
                got = s.recv(65536)
                break
        if not got:
            got = s.recv(65536)
    elapsed = time.monotonic() - t0
    assert got.startswith(b"HTTP/1.1 408 "), got
    assert HEADER_TIMEOUT_MS / 1000 - 0.05 <= elapsed < 8


def test_silent_connection_times_out(server):
    t0 = time.monotonic()
    with socket.create_connection(("127.0.0.1", server.port), timeout=10) as s:
        data = read_to_eof(s)
    assert data.startswith(b"HTTP/1.1 408 ")
    assert HEADER_TIMEOUT_MS / 1000 - 0.05 <= time.monotonic() - t0 < 8


def test_clients_that_vanish(server):
    # mid-body of a large response: reset by the client
    tok = token()
    s = connect(server)
    get(s, f"/s/big/{tok}")
    read_exactly(s, 5000)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
    s.close()
    ev = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert ev[0]["how"] in ("client-closed", "error")
    # between writes: the client closes while the server waits
    tok = token()
    s = connect(server)
    get(s, f"/s/vanish/{tok}")
    read_head(s)
    s.close()
    ev = server.wait_for(lambda e: e.get("run") == tok and e["ev"] == "end")
    assert ev[0]["how"] == "client-closed"
    # before the request is complete
    s = connect(server)
    s.sendall(b"GET /s/hold/x HTTP/1.1\r\nHo")
    s.close()
    time.sleep(0.1)
    assert server.alive()
    normal_run_works(server)


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def test_a_thousand_concurrent_connections(server, capsys):
    n = 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < n + 100:
        resource.setrlimit(resource.RLIMIT_NOFILE, (min(hard, n + 1000), hard))
    prefix = token("many")
    before = rss_kb(server.proc.pid)
    socks = []
    try:
        for i in range(n):
            s = socket.create_connection(("127.0.0.1", server.port), timeout=30)
            get(s, f"/s/hold/{prefix}-{i}")
            socks.append(s)
        server.wait_for(lambda e: e["ev"] == "action" and e["do"] == "hold"
                        and e["run"].startswith(prefix + "-"), timeout=60, count=n)
        for s in socks:
            assert read_head(s, timeout=30).startswith(b"HTTP/1.1 200 OK\r\n")
        during = rss_kb(server.proc.pid)
        # a normal run completes while the thousand are held
        normal_run_works(server)
        with capsys.disabled():
            print(f"\n[server] {n} held connections: RSS {before} kB -> {during} kB, "
                  f"about {(during - before) * 1024 // n} bytes per connection")
    finally:
        for s in socks:
            s.close()
    ends = server.wait_for(lambda e: e["ev"] == "end" and e["run"].startswith(prefix + "-"),
                           timeout=60, count=n)
    assert all(e["how"] == "client-closed" for e in ends)
    assert server.alive()


def test_random_input_never_hurts(server, pki):
    import random
    rnd = random.Random(1234)
    valid = (b"GET /s/chunked/r HTTP/1.1\r\nHost: x\r\nLast-Event-ID: 1\r\n"
             b"Content-Length: 3\r\n\r\nabc")
    socks = []
    for i in range(300):
        tls = i % 10 == 9
        port = server.tls_port if tls else server.port
        s = socket.create_connection(("127.0.0.1", port), timeout=10)
        if i % 3 == 0:
            data = bytes(rnd.randrange(256) for _ in range(rnd.randrange(1, 400)))
        else:
            data = bytearray(valid.replace(b"/r ", b"/r%d " % i))
            for _ in range(rnd.randrange(1, 6)):
                at = rnd.randrange(len(data))
                op = rnd.randrange(3)
                if op == 0:
                    data[at] = rnd.randrange(256)
                elif op == 1:
                    data.insert(at, rnd.choice(b"\r\n :\x00/\xff"))
                else:
                    del data[at]
            data = bytes(data)
        try:
            s.sendall(data)
        except OSError:
            pass
        socks.append(s)
    time.sleep(0.3)
    for i, s in enumerate(socks):
        if i % 2:
            s.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, b"\x01\x00\x00\x00\x00\x00\x00\x00")
        s.close()
    time.sleep(0.2)
    assert server.alive()
    normal_run_works(server)
    with connect(server, True, pki) as s:
        get(s, f"/s/chunked/{token()}")
        assert read_to_eof(s).startswith(CHUNKED_HEAD[:-2])
