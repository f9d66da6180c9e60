"""Unit tests of harness/setup: adapter manifests, command lines, installing
missing tools and packages, finding built executables."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from harness.core.errors import Fatal
from harness.setup import bundled, deps


def write_manifest(tmp_path: Path, name: str, body: object) -> Path:
    d = tmp_path / "adapters" / name
    d.mkdir(parents=True)
    (d / "adapter.json").write_text(json.dumps(body))
    return d / "adapter.json"


def _missing_dep(monkeypatch, name="frob"):
    from harness.setup import deps
    present = {"now": False}
    monkeypatch.setitem(deps.DEPS, name, deps.Dep("the frob tool", lambda: present["now"],
                                                  ("frob-pkg", "frob-extra")))
    return deps, present


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
    from harness.setup.build import find_executable
    for rel in ("CMakeFiles/x.dir/tool", "a/b/tool", "a/tool", "a/tool.c"):
        p = tmp_path / rel
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text("")
        p.chmod(0o755)
    (tmp_path / "plain").mkdir()
    (tmp_path / "plain" / "tool").write_text("")   # not executable
    assert find_executable(tmp_path, "tool") == tmp_path / "a" / "tool"
    assert find_executable(tmp_path, "nothing") is None




@pytest.mark.parametrize("body, problem", [
    ({"kind": "browser", "command": ["x"]}, '"kind" must be one of parser, client, server'),
    ({"kind": "client", "command": ["x"], "apt": "chromium"}, '"apt"'),
    ({"kind": "client", "command": ["x"], "apt": ["chromium; rm -rf /"]}, '"apt"'),
])
def test_client_manifest_problems(tmp_path, body, problem):
    path = write_manifest(tmp_path, "bad", body)
    with pytest.raises(Fatal, match=problem):
        bundled.load_manifest(path)


def test_client_manifest_apt_packages_are_ensured(tmp_path, monkeypatch):
    path = write_manifest(tmp_path, "browser", {"kind": "client", "description": "a browser",
                                                "command": ["{python}", "{dir}/a.py"],
                                                "apt": ["chromium", "fonts-x"]})
    asked = []
    monkeypatch.setattr(deps, "ensure_packages", lambda *p: asked.extend(p))
    impl = bundled.resolve("browser", "client", root=tmp_path)
    assert asked == ["chromium", "fonts-x"]
    assert impl.argv[1] == f"{path.parent}/a.py"
    assert any("browser" in line for line in bundled.listing("client", root=tmp_path))
    with pytest.raises(Fatal, match="'browser' is a client adapter, not a parser adapter"):
        bundled.resolve("browser", "parser", root=tmp_path)


def test_missing_debian_packages_as_non_root(monkeypatch):
    monkeypatch.setattr(deps, "debian_installed", lambda p: p == "present")
    monkeypatch.setattr(deps.os, "geteuid", lambda: 1000)
    with pytest.raises(Fatal) as e:
        deps.ensure_packages("chromium", "present", "libnss3-tools")
    assert str(e.value) == ("chromium and libnss3-tools are missing; install them with: "
                            "sudo apt-get install -y chromium libnss3-tools")
    deps.ensure_packages("present")

