"""The parser suite's one verdict rule (docs/adapter-protocol.md, "Rules for
the harness"): a response passes when its records, restricted to the kinds
the adapter reports, equal the expected records restricted the same way.
An error answer, or different records, fail; on a point the standard
leaves open they are informational. The suite's runner and differential
fuzzing both judge with it.
"""

from __future__ import annotations

from dataclasses import dataclass

from harness.core.cases import Case
from harness.core.records import Record, restrict
from harness.core.results import FAIL, INFORMATIONAL, PASS
from harness.core.rules import RULES
from harness.protocol.parser import Response


@dataclass
class Verdict:
    verdict: str
    reason: str = ""
    actual: list[Record] | None = None    # the compared records (None for an error answer)
    error: str | None = None


def open_reason(case: Case) -> str | None:
    """Why a mismatch on this case is informational, or None when it fails."""
    if case.open_reason is not None:
        return case.open_reason
    rule = RULES.get(case.rule)
    return rule.title if rule is not None and rule.open else None


def judge(expected: list[Record], response: Response, reports: list[str],
          open_why: str | None = None) -> Verdict:
    """The verdict of a well-formed response; expected is already restricted
    to the reported kinds."""
    if response.error is not None:
        reason = f"the adapter answered with an error: {response.error}"
        return Verdict(INFORMATIONAL if open_why else FAIL, reason, error=response.error)
    assert response.records is not None
    actual = restrict(response.records, reports)
    if actual == expected:
        return Verdict(PASS, actual=actual)
    if open_why:
        return Verdict(INFORMATIONAL, f"records differ on an open point: {open_why}", actual)
    return Verdict(FAIL, "records differ", actual)


def agrees(reference: list[Record], response: Response, kinds: list[str]) -> bool:
    """Whether an adapter's response says what the reference's records say,
    as the suite would judge it."""
    return judge(restrict(reference, kinds), response, kinds).verdict == PASS
