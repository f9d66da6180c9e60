"""What the matrix's tests share (tests/matrix/): the literal peers with the
seeded defects they use, the small case and scenario sets, a baseline whose
reasons name causes as the bundled adapters' expect.txt files do, and a
way to run `./ssespec matrix`."""

from __future__ import annotations

import json
import shlex
import subprocess
from dataclasses import dataclass
from pathlib import Path

from suite_env import CASES, ROOT, SCENARIOS

PYTHON = "/usr/bin/python3"
LITERAL = [PYTHON, str(ROOT / "tests" / "support" / "literal_parser.py")]
LITERAL_CLIENT = [PYTHON, str(ROOT / "tests" / "support" / "literal_client.py")]
PARSER_DEFECT = "comment-space-stripped"      # fails the basic case fields/kinds
CLIENT_DEFECT = "reconnect-after-fail"        # fails the basic scenario fails-404
BASIC_CASES = CASES / "basic"
BASIC_SCENARIOS = SCENARIOS / "basic"
# The literal parser with these defects fails fields/kinds, fields/simple,
# sizes/large and sizes/no-variants of BASIC_CASES; BASELINE lists all but the
# last, with reasons naming causes as the bundled adapters' expect.txt do.
DEFECTS = (PARSER_DEFECT, "trailing-lf-kept")
BASELINE = """\
suite parser
fail           fields/kinds          A: a comment's text loses one leading space; B: the data keeps its trailing LF
fail           fields/simple@whole   B: the data keeps its trailing LF
fail           fields/simple         B: the data keeps its trailing LF; Z: a second cause
fail           sizes/large           B: the data keeps its trailing LF
informational  open/differs          F7 (open): the harness's own open case
fail           nothing/here          C: stale
"""


def literal(*defects: str) -> str:
    return shlex.join(LITERAL + [a for d in defects for a in ("--defect", d)])


def literal_client(*defects: str) -> str:
    return shlex.join(LITERAL_CLIENT + [a for d in defects for a in ("--defect", d)])


@dataclass
class Ran:
    rc: int
    stdout: str
    stderr: str
    out: Path

    @property
    def matrix(self) -> dict:
        return json.loads((self.out / "matrix.json").read_text(encoding="utf-8"))

    def impl(self, name: str) -> dict:
        return next(e for e in self.matrix["impls"] if e["name"] == name or e["id"] == name)


def run_matrix(out: Path, *args: str, timeout: float = 300) -> Ran:
    cmd = [str(ROOT / "ssespec"), "matrix", "--out", str(out), *args]
    p = subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, timeout=timeout,
                       stdin=subprocess.DEVNULL)
    return Ran(p.returncode, p.stdout, p.stderr, out)


@dataclass
class DefectCheck:
    json_path: Path
    baseline: Path
