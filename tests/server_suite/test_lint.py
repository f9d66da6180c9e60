"""`./ssespec lint URL` against real streams: the scenario server playing
streams written for these tests (tests/server_suite/lint_streams), Debian's
nginx in front of it as a reverse proxy with buffering on (the finding) and
off (clean), a producer framework served by its adapter, and endpoints that
misbehave (endless line, one byte a second, not SSE): every run stays
within its time and memory bounds and says what it saw."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from pathlib import Path

import pytest
from suite_env import ROOT

from harness.client_suite.scenario_server import ScenarioServer
from harness.protocol.server import ServerAdapterProcess, send_command
from harness.setup import build
from harness.setup.certs import make_pki

STREAMS = Path(__file__).resolve().parent / "lint_streams"


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    pki = make_pki(tmp_path_factory.mktemp("pki"))
    srv = ScenarioServer(build.executable("ssespec-server", "release", quiet=True), STREAMS,
                         pki.cert, pki.key, None, log=tmp_path_factory.mktemp("log") / "log")
    srv.start()
    srv.pki = pki  # type: ignore[attr-defined]
    yield srv
    srv.stop()


def lint(url: str, *args: str, timeout: float = 120) -> tuple[int, dict, str]:
    p = subprocess.run([str(ROOT / "ssespec"), "lint", url, "--json", "-", *args], cwd=ROOT,
                       capture_output=True, text=True, timeout=timeout)
    doc = json.loads(p.stdout) if p.stdout.strip() else {}
    return p.returncode, doc, p.stderr


def rules(doc: dict, level: str) -> set[str]:
    return {f["rule"] for f in doc.get("findings", []) if f["level"] == level}


def url(server, name: str, token: str, tls: bool = False) -> str:
    return f"{server.origin('tls' if tls else 'http')}/s/lint/{name}/{token}"


def test_a_clean_stream_has_no_error_and_no_warning(server):
    rc, doc, err = lint(url(server, "clean", "c1"), "--seconds", "2")
    assert rc == 0, err
    assert rules(doc, "error") == set() and rules(doc, "warning") == set(), doc["findings"]
    assert doc["stream"]["events"] == 3 and doc["stream"]["comments"] == 2
    assert doc["stream"]["line_endings"] == {"LF": 12}
    assert "keep-alive comments: 2" in err


def test_https_with_the_test_ca(server):
    rc, doc, err = lint(url(server, "clean", "c2", tls=True), "--seconds", "1.5", "--cafile",
                        str(server.pki.ca))
    assert rc == 0, err
    assert doc["stream"]["events"] == 3


def test_bursts_are_the_buffering_signature(server):
    rc, doc, err = lint(url(server, "burst", "b1"), "--seconds", "4")
    assert rc == 0           # a warning, not an error
    burst = [f for f in doc["findings"] if f["rule"] == "P6-flush" and f["level"] == "warning"]
    assert burst and "4 events in one read after 2." in burst[0]["what"], doc["findings"]


def test_field_level_findings_show_their_bytes(server):
    rc, doc, err = lint(url(server, "bad-fields", "f1"), "--seconds", "1")
    assert rc == 1
    assert rules(doc, "error") >= {"P5", "P3", "D2"}
    assert rules(doc, "warning") >= {"F5", "D4"}
    by_rule = {f["rule"]: f for f in doc["findings"]}
    assert by_rule["P3"]["bytes"] == '"id: a\\0b"'
    assert by_rule["P5"]["bytes"] == '"retry: 10s"'
    unknown = [f["what"] for f in doc["findings"] if f["rule"] == "F5"]
    assert any(w.startswith("an unknown field name 'Data'") for w in unknown), unknown
    assert "ERROR   P3" in err and "bytes at byte" in err


def test_not_an_event_stream(server):
    rc, doc, err = lint(url(server, "not-sse", "n1"), "--seconds", "2")
    assert rc == 1
    assert "Content-Type 'text/html'" in doc["findings"][0]["what"]
    assert "stream" not in doc          # the body is not read


def test_content_length_on_a_stream(server):
    rc, doc, _ = lint(url(server, "length", "l1"), "--seconds", "2")
    assert rc == 1
    assert any("Content-Length 9" in f["what"] for f in doc["findings"])


def test_unknown_path_and_closed_port(server):
    rc, doc, _ = lint(f"{server.origin('http')}/nowhere", "--seconds", "2")
    assert rc == 1 and "status 404" in doc["findings"][0]["what"]
    p = subprocess.run([str(ROOT / "ssespec"), "lint", "http://127.0.0.1:9/x", "--seconds", "2"],
                       cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 2
    assert p.stderr.strip().startswith("ssespec: lint http://127.0.0.1:9/x: cannot connect")


def test_an_endless_line_stays_within_memory_and_time(server):
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.monotonic()
    rc, doc, err = lint(url(server, "endless-line", "e1"), "--seconds", "3")
    assert time.monotonic() - t0 < 20
    assert rc == 0
    assert any("a line longer than 1048576 bytes" in f["what"] for f in doc["findings"])
    assert doc["stream"]["bytes"] >= 2 << 20
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak < max(before, 1) + 150 * 1024, peak     # KiB: far below a copy per read


def test_one_byte_a_second_ends_at_the_time_limit(server):
    t0 = time.monotonic()
    rc, doc, _ = lint(url(server, "dribble", "d1"), "--seconds", "2.5")
    assert time.monotonic() - t0 < 15
    assert doc["stopped"] == "2.5 s of reading" and doc["stream"]["events"] == 0


# ---------------------------------------------------------------- nginx

NGINX_CONF = """
daemon off;
pid {dir}/nginx.pid;
error_log {dir}/error.log;
events {{ worker_connections 64; }}
http {{
  access_log off;
  client_body_temp_path {dir}/body; proxy_temp_path {dir}/proxy;
  fastcgi_temp_path {dir}/fcgi; uwsgi_temp_path {dir}/uwsgi; scgi_temp_path {dir}/scgi;
  server {{ listen 127.0.0.1:{on}; location / {{ proxy_pass {upstream}; }} }}
  server {{ listen 127.0.0.1:{off}; location / {{ proxy_pass {upstream};
           proxy_buffering off; proxy_http_version 1.1; }} }}
}}
"""


def free_port() -> int:
    import socket
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def nginx(server, tmp_path_factory):
    exe = shutil.which("nginx") or "/usr/sbin/nginx"
    if not os.path.exists(exe):
        pytest.skip("nginx is not installed (apt-get install -y nginx-light)")
    d = tmp_path_factory.mktemp("nginx")
    on, off = free_port(), free_port()
    (d / "nginx.conf").write_text(NGINX_CONF.format(dir=d, on=on, off=off,
                                                    upstream=server.origin("http")))
    proc = subprocess.Popen([exe, "-c", str(d / "nginx.conf"), "-p", str(d)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    time.sleep(0.5)
    assert proc.poll() is None, proc.stderr.read()
    yield {"on": f"http://127.0.0.1:{on}", "off": f"http://127.0.0.1:{off}"}
    proc.send_signal(signal.SIGQUIT)
    proc.wait(10)


def test_nginx_with_proxy_buffering_shows_the_burst(nginx):
    rc, doc, err = lint(f"{nginx['on']}/s/lint/paced/p1", "--seconds", "5")
    assert rc == 0, err
    burst = [f for f in doc["findings"] if f["rule"] == "P6-flush" and f["level"] == "warning"]
    assert burst and "6 events in one read" in burst[0]["what"], doc["findings"]


def test_nginx_without_proxy_buffering_is_clean(nginx):
    rc, doc, err = lint(f"{nginx['off']}/s/lint/paced/p2", "--seconds", "5")
    assert rc == 0, err
    assert rules(doc, "warning") == set(), doc["findings"]
    assert doc["stream"]["events"] == 6


# ---------------------------------------------------------------- a framework


def test_a_framework_served_by_its_adapter():
    """The literal producer's served endpoint (a real HTTP server on
    loopback): lint reads its stream while the app sends an event every
    300 ms; a buffering build of the same app gives the burst."""
    literal = ["/usr/bin/python3", str(ROOT / "tests" / "support" / "literal_producer.py")]
    for flags, want_burst in (([], False), (["--defect", "buffer"], True)):
        ap = ServerAdapterProcess(literal + flags)
        hello = ap.start(10)
        target = f"{hello.url}?ssespec-stream=lint"
        found: dict = {}
        t = threading.Thread(target=lambda: found.update(doc=lint(target, "--seconds", "4")))
        t.start()
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline and not any(
                r.get("kind") == "request" for r in _reports(ap)):
            pass
        for n in range(8):
            ap.send(send_command("lint", [{"data": f"tick {n}"}]))
            time.sleep(0.3)
        ap.send({"cmd": "end", "stream": "lint"})
        t.join(30)
        ap.stop()
        rc, doc, err = found["doc"]
        assert rc == 0, err
        bursts = [f for f in doc["findings"] if f["rule"] == "P6-flush" and f["level"] == "warning"]
        assert bool(bursts) == want_burst, doc["findings"]
        assert doc["stream"]["events"] == 8


def _reports(ap: ServerAdapterProcess) -> list[dict]:
    import select
    r, _, _ = select.select([ap.fd_out], [], [], 0.1)
    return ap.reports() if r else []
