"""A small client adapter for the client harness's own tests.

It speaks the client adapter protocol with one thread per stream and a
minimal EventSource (LF-only lines, data/id/retry/event fields, chunked,
Content-Length and close-delimited bodies; enough for the scenarios below
tests/client_suite/scenarios/). Flags make it misbehave in one way each, so the
tests can check how the harness judges and survives a broken adapter:

  --no-hello                 never write the hello line
  --hello TEXT               write TEXT as the hello line
  --reports K,K,...          the kinds in the hello (default all five)
  --max-streams N            max_streams in the hello (default 64)
  --crash-after N            exit with status 3 on the Nth open
  --garbage-after N          write a line that is not JSON on the Nth open
  --hang-after N             from the Nth open on, do nothing at all
  --never-connect            accept opens but never connect
  --reconnect-after-close    close reports closed but does not stop the stream
  --reconnect-early          ignore retry: reconnect after 20 ms
  --wrong-data-on TEXT       report event data in upper case for URLs containing TEXT
  --stderr-lines N           write N lines naming the stream on stderr at each open
  --no-closed                close stops the stream but reports nothing
  --slow-close S             a close takes S seconds: the stream keeps its slot until its
                             closed report, and the adapter is busy meanwhile (a line for
                             a stream the harness never opened, each second, as a browser
                             busy with its other streams would write); an open beyond
                             max_streams is a failure
  --reconnect-after-404      treat a 404 as a network error: reconnect 100 ms later
                             instead of failing
  --exit-after-hello         close stdin, write the hello, exit with status 3 0.5 s later
                             (every command the harness writes meets a closed pipe)
  --marker TEXT              ignored: a word to find this process by
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import ssl
import sys
import threading
import time
from urllib.parse import urljoin, urlsplit

OUT = threading.Lock()


def emit(obj: dict) -> None:
    with OUT:
        sys.stdout.write(json.dumps(obj) + "\n")
        sys.stdout.flush()


class Stream(threading.Thread):
    def __init__(self, sid: str, url: str, types: list[str], args: argparse.Namespace) -> None:
        super().__init__(daemon=True)
        self.sid, self.url, self.types, self.args = sid, url, set(types) | {"message"}, args
        self.closed = False
        self.sock: socket.socket | None = None
        self.retry_ms = 3000
        self.last_id = ""

    def report(self, kind: str, **kw: object) -> None:
        if self.closed:
            return
        emit({"stream": self.sid, "kind": kind, **kw})

    def close(self) -> None:
        self.closed = True
        s = self.sock
        if s is not None:
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
        if self.args.slow_close:
            end = time.monotonic() + self.args.slow_close
            while time.monotonic() < end:
                emit({"stream": "fixture-busy", "kind": "failure", "message": "busy closing"})
                time.sleep(min(1.0, max(0.0, end - time.monotonic())))
        if not self.args.no_closed:
            emit({"stream": self.sid, "kind": "closed"})

    def run(self) -> None:
        url = self.url
        while not self.closed or self.args.reconnect_after_close:
            outcome, url = self.fetch(url)
            if outcome == "fail":
                self.report("error", readyState=2)
                return
            if self.closed and not self.args.reconnect_after_close:
                return
            self.report("error", readyState=0)
            time.sleep(0.02 if self.args.reconnect_early else self.retry_ms / 1000)

    def connect(self, url: str) -> socket.socket:
        u = urlsplit(url)
        s = socket.create_connection((u.hostname, u.port or (443 if u.scheme == "https" else 80)))
        if u.scheme == "https":
            ctx = ssl.create_default_context(cafile=os.environ.get("SSESPEC_CA_FILE"))
            s = ctx.wrap_socket(s, server_hostname=u.hostname)
        return s

    def fetch(self, url: str) -> tuple[str, str]:
        for _ in range(10):
            u = urlsplit(url)
            try:
                self.sock = s = self.connect(url)
                path = (u.path or "/") + (f"?{u.query}" if u.query else "")
                head = f"GET {path} HTTP/1.1\r\nHost: {u.netloc}\r\nAccept: text/event-stream\r\n"
                if self.last_id:
                    head += f"Last-Event-ID: {self.last_id}\r\n"
                s.sendall((head + "Connection: close\r\n\r\n").encode())
                f = s.makefile("rb")
                status_line = f.readline().decode("latin-1")
                status = int(status_line.split()[1])
                headers = {}
                while True:
                    line = f.readline().decode("latin-1").strip()
                    if not line:
                        break
                    k, _, v = line.partition(":")
                    headers[k.strip().lower()] = v.strip()
            except (OSError, ValueError, IndexError):
                return "reestablish", url
            if status in (301, 302, 303, 307, 308) and "location" in headers:
                url = urljoin(url, headers["location"])
                s.close()
                continue
            ctype = headers.get("content-type", "").split(";")[0].strip().lower()
            if status != 200 or ctype != "text/event-stream":
                s.close()
                if self.args.reconnect_after_404 and status == 404:
                    self.retry_ms = 100
                    return "reestablish", url
                return "fail", url
            self.report("open")
            try:
                self.body(f, headers)
            except (OSError, ValueError):
                pass
            s.close()
            return "reestablish", url
        return "fail", url

    def body(self, f, headers: dict) -> None:
        buf = b""
        data: list[str] = []
        etype = ""

        def feed(chunk: bytes) -> None:
            nonlocal buf, data, etype
            buf += chunk
            while b"\n" in buf:
                raw, buf = buf.split(b"\n", 1)
                line = raw.decode("utf-8", "replace")
                if line == "":
                    if data:
                        text = "\n".join(data)
                        if self.args.wrong_data_on and self.args.wrong_data_on in self.url:
                            text = text.upper()
                        t = etype or "message"
                        if t in self.types:
                            self.report("event", type=t, data=text, lastEventId=self.last_id)
                    data, etype = [], ""
                    continue
                name, _, value = line.partition(":")
                value = value[1:] if value.startswith(" ") else value
                if name == "data":
                    data.append(value)
                elif name == "id":
                    self.last_id = value
                elif name == "event":
                    etype = value
                elif name == "retry" and value.isdigit():
                    self.retry_ms = int(value)

        if headers.get("transfer-encoding", "").lower() == "chunked":
            while True:
                size = int(f.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    return
                feed(f.read(size))
                f.readline()
        elif "content-length" in headers:
            left = int(headers["content-length"])
            while left > 0:
                chunk = f.read1(left)
                if not chunk:
                    return
                left -= len(chunk)
                feed(chunk)
        else:
            while True:
                chunk = f.read1(65536)
                if not chunk:
                    return
                feed(chunk)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--no-hello", action="store_true")
    ap.add_argument("--hello")
    ap.add_argument("--reports", default="open,event,error,closed,failure")
    ap.add_argument("--max-streams", type=int, default=64)
    ap.add_argument("--slow-close", type=float, default=0.0)
    ap.add_argument("--crash-after", type=int, default=0)
    ap.add_argument("--garbage-after", type=int, default=0)
    ap.add_argument("--hang-after", type=int, default=0)
    ap.add_argument("--never-connect", action="store_true")
    ap.add_argument("--reconnect-after-close", action="store_true")
    ap.add_argument("--reconnect-early", action="store_true")
    ap.add_argument("--wrong-data-on", default="")
    ap.add_argument("--stderr-lines", type=int, default=0)
    ap.add_argument("--no-closed", action="store_true")
    ap.add_argument("--exit-after-hello", action="store_true")
    ap.add_argument("--reconnect-after-404", action="store_true")
    ap.add_argument("--marker")
    args = ap.parse_args()
    if args.no_hello:
        for _ in sys.stdin:
            pass
        return 0
    if args.hello is not None:
        emit_raw = args.hello
    else:
        emit_raw = json.dumps({"hello": {"name": "fixture-client", "version": "1",
                                         "reports": args.reports.split(","),
                                         "max_streams": args.max_streams}})
    if args.exit_after_hello:
        os.close(0)
    with OUT:
        sys.stdout.write(emit_raw + "\n")
        sys.stdout.flush()
    if args.exit_after_hello:
        time.sleep(0.5)
        os._exit(3)
    streams: dict[str, Stream] = {}
    holding: set[str] = set()       # with --slow-close: streams not yet closed
    opens = 0
    for raw in sys.stdin:
        cmd = json.loads(raw)
        sid = cmd["stream"]
        if cmd["cmd"] == "open":
            opens += 1
            for i in range(args.stderr_lines):
                print(f"fixture: stream {sid}: line {i}", file=sys.stderr, flush=True)
            if opens == args.crash_after:
                print("fixture: crashing on purpose", file=sys.stderr, flush=True)
                os._exit(3)
            if opens == args.garbage_after:
                with OUT:
                    sys.stdout.write("this is not JSON\n")
                    sys.stdout.flush()
            if args.hang_after and opens >= args.hang_after:
                while True:
                    time.sleep(60)
            if args.slow_close and len(holding) >= args.max_streams:
                emit({"stream": sid, "kind": "failure",
                      "message": f"more than {args.max_streams} streams"})
                continue
            st = Stream(sid, cmd["url"], cmd.get("types") or [], args)
            streams[sid] = st
            holding.add(sid)
            if not args.never_connect:
                st.start()
        elif cmd["cmd"] == "close":
            st = streams.pop(sid, None)
            if st is None:
                emit({"stream": sid, "kind": "failure", "message": "no such stream"})
            elif args.slow_close:
                def closing(st: Stream = st) -> None:
                    st.close()
                    holding.discard(st.sid)     # the slot is free once closed is out
                threading.Thread(target=closing, daemon=True).start()
            else:
                st.close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
