"""End-to-end tests of the reference EventSource client.

They start the scenario server (ssespec-server) on the scenarios in
tests/client/scenarios/ over HTTP and HTTPS (a CA and a server certificate
for 127.0.0.1 are made here with the openssl CLI), drive
ssespec-client-adapter through the client adapter protocol, and check both
sides: the records the client reported against each scenario's expected
records, and the requests the server logged (path, headers, the delay
before each reconnection, and no request the client should not have made).

All scenarios run at once, as streams of one adapter, in each variant; the
per-scenario tests then look at the results. Binaries come from build/asan
if it has them (so leaks and memory errors fail the tests), else
build/release (built if missing); SSESPEC_BUILD_DIR overrides.
"""

from __future__ import annotations

import json
import os
import queue
import shutil
import subprocess
import threading
import time
import uuid
from pathlib import Path

import pytest

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = HERE / "scenarios"
DELAY_SLACK_MS = 25  # the harness's allowance below MIN for timer granularity

# Scenarios the reference client does not pass yet, with the reason; a
# strict xfail, so the marker must go once it passes.
KNOWN: dict[str, str] = {}


# ---------------------------------------------------------------- binaries

def _find(name: str) -> Path:
    dirs = []
    if os.environ.get("SSESPEC_BUILD_DIR"):
        dirs.append(Path(os.environ["SSESPEC_BUILD_DIR"]))
    dirs += [ROOT / "build" / "asan", ROOT / "build" / "release"]
    for d in dirs:
        for sub in ("client", "server"):
            p = d / sub / name
            if p.is_file() and os.access(p, os.X_OK):
                return p
    from harness import build  # builds build/release when nothing is built yet
    return build.executable(name, "release", quiet=True)


@pytest.fixture(scope="session")
def bins() -> dict[str, Path]:
    return {n: _find(n) for n in ("ssespec-server", "ssespec-client-adapter", "ssespec-get")}


# ---------------------------------------------------------------- PKI

