"""`./ssespec fuzz --impl`: differential fuzzing of a parser adapter against
the reference parser (harness/fuzz/difffuzz.py, harness/fuzz/streamgen.py).

The units without adapters: signatures, the open-rule test, cuts, case
files. Then whole runs against the literal Python parser of the peer tests
(tests/support/literal_parser.py): none without a defect, a minimized case
file with a seeded defect (which `check` then fails for the defective
parser and passes for the reference), and exit status 2 for an adapter that
says no hello."""

from __future__ import annotations

import json
import shlex
import subprocess
import time
from pathlib import Path

import pytest

from harness.commands import main
from harness.core.cases import load_all, load_case, parse_case
from harness.core.paths import ROOT
from harness.fuzz import difffuzz as df
from harness.fuzz.streamgen import StreamGen

PYTHON = "/usr/bin/python3"
LITERAL = f"{PYTHON} {ROOT / 'tests' / 'support' / 'literal_parser.py'}"
ALL = ["event", "retry", "comment", "end"]


def ev(data: str, type_: str = "message", id_: str = "") -> dict:
    return {"kind": "event", "type": type_, "data": data, "lastEventId": id_}


def end(id_: str = "") -> dict:
    return {"kind": "end", "lastEventId": id_}


# ------------------------------------------------------------ units


def test_signatures() -> None:
    def sig(ref: list, got: list, kinds: list[str] = ALL) -> tuple[str, str] | None:
        return df.first_difference(ref, df.Answer(records=got), kinds)

    assert sig([ev("a"), end()], [ev("a"), end()]) is None
    assert sig([{"kind": "comment", "text": " x"}, end()], [{"kind": "comment", "text": "x"}, end()]) \
        == ("comment.text: lost space", "lost space at the start")
    assert sig([{"kind": "comment", "text": "x"}, end()], [{"kind": "comment", "text": "x\r"}, end()]) \
        == ("comment.text: extra CR", "extra CR at the end")
    # a whole value lost or added is the field alone
    assert sig([{"kind": "comment", "text": ""}, end()], [{"kind": "comment", "text": "\r"}, end()]) \
        == ("comment.text", "a value instead of empty")
    assert sig([ev("a", id_=" "), end(" ")], [ev("a"), end(" ")])[0] == "event.lastEventId"
    assert sig([{"kind": "comment", "text": " a"}, end()], [{"kind": "comment", "text": "a\r"}, end()]) \
        == ("comment.text", "lost space at the start, extra CR at the end")
    assert sig([ev("a", "t"), end()], [ev("a"), end()])[0] == "event.type"
    assert sig([ev("a", id_="1"), end("1")], [ev("a"), end("1")]) == \
        ("event.lastEventId", "empty instead of a value")
    assert sig([ev("x"), end()], [end()])[0] == "missing event"
    assert sig([end()], [{"kind": "retry", "ms": 9}, end()])[0] == "extra retry"
    assert sig([ev("a"), ev("b"), end()], [ev("b"), end()])[0] == "missing event"
    assert sig([ev("a"), end()], [{"kind": "comment", "text": ""}, ev("a"), end()])[0] == \
        "extra comment"
    assert sig([ev("a"), end()], [{"kind": "comment", "text": ""}, end()])[0] == \
        "event became comment"
    # a realignment only when all the rest lines up
    assert sig([{"kind": "comment", "text": "   "}, {"kind": "comment", "text": "  "}, end()],
               [{"kind": "comment", "text": "  "}, {"kind": "comment", "text": " \r"}, end()])[0] == \
        "comment.text: lost space"
    assert sig([ev("a\nb"), end()], [ev("ab"), end()]) == ("event.data", "lost LF inside")
    # restricted to the kinds the adapter reports, as the suite compares
    assert sig([ev("a"), end("1")], [ev("a")], ["event", "retry", "comment"]) is None
    assert df.first_difference([end()], df.Answer(error="boom"), ALL)[0] == "error response"
    assert df.first_difference([end()], df.Answer(failure="x", timed_out=True), ALL)[0] == \
        "adapter failure: timeout"


