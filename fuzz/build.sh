#!/bin/bash -eu
# fuzz/build.sh - build every fuzz target the OSS-Fuzz / ClusterFuzzLite way.
#
# Uses the variables those builders set:
#   CC, CFLAGS            the compiler and its flags (sanitizer, coverage)
#   CXX, CXXFLAGS         used to link when CXX is set (OSS-Fuzz links with it)
#   LIB_FUZZING_ENGINE    the fuzzing engine to link (-fsanitize=fuzzer, or a library)
#   OUT                   where the targets go
# and writes, for each target T in parse split diff:
#   $OUT/T                   the fuzz target
#   $OUT/T_seed_corpus.zip   seeds generated from corpus/cases, plus corpus/regressions/T
#   $OUT/T.dict, $OUT/T.options
#
# Locally:
#   CC=clang CFLAGS="-fsanitize=address,fuzzer-no-link -g -O1" \
#   LIB_FUZZING_ENGINE=-fsanitize=fuzzer OUT=/tmp/out fuzz/build.sh
#
# SSESPEC_PARSER_SRC (default parser/sse.c) builds the targets against another
# copy of the parser (the tests use it to plant a bug). PYTHON (default
# /usr/bin/python3 if present, else python3) runs fuzz/make_seeds.py.

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
: "${CC:=clang}"
: "${CFLAGS:=}"
: "${LIB_FUZZING_ENGINE:=-fsanitize=fuzzer}"
: "${OUT:?OUT must name the output directory}"
PARSER_SRC="${SSESPEC_PARSER_SRC:-$ROOT/parser/sse.c}"
if [ -z "${PYTHON:-}" ]; then
  if [ -x /usr/bin/python3 ]; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
TARGETS="${SSESPEC_FUZZ_TARGETS:-parse split diff}"

mkdir -p "$OUT"
WORK="$(mktemp -d "${TMPDIR:-/tmp}/ssespec-fuzz-build.XXXXXX")"
trap 'rm -rf "$WORK"' EXIT

# shellcheck disable=SC2086  # CFLAGS is a list of flags
compile() { "$CC" $CFLAGS -std=c11 -I"$ROOT/parser" -I"$ROOT/fuzz" -I"$ROOT/fuzz/common" -c "$1" -o "$2"; }

compile "$PARSER_SRC" "$WORK/sse.o"
compile "$ROOT/fuzz/common/fuzz_common.c" "$WORK/fuzz_common.o"
# The literal implementation keeps its coverage counters (its branches are
# the standard's steps) but not comparison tracing, which costs the `diff`
# target a tenth of its speed and adds no constant the parser lacks. Only
# where the compiler knows the flag (clang).
LITERAL_FLAGS=()
if echo 'int x;' | "$CC" -fno-sanitize-coverage=trace-cmp -x c -c - -o /dev/null 2>/dev/null; then
  LITERAL_FLAGS=(-fno-sanitize-coverage=trace-cmp)
fi
# shellcheck disable=SC2086
"$CC" $CFLAGS "${LITERAL_FLAGS[@]}" -std=c11 -I"$ROOT/fuzz/literal" \
  -c "$ROOT/fuzz/literal/literal_sse.c" -o "$WORK/literal_sse.o"

if [ -n "${CXX:-}" ]; then
  LINK=("$CXX")
  read -r -a LINKFLAGS <<< "${CXXFLAGS:-}"
else
  LINK=("$CC")
  read -r -a LINKFLAGS <<< "$CFLAGS"
fi
read -r -a ENGINE <<< "$LIB_FUZZING_ENGINE"

for t in $TARGETS; do
  compile "$ROOT/fuzz/$t.c" "$WORK/$t.o"
  objs=("$WORK/$t.o" "$WORK/fuzz_common.o" "$WORK/sse.o")
  if [ "$t" = diff ]; then objs+=("$WORK/literal_sse.o"); fi
  "${LINK[@]}" "${LINKFLAGS[@]}" "${objs[@]}" "${ENGINE[@]}" -o "$OUT/$t"
  cp "$ROOT/fuzz/$t.dict" "$OUT/$t.dict"
  cp "$ROOT/fuzz/$t.options" "$OUT/$t.options"
done

target_args=()
for t in $TARGETS; do target_args+=(--target "$t"); done
"$PYTHON" "$ROOT/fuzz/make_seeds.py" --zip "$OUT" "${target_args[@]}"
