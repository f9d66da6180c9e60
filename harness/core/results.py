"""Verdicts of one run, and writing them as JSON and JUnit XML (docs/results.md)."""

from __future__ import annotations

import json
import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.records import Record, line
from harness.core.rules import RULES

PASS, FAIL, SKIPPED, INFORMATIONAL = "pass", "fail", "skipped", "informational"
# the producer suite's "not wrong, but worth fixing" (an uncarriable value
# removed rather than refused, a recommended header missing): never fails a run
WARNING = "warning"
VERDICTS = (PASS, FAIL, SKIPPED, INFORMATIONAL, WARNING)
NOT_PASSED = (FAIL, INFORMATIONAL, WARNING)   # the verdicts whose details are kept


@dataclass
class Result:
    id: str
    case: str
    variant: str
    rule: str
    verdict: str
    reason: str = ""
    expected: list[Record] | None = None
    actual: list[Record] | None = None
    error: str | None = None        # the adapter's error text, when it answered with one
    stderr: str = ""                # adapter stderr written during this case, when relevant
    seconds: float = 0.0
    problems: list[str] | None = None   # client suite: every problem found, the reason first
    requests: list[dict] | None = None  # client suite: the requests the server saw
    baseline: str | None = None     # with --expect: the verdict the baseline expects, if listed

    @property
    def expected_failure(self) -> bool:
        """A failure the run's baseline expects: it does not fail the run."""
        return self.verdict == FAIL and self.baseline in (FAIL, "flaky")

    def as_json(self) -> dict:
        out: dict = {"id": self.id, "case": self.case, "variant": self.variant,
                     "rule": self.rule, "verdict": self.verdict, "reason": self.reason}
        if self.baseline is not None:
            out["baseline"] = self.baseline
        if self.verdict in NOT_PASSED:
            out["expected"], cut_e = _capped(self.expected)
            out["actual"], cut_a = _capped(self.actual)
            if cut_e or cut_a:
                out["truncated"] = True
            if self.error is not None:
                out["error"] = self.error
            if self.stderr:
                out["stderr"] = self.stderr
            if self.problems is not None:
                out["problems"] = self.problems
            if self.requests is not None:
                out["requests"] = self.requests
        return out


# The longest string a record keeps in the JSON: a 63 MiB event, reported
# for two variants, would otherwise make the file 130 MB.
JSON_STRING_MAX = 65536


def _capped(records: list[Record] | None) -> tuple[list[Record] | None, bool]:
    """records with every string longer than JSON_STRING_MAX cut to it and
    followed by `...[N more characters]`, and whether any was cut."""
    if records is None:
        return None, False
    cut = False
    out: list[Record] = []
    for r in records:
        c = dict(r)
        for k, v in r.items():
            if isinstance(v, str) and len(v) > JSON_STRING_MAX:
                c[k] = f"{v[:JSON_STRING_MAX]}...[{len(v) - JSON_STRING_MAX} more characters]"
                cut = True
        out.append(c)
    return out, cut


@dataclass
class Run:
    """Everything a report needs about one run of a suite."""

    suite: str
    adapter: dict
    results: list[Result] = field(default_factory=list)
    seconds: float = 0.0
    notes: list[str] = field(default_factory=list)
    left_out: list[dict] = field(default_factory=list)  # skip-variant lines: case, variant, reason
    server: dict | None = None      # client suite: the scenario server's command and end note
    baseline: dict | None = None    # with --expect: the comparison (harness/core/expect.py)
    folders: dict[str, list[str]] = field(default_factory=dict)  # where the cases came from:
    #                                 "cases", "scenarios", "producers" -> folders

    def summary(self) -> dict[str, int]:
        counts = {v: 0 for v in VERDICTS}
        for r in self.results:
            counts[r.verdict] += 1
        counts["total"] = len(self.results)
        return counts

    def by_rule(self) -> dict[str, dict[str, int]]:
        table: dict[str, dict[str, int]] = {}
        for r in self.results:
            row = table.setdefault(r.rule, {v: 0 for v in VERDICTS})
            row[r.verdict] += 1
        order = list(RULES)
        return dict(sorted(table.items(), key=lambda kv: (
            order.index(kv[0]) if kv[0] in order else len(order), kv[0])))

    def as_json(self) -> dict:
        out = {"suite": self.suite, "adapter": self.adapter, "summary": self.summary(),
               "by_rule": self.by_rule(), "seconds": round(self.seconds, 3),
               "notes": self.notes, "left_out": self.left_out, "folders": self.folders,
               "cases": [r.as_json() for r in self.results]}
        if self.server is not None:
            out["server"] = self.server
        if self.baseline is not None:
            out["baseline"] = self.baseline
        return out


