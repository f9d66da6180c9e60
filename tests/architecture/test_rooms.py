"""The harness's layout holds (docs/architecture.md): each room imports only
rooms below it, no module imports itself back through others, and every
Python module below tests/ has a name of its own (one pytest process runs
them all)."""

from __future__ import annotations

import ast
from collections import Counter
from pathlib import Path

from harness.core.paths import ROOT

HARNESS = ROOT / "harness"
# Lower rooms never import upper ones; rooms of one rank do not import each other.
RANK = {"core": 0, "setup": 1, "protocol": 1, "suite": 2, "parser_suite": 3,
        "client_suite": 3, "server_suite": 3, "fuzz": 4, "matrix": 4,
        "commands": 5}


def modules() -> dict[str, Path]:
    out = {}
    for p in sorted(HARNESS.rglob("*.py")):
        rel = p.relative_to(ROOT).with_suffix("")
        parts = list(rel.parts)
        if parts[-1] == "__init__":
            parts = parts[:-1]
        out[".".join(parts)] = p
    return out


def imports(path: Path, name: str) -> set[str]:
    """Every harness module path imports, at the top or inside functions."""
    tree = ast.parse(path.read_text(), str(path))
    found: set[str] = set()
    pkg = name if path.name == "__init__.py" else name.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("harness")}
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = pkg.split(".")
                base = base[:len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("harness"):
                found.add(mod)
                found |= {f"{mod}.{a.name}" for a in node.names}
    return found


def room(module: str) -> str | None:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in RANK else None


def test_every_room_is_ranked():
    rooms = {p.name for p in HARNESS.iterdir() if p.is_dir() and (p / "__init__.py").exists()}
    assert rooms <= set(RANK), f"rooms without a rank: {rooms - set(RANK)}"
    loose = [p.name for p in HARNESS.glob("*.py") if p.name not in ("__init__.py", "__main__.py")]
    assert not loose, f"modules outside any room: {loose}"


def test_rooms_import_only_lower_rooms():
    mods = modules()
    wrong = []
    for name, path in mods.items():
        mine = room(name)
        if mine is None:
            continue
        for imp in imports(path, name):
            if imp not in mods:
                continue
            theirs = room(imp)
            if theirs is None or theirs == mine:
                continue
            if RANK[theirs] >= RANK[mine]:
                wrong.append(f"{name} imports {imp} ({mine} may not import {theirs})")
    assert not wrong, "\n".join(wrong)


def test_no_import_cycles():
    mods = modules()
    graph = {n: sorted(i for i in imports(p, n) if i in mods and i != n and
                       not n.startswith(i + "."))
             for n, p in mods.items()}
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def visit(n: str, stack: list[str]) -> None:
        state[n] = 1
        for m in graph[n]:
            if state.get(m) == 1:
                cycles.append(stack[stack.index(m):] + [m] if m in stack else [n, m])
            elif m not in state:
                visit(m, stack + [m])
        state[n] = 2

    for n in graph:
        if n not in state:
            visit(n, [n])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_test_modules_have_names_of_their_own():
    names = Counter(p.name for p in (ROOT / "tests").rglob("*.py")
                    if p.name not in ("conftest.py", "__init__.py")
                    and "node_modules" not in p.parts)
    assert not [n for n, c in names.items() if c > 1]
    confs = list((ROOT / "tests").rglob("conftest.py"))
    assert all(not (c.parent / "__init__.py").exists() for c in confs)
