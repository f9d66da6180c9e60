"""index.html, the implementation pages and docs/peers.md, made from the
data of two real checks (conftest.py): the reference parser and the literal
parser with seeded defects, held to a baseline."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser

import pytest
from matrix_env import BASIC_CASES, literal

from harness.matrix import data, detail
from harness.matrix import html as index_html
from harness.matrix import peers_doc, report, view
from harness.matrix.impls import Target
from harness.matrix.inputs import Inputs
from harness.matrix.page import GLYPHS
from harness.matrix.run import CheckOptions, Outcome

CLASS_GLYPH = {cls: g for g, cls in GLYPHS.values()}


@pytest.fixture(scope="module")
def matrix(defect_check, reference_check) -> dict:
    opts = CheckOptions(cases=str(BASIC_CASES))
    inputs = Inputs(cases=BASIC_CASES)
    ref = Target("reference-parser", "reference", "parser", "reference", True)
    lit = Target("parser-1", literal("x"), "parser", literal("x"), False,
                 baseline=defect_check.baseline)
    ds = [data.ImplData(Outcome(ref, [], 0, 1.0, reference_check), inputs, opts),
          data.ImplData(Outcome(lit, [], 1, 2.0, defect_check.json_path), inputs, opts)]
    return data.build(ds, inputs, time.time(), 3.0, {"cases": str(BASIC_CASES)})


class Cells(HTMLParser):
    """The case rows of index.html's matrices: name, data-d, and each cell's
    class, text and link."""

    def __init__(self) -> None:
        super().__init__()
        self.rows: list[dict] = []
        self.td: dict | None = None
        self.th = False
        self.in_case = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "tr":
            self.in_case = a.get("class") == "case"
            if self.in_case:
                self.rows.append({"d": a.get("data-d"), "name": "", "cells": []})
        elif self.in_case and tag == "th" and a.get("scope") == "row":
            self.th = True
        elif self.in_case and tag == "td":
            self.td = {"class": a.get("class"), "text": "", "href": None}
        elif self.td is not None and tag == "a":
            self.td["href"] = a.get("href")

    def handle_endtag(self, tag):
        if tag == "td" and self.td is not None:
            self.rows[-1]["cells"].append(self.td)
            self.td = None
        elif tag == "th":
            self.th = False

    def handle_data(self, text):
        if self.td is not None:
            self.td["text"] += text
        elif self.th and self.rows:
            self.rows[-1]["name"] += text


def case_rows(page: str) -> dict[str, dict]:
    p = Cells()
    p.feed(page)
    return {r["name"]: r for r in p.rows if r["name"]}


def test_every_cell_has_a_glyph_as_well_as_a_colour(matrix):
    rows = case_rows(index_html.render(matrix))
    assert set(rows) == {c["name"] for c in matrix["suites"]["parser"]["cases"]}
    for r in rows.values():
        assert len(r["cells"]) == 2
        for c in r["cells"]:
            assert c["text"].strip().startswith(CLASS_GLYPH[c["class"]]), c


def test_a_failing_cell_aggregates_its_variants_and_links_to_its_detail(matrix):
    rows = case_rows(index_html.render(matrix))
    order = [e["id"] for e in view.ordered(matrix)]
    lit = order.index("parser-1")
    cell = rows["fields/kinds"]["cells"][lit]
    assert cell["class"] == "f" and cell["text"].strip() == "✗ 30/30"
    assert cell["href"] == "impl/parser-1.html#case-fields/kinds"
    ref = rows["fields/kinds"]["cells"][order.index("reference-parser")]
    assert ref["class"] == "p" and ref["href"] is None
    assert rows["open/differs"]["cells"][lit]["text"].strip() == "i 10/10"
    page = detail.render(matrix, next(e for e in matrix["impls"] if e["id"] == "parser-1"))
    assert 'id="case-fields/kinds"' in page


def test_rows_where_implementations_disagree_are_marked(matrix):
    rows = case_rows(index_html.render(matrix))
    assert rows["fields/kinds"]["d"] == "1"          # pass against fail
    assert rows["dispatch/empty"]["d"] == "0"        # both pass
    assert rows["open/differs"]["d"] == "0"          # both informational


def test_the_page_loads_nothing_and_works_without_its_script(matrix):
    page = index_html.render(matrix)
    assert not re.search(r"<link|\ssrc=|@import|url\(", page)
    assert not re.search(r"https?://", page)
    body, _, script = page.partition("<script>")
    assert '<section id="summary">' in body and 'class="m"' in body
    assert '<form id="filters" hidden' in body        # only the script shows the filters
    assert script.count("</script>") == 1


def test_rules_carry_their_section_of_the_standard(matrix):
    page = index_html.render(matrix)
    assert 'id="rule-F9"' in page
    f9 = matrix["rules"]["F9"]
    assert html.escape(f9["section"]) in page and html.escape(f9["title"]) in page


def test_names_and_inputs_are_escaped(matrix):
    m = {**matrix, "impls": [dict(e) for e in matrix["impls"]]}
    m["impls"][1]["name"] = "<b>bold</b> & co"
    page = index_html.render(m)
    assert "<b>bold</b>" not in page and "&lt;b&gt;bold&lt;/b&gt; &amp; co" in page


def test_the_detail_page_of_a_failure(matrix):
    e = next(e for e in matrix["impls"] if e["id"] == "parser-1")
    page = detail.render(matrix, e)
    section = page[page.index('id="case-fields/kinds"'):]
    section = section[:section.index("</section>")]
    text = html.unescape(re.sub(r"<[^>]+>", "", section))
    assert '29 bytes: "retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n"' in text
    assert "3 chunks, lengths 9, 5, 15:" in text
    assert '-{"kind": "comment", "text": " hi"}' in text
    assert '+{"kind": "comment", "text": "hi"}' in text
    assert "A: a comment's text loses one leading space" in text      # the baseline's reason
    assert f"./ssespec check --impl '{e['name'] and e['check'].split(chr(39))[1]}'" in text
    assert "-k fields/kinds" in text and "./ssespec show --cases" in text
    assert "fail: records differ: @bytes, @split-1..28" in text
    # its causes, with the minimal case linked
    assert '<a href="#case-fields/simple">fields/simple</a>' in page
    assert "not in the recorded results" in page


def test_trimmed_cells_are_rows_that_still_show_the_input(matrix, monkeypatch, defect_check):
    monkeypatch.setattr(data, "DETAIL_BUDGET", 1)
    inputs = Inputs(cases=BASIC_CASES)
    lit = Target("parser-1", "lit", "parser", "lit", False)
    d = data.ImplData(Outcome(lit, [], 1, 2.0, defect_check.json_path), inputs, CheckOptions())
    m = data.build([d], inputs, time.time(), 1.0, {})
    page = detail.render(m, m["impls"][0])
    assert '<tr id="case-fields/kinds" class="cell">' in page
    assert "&quot;retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n&quot;" in page
    assert "More cases, in short" in page


def test_the_report_files(matrix, tmp_path):
    size = report.write(matrix, tmp_path / "out")
    files = sorted(p.relative_to(tmp_path / "out").as_posix()
                   for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert files == ["impl/parser-1.html", "impl/reference-parser.html", "index.html",
                     "matrix.json"]
    assert size == sum(p.stat().st_size for p in (tmp_path / "out").rglob("*") if p.is_file())
    assert report.load(tmp_path / "out" / "matrix.json") == matrix


def test_peers_doc_gives_causes_with_their_minimal_cases(matrix):
    text = peers_doc.render(matrix)
    lit = next(e for e in matrix["impls"] if e["id"] == "parser-1")
    assert f"### {lit['name']} {lit['version']} (parser)" in text
    assert "- **A** a comment's text loses one leading space. Rule F9; minimal case " \
           "`fields/kinds` (29 bytes: " in text
    assert "- **B** the data keeps its trailing LF. Rule F7, F9; minimal case `fields/simple` " \
           '(10 bytes: `"data: hi\\n\\n"`).' in text
    assert "**F7 (open)** the harness's own open case (an open point: informational)" in text
    assert "- Not in its recorded results: 1 variants of 1 cases, such as " \
           "`sizes/no-variants`" in text
    assert "no longer hold: 1 unexpected, 1 stale" in text
    assert "### reference 1.0.0 (parser)" in text
    assert "No failures; the informational variants are open points" in text
    assert peers_doc.code("a`b") == "`` a`b ``"


def test_skipped_and_not_run_cells_do_not_disagree():
    p, f, s, n = (view.Cell(v, {}) for v in ("pass", "fail", "skipped", "not run"))
    assert not view.disagree([p, s, n, p])
    assert view.disagree([p, f, s])
    assert not view.disagree([s, s, n])
