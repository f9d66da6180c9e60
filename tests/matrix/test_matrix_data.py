"""matrix.json's data, built from a real check's JSON (conftest.py:
defect_check), and the small pieces it is made with."""

from __future__ import annotations

import time

import pytest
from matrix_env import BASIC_CASES, literal
from suite_env import ROOT

from harness.matrix import causes, data
from harness.matrix.impls import Target, bundled_targets, select, user_targets
from harness.matrix.inputs import Inputs, variant_chunks
from harness.matrix.run import CheckOptions, Outcome


def impl_data(defect_check, monkeypatch=None, baseline=True) -> data.ImplData:
    target = Target("parser-1", literal("x"), "parser", literal("x"), False,
                    baseline=defect_check.baseline if baseline else None)
    o = Outcome(target, [], 1, 1.5, defect_check.json_path)
    return data.ImplData(o, Inputs(cases=BASIC_CASES), CheckOptions(cases=str(BASIC_CASES)))


def built(*ds: data.ImplData) -> dict:
    return data.build(list(ds), Inputs(cases=BASIC_CASES), time.time(), 2.0, {})


# ---------------------------------------------------------------- small pieces

@pytest.mark.parametrize("reason, want", [
    ("A: one; C: two", [("A", "one"), ("C", "two")]),
    ('2: an event without an id gets lastEventId ""',
     [("2", 'an event without an id gets lastEventId ""')]),
    ("F9-range (open): a value beyond the range", [("F9-range (open)", "a value beyond the range")]),
    ("A: x (see B; then y)", [("A", "x (see B; then y)")]),
    ("Chromium refuses it (9.2.2: decoded as UTF-8)", [("", "Chromium refuses it (9.2.2: decoded as UTF-8)")]),
    ("A: same; A: same", [("A", "same")]),
    ("", []),
])
def test_causes_split_a_reason_at_its_labels(reason, want):
    assert [(c.label, c.text) for c in causes.split(reason)] == want


def test_verdict_letters_round_trip():
    for letters in ("", "p", "ppppf", "ffpp-ii", "p" * 300 + "f"):
        assert data.unrle(data.rle(letters)) == letters
    assert data.rle("ppppfss") == "4pf2s"


def test_variant_runs_round_trip():
    names = ["whole", "bytes"] + [f"split-{k}" for k in range(1, 12)] + ["split-14"]
    compact = data.compact_variants(names)
    assert compact == ["whole", "bytes", "split-1..11", "split-14"]
    assert data.expand_variants(compact) == names


def test_variant_chunks_follow_the_split_variants():
    inp = Inputs(cases=BASIC_CASES).get("parser", "fields/kinds")
    assert inp is not None and inp.data == b"retry: 5\n: hi\nid: 7\ndata: a\n\n"
    assert variant_chunks(inp, "whole") == [b"retry: 5\n", b": hi\n", b"id: 7\ndata: a\n\n"]
    assert variant_chunks(inp, "bytes")[:3] == [b"r", b"e", b"t"]
    assert variant_chunks(inp, "split-4") == [b"retr", inp.data[4:]]


def test_client_variants_of_parser_cases_read_the_case():
    inp = Inputs(cases=BASIC_CASES).get("client", "cases/fields/simple")
    assert inp is not None and inp.data == b"data: hi\n\n"
    scenario = Inputs().get("client", "bom/reconnected-body-bom-removed")
    assert scenario is not None and scenario.data is None
    assert scenario.source.startswith("about ") and "#" not in scenario.source.split("\n")[0]


def test_rule_texts_give_every_rule_its_section():
    texts = data.rule_texts()
    assert set(texts) == set(data.RULES)
    assert texts["D1"][1].startswith("9.2.6")
    assert texts["E2"][1] == "9.2.6 dispatch step 2"     # "step 2" read with E1's section


def test_selection_of_bundled_implementations():
    every = bundled_targets()
    refs = [t for t in every if t.name == "reference"]
    assert [t.kind for t in refs] == ["parser", "client", "server"]
    assert {t.id for t in select(every, ["reference"], False)} == {
        "reference-parser", "reference-client", "reference-server"}
    assert {t.kind for t in select(every, ["clients"], False)} == {"client"}
    assert not any(t.slow for t in select(every, [], True))
    assert all(t.baseline is not None for t in every if t.bundled and t.name != "reference")
    from harness.core.errors import Fatal
    with pytest.raises(Fatal, match="nosuch"):
        select(every, ["reference,nosuch"], False)
    mine = user_targets([("parser", "python3 a.py"), ("parser", "python3 b.py"), ("client", "x")])
    assert [t.id for t in mine] == ["parser-1", "parser-2", "client-1"]


