#!/usr/bin/env python3
"""Generate the fuzz targets' seed corpora from the conformance cases and
the scenario files, for the targets of fuzz/targets.txt (each needs a
generator here):

- parse, split, diff: every case under corpus/cases becomes one or more
  inputs in the fuzz input format (docs/fuzzing.md): a 5-byte header, the
  case's chunk lengths, then its stream.
- http_request: request heads as the reference client sends them, for the
  URL of every scenario under corpus/scenarios (with the Last-Event-ID and
  other headers its `expect-header` lines ask for, and its `expect-path`
  subpaths), and variants of them in the forms the server must judge
  (LF endings, HTTP/1.0, bad versions, bodies, folding, 100 and 101 fields,
  heads at the 16 KiB limit, incomplete heads), each split a few ways.
- http_response: every case's stream as the body of a response, framed in
  turn chunked (the case's chunks as HTTP chunks), by Content-Length and by
  the end of the connection; the responses the scenarios' connections ask
  for (status, headers, framing, http-version, chunk-extension, send); and
  variants (interim 1xx heads, folding, trailers, chunk extensions, bad
  framing).
- scenario: the scenario files themselves (corpus/scenarios and the test
  suites' scenarios/ folders), with string repetition counts capped at
  1000 (so that the fuzzer does not spend its time building strings of
  megabytes); and a minimal scenario with lines at the loader's limits and
  rules (most of them refused).
- encode: messages (docs/fuzzing.md) made of every case's stream, as data
  and comment and with its first lines as event type and id; and of
  values worth putting in every field (line breaks, injections, NUL,
  U+FEFF, U+2028, ill-formed UTF-8).

Nothing is copied by hand into git; the seeds are regenerated each build and
written into a build directory.

  make_seeds.py --out DIR          DIR/<target>/<sha1> for every target
  make_seeds.py --zip OUTDIR       OUTDIR/<target>_seed_corpus.zip (OSS-Fuzz)

Both may be given. The regression inputs (corpus/regressions/<target>) are
added to the zip files too, as OSS-Fuzz expects every known input there.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def read_targets(manifest: Path = ROOT / "fuzz" / "targets.txt") -> tuple[str, ...]:
    """The target names of fuzz/targets.txt (NAME CODE DESCRIPTION per line;
    '#' comments and blank lines skipped), in its order."""
    names = []
    for line in manifest.read_text("utf-8").splitlines():
        if line.strip() and not line.startswith("#"):
            names.append(line.split(None, 1)[0])
    return tuple(names)


def read_max_len(target: str, root: Path = ROOT) -> int:
    """The target's -max_len, from fuzz/<target>.options (`max_len = N`)."""
    options = root / "fuzz" / f"{target}.options"
    m = re.search(r"^max_len\s*=\s*(\d+)\s*$", options.read_text("utf-8"), re.M)
    if not m:
        raise SystemExit(f"make_seeds: {options} has no max_len line")
    return int(m.group(1))


TARGETS = read_targets()
# The parser's targets: seeds in the parser input format from every case.
SSE_TARGETS = ("parse", "split", "diff")
# Every target this script makes seeds for (generate()).
GENERATED = SSE_TARGETS + ("http_request", "http_response", "scenario", "encode")
# Longer seeds than a target's -max_len are left out.
MAX_LEN = {t: read_max_len(t) for t in TARGETS}
HEADER = 5
MAX_LENS = 15
# Where scenario files are read from (recursively).
SCENARIO_DIRS = ("corpus/scenarios", "tests/server/scenarios", "tests/client/scenarios",
                 "tests/client_suite/scenarios")


def header(flags: int = 0, limit_param: int = 0, k: int = 0, lens: list[int] | None = None) -> bytes:
    lens = lens or []
    assert 0 <= flags < 256 and 0 <= limit_param < 65536 and 0 <= k < 256
    assert len(lens) <= MAX_LENS and all(0 <= n < 256 for n in lens)
    return bytes([flags, limit_param & 0xFF, limit_param >> 8, k, len(lens)]) + bytes(lens)


