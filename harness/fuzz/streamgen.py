"""Event streams for differential fuzzing (`./ssespec fuzz --impl`,
harness/fuzz/difffuzz.py): mutations of the corpus cases' inputs, a
structure-aware generator, and random splits into chunks.

Everything comes from one seeded random.Random, so a seed gives the same
sequence of streams and splits every time.

The generator knows the format: the four field names, the same in the wrong
case and names that are no field at all; values with spaces, tabs, colons
and NUL; comments; blank lines; CR, LF and CRLF endings (one style per
stream or mixed); a BOM, two, or part of one at the start; UTF-8 at its
edges (two-, three- and four-byte characters, the largest code point,
U+FEFF and U+FFFD as text, invalid bytes, truncated and overlong sequences,
surrogates, values above U+10FFFF); retry values valid and invalid; and an
unterminated last line. The mutator edits a case's input the way the
fuzz targets' dictionaries do: it flips and deletes bytes, inserts format
tokens and generated lines, duplicates and swaps lines, rewrites line
endings, splices two inputs and truncates. The splitter cuts where parsers
go wrong: after a CR, inside a UTF-8 sequence or the BOM, at line starts,
with empty chunks, or one byte per chunk.
"""

from __future__ import annotations

import random
import re

BOM = b"\xef\xbb\xbf"
ENDINGS = (b"\n", b"\r", b"\r\n")

FIELDS = (b"data", b"data", b"data", b"data", b"event", b"id", b"id", b"retry")
WRONG_CASE = (b"Data", b"DATA", b"dAta", b"Event", b"EVENT", b"ID", b"Id", b"iD", b"Retry",
              b"RETRY")
UNKNOWN = (b"foo", b"dat", b"datas", b"ids", b"x-custom", b"eventdata", b"data ", b" data",
           b"id ", b"\tdata", BOM + b"data", b"da\x00ta", b"d\xc3\xa4ta", b"retry ", b"message",
           b"\xef\xbf\xbddata")
SEPARATORS = (b":", b": ", b": ", b": ", b":  ", b":\t", b": \t", b"::", None)

TEXT = (b"a", b"b", b"x", b"hello", b"YHOO", b"42", b"0", b" ", b"  ", b"\t", b":", b": ", b"::",
        b"\x00", b"a\x00b", b"\x7f", b"\x0b", b"\x0c", b"data", b"id", b"event", b"retry",
        b"message", b"{\"json\": 1}", b"a b", b"\\n")
UTF8_EDGES = (
    b"\xc3\xa9", b"\xe2\x82\xac", b"\xf0\x9f\x98\x80", b"\xf4\x8f\xbf\xbf", b"\xc2\x80",
    b"\xdf\xbf", b"\xe0\xa0\x80", b"\xef\xbf\xbf", b"\xef\xbf\xbd", BOM, b"\xe2\x80\xa8",
    b"\xc2\x85",  # valid: 2-, 3-, 4-byte, U+10FFFF, edges, U+FFFD, U+FEFF, U+2028, NEL
    b"\xc0\xaf", b"\xc1\xbf", b"\xe0\x80\xaf", b"\xf0\x80\x80\xaf",  # overlong
    b"\xed\xa0\x80", b"\xed\xbf\xbf",  # surrogates
    b"\xf4\x90\x80\x80", b"\xf5\x80\x80\x80", b"\xf8\x88\x80\x80\x80",  # above U+10FFFF
    b"\xe2\x82", b"\xf0\x9f\x98", b"\xf0\x9f", b"\xc3", b"\xef\xbb",  # truncated
    b"\x80", b"\xbf", b"\x80\x80", b"\xfe", b"\xff",  # lone continuation, never-valid bytes
)
RETRY_VALID = (b"0", b"1", b"10", b"1000", b"3000", b"007", b"00012", b"2147483647")
RETRY_INVALID = (b"", b" ", b"-1", b"+5", b"1.5", b"1e3", b"0x10", b"abc", b"10ms", b" 10", b"10 ",
                 b"1 0", b"\t5", b"1\x002", "\u0663".encode(), "\uff11".encode(), b"1_000",
                 b"1,000", b"5\xc3")
RETRY_HUGE = (b"2147483648", b"4294967296", b"9007199254740993", b"18446744073709551615",
              b"18446744073709551616", b"9" * 30)

# Tokens the mutator inserts (the fuzz targets' dictionary, in short).
TOKENS = (b"data:", b"data: ", b"event:", b"id:", b"id: ", b"retry:", b"retry: ", b":", b": ",
          b"\n", b"\r", b"\r\n", b"\n\n", b"\r\r", b"\r\n\r\n", b"\x00", BOM, b"\xef",
          b"\xef\xbb", b"\xef\xbf\xbd", b"\xf0\x9f\x98\x80", b"\xed\xa0\x80", b"\xc0\xaf", b"\x80",
          b"\xff", b"\xe2\x82", b" ", b"\t", b"18446744073709551616", b"0", b"message", b"Data")


