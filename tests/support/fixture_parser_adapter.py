"""A small, correct event-stream parser speaking the adapter protocol, with
switches that break it on purpose (for the harness's own tests).

    adapter.py [--reports event,end] [--hang-on ID] [--crash-on ID]
               [--garbage-on ID] [--wrong-case-on ID] [--huge-on ID]
               [--error-on ID] [--wrong-on ID] [--no-hello] [--hello TEXT]
               [--exit-after N] [--exit-status N] [--noisy]
               [--nested-on ID] [--flood-on ID] [--hang-every N]

--nested-on answers with records nested 100,000 arrays deep; --flood-on
with a well-formed response of 50,000 extra records; --hang-every N hangs
on every Nth request this process gets (so after each restart too).

ID matches a request's case id exactly; an ID ending in '*' matches every
id starting with the rest (all variants of a case).
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import os
import sys
import time


def parse(chunks: list[bytes]) -> list[dict]:
    out: list[dict] = []
    dec = codecs.getincrementaldecoder("utf-8")("replace")
    text, first, after_cr = "", True, False
    data: list[str] = []
    etype, id_buf, last_id = "", "", ""

    def line(s: str) -> None:
        nonlocal etype, id_buf, last_id
        if s == "":
            last_id = id_buf
            if data:
                out.append({"kind": "event", "type": etype or "message",
                            "data": "\n".join(data), "lastEventId": last_id})
            data.clear()
            etype = ""
            return
        if s.startswith(":"):
            out.append({"kind": "comment", "text": s[1:]})
            return
        name, colon, value = s.partition(":")
        if colon and value.startswith(" "):
            value = value[1:]
        if name == "data":
            data.append(value)
        elif name == "event":
            etype = value
        elif name == "id" and "\0" not in value:
            id_buf = value
        elif name == "retry" and value.isascii() and value.isdigit():
            out.append({"kind": "retry", "ms": int(value)})

    def feed(s: str, final: bool) -> None:
        nonlocal text, first, after_cr
        if first and s:
            first = False
            if s.startswith("\ufeff"):
                s = s[1:]
        text += s
        i = 0
        while True:
            if after_cr and text[i:i + 1] == "\n":
                i += 1
            after_cr = False
            j = min((k for k in (text.find("\r", i), text.find("\n", i)) if k >= 0), default=-1)
            if j < 0:
                break
            line(text[i:j])
            after_cr = text[j] == "\r"
            i = j + 1
            if after_cr and i == len(text):
                break
        text = text[i:]

    for c in chunks:
        feed(dec.decode(c), False)
    feed(dec.decode(b"", True), True)
    out.append({"kind": "end", "lastEventId": last_id})
    return out


def matches(pattern: str | None, case_id: str) -> bool:
    if pattern is None:
        return False
    if pattern.endswith("*"):
        return case_id.startswith(pattern[:-1])
    return case_id == pattern


def main() -> int:
    p = argparse.ArgumentParser()
    p.add_argument("--reports", default="event,retry,comment,end")
    for flag in ("hang-on", "crash-on", "garbage-on", "wrong-case-on", "huge-on", "error-on",
                 "wrong-on", "nested-on", "flood-on"):
        p.add_argument(f"--{flag}")
    p.add_argument("--hang-every", type=int, default=0)
    p.add_argument("--marker", help="ignored: a word to find this process by")
    p.add_argument("--no-hello", action="store_true")
    p.add_argument("--hello", help="write this line instead of the hello")
    p.add_argument("--exit-after", type=int, default=0)
    p.add_argument("--noisy", action="store_true")
    p.add_argument("--exit-status", type=int, default=0, help="exit with this once stdin closes")
    a = p.parse_args()
    out = sys.stdout
    if a.no_hello:
        time.sleep(300)
        return 0
    if a.hello is not None:
        out.write(a.hello + "\n")
    else:
        out.write(json.dumps({"hello": {"name": "fixture", "version": "1.0",
                                        "reports": a.reports.split(",") if a.reports else []}}) + "\n")
    out.flush()
    served = 0
    for raw in sys.stdin:
        req = json.loads(raw)
        cid = req["case"]
        if a.noisy:
            print(f"fixture: request {cid}", file=sys.stderr, flush=True)
        if a.hang_every and (served + 1) % a.hang_every == 0:
            print(f"fixture: hanging on request {served + 1} ({cid})", file=sys.stderr, flush=True)
            time.sleep(300)
        if matches(a.nested_on, cid):
            depth = 100_000
            out.write('{"case": ' + json.dumps(cid) + ', "records": ' + "[" * depth
                      + "]" * depth + "}\n")
            out.flush()
            served += 1
            continue
        if matches(a.flood_on, cid):
            extra = [{"kind": "event", "type": "message", "data": "flood " * 10,
                      "lastEventId": ""}] * 50_000
            out.write(json.dumps({"case": cid, "records": extra}) + "\n")
            out.flush()
            served += 1
            continue
        if matches(a.hang_on, cid):
            print(f"fixture: hanging on {cid}", file=sys.stderr, flush=True)
            time.sleep(300)
        if matches(a.crash_on, cid):
            print(f"fixture: crashing on {cid}", file=sys.stderr, flush=True)
            os._exit(3)
        if matches(a.garbage_on, cid):
            out.write("this is not json\n")
            out.flush()
            continue
        if matches(a.wrong_case_on, cid):
            out.write(json.dumps({"case": cid + "-other", "records": []}) + "\n")
            out.flush()
            continue
        if matches(a.huge_on, cid):
            block = "x" * (1 << 20)
            try:
                while True:
                    out.write(block)
            except BrokenPipeError:
                os._exit(0)
        if matches(a.error_on, cid):
            out.write(json.dumps({"case": cid, "error": "refused by the fixture"}) + "\n")
            out.flush()
            continue
        records = parse([base64.b64decode(c) for c in req["chunks"]])
        if matches(a.wrong_on, cid):
            for r in records:
                if r["kind"] == "event":
                    r["data"] += "!"
        out.write(json.dumps({"case": cid, "records": records}) + "\n")
        out.flush()
        served += 1
        if a.exit_after and served >= a.exit_after:
            return 0
    return a.exit_status


if __name__ == "__main__":
    sys.exit(main())
