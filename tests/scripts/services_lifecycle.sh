#!/usr/bin/env bash
# scripts/services on a scratch state directory and ports of its own: start twice (the second is
# harmless and keeps the same processes), status, stop, and then nothing is left running.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd -P)
scratch=$(mktemp -d /tmp/gale-lifecycle.XXXXXX)
chmod 755 "$scratch"
export GALE_STATE_DIR=$scratch
export GALE_PG_PORT=$((29000 + RANDOM % 500))
export GALE_MONGO_PORT=$((29500 + RANDOM % 500))
export GALE_MONGO_JAVA_PORT=$((24500 + RANDOM % 500))
cleanup() {
  "$root/scripts/services" stop --quiet > /dev/null 2>&1 || true
  rm -rf "$scratch"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }

"$root/scripts/services" start > /dev/null 2>&1 || fail "first start"
pids_first=$(pgrep -f "$scratch" | sort | tr '\n' ' ')
[ -n "$pids_first" ] || fail "no process runs after start"
env_lines=$("$root/scripts/services" start --env 2> /dev/null) || fail "second start"
pids_second=$(pgrep -f "$scratch" | sort | tr '\n' ' ')
[ "$pids_first" = "$pids_second" ] || fail "the second start changed the processes"
grep -q "GALE_TEST_PG_URI='postgresql://gale:gale@127.0.0.1:$GALE_PG_PORT/gale'" <<< "$env_lines" ||
  fail "no PostgreSQL URI in: $env_lines"
grep -q "GALE_TEST_MONGO_URI='mongodb://127.0.0.1:$GALE_MONGO_PORT/'" <<< "$env_lines" ||
  fail "no MongoDB URI in: $env_lines"
grep -q "GALE_TEST_MONGO_JAVA_URI='mongodb://127.0.0.1:$GALE_MONGO_JAVA_PORT/'" <<< "$env_lines" ||
  fail "no mongo-java-server URI in: $env_lines"
"$root/scripts/services" status > /dev/null || fail "status says something is down"

"$root/scripts/services" stop > /dev/null 2>&1 || fail "stop"
left=$(pgrep -f "$scratch" || true)
[ -z "$left" ] || fail "processes left after stop: $left"
if "$root/scripts/services" status > /dev/null; then fail "status says running after stop"; fi
"$root/scripts/services" stop > /dev/null 2>&1 || fail "stop when stopped"
echo "services lifecycle: ok"
