"""End-to-end tests of the reference EventSource client.

The scenarios in tests/client/scenarios/ are played by the client suite
itself: one run of `./ssespec check --client --scenarios tests/client/scenarios`
plays all of them at once over HTTP, HTTPS, HTTP/2 over TLS (ALPN) and
cleartext HTTP/2 with prior knowledge, and judges both sides (the
records the client reported against each scenario's, and the requests in
the scenario server's log: path, headers, the delay before each
reconnection, no request the client should not have made). One test per
variant then reads its verdict from the run's JSON results, and one checks
that the run ended cleanly.

The other tests drive ssespec-client-adapter by hand
(tests/support/client_driver.py) against the scenario server (harness/client_suite/scenario_server.py)
on the same scenarios, with a test CA and a certificate for IP 127.0.0.1
only (harness/setup/certs.py), and an unrelated second CA.

Binaries, for the suite run (`--build`) as for the rest, come from build/asan
if it has them (so leaks and memory errors fail the tests), else
build/release (built if missing).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path
from typing import Callable

import pytest

from harness.client_suite.scenario_server import ScenarioServer
from harness.setup import build
from harness.setup.certs import make_pki
from tests.support.client_driver import ClientAdapterDriver

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios"
BINARIES = {"ssespec-server": "server", "ssespec-client-adapter": "client", "ssespec-get": "client"}
SUITE_TIMEOUT = 600

# Scenarios the reference client does not pass yet, with the reason; a
# strict xfail, so the marker must go once it passes.
KNOWN: dict[str, str] = {}


# ---------------------------------------------------------------- binaries

@pytest.fixture(scope="session")
def build_kind() -> str:
    """asan when build/asan has every binary these tests use, else release."""
    asan = build.build_dir("asan")
    if all((asan / sub / name).is_file() and os.access(asan / sub / name, os.X_OK)
           for name, sub in BINARIES.items()):
        return "asan"
    return "release"


@pytest.fixture(scope="session")
def bins(build_kind) -> dict[str, Path]:
    return {n: build.executable(n, build_kind, quiet=True) for n in BINARIES}


def _need_openssl() -> None:
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")


# ---------------------------------------------------------------- scenarios

@pytest.fixture(scope="module")
def suite_run(build_kind, tmp_path_factory) -> dict:
    """One run of the client suite on tests/client/scenarios/; its JSON results."""
    _need_openssl()
    out = tmp_path_factory.mktemp("suite") / "results.json"
    # --no-client-cases: the parser cases served over the wire are the
    # client-asan step's (the whole corpus); here they would only add load
    # (four transports each) and no verdict this file reads
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--client", "--build", build_kind,
                        "--scenarios", str(SCENARIOS), "--no-client-cases", "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode in (0, 1) and out.exists(), \
        f"the client suite could not run (exit {p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr}"
    return json.loads(out.read_text())


def _variant_params():
    names = sorted(p.relative_to(SCENARIOS).with_suffix("").as_posix()
                   for p in SCENARIOS.rglob("*.scenario"))
    params = []
    for suffix in ("", "@tls", "@h2", "@h2c"):
        for n in names:
            marks = [pytest.mark.xfail(reason=KNOWN[n], strict=True)] if n in KNOWN else []
            params.append(pytest.param(n + suffix, marks=marks, id=n + suffix))
    return params


@pytest.mark.parametrize("variant", _variant_params())
def test_scenario(suite_run, variant):
    cases = {c["id"]: c for c in suite_run["cases"]}
    name, _, transport = variant.partition("@")
    if variant not in cases:
        # skip-variant h2 leaves out h2c as well
        t = "h2" if transport == "h2c" else transport
        left = [x for x in suite_run["left_out"] if x["case"] == name and x["variant"] == t]
        if transport and left:
            pytest.skip(f"{name} is not played over {transport}: {left[0]['reason']}")
        pytest.fail(f"the client suite gave no verdict for {variant}")
    c = cases[variant]
    assert c["verdict"] == "pass", f"{variant}: {c['verdict']}: {c['reason']}\n" \
        + json.dumps({k: c.get(k) for k in ("problems", "expected", "actual", "requests",
                                            "stderr")}, indent=1)[:6000]


def test_every_transport_ran(suite_run):
    """The adapter's hello offers h2 and h2c, so no variant was left out for
    its transport, and the run went over all four."""
    assert not any("left out: the adapter's hello" in n for n in suite_run["notes"])
    assert {c["variant"] for c in suite_run["cases"]} == {"http", "tls", "h2", "h2c"}


def test_no_crash_reports(suite_run):
    """The adapter and the server exited with status 0 and wrote no sanitizer
    report (the suite notes either), and the adapter never had to be
    restarted."""
    assert suite_run["adapter"]["end_note"] is None, suite_run["notes"]
    assert suite_run["server"]["end_note"] is None, suite_run["notes"]
    assert suite_run["adapter"]["restarts"] == 0
    assert suite_run["notes"] == []


# ---------------------------------------------------------------- by hand

@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A test CA and a certificate for IP 127.0.0.1 (no DNS name), and an
    unrelated second CA."""
    _need_openssl()
    d = tmp_path_factory.mktemp("pki")
    mine = make_pki(d / "ca", names="IP:127.0.0.1")
    other = make_pki(d / "other-ca")
    return {"ca": mine.ca, "other_ca": other.ca, "cert": mine.cert, "key": mine.key}


