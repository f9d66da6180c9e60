"""What a new user hit with the client suite: an adapter that exits while
`open` commands are still on their way fails its streams (and is
restarted), never the run; a pasted `NAME@tls` selects that variant."""

from __future__ import annotations


def test_adapter_exiting_with_opens_in_flight_fails_its_streams(check_client):
    for _ in range(2):
        r = check_client(flags=("--exit-after-hello",))
        assert r.rc == 1, r.stdout + r.stderr
        assert "INTERNALERROR" not in r.stdout + r.stderr
        assert r.json is not None
        cases = r.json["cases"]
        assert cases and all(c["verdict"] == "fail" for c in cases)
        assert r.json["summary"]["total"] == len(r.verdicts())
        assert any("the adapter" in c["reason"] for c in cases)


def test_pasted_tls_variant_selects_it(check_client):
    r = check_client("-k", "events@tls")
    assert r.rc == 0, r.stdout + r.stderr
    assert list(r.verdicts()) == ["events@tls"]
