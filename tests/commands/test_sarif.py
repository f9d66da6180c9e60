"""`check --sarif FILE`: every variant that did not pass as SARIF 2.1.0,
validated against the published schema (pinned in tests/support/sarif/)
with a real JSON Schema validator (Ajv)."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from suite_env import CASES, ROOT, fixture_impl

from harness.setup.bundled import npm_ci

VALIDATOR = ROOT / "tests" / "support" / "sarif"
PRODUCER = f"/usr/bin/python3 {ROOT / 'tests' / 'support' / 'literal_producer.py'} --no-serve"


@pytest.fixture(scope="module")
def validate():
    npm_ci(VALIDATOR, "the SARIF schema check")

    def run(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(["node", str(VALIDATOR / "validate.mjs"), str(path)],
                              capture_output=True, text=True, timeout=60)
    return run


def ssespec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "ssespec"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, stdin=subprocess.DEVNULL)


def test_injection_found_in_a_producer_is_an_error_with_a_security_rule(tmp_path, validate):
    out = tmp_path / "p.sarif"
    p = ssespec("check", "--server", f"{PRODUCER} --defect raw-event", "--sarif", str(out), "-q")
    assert p.returncode == 1, p.stdout + p.stderr
    v = validate(out)
    assert v.returncode == 0, v.stdout + v.stderr
    doc = json.loads(out.read_text())
    assert doc["version"] == "2.1.0" and len(doc["runs"]) == 1
    run = doc["runs"][0]
    results = run["results"]
    injected = [r for r in results if r["properties"]["failureKind"] == "injection"]
    assert injected and all(r["level"] == "error" for r in injected)
    r = injected[0]
    assert r["message"]["text"].startswith(
        f"{r['locations'][0]['logicalLocations'][0]['name']}: injection: an ")
    assert " field forged from message 1's event value" in r["message"]["text"]
    rule = run["tool"]["driver"]["rules"][r["ruleIndex"]]
    assert rule["id"] == r["ruleId"] == "P2"
    assert "security" in rule["properties"]["tags"]
    assert rule["helpUri"].endswith("server-sent-events.html#parsing-an-event-stream")
    loc = r["locations"][0]["physicalLocation"]["artifactLocation"]
    assert (ROOT / loc["uri"]).is_file() and loc["uri"].startswith("corpus/producers/")
    assert run["invocations"][0]["properties"]["summary"]["fail"] == len(
        [x for x in results if x["level"] == "error"])


def test_warnings_and_informational_verdicts_get_their_levels(tmp_path, validate):
    out = tmp_path / "w.sarif"
    p = ssespec("check", "--server", f"{PRODUCER} --defect strip-event-breaks", "--sarif", str(out))
    assert p.returncode == 0, p.stdout + p.stderr
    levels = {r["level"] for r in json.loads(out.read_text())["runs"][0]["results"]}
    assert levels == {"warning"}
    assert validate(out).returncode == 0
    out2 = tmp_path / "i.sarif"
    p = ssespec("check", "--no-builtin", "--cases", str(CASES / "basic"), "--impl", fixture_impl(),
                "--sarif", str(out2))
    assert p.returncode == 0
    res = json.loads(out2.read_text())["runs"][0]["results"]
    assert res and {r["level"] for r in res} == {"note"}
    assert validate(out2).returncode == 0


def test_expected_failures_are_suppressed_with_the_baselines_reason(tmp_path, validate):
    base = tmp_path / "expect.txt"
    base.write_text("suite parser\nfail fields/simple   we know: upper case data\n")
    out = tmp_path / "b.sarif"
    p = ssespec("check", "--no-builtin", "--cases", str(CASES / "basic"), "--impl",
                fixture_impl("--wrong-on", "fields/*"), "--expect", str(base), "--sarif", str(out))
    assert p.returncode == 1       # fields/kinds and fields/three-bytes are not listed
    res = json.loads(out.read_text())["runs"][0]["results"]
    by_case: dict[str, list[dict]] = {}
    for r in res:
        by_case.setdefault(r["properties"]["case"], []).append(r)
    simple = by_case["fields/simple"]
    assert all(r["suppressions"][0]["justification"] == "we know: upper case data"
               and r["baselineState"] == "unchanged" for r in simple)
    assert all("suppressions" not in r and "baselineState" not in r for r in by_case["fields/kinds"])
    assert validate(out).returncode == 0


def test_all_three_suites_make_three_runs(tmp_path, validate):
    out = tmp_path / "all.sarif"
    p = ssespec("check", "--no-builtin", "--cases", str(CASES / "basic"), "--impl", fixture_impl(),
                "--client", "--no-client-cases", "-k", "fields/simple or status/404",
                "--sarif", str(out), "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    doc = json.loads(out.read_text())
    assert [r["automationDetails"]["id"].split("/")[1] for r in doc["runs"]] == ["parser", "client"]
    assert validate(out).returncode == 0


def test_the_validator_rejects_what_the_schema_does(tmp_path, validate):
    bad = tmp_path / "bad.sarif"
    bad.write_text(json.dumps({"version": "2.1.0", "runs": [{"tool": {},
                                                              "results": [{"level": "fatal"}]}]}))
    v = validate(bad)
    assert v.returncode == 1
    assert "must have required property 'driver'" in v.stdout


def test_sarif_file_must_be_writable(tmp_path):
    p = ssespec("check", "--impl", "reference", "--sarif", str(tmp_path / "no" / "x.sarif"))
    assert p.returncode == 2 and "--sarif" in p.stderr and "no such directory" in p.stderr
