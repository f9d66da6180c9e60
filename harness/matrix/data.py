"""matrix.json: the results of a matrix's checks gathered into one object
(docs/matrix.md describes it).

Every variant's verdict is kept, compactly: one letter per variant in a
string per case and implementation, the variants named once per case. The
details of a non-pass cell (reason, records, stderr, chunks, the command
that reruns it) are kept for the first variant of each reason, at most
DETAILS per cell; the cell's other variants are listed by reason.
"""

from __future__ import annotations

import json
import re
import shlex
import time
from collections import Counter
from pathlib import Path

from harness.core.expect import Entry, ExpectError, SuiteBaseline
from harness.core.expect import load as load_baseline
from harness.core.paths import ROOT
from harness.core.records import shorten
from harness.core.report import STDERR_SHOW, describe_chunks
from harness.core.results import Result
from harness.core.rules import RULES
from harness.core.strings import show
from harness.matrix import causes
from harness.matrix.impls import Target
from harness.matrix.inputs import CaseInput, Inputs, variant_chunks
from harness.matrix.run import CheckOptions, Outcome

FORMAT = "ssespec-matrix/1"
LETTERS = {"pass": "p", "fail": "f", "skipped": "s", "informational": "i", "warning": "w"}
NOT_RUN = "-"
VERDICT_OF = {v: k for k, v in LETTERS.items()}
# a cell's verdict: the worst of its variants' (fail before warning before ...)
WORST = ("fail", "warning", "informational", "pass", "skipped")
DETAILS = 1             # variants of a cell whose details are kept (the first of each reason)
LIST_LIMIT = 50         # ids kept of a baseline's unexpected, fixed, changed and stale lists
VALUE_LIMIT = 400       # characters of a record's string value kept
RECORDS_LIMIT = 60      # records kept of an expected or actual list
REQUESTS_LIMIT = 6      # requests kept of a client variant, and problems
FULL_KEYS = ("expected", "actual", "error", "stderr", "problems", "requests", "chunks")
DETAIL_BUDGET = 16_000  # bytes of JSON of those keys kept per implementation
STDERR_LIMIT = 300      # characters of a variant's adapter stderr kept (its end)
REASON_LIMIT = 300      # characters of a reason kept
INPUT_LIMIT = 300       # characters of a case's escaped input kept (the middle elided)
VARIANT_ORDER = ("whole", "bytes", "http", "tls", "h2", "h2c", "encode", "served")


# ---------------------------------------------------------------- the rules

def rule_texts(path: Path = ROOT / "docs" / "rules.md") -> dict[str, tuple[str, str]]:
    """docs/rules.md's tables: rule id -> (its text, where in the standard it
    comes from). A bare "step N" is read with the section of the row above."""
    out: dict[str, tuple[str, str]] = {}
    prefix = ""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError:
        return out
    for line in lines:
        cells = [c.strip() for c in line.strip().strip("|").split(" | ")]
        if len(cells) != 3 or cells[0] not in RULES:
            if line.startswith("#"):
                prefix = ""
            continue
        rid, text, source = cells
        m = re.match(r"^(9\.2\.\d+[^;]*?)\bsteps?\b", source)
        if m:
            prefix = m.group(1)
        elif re.match(r"^steps? ", source) and prefix:
            source = prefix + source
        out[rid] = (text.replace("**", ""), source)
    return out


def rules_table() -> dict[str, dict]:
    texts = rule_texts()
    out = {}
    for rid, r in RULES.items():
        text, source = texts.get(rid, ("", ""))
        out[rid] = {"title": r.title, "open": r.open, "fetch_only": r.fetch_only,
                    "advisory": r.advisory, "text": text, "section": source}
    return out


# ---------------------------------------------------------------- one implementation

def _variant_key(v: str) -> tuple:
    if v in VARIANT_ORDER:
        return (VARIANT_ORDER.index(v), 0, v)
    m = re.match(r"^(.*?)-(\d+)$", v)
    if m:
        return (len(VARIANT_ORDER), int(m.group(2)), m.group(1))
    return (len(VARIANT_ORDER) + 1, 0, v)


