"""fuzz/make_seeds.py: every case becomes seeds in the fuzz input format."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from conftest import ROOT, TARGETS
from harness.cases import load_all


def _stream(seed: bytes) -> tuple[int, list[int], bytes]:
    flags, n = seed[0], seed[4] & 15
    return flags, list(seed[5:5 + n]), seed[5 + n:]


def test_seeds_cover_every_small_case(seeds: Path) -> None:
    cases = load_all(ROOT / "corpus" / "cases")
    for t in TARGETS:
        streams = {_stream(p.read_bytes())[2] for p in (seeds / t).iterdir()}
        for case in cases:
            if len(case.input) <= 1000:
                assert case.input in streams, f"{t}: no seed for {case.name}"


def test_seed_chunks_are_the_cases_chunks(seeds: Path) -> None:
    by_stream = {}
    for p in (seeds / "split").iterdir():
        _, lens, stream = _stream(p.read_bytes())
        by_stream.setdefault(stream, []).append(lens)
    for case in load_all(ROOT / "corpus" / "cases"):
        if len(case.chunks) > 1 and len(case.chunks) <= 15 and all(len(c) < 256 for c in case.chunks) \
                and len(case.input) <= 1000:
            assert [len(c) for c in case.chunks] in by_stream[case.input], case.name


def test_seed_names_are_their_sha1_and_unique(seeds: Path) -> None:
    import hashlib
    for t in TARGETS:
        for p in (seeds / t).iterdir():
            assert p.name == hashlib.sha1(p.read_bytes()).hexdigest()


def test_zip_has_seeds_and_regressions(tmp_path: Path) -> None:
    subprocess.run(["/usr/bin/python3", str(ROOT / "fuzz" / "make_seeds.py"), "--zip", str(tmp_path)],
                   check=True, capture_output=True)
    for t in TARGETS:
        with zipfile.ZipFile(tmp_path / f"{t}_seed_corpus.zip") as z:
            names = z.namelist()
        regs = ROOT / "corpus" / "regressions" / t
        for p in (regs.iterdir() if regs.is_dir() else []):
            assert f"regression-{p.name}" in names
        assert sum(1 for n in names if not n.startswith("regression-")) >= 50
