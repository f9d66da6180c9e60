#!/bin/bash -eu
# ClusterFuzzLite / OSS-Fuzz build entry point: the builder sets CC, CFLAGS,
# CXX, CXXFLAGS, LIB_FUZZING_ENGINE and OUT; fuzz/build.sh uses exactly those
# and writes every target of fuzz/targets.txt with its seed corpus,
# dictionary and options into $OUT.
cd "$SRC/ssespec"
# The image's Python 3 (fuzz/make_seeds.py needs 3.8 or later).
export PYTHON="${PYTHON:-$(command -v python3)}"
bash fuzz/build.sh
