#!/usr/bin/env bash
# How fast the backfill of an incompatible column change fills existing rows, beside one plain
# UPDATE of the same table (the floor: one transaction, no trigger, no batches) and pgroll's
# client-driven batched backfill (as in ../shared/bench/pgroll-style-anchors.sh: its PL/pgSQL
# triggers and 10k-row batches, one transaction each, sent by psql).
#
# Table: users(id serial PRIMARY KEY, name varchar(255)) with N rows, name NULL. The change is
# pgroll's benchmark migration: alter_column name -> NOT NULL with
#   up: SELECT CASE WHEN name IS NULL THEN 'placeholder' ELSE name END, down: name.
# pgshift figures run from just before pgshift.start (its DDL included) to the worker's last batch
# (pgshift.jobs.finished_at), with the longest single batch transaction (pgshift.jobs.max_batch_ms):
#   pgshift adaptive   - no batch size given: the worker sizes batches for ~100 ms each
#   pgshift adaptive, throttle off - the same with the load-aware throttle off
#   pgshift 1000/batch - --backfill-batch-size 1000, pgroll's default size
# and, on a table that has an application's own triggers (a BEFORE UPDATE row trigger stamping
# updated_at, an AFTER UPDATE row trigger writing an audit row), what the backfill gains by not
# firing them:
#   plain UPDATE, app triggers - one plain UPDATE of that table (they fire)
#   pgshift adaptive, app triggers - pgshift's backfill of that table (they do not)
# pgshift's time ends when its last job (opening the new version) is done.
# Before each timed run the table is rewritten compact (VACUUM FULL, ANALYZE, CHECKPOINT), so all
# variants start from the same physical layout. Each figure is the median of REPEAT runs (default
# 5), the variants taking turns so that machine noise hits them alike.
#
# usage: [REPEAT=5] bench/backfill.sh [rows...]         (default: 100000 1000000)
# needs: psql reaching a server through the usual PG* variables, and pgshift installed there;
#        e.g. scripts/with-cluster.sh bench/backfill.sh
set -euo pipefail
ROWS=("$@")
[ $# -eq 0 ] && ROWS=(100000 1000000)
REPEAT=${REPEAT:-5}
DB=pgshift_bench_backfill
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"
rate() { python3 -c "import sys; print(f'{float(sys.argv[1]) / float(sys.argv[2]):.0f}')" "$@"; }   # rows seconds
now() { date +%s.%N; }
elapsed() { python3 -c "import sys; print(float(sys.argv[2]) - float(sys.argv[1]))" "$@"; }

admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"' EXIT
q -c "CREATE EXTENSION pgshift"

MIGRATION='{"name": "02_alter_column", "operations": [{"alter_column": {"table": "users", "column": "name",
  "nullable": false, "up": "SELECT CASE WHEN name IS NULL THEN '"'placeholder'"' ELSE name END", "down": "name"}}]}'

# fresh_table N [app]: schema b holding users with N rows, compact and analyzed, no migration active;
# with `app`, the table also has updated_at and the application's two triggers.
fresh_table() {
  if [ "$(q -At -c "SELECT pgshift.is_active('b')")" = t ]; then q -c "SELECT pgshift.rollback('b')" >/dev/null; fi
  q -c "SET client_min_messages = warning" -c "DELETE FROM pgshift.migrations WHERE schema = 'b'" \
    -c "DROP SCHEMA IF EXISTS b CASCADE" -c "CREATE SCHEMA b" \
    -c "CREATE TABLE b.users(id serial PRIMARY KEY, name varchar(255))" \
    -c "INSERT INTO b.users(name) SELECT NULL FROM generate_series(1, $1)"
  [ "${2:-}" = app ] || return 0
  q <<'SQL'
ALTER TABLE b.users ADD COLUMN updated_at timestamptz NOT NULL DEFAULT '2026-01-01';
CREATE TABLE b.audit (user_id int, happened_at timestamptz);
CREATE FUNCTION b.stamp() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN NEW.updated_at := now(); RETURN NEW; END $$;
CREATE FUNCTION b.audit() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN INSERT INTO b.audit VALUES (NEW.id, now()); RETURN NULL; END $$;
CREATE TRIGGER stamp BEFORE UPDATE ON b.users FOR EACH ROW EXECUTE FUNCTION b.stamp();
CREATE TRIGGER audit AFTER UPDATE ON b.users FOR EACH ROW EXECUTE FUNCTION b.audit();
SQL
}
compact() { q -c "VACUUM FULL b.users" -c "ANALYZE b.users" -c "CHECKPOINT"; }

# The pgroll-style triggers of pgroll-style-anchors.sh, on b.users.
pgroll_triggers() { echo "SET search_path = b;"; cat "$PGROLL_STYLE_SQL"; }

