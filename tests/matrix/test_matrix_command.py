"""`./ssespec matrix` end to end: a small real matrix (conftest.py:
small_matrix), an implementation that cannot run, bad arguments, a
baseline that no longer holds, and stopping with SIGTERM."""

from __future__ import annotations

import html
import io
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from matrix_env import (BASIC_CASES, CLIENT_DEFECT, DEFECTS, PARSER_DEFECT, PYTHON, Ran, literal,
                        run_matrix)
from suite_env import FIXTURE, ROOT, one_line

from harness.matrix import make
from harness.matrix.impls import Target
from harness.matrix.run import CheckOptions


def text_of(page: str) -> str:
    return html.unescape(re.sub(r"<[^>]+>", "", page))


def test_the_small_matrix_runs_and_exits_0(small_matrix: Ran):
    assert small_matrix.rc == 0, small_matrix.stdout + small_matrix.stderr
    progress = [s for s in small_matrix.stdout.splitlines() if s.startswith("[")]
    assert len(progress) == 4
    for s in progress:
        assert re.match(r"^\[\d/4\] \S.* (parser|client) +\d+\.\d s  \d+ variants, \d+ pass", s), s
    assert any(f"ssespec-literal+{PARSER_DEFECT}" in s for s in progress)
    assert "matrix: 4 implementations, 4 ran, 0 not run" in small_matrix.stdout
    assert (small_matrix.out / "peers.md").exists()


def test_its_matrix_json(small_matrix: Ran):
    m = small_matrix.matrix
    assert [(e["id"], e["kind"]) for e in m["impls"]] == [
        ("reference-parser", "parser"), ("reference-client", "client"),
        ("parser-1", "parser"), ("client-1", "client")]
    lit = small_matrix.impl("parser-1")
    assert lit["name"] == f"ssespec-literal+{PARSER_DEFECT}" and lit["version"]
    assert lit["exit"] == 1 and lit["not_run"] == "" and lit["summary"]["fail"] == 30
    assert "fields/kinds" in lit["cells"]
    names = [c["name"] for c in m["suites"]["parser"]["cases"]]
    assert lit["verdicts"][names.index("fields/kinds")] == "30f"
    assert small_matrix.impl("reference-parser")["summary"]["fail"] == 0
    client = small_matrix.impl("client-1")
    assert client["name"] == f"ssespec-literal-client+{CLIENT_DEFECT}"
    assert "fails-404" in client["cells"]
    d = client["cells"]["fails-404"]["details"][0]
    assert d["requests"] and d["reason"]
    assert m["options"]["cases"] == str(BASIC_CASES)


def test_its_index_shows_the_failure(small_matrix: Ran):
    page = (small_matrix.out / "index.html").read_text(encoding="utf-8")
    assert '<a href="impl/parser-1.html#case-fields/kinds">✗ 30/30</a>' in page
    assert '<a href="impl/client-1.html#case-fails-404">✗' in page
    assert "Parsers (2)" in page and "Clients (2)" in page
    detail = (small_matrix.out / "impl" / "parser-1.html").read_text(encoding="utf-8")
    text = text_of(detail)
    assert '29 bytes: "retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n"' in text
    assert f"--defect {PARSER_DEFECT}" in text and "-k fields/kinds" in text
    client = text_of((small_matrix.out / "impl" / "client-1.html").read_text(encoding="utf-8"))
    assert "fails-404" in client and "requests the server saw" in client


