#!/bin/sh
# Checks that protoc-gen-ferry reserves every name the runtime's headers
# declare at namespace scope (in ferry, ferry::impl, ferry::internal): a
# service in `package ferry;` named like one of them must be escaped, so
# compiler/names.cc lists them all.
#   runtime_names_check.sh <source dir>
# Namespace-scope declarations are the ones that start in column 0 (the
# headers are clang-formatted, Google style: namespaces do not indent).
set -eu
cd "$1"
names=$(
  find runtime/include/ferry -name '*.h' | LC_ALL=C sort | xargs cat |
    sed -n \
      -e 's/^\(class\|struct\|union\|enum class\|enum\) \([A-Za-z_][A-Za-z0-9_]*\).*/\2/p' \
      -e 's/^using \([A-Za-z_][A-Za-z0-9_]*\) =.*/\1/p' \
      -e '/^\(namespace\|class\|struct\|union\|enum\|using\|template\|typedef\|extern\)[ <]/d' \
      -e '/^[A-Za-z]/{
            :strip
            s/<[^<>]*>//g
            t strip
            s/^[^(]*[^A-Za-z0-9_(]\([A-Za-z_][A-Za-z0-9_]*\)(.*/\1/p
          }' |
    LC_ALL=C sort -u
)
missing=0
for name in $names; do
  if ! grep -q "\"$name\"" compiler/names.cc; then
    echo "compiler/names.cc does not reserve runtime name $name" >&2
    missing=1
  fi
done
[ -n "$names" ] || { echo "found no runtime names" >&2; exit 1; }
echo "$(echo "$names" | wc -l) runtime names checked"
exit $missing
