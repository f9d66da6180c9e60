#!/bin/sh
# adapter_smoke.sh ADAPTER - a smoke test of ssespec-parser-adapter.
#
# Pipes request lines into the adapter and checks its response lines: the
# hello line, records exactly as the adapter protocol and the event-stream
# rules (docs: D, L, F, E rules) give them, one error response for each
# malformed request after which the adapter goes on, and exit status 0 when
# stdin closes. Expected lines are written by hand from the protocol and
# the standard. Each line of an expectation file is "= EXACT LINE" or
# "~ PREFIX" (for error responses, whose wording is free).
set -u
ADAPTER=$1
TMP=${TMPDIR:-/tmp}/ssespec-adapter-smoke.$$
mkdir -p "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT
FAILED=0

fail() {
  echo "FAIL: $*" >&2
  FAILED=1
}

# check NAME EXPECT_FILE OUTPUT_FILE: every output line matches its
# expectation, and there are exactly as many.
check() {
  name=$1
  want_n=$(wc -l <"$2")
  got_n=$(wc -l <"$3")
  if [ "$want_n" -ne "$got_n" ]; then
    fail "$name: $got_n response lines, want $want_n"
  fi
  n=0
  while IFS= read -r want <&3 && IFS= read -r got <&4; do
    n=$((n + 1))
    kind=${want%% *}
    text=${want#? }
    case $kind in
    =) [ "$got" = "$text" ] || fail "$name: line $n
  got  $got
  want $text" ;;
    "~") case $got in
      "$text"*) ;;
      *) fail "$name: line $n
  got  $got
  want $text..." ;;
      esac ;;
    esac
  done 3<"$2" 4<"$3"
}

HELLO='{"hello":{"name":"ssespec-reference","version":"1.0.0","reports":["event","retry","comment","end"]}}'

