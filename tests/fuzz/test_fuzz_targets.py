"""The HTTP and loader targets (http_request, http_response, scenario) catch
what they are there to catch: each replay driver, built with gcc against a
copy of the code under test with a small planted defect, reports a finding
on an input that shows it, and none on the same input without the defect."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.core.paths import ROOT
from harness.fuzz.targets import load

TARGETS = load()
PARSER = sorted((ROOT / "parser").glob("*.c"))   # every target links the parser
COMMON = [ROOT / "fuzz" / "replay_main.c", ROOT / "fuzz" / "common" / "fuzz_common.c"]
INCLUDES = [f"-I{ROOT}", f"-I{ROOT / 'parser'}", f"-I{ROOT / 'fuzz'}",
            f"-I{ROOT / 'fuzz' / 'common'}", f"-I{ROOT / 'server'}", f"-I{ROOT / 'client'}"]


def plant(src: Path, old: str, new: str, out: Path) -> Path:
    text = src.read_text()
    assert text.count(old) >= 1, f"the planted defect no longer applies to {src}: {old!r}"
    out.write_text(text.replace(old, new))
    return out


def driver(tmp: Path, target: str, name: str, planted: dict[Path, Path] | None = None) -> Path:
    """The replay driver of target, built with gcc from the sources
    fuzz/targets.txt lists for it, with planted copies in place of the
    originals they name."""
    planted = planted or {}
    sources = list(dict.fromkeys([*PARSER, *TARGETS[target].sources()]))
    missing = set(planted) - set(sources)
    assert not missing, f"{target} does not test {missing} (fuzz/targets.txt)"
    sources = [planted.get(s, s) for s in sources]
    exe = tmp / name
    subprocess.run(["gcc", "-std=c11", "-O1", "-g", *INCLUDES, f'-DFUZZ_TARGET_NAME="{target}"',
                    str(ROOT / "fuzz" / f"{target}.c"), *map(str, COMMON), *map(str, sources),
                    "-o", str(exe)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL, timeout=120)
    return exe


def replay(exe: Path, *inputs: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(exe), *map(str, inputs)], capture_output=True, text=True,
                          stdin=subprocess.DEVNULL, timeout=120)


def header(lens: list[int] = (), flags: int = 0) -> bytes:
    return bytes([flags, 0, 0, 0, len(lens)]) + bytes(lens)


@pytest.fixture(scope="module")
def tmp(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("targets")


def test_http_request_catches_the_16k_boundary(tmp: Path) -> None:
    # The defect the target found: a head whose blank line ends just past
    # 16 KiB was accepted when it arrived at once and answered 431 when a
    # read stopped at 16 KiB. The regression input replays it.
    src = ROOT / "server" / "http_request.c"
    bad = plant(src, "found = (size_t)(q + 2 - buf) <= HTTP_MAX_HEAD;", "found = 1;",
                tmp / "http_bad.c")
    regs = sorted((ROOT / "corpus" / "regressions" / "http_request").iterdir())
    assert regs
    good_exe = driver(tmp, "http_request", "req-good")
    bad_exe = driver(tmp, "http_request", "req-bad", {src: bad})
    assert replay(good_exe, *regs).returncode == 0
    r = replay(bad_exe, *regs)
    assert r.returncode != 0 and "==== finding: http_request: " in r.stderr, r.stderr[-2000:]


def test_http_response_catches_a_split_dependent_trailer(tmp: Path) -> None:
    # Planted: the "CR seen" state is forgotten between reads, so a bare CR
    # in a trailer is an error when the trailer arrives at once and is let
    # through when a read ends right after the CR.
    bad = plant(ROOT / "client" / "http_response.c", "  *used = 0;\n  if (p->status < 0)",
                "  *used = 0;\n  p->saw_cr = 0;\n  if (p->status < 0)", tmp / "hr_bad.c")
    head = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nX: a\r"
    stream = head + b"b\r\n\r\n"
    inp = tmp / "hr-input"
    inp.write_bytes(header([len(head)]) + stream)
    good_exe = driver(tmp, "http_response", "resp-good")
    bad_exe = driver(tmp, "http_response", "resp-bad", {ROOT / "client" / "http_response.c": bad})
    r = replay(good_exe, inp)
    assert r.returncode == 0, r.stderr[-2000:]
    r = replay(bad_exe, inp)
    assert r.returncode != 0, r.stdout
    assert "==== finding: http_response: the outcome fed the fuzzer's chunks differs" in r.stderr
    assert "failure -4 (malformed chunked body)" in r.stderr  # whole: the bare CR is refused


def test_scenario_catches_a_malformed_message(tmp: Path) -> None:
    # Planted: the message loses the ':' after the line number.
    bad = plant(ROOT / "server" / "scenario.c", 'snprintf(p->err, p->errsize, "%s:%d: %s: "',
                'snprintf(p->err, p->errsize, "%s:%d %s: "', tmp / "sc_bad.c")
    good_exe = driver(tmp, "scenario", "sc-good")
    bad_exe = driver(tmp, "scenario", "sc-bad", {ROOT / "server" / "scenario.c": bad})
    inp = tmp / "sc-input"
    inp.write_bytes(b"about a\nrule C5\nconnection\nstatus 99\n")
    assert replay(good_exe, inp).returncode == 0
    r = replay(bad_exe, inp)
    assert r.returncode != 0
    assert "==== finding: scenario: an error message without FILE:LINE: " in r.stderr
    assert "fuzz.scenario:4 status: needs a code" in r.stderr


def test_scenario_replays_every_scenario_file(tmp: Path) -> None:
    exe = driver(tmp, "scenario", "sc-all")
    dirs = [ROOT / "corpus" / "scenarios", ROOT / "tests" / "server" / "scenarios",
            ROOT / "tests" / "client" / "scenarios", ROOT / "tests" / "client_suite" / "scenarios"]
    r = replay(exe, *[d for d in dirs if d.is_dir()])
    assert r.returncode == 0, r.stderr[-2000:]
    assert int(r.stdout.split(": ")[1].split()[0]) >= 150