def test_peers_doc_from_the_json_is_the_same(small_matrix: Ran, tmp_path):
    out = tmp_path / "peers.md"
    p = subprocess.run([str(ROOT / "ssespec"), "peers-doc", str(small_matrix.out / "matrix.json"),
                        "-o", str(out)], cwd=ROOT, capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr
    assert out.read_text() == (small_matrix.out / "peers.md").read_text()


def test_an_implementation_that_cannot_run_is_shown_not_run(tmp_path):
    r = run_matrix(tmp_path / "r", "--only", "reference-parser", "--impl",
                   shlex.join(FIXTURE + ["--no-hello"]), "--cases", str(BASIC_CASES), "--no-builtin",
                   "--timeout", "120")
    assert r.rc == 1, r.stdout + r.stderr
    e = r.impl("parser-1")
    assert e["not_run"].startswith("no hello within") and e["verdicts"] == []
    assert r.impl("reference-parser")["not_run"] == ""
    assert "not run: no hello within" in r.stdout
    page = text_of((r.out / "index.html").read_text(encoding="utf-8"))
    assert "not run: no hello within" in page


@pytest.mark.parametrize("args, says", [
    (["--only", "nosuch"], "no implementation called nosuch"),
    (["-j", "0"], "-j must be from 1 to"),
    (["-j", "99"], "-j must be from 1 to"),
    (["--cases", "/nonexistent/cases"], "--cases /nonexistent/cases: no such directory"),
    (["--only", "reference", "--impl", " "], "--impl is empty"),
])
def test_bad_arguments_exit_2_with_one_line(tmp_path, args, says):
    r = run_matrix(tmp_path / "r", *args, timeout=60)
    assert r.rc == 2
    assert says in one_line(r.stderr)
    assert not (tmp_path / "r").exists()


def test_list_names_what_would_run(tmp_path):
    p = subprocess.run([str(ROOT / "ssespec"), "matrix", "--list", "--skip-slow"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0
    ids = [s.split()[0] for s in p.stdout.splitlines()]
    assert ids[:1] == ["reference-parser"] and "reference-client" in ids
    assert "reference-server" in ids and "chromium" not in ids     # slow


def test_a_baseline_that_no_longer_holds_exits_1(defect_check, tmp_path):
    """The rule for --expect: the report is written, the exit status is 1."""
    target = Target("parser-1", literal(*DEFECTS), "parser", literal(*DEFECTS), False,
                    baseline=defect_check.baseline)
    out = io.StringIO()
    plan = make.Plan([target], CheckOptions(cases=str(BASIC_CASES)), 1, tmp_path / "r")
    m, status = make.make(plan, out)
    assert status == 1 and not m["impls"][0]["baseline"]["holds"]
    assert "drift: ssespec-literal+" in out.getvalue()
    assert (tmp_path / "r" / "index.html").exists()
    plan = make.Plan([target], CheckOptions(cases=str(BASIC_CASES), expect=False), 1,
                     tmp_path / "r2")
    m, status = make.make(plan, io.StringIO())
    assert status == 0 and m["impls"][0]["baseline"] is None


def _running_with(marker: str) -> list[int]:
    pids = []
    for p in Path("/proc").iterdir():
        if not p.name.isdigit():
            continue
        try:
            if marker in (p / "cmdline").read_bytes().decode(errors="replace"):
                pids.append(int(p.name))
        except OSError:
            pass
    return pids


def _adapters(marker: str) -> list[int]:
    """The processes running the adapter file itself (the matrix's and the
    checks' command lines name it too, as an argument)."""
    return [pid for pid in _running_with(marker) if _cmdline(pid).startswith(f"{PYTHON} {marker}")]


def _cmdline(pid: int) -> str:
    try:
        return (Path("/proc") / str(pid) / "cmdline").read_bytes().replace(b"\0", b" ").decode()
    except OSError:
        return "(gone)"


def _status(pid: int) -> str:
    """The State and PPid lines of a process, to say what a leftover is."""
    try:
        lines = (Path("/proc") / str(pid) / "status").read_text().splitlines()
    except OSError:
        return "(gone)"
    return ", ".join(x for x in lines if x.startswith(("State:", "PPid:")))


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_signal_stops_every_check_and_leaves_nothing(tmp_path, sig):
    """Two checks whose adapters hang; SIGTERM (or Ctrl-C's SIGINT) to the
    matrix stops them, their adapters and all, and it exits with status 2."""
    adapter = tmp_path / f"hanging-{os.getpid()}-{sig.name}.py"
    shutil.copy(FIXTURE[1], adapter)
    marker = str(adapter)
    cmd = shlex.join([PYTHON, marker, "--hang-on", "*"])
    proc = subprocess.Popen([str(ROOT / "ssespec"), "matrix", "--out", str(tmp_path / "r"),
                             "--only", "reference-parser", "--impl", cmd, "--impl", cmd + " --noisy",
                             "--cases", str(BASIC_CASES), "--no-builtin"],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            # as from a terminal: a pytest worker may have SIGINT ignored,
                            # and an ignored SIGINT is inherited
                            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL))
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and len(_adapters(marker)) < 2:
        time.sleep(0.2)          # two checks, each with its adapter
    if len(_adapters(marker)) < 2:
        proc.kill()
        pytest.fail(f"the hanging adapters never started: {proc.communicate()}")
    proc.send_signal(sig)
    stdout, stderr = proc.communicate(timeout=60)
    assert proc.returncode == 2, stdout + stderr
    assert "interrupted" in stderr, stdout + stderr
    deadline = time.monotonic() + 10
    while time.monotonic() < deadline and _running_with(marker):
        time.sleep(0.2)
    left = [(pid, _cmdline(pid), _status(pid)) for pid in _running_with(marker)]
    assert left == [], "\n".join(map(str, left)) + "\n" + stdout + stderr
    assert not (tmp_path / "r" / "index.html").exists()


def test_help_lists_the_command():
    p = subprocess.run([sys.executable, "-m", "harness", "--help"], cwd=ROOT,
                       capture_output=True, text=True, timeout=60)
    assert "matrix" in p.stdout and "peers-doc" in p.stdout


def test_the_longest_checks_of_the_last_report_start_first(tmp_path):
    ts = [Target(i, i, "parser", i, True) for i in ("a", "b", "c", "d")]
    last = tmp_path / "matrix.json"
    assert make.run_order(ts, last) == ts                      # no last report
    last.write_text('{"impls": [{"id": "a", "seconds": 5}, {"id": "b", "seconds": 50},'
                    ' {"id": "d", "seconds": 20}]}')
    assert [t.id for t in make.run_order(ts, last)] == ["c", "b", "d", "a"]
    last.write_text("not json")
    assert make.run_order(ts, last) == ts


def test_a_check_over_its_time_is_stopped_and_shown_not_run(tmp_path):
    cmd = shlex.join(FIXTURE + ["--hang-on", "*"])
    t0 = time.monotonic()
    r = run_matrix(tmp_path / "r", "--only", "reference-parser", "--impl", cmd, "--cases",
                   str(BASIC_CASES), "--no-builtin", "--timeout", "8")
    assert r.rc == 1, r.stdout + r.stderr
    assert r.impl("parser-1")["not_run"] == "stopped after 8 s (the matrix's --timeout)"
    assert r.impl("reference-parser")["not_run"] == ""
    assert time.monotonic() - t0 < 60
