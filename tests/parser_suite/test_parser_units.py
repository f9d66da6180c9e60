"""Unit tests of the parser suite's pieces: requests of byte variants."""
from __future__ import annotations

from pathlib import Path

from harness.parser_suite.runner import encode_request


def test_byte_variant_request_matches_generic_encoding():
    from harness.core.cases import parse_case
    from harness.parser_suite.runner import encode_variant
    from harness.parser_suite.variants import variants
    c = parse_case('about x\nrule L1\nchunk "a\\xff\\0\\r\\n"\nend\n', "a/b", Path("/tmp/a/b.case"))
    for v in variants(c):
        assert encode_variant(v) == encode_request(v.id, v.chunks())