def chunk_lengths(chunks: list[bytes]) -> list[int]:
    """The case's chunks as a length list, or [] (one chunk) if they do not fit."""
    if len(chunks) <= 1:
        return []
    lens = [len(c) for c in chunks]
    if len(lens) <= MAX_LENS and all(n < 256 for n in lens):
        return lens
    return []


def seeds_for(target: str, chunks: list[bytes]) -> list[bytes]:
    stream = b"".join(chunks)
    lens = chunk_lengths(chunks)
    if HEADER + len(lens) + len(stream) > MAX_LEN[target]:
        return []
    if target == "parse":
        return [
            header(0, 0, 0, lens) + stream,
            # a 64-byte limit, and the second stream after sse_parser_reset
            header(0x41, 0, 0, lens) + stream,
        ]
    if target == "split":
        return [header(0, 0, 0, lens) + stream]
    if target == "diff":
        return [
            header(0, 0, 0, lens) + stream,
            # the same bytes again as a reconnection's stream
            header(0x01, 0, 0, lens) + stream,
        ]
    raise ValueError(target)


# ---------------------------------------------------------------- HTTP requests

HTTP_MAX_HEAD = 16 << 10  # server/http_request.h
CLIENT_HEADERS = [  # the reference client's request (client/eventsource.c)
    b"Host: 127.0.0.1:8080",
    b"Accept: text/event-stream",
    b"Cache-Control: no-cache",
    b"Pragma: no-cache",
    b"User-Agent: ssespec-client/1",
    b"Connection: close",
]


def _splits(data: bytes, salt: bytes) -> list[list[int]]:
    """A few deterministic chunk-length lists for data: none (whole), short
    random lengths, one byte at a time for the first bytes, and a cut just
    before the end."""
    h = hashlib.sha1(salt + data).digest()
    out: list[list[int]] = [[]]
    out.append([1 + b % 40 for b in h[: 2 + h[0] % 6]])
    out.append([1] * MAX_LENS)
    if 1 < len(data) < 256 * MAX_LENS:
        n = len(data) - 1 - h[1] % min(4, len(data) - 1)
        lens = []
        while n > 255:
            lens.append(255)
            n -= 255
        out.append(lens + [n])
    return out


def scenario_files(root: Path = ROOT) -> list[Path]:
    files: list[Path] = []
    for d in SCENARIO_DIRS:
        if (root / d).is_dir():
            files += sorted((root / d).rglob("*.scenario"))
    return files


_ESCAPES = {"n": b"\n", "r": b"\r", "t": b"\t", "0": b"\0", "\\": b"\\", '"': b'"', "{": b"{"}


def scenario_string(text: str) -> bytes | None:
    """The bytes of one simple quoted scenario string ("...", no '*' or '+'),
    with {base} and {origin} filled in; None when it is not that simple."""
    m = re.fullmatch(r'"((?:[^"\\]|\\.)*)"', text.strip())
    if not m:
        return None
    body, out, i = m.group(1), bytearray(), 0
    while i < len(body):
        c = body[i]
        if c != "\\":
            out += c.encode()
            i += 1
            continue
        e = body[i + 1]
        if e in _ESCAPES:
            out += _ESCAPES[e]
            i += 2
        elif e == "x" and re.fullmatch(r"[0-9A-Fa-f]{2}", body[i + 2:i + 4]):
            out.append(int(body[i + 2:i + 4], 16))
            i += 4
        else:
            return None
    return bytes(out).replace(b"{origin}", b"http://127.0.0.1:8080").replace(b"{base}", b"/s/x/T0")


