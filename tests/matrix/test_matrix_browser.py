"""The report as a person sees it: index.html opened from disk in Debian's
Chromium, headless, by tests/matrix/browser_check.cjs with the
playwright-core that adapters/chromium pins. The table renders, the
"disagree" filter hides agreeing rows, a click on a failing cell opens its
detail with its bytes, and with JavaScript off the summary table is there.
The time the page takes to open and screenshots are kept in
build/test-results/matrix/.

SSESPEC_MATRIX_REPORT=report/index.html also checks a full report (made by
./ssespec matrix) the same way, and that it opens in under 2 s."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import pytest
from matrix_env import Ran
from suite_env import ROOT

from harness.commands.test import RESULTS
from harness.core.errors import Fatal
from harness.setup import bundled

HERE = Path(__file__).resolve().parent
SHOTS = RESULTS / "matrix"
OPEN_LIMIT_MS = 2000


@pytest.fixture(scope="module")
def node_path() -> Path:
    """adapters/chromium's pinned node_modules, and Chromium itself,
    installed as its manifest says; the test is skipped when they cannot be."""
    m = bundled.load_manifest(ROOT / "adapters" / "chromium" / "adapter.json")
    try:
        bundled.prepare(m)
    except Fatal as e:
        pytest.skip(f"chromium: {e}")
    return m.dir / "node_modules"


def browse(index: Path, shots: Path, node_path: Path) -> dict:
    shots.mkdir(parents=True, exist_ok=True)
    p = subprocess.run(["node", str(HERE / "browser_check.cjs"), str(index), str(shots)],
                       env={**os.environ, "NODE_PATH": str(node_path)}, capture_output=True,
                       text=True, timeout=240, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stderr
    result = json.loads(p.stdout)
    (shots / "browser.json").write_text(json.dumps(result, indent=1) + "\n")
    return result


def test_the_report_in_chromium(small_matrix: Ran, node_path):
    assert small_matrix.rc == 0, small_matrix.stderr
    r = browse(small_matrix.out / "index.html", SHOTS / "small", node_path)
    js, nojs = r["js"], r["nojs"]
    print(f"\nopened in {js['nav']['load_ms']} ms (Chromium {r['chromium']})")
    assert js["tables"] == ["parsers: verdict per case", "clients: verdict per case"]
    assert len(js["summary_rows"]) == 4
    assert any("ssespec-literal+" in row for row in js["summary_rows"])
    # the disagree filter leaves only rows where the implementations differ
    assert js["filters_visible"]
    assert js["agreeing_before"] > 0 and js["agreeing_after"] == 0
    assert 0 < js["rows_after"] < js["rows_before"]
    assert js["count_text"] == f"{js['rows_after']} case rows shown"
    assert len(set(js["rule_filter"]["shown"])) == 1
    assert js["slash_focus"] == "f-q"
    # the first failing cell: the literal parser on fields/kinds
    assert js["cell_href"] == "impl/parser-1.html#case-fields/kinds"
    assert js["detail_url"].endswith("/impl/parser-1.html#case-fields/kinds")
    detail = js["detail"]
    assert detail is not None and detail["targeted"] and detail["in_view"]
    assert '29 bytes: "retry: 5\\n: hi\\nid: 7\\ndata: a\\n\\n"' in detail["text"]
    assert "3 chunks, lengths 9, 5, 15" in detail["text"]
    # JavaScript off: the summary and the tables, without the filters
    assert nojs["summary_visible"] and nojs["summary_rows"] == js["summary_rows"]
    assert nojs["case_rows_visible"] == js["rows_before"] and not nojs["filters_visible"]
    assert js["nav"]["load_ms"] < OPEN_LIMIT_MS
    for name in ("matrix-index", "matrix-table", "matrix-disagree", "matrix-detail",
                 "matrix-nojs"):
        assert (SHOTS / "small" / f"{name}.png").stat().st_size > 1000


@pytest.mark.skipif(not os.environ.get("SSESPEC_MATRIX_REPORT"),
                    reason="SSESPEC_MATRIX_REPORT names no full report")
def test_a_full_report_opens_in_under_2_s(node_path):
    index = Path(os.environ["SSESPEC_MATRIX_REPORT"]).resolve()
    size = sum(p.stat().st_size for p in index.parent.rglob("*") if p.is_file())
    r = browse(index, SHOTS / "full", node_path)
    print(f"\n{index.parent}: {size / 1e6:.2f} MB, opened in {r['js']['nav']['load_ms']} ms")
    assert size < 5 * 1024 * 1024
    assert r["js"]["nav"]["load_ms"] < OPEN_LIMIT_MS
    assert r["js"]["detail"] and r["js"]["detail"]["targeted"]
    assert r["nojs"]["summary_visible"]