class StreamGen:
    """Streams and their splits from one seed; corpus: the inputs to mutate."""

    def __init__(self, seed: int, corpus: list[bytes] | tuple[bytes, ...] = ()) -> None:
        self.r = random.Random(seed)
        self.corpus = [c for c in corpus if len(c) <= 4096]

    # ---------------------------------------------------------- generating

    def value(self) -> bytes:
        r = self.r
        out = []
        for _ in range(r.choice((0, 0, 1, 1, 1, 2, 3, 5))):
            p = r.random()
            if p < 0.2:
                out.append(r.choice(UTF8_EDGES))
            elif p < 0.28:
                out.append(str(r.randrange(0, 10 ** r.randrange(1, 7))).encode())
            else:
                out.append(r.choice(TEXT))
        return b"".join(out)

    def line(self) -> bytes:
        """One line without its ending."""
        r = self.r
        p = r.random()
        if p < 0.18:
            return b""  # a blank line: dispatch
        if p < 0.27:
            return r.choice((b":", b": ", b":  ", b"::")) + self.value()  # a comment
        if p < 0.33:
            name = r.choice(WRONG_CASE)
        elif p < 0.38:
            name = r.choice(UNKNOWN)
        else:
            name = r.choice(FIELDS)
        sep = r.choice(SEPARATORS)
        if name == b"retry" and r.random() < 0.85:
            q = r.random()
            value = r.choice(RETRY_VALID if q < 0.5 else RETRY_INVALID if q < 0.9 else RETRY_HUGE)
            if q < 0.2:
                value = str(r.randrange(0, 10 ** r.randrange(1, 10))).encode()
        elif name == b"id" and r.random() < 0.2:
            value = r.choice((b"", b"\x00", b"1\x002", b"7", b"\x00x", b"x\x00"))
        else:
            value = self.value()
        if sep is None:  # no colon: the whole line is the name
            return name
        return name + sep + value

    def stream(self) -> bytes:
        r = self.r
        out = []
        p = r.random()
        if p < 0.12:
            out.append(BOM)
        elif p < 0.15:
            out.append(BOM + BOM)
        elif p < 0.18:
            out.append(BOM[:r.randrange(1, 3)])
        elif p < 0.20:
            out.append(BOM + r.choice(UTF8_EDGES))
        mixed = r.random() < 0.5
        fixed = r.choice(ENDINGS)
        for _ in range(r.randrange(0, 14)):
            out.append(self.line())
            out.append(r.choice(ENDINGS) if mixed else fixed)
            if r.random() < 0.04:
                out.append(r.choice(UTF8_EDGES))  # stray bytes starting the next line
        if r.random() < 0.25:
            out.append(self.line())  # an unterminated last line
        return b"".join(out)

    # ---------------------------------------------------------- mutating

    def mutate(self, data: bytes) -> bytes:
        r = self.r
        b = bytearray(data)
        for _ in range(r.choice((1, 1, 2, 2, 3, 4))):
            op = r.randrange(11)
            n = len(b)
            if op == 0 and n:  # one byte changed
                b[r.randrange(n)] = r.choice((r.randrange(256), 0x0A, 0x0D, 0x3A, 0x20, 0x00, 0xEF,
                                              0x80))
            elif op == 1:  # a format token inserted
                i = r.randrange(n + 1)
                b[i:i] = r.choice(TOKENS)
            elif op == 2 and n:  # bytes deleted
                i = r.randrange(n)
                del b[i:i + r.randrange(1, 9)]
            elif op == 3 and n:  # a run duplicated
                i = r.randrange(n)
                j = min(n, i + r.randrange(1, 33))
                b[j:j] = b[i:j]
            elif op == 4:  # line endings rewritten
                to = r.choice(ENDINGS + (None,))
                b = bytearray(re.sub(rb"\r\n|\r|\n", lambda m: to or r.choice(ENDINGS), bytes(b)))
            elif op == 5 and self.corpus:  # spliced with another input
                other = r.choice(self.corpus)
                b = b[:r.randrange(n + 1)] + bytearray(other[r.randrange(len(other) + 1):])
            elif op == 6 and n:  # truncated
                del b[r.randrange(n):]
            elif op in (7, 8):  # a generated line inserted at a line start
                starts = [0] + [m.end() for m in re.finditer(rb"\r\n|\r|\n", bytes(b))]
                i = r.choice(starts)
                b[i:i] = self.line() + r.choice(ENDINGS)
            elif op == 9:  # two lines swapped
                lines = re.split(rb"(\r\n|\r|\n)", bytes(b))
                if len(lines) >= 4:
                    i, j = r.randrange(0, len(lines), 2), r.randrange(0, len(lines), 2)
                    lines[i], lines[j] = lines[j], lines[i]
                    b = bytearray(b"".join(lines))
            elif op == 10:  # the BOM added or taken away
                if b.startswith(BOM):
                    del b[:3]
                else:
                    b[0:0] = BOM
        return bytes(b)

    # ---------------------------------------------------------- splitting

    def split(self, data: bytes) -> list[bytes]:
        r = self.r
        n = len(data)
        p = r.random()
        if p < 0.1 or n < 2:
            return [data]
        if p < 0.18 and n <= 400:
            return [data[i:i + 1] for i in range(n)]
        cuts = [r.randrange(0, n + 1) for _ in range(r.randrange(1, 8))]
        if p < 0.7:  # cut where parsers go wrong
            hot = [i + 1 for i, c in enumerate(data) if c == 0x0D]  # just after a CR
            hot += [i for i, c in enumerate(data) if 0x80 <= c < 0xC0]  # inside a UTF-8 sequence
            hot += [i for i in (1, 2, 3) if i < n and data[:i] == BOM[:i]]  # inside the BOM
            hot += [m.end() for m in re.finditer(rb"\n", data)]  # line starts
            if hot:
                cuts += r.sample(hot, min(len(hot), r.randrange(1, 5)))
        if r.random() < 0.15:
            cuts.append(r.choice(cuts))  # an empty chunk
        cuts.sort()
        chunks, last = [], 0
        for c in cuts + [n]:
            chunks.append(data[last:c])
            last = c
        return chunks

    def case(self) -> list[bytes]:
        """The next stream, split."""
        if self.corpus and self.r.random() < 0.5:
            data = self.mutate(self.r.choice(self.corpus))
        else:
            data = self.stream()
        return self.split(data)
