"""Run variants against a parser adapter and decide their verdicts.

One adapter process serves the whole run; requests go one at a time. When
the adapter misbehaves (no answer in time, output that is not JSON, an
answer for another case, exiting, an endless or flooding line) the case
fails and the process is replaced before the next request. A restart whose
hello is missing or malformed ends the run (Fatal).
"""

from __future__ import annotations

import shlex
import time

from harness.core.cases import DEFAULT_TIMEOUT
from harness.core.errors import Fatal
from harness.core.records import restrict
from harness.core.results import FAIL, PASS, SKIPPED, Result
from harness.parser_suite.judge import judge, open_reason
from harness.parser_suite.variants import BYTES, Variant
from harness.protocol.parser import (MAX_LINE, AdapterFailure, AdapterProcess, Hello, HelloError,
                                     decode_response, describe_exit, encode_bytewise,
                                     encode_request, response_limit)
from harness.suite.budget import Budget


def encode_variant(v: Variant) -> bytes:
    """The request line of one variant."""
    if v.kind == BYTES:
        return encode_bytewise(v.id, v.case.input)
    return encode_request(v.id, v.chunks())


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
        self.budget = Budget()   # harness/suite/budget.py

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

    def kill(self) -> None:
        if self.proc is not None:
            self.proc.kill()
            self.proc = None

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
        why = self.budget.case_given_up(v.case.name)
        if why:
            return self._result(v, FAIL, f"not run: {why}", expected=expected)
        if self.proc is None or not self.proc.running:
            self._restart()
        assert self.proc is not None
        mark = self.proc.stderr_total
        try:
            raw = self.proc.request(encode_variant(v), self.timeout_for(v),
                                    min(self.max_line, response_limit(expected)))
            response = decode_response(raw, v.id)
        except AdapterFailure as e:
            stderr = self.proc.stderr_since(mark).decode("utf-8", "replace")
            if not e.malformed:
                self.kill()
                self.budget.failed(v.case.name, e.timed_out)
            return self._result(v, FAIL, str(e), expected=expected, stderr=stderr)
        self.budget.answered()
        verdict = judge(expected, response, self.reports, open_reason(v.case))
        if verdict.verdict == PASS:
            return self._result(v, verdict.verdict)
        stderr = self.proc.stderr_since(mark).decode("utf-8", "replace")
        return self._result(v, verdict.verdict, verdict.reason, expected=expected,
                            actual=verdict.actual, error=verdict.error, stderr=stderr)
