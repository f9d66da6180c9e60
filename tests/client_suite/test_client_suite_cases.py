"""The parser cases served over the wire (docs/client-suite.md, "Parser cases
over the wire"): the scenario made from each case, what it expects, and runs
that judge a client on them."""

from __future__ import annotations

from pathlib import Path

from scenario_server_env import binary
from suite_env import CASES, ROOT

from harness.client_suite.from_cases import GAP_CHUNKS, MAX_BYTES, generate, write_all
from harness.client_suite.scenarios import load
from harness.core.cases import load_all, parse_case


def case(text: str, name: str = "x/y"):
    return parse_case(text, name, Path(f"/nowhere/{name}.case"))


def test_every_corpus_case_makes_a_scenario_that_expects_its_events(tmp_path):
    """Every case of the shipped corpus is carried, and the scenario server
    reads back exactly the case's events: data, type and lastEventId, with
    every byte (NUL, braces, backslashes, non-ASCII) intact."""
    cases = load_all(ROOT / "corpus" / "cases")
    generated = write_all(cases, tmp_path)
    assert len(generated) == len(cases) > 300
    assert [g.name for g in generated.values() if g.text is None] == []
    loaded = load(Path(binary("SSESPEC_SERVER", "server", "ssespec-server")), tmp_path)
    assert set(loaded) == set(generated)
    for c in cases:
        sc = loaded["cases/" + c.name]
        assert sc.rule == c.rule and sc.from_case
        assert sc.records[0] == {"kind": "open"}, c.name
        want = [{"kind": "event", "type": r["type"], "data": r["data"], "lastEventId": r["lastEventId"]}
                for r in c.records if r["kind"] == "event"]
        assert sc.records[1:] == want, c.name
        assert (sc.open is not None) == (c.open_reason is not None), c.name


def test_chunks_are_separate_writes_then_the_connection_is_held():
    g = generate(case('about chunks\nrule L1\nchunk "data: a"\nchunk "\\n"\nchunk ""\n'
                      'chunk "\\n"\nevent data="a"\nend\n'))
    assert g.text is not None
    body = g.text.split("\nconnection\n")[1].splitlines()
    assert body[0] == '  send-chunks "data: a" | "\\n" | "\\n"'   # the empty write is no chunk
    assert body[1] == "  hold"
    assert "expect open\nexpect event data=\"a\"\n" in g.text


def test_chunks_beyond_the_spaced_ones_are_sent_without_gaps():
    g = generate(case(f'about many\nrule L1\nchunk "data: "\nrepeat {GAP_CHUNKS + 2} chunk "a"\n'
                      f'chunk "\\n\\n"\nevent data="a" * {GAP_CHUNKS + 2}\nend\n'))
    assert g.text is not None
    lines = g.text.splitlines()
    spaced = [ln for ln in lines if ln.startswith("  send-chunks ")]
    assert len(spaced) == 1 and spaced[0].count(" | ") == GAP_CHUNKS - 1
    assert [ln for ln in lines if ln.startswith("  send ")] == ['  send "a"'] * 3 + ['  send "\\n\\n"']


def test_records_a_client_cannot_observe_are_not_expected():
    g = generate(case('about kinds\nrule F3\nchunk ": c\\nretry: 5\\nid: 7\\nevent: t\\ndata: {x}\\n\\n"\n'
                      'comment " c"\nretry 5\nevent data="{x}" type="t" id="7"\nend id="7"\n'))
    assert g.text is not None
    expects = [ln for ln in g.text.splitlines() if ln.startswith("expect")]
    assert expects == ["expect open", 'expect event data="\\{x}" type="t" id="7"']
    assert 'types "t"' in g.text


def test_a_case_too_large_for_a_connection_is_left_out_with_the_reason():
    n = MAX_BYTES // 2 + 1
    g = generate(case(f'about huge\nrule F9\nchunk "data: " + "a" * {n} + "\\n\\n"\n'
                      f'event data="a" * {n}\nend\n'))
    assert g.text is None
    assert g.why_not.startswith(f"its input and expected data ({2 * n + 8} bytes) are over")


def test_reference_client_passes_the_served_cases(check_client):
    r = check_client("--client", "reference", "--cases", str(CASES / "basic"),
                     "-m", "from_case")
    assert r.rc == 0, r.stdout + r.stderr
    v = r.verdicts()
    assert v["cases/fields/simple"] == v["cases/fields/simple@tls"] == "pass"
    assert v["cases/fields/simple@h2"] == v["cases/fields/simple@h2c"] == "pass"
    assert all(k.startswith("cases/") for k in v) and len(v) == 28
    # the case's own open point stays informational-only, never a failure
    assert r.case("cases/open/differs")["verdict"] in ("pass", "informational")


def test_a_client_that_corrupts_data_fails_the_served_cases_under_their_rules(check_client):
    r = check_client("--cases", str(CASES / "basic"),
                     flags=("--wrong-data-on", "/cases/"))
    assert r.rc == 1, r.stdout + r.stderr
    v = r.verdicts()
    assert v["events"] == "pass"        # a scenario of the folder itself: not affected
    simple = r.case("cases/fields/simple")
    assert simple["verdict"] == "fail" and simple["rule"] == load_all(CASES / "basic")[2].rule
    assert "differs" in simple["reason"]
