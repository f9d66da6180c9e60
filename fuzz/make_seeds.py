#!/usr/bin/env python3
"""Generate the fuzz targets' seed corpora from the conformance cases.

Every case under corpus/cases becomes one or more inputs in the fuzz input
format (docs/fuzzing.md): a 5-byte header, the case's chunk lengths, then
its stream. Nothing is copied by hand; the seeds are regenerated from the
cases each build and written into a build directory, never into git.

  make_seeds.py --out DIR          DIR/<target>/<sha1> for every target
  make_seeds.py --zip OUTDIR       OUTDIR/<target>_seed_corpus.zip (OSS-Fuzz)

Both may be given. The regression inputs (corpus/regressions/<target>) are
added to the zip files too, as OSS-Fuzz expects every known input there.
"""

from __future__ import annotations

import argparse
import hashlib
import sys
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ("parse", "split", "diff")
# The targets' -max_len (fuzz/<target>.options): longer seeds are left out.
MAX_LEN = {"parse": 4096, "split": 1024, "diff": 2048}
HEADER = 5
MAX_LENS = 15


def header(flags: int = 0, limit_param: int = 0, k: int = 0, lens: list[int] | None = None) -> bytes:
    lens = lens or []
    assert 0 <= flags < 256 and 0 <= limit_param < 65536 and 0 <= k < 256
    assert len(lens) <= MAX_LENS and all(0 <= n < 256 for n in lens)
    return bytes([flags, limit_param & 0xFF, limit_param >> 8, k, len(lens)]) + bytes(lens)


def chunk_lengths(chunks: list[bytes]) -> list[int]:
    """The case's chunks as a length list, or [] (one chunk) if they do not fit."""
    if len(chunks) <= 1:
        return []
    lens = [len(c) for c in chunks]
    if len(lens) <= MAX_LENS and all(n < 256 for n in lens):
        return lens
    return []


def seeds_for(target: str, chunks: list[bytes]) -> list[bytes]:
    stream = b"".join(chunks)
    lens = chunk_lengths(chunks)
    if HEADER + len(lens) + len(stream) > MAX_LEN[target]:
        return []
    if target == "parse":
        return [
            header(0, 0, 0, lens) + stream,
            # a 64-byte limit, and the second stream after sse_parser_reset
            header(0x41, 0, 0, lens) + stream,
        ]
    if target == "split":
        return [header(0, 0, 0, lens) + stream]
    if target == "diff":
        return [
            header(0, 0, 0, lens) + stream,
            # the same bytes again as a reconnection's stream
            header(0x01, 0, 0, lens) + stream,
        ]
    raise ValueError(target)


def load_cases(cases_root: Path) -> list[list[bytes]]:
    sys.path.insert(0, str(ROOT))
    from harness.cases import CaseError, load_case  # noqa: E402

    out: list[list[bytes]] = []
    for path in sorted(cases_root.rglob("*.case")):
        try:
            out.append(load_case(path, cases_root).chunks)
        except CaseError as e:  # a broken case is the case suite's business
            print(f"make_seeds: skipping {e}", file=sys.stderr)
    return out


def generate(cases_root: Path) -> dict[str, dict[str, bytes]]:
    """target -> {sha1: input}, from every case."""
    all_chunks = load_cases(cases_root)
    seeds: dict[str, dict[str, bytes]] = {t: {} for t in TARGETS}
    for chunks in all_chunks:
        for t in TARGETS:
            for s in seeds_for(t, chunks):
                seeds[t][hashlib.sha1(s).hexdigest()] = s
    return seeds


def regressions(target: str, root: Path = ROOT) -> dict[str, bytes]:
    d = root / "corpus" / "regressions" / target
    if not d.is_dir():
        return {}
    return {p.name: p.read_bytes() for p in sorted(d.iterdir()) if p.is_file() and not p.name.startswith(".")}


def write_dirs(seeds: dict[str, dict[str, bytes]], out: Path) -> None:
    for t, items in seeds.items():
        d = out / t
        d.mkdir(parents=True, exist_ok=True)
        for old in d.iterdir():
            if old.is_file():
                old.unlink()
        for name, data in items.items():
            (d / name).write_bytes(data)


def write_zips(seeds: dict[str, dict[str, bytes]], out: Path) -> None:
    out.mkdir(parents=True, exist_ok=True)
    for t, items in seeds.items():
        z = out / f"{t}_seed_corpus.zip"
        with zipfile.ZipFile(z, "w", zipfile.ZIP_DEFLATED) as zf:
            for name, data in sorted(items.items()):
                zf.writestr(name, data)
            for name, data in regressions(t).items():
                zf.writestr(f"regression-{name}", data)


def main(argv: list[str]) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--out", type=Path, help="write DIR/<target>/<sha1>")
    ap.add_argument("--zip", type=Path, help="write DIR/<target>_seed_corpus.zip")
    ap.add_argument("--cases", type=Path, default=ROOT / "corpus" / "cases")
    ap.add_argument("--target", action="append", choices=TARGETS, help="only this target (repeatable)")
    args = ap.parse_args(argv)
    if not args.out and not args.zip:
        ap.error("give --out, --zip or both")
    seeds = generate(args.cases)
    if args.target:
        seeds = {t: seeds[t] for t in args.target}
    if args.out:
        write_dirs(seeds, args.out)
    if args.zip:
        write_zips(seeds, args.zip)
    counts = ", ".join(f"{t} {len(v)}" for t, v in seeds.items())
    print(f"make_seeds: {counts} seeds from {args.cases}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
