"""A seeded, structure-aware generator of event streams and their splits.

Streams are built from lines that look like what parsers meet and get wrong:
the four field names and near misses (wrong case, unknown names, a space or a
BOM in the name, the empty name), values with spaces, tabs, colons, NUL,
non-ASCII text, a U+FEFF, invalid and truncated UTF-8, retry values valid and
not, comments, blank lines, CR / LF / CRLF endings mixed, BOMs at the start
(none, one, two, half of one), and an unterminated tail. Each stream is then
cut into chunks at random places (empty chunks included), so that CRLF pairs
and UTF-8 sequences get split.
"""

from __future__ import annotations

import random

ENDINGS = [b"\n", b"\r", b"\r\n"]
BOM = b"\xef\xbb\xbf"

GOOD_NAMES = [b"data", b"event", b"id", b"retry"]
ODD_NAMES = [
    b"Data", b"DATA", b"Event", b"ID", b"Id", b"Retry", b"RETRY",  # wrong case
    b"dat", b"datas", b"ids", b"foo", b"x-custom", b"eventdata",  # unknown
    b"data ", b" data", b"id ", b"\tdata", BOM + b"data",  # space, tab, BOM in the name
    b"da\x00ta", b"d\xc3\xa4ta",  # NUL, non-ASCII
]

# Pieces of values, as bytes (invalid UTF-8 included on purpose).
TEXT_PIECES = [
    b"a", b"b", b"x", b"hello", b"YHOO", b"42", b"0", b" ", b"  ", b"\t", b":", b": ", b"::",
    b"\x00", b"a\x00b", b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", BOM, b"\xef\xbf\xbd",
    b"\x7f", b"\x0b", b"\x0c", b"data", b"id", b"event", b"retry", b"message",
]
INVALID_UTF8 = [
    b"\xc0\xaf", b"\xed\xa0\x80", b"\xe0\x80", b"\xf4\x90\x80\x80", b"\xe2\x82", b"\xf0\x9f\x98",
    b"\xff", b"\xfe", b"\x80", b"\xbf\xbf", b"\xc2", b"\xf5\x80", b"\xf8\x88\x80\x80\x80", b"\xef\xbb",
]
RETRY_VALUES = [
    b"0", b"1", b"10", b"1000", b"3000", b"00012", b"007", b"18446744073709551615",
    b"", b" ", b"10ms", b" 10", b"10 ", b"-1", b"+5", b"1.5", b"1e3", b"0x10", b"abc",
    "\u0663".encode(), "\uff11\uff10".encode(), b"1\x002", b"\t5",
]


class StreamGen:
    def __init__(self, seed: int):
        self.r = random.Random(seed)

    def _value(self) -> bytes:
        r = self.r
        n = r.choice([0, 0, 1, 1, 1, 2, 3, 5])
        out = []
        for _ in range(n):
            p = r.random()
            if p < 0.12:
                out.append(r.choice(INVALID_UTF8))
            elif p < 0.2:
                out.append(str(r.randrange(0, 10 ** r.randrange(1, 7))).encode())
            else:
                out.append(r.choice(TEXT_PIECES))
        return b"".join(out)

    def _separator(self) -> bytes | None:
        return self.r.choice([b":", b": ", b": ", b": ", b":  ", b":\t", b" :", None])

    def _line(self) -> bytes:
        r = self.r
        p = r.random()
        if p < 0.18:
            return b""  # blank line: dispatch
        if p < 0.26:
            return b":" + self._value()  # comment
        if p < 0.33:
            name = r.choice(ODD_NAMES)
        elif p < 0.36:
            name = b""  # a line like ":x" is a comment; with a value-less separator, odd
        else:
            name = r.choice([b"data"] * 4 + [b"event", b"id", b"id", b"retry"] + GOOD_NAMES)
        sep = self._separator()
        if name == b"retry" and r.random() < 0.8:
            value = r.choice(RETRY_VALUES)
            if r.random() < 0.3:
                value = str(r.randrange(0, 10 ** r.randrange(1, 19))).encode()
        elif name == b"id" and r.random() < 0.15:
            value = r.choice([b"", b"\x00", b"1\x002", b"7"])
        else:
            value = self._value()
        if sep is None:
            if not name:
                return b""  # would be an empty line; keep it one
            # no colon: the whole line is the name (values with a colon would add one)
            return name
        return name + sep + value

    def stream(self) -> bytes:
        r = self.r
        out = []
        p = r.random()
        if p < 0.15:
            out.append(BOM)
        elif p < 0.18:
            out.append(BOM + BOM)
        elif p < 0.20:
            out.append(BOM[:r.randrange(1, 3)])
        style = r.random()
        fixed = r.choice(ENDINGS)
        for _ in range(r.randrange(0, 14)):
            out.append(self._line())
            if style < 0.4:
                out.append(fixed)  # one ending throughout
            else:
                out.append(r.choice(ENDINGS))  # mixed
            if r.random() < 0.05:
                out.append(r.choice(INVALID_UTF8))  # stray bytes starting the next line
        if r.random() < 0.25:
            out.append(self._line())  # an unterminated tail
        return b"".join(out)

    def split(self, data: bytes) -> list[bytes]:
        r = self.r
        p = r.random()
        if p < 0.1 or len(data) < 2:
            return [data]
        if p < 0.2:
            return [data[i:i + 1] for i in range(len(data))]
        cuts = sorted(r.randrange(0, len(data) + 1) for _ in range(r.randrange(1, 8)))
        chunks, last = [], 0
        for c in cuts + [len(data)]:
            chunks.append(data[last:c])  # equal cuts give empty chunks
            last = c
        return chunks

    def case(self) -> list[bytes]:
        return self.split(self.stream())
