"""The user's own cases, scenarios and producer cases beside the built-in
corpus (`--cases A --cases B`, `--no-builtin`), and the folders a run
refuses: a name in two folders, a folder inside another."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import pytest
from suite_env import CASES, ROOT, fixture_impl, one_line

from harness.suite.roots import RootsError, check

SIMPLE = 'about one event\nrule F7\nchunk "data: mine\\n\\n"\nevent data="mine"\nend\n'


def ssespec(*args: str, timeout: float = 300) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "ssespec"), *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=timeout, stdin=subprocess.DEVNULL)


def cases_in(path: Path) -> list[str]:
    return sorted({c["case"] for c in json.loads(path.read_text())["cases"]})


def test_own_cases_run_beside_the_built_in_corpus(tmp_path: Path) -> None:
    mine = tmp_path / "regressions"
    (mine / "ours").mkdir(parents=True)
    (mine / "ours" / "one-event.case").write_text(SIMPLE)
    out = tmp_path / "r.json"
    p = ssespec("check", "--impl", "reference", "--cases", str(mine), "--json", str(out), "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    names = cases_in(out)
    assert "ours/one-event" in names and "bom/leading-bom-removed" in names
    assert len(names) == len(list((ROOT / "corpus" / "cases").rglob("*.case"))) + 1
    # a failure in the user's folder reruns with that folder
    bad = ssespec("check", "--impl", fixture_impl("--wrong-on", "ours/*"), "--cases", str(mine),
                  "-k", "ours/", "-q")
    assert bad.returncode == 1
    assert "rerun:  ./ssespec check --impl" in bad.stdout
    assert f"--cases {mine}" in bad.stdout and "--no-builtin" not in bad.stdout


def test_no_builtin_runs_only_the_folders_given(tmp_path: Path) -> None:
    a, b = tmp_path / "a", tmp_path / "b"
    for d, n in ((a, "x"), (b, "y")):
        d.mkdir()
        (d / f"{n}.case").write_text(SIMPLE)
    out = tmp_path / "r.json"
    p = ssespec("check", "--impl", "reference", "--no-builtin", "--cases", str(a), "--cases",
                str(b), "--json", str(out), "-q")
    assert p.returncode == 0, p.stdout + p.stderr
    assert cases_in(out) == ["x", "y"]
    shown = ssespec("show", "--no-builtin", "--cases", str(a), "--cases", str(b), "y")
    assert shown.returncode == 0 and "data: mine" in shown.stdout


def test_a_name_in_two_folders_is_refused(tmp_path: Path) -> None:
    mine = tmp_path / "mine" / "bom"
    mine.mkdir(parents=True)
    (mine / "leading-bom-removed.case").write_text(SIMPLE)
    p = ssespec("check", "--impl", "reference", "--cases", str(tmp_path / "mine"))
    assert p.returncode == 2
    err = one_line(p.stderr)
    assert "the case name bom/leading-bom-removed is taken twice" in err
    assert "corpus/cases/bom/leading-bom-removed.case" in err and str(mine) in err


def test_scenario_and_producer_folders_clash_the_same_way(tmp_path: Path) -> None:
    (tmp_path / "s" / "status").mkdir(parents=True)
    src = ROOT / "corpus" / "scenarios" / "status" / "404-fails.scenario"
    (tmp_path / "s" / "status" / "404-fails.scenario").write_text(src.read_text())
    p = ssespec("check", "--client", "--scenarios", str(tmp_path / "s"))
    assert p.returncode == 2 and "scenario name status/404-fails is taken twice" in p.stderr
    (tmp_path / "p" / "values").mkdir(parents=True)
    src = ROOT / "corpus" / "producers" / "values" / "retry-large.encode"
    (tmp_path / "p" / "values" / "retry-large.encode").write_text(src.read_text())
    p = ssespec("check", "--server", "--producers", str(tmp_path / "p"))
    assert p.returncode == 2 and "case name values/retry-large is taken twice" in p.stderr


def test_folders_inside_each_other_or_missing_are_refused(tmp_path: Path) -> None:
    p = ssespec("check", "--impl", "reference", "--cases", str(CASES / "basic"), "--cases",
                str(CASES / "basic" / "fields"), "--no-builtin")
    assert p.returncode == 2 and "is inside" in p.stderr and "would have two names" in p.stderr
    p = ssespec("check", "--impl", "reference", "--cases", str(tmp_path / "nope"))
    assert p.returncode == 2 and "no such directory" in p.stderr


def test_roots_check_unit(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    (tmp_path / "a" / "x.case").write_text("")
    (tmp_path / "b" / "x.scenario").write_text("")   # another suffix: no clash
    check([tmp_path / "a", tmp_path / "b"], (".case",))
    (tmp_path / "b" / "x.case").write_text("")
    with pytest.raises(RootsError, match="x is taken twice"):
        check([tmp_path / "a", tmp_path / "b"], (".case",))
