"""`./ssespec lint URL`: judge a live event stream from outside (docs/lint.md).

It connects like an EventSource (GET, Accept: text/event-stream), reads for
a bounded time, number of events and number of bytes, and reports what can
be judged from the wire: the status and headers, the framing, UTF-8, line
endings, a BOM where it is not the first bytes, unknown field names,
malformed retry values, U+0000 in an id, events arriving in bursts (the
signature of a buffering server or proxy) and the keep-alive interval.
Memory is bounded whatever the server sends: lines are kept up to
MAX_LINE bytes, the rest is counted.
"""

from __future__ import annotations

import asyncio
import time
from dataclasses import dataclass, field

from harness.core.report import escape
from harness.server_suite.http_client import (Exchange, HttpError, body, connect, read_head,
                                              request_bytes)

MAX_LINE = 1 << 20            # bytes of one line kept for the checks
BURST_EVENTS = 3              # this many events in one read ...
BURST_SILENCE = 2.0           # ... after this many seconds of silence look like a burst
ERROR, WARNING, INFO = "error", "warning", "info"
KNOWN = (b"data", b"event", b"id", b"retry")


@dataclass
class Finding:
    level: str           # error, warning, info
    rule: str
    what: str
    sample: bytes | None = None
    at: int | None = None            # byte offset in the body

    def as_json(self) -> dict:
        out: dict = {"level": self.level, "rule": self.rule, "what": self.what}
        if self.sample is not None:
            out["bytes"] = escape(self.sample, 200)
        if self.at is not None:
            out["offset"] = self.at
        return out


@dataclass
class Stats:
    bytes: int = 0
    events: int = 0
    comments: int = 0
    lines: int = 0
    endings: dict[str, int] = field(default_factory=lambda: {"CRLF": 0, "LF": 0, "CR": 0})
    event_times: list[float] = field(default_factory=list)
    comment_times: list[float] = field(default_factory=list)
    reads: list[tuple[float, int]] = field(default_factory=list)   # (time, events completed)


class Scanner:
    """Reads the body incrementally, line by line, and notes findings."""

    def __init__(self, findings: list[Finding]) -> None:
        self.findings = findings
        self.stats = Stats()
        self._line = bytearray()
        self._line_len = 0
        self._line_at = 0
        self._cr = False
        self._has_data = False
        self._seen: set[str] = set()
        self._utf8_pending = b""

    def note_once(self, key: str, f: Finding) -> None:
        if key not in self._seen:
            self._seen.add(key)
            self.findings.append(f)

    def feed(self, t: float, data: bytes) -> None:
        before = self.stats.events
        self._utf8(data)
        for i, b in enumerate(data):
            pos = self.stats.bytes + i
            if self._cr:
                self._cr = False
                if b == 0x0A:
                    self.stats.endings["CR"] -= 1
                    self.stats.endings["CRLF"] += 1
                    self._line_at = pos + 1
                    continue
            if b == 0x0D or b == 0x0A:
                self.stats.endings["CR" if b == 0x0D else "LF"] += 1
                self._cr = b == 0x0D
                self._end_line(t)
                self._line_at = pos + 1
                continue
            self._line_len += 1
            if len(self._line) < MAX_LINE:
                self._line.append(b)
            elif self._line_len == MAX_LINE + 1:
                self.note_once("long", Finding(WARNING, "P5", f"a line longer than {MAX_LINE} "
                                               "bytes (the rest of it is not checked)",
                                               bytes(self._line[:80]), self._line_at))
        self.stats.bytes += len(data)
        self.stats.reads.append((t, self.stats.events - before))

    def _utf8(self, data: bytes) -> None:
        chunk = self._utf8_pending + data
        try:
            chunk.decode("utf-8")
            self._utf8_pending = b""
        except UnicodeDecodeError as e:
            if e.reason == "unexpected end of data" and e.start >= len(chunk) - 3:
                self._utf8_pending = chunk[e.start:]
                return
            self._utf8_pending = b""
            self.note_once("utf8", Finding(ERROR, "D2", "the body is not UTF-8: clients "
                                           "replace the bytes with U+FFFD",
                                           chunk[max(0, e.start - 20):e.start + 8],
                                           self.stats.bytes - len(self._utf8_pending) + e.start))

    def _end_line(self, t: float) -> None:
        line = bytes(self._line)
        self._line.clear()
        self._line_len = 0
        s = self.stats
        s.lines += 1
        at = self._line_at
        if line == b"":
            if self._has_data:
                s.events += 1
                s.event_times.append(t)
            self._has_data = False
            return
        if line.startswith(b":"):
            s.comments += 1
            s.comment_times.append(t)
            return
        if b"\xef\xbb\xbf" in line[:3] and at > 0:
            self.note_once("bom", Finding(WARNING, "D4", "U+FEFF (a BOM) at the start of a line "
                                          "that is not the stream's first: clients read it as "
                                          "part of the field name, and the field is lost",
                                          line[:40], at))
        name, colon, value = line.partition(b":")
        if colon and value.startswith(b" "):
            value = value[1:]
        if name not in KNOWN:
            self.note_once(f"field:{name[:40]!r}", Finding(
                WARNING, "F5", f"an unknown field name {name[:40].decode('utf-8', 'replace')!r}: "
                "clients ignore the line", line[:80], at))
            return
        if name == b"data":
            self._has_data = True
        elif name == b"retry" and not (value.isdigit() and value.isascii()):
            self.note_once("retry", Finding(ERROR, "P5", "a retry value that is not ASCII "
                                            "digits: clients ignore it", line[:80], at))
        elif name == b"id" and b"\x00" in value:
            self.note_once("nul", Finding(ERROR, "P3", "an id with U+0000: clients ignore the "
                                          "whole id line", line[:80], at))


