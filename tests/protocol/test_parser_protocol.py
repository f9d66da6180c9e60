"""Unit tests of the parser adapter protocol (harness/protocol/parser.py):
the hello, request lines and response lines."""
from __future__ import annotations

import base64
import json

import pytest

from harness.protocol.parser import HelloError, encode_request, parse_hello


def test_hello_accepts_a_proper_hello():
    h = parse_hello(b'{"hello": {"name": "n", "version": "1", "reports": ["event", "end"], "x": 1}}')
    assert (h.name, h.version, h.reports) == ("n", "1", ["event", "end"])
    assert h.raw["x"] == 1


@pytest.mark.parametrize("line, problem", [
    (b"", "not JSON"),
    (b"[1]", "not a hello object"),
    (b'{"case": "x"}', "not a hello object"),
    (b'{"hello": []}', "not an object"),
    (b'{"hello": {"version": "1", "reports": ["event"]}}', '"name"'),
    (b'{"hello": {"name": "n", "version": 1, "reports": ["event"]}}', '"version"'),
    (b'{"hello": {"name": "n", "version": "1"}}', '"reports"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": "event"}}', '"reports"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": ["end"]}}', '"event"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": ["event", "Event"]}}', "unknown kind"),
])
def test_hello_problems_are_named(line, problem):
    with pytest.raises(HelloError, match=problem):
        parse_hello(line)


def test_request_encoding_roundtrips_any_bytes():
    chunks = [b"\x00", b"\xff\xfe", b"", bytes(range(256))]
    req = json.loads(encode_request("a/b@split-1", chunks))
    assert req["case"] == "a/b@split-1"
    assert [base64.b64decode(c, validate=True) for c in req["chunks"]] == chunks
    assert json.loads(encode_request("x", [])) == {"case": "x", "chunks": []}

