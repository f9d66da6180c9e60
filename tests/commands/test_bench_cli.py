"""Smoke tests of harness/commands/bench.py (`./ssespec bench`): the shape of its
JSON, the kernels it can force, and its one-line errors. Tiny workloads and
repetitions: these check the plumbing, not the figures (the figures are in
docs/performance.md)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from harness.commands import bench  # noqa: E402

SMALL = ["--reps", "1", "--ms", "2", "--size", "64K", "-q"]


def run(*args: str) -> subprocess.CompletedProcess[str]:
    code = "import sys; from harness.commands import main; sys.exit(main(['bench', *sys.argv[1:]]))"
    return subprocess.run([sys.executable, "-c", code, *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=600,
                          env=dict(os.environ, PYTHONPATH=str(ROOT)))


@pytest.fixture(scope="module")
def doc() -> dict:
    r = run("--workload", "chat,cr", "--split", "whole,1", "--no-peer", "--json",
            "--kernel", "all", *SMALL)
    assert r.returncode == 0, r.stderr
    return json.loads(r.stdout)


def test_json_shape(doc: dict) -> None:
    assert doc["build"]["build_type"] == "Release"
    assert "-march" not in doc["build"]["cflags"]
    assert doc["machine"]["cpu"] and doc["machine"]["load_before"] is not None
    results = doc["results"]
    for r in results:
        for key in ("workload", "split", "impl", "mb_per_s", "events_per_s"):
            assert key in r, (key, r)
        assert r["split"] in ("whole", "1460", "16k", "random", "1")
        assert r["impl"] in ("reference", "memchr")
        assert r["mb_per_s"] > 0
    pairs = {(r["workload"], r["split"]) for r in results}
    assert pairs == {("chat", "whole"), ("chat", "1"), ("cr", "whole"), ("cr", "1")}
    kernels = {r["kernel"] for r in results if r["impl"] == "reference"}
    assert kernels == set(doc["build"]["kernels"])
    for r in results:
        if r["impl"] == "reference":
            assert r["vs"]["memchr"]["mb_per_s"] > 0
            assert r["events_per_pass"] > 0
    assert any(t["target"] == "chat whole MB/s" for t in doc["targets"])


def test_memory_figures() -> None:
    r = run("--workload", "chat", "--split", "whole", "--no-peer", "--json", *SMALL)
    assert r.returncode == 0, r.stderr
    mem = json.loads(r.stdout)["memory"]
    default, raised = mem
    assert default["status"] == "SSE_ELIMIT" and default["peak_buffered"] == default["limit"]
    assert raised["status"] == "ok" and raised["events"] == 1
    # the parser's memory follows the limit, not the input: 64 MiB fed,
    # about 8 MiB held under the default limit
    assert default["rss_growth_kib"] < 3 * default["limit"] // 1024


@pytest.mark.skipif(not shutil.which("node"), reason="node is not installed")
def test_peer_same_bytes() -> None:
    r = run("--workload", "chat", "--split", "whole,1460", "--no-memory", "--json", *SMALL)
    assert r.returncode == 0, r.stderr
    doc = json.loads(r.stdout)
    if doc["peer"]["status"] != "ok":
        pytest.skip(doc["peer"]["status"])
    peer = [x for x in doc["results"] if x["impl"] == "eventsource-parser"]
    ref = {x["split"]: x for x in doc["results"] if x["impl"] == "reference"}
    assert {x["split"] for x in peer} == {"whole", "1460"}
    for x in peer:
        if not x["prefix"]:
            assert x["bytes_per_pass"] == ref[x["split"]]["bytes_per_pass"]
            assert x["events_per_pass"] == ref[x["split"]]["events_per_pass"]


@pytest.mark.parametrize("args, message", [
    (["--workload", "nope"], "no workload called 'nope'"),
    (["--split", "2k"], "no split called '2k'"),
    (["--kernel", "avx512"], "no kernel called 'avx512'"),
    (["--reps", "0"], "--reps must be 1 to 64"),
    (["--impl", "/nonexistent/adapter", "--no-peer", "--no-memory"], "adapter command not found"),
])
def test_errors(args: list[str], message: str) -> None:
    r = run(*args)
    assert r.returncode == 2
    assert message in r.stderr
    assert r.stderr.count("\n") == 1


def test_targets_judged() -> None:
    results = [
        {"workload": "chat", "split": "whole", "impl": "reference", "kernel": "k",
         "mb_per_s": 3000.0, "events_per_s": 6e7},
        {"workload": "chat", "split": "1460", "impl": "reference", "kernel": "k",
         "mb_per_s": 2000.0, "events_per_s": 4e7},
        {"workload": "chat", "split": "whole", "impl": "memchr", "mb_per_s": 3000.0,
         "events_per_s": 6e7},
    ]
    t = {x["target"]: x for x in bench.targets(results, "k")}
    assert t["chat whole MB/s"]["met"] is True
    assert t["chat 1460 vs whole"]["met"] is False
    assert t["chat whole vs memchr floor"]["value"] == 1.0
