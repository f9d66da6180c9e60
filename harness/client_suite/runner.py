"""Run client scenario variants concurrently against one client adapter.

Every selected variant is a run: a fresh TOKEN and stream id, the URL
{origin}/s/NAME/TOKEN, one `open` command. Runs go on at the same time (at
most the adapter's max_streams, and at most CAP_STREAMS), so reconnection
waits overlap. One loop (selectors) watches the adapter's stdout and stderr,
its stdin while commands wait, and the server's log; nothing blocks.

A run's life (docs/client-suite.md):

  WAIT     until every expected connection has been served and has played
           to its last action (or ended) and every expected record has
           arrived, or a mismatch is certain; at most the scenario's timeout
  LINGER   `linger` ms more, watching for extra records and requests
  CLOSING  `close` sent; wait for `closed` (when the adapter reports it) up
           to CLOSE_WAIT seconds
  AFTER    `linger` ms more, watching the server log for requests after
           close (C9)

then it is judged (harness/client_suite/judge.py). A run that times out skips LINGER and
AFTER. An adapter that exits, writes something that is not a JSON report,
or stops reading its commands fails every stream it had open and is
restarted.
"""

from __future__ import annotations

import secrets
import selectors
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Callable

from harness.client_suite.judge import Observation, close_point, expected_records, judge, missing
from harness.client_suite.scenario_server import ScenarioServer
from harness.client_suite.scenarios import H2C, ClientVariant, last_action_index
from harness.core.errors import Fatal
from harness.core.records import Record
from harness.core.results import FAIL, PASS, Result
from harness.protocol.client import (ClientAdapterFailure, ClientAdapterProcess, ClientHello,
                                     ClientHelloError, close_command, normalise, open_command)

CAP_STREAMS = 256         # streams at once, whatever the adapter allows
CLOSE_WAIT = 5.0          # seconds for `closed` after `close`
GRACE = 1.0               # seconds a stream is still read after its first mismatch
HANG_SECONDS = 10.0       # an adapter that reads no command for this long has hung
FAILURE_STREAK = 5        # adapter failures in a row (no pass between) before giving up
NOTHING_STREAK = 8        # runs in a row that timed out with nothing seen before giving up
KEEP_EXTRA = 1000         # reports kept beyond the expected count
KEEP_REQUESTS = 100       # request lines kept per run
TICK = 0.25               # longest sleep of the loop

WAIT, LINGER, CLOSING, AFTER = "wait", "linger", "closing", "after"


@dataclass
class RunState:
    obs: Observation
    expected: list[Record]
    token: str
    t_open: float
    deadline: float
    phase: str = WAIT
    until: float = 0.0                 # end of the current LINGER / CLOSING / AFTER
    steps_done: set[int] = field(default_factory=set)
    served: int = 0                    # requests that took a connection
    good: int = 0                      # leading records equal to the expected ones
    close_at: int | None = None        # close-after, in records the adapter reports
    broken: bool = False               # a mismatch is certain
    closed_at: int | None = None       # index of the first `closed` report
    requests_dropped: int = 0
    t_close: float | None = None
    t_end: float | None = None         # when the server said a response body ended (our clock)


@dataclass
class Finished:
    result: Result
    details: str            # the text report ("" for a pass)


