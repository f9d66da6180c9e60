"""libFuzzer campaigns on the project's C code, and replays of their inputs
(the command lines are harness/commands/fuzz.py).

fuzz [TARGET...] --seconds N [--jobs J]
    Builds the libFuzzer targets (fuzz/build.sh, with clang) into build/fuzz,
    runs each for N seconds on J cores with the seed corpus (generated from
    corpus/cases), corpus/regressions/TARGET and a working corpus in
    build/fuzz/work/TARGET, reports executions per second, coverage and
    findings, minimizes every finding into corpus/regressions/TARGET/<sha1>.
    Exit status: 0 no finding, 1 a finding, 2 the run could not be done.

replay [PATH...] [--target T]
    Runs the replay drivers (fuzz-replay-TARGET, the normal CMake build with
    gcc, ASan+UBSan by default; no clang) over the regressions and the seeds,
    or over the files and directories given. Exit status: 0 every input
    passed, 1 an input is a finding, 2 the replay could not be done.

The targets, their input format and the files are described in
docs/fuzzing.md.
"""

from __future__ import annotations

import argparse
import hashlib
import os
import re
import resource
import shutil
import subprocess
import sys
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

from harness.core.errors import Fatal
from harness.core.paths import ROOT  # noqa: E402
from harness.fuzz.targets import TARGETS
from harness.setup import build, deps

CLANG_PACKAGES = deps.DEPS["clang-fuzzer"].packages
SANITIZERS = {
    "address": "-fsanitize=address",
    "address,undefined": "-fsanitize=address,undefined -fno-sanitize-recover=all",
}
MINIMIZE_SECONDS = 60  # the most one finding's minimization may take


# ------------------------------------------------------------------ clang


def find_clang() -> str | None:
    """clang that links a libFuzzer target with ASan and UBSan, or None."""
    return deps.find_clang_fuzzer()


def ensure_clang() -> str:
    """clang with its fuzzer runtime: found, installed (as root), or Fatal."""
    clang = find_clang()
    if clang:
        return clang
    try:
        deps.ensure("clang-fuzzer")
    except Fatal:
        raise Fatal(f"clang or its fuzzer runtime is missing; install: apt-get install -y "
                    f"{' '.join(CLANG_PACKAGES)}") from None
    clang = find_clang()
    if not clang:
        raise Fatal(f"install: apt-get install -y {' '.join(CLANG_PACKAGES)}")
    return clang


# ------------------------------------------------------------------ building


@dataclass
class Layout:
    """Where a campaign keeps its files."""

    root: Path  # build/fuzz
    regressions: Path  # corpus/regressions

    def out(self, sanitize: str, trace_cmp: bool = True) -> Path:
        return self.root / ("out-" + sanitize.replace(",", "-") + ("" if trace_cmp else "-nocmp"))

    def seeds(self, target: str) -> Path:
        return self.root / "seeds" / target

    def work(self, target: str) -> Path:
        return self.root / "work" / target

    def artifacts(self, target: str) -> Path:
        return self.root / "artifacts" / target

    def logs(self, target: str) -> Path:
        return self.root / "logs" / target


