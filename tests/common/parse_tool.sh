#!/bin/bash
# parse_tool.sh PARSE - tests of ssespec-parse: records from a file, from
# stdin and from a live pipe (each record printed before the input ends),
# input larger than one read, a parser failure (exit 1, records so far, no
# end record), unreadable input and bad arguments (exit 2). Expected lines
# are written by hand from the event-stream rules.
set -u
PARSE=$1
TMP=$(mktemp -d) || exit 2
trap 'rm -rf "$TMP"' EXIT
FAILED=0

fail() {
  echo "FAIL: $*" >&2
  FAILED=1
}

same() { # NAME WANT_FILE GOT_FILE
  if ! cmp -s "$2" "$3"; then
    fail "$1: output differs"
    diff "$2" "$3" | head -20 >&2
  fi
}

# ------------------------------------------------------------ a file
printf 'retry: 1000\n: c\nid: 42\nevent: foo\ndata: x\ndata: y\n\ndata: \0\n\npartial' >"$TMP/in"
cat >"$TMP/want" <<'EOF'
{"kind":"retry","ms":1000}
{"kind":"comment","text":" c"}
{"kind":"event","type":"foo","data":"x\u000ay","lastEventId":"42"}
{"kind":"event","type":"message","data":"\u0000","lastEventId":"42"}
{"kind":"end","lastEventId":"42"}
EOF
"$PARSE" "$TMP/in" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "file: exit status $rc"
[ -s "$TMP/err" ] && fail "file: wrote to stderr: $(cat "$TMP/err")"
same file "$TMP/want" "$TMP/got"

"$PARSE" <"$TMP/in" >"$TMP/got" 2>/dev/null || fail "stdin: exit status $?"
same stdin "$TMP/want" "$TMP/got"
"$PARSE" - <"$TMP/in" >"$TMP/got" 2>/dev/null || fail "stdin '-': exit status $?"
same "stdin '-'" "$TMP/want" "$TMP/got"
"$PARSE" --limit 1000 -- "$TMP/in" >"$TMP/got" 2>/dev/null || fail "--limit 1000: exit status $?"
same "--limit 1000" "$TMP/want" "$TMP/got"
"$PARSE" --limit=1000 "$TMP/in" >"$TMP/got" 2>/dev/null || fail "--limit=1000: exit status $?"
same "--limit=1000" "$TMP/want" "$TMP/got"

# empty input: the end record only
"$PARSE" </dev/null >"$TMP/got" 2>/dev/null || fail "empty: exit status $?"
echo '{"kind":"end","lastEventId":""}' >"$TMP/want"
same empty "$TMP/want" "$TMP/got"

# ------------------------------------------- larger than one read
# 300000 x in one event, then 20000 small events: many reads, split lines
awk 'BEGIN {
  printf "data: "; for (i = 0; i < 300000; i++) printf "x"; printf "\n\n";
  for (i = 0; i < 20000; i++) printf "id: %d\ndata: %d\n\n", i, i;
}' >"$TMP/in"
awk 'BEGIN {
  printf "{\"kind\":\"event\",\"type\":\"message\",\"data\":\"";
  for (i = 0; i < 300000; i++) printf "x"; printf "\",\"lastEventId\":\"\"}\n";
  for (i = 0; i < 20000; i++)
    printf "{\"kind\":\"event\",\"type\":\"message\",\"data\":\"%d\",\"lastEventId\":\"%d\"}\n", i, i;
  printf "{\"kind\":\"end\",\"lastEventId\":\"19999\"}\n";
}' >"$TMP/want"
"$PARSE" "$TMP/in" >"$TMP/got" 2>/dev/null || fail "large: exit status $?"
same large "$TMP/want" "$TMP/got"
cat "$TMP/in" | "$PARSE" >"$TMP/got" 2>/dev/null || fail "large pipe: exit status $?"
same "large pipe" "$TMP/want" "$TMP/got"

# ------------------------------------------------- a parser failure
printf 'data: a\n\ndata: xxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n\ndata: b\n\n' >"$TMP/in"
echo '{"kind":"event","type":"message","data":"a","lastEventId":""}' >"$TMP/want"
"$PARSE" --limit 16 "$TMP/in" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 1 ] || fail "limit: exit status $rc, want 1"
same limit "$TMP/want" "$TMP/got"
[ "$(wc -l <"$TMP/err")" -eq 1 ] || fail "limit: stderr is not one line"
grep -q '^ssespec-parse: ' "$TMP/err" || fail "limit: stderr is not 'ssespec-parse: REASON'"

# ------------------------------------------ unreadable input, arguments
expect_2() { # NAME ARGS...: exit status 2, nothing on stdout, one stderr line
  name=$1
  shift
  "$PARSE" "$@" </dev/null >"$TMP/got" 2>"$TMP/err"
  rc=$?
  [ $rc -eq 2 ] || fail "$name: exit status $rc, want 2"
  [ -s "$TMP/got" ] && fail "$name: wrote to stdout"
  head -1 "$TMP/err" | grep -q '^ssespec-parse: ' || fail "$name: stderr does not start 'ssespec-parse: '"
}
expect_2 missing-file "$TMP/does-not-exist"
expect_2 directory "$TMP"
expect_2 unknown-option --bogus
expect_2 limit-zero --limit 0 "$TMP/in"
expect_2 limit-word --limit many "$TMP/in"
expect_2 limit-missing --limit
expect_2 two-files "$TMP/in" "$TMP/in"
"$PARSE" --help >/dev/null 2>&1 || fail "--help: exit status $?"

# -------------------------------------------------------- a live pipe
# Each record must come out while the input is still open.
coproc LIVE { "$PARSE"; }
# private copies of the pipe ends and of the pid: bash closes the coproc's
# own and unsets LIVE_PID when it reaps the process, possibly before the
# last record is read (wait still gives the status of a reaped coproc)
live_pid=$LIVE_PID
exec {TO}>&"${LIVE[1]}" {FROM}<&"${LIVE[0]}"
eval "exec ${LIVE[1]}>&-"
printf 'data: one\n\n' >&"$TO"
if IFS= read -r -t 10 line <&"$FROM"; then
  [ "$line" = '{"kind":"event","type":"message","data":"one","lastEventId":""}' ] ||
    fail "live: first record is $line"
else
  fail "live: no record while the input is open"
fi
printf ': ping\nid: 9\ndata: two\n\n' >&"$TO"
IFS= read -r -t 10 line <&"$FROM" || line=none
[ "$line" = '{"kind":"comment","text":" ping"}' ] || fail "live: second record is $line"
IFS= read -r -t 10 line <&"$FROM" || line=none
[ "$line" = '{"kind":"event","type":"message","data":"two","lastEventId":"9"}' ] ||
  fail "live: third record is $line"
exec {TO}>&-
IFS= read -r -t 10 line <&"$FROM" || line=none
[ "$line" = '{"kind":"end","lastEventId":"9"}' ] || fail "live: end record is $line"
exec {FROM}<&-
wait "$live_pid" || fail "live: exit status $?"

if [ $FAILED -ne 0 ]; then
  echo "parse_tool: FAILED" >&2
  exit 1
fi
echo "parse_tool: all checks passed"
