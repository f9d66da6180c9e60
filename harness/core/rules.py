"""The numbered rules of the standard that every case and scenario names.

The WHATWG HTML Standard ("Server-sent events", section 9.2) is the
authority; docs/rules.md explains each rule with the text it comes from and
says where this table departs from the digest the project started from
(tests/architecture/test_rules_doc.py checks that the two list the same
rules, open points and Fetch-only rules).
A rule marked open is a point the standard leaves to implementations: a
mismatch on a case that checks it is reported as informational.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Rule:
    id: str
    title: str
    open: bool = False
    # Required only of clients that make their requests with the Fetch
    # standard's fetch (their adapter's hello says "fetch": true); for any
    # other client a mismatch is informational.
    fetch_only: bool = False
    # A recommendation ("should"): a mismatch is a warning, not a failure.
    advisory: bool = False


RULES: dict[str, Rule] = {
    r.id: r
    for r in [
        # D: decoding the byte stream
        Rule("D1", "UTF-8 decode removes one BOM at the very start of each stream"),
        Rule("D2", "invalid UTF-8 becomes U+FFFD, one per maximal invalid subpart"),
        Rule("D3", "decoding is streaming: a sequence split across chunks decodes whole"),
        Rule("D4", "U+FEFF anywhere but the first position is an ordinary character"),
        # L: lines
        Rule("L1", "a line ends at CRLF, a lone LF or a lone CR, mixed freely"),
        Rule("L2", "CRLF split across chunks is one line ending; a CR acts at once"),
        Rule("L3", "a CR at the very end of the stream ends its line"),
        Rule("L4", "text after the last line ending is not a line"),
        # F: fields
        Rule("F1", "an empty line dispatches the event"),
        Rule("F2", "a line starting with a colon is a comment"),
        Rule("F3", "name before the first colon, value after it, one leading space removed"),
        Rule("F4", "a line without a colon is a field name with an empty value"),
        Rule("F5", "field names match exactly and case-sensitively; others are ignored"),
        Rule("F6", "event sets the event type buffer"),
        Rule("F7", "data appends the value and one LF to the data buffer"),
        Rule("F8", "id sets the last event ID buffer unless the value contains NUL"),
        Rule("F9", "retry of ASCII digits only sets the reconnection time"),
        Rule("F9-empty", "retry with an empty value: ignored, or a reset to the default", open=True),
        Rule("F9-range", "retry values beyond the implementation's integer range", open=True),
        # E: dispatch
        Rule("E1", "dispatch sets the last event ID string from the buffer, even with no data"),
        Rule("E2", "an empty data buffer dispatches nothing and resets data and type"),
        Rule("E3", "one trailing LF is removed from the data"),
        Rule("E4", "the type is the event type buffer or message; lastEventId the string"),
        Rule("E5", "data and type reset after dispatch; the id buffer persists"),
        Rule("E6", "at end of stream a pending event is discarded"),
        # C: the connection
        Rule("C1", "the request is a GET; Accept: text/event-stream may be sent"),
        Rule("C1-cache", "a Fetch client sends Cache-Control: no-cache and Pragma: no-cache",
             fetch_only=True),
        Rule("C2", "redirects are followed"),
        Rule("C3", "200 with Content-Type text/event-stream announces the connection"),
        Rule("C4", "another status or Content-Type fails the connection; 204 stops it"),
        Rule("C5", "an established connection that ends is reestablished after the delay"),
        Rule("C6", "a reconnection carries Last-Event-ID when the string is not empty"),
        Rule("C6-empty", "whether a Last-Event-ID an earlier reconnection set stays once the ID "
             "is emptied", open=True),
        Rule("C7", "each body is a new stream; last event ID string and delay persist"),
        Rule("C7-id-buffer", "a new stream's id buffer starts empty or from the last ID", open=True),
        Rule("C8", "framing, chunk and TCP boundaries do not change the events"),
        Rule("C9", "close() ends the connection with no reconnection"),
        # P: producing a stream (encoders and servers)
        Rule("P1", "data with line breaks is written as several data lines"),
        Rule("P2", "an event type, id or comment with CR or LF is refused, never written raw"),
        Rule("P3", "an id with U+0000 is refused; an empty id is written"),
        Rule("P4", "one space after the colon keeps a value's own leading spaces"),
        Rule("P5", "each event ends with an empty line; retry is digits; values stay in their line"),
        Rule("P6", "200, Content-Type text/event-stream (utf-8), no Content-Length, HTTP framing"),
        Rule("P6-cache", "Cache-Control: no-cache is recommended", advisory=True),
        Rule("P6-flush", "each event reaches the client when written (no buffering)"),
        Rule("P7", "the server notices a client that went away"),
    ]
}


# The standard's section each rule comes from (docs/rules.md, "where it comes
# from"), and where to read it: the WHATWG HTML Standard, multipage.
STANDARD = "https://html.spec.whatwg.org/multipage/server-sent-events.html"
SECTION_ANCHORS = {
    "9.2.2": "the-eventsource-interface",
    "9.2.3": "sse-processing-model",
    "9.2.5": "parsing-an-event-stream",
    "9.2.6": "event-stream-interpretation",
    "9.2.7": "authoring-notes",
}
_SECTION_BY_LETTER = {"D": "9.2.6", "L": "9.2.6", "F": "9.2.6", "E": "9.2.6"}
_SECTION = {
    "D4": "9.2.5",
    "C1": "9.2.2", "C1-cache": "9.2.2", "C2": "9.2.2", "C3": "9.2.2", "C4": "9.2.2",
    "C5": "9.2.3", "C6": "9.2.3", "C6-empty": "9.2.3", "C7": "9.2.6", "C7-id-buffer": "9.2.6",
    "C8": "9.2.2", "C9": "9.2.2",
    "P1": "9.2.5", "P2": "9.2.5", "P3": "9.2.6", "P4": "9.2.6", "P5": "9.2.5", "P6": "9.2.2",
    "P6-cache": "9.2.7", "P6-flush": "9.2.7", "P7": "9.2.7",
}


def section(rule_id: str) -> str:
    """The section of the standard a rule restates ("9.2.6")."""
    return _SECTION.get(rule_id) or _SECTION_BY_LETTER[rule_id[0]]


def section_uri(rule_id: str) -> str:
    """The address of that section."""
    return f"{STANDARD}#{SECTION_ANCHORS[section(rule_id)]}"


def rule(rule_id: str) -> Rule:
    """The rule named rule_id; KeyError names the unknown id."""
    try:
        return RULES[rule_id]
    except KeyError:
        raise KeyError(f"unknown rule {rule_id!r} (known: {', '.join(RULES)})") from None
