# Sourced by the tests that run the notes API (examples/crud) as a process, against the services of
# scripts/services (GALE_TEST_PG_URI, GALE_TEST_MONGO_URI).
#   start_crud CRUD pg|mongo TABLE [ARGS...]
# starts CRUD on a free loopback port with TABLE (a table per run on PostgreSQL) and ARGS, its
# standard error in $crud_log; sets crud_pid and crud_base; returns once /notes answers 200 (the
# schema is made), or fails with the log if CRUD exits or never answers. On exit, the process is
# stopped and the PostgreSQL table and its change log dropped.
: "${GALE_TEST_PG_URI:?start the services: eval \"\$(scripts/services start --env)\"}"
: "${GALE_TEST_MONGO_URI:?start the services}"

stop_crud() {
  kill "$crud_pid" 2> /dev/null || true
  wait "$crud_pid" 2> /dev/null || true
  if [ "$crud_db" = pg ]; then
    psql -X -q "$GALE_TEST_PG_URI" -c "DROP TABLE IF EXISTS $crud_table, ${crud_table}_changes,
      ${crud_table}_changes_pruned; DROP SEQUENCE IF EXISTS ${crud_table}_changes_seq;
      DROP FUNCTION IF EXISTS ${crud_table}_changes_write()" > /dev/null 2>&1 || true
  fi
  rm -f "$crud_log"
}

start_crud() {
  local crud=$1 port
  crud_db=$2 crud_table=$3
  shift 3
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  crud_log=$(mktemp)
  "$crud" --db "$crud_db" --port "$port" --address 127.0.0.1 --table "$crud_table" \
    --pg-uri "$GALE_TEST_PG_URI" --mongo-uri "$GALE_TEST_MONGO_URI" --mongo-database gale_crud_test \
    "$@" 2> "$crud_log" &
  crud_pid=$!
  trap stop_crud EXIT
  crud_base=http://127.0.0.1:$port
  for _ in $(seq 400); do
    [ "$(curl -s -o /dev/null -w "%{http_code}" "$crud_base/notes")" = 200 ] && return 0
    kill -0 "$crud_pid" 2> /dev/null || break
    sleep 0.05
  done
  cat "$crud_log" >&2
  echo "FAIL: crud did not start" >&2
  exit 1
}
