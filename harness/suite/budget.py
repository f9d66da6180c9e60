"""How much time a broken adapter may cost a run. After CASE_TIMEOUTS
timeouts among one case's variants, its remaining variants fail without
being sent. After TIMEOUT_STREAK timeouts in a row, TIMEOUT_BUDGET timeouts
in all (an adapter that hangs now and then, say on every fifth request
after each restart), or FAILURE_STREAK failed exchanges of any kind (crash,
garbage, ...) with no proper answer in between, every remaining variant
fails without being sent: hangs would otherwise make a run take hours."""

from __future__ import annotations

CASE_TIMEOUTS = 2
TIMEOUT_STREAK = 5
TIMEOUT_BUDGET = 20
FAILURE_STREAK = 200


class Budget:
    def __init__(self) -> None:
        self.timeouts = 0
        self._timeouts_in_row = 0
        self._failures_in_row = 0
        self._case_timeouts: dict[str, int] = {}
        self.given_up: str | None = None   # why every remaining variant fails unsent

    def case_given_up(self, case: str) -> str | None:
        """Why this case's remaining variants fail unsent, or None."""
        if self.given_up:
            return self.given_up
        if self._case_timeouts.get(case, 0) >= CASE_TIMEOUTS:
            return f"{CASE_TIMEOUTS} variants of this case timed out"
        return None

    def answered(self) -> None:
        """A proper answer: the streaks start again."""
        self._timeouts_in_row = self._failures_in_row = 0

    def failed(self, case: str, timed_out: bool) -> None:
        self._failures_in_row += 1
        if timed_out:
            self.timeouts += 1
            self._timeouts_in_row += 1
            self._case_timeouts[case] = self._case_timeouts.get(case, 0) + 1
        if self._timeouts_in_row >= TIMEOUT_STREAK:
            self.given_up = f"the adapter timed out on {TIMEOUT_STREAK} requests in a row"
        elif self.timeouts >= TIMEOUT_BUDGET:
            self.given_up = (f"the adapter timed out {TIMEOUT_BUDGET} times in this run "
                             "(the run's budget of timeouts)")
        elif self._failures_in_row >= FAILURE_STREAK:
            self.given_up = f"the adapter failed {FAILURE_STREAK} requests in a row"
