#!/usr/bin/python3
"""ssespec-literal: a literal reading of the event-stream parsing rules.

This is a peer of the reference parser, written independently of it, straight
from the text of the WHATWG HTML Standard, section 9.2.6 "Interpreting an event
stream" (with 9.2.5 "Parsing an event stream" for the line endings). Each step
below quotes the sentence it implements. It speaks the parser adapter protocol
(docs/adapter-protocol.md) on stdin/stdout:

    /usr/bin/python3 tests/support/literal_parser.py [--defect NAME]...

With no --defect it is meant to be exactly right. Each --defect NAME switches on
one seeded bug of a kind found in real SSE libraries; the mutant tests
(tests/peers/test_mutants.py) prove the suite catches every one of them.
`--list-defects` prints the names with what each one does.

Standard library only; Python 3.11.
"""

from __future__ import annotations

import argparse
import base64
import codecs
import json
import re
import sys

NAME = "ssespec-literal"
VERSION = "1"
REPORTS = ["event", "retry", "comment", "end"]

# Every seeded defect: name -> what the broken parser does instead. Each one is
# checked at exactly one spot in the code below (grep for its name). Those in
# OPEN_DEFECTS depart from this parser's reading on a point the standard leaves
# open: the suite reports them as informational, not as failures.
DEFECTS: dict[str, str] = {
    # decoding (rules D1-D4)
    "bom-kept": "a leading BOM is not removed; it becomes part of the first field name",
    "bom-per-chunk": "a U+FEFF at the start of every chunk is removed, not only at the stream start",
    "bom-twice": "two leading BOMs are removed instead of one",
    "split-utf8-replaced": "each chunk is decoded on its own, so a sequence split across chunks becomes U+FFFD",
    "invalid-utf8-dropped": "invalid UTF-8 is silently dropped instead of becoming U+FFFD",
    "one-fffd-per-run": "a run of invalid bytes gives one U+FFFD instead of one per maximal subpart",
    # lines (rules L1-L4)
    "cr-split-two-endings": "a CR ending one chunk and an LF starting the next count as two line endings",
    "cr-waits-for-more": "a CR at the end of the input waits for a possible LF, so a final CR never ends its line",
    "lf-only": "only LF ends a line (a CR before it is dropped); a lone CR stays in the line",
    "crlf-only": "only CRLF ends a line; lone LF and lone CR are ordinary characters",
    "eof-partial-line-processed": "at end of stream the unterminated last line is processed as a line",
    # fields (rules F1-F9)
    "comment-as-field": "a line starting with a colon is processed as a field with an empty name (no comment)",
    "comment-space-stripped": "one leading space is removed from a comment's text",
    "no-colon-ignored": "a line without a colon is ignored instead of being a field with an empty value",
    "first-colon-last": "the name/value split is at the last colon instead of the first",
    "space-kept": "the one space after the colon is not removed",
    "strip-all-leading-spaces": "every leading space of the value is removed, not just one",
    "strip-tab": "a leading tab is removed like a leading space",
    "trim-values": "the value is trimmed of whitespace on both sides",
    "names-case-insensitive": "field names are matched ignoring case",
    "space-removed-from-name": "spaces around the field name are removed before matching",
    "data-joined-without-lf": "data lines are joined with nothing instead of LF",
    "nul-truncates-data": "a data value is cut at its first NUL (C-string handling)",
    "id-nul-accepted": "an id value containing NUL is accepted",
    "id-nul-truncates": "an id value containing NUL is cut at the NUL and accepted",
    "empty-id-keeps": "an empty id value leaves the last event ID buffer unchanged",
    "retry-parseint": "retry parsed like JavaScript parseInt: leading blanks, a sign, digits up to junk",
    "retry-empty-zero": "an empty retry value sets the reconnection time to 0 (an open point: rule F9-empty)",
    "retry-trimmed": "the retry value is trimmed of whitespace before the digits check",
    "retry-zero-ignored": "retry: 0 is ignored (a truthiness test on the parsed number)",
    # dispatch (rules E1-E6)
    "id-only-block-ignored": "the last event ID string is set only when an event is dispatched",
    "lost-last-event-id": "an event's lastEventId is the id of its own block only, else empty",
    "id-reset-after-dispatch": "the last event ID buffer is reset after each dispatched event",
    "dispatch-empty-data": "an empty line with an empty data buffer still dispatches an event with empty data",
    "type-not-reset": "the event type buffer is not reset after an event is dispatched",
    "type-not-reset-without-data": "the event type buffer is not reset when an empty line finds no data",
    "trailing-lf-kept": "the trailing LF of the data buffer is not removed",
    "all-trailing-lf-removed": "every trailing LF of the data buffer is removed, not just one",
    "default-type-empty": "an event with an empty event type buffer gets type '' instead of 'message'",
    "dispatch-at-eof": "at end of stream a pending event with data is dispatched instead of discarded",
    "end-id-includes-pending": "at end of stream the last event ID is taken from the buffer, pending id included",
}

