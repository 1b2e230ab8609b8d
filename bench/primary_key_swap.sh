#!/usr/bin/env bash
# How long a primary key's int -> bigint change holds the table's lock, and what the application
# sees meanwhile: pgshift's complete (the twin backfilled, the new key's index built concurrently and
# its NOT NULL check proved beforehand, so complete only changes the catalog) beside the in-place
# `ALTER TABLE ... ALTER COLUMN id TYPE bigint` (a rewrite of the table and its index under ACCESS
# EXCLUSIVE), on the same table in the same run.
#
# Table: orders(id serial PRIMARY KEY, note text, amount integer) with N rows. While each variant
# runs, CLIENTS pgbench clients read and update random rows by id (simple protocol); their
# per-transaction log gives the longest latency inside the statement's window, and the rows are
# checked afterwards (count, distinct ids, the sequence going on). A third session polls pg_locks
# (about every millisecond) for how long the statement holds ACCESS EXCLUSIVE on the table.
#
# usage: [REPEAT=3] [CLIENTS=4] bench/primary_key_swap.sh [rows]     (default 1000000)
# needs: psql and pgbench reaching a server through the usual PG* variables, with pgshift installed;
#        e.g. scripts/with-cluster.sh bench/primary_key_swap.sh
set -euo pipefail
ROWS=${1:-1000000}
REPEAT=${REPEAT:-3}
CLIENTS=${CLIENTS:-4}
DB=pgshift_bench_pk
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
PGBENCH=${PGBENCH:-$(/usr/lib/postgresql/15/bin/pg_config --bindir)/pgbench}
work=$(mktemp -d /tmp/pgshift-bench-pk.XXXXXX)
chmod 777 "$work"
admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"; rm -rf "$work"' EXIT
q -c "CREATE EXTENSION pgshift"
# How long, in ms, some session holds ACCESS EXCLUSIVE on the table within the next `seconds`.
q <<'SQL'
CREATE FUNCTION public.lock_held_ms(rel regclass, seconds float8) RETURNS float8 LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    last timestamptz := t0;
    now_ts timestamptz;
    held float8 := 0;
    locked boolean := false;
    was boolean := false;
BEGIN
    LOOP
        now_ts := clock_timestamp();
        EXIT WHEN now_ts > t0 + seconds * interval '1 second';
        locked := EXISTS (SELECT FROM pg_locks WHERE relation = rel AND mode = 'AccessExclusiveLock' AND granted);
        IF locked OR was THEN
            held := held + extract(epoch FROM now_ts - last) * 1000;
        END IF;
        was := locked;
        last := now_ts;
        PERFORM pg_sleep(0.0005);
    END LOOP;
    RETURN held;
END $$;
SQL

MIGRATION='{"name": "02_id_bigint", "operations": [{"alter_column": {"table": "orders", "column": "id",
  "type": "bigint", "up": "id::bigint", "down": "id::integer"}}]}'