def _short_value(v: object) -> object:
    if isinstance(v, str) and len(v) > VALUE_LIMIT:
        return shorten(v, VALUE_LIMIT)
    return v


def _records(recs: object) -> object:
    """Records as kept: long values shortened, long lists cut."""
    if not isinstance(recs, list):
        return recs
    out = [{k: _short_value(v) for k, v in r.items()} if isinstance(r, dict) else r
           for r in recs[:RECORDS_LIMIT]]
    if len(recs) > RECORDS_LIMIT:
        out.append({"kind": "...", "more": len(recs) - RECORDS_LIMIT})
    return out


def _capped(items: list[str]) -> list[str]:
    if len(items) <= REQUESTS_LIMIT:
        return items
    return items[:REQUESTS_LIMIT] + [f"... ({len(items) - REQUESTS_LIMIT} more)"]


def request_line(r: dict) -> str:
    """One request the scenario server saw, as one line."""
    parts = [str(r.get("n", "?")), str(r.get("method", "")), json.dumps(r.get("subpath", ""))]
    if r.get("proto"):
        parts.append(str(r["proto"]) + (" tls" if r.get("tls") else ""))
    if r.get("delay_ms") is not None:
        parts.append(f'after {r["delay_ms"]:.0f} ms')
    if r.get("ev") not in (None, "request"):
        parts.append(f'({r["ev"]})')
    if r.get("after_close"):
        parts.append("after close")
    checks = "; ".join(str(c) for c in r.get("checks") or [])
    return " ".join(parts) + (f": {checks}" if checks else "")


def cell_verdict(counts: dict[str, int]) -> str:
    """The verdict a cell shows for its variants' counts ("not run" for none)."""
    for v in WORST:
        if counts.get(v):
            return v
    return "not run"