@pytest.fixture(scope="module")
def server(bins, pki, tmp_path_factory):
    log = tmp_path_factory.mktemp("server") / "server-log.jsonl"
    s = ScenarioServer(bins["ssespec-server"], SCENARIOS, pki["cert"], pki["key"], None, log=log)
    s.start()
    yield s
    s.stop()


def start_adapter(bins, logdir: Path, ca: Path | None = None,
            args: tuple[str, ...] = ()) -> ClientAdapterDriver:
    """ssespec-client-adapter with a thread collecting its stdout lines."""
    return ClientAdapterDriver([str(bins["ssespec-client-adapter"]), *args], logdir, ca=ca,
                               exit_timeout=10)


def close(ad: ClientAdapterDriver, stream: str, timeout: float = 5) -> list[dict]:
    recs = ad.close_stream(stream, timeout)
    assert any(r["kind"] == "closed" for r in recs), f"no closed record for {stream}: {recs}"
    return recs


# ---------------------------------------------------------------- protocol

def test_hello(bins, tmp_path):
    ad = start_adapter(bins, tmp_path)
    assert ad.hello == {"hello": {"name": "ssespec-reference-client", "version": "1.0.0",
                                  "reports": ["open", "event", "error", "closed", "failure"],
                                  "max_streams": 256, "h2": True, "h2c": True}}
    assert ad.raw[0].endswith(b"\n")
    assert ad.finish() == 0


def test_malformed_commands(bins, server, tmp_path):
    ad = start_adapter(bins, tmp_path)
    url = server.origin("http") + f"/s/event-types/m-{uuid.uuid4().hex[:8]}"
    ad.send(b"not json at all")
    ad.send(b"[1, 2, 3]")
    ad.send(b'{"cmd": "open"}')                                 # no stream
    ad.send(b'{"cmd": "open", "stream": 7, "url": "x"}')        # stream not a string
    ad.send(b'{"cmd": "open", "stream": "a", "url": "x", }')    # not strict JSON
    ad.send(b'{"cmd": "open", "stream": "\xff", "url": "x"}')   # invalid UTF-8
    ad.send(b"")
    ad.send(b"   \r")
    ad.send(b"x" * (3 << 20))                                   # an overlong line
    ad.send({"cmd": "frobnicate", "stream": "f1"})
    ad.send({"stream": "f2"})
    ad.send({"cmd": "open", "stream": "f3"})                    # no url
    ad.send({"cmd": "open", "stream": "f4", "url": 5})
    ad.send({"cmd": "open", "stream": "f5", "url": url, "types": "foo"})
    ad.send({"cmd": "open", "stream": "f6", "url": url, "types": ["foo", 1]})
    ad.send({"cmd": "open", "stream": "f7", "url": "ftp://127.0.0.1/x"})
    ad.send({"cmd": "open", "stream": "f8", "url": "not a url"})
    ad.send({"cmd": "open", "stream": "f9", "url": url, "h2c": "yes"})
    ad.send({"cmd": "close", "stream": "nobody"})
    ad.send({"cmd": "open", "stream": "ok", "url": url, "types": ["foo"]})
    ad.send({"cmd": "open", "stream": "ok", "url": url})        # duplicate id
    for sid in ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "f9", "nobody"):
        assert ad.wait_for(lambda: ad.records(sid), 5), f"no report for {sid}"
        recs = ad.records(sid)
        assert len(recs) == 1 and recs[0]["kind"] == "failure", (sid, recs)
        assert isinstance(recs[0]["message"], str) and recs[0]["message"], recs
    # the stream that was opened works, and the duplicate open did not disturb it
    assert ad.wait_for(lambda: len(ad.records("ok")) >= 5, 10), ad.records("ok")
    recs = ad.records("ok")
    kinds = [r["kind"] for r in recs]
    assert kinds.count("failure") == 1 and "already" in recs[kinds.index("failure")]["message"]
    assert [r for r in recs if r["kind"] != "failure"][:3] == [
        {"kind": "open"},
        {"kind": "event", "type": "foo", "data": "1", "lastEventId": ""},
        {"kind": "event", "type": "message", "data": "4", "lastEventId": ""}]
    # a client that could not be created can still be closed
    assert close(ad, "f8")[-1] == {"kind": "closed"}
    assert close(ad, "ok")[-1] == {"kind": "closed"}
    # a closed stream's id is free again, and closing twice is a failure
    ad.send({"cmd": "close", "stream": "ok"})
    assert ad.wait_for(lambda: ad.records("ok")[-1]["kind"] == "failure", 5)
    # every stdout line was JSON and stderr has the reasons
    assert ad.finish() == 0
    assert ad.bad == []
    err = ad.stderr()
    assert "not a JSON command" in err and "longer than" in err
    assert "AddressSanitizer" not in err


