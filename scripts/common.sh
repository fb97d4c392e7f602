# Shared settings of the scripts: where the project is, where the local services keep their state,
# and their ports. Sourced, not run.
GALE_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)
# One state directory and one set of ports per checkout, so two clones can run side by side. The
# state lives under /tmp because PostgreSQL runs as the `postgres` user, which must be able to reach it.
_gale_hash=$(printf %s "$GALE_ROOT" | sha1sum | cut -c1-8)
_gale_offset=$((16#${_gale_hash:0:4} % 1000))
GALE_STATE_DIR=${GALE_STATE_DIR:-/tmp/gale-$_gale_hash}
GALE_PG_PORT=${GALE_PG_PORT:-$((25432 + _gale_offset))}
GALE_MONGO_PORT=${GALE_MONGO_PORT:-$((27100 + _gale_offset))}
GALE_MONGO_JAVA_PORT=${GALE_MONGO_JAVA_PORT:-$((23100 + _gale_offset))}
GALE_PG_BIN=${GALE_PG_BIN:-/usr/lib/postgresql/15/bin}
FERRETDB_VERSION=v1.24.2
# FerretDB's storage: its own database in the local PostgreSQL cluster (postgresql, the default:
# about ten times SQLite's speed on finds by _id here), or files of its own (sqlite).
GALE_FERRETDB_HANDLER=${GALE_FERRETDB_HANDLER:-postgresql}

gale_say() { printf '[gale] %s\n' "$*" >&2; }
gale_die() { printf '[gale] error: %s\n' "$*" >&2; exit 1; }

# Runs a command as root: directly when we are root, through sudo otherwise.
gale_as_root() {
  if [ "$(id -u)" -eq 0 ]; then "$@"; else sudo "$@"; fi
}

gale_go_bin() { echo "$(go env GOPATH 2>/dev/null || echo "$HOME/go")/bin"; }