fresh_table() {
  if [ "$(q -At -c "SELECT pgshift.is_active('b')")" = t ]; then q -c "SELECT pgshift.rollback('b')" >/dev/null; fi
  q -c "SET client_min_messages = warning" -c "DELETE FROM pgshift.migrations WHERE schema = 'b'" \
    -c "DROP SCHEMA IF EXISTS b, b_01, b_02_id_bigint CASCADE" -c "CREATE SCHEMA b" >/dev/null
  q -c "SELECT pgshift.start('b', '{\"name\": \"01\", \"operations\": [{\"create_table\": {\"name\": \"orders\", \"columns\": [
          {\"name\": \"id\", \"type\": \"serial\", \"pk\": true}, {\"name\": \"note\", \"type\": \"text\"},
          {\"name\": \"amount\", \"type\": \"integer\"}]}}]}')" -c "SELECT pgshift.complete('b')" >/dev/null
  q -c "INSERT INTO b.orders (note, amount) SELECT 'order ' || g, g % 1000 FROM generate_series(1, $ROWS) g" \
    -c "VACUUM ANALYZE b.orders" -c "CHECKPOINT" >/dev/null
}

cat >"$work/app.sql" <<SQL
\set id random(1, $ROWS)
SELECT note FROM b.orders WHERE id = :id;
UPDATE b.orders SET amount = amount + 1 WHERE id = :id;
SQL

# app_during LABEL SQL...: the app runs while the statements run in one session; prints
# "<statement ms> <lock held ms> <app max ms> <app p99 ms> <app tx>" for the statement's window.
app_during() {
  local label=$1; shift
  rm -f "$work"/log.*
  (cd "$work" && "$PGBENCH" -n -M simple -c "$CLIENTS" -j 2 -T 6 -l --log-prefix=log -f app.sql "$DB" >"$work/pgbench.out" 2>&1) &
  local bench=$!
  sleep 1
  q -At -c "SELECT round(lock_held_ms('b.orders', 4)::numeric, 1)" >"$work/lock_ms" &
  local monitor=$!
  sleep 1
  local t0 t1
  t0=$(date +%s%6N)
  q -c "SET client_min_messages = warning" "$@" >/dev/null
  t1=$(date +%s%6N)
  wait "$bench" "$monitor"
  grep -q "number of failed transactions: 0" "$work/pgbench.out" || { echo "$label: the app failed: $(grep -i 'failed\|error' "$work/pgbench.out" | head -3)" >&2; }
  local max p99 n
  read -r max p99 n < <(window_latencies "$t0" "$t1" "$work"/log.*)
  echo "$(( (t1 - t0) / 1000 )) $(cat "$work/lock_ms") $max $p99 $n"
}

check_rows() {
  local got
  got=$(q -At -c "SELECT count(*) = $ROWS AND count(DISTINCT id) = $ROWS AND pg_typeof(max(id))::text = 'bigint'
                  FROM b.orders")
  [ "$got" = t ] || { echo "rows or ids wrong after $1" >&2; exit 1; }
  q -At -c "INSERT INTO b.orders (note, amount) VALUES ('after', 0) RETURNING id" | grep -qx "$((ROWS + 1))" \
    || { echo "the sequence did not go on after $1" >&2; exit 1; }
}

declare -a pg_time pg_lock pg_max plain_time plain_lock plain_max
for run in $(seq "$REPEAT"); do
  fresh_table
  q -c "SELECT pgshift.start('b', '$MIGRATION')" -c "CALL pgshift.wait_for_jobs('b', 3600)" >/dev/null
  read -r took lock max p99 n < <(app_during "pgshift complete" -c "SELECT pgshift.complete('b')")
  check_rows "pgshift complete"
  echo "run $run: pgshift complete: ${took} ms, lock held ${lock} ms; app during it: max ${max} ms, p99 ${p99} ms, ${n} tx"
  pg_time+=("$took"); pg_lock+=("$lock"); pg_max+=("$max")

  fresh_table
  q -c "SET client_min_messages = warning" -c "DROP SCHEMA b_01 CASCADE" >/dev/null   # its view would block ALTER TYPE
  read -r took lock max p99 n < <(app_during "ALTER TYPE" -c "ALTER TABLE b.orders ALTER COLUMN id TYPE bigint" \
                                              -c "ALTER SEQUENCE b.orders_id_seq AS bigint")
  check_rows "ALTER TYPE"
  echo "run $run: in-place ALTER COLUMN TYPE: ${took} ms, lock held ${lock} ms; app during it: max ${max} ms, p99 ${p99} ms, ${n} tx"
  plain_time+=("$took"); plain_lock+=("$lock"); plain_max+=("$max")
done
echo
echo "primary key int -> bigint on $ROWS rows, $CLIENTS app clients, median of $REPEAT runs:"
printf '  %-30s %16s %16s %14s\n' "" "statement (ms)" "lock held (ms)" "app max (ms)"
printf '  %-30s %16s %16s %14s\n' "pgshift complete" "$(median "${pg_time[@]}")" "$(median "${pg_lock[@]}")" "$(median "${pg_max[@]}")"
printf '  %-30s %16s %16s %14s\n' "in-place ALTER COLUMN TYPE" "$(median "${plain_time[@]}")" "$(median "${plain_lock[@]}")" "$(median "${plain_max[@]}")"
