#!/bin/sh
# Fails if any of Ferry's C++ sources is not clang-formatted.
#   format_check.sh <source dir>
set -eu
cd "$1"
files=$(find compiler runtime tests examples bench tools \
  \( -name '*.h' -o -name '*.cc' \) -not -path '*/build*' 2>/dev/null | sort)
clang-format --dry-run --Werror $files