def test_many_streams_at_once(bins, server, tmp_path):
    """64 streams of one scenario, each its own run, all at once."""
    ad = start_adapter(bins, tmp_path)
    origin = server.origin("http")
    sids = [f"m{i}" for i in range(64)]
    for sid in sids:
        ad.open(sid, f"{origin}/s/event-types/{sid}-{uuid.uuid4().hex[:8]}", ["foo"])
    for sid in sids:
        assert ad.wait_for(lambda: len(ad.records(sid)) >= 4, 20), (sid, ad.records(sid))
    for sid in sids:
        recs = close(ad, sid)
        assert [r["kind"] for r in recs] == ["open", "event", "event", "event", "closed"], recs
        assert [(r["type"], r["data"]) for r in recs if r["kind"] == "event"] == [
            ("foo", "1"), ("message", "4"), ("message", "5")]
    assert ad.finish() == 0


def test_close_stops_reconnecting(bins, server, tmp_path):
    """A stream closed while it waits to reconnect makes no more requests."""
    ad = start_adapter(bins, tmp_path)
    token = f"c-{uuid.uuid4().hex[:8]}"
    ad.open("c", server.origin("http") + f"/s/default-retry/{token}")
    assert ad.wait_for(lambda: len(ad.records("c")) >= 3, 10)
    assert ad.records("c") == [{"kind": "open"},
                               {"kind": "event", "type": "message", "data": "a",
                                "lastEventId": ""},
                               {"kind": "error", "readyState": 0}]
    close(ad, "c")
    time.sleep(3.5)  # past the 3 s reconnection time
    assert len(server.entries(token, "request")) == 1
    assert ad.finish() == 0


def test_stdin_eof_with_open_streams(bins, server, tmp_path):
    ad = start_adapter(bins, tmp_path)
    for i in range(3):
        ad.open(f"s{i}", server.origin("http") + f"/s/content-type-params/e-{uuid.uuid4().hex}")
    assert ad.wait_for(lambda: all(len(ad.records(f"s{i}")) >= 2 for i in range(3)), 10)
    t0 = time.monotonic()
    assert ad.finish() == 0
    assert time.monotonic() - t0 < 5


def test_connection_refused_reestablishes(bins, tmp_path):
    """A network error before any response is reestablished, not failed."""
    import socket
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "50"))
    ad.open("r", f"http://127.0.0.1:{port}/x")
    assert ad.wait_for(lambda: len(ad.records("r")) >= 3, 10), ad.records("r")
    assert ad.records("r")[:3] == [{"kind": "error", "readyState": 0}] * 3
    close(ad, "r")
    assert ad.finish() == 0
    assert "refused" in ad.stderr()


# ---------------------------------------------------------------- TLS

def test_tls_untrusted_certificate(bins, server, pki, tmp_path):
    """With only an unrelated CA trusted the handshake fails: a network
    error, so the client keeps trying (error 0), never opens."""
    ad = start_adapter(bins, tmp_path, ca=pki["other_ca"], args=("--retry-default", "100"))
    token = f"t-{uuid.uuid4().hex[:8]}"
    ad.open("t", server.origin("tls") + f"/s/content-type-params/{token}")
    assert ad.wait_for(lambda: len(ad.records("t")) >= 2, 10), ad.records("t")
    assert ad.records("t")[:2] == [{"kind": "error", "readyState": 0}] * 2
    close(ad, "t")
    assert ad.finish() == 0
    assert "certificate" in ad.stderr()
    assert server.entries(token, "request") == []