def build_targets(clang: str, layout: Layout, sanitize: str, targets: Sequence[str],
                  parser_src: Path | None, trace_cmp: bool = True) -> Path:
    """Run fuzz/build.sh with OSS-Fuzz's variables; return $OUT."""
    out = layout.out(sanitize, trace_cmp)
    out.mkdir(parents=True, exist_ok=True)
    cflags = f"{SANITIZERS[sanitize]} -fsanitize=fuzzer-no-link -g -O2"
    if not trace_cmp:
        cflags += " -fno-sanitize-coverage=trace-cmp"
    env = dict(os.environ, CC=clang, OUT=str(out), LIB_FUZZING_ENGINE="-fsanitize=fuzzer",
               CFLAGS=cflags, SSESPEC_FUZZ_TARGETS=" ".join(targets))
    env.pop("CXX", None)
    env.pop("CXXFLAGS", None)
    if parser_src:
        env["SSESPEC_PARSER_SRC"] = str(parser_src)
    r = subprocess.run(["bash", str(ROOT / "fuzz" / "build.sh")], env=env, capture_output=True,
                       text=True, stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise Fatal("fuzz/build.sh failed; see the output above")
    for t in targets:
        seeds = layout.seeds(t)
        if seeds.exists():
            shutil.rmtree(seeds)
        seeds.mkdir(parents=True)
        with zipfile.ZipFile(out / f"{t}_seed_corpus.zip") as z:
            z.extractall(seeds)
    return out


# ------------------------------------------------------------------ libFuzzer output


_PULSE = re.compile(r"^#(\d+)\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/\S+.*?exec/s: (\d+)")
_STAT = re.compile(r"^stat::(\w+):\s*(\d+)")
_ARTIFACT = re.compile(r"Test unit written to (\S+)")


@dataclass
class JobStats:
    execs: int = 0
    exec_per_sec: int = 0
    cov: int = 0
    ft: int = 0
    corpus: int = 0


@dataclass
class Finding:
    target: str
    artifact: Path
    summary: str
    kept: Path | None = None
    detail: str = ""


@dataclass
class TargetResult:
    target: str
    jobs: list[JobStats] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    cpu_seconds: float = 0.0  # CPU time the fuzzer's processes used

    @property
    def execs(self) -> int:
        return sum(j.execs for j in self.jobs)

    @property
    def exec_per_cpu_sec(self) -> int:
        """Executions per second of CPU time: the speed per core, whatever else
        the machine was doing."""
        return int(self.execs / self.cpu_seconds) if self.cpu_seconds > 0 else 0

    @property
    def exec_per_sec(self) -> int:
        return sum(j.exec_per_sec for j in self.jobs)

    @property
    def cov(self) -> int:
        return max((j.cov for j in self.jobs), default=0)

    @property
    def ft(self) -> int:
        return max((j.ft for j in self.jobs), default=0)


def parse_log(text: str) -> tuple[JobStats, list[tuple[Path, str]]]:
    """Stats and (artifact, summary) pairs from one libFuzzer job's output."""
    st = JobStats()
    artifacts: list[tuple[Path, str]] = []
    summary = ""
    for line in text.splitlines():
        m = _PULSE.match(line)
        if m:
            st.execs, st.cov, st.ft, st.corpus, st.exec_per_sec = (int(g) for g in m.groups())
            continue
        m = _STAT.match(line)
        if m:
            if m.group(1) == "number_of_executed_units":
                st.execs = int(m.group(2))
            elif m.group(1) == "average_exec_per_sec":
                st.exec_per_sec = int(m.group(2))
            continue
        if line.startswith("==== finding:"):
            summary = line[len("==== finding:"):].strip()
        elif not summary and ("ERROR: AddressSanitizer" in line or "runtime error:" in line
                              or "ERROR: LeakSanitizer" in line or "ERROR: libFuzzer" in line
                              or line.startswith("ALARM: working on the last Unit")):
            summary = line.strip()
        m = _ARTIFACT.search(line)
        if m:
            artifacts.append((Path(m.group(1)), summary or "a crash"))
            summary = ""
    return st, artifacts


# ------------------------------------------------------------------ a campaign


def options_of(out: Path, target: str) -> list[str]:
    """The [libfuzzer] options of $OUT/<target>.options as flags."""
    flags = []
    opts = out / f"{target}.options"
    if opts.exists():
        for line in opts.read_text().splitlines():
            if "=" in line and not line.lstrip().startswith(("[", "#")):
                k, v = (s.strip() for s in line.split("=", 1))
                flags.append(f"-{k}={out / v if k == 'dict' else v}")
    return flags


def minimize(binary: Path, artifact: Path, workdir: Path, seconds: int) -> Path:
    """libFuzzer's -minimize_crash, bounded in time; the smallest input found."""
    best = workdir / f"minimized-{artifact.name}"
    subprocess.run([str(binary), "-minimize_crash=1", f"-max_total_time={seconds}",
                    "-runs=1000000", f"-exact_artifact_path={best}", str(artifact)],
                   cwd=workdir, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                   stderr=subprocess.DEVNULL, timeout=seconds + 60)
    if best.exists() and best.stat().st_size <= artifact.stat().st_size and _crashes(binary, best):
        return best
    return artifact


def _crashes(binary: Path, path: Path) -> bool:
    r = subprocess.run([str(binary), "-runs=1", str(path)], stdin=subprocess.DEVNULL,
                       capture_output=True, timeout=120)
    return r.returncode != 0


def describe(binary: Path, path: Path) -> str:
    """What the target says about one input: its finding report, shortened."""
    r = subprocess.run([str(binary), "-runs=1", str(path)], stdin=subprocess.DEVNULL,
                       capture_output=True, text=True, errors="replace", timeout=120)
    lines = r.stderr.splitlines()
    for i, line in enumerate(lines):
        if line.startswith("==== finding:"):
            block = []
            for more in lines[i + 1:]:
                if re.match(r"^==\d+==", more) or more.startswith("    #"):
                    break
                block.append(more)
            return "\n".join(block[:40])
    keep_lines = [ln for ln in lines if "ERROR:" in ln or "SUMMARY:" in ln or "runtime error" in ln]
    return "\n".join(keep_lines[:5])


def keep(finding: Finding, data: bytes, regressions: Path) -> Path:
    d = regressions / finding.target
    d.mkdir(parents=True, exist_ok=True)
    path = d / hashlib.sha1(data).hexdigest()[:16]
    path.write_bytes(data)
    return path


MERGE_ABOVE = 3000  # a working corpus with more inputs is merged first


def merge_work(binary: Path, work: Path, out: Path, target: str) -> None:
    """Shrink the working corpus to the inputs that add coverage (-merge=1):
    it only grows across runs, and a large corpus slows the fuzzer."""
    fresh = work.with_name(work.name + ".merged")
    if fresh.exists():
        shutil.rmtree(fresh)
    fresh.mkdir()
    r = subprocess.run([str(binary), "-merge=1", *options_of(out, target), str(fresh), str(work)],
                       cwd=fresh.parent, capture_output=True, stdin=subprocess.DEVNULL, timeout=1800)
    if r.returncode == 0 and any(fresh.iterdir()):
        shutil.rmtree(work)
        fresh.rename(work)
    else:
        shutil.rmtree(fresh, ignore_errors=True)


def run_target(out: Path, layout: Layout, target: str, seconds: int, jobs: int,
               do_minimize: bool, verbose: bool) -> TargetResult:
    binary = out / target
    work, logs, arts = layout.work(target), layout.logs(target), layout.artifacts(target)
    for d in (work, logs, arts):
        d.mkdir(parents=True, exist_ok=True)
    if sum(1 for _ in work.iterdir()) > MERGE_ABOVE:
        merge_work(binary, work, out, target)
    for old in logs.glob("*.log"):
        old.unlink()
    corpora = [work, layout.seeds(target)]
    reg = layout.regressions / target
    if reg.is_dir() and any(reg.iterdir()):
        corpora.append(reg)
    cmd = [str(binary), *options_of(out, target), f"-max_total_time={seconds}",
           f"-artifact_prefix={arts}/", "-print_final_stats=1", "-timeout=10",
           "-rss_limit_mb=2048", *map(str, corpora)]
    if jobs > 1:
        cmd[1:1] = [f"-jobs={jobs}", f"-workers={jobs}"]
    sys.stdout.flush()
    print(f"ssespec fuzz: {target}: {seconds} s on {jobs} job{'s' if jobs > 1 else ''}",
          file=sys.stderr, flush=True)
    log = logs / "main.log"
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with open(log, "wb") as f:
        subprocess.run(cmd, cwd=logs, stdout=f, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                       timeout=seconds * 2 + 300)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    texts = [p.read_text(errors="replace") for p in sorted(logs.glob("fuzz-*.log"))] if jobs > 1 \
        else [log.read_text(errors="replace")]
    if verbose:
        for t in texts:
            sys.stderr.write(t)
    result = TargetResult(target, cpu_seconds=cpu)
    seen: set[str] = set()
    for text in texts:
        st, arts_found = parse_log(text)
        result.jobs.append(st)
        for path, summary in arts_found:
            path = path if path.is_absolute() else logs / path
            if not path.exists() or path.name in seen:
                continue
            seen.add(path.name)
            result.findings.append(Finding(target, path, summary))
    for fnd in result.findings:
        best = fnd.artifact
        if do_minimize and fnd.artifact.name.startswith("crash-"):
            best = minimize(binary, fnd.artifact, arts, min(MINIMIZE_SECONDS, max(10, seconds)))
        fnd.kept = keep(fnd, best.read_bytes(), layout.regressions)
        fnd.detail = describe(binary, fnd.kept)
    return result


def report(results: list[TargetResult], seconds: int, sanitize: str) -> None:
    print(f"fuzzing: {seconds} s per target, sanitizers: {sanitize}")
    width = max((len(r.target) for r in results), default=0)
    for r in results:
        per_job = "/".join(str(j.exec_per_sec) for j in r.jobs) or "?"
        print(f"  {r.target:{width}} {r.exec_per_sec:>8} exec/s ({per_job} per job; "
              f"{r.exec_per_cpu_sec} per CPU second)  {r.execs} runs  "
              f"cov {r.cov}  ft {r.ft}  findings {len(r.findings)}")
        for f in r.findings:
            where = f.kept.relative_to(ROOT) if f.kept and f.kept.is_relative_to(ROOT) else f.kept
            print(f"    finding: {f.summary}\n      kept as {where}")
            for line in f.detail.splitlines():
                print(f"      | {line}")
    sys.stdout.flush()


# ------------------------------------------------------------------ replay


def replay_paths(paths: Sequence[str], only: str | None, layout: Layout) -> dict[str, list[Path]]:
    """target -> the paths to replay with it."""
    targets = [only] if only else list(TARGETS)
    plan: dict[str, list[Path]] = {t: [] for t in targets}
    if paths:
        for p in map(Path, paths):
            if not p.exists():
                raise Fatal(f"{p}: no such file or directory")
            named = [t for t in TARGETS if t in p.resolve().parts]
            for t in targets:
                if only or not named or t in named:
                    plan[t].append(p)
        return plan
    for t in targets:
        reg = layout.regressions / t
        if reg.is_dir():
            plan[t].append(reg)
        plan[t].append(layout.seeds(t))
    return plan


def generate_seeds(layout: Layout) -> None:
    r = subprocess.run([sys.executable, str(ROOT / "fuzz" / "make_seeds.py"), "--out",
                        str(layout.root / "seeds")], capture_output=True, text=True,
                       stdin=subprocess.DEVNULL)
    if r.returncode != 0:
        sys.stderr.write(r.stdout + r.stderr)
        raise Fatal("fuzz/make_seeds.py failed; see the output above")


def replay(args: argparse.Namespace, layout: Layout) -> int:
    if not args.paths:
        generate_seeds(layout)
    plan = replay_paths(args.paths, args.target, layout)
    out = build.build(args.build, quiet=True)
    found = unreadable = False
    for target, paths in plan.items():
        if not paths:
            continue
        driver = build.find_executable(out, f"fuzz-replay-{target}")
        if driver is None:
            raise Fatal(f"the build in {out} made no fuzz-replay-{target}")
        r = subprocess.run([str(driver), *map(str, paths)], capture_output=True, text=True,
                           stdin=subprocess.DEVNULL)
        if r.returncode == 0:
            print(r.stdout.strip())
            continue
        sys.stderr.write(r.stderr)
        if r.returncode == 2:
            print(f"fuzz-replay-{target}: could not read every input", file=sys.stderr)
            unreadable = True
        else:
            print(f"fuzz-replay-{target}: FINDING (exit status {r.returncode})")
            found = True
    return 1 if found else 2 if unreadable else 0
