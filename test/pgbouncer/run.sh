#!/usr/bin/env bash
# pgshift through PgBouncer in transaction pooling mode: the CLI and the version schemas must not rely
# on session state, since each transaction of a client may run on another server connection.
#
#   PGSHIFT_BIN=build/pgshift scripts/with-cluster.sh bash test/pgbouncer/run.sh
#
# Needs the pgbouncer package (scripts/setup.sh installs it) and root (PgBouncer runs as postgres).
# Through PgBouncer: init, start/complete of a create_table, an alter_column type change whose backfill
# runs while two clients write and read through both versions, lock_timeout reaching the server, two
# CLIs migrating at once, rollback; then no advisory lock and no changed setting left behind.
# Prints one line per failure and ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=../cli/lib.sh
source "$repo/test/cli/lib.sh"
# shellcheck source-path=SCRIPTDIR source=pgbouncer.sh
source "$here/pgbouncer.sh"
# shellcheck source-path=SCRIPTDIR source=version_clients.sh
source "$here/version_clients.sh"

PGSHIFT=${PGSHIFT_BIN:-pgshift}
# PGOPTIONS would send the options startup parameter, which PgBouncer refuses; the caller's pgshift
# settings must not leak into the commands under test.
unset PGOPTIONS PGSHIFT_PG_URL PGSHIFT_SCHEMA PGSHIFT_STATE_SCHEMA PGSHIFT_LOCK_TIMEOUT PGSHIFT_VERBOSE \
  PGSHIFT_LOCK_WAIT_TIMEOUT PGSHIFT_BACKFILL_BATCH_SIZE PGSHIFT_BACKFILL_BATCH_DELAY
LOCK_KEY=1886610292        # pgshift.lock_key(), taken by the extension's functions per call
RUN_LOCK_KEY=1886610294    # the CLI's run lock (cli/advisory_lock.hpp)

if ! command -v pgbouncer >/dev/null; then
  fail "pgbouncer is not installed (scripts/setup.sh installs it)"
  finish_tests
  exit 1
fi

