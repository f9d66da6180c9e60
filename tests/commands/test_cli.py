"""The command line as a user meets it: the registry's help and errors,
`check --list`, `server` on its own, SIGTERM in the middle of a run (nothing
left running, no temporary folder or test CA key left behind),
SSESPEC_NO_INSTALL, and tools that print no build chatter."""

from __future__ import annotations

import json
import os
import select
import signal
import subprocess
import time
import urllib.request
import uuid
from pathlib import Path

from suite_env import CASES, ROOT, SCENARIOS, fixture_client, fixture_impl, one_line

SSESPEC = str(ROOT / "ssespec")


def run(*args: str, env: dict[str, str] | None = None,
        stdin: bytes | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([SSESPEC, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, **(env or {})),
                          input=stdin.decode() if stdin else None)


def processes_with(word: str) -> list[str]:
    """Command lines of running processes that contain word."""
    out = []
    for d in Path("/proc").iterdir():
        if not d.name.isdigit():
            continue
        try:
            cmd = (d / "cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        if word in cmd:
            out.append(f"{d.name}: {cmd}")
    return out


def test_every_command_has_help():
    top = run("--help")
    assert top.returncode == 0
    names = [line.split()[0] for line in top.stdout.split("commands:")[1].splitlines()
             if line.startswith("  ")]
    assert {"check", "show", "server", "adapter", "parse", "get", "fuzz", "replay", "bench",
            "test"} <= set(names)
    for name in names:
        if name == "get":
            continue        # its help is ssespec-get's own (tests/client)
        p = run(name, "--help")
        assert p.returncode == 0, (name, p.stderr)
        assert f"usage: ssespec {name}" in p.stdout


def test_unknown_command_and_option_are_one_line_errors():
    for args in (["frobnicate"], ["check", "--frobnicate"], ["server", "--port", "70000"],
                 []):
        p = run(*args)
        assert p.returncode == 2, args
        one_line(p.stderr)


def test_list_shows_ids_rules_and_markers_without_running():
    p = run("check", "--no-builtin", "--impl", fixture_impl("--crash-on", "*"), "--cases", str(CASES / "basic"),
            "--list", "-k", "fields/simple")
    assert p.returncode == 0, p.stderr
    lines = p.stdout.strip().splitlines()
    assert lines[0] == "fields/simple\tF7\tvariant_whole"
    assert "fields/simple@bytes\tF7\tvariant_bytes" in lines
    assert lines[-1].startswith("parser: ") and " of 1 case" in lines[-1]
    both = run("check", "--list", "--rule", "C9")
    assert both.returncode == 0
    assert "parser: 0 variants of 0 cases" in both.stdout
    assert "close/" in both.stdout and "client: 12 variants of 3 scenarios" in both.stdout   # h2, h2c too


def _wait_for(proc: subprocess.Popen[bytes], what: bytes, seconds: float) -> bytes:
    seen = b""
    deadline = time.monotonic() + seconds
    assert proc.stdout is not None
    while what not in seen and time.monotonic() < deadline:
        r, _, _ = select.select([proc.stdout], [], [], 0.5)
        if r:
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                break
            seen += chunk
    return seen


def _terminate_and_check(proc: subprocess.Popen[bytes], marker: str, tmp: Path) -> str:
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    time.sleep(0.3)
    assert processes_with(marker) == []
    assert processes_with(str(tmp)) == []          # the server ran with its certificate there
    assert [p.name for p in tmp.iterdir()] == []    # temporary folders and the CA key are gone
    return err.decode("utf-8", "replace")


def test_sigterm_stops_a_client_run_and_everything_it_started(tmp_path):
    marker = f"marker-{uuid.uuid4().hex}"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    scen = tmp_path / "scen" / "slow"
    scen.mkdir(parents=True)
    # the run waits up to 60 s for an event the server never sends
    (scen / "held.scenario").write_text(
        "about a stream held open for a long time\nrule C5\ntimeout 60\n\n"
        "connection\n  send \"data: a\\n\\n\"\n  hold\n\nexpect open\nexpect event data=\"a\"\n"
        "expect event data=\"never\"\n")
    proc = subprocess.Popen([SSESPEC, "check", "--no-builtin", "--scenarios", str(tmp_path / "scen"), "--client",
                             fixture_client("--marker", marker)], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    seen = _wait_for(proc, b"server:", 60)
    assert b"server:" in seen, seen
    time.sleep(1.0)
    assert processes_with(marker), "the adapter should be running"
    err = _terminate_and_check(proc, marker, tmp)
    assert proc.returncode == 2
    assert "interrupted (SIGTERM)" in err


def test_sigterm_stops_a_parser_run_and_its_adapter(tmp_path):
    marker = f"marker-{uuid.uuid4().hex}"
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([SSESPEC, "check", "--no-builtin", "--cases", str(CASES / "basic"), "--impl",
                             fixture_impl("--hang-on", "fields/simple", "--marker", marker),
                             "--timeout", "60", "-v"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    _wait_for(proc, b"command:", 60)
    time.sleep(1.5)
    assert processes_with(marker)
    err = _terminate_and_check(proc, marker, tmp)
    assert proc.returncode == 2 and "interrupted (SIGTERM)" in err


def test_sigterm_stops_a_server_run_quietly(tmp_path):
    """SIGTERM while the served cases' streams are under way: the run says it
    was interrupted, with no traceback of the cancelled streams, and the
    adapter is gone."""
    adapter = tmp_path / "producer_copy.py"     # a path of its own, to look for
    adapter.write_text((ROOT / "tests" / "support" / "literal_producer.py").read_text())
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([SSESPEC, "check", "--server", f"/usr/bin/python3 {adapter}",
                             "-k", "served/", "-q"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    deadline = time.monotonic() + 60
    while not processes_with(str(adapter)) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(str(adapter))
    time.sleep(1.0)                                 # the first served cases under way
    err = _terminate_and_check(proc, str(adapter), tmp)
    assert proc.returncode == 2 and "interrupted (SIGTERM)" in err
    assert "Traceback" not in err and "never retrieved" not in err, err


def test_server_command_serves_scenarios_until_sigterm(tmp_path):
    tmp = tmp_path / "tmp"
    tmp.mkdir()
    proc = subprocess.Popen([SSESPEC, "server", "--scenarios", str(SCENARIOS / "basic")],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            env=dict(os.environ, TMPDIR=str(tmp)))
    banner = _wait_for(proc, b"Ctrl-C stops it", 60).decode()
    assert "ssespec server: 5 scenarios from" in banner
    http = next(line.split()[1] for line in banner.splitlines() if line.strip().startswith("http:"))
    base = http.replace("/s/NAME/TOKEN", "")
    assert "test CA:" in banner
    with urllib.request.urlopen(f"{base}/s/events/try1", timeout=10) as resp:
        assert resp.headers["Content-Type"].startswith("text/event-stream")
        first = resp.readline()
    assert first.startswith((b"data:", b"id:", b"event:", b"retry:", b":")), first
    log = _wait_for(proc, b'"ev": "request"', 10)
    assert b'"ev": "request"' in log
    proc.send_signal(signal.SIGTERM)
    _, err = proc.communicate(timeout=30)
    assert proc.returncode == 0, err
    assert [p.name for p in tmp.iterdir()] == []


def test_no_install_prints_the_command_and_exits_2(tmp_path):
    """With SSESPEC_NO_INSTALL=1 a bundled adapter whose npm packages are
    not installed is not installed: the run ends naming the command."""
    adapters = tmp_path / "adapters"
    code = (
        "import sys, os\n"
        "import harness.setup.bundled as b\n"
        f"b.ROOT = __import__('pathlib').Path({str(tmp_path)!r})\n"
        "from pathlib import Path\n"
        "from harness.setup import bundled\n"
        "from harness.core.errors import Fatal\n"
        f"d = Path({str(adapters)!r}) / 'npmthing'\n"
        "d.mkdir(parents=True)\n"
        "(d / 'adapter.json').write_text('{\"kind\": \"parser\", \"command\": [\"node\", \"{dir}/a.mjs\"], \"npm\": true}')\n"
        "(d / 'package-lock.json').write_text('{}')\n"
        "try:\n"
        "    bundled.npm_install(bundled.load_manifest(d / 'adapter.json'))\n"
        "except Fatal as e:\n"
        "    print(e); sys.exit(2)\n")
    p = subprocess.run(["/usr/bin/python3", "-c", code], cwd=ROOT, capture_output=True, text=True,
                       env=dict(os.environ, SSESPEC_NO_INSTALL="1", PYTHONPATH=str(ROOT)),
                       timeout=60)
    assert p.returncode == 2, p.stdout + p.stderr
    assert "SSESPEC_NO_INSTALL is set, so run it yourself: (cd" in p.stdout
    assert "npm ci" in p.stdout
    assert not (adapters / "npmthing" / "node_modules").exists()


def test_parse_and_adapter_print_no_build_chatter():
    run("parse", "--help")          # builds if needed
    p = run("parse", stdin=b"data: x\n\n")
    assert p.returncode == 0
    assert p.stderr == ""
    assert json.loads(p.stdout.splitlines()[0])["data"] == "x"
    a = run("adapter", stdin=b"")
    assert a.returncode == 0 and a.stderr == ""
    assert json.loads(a.stdout.splitlines()[0])["hello"]["name"]


def test_a_fatal_error_is_printed_once():
    p = run("check", "--no-builtin", "--impl", fixture_impl("--hello", "nonsense"), "--cases", str(CASES / "basic"))
    assert p.returncode == 2
    line = one_line(p.stderr)
    assert "the first line is not JSON" in line
    assert p.stdout.count("not JSON") == 0


def test_sigkill_of_the_harness_takes_its_adapter_along(tmp_path):
    """Even killed outright (no clean-up possible), the harness leaves no
    adapter running: adapters die with it (PR_SET_PDEATHSIG)."""
    marker = f"marker-{uuid.uuid4().hex}"
    proc = subprocess.Popen([SSESPEC, "check", "--no-builtin", "--cases", str(CASES / "basic"), "--impl",
                             fixture_impl("--hang-on", "fields/simple", "--marker", marker),
                             "--timeout", "60", "-v"], cwd=ROOT,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    _wait_for(proc, b"command:", 60)
    time.sleep(1.5)
    assert processes_with(marker)
    proc.kill()
    proc.communicate(timeout=30)
    deadline = time.monotonic() + 5
    while processes_with(marker) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert processes_with(marker) == []
