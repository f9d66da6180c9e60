"""Run encoder cases against a producer adapter and decide their verdicts.

One adapter process serves the run; encode requests go one at a time, each
answer is decoded with the reference parser (harness/server_suite/decode.py)
and judged (harness/server_suite/judge.py). An adapter that misbehaves (no
answer in time, output that is not JSON, an answer for another case,
exiting, an endless line) fails the case and is replaced; a restart whose
hello is missing or malformed ends the run (Fatal). Timeouts are bounded
as in the other suites (harness/suite/budget.py).
"""

from __future__ import annotations

import shlex
import time

from harness.core.errors import Fatal
from harness.core.results import FAIL, PASS, SKIPPED, Result
from harness.protocol.server import (AdapterFailure, ServerAdapterProcess, ServerHello,
                                     ServerHelloError, describe_exit)
from harness.server_suite.cases import EncodeCase
from harness.server_suite.decode import Decoder
from harness.server_suite.judge import Judgement, judge_bytes, judge_refusal
from harness.suite.budget import Budget

HELLO_TIMEOUT = 30.0


class EncodeRunner:
    def __init__(self, argv: list[str], decoder: Decoder, timeout: float | None = None,
                 env: dict[str, str] | None = None) -> None:
        self.argv = argv
        self.env = env
        self.decoder = decoder
        self.timeout = timeout
        self.hello: ServerHello | None = None
        self.proc: ServerAdapterProcess | None = None
        self.restarts = 0
        self.end_note: str | None = None
        self.budget = Budget()
        self.answers: dict[str, bytes | None] = {}   # case -> the bytes (failures only)

    def start(self) -> ServerHello:
        proc = ServerAdapterProcess(self.argv, env=self.env)
        try:
            hello = proc.start(self.timeout or HELLO_TIMEOUT)
        except ServerHelloError as e:
            tail = proc.stderr_since(0).decode("utf-8", "replace").strip().splitlines()
            last = f" (its stderr ends: {tail[-1][:200]})" if tail else ""
            raise Fatal(f"{e}{last} (adapter: {shlex.join(self.argv)})") from None
        self.proc, self.hello = proc, hello
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
        if self.proc is None:
            return
        status = self.proc.stop()
        self.proc = None
        if status is None:
            self.end_note = "the adapter did not exit within 5 s after its stdin was closed"
        elif status != 0:
            self.end_note = f"the adapter {describe_exit(status)} after its stdin was closed"

    def run(self, case: EncodeCase) -> tuple[Result, Judgement | None, bytes | None]:
        """The verdict of one case, its judgement (None when it was not
        judged) and the bytes the library produced (None for none)."""
        t0 = time.monotonic()
        result, j, data = self._run(case)
        result.seconds = time.monotonic() - t0
        return result, j, data

    def _result(self, case: EncodeCase, verdict: str, reason: str = "",
                j: Judgement | None = None, **kw: object) -> Result:
        return Result(id=case.name, case=case.name, variant="encode", rule=case.rule,
                      verdict=verdict, reason=reason,
                      expected=j.intended if j else None, actual=j.decoded if j else None,
                      **kw)  # type: ignore[arg-type]

    def _run(self, case: EncodeCase) -> tuple[Result, Judgement | None, bytes | None]:
        if self.hello is None:
            self.start()
        assert self.hello is not None
        if not self.hello.encode:
            return self._result(case, SKIPPED, "the adapter does not answer encode requests "
                                "(its hello has no \"encode\": true)"), None, None
        missing = sorted(case.fields - set(self.hello.fields))
        if missing:
            return self._result(case, SKIPPED, f"the library does not let a caller set "
                                f"{', '.join(missing)}"), None, None
        why = self.budget.case_given_up(case.name)
        if why:
            return self._result(case, FAIL, f"not run: {why}"), None, None
        if self.proc is None or not self.proc.running:
            self._restart()
        assert self.proc is not None
        mark = self.proc.stderr_total
        try:
            answer = self.proc.encode(case.name, case.messages, self.timeout or case.timeout)
        except AdapterFailure as e:
            stderr = self.proc.stderr_since(mark).decode("utf-8", "replace")
            if not e.malformed:
                self.proc.kill()
                self.proc = None
                self.budget.failed(case.name, e.timed_out)
            return self._result(case, FAIL, str(e), stderr=stderr), None, None
        self.budget.answered()
        if answer.error is not None:
            j = judge_refusal(case.messages, answer.error)
            data = None
        else:
            assert answer.data is not None
            data = answer.data
            j = judge_bytes(case.messages, self.decoder.decode(data))
        stderr = "" if j.verdict == PASS else \
            self.proc.stderr_since(mark).decode("utf-8", "replace")
        return self._result(case, j.verdict, j.reason if j.verdict != PASS else "", j,
                            error=answer.error, stderr=stderr), j, data
