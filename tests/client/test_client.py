"""End-to-end tests of the reference EventSource client.

The scenarios in tests/client/scenarios/ are played by the client suite
itself: one run of `./ssespec check --client --scenarios tests/client/scenarios`
plays all of them at once over HTTP and HTTPS and judges both sides (the
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
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--client", "--build", build_kind,
                        "--scenarios", str(SCENARIOS), "--json", str(out)],
                       cwd=ROOT, capture_output=True, text=True, timeout=SUITE_TIMEOUT,
                       stdin=subprocess.DEVNULL)
    assert p.returncode in (0, 1) and out.exists(), \
        f"the client suite could not run (exit {p.returncode}):\n{p.stdout[-3000:]}\n{p.stderr}"
    return json.loads(out.read_text())


def _variant_params():
    names = sorted(p.relative_to(SCENARIOS).with_suffix("").as_posix()
                   for p in SCENARIOS.rglob("*.scenario"))
    params = []
    for suffix in ("", "@tls"):
        for n in names:
            marks = [pytest.mark.xfail(reason=KNOWN[n], strict=True)] if n in KNOWN else []
            params.append(pytest.param(n + suffix, marks=marks, id=n + suffix))
    return params


@pytest.mark.parametrize("variant", _variant_params())
def test_scenario(suite_run, variant):
    cases = {c["id"]: c for c in suite_run["cases"]}
    name = variant.removesuffix("@tls")
    if variant not in cases:
        left = [x for x in suite_run["left_out"] if x["case"] == name and x["variant"] == "tls"]
        if variant.endswith("@tls") and left:
            pytest.skip(f"{name} is not played over HTTPS: {left[0]['reason']}")
        pytest.fail(f"the client suite gave no verdict for {variant}")
    c = cases[variant]
    assert c["verdict"] == "pass", f"{variant}: {c['verdict']}: {c['reason']}\n" \
        + json.dumps({k: c.get(k) for k in ("problems", "expected", "actual", "requests",
                                            "stderr")}, indent=1)[:6000]


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
                                  "max_streams": 256}}
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
    ad.send({"cmd": "close", "stream": "nobody"})
    ad.send({"cmd": "open", "stream": "ok", "url": url, "types": ["foo"]})
    ad.send({"cmd": "open", "stream": "ok", "url": url})        # duplicate id
    for sid in ("f1", "f2", "f3", "f4", "f5", "f6", "f7", "f8", "nobody"):
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
