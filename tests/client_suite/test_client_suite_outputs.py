"""The client suite's --json and --junit files, and a run of both suites."""

from __future__ import annotations

import json
import subprocess
import xml.etree.ElementTree as ET

from suite_env import CASES, ROOT, SCENARIOS, fixture_client, fixture_impl


def test_json_has_the_documented_shape(check_client):
    r = check_client(flags=("--wrong-data-on", "/s/events/"))
    d = r.json
    assert d["suite"] == "client"
    assert d["adapter"]["name"] == "fixture-client" and d["adapter"]["max_streams"] == 64
    assert d["adapter"]["restarts"] == 0 and d["adapter"]["end_note"] is None
    assert d["server"]["end_note"] is None and "--tls-port" in d["server"]["command"]
    assert d["by_rule"]["E4"] == {"pass": 1, "fail": 2, "skipped": 0, "informational": 0, "warning": 0}
    ok = r.case("reconnect@tls")
    assert ok == {"id": "reconnect@tls", "case": "reconnect", "variant": "tls", "rule": "C5",
                  "verdict": "pass", "reason": ""}
    bad = r.case("events")
    assert bad["expected"][1] == {"kind": "event", "type": "message", "data": "a",
                                  "lastEventId": "1"}
    assert bad["actual"][1]["data"] == "A"
    assert bad["problems"][0] == bad["reason"]
    assert bad["requests"][0]["method"] == "GET" and bad["requests"][0]["subpath"] == ""
    assert bad["requests"][0]["tls"] is False and r.case("events@tls")["requests"][0]["tls"] is True


def test_junit_matches_the_json(check_client):
    r = check_client(flags=("--wrong-data-on", "/s/events/"))
    root = ET.parse(r.junit).getroot()
    suite = root.find("testsuite")
    assert suite.get("name") == "ssespec.client"
    assert (suite.get("tests"), suite.get("failures"), suite.get("skipped")) == ("9", "2", "0")
    cases = {tc.get("name"): tc for tc in suite.iter("testcase")}
    assert cases["events"].get("classname") == "client.events"
    failure = cases["events"].find("failure")
    assert failure.get("message").startswith("record 2 differs")
    assert "FAIL events" in failure.text and "requests (1 connection expected)" in failure.text
    info = cases["accept-open"].find("system-out").text
    assert info.startswith("informational: request 1: Accept")


def test_both_suites_in_one_run(tmp_path):
    out, junit = tmp_path / "both.json", tmp_path / "both.xml"
    cmd = [str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", fixture_impl(), "--cases", str(CASES / "basic"),
           "--client", fixture_client("--wrong-data-on", "/s/events/"),
           "--scenarios", str(SCENARIOS / "basic"), "--json", str(out), "--junit", str(junit)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 1, p.stdout + p.stderr      # the worse of 0 (parser) and 1 (client)
    last = p.stdout.strip().splitlines()[-2:]
    assert last[0].startswith("parser: 49 passed, 0 failed")
    # the client suite also serves the parser cases given (variants cases/NAME)
    assert last[1].startswith("client: 17 passed, 2 failed, 0 skipped, 4 informational (23 ")
    d = json.loads(out.read_text())
    assert [s["suite"] for s in d["suites"]] == ["parser", "client"]
    client = d["suites"][1]
    assert client["summary"]["fail"] == 2
    from_cases = [c["id"] for c in client["cases"] if c["id"].startswith("cases/")]
    assert len(from_cases) == 14 and "cases/fields/simple@tls" in from_cases, from_cases
    root = ET.parse(junit).getroot()
    assert [s.get("name") for s in root.iter("testsuite")] == ["ssespec.parser", "ssespec.client"]
    assert root.get("tests") == str(59 + 23) and root.get("failures") == "2"


def test_both_suites_with_a_selection_only_one_has(tmp_path):
    """-m transport_tls selects nothing from the parser suite: it is left
    out with a line saying so, and the client suite decides the status."""
    out = tmp_path / "both.json"
    cmd = [str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", fixture_impl(), "--cases", str(CASES / "basic"),
           "--client", fixture_client(), "--scenarios", str(SCENARIOS / "basic"),
           "--no-client-cases", "-m", "transport_tls", "--json", str(out)]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=180,
                       stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "parser: no case selected" in p.stdout
    d = json.loads(out.read_text())
    assert [s["suite"] for s in d["suites"]] == ["client"]
    assert d["suites"][0]["summary"]["total"] == 4
