"""Which implementations a matrix runs: the three references, every bundled
adapter (adapters/*/adapter.json) and the user's own command lines, picked
with --only and --skip-slow."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from harness.core.errors import Fatal
from harness.core.paths import ROOT
from harness.setup import bundled

KINDS = ("parser", "client", "server")
FLAGS = {"parser": "--impl", "client": "--client", "server": "--server"}
TITLES = {"parser": "parsers", "client": "clients", "server": "producers"}
# words --only takes for a whole kind
KIND_WORDS = {"parser": "parser", "parsers": "parser", "client": "client", "clients": "client",
              "server": "server", "servers": "server", "producer": "server",
              "producers": "server"}

ALIASES = {"reference-producer": "reference-server"}


@dataclass(frozen=True)
class Target:
    """One implementation of a matrix."""

    id: str            # unique in the matrix: NAME, reference-KIND or KIND-N (the user's)
    name: str          # what the report calls it
    kind: str          # parser, client or server
    spec: str          # what `./ssespec check FLAG` is given: a bundled name or a command
    bundled: bool
    slow: bool = False
    description: str = ""
    baseline: Path | None = None    # adapters/NAME/expect.txt, when there is one

    @property
    def flag(self) -> str:
        return FLAGS[self.kind]

    def check_command(self) -> list[str]:
        """`./ssespec check` for this implementation alone, as a person types it."""
        return ["./ssespec", "check", self.flag, self.spec]


def bundled_targets(root: Path = ROOT) -> list[Target]:
    """The references and every bundled adapter, by kind, the reference first."""
    refs = [Target(f"reference-{k}", bundled.REFERENCE, k, bundled.REFERENCE, True,
                   description=f"the ssespec reference {'producer' if k == 'server' else k}")
            for k in KINDS]
    out: list[Target] = []
    found = bundled.manifests(root)
    for kind, ref in zip(KINDS, refs):
        out.append(ref)
        for m in found.values():
            if m.kind == kind and m.name != bundled.REFERENCE:
                out.append(Target(m.name, m.name, kind, m.name, True, m.slow, m.description,
                                  m.baseline if m.baseline.exists() else None))
    return out


def user_targets(commands: list[tuple[str, str]]) -> list[Target]:
    """The user's adapters, [(kind, command)], in the order given. A bundled
    name is taken as that adapter."""
    out: list[Target] = []
    count = {k: 0 for k in KINDS}
    for kind, cmd in commands:
        if not cmd.strip():
            raise Fatal(f"{FLAGS[kind]} is empty: give a command line or a bundled adapter's name")
        count[kind] += 1
        out.append(Target(f"{kind}-{count[kind]}", cmd, kind, cmd, False))
    return out


def select(targets: list[Target], only: list[str], skip_slow: bool) -> list[Target]:
    """The bundled targets that --only names (an id, a name such as
    `reference`, or a kind: parsers, clients, producers), less the slow ones
    with skip_slow."""
    words = [ALIASES.get(w.strip(), w.strip()) for item in only for w in item.split(",")
             if w.strip()]
    if words:
        known = {t.id for t in targets} | {t.name for t in targets} | set(KIND_WORDS)
        unknown = [w for w in words if w not in known]
        if unknown:
            raise Fatal(f"--only: no implementation called {', '.join(unknown)} (see "
                        "./ssespec matrix --list)")
        targets = [t for t in targets if t.id in words or t.name in words
                   or any(KIND_WORDS.get(w) == t.kind for w in words)]
    if skip_slow:
        targets = [t for t in targets if not t.slow]
    return targets
