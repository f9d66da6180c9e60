"""The input behind a case or scenario name, for the detail pages and for
"minimal case": a parser case's bytes and chunks (also the body of a client
variant `cases/NAME`, which serves that parser case), or the text of a
scenario or producer case file.

The chunks of a parser variant follow docs/case-format.md, "Split
variants": `whole` as written, `bytes` one byte a chunk, `split-K` the first
K bytes and the rest.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.core.cases import CaseError, load_case
from harness.core.paths import CASES, PRODUCERS, ROOT, SCENARIOS

SOURCE_LIMIT = 1500     # characters of a scenario or producer case file kept
FROM_CASES = "cases/"   # client variants that serve a parser case as the body


@dataclass(frozen=True)
class CaseInput:
    about: str
    path: str                       # the file, relative to the repository when inside it
    data: bytes | None = None       # the stream's bytes (parser cases and their client bodies)
    chunks: tuple[bytes, ...] = ()  # the chunks as written
    source: str | None = None       # a scenario or producer case file's text, comments left out

    @property
    def size(self) -> int:
        """How big the input is, for picking a minimal case: the bytes of a
        stream, else the characters of the file's non-comment lines."""
        if self.data is not None:
            return len(self.data)
        return len(self.source or "")


def variant_chunks(inp: CaseInput, variant: str) -> list[bytes] | None:
    """The chunks a parser variant feeds (None when unknown)."""
    if inp.data is None:
        return None
    if variant == "whole":
        return list(inp.chunks)
    if variant == "bytes":
        return [inp.data[i:i + 1] for i in range(len(inp.data))]
    if variant.startswith("split-") and variant[6:].isdigit():
        k = int(variant[6:])
        return [inp.data[:k], inp.data[k:]]
    return list(inp.chunks)


def _shown(path: Path) -> str:
    return str(path.relative_to(ROOT)) if path.is_relative_to(ROOT) else str(path)


def _folders(given: Path | list[Path]) -> list[Path]:
    return list(given) if isinstance(given, list) else [given]


class Inputs:
    """Reads (once each) the case files of one matrix's folders (each kind
    may have several: the built-in corpus and the user's, names unique)."""

    def __init__(self, cases: Path | list[Path] = CASES, scenarios: Path | list[Path] = SCENARIOS,
                 producers: Path | list[Path] = PRODUCERS) -> None:
        self.cases, self.scenarios = _folders(cases), _folders(scenarios)
        self.producers = _folders(producers)
        self._seen: dict[tuple[str, str], CaseInput | None] = {}

    def get(self, suite: str, name: str) -> CaseInput | None:
        key = (suite, name)
        if key not in self._seen:
            self._seen[key] = self._read(suite, name)
        return self._seen[key]

    def _read(self, suite: str, name: str) -> CaseInput | None:
        if suite == "parser" or (suite == "client" and name.startswith(FROM_CASES)):
            case_name = name[len(FROM_CASES):] if suite == "client" else name
            for root in self.cases:
                path = root / f"{case_name}.case"
                if not path.is_file():
                    continue
                try:
                    c = load_case(path, root)
                except (CaseError, ValueError):
                    return None
                return CaseInput(c.about, _shown(path), c.input, tuple(c.chunks))
            return None
        for folder in self.scenarios if suite == "client" else self.producers:
            for ext in (".scenario",) if suite == "client" else (".encode", ".served"):
                path = folder / f"{name}{ext}"
                if path.is_file():
                    return _source(path)
        return None


def _source(path: Path) -> CaseInput | None:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError:
        return None
    lines = [s for s in text.splitlines() if not s.lstrip().startswith("#")]
    about = next((s.strip()[6:] for s in lines if s.strip().startswith("about ")), "")
    body = "\n".join(lines).strip("\n")
    if len(body) > SOURCE_LIMIT:
        body = body[:SOURCE_LIMIT] + f"\n... ({len(body) - SOURCE_LIMIT} more characters)"
    return CaseInput(about, _shown(path), source=body)
