"""adapters/lib/server-exchange.mjs, the hand test of a server adapter
(docs/server-adapter-protocol.md) that adapter authors run without the
harness: it passes the reference producer, the literal producer and a
bundled framework adapter, and fails an adapter that breaks the protocol."""

from __future__ import annotations

import subprocess

import pytest
from suite_env import ROOT

from harness.core.errors import Fatal
from harness.setup import build, bundled, deps

EXCHANGE = ROOT / "adapters" / "lib" / "server-exchange.mjs"
LITERAL = ["/usr/bin/python3", str(ROOT / "tests" / "support" / "literal_producer.py")]


@pytest.fixture(scope="module")
def node() -> str:
    try:
        deps.ensure("node")
    except Fatal as e:
        pytest.skip(str(e))
    return "node"


def exchange(node: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([node, str(EXCHANGE), *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_the_reference_producer_passes(node):
    exe = build.executable("ssespec-producer-adapter", quiet=True)
    p = exchange(node, "--", str(exe), "--serve")
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr
    assert "all protocol checks passed" in p.stdout
    assert "ok   100 streams at once" in p.stdout


def test_the_literal_producer_passes(node):
    p = exchange(node, "--", *LITERAL)
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr


def test_a_bundled_framework_adapter_passes(node):
    m = bundled.manifests()["h3"]
    try:
        bundled.npm_install(m)
    except Fatal as e:
        pytest.skip(str(e))
    p = exchange(node, str(m.dir))
    assert p.returncode == 0, p.stdout[-3000:] + p.stderr
    assert '"url":"http://127.0.0.1:' in p.stdout   # it served, not only encoded


def test_an_adapter_that_crashes_fails(node):
    p = exchange(node, "--", *LITERAL, "--crash-on", "plain")
    assert p.returncode == 1
    assert "FAIL the adapter exited early (status 3)" in p.stdout


@pytest.mark.parametrize("args, message", [
    ((), "usage: node server-exchange.mjs"),
    (("no/such/folder",), "no/such/folder: not a folder"),
    (("--",), "usage: node server-exchange.mjs"),
])
def test_bad_arguments_exit_2(node, args, message):
    p = exchange(node, *args)
    assert p.returncode == 2 and message in p.stderr, p.stderr
