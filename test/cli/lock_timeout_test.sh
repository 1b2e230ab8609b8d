# shellcheck shell=bash
# Lock timeouts with retries (sourced by run.sh): a transaction holds a lock on the table; pgshift's
# DDL waits at most --lock-timeout for it, so other clients' queries keep completing; it tries again
# with backoff and succeeds once the lock is released, or gives up after its retries with the
# database unchanged.
lock_db=pgshift_cli_lock_timeout
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $lock_db" -c "CREATE DATABASE $lock_db" >/dev/null
lock_url="postgresql:///$lock_db?host=${PGHOST:-/var/run/postgresql}&port=${PGPORT:-5432}&user=${PGUSER:-postgres}"
lock_cli() { "$PGSHIFT" --postgres-url "$lock_url" "$@"; }
lock_cli init >/dev/null
printf '%s\n' 'operations:' '  - create_table: {name: items, columns: [{name: id, type: int, pk: true}, {name: n, type: int}]}' \
  >"$work/lt_01.yaml"
lock_cli start --complete "$work/lt_01.yaml" >/dev/null
psql -X -q -d "$lock_db" -c "INSERT INTO public.items SELECT g, g FROM generate_series(1, 1000) g"
printf '%s\n' 'operations:' '  - add_column: {table: items, up: "n * 2", column: {name: doubled, type: int, nullable: true}}' \
  >"$work/lt_02.yaml"

test_case "lock timeout: retried until the lock is released"
psql -X -q -d "$lock_db" -c "BEGIN" -c "LOCK TABLE public.items IN ACCESS SHARE MODE" -c "SELECT pg_sleep(3)" -c "COMMIT" \
  >/dev/null 2>&1 &
holder=$!
sleep 0.5
# Readers of the table during the wait: each must finish well within a second.
(for _ in $(seq 1 20); do
   s=$(date +%s%N); psql -X -q -At -d "$lock_db" -c "SELECT count(*) FROM public.items" >/dev/null
   echo $(( ($(date +%s%N) - s) / 1000000 )); sleep 0.1
 done) >"$work/lt_reader_ms" &
readers=$!
run lock_cli --lock-timeout 200 start --complete "$work/lt_02.yaml"
assert_status "start succeeds once the lock is free" 0
assert_contains "it said it was retrying" "$ERR" "retrying in"
wait "$holder" "$readers"
slowest=$(sort -n "$work/lt_reader_ms" | tail -n 1)
assert_eq "readers kept completing (slowest under 1000 ms, was ${slowest} ms)" "yes" "$([ "$slowest" -lt 1000 ] && echo yes || echo no)"
assert_eq "every row backfilled" "1000" "$(psql -X -At -d "$lock_db" -c "SELECT count(*) FROM public.items WHERE doubled = n * 2")"

test_case "lock timeout: gives up after its retries, database unchanged"
printf '%s\n' 'operations:' '  - add_column: {table: items, up: "n * 3", column: {name: tripled, type: int, nullable: true}}' \
  >"$work/lt_03.yaml"
pg_dump -s "$lock_db" 2>/dev/null | grep -vE '^(\\restrict|\\unrestrict)' >"$work/lt_before"
psql -X -q -d "$lock_db" -c "BEGIN" -c "LOCK TABLE public.items IN ACCESS SHARE MODE" -c "SELECT pg_sleep(6)" -c "COMMIT" \
  >/dev/null 2>&1 &
holder=$!
sleep 0.5
run lock_cli --lock-timeout 100 --lock-retries 2 start "$work/lt_03.yaml"
assert_status "start fails" 1
assert_contains "the error says the lock was not available" "$ERR" "lock timeout"
wait "$holder"
pg_dump -s "$lock_db" 2>/dev/null | grep -vE '^(\\restrict|\\unrestrict)' >"$work/lt_after"
assert_files_equal "schema unchanged" "$work/lt_before" "$work/lt_after"
assert_eq "no migration recorded" "2" "$(psql -X -At -d "$lock_db" -c "SELECT count(*) FROM pgshift.migrations")"
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $lock_db" >/dev/null
