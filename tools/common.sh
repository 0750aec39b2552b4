# Shared by tools/demo and tools/test: where things are and how to build.
root=$(cd "$(dirname "$0")/.." && pwd)
build=${FERRY_BUILD_DIR:-$root/build}
jobs=$(nproc 2>/dev/null || echo 2)

configure_and_build() {
  cmake -S "$root" -B "$build" -G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DFERRY_WERROR=ON "$@"
  cmake --build "$build" --parallel "$jobs"
}