def test_open_rules() -> None:
    assert df.open_rules(b"retry: 2147483647\n") == []
    assert df.open_rules(b"retry: 2147483648\n") == ["F9-range"]
    assert df.open_rules(b"retry:99999999999999999999\r") == ["F9-range"]
    assert df.open_rules(b"retry\n\n") == ["F9-empty"]
    assert df.open_rules(b"retry: \r\n") == ["F9-empty"]
    assert df.open_rules(b"\xef\xbb\xbfretry:\n") == ["F9-empty"]
    assert df.open_rules(b"retry: 99999999999") == []           # not a line: no ending
    assert df.open_rules(b"Retry:\nretry:  5\nretryx:\n") == []  # not the field, or not digits
    data, cuts = df.neutralize(b"data: a\nretry: 4294967296\r\ndata: b\n\n", [3, 12, 40])
    assert data == b"data: a\nx\r\ndata: b\n\n" and df.open_rules(data) == []
    assert cuts == [3, 8, 24]


def test_cuts_and_replace() -> None:
    chunks = [b"ab", b"", b"cde", b"f"]
    cuts = df.cuts_of(chunks)
    assert cuts == [2, 2, 5] and df.chunks_of(b"abcdef", cuts) == chunks
    data, c = df.replace(b"abcdef", cuts, 1, 4)
    assert data == b"aef" and df.chunks_of(data, c) == [b"a", b"", b"e", b"f"]


def test_case_file_round_trips(tmp_path: Path) -> None:
    chunks = [b"data: \xc3\xa9\x00\r", b"\n\xef\xbb\xbf: \"q\\\n\n"]
    ref = [ev("\u00e9\u0000"), {"kind": "comment", "text": "\ufeff \"q\\"}, {"kind": "retry", "ms": 5},
           ev("x", "t\u2028", "7\t"), end("7\t")]
    d = df.Divergence("comment.text", [], chunks, ref, df.Answer(records=[end()]), chunks,
                      detail="lost space at the start")
    df.write_case(d, tmp_path, "impl 1.0", "impl --x", 42)
    assert d.path is not None and d.path.parent == tmp_path
    case = load_case(d.path, tmp_path)
    assert case.chunks == chunks and case.records == ref and case.rule == "L2"
    text = d.path.read_text()
    assert "ssespec fuzz --impl impl --x" in text and "seed 42" in text
    assert case.about.startswith("fuzzing found impl 1.0 diverging: comment.text")


def test_guess_rule() -> None:
    g = df.guess_rule
    assert g("comment.text: lost space", "lost space at the start", [b": x\n"], []) == "F2"
    assert g("comment.text: extra CR", "extra CR at the end", [b":x\r"], []) == "L3"
    assert g("event.lastEventId", "", [b"id: 1\n\ndata\n\n"], []) == "E5"
    assert g("missing event", "", [b"data\r", b"\n"], []) == "L2"
    assert g("extra event", "", [b"data\n", b"\xef\xbb\xbf\n"], []) == "D1"
    assert g("missing event", "", [b"data\r\r"], []) == "L3"
    assert g("extra retry", "", [b"retry: 1"], []) == "L4"
    assert g("extra retry", "", [b"retry: 99999999999\n"], ["F9-range"]) == "F9-range"


def test_streamgen_is_seeded() -> None:
    corpus = [c.input for c in load_all(ROOT / "corpus" / "cases")[:50]]
    a = [StreamGen(5, corpus).case() for _ in range(1)]
    g1, g2 = StreamGen(5, corpus), StreamGen(5, corpus)
    assert [g1.case() for _ in range(300)] == [g2.case() for _ in range(300)]
    g3 = StreamGen(6, corpus)
    assert [g3.case() for _ in range(300)] != [StreamGen(5, corpus).case() for _ in range(300)]
    assert a
    # the generator writes what the format is made of
    gen = StreamGen(1)
    blob = b"".join(gen.stream() for _ in range(2000))
    for piece in (b"data:", b"event:", b"id:", b"retry:", b"Data", b"\r\n", b"\r", b"\n\n",
                  b"\xef\xbb\xbf", b"\xed\xa0\x80", b"\xc0\xaf", b"\xf0\x9f\x98\x80", b"\x00", b"\t",
                  b"\n:"):
        assert piece in blob, piece


