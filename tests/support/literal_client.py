#!/usr/bin/python3
"""ssespec-literal-client: an EventSource written literally from the standard.

A peer of the reference client (client/), written independently of it from
the WHATWG HTML Standard, section 9.2 "Server-sent events" (9.2.2 the
constructor and close(), 9.2.3 the processing model), with the Fetch
Standard's request and redirect rules where 9.2 hands over to it. Each step
below quotes the sentence it implements. The event stream itself is
interpreted by the literal parser (tests/support/literal_parser.py, 9.2.5 and
9.2.6), one parser per response body. HTTP/1.1 is done here by hand: the
request, the response head, chunked, Content-Length and close-delimited
bodies, and the gzip content coding (offered in Accept-Encoding, decoded as
the bytes arrive, as Fetch does). Python standard library only: asyncio
streams, ssl and zlib. With --h2 it also speaks HTTP/2 (the framing from
Debian's python3-h2): over TLS when the server's ALPN picks h2, and in
cleartext with prior knowledge for an open that says "h2c": true; its hello
then offers both.

It speaks the client adapter protocol (docs/client-adapter-protocol.md),
many streams at once:

    /usr/bin/python3 tests/support/literal_client.py [--h2] [--defect NAME]...

With no --defect it is meant to be right. Each --defect NAME seeds one bug
of a kind found in real EventSource clients; tests/peers/test_client_mutants.py
proves the client suite catches each one. `--list-defects` lists them.
https URLs are verified against SSESPEC_CA_FILE (and nothing else).
"""

from __future__ import annotations

import asyncio
import importlib.util
import json
import os
import re
import ssl
import sys
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urljoin, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))
from literal_parser import LiteralParser, defect_options  # noqa: E402

NAME = "ssespec-literal-client"
VERSION = "1"
REPORTS = ["open", "event", "error", "closed", "failure"]
MAX_STREAMS = 512

# "A reconnection time, in milliseconds. This must initially be an
# implementation-defined value, probably in the region of a few seconds."
DEFAULT_RECONNECTION_MS = 3000
# Fetch, HTTP-redirect fetch: "If request's redirect count is 20, then return
# a network error."
MAX_REDIRECTS = 20
REDIRECT_STATUSES = (301, 302, 303, 307, 308)   # Fetch: "a redirect status"
MAX_HEAD = 64 << 10
CONNECTING, OPEN, CLOSED = 0, 1, 2

DEFECTS: dict[str, str] = {
    "ignore-retry": "retry fields are ignored: the reconnection time stays the default",
    "forget-last-event-id": "reconnections carry no Last-Event-ID header",
    "reconnect-after-204": "a 204 No Content is treated like an ended body: the client reconnects",
    "accept-wrong-content-type": "a 200 is announced whatever its Content-Type",
    "no-redirect": "a 3xx redirect is not followed: it fails the connection",
    "keep-bom-after-reconnect": "the BOM is removed from the first body only, not from reconnected ones",
    "cr-split-across-reads": "a CR ending one TCP read and an LF starting the next are two line endings",
    "no-reconnect-after-close": "when the server ends the body the client fails the connection "
                                "instead of reestablishing it",
    "reconnect-after-fail": "failing the connection (bad status or type) reconnects like a network error",
    "last-event-id-on-first-request": "the first request already carries an (empty) Last-Event-ID",
    "header-name-case": "response header names are matched case-sensitively (as Content-Type, Location)",
    "reconnect-to-original-url": "after a redirect, reconnections go to the URL given to the constructor",
    "decode-each-read": "each TCP read is UTF-8 decoded on its own, so split sequences become U+FFFD",
    "dispatch-pending-at-end": "at the end of a body a pending event (no blank line yet) is dispatched",
    "retry-reset-per-connection": "each new connection starts with the default reconnection time again",
    "types-ignored": "events of types nobody listens to are delivered too",
    "fail-reports-connecting": "the error event of a failed connection is fired before readyState is CLOSED",
    "reconnect-after-close": "close() drops the connection, but the reconnection timer still fires",
    "chunk-extension-unsupported": "a chunk size line with an extension (`1a;x=1`) breaks the body",
    "strip-nul-from-data": "U+0000 is removed from data values (sanitizing, or C strings joined back)",
    "drop-bare-data-line": "a line `data` without a colon is ignored instead of appending an empty line",
    "strip-second-bom": "BOMs are stripped in a loop: a U+FEFF right after the leading BOM goes too",
    "lf-cr-lf-one-ending": "LF CR LF is read as one line ending, so the empty line after an LF is missed",
    "crash-on-odd-last-event-id": "a Last-Event-ID that is not printable ASCII (NUL, non-ASCII, a control "
                                  "character) raises an uncaught exception on reconnection: the process dies",
    "silent-reconnect-after-fail": "the hello does not list error, and a failed connection (a 404, any "
                                   "status but 200, a wrong Content-Type) is retried like a network error",
    "gzip-whole-body": "a gzip body is decoded only once it has ended: nothing arrives while it stays open",
    "h2-frame-crlf": "(with --h2) each HTTP/2 DATA frame is parsed on its own: a CR ending one frame "
                     "and an LF starting the next are two line endings",
}
H2 = False   # --h2: HTTP/2 offered (set once, by main)


