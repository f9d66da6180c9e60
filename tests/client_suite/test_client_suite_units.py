"""Unit tests of the client suite's pieces: the judging rules (records,
closed, headers, delays, requests after close) and scenario helpers."""
from __future__ import annotations

import pytest

from harness.client_suite.judge import Observation, describe, judge, missing
from harness.client_suite.scenarios import ClientVariant, from_dump, last_action_index, variants
from harness.core.results import FAIL, INFORMATIONAL, PASS
from harness.protocol.client import normalise

OPEN = {"kind": "open"}


def ev(data: str, id_: str = "", type_: str = "message") -> dict:
    return {"kind": "event", "type": type_, "data": data, "lastEventId": id_}


def scenario(connections: list[dict], records: list[dict], open_: str | None = None,
             rule: str = "C5") -> ClientVariant:
    sc = from_dump({"name": "x/y", "file": "x/y.scenario", "about": "a test", "rule": rule,
                    "open": open_, "types": [], "timeout": 10, "linger_ms": 300,
                    "skip_variants": {}, "connections": connections, "records": records})
    return variants(sc)[0]


def conn(headers: list[dict] | None = None, delay: list | None = None, path: str = "",
         actions: list[dict] | None = None) -> dict:
    return {"expect": {"method": "GET", "path": path, "headers": headers or [],
                       "delay_ms": delay},
            "response": {"actions": actions if actions is not None else [{"do": "hold"}]}}


def request(n: int, delay: float | None = None, headers: list | None = None,
            ev_: str = "request", t: float = 100.0, subpath: str = "") -> dict:
    return {"ev": ev_, "step": n, "method": "GET", "subpath": subpath, "headers": headers or [],
            "delay_ms": delay, "tls": False, "t": t}


def observe(v: ClientVariant, records: list[dict], requests: list[dict], **kw) -> Observation:
    return Observation(variant=v, stream="x/y#1", url="http://127.0.0.1:1/s/x/y/T", base="/s/x/y/T",
                       origin="http://127.0.0.1:1", reports=["open", "event", "error", "closed"],
                       records=records, requests=requests, close_sent=True, closed_wait=5.0, **kw)


def test_matching_run_passes():
    v = scenario([conn()], [OPEN, ev("a")])
    r, text = judge(observe(v, [OPEN, ev("a"), {"kind": "closed"}], [request(0)]), [OPEN, ev("a")])
    assert r.verdict == PASS and text == ""


def test_report_after_closed_fails():
    v = scenario([conn()], [OPEN])
    r, _ = judge(observe(v, [OPEN, {"kind": "closed"}, ev("late")], [request(0)]), [OPEN])
    assert r.verdict == FAIL and r.reason == 'a report after closed: event data="late"'


def test_missing_closed_and_failure_reports():
    v = scenario([conn()], [OPEN])
    r, _ = judge(observe(v, [OPEN], [request(0)]), [OPEN])
    assert r.reason == "no closed report within 5 s after close"
    fail = {"kind": "failure", "message": "boom"}
    r, _ = judge(observe(v, [OPEN, fail, {"kind": "closed"}], [request(0)]), [OPEN])
    assert r.reason == "the adapter reported a failure: boom"
    assert r.problems[1] == "an extra record after the expected ones: failure \"boom\""


@pytest.mark.parametrize("op, value, sent, ok", [
    ("equal", "7", [["last-event-id", "7"]], True),          # names compare case-insensitively
    ("equal", "7", [["Last-Event-ID", "8"]], False),
    ("equal", "7", [], False),
    ("equal", "7", [["Last-Event-ID", "7"], ["Last-Event-ID", "7"]], False),
    ("present", None, [["LAST-EVENT-ID", ""]], True),
    ("present", None, [], False),
    ("absent", None, [], True),
    ("absent", None, [["Last-Event-ID", ""]], False),
])
def test_header_expectations(op, value, sent, ok):
    v = scenario([conn([{"name": "Last-Event-ID", "op": op, "value": value}])], [OPEN])
    r, _ = judge(observe(v, [OPEN, {"kind": "closed"}], [request(0, headers=sent)]), [OPEN])
    assert (r.verdict == PASS) == ok, r.reason
    if not ok:
        assert r.reason.startswith("request 1: Last-Event-ID")