class ImplData:
    """What one implementation's check gave, as matrix.json keeps it."""

    def __init__(self, outcome: Outcome, inputs: Inputs, opts: CheckOptions) -> None:
        self.target = outcome.target
        self.outcome = outcome
        self.inputs = inputs
        self.opts = opts
        self.suite = self.target.kind     # the suite a kind runs has its name
        self.raw: dict[str, dict[str, str]] = {}       # case -> variant -> letter
        self.rules: dict[str, str] = {}                # case -> rule
        self.entry: dict = self._head()
        if outcome.json_path is not None:
            self._read(json.loads(outcome.json_path.read_text(encoding="utf-8")))

    def _head(self) -> dict:
        t, o = self.target, self.outcome
        return {"id": t.id, "name": t.name, "kind": t.kind, "suite": self.suite,
                "bundled": t.bundled, "slow": t.slow, "description": t.description,
                "version": None, "adapter": None, "command": None,
                "check": shlex.join(t.check_command() + self.opts.selection_args()),
                "rerun": shlex.join(t.check_command() + self.opts.selection_args()
                                    + ["-k", "ID"]),
                "seconds": round(o.seconds, 1), "exit": o.status, "not_run": o.not_run,
                "stderr": o.stderr[-STDERR_SHOW:] if o.not_run else "",
                "summary": None, "by_rule": None, "notes": [], "baseline": None,
                "baseline_entries": {}, "verdicts": [], "cells": {}, "causes": [],
                "unlisted": None}

    def _read(self, data: dict) -> None:
        if "suites" in data:    # one check, one suite; take the first if ever more
            data = data["suites"][0]
        self.suite = data.get("suite", self.suite)
        e = self.entry
        adapter = dict(data.get("adapter") or {})
        e["command"] = adapter.pop("command", None)
        e["adapter"] = adapter
        e["version"] = adapter.get("version")
        if not self.target.bundled and adapter.get("name"):
            e["name"] = str(adapter["name"])
        e["suite"] = self.suite
        e["summary"] = data.get("summary")
        e["by_rule"] = data.get("by_rule")
        e["notes"] = data.get("notes", [])
        e["baseline"] = _baseline_summary(data.get("baseline"), self.target)
        cases = data.get("cases", [])
        by_case: dict[str, list[dict]] = {}
        for c in cases:
            self.raw.setdefault(c["case"], {})[c["variant"]] = LETTERS.get(c["verdict"], "?")
            self.rules[c["case"]] = c["rule"]
            if c["verdict"] in ("fail", "informational", "warning"):
                by_case.setdefault(c["case"], []).append(c)
        known = self._baseline()
        for case, bad in by_case.items():
            e["cells"][case] = self._cell(case, bad, known)
        self._trim()
        if known is not None:
            e["causes"], e["unlisted"] = self._causes(by_case, known)

    def _baseline(self) -> SuiteBaseline | None:
        if self.target.baseline is None:
            return None
        try:
            return load_baseline(self.target.baseline).for_suite(self.suite)
        except ExpectError:
            return None

    def _entry(self, known: SuiteBaseline | None, c: dict) -> Entry | None:
        if known is None:
            return None
        return known.entry_for(Result(c["id"], c["case"], c["variant"], c["rule"], c["verdict"]))

    def _cell(self, case: str, bad: list[dict], known: SuiteBaseline | None) -> dict:
        """A non-pass cell: the details of its first variant of each reason
        (at most DETAILS), the rest by reason."""
        details: list[dict] = []
        others: dict[str, list[str]] = {}
        seen: set[str] = set()
        for c in bad:
            if c["reason"] not in seen and len(details) < DETAILS:
                seen.add(c["reason"])
                details.append(self._detail(case, c, self._entry(known, c)))
            else:
                why = shorten(f'{c["verdict"]}: {c["reason"]}', 160)
                others.setdefault(why, []).append(c["variant"])
        return {"details": details,
                "others": [{"reason": r, "variants": compact_variants(sorted(v, key=_variant_key))}
                           for r, v in others.items()]}

    def _trim(self) -> None:
        """Keep the full details (FULL_KEYS) of cells within DETAIL_BUDGET:
        first one cell for each reason (the baseline's, or the run's when the
        baseline does not list it), then the others in order; the rest keep
        their reason, baseline line and rerun command, marked trimmed."""
        cells = self.entry["cells"]
        entries = self.entry["baseline_entries"]

        def key(case: str) -> str:
            d = cells[case]["details"][0]
            if "baseline" in d:
                return entries[str(d["baseline"])][2]
            return d["reason"]

        def size(case: str) -> int:
            """Its details, and the scenario or case file a page shows with them."""
            inp = self.inputs.get(self.suite, case)
            return (len(inp.source or "") if inp is not None else 0) + sum(
                len(json.dumps({k: d[k] for k in FULL_KEYS if k in d}))
                for d in cells[case]["details"])

        seen: set[str] = set()
        first = [c for c in cells if key(c) not in seen and not seen.add(key(c))]  # type: ignore
        keep: set[str] = set()
        used = 0
        for case in first + list(cells):
            if case in keep:
                continue
            n = size(case)
            if used + n <= DETAIL_BUDGET:
                used += n
                keep.add(case)
        for case, cell in cells.items():
            if case not in keep:
                for d in cell["details"]:
                    for k in FULL_KEYS:
                        d.pop(k, None)
                    d["trimmed"] = True

    def _detail(self, case: str, c: dict, entry: Entry | None) -> dict:
        d: dict = {"id": c["id"], "variant": c["variant"], "verdict": c["verdict"],
                   "reason": shorten(c["reason"], REASON_LIMIT)}
        if entry is not None:
            d["baseline"] = entry.line
            self.entry["baseline_entries"][str(entry.line)] = [entry.verdict, entry.selector,
                                                                entry.reason]
        for k in ("expected", "actual"):
            if k in c:
                d[k] = _records(c[k])
        if c.get("error") is not None:
            d["error"] = shorten(str(c["error"]), REASON_LIMIT)
        if c.get("stderr"):
            d["stderr"] = c["stderr"][-STDERR_LIMIT:]
        problems = [p for p in c.get("problems") or [] if p != c["reason"]]
        if problems:
            d["problems"] = _capped([shorten(p, REASON_LIMIT) for p in problems])
        if c.get("requests"):
            d["requests"] = _capped([request_line(r) for r in c["requests"]])
        inp = self.inputs.get(self.suite, case)
        if inp is not None and inp.data is not None:
            chunks = variant_chunks(inp, c["variant"]) if self.suite == "parser" \
                else list(inp.chunks)
            if chunks is not None:
                d["chunks"] = describe_chunks(chunks)
        return d

    def _causes(self, by_case: dict[str, list[dict]],
                known: SuiteBaseline) -> tuple[list[dict], dict | None]:
        """The causes the baseline's reasons give for this run's non-pass
        variants, each with its minimal case; and the failures it does not
        list."""
        found: dict[causes.Cause, dict] = {}
        unlisted: list[dict] = []
        for case, bad in by_case.items():
            inp = self.inputs.get(self.suite, case)
            size = inp.size if inp is not None else 10 ** 9
            for c in bad:
                entry = self._entry(known, c)
                listed = entry is not None and (entry.verdict in ("fail", "flaky")
                                                or c["verdict"] != "fail")
                if not listed:
                    if c["verdict"] == "fail":
                        unlisted.append(c)
                    continue
                assert entry is not None
                for cause in causes.split(entry.reason) or [causes.Cause("", "")]:
                    f = found.setdefault(cause, {
                        "label": cause.label, "text": cause.text, "verdict": c["verdict"],
                        "variants": 0, "cases": set(), "rules": Counter(), "minimal": None})
                    f["variants"] += 1
                    if case not in f["cases"]:
                        f["rules"][c["rule"]] += 1      # counted by cases, not variants
                    f["cases"].add(case)
                    key = (size, case, 0 if c["variant"] in ("whole", "http") else 1,
                           _variant_key(c["variant"]))
                    if f["minimal"] is None or key < f["minimal"][0]:
                        f["minimal"] = (key, c)
        out = []
        for cause, f in found.items():
            _, c = f["minimal"]
            out.append({"label": f["label"], "text": f["text"], "verdict": f["verdict"],
                        "variants": f["variants"], "cases": len(f["cases"]),
                        "rules": sorted(f["rules"], key=lambda r: (
                            -f["rules"][r], list(RULES).index(r) if r in RULES else 99)),
                        "minimal": self._minimal(c)})
        out.sort(key=lambda x: (x["label"] == "", x["label"], x["text"]))
        extra = None
        if unlisted:
            reasons = Counter(c["reason"] for c in unlisted)
            extra = {"variants": len(unlisted),
                     "cases": len({c["case"] for c in unlisted}),
                     "reasons": [{"reason": r, "variants": n} for r, n in reasons.most_common(5)],
                     "minimal": self._minimal(min(unlisted, key=lambda c: (
                         self._size(c["case"]), c["case"], _variant_key(c["variant"]))))}
        return out, extra

    def _size(self, case: str) -> int:
        inp = self.inputs.get(self.suite, case)
        return inp.size if inp is not None else 10 ** 9

    def _minimal(self, c: dict) -> dict:
        inp = self.inputs.get(self.suite, c["case"])
        out = {"id": c["id"], "case": c["case"], "rule": c["rule"], "reason": c["reason"]}
        if inp is not None:
            out["size"] = inp.size
            if inp.data is not None:
                out["input"] = show(inp.data, 120)
        return out