def scenario_connections(path: Path) -> list[dict]:
    """The connections of a scenario file, read roughly (directive by
    directive, simple strings only): enough to make realistic seeds."""
    conns: list[dict] = []
    for line in path.read_text("utf-8", "replace").splitlines():
        words = line.strip().split(None, 1)
        if not words:
            continue
        kw, rest = words[0], (words[1] if len(words) > 1 else "")
        if kw == "connection":
            conns.append({"status": b"200 OK", "headers": [], "expect": [], "path": b"",
                          "framing": "chunked", "version": b"HTTP/1.1", "ext": b"", "body": []})
            continue
        if not conns:
            continue
        c = conns[-1]
        name, _, value = rest.partition(" ")
        if kw == "status":
            c["status"] = rest.encode() if " " in rest else rest.encode() + b" X"
        elif kw == "header" and scenario_string(value) is not None:
            c["headers"].append(name.encode() + b": " + scenario_string(value))
        elif kw == "expect-header" and scenario_string(value) is not None:
            c["expect"].append(name.encode() + b": " + scenario_string(value))
        elif kw == "expect-path" and scenario_string(rest) is not None:
            c["path"] = scenario_string(rest)
        elif kw == "framing":
            c["framing"] = rest.strip()
        elif kw == "http-version" and scenario_string(rest) is not None:
            c["version"] = scenario_string(rest)
        elif kw == "chunk-extension" and scenario_string(rest) is not None:
            c["ext"] = scenario_string(rest)
        elif kw in ("send", "send-chunks"):
            for piece in rest.split("|"):
                b = scenario_string(piece)
                if b is not None:
                    c["body"].append(b)
    return conns


def request(target: bytes, headers: list[bytes], eol: bytes = b"\r\n",
            version: bytes = b"HTTP/1.1", method: bytes = b"GET") -> bytes:
    lines = [method + b" " + target + b" " + version] + headers
    return b"".join(line + eol for line in lines) + eol


def request_heads(root: Path = ROOT) -> list[bytes]:
    """Request heads: one per scenario connection, then variants."""
    heads: list[bytes] = []
    for path in scenario_files(root):
        rel = path.relative_to(root).as_posix()
        name = rel.split("scenarios/", 1)[-1][: -len(".scenario")]
        for n, c in enumerate(scenario_connections(path)):
            target = f"/s/{name}/T{n}".encode() + (b"/" + c["path"] if c["path"] else b"")
            heads.append(request(target, CLIENT_HEADERS + c["expect"]))
    base = CLIENT_HEADERS + [b"Last-Event-ID: 7"]
    t = b"/s/basic/T0"
    heads += [
        request(t, base, eol=b"\n"),
        request(t, base, version=b"HTTP/1.0"),
        request(t, base, version=b"HTTP/2.0"),
        request(t, base, version=b"HTTP/1.2"),
        request(t, base, version=b"http/1.1"),
        request(t, base, method=b"HEAD"),
        request(b"http://127.0.0.1:8080" + t, base),
        request(t, base + [b"Content-Length: 5"]) + b"hello",
        request(t, base + [b"Content-Length: 5", b"Content-Length: 5"]),
        request(t, base + [b"Content-Length: 99999999999999999"]),
        request(t, base + [b"Content-Length: 1x"]),
        request(t, base + [b"Transfer-Encoding: chunked"]) + b"0\r\n\r\n",
        request(t, base + [b"X-Folded: a", b" b"]),
        request(t, base + [b"X-Tabs:\t a \t"]),
        request(t, base + [b"X-Empty:"]),
        request(t, base + [b"X-Ctl: a\x01b"]),
        request(t, base + [b"X-Obs: caf\xc3\xa9"]),
        request(t, base + [b"Bad Name: x"]),
        request(t, [b"H%d: %d" % (i, i) for i in range(100)]),
        request(t, [b"H%d: %d" % (i, i) for i in range(101)]),
        b"\r\n" + request(t, base),
        request(t, base)[:-2],  # no blank line yet
        b"GET / HTTP/1.1\r\n",
        b"\x16\x03\x01\x00\xa5\x01\x00\x00\xa1\x03\x03",  # a TLS ClientHello
        request(t, base) + request(t, base),  # pipelined
    ]
    # heads at the limit: the blank line's LF just below, at and above 16 KiB
    for end in (HTTP_MAX_HEAD - 3, HTTP_MAX_HEAD - 1, HTTP_MAX_HEAD, HTTP_MAX_HEAD + 1):
        head = request(t, [])
        pad = end - len(head) - len(b"X-Pad: \r\n")
        heads.append(request(t, [b"X-Pad: " + b"p" * pad]))
    return heads