# ---------------------------------------------------------------- records
# Each request's input, decoded, is in the comment above it.
cat >"$TMP/req" <<'EOF'
{"case": "crlf/split-between-cr-and-lf", "chunks": ["ZGF0YTogYQ0=", "CgoK"]}
{"case": "all-kinds", "chunks": ["cmV0cnk6IDEwMDAKOiBjCmlkOiA0MgpldmVudDogZm9vCmRhdGE6IHgKZGF0YTogeQoK"]}
{"case": "controls", "chunks": ["ZGF0YTogYQBiAR9/Cgo="]}
{"case": "invalid-utf8", "chunks": ["ZGF0YTog/+KCCgo="]}
{"case": "bom-split", "chunks": ["7w==", "u79kYXRhOiB4Cgo="]}
{"case": "id-persists", "chunks": ["aWQ6IDEKZGF0YTogYQoKZGF0YTogYgoK"]}
{"case": "fresh-1", "chunks": ["aWQ6IDUKCmRhdGE6IHBhcnQ="]}
{"case": "fresh-2", "chunks": ["aWFsCgo="]}
{"case": "quote-backslash", "chunks": ["ZGF0YTogInEiIFwgw6kKCg=="]}
{"case": "cr-at-end", "chunks": ["ZGF0YTogeg0=", "DQ=="]}
{"case": "no-final-line-end", "chunks": ["ZGF0YTogYQ=="]}
{"case": "empty", "chunks": []}
{"case": "empty-chunks", "chunks": ["", "ZGF0YTogeAoK", ""]}
{"chunks": ["ZGF0YTogeAoK"], "extra": {"ignored": [1, 2.5, null]}, "case": "order"}
{"case": "name \"q\" \\ \u0001 \u00e9", "chunks": []}
EOF
# Decoded inputs, in order:
#   "data: a\r" + "\n\n\n"           CRLF across chunks is one line end (L2)
#   "retry: 1000\n: c\nid: 42\nevent: foo\ndata: x\ndata: y\n\n"
#   "data: a\0b\x01\x1f\x7f\n\n"     NUL and controls escaped as \u00XX
#   "data: \xff\xe2\x82\n\n"        two U+FFFD (D2: FF; truncated E2 82)
#   "\xef" + "\xbb\xbfdata: x\n\n"  a BOM split across chunks (D1, D3)
#   "id: 1\ndata: a\n\ndata: b\n\n"  the last event ID persists (E5)
#   "id: 5\n\ndata: part"           end "5"; the pending line is dropped (L4)
#   "ial\n\n"                        a fresh parser: "ial" is an unknown field
#   "data: \"q\" \\ \xc3\xa9\n\n"
#   "data: z\r" + "\r"               a CR at the very end ends its line (L3)
#   "data: a"                        no line end: nothing (L4)
#   (no chunks)
#   "" + "data: x\n\n" + ""
#   "data: x\n\n", members in another order, an extra member
#   (no chunks), a case name that needs escaping
{
  echo "= $HELLO"
  echo '= {"case":"crlf/split-between-cr-and-lf","records":[{"kind":"event","type":"message","data":"a","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"all-kinds","records":[{"kind":"retry","ms":1000},{"kind":"comment","text":" c"},{"kind":"event","type":"foo","data":"x\u000ay","lastEventId":"42"},{"kind":"end","lastEventId":"42"}]}'
  echo '= {"case":"controls","records":[{"kind":"event","type":"message","data":"a\u0000b\u0001\u001f\u007f","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  printf '%s\357\277\275\357\277\275%s\n' '= {"case":"invalid-utf8","records":[{"kind":"event","type":"message","data":"' '","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"bom-split","records":[{"kind":"event","type":"message","data":"x","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"id-persists","records":[{"kind":"event","type":"message","data":"a","lastEventId":"1"},{"kind":"event","type":"message","data":"b","lastEventId":"1"},{"kind":"end","lastEventId":"1"}]}'
  echo '= {"case":"fresh-1","records":[{"kind":"end","lastEventId":"5"}]}'
  echo '= {"case":"fresh-2","records":[{"kind":"end","lastEventId":""}]}'
  printf '%s\303\251%s\n' '= {"case":"quote-backslash","records":[{"kind":"event","type":"message","data":"\"q\" \\ ' '","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"cr-at-end","records":[{"kind":"event","type":"message","data":"z","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"no-final-line-end","records":[{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"empty","records":[{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"empty-chunks","records":[{"kind":"event","type":"message","data":"x","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  echo '= {"case":"order","records":[{"kind":"event","type":"message","data":"x","lastEventId":""},{"kind":"end","lastEventId":""}]}'
  printf '%s\303\251%s\n' '= {"case":"name \"q\" \\ \u0001 ' '","records":[{"kind":"end","lastEventId":""}]}'
} >"$TMP/want"
"$ADAPTER" <"$TMP/req" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "records: exit status $rc, want 0"
check records "$TMP/want" "$TMP/got"

# ------------------------------------------------ malformed requests
# Each gets one error response, under its case name when it could be read,
# and the adapter goes on (the good requests between them still work). The
# last line has no '\n' before end of input, and is still a request.
cat >"$TMP/req" <<'EOF'
not json
{"case": "ok-1", "chunks": ["ZGF0YTogeAoK"]}
{"case": "no-chunks"}
{"case": "bad-base64", "chunks": ["ZGF0YTogeAoK", "@@@@"]}
{"case": "bad-padding", "chunks": ["Zg="]}
{"case": "chunks-not-array", "chunks": "Zg=="}
{"case": "chunk-not-string", "chunks": [1]}
{"case": 5, "chunks": []}
{"chunks": []}
["case", "chunks"]

{"case": "truncated", "chunks": ["Zg=="
{"case": "dup", "case": "dup", "chunks": []}
{"case": "lone \ud800", "chunks": []}
{"case": "ok-2", "chunks": ["ZGF0YTogeAoK"]}
EOF
printf '%s' '{"case": "ok-3", "chunks": ["ZGF0YTogeAoK"]}' >>"$TMP/req"
OK_RECORDS='"records":[{"kind":"event","type":"message","data":"x","lastEventId":""},{"kind":"end","lastEventId":""}]}'
{
  echo "= $HELLO"
  echo '~ {"case":"","error":"'
  echo "= {\"case\":\"ok-1\",$OK_RECORDS"
  echo '~ {"case":"no-chunks","error":"'
  echo '~ {"case":"bad-base64","error":"'
  echo '~ {"case":"bad-padding","error":"'
  echo '~ {"case":"chunks-not-array","error":"'
  echo '~ {"case":"chunk-not-string","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo '~ {"case":"","error":"'
  echo "= {\"case\":\"ok-2\",$OK_RECORDS"
  echo "= {\"case\":\"ok-3\",$OK_RECORDS"
} >"$TMP/want"
"$ADAPTER" <"$TMP/req" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "malformed: exit status $rc, want 0"
check malformed "$TMP/want" "$TMP/got"
# the messages say what was wrong
grep -q '"case":"bad-base64","error":".*chunks\[1\].*base64' "$TMP/got" ||
  fail "malformed: the bad base64 message does not name chunks[1]"
grep -q '"case":"no-chunks","error":".*chunks' "$TMP/got" ||
  fail "malformed: the missing chunks message does not say chunks"

# ---------------------------------------------------- limits and size
# A parser limit failure is an error response with the parser's message;
# the next request, on a fresh stream, works. A request line over
# --max-line is answered with an error under its case id and skipped.
LONG=$(awk 'BEGIN { s = ""; for (i = 0; i < 300; i++) s = s "A"; print s }')
{
  # "data: " + 100 x + "\n\n": over a limit of 16 bytes
  echo '{"case": "over-limit", "chunks": ["ZGF0YTogeHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eHh4eAoK"]}'
  echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}'
  echo "{\"case\": \"long\", \"chunks\": [\"$LONG\"]}"
  echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}'
} >"$TMP/req"
{
  echo "= $HELLO"
  echo '~ {"case":"over-limit","error":"'
  echo "= {\"case\":\"ok\",$OK_RECORDS"
  echo '~ {"case":"long","error":"'
  echo "= {\"case\":\"ok\",$OK_RECORDS"
} >"$TMP/want"
"$ADAPTER" --limit 16 --max-line 200 <"$TMP/req" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "limits: exit status $rc, want 0"
check limits "$TMP/want" "$TMP/got"

# ------------------------------------------------- the request line bound
# --max-line 64: a line of exactly 64 bytes is a request, one of 65 is
# answered with an error naming both numbers, under the case id when the
# line starts with {"case": and a whole string (escapes decoded, JSON
# whitespace allowed), else under "" with the message on stderr too. The
# adapter goes on after each.
X24=xxxxxxxxxxxxxxxxxxxxxxxx
PAD=AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA
ID5000=$(awk 'BEGIN { s = ""; for (i = 0; i < 5000; i++) s = s "i"; print s }')
{
  printf '{"case": "%s", "chunks": ["ZGF0YTogeAoK"]}\n' "$X24"
  printf '{"case": "%sy", "chunks": ["ZGF0YTogeAoK"]}\n' "$X24"
  printf '{ "case" :"q\\"\\u00e9\\\\","chunks": ["%s"]}\n' "$PAD"
  printf '{"chunks": ["%s"], "case": "later"}\n' "$PAD"
  printf '{"case": 5, "chunks": ["%s"]}\n' "$PAD"
  printf '{"case": "%s", "chunks": []}\n' "$ID5000"
  echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}'
} >"$TMP/req"
{
  echo "= $HELLO"
  echo "= {\"case\":\"$X24\",$OK_RECORDS"
  echo "= {\"case\":\"${X24}y\",\"error\":\"request line of 65 bytes is longer than the limit of 64 bytes\"}"
  printf '%s\303\251%s\n' '= {"case":"q\"' '\\","error":"request line of 103 bytes is longer than the limit of 64 bytes"}'
  echo '= {"case":"","error":"request line of 97 bytes is longer than the limit of 64 bytes"}'
  echo '= {"case":"","error":"request line of 91 bytes is longer than the limit of 64 bytes"}'
  echo '= {"case":"","error":"request line of 5026 bytes is longer than the limit of 64 bytes"}'
  echo "= {\"case\":\"ok\",$OK_RECORDS"
} >"$TMP/want"
"$ADAPTER" --max-line 64 <"$TMP/req" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "max-line: exit status $rc, want 0"
check max-line "$TMP/want" "$TMP/got"
[ "$(grep -c 'longer than the limit of 64 bytes (no case id at its start' "$TMP/err")" -eq 3 ] ||
  fail "max-line: stderr does not say so for the three lines without a case id at the start"
# the default bound, 512 MiB (the @bytes request of a 64 MiB case: 448 MiB)
"$ADAPTER" --help | grep -q 'request line accepted (default 536870912' ||
  fail "max-line: --help does not give the default of 536870912 bytes"

# Memory stays within the bound: with --max-line 1 MiB, a 64 MiB request
# line is skipped while it is read, never held. The adapter's peak resident
# size (VmHWM, Linux) grows by far less than the line after the first
# request.
if [ -r /proc/self/status ] && command -v mkfifo >/dev/null; then
  mkfifo "$TMP/fifo"
  "$ADAPTER" --max-line 1048576 <"$TMP/fifo" >"$TMP/got" 2>"$TMP/err" &
  pid=$!
  exec 3>"$TMP/fifo"
  # lines N: wait (up to 60 s) until the adapter has written N lines
  lines() {
    i=0
    while [ "$(wc -l <"$TMP/got")" -lt "$1" ] && [ $i -lt 600 ]; do
      sleep 0.1
      i=$((i + 1))
    done
  }
  hwm() { awk '/^VmHWM:/ { print $2 }' "/proc/$pid/status"; }
  echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}' >&3
  lines 2
  before=$(hwm)
  {
    printf '{"case": "huge", "chunks": ["'
    head -c 67108864 /dev/zero | tr '\0' A
    printf '"]}\n'
    echo '{"case": "ok", "chunks": ["ZGF0YTogeAoK"]}'
  } >&3
  lines 4
  after=$(hwm)
  exec 3>&-
  wait $pid
  rc=$?
  [ $rc -eq 0 ] || fail "bounded memory: exit status $rc, want 0"
  {
    echo "= $HELLO"
    echo "= {\"case\":\"ok\",$OK_RECORDS"
    echo '= {"case":"huge","error":"request line of 67108896 bytes is longer than the limit of 1048576 bytes"}'
    echo "= {\"case\":\"ok\",$OK_RECORDS"
  } >"$TMP/want"
  check bounded-memory "$TMP/want" "$TMP/got"
  if [ -z "$before" ] || [ -z "$after" ] || [ $((after - before)) -gt 16384 ]; then
    fail "bounded memory: the peak resident size grew from ${before:-?} to ${after:-?} KiB for a 64 MiB line over a 1 MiB bound"
  fi
else
  echo "adapter_smoke: no /proc or mkfifo here: the memory bound is not measured"
fi

# -------------------------------------------------- byte by byte, large
# "data: " + 5000 x + "\n\n" with every byte its own chunk: one event.
awk 'BEGIN {
  printf "{\"case\": \"bytes\", \"chunks\": [\"ZA==\",\"YQ==\",\"dA==\",\"YQ==\",\"Og==\",\"IA==\"";
  for (i = 0; i < 5000; i++) printf ",\"eA==\"";
  printf ",\"Cg==\",\"Cg==\"]}\n";
}' >"$TMP/req"
X5000=$(awk 'BEGIN { s = ""; for (i = 0; i < 5000; i++) s = s "x"; print s }')
{
  echo "= $HELLO"
  echo "= {\"case\":\"bytes\",\"records\":[{\"kind\":\"event\",\"type\":\"message\",\"data\":\"$X5000\",\"lastEventId\":\"\"},{\"kind\":\"end\",\"lastEventId\":\"\"}]}"
} >"$TMP/want"
"$ADAPTER" <"$TMP/req" >"$TMP/got" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "bytes: exit status $rc, want 0"
check bytes "$TMP/want" "$TMP/got"

# ----------------------------------------------------------- arguments
"$ADAPTER" --bogus </dev/null >"$TMP/got" 2>"$TMP/err"
[ $? -eq 2 ] || fail "arguments: an unknown option does not exit 2"
[ -s "$TMP/got" ] && fail "arguments: an unknown option wrote to stdout"
"$ADAPTER" --limit 0 </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || fail "arguments: --limit 0 does not exit 2"
# no input: the hello line only, status 0
"$ADAPTER" </dev/null >"$TMP/got" 2>"$TMP/err"
[ $? -eq 0 ] || fail "empty input: exit status is not 0"
echo "= $HELLO" >"$TMP/want"
check empty-input "$TMP/want" "$TMP/got"

if [ $FAILED -ne 0 ]; then
  echo "adapter_smoke: FAILED" >&2
  exit 1
fi
echo "adapter_smoke: all checks passed"
