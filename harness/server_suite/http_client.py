"""A small HTTP/1.x client for judging producers on the wire (the served
suite and `./ssespec lint`): one request, the response head as sent, and
the body as it arrives, piece by piece with the time of each, after the
transfer coding (chunked, Content-Length, close-delimited) and the content
coding (gzip, deflate) are undone incrementally.

Everything read from the server is bounded: the head (MAX_HEAD bytes), a
chunk-size line, and the body the caller is willing to read.
"""

from __future__ import annotations

import asyncio
import ssl
import time
import zlib
from dataclasses import dataclass, field
from typing import AsyncIterator
from urllib.parse import urlsplit

MAX_HEAD = 64 << 10
MAX_CHUNK_LINE = 4096
READ = 65536


class HttpError(Exception):
    """The response broke HTTP/1.x framing, or the server could not be reached;
    the message says what was seen."""


@dataclass
class Head:
    version: str
    status: int
    reason: str
    headers: list[tuple[str, str]]          # as sent, names lower-cased
    raw: bytes = b""

    def get(self, name: str) -> list[str]:
        return [v for k, v in self.headers if k == name.lower()]

    def first(self, name: str) -> str | None:
        vals = self.get(name)
        return vals[0] if vals else None

    @property
    def framing(self) -> str:
        """chunked, length or close."""
        te = ",".join(self.get("transfer-encoding")).lower()
        if "chunked" in te:
            return "chunked"
        if self.get("content-length"):
            return "length"
        return "close"


@dataclass
class Piece:
    t: float            # time.monotonic() when the bytes arrived
    data: bytes         # body bytes after transfer and content coding


@dataclass
class Exchange:
    """One request and its response, as far as read."""

    url: str
    head: Head | None = None
    pieces: list[Piece] = field(default_factory=list)
    raw_body_bytes: int = 0            # bytes on the wire after the head
    ended: str | None = None           # how the body ended: "end" (framing), "close", "reset"
    error: str | None = None           # a framing or coding error
    t_connected: float = 0.0
    t_head: float = 0.0

    @property
    def body(self) -> bytes:
        return b"".join(p.data for p in self.pieces)


def request_bytes(url: str, http: str = "1.1", headers: list[tuple[str, str]] = ()) -> bytes:
    parts = urlsplit(url)
    target = (parts.path or "/") + (f"?{parts.query}" if parts.query else "")
    host = parts.hostname or ""
    if parts.port:
        host += f":{parts.port}"
    lines = [f"GET {target} HTTP/{http}", f"Host: {host}"]
    names = {k.lower() for k, _ in headers}
    if "accept" not in names:
        lines.append("Accept: text/event-stream")
    lines += [f"{k}: {v}" for k, v in headers]
    return ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")


async def connect(url: str, timeout: float, verify: bool = True,
                  cafile: str | None = None) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise HttpError(f"not an http or https URL: {url!r}")
    ctx = None
    if parts.scheme == "https":
        ctx = ssl.create_default_context(cafile=cafile)
        if not verify:
            ctx.check_hostname = False
            ctx.verify_mode = ssl.CERT_NONE
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        return await asyncio.wait_for(
            asyncio.open_connection(parts.hostname, port, ssl=ctx, limit=MAX_HEAD + READ),
            timeout)
    except asyncio.TimeoutError:
        raise HttpError(f"no connection to {parts.hostname}:{port} within {timeout:g} s") from None
    except ssl.SSLError as e:
        raise HttpError(f"TLS with {parts.hostname}:{port} failed: {e.reason or e}") from None
    except OSError as e:
        raise HttpError(f"cannot connect to {parts.hostname}:{port}: "
                        f"{e.strerror or e}") from None


