#!/bin/sh
# Checks the layer rule of docs/architecture.md: a runtime layer includes
# only headers of its own or lower layers, only the transport layer includes
# Asio (public headers only through ferry/impl/async.h, for completion
# tokens), and public headers include no runtime-internal header.
#   layering_check.sh <source dir>
set -eu
cd "$1/runtime"
rank() {
  case $1 in
    common) echo 0 ;; buffer) echo 1 ;; wire) echo 2 ;; transport) echo 3 ;;
    session) echo 4 ;; dispatch) echo 5 ;; server | channel) echo 6 ;;
    *) echo 99 ;;
  esac
}
layers="common buffer wire transport session dispatch server channel"
failed=0
for layer in $layers; do
  own=$(rank "$layer")
  for file in src/$layer/*; do
    for dep in $(sed -n 's|^#include "\([a-z_]*\)/.*|\1|p' "$file" | sort -u); do
      case $dep in ferry | google | absl | boost) continue ;; esac
      r=$(rank "$dep")
      if [ "$r" -gt "$own" ] || { [ "$r" -eq "$own" ] && [ "$dep" != "$layer" ]; }; then
        echo "$file: layer $layer includes $dep/ (not below it)" >&2
        failed=1
      fi
    done
    if [ "$layer" != transport ] && grep -q '#include <boost/' "$file"; then
      echo "$file: only the transport layer may include Asio" >&2
      failed=1
    fi
  done
done
if grep -rn '#include "\(common\|buffer\|wire\|transport\|session\|dispatch\|server\|channel\)/' include; then
  echo "public headers include runtime-internal headers" >&2
  failed=1
fi
# The public API reaches Asio only for completion tokens, in one header.
if grep -rln '#include <boost/' include | grep -v '^include/ferry/impl/async.h$'; then
  echo "public headers other than ferry/impl/async.h include Boost" >&2
  failed=1
fi
exit $failed
