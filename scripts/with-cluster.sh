#!/usr/bin/env bash
# Runs a command against a throwaway PostgreSQL 15 cluster, then tears the cluster down.
#   usage: scripts/with-cluster.sh COMMAND [ARGS...]
# The cluster runs as the postgres user (PostgreSQL refuses root) in a fresh temporary directory,
# listening only on a Unix socket there, with trust authentication. COMMAND sees PGHOST, PGPORT,
# PGUSER=postgres and PGDATABASE=postgres, plus PGSHIFT_CLUSTER_DIR (data in $PGSHIFT_CLUSTER_DIR/data)
# and PGSHIFT_PG_CTL (a command that runs pg_ctl as postgres, for restart tests).
# PGSHIFT_PG_BINDIR overrides the PostgreSQL binaries (default: Debian's PostgreSQL 15).
# Extra postgresql.conf lines may be passed in PGSHIFT_CLUSTER_CONF. COMMAND's exit status is returned.
set -euo pipefail
bindir=${PGSHIFT_PG_BINDIR:-$(/usr/lib/postgresql/15/bin/pg_config --bindir)}
dir=$(mktemp -d /tmp/pgshift-cluster.XXXXXX)
chmod 755 "$dir"
chown postgres: "$dir"
as_postgres() { runuser -u postgres -- "$@"; }
stop() {
  as_postgres "$bindir/pg_ctl" -D "$dir/data" -m immediate stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
# A port nobody uses on this socket directory's host; the socket file name contains it.
port=$(( 20000 + RANDOM % 20000 ))
as_postgres "$bindir/initdb" -D "$dir/data" -A trust -U postgres --no-sync -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
  || { cat "$dir/initdb.log"; exit 1; }
cat >>"$dir/data/postgresql.conf" <<CONF
listen_addresses = ''
port = $port
unix_socket_directories = '$dir'
fsync = off
synchronous_commit = off
full_page_writes = off
max_connections = 100
max_worker_processes = 16
log_min_messages = warning
${PGSHIFT_CLUSTER_CONF:-}
CONF
as_postgres "$bindir/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 start >/dev/null \
  || { cat "$dir/server.log"; exit 1; }
export PGHOST=$dir PGPORT=$port PGUSER=postgres PGDATABASE=postgres PGSHIFT_CLUSTER_DIR=$dir
export PGSHIFT_PG_CTL="runuser -u postgres -- $bindir/pg_ctl -D $dir/data -l $dir/server.log -w"
set +e
"$@"
status=$?
set -e
exit $status
