"""Adapters that ship with ssespec: `--impl NAME` (parser adapters,
docs/adapter-protocol.md) and `--client NAME` (client adapters,
docs/client-adapter-protocol.md).

`reference` is the project's own parser or client, built with CMake. Any
other NAME is a folder adapters/NAME/ with a manifest adapter.json:

    {"kind": "parser",
     "description": "eventsource-parser 3.0.6 (npm)",
     "command": ["node", "{dir}/adapter.mjs"],
     "npm": true}

kind        "parser", "client" or "server" (a producer); required
description one line for listings; optional
command     the argv, a list of strings; "{dir}" is the adapter's folder,
            "{root}" the repository, "{python}" the running interpreter
npm         true: `npm ci` installs the pinned package-lock.json into
            {dir}/node_modules before first use (and again when the lock
            changes); optional, default false
needs       extra tools from harness/setup/deps.py ("node", "npm", "cmake", ...)
apt         Debian packages the adapter needs (["chromium"]), installed with
            apt-get on first use when running as root; otherwise the run
            ends (exit 2) with the apt-get line to run
static      a folder of the adapter's (relative to it) that the scenario
            server serves under /static/ (the browser adapters' page);
            optional
slow        true: a run takes long or needs a large install (a browser, a
            Node.js runtime of its own, a Go toolchain);
            `./ssespec test` checks its recorded results only with --slow;
            optional, default false

An adapter's recorded results are its expectations baseline, expect.txt in
its folder (docs/results.md, "Baselines"): every variant that does not pass.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.setup import build, deps

_DEBIAN_NAME = re.compile(r"[a-z0-9][a-z0-9+.-]+")
REFERENCE = "reference"
REFERENCE_EXE = "ssespec-parser-adapter"
CLIENT_REFERENCE_EXE = "ssespec-client-adapter"
PRODUCER_REFERENCE_EXE = "ssespec-producer-adapter"
KINDS = ("parser", "client", "server")
# the reference implementation of each kind: its executable and arguments
_REFERENCE_EXES = {"parser": (REFERENCE_EXE, []), "client": (CLIENT_REFERENCE_EXE, []),
                   "server": (PRODUCER_REFERENCE_EXE, ["--serve"])}


@dataclass
class Manifest:
    name: str
    dir: Path
    kind: str
    command: list[str]
    description: str = ""
    npm: bool = False
    needs: list[str] = field(default_factory=list)
    apt: list[str] = field(default_factory=list)
    static: Path | None = None
    slow: bool = False

    @property
    def baseline(self) -> Path:
        """The adapter's recorded results (they may not exist yet)."""
        return self.dir / "expect.txt"


@dataclass
class Impl:
    label: str          # the bundled name, or the command as given
    argv: list[str]
    static: Path | None = None   # served under /static/ by the scenario server


def load_manifest(path: Path) -> Manifest:
    where = path.relative_to(ROOT) if path.is_relative_to(ROOT) else path
    try:
        obj = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError) as e:
        raise Fatal(f"{where}: cannot read the manifest: {e}") from None
    if not isinstance(obj, dict):
        raise Fatal(f"{where}: the manifest is not a JSON object")
    kind, cmd = obj.get("kind"), obj.get("command")
    if kind not in KINDS:
        raise Fatal(f'{where}: "kind" must be one of {", ".join(KINDS)}')
    if not (isinstance(cmd, list) and cmd and all(isinstance(a, str) for a in cmd)):
        raise Fatal(f'{where}: "command" must be a non-empty list of strings')
    needs = obj.get("needs", [])
    if not (isinstance(needs, list) and all(n in deps.DEPS for n in needs)):
        raise Fatal(f'{where}: "needs" must list names from: {", ".join(deps.DEPS)}')
    if not isinstance(obj.get("npm", False), bool):
        raise Fatal(f'{where}: "npm" must be true or false')
    apt = obj.get("apt", [])
    if not (isinstance(apt, list) and all(isinstance(a, str) and _DEBIAN_NAME.fullmatch(a)
                                          for a in apt)):
        raise Fatal(f'{where}: "apt" must be a list of Debian package names')
    if not isinstance(obj.get("slow", False), bool):
        raise Fatal(f'{where}: "slow" must be true or false')
    static = obj.get("static")
    if static is not None and not (isinstance(static, str) and (path.parent / static).is_dir()
                                   and ".." not in Path(static).parts):
        raise Fatal(f'{where}: "static" must name a folder inside the adapter\'s folder')
    return Manifest(name=path.parent.name, dir=path.parent, kind=kind, command=cmd,
                    description=str(obj.get("description", "")), npm=obj.get("npm", False),
                    needs=needs, apt=apt,
                    static=path.parent / static if static is not None else None,
                    slow=obj.get("slow", False))


