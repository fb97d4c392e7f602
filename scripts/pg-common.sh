# PostgreSQL clusters of our own, shared by scripts/services (the local cluster), scripts/pg-standby
# and scripts/pg-instance (private clusters of the fault tests). Sourced after common.sh, not run.
# A cluster is a directory DIR holding data/, sock/ and postgresql.log; it listens on 127.0.0.1
# only, and its application role and database are gale/gale.

# PostgreSQL refuses to run as root: as root, run its tools as the postgres user.
pg_run() {
  if [ "$(id -u)" -eq 0 ]; then
    (cd / && runuser -u postgres -- "$@")  # from a directory postgres may enter
  else
    "$@"
  fi
}

pg_running() {  # data directory
  [ -f "$1/PG_VERSION" ] && pg_run "$GALE_PG_BIN/pg_ctl" -D "$1" status > /dev/null 2>&1
}

pg_wait_ready() {  # port
  local i
  for i in $(seq 1 300); do
    pg_run "$GALE_PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$1" && return 0
    sleep 0.1
  done
  gale_die "PostgreSQL on port $1 does not accept connections"
}

# Creates the cluster DIR/data listening on `port` (once; a cluster that exists is kept). Extra
# arguments go to initdb (--no-sync for throwaway clusters).
pg_init() {  # dir port [initdb args...]
  local dir=$1 port=$2
  shift 2
  [ -f "$dir/data/PG_VERSION" ] && return 0
  gale_say "creating the PostgreSQL cluster in $dir/data"
  mkdir -p "$dir/sock"
  chmod 755 "$dir"
  if [ "$(id -u)" -eq 0 ]; then chown -R postgres:postgres "$dir"; fi
  local pwfile
  pwfile=$(mktemp "$dir/pw.XXXXXX")
  echo postgres > "$pwfile"
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$pwfile"; fi
  pg_run "$GALE_PG_BIN/initdb" -D "$dir/data" -U postgres --pwfile="$pwfile" \
    --auth-local=trust --auth-host=scram-sha-256 --encoding=UTF8 --locale=C.UTF-8 "$@" \
    > "$dir/initdb.log"
  rm -f "$pwfile"
  # Loopback only, a port of its own, sockets in its directory. fsync off makes tests fast and
  # loses nothing when the server process is killed (the OS still holds every committed write);
  # it only matters if the machine itself crashes.
  pg_run tee -a "$dir/data/postgresql.conf" > /dev/null << EOF
listen_addresses = '127.0.0.1'
port = $port
unix_socket_directories = '$dir/sock'
max_connections = 300
fsync = off
full_page_writes = off
log_min_messages = warning
EOF
}

# Starts the cluster (when it does not run), waits until it accepts connections, and creates the
# application role and database once.
pg_start() {  # dir port
  local dir=$1 port=$2
  if ! pg_running "$dir/data"; then
    gale_say "starting PostgreSQL on 127.0.0.1:$port"
    pg_run "$GALE_PG_BIN/pg_ctl" -D "$dir/data" -l "$dir/postgresql.log" -w -t 60 start \
      > /dev/null || { tail -20 "$dir/postgresql.log" >&2; gale_die "PostgreSQL did not start"; }
  fi
  pg_wait_ready "$port"
  local psql=("$GALE_PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$dir/sock" -p "$port" -U postgres)
  if [ "$(pg_run "${psql[@]}" -tAc "SELECT 1 FROM pg_roles WHERE rolname = 'gale'")" != 1 ]; then
    pg_run "${psql[@]}" -c "CREATE ROLE gale LOGIN CREATEDB PASSWORD 'gale'"
    pg_run "${psql[@]}" -c "CREATE DATABASE gale OWNER gale"
  fi
}

pg_stop() {  # dir
  if pg_running "$1/data"; then
    pg_run "$GALE_PG_BIN/pg_ctl" -D "$1/data" -m fast -w -t 60 stop > /dev/null
  fi
}

pg_uri() {  # port
  echo "postgresql://gale:gale@127.0.0.1:$1/gale"
}
