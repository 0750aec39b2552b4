#!/bin/sh
# Starts greeter_server on a free port, runs greeter_client against it,
# prints the reply, and stops the server cleanly.
#   run_demo.sh <dir with greeter_server and greeter_client> [name]
set -eu
bin=$1
name=${2:-world}
log=$(mktemp)
trap 'rm -f "$log"' EXIT

"$bin/greeter_server" 127.0.0.1:0 >"$log" 2>&1 &
server=$!
address=""
for _ in $(seq 1 100); do
  address=$(sed -n 's/^greeter_server listening on //p' "$log")
  [ -n "$address" ] && break
  if ! kill -0 "$server" 2>/dev/null; then break; fi
  sleep 0.1
done
if [ -z "$address" ]; then
  echo "greeter_server did not start:" >&2
  cat "$log" >&2
  kill "$server" 2>/dev/null || true
  exit 1
fi
echo "server: listening on $address"
status=0
reply=$("$bin/greeter_client" "$address" "$name") || status=$?
echo "client: $reply"
kill -TERM "$server"
wait "$server" || status=$?
sed 's/^/server: /' "$log" | grep -v "listening on"
exit $status
