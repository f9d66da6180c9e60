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
