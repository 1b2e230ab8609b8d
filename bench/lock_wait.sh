#!/usr/bin/env bash
# How long the application's queries wait behind pgshift's DDL when a long transaction holds the
# table: while `start`'s ALTER TABLE waits for its ACCESS EXCLUSIVE lock, every later query on the
# table queues behind that request, for as long as the lock timeout lets it wait. Side by side in one
# run: the CLI's old defaults (--lock-timeout 500 --lock-retries 10) and its defaults now (50 ms, 30
# tries with backoff and jitter; between tries pgshift holds no lock).
#
# Table items(id serial PRIMARY KEY, v text), N rows. CLIENTS pgbench clients read and update random
# rows by id. One second in, a "report" holds ACCESS SHARE on the table for HOLD seconds (a long
# SELECT in an open transaction); half a second later `pgshift start` runs a migration that adds a
# column. Figures: the longest and the 99th-percentile app transaction while start runs, how long
# start took, and how many times it tried.
#
# usage: [REPEAT=3] [CLIENTS=4] [HOLD=3] bench/lock_wait.sh [rows]      (default 100000)
# needs: psql, pgbench and the pgshift CLI reaching a server through the usual PG* variables, with the
#        extension installed; e.g. scripts/with-cluster.sh bench/lock_wait.sh
set -euo pipefail
ROWS=${1:-100000}
REPEAT=${REPEAT:-3}
CLIENTS=${CLIENTS:-4}
HOLD=${HOLD:-3}
DB=pgshift_bench_lock_wait
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
PGBENCH=${PGBENCH:-$(/usr/lib/postgresql/15/bin/pg_config --bindir)/pgbench}
work=$(mktemp -d /tmp/pgshift-bench-lock.XXXXXX)
chmod 777 "$work"
admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"; rm -rf "$work"' EXIT
url="postgresql:///$DB?host=${PGHOST}&port=${PGPORT}&user=${PGUSER:-postgres}"
q -c "CREATE EXTENSION pgshift" -c "CREATE SCHEMA b" >/dev/null
printf '%s' '{"name": "01", "operations": [{"create_table": {"name": "items", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "v", "type": "text"}]}}]}' >"$work/01.json"
printf '%s' '{"name": "02", "operations": [{"add_column": {"table": "items",
  "column": {"name": "note", "type": "text", "nullable": true}}}]}' >"$work/02.json"
pgshift --postgres-url "$url" --schema b start "$work/01.json" --complete >/dev/null
q -c "INSERT INTO b.items (v) SELECT 'v' || g FROM generate_series(1, $ROWS) g" -c "VACUUM ANALYZE b.items" >/dev/null

cat >"$work/app.sql" <<SQL
\set id random(1, $ROWS)
SELECT v FROM b.items WHERE id = :id;
UPDATE b.items SET v = v WHERE id = :id;
SQL

# variant LOCK_TIMEOUT RETRIES: prints "<app max ms> <app p99 ms> <start ms> <tries>"
variant() {
  rm -f "$work"/log.*
  (cd "$work" && "$PGBENCH" -n -M simple -c "$CLIENTS" -j 2 -T $((HOLD + 4)) -l --log-prefix=log -f app.sql "$DB" \
     >"$work/pgbench.out" 2>&1) &
  local bench=$!
  sleep 1
  q -c "BEGIN" -c "SELECT count(*) FROM b.items" -c "SELECT pg_sleep($HOLD)" -c "COMMIT" >/dev/null &
  local report=$!
  sleep 0.5
  local t0 t1
  t0=$(date +%s%6N)
  pgshift --postgres-url "$url" --schema b --lock-timeout "$1" --lock-retries "$2" start "$work/02.json" --no-wait \
    >/dev/null 2>"$work/start.err" || { echo "start failed: $(tail -n 2 "$work/start.err")" >&2; exit 1; }
  t1=$(date +%s%6N)
  wait "$report" "$bench"
  grep -q "number of failed transactions: 0" "$work/pgbench.out" || echo "the app had failures" >&2
  local tries; tries=$(( $(grep -c "retrying" "$work/start.err" || true) + 1 ))
  pgshift --postgres-url "$url" --schema b rollback >/dev/null
  local max p99 n
  read -r max p99 n < <(window_latencies "$t0" "$t1" "$work"/log.*)
  echo "$max $p99 $(( (t1 - t0) / 1000 )) $tries"
}

declare -a old_max old_p99 old_took new_max new_p99 new_took
for run in $(seq "$REPEAT"); do
  read -r max p99 took tries < <(variant 500 10)
  echo "run $run: --lock-timeout 500 --lock-retries 10: app max ${max} ms, p99 ${p99} ms; start ${took} ms, ${tries} tries"
  old_max+=("$max"); old_p99+=("$p99"); old_took+=("$took")
  read -r max p99 took tries < <(variant 50 30)
  echo "run $run: --lock-timeout 50 --lock-retries 30 (defaults): app max ${max} ms, p99 ${p99} ms; start ${took} ms, ${tries} tries"
  new_max+=("$max"); new_p99+=("$p99"); new_took+=("$took")
done
echo
echo "app transactions while start waits behind a ${HOLD} s transaction, $CLIENTS clients, $ROWS rows, median of $REPEAT runs:"
printf '  %-40s %14s %14s %12s\n' "" "app max (ms)" "app p99 (ms)" "start (ms)"
printf '  %-40s %14s %14s %12s\n' "--lock-timeout 500 --lock-retries 10" "$(median "${old_max[@]}")" "$(median "${old_p99[@]}")" "$(median "${old_took[@]}")"
printf '  %-40s %14s %14s %12s\n' "--lock-timeout 50 --lock-retries 30" "$(median "${new_max[@]}")" "$(median "${new_p99[@]}")" "$(median "${new_took[@]}")"