def http_request_seeds(root: Path = ROOT) -> list[bytes]:
    out = []
    for head in request_heads(root):
        splits = _splits(head, b"request")
        if len(head) > HTTP_MAX_HEAD - 8:
            splits += [[128], [64, 64, 127, 1]]  # arrivals that stop at 16 KiB exactly
        for lens in splits:
            out.append(header(0, 0, 0, lens) + head)
    return out


# ---------------------------------------------------------------- HTTP responses


def response(status: bytes, headers: list[bytes], body: bytes = b"",
             version: bytes = b"HTTP/1.1", eol: bytes = b"\r\n") -> bytes:
    lines = [version + b" " + status] + headers
    return b"".join(line + eol for line in lines) + eol + body


def chunked(pieces: list[bytes], ext: bytes = b"", trailer: list[bytes] | None = None) -> bytes:
    out = b"".join(b"%x" % len(p) + ext + b"\r\n" + p + b"\r\n" for p in pieces if p)
    return out + b"0" + ext + b"\r\n" + b"".join(t + b"\r\n" for t in trailer or []) + b"\r\n"


SSE_HEAD = [b"Content-Type: text/event-stream", b"Cache-Control: no-cache"]


def http_responses(cases: list[list[bytes]], root: Path = ROOT) -> list[bytes]:
    out: list[bytes] = []
    for i, chunks in enumerate(cases):
        stream = b"".join(chunks)
        if len(stream) > 3000:
            continue
        framing = i % 3
        if framing == 0:
            out.append(response(b"200 OK", SSE_HEAD + [b"Transfer-Encoding: chunked"], chunked(chunks)))
        elif framing == 1:
            out.append(response(b"200 OK", SSE_HEAD + [b"Content-Length: %d" % len(stream)], stream))
        else:
            out.append(response(b"200 OK", SSE_HEAD + [b"Connection: close"], stream))
    for path in scenario_files(root):
        for c in scenario_connections(path):
            body = b"".join(c["body"])
            heads = list(c["headers"])
            if c["status"].startswith(b"200") and not any(h.lower().startswith(b"content-type:") for h in heads):
                heads.append(b"Content-Type: text/event-stream")
            if c["framing"] == "length":
                out.append(response(c["status"], heads + [b"Content-Length: %d" % len(body)], body, c["version"]))
            elif c["framing"] == "close":
                out.append(response(c["status"], heads + [b"Connection: close"], body, c["version"]))
            else:
                out.append(response(c["status"], heads + [b"Transfer-Encoding: chunked"],
                                    chunked(c["body"], c["ext"]), c["version"]))
    body = b"data: hello\n\n"
    te = [b"Transfer-Encoding: chunked"]
    out += [
        response(b"100 Continue", []) + response(b"200 OK", SSE_HEAD + te, chunked([body])),
        response(b"103 Early Hints", [b"Link: </x>"]) + response(b"100 Continue", [])
        + response(b"200 OK", SSE_HEAD, body),
        response(b"101 Switching Protocols", [b"Upgrade: x"]),
        response(b"204 No Content", SSE_HEAD),
        response(b"304 Not Modified", SSE_HEAD + [b"Content-Length: 10"]),
        response(b"200 OK", SSE_HEAD + te, chunked([body], b";a=1;b=\"x\""), eol=b"\n"),
        response(b"200 OK", SSE_HEAD + te, chunked([body, body], trailer=[b"X-T: 1", b"X-U: 2"])),
        response(b"200 OK", SSE_HEAD + [b"Transfer-Encoding: gzip, chunked"], chunked([body])),
        response(b"200 OK", SSE_HEAD + [b"Transfer-Encoding: chunked, chunked"], chunked([body])),
        response(b"200 OK", SSE_HEAD + [b"Transfer-Encoding: CHUNKED", b"Content-Length: 3"], chunked([body])),
        response(b"200 OK", SSE_HEAD + te, chunked([body]), version=b"HTTP/1.0"),
        response(b"200 OK", SSE_HEAD + [b"Content-Length: 13, 13"], body),
        response(b"200 OK", SSE_HEAD + [b"Content-Length: 13", b"Content-Length: 14"], body),
        response(b"200 OK", SSE_HEAD + [b"Content-Length: 18446744073709551616"], body),
        response(b"200 OK", SSE_HEAD + [b"Content-Length: 100"], body),  # truncated
        response(b"200 OK", [b"Content-Type: text/event-stream;", b" charset=utf-8"], body),
        response(b"200 OK", [b"Content-Type: text/plain, text/event-stream"], body),
        response(b"200 OK", [b"Content-Type: text/event-stream, */*"], body),
        response(b"200 OK", [b"Content-Type: text/plain; a=\"b,c\", text/event-stream"], body),
        response(b"200", SSE_HEAD, body),
        response(b"200 OK", SSE_HEAD + te, b"ffffffffffffffff\r\n" + body),
        response(b"200 OK", SSE_HEAD + te, b"5 ;x\r\nhello\r\n0\r\n\r\n"),
        response(b"200 OK", SSE_HEAD + te, b"5\r\nhelloX0\r\n\r\n"),
        b"HTTP/1.1 200 OK\r\nBad Name: x\r\n\r\n",
        b"HTTP/1.1 200 OK\r\nX: a\rb\r\n\r\n",
        b"ICY 200 OK\r\n\r\n",
        b"",
        # the limits: more than HR_MAX_FIELDS fields, a chunk-size line over
        # HR_CHUNK_LINE_LIMIT bytes
        response(b"200 OK", [b"a:%d" % (i % 10) for i in range(1025)]),
        response(b"200 OK", SSE_HEAD + te, b"5;" + b"x" * 4100 + b"\r\nhello\r\n0\r\n\r\n"),
    ]
    return out


