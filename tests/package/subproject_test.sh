#!/bin/sh
# Uses Ferry through add_subdirectory(): the targets and ferry_generate()
# work, and Ferry adds no install rules.
#   subproject_test.sh <source dir> <scratch dir>
set -eu
src=$1
work=$2
rm -rf "$work"
mkdir -p "$work"
cmake -S "$src/tests/package/subproject" -B "$work/build" -G Ninja \
  -DFERRY_SOURCE_DIR="$src"
# Generating code builds the plugin from source and runs it.
ninja -C "$work/build" greeter_client_ferry_gen/greeter.ferry.cc
test -f "$work/build/greeter_client_ferry_gen/greeter.ferry.h"
cmake --install "$work/build" --prefix "$work/prefix" >/dev/null
if [ -n "$(find "$work/prefix" -type f 2>/dev/null)" ]; then
  echo "Ferry installed files as a subproject:" >&2
  find "$work/prefix" -type f >&2
  exit 1
fi
