#!/usr/bin/env bash
# rebuild_table on a live table: how fast the worker copies the rows into the rebuild, beside the
# floor (one INSERT INTO rebuild SELECT ... FROM table, one transaction, into the same partitioned
# table with the same key and indexes), the longest copy batch, and how long complete's swap holds
# its locks; then the same rebuild with an application writing through the old version the whole
# time (pgbench, 2 clients: update one job by its queue and id, as pg-boss does, insert one), to
# count its failed transactions and see
# its worst latency while the copy runs and at complete.
#
# Table: job(id bigserial PRIMARY KEY, name text, state text, data jsonb) with N rows over 4 queue
# names, an index on (name, state). The rebuild: LIST-partitioned by name, one partition per queue,
# key (name, id), as pg-boss 10 keeps its jobs.
#
# Each figure is the median of REPEAT runs (default 3), floor and rebuild taking turns.
#
# usage: [REPEAT=3] bench/rebuild.sh [rows]              (default: 1000000)
# needs: psql and pgbench reaching a server through PG*, with pgshift installed there; e.g.
#        scripts/with-cluster.sh bench/rebuild.sh
set -euo pipefail
ROWS=${1:-1000000}
REPEAT=${REPEAT:-3}
DB=pgshift_bench_rebuild
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
work=$(mktemp -d)
admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"; rm -rf "$work"' EXIT
q -c "CREATE EXTENSION pgshift"

MIGRATION='{"name": "02_partition", "operations": [{"rebuild_table": {"table": "job", "primary_key": ["name", "id"],
  "partition_by": {"strategy": "list", "columns": ["name"]},
  "partitions": [{"name": "job_email", "values": ["'"'email'"'"]}, {"name": "job_sms", "values": ["'"'sms'"'"]},
                 {"name": "job_push", "values": ["'"'push'"'"]}, {"name": "job_rest", "default": true}]}}]}'

