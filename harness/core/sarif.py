"""Verdicts as SARIF 2.1.0 (`check --sarif FILE`, docs/results.md, "SARIF"),
the format code-scanning dashboards read.

One SARIF run per suite run. Every variant that did not pass is a result:
a failure is an `error`, a producer-suite warning a `warning`, an
informational verdict a `note`. Each names its rule (id, title, and the
standard's section as the help address) and its case: the case's name as
the logical location, its file as the physical one. A failure the run's
baseline expects is kept, with an external suppression carrying the
baseline's reason, so that a dashboard shows it as accepted rather than
new. Injection (a field forged from a value) and crashes are told apart
in the result's properties; injection rules carry the "security" tag.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

from harness.core.paths import ROOT
from harness.core.results import FAIL, INFORMATIONAL, NOT_PASSED, WARNING, Result, Run
from harness.core.rules import RULES, section, section_uri

SCHEMA = "https://json.schemastore.org/sarif-2.1.0.json"
LEVEL = {FAIL: "error", WARNING: "warning", INFORMATIONAL: "note"}
# rules whose failures let a value forge fields or events (docs/rules.md)
SECURITY_RULES = {"P1", "P2", "P3"}
SECURITY_SEVERITY = "8.1"   # high: a value forging fields can inject events
CRASH_WORDS = ("the adapter exited", "crashed", "killed by signal", "hung", "did not answer")


def kind_of(r: Result) -> str:
    """injection, crash, or nonconformance (a failure's kind)."""
    reason = r.reason.lower()
    if reason.startswith("injection"):
        return "injection"
    if any(w in reason for w in CRASH_WORDS) or "timed out" in reason:
        return "crash"
    return "nonconformance"


def _version() -> str:
    try:
        p = subprocess.run(["git", "-C", str(ROOT), "describe", "--tags", "--always", "--dirty"],
                           capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return p.stdout.strip() or "unknown"


def _uri(path: Path) -> dict:
    """An artifact location: relative to the working folder when inside it
    (so a dashboard finds the file in the checked-out repository), else an
    absolute file URI."""
    cwd = Path(os.getcwd())
    if path.is_relative_to(cwd):
        return {"uri": path.relative_to(cwd).as_posix(), "uriBaseId": "%SRCROOT%"}
    return {"uri": path.as_uri()}


def _rule(rule_id: str) -> dict:
    r = RULES.get(rule_id)
    title = r.title if r else rule_id
    out: dict = {"id": rule_id, "name": rule_id,
                 "shortDescription": {"text": title},
                 "fullDescription": {"text": f"{title} (WHATWG HTML, section {section(rule_id)}; "
                                     "ssespec docs/rules.md)"},
                 "helpUri": section_uri(rule_id),
                 "help": {"text": f"See section {section(rule_id)} of the HTML Standard, "
                          f"{section_uri(rule_id)}, and ssespec's docs/rules.md."},
                 "properties": {"tags": ["conformance", "server-sent-events"]}}
    if rule_id in SECURITY_RULES:
        out["properties"]["tags"].append("security")
        out["properties"]["security-severity"] = SECURITY_SEVERITY
    return out


def _result(r: Result, suite: str, rule_index: int, files: dict[str, Path],
            reasons: dict[str, str]) -> dict:
    kind = kind_of(r) if r.verdict == FAIL else r.verdict
    text = f"{r.id}: {r.reason}" if r.reason else r.id
    location: dict = {"logicalLocations": [{"name": r.id, "fullyQualifiedName":
                                            f"{suite}/{r.id}", "kind": "test"}]}
    path = files.get(r.case)
    if path is not None:
        location["physicalLocation"] = {"artifactLocation": _uri(path),
                                        "region": {"startLine": 1}}
    out: dict = {"ruleId": r.rule, "ruleIndex": rule_index, "level": LEVEL[r.verdict],
                 "kind": "fail" if r.verdict == FAIL else "review" if r.verdict == WARNING
                 else "informational",
                 "message": {"text": text},
                 "locations": [location],
                 "partialFingerprints": {"ssespecVariant/v1": f"{suite}/{r.id}"},
                 "properties": {"suite": suite, "case": r.case, "variant": r.variant,
                                "verdict": r.verdict, "failureKind": kind}}
    if r.baseline is not None:
        out["baselineState"] = "unchanged"
        if r.expected_failure or r.baseline == r.verdict:
            out["suppressions"] = [{"kind": "external", "status": "accepted",
                                    "justification": reasons.get(r.id, "listed in the baseline")}]
    return out


def run_object(run: Run, files: dict[str, Path], impl: str,
               reasons: dict[str, str] | None = None) -> dict:
    """The SARIF run of one suite run; files maps case names to their files,
    reasons variant ids to the baseline reason that expects them."""
    shown = [r for r in run.results if r.verdict in NOT_PASSED]
    rule_ids = list(dict.fromkeys(r.rule for r in shown))
    index = {rid: n for n, rid in enumerate(rule_ids)}
    adapter = run.adapter
    return {
        "tool": {"driver": {"name": "ssespec", "version": _version(),
                            "informationUri": section_uri("F1").split("#")[0],
                            "rules": [_rule(rid) for rid in rule_ids]}},
        "automationDetails": {"id": f"ssespec/{run.suite}/{impl}/"},
        "originalUriBaseIds": {"%SRCROOT%": {"uri": Path(os.getcwd()).as_uri() + "/"}},
        "invocations": [{"executionSuccessful": True,
                         "properties": {"adapter": {k: adapter.get(k) for k in
                                                    ("name", "version", "command")
                                                    if k in adapter},
                                        "summary": run.summary()}}],
        "results": [_result(r, run.suite, index[r.rule], files, reasons or {}) for r in shown],
    }


def case_files(roots: list[Path], suffixes: tuple[str, ...]) -> dict[str, Path]:
    """Every case name below the folders, with its file."""
    out: dict[str, Path] = {}
    for root in roots:
        for suffix in suffixes:
            for p in root.rglob(f"*{suffix}"):
                out.setdefault(p.relative_to(root).with_suffix("").as_posix(), p)
    return out


def write(path: Path, runs: list[dict]) -> None:
    doc = {"$schema": SCHEMA, "version": "2.1.0", "runs": runs}
    tmp = path.with_name(path.name + ".tmp")
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump(doc, f, indent=1, ensure_ascii=False)
        f.write("\n")
    os.replace(tmp, path)