def _openssl(*args: str, cwd: Path) -> None:
    subprocess.run(["openssl", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="session")
def pki(tmp_path_factory) -> dict[str, Path]:
    """A test CA and a certificate for IP 127.0.0.1 (no DNS name), and an
    unrelated second CA."""
    if shutil.which("openssl") is None:
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("pki")
    for ca in ("ca", "other-ca"):
        _openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{ca}.key",
                 "-out", f"{ca}.pem", "-days", "2", "-subj", f"/CN=ssespec test {ca}",
                 "-addext", "basicConstraints=critical,CA:TRUE",
                 "-addext", "keyUsage=critical,keyCertSign,cRLSign", cwd=d)
    _openssl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out",
             "server.csr", "-subj", "/CN=127.0.0.1", cwd=d)
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\n"
                               "basicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    _openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
             "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf", cwd=d)
    return {"ca": d / "ca.pem", "other_ca": d / "other-ca.pem", "cert": d / "server.pem",
            "key": d / "server.key"}


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, binary: Path, pki: dict[str, Path], logdir: Path):
        self.log = logdir / "server-log.jsonl"
        self.err = open(logdir / "server-stderr.txt", "wb")
        self.proc = subprocess.Popen(
            [str(binary), "--port", "0", "--tls-port", "0", "--cert", str(pki["cert"]),
             "--key", str(pki["key"]), "--log", str(self.log), str(SCENARIOS)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise RuntimeError("ssespec-server did not start: "
                               + (logdir / "server-stderr.txt").read_text())
        hello = json.loads(line)
        self.port = hello["port"]
        self.tls_port = hello["tls_port"]

    def origin(self, scheme: str) -> str:
        port = self.tls_port if scheme == "https" else self.port
        return f"{scheme}://127.0.0.1:{port}"

    def entries(self, run: str, ev: str | None = None) -> list[dict]:
        out = []
        with open(self.log, encoding="utf-8") as f:
            for line in f:
                if not line.endswith("\n"):
                    break
                e = json.loads(line)
                if e.get("run") == run and (ev is None or e.get("ev") == ev):
                    out.append(e)
        return out

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


@pytest.fixture(scope="module")
def server(bins, pki, tmp_path_factory):
    s = Server(bins["ssespec-server"], pki, tmp_path_factory.mktemp("server"))
    yield s
    s.stop()


@pytest.fixture(scope="session")
def scenarios(bins) -> dict[str, dict]:
    out = subprocess.run([str(bins["ssespec-server"]), "--dump", str(SCENARIOS)],
                         capture_output=True, check=True)
    return {sc["name"]: sc for sc in json.loads(out.stdout)["scenarios"]}


# ---------------------------------------------------------------- adapter

class Adapter:
    """ssespec-client-adapter with a thread collecting its stdout lines."""

    def __init__(self, binary: Path, logdir: Path, ca: Path | None = None,
                 args: tuple[str, ...] = ()):
        env = dict(os.environ)
        env.pop("SSESPEC_CA_FILE", None)
        if ca is not None:
            env["SSESPEC_CA_FILE"] = str(ca)
        self.errpath = logdir / f"adapter-stderr-{uuid.uuid4().hex[:8]}.txt"
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen([str(binary), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE, stderr=self.err, env=env)
        self.lines: list[dict] = []
        self.raw: list[bytes] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.hello = self.wait_for(lambda: self.raw, 10) and json.loads(self.raw[0])

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                self.raw.append(line)
                if len(self.raw) > 1:
                    self.lines.append(json.loads(line))
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def send(self, cmd) -> None:
        data = cmd if isinstance(cmd, (bytes, str)) else json.dumps(cmd)
        if isinstance(data, str):
            data = data.encode("utf-8")
        self.proc.stdin.write(data + b"\n")
        self.proc.stdin.flush()

    def wait_for(self, pred, timeout: float):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred()
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or self.proc.poll() is not None and not self.thread.is_alive():
                    return pred()
                self.cond.wait(min(left, 0.2))

    def records(self, stream: str) -> list[dict]:
        with self.cond:
            return [{k: v for k, v in r.items() if k != "stream"}
                    for r in self.lines if r.get("stream") == stream]

    def open(self, stream: str, url: str, types=()) -> None:
        self.send({"cmd": "open", "stream": stream, "url": url, "types": list(types)})

    def close_stream(self, stream: str, timeout: float = 5) -> list[dict]:
        self.send({"cmd": "close", "stream": stream})
        ok = self.wait_for(lambda: any(r["kind"] == "closed" for r in self.records(stream)),
                           timeout)
        assert ok, f"no closed record for {stream}: {self.records(stream)}"
        return self.records(stream)

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return self.errpath.read_text(errors="replace")

    def finish(self, timeout: float = 10) -> int:
        """Close stdin and return the exit status."""
        try:
            self.proc.stdin.close()
        except BrokenPipeError:
            pass
        try:
            rc = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
            rc = None
        self.thread.join(5)
        self.proc.stdout.close()
        self.err.close()
        return rc


# ---------------------------------------------------------------- scenarios

def _expand(v, base: str, origin: str):
    if isinstance(v, str):
        return v.replace("{base}", base).replace("{origin}", origin)
    if isinstance(v, list):
        return [_expand(x, base, origin) for x in v]
    if isinstance(v, dict):
        return {k: _expand(x, base, origin) for k, x in v.items()}
    return v


def _check_requests(sc: dict, reqs: list[dict], base: str, origin: str) -> list[str]:
    """Differences between the requests the server saw and the scenario's."""
    problems = []
    conns = sc["connections"]
    if len(reqs) != len(conns):
        problems.append(f"{len(reqs)} requests, expected {len(conns)}: "
                        f"{[r.get('subpath') for r in reqs]}")
    for i, (rq, conn) in enumerate(zip(reqs, conns)):
        exp = _expand(conn["expect"], base, origin)
        if rq["method"] != "GET":
            problems.append(f"request {i}: method {rq['method']}")
        if rq["subpath"] != (exp.get("path") or ""):
            problems.append(f"request {i}: path {rq['subpath']!r}, expected {exp.get('path')!r}")
        headers = [(n.lower(), v) for n, v in rq["headers"]]
        for h in exp.get("headers", []):
            vals = [v for n, v in headers if n == h["name"].lower()]
            if h["op"] == "absent" and vals:
                problems.append(f"request {i}: {h['name']} present: {vals}")
            elif h["op"] == "present" and not vals:
                problems.append(f"request {i}: {h['name']} missing")
            elif h["op"] == "equal" and vals != [h["value"]]:
                problems.append(f"request {i}: {h['name']} is {vals}, expected {h['value']!r}")
        if exp.get("delay_ms") is not None:
            lo, hi = exp["delay_ms"]
            d = rq.get("delay_ms")
            if d is None or d < lo - DELAY_SLACK_MS or (hi is not None and d > hi):
                problems.append(f"request {i}: delay {d} ms, expected {lo}..{hi}")
    return problems


def _play_all(adapter: Adapter, server: Server, scs: list[dict], scheme: str) -> dict:
    """Open every scenario at once, wait for its records and its linger,
    close it, and return {name: (records, requests, base, origin)}."""
    origin = server.origin(scheme)
    runs = {}
    for sc in scs:
        token = f"{scheme}-{uuid.uuid4().hex[:12]}"
        base = f"/s/{sc['name']}/{token}"
        sid = f"{scheme}:{sc['name']}"
        runs[sc["name"]] = (sid, token, base, time.monotonic())
        adapter.open(sid, origin + base, sc.get("types") or [])
    pending = {sc["name"]: sc for sc in scs}
    done_at: dict[str, float] = {}
    results = {}
    while pending:
        now = time.monotonic()
        for name, sc in list(pending.items()):
            sid, token, base, t0 = runs[name]
            got = adapter.records(sid)
            n = len(sc["records"])
            if name not in done_at and (len(got) >= n or now - t0 > sc["timeout"]):
                done_at[name] = now
            if name in done_at and now - done_at[name] >= sc["linger_ms"] / 1000:
                recs = adapter.close_stream(sid)
                results[name] = (recs, server.entries(token, "request"), base, origin)
                del pending[name]
        time.sleep(0.05)
    return results


@pytest.fixture(scope="module")
def played(bins, server, scenarios, pki, tmp_path_factory):
    logdir = tmp_path_factory.mktemp("adapter")
    out = {}
    for scheme in ("http", "https"):
        scs = [sc for sc in scenarios.values()
               if scheme == "http" or "tls" not in (sc.get("skip_variants") or {})]
        ad = Adapter(bins["ssespec-client-adapter"], logdir, ca=pki["ca"])
        try:
            out[scheme] = _play_all(ad, server, scs, scheme)
        finally:
            rc = ad.finish()
        assert rc == 0, f"adapter exit status {rc}\n{ad.stderr()}"
        out[scheme + "-stderr"] = ad.stderr()
    return out


def _scenario_params():
    names = sorted(p.stem for p in SCENARIOS.glob("*.scenario"))
    params = []
    for scheme in ("http", "https"):
        for n in names:
            marks = [pytest.mark.xfail(reason=KNOWN[n], strict=True)] if n in KNOWN else []
            params.append(pytest.param(scheme, n, marks=marks, id=f"{scheme}-{n}"))
    return params


@pytest.mark.parametrize("scheme,name", _scenario_params())
def test_scenario(played, scenarios, scheme, name):
    sc = scenarios[name]
    if name not in played[scheme]:
        pytest.skip(f"{name} is not played over {scheme}")
    recs, reqs, base, origin = played[scheme][name]
    expected = _expand(sc["records"], base, origin)
    assert recs[-1] == {"kind": "closed"}, recs
    got = recs[:-1]
    assert got == expected, f"records differ for {name} over {scheme}"
    problems = _check_requests(sc, reqs, base, origin)
    assert not problems, "\n".join(problems)


def test_no_crash_reports(played):
    for scheme in ("http", "https"):
        err = played[scheme + "-stderr"]
        assert "AddressSanitizer" not in err and "runtime error" not in err, err


# ---------------------------------------------------------------- protocol

def test_hello(bins, tmp_path):
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path)
    assert ad.hello == {"hello": {"name": "ssespec-reference-client", "version": "1.0.0",
                                  "reports": ["open", "event", "error", "closed", "failure"],
                                  "max_streams": 256}}
    assert ad.raw[0].endswith(b"\n")
    assert ad.finish() == 0


def test_malformed_commands(bins, server, tmp_path):
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path)
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
    assert ad.close_stream("f8")[-1] == {"kind": "closed"}
    assert ad.close_stream("ok")[-1] == {"kind": "closed"}
    # a closed stream's id is free again, and closing twice is a failure
    ad.send({"cmd": "close", "stream": "ok"})
    assert ad.wait_for(lambda: ad.records("ok")[-1]["kind"] == "failure", 5)
    # every stdout line was JSON (the reader would have raised) and stderr has the reasons
    assert ad.finish() == 0
    err = ad.stderr()
    assert "not a JSON command" in err and "longer than" in err
    assert "AddressSanitizer" not in err


def test_many_streams_at_once(bins, server, tmp_path):
    """64 streams of one scenario, each its own run, all at once."""
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path)
    origin = server.origin("http")
    sids = [f"m{i}" for i in range(64)]
    for sid in sids:
        ad.open(sid, f"{origin}/s/event-types/{sid}-{uuid.uuid4().hex[:8]}", ["foo"])
    for sid in sids:
        assert ad.wait_for(lambda: len(ad.records(sid)) >= 4, 20), (sid, ad.records(sid))
    for sid in sids:
        recs = ad.close_stream(sid)
        assert [r["kind"] for r in recs] == ["open", "event", "event", "event", "closed"], recs
        assert [(r["type"], r["data"]) for r in recs if r["kind"] == "event"] == [
            ("foo", "1"), ("message", "4"), ("message", "5")]
    assert ad.finish() == 0