def write_json(run: Run, path: Path) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump(run.as_json(), f, indent=1)
        f.write("\n")


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def xml_safe(text: str) -> str:
    """text with the characters XML 1.0 cannot carry written as \\xHH or \\uHHHH."""
    return _NOT_XML.sub(lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100
                        else f"\\u{ord(m.group()):04x}", text)


def _records_text(result: Result) -> str:
    exp = "\n".join(line(r) for r in result.expected or [])
    act = "\n".join(line(r) for r in result.actual or []) if result.actual is not None else "(none)"
    return f"expected records:\n{exp}\nactual records:\n{act}\n"


def write_junit(run: Run, path: Path, details: dict[str, str] | None = None) -> None:
    """JUnit XML, one testcase per variant. pass: a plain testcase; fail:
    <failure>; skipped: <skipped>; informational: a passed testcase with a
    property verdict=informational and the details in <system-out>.
    details maps result ids to the text report of a failure."""
    details = details or {}
    s = run.summary()
    xfail = sum(1 for r in run.results if r.expected_failure)
    s = {**s, FAIL: s[FAIL] - xfail, SKIPPED: s[SKIPPED] + xfail}   # JUnit's reading
    suite = ET.Element("testsuite", {
        "name": f"ssespec.{run.suite}", "tests": str(s["total"]), "failures": str(s[FAIL]),
        "errors": "0", "skipped": str(s[SKIPPED]), "time": f"{run.seconds:.3f}"})
    props = ET.SubElement(suite, "properties")
    for k in ("name", "version"):
        ET.SubElement(props, "property", {"name": f"adapter.{k}", "value": xml_safe(str(run.adapter.get(k, "")))})
    ET.SubElement(props, "property", {"name": "informational", "value": str(s[INFORMATIONAL])})
    for r in run.results:
        tc = ET.SubElement(suite, "testcase", {
            "classname": f"{run.suite}.{r.case.replace('/', '.')}", "name": r.id,
            "time": f"{r.seconds:.6f}"})
        p = ET.SubElement(tc, "properties")
        ET.SubElement(p, "property", {"name": "rule", "value": r.rule})
        ET.SubElement(p, "property", {"name": "verdict", "value": r.verdict})
        if r.expected_failure:   # as pytest writes an xfail
            ET.SubElement(tc, "skipped", {"type": "pytest.xfail",
                                          "message": xml_safe(f"expected failure (baseline): "
                                                              f"{r.reason}")})
        elif r.verdict == FAIL:
            el = ET.SubElement(tc, "failure", {"message": xml_safe(r.reason)})
            el.text = xml_safe(details.get(r.id) or _records_text(r))
        elif r.verdict == SKIPPED:
            ET.SubElement(tc, "skipped", {"message": xml_safe(r.reason)})
        elif r.verdict in (INFORMATIONAL, WARNING):
            out = ET.SubElement(tc, "system-out")
            out.text = xml_safe(f"{r.verdict}: {r.reason}\n" + (details.get(r.id) or _records_text(r)))
    path.parent.mkdir(parents=True, exist_ok=True)
    root = ET.Element("testsuites", {"tests": str(s["total"]), "failures": str(s[FAIL]),
                                     "errors": "0", "skipped": str(s[SKIPPED]),
                                     "time": f"{run.seconds:.3f}"})
    root.append(suite)
    ET.indent(root)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)


def merge_json(parts: list[Path], path: Path) -> None:
    """One JSON file for a run of both suites: {"suites": [PARSER, CLIENT]},
    each part the object one suite writes alone."""
    suites = [json.loads(p.read_text(encoding="utf-8")) for p in parts if p.exists()]
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8") as f:
        json.dump({"suites": suites}, f, indent=1)
        f.write("\n")


def merge_junit(parts: list[Path], path: Path) -> None:
    """One JUnit file for a run of both suites: one <testsuites> holding each
    part's <testsuite>, with the totals added up."""
    root = ET.Element("testsuites")
    totals = {"tests": 0, "failures": 0, "errors": 0, "skipped": 0}
    seconds = 0.0
    for p in parts:
        if not p.exists():
            continue
        for suite in ET.parse(p).getroot().iter("testsuite"):
            root.append(suite)
            for k in totals:
                totals[k] += int(suite.get(k, "0"))
            seconds += float(suite.get("time", "0"))
    for k, n in totals.items():
        root.set(k, str(n))
    root.set("time", f"{seconds:.3f}")
    ET.indent(root)
    path.parent.mkdir(parents=True, exist_ok=True)
    ET.ElementTree(root).write(path, encoding="utf-8", xml_declaration=True)