def manifests(root: Path = ROOT) -> dict[str, Manifest]:
    """Every bundled adapter with a manifest, by name."""
    out = {}
    for path in sorted((root / "adapters").glob("*/adapter.json")):
        try:
            m = load_manifest(path)
        except Fatal:
            continue
        out[m.name] = m
    return out


def listing(kind: str = "parser", root: Path = ROOT) -> list[str]:
    lines = [f"  {REFERENCE:<20} the ssespec reference {kind} (built with CMake)"]
    for m in manifests(root).values():
        if m.kind == kind and m.name != REFERENCE:
            lines.append(f"  {m.name:<20} {m.description}")
    return lines


def npm_install(m: Manifest) -> None:
    """`npm ci` in the adapter's folder unless node_modules matches the lock."""
    if not (m.dir / "package-lock.json").exists():
        raise Fatal(f"{m.dir.relative_to(ROOT)}: npm is true but there is no package-lock.json")
    npm_ci(m.dir, m.name)


def npm_ci(folder: Path, who: str) -> None:
    """`npm ci` in folder (which has a package-lock.json) unless its
    node_modules already matches the lock; who needs it, for the message."""
    deps.ensure("node", "npm")
    lock = folder / "package-lock.json"
    stamp = folder / "node_modules" / ".package-lock.json"
    if stamp.exists() and stamp.stat().st_mtime >= lock.stat().st_mtime:
        return
    where = folder.relative_to(ROOT) if folder.is_relative_to(ROOT) else folder
    deps.refuse_install(f"{who} needs its pinned npm packages",
                        f"(cd {where} && npm ci --no-audit --no-fund)")
    print(f"ssespec: npm ci in {where}", file=sys.stderr, flush=True)
    rc = subprocess.call(["npm", "ci", "--no-audit", "--no-fund"], cwd=folder,
                         stdout=sys.stderr, stdin=subprocess.DEVNULL)
    if rc != 0:
        raise Fatal(f"npm ci failed in {where} (exit status {rc})")


def prepare(m: Manifest) -> list[str]:
    """Install what the adapter needs; return its argv."""
    needs = list(m.needs)
    if m.command[0] in ("node", "npm"):
        needs.append(m.command[0])
    deps.ensure(*needs)
    if m.apt:
        deps.ensure_packages(*m.apt)
    if m.npm:
        npm_install(m)
    subst = {"{dir}": str(m.dir), "{root}": str(ROOT), "{python}": sys.executable}
    argv = []
    for arg in m.command:
        for k, v in subst.items():
            arg = arg.replace(k, v)
        argv.append(arg)
    return argv


def resolve(spec: str, kind: str = "parser", build_kind: str = "release",
            root: Path = ROOT, quiet: bool = True) -> Impl:
    """--impl / --client: `reference`, a bundled adapter's name, or a command
    line. kind is "parser" or "client"; a bundled adapter of the other kind is
    refused (Fatal)."""
    if spec == REFERENCE:
        name, args = _REFERENCE_EXES[kind]
        exe = build.executable(name, build_kind, root, quiet=quiet)
        return Impl(REFERENCE if build_kind == "release" else f"{REFERENCE} ({build_kind})",
                    [str(exe), *args])
    manifest = root / "adapters" / spec / "adapter.json"
    if spec and "/" not in spec and not spec.startswith(".") and manifest.exists():
        m = load_manifest(manifest)
        if m.kind != kind:
            raise Fatal(f"adapter {spec!r} is a {m.kind} adapter, not a {kind} adapter")
        return Impl(spec, prepare(m), m.static)
    try:
        argv = shlex.split(spec)
    except ValueError as e:
        raise Fatal(f"cannot split the adapter command {spec!r}: {e}") from None
    if not argv:
        raise Fatal("the adapter command is empty")
    return Impl(spec, argv)
