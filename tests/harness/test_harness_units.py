"""Unit tests of harness pieces: hello parsing, requests, escaping, diffs,
manifests."""

from __future__ import annotations

import base64
import json
from pathlib import Path

import pytest

from harness import bundled
from harness.adapter import HelloError, parse_hello
from harness.errors import Fatal
from harness.records import diff, restrict
from harness.report import describe_chunks, escape
from harness.results import xml_safe
from harness.runner import encode_request


def test_hello_accepts_a_proper_hello():
    h = parse_hello(b'{"hello": {"name": "n", "version": "1", "reports": ["event", "end"], "x": 1}}')
    assert (h.name, h.version, h.reports) == ("n", "1", ["event", "end"])
    assert h.raw["x"] == 1


@pytest.mark.parametrize("line, problem", [
    (b"", "not JSON"),
    (b"[1]", "not a hello object"),
    (b'{"case": "x"}', "not a hello object"),
    (b'{"hello": []}', "not an object"),
    (b'{"hello": {"version": "1", "reports": ["event"]}}', '"name"'),
    (b'{"hello": {"name": "n", "version": 1, "reports": ["event"]}}', '"version"'),
    (b'{"hello": {"name": "n", "version": "1"}}', '"reports"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": "event"}}', '"reports"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": ["end"]}}', '"event"'),
    (b'{"hello": {"name": "n", "version": "1", "reports": ["event", "Event"]}}', "unknown kind"),
])
def test_hello_problems_are_named(line, problem):
    with pytest.raises(HelloError, match=problem):
        parse_hello(line)


def test_request_encoding_roundtrips_any_bytes():
    chunks = [b"\x00", b"\xff\xfe", b"", bytes(range(256))]
    req = json.loads(encode_request("a/b@split-1", chunks))
    assert req["case"] == "a/b@split-1"
    assert [base64.b64decode(c, validate=True) for c in req["chunks"]] == chunks
    assert json.loads(encode_request("x", [])) == {"case": "x", "chunks": []}


def test_restrict_keeps_order_and_kinds():
    recs = [{"kind": "retry", "ms": 1}, {"kind": "event"}, {"kind": "end"}, {"kind": "odd"}]
    assert restrict(recs, ["event", "end"]) == [{"kind": "event"}, {"kind": "end"}]


def test_escape_uses_case_file_syntax():
    assert escape(b'data: "a"\\\r\n\t\x00\xff') == '"data: \\"a\\"\\\\\\r\\n\\t\\0\\xff"'
    assert escape(b"") == '""'
    assert escape(b"data: " + b"x" * 1000 + b"\n\n") == '"data: " + "x" * 1000 + "\\n\\n"'


def test_escape_elides_huge_inputs():
    data = bytes(range(256)) * 100
    text = escape(data)
    assert len(text) < 700
    assert "characters elided" in text
    assert text.startswith('"\\0\\x01')


def test_describe_chunks():
    assert describe_chunks([]) == ["no chunks (an empty stream)"]
    assert describe_chunks([b"a", b"b", b"c"]) == ["3 chunks of one byte each"]
    assert describe_chunks([b"ab", b"c"]) == ["2 chunks, lengths 2, 1:", '  [0] "ab"', '  [1] "c"']
    big = describe_chunks([b"x" * 1000] * 20)
    assert big == ["20 chunks, lengths " + ", ".join(["1000"] * 16) + ", ... (4 more)"]


def test_diff_is_one_record_per_line():
    exp = [{"kind": "event", "type": "message", "data": "a", "lastEventId": ""},
           {"kind": "end", "lastEventId": ""}]
    act = [{"kind": "end", "lastEventId": ""}]
    d = diff(exp, act)
    assert d[:2] == ["--- expected", "+++ actual"]
    assert '-{"kind": "event", "type": "message", "data": "a", "lastEventId": ""}' in d
    assert ' {"kind": "end", "lastEventId": ""}' in d


def test_diff_shortens_long_records_around_the_difference():
    exp = [{"kind": "event", "data": "x" * 5000 + "A" + "y" * 5000}]
    act = [{"kind": "event", "data": "x" * 5000 + "B" + "y" * 5000}]
    d = diff(exp, act)
    minus = next(x for x in d if x.startswith("-{"))
    plus = next(x for x in d if x.startswith("+{"))
    assert len(minus) < 400 and "xA" in minus and "xB" in plus
    assert d[-1].startswith("(first difference: record 1, character")


def test_diff_escapes_invisible_characters():
    d = diff([{"kind": "event", "data": "\ufeff\x00"}], [])
    assert any("\\ufeff\\u0000" in x for x in d)


