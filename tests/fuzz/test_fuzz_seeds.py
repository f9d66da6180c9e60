"""fuzz/make_seeds.py: every case becomes seeds in the fuzz input format;
request heads, responses and scenario files are generated for the HTTP and
loader targets."""

from __future__ import annotations

import subprocess
import zipfile
from pathlib import Path

from harness.core.cases import load_all
from harness.core.paths import ROOT
from harness.fuzz.targets import PARSER_TARGETS as SSE_TARGETS
from harness.fuzz.targets import TARGETS


def _stream(seed: bytes) -> tuple[int, list[int], bytes]:
    flags, n = seed[0], seed[4] & 15
    return flags, list(seed[5:5 + n]), seed[5 + n:]


def test_seeds_cover_every_small_case(seeds: Path) -> None:
    cases = load_all(ROOT / "corpus" / "cases")
    for t in SSE_TARGETS:
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
        names = [p.name for p in (seeds / t).iterdir()]
        assert len(names) >= 50, f"{t}: only {len(names)} seeds"
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


def test_request_seeds_are_heads_for_every_scenario(seeds: Path) -> None:
    streams = {_stream(p.read_bytes())[2] for p in (seeds / "http_request").iterdir()}
    heads = {s.split(b"\r\n", 1)[0] for s in streams}
    for path in sorted((ROOT / "corpus" / "scenarios").rglob("*.scenario")):
        name = path.relative_to(ROOT / "corpus" / "scenarios").as_posix()[: -len(".scenario")]
        assert any(h.startswith(b"GET /s/" + name.encode() + b"/T0") for h in heads), name
    # the limit: heads ending just below, at and just above 16 KiB
    sizes = {len(s) for s in streams}
    assert {16384 - 3, 16384, 16385} <= sizes
    assert any(b"Last-Event-ID: 1\r\n" in s for s in streams)


def test_response_seeds_frame_every_small_case(seeds: Path) -> None:
    bodies = [_stream(p.read_bytes())[2] for p in (seeds / "http_response").iterdir()]
    framings = {b"Transfer-Encoding: chunked": 0, b"Content-Length: ": 0, b"Connection: close": 0}
    for b in bodies:
        for k in framings:
            framings[k] += k in b
    assert all(n >= 50 for n in framings.values()), framings
    import importlib.util
    spec = importlib.util.spec_from_file_location("make_seeds", ROOT / "fuzz" / "make_seeds.py")
    make_seeds = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(make_seeds)
    for case in load_all(ROOT / "corpus" / "cases"):
        if 0 < len(case.input) <= 200:
            chunked = make_seeds.chunked(case.chunks)
            assert any(case.input in b or chunked in b for b in bodies), case.name


def test_scenario_seeds_are_the_scenario_files(seeds: Path) -> None:
    got = {p.read_bytes() for p in (seeds / "scenario").iterdir()}
    files = sorted((ROOT / "corpus" / "scenarios").rglob("*.scenario"))
    plain = [f.read_bytes() for f in files if b"*" not in f.read_bytes()]
    assert plain and all(t in got for t in plain)
    assert len(got) >= len(files)
    # the files' repetition counts are capped, so no seed from them builds
    # megabytes (the limit variants are refused before building anything)
    import re
    base = b"about a seed at a limit\n"
    assert sum(1 for s in got if s.startswith(base)) >= 20
    for s in got:
        if not s.replace(b"\r\n", b"\n").startswith(base):
            assert all(int(n) <= 1000 for n in re.findall(rb"\*\s*(\d+)", s))