def check_head(ex: Exchange, http: str, findings: list[Finding]) -> bool:
    """Findings about the response head; False when there is no stream to read."""
    assert ex.head is not None
    h = ex.head
    if h.status != 200:
        findings.append(Finding(ERROR, "P6", f"status {h.status} {h.reason}: an EventSource "
                                "fails the connection on anything but 200 (C4)"))
        return False
    ctype = (h.first("content-type") or "").strip()
    media, _, params = ctype.partition(";")
    if media.strip().lower() != "text/event-stream":
        findings.append(Finding(ERROR, "P6", f"Content-Type {ctype or '(none)'!r}: an "
                                "EventSource fails the connection (C3, C4); the body is not read"))
        return False
    for p in params.split(";"):
        k, _, v = p.strip().partition("=")
        if k.strip().lower() == "charset" and v.strip().strip('"').lower() != "utf-8":
            findings.append(Finding(ERROR, "P6", f"charset {v.strip()!r}: the stream is always "
                                    "decoded as UTF-8 (9.2.6)"))
    if h.get("content-length"):
        findings.append(Finding(ERROR, "P6", f"Content-Length {h.first('content-length')} on an "
                                "event stream: the stream ends after that many bytes"))
    if http == "1.0" and h.framing == "chunked":
        findings.append(Finding(ERROR, "P6", "a chunked body to an HTTP/1.0 request"))
    cc = ",".join(h.get("cache-control")).lower()
    if "no-cache" not in cc and "no-store" not in cc:
        findings.append(Finding(WARNING, "P6-cache", "no Cache-Control: no-cache" +
                                (f" (Cache-Control: {cc})" if cc else "")))
    enc = ",".join(h.get("content-encoding"))
    if enc:
        findings.append(Finding(INFO, "P6-flush", f"the body is compressed ({enc}); the timing "
                                "below is after decompression"))
    return True


