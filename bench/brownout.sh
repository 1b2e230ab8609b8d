#!/usr/bin/env bash
# The application's brownout while a migration runs (issue 13): 4 pgbench clients saturate the
# machine through the old version of a 1M-row table while `pgshift start` changes a column's type
# (twin column, triggers, backfill of every row); once the new version opens, 4 clients of the new
# version replace them (a rolling deploy), and `pgshift complete` runs under them. Twice in one run:
# with the load-aware throttle (the default) and with it off (--throttle off).
#
# Windows, from pgbench's per-transaction logs and the times the script and pgshift.jobs record:
#   baseline       the same load before start
#   start locks    while `pgshift start` runs (its DDL, under ACCESS EXCLUSIVE for moments)
#   backfill       from start until the new version opens (the backfill, then its checks proved)
#   new version    the new version's clients, before complete
#   complete locks while `pgshift complete` runs
# per window: throughput against the baseline's, p50/p99/max latency, failed transactions. It
# writes a per-second series (bench/brownout.csv) and draws it (bench/brownout.png, gnuplot).
#
#   usage: [MODES="auto off"] [START_OPTIONS=...] bench/brownout.sh [rows] [baseline seconds] [new-version seconds]
#          (default 1000000 20 15; START_OPTIONS: more options of `pgshift start`, e.g. --backfill-batch-size 500)
#   needs: psql, pgbench, pgshift and gnuplot; e.g. scripts/with-cluster.sh bench/brownout.sh
set -euo pipefail
ROWS=${1:-1000000}
BASELINE=${2:-20}
NEW_PHASE=${3:-15}
CLIENTS=4
DB=pgshift_brownout
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=lib.sh
source "$here/lib.sh"
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
work=$(mktemp -d)
trap 'kill $(jobs -p) 2>/dev/null || true; rm -rf "$work"; admin -c "DROP DATABASE IF EXISTS $DB" >/dev/null 2>&1 || true' EXIT
url="postgresql:///$DB?host=${PGHOST:-/var/run/postgresql}&port=${PGPORT:-5432}&user=${PGUSER:-postgres}"
now() { date +%s.%N; }
mark() { echo "$1 $2 $(now)" >>"$work/phases"; }   # mark MODE EVENT

cat >"$work/01_users.yaml" <<'YAML'
operations:
  - create_table:
      name: users
      columns:
        - {name: id, type: serial, pk: true}
        - {name: name, type: text}
        - {name: rating, type: text, default: "'0'"}
YAML
cat >"$work/02_rating_int.yaml" <<'YAML'
operations:
  - alter_column:
      table: users
      column: rating
      type: integer
      up: CAST(rating AS integer)
      down: CAST(rating AS text)
YAML
# One transaction: read a random user, update another, insert one (old and new shape of rating).
cat >"$work/old.sql" <<SQL
\\set id random(1, $ROWS)
SELECT name, rating FROM users WHERE id = :id;
UPDATE users SET rating = ((:id % 5) + 1)::text WHERE id = :id;
INSERT INTO users (name, rating) VALUES ('old client', '3');
SQL
sed -e "s/((:id % 5) + 1)::text/(:id % 5) + 1/" -e "s/'old client', '3'/'new client', 3/" "$work/old.sql" >"$work/new.sql"

# clients NAME SEARCH_PATH SCRIPT: pgbench in the background for up to 10 minutes, logging every
# transaction; stopped with stop_clients (SIGTERM: a background job ignores SIGINT; the last lines
# of its log may be lost, after the windows that count).
clients() {
  PGOPTIONS="-c search_path=$2" "$PGBENCH" -n -c "$CLIENTS" -j 2 -T 600 -f "$3" -l --log-prefix="$work/$1" "$DB" \
    >"$work/$1.out" 2>&1 &
  echo $! >"$work/$1.pid"
}
stop_clients() { kill -TERM "$(cat "$work/$1.pid")" 2>/dev/null || true; wait "$(cat "$work/$1.pid")" 2>/dev/null || true; }

run_mode() {   # run_mode auto|off
  local mode=$1
  admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
  pgshift --postgres-url "$url" init >/dev/null
  pgshift --postgres-url "$url" start --complete "$work/01_users.yaml" >/dev/null
  q -q -c "INSERT INTO public.users (name, rating) SELECT 'user ' || g, (g % 5)::text FROM generate_series(1, $ROWS) g" \
    -c "VACUUM ANALYZE public.users" -c "CHECKPOINT" >/dev/null
  clients "old_$mode" public_01_users "$work/old.sql"
  mark "$mode" baseline_start; sleep "$BASELINE"
  mark "$mode" start_begin
  # shellcheck disable=SC2086
  pgshift --postgres-url "$url" start --no-wait --throttle "$mode" ${START_OPTIONS:-} "$work/02_rating_int.yaml" >"$work/start_$mode.out" 2>&1 \
    || { cat "$work/start_$mode.out"; exit 1; }
  mark "$mode" start_end
  # The new version opens when the backfill is done (its last job). One session waits (a new psql
  # every fraction of a second would itself disturb the clients: each connection is a new backend).
  q -q -c "CALL pgshift.wait_for_jobs('public', 600)"
  # (The window ends when the version opens: after the backfill the worker proves the new column's
  # NOT NULL check, a scan of the table, beside the clients.)
  q -At -c "SELECT '$mode backfill_end ' || extract(epoch FROM max(finished_at)) FROM pgshift.jobs" >>"$work/phases"
  q -At -c "SELECT '$mode backfill ' || rows_done || ' ' || round(rows_done / extract(epoch FROM finished_at - started_at)) || ' ' ||
                   round(max_batch_ms::numeric) FROM pgshift.jobs WHERE kind = 'backfill'" >>"$work/backfill"
  # A rolling deploy: the new version's clients come, then the old ones go.
  clients "new_$mode" public_02_rating_int "$work/new.sql"
  sleep 1
  stop_clients "old_$mode"
  mark "$mode" new_start; sleep "$NEW_PHASE"
  mark "$mode" complete_begin
  pgshift --postgres-url "$url" complete >"$work/complete_$mode.out" 2>&1 || { cat "$work/complete_$mode.out"; exit 1; }
  mark "$mode" complete_end
  sleep 5
  stop_clients "new_$mode"
  mark "$mode" end
  q -At -c "SELECT '$mode wrong ' || count(*) FILTER (WHERE rating IS NULL OR rating NOT BETWEEN 0 AND 5) FROM public.users" >>"$work/backfill"
}

MODES=${MODES:-auto off}
echo "brownout: $ROWS rows, $CLIENTS clients, baseline ${BASELINE} s, new version ${NEW_PHASE} s; throttle: $MODES ${START_OPTIONS:-}"
for mode in $MODES; do run_mode "$mode"; done
python3 "$here/brownout_report.py" "$work" "$here/brownout.csv"
if command -v gnuplot >/dev/null; then
  gnuplot -e "csv='$here/brownout.csv'; phases='$work/phases'; out='$here/brownout.png'; modes='$MODES'" "$here/brownout.gnuplot"
  echo "plot: bench/brownout.png"
else
  echo "gnuplot not found (scripts/setup.sh installs gnuplot-nox): no plot" >&2
fi