OPEN_DEFECTS = frozenset({"retry-empty-zero"})

ASCII_DIGITS = frozenset("0123456789")
BOM = "\ufeff"
# "a U+000D CARRIAGE RETURN U+000A LINE FEED (CRLF) character pair, a single
# U+000A LINE FEED (LF) character not preceded by a U+000D CARRIAGE RETURN (CR)
# character, and a single U+000D CARRIAGE RETURN (CR) character not followed by
# a U+000A LINE FEED (LF) character being the ways in which a line can end."
LINE_END = re.compile(r"\r\n|\r|\n")
LF_END = re.compile(r"\n")
CRLF_END = re.compile(r"\r\n")
ESCAPED_RUN = re.compile("[\udc80-\udcff]+")
ESCAPED_RUN_AT_START = re.compile("^[\udc80-\udcff]+")
ESCAPED_RUN_AT_END = re.compile("[\udc80-\udcff]\\Z")
LEADING_INT = re.compile(r"[ \t\n\r\f\v]*([+-]?[0-9]+)")


class LiteralParser:
    """One stream: feed(bytes) any number of times, then end()."""

    def __init__(self, defects: frozenset[str] = frozenset()):
        self.d = defects
        errors = "replace"
        if "invalid-utf8-dropped" in defects:
            errors = "ignore"
        elif "one-fffd-per-run" in defects:
            errors = "surrogateescape"  # one lone surrogate per bad byte; runs collapsed below
        # "Streams must be decoded using the UTF-8 decode algorithm."
        self.decoder = codecs.getincrementaldecoder("utf-8")(errors=errors)
        self.last_was_error = False  # one-fffd-per-run: the text so far ends in a collapsed run
        # "The UTF-8 decode algorithm strips one leading UTF-8 Byte Order Mark."
        # The decoder gives nothing for a partial sequence, so the first decoded
        # character is the first character of the stream, however it was split.
        self.boms_to_strip = 1
        if "bom-kept" in defects:
            self.boms_to_strip = 0
        elif "bom-twice" in defects:
            self.boms_to_strip = 2
        # line splitting state
        self.line_parts: list[str] = []
        self.after_cr = False  # the last character seen was a CR that ended a line
        self.cr_line: str | None = None  # cr-waits-for-more: a line whose CR is still waiting
        # "When a stream is parsed, a data buffer, an event type buffer, and a
        # last event ID buffer must be associated with it. They must be
        # initialized to the empty string."
        self.data_parts: list[str] = []
        self.data_len = 0
        self.type_buffer = ""
        self.id_buffer = ""
        # The source's "last event ID string. This must initially be the empty string."
        self.last_event_id = ""
        self.block_id: str | None = None  # lost-last-event-id: the id of this block
        self.records: list[dict] = []

    # ------------------------------------------------------------ decoding

    def feed(self, chunk: bytes) -> None:
        if "split-utf8-replaced" in self.d:
            text = chunk.decode("utf-8", "replace")
        else:
            text = self.decoder.decode(chunk)
        self._text(text)

    def end(self) -> list[dict]:
        if "split-utf8-replaced" not in self.d:
            self._text(self.decoder.decode(b"", final=True))
        # (cr-waits-for-more: a line whose CR still waits in self.cr_line is lost here.)
        # "Once the end of the file is reached, any pending data must be
        # discarded. (If the file ends in the middle of an event, before the
        # final empty line, the incomplete event is not dispatched.)"
        if "eof-partial-line-processed" in self.d and self.line_parts:
            self._line("".join(self.line_parts))
        self.line_parts = []
        if "dispatch-at-eof" in self.d and self.data_len > 0:
            self._dispatch()
        last_id = self.last_event_id
        if "end-id-includes-pending" in self.d:
            last_id = self.id_buffer
        self.records.append({"kind": "end", "lastEventId": last_id})
        return self.records

    def _text(self, text: str) -> None:
        if "one-fffd-per-run" in self.d and text:
            ends_in_error = ESCAPED_RUN_AT_END.search(text) is not None
            if self.last_was_error:  # the run goes on from the previous chunk
                text = ESCAPED_RUN_AT_START.sub("", text)
            text = ESCAPED_RUN.sub("\ufffd", text)
            self.last_was_error = ends_in_error
        if "bom-per-chunk" in self.d:
            self.boms_to_strip = 1
        while self.boms_to_strip > 0 and text:
            if text[0] == BOM:
                text = text[1:]
                self.boms_to_strip -= 1
            else:
                self.boms_to_strip = 0
        if text:
            self._split(text)

    # ------------------------------------------------------------ lines

    def _split(self, text: str) -> None:
        if "lf-only" in self.d:
            return self._split_simple(text, LF_END)
        if "crlf-only" in self.d:
            return self._split_simple(text, CRLF_END)
        if self.cr_line is None and not self.after_cr and "\r" not in text and "\n" not in text:
            self.line_parts.append(text)  # no line ends here (the common case for small chunks)
            return
        pos = 0
        if self.cr_line is not None:  # cr-waits-for-more: now we know what follows the CR
            line, self.cr_line = self.cr_line, None
            self._line(line)
            if text[0] == "\n":
                pos = 1
        elif self.after_cr and text[0] == "\n":
            pos = 1  # the LF of a CRLF pair whose CR ended the previous chunk
        self.after_cr = False
        for m in LINE_END.finditer(text, pos):
            self.line_parts.append(text[pos:m.start()])
            pos = m.end()
            line = "".join(self.line_parts)
            self.line_parts = []
            if m.group() == "\r" and pos == len(text):
                # "a single CR not followed by LF" ends the line now; an LF
                # starting the next chunk is then the second half of a CRLF.
                if "cr-waits-for-more" in self.d:
                    self.cr_line = line
                    return
                if "cr-split-two-endings" not in self.d:
                    self.after_cr = True
            self._line(line)
        if pos < len(text):
            self.line_parts.append(text[pos:])

    def _split_simple(self, text: str, ending: re.Pattern) -> None:
        """lf-only and crlf-only: lines end only at LF, or only at CRLF."""
        pos = 0
        if ending is CRLF_END and text[0] == "\n" and self.line_parts and self.line_parts[-1].endswith("\r"):
            self.line_parts[-1] = self.line_parts[-1][:-1]
            line = "".join(self.line_parts)
            self.line_parts = []
            pos = 1
            self._line(line)
        for m in ending.finditer(text, pos):
            self.line_parts.append(text[pos:m.start()])
            pos = m.end()
            line = "".join(self.line_parts)
            self.line_parts = []
            if ending is LF_END and line.endswith("\r"):  # lf-only: a CRLF still works
                line = line[:-1]
            self._line(line)
        if pos < len(text):
            self.line_parts.append(text[pos:])

    def _line(self, line: str) -> None:
        # "If the line is empty (a blank line): Dispatch the event."
        if line == "":
            self._dispatch()
            return
        # "If the line starts with a U+003A COLON character (:): Ignore the line."
        if line[0] == ":" and "comment-as-field" not in self.d:
            text = line[1:]
            if "comment-space-stripped" in self.d and text.startswith(" "):
                text = text[1:]
            self.records.append({"kind": "comment", "text": text})
            return
        # "If the line contains a U+003A COLON character (:)"
        if ":" in line:
            # "Collect the characters on the line before the first U+003A COLON
            # character (:), and let field be that string."
            colon = line.rindex(":") if "first-colon-last" in self.d else line.index(":")
            field = line[:colon]
            # "Collect the characters on the line after the first U+003A COLON
            # character (:), and let value be that string. If value starts with
            # a U+0020 SPACE character, remove it from value."
            value = line[colon + 1:]
            if "space-kept" in self.d:
                pass
            elif "strip-all-leading-spaces" in self.d:
                value = value.lstrip(" ")
            elif "strip-tab" in self.d and value[:1] in (" ", "\t"):
                value = value[1:]
            elif "trim-values" in self.d:
                value = value.strip()
            elif value.startswith(" "):
                value = value[1:]
            self._field(field, value)
            return
        # "Otherwise, the string is not empty but does not contain a U+003A
        # COLON character (:): Process the field using the whole line as the
        # field name, and the empty string as the field value."
        if "no-colon-ignored" in self.d:
            return
        self._field(line, "")

    # ------------------------------------------------------------ fields

    def _field(self, name: str, value: str) -> None:
        # "Field names must be compared literally, with no case folding performed."
        if "names-case-insensitive" in self.d:
            name = name.lower()
        if "space-removed-from-name" in self.d:
            name = name.strip(" ")
        if name == "event":
            # "Set the event type buffer to the field value."
            self.type_buffer = value
        elif name == "data":
            # "Append the field value to the data buffer, then append a single
            # U+000A LINE FEED (LF) character to the data buffer."
            if "nul-truncates-data" in self.d:
                value = value.split("\0", 1)[0]
            self.data_parts.append(value)
            self.data_len += len(value)
            if "data-joined-without-lf" not in self.d:
                self.data_parts.append("\n")
                self.data_len += 1
        elif name == "id":
            # "If the field value does not contain U+0000 NULL, then set the
            # last event ID buffer to the field value. Otherwise, ignore the field."
            if "id-nul-truncates" in self.d:
                value = value.split("\0", 1)[0]
            if "\0" in value and "id-nul-accepted" not in self.d:
                return
            if "empty-id-keeps" in self.d and value == "":
                return
            self.id_buffer = value
            self.block_id = value
        elif name == "retry":
            # "If the field value consists of only ASCII digits, then interpret
            # the field value as an integer in base ten, and set the event
            # stream's reconnection time to that integer. Otherwise, ignore the field."
            if "retry-parseint" in self.d:
                m = LEADING_INT.match(value)
                if m:
                    self.records.append({"kind": "retry", "ms": int(m.group(1))})
                return
            if "retry-empty-zero" in self.d and value == "":
                value = "0"
            if "retry-trimmed" in self.d:
                value = value.strip()
            if value != "" and all(c in ASCII_DIGITS for c in value):
                ms = int(value, 10)
                if "retry-zero-ignored" in self.d and ms == 0:
                    return
                self.records.append({"kind": "retry", "ms": ms})
        # "Otherwise: The field is ignored."

    # ------------------------------------------------------------ dispatch

    def _dispatch(self) -> None:
        block_id, self.block_id = self.block_id, None
        # 1. "Set the last event ID string of the event source to the value of
        # the last event ID buffer. The buffer does not get reset."
        if "id-only-block-ignored" not in self.d:
            self.last_event_id = self.id_buffer
        # 2. "If the data buffer is an empty string, set the data buffer and the
        # event type buffer to the empty string and return."
        if self.data_len == 0 and "dispatch-empty-data" not in self.d:
            self.data_parts, self.data_len = [], 0
            if "type-not-reset-without-data" not in self.d:
                self.type_buffer = ""
            return
        if "id-only-block-ignored" in self.d:
            self.last_event_id = self.id_buffer
        data = "".join(self.data_parts)
        # 3. "If the data buffer's last character is a U+000A LINE FEED (LF)
        # character, then remove the last character from the data buffer."
        if "all-trailing-lf-removed" in self.d:
            data = data.rstrip("\n")
        elif data.endswith("\n") and "trailing-lf-kept" not in self.d:
            data = data[:-1]
        # 5. "Initialize event's type attribute to "message", its data attribute
        # to data, ... and its lastEventId attribute to the last event ID string
        # of the event source."
        event_type = "" if "default-type-empty" in self.d else "message"
        last_id = self.last_event_id
        if "lost-last-event-id" in self.d:
            last_id = block_id if block_id is not None else ""
        # 6. "If the event type buffer has a value other than the empty string,
        # change the type of the newly created event to equal the value of the
        # event type buffer."
        if self.type_buffer != "":
            event_type = self.type_buffer
        # 7. "Set the data buffer and the event type buffer to the empty string."
        self.data_parts, self.data_len = [], 0
        if "type-not-reset" not in self.d:
            self.type_buffer = ""
        if "id-reset-after-dispatch" in self.d:
            self.id_buffer = ""
        # 8. "Queue a task which ... dispatches the newly created event."
        self.records.append({"kind": "event", "type": event_type, "data": data, "lastEventId": last_id})


