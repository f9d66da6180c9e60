"""Client scenarios, as the scenario server loads them (`ssespec-server
--dump`: there is one loader, server/scenario.c), and their variants.

Every scenario runs over plain HTTP (`NAME`) and over HTTPS (`NAME@tls`)
unless it says `skip-variant tls`.
"""

from __future__ import annotations

import json
import subprocess
from dataclasses import dataclass, field
from pathlib import Path

from harness.core.rules import RULES

HTTP, TLS, H2, H2C = "http", "tls", "h2", "h2c"
TRANSPORTS = (HTTP, TLS, H2, H2C)
# what a client adapter's hello must say for a transport's variants to run
NEEDS = {H2: "h2", H2C: "h2c"}
MARKERS = {
    HTTP: "transport_http: the scenario played over plain HTTP/1.1 (NAME)",
    TLS: "transport_tls: over HTTPS, HTTP/1.1, with the run's test CA (NAME@tls)",
    H2: "transport_h2: over HTTPS with HTTP/2 offered by ALPN, for clients whose hello says "
        "\"h2\": true (NAME@h2)",
    H2C: "transport_h2c: over cleartext HTTP/2 with prior knowledge, for clients whose hello "
         "says \"h2c\": true (NAME@h2c)",
}
SOURCE_MARKERS = {
    "from_scenario": "from_scenario: a scenario file of the client corpus",
    "from_case": "from_case: a parser case served as one connection's body",
}
CASE_PREFIX = "cases/"   # the names of the scenarios made from parser cases
DUMP_TIMEOUT = 120.0


class ScenarioError(Exception):
    """A scenario directory that could not be loaded; the message is one line
    per problem, each `FILE:LINE: FIELD: what was wrong`."""


@dataclass(frozen=True)
class Scenario:
    name: str
    file: str
    about: str
    rule: str
    open: str | None
    types: tuple[str, ...]
    timeout: float
    linger_ms: int
    skip_variants: dict[str, str]
    connections: list[dict] = field(repr=False)
    records: list[dict] = field(repr=False)
    close_after: int | None = None      # close the client once this many records arrived

    @property
    def from_case(self) -> bool:
        return self.name.startswith(CASE_PREFIX)

    @property
    def is_open(self) -> bool:
        """A point the standard leaves open: a mismatch is informational."""
        rule = RULES.get(self.rule)
        return self.open is not None or bool(rule and rule.open)

    @property
    def open_reason(self) -> str:
        return self.open or RULES[self.rule].title


@dataclass(frozen=True)
class ClientVariant:
    scenario: Scenario
    transport: str      # HTTP, TLS, H2 or H2C

    @property
    def id(self) -> str:
        t = self.transport
        return self.scenario.name if t == HTTP else f"{self.scenario.name}@{t}"

    @property
    def name(self) -> str:
        """The variant's name in results: http, tls, h2 or h2c."""
        return self.transport

    @property
    def marker(self) -> str:
        return f"transport_{self.transport}"


def variants(sc: Scenario) -> list[ClientVariant]:
    """Every transport the scenario does not opt out of (h2 and h2c run only
    for clients that offer them: the suite leaves the others out)."""
    out = [ClientVariant(sc, HTTP)]
    for t in (TLS, H2, H2C):
        if t not in sc.skip_variants and not (t == H2C and H2 in sc.skip_variants):
            out.append(ClientVariant(sc, t))
    return out


def from_dump(obj: dict) -> Scenario:
    return Scenario(name=obj["name"], file=obj["file"], about=obj["about"], rule=obj["rule"],
                    open=obj.get("open"), types=tuple(obj.get("types") or ()),
                    timeout=float(obj["timeout"]), linger_ms=int(obj["linger_ms"]),
                    skip_variants=dict(obj.get("skip_variants") or {}),
                    connections=obj["connections"], records=obj["records"],
                    close_after=obj.get("close_after"))


def load(server_exe: Path, *directories: Path) -> dict[str, Scenario]:
    """Every scenario below the directories, by name; ScenarioError when the
    server refuses one (it loads all or nothing) or a rule is unknown."""
    where = " ".join(str(d) for d in directories)
    try:
        p = subprocess.run([str(server_exe), "--dump", *map(str, directories)],
                           capture_output=True, stdin=subprocess.DEVNULL, timeout=DUMP_TIMEOUT)
    except subprocess.TimeoutExpired:
        raise ScenarioError(f"ssespec-server --dump {where} took over {DUMP_TIMEOUT:g} s") from None
    if p.returncode != 0:
        text = p.stderr.decode("utf-8", "replace").strip()
        raise ScenarioError(text or f"ssespec-server --dump exited with status {p.returncode}")
    try:
        dump = json.loads(p.stdout)
        out = {}
        for obj in dump["scenarios"]:
            sc = from_dump(obj)
            out[sc.name] = sc
    except (ValueError, KeyError, TypeError) as e:
        raise ScenarioError(f"ssespec-server --dump gave output the harness cannot read: {e}") from None
    unknown = [f"{sc.file}:1: rule: unknown rule {sc.rule!r} (harness/core/rules.py)"
               for sc in out.values() if sc.rule not in RULES]
    if unknown:
        raise ScenarioError("\n".join(unknown))
    return out


def expand(value: object, base: str, origin: str) -> object:
    """value with {base} and {origin} replaced in every string (the dump keeps
    them as written, and refuses literal ones, so this is unambiguous)."""
    if isinstance(value, str):
        return value.replace("{base}", base).replace("{origin}", origin)
    if isinstance(value, list):
        return [expand(x, base, origin) for x in value]
    if isinstance(value, dict):
        return {k: expand(x, base, origin) for k, x in value.items()}
    return value


def last_action_index(connection: dict) -> int:
    """The action index the server logs when this connection has played
    everything: its last action if that is close, abort or hold, else the
    implicit final hold after the actions."""
    actions = connection["response"]["actions"]
    if actions and actions[-1]["do"] in ("close", "abort", "hold"):
        return len(actions) - 1
    return len(actions)
