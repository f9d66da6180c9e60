"""The folders a suite reads its files from: the built-in corpus and the
user's own beside it (`--cases A --cases B`, docs/results.md, "Your own
cases beside the built-in ones").

A file's name is its path below its folder, without the suffix, so two
folders may not hold the same name (the report, -k and baselines name a
case by it), and one folder may not sit inside another (its files would
have two names).
"""

from __future__ import annotations

import os
from pathlib import Path


class RootsError(ValueError):
    """Folders that cannot be read together; the message says which and why."""


def absolute(paths: list[str] | list[Path]) -> list[Path]:
    """The folders as absolute paths (abspath, not resolve: pytest hands
    over paths as given, symlinks and all), duplicates dropped."""
    out: list[Path] = []
    for p in paths:
        a = Path(os.path.abspath(p))
        if a not in out:
            out.append(a)
    return out


def with_builtin(given: list[str], builtin: Path, no_builtin: bool) -> list[Path]:
    """A suite's folders: the built-in one, unless --no-builtin left it out
    (it does only when folders were given), then the given ones."""
    return absolute(([] if given and no_builtin else [builtin]) + [Path(g) for g in given])


def root_of(path: Path, roots: list[Path]) -> Path | None:
    """The folder among roots that holds path, or None."""
    a = Path(os.path.abspath(path))
    for r in roots:
        if a.is_relative_to(r):
            return r
    return None


def check(roots: list[Path], suffixes: tuple[str, ...], what: str = "case") -> None:
    """RootsError when a folder is missing, one is inside another, or two
    hold a file of the same name."""
    for r in roots:
        if not r.is_dir():
            raise RootsError(f"{r}: no such directory")
    for a in roots:
        for b in roots:
            if a != b and a.is_relative_to(b):
                raise RootsError(f"{a} is inside {b}: its {what}s would have two names")
    seen: dict[str, Path] = {}
    for r in roots:
        for suffix in suffixes:
            for p in sorted(r.rglob(f"*{suffix}")):
                name = p.relative_to(r).with_suffix("").as_posix()
                first = seen.setdefault(name, p)
                if first != p:
                    raise RootsError(f"the {what} name {name} is taken twice: {first} and {p} "
                                     "(names must be unique across the folders of a run)")
