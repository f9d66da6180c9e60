#!/usr/bin/env bash
# ci/action.sh: the GitHub Action's step (action.yml): its inputs, which the
# runner passes as SSESPEC_* environment variables, as ci/check.sh arguments.
set -uo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
args=()
[ -n "${SSESPEC_IMPL:-}" ] && args+=(--impl "$SSESPEC_IMPL")
[ -n "${SSESPEC_CLIENT:-}" ] && args+=(--client "$SSESPEC_CLIENT")
[ -n "${SSESPEC_SERVER:-}" ] && args+=(--server "$SSESPEC_SERVER")
[ -n "${SSESPEC_EXPECT:-}" ] && args+=(--expect "$SSESPEC_EXPECT")
# one folder a line
while IFS= read -r d; do [ -n "$d" ] && args+=(--cases "$d"); done <<< "${SSESPEC_CASES:-}"
while IFS= read -r d; do [ -n "$d" ] && args+=(--scenarios "$d"); done <<< "${SSESPEC_SCENARIOS:-}"
while IFS= read -r d; do [ -n "$d" ] && args+=(--producers "$d"); done <<< "${SSESPEC_PRODUCERS:-}"
if [ -n "${SSESPEC_ARGS:-}" ]; then
  # further check arguments, split at blanks (no quoting, no expansion)
  read -r -a extra <<< "$SSESPEC_ARGS"
  args+=("${extra[@]}")
fi
if [ ${#args[@]} -eq 0 ]; then
  echo "ssespec action: give impl, client or server (the adapter to check)" >&2
  exit 2
fi
status=0
"$here/check.sh" --results "${SSESPEC_RESULTS:-ssespec-results}" "${args[@]}" || status=$?
[ -n "${GITHUB_OUTPUT:-}" ] && echo "status=$status" >> "$GITHUB_OUTPUT"
exit "$status"