# ------------------------------------------------------------ whole runs


@pytest.fixture(scope="module")
def reference_built() -> None:
    from harness.setup import build
    build.executable("ssespec-parser-adapter", "release", quiet=True)


def run(argv: list[str], capsys: pytest.CaptureFixture[str]) -> tuple[int, str, str, float]:
    t0 = time.monotonic()
    rc = main(["fuzz", *argv])
    cap = capsys.readouterr()
    return rc, cap.out, cap.err, time.monotonic() - t0


def test_no_divergence_from_the_literal_parser(reference_built: None, tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    rc, out, err, secs = run(["--impl", LITERAL, "--seconds", "8", "--seed", "11", "--out",
                              str(tmp_path)], capsys)
    assert rc == 0, out + err
    assert "distinct divergences: 0" in out and secs < 30
    cases = int(out.split(" cases in ")[0].split()[-1])
    assert cases >= 5000, out   # pipelined: thousands of cases per second


@pytest.mark.parametrize("defect", ["cr-split-two-endings", "bom-per-chunk"])
def test_a_seeded_defect_gives_a_minimized_case(reference_built: None, defect: str, tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    impl = f"{LITERAL} --defect {defect}"
    out_dir = tmp_path / "found"
    rc, out, err, secs = run(["--impl", impl, "--seconds", "50", "--seed", "1", "--out",
                              str(out_dir), "--max-divergences", "1"], capsys)
    assert rc == 1, out + err
    assert secs < 60, out
    files = sorted(out_dir.glob("*.case"))
    assert files, out
    case = load_case(files[0], out_dir)
    text = files[0].read_text()
    assert text.startswith("# Found by `ssespec fuzz --impl") and f"--defect {defect}" in text
    assert len(case.input) <= 40, text   # minimized
    # the fuzzer's folder runs as it is beside the built-in corpus: the
    # defective parser fails the found case, the reference passes all of it
    name = files[0].stem
    js = tmp_path / "r.json"
    for who, sel, want in ((impl, ["-k", name], 1), ("reference", [], 0)):
        r = subprocess.run([str(ROOT / "ssespec"), "check", "--impl", who, "--cases", str(out_dir),
                            "-q", "--json", str(js), *sel], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL, timeout=300)
        assert r.returncode == want, f"{who}: {r.stdout[-3000:]}{r.stderr[-2000:]}"
    cases = {c["case"] for c in json.loads(js.read_text())["cases"]}
    assert name in cases and "bom/leading-bom-removed" in cases, len(cases)


def test_an_adapter_without_hello_exits_2(reference_built: None, tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    silent = f"{PYTHON} -c {shlex.quote('import sys; sys.stdin.read()')}"
    rc, out, err, secs = run(["--impl", silent, "--seconds", "5", "--timeout", "1", "--out",
                              str(tmp_path)], capsys)
    assert rc == 2
    lines = err.strip().splitlines()
    assert lines[-1].startswith("ssespec: adapter ") and "hello" in lines[-1], err
    assert secs < 20
    garbage = f"{PYTHON} -c {shlex.quote('print(1)')}"
    rc, out, err, _ = run(["--impl", garbage, "--seconds", "5", "--out", str(tmp_path)], capsys)
    assert rc == 2 and "not a hello" in err.strip().splitlines()[-1], err


def test_case_files_parse_as_written(tmp_path: Path) -> None:
    # parse_case accepts exactly what write_case writes for every record kind
    text = ("about a\nrule F2\nchunk \"\\x00\\xff\"\nevent data=\"\\u{FFFD}\" id=\"\\x01\"\n"
            "comment \"\\\\\"\nretry 0\nend id=\"\\x01\"\n")
    assert parse_case(text, "x", tmp_path / "x.case").chunks == [b"\x00\xff"]
