#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the database tests: `source .ci/postgres.sh` installs the
# server from Debian's packages when absent, creates a cluster in a temporary folder (as the
# `postgres` user when run as root: initdb refuses root), starts it on 127.0.0.1 and a free
# port with trust authentication (the cluster lives only as long as the tests), exports
# SCORELINE_TEST_POSTGRES, and stops it and removes the folder on exit (a trap), whatever
# happens.
set -euo pipefail

pg_bin() {
  ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1
}
if [ -z "$(pg_bin)" ]; then
  apt-get update && apt-get install -y postgresql
fi
PG_BIN="$(pg_bin)"
PG_PORT="$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()')"
PG_DIR="$(mktemp -d /tmp/scoreline-pg.XXXXXX)"
as_pg() {
  if [ "$(id -u)" = 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}
if [ "$(id -u)" = 0 ]; then
  id postgres >/dev/null 2>&1 || useradd --system --no-create-home postgres
  chown postgres "$PG_DIR"
fi
stop_postgres() {
  as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$PG_DIR"
}
trap stop_postgres EXIT
as_pg "$PG_BIN/initdb" -D "$PG_DIR/data" -U postgres --auth=trust -E UTF8 --locale=C.UTF-8 >/dev/null
as_pg "$PG_BIN/pg_ctl" -D "$PG_DIR/data" -l "$PG_DIR/log" -w \
  -o "-c listen_addresses=127.0.0.1 -c port=$PG_PORT -c unix_socket_directories=$PG_DIR -c fsync=off" start >/dev/null
export SCORELINE_TEST_POSTGRES="postgres://postgres@127.0.0.1:$PG_PORT/postgres"
echo "PostgreSQL $("$PG_BIN/postgres" --version | awk '{print $3}') on 127.0.0.1:$PG_PORT (cluster in $PG_DIR)"
