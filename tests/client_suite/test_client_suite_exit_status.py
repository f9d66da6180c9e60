"""`./ssespec check --client` exit statuses: 0 all passed, 1 a failure, 2 the
run could not be done (with one line on stderr). The scenarios are the small
sets below tests/client_suite/scenarios/; the client is the fixture adapter
(tests/support/fixture_client_adapter.py) unless a test names another."""

from __future__ import annotations

import json

import pytest
from suite_env import FIXTURE_CLIENT, one_line


def test_correct_client_exits_0(check_client):
    r = check_client()
    assert r.rc == 0, r.stdout + r.stderr
    assert r.json["suite"] == "client"
    assert r.json["summary"] == {"pass": 7, "fail": 0, "skipped": 0, "informational": 2, "warning": 0,
                                 "total": 9}
    assert "client: 7 passed, 0 failed, 0 skipped, 2 informational (9 variants)" in r.stdout


def test_reference_client_exits_0(check_client):
    r = check_client("--client")
    assert r.rc == 0, r.stdout + r.stderr
    assert r.json["adapter"]["name"] == "ssespec-reference-client"
    # its hello offers h2 and h2c: each scenario also runs @h2 and @h2c
    assert r.json["summary"]["fail"] == 0 and r.json["summary"]["pass"] == 15
    assert {c["variant"] for c in r.json["cases"]} == {"http", "tls", "h2", "h2c"}


def test_wrong_records_exit_1(check_client):
    r = check_client(flags=("--wrong-data-on", "/s/events/"))
    assert r.rc == 1, r.stdout + r.stderr
    v = r.verdicts()
    assert v["events"] == v["events@tls"] == "fail"
    assert v["reconnect"] == "pass"
    assert r.case("events")["reason"] == 'record 2 differs: expected event data="a" id="1", ' \
                                         'got event data="A" id="1"'


def test_no_hello_exits_2(check_client):
    r = check_client("--timeout", "1", flags=("--no-hello",))
    assert r.rc == 2
    assert "no hello within 1 s" in one_line(r.stderr)
    assert r.seconds < 30
    assert r.json is None


@pytest.mark.parametrize("hello, problem", [
    ("hello there", "not JSON"),
    (json.dumps({"hello": {"name": "x", "version": "1"}}), '"reports"'),
    (json.dumps({"hello": {"name": "x", "version": "1", "reports": ["open", "error"]}}),
     'does not include "event"'),
    (json.dumps({"hello": {"name": "x", "version": "1", "reports": ["event", "retry"]}}),
     "unknown kind 'retry'"),
    (json.dumps({"hello": {"name": "x", "version": "1", "reports": ["event"],
                           "max_streams": 0}}), '"max_streams"'),
    (json.dumps({"greeting": {}}), "not a hello object"),
])
def test_malformed_hello_exits_2(check_client, hello, problem):
    r = check_client(flags=("--hello", hello))
    assert r.rc == 2
    assert problem in one_line(r.stderr)
    assert "client adapter:" in r.stderr


def test_adapter_exiting_before_hello_exits_2(check_client):
    r = check_client("--client", f"{FIXTURE_CLIENT[0]} -c 'import sys; sys.exit(7)'")
    assert r.rc == 2
    assert "exited with status 7 before its hello" in one_line(r.stderr)


def test_missing_client_command_exits_2(check_client):
    r = check_client("--client", "/nonexistent/ssespec-client --flag")
    assert r.rc == 2
    assert "not found" in one_line(r.stderr)


def test_parser_adapter_given_to_client_exits_2(check_client):
    r = check_client("--client", "eventsource-parser")
    assert r.rc == 2
    assert "'eventsource-parser' is a parser adapter, not a client adapter" in one_line(r.stderr)


def test_client_adapter_given_to_impl_exits_2(check_client):
    r = check_client("--impl", "eventsource")
    assert r.rc == 2
    assert "'eventsource' is a client adapter, not a parser adapter" in one_line(r.stderr)


@pytest.mark.parametrize("args, problem", [
    (("--scenarios", "/nonexistent/dir"), "no such directory"),
    (("--max-streams", "0"), "--max-streams"),
    (("-k", "(unbalanced"), "-k"),
    (("-k", "no-scenario-has-this-name"), "no scenario selected"),
])
def test_bad_arguments_exit_2(check_client, args, problem):
    r = check_client(*args)
    assert r.rc == 2
    assert problem in one_line(r.stderr)


def test_malformed_scenario_exits_2(check_client):
    r = check_client(scenarios="bad")
    assert r.rc == 2
    line = one_line(r.stderr)
    assert "bad scenario file" in line and "broken.scenario:1: rule: missing" in line


def test_unknown_rule_exits_2(check_client):
    r = check_client(scenarios="unknown-rule")
    assert r.rc == 2
    assert "unknown rule 'Z9'" in one_line(r.stderr)


def test_unsplittable_command_exits_2(check_client):
    r = check_client("--client", "adapter 'unterminated")
    assert r.rc == 2
    assert "cannot split" in one_line(r.stderr)

