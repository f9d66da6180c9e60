"""harness/fuzz/libfuzzer.py without running a fuzzer: arguments, libFuzzer output
parsing, replay planning, the missing-clang path."""

from __future__ import annotations

from pathlib import Path

import pytest

from harness.commands import main
from harness.core.errors import Fatal
from harness.fuzz import libfuzzer as fuzzing

PULSE_LOG = """\
INFO: Seed: 1234
#616	INITED cov: 322 ft: 1123 corp: 230/5685b exec/s: 0 rss: 40Mb
#65536	pulse  cov: 330 ft: 1200 corp: 240/6000b lim: 4096 exec/s: 32768 rss: 60Mb
#131072	pulse  cov: 341 ft: 1250 corp: 250/6100b lim: 4096 exec/s: 43690 rss: 61Mb
#200000	DONE   cov: 342 ft: 1260 corp: 251/6150b lim: 4096 exec/s: 40000 rss: 62Mb
Done 200000 runs in 5 second(s)
stat::number_of_executed_units: 200000
stat::average_exec_per_sec:     40000
"""

CRASH_LOG = """\
#6804	NEW    cov: 355 ft: 1582 corp: 428/16044b lim: 93 exec/s: 0 rss: 54Mb L: 41/93 MS: 2
==== finding: diff: the reference parser and the literal implementation differ
input (29 bytes): flags=0x00 limit_param=0 k=0 chunk lengths=[8,9,2,1]
==5924== ERROR: libFuzzer: deadly signal
artifact_prefix='/x/artifacts/diff/'; Test unit written to /x/artifacts/diff/crash-594eff
Base64: AAAA
"""


def test_parse_log_stats() -> None:
    st, arts = fuzzing.parse_log(PULSE_LOG)
    assert (st.execs, st.exec_per_sec, st.cov, st.ft, st.corpus) == (200000, 40000, 342, 1260, 251)
    assert arts == []


def test_parse_log_finding() -> None:
    st, arts = fuzzing.parse_log(CRASH_LOG)
    assert st.cov == 355
    assert arts == [(Path("/x/artifacts/diff/crash-594eff"),
                     "diff: the reference parser and the literal implementation differ")]


def test_parse_log_sanitizer_finding() -> None:
    log = ("==77==ERROR: AddressSanitizer: heap-buffer-overflow on address 0x1\n"
           "Test unit written to ./crash-abc\n")
    _, arts = fuzzing.parse_log(log)
    assert arts[0][1].startswith("==77==ERROR: AddressSanitizer: heap-buffer-overflow")


def test_options_of(tmp_path: Path) -> None:
    (tmp_path / "parse.options").write_text("[libfuzzer]\nmax_len = 4096\ndict = parse.dict\n")
    assert fuzzing.options_of(tmp_path, "parse") == ["-max_len=4096",
                                                     f"-dict={tmp_path / 'parse.dict'}"]


def test_replay_plan(tmp_path: Path) -> None:
    layout = fuzzing.Layout(tmp_path / "build", tmp_path / "regs")
    (tmp_path / "regs" / "split").mkdir(parents=True)
    plan = fuzzing.replay_paths([], None, layout)
    assert plan["split"] == [tmp_path / "regs" / "split", layout.seeds("split")]
    assert plan["parse"] == [layout.seeds("parse")]
    one = tmp_path / "regs" / "split"
    assert fuzzing.replay_paths([str(one)], None, layout) == {t: [one] if t == "split" else []
                                                              for t in fuzzing.TARGETS}
    other = tmp_path / "x"
    other.mkdir()
    assert all(v == [other] for v in fuzzing.replay_paths([str(other)], None, layout).values())
    assert fuzzing.replay_paths([str(other)], "diff", layout) == {"diff": [other]}


@pytest.mark.parametrize("argv", [[], ["nope"], ["fuzz", "bogus"], ["fuzz", "--seconds", "0"],
                                  ["fuzz", "parse", "--impl", "node x.mjs"],
                                  ["fuzz", "--impl", "x", "--seconds", "0"], ["replay", "/no/such/path"],
                                  ["fuzz", "--frobnicate"]])
def test_bad_command_lines_exit_2(argv: list[str], capsys: pytest.CaptureFixture[str],
                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzzing, "ensure_clang", lambda: pytest.fail("must not get this far"))
    monkeypatch.setattr(fuzzing.build, "build", lambda *a, **k: pytest.fail("must not build"))
    monkeypatch.setattr(fuzzing, "generate_seeds", lambda layout: None)
    assert main(argv) == 2
    assert capsys.readouterr().err.startswith("ssespec: ")


def test_missing_clang_exits_2_with_the_install_line(capsys: pytest.CaptureFixture[str],
                                                     monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(fuzzing, "find_clang", lambda: None)

    def refuse(*names: str) -> None:
        raise Fatal("missing")

    monkeypatch.setattr(fuzzing.deps, "ensure", refuse)
    assert main(["fuzz", "parse", "--seconds", "1"]) == 2
    assert "install: apt-get install -y clang libclang-rt-14-dev" in capsys.readouterr().err


def test_help_exits_0(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["fuzz", "--help"]) == 0
    assert "--seconds" in capsys.readouterr().out


def test_each_fuzz_mode_has_a_help_screen_of_its_own(capsys: pytest.CaptureFixture[str]) -> None:
    """libFuzzer campaigns and differential fuzzing list only their own options."""
    assert main(["fuzz", "--help"]) == 0
    targets = capsys.readouterr().out
    assert main(["fuzz", "--impl", "x", "--help"]) == 0
    diff = capsys.readouterr().out
    assert "--jobs" in targets and "--sanitize" in targets and "TARGET" in targets
    assert "--seed" not in targets and "--max-divergences" not in targets
    assert "--seed" in diff and "--max-divergences" in diff and "--cases" in diff
    assert "--jobs" not in diff and "--sanitize" not in diff and "--parser-src" not in diff
    assert "./ssespec fuzz --impl CMD|NAME --help" in targets
