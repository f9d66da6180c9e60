"""Smoke tests of the bundled third-party client adapters.

Adapters: adapters/eventsource (the npm package `eventsource` on Node.js's
fetch), adapters/chromium (Debian's Chromium, headless, its native
`EventSource` in a page served by the scenario server) and adapters/firefox
(Debian's Firefox ESR, the same way, over WebDriver BiDi). The tests check the
hello line and a few protocol details by hand (tests/support/client_driver.py,
against the scenario server of harness/client_suite/scenario_server.py), and a few simple
scenarios each, over HTTP and HTTPS, through the client suite itself
(`./ssespec check --client NAME -k ...`); they skip with the reason when
Node.js, npm or the browser is missing and cannot be installed (not root, or
the package cannot be had).

Whole runs of the corpus are `./ssespec check --client eventsource`,
`./ssespec check --client chromium` and `./ssespec check --client firefox`.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import time
import uuid
from pathlib import Path

import pytest
from peers_env import ROOT, ssespec_check, tail

from harness.client_suite.scenario_server import ScenarioServer
from harness.core.errors import Fatal
from harness.setup import build, bundled
from harness.setup.certs import make_pki
from tests.support.client_driver import ClientAdapterDriver

SCENARIOS = ROOT / "corpus" / "scenarios"
STATIC = ROOT / "adapters" / "chromium" / "page"
ADAPTERS = ("eventsource", "chromium", "firefox")
# the browser adapters, and the name their browser's processes have in ps
BROWSERS = {"chromium": "chrom", "firefox": "firefox"}
HELLO_TIMEOUT = 60.0
CHECK_TIMEOUT = 300


# ---------------------------------------------------------------- setup

def _argv(name: str) -> list[str]:
    """Install what the bundled adapter NAME needs (as its manifest says) and
    return its argv; skip the test when that cannot be had."""
    m = bundled.load_manifest(ROOT / "adapters" / name / "adapter.json")
    try:
        return bundled.prepare(m)
    except Fatal as e:
        pytest.skip(f"{name}: {e}")


@pytest.fixture(scope="module")
def env(tmp_path_factory):
    if not shutil.which("openssl"):
        pytest.skip("the openssl command is not installed")
    d = tmp_path_factory.mktemp("clients")
    pki = make_pki(d / "pki")
    server = ScenarioServer(build.executable("ssespec-server", "release", quiet=True), SCENARIOS,
                            pki.cert, pki.key, STATIC, log=d / "server-log.jsonl")
    server.start()
    yield {"dir": d, "pki": pki, "server": server}
    server.stop()


def _start(name: str, env, ca: Path | None = None) -> ClientAdapterDriver:
    return ClientAdapterDriver(_argv(name), env["dir"], ca=ca or env["pki"].ca,
                               hello_timeout=HELLO_TIMEOUT)


# ---------------------------------------------------------------- tests

@pytest.mark.parametrize("name", ADAPTERS)
def test_hello(name, env):
    ad = _start(name, env)
    try:
        assert ad.raw[0].endswith(b"\n")
        h = ad.hello["hello"]
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


SIMPLE = ["last-event-id/sent-after-id", "types/listened-and-unlisted", "status/404-fails"]


@pytest.fixture(scope="module")
def simple_runs() -> dict[str, dict]:
    """One `./ssespec check --client NAME` of the SIMPLE scenarios per
    adapter, made by the first test that needs it."""
    return {}


@pytest.mark.parametrize("scheme", ["http", "https"])
@pytest.mark.parametrize("name", ADAPTERS)
def test_simple_scenarios(name, scheme, env, simple_runs):
    """A few scenarios every EventSource passes: events with ids and a
    listened type, a reconnection with Last-Event-ID after `retry`, and a
    404 that fails the connection."""
    _argv(name)
    if name not in simple_runs:
        # file names select exactly these (not sent-after-id-only-block, to-404-fails)
        select = " or ".join(n + ".scenario" for n in SIMPLE)
        simple_runs[name] = ssespec_check(["--client", name, "-k", select], CHECK_TIMEOUT)
    r = simple_runs[name]
    assert r["json"] is not None, f"could not run {r['cmd']}:\n{tail(r['stderr'])}"
    verdicts = {c["id"]: c for c in r["json"]["cases"]}
    # and over HTTP/2 for an adapter whose hello offers it (the browsers: h2)
    h2 = [f"@{t}" for t in ("h2", "h2c") if r["json"]["adapter"].get(t)]
    assert sorted(verdicts) == sorted(n + v for n in SIMPLE for v in ("", "@tls", *h2))
    assert r["json"]["adapter"]["end_note"] is None, r["json"]["notes"]
    for n in SIMPLE:
        for v in [""] if scheme == "http" else ["@tls", *h2]:
            c = verdicts[n + v]
            assert c["verdict"] == "pass", (c["id"], c["reason"], c.get("problems"),
                                            (c.get("stderr") or "")[-2000:])


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
    other = make_pki(tmp_path / "other-ca")
    ad = _start(name, env, ca=other.ca)
    server = env["server"]
    token = f"t-{uuid.uuid4().hex[:8]}"
    try:
        ad.open("t", server.origin("tls") + f"/s/status/200-opens/{token}")
        assert ad.wait_for(lambda: ad.records("t"), 30), ad.stderr()
        time.sleep(0.5)
        recs = ad.records("t")
        # eventsource: network errors, retried (error 0); chromium and
        # firefox: the page itself cannot be loaded from that origin (failure)
        assert recs and all(r["kind"] == "failure" or r == {"kind": "error", "readyState": 0}
                            for r in recs), recs
        ad.close_stream("t")
    finally:
        rc = ad.finish()
    assert rc == 0, ad.stderr()
    assert server.entries(token, "request") == []


def test_firefox_page_is_the_chromium_page():
    """adapters/firefox/page/ is a copy of adapters/chromium/page/ (the
    harness serves only a folder inside the adapter's own): the same files,
    byte for byte."""
    ff = ROOT / "adapters" / "firefox" / "page"
    names = sorted(p.name for p in STATIC.iterdir())
    assert sorted(p.name for p in ff.iterdir()) == names
    for name in names:
        assert (ff / name).read_bytes() == (STATIC / name).read_bytes(), name


@pytest.mark.parametrize("name", sorted(BROWSERS))
def test_browser_crash_fails_streams(name, env):
    """When the browser dies the adapter reports failure for every open
    stream and exits non-zero at once (the harness restarts it)."""
    ad = _start(name, env)
    server = env["server"]
    try:
        for s in ("a", "b"):
            ad.open(s, server.origin("http")
                    + f"/s/close/held-stream-not-reconnected/k{s}{uuid.uuid4().hex[:8]}")
        assert ad.wait_for(lambda: ad.records("a") and ad.records("b"), 30), ad.stderr()
        out = subprocess.run(["ps", "-o", "pid=,comm=", "--ppid", str(ad.proc.pid)],
                             capture_output=True, text=True).stdout
        browsers = [int(x.split()[0]) for x in out.splitlines() if BROWSERS[name] in x]
        assert browsers, out
        for pid in browsers:
            os.kill(pid, 9)
        assert ad.proc.wait(30) not in (0, None)
        ad.thread.join(5)
        for s in ("a", "b"):
            assert ad.records(s)[-1]["kind"] == "failure", ad.records(s)
    finally:
        ad.finish()
