"""Reading matrix.json's data back: each cell's verdict and counts, the
implementations in report order, whether a row's implementations agree."""

from __future__ import annotations

from dataclasses import dataclass

from harness.matrix.data import cell_verdict, counts, unrle
from harness.matrix.impls import KINDS


@dataclass(frozen=True)
class Cell:
    verdict: str                # the worst of its variants' verdicts, or "not run"
    counts: dict[str, int]      # its variants by verdict

    @property
    def total(self) -> int:
        return sum(self.counts.values())

    def text(self) -> str:
        """What the cell says beside its glyph: "3/6" for the variants of its
        verdict out of those run, nothing when all passed or none ran."""
        if self.verdict in ("pass", "not run", "skipped"):
            return ""
        return f"{self.counts.get(self.verdict, 0)}/{self.total}"


NOT_RUN = Cell("not run", {})


def cell(impl: dict, index: int) -> Cell:
    """The cell of impl for the suite's case at index."""
    verdicts = impl.get("verdicts") or []
    code = verdicts[index] if index < len(verdicts) else None
    if code is None:
        return NOT_RUN
    c = counts(unrle(code))
    return Cell(cell_verdict(c), c)


def failing_cases(impl: dict) -> int:
    return sum(1 for i in range(len(impl.get("verdicts") or [])) if cell(impl, i).verdict == "fail")


def ordered(m: dict) -> list[dict]:
    """The implementations by kind; in each, those that ran first, fewest
    failing cases first, then by name."""
    return sorted(m["impls"], key=lambda e: (
        KINDS.index(e["kind"]) if e["kind"] in KINDS else len(KINDS), bool(e["not_run"]),
        failing_cases(e), e["name"], e["id"]))


def disagree(cells: list[Cell]) -> bool:
    """The implementations that checked a case do not all give it one
    verdict (one that ran none of its variants, or skipped them all, checked
    nothing)."""
    return len({c.verdict for c in cells if c.verdict not in ("not run", "skipped")}) > 1


def pass_rate(impl: dict) -> str:
    s = impl.get("summary") or {}
    total = s.get("total") or 0
    if not total:
        return "–"
    return f"{100 * s.get('pass', 0) / total:.1f}%"


def baseline_state(impl: dict) -> tuple[str, str]:
    """(verdict for a badge, words) for an implementation's recorded results."""
    b = impl.get("baseline")
    if impl.get("not_run"):
        return "not run", "not run"
    if b is None:
        return "not run", "none" if impl.get("bundled") else "not held"
    if b["holds"]:
        return "pass", "hold"
    parts = [f"{b[k]} {w}" for k, w in (("unexpected_failures", "unexpected"),
                                        ("fixed", "fixed"), ("changed", "changed"),
                                        ("stale", "stale")) if b.get(k)]
    return "fail", "drift: " + ", ".join(parts)
