#!/usr/bin/env bash
# The `crud` program as scripts/demo runs it, with curl: start-up on the database given (schema
# created), create/read/patch/list/delete, a bad --db refused, then SIGTERM and exit status 0.
# With --workers 2 it forks, and each worker makes its own client after the fork. CORS is on for
# one origin (--cors-origins): a preflight from it passes, one from another is refused; request ids
# are echoed.
# Usage: crud_binary.sh path/to/crud pg|mongo [workers]
set -euo pipefail
crud=$1 db=$2 workers=${3:-1}
table=notes_bin$$
# PostgreSQL: a table per run, dropped at the end; MongoDB: one collection that the run leaves
# empty (the test deletes what it creates), so runs do not pile collections up.
[ "$db" = mongo ] && table=notes_bin
source "$(dirname "$0")/../support/crud_process.sh"
fail() { echo "FAIL: $*" >&2; [ -z "${crud_log:-}" ] || cat "$crud_log" >&2; exit 1; }

# A database that is not pg or mongo: a clear refusal.
if refusal=$("$crud" --db oracle 2>&1 > /dev/null); then fail "--db oracle was accepted"; fi
[ -n "$refusal" ] || fail "--db oracle was refused without a message"

start_crud "$crud" "$db" "$table" --workers "$workers" \
  --cors-origins https://notes.example,http://localhost:3000
base=$crud_base pid=$crud_pid

json() { python3 -c "import json,sys; d=json.load(sys.stdin); print($1)"; }
created=$(curl -s -X POST "$base/notes" -H 'Content-Type: application/json' \
  -d '{"slug": "from-curl-'$$'", "title": "From curl", "tags": ["cli"]}')
id=$(echo "$created" | json 'd["id"]') || fail "create: $created"
[ "$(curl -s "$base/notes/$id" | json 'd["title"]')" = "From curl" ] || fail "read back"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH "$base/notes/$id" \
  -H 'Content-Type: application/json' -H 'If-Match: "1"' -d '{"done": true}')
[ "$code" = 200 ] || fail "patch: $code"
code=$(curl -s -o /dev/null -w '%{http_code}' -X PATCH "$base/notes/$id" \
  -H 'Content-Type: application/json' -H 'If-Match: "1"' -d '{"done": false}')
[ "$code" = 412 ] || fail "stale patch: $code"
[ "$(curl -s "$base/notes?tag=cli&done=true" | json 'len(d["items"])')" = 1 ] || fail "list"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST "$base/notes" -H 'Content-Type: application/json' \
  -d '{"slug": "from-curl-'$$'", "title": "again"}')
[ "$code" = 409 ] || fail "duplicate slug: $code"
curl -s "$base/metrics" | grep -q '^gale_pool_' || fail "/metrics has no pool gauges"
headers=$(curl -s -o /dev/null -D - -X OPTIONS "$base/notes/$id" -H 'Origin: http://localhost:3000' \
  -H 'Access-Control-Request-Method: PATCH' -H 'Access-Control-Request-Headers: content-type, if-match')
echo "$headers" | grep -q '^HTTP/1.1 204' || fail "preflight: $headers"
echo "$headers" | grep -qi '^Access-Control-Allow-Origin: http://localhost:3000' || fail "ACAO: $headers"
headers=$(curl -s -o /dev/null -D - -X OPTIONS "$base/notes" -H 'Origin: https://evil.example' \
  -H 'Access-Control-Request-Method: POST')
echo "$headers" | grep -q '^HTTP/1.1 403' || fail "refused preflight: $headers"
echo "$headers" | grep -qi '^Access-Control-Allow-Origin' && fail "ACAO for a refused origin"
headers=$(curl -s -o /dev/null -D - "$base/notes/$id" -H 'Origin: https://notes.example' \
  -H 'X-Request-Id: from-curl-42')
echo "$headers" | grep -qi '^Access-Control-Allow-Origin: https://notes.example' || fail "GET ACAO"
echo "$headers" | grep -qi '^Access-Control-Expose-Headers: ETag' || fail "exposed: $headers"
echo "$headers" | grep -qi '^X-Request-Id: from-curl-42' || fail "request id: $headers"
code=$(curl -s -o /dev/null -w '%{http_code}' -X DELETE "$base/notes/$id")
[ "$code" = 204 ] || fail "delete: $code"
[ "$(curl -s -o /dev/null -w '%{http_code}' "$base/notes/$id")" = 404 ] || fail "gone"

kill -TERM "$pid"
set +e
wait "$pid"
rc=$?
set -e
[ "$rc" = 0 ] || fail "exit status $rc after SIGTERM"
echo "crud on $db (workers $workers): ok"