# Each run_* prints "<rows/s> <longest batch ms>" and fails if a row was left unfilled.
run_plain() {
  fresh_table "$1" "${2:-}"; q -c "ALTER TABLE b.users ADD COLUMN _new_name varchar(255)"; compact
  local t0 t1; t0=$(now)
  q -c "UPDATE b.users SET _new_name = CASE WHEN name IS NULL THEN 'placeholder' ELSE name END"
  t1=$(now)
  local s; s=$(elapsed "$t0" "$t1"); echo "$(rate "$1" "$s") $(python3 -c "print($s * 1000)")"
}

run_pgroll() {
  fresh_table "$1"; pgroll_triggers | q; compact
  local script; script=$(mktemp)
  { echo "SET search_path = b;"; echo "SELECT 0 AS last \\gset"; echo '\timing on'
    for ((i = 0; i < ($1 + 9999) / 10000 + 1; i++)); do cat <<'SQL'
WITH batch AS (SELECT id FROM users WHERE _pgroll_needs_backfill = true AND id > :last
  ORDER BY id LIMIT 10000 FOR NO KEY UPDATE),
upd AS (UPDATE users SET id = users.id FROM batch WHERE users.id = batch.id RETURNING users.id)
SELECT coalesce(max(id), 2147483647) AS last FROM upd \gset
SQL
    done; } >"$script"
  local t0 t1 times; t0=$(now); times=$(q -f "$script"); t1=$(now); rm -f "$script"
  local left; left=$(q -At -c "SELECT count(*) FROM b.users WHERE _pgroll_new_name IS NULL")
  [ "$left" = 0 ] || { echo "pgroll-style backfill left $left rows unfilled" >&2; exit 1; }
  local longest; longest=$(sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p' <<<"$times" | sort -g | tail -1)
  echo "$(rate "$1" "$(elapsed "$t0" "$t1")") $longest"
}

# run_pgshift N OPTIONS [app]
run_pgshift() {
  fresh_table "$1" "${3:-}"; compact
  local out
  out=$(q -At <<SQL
SELECT extract(epoch FROM clock_timestamp()) AS t0 \\gset
SELECT pgshift.start('b', \$\$$MIGRATION\$\$, '$2') IS NOT NULL AS started \\gset
CALL pgshift.wait_for_jobs('b');
SELECT extract(epoch FROM max(finished_at)) - :t0, max(max_batch_ms), sum(rows_done) FROM pgshift.jobs WHERE schema = 'b';
SQL
)
  local seconds longest done; IFS='|' read -r seconds longest done <<<"$out"
  local left; left=$(q -At -c "SELECT count(*) FROM b.users WHERE _pgshift_new_name IS NULL")
  [ "$left" = 0 ] && [ "$done" -ge "$1" ] || { echo "pgshift backfill left $left rows unfilled" >&2; exit 1; }
  if [ "${3:-}" = app ] && [ "$(q -At -c "SELECT count(*) FROM b.audit")" != 0 ]; then
    echo "the backfill fired the application's triggers" >&2; exit 1
  fi
  echo "$(rate "$1" "$seconds") $longest"
}

VARIANTS=(plain pgroll adaptive adaptive_off fixed1000 plain_app adaptive_app)
declare -A LABEL=([plain]="one plain UPDATE  " [pgroll]="pgroll batches    " [adaptive]="pgshift adaptive  "
                  [adaptive_off]="pgshift adaptive, throttle off"
                  [fixed1000]="pgshift 1000/batch" [plain_app]="plain UPDATE, app triggers    "
                  [adaptive_app]="pgshift adaptive, app triggers")
for n in "${ROWS[@]}"; do
  declare -A RATE=() LONGEST=()
  for ((r = 0; r < REPEAT; r++)); do
    for v in "${VARIANTS[@]}"; do
      case $v in
        plain) result=$(run_plain "$n") ;;
        pgroll) result=$(run_pgroll "$n") ;;
        adaptive) result=$(run_pgshift "$n" '{}') ;;
        adaptive_off) result=$(run_pgshift "$n" '{"throttle": "off"}') ;;
        fixed1000) result=$(run_pgshift "$n" '{"backfill_batch_size": 1000}') ;;
        plain_app) result=$(run_plain "$n" app) ;;
        adaptive_app) result=$(run_pgshift "$n" '{}' app) ;;
      esac
      read -r rows_per_second longest <<<"$result"
      RATE[$v]+=" $rows_per_second"; LONGEST[$v]+=" $longest"
    done
  done
  floor=$(median ${RATE[plain]})
  for v in "${VARIANTS[@]}"; do
    r=$(median ${RATE[$v]})
    worst=$(python3 -c "import sys; print(f'{max(map(float, sys.argv[1:])):.0f}')" ${LONGEST[$v]})
    if [[ $v == plain* ]]; then what="(one transaction of $worst ms)"; else what="longest batch $worst ms"; fi
    printf 'backfill %8d rows  %s %9d rows/s (%sx of plain UPDATE)  %s\n' "$n" "${LABEL[$v]}" "$r" "$(ratio "$r" "$floor")" "$what"
  done
  unset RATE LONGEST
done
