"""Smoke tests of the bundled third-party client adapters, and a small
scenario runner for full runs.

Adapters: adapters/eventsource (the npm package `eventsource` on Node.js's
fetch) and adapters/chromium (Debian's Chromium, headless, its native
`EventSource` in a page served by the scenario server). The tests check the
hello line, a few protocol details and one simple scenario each, over HTTP
and HTTPS; they skip with the reason when Node.js, npm or Chromium is
missing and cannot be installed (not root, or the package cannot be had).

Until `./ssespec check --client NAME` exists, this file also plays the whole
client corpus against an adapter (records and request checks, as
tests/client/test_client.py does):

    /usr/bin/python3 tests/peers/test_client_adapters.py eventsource [--out results.json]
    /usr/bin/python3 tests/peers/test_client_adapters.py chromium
    /usr/bin/python3 tests/peers/test_client_adapters.py reference
    /usr/bin/python3 tests/peers/test_client_adapters.py chromium -k split/ --scheme https
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
SCENARIOS = ROOT / "corpus" / "scenarios"
STATIC = ROOT / "harness" / "static"
DELAY_SLACK_MS = 25  # the harness's allowance below MIN for timer granularity
ADAPTERS = ("eventsource", "chromium")

try:
    import pytest
except ImportError:  # run as a script without pytest
    pytest = None


# ---------------------------------------------------------------- setup

class Unavailable(Exception):
    """What an adapter needs is missing and cannot be installed."""


def _binary(name: str) -> Path:
    for kind in ("release", "asan"):
        d = ROOT / "build" / kind
        for sub in ("server", "client"):
            p = d / sub / name
            if p.is_file() and os.access(p, os.X_OK):
                return p
    sys.path.insert(0, str(ROOT))
    from harness import build
    return build.executable(name, "release", quiet=True)


def _apt_install(*packages: str) -> None:
    if os.geteuid() != 0 or not shutil.which("apt-get"):
        raise Unavailable(f"not root: install {' '.join(packages)} with apt-get")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    for attempt in range(2):
        if attempt:
            subprocess.call(["apt-get", "update"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)
        if subprocess.call(["apt-get", "install", "-y", *packages], stdout=subprocess.DEVNULL,
                           stderr=subprocess.DEVNULL, stdin=subprocess.DEVNULL, env=env) == 0:
            return
    raise Unavailable(f"apt-get install -y {' '.join(packages)} failed")


def prepare(name: str) -> list[str]:
    """Install what the bundled adapter NAME needs (as its manifest says) and
    return its argv; `reference` is the reference client."""
    if name == "reference":
        return [str(_binary("ssespec-client-adapter"))]
    d = ROOT / "adapters" / name
    m = json.loads((d / "adapter.json").read_text())
    missing = [p for p in m.get("apt", []) if not _debian_installed(p)]
    for tool, pkg in (("node", "nodejs"), ("npm", "npm")):
        if not shutil.which(tool):
            missing.append(pkg)
    if missing:
        _apt_install(*missing)
    if m.get("npm"):
        stamp = d / "node_modules" / ".package-lock.json"
        lock = d / "package-lock.json"
        if not stamp.exists() or stamp.stat().st_mtime < lock.stat().st_mtime:
            p = subprocess.run(["npm", "ci", "--no-audit", "--no-fund"], cwd=d,
                               capture_output=True, text=True, stdin=subprocess.DEVNULL)
            if p.returncode != 0:
                raise Unavailable(f"npm ci failed in {d}: {p.stderr[-500:]}")
    return [a.replace("{dir}", str(d)).replace("{root}", str(ROOT)) for a in m["command"]]


def _debian_installed(pkg: str) -> bool:
    p = subprocess.run(["dpkg-query", "-W", "-f=${Status}", pkg], capture_output=True, text=True)
    return p.returncode == 0 and "install ok installed" in p.stdout


def make_pki(d: Path) -> dict[str, Path]:
    """A test CA and a server certificate for IP 127.0.0.1."""
    def ossl(*args: str) -> None:
        subprocess.run(["openssl", *args], cwd=d, check=True, capture_output=True)
    ossl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key", "-out", "ca.pem",
         "-days", "2", "-subj", "/CN=ssespec test ca",
         "-addext", "basicConstraints=critical,CA:TRUE",
         "-addext", "keyUsage=critical,keyCertSign,cRLSign")
    ossl("req", "-newkey", "rsa:2048", "-nodes", "-keyout", "server.key", "-out", "server.csr",
         "-subj", "/CN=127.0.0.1")
    (d / "ext.cnf").write_text("subjectAltName=IP:127.0.0.1\nbasicConstraints=CA:FALSE\n"
                               "extendedKeyUsage=serverAuth\n")
    ossl("x509", "-req", "-in", "server.csr", "-CA", "ca.pem", "-CAkey", "ca.key",
         "-CAcreateserial", "-out", "server.pem", "-days", "2", "-extfile", "ext.cnf")
    return {"ca": d / "ca.pem", "cert": d / "server.pem", "key": d / "server.key"}


# ---------------------------------------------------------------- server

class Server:
    def __init__(self, pki: dict[str, Path], logdir: Path, scenarios: Path = SCENARIOS):
        self.log = logdir / "server-log.jsonl"
        self.err = open(logdir / "server-stderr.txt", "wb")
        self.proc = subprocess.Popen(
            [str(_binary("ssespec-server")), "--port", "0", "--tls-port", "0",
             "--cert", str(pki["cert"]), "--key", str(pki["key"]), "--static", str(STATIC),
             "--log", str(self.log), str(scenarios)],
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=self.err)
        line = self.proc.stdout.readline()
        if not line:
            self.proc.wait(5)
            raise RuntimeError("ssespec-server did not start: "
                               + (logdir / "server-stderr.txt").read_text())
        hello = json.loads(line)
        self.port, self.tls_port = hello["port"], hello["tls_port"]
        self._pos = 0
        self._by_run: dict[str, list[dict]] = {}

    def origin(self, scheme: str) -> str:
        return f"{scheme}://127.0.0.1:{self.tls_port if scheme == 'https' else self.port}"

    def entries(self, run: str) -> list[dict]:
        """Log lines of one run (read incrementally)."""
        with open(self.log, "rb") as f:
            f.seek(self._pos)
            data = f.read()
        end = data.rfind(b"\n") + 1
        self._pos += end
        for line in data[:end].splitlines():
            e = json.loads(line)
            if "run" in e:
                self._by_run.setdefault(e["run"], []).append(e)
        return list(self._by_run.get(run, []))

    def stop(self) -> None:
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()
        self.proc.stdout.close()
        self.err.close()


def dump(scenarios: Path = SCENARIOS) -> dict[str, dict]:
    out = subprocess.run([str(_binary("ssespec-server")), "--dump", str(scenarios)],
                         capture_output=True, check=True)
    return {sc["name"]: sc for sc in json.loads(out.stdout)["scenarios"]}


# ---------------------------------------------------------------- adapter

class Adapter:
    """An adapter process with a thread collecting its stdout lines."""

    def __init__(self, argv: list[str], logdir: Path, ca: Path | None, hello_timeout=60.0):
        env = dict(os.environ)
        env.pop("SSESPEC_CA_FILE", None)
        if ca is not None:
            env["SSESPEC_CA_FILE"] = str(ca)
        self.errpath = logdir / f"adapter-stderr-{uuid.uuid4().hex[:8]}.txt"
        self.err = open(self.errpath, "wb")
        self.proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                     stderr=self.err, env=env)
        self.raw: list[bytes] = []
        self.by_stream: dict[str, list[dict]] = {}
        self.times: dict[str, list[float]] = {}  # arrival of each record
        self.bad: list[bytes] = []
        self.cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        self.wait_for(lambda: self.raw, hello_timeout)
        if not self.raw:
            self.finish(5)
            raise RuntimeError(f"{argv}: no hello line: {self.stderr()[-2000:]}")
        self.hello = json.loads(self.raw[0])["hello"]

    def _read(self) -> None:
        for line in self.proc.stdout:
            with self.cond:
                self.raw.append(line)
                if len(self.raw) > 1:
                    try:
                        r = json.loads(line)
                        self.by_stream.setdefault(r.get("stream"), []).append(
                            {k: v for k, v in r.items() if k != "stream"})
                        self.times.setdefault(r.get("stream"), []).append(time.monotonic())
                    except ValueError:
                        self.bad.append(line)
                self.cond.notify_all()
        with self.cond:
            self.cond.notify_all()

    def alive(self) -> bool:
        return self.proc.poll() is None

    def send(self, cmd: dict) -> None:
        self.proc.stdin.write((json.dumps(cmd) + "\n").encode())
        self.proc.stdin.flush()

    def wait_for(self, pred, timeout: float):
        deadline = time.monotonic() + timeout
        with self.cond:
            while True:
                v = pred()
                if v:
                    return v
                left = deadline - time.monotonic()
                if left <= 0 or (self.proc.poll() is not None and not self.thread.is_alive()):
                    return pred()
                self.cond.wait(min(left, 0.2))

    def records(self, stream: str) -> list[dict]:
        with self.cond:
            return list(self.by_stream.get(stream, []))

    def open(self, stream: str, url: str, types=()) -> None:
        self.send({"cmd": "open", "stream": stream, "url": url, "types": list(types)})

    def close_stream(self, stream: str, timeout: float = 10) -> list[dict]:
        def ends() -> int:
            return sum(r["kind"] in ("closed", "failure") for r in self.records(stream))
        before = ends()
        self.send({"cmd": "close", "stream": stream})
        self.wait_for(lambda: ends() > before, timeout)
        return self.records(stream)

    def stderr(self) -> str:
        if not self.err.closed:
            self.err.flush()
        return self.errpath.read_text(errors="replace")

    def finish(self, timeout: float = 30):
        try:
            self.proc.stdin.close()
        except (BrokenPipeError, OSError):
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


# ---------------------------------------------------------------- judging

def _expand(v, base: str, origin: str):
    if isinstance(v, str):
        return v.replace("{base}", base).replace("{origin}", origin)
    if isinstance(v, list):
        return [_expand(x, base, origin) for x in v]
    if isinstance(v, dict):
        return {k: _expand(x, base, origin) for k, x in v.items()}
    return v


def check_requests(sc: dict, reqs: list[dict], base: str, origin: str) -> list[str]:
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


def judge(sc: dict, reports: list[str], recs: list[dict], entries: list[dict], base: str,
          origin: str) -> dict:
    """One scenario's verdict: pass, fail or info (a mismatch on an open point)."""
    expected = [r for r in _expand(sc["records"], base, origin) if r["kind"] in reports]
    got = list(recs)
    problems = []
    if got and got[-1]["kind"] == "closed":
        got = got[:-1]
    elif "closed" in reports:
        problems.append("no closed record after close")
    got = [r for r in got if r["kind"] != "closed"]
    if got != expected:
        problems.append(f"records differ:\n  expected {json.dumps(expected)[:1500]}"
                        f"\n  got      {json.dumps(got)[:1500]}")
    reqs = [e for e in entries if e["ev"] in ("request", "unexpected")]
    problems += check_requests(sc, reqs, base, origin)
    verdict = "pass" if not problems else ("info" if sc.get("open") else "fail")
    return {"verdict": verdict, "problems": problems, "records": got,
            "requests": [{k: e.get(k) for k in ("ev", "subpath", "delay_ms", "headers", "tls")}
                         for e in reqs]}