@pytest.mark.parametrize("delay, bounds, ok", [
    (275.0, [300, None], True),        # 25 ms below MIN is allowed
    (274.0, [300, None], False),
    (900.0, [300, 1000], True),
    (1001.0, [300, 1000], False),
    (None, [300, None], False),        # came while the previous connection was open
])
def test_delay_expectations(delay, bounds, ok):
    v = scenario([conn(), conn(delay=bounds)], [OPEN])
    reqs = [request(0), request(1, delay=delay)]
    r, _ = judge(observe(v, [OPEN, {"kind": "closed"}], reqs), [OPEN])
    assert (r.verdict == PASS) == ok, r.reason
    if not ok:
        assert r.reason.startswith("request 2 came")


def test_unexpected_request_after_close_and_path():
    v = scenario([conn(path="moved")], [OPEN])
    reqs = [request(0, subpath="elsewhere"), request(1, delay=210.0, ev_="unexpected", t=900.0)]
    obs = observe(v, [OPEN, {"kind": "closed"}], reqs)
    obs.close_server_t = 500.0
    r, text = judge(obs, [OPEN])
    assert r.problems == ['request 1 asked for subpath "elsewhere", expected "moved"',
                          "request 2 came beyond the last connection (after close, 210 ms after "
                          "connection 1 ended): the scenario expects 1"]
    assert "UNEXPECTED (answered 404, after close)" in text


def test_open_scenario_is_informational_unless_the_adapter_broke():
    v = scenario([conn()], [OPEN, ev("a")], open_="C7-id-buffer: a test")
    obs = observe(v, [OPEN, ev("b"), {"kind": "closed"}], [request(0)])
    r, _ = judge(obs, [OPEN, ev("a")])
    assert r.verdict == INFORMATIONAL
    assert r.reason.endswith("(an open point: C7-id-buffer: a test)")
    obs.adapter_failure = "the adapter exited with status 1"
    assert judge(obs, [OPEN, ev("a")])[0].verdict == FAIL
    # an open rule counts as an open point too
    v = scenario([conn()], [OPEN, ev("a")], rule="F9-empty")
    assert judge(observe(v, [OPEN, {"kind": "closed"}], [request(0)]), [OPEN, ev("a")])[0].verdict \
        == INFORMATIONAL


def test_missing_names_the_first_gap():
    v = scenario([conn(), conn()], [OPEN, ev("a"), {"kind": "error", "readyState": 0}])
    exp = [OPEN, ev("a"), {"kind": "error", "readyState": 0}]
    assert missing(observe(v, [], []), exp, set()) == \
        "no request arrived; expected record 1 (open) never arrived"
    assert missing(observe(v, [OPEN, ev("a")], [request(0)]), exp, {0}) == \
        "connection 2 never came; expected record 3 (error 0) never arrived"
    assert missing(observe(v, exp, [request(0), request(1)]), exp, {0}) == \
        "connection 2 never played to its end"


def test_normalise_and_describe():
    assert normalise({"stream": "s", "kind": "event", "type": "t", "data": "d", "lastEventId": "",
                      "extra": 1}) == {"kind": "event", "type": "t", "data": "d", "lastEventId": ""}
    assert normalise({"stream": "s", "kind": "error", "readyState": 2}) == \
        {"kind": "error", "readyState": 2}
    assert describe(ev("x\ny", "7", "up")) == 'event data="x\\ny" type="up" id="7"'


def test_last_action_index():
    assert last_action_index(conn(actions=[{"do": "send"}, {"do": "close"}])) == 1
    assert last_action_index(conn(actions=[{"do": "send"}, {"do": "wait", "ms": 5}])) == 2
    assert last_action_index(conn(actions=[])) == 0


def test_variants_skip_tls():
    v = scenario([conn()], [OPEN])
    sc = from_dump({**v.scenario.__dict__, "skip_variants": {"tls": "why"},
                    "types": [], "connections": [], "records": []})
    assert [x.id for x in variants(v.scenario)] == ["x/y", "x/y@tls", "x/y@h2", "x/y@h2c"]
    assert [x.id for x in variants(sc)] == ["x/y", "x/y@h2", "x/y@h2c"]
    h1 = from_dump({**v.scenario.__dict__, "skip_variants": {"h2": "framing"},
                    "types": [], "connections": [], "records": []})
    assert [x.id for x in variants(h1)] == ["x/y", "x/y@tls"]