def test_tls_host_name_checked(bins, server, pki, tmp_path):
    """The certificate names IP 127.0.0.1 only: https://localhost fails."""
    import socket
    try:
        socket.getaddrinfo("localhost", server.tls_port, socket.AF_INET)
    except OSError:
        pytest.skip("localhost does not resolve")
    ad = start_adapter(bins, tmp_path, ca=pki["ca"], args=("--retry-default", "100"))
    token = f"h-{uuid.uuid4().hex[:8]}"
    ad.open("h", f"https://localhost:{server.tls_port}/s/content-type-params/{token}")
    assert ad.wait_for(lambda: len(ad.records("h")) >= 1, 10)
    time.sleep(0.3)
    assert all(r == {"kind": "error", "readyState": 0} for r in ad.records("h"))
    close(ad, "h")
    assert ad.finish() == 0
    assert server.entries(token, "request") == []


def test_tls_ca_file_unreadable(bins, tmp_path):
    env = dict(os.environ, SSESPEC_CA_FILE=str(tmp_path / "missing.pem"))
    p = subprocess.run([str(bins["ssespec-client-adapter"])], input=b"", env=env,
                       capture_output=True, timeout=10)
    assert p.returncode == 1
    assert b"missing.pem" in p.stderr
    assert p.stdout == b""


# ---------------------------------------------------------------- HTTP/2

def _proto_of(server, token: str) -> list[str]:
    return [e.get("proto") for e in server.entries(token, "request")]


def test_h2_protocol_by_transport(bins, server, pki, tmp_path):
    """One adapter, four streams of one scenario: HTTP/1.1 in clear and over
    TLS (a port offering http/1.1 only), HTTP/2 by ALPN, and cleartext HTTP/2
    with prior knowledge for the open that asks for it. The same records
    every time; the server saw the protocol each should have used."""
    ad = start_adapter(bins, tmp_path, ca=pki["ca"])
    tokens = {}
    for t in ("http", "tls", "h2", "h2c"):
        tokens[t] = f"p{t}-{uuid.uuid4().hex[:8]}"
        ad.open(t, server.origin(t) + f"/s/event-types/{tokens[t]}", ["foo"], h2c=t == "h2c")
    for t in tokens:
        assert ad.wait_for(lambda: len(ad.records(t)) >= 4, 10), (t, ad.records(t))
    for t, token in tokens.items():
        recs = close(ad, t)
        assert [(r["kind"], r.get("data")) for r in recs] == [
            ("open", None), ("event", "1"), ("event", "4"), ("event", "5"), ("closed", None)], t
        assert _proto_of(server, token) == (["h2"] if t.startswith("h2") else ["http/1.1"]), t
    assert ad.finish() == 0


def test_h2c_only_where_asked(bins, server, tmp_path):
    """Prior knowledge is per stream: an h2c open to the HTTP/1.1 port, and a
    plain open to the h2c port, each meet a server that does not understand
    them: network errors (error 0, again and again), no crash, no request
    the server could take for one."""
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "100"))
    t1, t2 = f"w1-{uuid.uuid4().hex[:8]}", f"w2-{uuid.uuid4().hex[:8]}"
    ad.open("a", server.origin("http") + f"/s/event-types/{t1}", h2c=True)
    ad.open("b", server.origin("h2c") + f"/s/event-types/{t2}")
    for sid in ("a", "b"):
        assert ad.wait_for(lambda: len(ad.records(sid)) >= 3, 10), (sid, ad.records(sid))
        assert ad.records(sid)[:3] == [{"kind": "error", "readyState": 0}] * 3, ad.records(sid)
        close(ad, sid)
    assert ad.finish() == 0
    assert server.entries(t1, "request") == [] and server.entries(t2, "request") == []
    err = ad.stderr()
    assert "stream a: error, readyState 0" in err and "HTTP/2" in err
    assert "AddressSanitizer" not in err and "runtime error" not in err


# A server speaking HTTP/2 by hand (cleartext, prior knowledge): frames and
# HPACK literals without Huffman coding or indexing, enough to send heads
# and bodies a real server would never send.