# ---------------------------------------------------------------- playing

def play(adapter: Adapter, server: Server, scs: list[dict], scheme: str,
         concurrency: int | None = None, progress=None) -> dict[str, dict]:
    """Play scenarios, at most `concurrency` streams at once (default: the
    adapter's max_streams): open, wait for the expected number of records
    (or the timeout), linger, close; then judge."""
    limit = min(concurrency or 10**9, int(adapter.hello.get("max_streams", 1)))
    reports = adapter.hello["reports"]
    origin = server.origin(scheme)
    queue_ = list(scs)
    running: dict[str, tuple] = {}
    results: dict[str, dict] = {}
    while queue_ or running:
        while queue_ and len(running) < limit:
            sc = queue_.pop(0)
            token = f"{scheme}-{uuid.uuid4().hex[:12]}"
            base = f"/s/{sc['name']}/{token}"
            sid = f"{scheme}:{sc['name']}"
            adapter.open(sid, origin + base, sc.get("types") or [])
            running[sc["name"]] = [sc, sid, token, base, time.monotonic(), None]
        now = time.monotonic()
        for name, st in list(running.items()):
            sc, sid, token, base, t0, done = st[:6]
            want = len([r for r in sc["records"] if r["kind"] in reports])
            got = [r for r in adapter.records(sid) if r["kind"] != "closed"]
            if done is None and (len(got) >= want or now - t0 > sc["timeout"]
                                 or any(r["kind"] == "failure" for r in got)):
                st[5] = done = now
            if done is not None and len(st) == 6 and now - done >= sc["linger_ms"] / 1000:
                # close without waiting: other streams' timing goes on
                ends = sum(r["kind"] in ("closed", "failure") for r in adapter.records(sid))
                adapter.send({"cmd": "close", "stream": sid})
                st += [now, ends]
            if len(st) == 8:
                ends = sum(r["kind"] in ("closed", "failure") for r in adapter.records(sid))
                if ends > st[7] or now - st[6] > 10:
                    st.append(now + 0.1)  # let the server log the client's close
            if len(st) == 9 and now >= st[8]:
                res = judge(sc, reports, adapter.records(sid), server.entries(token), base,
                            origin)
                res["seconds"] = round(time.monotonic() - t0, 2)
                with adapter.cond:
                    arrived = list(adapter.times.get(sid, []))
                res["timeline"] = {"records_s": [round(t - t0, 3) for t in arrived],
                                   "close_sent_s": round(st[6] - t0, 3)}
                results[name] = res
                del running[name]
                if progress:
                    progress(scheme, name, res)
        if not adapter.alive():
            for name, st in running.items():
                results[name] = {"verdict": "fail", "problems": ["the adapter exited"],
                                 "records": adapter.records(st[1]), "requests": []}
            for sc in queue_:
                results[sc["name"]] = {"verdict": "fail", "problems": ["the adapter exited"],
                                       "records": [], "requests": []}
            break
        time.sleep(0.02)
    return results


