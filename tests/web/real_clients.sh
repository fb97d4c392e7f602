#!/usr/bin/env bash
# curl and Python's http.client against the hello example: JSON, keep-alive, HEAD, errors, then
# SIGTERM and exit status 0. Usage: real_clients.sh path/to/hello
set -euo pipefail
hello=$1
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
log=$(mktemp)
"$hello" --port "$port" --address 127.0.0.1 2> "$log" &
pid=$!
trap 'kill $pid 2> /dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 100); do
  curl -s -o /dev/null "http://127.0.0.1:$port/" && break
  sleep 0.05
done
fail() { echo "FAIL: $*" >&2; cat "$log" >&2; exit 1; }

# curl: a body, an error envelope, HEAD, two requests on one connection.
body=$(curl -s "http://127.0.0.1:$port/?name=curl")
[ "$body" = '{"hello":"curl"}' ] || fail "curl body: $body"
code=$(curl -s -o /tmp/gale-rc-$$ -w '%{http_code}' "http://127.0.0.1:$port/missing")
[ "$code" = 404 ] || fail "curl 404: $code"
grep -q '"status":404' /tmp/gale-rc-$$ || fail "curl 404 envelope: $(cat /tmp/gale-rc-$$)"
rm -f /tmp/gale-rc-$$
curl -sI "http://127.0.0.1:$port/" | grep -qi '^content-length: 17' || fail "curl HEAD"
reused=$(curl -sv "http://127.0.0.1:$port/" "http://127.0.0.1:$port/" 2>&1 | grep -c 'Re-using existing connection' || true)
[ "$reused" -ge 1 ] || fail "curl did not reuse the connection"
code=$(curl -s -o /dev/null -w '%{http_code}' -X POST -H 'Expect: 100-continue' --data-binary @- "http://127.0.0.1:$port/" <<< '{"a": 1}')
[ "$code" = 405 ] || fail "curl POST: $code"

# Python's http.client: keep-alive over several requests, headers, JSON.
python3 - "$port" <<'PY' || fail "python http.client"
import http.client, json, sys
port = int(sys.argv[1])
conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
for i in range(50):
    conn.request("GET", f"/?name=py{i}")
    r = conn.getresponse()
    body = r.read()
    assert r.status == 200, r.status
    assert json.loads(body) == {"hello": f"py{i}"}, body
    assert r.getheader("Content-Type") == "application/json"
    assert r.getheader("X-Request-Id")
sock = conn.sock
conn.request("GET", "/nope")
r = conn.getresponse()
err = json.loads(r.read())
assert r.status == 404 and err["error"]["status"] == 404, err
assert conn.sock is sock, "the connection was not kept alive"
conn.request("HEAD", "/")
r = conn.getresponse()
assert r.status == 200 and r.read() == b""
conn.close()
print("python ok")
PY

kill -TERM $pid
status=0
wait $pid || status=$?
[ "$status" = 0 ] || fail "hello exited with $status after SIGTERM"
grep -q 'graceful shutdown' "$log" || fail "no graceful shutdown in the log"
trap - EXIT
rm -f "$log"