class NetworkError(Exception):
    """A Fetch network error (before the response, or a malformed one)."""


class InvalidHeaderValue(TypeError):
    """crash-on-odd-last-event-id: what an HTTP library that accepts only
    printable ASCII in header values raises."""


# crash-on-odd-last-event-id: set by serve(); an exception put in it ends
# the process with a traceback, as one escaping a library's timer would.
CRASH: asyncio.Future | None = None


LONE_LF_CRLF = re.compile("(?<!\r)\n\r\n")


class ClientParser(LiteralParser):
    """The literal parser with the client's own parsing defects, which the
    parser peer does not have (its defects are tests/peers/test_mutants.py's)."""

    def __init__(self, client_defects: frozenset[str], parser_defects: frozenset[str]) -> None:
        super().__init__(parser_defects)
        self.cd = client_defects
        self.tail = ""            # lf-cr-lf-one-ending: the last two characters parsed
        self.held_cr = False      # ... a CR after a lone LF, held until the next text

    def _split(self, text: str) -> None:
        if "lf-cr-lf-one-ending" in self.cd:
            # a lone LF followed by CR LF is one line ending: the CR LF goes
            if self.held_cr:
                text, self.held_cr = "\r" + text, False
            full = LONE_LF_CRLF.sub("\n", self.tail + text)
            if full.endswith("\n\r") and full[-3:-2] != "\r":
                full, self.held_cr = full[:-1], True
            text = full[len(self.tail):]
            self.tail = full[-2:]
            if not text:
                return
        super()._split(text)

    def _line(self, line: str) -> None:
        if line == "data" and "drop-bare-data-line" in self.cd:
            return
        super()._line(line)

    def _field(self, name: str, value: str) -> None:
        if name == "data" and "strip-nul-from-data" in self.cd:
            value = value.replace("\0", "")
        super()._field(name, value)


# ---------------------------------------------------------------- reports

_out = sys.stdout.buffer


def emit(obj: dict) -> None:
    _out.write(json.dumps(obj, ensure_ascii=True).encode("ascii") + b"\n")
    _out.flush()


# ---------------------------------------------------------------- HTTP


@dataclass
class Response:
    status: int
    headers: list[tuple[str, str]]
    rest: bytes                     # body bytes that came with the head

    def get(self, name: str, case_sensitive: bool = False) -> str | None:
        """Fetch's "get": the values of the header name, combined with ", ",
        or None. Names are byte-case-insensitive (header-name-case: not)."""
        if case_sensitive:
            vals = [v for n, v in self.headers if n == name]
        else:
            vals = [v for n, v in self.headers if n.lower() == name.lower()]
        return ", ".join(vals) if vals else None


