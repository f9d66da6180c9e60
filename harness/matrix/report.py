"""Writing a matrix's files: matrix.json, index.html and impl/ID.html."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from harness.core.errors import Fatal
from harness.matrix import detail, html
from harness.matrix.page import slug

SIZE_BUDGET = 5 * 1024 * 1024   # the whole report, matrix.json included


def write(m: dict, out: Path) -> int:
    """Write the report into out (its impl/ folder made anew); return the
    bytes written."""
    try:
        out.mkdir(parents=True, exist_ok=True)
        pages = out / "impl"
        if pages.exists():
            shutil.rmtree(pages)
        pages.mkdir()
        total = 0
        files = {out / "matrix.json": json.dumps(m, ensure_ascii=False, separators=(",", ":"))
                 + "\n",
                 out / "index.html": html.render(m)}
        for e in m["impls"]:
            files[pages / slug(e["id"])] = detail.render(m, e)
        for path, text in files.items():
            data = text.encode("utf-8")
            path.write_bytes(data)
            total += len(data)
    except OSError as e:
        raise Fatal(f"--out {out}: cannot write the report: {e.strerror or e}") from None
    return total


def load(path: Path) -> dict:
    """A matrix.json written by write."""
    try:
        m = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Fatal(f"{path}: cannot read a matrix: {e}") from None
    if not isinstance(m, dict) or not str(m.get("format", "")).startswith("ssespec-matrix/"):
        raise Fatal(f"{path}: not a matrix.json written by ./ssespec matrix")
    return m