H2_DATA, H2_HEADERS, H2_RST, H2_SETTINGS, H2_PING, H2_GOAWAY, H2_WINDOW, H2_CONT = \
    0, 1, 3, 4, 6, 7, 8, 9
END_STREAM, END_HEADERS, PADDED = 0x1, 0x4, 0x8


def h2_frame(ftype: int, flags: int, sid: int, payload: bytes = b"") -> bytes:
    return len(payload).to_bytes(3, "big") + bytes([ftype, flags]) + sid.to_bytes(4, "big") \
        + payload


def hpack_int(v: int, bits: int, first: int = 0) -> bytes:
    top = (1 << bits) - 1
    if v < top:
        return bytes([first | v])
    out = [first | top]
    v -= top
    while v >= 128:
        out.append((v & 127) | 128)
        v >>= 7
    return bytes(out + [v])


def hpack_head(status: int, *fields: tuple[bytes, bytes]) -> bytes:
    """:status (index 8's name) and fields, literal without indexing."""
    st = str(status).encode()
    out = hpack_int(8, 4) + hpack_int(len(st), 7) + st
    for name, value in fields:
        out += b"\x00" + hpack_int(len(name), 7) + name + hpack_int(len(value), 7) + value
    return out


def h2_head_frames(block: bytes, end_stream: bool = False, sid: int = 1,
                   pad: int | None = None) -> bytes:
    """HEADERS and as many CONTINUATION frames as 16 KiB frames need."""
    parts = [block[i:i + 16000] for i in range(0, len(block), 16000)] or [b""]
    out = b""
    for i, part in enumerate(parts):
        flags = (END_HEADERS if i == len(parts) - 1 else 0)
        if i == 0:
            flags |= END_STREAM if end_stream else 0
            if pad is not None:
                flags |= PADDED
                part = bytes([pad]) + part + b"\0" * pad
        out += h2_frame(H2_HEADERS if i == 0 else H2_CONT, flags, sid, part)
    return out


SSE = (b"content-type", b"text/event-stream")


class FakeH2Server:
    """Accepts connections on 127.0.0.1; for each, waits for the client's
    preface and HEADERS, then writes respond(n) (n: the connection's number)
    in random pieces, then closes it (reset in about a third of the cases)
    or, with hold, keeps it until the client goes away."""

    def __init__(self, respond: Callable[[int], bytes], hold: bool = False, seed: int = 5):
        import random
        import socket
        self.respond, self.hold, self.rnd = respond, hold, random.Random(seed)
        self.sock = socket.socket()
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.sock.settimeout(0.2)
        self.port = self.sock.getsockname()[1]
        self.requests: list[bytes] = []
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _request(self, c) -> bytes:
        data = b""
        while True:
            if len(data) >= 24:
                pos = 24
                while pos + 9 <= len(data):
                    n = int.from_bytes(data[pos:pos + 3], "big")
                    if data[pos + 3] == H2_HEADERS:
                        return data
                    pos += 9 + n
            chunk = c.recv(65536)
            if not chunk:
                return data
            data += chunk

    def _serve(self) -> None:
        import socket
        import struct
        while not self.stop.is_set():
            try:
                c, _ = self.sock.accept()
            except OSError:
                continue
            with c:
                c.settimeout(2)
                try:
                    self.requests.append(self._request(c))
                    resp = self.respond(len(self.requests) - 1)
                    pos = 0
                    while pos < len(resp):
                        n = self.rnd.randint(1, 60)
                        c.sendall(resp[pos:pos + n])
                        pos += n
                    if self.hold:
                        while c.recv(65536):
                            pass
                    elif self.rnd.random() < 0.3:
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass

    def close(self) -> None:
        self.stop.set()
        self.thread.join(5)
        self.sock.close()


