#!/usr/bin/env bash
# tests/web/tls_scan.sh APP [full]: testssl.sh (Debian package testssl.sh) against gale's HTTPS
# server APP (tests/web/tls_app) with a throwaway certificate. Without `full` (the CTest test
# tls.testssl, about 30 s): the protocols offered and the cipher categories. With `full`
# (bench/web/tls_scan, up to two minutes): also forward secrecy, the ciphers of each protocol and
# the known vulnerabilities. Fails if a protocol below TLS 1.2 is offered, a weak cipher category
# is offered, or a check says VULNERABLE, and if the report lacks the lines that say TLS 1.2 and
# 1.3 are offered (a scan that could not reach the server proves nothing). The last full findings
# are in docs/reliability.md. Exits 77 (skipped) without testssl.
set -euo pipefail
app=$1 full=${2:-}
[ -x "$app" ] || { echo "no program at $app: cmake --build build --target tls_app" >&2; exit 1; }
command -v testssl > /dev/null || { echo "testssl is missing: scripts/install-deps" >&2; exit 77; }
tmp=$(mktemp -d)
pid=
cleanup() {
  [ -n "$pid" ] && kill "$pid" 2> /dev/null || true
  rm -rf "$tmp"
}
trap cleanup EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -nodes -days 2 \
  -subj /CN=localhost -addext subjectAltName=DNS:localhost,IP:127.0.0.1 \
  -keyout "$tmp/key.pem" -out "$tmp/cert.pem" 2> /dev/null
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
GALE_LOG_LEVEL=warning "$app" --port "$port" --address 127.0.0.1 \
  --certfile "$tmp/cert.pem" --keyfile "$tmp/key.pem" &
pid=$!
for _ in $(seq 100); do
  curl -sk -o /dev/null "https://127.0.0.1:$port/" && break
  sleep 0.05
done
checks=(--protocols --std)
[ "$full" = full ] && checks+=(--fs --each-cipher --vulnerable)
timeout 600 testssl --quiet --color 0 "${checks[@]}" --ip one "127.0.0.1:$port" | tee "$tmp/report.txt"
fail() { echo "FAIL: $*" >&2; exit 1; }
for p in 'TLS 1.2' 'TLS 1.3'; do
  grep -qE "^ $p +offered" "$tmp/report.txt" || fail "the report does not say $p is offered"
done
grep -qE 'Strong encryption \(AEAD ciphers\) +offered' "$tmp/report.txt" ||
  fail "the report does not say AEAD ciphers are offered"
for p in 'SSLv2' 'SSLv3' 'TLS 1 ' 'TLS 1.1'; do
  if grep -E "^ $p +offered" "$tmp/report.txt"; then fail "$p offered"; fi
done
if grep -E 'offered \(NOT ok\)' "$tmp/report.txt"; then fail "a weak cipher category is offered"; fi
if grep -E 'VULNERABLE' "$tmp/report.txt"; then fail "a vulnerability"; fi
echo "tls_scan: TLS 1.2 and 1.3 offered, nothing below, no weak cipher category" \
  "${full:+, no known vulnerability}"
