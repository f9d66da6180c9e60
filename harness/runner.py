"""Run variants against an adapter and decide their verdicts.

One adapter process serves the whole run; requests go one at a time. When
the adapter misbehaves (no answer in time, output that is not JSON, an
answer for another case, exiting, an endless line) the case fails and the
process is replaced before the next request. A restart whose hello is
missing or malformed ends the run (Fatal).
"""

from __future__ import annotations

import base64
import json
import shlex
import time

from .adapter import (MAX_LINE, AdapterFailure, AdapterProcess, Hello, HelloError, describe_exit,
                      preview)
from .cases import DEFAULT_TIMEOUT
from .errors import Fatal
from .records import check_records, restrict
from .results import FAIL, INFORMATIONAL, PASS, SKIPPED, Result
from .rules import RULES
from .variants import BYTES, Variant

# Bound the time a broken adapter can cost. After CASE_TIMEOUTS timeouts
# among one case's variants, its remaining variants fail without being
# sent. After TIMEOUT_STREAK timeouts, or FAILURE_STREAK failed exchanges of
# any kind (crash, garbage, ...) with no proper answer in between, every
# remaining variant fails without being sent: a hang on every case would
# otherwise take hours.
CASE_TIMEOUTS = 2
TIMEOUT_STREAK = 5
FAILURE_STREAK = 200

_B64 = [base64.b64encode(bytes([b])).decode("ascii") for b in range(256)]


def encode_request(case_id: str, chunks: list[bytes]) -> bytes:
    """One request line: the case id and each chunk in base64."""
    return _request(case_id, [base64.b64encode(c).decode("ascii") for c in chunks])


def encode_variant(v: Variant) -> bytes:
    if v.kind == BYTES:   # one chunk per byte, without making a bytes object for each
        return _request(v.id, [_B64[b] for b in v.case.input])
    return encode_request(v.id, v.chunks())


def _request(case_id: str, parts: list[str]) -> bytes:
    chunk_list = '["' + '","'.join(parts) + '"]' if parts else "[]"
    return f'{{"case":{json.dumps(case_id)},"chunks":{chunk_list}}}\n'.encode("ascii")


def is_open(variant: Variant) -> bool:
    rule = RULES.get(variant.case.rule)
    return variant.case.open_reason is not None or bool(rule and rule.open)