def test_h2_head_limit(bins, tmp_path):
    """Over HTTP/2 the response head limit (64 KiB of names and values) holds
    as over HTTP/1.1: a head of 60 KiB of fields opens, one of 68 KiB is a
    network error (error 0) and the client reconnects."""
    def respond(n: int) -> bytes:
        count = 15 if n == 0 else 17
        fields = [SSE] + [(b"x-f%d" % i, b"v" * 4090) for i in range(count)]
        return h2_frame(H2_SETTINGS, 0, 0) + h2_head_frames(hpack_head(200, *fields)) \
            + h2_frame(H2_DATA, 0, 1, b"data: in\n\n")
    fake = FakeH2Server(respond, hold=True)
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "50"))
    try:
        ad.open("ok", f"http://127.0.0.1:{fake.port}/a", h2c=True)
        assert ad.wait_for(lambda: len(ad.records("ok")) >= 2, 10), ad.records("ok")
        assert ad.records("ok")[:2] == [{"kind": "open"},
                                        {"kind": "event", "type": "message", "data": "in",
                                         "lastEventId": ""}]
        close(ad, "ok")
        ad.open("big", f"http://127.0.0.1:{fake.port}/b", h2c=True)
        assert ad.wait_for(lambda: len(ad.records("big")) >= 2, 10), ad.records("big")
        assert ad.records("big")[:2] == [{"kind": "error", "readyState": 0}] * 2
        close(ad, "big")
    finally:
        rc = ad.finish()
        fake.close()
    assert rc == 0
    assert "over the limit of 65536 bytes" in ad.stderr()
    # prior knowledge: the connection starts with the HTTP/2 preface
    assert fake.requests[0].startswith(b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n")


def test_h2_malformed_head_reconnects(bins, tmp_path):
    """A head nghttp2 finds malformed (RFC 9113 8.2: an upper-case field name,
    a connection-specific field, whitespace around a value) makes it reset
    the stream: a network error, reconnected, until a good head opens."""
    bad = [hpack_head(200, (b"Content-Type", b"text/event-stream")),
           hpack_head(200, SSE, (b"connection", b"close")),
           hpack_head(200, (b"content-type", b" text/event-stream"))]

    def respond(n: int) -> bytes:
        head = bad[n] if n < len(bad) else hpack_head(200, SSE)
        return h2_frame(H2_SETTINGS, 0, 0) + h2_head_frames(head) \
            + h2_frame(H2_DATA, 0, 1, b"data: %d\n\n" % n)
    fake = FakeH2Server(respond, hold=True)
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "20"))
    try:
        ad.open("m", f"http://127.0.0.1:{fake.port}/m", h2c=True)
        assert ad.wait_for(lambda: len(ad.records("m")) >= 5, 10), ad.records("m")
        assert ad.records("m")[:5] == [{"kind": "error", "readyState": 0}] * 3 + [
            {"kind": "open"}, {"kind": "event", "type": "message", "data": "3", "lastEventId": ""}]
        close(ad, "m")
    finally:
        rc = ad.finish()
        fake.close()
    assert rc == 0
    assert ad.stderr().count("PROTOCOL_ERROR") >= 3, ad.stderr()


def _h2_responses() -> list[bytes]:
    s = h2_frame(H2_SETTINGS, 0, 0)
    ok = hpack_head(200, SSE)
    return [
        s + h2_head_frames(ok) + h2_frame(H2_DATA, 0, 1, b"data: hello\n\n")
        + h2_frame(H2_DATA, END_STREAM, 1, b"id: 1\ndata: x\n\n"),
        s + h2_head_frames(ok, pad=3) + h2_frame(H2_DATA, PADDED, 1,
                                                 b"\x02event: e\ndata: \xc3\xa9\n\n\0\0")
        + h2_frame(H2_RST, 0, 1, (8).to_bytes(4, "big")),
        s + h2_head_frames(hpack_head(302, (b"location", b"/again")), end_stream=True),
        s + h2_head_frames(hpack_head(404, SSE), end_stream=True),
        s + h2_head_frames(hpack_head(100)) + h2_head_frames(ok)
        + h2_frame(H2_DATA, 0, 1, b"data: a\n\n") + h2_frame(H2_GOAWAY, 0, 0, bytes(8)),
        s + h2_frame(H2_PING, 0, 0, bytes(8)) + h2_head_frames(ok)
        + h2_frame(H2_WINDOW, 0, 0, (1000).to_bytes(4, "big"))
        + h2_frame(H2_DATA, 0, 1, b"data: b\n\n"),
    ]


