# shellcheck shell=bash
# A throwaway PgBouncer in transaction pooling mode in front of the cluster in PG* (the one
# scripts/with-cluster.sh starts). Sourced by run.sh.
#
#   start_pgbouncer DIR     writes DIR/pgbouncer.ini, starts PgBouncer as postgres (it refuses root) on
#                           127.0.0.1 and a free port, waits until it answers; sets PGBOUNCER_PORT
#   stop_pgbouncer          stops the PgBouncer start_pgbouncer started (by its pid file)
#
# default_pool_size = 2: clients really share server connections (a CLI run alone needs two, its run
# lock's and its calls', see cli/advisory_lock.hpp). No ignore_startup_parameters: a client that sent
# options= would be refused, as by a production PgBouncer.

PGBOUNCER_PORT=
PGBOUNCER_DIR=

start_pgbouncer() {
  PGBOUNCER_DIR=$1
  chown postgres: "$PGBOUNCER_DIR"
  PGBOUNCER_PORT=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  # Trust on PgBouncer's side too (the cluster trusts its socket); trust still wants the user listed.
  echo '"postgres" ""' >"$PGBOUNCER_DIR/userlist.txt"
  cat >"$PGBOUNCER_DIR/pgbouncer.ini" <<INI
[databases]
* = host=$PGHOST port=$PGPORT

[pgbouncer]
listen_addr = 127.0.0.1
listen_port = $PGBOUNCER_PORT
unix_socket_dir =
auth_type = trust
auth_file = $PGBOUNCER_DIR/userlist.txt
pool_mode = transaction
default_pool_size = 2
reserve_pool_size = 0
max_client_conn = 200
logfile = $PGBOUNCER_DIR/pgbouncer.log
pidfile = $PGBOUNCER_DIR/pgbouncer.pid
INI
  chown postgres: "$PGBOUNCER_DIR"/*
  runuser -u postgres -- pgbouncer -d -q "$PGBOUNCER_DIR/pgbouncer.ini" || return 1
  local tries=0
  until psql -X -q -A -t -d "postgresql://postgres@127.0.0.1:$PGBOUNCER_PORT/postgres" -c "SELECT 1" >/dev/null 2>&1; do
    tries=$((tries + 1))
    if (( tries > 100 )); then tail -n 5 "$PGBOUNCER_DIR/pgbouncer.log" 2>/dev/null; return 1; fi
    sleep 0.05
  done
}

stop_pgbouncer() {
  [[ -n "$PGBOUNCER_DIR" && -s "$PGBOUNCER_DIR/pgbouncer.pid" ]] || return 0
  local pid
  pid=$(cat "$PGBOUNCER_DIR/pgbouncer.pid")
  kill "$pid" 2>/dev/null
  # It removes its pid file on the way out.
  for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || return 0; sleep 0.05; done
}