def parse_head(head: bytes) -> tuple[int, list[tuple[str, str]]]:
    lines = head.replace(b"\r\n", b"\n").split(b"\n")
    parts = lines[0].decode("latin-1").split(" ", 2)
    if len(parts) < 2 or parts[0] not in ("HTTP/1.1", "HTTP/1.0") or not parts[1].isdigit() \
            or len(parts[1]) != 3:
        raise NetworkError(f"bad status line {lines[0][:80]!r}")
    headers = []
    for raw in lines[1:]:
        if not raw:
            continue
        name, colon, value = raw.decode("latin-1").partition(":")
        if not colon or not name or name != name.strip():
            raise NetworkError(f"bad header line {raw[:80]!r}")
        headers.append((name, value.strip(" \t")))
    return int(parts[1]), headers


async def read_response(reader: asyncio.StreamReader) -> Response:
    """A final response head (interim 1xx responses other than 101 skipped)."""
    buf = b""
    while True:
        end = -1
        for sep in (b"\r\n\r\n", b"\n\n"):
            i = buf.find(sep)
            if i >= 0 and (end < 0 or i < end):
                end, size = i, len(sep)
        if end >= 0:
            status, headers = parse_head(buf[:end])
            buf = buf[end + size:]
            if 100 <= status < 200 and status != 101:
                continue
            return Response(status, headers, buf)
        if len(buf) > MAX_HEAD:
            raise NetworkError("response head too long")
        data = await reader.read(65536)
        if not data:
            raise NetworkError("the connection ended before a response")
        buf += data


class ChunkedBody:
    """Incremental chunked decoding: feed() returns the body bytes of the
    input it was given, so what one TCP read carries stays together."""

    def __init__(self, extensions: bool = True) -> None:
        self.extensions = extensions      # chunk-extension-unsupported: False
        self.state = "size"
        self.line = b""
        self.left = 0
        self.done = False

    def feed(self, data: bytes) -> bytes:
        out = []
        i = 0
        while i < len(data) and not self.done:
            if self.state in ("size", "trailer", "crlf"):
                j = data.find(b"\n", i)
                if j < 0:
                    self.line += data[i:]
                    if len(self.line) > 4096:
                        raise NetworkError("chunk line too long")
                    break
                line = (self.line + data[i:j]).rstrip(b"\r")
                self.line = b""
                i = j + 1
                if self.state == "crlf":
                    if line:
                        raise NetworkError("no CRLF after chunk data")
                    self.state = "size"
                elif self.state == "trailer":
                    if not line:
                        self.done = True
                else:
                    # RFC 9112 7.1: chunk-size [ chunk-ext ] CRLF
                    size = line.split(b";", 1)[0].strip(b" \t") if self.extensions else line
                    try:
                        self.left = int(size, 16)
                    except ValueError:
                        raise NetworkError(f"bad chunk size {line[:40]!r}") from None
                    self.state = "data" if self.left else "trailer"
            else:
                take = data[i:i + self.left]
                out.append(take)
                self.left -= len(take)
                i += len(take)
                if self.left == 0:
                    self.state = "crlf"
        return b"".join(out)


# ---------------------------------------------------------------- MIME


