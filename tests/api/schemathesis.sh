#!/usr/bin/env bash
# schemathesis (not ours) against the running notes API, from the API's own /openapi.json, on the
# database given: every response must match the document (status, content type, body schema,
# headers), no 5xx, negative data refused, stateful sequences (create, then read, change, delete
# what was created) included; a bounded number of examples per operation.
# Two checks are left out, on purpose: positive_data_acceptance (a request valid by the schema may
# still be refused: a stale If-Match is 412, a forged opaque cursor 400, and no schema can say so)
# and unsupported_method (an unknown method such as QUERY is 400 from the HTTP parser, before any
# route: the web layer's business, not the document's).
# Usage: schemathesis.sh path/to/crud pg|mongo [examples per operation, 5]
set -euo pipefail
source "$(dirname "$0")/../../scripts/common.sh"
crud=$1 db=$2 examples=${3:-5}
st=$GALE_STATE_DIR/venv-test/bin/schemathesis
if [ ! -x "$st" ]; then
  echo "SKIPPED: no schemathesis in $GALE_STATE_DIR/venv-test (run scripts/install-deps)"
  exit 77
fi
# PostgreSQL: a table per run, dropped at the end; MongoDB: one collection for every run, so that
# runs do not pile collections up (what a run creates stays; slugs are drawn at random).
table=notes_st$$
[ "$db" = mongo ] && table=notes_st
source "$(dirname "$0")/../support/crud_process.sh"
start_crud "$crud" "$db" "$table" --live false
scratch=$(mktemp -d)  # schemathesis keeps its .schemathesis/ where it runs
trap 'stop_crud; rm -rf "$scratch"' EXIT
base=$crud_base
cd "$scratch"
"$st" run "$base/openapi.json" --checks all \
  --exclude-checks positive_data_acceptance,unsupported_method \
  --max-examples "$examples" --generation-deterministic --request-timeout 10 --warnings off