def test_mangled_h2_never_crashes(bins, tmp_path):
    """Mutated HTTP/2 responses (frames, HPACK, padding, flags), written in
    random pieces, then closed or reset: the adapter reports only what
    EventSource reports, reconnects or fails as it should, and exits
    cleanly (nghttp2 reads the frames; the client must survive whatever
    it makes of them)."""
    import random
    rnd = random.Random(4321)
    bases = _h2_responses()
    mutated = []
    for i in range(150):
        b = bytearray(bases[i % len(bases)])
        for _ in range(rnd.randint(0 if i < len(bases) else 1, 4)):
            op = rnd.randrange(4)
            k = rnd.randrange(9, len(b) + 1)     # the SETTINGS frame header stays
            if op == 0 and k < len(b):
                b[k] = rnd.randrange(256)
            elif op == 1:
                b[k:k] = bytes(rnd.randrange(256) for _ in range(rnd.randint(1, 3)))
            elif op == 2:
                del b[k:k + rnd.randint(1, 8)]
            else:
                b = b[:k]
        mutated.append(bytes(b))
    fake = FakeH2Server(lambda n: mutated[n % len(mutated)])
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "0"))
    kinds: dict[str, int] = {}
    try:
        for i in range(150):
            sid = f"y{i}"
            ad.open(sid, f"http://127.0.0.1:{fake.port}/y{i}", ["e"], h2c=True)
            ad.wait_for(lambda: any(r["kind"] == "error" for r in ad.records(sid)), 5)
            for r in close(ad, sid):
                assert r["kind"] in ("open", "event", "error", "closed"), r
                k = r["kind"] + (str(r["readyState"]) if r["kind"] == "error" else "")
                kinds[k] = kinds.get(k, 0) + 1
        assert len(fake.requests) >= 150
        assert kinds.get("open", 0) >= 3 and kinds.get("event", 0) >= 3, kinds
        assert kinds.get("error0", 0) >= 3 and kinds.get("error2", 0) >= 3, kinds
    finally:
        rc = ad.finish()
        fake.close()
    assert rc == 0, ad.stderr()
    assert "AddressSanitizer" not in ad.stderr() and "runtime error" not in ad.stderr()


# ---------------------------------------------------------------- ssespec-get

def _get(bins, *args, ca=None, timeout=20):
    env = dict(os.environ)
    env.pop("SSESPEC_CA_FILE", None)
    if ca:
        env["SSESPEC_CA_FILE"] = str(ca)
    p = subprocess.run([str(bins["ssespec-get"]), *args], capture_output=True, env=env,
                       timeout=timeout, stdin=subprocess.DEVNULL)
    return p.returncode, [json.loads(x) for x in p.stdout.splitlines()], p.stderr.decode()


def test_get_reconnects_then_stops(bins, server, pki):
    url = server.origin("tls") + f"/s/retry-delay/g-{uuid.uuid4().hex[:8]}"
    rc, recs, err = _get(bins, url, "--reconnects", "1", ca=pki["ca"])
    assert rc == 0, err
    assert recs == [{"kind": "open"},
                    {"kind": "event", "type": "message", "data": "a", "lastEventId": ""},
                    {"kind": "error", "readyState": 0},
                    {"kind": "open"},
                    {"kind": "event", "type": "message", "data": "b", "lastEventId": ""},
                    {"kind": "error", "readyState": 0}]


def test_get_types_and_failure(bins, server):
    url = server.origin("http") + f"/s/no-content-stops/g-{uuid.uuid4().hex[:8]}"
    rc, recs, err = _get(bins, url)
    assert rc == 1 and recs == [{"kind": "error", "readyState": 2}]
    assert "204" in err
    url = server.origin("http") + f"/s/status-404-fails/g-{uuid.uuid4().hex[:8]}"
    rc, recs, err = _get(bins, url, "--type", "foo")
    assert rc == 1 and recs == [{"kind": "error", "readyState": 2}] and "404" in err


@pytest.mark.parametrize("args", [[], ["a", "b"], ["--reconnects"], ["--reconnects", "x", "u"],
                                  ["--bogus", "http://h/"], ["ftp://h/"],
                                  ["--retry-default", "-1", "http://h/"]])
def test_get_bad_arguments(bins, args):
    rc, recs, err = _get(bins, *args)
    assert rc == 2 and recs == [] and err


def test_get_parser_limit_fails(bins, server):
    """An event over the parser's limit fails the connection (error 2)."""
    url = server.origin("http") + f"/s/big-event/g-{uuid.uuid4().hex[:8]}"
    rc, recs, err = _get(bins, url, "--parser-limit", "65536")
    assert rc == 1 and recs == [{"kind": "open"}, {"kind": "error", "readyState": 2}], recs
    assert "limit" in err


# ---------------------------------------------------------------- robustness