class H2Body:
    """One HTTP/2 request on its own connection (python3-h2 does the framing
    and HPACK): the response head, then the body one DATA frame at a time
    through read(), the same call the HTTP/1.1 path makes on the socket."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        import h2.config
        import h2.connection
        self.reader, self.writer = reader, writer
        self.conn = h2.connection.H2Connection(
            config=h2.config.H2Configuration(client_side=True, header_encoding=None))
        self.sid = 1
        self.frames: list[bytes] = []
        self.head: list[tuple[bytes, bytes]] | None = None
        self.ended = False

    async def request(self, scheme: str, authority: str, target: str,
                      headers: dict[str, str]) -> Response:
        self.conn.initiate_connection()
        pseudo = [(":method", "GET"), (":scheme", scheme), (":authority", authority),
                  (":path", target)]
        self.conn.send_headers(self.sid, pseudo + [(k.lower(), v) for k, v in headers.items()],
                               end_stream=True)
        await self._flush()
        while self.head is None:
            if self.ended:
                raise NetworkError("the HTTP/2 stream ended before a response")
            await self._pump()
        fields = [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self.head]
        status = dict(fields).get(":status", "")
        if not (status.isdigit() and len(status) == 3):
            raise NetworkError(f"bad :status {status!r}")
        return Response(int(status), [(n, v) for n, v in fields if not n.startswith(":")], b"")

    async def read(self, _n: int = 0) -> bytes:
        while not self.frames and not self.ended:
            await self._pump()
        return self.frames.pop(0) if self.frames else b""

    async def _pump(self) -> None:
        import h2.events
        import h2.exceptions
        data = await self.reader.read(65536)
        if not data:
            self.ended = True
            return
        try:
            events = self.conn.receive_data(data)
        except h2.exceptions.ProtocolError as e:
            raise NetworkError(f"HTTP/2: {e}") from None
        for ev in events:
            if isinstance(ev, h2.events.ResponseReceived) and ev.stream_id == self.sid:
                self.head = list(ev.headers)
            elif isinstance(ev, h2.events.InformationalResponseReceived):
                continue
            elif isinstance(ev, h2.events.DataReceived) and ev.stream_id == self.sid:
                self.conn.acknowledge_received_data(ev.flow_controlled_length, ev.stream_id)
                if ev.data:
                    self.frames.append(ev.data)
            elif isinstance(ev, (h2.events.StreamEnded, h2.events.StreamReset)) \
                    and ev.stream_id == self.sid:
                self.ended = True
            elif isinstance(ev, h2.events.ConnectionTerminated):
                self.ended = True
        await self._flush()

    async def _flush(self) -> None:
        out = self.conn.data_to_send()
        if out:
            self.writer.write(out)
            await self.writer.drain()


def extract_mime_essence(value: str | None) -> str | None:
    """Fetch "extract a MIME type" (enough of it): split at commas outside
    quoted strings, parse each as a MIME type, skip failures and */*; the
    last one left wins. Returns its essence, lower-cased, or None."""
    if value is None:
        return None
    parts, cur, quoted = [], "", False
    for ch in value:
        if ch == '"':
            quoted = not quoted
        if ch == "," and not quoted:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    essence = None
    token = set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
    for p in parts:
        p = p.strip(" \t\r\n")
        typ, slash, rest = p.partition("/")
        sub = rest.split(";", 1)[0].rstrip(" \t\r\n")
        typ, sub = typ.lower(), sub.lower()
        if not slash or not typ or not sub or not set(typ) <= token or not set(sub) <= token:
            continue
        if typ + "/" + sub == "*/*":
            continue
        essence = typ + "/" + sub
    return essence


# ---------------------------------------------------------------- EventSource


@dataclass
class Request:
    url_list: list[str]
    headers: dict[str, str] = field(default_factory=dict)    # name -> value, "set" semantics

    @property
    def current_url(self) -> str:
        return self.url_list[-1]