# ---------------------------------------------------------------- one implementation

def test_an_implementations_entry(defect_check):
    d = impl_data(defect_check)
    e = d.entry
    assert e["name"].startswith("ssespec-literal+")       # the adapter's hello names it
    assert e["version"] and e["command"][0] == "/usr/bin/python3"
    assert e["summary"]["fail"] > 0 and e["not_run"] == ""
    assert set(e["cells"]) == {"fields/kinds", "fields/simple", "sizes/large",
                               "sizes/no-variants", "open/differs"}
    cell = e["cells"]["fields/kinds"]
    first = cell["details"][0]
    assert first["id"] == "fields/kinds" and first["verdict"] == "fail"
    assert first["reason"] == "records differ"
    assert first["expected"] and first["actual"] and first["expected"] != first["actual"]
    assert first["chunks"][0].startswith("3 chunks")
    assert e["baseline_entries"][str(first["baseline"])][1] == "fields/kinds"
    assert e["rerun"].replace("ID", first["id"]).endswith("-k fields/kinds")
    # the other variants, by reason, as runs
    assert cell["others"] == [{"reason": "fail: records differ",
                               "variants": ["bytes", "split-1..28"]}]


def test_the_baselines_causes_with_their_minimal_cases(defect_check):
    e = impl_data(defect_check).entry
    found = {c["label"]: c for c in e["causes"]}
    assert set(found) == {"A", "B", "Z", "F7 (open)"}
    assert found["A"]["minimal"]["id"] == "fields/kinds"
    # B explains fields/kinds (29 bytes), fields/simple (10) and sizes/large (608)
    assert found["B"]["cases"] == 3
    assert found["B"]["minimal"]["id"] == "fields/simple"
    assert found["B"]["minimal"]["input"] == '"data: hi\\n\\n"'
    # Z is named by the case entry only; the plain variant has an entry of its own
    assert found["Z"]["minimal"]["id"] == "fields/simple@bytes"
    assert found["F7 (open)"]["verdict"] == "informational"
    assert e["unlisted"]["variants"] == 1
    assert e["unlisted"]["minimal"]["id"] == "sizes/no-variants"
    b = e["baseline"]
    assert not b["holds"] and b["stale"] == 1 and b["unexpected_failures"] == 1
    assert b["stale_list"] == ["nothing/here (line 7)"]


def test_details_past_the_budget_are_trimmed(defect_check, monkeypatch):
    monkeypatch.setattr(data, "DETAIL_BUDGET", 1)
    e = impl_data(defect_check).entry
    for cell in e["cells"].values():
        d = cell["details"][0]
        assert d["trimmed"] and "expected" not in d and "chunks" not in d
        assert d["reason"] and d["id"]


def test_the_matrix_object(defect_check):
    d = impl_data(defect_check, baseline=False)
    m = built(d)
    assert m["format"] == data.FORMAT
    cases = m["suites"]["parser"]["cases"]
    names = [c["name"] for c in cases]
    kinds = names.index("fields/kinds")
    assert cases[kinds]["input"] == '"retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n"'
    assert cases[kinds]["variants"] == ["whole", "bytes", "split-1..28"]
    # rows in rule order: F4 before F7 before F9 before E6
    assert [c["rule"] for c in cases] == sorted(
        (c["rule"] for c in cases), key=list(data.RULES).index)
    e = m["impls"][0]
    assert len(e["verdicts"]) == len(cases)
    assert e["verdicts"][kinds] == "30f"
    assert e["causes"] == [] and e["unlisted"] is None     # no baseline, no causes
    assert m["rules"]["F9"]["section"].startswith("9.2.6")


def test_a_check_that_did_not_run(tmp_path):
    t = Target("parser-1", "x", "parser", "x", False)
    o = Outcome(t, [], 2, 0.3, None, "ssespec: no hello within 5 s\n", "no hello within 5 s")
    m = built(data.ImplData(o, Inputs(), CheckOptions()))
    e = m["impls"][0]
    assert e["not_run"] == "no hello within 5 s" and e["verdicts"] == [] and e["summary"] is None
    assert e["stderr"].startswith("ssespec: no hello")


def test_the_command_line_given_is_kept(defect_check):
    e = impl_data(defect_check).entry
    assert e["check"].startswith("./ssespec check --impl '/usr/bin/python3 ")
    assert e["check"].endswith(f"--cases {BASIC_CASES}")
    assert str(ROOT) in e["check"]