def http_response_seeds(cases: list[list[bytes]], root: Path = ROOT) -> list[bytes]:
    out = []
    for resp in http_responses(cases, root):
        for flags, lens in zip((0, 0, 0x08, 0x01), _splits(resp, b"response")):
            seed = header(flags, 200, 0, lens) + resp
            if len(seed) <= MAX_LEN["http_response"]:
                out.append(seed)
    return out


# Repetition counts in scenario seeds are capped: a string of millions of
# bytes costs the instrumented loader a fifth of a second to build, and the
# fuzzer would spend its time there. (The dictionary still has the limits,
# which are checked before anything is built.)
MAX_SEED_REPEAT = 1000


# Scenarios at the loader's limits and rules, each a minimal valid
# scenario with one or two lines more: most are refused, cheaply (the
# limits are checked before any string is built).
SCENARIO_BASE = b"about a seed at a limit\nrule C5\nconnection\n"
SCENARIO_VARIANTS = [
    b'send "abcdefgh" * 10000000\n',                 # over SC_MAX_BYTES
    b'send "x" * 10000001\n',                        # over SC_MAX_REPEAT
    b'send "x" * 1000 + "y" * 1000 | "z"\n',
    b"repeat 1000001 expect open\n",                 # over SC_MAX_RECORDS
    b'repeat 9000000 expect event data="abcdefgh"\n',  # repeated text over SC_MAX_BYTES
    b'repeat 3 expect event data="a" type="t" id="{base}"\n',
    b'expect event data="a" type=""\n',
    b"status 204\nchunk-extension \";x\"\n",
    b"framing length\nchunk-extension \";x\"\n",
    b"status 204\nframing close\n",
    b'status 304\nsend "x"\n',
    b'omit-content-type\nheader Content-Type "text/plain"\n',
    b'header content-type "text/event-stream"\nheader X-A "{origin}{base}/x"\n',
    b'send "{" + "base}"\n',                         # a template made of literal text
    b'send "\\{base}"\n',
    b'send "\\u{110000}"\n',
    b'send "\\u{D800}"\n',
    b'expect event data="\\xff"\n',
    b'send "unterminated\n',
    b"expect-delay 10..5\n",
    b"expect-delay 700000..\n",
    b"expect-delay 300..\nexpect-header Last-Event-ID \"7\"\nexpect-path \"moved\"\n",
    b"wait 600001\n",
    b"timeout 600.5\nlinger 600001\n",
    b'types "a" "b" ""\n',
    b"http-version \"HTTP/1.0\"\nstatus 200 Fine\n",
    b"skip-variant tls why not\nopen a point\n",
    b"close-after 2\nexpect open\n",                 # past the last expected record
    b"omit-head\nwait 1\nabort\nconnection\nomit-head\nstatus 200\n",
    b"send-chunks \"a\" | \"\" | \"b\"\nraw \"\\x00\\xff\"\nwait 1\nabort\n",
    b"hold\nsend \"x\"\n",
    b"connection\nconnection\nclose\n",
    b"a NUL \x00 in the file\n",
    b"invalid UTF-8 \xc0\xaf\n",
]