async def read_head(reader: asyncio.StreamReader, timeout: float) -> Head:
    try:
        raw = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout)
    except asyncio.TimeoutError:
        raise HttpError(f"no response head within {timeout:g} s") from None
    except asyncio.IncompleteReadError as e:
        raise HttpError(f"the connection closed before a response head "
                        f"(got {len(e.partial)} bytes: {e.partial[:80]!r})") from None
    except asyncio.LimitOverrunError:
        raise HttpError(f"a response head longer than {MAX_HEAD} bytes") from None
    if len(raw) > MAX_HEAD:
        raise HttpError(f"a response head longer than {MAX_HEAD} bytes")
    text = raw.decode("latin-1")
    lines = text.split("\r\n")
    status_line = lines[0]
    bits = status_line.split(" ", 2)
    if len(bits) < 2 or not bits[0].startswith("HTTP/") or not bits[1].isdigit():
        raise HttpError(f"not an HTTP status line: {status_line[:120]!r}")
    headers = []
    for line in lines[1:]:
        if not line:
            continue
        name, colon, value = line.partition(":")
        if not colon or not name or name != name.strip():
            raise HttpError(f"a malformed header line: {line[:120]!r}")
        headers.append((name.lower(), value.strip()))
    return Head(bits[0][5:], int(bits[1]), bits[2] if len(bits) > 2 else "", headers, raw)


class _Decoder:
    """Undoes the content coding incrementally."""

    def __init__(self, coding: str) -> None:
        self.coding = coding
        if coding in ("", "identity"):
            self.z = None
        elif coding in ("gzip", "x-gzip"):
            self.z = zlib.decompressobj(16 + zlib.MAX_WBITS)
        elif coding == "deflate":
            self.z = zlib.decompressobj()
        else:
            raise HttpError(f"a Content-Encoding the harness cannot decode: {coding!r}")

    def feed(self, data: bytes) -> bytes:
        if self.z is None:
            return data
        try:
            return self.z.decompress(data)
        except zlib.error as e:
            raise HttpError(f"the {self.coding} body does not decompress: {e}") from None


async def body(reader: asyncio.StreamReader, head: Head, ex: Exchange,
               max_bytes: int) -> AsyncIterator[Piece]:
    """The body's pieces as they arrive (content coding undone), at most
    max_bytes of them; sets ex.ended and ex.raw_body_bytes. HttpError for
    broken framing."""
    dec = _Decoder(",".join(head.get("content-encoding")).strip().lower())
    got = 0
    framing = head.framing

    def piece(data: bytes) -> Piece | None:
        nonlocal got
        out = dec.feed(data)
        if not out:
            return None
        got += len(out)
        return Piece(time.monotonic(), out)

    try:
        if framing == "chunked":
            while True:
                line = await reader.readuntil(b"\r\n")
                ex.raw_body_bytes += len(line)
                if len(line) > MAX_CHUNK_LINE:
                    raise HttpError("a chunk-size line longer than 4096 bytes")
                size_text = line[:-2].split(b";", 1)[0].strip()
                try:
                    size = int(size_text, 16)
                except ValueError:
                    raise HttpError(f"a chunk-size that is not hex: {size_text[:40]!r}") from None
                if size == 0:
                    while (await reader.readuntil(b"\r\n")) != b"\r\n":
                        pass
                    ex.ended = "end"
                    return
                left = size
                while left:
                    data = await reader.read(min(left, READ))
                    if not data:
                        raise asyncio.IncompleteReadError(b"", left)
                    left -= len(data)
                    ex.raw_body_bytes += len(data)
                    p = piece(data)
                    if p:
                        yield p
                    if got > max_bytes:
                        return
                if await reader.readexactly(2) != b"\r\n":
                    raise HttpError("a chunk not followed by CRLF")
                ex.raw_body_bytes += 2
        else:
            left = int(head.first("content-length") or -1) if framing == "length" else -1
            while left != 0:
                data = await reader.read(READ if left < 0 else min(left, READ))
                if not data:
                    if left > 0:
                        raise asyncio.IncompleteReadError(b"", left)
                    ex.ended = "close"
                    return
                ex.raw_body_bytes += len(data)
                if left > 0:
                    left -= len(data)
                p = piece(data)
                if p:
                    yield p
                if got > max_bytes:
                    return
            ex.ended = "end"
    except asyncio.IncompleteReadError:
        ex.ended = "close"
        ex.error = "the connection closed in the middle of the body framing"
    except asyncio.LimitOverrunError:
        raise HttpError("a chunk-size line longer than the read buffer") from None
    except ConnectionResetError:
        ex.ended = "reset"
