"""The example client adapter in docs/client-adapter-protocol.md works as
printed (with the npm package eventsource that adapters/eventsource/ pins;
skipped when Node.js or that folder's node_modules is missing)."""

from __future__ import annotations

import re
import shutil

import pytest
from suite_env import ROOT

MODULES = ROOT / "adapters" / "eventsource" / "node_modules"


def test_javascript_example_adapter(check_client, tmp_path):
    if not shutil.which("node") or not (MODULES / "eventsource").is_dir():
        pytest.skip("needs node and adapters/eventsource/node_modules (npm ci there)")
    doc = (ROOT / "docs" / "client-adapter-protocol.md").read_text()
    code = re.search(r"## A short example.*?```js\n(.*?)```", doc, re.S).group(1)
    assert len(code.splitlines()) <= 35
    (tmp_path / "example.mjs").write_text(code)
    (tmp_path / "node_modules").symlink_to(MODULES)
    command = re.search(r'--client "(sh -c .*?example\.mjs\')"', doc).group(1)
    command = command.replace("\\$", "$").replace("example.mjs", str(tmp_path / "example.mjs"))
    # (the package itself gets basic/events wrong: its events lose the
    # lastEventId of earlier blocks; that scenario is left out here)
    r = check_client("--client", command, "-k", "reconnect or fails or plain")
    assert r.rc == 0, r.stdout + r.stderr
    assert r.json["adapter"]["name"] == "eventsource-example"
    assert r.json["summary"]["pass"] == 5
