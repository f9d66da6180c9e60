"""docs/rules.md and the rule table in code (harness/core/rules.py) list the
same rules, in the same order, with the same open points and Fetch-only
rules; every rule a case or scenario names is in both."""

from __future__ import annotations

import re

from harness.core.paths import ROOT
from harness.core.rules import RULES

ROW = re.compile(r"^\| ([A-Z][0-9]+(?:-[a-z-]+)?) \| (.*?) \|", re.M)


def doc_rules() -> dict[str, str]:
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    return {m.group(1): m.group(2) for m in ROW.finditer(text)}


def test_same_rules_in_the_same_order():
    assert list(doc_rules()) == list(RULES)


def test_same_open_points():
    doc = doc_rules()
    assert {r for r, text in doc.items() if text.startswith("**open**")} == \
        {r.id for r in RULES.values() if r.open}


def test_same_fetch_only_rules():
    doc = doc_rules()
    assert {r for r, text in doc.items() if text.startswith("**Fetch clients**")} == \
        {r.id for r in RULES.values() if r.fetch_only}


def test_same_advisory_rules():
    doc = doc_rules()
    assert {r for r, text in doc.items() if text.startswith("**advisory**")} == \
        {r.id for r in RULES.values() if r.advisory}


def test_every_named_rule_is_known():
    named = set()
    for path in list((ROOT / "corpus").rglob("*.case")) + list((ROOT / "corpus").rglob("*.scenario")):
        m = re.search(r"^rule (\S+)", path.read_text(encoding="utf-8"), re.M)
        assert m, path
        named.add(m.group(1))
    assert named <= set(RULES), named - set(RULES)


def test_each_rules_section_is_the_first_the_doc_cites():
    """section() (the help link in SARIF and the matrix) agrees with the
    "where it comes from" column wherever that names a 9.2 section first."""
    from harness.core.rules import SECTION_ANCHORS, section, section_uri
    text = (ROOT / "docs" / "rules.md").read_text(encoding="utf-8")
    for line in text.splitlines():
        m = re.match(r"^\| ([A-Z][0-9]+(?:-[a-z-]+)?) \|.*\| ([^|]*) \|$", line)
        if not m or m.group(1) not in RULES:
            continue
        cited = re.search(r"9\.2\.\d+", m.group(2))
        if cited and not m.group(2).startswith("step"):
            assert section(m.group(1)) == cited.group(0), line
    for r in RULES:
        assert section(r) in SECTION_ANCHORS and section_uri(r).startswith("https://html.spec")