work=$(mktemp -d /tmp/pgshift-pgbouncer.XXXXXX)
chmod 755 "$work"
databases=()
children=()
cleanup() {
  local pid db
  for pid in "${children[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  stop_pgbouncer
  for db in "${databases[@]}"; do dropdb --if-exists --force --maintenance-db=postgres "$db" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

start_pgbouncer "$work" || { fail "PgBouncer did not start"; finish_tests; exit 1; }

# --- helpers -----------------------------------------------------------------------------------------

url_of() { echo "postgresql://postgres@127.0.0.1:$PGBOUNCER_PORT/$1"; }
# cli DB ARGS...: the CLI through PgBouncer; a run that hangs (a lock that blocks the worker) fails.
cli() { local db=$1; shift; timeout 120 "$PGSHIFT" --postgres-url "$(url_of "$db")" "$@"; }
# through DB: the SQL on stdin through PgBouncer, one value per line.
through() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$(url_of "$1")"; }
# in_version DB VERSION_SCHEMA SQL: one transaction through PgBouncer that reads and writes VERSION_SCHEMA.
in_version() { through "$1" <<<"BEGIN; SET LOCAL search_path TO $2; $3; COMMIT;"; }
# direct DB SQL: straight to the server over its socket, for checks PgBouncer must not mediate.
direct() { psql -X -q -A -t -v ON_ERROR_STOP=1 -d "$1" -c "$2" 2>&1; }

new_db() {
  createdb --maintenance-db=postgres "$1" || { fail "cannot create database $1"; return 1; }
  databases+=("$1")
}

# advisory_locks DB [CLASSID]: granted advisory locks in DB (of that first key only, when given).
advisory_locks() {
  direct postgres "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory'
                     AND database = (SELECT oid FROM pg_database WHERE datname = '$1')${2:+ AND classid::bigint = $2}"
}

# wait_until DESC SECONDS COMMAND...: runs COMMAND until it prints t.
wait_until() {
  local desc=$1 seconds=$2 tries=$(($2 * 20))
  shift 2
  until [[ $("$@") == t ]]; do
    tries=$((tries - 1))
    if (( tries <= 0 )); then fail "$desc: not within $seconds s"; return 1; fi
    sleep 0.05
  done
}

# server_settings DB: through PgBouncer, two transactions at once, so that both server connections of
# the pool answer: "pid|lock_timeout|search_path|idle_in_transaction_session_timeout" per line.
server_settings() {
  local sql="BEGIN; SELECT pg_backend_pid() || '|' || current_setting('lock_timeout') || '|' || current_setting('search_path')
               || '|' || current_setting('idle_in_transaction_session_timeout'); SELECT pg_sleep(0.7); COMMIT;"
  through "$1" <<<"$sql" >"$work/settings_1" 2>&1 &
  local first=$!
  through "$1" <<<"$sql" >"$work/settings_2" 2>&1
  wait "$first"
  # (pg_sleep's empty lines dropped)
  sort "$work/settings_1" "$work/settings_2" | grep -v '^$'
}

# no_session_state_left DB: every server connection of DB's pool shows the server's defaults.
no_session_state_left() {
  local defaults settings
  defaults=$(direct postgres "SELECT current_setting('lock_timeout') || '|' || current_setting('search_path') || '|' ||
                                     current_setting('idle_in_transaction_session_timeout')")
  settings=$(server_settings "$1")
  assert_eq "two server connections answered" "2" "$(cut -d'|' -f1 <<<"$settings" | sort -u | wc -l)"
  assert_eq "no server connection kept a changed setting" "$defaults"$'\n'"$defaults" "$(cut -d'|' -f2- <<<"$settings")"
}

# --- migration files ---------------------------------------------------------------------------------

cat >"$work/01_items.yaml" <<'YAML'
operations:
  - create_table: {name: items, columns: [{name: id, type: bigint, pk: true}, {name: amount, type: text}]}
YAML
# A type change both ways, with up and down telling the directions apart (x10, /10).
cat >"$work/02_amount_cents.yaml" <<'YAML'
operations:
  - alter_column:
      table: items
      column: amount
      type: bigint
      up: CAST(amount AS bigint) * 10
      down: CAST(amount / 10 AS text)
YAML
cat >"$work/03_note.yaml" <<'YAML'
operations:
  - add_column:
      table: items
      up: "'n' || amount"
      column: {name: note, type: text, nullable: true}
YAML

# --- the full cycle ----------------------------------------------------------------------------------

test_case "init and create_table through PgBouncer"
db=pgshift_pgbouncer_cycle
new_db $db
assert_exit "init" 0 cli $db init
assert_contains "init output" "$OUT" "pgshift initialized"
assert_exit "start" 0 cli $db start "$work/01_items.yaml"
assert_contains "start names the version schema" "$OUT" '"public_01_items"'
assert_exit "status" 0 cli $db status
assert_contains "in progress" "$OUT" '"status": "In progress"'
assert_exit "complete" 0 cli $db complete
assert_contains "complete output" "$OUT" "Migration successful!"
assert_eq "written through the version schema, in one transaction" "" \
  "$(in_version $db public_01_items "INSERT INTO items SELECT g, g::text FROM generate_series(1, 20000) g" 2>&1)"
direct $db "CREATE INDEX items_amount_idx ON items (amount); ANALYZE items" >/dev/null
assert_eq "20000 rows" "20000" "$(direct $db "SELECT count(*) FROM items")"

test_case "alter_column with a backfill, clients on both versions"
run_lock_held="SELECT count(*) = 1 FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid
  WHERE l.locktype = 'advisory' AND l.granted AND l.classid::bigint = $RUN_LOCK_KEY AND l.objsubid = 2
    AND l.objid::bigint = (hashtext('public')::bigint & 4294967295) AND a.datname = '$db'"
# 40 batches of 500 rows, 50 ms apart: the backfill takes a few seconds, while the clients work.
cli $db start --backfill-batch-size 500 --backfill-batch-delay 50ms "$work/02_amount_cents.yaml" \
  >"$work/start.out" 2>"$work/start.err" &
start_pid=$!
children+=("$start_pid")
# through_sql DB SQL: one statement through PgBouncer.
through_sql() { through "$1" <<<"$2" 2>&1; }

wait_until "the run lock is taken" 10 direct postgres "$run_lock_held"
version_client old $db "$work/old_client" "$start_pid" &
old_client=$!
children+=("$old_client")
# While the backfill runs, from the postgres database (a connection to $db would count below).
sleep 0.5
assert_eq "the run lock: idle in transaction, no snapshot, no xid" "t" \
  "$(direct postgres "$run_lock_held AND a.state = 'idle in transaction' AND a.backend_xmin IS NULL AND a.backend_xid IS NULL")"
assert_eq "no session-level per-call lock held meanwhile" "0" "$(advisory_locks $db $LOCK_KEY)"
most=0
while kill -0 "$start_pid" 2>/dev/null && [[ $(direct postgres "SELECT count(*) FROM pg_namespace WHERE nspname = 'public_02_amount_cents'") == 0 ]]; do
  n=$(direct postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend'")
  (( n > most )) && most=$n
  sleep 0.1
done
wait_until "version schema public_02_amount_cents opens" 60 \
  through_sql $db "SELECT count(*) = 1 FROM pg_namespace WHERE nspname = 'public_02_amount_cents'"
assert_eq "it opened once its backfill was done" "done" \
  "$(direct $db "SELECT state FROM pgshift.jobs WHERE kind = 'backfill'")"
version_client new $db "$work/new_client" "$start_pid" &
new_client=$!
children+=("$new_client")
while kill -0 "$start_pid" 2>/dev/null; do
  n=$(direct postgres "SELECT count(*) FROM pg_stat_activity WHERE datname = '$db' AND backend_type = 'client backend'")
  (( n > most )) && most=$n
  sleep 0.1
done
wait "$start_pid"
start_status=$?
assert_eq "start exits 0 ($(tail -n 2 "$work/start.err" | tr '\n' ' '))" "0" "$start_status"
assert_contains "start names the version schema" "$(cat "$work/start.out")" '"public_02_amount_cents"'
assert_eq "four clients shared at most two server connections (saw $most)" "yes" "$( ((most >= 1 && most <= 2)) && echo yes || echo no)"
wait "$old_client" "$new_client"
assert_eq "the index copy was built concurrently by the worker meanwhile" "1" \
  "$(direct $db "SELECT count(*) FROM pgshift.jobs WHERE kind = 'sql' AND state = 'done' AND statement LIKE 'CREATE INDEX CONCURRENTLY%'")"
for client in old new; do
  assert_eq "$client-version client: every value read back through the other version" "" \
    "$(grep -m 3 '^bad' "$work/${client}_client")"
  done_count=$(grep -c '^ok' "$work/${client}_client")
  assert_eq "$client-version client worked (at least 3 rounds, did $done_count)" "yes" "$( ((done_count >= 3)) && echo yes || echo no)"
done
assert_ne "the old-version client wrote while the backfill ran" "0" "$(awk '$1 == "ok" && $3 > 0' "$work/old_client" | wc -l)"
old_rounds=$(wc -l <"$work/old_client")
new_rounds=$(wc -l <"$work/new_client")
# shellcheck disable=SC2016  # "$user" is PostgreSQL's, not the shell's
assert_eq "search_path was local to each transaction" '"$user", public' "$(through_sql $db "SHOW search_path")"

test_case "complete through PgBouncer"
assert_exit "complete" 0 cli $db complete
assert_contains "complete output" "$OUT" "Migration successful!"
assert_eq "no run lock or per-call lock left once the CLI exits" "0" \
  "$(direct postgres "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND classid::bigint IN ($LOCK_KEY, $RUN_LOCK_KEY)")"
wait_until "the background worker exits" 10 direct $db "SELECT NOT pgshift.worker_running('public')"
assert_eq "no advisory lock at all" "0" "$(advisory_locks $db)"
assert_eq "amount is bigint now" "bigint" "$(direct $db "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname = 'amount'")"
assert_eq "every row as its version wrote it" "$((20000 + old_rounds + new_rounds)) 0" \
  "$(direct $db "SELECT count(*) || ' ' || count(*) FILTER (WHERE amount IS DISTINCT FROM CASE
                    WHEN id > 200000 THEN (id - 200000) * 10 WHEN id > 100000 THEN (id - 100000) * 10
                    WHEN id <= $old_rounds THEN (id + 5) * 10 ELSE id * 10 END) FROM items")"
assert_eq "the index built concurrently under the run lock is valid, on the new column" "1" \
  "$(direct $db "SELECT count(*) FROM pg_index i JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = i.indkey[0]
                  WHERE i.indrelid = 'items'::regclass AND NOT i.indisprimary AND i.indisvalid AND a.attname = 'amount'
                    AND a.atttypid = 'bigint'::regtype")"
assert_eq "the old version schema is gone" "0" "$(direct $db "SELECT count(*) FROM pg_namespace WHERE nspname = 'public_01_items'")"
no_session_state_left $db

test_case "lock_timeout reaches the server through PgBouncer"
psql -X -q -d $db -c "BEGIN" -c "LOCK TABLE items IN ACCESS EXCLUSIVE MODE" -c "SELECT pg_sleep(4)" -c "COMMIT" >/dev/null 2>&1 &
holder=$!
children+=("$holder")
wait_until "the table lock is held" 10 direct postgres \
  "SELECT count(*) = 1 FROM pg_stat_activity WHERE datname = '$db' AND wait_event = 'PgSleep'"
started=$(date +%s%N)
assert_exit "start behind a table lock fails after --lock-timeout" 1 cli $db --lock-timeout 200 --lock-retries 0 start "$work/03_note.yaml"
elapsed=$(( ($(date +%s%N) - started) / 1000000 ))
assert_contains "lock timeout reported" "$ERR" "lock timeout"
assert_eq "gave up within 3 s (took ${elapsed} ms)" "yes" "$( ((elapsed < 3000)) && echo yes || echo no)"
wait "$holder"
run cli $db status
assert_contains "nothing started" "$OUT" '"status": "Complete"'

test_case "rollback through PgBouncer"
assert_exit "start" 0 cli $db start "$work/03_note.yaml"
assert_eq "the new column through the new version" "n199990" \
  "$(in_version $db public_03_note "SELECT note FROM items WHERE id = 19999")"
assert_exit "rollback" 0 cli $db rollback
assert_contains "rollback output" "$OUT" "rolled back"
assert_eq "the version schema is gone" "0" "$(direct $db "SELECT count(*) FROM pg_namespace WHERE nspname = 'public_03_note'")"
assert_eq "the column is gone" "0" "$(direct $db "SELECT count(*) FROM pg_attribute WHERE attrelid = 'items'::regclass AND attname LIKE '%note%' AND NOT attisdropped")"
assert_exit "latest schema" 0 cli $db latest schema
assert_eq "latest schema is the completed one" "public_02_amount_cents" "$OUT"
wait_until "the background worker exits" 10 direct $db "SELECT NOT pgshift.worker_running('public')"
assert_eq "no advisory lock left" "0" "$(advisory_locks $db)"
no_session_state_left $db

# --- two CLIs at once --------------------------------------------------------------------------------

test_case "two concurrent migrate through PgBouncer"
db=pgshift_pgbouncer_concurrent
new_db $db
run cli $db init
assert_status "init" 0
mkdir -p "$work/many"
for i in 1 2 3; do
  printf 'operations:\n  - create_table: {name: table_%s, columns: [{name: id, type: int, pk: true}]}\n' "$i" \
    >"$work/many/0${i}_table_$i.yaml"
done
run_at_once 2 "$work/concurrent" timeout 120 "$PGSHIFT" --postgres-url "$(url_of $db)" migrate "$work/many" --complete
assert_eq "both runs exit 0" "0 0 " "$STATUSES"
assert_eq "each migration applied once, done" "01_table_1:true 02_table_2:true 03_table_3:true" \
  "$(direct $db "SELECT string_agg(name || ':' || done, ' ' ORDER BY name) FROM pgshift.migrations")"
assert_eq "one run applied them, the other found nothing to do" "1" \
  "$(grep -l -x 'Database is up to date; no migrations to apply' "$work"/concurrent_*.out | wc -l)"
assert_eq "three lines from the one that applied" "3" "$(cat "$work"/concurrent_*.out | grep -c '^Migration ')"
assert_eq "no errors" "" "$(grep -h -v '^waiting for another pgshift run' "$work"/concurrent_*.err)"
assert_eq "no advisory lock left" "0" "$(advisory_locks $db)"
no_session_state_left $db

assert_eq "PgBouncer refused no startup parameter" "" "$(grep -m 3 'unsupported startup parameter' "$work/pgbouncer.log")"

finish_tests
