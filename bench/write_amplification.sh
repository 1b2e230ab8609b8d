#!/usr/bin/env bash
# What the dual-write trigger costs ordinary writes: rows per second of pgroll's benchmark statement
# `UPDATE users SET name = 'person'` and of an INSERT of N rows, on
#   (a) no trigger:    users(id serial PRIMARY KEY, name varchar(255), _pgshift_new_name varchar(255)),
#                      the extra column filled as the backfill fills it (same shape and width as (b));
#   (b) pgshift:       the trigger (and NOT VALID NOT NULL check) a real pgshift.start of an
#                      alter_column migration (name -> NOT NULL, up: SELECT CASE WHEN name IS NULL
#                      THEN 'placeholder' ELSE name END, down: name) installs, after its backfill;
#   (c) pgroll-style:  the two PL/pgSQL triggers of ../shared/bench/pgroll-style-anchors.sh
#                      (its extra columns filled by one pass of its own trigger first).
#   (d) any trigger:   table (a) with PostgreSQL's own C trigger suppress_redundant_updates_trigger()
#                      BEFORE UPDATE: the floor of every BEFORE UPDATE row trigger, which makes
#                      PostgreSQL lock each row before it updates it (UPDATE only; it does not
#                      fire for INSERT, so its INSERT figure is not shown).
# All three are written through the old version (search_path = the table's schema), so the
# triggers run their `up` direction, as in pgroll's benchmark.
#
# Before timing, every table is rewritten compact (VACUUM FULL, ANALYZE, CHECKPOINT), so that the
# variants start from the same physical layout whatever their preparation did. Each statement is timed
# by psql's \timing (server time plus one round trip) in a session that has already written a row
# to that table (rolled back), so the per-backend trigger compilation is not timed. Each figure is the median of
# REPEAT runs (default 5), the variants taking turns so that machine noise hits them alike.
#
# usage: [REPEAT=5] bench/write_amplification.sh [rows...]           (default: 10000 100000 300000)
# needs: psql reaching a server through the usual PG* variables, and pgshift installed there;
#        e.g. scripts/with-cluster.sh bench/write_amplification.sh
set -euo pipefail
ROWS=("$@")
[ $# -eq 0 ] && ROWS=(10000 100000 300000)
REPEAT=${REPEAT:-5}
DB=pgshift_bench_write
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"' EXIT
q -c "CREATE EXTENSION pgshift"

MIGRATION=$(cat <<'JSON'
{"name": "02_alter_column", "operations": [{"alter_column": {"table": "users", "column": "name", "nullable": false,
  "up": "SELECT CASE WHEN name IS NULL THEN 'placeholder' ELSE name END", "down": "name"}}]}
JSON
)


# prepare VARIANT ROWS: schema w_VARIANT holding users with ROWS rows (name NULL), its trigger
# installed and its extra column filled; compact.
prepare() {
  local s=w_$1 n=$2
  if q -At -c "SELECT pgshift.is_active('$s')" 2>/dev/null | grep -q t; then
    q -c "SELECT pgshift.rollback('$s')" >/dev/null
  fi
  q -c "SET client_min_messages = warning" -c "DELETE FROM pgshift.migrations WHERE schema = '$s'" \
    -c "DROP SCHEMA IF EXISTS $s CASCADE" -c "CREATE SCHEMA $s" \
    -c "CREATE TABLE $s.users(id serial PRIMARY KEY, name varchar(255))" \
    -c "INSERT INTO $s.users(name) SELECT NULL FROM generate_series(1, $n)"
  case $1 in
    none|floor)
      q -c "ALTER TABLE $s.users ADD COLUMN _pgshift_new_name varchar(255)" \
        -c "UPDATE $s.users SET _pgshift_new_name = 'placeholder'"
      [ "$1" = none ] || q -c "CREATE TRIGGER any_trigger BEFORE UPDATE ON $s.users FOR EACH ROW
        EXECUTE FUNCTION pg_catalog.suppress_redundant_updates_trigger()" ;;
    pgshift)
      q -c "SELECT pgshift.start('$s', \$\$$MIGRATION\$\$)" >/dev/null
      q -c "CALL pgshift.wait_for_jobs('$s')"
      [ "$(q -At -c "SELECT count(*) FROM $s.users WHERE _pgshift_new_name IS NULL")" = 0 ] ||
        { echo "pgshift backfill left rows unfilled" >&2; exit 1; } ;;
    pgroll)
      { echo "SET search_path = $s;"; cat "$PGROLL_STYLE_SQL"; echo "UPDATE users SET id = id;"; } | q ;;
  esac
  q -c "VACUUM FULL $s.users" -c "ANALYZE $s.users" -c "CHECKPOINT"
}

# timed VARIANT SQL: milliseconds of SQL by \timing, in a session that has written one row (rolled
# back) first, so that the trigger is compiled before the clock starts.
timed() {
  local s=w_$1
  q -c "SET search_path = $s" -c "BEGIN" -c "INSERT INTO users(name) VALUES ('warm-up')" -c "ROLLBACK" \
    -c '\timing on' -c "$2" |
    sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' | tail -1
}

insert_sql() {	# the INSERT of N rows; without a trigger, the extra column is written by the statement
  if [ "$1" = none ] || [ "$1" = floor ]; then
    echo "INSERT INTO users(name, _pgshift_new_name) SELECT 'person', 'person' FROM generate_series(1, $2)"
  else
    echo "INSERT INTO users(name) SELECT 'person' FROM generate_series(1, $2)"
  fi
}

VARIANTS=(none floor pgshift pgroll)
declare -A LABEL=([none]="no trigger     " [floor]="any trigger    " [pgshift]="pgshift trigger" [pgroll]="pgroll-style   ")
for n in "${ROWS[@]}"; do
  declare -A UPD=() INS=()
  for ((r = 0; r < REPEAT; r++)); do
    for v in "${VARIANTS[@]}"; do
      prepare "$v" "$n"
      ms=$(timed "$v" "UPDATE users SET name = 'person'")
      UPD[$v]+=" $(python3 -c "print($n / ($ms / 1000))")"
      # INSERT: the same table emptied (trigger and migration kept), then N rows.
      q -c "TRUNCATE w_$v.users" -c "VACUUM ANALYZE w_$v.users" -c "CHECKPOINT"
      ms=$(timed "$v" "$(insert_sql "$v" "$n")")
      INS[$v]+=" $(python3 -c "print($n / ($ms / 1000))")"
    done
  done
  for v in "${VARIANTS[@]}"; do
    u=$(median ${UPD[$v]}); i=$(median ${INS[$v]})
    u0=$(median ${UPD[none]}); i0=$(median ${INS[none]})
    if [ "$v" = floor ]; then
      printf 'write %7d rows  %s  UPDATE %8d rows/s (%sx)\n' "$n" "${LABEL[$v]}" "$u" "$(ratio "$u" "$u0")"
      continue
    fi
    printf 'write %7d rows  %s  UPDATE %8d rows/s (%sx)   INSERT %8d rows/s (%sx)\n' \
      "$n" "${LABEL[$v]}" "$u" "$(ratio "$u" "$u0")" "$i" "$(ratio "$i" "$i0")"
  done
  unset UPD INS
done
