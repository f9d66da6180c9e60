"""The CI recipe (docs/ci.md): action.yml's step and ci/check.sh run here as
a CI job would run them, against a bundled adapter and its baseline."""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path

import yaml
from suite_env import ROOT

BASELINE = ROOT / "adapters" / "eventsource-parser" / "expect.txt"
SELECT = "bom/"      # a part of the corpus, to keep the job short


def action_step(env: dict[str, str], tmp: Path) -> tuple[subprocess.CompletedProcess[str], str]:
    """The action's run step as the runner runs it: its env, its command,
    in the workspace (here tmp), GITHUB_ACTION_PATH the checkout."""
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    step = action["runs"]["steps"][0]
    out = tmp / "github_output"
    out.write_text("")
    full = dict(os.environ, GITHUB_ACTION_PATH=str(ROOT), GITHUB_OUTPUT=str(out),
                SSESPEC_RESULTS=str(tmp / "results"), **env)
    p = subprocess.run(["bash", "-c", step["run"]], cwd=tmp, env=full, capture_output=True,
                       text=True, timeout=600, stdin=subprocess.DEVNULL)
    return p, out.read_text()


def test_action_inputs_reach_the_step_and_the_results_are_uploaded():
    action = yaml.safe_load((ROOT / "action.yml").read_text())
    assert action["runs"]["using"] == "composite"
    check, upload = action["runs"]["steps"]
    for name in ("impl", "client", "server", "expect", "cases", "scenarios", "producers", "args",
                 "results"):
        assert check["env"][f"SSESPEC_{name.upper()}"] == f"${{{{ inputs.{name} }}}}", name
        assert name in action["inputs"]
    assert check["run"] == '"$GITHUB_ACTION_PATH/ci/action.sh"' and check["id"] == "check"
    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["with"]["path"] == "${{ inputs.results }}" and "always()" in upload["if"]
    assert action["outputs"]["status"]["value"] == "${{ steps.check.outputs.status }}"


def test_a_bundled_adapter_with_its_baseline_passes_and_keeps_its_results(tmp_path: Path):
    p, out = action_step({"SSESPEC_IMPL": "eventsource-parser", "SSESPEC_EXPECT": str(BASELINE),
                          "SSESPEC_ARGS": f"-k {SELECT}"}, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert out == "status=0\n"
    res = tmp_path / "results"
    data = json.loads((res / "results.json").read_text())
    assert data["baseline"]["unexpected_failures"] == []
    assert len(data["baseline"]["expected_failures"]) > 3
    assert (res / "results.xml").read_text().startswith("<?xml")
    sarif = json.loads((res / "results.sarif").read_text())
    assert all("suppressions" in r for r in sarif["runs"][0]["results"] if r["level"] == "error")
    assert "ssespec-result suite=parser" in p.stdout and "status=pass" in p.stdout


def test_a_failure_the_baseline_does_not_list_fails_the_job_naming_it(tmp_path: Path):
    lines = BASELINE.read_text().splitlines()
    gone = next(ln for ln in lines if ln.startswith("fail") and f" {SELECT}" in ln)
    variant = gone.split()[1]
    base = tmp_path / "expect.txt"
    base.write_text("\n".join(ln for ln in lines if ln != gone) + "\n")
    p, out = action_step({"SSESPEC_IMPL": "eventsource-parser", "SSESPEC_EXPECT": str(base),
                          "SSESPEC_ARGS": f"-k {SELECT}"}, tmp_path)
    assert p.returncode == 1 and out == "status=1\n"
    assert f"FAIL {variant}" in p.stdout
    data = json.loads((tmp_path / "results" / "results.json").read_text())
    assert any(v.startswith(variant) for v in data["baseline"]["unexpected_failures"])
    # the HTML report kept beside the results shows it
    page = (tmp_path / "results" / "report" / "impl" / "parser-1.html").read_text()
    assert variant in page and "eventsource-parser" in page
    assert (tmp_path / "results" / "report" / "index.html").is_file()


def test_a_listed_failure_that_now_passes_is_reported_as_fixed(tmp_path: Path):
    base = tmp_path / "expect.txt"
    base.write_text(BASELINE.read_text() + "fail bom/leading-bom-removed   listed by mistake\n")
    p, _ = action_step({"SSESPEC_IMPL": "eventsource-parser", "SSESPEC_EXPECT": str(base),
                        "SSESPEC_ARGS": f"-k {SELECT}"}, tmp_path)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "fixed: " in p.stdout and "bom/leading-bom-removed" in p.stdout


def test_the_shell_recipe_runs_own_cases_with_the_built_in_ones(tmp_path: Path):
    mine = tmp_path / "sse-cases" / "ours"
    mine.mkdir(parents=True)
    (mine / "one.case").write_text('about one event\nrule F7\nchunk "data: x\\n\\n"\n'
                                   'event data="x"\nend\n')
    p = subprocess.run([str(ROOT / "ci" / "check.sh"), "--results", "out", "--impl", "reference",
                        "--cases", "sse-cases", "-k", "ours/ or bom/leading"], cwd=tmp_path,
                       capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert p.returncode == 0, p.stdout + p.stderr
    cases = {c["case"] for c in json.loads((tmp_path / "out" / "results.json").read_text())["cases"]}
    assert {"ours/one", "bom/leading-bom-removed"} <= cases
    assert all(c.startswith(("ours/", "bom/leading")) for c in cases)


def test_no_adapter_given_is_not_a_run(tmp_path: Path):
    p, out = action_step({}, tmp_path)
    assert p.returncode == 2 and "give impl, client or server" in p.stderr
