"""`./ssespec check` exit statuses: 0 all passed, 1 a failure, 2 the run
could not be done (with a one-line reason on stderr)."""

from __future__ import annotations

import json
import subprocess

from suite_env import FIXTURE, ROOT, fixture_impl, one_line


def test_correct_adapter_exits_0(check):
    r = check()
    assert r.rc == 0, r.stdout + r.stderr
    assert r.json["summary"] == {"pass": 49, "fail": 0, "skipped": 0, "informational": 10, "warning": 0,
                                 "total": 59}
    assert "49 passed, 0 failed, 0 skipped, 10 informational" in r.stdout


def test_wrong_records_exit_1(check):
    r = check(flags=("--wrong-on", "fields/simple@split-4"))
    assert r.rc == 1
    assert r.json["summary"]["fail"] == 1
    assert r.verdicts()["fields/simple@split-4"] == "fail"


def test_no_hello_exits_2(check):
    r = check("--timeout", "1", flags=("--no-hello",))
    assert r.rc == 2
    assert "no hello within 1 s" in one_line(r.stderr)
    assert r.seconds < 30
    assert r.json is None


def test_hello_that_is_not_json_exits_2(check):
    r = check(flags=("--hello", "hello there"))
    assert r.rc == 2
    assert "not JSON" in one_line(r.stderr)


def test_hello_of_wrong_shape_exits_2(check):
    r = check(flags=("--hello", json.dumps({"hello": {"name": "x", "version": "1"}})))
    assert r.rc == 2
    assert '"reports"' in one_line(r.stderr)


def test_hello_without_event_exits_2(check):
    r = check(flags=("--reports", "retry,end"))
    assert r.rc == 2
    assert 'does not include "event"' in one_line(r.stderr)


def test_hello_with_unknown_kind_exits_2(check):
    r = check(flags=("--reports", "event,events"))
    assert r.rc == 2
    assert "unknown kind 'events'" in one_line(r.stderr)


def test_adapter_exiting_before_hello_exits_2(check):
    r = check("--impl", f"{FIXTURE[0]} -c 'import sys; sys.exit(7)'")
    assert r.rc == 2
    assert "exited with status 7 before its hello" in one_line(r.stderr)


def test_missing_adapter_command_exits_2(check):
    r = check("--impl", "/nonexistent/ssespec-adapter --flag")
    assert r.rc == 2
    assert "not found" in one_line(r.stderr)


def test_unsplittable_command_exits_2(check):
    r = check("--impl", "adapter 'unterminated")
    assert r.rc == 2
    one_line(r.stderr)


def test_bad_case_file_exits_2(check):
    r = check(cases="bad")
    assert r.rc == 2
    line = one_line(r.stderr)
    assert "broken.case:4" in line and "frobnicate" in line


def test_selection_of_nothing_exits_2(check):
    r = check("-k", "no_such_case_anywhere")
    assert r.rc == 2
    assert "no case selected" in one_line(r.stderr)


def run(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(ROOT / "ssespec"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=60)


def test_bad_arguments_exit_2():
    for args in (["check", "--bogus"], ["frobnicate"], [], ["check", "--timeout", "-1",
                 "--impl", fixture_impl()], ["check", "--cases", "/nonexistent/dir"],
                 ["check", "-k", "a and ("], ["test", "--only", "no-such-step"]):
        p = run(*args)
        assert p.returncode == 2, (args, p.stdout, p.stderr)
        one_line(p.stderr)


def test_help_exits_0():
    for args in (["--help"], ["check", "--help"], ["test", "--help"], ["adapter", "--help"],
                 ["parse", "--help"]):
        p = run(*args)
        assert p.returncode == 0, (args, p.stderr)
        assert "usage: ssespec" in p.stdout
    assert "eventsource-parser" in run("check", "--help").stdout or not (
        ROOT / "adapters" / "eventsource-parser" / "adapter.json").exists()


def test_test_steps_listed():
    p = run("test", "--list")
    assert p.returncode == 0
    names = [line.split()[0] for line in p.stdout.splitlines()]
    assert names[:2] == ["build-release", "ctest-release"]
    assert "pytest" in names and "conformance-asan" in names and "format" in names