def _baseline_summary(b: dict | None, target: Target) -> dict | None:
    if b is None:
        return None
    out: dict = {"file": str(target.baseline.relative_to(ROOT))
                 if target.baseline is not None and target.baseline.is_relative_to(ROOT)
                 else b.get("file"),
                 "expected_failures": len(b.get("expected_failures", []))}
    holds = True
    for k in ("unexpected_failures", "fixed", "changed", "stale"):
        items = b.get(k, [])
        holds = holds and not items
        out[k] = len(items)
        out[f"{k}_list"] = items[:LIST_LIMIT]
    out["holds"] = holds
    return out


# ---------------------------------------------------------------- the whole matrix

def _case_info(name: str, inp: CaseInput | None, rule: str, variants: list[str],
               full: bool) -> dict:
    out: dict = {"name": name, "rule": rule, "variants": compact_variants(variants)}
    if inp is not None:
        out["about"] = inp.about
        if full:
            out["path"] = inp.path
            if inp.data is not None:
                out["bytes"] = len(inp.data)
                out["input"] = show(inp.data, INPUT_LIMIT)
            elif inp.source is not None:
                out["source"] = inp.source
    return out


def compact_variants(variants: list[str]) -> list[str]:
    """A case's variant names, runs of NAME-K .. NAME-M written NAME-K..M."""
    out: list[str] = []
    run: tuple[str, int, int] | None = None
    for v in variants + [""]:
        m = re.match(r"^(.*)-(\d+)$", v)
        if m and run and run[0] == m.group(1) and int(m.group(2)) == run[2] + 1:
            run = (run[0], run[1], run[2] + 1)
            continue
        if run:
            out.append(f"{run[0]}-{run[1]}" if run[1] == run[2] else
                       f"{run[0]}-{run[1]}..{run[2]}")
            run = None
        if m:
            run = (m.group(1), int(m.group(2)), int(m.group(2)))
        elif v:
            out.append(v)
    return out