class ClientRunner:
    def __init__(self, argv: list[str], env: dict[str, str], server: ScenarioServer,
                 hello_timeout: float, max_streams: int | None = None,
                 max_failures: int = 0,
                 on_result: Callable[[Finished], None] | None = None) -> None:
        self.argv = argv
        self.env = env
        self.server = server
        self.hello_timeout = hello_timeout
        self.max_streams = max_streams
        self.max_failures = max_failures      # stop starting runs after this many (0: never)
        self._failed = 0
        self.on_result = on_result
        self.adapter: ClientAdapterProcess | None = None
        self.hello: ClientHello | None = None
        self.restarts = 0
        self.end_note: str | None = None
        self.notes: list[str] = []
        self.sanitizer = False
        self._seq = 0
        self._active: dict[str, RunState] = {}
        self._by_token: dict[str, RunState] = {}
        self._offset: float | None = None     # harness clock minus server clock (s)
        self._tls_errors: deque[tuple[float, str]] = deque(maxlen=50)
        self._failures_in_row = 0
        self._nothing_in_row = 0
        self._given_up: str | None = None
        self._stopped_early = False
        self._stray = 0
        # streams told to close whose `closed` report has not come: the
        # adapter may still hold them, so they keep their slot (max_streams)
        self._unclosed: set[str] = set()

    # ------------------------------------------------------------ adapter

    def start(self) -> ClientHello:
        proc = ClientAdapterProcess(self.argv, self.env)
        try:
            hello = proc.start(self.hello_timeout)
        except ClientHelloError as e:
            tail = proc.stderr_text(4096).strip().splitlines()
            last = f" (its stderr ends: {tail[-1][:200]})" if tail else ""
            import shlex
            raise Fatal(f"{e}{last} (client adapter: {shlex.join(self.argv)})") from None
        if self.hello is not None and hello.reports != self.hello.reports:
            proc.kill()
            raise Fatal("the restarted adapter reports other kinds than before")
        self.adapter, self.hello = proc, hello
        self._unclosed.clear()          # a new process holds no stream
        return hello

    @property
    def limit(self) -> int:
        assert self.hello is not None
        n = min(self.hello.max_streams, CAP_STREAMS)
        return min(n, self.max_streams) if self.max_streams else n

    def stop(self) -> None:
        if self.adapter is None:
            return
        status = self.adapter.stop()
        self.sanitizer = self.sanitizer or self.adapter.sanitizer
        if status is None:
            self.end_note = "the adapter did not exit within 5 s after its stdin was closed"
        elif status != 0:
            from harness.protocol.process import describe_exit
            self.end_note = f"the adapter {describe_exit(status)} after its stdin was closed"
        if self.adapter.sanitizer:
            self.end_note = ((self.end_note + "; ") if self.end_note else "") + \
                "the adapter wrote a sanitizer report on stderr"
        self.adapter = None

    def _adapter_failed(self, reason: str) -> None:
        assert self.adapter is not None
        self.adapter.kill()
        self.sanitizer = self.sanitizer or self.adapter.sanitizer
        tail = self.adapter.stderr_text(2048)
        per_stream = self.adapter.stream_stderr
        self.adapter = None
        for st in list(self._active.values()):
            if st.phase != AFTER:
                st.obs.adapter_failure = reason
                st.obs.stderr_tail = tail
                st.obs.stderr = per_stream.pop(st.obs.stream, [])
                self._finish(st)
        self._failures_in_row += 1
        if self._failures_in_row >= FAILURE_STREAK and not self._given_up:
            self._given_up = f"the adapter failed {FAILURE_STREAK} times in a row"

    def _restart(self) -> None:
        self.restarts += 1
        try:
            self.start()
        except Fatal as e:
            raise Fatal(f"restarting the client adapter after it failed: {e}") from None

    # ------------------------------------------------------------ runs

    def skipped(self, v: ClientVariant) -> Result | None:
        """The verdict of a variant that needs no run: none. A scenario whose
        records are all of kinds the adapter does not report still runs: the
        requests the server saw (count, delays, headers) are judged."""
        return None

    def _open(self, v: ClientVariant, now: float) -> None:
        assert self.adapter is not None and self.hello is not None
        self._seq += 1
        sid = f"{v.id}#{self._seq}"
        token = f"{v.transport[0]}{self._seq}-{secrets.token_hex(6)}"
        base = f"/s/{v.scenario.name}/{token}"
        origin = self.server.origin(v.transport)
        obs = Observation(variant=v, stream=sid, url=origin + base, base=base, origin=origin,
                          reports=self.hello.reports, fetch=self.hello.fetch,
                          closed_wait=CLOSE_WAIT)
        st = RunState(obs=obs, expected=expected_records(v, self.hello.reports, base, origin),
                      token=token, t_open=now, deadline=now + v.scenario.timeout,
                      close_at=close_point(v, self.hello.reports))
        self._active[sid] = st
        self._by_token[token] = st
        self.adapter.watching.add(sid)
        types = ["message", *[t for t in v.scenario.types if t != "message"]]
        self._send(open_command(sid, obs.url, types, h2c=v.transport == H2C))

    def _send(self, cmd: dict) -> None:
        """Send a command; an adapter that has gone (its stdin closed) fails
        every stream it had, this one included, and is restarted later."""
        assert self.adapter is not None
        try:
            self.adapter.send(cmd)
        except ClientAdapterFailure as e:
            self._adapter_failed(str(e))

    def _finish(self, st: RunState) -> None:
        obs = st.obs
        obs.seconds = time.monotonic() - st.t_open
        if self.adapter is not None:
            obs.stderr = self.adapter.stream_stderr.pop(obs.stream, [])
            self.adapter.watching.discard(obs.stream)
        if obs.requests and st.requests_dropped:
            obs.requests.append({"ev": "unexpected", "method": "?", "subpath": "?",
                                 "delay_ms": None, "note": f"{st.requests_dropped} more"})
        result, details = judge(obs, st.expected)
        del self._active[obs.stream]
        del self._by_token[st.token]
        if result.verdict == PASS:
            self._failures_in_row = 0
        if obs.timeout and not obs.records and not obs.requests:
            self._nothing_in_row += 1
            if self._nothing_in_row >= NOTHING_STREAK and not self._given_up:
                self._given_up = (f"{NOTHING_STREAK} runs in a row timed out with no request "
                                  "and no report")
        else:
            self._nothing_in_row = 0
        if result.verdict == FAIL:
            self._failed += 1
            if self.max_failures and self._failed >= self.max_failures:
                self._stopped_early = True
        if self.on_result:
            self.on_result(Finished(result, details))
        self._results[result.id] = Finished(result, details)

    def _not_run(self, v: ClientVariant, why: str) -> None:
        obs = Observation(variant=v, stream="", url="", base="", origin="",
                          reports=self.hello.reports if self.hello else [], not_run=f"not run: {why}")
        result, details = judge(obs, [])
        if self.on_result:
            self.on_result(Finished(result, details))
        self._results[result.id] = Finished(result, details)

    # ------------------------------------------------------------ the loop

    def run_all(self, variants: list[ClientVariant]) -> dict[str, Finished]:
        """Run every variant; their results by id."""
        if self.adapter is None:
            self._restart()
        self._results: dict[str, Finished] = {}
        pending: deque[ClientVariant] = deque()
        for v in variants:
            r = self.skipped(v)
            if r is not None:
                f = Finished(r, "")
                self._results[v.id] = f
                if self.on_result:
                    self.on_result(f)
            else:
                pending.append(v)
        sel = selectors.DefaultSelector()
        sel.register(self.server.fileno(), selectors.EVENT_READ, "server")
        registered: ClientAdapterProcess | None = None
        writing = False
        try:
            while pending or self._active:
                now = time.monotonic()
                if self._given_up or self._stopped_early:
                    why = self._given_up or "the run stopped after the first failures (-x)"
                    while pending:
                        self._not_run(pending.popleft(), why)
                if pending and self.adapter is None:
                    self._restart()
                # an open that finds the adapter gone fails it (self.adapter None)
                while pending and self.adapter is not None and \
                        self._open_streams() < self.limit:
                    self._open(pending.popleft(), now)
                if pending and self.adapter is not None and len(self._unclosed) >= self.limit \
                        and all(st.phase == AFTER for st in self._active.values()):
                    # every slot held by a stream that never reported closed
                    self._adapter_failed(f"the adapter holds {len(self._unclosed)} streams it was "
                                         f"told to close and never reported closed for")
                # (re)register the adapter's descriptors
                if registered is not self.adapter:
                    if registered is not None:
                        for key in list(sel.get_map().values()):
                            if key.data in ("out", "err", "in"):
                                sel.unregister(key.fd)
                    writing = False
                    if self.adapter is not None:
                        sel.register(self.adapter.fd_out, selectors.EVENT_READ, "out")
                        sel.register(self.adapter.fd_err, selectors.EVENT_READ, "err")
                    registered = self.adapter
                if self.adapter is not None and self.adapter.wants_write != writing:
                    if writing:
                        sel.unregister(self.adapter.fd_in)
                    else:
                        sel.register(self.adapter.fd_in, selectors.EVENT_WRITE, "in")
                    writing = not writing
                self._poll(sel, self._next_wake(now))
                self._advance_all()
        finally:
            sel.close()
        return self._results

    def _open_streams(self) -> int:
        """The streams the adapter holds: those running, and those told to
        close that have not reported `closed` (the adapter's max_streams
        counts them until it does)."""
        running = {sid for sid, st in self._active.items() if st.phase != AFTER}
        return len(running | self._unclosed)

    def _next_wake(self, now: float) -> float:
        wake = now + TICK
        for st in self._active.values():
            t = st.deadline if st.phase == WAIT else st.until
            wake = min(wake, t)
        return max(0.0, wake - now)

    def _poll(self, sel: selectors.BaseSelector, timeout: float) -> None:
        for key, _ in sel.select(timeout):
            try:
                if key.data == "server":
                    for line in self.server.read_lines():
                        self._server_line(line)
                elif self.adapter is None:
                    continue
                elif key.data == "out":
                    for rep in self.adapter.on_readable():
                        self._report(rep)
                elif key.data == "err":
                    if not self.adapter.read_stderr():
                        sel.unregister(key.fd)
                else:
                    self.adapter.on_writable()
            except ClientAdapterFailure as e:
                self._adapter_failed(str(e))
        if self.adapter is not None and self.adapter.stuck_for() > HANG_SECONDS:
            self._adapter_failed(f"the adapter hung: it read no command for {HANG_SECONDS:g} s")
        if not self.server.running:
            raise Fatal(f"ssespec-server stopped during the run{self.server.stderr_hint()}")

    # ------------------------------------------------------------ input

    def _server_line(self, line: dict) -> None:
        t = line.get("t")
        if isinstance(t, (int, float)):
            off = line["recv"] - t / 1000.0
            if self._offset is None or off < self._offset:
                self._offset = off
        ev = line.get("ev")
        if ev == "tls-error":
            self._tls_errors.append((line["recv"], str(line.get("message", ""))))
            return
        st = self._by_token.get(str(line.get("run")))
        if st is None:
            return
        step = line.get("step")
        conns = st.obs.variant.scenario.connections
        if ev in ("request", "unexpected"):
            if ev == "request":
                st.served += 1
            else:
                st.broken = True
            if len(st.obs.requests) >= KEEP_REQUESTS:
                st.requests_dropped += 1
                return
            st.obs.requests.append({k: line.get(k) for k in (
                "ev", "step", "method", "target", "subpath", "headers", "delay_ms", "tls", "t",
                "proto")})
        elif ev == "end" and isinstance(step, int):
            st.t_end = line["recv"]
            st.steps_done.add(step)
        elif ev == "action" and isinstance(step, int) and step < len(conns):
            if line.get("action", -1) >= last_action_index(conns[step]):
                st.steps_done.add(step)

    def _report(self, rep: dict) -> None:
        if rep.get("kind") == "closed":
            self._unclosed.discard(rep["stream"])
        st = self._active.get(rep["stream"])
        if st is None:
            self._stray += 1
            return
        rec = normalise(rep)
        obs = st.obs
        if len(obs.records) < len(st.expected) + KEEP_EXTRA:
            obs.records.append(rec)
        else:
            obs.dropped += 1
            st.broken = True
        if rec["kind"] == "closed" and st.closed_at is None:
            st.closed_at = len(obs.records) - 1
            if not obs.close_sent:
                st.broken = True
            return
        if st.closed_at is not None:
            st.broken = True          # a report after closed
            return
        if rec["kind"] not in obs.reports and rec["kind"] != "failure":
            return
        if not st.broken and st.good < len(st.expected) and rec == st.expected[st.good]:
            st.good += 1
        else:
            st.broken = True

    # ------------------------------------------------------------ phases

    def _ready(self, st: RunState) -> bool:
        if st.broken:
            return True
        n = len(st.obs.variant.scenario.connections)
        return (st.served >= n and all(i in st.steps_done for i in range(n))
                and st.good == len(st.expected))

    def _advance_all(self) -> None:
        now = time.monotonic()
        for st in list(self._active.values()):
            if self._active.get(st.obs.stream) is st:    # not finished by an adapter failure
                self._advance(st, now)

    def _advance(self, st: RunState, now: float) -> None:
        sc = st.obs.variant.scenario
        linger = sc.linger_ms / 1000.0
        if st.phase == WAIT:
            if st.close_at is not None and st.good >= st.close_at and not st.broken:
                # close() while the server may go on sending: nothing after it
                self._close(st, now)
                st.obs.closed_early = True
            elif self._ready(st):
                # The linger counts from the end of the last response body (the
                # server's log line), not from the last report: a client's
                # reconnection is due so long after the body ended, whenever
                # its reports arrive. After a mismatch, GRACE at least, so that
                # a failure or a crash that follows is seen as the first cause.
                base = st.t_end if st.t_end is not None and not st.broken else now
                wait = max(linger, GRACE) if st.broken else linger
                st.phase, st.until = LINGER, max(now, base + wait)
            elif now >= st.deadline:
                st.obs.timeout = self._missing(st)
                self._close(st, now)
                return
            else:
                return
        if st.phase == LINGER:
            if now < st.until:
                return
            self._close(st, now)
        if st.phase == CLOSING:
            if st.closed_at is None and now < st.until:
                return
            if (st.closed_at is None and "closed" in st.obs.reports and self.adapter is not None
                    and now - self.adapter.last_output >= CLOSE_WAIT):
                self._adapter_failed(f"the adapter hung: no closed and no output at all for "
                                     f"{CLOSE_WAIT:g} s after close")
                return
            st.phase = AFTER
            st.until = now if st.obs.timeout else now + linger
        if st.phase == AFTER and now >= st.until:
            self._finish(st)

    def _close(self, st: RunState, now: float) -> None:
        if self.adapter is None:
            self._finish(st)
            return
        st.obs.close_sent = True
        st.t_close = now
        if self._offset is not None:
            st.obs.close_server_t = (now - self._offset) * 1000.0
        self._send(close_command(st.obs.stream))
        if "closed" in st.obs.reports:
            self._unclosed.add(st.obs.stream)
        st.phase = CLOSING
        st.until = now + (CLOSE_WAIT if "closed" in st.obs.reports else 0.0)

    def _missing(self, st: RunState) -> str:
        text = missing(st.obs, st.expected, st.steps_done)
        if not st.obs.requests and st.obs.variant.transport == "tls":
            seen = [m for t, m in self._tls_errors if t >= st.t_open]
            if seen:
                text += f" (the server logged {len(seen)} failed TLS handshakes meanwhile: {seen[-1]})"
        return text

    @property
    def stray_reports(self) -> int:
        return self._stray

