"""Client adapters that crash, write garbage, hang or never connect: the
streams they had open fail with the reason, the adapter is restarted, the
run goes on and ends in bounded time with exit status 1."""

from __future__ import annotations


def test_crash_fails_open_streams_and_restarts(check_client):
    """One stream at a time; the adapter exits on its 2nd open each time it
    runs, so runs 1 and 3 pass and 2 and 4 fail."""
    r = check_client("--max-streams", "1", scenarios="timeouts", flags=("--crash-after", "2"))
    assert r.rc == 1, r.stdout + r.stderr
    cases = r.json["cases"]
    assert [c["verdict"] for c in cases] == ["pass", "fail", "pass", "fail"]
    crashed = [c for c in cases if c["verdict"] == "fail"]
    assert all(c["reason"] == "the adapter exited with status 3" for c in crashed)
    assert "crashing on purpose" in crashed[0]["stderr"]
    assert r.json["adapter"]["restarts"] == 1
    assert "the adapter was restarted 1 time" in r.json["notes"]
    assert r.seconds < 60


def test_garbage_fails_open_streams_and_restarts(check_client):
    r = check_client("--max-streams", "1", scenarios="timeouts", flags=("--garbage-after", "2"))
    assert r.rc == 1
    verdicts = [c["verdict"] for c in r.json["cases"]]
    assert verdicts == ["pass", "fail", "pass", "fail"]
    reasons = {c["reason"] for c in r.json["cases"] if c["verdict"] == "fail"}
    assert reasons == {"the adapter wrote a line that is not JSON: b'this is not JSON'"}
    assert r.json["adapter"]["restarts"] == 1


def test_hanging_adapter_is_given_up_in_bounded_time(check_client):
    r = check_client(scenarios="timeouts", flags=("--hang-after", "1"))
    assert r.rc == 1
    for c in r.json["cases"]:
        assert c["verdict"] == "fail"
        assert c["reason"].startswith("the adapter hung"), c["reason"]
    assert r.seconds < 60


def test_never_connecting_adapter_fails_with_no_request(check_client):
    r = check_client("-m", "transport_http", scenarios="timeouts", flags=("--never-connect",))
    assert r.rc == 1
    c = r.case("short")
    assert c["reason"].startswith("timed out after 2 s: no request arrived")
    assert c["requests"] == [] and c["actual"] == []


def test_crash_with_all_streams_open_fails_them_all(check_client):
    """Every variant open at once: one crash fails all of them, and with no
    run left the adapter is not restarted."""
    r = check_client(scenarios="timeouts", flags=("--crash-after", "3"))
    assert r.rc == 1
    assert {c["verdict"] for c in r.json["cases"]} == {"fail"}
    assert r.json["adapter"]["restarts"] == 0
