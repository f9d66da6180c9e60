"""Configure (once) and build (incrementally) the C parts with CMake."""

from __future__ import annotations

import fcntl
import os
import subprocess
import sys
import tempfile
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.setup import deps

KINDS: dict[str, list[str]] = {
    "release": ["-DCMAKE_BUILD_TYPE=Release"],
    "asan": ["-DSSESPEC_SANITIZE=ON", "-DCMAKE_BUILD_TYPE=Debug"],
}


def build_dir(kind: str, root: Path = ROOT) -> Path:
    return root / "build" / kind


def _run(cmd: list[str], quiet: bool) -> int:
    """Run cmd with its output on stderr; quiet keeps it back unless it fails."""
    if not quiet:
        return subprocess.call(cmd, stdout=sys.stderr, stdin=subprocess.DEVNULL)
    with tempfile.TemporaryFile() as log:
        rc = subprocess.call(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
        if rc != 0:
            log.seek(0)
            sys.stderr.buffer.write(log.read())
            sys.stderr.flush()
        return rc


def build(kind: str = "release", root: Path = ROOT, quiet: bool = False,
          target: str | None = None) -> Path:
    """Configure build/KIND if it has no cache yet, then build it (only the
    CMake target `target` and what it needs, when given); return its
    directory. Output goes to stderr (kept back when quiet unless it fails)."""
    if kind not in KINDS:
        raise Fatal(f"unknown build {kind!r} (builds: {', '.join(KINDS)})")
    deps.ensure(*deps.BUILD)
    out = build_dir(kind, root)
    out.mkdir(parents=True, exist_ok=True)
    with open(out.parent / f".{kind}.lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)   # two runs never build one tree at once
        if not (out / "CMakeCache.txt").exists():
            print(f"ssespec: configuring {out.relative_to(root)}", file=sys.stderr, flush=True)
            if _run(["cmake", "-S", str(root), "-B", str(out), *KINDS[kind]], quiet) != 0:
                (out / "CMakeCache.txt").unlink(missing_ok=True)
                raise Fatal(f"cmake could not configure {out.relative_to(root)}; see the output above")
        what = ["--target", target] if target else []
        if _run(["cmake", "--build", str(out), "-j2", *what], quiet) != 0:
            raise Fatal(f"the build in {out.relative_to(root)} failed; see the output above")
    return out


def find_executable(directory: Path, name: str) -> Path | None:
    """The executable called name below directory (outside CMakeFiles), if any."""
    found = [p for p in directory.rglob(name)
             if p.is_file() and os.access(p, os.X_OK) and "CMakeFiles" not in p.parts]
    return min(found, key=lambda p: len(p.parts)) if found else None


def executable(name: str, kind: str = "release", root: Path = ROOT, quiet: bool = False) -> Path:
    """Build the target called name (each executable is a CMake target of its
    own name), then return the path of the executable."""
    out = build(kind, root, quiet, target=name)
    path = find_executable(out, name)
    if path is None:
        raise Fatal(f"the build in {out.relative_to(root)} made no {name}")
    return path
