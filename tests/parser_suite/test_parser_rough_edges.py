"""What a new user hit with the parser suite, each now handled: a pasted
variant id selects that variant, a failure report says how to rerun it and
show its input, adapter output that floods or nests too deeply fails its
case with bounded memory, an adapter that hangs now and then cannot make a
run last for hours, stderr comes with every failure, results files are
checked before the run, and no variant ever drops out of the count."""

from __future__ import annotations

import json
import re
import resource
import subprocess

from suite_env import CASES, ROOT, fixture_impl, one_line


def test_pasted_variant_id_selects_exactly_that_variant(check):
    r = check("-k", "fields/three-bytes@split-1")
    assert r.rc == 0, r.stderr
    assert list(r.verdicts()) == ["fields/three-bytes@split-1"]


def test_a_plain_variant_is_selected_as_a_baseline_names_it(check):
    """A baseline writes a plain variant as NAME@whole (the id has no @):
    -k reads it the same way, and it selects only that variant."""
    r = check("-k", "fields/three-bytes@whole")
    assert r.rc == 0, r.stderr
    assert list(r.verdicts()) == ["fields/three-bytes"]


def test_failure_report_ends_with_the_rerun_and_show_commands(check):
    r = check(flags=("--wrong-on", "fields/simple@split-2"))
    assert r.rc == 1
    text = r.stdout
    m = re.search(r"rerun:  (.*)\n", text)
    assert m and "-k fields/simple@split-2" in m.group(1), text
    assert "--cases" in m.group(1)
    m2 = re.search(r"input:  (\./ssespec show .*fields/simple@split-2)", text)
    assert m2, text
    # the rerun command, run as printed (from the repository root), runs that variant only
    rerun = subprocess.run(m.group(1) + " --json -", shell=True, cwd=ROOT, capture_output=True,
                           text=True, timeout=120)
    assert rerun.returncode == 1, rerun.stderr
    assert [c["id"] for c in json.loads(rerun.stdout)["cases"]] == ["fields/simple@split-2"]


def test_show_prints_a_variants_bytes(tmp_path):
    show = [str(ROOT / "ssespec"), "show", "--no-builtin", "--cases", str(CASES / "basic")]
    raw = subprocess.run(show + ["fields/simple@split-2", "--raw"], capture_output=True,
                         timeout=60)
    assert raw.returncode == 0
    case = (CASES / "basic" / "fields" / "simple.case").read_text()
    assert raw.stdout and raw.stdout.startswith(b"da")
    text = subprocess.run(show + ["fields/simple@split-2"], capture_output=True, text=True,
                          timeout=60).stdout
    assert "2 chunks, lengths 2," in text and "rule:" in text and "expected records:" in text
    assert "about" in case
    bad = subprocess.run(show + ["fields/simple@split-999"], capture_output=True, text=True,
                         timeout=60)
    assert bad.returncode == 2 and "has no variant @split-999" in one_line(bad.stderr)


def test_deeply_nested_answer_fails_its_case(check):
    r = check("-k", "fields", flags=("--nested-on", "fields/simple"))
    assert r.rc == 1
    c = r.case("fields/simple")
    assert c["verdict"] == "fail"
    assert c["reason"].startswith("the response is JSON nested too deeply to read")
    assert r.json["summary"]["total"] == len(r.verdicts())  # nothing dropped out


def test_flooding_answer_is_cut_with_bounded_memory(check):
    r = check("-k", "fields/simple", flags=("--flood-on", "fields/simple"))
    assert r.rc == 1
    c = r.case("fields/simple")
    assert re.match(r"the response line is longer than \d+ bytes", c["reason"]), c["reason"]
    assert len(json.dumps(r.json)) < 200_000   # the results stay small
    assert len(r.stdout) < 50_000


def test_adapter_that_hangs_now_and_then_is_given_up(tmp_path):
    """A hang on every 3rd request, after each restart too: never 5 in a row
    and never twice in one case's first variants, but the run's budget of 20
    timeouts ends it in bounded time (over the whole corpus, 6,000 variants,
    it would otherwise take 2,000 timeouts)."""
    out = tmp_path / "r.json"
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--impl",
                        fixture_impl("--hang-every", "3"), "--timeout", "0.3", "--json", str(out)],
                       capture_output=True, text=True, timeout=300)
    assert p.returncode == 1, p.stderr
    doc = json.loads(out.read_text())
    reasons = [c["reason"] for c in doc["cases"]]
    assert sum(x.startswith("no response within 0.3 s") for x in reasons) == 20
    assert any("the run's budget of timeouts" in x for x in reasons)
    assert doc["seconds"] < 60
    assert doc["summary"]["total"] == len(reasons) > 6000


def test_records_differ_failures_show_the_adapters_stderr(check):
    r = check("-k", "fields/simple", flags=("--wrong-on", "fields/simple", "--noisy"))
    c = r.case("fields/simple")
    assert c["reason"] == "records differ"
    assert "fixture: request fields/simple" in c["stderr"]
    assert "adapter stderr" in r.stdout and "| fixture: request fields/simple" in r.stdout


def test_unwritable_results_paths_are_refused_before_the_run(tmp_path):
    for flag, path in (("--json", "/nonexistent/dir/r.json"), ("--junit", str(tmp_path))):
        p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", fixture_impl(), "--cases",
                            str(CASES / "basic"), flag, path], capture_output=True, text=True,
                           timeout=60)
        assert p.returncode == 2
        assert one_line(p.stderr).startswith(f"ssespec: {flag} {path}:")
        assert p.stdout == ""     # nothing ran


def test_json_dash_writes_results_to_stdout_and_the_report_to_stderr():
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", fixture_impl(), "--cases",
                        str(CASES / "basic"), "-k", "fields", "--json", "-"],
                       capture_output=True, text=True, timeout=120)
    assert p.returncode == 0, p.stderr
    doc = json.loads(p.stdout)
    assert doc["suite"] == "parser" and doc["summary"]["total"] > 0
    assert "parser: " in p.stderr and "passed" in p.stderr


def test_empty_impl_is_an_error():
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--impl", ""], capture_output=True,
                       text=True, timeout=60)
    assert p.returncode == 2
    assert "--impl is empty" in one_line(p.stderr)


def test_case_file_with_a_bom_is_read(tmp_path):
    d = tmp_path / "cases" / "x"
    d.mkdir(parents=True)
    text = (CASES / "basic" / "fields" / "simple.case").read_text(encoding="utf-8")
    (d / "bom.case").write_bytes(b"\xef\xbb\xbf" + text.encode("utf-8"))
    p = subprocess.run([str(ROOT / "ssespec"), "check", "--no-builtin", "--impl", fixture_impl(), "--cases",
                        str(tmp_path / "cases"), "-m", "variant_whole"],
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stdout + p.stderr
    assert "1 passed, 0 failed, 0 skipped, 0 informational (1 variant)" in p.stdout


def test_singular_and_plural_counts(check):
    r = check("-k", "fields/simple@split-1")
    assert "1 variant of 1 case from" in r.stdout
    assert "(1 variant) in" in r.stdout
    assert "1 variants" not in r.stdout and "1 cases" not in r.stdout


def test_harness_memory_stays_bounded_for_a_flood(check):
    """The harness reads a flooding answer only up to its bound: its own
    peak memory stays far below what reading the whole answer would cost."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    r = check("-k", "fields/simple", flags=("--flood-on", "fields/simple"))
    assert r.rc == 1
    peak_kib = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    assert peak_kib < max(before, 1) + 200 * 1024, peak_kib