def expand_variants(compact: list[str]) -> list[str]:
    """The variant names compact_variants wrote."""
    out: list[str] = []
    for v in compact:
        m = re.match(r"^(.*)-(\d+)\.\.(\d+)$", v)
        if m:
            out += [f"{m.group(1)}-{k}" for k in range(int(m.group(2)), int(m.group(3)) + 1)]
        else:
            out.append(v)
    return out


def build(impls: list[ImplData], inputs: Inputs, started: float, seconds: float,
          options: dict) -> dict:
    """The matrix object from every implementation's data, in their order."""
    found: dict[str, dict[str, dict]] = {}
    for d in impls:
        s = found.setdefault(d.suite, {})
        for case, variants in d.raw.items():
            info = s.setdefault(case, {"rule": d.rules[case], "variants": set()})
            info["variants"].update(variants)
    order = list(RULES)
    suites: dict[str, dict] = {}
    for suite, cases in found.items():
        names = sorted(cases, key=lambda c: (order.index(cases[c]["rule"])
                                             if cases[c]["rule"] in order else len(order), c))
        listed = []
        for case in names:
            variants = sorted(cases[case]["variants"], key=_variant_key)
            bad = any(case in d.entry["cells"] for d in impls if d.suite == suite)
            listed.append(_case_info(case, inputs.get(suite, case), cases[case]["rule"],
                                     variants, bad))
            cases[case]["variants"] = variants
        suites[suite] = {"cases": listed}
        for d in impls:
            if d.suite == suite and d.raw:
                d.entry["verdicts"] = [
                    rle("".join(d.raw[c].get(v, NOT_RUN) for v in cases[c]["variants"]))
                    if c in d.raw else None for c in names]
    return {"format": FORMAT,
            "generated": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(started)),
            "seconds": round(seconds, 1),
            "options": options,
            "letters": {**{v: k for k, v in LETTERS.items()}, NOT_RUN: "not run"},
            "rules": rules_table(),
            "suites": suites,
            "impls": [d.entry for d in impls]}


def rle(letters: str) -> str:
    """Verdict letters run-length encoded: "ppppf" is "4pf"."""
    out = []
    for m in re.finditer(r"(.)\1*", letters):
        n = len(m.group())
        out.append(f"{n if n > 1 else ''}{m.group(1)}")
    return "".join(out)


def unrle(text: str) -> str:
    """The letters rle encoded."""
    return "".join(ch * int(n or 1) for n, ch in re.findall(r"(\d*)(\D)", text))


def counts(letters: str) -> dict[str, int]:
    """A cell's variants counted by verdict (not run left out)."""
    c = Counter(letters)
    return {VERDICT_OF[k]: n for k, n in c.items() if k in VERDICT_OF}
