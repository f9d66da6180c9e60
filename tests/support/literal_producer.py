"""A producer written from the standard's authoring rules (9.2.5), literally,
speaking the server adapter protocol: encode requests and a served endpoint
on loopback (asyncio, HTTP/1.1 and 1.0). Switches plant one defect each, of
the kinds found in real SSE producers, so that tests prove the producer
suite catches every one (tests/peers/test_producer_mutants.py).

    /usr/bin/python3 tests/support/literal_producer.py [--no-serve] [--defect NAME]...
        [--hang-on ID] [--crash-on ID] [--garbage-on ID] [--wrong-case-on ID]
        [--huge-on ID] [--bad-base64-on ID] [--hello TEXT]

The second line's switches break the protocol itself on the encode request
whose case id is ID, so that tests see how the harness survives an adapter
that hangs, dies, writes garbage, answers for another case, floods, or lies
about its bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import re
import sys
from urllib.parse import parse_qs, urlsplit

VERSION = "1.0"
DEFECTS = {
    # the encoder
    "split-lf-only": "data is split at LF only: a lone CR stays in the line (h3's bypass)",
    "raw-data": "data is written as one line, line breaks and all",
    "raw-event": "an event type with CR or LF is written raw",
    "raw-id": "an id with CR or LF is written raw",
    "raw-comment": "a comment with CR or LF is written raw",
    "nul-id": "an id with U+0000 is written (every client ignores it)",
    "no-space": "`name:value` with no space: a value's own leading space is lost",
    "no-blank-line": "an event is not ended by an empty line",
    "strip-event-breaks": "line breaks are removed from an event type instead of refusing it",
    "empty-id-dropped": "an empty id is not written (it must reset the last event ID)",
    # the server
    "buffer": "the served body is held back until the response ends",
    "no-gone": "a client that goes away is never noticed",
    "content-length": "the response carries a Content-Length",
    "chunked-1.0": "an HTTP/1.0 request gets a chunked body",
    "text-plain": "the response says Content-Type: text/plain",
    "no-cache-header": "the response has no Cache-Control",
}
BREAK = re.compile(r"\r\n|\r|\n")


class Refused(Exception):
    pass


def encode(m: dict, defects: set[str]) -> bytes:
    sep = ":" if "no-space" in defects else ": "
    out: list[str] = []
    if "comment" in m:
        c = m["comment"]
        if "raw-comment" in defects:
            return f":{c}\n".encode()
        return "".join(f":{line}\n" for line in BREAK.split(c)).encode()
    for k in ("event", "id"):
        if k in m and ("\r" in m[k] or "\n" in m[k]):
            if f"raw-{k}" in defects:
                continue
            if k == "event" and "strip-event-breaks" in defects:
                continue
            raise Refused(f"an {k} cannot hold CR or LF")
    if "id" in m and "\0" in m["id"] and "nul-id" not in defects:
        raise Refused("an id cannot hold U+0000")
    if "event" in m and m["event"]:
        ev = m["event"]
        if "strip-event-breaks" in defects:
            ev = BREAK.sub("", ev)
        out.append(f"event{sep}{ev}\n")
    if "id" in m and not (m["id"] == "" and "empty-id-dropped" in defects):
        out.append(f"id{sep}{m['id']}\n")
    if "retry" in m:
        out.append(f"retry{sep}{m['retry']}\n")
    if "data" in m:
        d = m["data"]
        if "raw-data" in defects:
            lines = [d]
        elif "split-lf-only" in defects:
            lines = d.replace("\r\n", "\n").split("\n")
        else:
            lines = BREAK.split(d)
        out += [f"data{sep}{line}\n" for line in lines]
        if "no-blank-line" not in defects:
            out.append("\n")
    elif "retry" in m:
        out.append("\n")
    return "".join(out).encode("utf-8", "surrogatepass")


def encode_all(messages: list[dict], defects: set[str]) -> bytes:
    return b"".join(encode(m, defects) for m in messages)


class Server:
    def __init__(self, defects: set[str]) -> None:
        self.defects = defects
        self.streams: dict[str, "Stream"] = {}
        self.port = 0

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            head = await reader.readuntil(b"\r\n\r\n")
        except (asyncio.IncompleteReadError, asyncio.LimitOverrunError, ConnectionError):
            writer.close()
            return
        lines = head.decode("latin-1").split("\r\n")
        method, target, version = (lines[0].split(" ") + ["", "", ""])[:3]
        headers: dict[str, str] = {}
        for line in lines[1:]:
            if ":" in line:
                k, v = line.split(":", 1)
                k = k.strip().lower()
                headers[k] = f"{headers[k]}, {v.strip()}" if k in headers else v.strip()
        sid = (parse_qs(urlsplit(target).query).get("ssespec-stream") or [""])[0]
        if not sid:
            writer.write(b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n")
            await writer.drain()
            writer.close()
            return
        st = Stream(self, sid, writer, version == "HTTP/1.0")
        self.streams[sid] = st
        emit({"stream": sid, "kind": "request", "method": method, "path": target,
              "headers": headers})
        await st.start()
        try:
            while await reader.read(4096):
                pass
        except ConnectionError:
            pass
        st.closed = True
        if "no-gone" not in self.defects and not st.ended:
            emit({"stream": sid, "kind": "gone"})


class Stream:
    def __init__(self, server: Server, sid: str, writer: asyncio.StreamWriter, http10: bool) -> None:
        self.server, self.sid, self.writer = server, sid, writer
        self.chunked = not http10 or "chunked-1.0" in server.defects
        self.count = 0
        self.held = b""
        self.closed = False
        self.ended = False

    async def start(self) -> None:
        d = self.server.defects
        head = ["HTTP/1.1 200 OK",
                "Content-Type: " + ("text/plain" if "text-plain" in d else
                                    "text/event-stream; charset=utf-8")]
        if "no-cache-header" not in d:
            head.append("Cache-Control: no-cache")
        if "content-length" in d:
            head.append("Content-Length: 1000000")
        if self.chunked:
            head.append("Transfer-Encoding: chunked")
        else:
            head.append("Connection: close")
        self.writer.write(("\r\n".join(head) + "\r\n\r\n").encode())
        await self.writer.drain()

    def frame(self, data: bytes) -> bytes:
        return b"%x\r\n%s\r\n" % (len(data), data) if self.chunked else data

    async def send(self, messages: list[dict]) -> None:
        try:
            data = encode_all(messages, self.server.defects)
        except Refused as e:
            emit({"stream": self.sid, "kind": "failure", "message": str(e)})
            return
        self.count += len(messages)
        if "buffer" in self.server.defects:
            self.held += data
        elif not self.closed:
            self.writer.write(self.frame(data))
            try:
                await self.writer.drain()
            except ConnectionError:
                pass
        emit({"stream": self.sid, "kind": "sent", "count": self.count})

    async def end(self) -> None:
        self.ended = True
        if self.held:
            self.writer.write(self.frame(self.held))
        if self.chunked:
            self.writer.write(b"0\r\n\r\n")
        try:
            await self.writer.drain()
        except ConnectionError:
            pass
        self.writer.close()


def emit(obj: dict) -> None:
    sys.stdout.write(json.dumps(obj) + "\n")
    sys.stdout.flush()


async def serve(args: argparse.Namespace, defects: set[str]) -> None:
    server = Server(defects)
    url = None
    if not args.no_serve:
        srv = await asyncio.start_server(server.handle, "127.0.0.1", 0)
        server.port = srv.sockets[0].getsockname()[1]
        url = f"http://127.0.0.1:{server.port}/events"
    hello = {"name": "literal-producer", "version": VERSION,
             "fields": ["data", "event", "id", "retry", "comment"], "encode": True}
    if url:
        hello["url"] = url
    if args.hello is not None:
        sys.stdout.write(args.hello + "\n")
        sys.stdout.flush()
    else:
        emit({"hello": hello})
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader(limit=1 << 30)
    await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    while True:
        line = await reader.readline()
        if not line:
            break
        req = json.loads(line)
        if "case" in req:
            cid = req["case"]
            if cid == args.hang_on:
                await asyncio.sleep(3600)
            if cid == args.crash_on:
                sys.stderr.write("literal-producer: crashing on purpose\n")
                sys.stderr.flush()
                import os
                os._exit(3)
            if cid == args.garbage_on:
                sys.stdout.write("not json at all\n")
                sys.stdout.flush()
                continue
            if cid == args.wrong_case_on:
                emit({"case": cid + "-other", "bytes": ""})
                continue
            if cid == args.bad_base64_on:
                emit({"case": cid, "bytes": "*** not base64 ***"})
                continue
            if cid == args.huge_on:
                while True:
                    sys.stdout.write("x" * (1 << 20))
            try:
                data = encode_all(req["messages"], defects)
                emit({"case": req["case"], "bytes": base64.b64encode(data).decode()})
            except Refused as e:
                emit({"case": req["case"], "error": str(e)})
        elif req.get("cmd") == "send":
            st = server.streams.get(req["stream"])
            if st is not None:
                await st.send(req["messages"])
        elif req.get("cmd") == "end":
            st = server.streams.get(req["stream"])
            if st is not None:
                await st.end()


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--no-serve", action="store_true")
    p.add_argument("--defect", action="append", default=[], choices=sorted(DEFECTS))
    for flag in ("hang-on", "crash-on", "garbage-on", "wrong-case-on", "huge-on",
                 "bad-base64-on", "hello"):
        p.add_argument(f"--{flag}")
    args = p.parse_args()
    asyncio.run(serve(args, set(args.defect)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
