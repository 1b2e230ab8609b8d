#!/usr/bin/env bash
# Calls per second of pgshift.read_schema on the two schemas of pgroll's read_schema benchmark,
# built exactly as ../shared/bench/pgroll-style-anchors.sh builds them: a one-table schema and a
# 100-table schema (keys, defaults, a check, an FK, a 2-column index and a comment per table).
# Each figure times `SELECT pgshift.read_schema(s) FROM generate_series(1,N)`, two ways:
#  * psql's \timing: the statement on the server, the jsonb output and its transfer to psql,
#    but not psql's printing of the result (the figure this benchmark is about);
#  * wall clock around psql with its aligned output sent to /dev/null, as pgroll-style-anchors.sh
#    measures pgroll; for a 240 kB value per row, psql's printing then costs more than the call.
# With PGROLL_GIT=<git dir of a pgroll checkout>, pgroll's own read_schema (from its
# pkg/state/init.sql) is measured the same two ways, in the same database.
#
# usage: [PGROLL_GIT=...] bench/read_schema.sh [one-table calls] [100-table calls]  (20000 200)
# needs: psql reaching a server through the usual PG* variables, and pgshift installed there;
#        e.g. scripts/with-cluster.sh bench/read_schema.sh
set -euo pipefail
ONE_CALLS=${1:-20000}
WIDE_CALLS=${2:-200}
PGROLL_GIT=${PGROLL_GIT:-}
DB=pgshift_bench_read_schema
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
admin() { psql -X -q -v ON_ERROR_STOP=1 -d postgres -c "SET client_min_messages = warning" "$@"; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print(f'{n/(b-a):.0f}')" "$@"; }

admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"' EXIT
q <<'SQL'
CREATE EXTENSION pgshift;
CREATE SCHEMA one; CREATE TABLE one.users(id serial PRIMARY KEY, name varchar(255));
CREATE SCHEMA wide;
DO $$ BEGIN
  FOR i IN 1..100 LOOP
    EXECUTE format('CREATE TABLE wide.t%s(id bigserial PRIMARY KEY, a int NOT NULL, b text UNIQUE,
      c timestamptz DEFAULT now(), d numeric(10,2) CHECK (d > 0), e varchar(40), f jsonb, g boolean,
      parent bigint REFERENCES wide.t%s(id))', i, greatest(i-1,1));
    EXECUTE format('CREATE INDEX ON wide.t%s(a, e)', i);
    EXECUTE format('COMMENT ON TABLE wide.t%s IS %L', i, 'table '||i);
  END LOOP; END $$;
VACUUM ANALYZE;
SQL
if [ -n "$PGROLL_GIT" ]; then
  q -c "ALTER DATABASE $DB SET pgroll.no_inferred_migrations = 'TRUE'"
  git --git-dir="$PGROLL_GIT" show HEAD:pkg/state/init.sql | sed 's/placeholder/pgroll/g' | q >/dev/null
fi
# Sanity check before timing: the 100-table schema really is read whole.
tables=$(q -At -c "SELECT count(*) FROM jsonb_object_keys(pgshift.read_schema('wide')->'tables')")
[ "$tables" = 100 ] || { echo "read_schema('wide') returned $tables tables, expected 100" >&2; exit 1; }
# One untimed call of each, so that the catalogs are in shared buffers.
q -c "SELECT pgshift.read_schema('one'), pgshift.read_schema('wide')" >/dev/null

# Each psql is a new backend, so each timed statement includes the backend's first call, which
# finds read_schema's per-backend caches (table list, deparsed definitions) empty.
timing_rate() {	# function schema calls [setting] -> calls/s by psql's \timing
  local ms
  ms=$(q -c "${4:-SELECT 1}" -c '\timing on' -c "SELECT $1('$2') FROM generate_series(1,$3)" -o /dev/null |
       sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p')
  python3 -c "import sys; print(f'{$3 / ($ms / 1000):.0f}')"
}
printing_rate() {	# function schema calls -> calls/s by the wall clock around psql
  local t0 t1
  t0=$(now); q -c "SELECT $1('$2') FROM generate_series(1,$3)" >/dev/null; t1=$(now)
  rate "$3" "$t0" "$t1"
}
report() {	# label function one-table-calls 100-table-calls
  echo "read_schema one-table  $1: $(timing_rate "$2" one "$3") calls/s"
  echo "read_schema 100-table $1: $(timing_rate "$2" wide "$4") calls/s"
  echo "  the same with psql's printing (as pgroll-style-anchors.sh): one-table $(printing_rate "$2" one "$3")," \
       "100-table $(printing_rate "$2" wide "$4") calls/s"
}
report pgshift pgshift.read_schema "$ONE_CALLS" "$WIDE_CALLS"
# Every call rebuilding its result (the deparsed-definition cache still helps): what read_schema
# costs when the schema changes between calls.
no_cache="SET pgshift.read_schema_result_cache = off"
echo "read_schema one-table  pgshift, result cache off: $(timing_rate pgshift.read_schema one "$ONE_CALLS" "$no_cache") calls/s"
echo "read_schema 100-table pgshift, result cache off: $(timing_rate pgshift.read_schema wide "$WIDE_CALLS" "$no_cache") calls/s"
[ -n "$PGROLL_GIT" ] && report "pgroll-plpgsql" pgroll.read_schema 5000 20

# The first call of a session, which is what a CLI run that connects, calls start() once and
# leaves gets: nothing cached yet (best of 5 new sessions).
first_call_ms() {
  for _ in 1 2 3 4 5; do
    q -c '\timing on' -c "SELECT pgshift.read_schema('$1') IS NULL" | sed -n 's/^Time: \([0-9.]*\) ms.*/\1/p'
  done | sort -g | head -1
}
echo "read_schema one-table  pgshift, first call of a session: $(first_call_ms one) ms"
echo "read_schema 100-table pgshift, first call of a session: $(first_call_ms wide) ms"
