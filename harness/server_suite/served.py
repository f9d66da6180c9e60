"""Run served cases: the harness is the HTTP client of a producer adapter's
SSE endpoint (its hello's "url"), drives each stream with send/end
commands, and judges what reaches the wire (docs/server-suite.md):

  P6        200; Content-Type text/event-stream, charset utf-8 if any; no
            Content-Length; no chunked coding for an HTTP/1.0 request
  P6-cache  Cache-Control: no-cache (a warning when missing)
  P6-flush  every event arrives within PROMPT_MS of the adapter's `sent`
  P7        `gone` within GONE_SECONDS of the client's departure
  and the body decodes, with the reference parser, to the messages sent
  (harness/server_suite/judge.py: injection named).

Every case's streams run at once (one asyncio loop; the adapter's stdout
is read as its reports arrive).
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field
from typing import Callable
from urllib.parse import quote

from harness.core.results import FAIL, PASS, WARNING, Result
from harness.protocol.server import AdapterFailure, ServerAdapterProcess, end_command, send_command
from harness.server_suite.decode import Decoder
from harness.server_suite.http_client import (Exchange, HttpError, body, connect, read_head,
                                              request_bytes)
from harness.server_suite.judge import judge_bytes
from harness.server_suite.served_cases import ServedCase

PROMPT_MS = 500          # an event must reach the client this soon after `sent`
GONE_SECONDS = 5.0       # `gone` must follow the client's departure this soon
REPORT_WAIT = 10.0       # seconds for a `request` or `sent` report
HEAD_WAIT = 10.0
MAX_BODY = 64 << 20


class EventClock:
    """When each event finished arriving: a small line scanner over the
    body pieces (an empty line after a data line dispatches an event; the
    exact records come from the reference parser afterwards)."""

    def __init__(self) -> None:
        self.times: list[float] = []
        self._line = bytearray()
        self._cr = False
        self._data = False

    def feed(self, t: float, data: bytes) -> None:
        for b in data:
            if self._cr and b == 0x0A:
                self._cr = False
                continue
            self._cr = b == 0x0D
            if b in (0x0A, 0x0D):
                line = bytes(self._line)
                self._line.clear()
                if not line:
                    if self._data:
                        self.times.append(t)
                    self._data = False
                elif line == b"data" or line.startswith(b"data:"):
                    self._data = True
            elif len(self._line) < 16:
                self._line.append(b)


@dataclass
class StreamState:
    sid: str
    reports: list[dict] = field(default_factory=list)
    request: dict | None = None
    sent: list[tuple[int, float]] = field(default_factory=list)   # (count, when)
    gone: float | None = None
    failures: list[str] = field(default_factory=list)
    changed: asyncio.Event = field(default_factory=asyncio.Event)


class ServedRunner:
    def __init__(self, proc: ServerAdapterProcess, url: str, decoder: Decoder,
                 on_result: Callable[[Result, str], None] | None = None) -> None:
        self.proc = proc
        self.url = url
        self.decoder = decoder
        self.on_result = on_result
        self.streams: dict[str, StreamState] = {}
        self.dead: str | None = None
        self.stray = 0

    # ------------------------------------------------------------ adapter I/O

    def _on_readable(self) -> None:
        try:
            for rep in self.proc.reports():
                st = self.streams.get(rep["stream"])
                if st is None:
                    self.stray += 1
                    continue
                now = time.monotonic()
                st.reports.append(rep)
                kind = rep["kind"]
                if kind == "request" and st.request is None:
                    st.request = rep
                elif kind == "sent":
                    st.sent.append((rep["count"], now))
                elif kind == "gone" and st.gone is None:
                    st.gone = now
                elif kind == "failure":
                    st.failures.append(rep["message"])
                st.changed.set()
        except AdapterFailure as e:
            self._die(str(e))

    def _die(self, why: str) -> None:
        if self.dead is None:
            tail = self.proc.stderr_text(600).strip()
            self.dead = why + (f" (stderr: ...{tail[-300:]})" if tail else "")
        loop = asyncio.get_running_loop()
        for fd in (self.proc.fd_out, self.proc.fd_err, self.proc.fd_in):
            loop.remove_reader(fd)
            loop.remove_writer(fd)
        for st in self.streams.values():
            st.changed.set()

    def _send(self, cmd: dict) -> None:
        if self.dead:
            return
        try:
            self.proc.send(cmd)
        except AdapterFailure as e:
            self._die(str(e))
            return
        if self.proc.wants_write:
            loop = asyncio.get_running_loop()

            def writable() -> None:
                try:
                    self.proc.on_writable()
                except AdapterFailure as e:
                    self._die(str(e))
                    return
                if not self.proc.wants_write:
                    loop.remove_writer(self.proc.fd_in)
            loop.add_writer(self.proc.fd_in, writable)

    async def _until(self, st: StreamState, ready: Callable[[], bool], seconds: float) -> bool:
        deadline = time.monotonic() + seconds
        while not ready():
            if self.dead:
                return False
            left = deadline - time.monotonic()
            if left <= 0:
                return False
            st.changed.clear()
            try:
                await asyncio.wait_for(st.changed.wait(), left)
            except asyncio.TimeoutError:
                return ready()
        return True

    # ------------------------------------------------------------ one stream

    async def _stream(self, case: ServedCase, n: int) -> tuple[list[str], list[str], Exchange]:
        """Play one copy of case; (failure problems, warnings, the exchange)."""
        sid = f"{case.name}#{n}"
        st = self.streams[sid] = StreamState(sid)
        url = self.url + ("&" if "?" in self.url else "?") + "ssespec-stream=" + quote(sid, safe="")
        ex = Exchange(url)
        problems: list[str] = []
        warnings: list[str] = []
        clock = EventClock()
        try:
            reader, writer = await connect(url, HEAD_WAIT)
        except HttpError as e:
            return [f"cannot reach the adapter's url: {e}"], [], ex
        writer.write(request_bytes(url, case.http, case.headers))
        body_done = asyncio.Event()

        async def consume() -> None:
            try:
                assert ex.head is not None
                async for p in body(reader, ex.head, ex, MAX_BODY):
                    ex.pieces.append(p)
                    clock.feed(p.t, p.data)
            except HttpError as e:
                ex.error = str(e)
            except (ConnectionError, OSError):
                ex.ended = "reset"
            finally:
                body_done.set()

        consumer: asyncio.Task[None] | None = None
        head_error: list[str] = []
        head_ready = asyncio.Event()

        async def head_then_body() -> None:
            # some frameworks hold the head back until the first message:
            # the head is read while the steps go on
            try:
                ex.head = await read_head(reader, REPORT_WAIT + HEAD_WAIT)
                ex.t_head = time.monotonic()
            except HttpError as e:
                head_error.append(str(e))
                body_done.set()
                return
            finally:
                head_ready.set()
            if ex.head.status == 200:
                await consume()
            else:
                body_done.set()

        held: list[bool] = []
        try:
            await writer.drain()
            consumer = asyncio.create_task(head_then_body())
            if not await self._until(st, lambda: st.request is not None, REPORT_WAIT):
                problems.append(self.dead or f"no request report for stream {sid} within "
                                f"{REPORT_WAIT:g} s (the app never saw the request?)")
                return problems, warnings, ex
            # a head held back until the first message is worth a warning;
            # a server that sends it at once has PROMPT_MS to get it across
            try:
                await asyncio.wait_for(head_ready.wait(), PROMPT_MS / 1000)
            except asyncio.TimeoutError:
                held.append(True)
            for name, value in case.expect_headers:
                got = (st.request or {}).get("headers", {}).get(name.lower())
                if got != value:
                    problems.append(f"the app saw {name}: {got!r}, the client sent {value!r}")
            sent_times: list[float] = []
            count = 0
            for step in case.steps:
                if step.what == "send":
                    assert step.message is not None
                    count += 1
                    self._send(send_command(sid, [step.message]))
                    want = count
                    if not await self._until(st, lambda: any(c >= want for c, _ in st.sent),
                                             REPORT_WAIT):
                        problems.append(self.dead or f"no sent report for message {count} "
                                        f"within {REPORT_WAIT:g} s")
                        return problems, warnings, ex
                    sent_times.append(next(t for c, t in st.sent if c >= want))
                elif step.what == "pause":
                    await asyncio.sleep(step.ms / 1000)
                elif step.what == "end":
                    self._send(end_command(sid))
                    try:
                        await asyncio.wait_for(body_done.wait(), REPORT_WAIT)
                    except asyncio.TimeoutError:
                        problems.append(f"the response did not end within {REPORT_WAIT:g} s "
                                        "of the end command")
                elif step.what == "disconnect":
                    t0 = time.monotonic()
                    writer.close()
                    if not await self._until(st, lambda: st.gone is not None, GONE_SECONDS):
                        problems.append(f"P7: no gone report within {GONE_SECONDS:g} s of the "
                                        "client's departure (a server that never notices leaks "
                                        "the stream)")
                    elif st.gone is not None and st.gone - t0 > GONE_SECONDS:
                        problems.append("P7: gone came late")
            try:
                await asyncio.wait_for(head_ready.wait(), HEAD_WAIT)
            except asyncio.TimeoutError:
                pass
            if head_error or ex.head is None:
                problems.append(head_error[0] if head_error else
                                f"no response head within {HEAD_WAIT:g} s of the last step")
                return problems, warnings, ex
            problems += self._head_problems(case, ex, warnings)
            if ex.head.status != 200:
                return problems, warnings, ex
            if held:
                warnings.append(f"P6-flush: no response head within {PROMPT_MS} ms of the "
                                "request reaching the app (it came with the first message): a "
                                "client sees no open event until the app sends something")
            # the last events have PROMPT_MS to arrive
            events_sent = [t for m, t in zip(case.messages, sent_times) if "data" in m]
            deadline = time.monotonic() + PROMPT_MS / 1000
            while len(clock.times) < len(events_sent) and time.monotonic() < deadline \
                    and not body_done.is_set():
                await asyncio.sleep(0.01)
            for k, t_sent in enumerate(events_sent):
                if k >= len(clock.times):
                    waited = (time.monotonic() - t_sent) * 1000
                    problems.append(f"P6-flush: event {k + 1} had not arrived {waited:.0f} ms "
                                    f"after the app sent it (at most {PROMPT_MS} ms): a "
                                    "buffering server or middleware")
                    break
                delay = (clock.times[k] - t_sent) * 1000
                if delay > PROMPT_MS:
                    problems.append(f"P6-flush: event {k + 1} arrived {delay:.0f} ms after the "
                                    f"app sent it (at most {PROMPT_MS} ms): a buffering server "
                                    "or middleware")
                    break
            problems += [f"the library threw: {m}" for m in st.failures]
            return problems, warnings, ex
        finally:
            if not writer.is_closing():
                writer.close()
            if consumer is not None:
                try:
                    await asyncio.wait_for(consumer, 1.0)
                except (asyncio.TimeoutError, Exception):
                    consumer.cancel()

    def _head_problems(self, case: ServedCase, ex: Exchange, warnings: list[str]) -> list[str]:
        assert ex.head is not None
        h = ex.head
        out = []
        if h.status != 200:
            out.append(f"P6: status {h.status} {h.reason}, not 200")
        ctype = (h.first("content-type") or "").strip()
        media, _, params = ctype.partition(";")
        if media.strip().lower() != "text/event-stream":
            out.append(f"P6: Content-Type {ctype!r}, not text/event-stream")
        for p in params.split(";"):
            k, _, v = p.strip().partition("=")
            if k.strip().lower() == "charset" and v.strip().strip('"').lower() != "utf-8":
                out.append(f"P6: Content-Type charset {v.strip()!r}: the stream is always "
                           "decoded as UTF-8")
        if h.get("content-length"):
            out.append(f"P6: Content-Length {h.first('content-length')} on a stream")
        if case.http == "1.0" and h.framing == "chunked":
            out.append("P6: a chunked body to an HTTP/1.0 request (it cannot read it)")
        cc = ",".join(h.get("cache-control")).lower()
        if "no-cache" not in cc and "no-store" not in cc:
            warnings.append("P6-cache: no Cache-Control: no-cache" +
                            (f" (Cache-Control {cc!r})" if cc else ""))
        return out

    # ------------------------------------------------------------ cases

    async def _case(self, case: ServedCase) -> tuple[Result, str]:
        t0 = time.monotonic()
        try:
            outcomes = await asyncio.wait_for(
                asyncio.gather(*(self._stream(case, n) for n in range(case.streams))),
                case.timeout)
        except asyncio.TimeoutError:
            outcomes = [([f"the case did not finish within {case.timeout:g} s"], [],
                         Exchange(self.url))]
        problems: list[str] = []
        warnings: list[str] = []
        first_ex = outcomes[0][2]
        for n, (ps, ws, ex) in enumerate(outcomes):
            where = f" (stream {n + 1} of {case.streams})" if case.streams > 1 else ""
            problems += [p + where for p in ps[:1]]
            warnings += ws[:1] if not warnings else []
            if not ps and ex.head is not None and ex.head.status == 200:
                j = judge_bytes(case.messages, self.decoder.decode(ex.body))
                if j.verdict == FAIL:
                    problems.append(j.reason + where)
                    first_ex = ex
                elif j.verdict == WARNING and not warnings:
                    warnings.append(j.reason)
        verdict = FAIL if problems else WARNING if warnings else PASS
        reason = (problems or warnings or [""])[0]
        result = Result(id=case.name, case=case.name, variant="served", rule=case.rule,
                        verdict=verdict, reason=reason, seconds=time.monotonic() - t0,
                        problems=problems + warnings if verdict != PASS else None)
        details = "" if verdict == PASS else self._details(case, result, first_ex)
        return result, details

    def _details(self, case: ServedCase, result: Result, ex: Exchange) -> str:
        from harness.core.report import escape
        out = [f"{result.verdict.upper()} {result.id}", f"  rule:     {case.rule}",
               f"  about:    {case.about}", f"  reason:   {result.reason}",
               f"  request:  GET {ex.url} HTTP/{case.http}" +
               "".join(f"; {k}: {v}" for k, v in case.headers)]
        if result.problems and len(result.problems) > 1:
            out.append("  problems:")
            out += [f"    - {p}" for p in result.problems[:20]]
        if ex.head is not None:
            out.append("  response head:")
            out += ["    | " + line for line in ex.head.raw.decode("latin-1").rstrip().split("\r\n")]
            out.append(f"  body:     {len(ex.body)} bytes ({ex.head.framing}, ended: {ex.ended}): "
                       f"{escape(ex.body, 400)}")
            if ex.pieces:
                t_head = ex.t_head
                times = ", ".join(f"+{(p.t - t_head) * 1000:.0f} ms {len(p.data)} B"
                                  for p in ex.pieces[:12])
                out.append(f"  arrived:  {times}{' ...' if len(ex.pieces) > 12 else ''}")
        return "\n".join(out)

    async def _main(self, cases: list[ServedCase]) -> dict[str, tuple[Result, str]]:
        loop = asyncio.get_running_loop()
        loop.set_exception_handler(_quiet_about_cancelled)
        loop.add_reader(self.proc.fd_out, self._on_readable)
        loop.add_reader(self.proc.fd_err, lambda: self.proc.read_stderr(4))
        out: dict[str, tuple[Result, str]] = {}
        try:
            for case in cases:          # one case at a time; its streams at once
                if self.dead:
                    r = Result(id=case.name, case=case.name, variant="served", rule=case.rule,
                               verdict=FAIL, reason=f"not run: {self.dead}")
                    out[case.name] = (r, "")
                else:
                    out[case.name] = await self._case(case)
                if self.on_result:
                    self.on_result(*out[case.name])
        finally:
            if not self.dead:
                for fd in (self.proc.fd_out, self.proc.fd_err, self.proc.fd_in):
                    loop.remove_reader(fd)
                    loop.remove_writer(fd)
        return out

    def run_all(self, cases: list[ServedCase]) -> dict[str, tuple[Result, str]]:
        return asyncio.run(self._main(cases))


def _quiet_about_cancelled(loop: asyncio.AbstractEventLoop, context: dict) -> None:
    """The loop's exception handler: a run stopped by Ctrl-C or SIGTERM
    cancels the streams under way, and their gathered CancelledError is
    nothing to report (the command says it was interrupted); anything else
    is reported as asyncio would."""
    if isinstance(context.get("exception"), asyncio.CancelledError):
        return
    loop.default_exception_handler(context)