def run_corpus(name: str, schemes=("http", "https"), select: str = "",
               concurrency: int | None = None, verbose: bool = True,
               exclude: str | None = None) -> dict:
    argv = prepare(name)
    scenarios = dump()
    work = Path(tempfile.mkdtemp(prefix="ssespec-clients-"))
    pki = make_pki(work)
    server = Server(pki, work)
    out: dict = {"adapter": name, "date": time.strftime("%Y-%m-%d"), "schemes": {}}

    def progress(scheme, n, res):
        if verbose:
            print(f"{res['verdict']:4} {scheme:5} {n} ({res.get('seconds')} s)", flush=True)
            if res["verdict"] != "pass":
                for p in res["problems"]:
                    print("      " + p.replace("\n", "\n      "), flush=True)
    try:
        for scheme in schemes:
            scs = [sc for n, sc in scenarios.items() if select in n
                   and not (exclude and exclude in n)
                   and (scheme == "http" or "tls" not in (sc.get("skip_variants") or {}))]
            ad = Adapter(argv, work, ca=pki["ca"])
            out["hello"] = ad.hello
            try:
                out["schemes"][scheme] = play(ad, server, scs, scheme, concurrency, progress)
            finally:
                rc = ad.finish()
                out.setdefault("exit", {})[scheme] = rc
                out.setdefault("stderr_tail", {})[scheme] = ad.stderr()[-3000:]
    finally:
        server.stop()
    return out