# fresh_table: schema b, version b_01 over job with ROWS rows, compact and analyzed.
fresh_table() {
  if [ "$(q -At -c "SELECT pgshift.is_active('b')")" = t ]; then q -c "SELECT pgshift.rollback('b')" >/dev/null; fi
  q -c "SET client_min_messages = warning" -c "DELETE FROM pgshift.migrations WHERE schema = 'b'" \
    -c "DROP SCHEMA IF EXISTS b, b_01_job, b_02_partition CASCADE" -c "CREATE SCHEMA b"
  q -At -c "SELECT pgshift.start('b', '{\"name\": \"01_job\", \"operations\": [{\"create_table\": {\"name\": \"job\", \"columns\": [
      {\"name\": \"id\", \"type\": \"bigserial\", \"pk\": true}, {\"name\": \"name\", \"type\": \"text\"},
      {\"name\": \"state\", \"type\": \"text\", \"default\": \"''created''\"}, {\"name\": \"data\", \"type\": \"jsonb\", \"nullable\": true}]}}]}')" \
    -c "SELECT pgshift.complete('b')" >/dev/null
  q -c "INSERT INTO b.job (name, state, data) SELECT (ARRAY['email', 'sms', 'push', 'other'])[g % 4 + 1],
          CASE WHEN g % 3 = 0 THEN 'completed' ELSE 'created' END, jsonb_build_object('n', g, 'to', 'user' || g)
          FROM generate_series(1, $ROWS) g" \
    -c "CREATE INDEX job_name_state ON b.job (name, state)" \
    -c "VACUUM (ANALYZE) b.job" -c "CHECKPOINT"
}

# run_floor: the rebuild's shape by hand, then one INSERT ... SELECT. Prints its ms.
run_floor() {
  fresh_table
  q -c "CREATE TABLE b.copy (LIKE b.job INCLUDING DEFAULTS INCLUDING CONSTRAINTS) PARTITION BY LIST (name)" \
    -c "CREATE TABLE b.copy_email PARTITION OF b.copy FOR VALUES IN ('email')" \
    -c "CREATE TABLE b.copy_sms PARTITION OF b.copy FOR VALUES IN ('sms')" \
    -c "CREATE TABLE b.copy_push PARTITION OF b.copy FOR VALUES IN ('push')" \
    -c "CREATE TABLE b.copy_rest PARTITION OF b.copy DEFAULT" \
    -c "ALTER TABLE b.copy ADD PRIMARY KEY (name, id)" -c "CREATE INDEX ON b.copy (name, state)" -c "CHECKPOINT"
  q -At <<'SQL'
SELECT extract(epoch FROM clock_timestamp()) AS t0 \gset
INSERT INTO b.copy SELECT * FROM b.job;
SELECT round(1000 * (extract(epoch FROM clock_timestamp()) - :t0));
SQL
}

# run_rebuild OPTIONS: start, the copy, complete. Prints "<copy ms> <longest batch ms> <complete ms>".
run_rebuild() {
  fresh_table
  q -At <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset
SELECT pgshift.start('b', \$\$$MIGRATION\$\$, '$1') IS NOT NULL AS started \\gset
CALL pgshift.wait_for_jobs('b');
SELECT round(1000 * (extract(epoch FROM j.finished_at) - :t0)) AS copy_ms, round(j.max_batch_ms) AS longest
  FROM pgshift.jobs j WHERE j.schema = 'b' AND j.kind = 'backfill' \\gset
SELECT extract(epoch FROM clock_timestamp()) AS c0 \\gset
SELECT pgshift.complete('b') IS NOT NULL AS completed \\gset
SELECT :copy_ms || ' ' || :longest || ' ' || round(1000 * (extract(epoch FROM clock_timestamp()) - :c0));
SQL
  local rows; rows=$(q -At -c "SELECT count(*) FROM b.job")
  [ "$rows" = "$ROWS" ] || { echo "the rebuild has $rows rows, expected $ROWS" >&2; exit 1; }
  [ "$(q -At -c "SELECT relkind FROM pg_class WHERE oid = 'b.job'::regclass")" = p ] || { echo "job is not partitioned" >&2; exit 1; }
}

declare -a FLOOR=() COPY=() LONGEST=() SWAP=()
for ((r = 0; r < REPEAT; r++)); do
  FLOOR+=("$(run_floor)")
  read -r copy longest swap <<<"$(run_rebuild '{"throttle": "off"}')"
  COPY+=("$copy"); LONGEST+=("$longest"); SWAP+=("$swap")
done
floor=$(median "${FLOOR[@]}"); copy=$(median "${COPY[@]}")
worst=$(python3 -c "import sys; print(max(map(float, sys.argv[1:])))" "${LONGEST[@]}")
printf 'rebuild %8d rows  one INSERT ... SELECT (floor)  %7d ms  %9.0f rows/s\n' "$ROWS" "$floor" "$(python3 -c "print($ROWS / ($floor / 1000))")"
printf 'rebuild %8d rows  pgshift copy, throttle off     %7d ms  %9.0f rows/s (%sx of the floor), longest batch %.0f ms\n' \
  "$ROWS" "$copy" "$(python3 -c "print($ROWS / ($copy / 1000))")" "$(ratio "$floor" "$copy")" "$worst"
printf 'rebuild %8d rows  complete (the swap, one transaction)  %s ms (median; runs: %s)\n' "$ROWS" "$(median "${SWAP[@]}")" "${SWAP[*]}"

# Under load: the application writes through the old version while the copy runs, then through the
# new version (as it would once deployed) while complete swaps the tables.
fresh_table
app_script() {   # app_script VERSION_SCHEMA FILE
  cat >"$2" <<SQL
\set id random(1, $ROWS)
BEGIN;
UPDATE $1.job SET state = 'active' WHERE name = (ARRAY['email', 'sms', 'push', 'other'])[:id % 4 + 1] AND id = :id;
INSERT INTO $1.job (name, data) VALUES ('email', '{"n": 0}');
END;
SQL
}
app_script b_01_job "$work/old.sql"; app_script b_02_partition "$work/new.sql"
now_us() { python3 -c "import time; print(int(time.time() * 1e6))"; }
# app_loop SCRIPT NAME: 2-second pgbench runs, one after the other, until $work/NAME.stop exists
# (pgbench prints its summary, failures included, only when it ends by itself).
app_loop() {
  while [ ! -e "$work/$2.stop" ]; do
    pgbench -n -d "$DB" -c 2 -j 2 -T 2 -f "$1" -l --log-prefix="$work/$2" >>"$work/$2.out" 2>&1 || true
  done
}
app_loop "$work/old.sql" old &
old_pid=$!
sleep 3
t0=$(now_us)
q -At -c "SELECT pgshift.start('b', \$\$$MIGRATION\$\$, '{}') IS NOT NULL" >/dev/null
q -c "CALL pgshift.wait_for_jobs('b')"
t1=$(now_us)
app_loop "$work/new.sql" new &
new_pid=$!
sleep 2
touch "$work/old.stop"; wait "$old_pid"
t2=$(now_us)
q -At -c "SELECT pgshift.complete('b')" >/dev/null
t3=$(now_us)
sleep 2
touch "$work/new.stop"; wait "$new_pid"
failures() {   # failed transactions reported, and clients aborted by an error
  echo "$(sed -n 's/^number of failed transactions: \([0-9]*\).*/\1/p' "$1" | awk '{s += $1} END {print s + 0}') $(grep -c 'aborted' "$1" || true)"
}
read -r old_failed old_errors <<<"$(failures "$work/old.out")"
read -r new_failed new_errors <<<"$(failures "$work/new.out")"
read -r copy_max copy_p99 copy_n <<<"$(window_latencies "$t0" "$t1" "$work"/old.[0-9]*)"
read -r swap_max swap_p99 swap_n <<<"$(window_latencies "$t2" "$t3" "$work"/new.[0-9]*)"
rate=$(q -At -c "SELECT round(max(rows_done) / greatest(extract(epoch FROM max(finished_at) - min(started_at)), 0.001)) FROM pgshift.jobs WHERE schema = 'b' AND kind = 'backfill'")
echo "rebuild $ROWS rows under load (2 pgbench clients, default throttle):"
echo "  copy window   $(( (t1 - t0) / 1000 )) ms, copied at $rate rows/s; old-version app: $copy_n transactions, p99 $copy_p99 ms, max $copy_max ms"
echo "  complete      $(( (t3 - t2) / 1000 )) ms; new-version app: $swap_n transactions, p99 $swap_p99 ms, max $swap_max ms"
echo "  failed app transactions: $old_failed old version, $new_failed new version (clients aborted by an error: $old_errors, $new_errors)"
grep -h "ERROR" "$work/old.out" "$work/new.out" | sort | uniq -c | head -3 || true
[ "$(q -At -c "SELECT count(*) FROM b.job WHERE id <= $ROWS")" = "$ROWS" ] || { echo "rows lost under load" >&2; exit 1; }
