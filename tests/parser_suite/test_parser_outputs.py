"""--json and --junit: they parse and carry the right counts."""

from __future__ import annotations

import xml.etree.ElementTree as ET


def test_json_output(check):
    r = check("--timeout", "2", flags=("--wrong-on", "fields/simple", "--crash-on",
                                       "fields/kinds@bytes", "--reports", "event,end"))
    assert r.rc == 1
    j = r.json
    assert j["suite"] == "parser"
    assert j["adapter"]["name"] == "fixture" and j["adapter"]["version"] == "1.0"
    assert j["adapter"]["reports"] == ["event", "end"]
    assert j["adapter"]["command"][-2:] == ["--reports", "event,end"]
    assert j["summary"] == {"pass": 47, "fail": 2, "skipped": 0, "informational": 10, "warning": 0, "total": 59}
    assert j["by_rule"]["F7"] == {"pass": 13, "fail": 1, "skipped": 0, "informational": 10, "warning": 0}
    assert j["by_rule"]["F9"] == {"pass": 29, "fail": 1, "skipped": 0, "informational": 0, "warning": 0}
    assert sum(row["pass"] for row in j["by_rule"].values()) == 47
    assert len(j["cases"]) == 59
    assert j["left_out"] == [
        {"case": "sizes/no-variants", "variant": "bytes",
         "reason": "the harness tests check that this is honoured"},
        {"case": "sizes/no-variants", "variant": "splits",
         "reason": "the harness tests check that this is honoured too"}]
    keys = {"id", "case", "variant", "rule", "verdict", "reason"}
    passed = r.case("fields/simple@bytes")
    assert set(passed) == keys and passed["verdict"] == "pass"
    failed = r.case("fields/simple")
    assert keys <= set(failed) and {"expected", "actual"} <= set(failed)
    assert failed["actual"] == [{"kind": "event", "type": "message", "data": "hi!",
                                 "lastEventId": ""}, {"kind": "end", "lastEventId": ""}]
    crashed = r.case("fields/kinds@bytes")
    assert crashed["actual"] is None and "exited with status 3" in crashed["reason"]


def test_junit_output(check):
    r = check(flags=("--wrong-on", "fields/simple@split-1", "--reports", "event"))
    assert r.rc == 1
    root = ET.parse(r.junit).getroot()
    suite = root.find("testsuite")
    assert suite is not None
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped"), suite.get("errors")) \
        == ("59", "1", "5", "0")
    cases = suite.findall("testcase")
    assert len(cases) == 59
    by_name = {c.get("name"): c for c in cases}
    failure = by_name["fields/simple@split-1"].find("failure")
    assert failure is not None and failure.get("message") == "records differ"
    assert "FAIL fields/simple@split-1" in failure.text
    skipped = by_name["dispatch/empty"].find("skipped")
    assert skipped is not None and "does not report" in skipped.get("message")
    info = by_name["open/differs@split-3"]
    assert info.find("failure") is None and info.find("skipped") is None
    props = {p.get("name"): p.get("value") for p in info.iter("property")}
    assert props == {"rule": "F7", "verdict": "informational"}
    assert info.find("system-out").text.startswith("informational: records differ on an open point")
    n_info = sum(1 for c in cases if any(p.get("value") == "informational" for p in c.iter("property")))
    assert n_info == 10
    assert by_name["fields/simple"].get("classname") == "parser.fields.simple"


def test_junit_escapes_control_characters(check):
    r = check(flags=("--error-on", "fields/simple", "--noisy"))
    ET.parse(r.junit)  # would raise on characters XML cannot carry


def test_plugin_under_plain_pytest(tmp_path):
    import subprocess
    import sys

    from suite_env import CASES, ROOT, fixture_impl
    out = tmp_path / "r.json"
    p = subprocess.run(
        [sys.executable, "-m", "pytest", "-p", "harness.parser_suite.plugin", str(CASES / "basic"),
         "--cases", str(CASES / "basic"), "--impl", fixture_impl("--wrong-on", "fields/simple"),
         "--results-json", str(out), "-p", "no:cacheprovider"],
        cwd=ROOT, capture_output=True, text=True, timeout=120,
        env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 failed, 48 passed, 10 informational" in p.stdout
    assert "ssespec: verdicts by rule" in p.stdout
    assert "FAIL fields/simple\n" in p.stdout
    import json
    assert json.loads(out.read_text())["summary"]["fail"] == 1
