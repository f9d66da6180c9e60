#!/usr/bin/env bash
# ci/check.sh: ssespec in another project's CI, for any CI system (docs/ci.md).
#
#   path/to/ssespec/ci/check.sh [--results DIR] CHECK-ARGUMENTS...
#
# Runs `ssespec check CHECK-ARGUMENTS` and keeps what a CI job archives in
# DIR (default ssespec-results): results.json, results.xml (JUnit),
# results.sarif, and report/index.html (the HTML report: `ssespec matrix
# --from-check`, a static page to open from disk). When a tool check needs is missing and the job is not root
# but may sudo, it is installed first (`ssespec setup`). The summary and the
# failures go to the log (--quiet); the exit status is check's: 0 nothing
# failed (with --expect: nothing the baseline does not expect), 1 something
# failed, 2 the run could not be done.
set -uo pipefail
ssespec="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/ssespec"
results=ssespec-results
if [ "${1:-}" = --results ]; then
  [ $# -ge 2 ] || { echo "ci/check.sh: --results needs a folder" >&2; exit 2; }
  results=$2
  shift 2
fi
mkdir -p "$results" || exit 2
if [ "$(id -u)" -ne 0 ] && command -v sudo >/dev/null 2>&1; then
  missing="$("$ssespec" setup --print)" || exit 2
  if [ -n "$missing" ]; then
    echo "ci/check.sh: installing $missing" >&2
    sudo "$ssespec" setup || exit 2
  fi
fi
"$ssespec" check "$@" --quiet --json "$results/results.json" --junit "$results/results.xml" \
  --sarif "$results/results.sarif"
status=$?
if [ -f "$results/results.json" ]; then
  "$ssespec" matrix --from-check "$results/results.json" --out "$results/report" >&2 ||
    echo "ci/check.sh: no HTML report" >&2
fi
echo "ci/check.sh: exit status $status; results in $results/" >&2
exit "$status"