def timing(scan: Scanner, t_request: float, t_head: float, seconds: float,
           findings: list[Finding]) -> dict:
    """Findings about when things arrived. Silence is counted from the
    request: a proxy that buffers may hold the head back with the body."""
    s = scan.stats
    out: dict = {"events": s.events, "comments": s.comments, "bytes": s.bytes,
                 "head_after_s": round(t_head - t_request, 3)}
    last = t_request
    bursts = []
    for t, n in s.reads:
        if n >= BURST_EVENTS and t - last >= BURST_SILENCE:
            bursts.append((t - last, n, t - t_request))
        last = t
    if bursts:
        silence, n, when = max(bursts, key=lambda b: b[1])
        findings.append(Finding(WARNING, "P6-flush", f"events arrive in bursts: {n} events in "
                                f"one read after {silence:.1f} s of silence (at +{when:.1f} s "
                                f"from the request; {len(bursts)} such "
                                f"burst{'s' if len(bursts) > 1 else ''}): a buffering server "
                                "or proxy"))
    if s.event_times and s.event_times[0] - t_head > BURST_SILENCE and s.events >= BURST_EVENTS \
            and not bursts:
        findings.append(Finding(INFO, "P6-flush", f"the first event came "
                                f"{s.event_times[0] - t_head:.1f} s after the response head"))
    if s.comment_times:
        gaps = [b - a for a, b in zip([t_head] + s.comment_times, s.comment_times)]
        out["keepalive_max_gap_s"] = round(max(gaps), 2)
        findings.append(Finding(INFO, "P6", f"keep-alive comments: {len(s.comment_times)}, at "
                                f"most {max(gaps):.1f} s apart"))
    elif seconds >= 30:
        findings.append(Finding(INFO, "P6", f"no comment line in {seconds:.0f} s: no keep-alive "
                                "(9.2.7 suggests one every 15 s or so for proxies that drop "
                                "idle connections)"))
    endings = {k: v for k, v in s.endings.items() if v}
    out["line_endings"] = endings
    if len(endings) > 1:
        findings.append(Finding(WARNING, "L1", "line endings mixed: " + ", ".join(
            f"{v} {k}" for k, v in endings.items()) + " (allowed, but a CR at the end of a "
            "chunk trips clients that wait for an LF: L2)"))
    elif "CR" in endings:
        findings.append(Finding(WARNING, "L2", "lines end with a lone CR: allowed, but clients "
                                "that wait to see whether an LF follows hold events back"))
    return out


async def lint(url: str, seconds: float, max_events: int, max_bytes: int, http: str,
               headers: list[tuple[str, str]], verify: bool, cafile: str | None) -> dict:
    findings: list[Finding] = []
    ex = Exchange(url)
    t0 = time.monotonic()
    result: dict = {"url": url, "findings": findings}
    try:
        reader, writer = await connect(url, min(10.0, seconds), verify, cafile)
    except HttpError as e:
        result["error"] = str(e)
        return result
    try:
        writer.write(request_bytes(url, http, headers))
        await writer.drain()
        ex.head = await read_head(reader, min(10.0, seconds))
        ex.t_head = time.monotonic()
        result["status"] = ex.head.status
        result["head"] = ex.head.raw.decode("latin-1").rstrip()
        if not check_head(ex, http, findings):
            return result
        scan = Scanner(findings)
        deadline = t0 + seconds

        async def read_body() -> None:
            assert ex.head is not None
            async for p in body(reader, ex.head, ex, max_bytes):
                scan.feed(p.t, p.data)
                if scan.stats.events >= max_events or time.monotonic() > deadline:
                    return

        try:
            await asyncio.wait_for(read_body(), max(0.1, deadline - time.monotonic()))
            why = "the response ended" if ex.ended else \
                f"{max_events} events read" if scan.stats.events >= max_events else \
                f"{max_bytes} bytes read"
        except asyncio.TimeoutError:
            why = f"{seconds:g} s of reading"
        except HttpError as e:
            findings.append(Finding(ERROR, "P6", f"the body's framing is broken: {e}"))
            why = "a framing error"
        if ex.error:
            findings.append(Finding(ERROR, "P6", ex.error))
        result["stopped"] = why
        result["read_seconds"] = round(time.monotonic() - ex.t_head, 2)
        result["stream"] = timing(scan, t0, ex.t_head, time.monotonic() - ex.t_head, findings)
        if ex.ended and ex.ended != "reset":
            findings.append(Finding(INFO, "C5", f"the server ended the response ({ex.ended}) "
                                    "after {:.1f} s: clients reconnect".format(
                                        time.monotonic() - ex.t_head)))
        return result
    except HttpError as e:
        result["error"] = str(e)
        return result
    finally:
        writer.close()


def run(url: str, seconds: float = 10.0, max_events: int = 1000, max_bytes: int = 16 << 20,
        http: str = "1.1", headers: list[tuple[str, str]] = (), verify: bool = True,
        cafile: str | None = None) -> dict:
    return asyncio.run(lint(url, seconds, max_events, max_bytes, http, list(headers), verify,
                            cafile))
