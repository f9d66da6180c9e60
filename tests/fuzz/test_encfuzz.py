"""`./ssespec fuzz --server`: a seeded encoder defect is found and minimized
into an encoder case file that the suite reads and that fails on the
defect; the reference encoder gives no failure; bad arguments exit 2."""

from __future__ import annotations

import subprocess
from pathlib import Path

from harness.core.paths import ROOT
from harness.server_suite.cases import load_all

LITERAL = f"/usr/bin/python3 {ROOT / 'tests' / 'support' / 'literal_producer.py'}"


def fuzz(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "ssespec"), "fuzz", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300)


def test_a_seeded_defect_becomes_a_minimized_case(tmp_path: Path) -> None:
    out = tmp_path / "found"
    p = fuzz("--server", f"{LITERAL} --no-serve --defect split-lf-only", "--seconds", "20",
             "--seed", "7", "--out", str(out), "--max-failures", "1")
    assert p.returncode == 1, p.stdout + p.stderr
    assert "1 distinct failures" in p.stdout
    cases = load_all(out)
    assert len(cases) == 1
    c = cases[0]
    assert c.rule in ("P1", "P5")
    assert len(c.messages) == 1 and "\r" in c.messages[0]["data"]
    assert len(c.messages[0]["data"]) <= 8       # minimized
    # the case fails the defect in the suite, and passes the reference
    bad = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--server",
                          f"{LITERAL} --no-serve --defect split-lf-only", "--producers", str(out)],
                         cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert bad.returncode == 1 and "FAIL " in bad.stdout
    good = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--server", "reference",
                           "--producers", str(out)], cwd=ROOT, capture_output=True, text=True,
                          timeout=120)
    assert good.returncode == 0, good.stdout


def test_the_reference_encoder_gives_no_failure(tmp_path: Path) -> None:
    p = fuzz("--server", "reference", "--seconds", "3", "--seed", "1", "--out", str(tmp_path))
    assert p.returncode == 0, p.stdout + p.stderr
    assert "0 distinct failures, 0 warnings" in p.stdout
    assert not list(tmp_path.iterdir())


def test_bad_arguments_exit_2() -> None:
    for args in (["--server", "reference", "--seconds", "0"],
                 ["--server", "reference", "--batch", "0"],
                 ["--server", ""]):
        p = fuzz(*args)
        assert p.returncode == 2, (args, p.stderr)
        assert p.stderr.startswith("ssespec: ")
    p = fuzz("--server", f"{LITERAL} --hello '{{\"hello\": 1}}'", "--seconds", "1")
    assert p.returncode == 2 and "not a hello object" in p.stderr


def test_failures_whose_signatures_start_alike_keep_separate_files(tmp_path: Path) -> None:
    """Found by fuzzing h3: file names were the signature's first 48
    characters, so different failures overwrote each other."""
    from harness.fuzz.encfuzz import Finding, write_case
    from harness.protocol.server import ServerHello
    from harness.server_suite.judge import Judgement
    hello = ServerHello("h3", "2.0.8", ["data", "comment"], True, None)
    start = "message 1's data value came out as something else entirely, and "
    paths = []
    for end in ("a comment was added", "an event was dropped"):
        f = Finding(start + end, [{"data": "x"}], Judgement("fail", start + end), b"data: x\n\n")
        write_case(f, tmp_path, hello, 1)
        paths.append(f.path)
    assert paths[0] != paths[1] and all(p.exists() for p in paths)
    assert {c.about.split(": ", 1)[1] for c in load_all(tmp_path)} == {
        start + "a comment was added", start + "an event was dropped"}
