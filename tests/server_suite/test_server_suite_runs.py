"""`./ssespec check --server` as a user runs it: the literal producer
(tests/support/literal_producer.py) passes every case; a broken adapter
fails its own cases with the reason and never hangs or ends the run; case
files that do not follow the format end the run with the file and line."""

from __future__ import annotations

import json
import shlex
import subprocess
from pathlib import Path

import pytest
from suite_env import ROOT, one_line

LITERAL = ["/usr/bin/python3", str(ROOT / "tests" / "support" / "literal_producer.py")]
PRODUCERS = ROOT / "corpus" / "producers"


def check(*args: str, server: list[str] = LITERAL, timeout: float = 180) -> tuple[int, dict | None, str]:
    out = Path("/tmp") / f"ssespec-server-test-{abs(hash(args))}.json"
    out.unlink(missing_ok=True)
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--server", shlex.join(server),
                        "--json", str(out), *args], cwd=ROOT, capture_output=True, text=True,
                       timeout=timeout)
    data = json.loads(out.read_text()) if out.exists() else None
    out.unlink(missing_ok=True)
    return p.returncode, data, p.stdout + p.stderr


def test_the_literal_producer_passes_every_case():
    rc, data, out = check()
    assert rc == 0, out
    s = data["summary"]
    assert s["fail"] == 0 and s["warning"] == 0 and s["skipped"] == 0
    assert s["total"] == len(list(PRODUCERS.rglob("*.encode"))) + \
        len(list(PRODUCERS.rglob("*.served")))
    assert data["suite"] == "server" and data["adapter"]["name"] == "literal-producer"


def test_encode_only_adapter_skips_the_served_cases():
    rc, data, out = check("-m", "producer_served", server=LITERAL + ["--no-serve"])
    assert rc == 0, out
    assert {c["verdict"] for c in data["cases"]} == {"skipped"}
    assert "serves no url" in data["cases"][0]["reason"]


def test_failure_report_shows_messages_bytes_and_records():
    rc, data, out = check("-k", "inject/cr-in-data", server=LITERAL + ["--defect", "split-lf-only"])
    assert rc == 1
    c = data["cases"][0]
    assert c["reason"] == "injection: a data field forged from message 1's data value"
    assert 'data="a\\rdata: forged"' in out          # the message, as a case file writes it
    assert 'bytes:    22: "data: a\\rdata: forged\\n\\n"' in out
    assert "+{\"kind\": \"event\", \"type\": \"message\", \"data\": \"a\\nforged\"" in out
    assert "rerun:  ./ssespec check --server" in out and "-k inject/cr-in-data" in out


@pytest.mark.parametrize("flag, reason", [
    ("--garbage-on", "the answer is not JSON"),
    ("--wrong-case-on", "the answer is for another case"),
    ("--bad-base64-on", '"bytes" is not base64'),
    ("--crash-on", "the adapter exited with status 3"),
    ("--huge-on", "the response line is longer than"),
])
def test_a_broken_adapter_fails_that_case_and_the_run_goes_on(flag, reason):
    rc, data, out = check("-m", "producer_encode", server=LITERAL + [flag, "values/empty-data"])
    assert rc == 1, out
    verdicts = {c["id"]: c for c in data["cases"]}
    bad = verdicts.pop("values/empty-data")
    assert bad["verdict"] == "fail" and reason in bad["reason"], bad["reason"]
    assert all(c["verdict"] == "pass" for c in verdicts.values()), \
        [c for c in verdicts.values() if c["verdict"] != "pass"]


def test_a_hanging_adapter_costs_one_timeout():
    rc, data, out = check("-m", "producer_encode", "--timeout", "1",
                          server=LITERAL + ["--hang-on", "values/empty-data"], timeout=120)
    assert rc == 1
    c = next(c for c in data["cases"] if c["id"] == "values/empty-data")
    assert c["reason"].startswith("no response within 1 s")
    assert data["adapter"]["restarts"] == 1


def test_a_malformed_hello_ends_the_run_with_exit_2():
    rc, _, out = check(server=LITERAL + ["--hello", '{"hello": {"name": "x", "version": "1", '
                                         '"fields": ["event"], "encode": true}}'])
    assert rc == 2
    assert 'hello "fields" does not include "data"' in one_line(out)


def test_bad_case_files_name_file_and_line(tmp_path):
    (tmp_path / "a.encode").write_text("about x\nrule P1\nmessage data=\"x\" nope=\"y\"\n")
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--server", shlex.join(LITERAL),
                        "--producers", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2
    assert "a.encode:3: expected one of data=" in one_line(p.stderr)
    (tmp_path / "a.encode").write_text("about x\nrule P1\nmessage data=\"x\"\n"
                                       "expect event data=\"y\"\nexpect end\n")
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--server", shlex.join(LITERAL),
                        "--producers", str(tmp_path)], cwd=ROOT, capture_output=True, text=True,
                       timeout=60)
    assert p.returncode == 2
    assert "the expect lines do not say what the messages decode to" in one_line(p.stderr)
