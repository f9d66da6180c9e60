"""Split variants: every case is run as written, byte by byte, and in two
chunks at every split point (docs/case-format.md, "Split variants")."""

from __future__ import annotations

from dataclasses import dataclass

from harness.core.cases import Case

MAX_SPLIT_INPUT = 512   # inputs up to this many bytes get @split-K variants
WHOLE, BYTES, SPLIT = "whole", "bytes", "split"
MARKERS = {
    WHOLE: "variant_whole: the case with its chunks as written",
    BYTES: "variant_bytes: every input byte its own chunk (@bytes)",
    SPLIT: "variant_split: the input in two chunks split after K bytes (@split-K)",
}


@dataclass(frozen=True)
class Variant:
    case: Case
    kind: str           # WHOLE, BYTES or SPLIT
    at: int = 0         # for SPLIT: the length of the first chunk

    @property
    def id(self) -> str:
        if self.kind == WHOLE:
            return self.case.name
        if self.kind == BYTES:
            return f"{self.case.name}@bytes"
        return f"{self.case.name}@split-{self.at}"

    @property
    def name(self) -> str:
        """The variant's name in results: whole, bytes or split-K."""
        return self.kind if self.kind != SPLIT else f"split-{self.at}"

    @property
    def marker(self) -> str:
        return f"variant_{self.kind}"

    def chunks(self) -> list[bytes]:
        if self.kind == WHOLE:
            return self.case.chunks
        data = self.case.input
        if self.kind == BYTES:
            return [data[i : i + 1] for i in range(len(data))]
        return [data[: self.at], data[self.at :]]


def variants(case: Case) -> list[Variant]:
    """The case as written, then @bytes, then @split-1 .. @split-(len-1)."""
    out = [Variant(case, WHOLE)]
    size = len(case.input)
    if size == 0:
        return out
    if "bytes" not in case.skip_variants:
        out.append(Variant(case, BYTES))
    if "splits" not in case.skip_variants and size <= MAX_SPLIT_INPUT:
        out.extend(Variant(case, SPLIT, k) for k in range(1, size))
    return out
