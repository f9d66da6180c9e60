"""Unit tests of the client adapter protocol (harness/protocol/client.py):
the hello, the open command and report normalising."""
from __future__ import annotations

import json

import pytest

from harness.protocol.client import ClientHelloError, open_command, parse_client_hello


def ev(data: str, id_: str = "", type_: str = "message") -> dict:
    return {"kind": "event", "type": type_, "data": data, "lastEventId": id_}


def test_client_hello_parsed_with_defaults():
    h = parse_client_hello(b'{"hello": {"name": "n", "version": "2", "reports": ["event", "open"]}}')
    assert (h.name, h.version, h.reports, h.max_streams) == ("n", "2", ["event", "open"], 1)
    h = parse_client_hello(json.dumps({"hello": {"name": "n", "version": "2", "reports": ["event"],
                                                 "max_streams": 300, "extra": 1}}).encode())
    assert h.max_streams == 300 and h.raw["extra"] == 1


@pytest.mark.parametrize("hello", [
    {"hello": {"name": "n", "version": "2", "reports": ["event"], "max_streams": True}},
    {"hello": {"name": "n", "version": "2", "reports": ["event"], "max_streams": 1.5}},
    {"hello": {"name": "n", "version": "2", "reports": ["event", "end"]}},
    {"hello": {"name": 3, "version": "2", "reports": ["event"]}},
    {"hello": []},
])
def test_bad_client_hellos(hello):
    with pytest.raises(ClientHelloError):
        parse_client_hello(json.dumps(hello).encode())


@pytest.mark.parametrize("key", ["fetch", "h2", "h2c"])
def test_capabilities_are_booleans(key):
    base = {"name": "n", "version": "2", "reports": ["event"]}
    assert parse_client_hello(json.dumps({"hello": {**base, key: True}}).encode()).raw[key] is True
    with pytest.raises(ClientHelloError, match=f'hello "{key}" must be true or false'):
        parse_client_hello(json.dumps({"hello": {**base, key: "yes"}}).encode())

def test_open_command_carries_h2c_only_when_asked():
    """`"h2c": true` is an extension sent only in the opens of h2c variants."""
    assert open_command("s#1", "http://h/", ["message"]) == {
        "cmd": "open", "stream": "s#1", "url": "http://h/", "types": ["message"]}
    assert open_command("s#2", "http://h/", ["message"], h2c=True) == {
        "cmd": "open", "stream": "s#2", "url": "http://h/", "types": ["message"], "h2c": True}

