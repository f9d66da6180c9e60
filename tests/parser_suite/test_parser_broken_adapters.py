"""Adapters that hang, crash, print garbage, answer for the wrong case or
write an endless line: the case fails with a clear reason, the adapter is
restarted, and the rest of the run goes on."""

from __future__ import annotations

import re


def others_pass(r, failed: set[str]) -> None:
    for case_id, verdict in r.verdicts().items():
        if case_id in failed:
            continue
        assert verdict in ("pass", "informational"), (case_id, verdict)


def test_hang_times_out_and_restarts(check):
    r = check("--timeout", "1", flags=("--hang-on", "fields/kinds@split-3"))
    assert r.rc == 1
    c = r.case("fields/kinds@split-3")
    assert c["verdict"] == "fail"
    assert c["reason"] == "no response within 1 s"
    assert "hanging on fields/kinds@split-3" in c["stderr"]
    assert r.json["adapter"]["restarts"] == 1
    others_pass(r, {"fields/kinds@split-3"})
    assert r.seconds < 30


def test_case_timeout_from_case_file(check):
    r = check(flags=("--hang-on", "slow/with-timeout"), cases="timeout")
    assert r.case("slow/with-timeout")["reason"] == "no response within 0.5 s"
    assert r.seconds < 30


def test_hang_on_every_variant_of_a_case_is_bounded(check):
    r = check("--timeout", "0.5", flags=("--hang-on", "fields/kinds*"))
    kinds = {k: v for k, v in r.verdicts().items() if k.startswith("fields/kinds")}
    assert set(kinds.values()) == {"fail"}
    reasons = [r.case(k)["reason"] for k in kinds]
    assert reasons.count("no response within 0.5 s") == 2
    assert all(x.startswith("not run: 2 variants of this case timed out")
               for x in reasons if not x.startswith("no response"))
    others_pass(r, set(kinds))
    assert r.seconds < 30


def test_hang_on_everything_gives_up(check):
    r = check("--timeout", "0.5", flags=("--hang-on", "*"))
    assert r.rc == 1
    reasons = [c["reason"] for c in r.json["cases"] if c["verdict"] == "fail"]
    assert reasons.count("no response within 0.5 s") == 5
    assert "not run: the adapter timed out on 5 requests in a row" in reasons
    assert r.seconds < 30


def test_crash_fails_the_case_and_restarts(check):
    r = check(flags=("--crash-on", "fields/simple@split-2"))
    assert r.rc == 1
    c = r.case("fields/simple@split-2")
    assert c["reason"] == "the adapter exited with status 3 before its response"
    assert "crashing on fields/simple@split-2" in c["stderr"]
    assert r.json["adapter"]["restarts"] == 1
    others_pass(r, {"fields/simple@split-2"})
    assert "adapter stderr:" in r.stdout and "| fixture: crashing on" in r.stdout


def test_garbage_fails_the_case(check):
    r = check(flags=("--garbage-on", "fields/simple"))
    assert r.rc == 1
    assert r.case("fields/simple")["reason"] == "the response is not JSON: b'this is not json'"
    others_pass(r, {"fields/simple"})


def test_wrong_case_fails_the_case(check):
    r = check(flags=("--wrong-case-on", "fields/three-bytes@bytes"))
    assert r.rc == 1
    assert (r.case("fields/three-bytes@bytes")["reason"]
            == "the response is for another case: 'fields/three-bytes@bytes-other'")
    others_pass(r, {"fields/three-bytes@bytes"})


def test_endless_line_fails_the_case(check):
    """A response line far longer than the case's expected records could
    need fails that case as soon as it passes the bound (8 times the
    expected records' JSON plus 1 MiB), not after 256 MiB."""
    r = check("--max-response-bytes", "3000000", flags=("--huge-on", "fields/simple@bytes"))
    assert r.rc == 1
    reason = r.case("fields/simple@bytes")["reason"]
    assert re.match(r"the response line is longer than 10\d{5} bytes: b'xxx", reason), reason
    others_pass(r, {"fields/simple@bytes"})
    assert r.seconds < 30


def test_endless_line_is_cut_at_the_smaller_bound(check):
    r = check("--max-response-bytes", "4096", "-k", "simple",
              flags=("--huge-on", "fields/simple@split-1"))
    assert r.case("fields/simple@split-1")["reason"].startswith(
        "the response line is longer than 4096 bytes")


def test_exitfirst_stops_at_the_first_failure(check):
    r = check("-x", flags=("--wrong-on", "fields/kinds@split-2"))
    assert r.rc == 1
    ids = list(r.verdicts())
    assert ids[-1] == "fields/kinds@split-2"
    assert r.json["summary"]["fail"] == 1


def test_unclean_exit_at_the_end_is_noted(check):
    r = check(flags=("--exit-status", "5"))
    assert r.rc == 0
    assert r.json["adapter"]["end_note"] == "the adapter exited with status 5 after its stdin was closed"
    assert "note: the adapter exited with status 5 after its stdin was closed" in r.stdout


def test_crashing_on_every_request_gives_up(monkeypatch):
    from pathlib import Path

    from suite_env import FIXTURE

    from harness.core.cases import parse_case
    from harness.parser_suite import runner
    from harness.parser_suite.variants import variants
    from harness.suite import budget
    monkeypatch.setattr(budget, "FAILURE_STREAK", 3)
    case = parse_case('about x\nrule F7\nchunk "data: a\\n\\n"\nevent data="a"\nend\n', "a/b",
                      Path("/tmp/a/b.case"))
    r = runner.Runner(FIXTURE + ["--crash-on", "*"], timeout=10)
    r.start()
    try:
        results = [r.run(v) for v in variants(case)]
    finally:
        r.stop()
    reasons = [x.reason for x in results]
    assert reasons[:3] == ["the adapter exited with status 3 before its response"] * 3
    assert set(reasons[3:]) == {"not run: the adapter failed 3 requests in a row"}
    assert r.restarts == 2