def test_close_stops_reconnecting(bins, server, tmp_path):
    """A stream closed while it waits to reconnect makes no more requests."""
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path)
    token = f"c-{uuid.uuid4().hex[:8]}"
    ad.open("c", server.origin("http") + f"/s/default-retry/{token}")
    assert ad.wait_for(lambda: len(ad.records("c")) >= 3, 10)
    assert ad.records("c") == [{"kind": "open"},
                               {"kind": "event", "type": "message", "data": "a",
                                "lastEventId": ""},
                               {"kind": "error", "readyState": 0}]
    ad.close_stream("c")
    time.sleep(3.5)  # past the 3 s reconnection time
    assert len(server.entries(token, "request")) == 1
    assert ad.finish() == 0


def test_stdin_eof_with_open_streams(bins, server, tmp_path):
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path)
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
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path, args=("--retry-default", "50"))
    ad.open("r", f"http://127.0.0.1:{port}/x")
    assert ad.wait_for(lambda: len(ad.records("r")) >= 3, 10), ad.records("r")
    assert ad.records("r")[:3] == [{"kind": "error", "readyState": 0}] * 3
    ad.close_stream("r")
    assert ad.finish() == 0
    assert "refused" in ad.stderr()


# ---------------------------------------------------------------- TLS

def test_tls_untrusted_certificate(bins, server, pki, tmp_path):
    """With only an unrelated CA trusted the handshake fails: a network
    error, so the client keeps trying (error 0), never opens."""
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path, ca=pki["other_ca"],
                 args=("--retry-default", "100"))
    token = f"t-{uuid.uuid4().hex[:8]}"
    ad.open("t", server.origin("https") + f"/s/content-type-params/{token}")
    assert ad.wait_for(lambda: len(ad.records("t")) >= 2, 10), ad.records("t")
    assert ad.records("t")[:2] == [{"kind": "error", "readyState": 0}] * 2
    ad.close_stream("t")
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
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path, ca=pki["ca"],
                 args=("--retry-default", "100"))
    token = f"h-{uuid.uuid4().hex[:8]}"
    ad.open("h", f"https://localhost:{server.tls_port}/s/content-type-params/{token}")
    assert ad.wait_for(lambda: len(ad.records("h")) >= 1, 10)
    time.sleep(0.3)
    assert all(r == {"kind": "error", "readyState": 0} for r in ad.records("h"))
    ad.close_stream("h")
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
    url = server.origin("https") + f"/s/retry-delay/g-{uuid.uuid4().hex[:8]}"
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
    ad = Adapter(bins["ssespec-client-adapter"], tmp_path, args=("--retry-default", "0"))
    kinds: dict[str, int] = {}
    try:
        for i in range(150):
            sid = f"z{i}"
            ad.open(sid, f"http://127.0.0.1:{port}/z{i}", ["e"])
            ad.wait_for(lambda: any(r["kind"] == "error" for r in ad.records(sid)), 5)
            recs = ad.close_stream(sid)
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
