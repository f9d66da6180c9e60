"""The four verdicts: pass, fail, skipped, informational."""

from __future__ import annotations


def test_pass_and_informational(check):
    r = check()
    v = r.verdicts()
    assert v["fields/simple"] == "pass"
    assert v["fields/kinds@split-13"] == "pass"
    assert all(v[k] == "informational" for k in v if k.startswith("open/differs"))
    info = r.case("open/differs@bytes")
    assert "open point" in info["reason"]
    assert info["expected"][0]["data"] == "b" and info["actual"][0]["data"] == "a"


def test_only_reported_kinds_are_compared(check):
    # The fixture reports only events: retry/comment/end records are not
    # compared, and cases whose records are all unreported are skipped.
    r = check(flags=("--reports", "event"))
    assert r.rc == 0, r.stdout
    v = r.verdicts()
    assert v["fields/kinds"] == "pass"
    assert v["fields/three-bytes"] == "skipped"
    assert v["dispatch/empty"] == "skipped"
    assert "does not report end records" in r.case("dispatch/empty")["reason"]
    assert r.json["summary"]["skipped"] == 5


def test_unreported_kind_differences_do_not_fail(check):
    # --wrong-on changes only event data; with only 'end' differences it
    # would pass. Here the adapter reports event and end: the event differs.
    r = check(flags=("--reports", "event,end", "--wrong-on", "fields/kinds"))
    assert r.verdicts()["fields/kinds"] == "fail"
    failed = r.case("fields/kinds")
    assert [x["kind"] for x in failed["expected"]] == ["event", "end"]
    assert [x["kind"] for x in failed["actual"]] == ["event", "end"]


def test_error_response_fails_a_normal_case(check):
    r = check(flags=("--error-on", "fields/simple"))
    assert r.rc == 1
    c = r.case("fields/simple")
    assert c["verdict"] == "fail"
    assert "refused by the fixture" in c["reason"]
    assert r.verdicts()["fields/simple@bytes"] == "pass"


def test_error_response_is_informational_on_an_open_case(check):
    r = check(flags=("--error-on", "open/differs"))
    assert r.rc == 0
    c = r.case("open/differs")
    assert c["verdict"] == "informational"
    assert "refused by the fixture" in c["reason"]


def test_crash_on_open_case_is_a_failure(check):
    r = check(flags=("--crash-on", "open/differs@split-2"))
    assert r.rc == 1
    assert r.case("open/differs@split-2")["verdict"] == "fail"


def test_failure_report_on_terminal(check):
    r = check(flags=("--wrong-on", "fields/kinds@split-13"))
    out = r.stdout
    assert "FAIL fields/kinds@split-13" in out
    assert "rule:   F9 retry of ASCII digits only sets the reconnection time" in out
    assert "about:  retry, comment, event and end records in one stream" in out
    assert 'input:  29 bytes: "retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n"' in out
    assert "chunks: 2 chunks, lengths 13, 16:" in out
    assert '[0] "retry: 5\\n: hi"' in out
    assert '-{"kind": "event", "type": "message", "data": "a", "lastEventId": "7"}' in out
    assert '+{"kind": "event", "type": "message", "data": "a!", "lastEventId": "7"}' in out
    assert "F9                29      1" in out