class EventSource:
    def __init__(self, stream: str, url: str, types: list[str], defects: frozenset[str],
                 h2c: bool = False) -> None:
        self.stream = stream
        self.h2c = h2c          # cleartext HTTP/2 with prior knowledge (an open's "h2c")
        self.d = defects
        self.types = {"message", *types}
        # "Let urlRecord be the result of encoding-parsing a URL given url"
        self.url = url
        # "Let request be the result of creating a potential-CORS request given urlRecord"
        self.request = Request([url])
        # "User agents may set (`Accept`, `text/event-stream`) in request's header list."
        self.request.headers["Accept"] = "text/event-stream"
        if "last-event-id-on-first-request" in defects:
            self.request.headers["Last-Event-ID"] = ""
        self.reconnection_time = DEFAULT_RECONNECTION_MS
        # "A last event ID string. This must initially be the empty string."
        self.last_event_id = ""
        # "When the object is created, its readyState must be set to CONNECTING (0)."
        self.ready_state = CONNECTING
        self.bodies = 0
        self.closed_reported = False
        self.writer: asyncio.StreamWriter | None = None
        self.over_h2 = False    # the current response came over HTTP/2
        self.task = asyncio.get_running_loop().create_task(self.run())

    def report(self, kind: str, **fields: object) -> None:
        if self.closed_reported:
            return
        if kind == "error" and "silent-reconnect-after-fail" in self.d:
            return
        emit({"stream": self.stream, "kind": kind, **fields})

    # "The close() method must abort any instances of the fetch algorithm
    # started for this EventSource object, and must set the readyState
    # attribute to CLOSED."
    def close(self) -> None:
        self.ready_state = CLOSED
        if "reconnect-after-close" in self.d:
            if self.writer is not None:      # the connection goes; the timer stays
                self.writer.transport.abort()
        else:
            self.task.cancel()
        self.report("closed")
        self.closed_reported = True

    # ------------------------------------------------------------ the loop

    async def run(self) -> None:
        try:
            outcome = await self.fetch()
            while outcome == "reestablish":
                if not await self.reestablish():
                    return
                outcome = await self.fetch()
            if outcome == "fail":
                self.fail()
                if "reconnect-after-fail" in self.d:
                    self.ready_state = CONNECTING
                    while outcome != "done" and await self.reestablish(fired=True):
                        outcome = await self.fetch()
        except asyncio.CancelledError:
            pass
        except InvalidHeaderValue as e:      # crash-on-odd-last-event-id: nobody catches it
            if CRASH is not None and not CRASH.done():
                CRASH.set_exception(e)
        finally:
            if self.writer is not None:
                self.writer.transport.abort()

    # "When a user agent is to fail the connection, the user agent must queue
    # a task which, if the readyState attribute is set to a value other than
    # CLOSED, sets the readyState attribute to CLOSED and fires an event named
    # error at the EventSource object."
    def fail(self) -> None:
        if self.ready_state != CLOSED:
            if "fail-reports-connecting" in self.d:
                self.report("error", readyState=self.ready_state)
                self.ready_state = CLOSED
                return
            self.ready_state = CLOSED
            self.report("error", readyState=CLOSED)

    # "When a user agent is to announce the connection, the user agent must
    # queue a task which, if the readyState attribute is set to a value other
    # than CLOSED, sets the readyState attribute to OPEN and fires an event
    # named open at the EventSource object."
    def announce(self) -> None:
        if self.ready_state != CLOSED:
            self.ready_state = OPEN
            self.report("open")

    # "When a user agent is to reestablish the connection ..."
    async def reestablish(self, fired: bool = False) -> bool:
        # 1. "If the readyState attribute is set to CLOSED, abort the task."
        #    "Set the readyState attribute to CONNECTING."
        #    "Fire an event named error at the EventSource object."
        ignore_state = "reconnect-after-close" in self.d or "reconnect-after-fail" in self.d
        if self.ready_state != CLOSED:
            self.ready_state = CONNECTING
            self.report("error", readyState=CONNECTING)
        elif not ignore_state:
            return False
        # 2. "Wait a delay equal to the reconnection time of the event source."
        await asyncio.sleep(self.reconnection_time / 1000.0)
        # 5.1 "If the EventSource object's readyState attribute is not set to
        # CONNECTING, then return."
        if self.ready_state != CONNECTING and not ignore_state:
            return False
        # 5.3 "If the EventSource object's last event ID string is not the
        # empty string, then: ... Set (`Last-Event-ID`, lastEventIDValue) in
        # request's header list." (Set, never removed: a header set earlier
        # stays on the request; see the open point C6-empty.)
        if self.last_event_id != "" and "forget-last-event-id" not in self.d:
            self.request.headers["Last-Event-ID"] = self.last_event_id
        if "reconnect-to-original-url" in self.d:
            self.request.url_list = [self.url]
        return True

    # ------------------------------------------------------------ fetch

    async def fetch(self) -> str:
        """One fetch of the request and the processing of its response:
        "reestablish", "fail" (9.2.2 step 15) or "done"."""
        redirects = 0
        while True:
            url = self.request.current_url
            try:
                reader, res = await self.send(url)
            except (NetworkError, OSError, ssl.SSLError, UnicodeError, ValueError) as e:
                print(f"{NAME}: stream {self.stream}: network error: {e}", file=sys.stderr,
                      flush=True)
                # 15.2 "Otherwise, if res is a network error, then reestablish
                # the connection"
                return "reestablish"
            cs = "header-name-case" in self.d
            location = res.get("Location", cs)
            if res.status in REDIRECT_STATUSES and location is not None \
                    and "no-redirect" not in self.d:
                # Fetch, HTTP-redirect fetch: the location URL, parsed relative
                # to the response's URL; the redirect count; the URL appended
                # to the request's URL list (so reconnections use it too).
                self.drop()
                redirects += 1
                if redirects > MAX_REDIRECTS:
                    return "reestablish"
                target = urljoin(url, location)
                if urlsplit(target).scheme not in ("http", "https"):
                    return "reestablish"
                self.request.url_list.append(target)
                continue
            break
        if res.status == 204 and "reconnect-after-204" in self.d:
            self.drop()
            return "reestablish"
        # 15.3 "Otherwise, if res's status is not 200, or if res's
        # `Content-Type` is not `text/event-stream`, then fail the connection."
        essence = extract_mime_essence(res.get("Content-Type", cs))
        if res.status != 200 or (essence != "text/event-stream"
                                 and "accept-wrong-content-type" not in self.d):
            self.drop()
            return "reestablish" if "silent-reconnect-after-fail" in self.d else "fail"
        # 15.4 "Otherwise, announce the connection and interpret res's body
        # line by line."
        self.announce()
        await self.interpret(reader, res)
        self.drop()
        if "no-reconnect-after-close" in self.d:
            return "fail"
        # 14. "if res is not a network error, then reestablish the connection."
        return "reestablish"

    def drop(self) -> None:
        if self.writer is not None:
            self.writer.transport.abort()
            self.writer = None

    async def send(self, url: str) -> tuple[asyncio.StreamReader, Response]:
        u = urlsplit(url)
        if u.scheme not in ("http", "https") or not u.hostname:
            raise NetworkError(f"cannot fetch {url!r}")
        tls = None
        if u.scheme == "https":
            tls = ssl.create_default_context(cafile=os.environ.get("SSESPEC_CA_FILE") or None)
            if H2:
                tls.set_alpn_protocols(["h2", "http/1.1"])
        port = u.port or (443 if tls else 80)
        reader, writer = await asyncio.open_connection(
            u.hostname, port, ssl=tls, server_hostname=u.hostname if tls else None,
            limit=1 << 20)
        self.writer = writer
        alpn = writer.get_extra_info("ssl_object").selected_alpn_protocol() if tls else None
        self.over_h2 = alpn == "h2" or (H2 and self.h2c and tls is None)
        target = (u.path or "/") + (f"?{u.query}" if u.query else "")
        host = u.hostname if u.port is None else f"{u.hostname}:{u.port}"
        headers = {"Host": host, **self.request.headers,
                   "User-Agent": f"{NAME}/{VERSION}"}
        # Fetch, HTTP-network-or-cache fetch: the user agent adds the
        # Accept-Encoding it supports; this one decodes gzip.
        headers.setdefault("Accept-Encoding", "gzip")
        # Fetch, HTTP-network-or-cache fetch: cache mode "no-store" appends
        # `Pragma: no-cache` and `Cache-Control: no-cache` when absent.
        headers.setdefault("Pragma", "no-cache")
        headers.setdefault("Cache-Control", "no-cache")
        headers["Connection"] = "close"
        if "crash-on-odd-last-event-id" in self.d:
            for k, v in headers.items():
                if not all(" " <= c <= "~" for c in v):
                    raise InvalidHeaderValue(f"Invalid character in header content [{k!r}]: {v!r}")
        if self.over_h2:
            del headers["Connection"]        # connection-specific: not in HTTP/2
            body = H2Body(reader, writer)
            return body, await body.request(u.scheme, headers.pop("Host"), target, headers)
        head = f"GET {target} HTTP/1.1\r\n" + "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        writer.write(head.encode("utf-8") + b"\r\n")
        await writer.drain()
        return reader, await read_response(reader)

    async def interpret(self, reader: asyncio.StreamReader, res: Response) -> None:
        """Read the body; each TCP read (over HTTP/2, each DATA frame) goes to
        the parser as one chunk."""
        self.bodies += 1
        parser_defects = set()
        if "cr-split-across-reads" in self.d and not self.over_h2:
            parser_defects.add("cr-split-two-endings")
        if "h2-frame-crlf" in self.d and self.over_h2:
            parser_defects.add("cr-split-two-endings")
        if "decode-each-read" in self.d:
            parser_defects.add("split-utf8-replaced")
        parser = ClientParser(self.d, frozenset(parser_defects))
        if "strip-second-bom" in self.d:
            parser.boms_to_strip = 2
        if self.bodies > 1 and "keep-bom-after-reconnect" in self.d:
            parser.boms_to_strip = 0
        if self.bodies > 1 and "retry-reset-per-connection" in self.d:
            self.reconnection_time = DEFAULT_RECONNECTION_MS
        # The source's last event ID string carries over from body to body;
        # the parser's buffers start empty ("They must be initialized to the
        # empty string.").
        parser.last_event_id = self.last_event_id
        cs = "header-name-case" in self.d
        te = "" if self.over_h2 else (res.get("Transfer-Encoding", cs) or "").lower()
        length = None if self.over_h2 else res.get("Content-Length", cs)
        chunked = ChunkedBody("chunk-extension-unsupported" not in self.d) if "chunked" in te else None
        left = int(length) if chunked is None and length is not None and length.isdigit() else None
        # Fetch "handle content codings": the body is decoded as it arrives;
        # a coding this client does not support is left as it is.
        coding = (res.get("Content-Encoding", cs) or "").strip(" \t").lower()
        inflater = zlib.decompressobj(wbits=31) if coding in ("gzip", "x-gzip") else None
        whole: list[bytes] | None = [] if inflater and "gzip-whole-body" in self.d else None
        data = res.rest
        while True:
            if chunked is not None:
                try:
                    piece = chunked.feed(data)
                except NetworkError as e:     # broken framing ends the body
                    print(f"{NAME}: stream {self.stream}: {e}", file=sys.stderr, flush=True)
                    break
            elif left is not None:
                piece, left = data[:left], left - min(left, len(data))
            else:
                piece = data
            if piece and whole is not None:
                whole.append(piece)
            elif piece and inflater is not None:
                try:
                    piece = inflater.decompress(piece)
                except zlib.error as e:       # a decoding failure ends the body
                    print(f"{NAME}: stream {self.stream}: gzip: {e}", file=sys.stderr, flush=True)
                    break
            if piece and whole is None:
                parser.feed(piece)
                self.take(parser)
            if (chunked is not None and chunked.done) or left == 0:
                break
            try:
                data = await reader.read(65536)
            except (OSError, ssl.SSLError):
                break
            if not data:
                break
        if whole is not None:                 # gzip-whole-body: only now
            try:
                parser.feed(inflater.decompress(b"".join(whole)) + inflater.flush())
                self.take(parser)
            except zlib.error as e:
                print(f"{NAME}: stream {self.stream}: gzip: {e}", file=sys.stderr, flush=True)
        # "Once the end of the file is reached, any pending data must be
        # discarded."
        if "dispatch-pending-at-end" in self.d and parser.data_len:
            parser._dispatch()
            self.take(parser)

    def take(self, parser: LiteralParser) -> None:
        """Deliver what the parser dispatched: events of listened types, and
        the reconnection time and last event ID string it set."""
        for r in parser.records:
            if r["kind"] == "retry" and "ignore-retry" not in self.d:
                # "set the event stream's reconnection time to that integer"
                self.reconnection_time = r["ms"]
            elif r["kind"] == "event":
                # 8. "Queue a task which, if the readyState attribute is set to
                # a value other than CLOSED, dispatches the newly created event"
                if self.ready_state != CLOSED and (r["type"] in self.types
                                                   or "types-ignored" in self.d):
                    self.report("event", type=r["type"], data=r["data"],
                                lastEventId=r["lastEventId"])
        parser.records.clear()
        self.last_event_id = parser.last_event_id


