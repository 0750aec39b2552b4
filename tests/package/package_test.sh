#!/bin/sh
# Installs Ferry from the build tree into a fresh prefix, builds
# examples/helloworld and examples/greeter_mock against that installed tree
# as separate CMake projects (with warnings as errors), and runs them.
#   package_test.sh <source dir> <build dir> <scratch dir>
set -eu
src=$1
build=$2
work=$3
rm -rf "$work"
mkdir -p "$work"

cmake --install "$build" --prefix "$work/prefix" >"$work/install.log"
test -f "$work/prefix/lib/cmake/Ferry/FerryConfig.cmake"
test -f "$work/prefix/lib/cmake/Ferry/FerryConfigVersion.cmake"
test -x "$work/prefix/bin/protoc-gen-ferry"
test -f "$work/prefix/include/ferry/ferry.h"
test -f "$work/prefix/include/ferry/impl/README.md"

cmake -S "$src/examples/helloworld" -B "$work/helloworld" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror"
cmake --build "$work/helloworld"
# The consumer used the installed plugin, not the one in the build tree.
grep -q "$work/prefix/bin/protoc-gen-ferry" "$work/helloworld/build.ninja"

"$src/examples/helloworld/run_demo.sh" "$work/helloworld" "package test" \
  | tee "$work/demo.log"
grep -q "Hello, package test!" "$work/demo.log"

# ferry_generate(MOCKS) from the installed package, with GoogleTest.
cmake -S "$src/examples/greeter_mock" -B "$work/greeter_mock" -G Ninja \
  -DCMAKE_PREFIX_PATH="$work/prefix" \
  -DCMAKE_CXX_FLAGS="-Wall -Wextra -Wpedantic -Werror"
cmake --build "$work/greeter_mock"
test -f "$work/greeter_mock/receptionist_ferry_gen/greeter.ferry_mock.h"
ctest --test-dir "$work/greeter_mock" --output-on-failure
