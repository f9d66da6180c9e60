"""The fuzz targets, as the harness and the tests know them. (Until the
manifest fuzz/targets.txt lands, the list is written here once.)"""

from __future__ import annotations

TARGETS = ("parse", "split", "diff", "http_request", "http_response", "scenario")
PARSER_TARGETS = ("parse", "split", "diff")   # the reference parser's targets
