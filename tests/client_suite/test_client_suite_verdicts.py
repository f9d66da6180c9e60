"""Client-suite verdicts: pass, fail (records, delays, headers, requests after
close, time limits), skipped and informational, and variant selection."""

from __future__ import annotations

import re
from pathlib import Path


def test_variants_and_informational(check_client):
    r = check_client()
    v = r.verdicts()
    assert set(v) == {"events", "events@tls", "reconnect", "reconnect@tls", "fails-404",
                      "fails-404@tls", "accept-open", "accept-open@tls", "plain-only"}
    assert v["accept-open"] == v["accept-open@tls"] == "informational"
    reason = r.case("accept-open")["reason"]
    assert reason.startswith('request 1: Accept "application/x-nobody-sends-this" (sent '
                             '"text/event-stream")')
    assert "an open point: C1: a harness test of the informational verdict" in reason
    assert r.case("accept-open@tls")["variant"] == "tls"
    assert r.json["left_out"] == [{"case": "plain-only", "variant": "tls",
                                   "reason": "a harness test of skip-variant"}]
    assert "plain-only @tls: a harness test of skip-variant" in r.stdout


def test_kinds_not_reported_still_judge_the_requests(check_client):
    """An adapter that reports only events: the 404 scenario expects only an
    error record, which is not compared; the requests still are (one request,
    no reconnection), and the others compare events."""
    r = check_client(flags=("--reports", "event"))
    assert r.rc == 0, r.stdout + r.stderr
    v = r.verdicts()
    assert v["fails-404"] == v["fails-404@tls"] == "pass"
    assert v["events"] == v["reconnect"] == "pass"
    assert r.json["summary"]["skipped"] == 0


def test_reconnecting_after_a_404_is_seen_without_error_reports(check_client):
    """The same adapter, reconnecting after the 404 (and reporting no error
    record, so nothing to compare): the extra request fails it."""
    r = check_client("-k", "fails-404", flags=("--reports", "event", "--reconnect-after-404"))
    assert r.rc == 1, r.stdout + r.stderr
    assert r.case("fails-404")["reason"].startswith("request 2 came beyond the last connection")


def test_early_reconnection_fails_the_delay_check(check_client):
    r = check_client("-k", "reconnect", flags=("--reconnect-early",))
    assert r.rc == 1
    assert r.verdicts() == {"reconnect": "fail", "reconnect@tls": "fail"}
    c = r.case("reconnect")
    assert re.fullmatch(r"request 2 came \d+ ms after connection 1 ended, expected at least 300 ms",
                        c["reason"]), c["reason"]
    assert c["requests"][1]["delay_ms"] < 275
    assert any("delay 300.. ms: WRONG" in x for x in c["requests"][1]["checks"])


def test_reconnection_after_close_is_caught(check_client):
    """close() on a held stream, then the client reconnects 100 ms later: the
    watch after close sees the request (the server answers it 404)."""
    good = check_client(scenarios="close")
    assert good.rc == 0, good.stdout + good.stderr
    r = check_client(scenarios="close", flags=("--reconnect-after-close",))
    assert r.rc == 1
    c = r.case("held")
    assert c["verdict"] == "fail"
    assert c["reason"].startswith("request 2 came beyond the last connection (after close")
    assert c["requests"][1]["ev"] == "unexpected" and c["requests"][1]["after_close"] is True
    # the records themselves were right: only the request gives it away
    assert c["actual"] == c["expected"]


def test_timeout_says_what_was_missing(check_client):
    r = check_client(scenarios="timeouts", flags=("--never-connect",))
    assert r.rc == 1
    for cid in ("short", "short@tls", "second", "second@tls"):
        assert r.case(cid)["reason"] == ("timed out after 2 s: no request arrived; "
                                         "expected record 1 (open) never arrived")
    assert r.seconds < 60


def test_missing_closed_report_fails(check_client):
    """An adapter that says it reports closed must report it after close."""
    r = check_client("-k", "events", "-m", "transport_http", flags=("--no-closed",))
    assert r.rc == 1
    assert "no closed" in r.case("events")["reason"]
    assert r.seconds < 40


def test_selection_by_k_and_m(check_client):
    r = check_client("-m", "transport_tls")
    assert set(r.verdicts()) == {"events@tls", "reconnect@tls", "fails-404@tls",
                                 "accept-open@tls"}
    r = check_client("-k", "events or fails", "-m", "not transport_tls")
    assert set(r.verdicts()) == {"events", "fails-404"}


def test_failure_report_shows_records_requests_and_stderr(check_client):
    r = check_client("-k", "events", "-m", "transport_http",
                     flags=("--wrong-data-on", "/s/events/", "--stderr-lines", "2"))
    assert r.rc == 1
    out = r.stdout
    assert "FAIL events\n" in out
    assert "  rule:   E4 " in out and "  about:  two events with an id arrive in order" in out
    assert '-{"kind": "event", "type": "message", "data": "a", "lastEventId": "1"}' in out
    assert '+{"kind": "event", "type": "message", "data": "A", "lastEventId": "1"}' in out
    assert '    1  GET ""  first' in out
    assert "adapter stderr about this stream:" in out and "line 1" in out


def test_close_after_counts_the_records_the_adapter_reports(check_client):
    """close/while-server-sends says `close-after 2` (open, then event 0): an
    adapter that does not report `open` is closed after its first record,
    the event, and so sees none of the events the server goes on sending.
    (Before, the harness waited for a second record that never came in
    time, and counted the events after it as extra.)"""
    close = Path(__file__).resolve().parents[2] / "corpus" / "scenarios" / "close"
    r = check_client("-k", "while-server-sends", flags=("--reports", "event,error,closed,failure"),
                     scenarios=str(close))
    assert r.rc == 0, r.stdout + r.stderr
    assert r.verdicts() == {"while-server-sends": "pass", "while-server-sends@tls": "pass"}


def test_a_plain_variant_is_selected_as_a_baseline_names_it(check_client):
    """-k events@http selects the plain (HTTP) variant, as expect.txt names it."""
    r = check_client("-k", "events@http")
    assert r.rc == 0, r.stdout + r.stderr
    assert list(r.verdicts()) == ["events"]


def test_a_stream_whose_closed_report_is_late_keeps_its_slot(check_client):
    """max_streams 1, and a close that takes 8 s (past the harness's 5 s
    wait for `closed`): the first stream fails for its late closed report,
    and the next is opened only once the adapter has let the first go, never
    beyond max_streams (before, the harness opened it at once and the
    adapter refused it: "more than 1 streams")."""
    r = check_client("-k", "events or reconnect", "-m", "transport_http",
                     flags=("--max-streams", "1", "--slow-close", "8"))
    assert r.rc == 1
    reasons = {i: c["reason"] for i, c in ((c["id"], c) for c in r.json["cases"])}
    assert set(reasons) == {"events", "reconnect"}, reasons
    assert all("no closed" in why for why in reasons.values()), reasons
    assert "more than 1 streams" not in r.stdout, r.stdout
