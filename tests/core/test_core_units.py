"""Unit tests of harness/core: restricting and diffing records, escaping
bytes for reports, XML-safe text, merged result files."""

from __future__ import annotations

import json
import xml.etree.ElementTree as ET

from harness.core.records import diff, restrict
from harness.core.report import describe_chunks, escape
from harness.core.results import (FAIL, PASS, Result, Run, merge_json, merge_junit, write_json,
                                  write_junit, xml_safe)


def test_restrict_keeps_order_and_kinds():
    recs = [{"kind": "retry", "ms": 1}, {"kind": "event"}, {"kind": "end"}, {"kind": "odd"}]
    assert restrict(recs, ["event", "end"]) == [{"kind": "event"}, {"kind": "end"}]


def test_escape_uses_case_file_syntax():
    assert escape(b'data: "a"\\\r\n\t\x00\xff') == '"data: \\"a\\"\\\\\\r\\n\\t\\0\\xFF"'
    assert escape(b"") == '""'
    assert escape(b"data: " + b"x" * 1000 + b"\n\n") == '"data: " + "x" * 1000 + "\\n\\n"'


def test_escape_elides_huge_inputs():
    data = bytes(range(256)) * 100
    text = escape(data)
    assert len(text) < 700
    assert "characters elided" in text
    assert text.startswith('"\\0\\x01')


def test_describe_chunks():
    assert describe_chunks([]) == ["no chunks (an empty stream)"]
    assert describe_chunks([b"a", b"b", b"c"]) == ["3 chunks of one byte each"]
    assert describe_chunks([b"ab", b"c"]) == ["2 chunks, lengths 2, 1:", '  [0] "ab"', '  [1] "c"']
    big = describe_chunks([b"x" * 1000] * 20)
    assert big == ["20 chunks, lengths " + ", ".join(["1000"] * 16) + ", ... (4 more)"]


def test_diff_is_one_record_per_line():
    exp = [{"kind": "event", "type": "message", "data": "a", "lastEventId": ""},
           {"kind": "end", "lastEventId": ""}]
    act = [{"kind": "end", "lastEventId": ""}]
    d = diff(exp, act)
    assert d[:2] == ["--- expected", "+++ actual"]
    assert '-{"kind": "event", "type": "message", "data": "a", "lastEventId": ""}' in d
    assert ' {"kind": "end", "lastEventId": ""}' in d


def test_diff_shortens_long_records_around_the_difference():
    exp = [{"kind": "event", "data": "x" * 5000 + "A" + "y" * 5000}]
    act = [{"kind": "event", "data": "x" * 5000 + "B" + "y" * 5000}]
    d = diff(exp, act)
    minus = next(x for x in d if x.startswith("-{"))
    plus = next(x for x in d if x.startswith("+{"))
    assert len(minus) < 400 and "xA" in minus and "xB" in plus
    assert d[-1].startswith("(first difference: record 1, character")


def test_diff_escapes_invisible_characters():
    d = diff([{"kind": "event", "data": "\ufeff\x00"}], [])
    assert any("\\ufeff\\u0000" in x for x in d)


def test_xml_safe():
    assert xml_safe("a\x00b\x1bc\ufffed\n") == "a\\x00b\\x1bc\\ufffed\n"


def test_merged_results(tmp_path):
    runs = []
    for suite, verdict in (("parser", PASS), ("client", FAIL)):
        run = Run(suite, {"name": suite, "version": "1"}, seconds=1.5)
        run.results.append(Result(id="a", case="a", variant="http", rule="C5", verdict=verdict,
                                  reason="" if verdict == PASS else "bad", expected=[], actual=[]))
        write_json(run, tmp_path / f"{suite}.json")
        write_junit(run, tmp_path / f"{suite}.xml")
        runs.append(suite)
    merge_json([tmp_path / f"{s}.json" for s in runs], tmp_path / "all.json")
    merge_junit([tmp_path / f"{s}.xml" for s in runs], tmp_path / "all.xml")
    d = json.loads((tmp_path / "all.json").read_text())
    assert [s["suite"] for s in d["suites"]] == ["parser", "client"]
    root = ET.parse(tmp_path / "all.xml").getroot()
    assert (root.get("tests"), root.get("failures"), root.get("time")) == ("2", "1", "3.000")


def test_json_cuts_long_record_strings_and_says_so():
    from harness.core.results import JSON_STRING_MAX, Result
    big = "a" * (JSON_STRING_MAX + 10)
    r = Result("c@bytes", "c", "bytes", "F1", "fail", "records differ",
               expected=[{"kind": "event", "data": "a"}],
               actual=[{"kind": "event", "data": big, "type": "message"}])
    j = r.as_json()
    assert j["truncated"] is True
    assert j["actual"][0]["data"] == "a" * JSON_STRING_MAX + "...[10 more characters]"
    assert j["actual"][0]["type"] == "message" and j["expected"] == [{"kind": "event", "data": "a"}]
    assert r.actual[0]["data"] == big                       # the result itself keeps the value
    small = Result("c", "c", "whole", "F1", "fail", "x", expected=[], actual=None).as_json()
    assert "truncated" not in small and small["actual"] is None
