"""Fixtures for the fuzz tooling's tests (fuzz/, harness/fuzzing.py)."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SSE_TARGETS = ("parse", "split", "diff")  # the reference parser's targets
TARGETS = SSE_TARGETS + ("http_request", "http_response", "scenario")


@pytest.fixture(scope="session")
def root() -> Path:
    return ROOT


@pytest.fixture(scope="session")
def clang() -> str:
    """clang with its libFuzzer runtime, or the test is skipped."""
    from harness.fuzzing import find_clang

    path = find_clang()
    if path is None:
        pytest.skip("clang with the libFuzzer runtime is not installed "
                    "(apt-get install -y clang libclang-rt-14-dev)")
    return path


@pytest.fixture(scope="session")
def replay_drivers(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """fuzz-replay-<target>, built by CMake with gcc and ASan+UBSan."""
    if not shutil.which("cmake") or not shutil.which("gcc"):
        pytest.skip("cmake and gcc are needed to build the replay drivers")
    build = tmp_path_factory.mktemp("replay-build")
    subprocess.run(["cmake", "-S", str(ROOT), "-B", str(build), "-DSSESPEC_SANITIZE=ON",
                    "-DCMAKE_BUILD_TYPE=Debug", "-DCMAKE_C_COMPILER=gcc"],
                   check=True, capture_output=True, stdin=subprocess.DEVNULL)
    r = subprocess.run(["cmake", "--build", str(build), "-j2", "--target",
                        *(f"fuzz-replay-{t}" for t in TARGETS)],
                       capture_output=True, text=True, stdin=subprocess.DEVNULL)
    assert r.returncode == 0, r.stdout + r.stderr
    return {t: build / "fuzz" / f"fuzz-replay-{t}" for t in TARGETS}


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
