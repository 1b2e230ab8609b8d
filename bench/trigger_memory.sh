#!/usr/bin/env bash
# Memory of a long-lived (pooled) backend that writes millions of rows through the dual-write
# trigger, alternating between the two versions' views and the table itself under alternating
# search_paths (each switch is a new direction decision), and then writes that keep failing to
# compile (a `down` naming a column the new version lacks). Prints the backend's memory (the sum
# of pg_backend_memory_contexts) as it goes: it must stay flat.
#
# usage: bench/trigger_memory.sh [million row writes]          (default 2)
# needs: psql reaching a server through the usual PG* variables, and pgshift installed there;
#        e.g. scripts/with-cluster.sh bench/trigger_memory.sh
set -euo pipefail
MILLIONS=${1:-2}
DB=pgshift_bench_memory
# shellcheck source=lib.sh
source "$(dirname "$0")/lib.sh"

admin -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB"
trap 'admin -c "DROP DATABASE IF EXISTS $DB"' EXIT
q -c "CREATE EXTENSION pgshift"
q -c "SELECT pgshift.start('public', '{\"name\": \"01\", \"operations\": [{\"create_table\": {\"name\": \"t\", \"columns\": [
        {\"name\": \"id\", \"type\": \"int\", \"pk\": true}, {\"name\": \"v\", \"type\": \"text\"}]}}]}')" \
  -c "SELECT pgshift.complete('public')" \
  -c "INSERT INTO t SELECT g, g::text FROM generate_series(1, 1000) g" \
  -c "SELECT pgshift.start('public', '{\"name\": \"02\", \"operations\": [{\"alter_column\": {\"table\": \"t\", \"column\": \"v\",
        \"type\": \"bigint\", \"up\": \"CAST(v AS bigint)\", \"down\": \"CAST(v AS text)\"}}]}')" \
  -c "CALL pgshift.wait_for_jobs('public')" >/dev/null

# One session for everything: 1000-row statements, four ways in turn, a commit every 100; the
# backend's memory noted every 250 statements (250,000 row writes).
q <<SQL
CREATE FUNCTION backend_kb() RETURNS bigint LANGUAGE sql AS 'SELECT sum(total_bytes)::bigint / 1024 FROM pg_backend_memory_contexts';
CREATE TABLE samples (row_writes bigint, kb bigint);
CREATE PROCEDURE write_alternating(statements int) LANGUAGE plpgsql AS \$\$
BEGIN
  INSERT INTO samples VALUES (0, backend_kb());
  FOR i IN 1..statements LOOP
    CASE i % 4
      WHEN 0 THEN UPDATE public_01.t SET v = (id + i % 7)::text;
      WHEN 1 THEN UPDATE public_02.t SET v = id + i % 7;
      WHEN 2 THEN PERFORM set_config('search_path', 'public_02, public', true); UPDATE public.t SET v = (id + i % 7)::text;
      ELSE PERFORM set_config('search_path', 'public_01, public', true); UPDATE public.t SET v = (id + i % 7)::text;
    END CASE;
    IF i % 100 = 0 THEN COMMIT; END IF;
    IF i % 250 = 0 OR i = 10 THEN INSERT INTO samples VALUES (i * 1000, backend_kb()); COMMIT; END IF;
  END LOOP;
END \$\$;
CALL write_alternating($((MILLIONS * 1000)));
\\echo 'row writes through alternating versions, and the backend memory after them:'
SELECT to_char(row_writes, 'FM9,999,999,999') AS row_writes, kb || ' kB' AS backend_memory FROM samples ORDER BY samples.row_writes;
SELECT count(*) || ' rows disagree' FROM public_01.t o JOIN public_02.t n USING (id) WHERE n.v IS DISTINCT FROM o.v::bigint;
SQL

q -c "SELECT pgshift.complete('public')" \
  -c "SELECT pgshift.start('public', '{\"name\": \"03\", \"operations\": [{\"alter_column\": {\"table\": \"t\", \"column\": \"v\",
        \"type\": \"numeric\", \"up\": \"v\", \"down\": \"missing_column\"}}]}')" \
  -c "CALL pgshift.wait_for_jobs('public')" >/dev/null 2>&1
q <<'SQL'
CREATE PROCEDURE write_failing(statements int) LANGUAGE plpgsql AS $$
BEGIN
  FOR i IN 1..statements LOOP
    BEGIN
      UPDATE public_03.t SET v = i WHERE id = 1;
    EXCEPTION WHEN undefined_column THEN NULL;
    END;
    IF i % 1000 = 0 THEN COMMIT; END IF;
  END LOOP;
END $$;
\echo 'failed writes   backend memory'
CALL write_failing(1000);
SELECT '    1,000', backend_kb() || ' kB (warm)';
CALL write_failing(50000);
SELECT '   51,000', backend_kb() || ' kB';
CALL write_failing(50000);
SELECT '  101,000', backend_kb() || ' kB';
SQL
