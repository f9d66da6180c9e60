"""Split variants: ids, chunks, counts and skip-variant."""

from __future__ import annotations

from pathlib import Path

from harness.core.cases import parse_case
from harness.parser_suite.variants import variants


def case(body: str, name: str = "area/x"):
    return parse_case("about a test case\nrule L1\n" + body, name, Path(f"/tmp/{name}.case"))


def test_three_byte_input():
    vs = variants(case('chunk "ab"\nchunk "\\n"\nend\n'))
    assert [v.id for v in vs] == ["area/x", "area/x@bytes", "area/x@split-1", "area/x@split-2"]
    assert [v.name for v in vs] == ["whole", "bytes", "split-1", "split-2"]
    assert [v.chunks() for v in vs] == [[b"ab", b"\n"], [b"a", b"b", b"\n"],
                                        [b"a", b"b\n"], [b"ab", b"\n"]]
    assert [v.marker for v in vs] == ["variant_whole", "variant_bytes", "variant_split",
                                      "variant_split"]


def test_splits_only_up_to_512_bytes():
    at_limit = variants(case('chunk "x" * 512\nend\n'))
    assert len(at_limit) == 2 + 511
    assert at_limit[-1].chunks() == [b"x" * 511, b"x"]
    over = variants(case('chunk "x" * 513\nend\n'))
    assert [v.id for v in over] == ["area/x", "area/x@bytes"]
    assert len(over[1].chunks()) == 513


def test_empty_input_has_only_the_case_itself():
    assert [v.id for v in variants(case("end\n"))] == ["area/x"]
    assert [v.id for v in variants(case('chunk ""\nchunk ""\nend\n'))] == ["area/x"]


def test_skip_variant_is_honoured():
    no_bytes = variants(case('skip-variant bytes too slow\nchunk "abc"\nend\n'))
    assert [v.id for v in no_bytes] == ["area/x", "area/x@split-1", "area/x@split-2"]
    no_splits = variants(case('skip-variant splits too many\nchunk "abc"\nend\n'))
    assert [v.id for v in no_splits] == ["area/x", "area/x@bytes"]


def test_collected_ids_and_markers(check):
    r = check()
    ids = list(r.verdicts())
    assert len(ids) == 59
    three = [i for i in ids if i.startswith("fields/three-bytes")]
    assert three == ["fields/three-bytes", "fields/three-bytes@bytes",
                     "fields/three-bytes@split-1", "fields/three-bytes@split-2"]
    assert [i for i in ids if i.startswith("sizes/")] == [
        "sizes/large", "sizes/large@bytes", "sizes/no-variants"]
    assert ids.count("dispatch/empty") == 1
    entry = r.case("fields/three-bytes@split-2")
    assert (entry["case"], entry["variant"], entry["rule"]) == ("fields/three-bytes", "split-2", "F4")


def test_select_by_marker(check):
    whole = check("-m", "variant_whole")
    assert whole.rc == 0
    assert len(whole.verdicts()) == 7
    assert all("@" not in i for i in whole.verdicts())
    b = check("-m", "variant_bytes")
    assert sorted(b.verdicts()) == ["fields/kinds@bytes", "fields/simple@bytes",
                                    "fields/three-bytes@bytes", "open/differs@bytes",
                                    "sizes/large@bytes"]
    assert len(check("-m", "not variant_split").verdicts()) == 12


def test_select_by_name(check):
    r = check("-k", "three")
    assert sorted(r.verdicts()) == ["fields/three-bytes", "fields/three-bytes@bytes",
                                    "fields/three-bytes@split-1", "fields/three-bytes@split-2"]
    r = check("-k", "fields and not kinds and not simple")
    assert {i.split("@")[0] for i in r.verdicts()} == {"fields/three-bytes"}
    r = check("-k", "sizes/large")
    assert sorted(r.verdicts()) == ["sizes/large", "sizes/large@bytes"]


def test_verbose_lists_every_variant(check):
    r = check("-v", "-k", "three")
    lines = [x for x in r.stdout.splitlines() if x.startswith(("PASS", "FAIL", "SKIP", "INFO"))]
    assert lines == ["PASS  fields/three-bytes", "PASS  fields/three-bytes@bytes",
                     "PASS  fields/three-bytes@split-1", "PASS  fields/three-bytes@split-2"]