class Runner:
    def __init__(self, argv: list[str], timeout: float | None = None,
                 max_line: int = MAX_LINE) -> None:
        self.argv = argv
        self.default_timeout = timeout if timeout is not None else DEFAULT_TIMEOUT
        self.max_line = max_line
        self.hello: Hello | None = None
        self.proc: AdapterProcess | None = None
        self.restarts = 0
        self.end_note: str | None = None
        self._timeouts_in_row = 0
        self._failures_in_row = 0
        self._case_timeouts: dict[str, int] = {}
        self._given_up: str | None = None

    # ------------------------------------------------------------ process

    def start(self) -> Hello:
        """Start the adapter and read its hello; Fatal when that fails."""
        proc = AdapterProcess(self.argv, self.max_line)
        try:
            hello = proc.start(self.default_timeout)
        except HelloError as e:
            tail = proc.stderr_since(0).decode("utf-8", "replace").strip().splitlines()
            last = f" (its stderr ends: {tail[-1][:200]})" if tail else ""
            raise Fatal(f"{e}{last} (adapter: {shlex.join(self.argv)})") from None
        self.proc = proc
        self.hello = hello
        return hello

    def _restart(self) -> None:
        if self.proc is not None:
            self.proc.kill()
        self.restarts += 1
        try:
            self.start()
        except Fatal as e:
            raise Fatal(f"restarting the adapter after a failed case: {e}") from None

    def stop(self) -> None:
        """Close the adapter's stdin and wait for it; end_note says when it
        did not exit with status 0."""
        if self.proc is None:
            return
        status = self.proc.stop()
        self.proc = None
        if status is None:
            self.end_note = "the adapter did not exit within 5 s after its stdin was closed"
        elif status != 0:
            self.end_note = f"the adapter {describe_exit(status)} after its stdin was closed"

    def timeout_for(self, variant: Variant) -> float:
        t = variant.case.timeout
        return self.default_timeout if t == DEFAULT_TIMEOUT else t

    @property
    def reports(self) -> list[str]:
        assert self.hello is not None
        return self.hello.reports

    # ------------------------------------------------------------ verdicts

    def run(self, variant: Variant) -> Result:
        t0 = time.monotonic()
        result = self._run(variant)
        result.seconds = time.monotonic() - t0
        return result

    def _result(self, v: Variant, verdict: str, reason: str = "", **kw: object) -> Result:
        return Result(id=v.id, case=v.case.name, variant=v.name, rule=v.case.rule,
                      verdict=verdict, reason=reason, **kw)  # type: ignore[arg-type]

    def _run(self, v: Variant) -> Result:
        if self.hello is None:
            self.start()
        expected = restrict(v.case.records, self.reports)
        if not expected:
            kinds = ", ".join(sorted(v.case.kinds))
            return self._result(v, SKIPPED, f"the adapter does not report {kinds} records")
        if self._given_up:
            return self._result(v, FAIL, f"not run: {self._given_up}", expected=expected)
        if self._case_timeouts.get(v.case.name, 0) >= CASE_TIMEOUTS:
            return self._result(v, FAIL, f"not run: {CASE_TIMEOUTS} variants of this case timed out",
                                expected=expected)
        if self.proc is None or not self.proc.running:
            if self.proc is not None:
                self.proc.kill()
            self._restart()
        assert self.proc is not None
        mark = self.proc.stderr_total
        timeout = self.timeout_for(v)
        try:
            raw = self.proc.request(encode_variant(v), timeout)
            response = self._decode(raw, v.id)
        except AdapterFailure as e:
            stderr = self.proc.stderr_since(mark).decode("utf-8", "replace")
            self.proc.kill()
            self.proc = None
            self._count_failure(v, e.timed_out)
            return self._result(v, FAIL, str(e), expected=expected, stderr=stderr)
        self._timeouts_in_row = self._failures_in_row = 0
        return self._judge(v, expected, response, mark)

    def _count_failure(self, v: Variant, timed_out: bool) -> None:
        self._failures_in_row += 1
        if timed_out:
            self._timeouts_in_row += 1
            self._case_timeouts[v.case.name] = self._case_timeouts.get(v.case.name, 0) + 1
        if self._timeouts_in_row >= TIMEOUT_STREAK:
            self._given_up = f"the adapter timed out on {TIMEOUT_STREAK} requests in a row"
        elif self._failures_in_row >= FAILURE_STREAK:
            self._given_up = f"the adapter failed {FAILURE_STREAK} requests in a row"

    def _decode(self, raw: bytes, case_id: str) -> dict:
        """The response object; AdapterFailure when the stream is out of step."""
        try:
            obj = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            raise AdapterFailure(f"the response is not JSON: {preview(raw)}") from None
        if not isinstance(obj, dict):
            raise AdapterFailure(f"the response is not a JSON object: {preview(raw)}")
        if "case" not in obj:
            raise AdapterFailure(f'the response has no "case": {preview(raw)}')
        if obj["case"] != case_id:
            raise AdapterFailure(f"the response is for another case: {obj['case']!r}")
        return obj

    def _judge(self, v: Variant, expected: list, response: dict, mark: int) -> Result:
        assert self.proc is not None
        open_ = is_open(v)
        has_rec, has_err = "records" in response, "error" in response
        if has_rec == has_err:
            return self._result(v, FAIL, 'the response has neither or both of "records" and "error"',
                                expected=expected)
        if has_err:
            err = response["error"]
            text = err if isinstance(err, str) else json.dumps(err)
            stderr = self.proc.stderr_since(mark).decode("utf-8", "replace")
            if open_:
                return self._result(v, INFORMATIONAL, f"the adapter answered with an error: {text}",
                                    expected=expected, error=text, stderr=stderr)
            return self._result(v, FAIL, f"the adapter answered with an error: {text}",
                                expected=expected, error=text, stderr=stderr)
        problem = check_records(response["records"])
        if problem:
            return self._result(v, FAIL, f"malformed response: {problem}", expected=expected)
        actual = restrict(response["records"], self.reports)
        if actual == expected:
            return self._result(v, PASS)
        if open_:
            why = v.case.open_reason or RULES[v.case.rule].title
            return self._result(v, INFORMATIONAL, f"records differ on an open point: {why}",
                                expected=expected, actual=actual)
        return self._result(v, FAIL, "records differ", expected=expected, actual=actual)
