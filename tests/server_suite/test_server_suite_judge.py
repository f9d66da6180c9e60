"""The producer suite's verdict rule (harness/server_suite/judge.py and
intent.py): what messages must decode to, refusals, warnings, and
injection named by field."""

from __future__ import annotations

import pytest

from harness.core.results import FAIL, PASS, WARNING
from harness.server_suite.intent import forgeries, intend
from harness.server_suite.judge import judge_bytes, judge_refusal


def parse(data: str) -> list[dict]:
    """A small parser of the standard's rules, enough for these tests."""
    import re
    records, data_buf, typ, last_id, id_buf = [], None, "", "", ""
    lines = re.split(r"\r\n|\r|\n", data)
    for line in lines[:-1]:
        if line == "":
            last_id = id_buf
            if data_buf is not None:
                records.append({"kind": "event", "type": typ or "message",
                                "data": data_buf[:-1] if data_buf.endswith("\n") else data_buf,
                                "lastEventId": last_id})
            data_buf, typ = None, ""
            continue
        if line.startswith(":"):
            records.append({"kind": "comment", "text": line[1:]})
            continue
        name, _, value = line.partition(":")
        if value.startswith(" "):
            value = value[1:]
        if name == "data":
            data_buf = (data_buf or "") + value + "\n"
        elif name == "event":
            typ = value
        elif name == "id" and "\0" not in value:
            id_buf = value
        elif name == "retry" and value.isdigit():
            records.append({"kind": "retry", "ms": int(value)})
    records.append({"kind": "end", "lastEventId": last_id})
    return records


def test_intent_joins_data_lines_with_lf_and_keeps_ids():
    it = intend([{"data": "a\r\nb\rc", "id": "7"}, {"data": "d"}, {"comment": "x\ny"},
                 {"retry": 0}])
    assert it.records == [
        {"kind": "event", "type": "message", "data": "a\nb\nc", "lastEventId": "7"},
        {"kind": "event", "type": "message", "data": "d", "lastEventId": "7"},
        {"kind": "comment", "text": "x"}, {"kind": "comment", "text": "y"},
        {"kind": "retry", "ms": 0}, {"kind": "end", "lastEventId": "7"}]
    assert it.uncarriable == {2: ["comment"]}


@pytest.mark.parametrize("message, fields", [
    ({"data": "x", "event": "a\nb"}, ["event"]), ({"data": "x", "id": "1\r"}, ["id"]),
    ({"data": "x", "id": "1\0"}, ["id"]), ({"data": "a\nb"}, []),
    ({"data": "x", "event": "a\0b"}, [])])
def test_uncarriable_values(message, fields):
    assert intend([message]).uncarriable.get(0, []) == fields


def test_forgeries_read_the_later_lines_of_a_value():
    fs = forgeries([{"data": "a\rdata: one\nevent:two\r\n\r\nid: 3"}])
    assert [(f.field, f.value) for f in fs] == [("data", "one"), ("event", "two"),
                                                ("dispatch", ""), ("id", "3")]


def test_an_exact_encoding_passes():
    m = [{"data": "a\nb", "event": "t", "id": "1"}]
    assert judge_bytes(m, parse("event: t\nid: 1\ndata: a\ndata: b\n\n")).verdict == PASS


@pytest.mark.parametrize("messages, wire, named", [
    ([{"data": "a\nevent: evil"}], "data: a\nevent: evil\n\n", "an event field forged from "
     "message 1's data value"),
    ([{"data": "a\rdata: forged"}], "data: a\rdata: forged\n\n", "a data field forged"),
    ([{"data": "x", "id": "1\nretry: 5"}], "id: 1\nretry: 5\ndata: x\n\n", "a retry field"),
    ([{"data": "x", "event": "e\n\ndata: y"}], "data: x\nevent: e\n\ndata: y\n\n",
     "an event dispatched early"),
    ([{"comment": "c\nid: 9"}, {"data": "x"}], ":c\nid: 9\ndata: x\n\n", "an id field forged "
     "from message 1's comment value"),
])
def test_raw_line_breaks_are_reported_as_injection(messages, wire, named):
    j = judge_bytes(messages, parse(wire))
    assert j.verdict == FAIL
    assert j.reason.startswith("injection: ") and named in j.reason, j.reason


def test_refusal_passes_only_for_uncarriable_values():
    assert judge_refusal([{"data": "x", "id": "a\nb"}], "no").verdict == PASS
    j = judge_refusal([{"data": "a\nb"}], "nope")
    assert j.verdict == FAIL and "refused messages the format can carry: nope" in j.reason


def test_removing_only_an_uncarriable_value_is_a_warning():
    m = [{"data": "x", "event": "a\nb"}]
    j = judge_bytes(m, parse("event: ab\ndata: x\n\n"))
    assert j.verdict == WARNING and "wrote, removed or replaced a value" in j.reason
    j = judge_bytes([{"data": "x", "id": "1"}, {"data": "y", "id": "2\n3"}],
                    parse("id: 1\ndata: x\n\ndata: y\n\n"))
    assert j.verdict == WARNING, j.reason


def test_a_library_keepalive_is_a_warning_but_a_retry_of_its_own_fails():
    """A comment is not a field; a reconnection time nobody asked for is an
    extra reconnection time, which the protocol's rule fails."""
    j = judge_bytes([{"data": "x"}], parse(":ping\ndata: x\n\n"))
    assert j.verdict == WARNING and "'ping'" in j.reason
    j = judge_bytes([{"data": "x"}], parse("retry: 3000\n\ndata: x\n\n"))
    assert j.verdict == FAIL and "record 1 is a retry" in j.reason


def test_a_keepalive_with_an_uncarriable_value_is_still_a_warning():
    j = judge_bytes([{"data": "x", "id": "1\x00"}], parse(":hi\nid: 1\x00\ndata: x\n\n"))
    assert j.verdict == WARNING and "also added the comment 'hi'" in j.reason


def test_anything_else_fails_with_the_first_difference():
    j = judge_bytes([{"data": " x"}], parse("data: x\n\n"))
    assert j.verdict == FAIL and "record 1 (event) differs in data" in j.reason
    j = judge_bytes([{"data": "x"}, {"data": "y"}], parse("data: x\ndata: y\n\n"))
    assert j.verdict == FAIL


def test_a_comment_written_as_comment_lines_forges_nothing():
    """Seen fuzzing h3 2.0.8: its comment lines were safe, but the empty
    event it writes after a retry was blamed on the comment's `data:` line."""
    m = [{"comment": "\rdata:"}, {"retry": 5}, {"data": "y"}]
    j = judge_bytes(m, parse(": \n: data:\n\nretry: 5\ndata: \n\ndata: y\n\n"))
    assert j.verdict == FAIL and not j.injection, j.reason
    assert j.reason.endswith("record 2 (event) differs in data"), j.reason
    # the same comment written raw is injection, whatever follows
    j = judge_bytes(m, parse(": \rdata:\n\nretry: 5\ndata: y\n\n"))
    assert j.verdict == FAIL and "a data field forged from message 1's comment value" in j.reason
    # one line of the comment written raw: still injection
    m = [{"comment": "a\nevent: x"}, {"data": "y"}]
    j = judge_bytes(m, parse(": a\nevent: x\ndata: y\n\n"))
    assert j.injection and "an event field forged" in j.reason
