#!/bin/sh
# producer_encode.sh ADAPTER - ssespec-producer-adapter's encode requests.
#
# Pipes request lines into the adapter (without --serve) and checks each
# response line: the hello line; for every accepted request the bytes,
# base64-decoded, against the bytes written here by hand from the
# event-stream format (injection attempts stay inside their data lines,
# NUL is carried in data, an empty id is written, leading spaces are kept);
# for every refused or malformed request an error under its case id (the
# first words of the message, whose rest is free); a stream command and an
# overlong line answered under their ids; exit status 0 when stdin closes.
set -u
ADAPTER=$1
TMP=${TMPDIR:-/tmp}/ssespec-producer-encode.$$
mkdir -p "$TMP" || exit 2
trap 'rm -rf "$TMP"' EXIT
FAILED=0

fail() {
  echo "FAIL: $*" >&2
  FAILED=1
}

cat >"$TMP/req" <<'EOF'
{"case": "plain", "messages": [{"data": "hello"}]}
{"case": "inject/cr-in-data", "messages": [{"data": "x\revent: evil"}]}
{"case": "inject/crlf-in-data", "messages": [{"data": "a\r\n\r\ndata: forged\r\nid: 9"}]}
{"case": "trailing-lf", "messages": [{"data": "x\n"}]}
{"case": "nul", "messages": [{"data": "a\u0000b", "event": "t\u0000"}, {"comment": "\u0000"}]}
{"case": "empty-id", "messages": [{"data": "x", "id": ""}]}
{"case": "spaces", "messages": [{"data": "  a", "event": " t", "id": " 1", "retry": 0}]}
{"case": "comment-retry", "messages": [{"comment": " keep\r\nalive\r"}, {"retry": 18446744073709551615}, {"data": ""}]}
{"case": "bom-ls", "messages": [{"data": "\ufeffx", "id": "\u2028"}]}
{"case": "none", "messages": []}
{"case": "refuse/cr-in-event", "messages": [{"data": "x", "event": "a\rdata: forged"}]}
{"case": "refuse/lf-in-id", "messages": [{"data": "x", "id": "1\n\ndata: forged"}]}
{"case": "refuse/nul-in-id", "messages": [{"data": "x", "id": "a\u0000"}]}
{"case": "refuse/second", "messages": [{"data": "ok"}, {"data": "x", "event": "\n"}]}
{"case": "bad/member", "messages": [{"data": "x", "ids": "1"}]}
{"case": "bad/retry", "messages": [{"retry": 1.5}]}
{"case": "bad/id-alone", "messages": [{"id": "1"}]}
{"case": "bad/type", "messages": [{"data": 1}]}
{"case": "bad/messages", "messages": {}}
{"case": "bad/json", "messages": [
{"cmd": "send", "stream": "s1", "messages": [{"data": "x"}]}
EOF

"$ADAPTER" <"$TMP/req" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "exit status $rc, want 0"

HELLO='{"hello":{"name":"ssespec-reference","version":"1.0.0","fields":["data","event","id","retry","comment"],"encode":true}}'
[ "$(sed -n 1p "$TMP/out")" = "$HELLO" ] || fail "hello line: $(sed -n 1p "$TMP/out")"
[ "$(wc -l <"$TMP/out")" -eq 22 ] || fail "$(wc -l <"$TMP/out") lines, want 22 (hello + 21)"

# bytes NAME PRINTF_FORMAT: the response to NAME is {"case":NAME,"bytes":B}
# and B decodes to the bytes printf writes.
bytes() {
  line=$(grep -F "{\"case\":\"$1\"," "$TMP/out")
  b64=$(printf '%s\n' "$line" | sed -n 's/^{"case":"[^"]*","bytes":"\([A-Za-z0-9+/=]*\)"}$/\1/p')
  if [ -z "$line" ] || { [ -z "$b64" ] && [ "$line" != "{\"case\":\"$1\",\"bytes\":\"\"}" ]; }; then
    fail "$1: not a bytes response: $line"
    return
  fi
  printf '%s' "$b64" | base64 -d >"$TMP/got" || fail "$1: bad base64"
  # shellcheck disable=SC2059  # the format is the expectation
  printf "$2" >"$TMP/want"
  cmp -s "$TMP/got" "$TMP/want" || fail "$1: bytes differ
  got  $(od -c "$TMP/got" | head -5)
  want $(od -c "$TMP/want" | head -5)"
}

# error NAME PREFIX: the response to NAME is {"case":NAME,"error":"PREFIX...
error() {
  line=$(grep -F "{\"case\":\"$1\"," "$TMP/out")
  case $line in
  "{\"case\":\"$1\",\"error\":\"$2"*) ;;
  *) fail "$1: got $line
  want {\"case\":\"$1\",\"error\":\"$2..." ;;
  esac
}

bytes plain 'data: hello\n\n'
bytes inject/cr-in-data 'data: x\ndata: event: evil\n\n'
bytes inject/crlf-in-data 'data: a\ndata:\ndata: data: forged\ndata: id: 9\n\n'
bytes trailing-lf 'data: x\ndata:\n\n'
bytes nul 'event: t\000\ndata: a\000b\n\n:\000\n'
bytes empty-id 'id:\ndata: x\n\n'
bytes spaces 'event:  t\nid:  1\nretry: 0\ndata:   a\n\n'
bytes comment-retry ': keep\n:alive\n:\nretry: 18446744073709551615\ndata:\n\n'
bytes bom-ls 'id: \342\200\250\ndata: \357\273\277x\n\n'
bytes none ''
error refuse/cr-in-event 'messages[0]: event type holds a CR (U+000D) at byte 1'
error refuse/lf-in-id 'messages[0]: id holds an LF (U+000A) at byte 1'
error refuse/nul-in-id 'messages[0]: id holds U+0000 NULL at byte 1'
error refuse/second 'messages[1]: event type holds an LF (U+000A) at byte 0'
error bad/member "request's messages[0] has a member \\\"ids\\\""
error bad/retry "request's messages[0] has a \\\"retry\\\" that is not an integer"
error bad/id-alone "request's messages[0] has \\\"id\\\" but no \\\"data\\\""
error bad/type "request's messages[0] has a \\\"data\\\" that is a number"
error bad/messages "request's \\\"messages\\\" is a object, not an array"
error bad/json 'request is not valid JSON'
grep -qxF '{"stream":"s1","kind":"failure","message":"no streams are served (the adapter runs without --serve)"}' "$TMP/out" ||
  fail "a send without --serve: no failure report for s1"

# A line over --max-line is dropped and answered under the id its first
# bytes show; one without an id only on stderr; the next line is served.
{
  printf '{"case": "long", "messages": [{"data": "%0200d"}]}\n' 0
  printf '{"stream": "s9", "cmd": "send", "messages": [{"data": "%0200d"}]}\n' 0
  printf '[%0200d]\n' 0
  printf '{"case": "after", "messages": [{"retry": 5}]}'
} >"$TMP/long"
"$ADAPTER" --max-line 100 <"$TMP/long" >"$TMP/out" 2>"$TMP/err"
rc=$?
[ $rc -eq 0 ] || fail "--max-line: exit status $rc, want 0"
error long 'request line of 244 bytes is longer than the limit of 100 bytes'
grep -qF '{"stream":"s9","kind":"failure","message":"request line of 259 bytes is longer' "$TMP/out" ||
  fail "--max-line: no failure report for s9: $(cat "$TMP/out")"
grep -qF 'request line of 202 bytes is longer than the limit of 100 bytes (no case or stream id' "$TMP/err" ||
  fail "--max-line: nothing on stderr for the line without an id: $(cat "$TMP/err")"
bytes after 'retry: 5\n' # the last line, without its LF
[ "$(wc -l <"$TMP/out")" -eq 4 ] || fail "--max-line: $(wc -l <"$TMP/out") lines, want 4"

# Bad arguments: exit status 2.
"$ADAPTER" --port 1 </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || fail "--port without --serve: not exit status 2"
"$ADAPTER" --max-line 0 </dev/null >/dev/null 2>&1
[ $? -eq 2 ] || fail "--max-line 0: not exit status 2"

if [ $FAILED -ne 0 ]; then
  echo "producer_encode.sh: FAILED" >&2
  exit 1
fi
echo "producer_encode.sh: all checks passed"
