"""`check --expect` and `--write-expect` as a CI job uses them, and the
bundled adapters' recorded results in the same format."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

from suite_env import CASES, ROOT, fixture_impl, one_line

from harness.commands import recorded
from harness.core.expect import load
from harness.setup import bundled


def check(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--cases", str(CASES / "basic"),
                           *args], cwd=ROOT, capture_output=True, text=True, timeout=120)


def test_a_written_baseline_makes_the_run_pass_and_catches_a_new_failure(tmp_path: Path):
    impl = fixture_impl("--wrong-on", "fields/simple*")
    base = tmp_path / "baseline.txt"
    w = check("--impl", impl, "--write-expect", str(base))
    assert w.returncode == 0, w.stderr
    assert "wrote 2 baseline entries to" in w.stdout   # fields/simple, and open/differs (informational)
    assert "fail          fields/simple " in base.read_text()

    ok = check("--impl", impl, "--expect", str(base), "--json", str(tmp_path / "r.json"))
    assert ok.returncode == 0, ok.stdout
    data = json.loads((tmp_path / "r.json").read_text())
    assert data["baseline"]["unexpected_failures"] == []
    assert len(data["baseline"]["expected_failures"]) == data["summary"]["fail"] > 1
    assert "status=pass" in ok.stdout and "unexpected-fail=0" in ok.stdout

    # a failure the baseline does not list fails the run and is named
    worse = check("--impl", fixture_impl("--wrong-on", "fields/*"), "--expect", str(base))
    assert worse.returncode == 1
    assert "FAIL fields/kinds" in worse.stdout
    assert "status=fail" in worse.stdout


def test_removing_an_entry_fails_the_run_naming_that_variant(tmp_path: Path):
    impl = fixture_impl("--wrong-on", "fields/simple@split-2")
    base = tmp_path / "b.txt"
    base.write_text("suite parser\nfail fields/simple@split-2  planted\n")
    assert check("--impl", impl, "--expect", str(base)).returncode == 0
    base.write_text("suite parser\n")
    r = check("--impl", impl, "--expect", str(base))
    assert r.returncode == 1
    assert "FAIL fields/simple@split-2" in r.stdout
    assert "1 unexpected failure" in r.stdout


def test_fixed_and_stale_entries_are_reported_without_failing(tmp_path: Path):
    base = tmp_path / "b.txt"
    base.write_text("suite parser\nfail fields/simple@split-2  was broken\n"
                    "fail no/such-case  long gone\n")
    r = check("--impl", fixture_impl(), "--expect", str(base))
    assert r.returncode == 0, r.stdout
    assert "fixed: 1 variant the baseline expects to fail now pass" in r.stdout
    assert "fields/simple@split-2  (line 2: fail fields/simple@split-2)" in r.stdout
    assert "stale: 1 baseline entry matched no variant" in r.stdout
    assert "line 3: fail no/such-case" in r.stdout
    assert "fixed=1 changed=0 stale=1 status=pass" in r.stdout


def test_a_malformed_baseline_ends_the_run_before_it_starts(tmp_path: Path):
    base = tmp_path / "b.txt"
    base.write_text("suite parser\nfial fields/simple\n")
    r = check("--impl", fixture_impl(), "--expect", str(base))
    assert r.returncode == 2
    assert "b.txt:2: unknown verdict 'fial'" in one_line(r.stderr)
    assert r.stdout == ""


def test_every_bundled_adapters_recorded_results_parse():
    found = 0
    for m in bundled.manifests().values():
        if m.baseline.exists():
            b = load(m.baseline)
            assert b.entries, m.name
            suites = {e.suite for e in b.entries}
            assert suites == {m.kind}, (m.name, suites)
            assert all(e.reason for e in b.entries), f"{m.name}: every entry says why"
            found += 1
    assert found >= 3


# ---------------------------------------------------- ./ssespec test's results step

def _adapter(tmp_path: Path, command: str, baseline: str) -> bundled.Manifest:
    (tmp_path / "expect.txt").write_text(baseline, encoding="utf-8")
    return bundled.Manifest(name=command, dir=tmp_path, kind="parser", command=[])


BASIC = ("--no-builtin", "--cases", str(CASES / "basic"))


def test_results_step_fails_a_variant_that_disagrees_twice(tmp_path: Path, capsys):
    m = _adapter(tmp_path, fixture_impl("--wrong-on", "fields/simple*"), "suite parser\n")
    assert not recorded.holds(m, tmp_path, BASIC)
    out = capsys.readouterr()
    assert "running them once more" in out.out
    assert "no longer hold (twice): fields/simple" in out.err
    again = json.loads((tmp_path / f"results-{tmp_path.name}-again.json").read_text())
    assert {c["case"] for c in again["cases"]} == {"fields/simple"}   # only those run again


def test_results_step_lets_pass_a_variant_that_agrees_on_the_second_run(tmp_path: Path, capsys):
    # an adapter whose first run fails fields/simple and whose later runs do not:
    # a verdict that varies, as a third-party client's does under load
    mark = tmp_path / "ran-once"
    flaky = tmp_path / "adapter.sh"
    flaky.write_text(f"#!/bin/sh\nif [ -e {mark} ]; then exec {fixture_impl()}; fi\n"
                     f"touch {mark}\nexec {fixture_impl('--wrong-on', 'fields/simple*')}\n")
    flaky.chmod(0o755)
    m = _adapter(tmp_path, str(flaky), "suite parser\n")
    assert recorded.holds(m, tmp_path, BASIC)
    out = capsys.readouterr().out
    assert "agreed with the recorded results on a second run" in out
    settled = out.split("on a second run", 1)[1].splitlines()[0]
    assert "fields/simple" in settled and "fields/kinds" not in settled


def test_results_step_fails_on_a_stale_entry(tmp_path: Path, capsys):
    m = _adapter(tmp_path, fixture_impl(), "suite parser\nfail no/such-case gone\n")
    assert not recorded.holds(m, tmp_path, BASIC)
    assert "stale entries" in capsys.readouterr().err


def test_results_step_passes_a_run_that_agrees(tmp_path: Path):
    m = _adapter(tmp_path, fixture_impl("--wrong-on", "fields/simple*"),
                 "suite parser\nfail fields/simple wrong on purpose\n")
    assert recorded.holds(m, tmp_path, BASIC)
    assert not (tmp_path / f"results-{tmp_path.name}-again.json").exists()


def test_results_step_leaves_out_the_variants_a_baseline_calls_flaky(tmp_path: Path):
    m = _adapter(tmp_path, fixture_impl("--wrong-on", "fields/simple*"),
                 "suite parser\nflaky fields/simple@whole varies\nfail fields/simple wrong\n")
    assert recorded.holds(m, tmp_path, BASIC)
    data = json.loads((tmp_path / f"results-{tmp_path.name}.json").read_text())
    ran = {c["id"] for c in data["cases"]}
    assert "fields/simple@whole" not in ran and "fields/simple@bytes" in ran
    assert recorded.disagreements(data)[0] == set()


def test_results_step_does_not_call_stale_an_entry_the_flaky_ones_left_out(tmp_path: Path):
    # `flaky fields/simple` leaves out every variant whose id holds it, and so
    # the variants of fields/simple-longer too, had it any: here the entry for
    # fields/simple@bytes is one of those, and is not stale for that
    m = _adapter(tmp_path, fixture_impl("--wrong-on", "fields/simple*"),
                 "suite parser\nflaky fields/simple varies\nfail fields/simple@bytes known\n")
    assert recorded.holds(m, tmp_path, BASIC)
