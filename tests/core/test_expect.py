"""Expectation baselines (harness/core/expect.py): the file format, which
entry decides, and how a run compares."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.core.expect import ExpectError, parse
from harness.core.results import FAIL, INFORMATIONAL, PASS, Result

TEXT = """\
# a comment
suite parser
fail  bom/strip@split-3   the third split
fail  bom/strip           every variant
informational  rule:F9-empty   open point
fail  gone/case
suite client
fail  status/404-fails@tls
"""


def res(case: str, variant: str, verdict: str, rule: str = "D1") -> Result:
    vid = case if variant in ("whole", "http") else f"{case}@{variant}"
    return Result(id=vid, case=case, variant=variant, rule=rule, verdict=verdict)


def test_entries_are_read_per_suite():
    b = parse(TEXT, Path("b.txt"))
    assert [(e.suite, e.verdict, e.selector) for e in b.entries] == [
        ("parser", FAIL, "bom/strip@split-3"), ("parser", FAIL, "bom/strip"),
        ("parser", INFORMATIONAL, "rule:F9-empty"), ("parser", FAIL, "gone/case"),
        ("client", FAIL, "status/404-fails@tls")]
    assert b.entries[0].reason == "the third split"
    assert [e.kind for e in b.entries[:3]] == ["variant", "case", "rule"]


@pytest.mark.parametrize("text, problem", [
    ("fail x\n", "before any 'suite NAME'"),
    ("suite parser\nmaybe x\n", "unknown verdict 'maybe'"),
    ("suite parser\nfail BOM/x\n", "is not a variant id"),
    ("suite parser\nfail x\nfail x\n", r"listed twice \(first on line 2\)"),
    ("suite parser\nfail\n", "expected 'VERDICT SELECTOR"),
])
def test_malformed_baselines_name_the_line(text, problem):
    with pytest.raises(ExpectError, match=problem) as e:
        parse(text, Path("b.txt"))
    assert str(e.value).startswith("b.txt:")


def test_the_most_specific_entry_decides_and_the_run_compares():
    sb = parse(TEXT, Path("b.txt")).for_suite("parser")
    results = [res("bom/strip", "whole", FAIL), res("bom/strip", "split-3", FAIL),
               res("bom/strip", "bytes", PASS), res("other/x", "whole", FAIL),
               res("retry/empty", "whole", INFORMATIONAL, "F9-empty")]
    assert sb.entry_for(results[1]).selector == "bom/strip@split-3"
    assert sb.entry_for(results[0]).selector == "bom/strip"
    c = sb.compare(results)
    assert [r.id for r in c.expected] == ["bom/strip", "bom/strip@split-3"]
    assert [r.id for r in c.unexpected] == ["other/x"]
    assert [r.id for r, _ in c.fixed] == ["bom/strip@bytes"]
    assert [e.selector for e in c.stale] == ["gone/case"]


def test_a_listed_failure_that_became_informational_is_reported_not_failed():
    sb = parse("suite parser\nfail a/b\n", Path("b.txt")).for_suite("parser")
    c = sb.compare([res("a/b", "whole", INFORMATIONAL)])
    assert not c.unexpected and [r.id for r, _ in c.changed] == ["a/b"]


def test_flaky_entries_accept_either_verdict():
    sb = parse("suite client\nflaky a/b@tls   late under load\nflaky c/d\n",
               Path("b.txt")).for_suite("client")
    failed, passed = res("a/b", "tls", FAIL), res("c/d", "tls", PASS)
    c = sb.compare([failed, passed, res("a/b", "http", FAIL)])
    assert [r.id for r in c.expected] == ["a/b@tls"]
    assert [r.id for r in c.unexpected] == ["a/b"]      # the plain variant is not listed
    assert not c.fixed and not c.stale and not c.changed
    failed.baseline = "flaky"
    assert failed.expected_failure


def test_the_plain_variant_is_named_by_its_variant():
    """A bare NAME is the case (all its variants); NAME@http or NAME@whole is
    the plain variant alone, so "fails over HTTP, passes over TLS" can be said."""
    sb = parse("suite client\nfail a/b@http\nsuite parser\nfail c/d@whole\n",
               Path("b.txt"))
    c = sb.for_suite("client").compare([res("a/b", "http", FAIL), res("a/b", "tls", PASS)])
    assert [r.id for r in c.expected] == ["a/b"] and not c.fixed
    c = sb.for_suite("parser").compare([res("c/d", "whole", FAIL), res("c/d", "bytes", FAIL)])
    assert [r.id for r in c.expected] == ["c/d"] and [r.id for r in c.unexpected] == ["c/d@bytes"]


def test_written_baselines_name_the_plain_variant_so_they_read_back_the_same(tmp_path):
    from harness.core.expect import load, write
    results = [res("a/b", "http", FAIL), res("a/b", "tls", PASS),
               res("e/f", "http", FAIL), res("e/f", "tls", FAIL)]
    path = tmp_path / "x.txt"
    assert write(path, [("client", "x", results)]) == 2
    sels = [e.selector for e in load(path).entries]
    assert sels == ["a/b@http", "e/f"]
    c = load(path).for_suite("client").compare(results)
    assert len(c.expected) == 3 and not c.unexpected and not c.fixed and not c.stale
