"""Fixtures for the fuzz tooling's tests (fuzz/, harness/fuzz/libfuzzer.py)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest

from harness.core.paths import ROOT
from harness.fuzz.targets import TARGETS
from harness.setup import build


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def clang() -> str:
    """clang with its libFuzzer runtime, or the test is skipped."""
    from harness.fuzz.libfuzzer import find_clang

    path = find_clang()
    if path is None:
        pytest.skip("clang with the libFuzzer runtime is not installed "
                    "(apt-get install -y clang libclang-rt-14-dev)")
    return path


@pytest.fixture(scope="session")
def replay_drivers() -> dict[str, Path]:
    """fuzz-replay-<target> of the ASan+UBSan build (build/asan, the one
    `./ssespec test` builds first; built here when it is not)."""
    out = {}
    for t in TARGETS:
        exe = build.executable(f"fuzz-replay-{t}", "asan", quiet=True)
        out[t] = exe
    return out


@pytest.fixture(scope="session")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seed corpora generated from corpus/cases: DIR/<target>/."""
    out = tmp_path_factory.mktemp("seeds")
    subprocess.run(["/usr/bin/python3", str(ROOT / "fuzz" / "make_seeds.py"), "--out", str(out)],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    return out


# The planted defect: after a CR that ends a chunk, the parser forgets to
# skip the LF that may start the next chunk whenever the line had to be
# held across chunks (its bytes are in p->line). A CRLF split across chunks
# after such a line then reads as CR + an empty line, dispatching early.
DEFECT_FROM = "p->after_cr = 1;"
DEFECT_TO = "p->after_cr = (p->line.len == 0);"


@pytest.fixture(scope="session")
def defective_parser(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of parser/sse.c with the planted defect."""
    src = (ROOT / "parser" / "sse.c").read_text()
    assert src.count(DEFECT_FROM) == 1, (
        f"the planted defect no longer applies: parser/sse.c should have one {DEFECT_FROM!r} "
        "(the CR at the end of a chunk); update DEFECT_FROM/DEFECT_TO in tests/fuzz/conftest.py")
    out = tmp_path_factory.mktemp("defective") / "sse.c"
    out.write_text(src.replace(DEFECT_FROM, DEFECT_TO))
    return out
