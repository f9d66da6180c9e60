"""The replay drivers (gcc, ASan+UBSan, no libFuzzer) take files and
folders, and report a finding as one."""

from __future__ import annotations

import subprocess
from pathlib import Path

# Every regression input and every seed is replayed once per build by the
# `fuzz-replay` step of `./ssespec test` (./ssespec replay, with the default
# and the scalar kernel); these tests check the replay tool itself.


def test_replay_reports_a_finding(root: Path, defective_parser: Path, tmp_path: Path) -> None:
    # The diff target built with gcc against the parser with the planted
    # defect: a CRLF split after a line that spans chunks dispatches early.
    driver = tmp_path / "fuzz-replay-diff"
    subprocess.run(["gcc", "-std=c11", "-g", "-O1", f"-I{root / 'parser'}", f"-I{root / 'fuzz'}",
                    f"-I{root / 'fuzz' / 'common'}", '-DFUZZ_TARGET_NAME="diff"',
                    str(root / "fuzz" / "diff.c"), str(root / "fuzz" / "replay_main.c"),
                    str(root / "fuzz" / "common" / "fuzz_common.c"),
                    str(root / "fuzz" / "literal" / "literal_sse.c"), str(defective_parser),
                    str(root / "parser" / "sse_scan.c"),
                    "-o", str(driver)], check=True, capture_output=True, stdin=subprocess.DEVNULL)
    good = tmp_path / "good"
    good.write_bytes(b"\0\0\0\0\0data: x\r\n\r\n")
    bad = tmp_path / "bad"
    bad.write_bytes(b"\0\0\0\0\x01\x02data:\r\n")  # chunks of 2 bytes: "da" "ta" ":\r" "\n"
    r = subprocess.run([str(driver), str(good)], capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    r = subprocess.run([str(driver), str(good), str(bad)], capture_output=True, text=True, timeout=60)
    assert r.returncode != 0
    assert "==== finding: diff: the reference parser and the literal implementation differ" in r.stderr
    assert f"finding in input: {bad}" in r.stderr


def test_replay_driver_takes_files_and_dirs(replay_drivers: dict[str, Path], tmp_path: Path) -> None:
    (tmp_path / "d" / "sub").mkdir(parents=True)
    (tmp_path / "d" / "a").write_bytes(b"\0\0\0\0\0data: x\n\n")
    (tmp_path / "d" / "sub" / "b").write_bytes(b"")
    (tmp_path / "c").write_bytes(b"\x01\0\0\0\x01\x01id: 1\n\n")
    r = subprocess.run([str(replay_drivers["diff"]), str(tmp_path / "d"), str(tmp_path / "c")],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=60)
    assert r.returncode == 0, r.stderr
    assert r.stdout.startswith("fuzz-replay-diff: 3 inputs")
