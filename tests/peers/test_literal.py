"""The literal parser's own checks: its UTF-8 decoding matches the Encoding
Standard's decoder, the standard's worked examples come out as written, and
every seeded defect changes something.

The literal parser decodes with CPython's incremental UTF-8 decoder
(errors="replace"). That is only right if CPython gives one U+FFFD per
maximal subpart exactly like the WHATWG decoder, also when the bytes arrive
split; so it is checked here against a transcription of the Encoding
Standard's "UTF-8 decoder" algorithm on the classic edge cases and on
thousands of random byte strings cut at random places.
"""

from __future__ import annotations

import base64
import codecs
import json
import random
import subprocess

import pytest
from literal_parser import DEFECTS, parse_stream
from peers_env import LITERAL

# ---------------------------------------------------------------- the Encoding Standard's UTF-8 decoder


def whatwg_utf8_decode(data: bytes) -> str:
    """The Encoding Standard, 'UTF-8 decoder', step by step (without the BOM
    sniffing of 'UTF-8 decode'). A byte that ends a sequence early is
    'prepended to ioQueue', i.e. processed again."""
    out = []
    code_point = bytes_seen = bytes_needed = 0
    lower, upper = 0x80, 0xBF
    i = 0
    n = len(data)
    while True:
        if i == n:
            if bytes_needed != 0:
                out.append("\ufffd")
            return "".join(out)
        byte = data[i]
        i += 1
        if bytes_needed == 0:
            if byte <= 0x7F:
                out.append(chr(byte))
            elif 0xC2 <= byte <= 0xDF:
                bytes_needed, code_point = 1, byte & 0x1F
            elif 0xE0 <= byte <= 0xEF:
                if byte == 0xE0:
                    lower = 0xA0
                if byte == 0xED:
                    upper = 0x9F
                bytes_needed, code_point = 2, byte & 0xF
            elif 0xF0 <= byte <= 0xF4:
                if byte == 0xF0:
                    lower = 0x90
                if byte == 0xF4:
                    upper = 0x8F
                bytes_needed, code_point = 3, byte & 0x7
            else:
                out.append("\ufffd")
            continue
        if not lower <= byte <= upper:
            code_point = bytes_needed = bytes_seen = 0
            lower, upper = 0x80, 0xBF
            i -= 1  # restore byte to ioQueue
            out.append("\ufffd")
            continue
        lower, upper = 0x80, 0xBF
        code_point = (code_point << 6) | (byte & 0x3F)
        bytes_seen += 1
        if bytes_seen != bytes_needed:
            continue
        out.append(chr(code_point))
        code_point = bytes_needed = bytes_seen = 0


def cpython_streaming(chunks: list[bytes]) -> str:
    d = codecs.getincrementaldecoder("utf-8")(errors="replace")
    return "".join(d.decode(c) for c in chunks) + d.decode(b"", final=True)


@pytest.mark.parametrize("data,fffd", [
    (b"\xc0\xaf", 2), (b"\xed\xa0\x80", 3), (b"\xe0\x80", 2), (b"\xf4\x90\x80\x80", 4),
    (b"\xe2\x82a", 1), (b"\xf0\x9f\x98", 1), (b"\xff", 1), (b"\x80\x80", 2), (b"\xf8\x88\x80\x80\x80", 5),
    (b"\xef\xbb", 1), (b"\xe1\x80\xe1\x80\x80", 1),
])
def test_decoder_known_cases(data, fffd):
    expect = whatwg_utf8_decode(data)
    assert expect.count("\ufffd") == fffd
    assert cpython_streaming([data]) == expect
    assert cpython_streaming([data[i:i + 1] for i in range(len(data))]) == expect


def test_decoder_random_streams_match_whatwg():
    r = random.Random(8675309)
    alphabet = [0x00, 0x41, 0x7F, 0x80, 0x8F, 0x90, 0x9F, 0xA0, 0xBF, 0xC0, 0xC1, 0xC2, 0xDF, 0xE0,
                0xE1, 0xED, 0xEE, 0xEF, 0xF0, 0xF1, 0xF4, 0xF5, 0xFF, 0xBB, 0x0A]
    for _ in range(4000):
        data = bytes(r.choice(alphabet) for _ in range(r.randrange(0, 16)))
        cuts = sorted(r.randrange(0, len(data) + 1) for _ in range(r.randrange(0, 4)))
        chunks, last = [], 0
        for c in cuts + [len(data)]:
            chunks.append(data[last:c])
            last = c
        assert cpython_streaming(chunks) == whatwg_utf8_decode(data), (data, chunks)


# ---------------------------------------------------------------- the standard's examples


def events(chunks, defects=frozenset()):
    return [(r["type"], r["data"], r["lastEventId"]) for r in parse_stream(chunks, defects) if r["kind"] == "event"]


