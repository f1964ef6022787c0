#!/usr/bin/env bash
# Start a throw-away PostgreSQL server on loopback for the store tests (idempotent).
#
#   eval "$(.ci/postgres.sh)"      # exports PRECLAIM_TEST_PG_URL
#   .ci/postgres.sh stop            # stops the server started here
#
# Installs PostgreSQL from Debian packages when it is missing, keeps its own cluster under
# $PRECLAIM_PG_DIR (default /tmp/preclaim-pg) on port $PRECLAIM_PG_PORT (default 54329), so it never
# touches a packaged cluster. Only the export line goes to stdout; progress goes to stderr.
set -euo pipefail

PG_DIR="${PRECLAIM_PG_DIR:-/tmp/preclaim-pg}"
PG_PORT="${PRECLAIM_PG_PORT:-54329}"
PG_DB="${PRECLAIM_PG_DB:-preclaim_test}"
log() { echo "postgres.sh: $*" >&2; }

find_bin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1; }

PG_BIN="$(find_bin)"
if [[ -z "$PG_BIN" || ! -x "$PG_BIN/initdb" ]]; then
  log "installing postgresql (apt-get)"
  if [[ "$(id -u)" != 0 ]]; then log "need root to install postgresql"; exit 1; fi
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
  PG_BIN="$(find_bin)"
fi

# The server refuses to run as root: use the packaged `postgres` account when we are root.
if [[ "$(id -u)" == 0 ]]; then
  as_pg() { runuser -u postgres -- "$@"; }
else
  as_pg() { "$@"; }
fi

mkdir -p "$PG_DIR"
[[ "$(id -u)" == 0 ]] && chown postgres:postgres "$PG_DIR"

if [[ "${1:-start}" == stop ]]; then
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m fast stop >&2 || true
  exit 0
fi

if [[ ! -f "$PG_DIR/data/PG_VERSION" ]]; then
  log "initdb in $PG_DIR/data"
  as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres -A trust -E UTF8 --no-locale >/dev/null
fi

if ! as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" status >/dev/null 2>&1; then
  log "starting on 127.0.0.1:$PG_PORT"
  # fsync off: a test server; crash tests kill the importer, never the server.
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/server.log" -w -t 60 start \
    -o "-p $PG_PORT -k $PG_DIR -c listen_addresses=127.0.0.1 -c fsync=off -c max_connections=200" >&2
fi

if ! as_pg "$PG_BIN/psql" -h 127.0.0.1 -p "$PG_PORT" -U postgres -tAc \
  "SELECT 1 FROM pg_database WHERE datname='$PG_DB'" | grep -q 1; then
  log "creating database $PG_DB"
  as_pg "$PG_BIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres "$PG_DB"
fi

echo "export PRECLAIM_TEST_PG_URL=postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/$PG_DB"