# ---------------------------------------------------------------- tests

if pytest is not None:
    @pytest.fixture(scope="module")
    def env(tmp_path_factory):
        if not shutil.which("openssl"):
            pytest.skip("the openssl command is not installed")
        d = tmp_path_factory.mktemp("clients")
        pki = make_pki(d)
        server = Server(pki, d)
        yield {"dir": d, "pki": pki, "server": server, "scenarios": dump()}
        server.stop()

    def _start(name: str, env) -> Adapter:
        try:
            argv = prepare(name)
        except Unavailable as e:
            pytest.skip(f"{name}: {e}")
        return Adapter(argv, env["dir"], ca=env["pki"]["ca"])

    @pytest.mark.parametrize("name", ADAPTERS)
    def test_hello(name, env):
        ad = _start(name, env)
        try:
            assert ad.raw[0].endswith(b"\n")
            h = ad.hello
            assert h["name"] == name
            assert isinstance(h["version"], str) and h["version"]
            assert h["reports"] == ["open", "event", "error", "closed", "failure"]
            assert isinstance(h["max_streams"], int) and h["max_streams"] >= 1
            # a bad command gets a failure, unknown streams too
            ad.send({"cmd": "bogus", "stream": "x"})
            ad.send({"cmd": "close", "stream": "nope"})
            assert ad.wait_for(lambda: ad.records("nope"), 10)
            assert ad.records("x")[0]["kind"] == "failure"
            assert ad.records("nope")[0]["kind"] == "failure"
        finally:
            rc = ad.finish()
        assert rc == 0, ad.stderr()

    @pytest.mark.parametrize("scheme", ["http", "https"])
    @pytest.mark.parametrize("name", ADAPTERS)
    def test_simple_scenarios(name, scheme, env):
        """A few scenarios every EventSource passes: events with ids and a
        listened type, a reconnection with Last-Event-ID after `retry`, and a
        404 that fails the connection."""
        ad = _start(name, env)
        picks = ["last-event-id/sent-after-id", "types/listened-and-unlisted",
                 "status/404-fails"]
        try:
            res = play(ad, env["server"], [env["scenarios"][n] for n in picks], scheme)
        finally:
            rc = ad.finish()
        assert rc == 0, ad.stderr()
        for n in picks:
            assert res[n]["verdict"] == "pass", (n, res[n]["problems"], ad.stderr()[-2000:])

    @pytest.mark.parametrize("name", ADAPTERS)
    def test_close_and_reopen(name, env):
        """close reports closed and stops the stream; the id can be used again."""
        ad = _start(name, env)
        server = env["server"]
        try:
            token = f"c-{uuid.uuid4().hex[:8]}"
            url = server.origin("http") + f"/s/close/held-stream-not-reconnected/{token}"
            ad.open("c", url)
            assert ad.wait_for(lambda: len(ad.records("c")) >= 1, 30), ad.stderr()
            recs = ad.close_stream("c")
            assert recs[-1] == {"kind": "closed"}, recs
            ad.open("c", url.replace(token, token + "b"))
            assert ad.wait_for(lambda: len(ad.records("c")) >= len(recs) + 1, 30)
            assert ad.close_stream("c")[-1] == {"kind": "closed"}
        finally:
            rc = ad.finish()
        assert rc == 0, ad.stderr()


    @pytest.mark.parametrize("name", ADAPTERS)
    def test_tls_trust_is_real(name, env, tmp_path):
        """With an unrelated CA in SSESPEC_CA_FILE the server's certificate is
        not trusted: no request reaches the server (the handshake fails), so
        the adapter verifies certificates instead of ignoring errors."""
        subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout",
                        "o.key", "-out", "o.pem", "-days", "2", "-subj", "/CN=ssespec other ca",
                        "-addext", "basicConstraints=critical,CA:TRUE"],
                       cwd=tmp_path, check=True, capture_output=True)
        try:
            argv = prepare(name)
        except Unavailable as e:
            pytest.skip(f"{name}: {e}")
        ad = Adapter(argv, tmp_path, ca=tmp_path / "o.pem")
        server = env["server"]
        token = f"t-{uuid.uuid4().hex[:8]}"
        try:
            ad.open("t", server.origin("https") + f"/s/status/200-opens/{token}")
            assert ad.wait_for(lambda: ad.records("t"), 30), ad.stderr()
            time.sleep(0.5)
            recs = ad.records("t")
            # eventsource: network errors, retried (error 0); chromium: the
            # page itself cannot be loaded from that origin (failure)
            assert recs and all(r["kind"] == "failure" or r == {"kind": "error", "readyState": 0}
                                for r in recs), recs
            ad.close_stream("t")
        finally:
            rc = ad.finish()
        assert rc == 0, ad.stderr()
        assert [e for e in server.entries(token) if e["ev"] == "request"] == []


    def test_chromium_crash_fails_streams(env):
        """When the browser dies the adapter reports failure for every open
        stream and exits non-zero at once (the harness restarts it)."""
        ad = _start("chromium", env)
        server = env["server"]
        try:
            for s in ("a", "b"):
                ad.open(s, server.origin("http")
                        + f"/s/close/held-stream-not-reconnected/k{s}{uuid.uuid4().hex[:8]}")
            assert ad.wait_for(lambda: ad.records("a") and ad.records("b"), 30), ad.stderr()
            out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(ad.proc.pid)],
                                 capture_output=True, text=True).stdout
            browsers = [int(x.split()[0]) for x in out.splitlines() if "chrom" in x]
            assert browsers, out
            for pid in browsers:
                os.kill(pid, 9)
            assert ad.proc.wait(30) not in (0, None)
            ad.thread.join(5)
            for s in ("a", "b"):
                assert ad.records(s)[-1]["kind"] == "failure", ad.records(s)
        finally:
            ad.finish()


def main() -> int:
    p = argparse.ArgumentParser(description="Play the client corpus against an adapter.")
    p.add_argument("adapter", help="eventsource, chromium or reference")
    p.add_argument("-k", default="", help="only scenarios whose name contains this")
    p.add_argument("--exclude", default=None, help="leave out scenarios whose name contains this")
    p.add_argument("--scheme", action="append", choices=["http", "https"])
    p.add_argument("--concurrency", type=int, help="at most this many streams at once")
    p.add_argument("--out", help="write the results as JSON here")
    a = p.parse_args()
    res = run_corpus(a.adapter, tuple(a.scheme or ("http", "https")), a.k, a.concurrency,
                     exclude=a.exclude)
    counts = {}
    for scheme, rs in res["schemes"].items():
        for n, r in rs.items():
            counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    print(json.dumps(res["hello"]))
    print(f"exit status per variant: {res['exit']}")
    print(f"{counts.get('pass', 0)} passed, {counts.get('fail', 0)} failed, "
          f"{counts.get('info', 0)} informational")
    if a.out:
        Path(a.out).write_text(json.dumps(res, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
