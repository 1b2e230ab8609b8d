#!/usr/bin/env bash
# Calls per second of pgshift.read_schema on the two schemas of pgroll's read_schema benchmark
# (../shared/bench/pgroll-style-anchors.sh builds the same ones): a one-table schema and a
# 100-table schema with keys, defaults, checks, an FK, a 2-column index and a comment per table.
#
# usage: bench/read_schema.sh [one-table calls] [100-table calls]     (defaults: 20000 400)
# needs: psql reaching a server through the usual PG* variables, and pgshift installed there;
#        e.g. scripts/with-cluster.sh bench/read_schema.sh
set -euo pipefail
ONE_CALLS=${1:-20000}
WIDE_CALLS=${2:-400}
DB=pgshift_bench_read_schema
q() { psql -X -q -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
now() { date +%s.%N; }
rate() { python3 -c "import sys; n,a,b=map(float,sys.argv[1:]); print(f'{n/(b-a):.0f}')" "$@"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB"' EXIT
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
# Sanity check before timing: the 100-table schema really is read whole.
tables=$(q -At -c "SELECT count(*) FROM jsonb_object_keys(pgshift.read_schema('wide')->'tables')")
[ "$tables" = 100 ] || { echo "read_schema('wide') returned $tables tables, expected 100" >&2; exit 1; }

# One warm-up call per schema so both runs start with warm caches, then the timed statement.
q -c "SELECT pgshift.read_schema('one'), pgshift.read_schema('wide')" >/dev/null
t0=$(now); q -c "SELECT pgshift.read_schema('one') FROM generate_series(1,$ONE_CALLS)" >/dev/null; t1=$(now)
echo "read_schema one-table  pgshift: $(rate "$ONE_CALLS" "$t0" "$t1") calls/s"
t0=$(now); q -c "SELECT pgshift.read_schema('wide') FROM generate_series(1,$WIDE_CALLS)" >/dev/null; t1=$(now)
echo "read_schema 100-table pgshift: $(rate "$WIDE_CALLS" "$t0" "$t1") calls/s"
