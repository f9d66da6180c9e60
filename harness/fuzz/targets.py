"""The fuzz targets, read from their one list, fuzz/targets.txt (its format
is described at its top and in docs/fuzzing.md): NAME, the sources it
tests, and a one-line description."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import ROOT

MANIFEST = ROOT / "fuzz" / "targets.txt"
_LINE = re.compile(r"^([a-z0-9_]+)\s+(\S+)\s+(\S.*)$")


@dataclass(frozen=True)
class Target:
    name: str
    code: tuple[str, ...]      # globs from the repository root
    description: str

    def sources(self, root: Path = ROOT) -> list[Path]:
        """The files the target tests, parser/ included, globs expanded."""
        out: list[Path] = []
        for pattern in self.code:
            out += sorted(root.glob(pattern))
        return out


def load(path: Path = MANIFEST) -> dict[str, Target]:
    """Every target, by name, in the file's order; Fatal for a malformed line."""
    out: dict[str, Target] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as e:
        raise Fatal(f"{path}: cannot read the fuzz target list: {e.strerror}") from None
    for n, line in enumerate(lines, 1):
        if not line.strip() or line.startswith("#"):
            continue
        m = _LINE.match(line)
        if m is None:
            raise Fatal(f"{path}:{n}: not NAME CODE DESCRIPTION: {line!r}")
        name, code, what = m.groups()
        if name in out:
            raise Fatal(f"{path}:{n}: target {name!r} is listed twice")
        out[name] = Target(name, tuple(code.split(",")), what.strip())
    return out


TARGETS = tuple(load())
# the reference parser's targets: those that test nothing but parser/ (and
# fuzz/ oracles)
PARSER_TARGETS = tuple(t.name for t in load().values()
                       if all(c.startswith(("parser/", "fuzz/")) for c in t.code))