def test_xml_safe():
    assert xml_safe("a\x00b\x1bc\ufffed\n") == "a\\x00b\\x1bc\\ufffed\n"


def write_manifest(tmp_path: Path, name: str, body: object) -> Path:
    d = tmp_path / "adapters" / name
    d.mkdir(parents=True)
    (d / "adapter.json").write_text(json.dumps(body))
    return d / "adapter.json"


def test_manifest_loads_and_substitutes(tmp_path):
    path = write_manifest(tmp_path, "mine", {"kind": "parser", "description": "mine",
                                             "command": ["{python}", "{dir}/a.py", "--x"]})
    m = bundled.load_manifest(path)
    assert (m.name, m.kind, m.npm) == ("mine", "parser", False)
    argv = bundled.prepare(m)
    assert argv[1] == f"{path.parent}/a.py" and argv[2] == "--x"
    impl = bundled.resolve("mine", root=tmp_path)
    assert impl.label == "mine" and impl.argv == argv


@pytest.mark.parametrize("body, problem", [
    ([], "not a JSON object"),
    ({"command": ["x"]}, '"kind"'),
    ({"kind": "parser"}, '"command"'),
    ({"kind": "parser", "command": []}, '"command"'),
    ({"kind": "parser", "command": ["x"], "npm": "yes"}, '"npm"'),
    ({"kind": "parser", "command": ["x"], "needs": ["rust"]}, '"needs"'),
])
def test_manifest_problems_are_named(tmp_path, body, problem):
    path = write_manifest(tmp_path, "bad", body)
    with pytest.raises(Fatal, match=problem):
        bundled.load_manifest(path)


def test_manifest_of_another_kind_is_refused(tmp_path):
    write_manifest(tmp_path, "cli", {"kind": "client", "command": ["x"]})
    with pytest.raises(Fatal, match="client adapter"):
        bundled.resolve("cli", root=tmp_path)


def test_command_lines_are_split_like_a_shell(tmp_path):
    impl = bundled.resolve("node 'my adapter.mjs' --flag=\"a b\"", root=tmp_path)
    assert impl.argv == ["node", "my adapter.mjs", "--flag=a b"]


def test_byte_variant_request_matches_generic_encoding():
    from harness.cases import parse_case
    from harness.runner import encode_variant
    from harness.variants import variants
    c = parse_case('about x\nrule L1\nchunk "a\\xff\\0\\r\\n"\nend\n', "a/b", Path("/tmp/a/b.case"))
    for v in variants(c):
        assert encode_variant(v) == encode_request(v.id, v.chunks())


def _missing_dep(monkeypatch, name="frob"):
    from harness import deps
    present = {"now": False}
    monkeypatch.setitem(deps.DEPS, name, deps.Dep("the frob tool", lambda: present["now"],
                                                  ("frob-pkg", "frob-extra")))
    return deps, present


def test_missing_tool_as_non_root_names_the_install_command(monkeypatch):
    deps, _ = _missing_dep(monkeypatch)
    monkeypatch.setattr(deps.os, "geteuid", lambda: 1000)
    with pytest.raises(Fatal) as e:
        deps.ensure("frob")
    assert str(e.value) == ("the frob tool is missing; install it with: "
                            "sudo apt-get install -y frob-pkg frob-extra")


def test_missing_tool_as_root_is_installed_with_one_update(monkeypatch):
    deps, present = _missing_dep(monkeypatch)
    monkeypatch.setattr(deps.os, "geteuid", lambda: 0)
    monkeypatch.setattr(deps.shutil, "which", lambda name: "/usr/bin/" + name)
    calls = []

    def apt(args):
        calls.append(args)
        if args[0] == "install" and ["update"] in calls:
            present["now"] = True
            return 0
        return 0 if args[0] == "update" else 100

    monkeypatch.setattr(deps, "_apt", apt)
    deps.ensure("frob")
    assert calls == [["install", "-y", "frob-pkg", "frob-extra"], ["update"],
                     ["install", "-y", "frob-pkg", "frob-extra"]]


def test_present_tools_need_nothing(monkeypatch):
    deps, present = _missing_dep(monkeypatch)
    present["now"] = True
    monkeypatch.setattr(deps, "_apt", lambda args: pytest.fail("apt-get called"))
    deps.ensure("frob")


def test_find_executable(tmp_path):
    from harness.build import find_executable
    for rel in ("CMakeFiles/x.dir/tool", "a/b/tool", "a/tool", "a/tool.c"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
        p.chmod(0o755)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "tool").write_text("")   # not executable
    assert find_executable(tmp_path, "tool") == tmp_path / "a" / "tool"
    assert find_executable(tmp_path, "nothing") is None
