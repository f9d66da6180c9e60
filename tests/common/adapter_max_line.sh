#!/bin/sh
# adapter_max_line.sh ADAPTER - the parser adapter's default bound on a
# request line, 512 MiB (536870912 bytes: the @bytes request of a 64 MiB
# case is 448 MiB): a line one byte over it is skipped and answered with an
# error under its case id, and the next request works. Slow (it pipes
# 512 MiB through the adapter); adapter_smoke.sh tests the same rules, and
# that memory stays within the bound, with small bounds.
set -u
ADAPTER=$1
TMP=${TMPDIR:-/tmp}/ssespec-adapter-max-line.$$
mkdir -p "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT
MAX=536870912

# {"case": "big", "chunks": ["AAA...A"]} of exactly MAX + 1 bytes
PREFIX='{"case": "big", "chunks": ["'
SUFFIX='"]}'
FILL=$((MAX + 1 - ${#PREFIX} - ${#SUFFIX}))
{
  printf '%s' "$PREFIX"
  head -c "$FILL" /dev/zero | tr '\0' A
  printf '%s\n' "$SUFFIX"
  echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}'
} | "$ADAPTER" >"$TMP/got" 2>"$TMP/err"
rc=$?

cat >"$TMP/want" <<EOF
{"hello":{"name":"ssespec-reference","version":"1.0.0","reports":["event","retry","comment","end"]}}
{"case":"big","error":"request line of $((MAX + 1)) bytes is longer than the limit of $MAX bytes"}
{"case":"ok","records":[{"kind":"event","type":"message","data":"x","lastEventId":""},{"kind":"end","lastEventId":""}]}
EOF
if [ $rc -ne 0 ] || ! cmp -s "$TMP/want" "$TMP/got"; then
  echo "FAIL: exit status $rc (want 0); output:" >&2
  head -c 2000 "$TMP/got" >&2
  echo "adapter_max_line: FAILED" >&2
  exit 1
fi
echo "adapter_max_line: all checks passed"
