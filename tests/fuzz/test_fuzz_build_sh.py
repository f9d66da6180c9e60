"""fuzz/build.sh under OSS-Fuzz's conventions builds every target with its
seed corpus, dictionary and options; .clusterfuzzlite/build.sh runs it the
way the ClusterFuzzLite builder does."""

from __future__ import annotations

import os
import subprocess
import zipfile
from pathlib import Path

from harness.fuzz.targets import TARGETS


def test_build_sh_makes_every_target(root: Path, clang: str, tmp_path: Path) -> None:
    out = tmp_path / "out"
    env = dict(os.environ, CC=clang, CFLAGS="-fsanitize=address,fuzzer-no-link -g -O1",
               LIB_FUZZING_ENGINE="-fsanitize=fuzzer", OUT=str(out))
    env.pop("CXX", None)
    env.pop("CXXFLAGS", None)
    r = subprocess.run(["bash", str(root / "fuzz" / "build.sh")], env=env, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    for t in TARGETS:
        binary = out / t
        assert binary.is_file() and os.access(binary, os.X_OK), t
        assert (out / f"{t}.dict").read_text() == (root / "fuzz" / f"{t}.dict").read_text()
        options = (out / f"{t}.options").read_text()
        assert "[libfuzzer]" in options and "max_len" in options
        with zipfile.ZipFile(out / f"{t}_seed_corpus.zip") as z:
            names = z.namelist()
            assert len(names) >= 50, f"{t}: only {len(names)} seeds"
            z.extractall(tmp_path / "seeds" / t)
        # Every seed runs clean through the libFuzzer build (-runs=0 only
        # executes the given corpus).
        run = subprocess.run([str(binary), "-runs=0", f"-dict={out / f'{t}.dict'}",
                              str(tmp_path / "seeds" / t)], capture_output=True, text=True,
                             stdin=subprocess.DEVNULL, timeout=300)
        assert run.returncode == 0, run.stderr[-3000:]


def test_clusterfuzzlite_build_sh(root: Path, clang: str, tmp_path: Path) -> None:
    # As the OSS-Fuzz builder runs it: the project in $SRC/ssespec, linking
    # with $CXX (one target, to keep the test short).
    import shutil
    clangxx = shutil.which("clang++") or shutil.which("clang++-14")
    if clangxx is None:
        import pytest
        pytest.skip("clang++ is not installed")
    src = tmp_path / "src"
    src.mkdir()
    (src / "ssespec").symlink_to(root)
    out = tmp_path / "out"
    out.mkdir()
    flags = "-O1 -fno-omit-frame-pointer -gline-tables-only -fsanitize=address " \
            "-fsanitize-address-use-after-scope -fsanitize=fuzzer-no-link"
    env = dict(os.environ, SRC=str(src), OUT=str(out), CC=clang, CXX=clangxx, CFLAGS=flags,
               CXXFLAGS=flags, LIB_FUZZING_ENGINE="-fsanitize=fuzzer",
               SSESPEC_FUZZ_TARGETS="http_response")
    r = subprocess.run(["bash", str(root / ".clusterfuzzlite" / "build.sh")], env=env,
                       capture_output=True, text=True, stdin=subprocess.DEVNULL, timeout=300)
    assert r.returncode == 0, r.stdout + r.stderr
    assert os.access(out / "http_response", os.X_OK)
    for f in ("http_response.dict", "http_response.options", "http_response_seed_corpus.zip"):
        assert (out / f).is_file(), f
    assert "language: c" in (root / ".clusterfuzzlite" / "project.yaml").read_text()
    assert "COPY .clusterfuzzlite/build.sh $SRC/" in (root / ".clusterfuzzlite" / "Dockerfile").read_text()
