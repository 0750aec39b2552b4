#!/bin/sh
# Builds the frame decoder fuzzer with clang and runs it for a bounded time
# over the seed corpus (tests/fuzz/corpus). New inputs it finds go to a
# scratch directory, not into the repository. Exits 77 (skipped) without
# clang.
#   run.sh <source dir> <scratch dir> [seconds]
set -eu
src=$1
work=$2
seconds=${3:-20}
if ! command -v clang++ >/dev/null 2>&1; then
  echo "clang++ not found: fuzzer skipped"
  exit 77
fi
mkdir -p "$work"
cmake -S "$src/tests/fuzz" -B "$work/build" -G Ninja \
  -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=Release \
  -DFERRY_SOURCE_DIR="$src" >"$work/configure.log"
cmake --build "$work/build" >"$work/build.log"
rm -rf "$work/corpus"
mkdir -p "$work/corpus"
"$work/build/frame_decoder_fuzz" -max_total_time="$seconds" \
  -rss_limit_mb=1024 -max_len=300000 -print_final_stats=1 \
  "$work/corpus" "$src/tests/fuzz/corpus"