# ---------------------------------------------------------------- protocol


async def serve(defects: frozenset[str]) -> int:
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=4 << 20)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    global CRASH
    CRASH = loop.create_future()
    name = NAME if not defects else NAME + "+" + "+".join(sorted(defects))
    reports = [k for k in REPORTS if k != "error" or "silent-reconnect-after-fail" not in defects]
    hello = {"name": name, "version": VERSION, "reports": reports, "max_streams": MAX_STREAMS,
             "fetch": True}
    if H2:
        hello.update(h2=True, h2c=True)
    emit({"hello": hello})
    sources: dict[str, EventSource] = {}
    commands = loop.create_task(read_commands(reader, sources, defects))
    await asyncio.wait({commands, CRASH}, return_when=asyncio.FIRST_COMPLETED)
    if CRASH.done():
        CRASH.result()            # crash-on-odd-last-event-id: raised, uncaught
    for src in sources.values():
        src.closed_reported = True
        src.task.cancel()
    await asyncio.sleep(0)
    return 0


async def read_commands(reader: asyncio.StreamReader, sources: dict[str, EventSource],
                        defects: frozenset[str]) -> None:
    while True:
        try:
            raw = await reader.readline()
        except ValueError:            # an overlong line: skip it
            continue
        if not raw:
            break
        try:
            cmd = json.loads(raw)
            sid = cmd["stream"]
            if not isinstance(sid, str):
                raise TypeError("stream is not a string")
        except (ValueError, KeyError, TypeError) as e:
            print(f"{NAME}: bad command {raw[:100]!r}: {e}", file=sys.stderr, flush=True)
            continue
        what = cmd.get("cmd")
        if what == "open":
            url, types = cmd.get("url"), cmd.get("types") or []
            if sid in sources:
                emit({"stream": sid, "kind": "failure", "message": "the stream is already open"})
            elif not isinstance(url, str) or urlsplit(url).scheme not in ("http", "https") \
                    or not isinstance(types, list) or not all(isinstance(t, str) for t in types):
                emit({"stream": sid, "kind": "failure", "message": "bad url or types"})
            else:
                # "If urlRecord is failure, then throw a SyntaxError" (checked above)
                sources[sid] = EventSource(sid, url, types, defects, cmd.get("h2c") is True)
        elif what == "close":
            src = sources.pop(sid, None)
            if src is None:
                emit({"stream": sid, "kind": "failure", "message": "no such stream"})
            else:
                src.close()
        else:
            emit({"stream": sid, "kind": "failure", "message": f"unknown command {what!r}"})


def main(argv: list[str] | None = None) -> int:
    global H2
    args = list(sys.argv[1:] if argv is None else argv)
    if "--h2" in args:
        args.remove("--h2")
        H2 = True
        if importlib.util.find_spec("h2") is None:
            print(f"{NAME}: --h2 needs Python's h2 package: apt-get install -y python3-h2",
                  file=sys.stderr)
            return 2
    defects = defect_options(args, DEFECTS, __doc__.split("\n\n")[0])
    if defects is not None and "h2-frame-crlf" in defects and not H2:
        print(f"{NAME}: the defect h2-frame-crlf needs --h2", file=sys.stderr)
        return 2
    return 0 if defects is None else asyncio.run(serve(defects))


if __name__ == "__main__":
    sys.exit(main())
