#!/bin/sh
# Builds the unit, integration and interop tests with ThreadSanitizer and
# runs them (all but the two that move gigabytes, which take minutes under
# TSan).
#   run_tsan.sh <source dir> <build dir>
set -eu
src=$1
build=$2
cmake -S "$src" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=Debug \
  -DFERRY_WERROR=ON -DFERRY_BUILD_BENCH=OFF -DFERRY_BUILD_EXAMPLES=OFF \
  -DCMAKE_CXX_FLAGS="-fsanitize=thread -O1 -g -Wno-tsan" >/dev/null
cmake --build "$build" --target ferry_unit_tests ferry_integration_tests \
  ferry_interop_tests
export TSAN_OPTIONS="suppressions=$src/tests/tsan.supp halt_on_error=1"
"$build/tests/ferry_unit_tests" --gtest_brief=1
"$build/tests/ferry_integration_tests" --gtest_brief=1 \
  --gtest_filter='-LargeMessageTest.OneGiB*:LargeMessageTest.TheLargest*'
"$build/tests/interop/ferry_interop_tests" --gtest_brief=1
echo "ThreadSanitizer: unit, integration and interop tests clean"