def scenario_seeds(root: Path = ROOT) -> list[bytes]:
    def cap(m: re.Match) -> bytes:
        return m.group(1) + str(min(int(m.group(2)), MAX_SEED_REPEAT)).encode()

    files = [re.sub(rb"(\*\s*)(\d{1,9})\b", cap, p.read_bytes()) for p in scenario_files(root)
             if p.stat().st_size <= MAX_LEN["scenario"]]
    variants = [SCENARIO_BASE + v for v in SCENARIO_VARIANTS]
    return files + variants + [v.replace(b"\n", b"\r\n") for v in variants[:4]]


# ---------------------------------------------------------------- encoder messages


def encode_value(b: bytes) -> bytes:
    """A value of the encode target's input: its length (one byte below 255,
    or 255 and two bytes big endian), then its bytes."""
    assert len(b) < 65536
    if len(b) < 255:
        return bytes([len(b)]) + b
    return bytes([255, len(b) >> 8, len(b) & 255]) + b


def encode_retry(ms: int) -> bytes:
    if ms == 2**64 - 1:
        return b"\xfe"
    if ms < 0xFE:
        return bytes([ms])
    return b"\xff" + ms.to_bytes(8, "little")


def encode_event(data: bytes, event: bytes | None = None, id: bytes | None = None,
                 retry: int | None = None, null: bool = False) -> bytes:
    """An event message: control byte, then event type, id, retry, data."""
    c = (4 if event is not None else 0) | (8 if id is not None else 0) \
        | (16 if retry is not None else 0) | (32 if null else 0)
    out = bytes([c])
    if event is not None:
        out += encode_value(event)
    if id is not None:
        out += encode_value(id)
    if retry is not None:
        out += encode_retry(retry)
    return out + encode_value(data)


def encode_comment(text: bytes) -> bytes:
    return b"\x01" + encode_value(text)


def encode_retry_alone(ms: int) -> bytes:
    return b"\x02" + encode_retry(ms)


# Values worth putting in every field: line breaks of every kind and place,
# injections, NUL, U+FEFF, U+2028, leading spaces, colons, text that looks
# like fields, empty values, ill-formed UTF-8.
ENCODE_VALUES = [
    b"", b"x", b" ", b"  x", b":", b"a:b", b"data: x", b"event: e", b"id: 1", b"retry: 5",
    b"\n", b"\r", b"\r\n", b"\n\r", b"x\n", b"x\r", b"x\r\n", b"\nx", b"a\r\r\nb",
    b"x\revent: evil", b"x\n\ndata: forged", b"x\r\n\r\nid: 9", b"\x00", b"a\x00b",
    b"\xef\xbb\xbf", b"\xef\xbb\xbfx", b"\xe2\x80\xa8", b"\xc2\x85", b"\xf0\x9f\x98\x80",
    b"\xf4\x8f\xbf\xbf", b"\xff", b"\xc0\xaf", b"\xed\xa0\x80", b"\xf4\x90\x80\x80",
    b"\xe2\x82", b"ok\xe2\x82x", b"\x80", b"\xc3\xa9\xc3",
]