# ---------------------------------------------------------------- protocol


def parse_stream(chunks: list[bytes], defects: frozenset[str] = frozenset()) -> list[dict]:
    """The records for one stream given as chunks."""
    p = LiteralParser(defects)
    for c in chunks:
        p.feed(c)
    return p.end()


def serve(defects: frozenset[str], stdin=None, stdout=None) -> int:
    stdin = stdin or sys.stdin.buffer
    stdout = stdout or sys.stdout.buffer
    name = NAME if not defects else NAME + "+" + "+".join(sorted(defects))

    def send(obj: dict) -> None:
        stdout.write(json.dumps(obj, ensure_ascii=True).encode("ascii") + b"\n")
        stdout.flush()

    send({"hello": {"name": name, "version": VERSION, "reports": REPORTS}})
    for raw in stdin:
        if not raw.strip():
            continue
        case = None
        try:
            req = json.loads(raw)
            case = req["case"]
            chunks = [base64.b64decode(c, validate=True) for c in req["chunks"]]
            send({"case": case, "records": parse_stream(chunks, defects)})
        except Exception as e:  # a bad request or a bug: report it, keep serving
            send({"case": case, "error": f"{type(e).__name__}: {e}"})
    return 0


def defect_options(argv: list[str] | None, defects: dict[str, str],
                   description: str) -> frozenset[str] | None:
    """The command line of a literal peer: --defect NAME (repeated) and
    --list-defects. The defects to switch on, or None once they are listed."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--defect", action="append", default=[], metavar="NAME",
                    help="switch on a seeded defect (see --list-defects)")
    ap.add_argument("--list-defects", action="store_true", help="print the defects and exit")
    args = ap.parse_args(argv)
    if args.list_defects:
        for k, v in defects.items():
            print(f"{k}\t{v}")
        return None
    unknown = [d for d in args.defect if d not in defects]
    if unknown:
        ap.error(f"unknown defect(s): {', '.join(unknown)} (see --list-defects)")
    return frozenset(args.defect)


def main(argv: list[str] | None = None) -> int:
    defects = defect_options(argv, DEFECTS, __doc__.split("\n\n")[0])
    return 0 if defects is None else serve(defects)


if __name__ == "__main__":
    sys.exit(main())
