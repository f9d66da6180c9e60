"""The example adapter in docs/adapter-protocol.md works as printed."""

from __future__ import annotations

import re

from suite_env import FIXTURE, ROOT

FAKE_MYSSE = '''
import sys
sys.path.insert(0, {fixtures!r})
from fixture_parser_adapter import parse
__version__ = "0.1"

class Parser:
    def __init__(self, on_event, on_retry):
        self.on_event, self.on_retry, self.chunks = on_event, on_retry, []
    def feed(self, chunk):
        self.chunks.append(chunk)
    def close(self):
        self.last_event_id = ""
        for r in parse(self.chunks):
            if r["kind"] == "event":
                self.on_event(r["type"], r["data"], r["lastEventId"])
            elif r["kind"] == "retry":
                self.on_retry(r["ms"])
            elif r["kind"] == "end":
                self.last_event_id = r["lastEventId"]
'''


def test_python_example_adapter(check, tmp_path):
    doc = (ROOT / "docs" / "adapter-protocol.md").read_text()
    code = re.search(r"## Example: an adapter in Python.*?```python\n(.*?)```", doc, re.S).group(1)
    assert len(code.splitlines()) <= 35
    (tmp_path / "adapter.py").write_text(code)
    (tmp_path / "mysse.py").write_text(FAKE_MYSSE.format(fixtures=str(ROOT / "tests/support")))
    r = check("--impl", f"{FIXTURE[0]} {tmp_path / 'adapter.py'}")
    assert r.rc == 0, r.stdout + r.stderr
    assert r.json["adapter"]["reports"] == ["event", "retry", "end"]
    assert r.json["summary"]["pass"] == 49 and r.json["summary"]["informational"] == 10