def test_standard_examples():
    # "The following stream contains four blocks ..."
    s = b": test stream\n\ndata: first event\nid: 1\n\ndata:second event\nid\n\ndata:  third event\n"
    recs = parse_stream([s])
    assert recs == [
        {"kind": "comment", "text": " test stream"},
        {"kind": "event", "type": "message", "data": "first event", "lastEventId": "1"},
        {"kind": "event", "type": "message", "data": "second event", "lastEventId": ""},
        {"kind": "end", "lastEventId": ""},
    ]
    # "The following stream fires two events" (the last block is discarded)
    assert events([b"data\n\ndata\ndata\n\ndata:"]) == [("message", "", ""), ("message", "\n", "")]
    # "The following stream fires two identical events"
    assert events([b"data:test\n\ndata: test\n\n"]) == [("message", "test", "")] * 2
    assert events([b"data: YHOO\ndata: +2\ndata: 10\n\n"]) == [("message", "YHOO\n+2\n10", "")]
    assert events([b"event: add\ndata: 73857293\n\nevent: remove\ndata: 2153\n\n"]) == [
        ("add", "73857293", ""), ("remove", "2153", "")]


def test_line_endings_and_bom_at_every_split():
    s = b"\xef\xbb\xbfdata: a\r\ndata: \xe2\x82\xac\r\rid: 7\n\ndata: b\r"
    whole = parse_stream([s])
    assert whole == [
        {"kind": "event", "type": "message", "data": "a\n\u20ac", "lastEventId": ""},
        {"kind": "end", "lastEventId": "7"},
    ]
    for k in range(len(s) + 1):
        assert parse_stream([s[:k], s[k:]]) == whole, k
    assert parse_stream([s[i:i + 1] for i in range(len(s))]) == whole
    # a CR at the very end of the stream still ends its line
    assert events([b"data: x\r\r"]) == [("message", "x", "")]


# ---------------------------------------------------------------- the defects


PROBES = [
    [b"\xef\xbb\xbf\xef\xbb\xbfdata: a\n\n"], [b"\xef\xbb\xbfdata: a\n\n"],
    [b"data: a\n\n", b"\xef\xbb\xbfdata: b\n\n"], [b"data: \xe2\x82", b"\xac\xc0\xaf\n\n"],
    [b"data: a\r", b"\ndata: b\n\n"], [b"data: a\r\r"], [b"data: a\rdata: b\n\n"], [b"data: a\n\n"],
    [b"retry: 5"], [b": c\n:  d\n\n"], [b"data\n\n"], [b"data:a:b\n\n"], [b"data:  a \n\n"],
    [b"data:\ta\n\n"], [b"Data: a\n\n"], [b"data : a\n\n"], [b"data: a\ndata: b\n\n"],
    [b"data: a\x00b\n\n"], [b"id: a\x00b\ndata: x\n\n"], [b"id: 1\n\nid\ndata: x\n\n"],
    [b"retry: 10ms\n\n"], [b"retry:  10\n\n"], [b"retry\n\n"], [b"retry: 0\n\n"], [b"id: 5\n\n"],
    [b"id: 1\ndata: a\n\ndata: b\n\n"], [b"event: e\n\n\ndata: x\n\n"],
    [b"event: e\ndata: a\n\ndata: b\n\n"], [b"data: a\ndata:\n\n"], [b"data: x\n\n", b"data: y\n"],
    [b"id: 3\ndata: x\n"], [b"data:\ndata:\n\n"],
]


@pytest.mark.parametrize("defect", sorted(DEFECTS))
def test_every_defect_changes_something(defect):
    changed = [p for p in PROBES if parse_stream(p) != parse_stream(p, frozenset({defect}))]
    assert changed, f"defect {defect} changes none of the probes"


def test_adapter_protocol_round_trip():
    reqs = [
        {"case": "one", "chunks": [base64.b64encode(b"data: a\r").decode(), base64.b64encode(b"\n\n").decode()]},
        {"case": "two", "chunks": []},
        {"case": "bad", "chunks": ["***"]},
    ]
    p = subprocess.run(LITERAL, input="".join(json.dumps(r) + "\n" for r in reqs).encode(),
                       capture_output=True, timeout=30)
    assert p.returncode == 0, p.stderr
    lines = [json.loads(x) for x in p.stdout.decode().splitlines()]
    assert lines[0] == {"hello": {"name": "ssespec-literal", "version": "1",
                                  "reports": ["event", "retry", "comment", "end"]}}
    assert lines[1] == {"case": "one", "records": [
        {"kind": "event", "type": "message", "data": "a", "lastEventId": ""},
        {"kind": "end", "lastEventId": ""}]}
    assert lines[2] == {"case": "two", "records": [{"kind": "end", "lastEventId": ""}]}
    assert lines[3]["case"] == "bad" and "error" in lines[3]


def test_unknown_defect_is_refused():
    p = subprocess.run(LITERAL + ["--defect", "no-such-defect"], capture_output=True, timeout=30)
    assert p.returncode == 2 and b"unknown defect" in p.stderr
