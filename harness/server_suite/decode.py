"""Decoding a producer's bytes with the reference parser: the records any
conforming client's parser gives for them (event, retry, comment, end).

The reference parser runs as its adapter (ssespec-parser-adapter, the one
`check --impl reference` runs), started once; decode_many() pipelines many
streams through it for fuzzing.
"""

from __future__ import annotations

from harness.core.errors import Fatal
from harness.core.records import Record
from harness.protocol.parser import (AdapterFailure, AdapterProcess, HelloError, decode_response,
                                     encode_request)
from harness.setup import build, bundled

TIMEOUT = 30.0


class Decoder:
    def __init__(self, build_kind: str = "release") -> None:
        exe = build.executable(bundled.REFERENCE_EXE, build_kind, quiet=True)
        self.argv = [str(exe)]
        self.proc: AdapterProcess | None = None

    def start(self) -> None:
        self.proc = AdapterProcess(self.argv)
        try:
            self.proc.start(TIMEOUT)
        except HelloError as e:
            raise Fatal(f"the reference parser adapter did not start: {e}") from None

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.stop()
            self.proc = None

    def decode(self, data: bytes) -> list[Record]:
        return self.decode_many([data])[0]

    def decode_many(self, streams: list[bytes]) -> list[list[Record]]:
        """The records of each stream, in order (one request line each, all
        in flight at once)."""
        if self.proc is None or not self.proc.running:
            self.start()
        assert self.proc is not None
        ids = [f"d{n}" for n in range(len(streams))]
        try:
            lines = self.proc.pipeline([encode_request(i, [s]) for i, s in zip(ids, streams)],
                                       TIMEOUT)
            out = []
            for i, line in zip(ids, lines):
                r = decode_response(line, i)
                if r.records is None:
                    raise Fatal(f"the reference parser adapter refused a stream: {r.error}")
                out.append(r.records)
            return out
        except AdapterFailure as e:
            self.proc.kill()
            self.proc = None
            raise Fatal(f"the reference parser adapter failed: {e}") from None