def _mutated_responses(seed: int, count: int) -> list[bytes]:
    import random
    rnd = random.Random(seed)
    bases = [
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"
        b"e\r\ndata: hello\n\n\r\n5;x=1\r\nid: 1\r\n3\r\n\n\n\n\r\n0\r\nT: 1\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nContent-Length: 20\r\n\r\n"
        b"retry: 0\ndata: x\n\n",
        b"HTTP/1.0 200 OK\r\ncontent-type: text/event-stream; charset=utf-8\r\n\r\n"
        b"\xef\xbb\xbfevent: e\ndata: \xc3\xa9\r\n\r\n",
        b"HTTP/1.1 302 Found\r\nLocation: /again\r\nContent-Length: 0\r\n\r\n",
        b"HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 204 No Content\r\n\r\n",
    ]
    out = []
    for _ in range(count):
        b = bytearray(rnd.choice(bases))
        for _ in range(rnd.randint(1, 4)):
            op = rnd.randrange(4)
            i = rnd.randrange(len(b) + 1)
            if op == 0 and b:
                b[min(i, len(b) - 1)] = rnd.randrange(256)
            elif op == 1:
                b[i:i] = b"".join(rnd.choice([b"\r", b"\n", b":", b" ", b"0", b"f", b";", b"\x00"])
                                  for _ in range(rnd.randint(1, 3)))
            elif op == 2:
                del b[i:i + rnd.randint(1, 8)]
            else:
                b = b[:i]
        out.append(bytes(b))
    return out


def test_mangled_responses_never_crash(bins, tmp_path):
    """Mutated HTTP responses, written in random pieces, then closed or
    reset: the adapter reports and carries on, and exits cleanly."""
    import random
    import socket
    import struct
    responses = _mutated_responses(1234, 150)
    lsock = socket.socket()
    lsock.bind(("127.0.0.1", 0))
    lsock.listen(64)
    port = lsock.getsockname()[1]
    served = []
    stop = threading.Event()

    def serve():
        rnd = random.Random(99)
        lsock.settimeout(0.2)
        while not stop.is_set():
            try:
                c, _ = lsock.accept()
            except OSError:
                continue
            with c:
                c.settimeout(2)
                req = b""
                try:
                    while b"\r\n\r\n" not in req:
                        chunk = c.recv(4096)
                        if not chunk:
                            break
                        req += chunk
                    resp = responses[len(served) % len(responses)]
                    served.append(req)
                    pos = 0
                    while pos < len(resp):
                        n = rnd.randint(1, 40)
                        c.sendall(resp[pos:pos + n])
                        pos += n
                    if rnd.random() < 0.3:
                        c.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                except OSError:
                    pass

    t = threading.Thread(target=serve, daemon=True)
    t.start()
    ad = start_adapter(bins, tmp_path, args=("--retry-default", "0"))
    kinds: dict[str, int] = {}
    try:
        for i in range(150):
            sid = f"z{i}"
            ad.open(sid, f"http://127.0.0.1:{port}/z{i}", ["e"])
            ad.wait_for(lambda: any(r["kind"] == "error" for r in ad.records(sid)), 5)
            recs = close(ad, sid)
            for r in recs:
                assert r["kind"] in ("open", "event", "error", "closed"), r
                kinds[r["kind"]] = kinds.get(r["kind"], 0) + 1
                if r["kind"] == "error":
                    kinds[f"error{r['readyState']}"] = kinds.get(f"error{r['readyState']}", 0) + 1
        assert len(served) >= 150
        # the mutations leave some responses usable and break others
        assert kinds.get("open", 0) >= 3 and kinds.get("event", 0) >= 3, kinds
        assert kinds.get("error0", 0) >= 3 and kinds.get("error2", 0) >= 3, kinds
    finally:
        stop.set()
        rc = ad.finish()
        t.join(5)
        lsock.close()
    assert rc == 0, ad.stderr()
    assert "AddressSanitizer" not in ad.stderr() and "runtime error" not in ad.stderr()


# ---------------------------------------------------------------- ssespec-get over HTTP/2

@pytest.mark.parametrize("transport", ["tls", "h2", "h2c"])
def test_get_says_the_protocol(bins, server, pki, transport):
    """Each connection that opens says its protocol on stderr: http/1.1 on
    the port that offers only that, h2 by ALPN, h2 with --h2c."""
    url = server.origin(transport) + f"/s/retry-delay/g-{uuid.uuid4().hex[:8]}"
    args = [url, "--reconnects", "1"] + (["--h2c"] if transport == "h2c" else [])
    rc, recs, err = _get(bins, *args, ca=pki["ca"])
    assert rc == 0, err
    assert [r["kind"] for r in recs] == ["open", "event", "error", "open", "event", "error"]
    proto = "http/1.1" if transport == "tls" else "h2"
    assert err.splitlines().count(f"ssespec-get: open over {proto}") == 2, err