def encode_seeds(cases: list[list[bytes]]) -> list[bytes]:
    """Messages made of every case's stream (its first lines as event type
    and id, its length as retry), and of ENCODE_VALUES in every field."""
    out: list[bytes] = []
    for chunks in cases:
        stream = b"".join(chunks)
        lines = re.split(rb"\r\n|\r|\n", stream)
        first, second = lines[0][:60], (lines[1] if len(lines) > 1 else b"")[:60]
        out.append(encode_event(stream[:1500]) + encode_comment(stream[:1500]))
        out.append(encode_event(stream[:1000], event=first, id=second, retry=len(stream))
                   + encode_retry_alone(len(lines)))
    for v in ENCODE_VALUES:
        out.append(encode_event(v) + encode_comment(v) + encode_event(b"d", event=v)
                   + encode_event(b"d", id=v) + encode_event(v, event=b"t", id=b"1", retry=0))
    out.append(encode_event(b"", null=True) + encode_event(b"x", id=b"") + encode_retry_alone(0)
               + encode_retry_alone(2**64 - 1) + encode_retry_alone(1000)
               + encode_event(b"x", retry=2**64 - 2))
    out.append(encode_event(b"\n" * 600 + b"\r" * 600) + encode_comment(b"\r\n" * 300))
    out.append(b"".join(encode_event(v) for v in ENCODE_VALUES))
    return out


def load_cases(cases_root: Path) -> list[list[bytes]]:
    sys.path.insert(0, str(ROOT))
    from harness.core.cases import CaseError, load_case  # noqa: E402

    out: list[list[bytes]] = []
    for path in sorted(cases_root.rglob("*.case")):
        try:
            out.append(load_case(path, cases_root).chunks)
        except CaseError as e:  # a broken case is the case suite's business
            print(f"make_seeds: skipping {e}", file=sys.stderr)
    return out


def generate(cases_root: Path, targets: tuple[str, ...] = TARGETS,
             root: Path = ROOT) -> dict[str, dict[str, bytes]]:
    """target -> {sha1: input}, from every case and scenario file."""
    for t in targets:
        if t not in GENERATED:
            raise SystemExit(f"make_seeds: no seed generator for the fuzz target {t!r} "
                             "(fuzz/targets.txt)")
    all_chunks = load_cases(cases_root)
    seeds: dict[str, dict[str, bytes]] = {t: {} for t in targets}

    def add(t: str, s: bytes) -> None:
        if len(s) <= MAX_LEN[t]:
            seeds[t][hashlib.sha1(s).hexdigest()] = s

    for chunks in all_chunks:
        for t in SSE_TARGETS:
            if t in seeds:
                for s in seeds_for(t, chunks):
                    add(t, s)
    if "http_request" in seeds:
        for s in http_request_seeds(root):
            add("http_request", s)
    if "http_response" in seeds:
        for s in http_response_seeds(all_chunks, root):
            add("http_response", s)
    if "scenario" in seeds:
        for s in scenario_seeds(root):
            add("scenario", s)
    if "encode" in seeds:
        for s in encode_seeds(all_chunks):
            add("encode", s)
    return seeds


def regressions(target: str, root: Path = ROOT) -> dict[str, bytes]:
    d = root / "corpus" / "regressions" / target
    if not d.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file() and not p.name.startswith(".")}


def write_dirs(seeds: dict[str, dict[str, bytes]], out: Path) -> None:
    for t, items in seeds.items():
        d = out / t
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.is_file():
                old.unlink()
        for name, data in items.items():
            (d / name).write_bytes(data)


def write_zips(seeds: dict[str, dict[str, bytes]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for t, items in seeds.items():
        z = out / f"{t}_seed_corpus.zip"
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(items.items()):
                zf.writestr(name, data)
            for name, data in regressions(t).items():
                zf.writestr(f"regression-{name}", data)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="write DIR/<target>/<sha1>")
    ap.add_argument("--zip", type=Path, help="write DIR/<target>_seed_corpus.zip")
    ap.add_argument("--cases", type=Path, default=ROOT / "corpus" / "cases")
    ap.add_argument("--target", action="append", choices=TARGETS, help="only this target (repeatable)")
    args = ap.parse_args(argv)
    if not args.out and not args.zip:
        ap.error("give --out, --zip or both")
    seeds = generate(args.cases, tuple(dict.fromkeys(args.target)) if args.target else TARGETS)
    if args.out:
        write_dirs(seeds, args.out)
    if args.zip:
        write_zips(seeds, args.zip)
    counts = ", ".join(f"{t} {len(v)}" for t, v in seeds.items())
    print(f"make_seeds: {counts} seeds from {args.cases}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
