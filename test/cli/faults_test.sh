# shellcheck shell=bash disable=SC2154  # work, PGSHIFT and HOLDER come from run.sh
# Faults at every phase of a migration (sourced by run.sh after backfill_test.sh, whose big_table_db,
# wait_until and migration file it uses): the CLI killed with -9 inside start's DDL, mid-backfill and
# inside complete; a server restart after start committed, before complete; the CLI's backend
# terminated (pg_terminate_backend) inside start's DDL, while it waits for the backfill and inside
# complete. The phase is found on the server: a
# session holds a lock on the table so that the CLI's call blocks in a known step (pg_stat_activity
# shows it waiting), or pgshift.backfill_progress shows the backfill running. After each fault the
# state is whole (the migration active with its version schema, or nothing changed at all), rerunning
# the command (or rollback) finishes, and a checksum of every table shows that no data was lost.
#
# A CLI killed while the server runs its call leaves an orphaned backend that goes on until the call
# ends: it gives up when its lock_timeout expires (nothing changed); without a lock timeout it runs the
# call to its end once the lock comes free, and then commits it (the CLI's call in autocommit mode) or
# rolls it back (a call in an explicit transaction whose COMMIT never comes). Both are whole, and
# either is accepted there; a rerun started while the orphan still holds pgshift's lock waits for it.

FAULT_ROWS=50000
# Batches of 1000 rows (a fixed size: no growing batches) 40 ms apart: the backfill lasts over 2 s,
# long enough to act in the middle.
SLOW_BACKFILL=(--backfill-batch-size 1000 --backfill-batch-delay 40ms)

# The pgshift CLI's backends in the current database (application_name is set by the CLI), and the one
# that runs its calls (not a connection that only holds its run lock).
CLI_BACKENDS="datname = current_database() AND application_name = 'pgshift' AND backend_type = 'client backend'"
CLI_BACKEND="$CLI_BACKENDS AND query NOT LIKE '%advisory%'"

# backfill_test.sh's migration: big.v text -> bigint, a backfill of every row, dual writes meanwhile.
FAULT_MIGRATION=$work/02_to_bigint.yaml

# table_checksums [COLUMN...]: per table of schema public, "name rows md5" of its rows in id order,
# without the given columns and pgshift's twins of them.
table_checksums() {
  local skip="{" column
  for column in "$@"; do skip+="$column,_pgshift_new_$column,"; done
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v skip="${skip%,}}" 2>&1 <<'SQL'
SELECT format('SELECT %L || '' '' || count(*) || '' '' || md5(coalesce(string_agg((to_jsonb(r) - %L::text[])::text, '','' ORDER BY r.id), '''')) FROM %I.%I r',
              tablename, :'skip', schemaname, tablename)
  FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename
\gexec
SQL
}

# fault_db NAME: a fresh database where migration 01_create_big (backfill_test.sh) created big (FAULT_ROWS
# rows, v = id * 7), with a column note and a table other (1000 rows) added outside pgshift. Records the
# schema in $work/NAME_before.sql and the checksums in CHECKSUMS_BEFORE (whole rows) and
# UNTOUCHED_BEFORE (without big.v).
fault_db() {
  FAULT_DB=$1
  big_table_db "$1" "$FAULT_ROWS" || return 1
  local failed
  failed=$(sql "ALTER TABLE big ADD COLUMN note text; UPDATE big SET note = md5(id::text);
                CREATE TABLE other (id integer PRIMARY KEY, label text);
                INSERT INTO other SELECT g, 'label ' || g FROM generate_series(1, 1000) g; ANALYZE big, other")
  [[ -z $failed ]] || { fail "cannot add note and other: $failed"; return 1; }
  dump_schema "$work/$1_before.sql"
  CHECKSUMS_BEFORE=$(table_checksums)
  UNTOUCHED_BEFORE=$(table_checksums v)
}

status_of() { json_get "$("$PGSHIFT" status)" "$1"; }

# assert_unchanged DESC: schema (pg_dump -s) and every row as before the migration; 01 the latest.
assert_unchanged() {
  dump_schema "$work/${FAULT_DB}_now.sql"
  assert_files_equal "$1: pg_dump -s as before" "$work/${FAULT_DB}_before.sql" "$work/${FAULT_DB}_now.sql"
  assert_eq "$1: every row as before" "$CHECKSUMS_BEFORE" "$(table_checksums)"
  assert_eq "$1: no migration recorded" "01_create_big Complete" "$(status_of migration) $(status_of status)"
  assert_eq "$1: no job left" "0" "$(sql "SELECT count(*) FROM pgshift.jobs")"
}

# assert_active DESC: 02 in progress, the old version answering, and the new one once its backfill is
# done (before that it is not there at all: no client may see rows without their new values).
assert_active() {
  assert_eq "$1: 02 in progress" "02_to_bigint In progress" "$(status_of migration) $(status_of status)"
  assert_eq "$1: the old version answers" "$FAULT_ROWS" "$(sql "SELECT count(*) FROM public_01_create_big.big")"
  if [[ $(sql "SELECT count(*) FROM pgshift.jobs WHERE kind = 'publish' AND state = 'done'") == 1 ]]; then
    assert_eq "$1: the new version answers" "$FAULT_ROWS" "$(sql "SELECT count(*) FROM public_02_to_bigint.big")"
  else
    assert_eq "$1: the new version is not open before its backfill is done" "0" "$(schema_exists public_02_to_bigint)"
  fi
  assert_eq "$1: untouched columns as before" "$UNTOUCHED_BEFORE" "$(table_checksums v)"
}

# assert_migrated DESC: 02 complete, v bigint and right in every row, every other column as before.
assert_migrated() {
  assert_eq "$1: 02 complete" "02_to_bigint Complete" "$(status_of migration) $(status_of status)"
  assert_eq "$1: v is bigint" "bigint" \
    "$(sql "SELECT format_type(atttypid, atttypmod) FROM pg_attribute WHERE attrelid = 'big'::regclass AND attname = 'v'")"
  assert_eq "$1: v right in every row" "$FAULT_ROWS $FAULT_ROWS" \
    "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE v = id * 7) FROM big")"
  assert_eq "$1: every other column as before" "$UNTOUCHED_BEFORE" "$(table_checksums v)"
  assert_eq "$1: the previous version schema is gone" "0" "$(schema_exists public_01_create_big)"
}

# assert_whole DESC: once a killed CLI's call has ended, either it took effect (02 active) or nothing did.
assert_whole() {
  if [[ $(status_of migration) == 02_to_bigint ]]; then
    assert_active "$1 (it committed)"
    assert_eq "$1 (it committed): its jobs: the backfill, then opening the version" "backfill publish" \
      "$(sql "SELECT string_agg(kind, ' ' ORDER BY step) FROM pgshift.jobs")"
  else
    assert_unchanged "$1 (it rolled back)"
  fi
}

# cli_blocked_in FUNCTION: waits until the CLI's backend waits for a lock inside pgshift.FUNCTION().
cli_blocked_in() {
  wait_until "the CLI blocks in $1()" 20 \
    "SELECT count(*) = 1 FROM pg_stat_activity WHERE $CLI_BACKEND AND wait_event_type = 'Lock' AND query LIKE '%.$1(%'"
}

backfill_running() {
  wait_until "the backfill runs" 20 \
    "SELECT coalesce((SELECT state = 'running' AND rows_done > 0 FROM pgshift.backfill_progress), false)"
}

# kill_cli PID: SIGKILL (the braces keep bash's "Killed" job report out of the output).
kill_cli() { { kill -9 "$1"; wait "$1"; } 2>/dev/null; }

# The orphaned backend of a killed CLI ends once its call has ended (it cannot send the result).
no_cli_left() { wait_until "the killed CLI's backend ends" 20 "SELECT count(*) = 0 FROM pg_stat_activity WHERE $CLI_BACKENDS"; }

terminate_cli_backend() {
  assert_eq "pg_terminate_backend of the CLI's backend" "t" \
    "$(sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE $CLI_BACKEND")"
}

# hold_table: another session holds ACCESS SHARE on big (blocks pgshift's DDL) until release_table.
hold_table() { hold 60 "BEGIN" "LOCK TABLE big IN ACCESS SHARE MODE"; }
release_table() {
  sql "SELECT pg_terminate_backend(pid) FROM pg_stat_activity
        WHERE datname = current_database() AND application_name LIKE 'pgshift_test_holder_%'" >/dev/null
  wait "$HOLDER" 2>/dev/null
}

# wait_for_output FILE TEXT: waits (at most 20 s) until a background CLI wrote TEXT to FILE.
wait_for_output() {
  local deadline=$(( $(now_ms) + 20000 ))
  until grep -q -F -- "$2" "$1" 2>/dev/null; do
    if (( $(now_ms) > deadline )); then fail "[$2] never appeared in $(basename "$1"): $(cat "$1")"; return 1; fi
    sleep 0.05
  done
  pass
}

# background NAME CMD...: runs CMD with stdout and stderr in $work/NAME.out and .err; its pid in BG.
background() {
  BG_NAME=$1
  shift
  "$@" >"$work/$BG_NAME.out" 2>"$work/$BG_NAME.err" &
  BG=$!
}

# finish_background DESC CODE: waits for BG; checks its exit status; OUT and ERR get its output.
finish_background() {
  wait "$BG"
  # shellcheck disable=SC2034  # read by assert_status
  STATUS=$?
  OUT=$(cat "$work/$BG_NAME.out") ERR=$(cat "$work/$BG_NAME.err")
  assert_status "$1" "$2"
}

# assert_lost_connection: the CLI's error names the lost connection and the server's reason.
assert_lost_connection() {
  assert_contains "naming the lost connection" "$ERR" "Error: lost the database connection: "
  assert_contains "and why" "$ERR" "terminating connection due to administrator command"
  assert_contains "and what to do" "$ERR" "'pgshift status' shows where the migration stands"
  assert_not_contains "without libpq's noise" "$ERR" "server closed the connection unexpectedly"
  assert_not_contains "without the severity prefix" "$ERR" "FATAL:"
}

new_version_line='New version of the schema available under the postgres "public_02_to_bigint" schema'
jobs_done_line='migration "02_to_bigint": 3 jobs done in '

# --- SIGKILL inside start's DDL ------------------------------------------------------------------------

test_case "faults: start killed in its DDL, the server gives up"
fault_db faults_start_gives_up
hold_table
background start_gives_up "$PGSHIFT" --lock-timeout 1500 start "$FAULT_MIGRATION"
cli_blocked_in start
kill_cli "$BG"
# Its lock_timeout (1.5 s) ends the orphaned call: the whole start rolls back.
no_cli_left
assert_unchanged "after the kill"
release_table
assert_exit "start again" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
assert_eq "a new start" "$new_version_line" "$OUT"
assert_contains "that waited for the backfill" "$ERR" "$jobs_done_line"
assert_active "after the rerun"
assert_exit "complete" 0 "$PGSHIFT" complete
assert_migrated "after the rerun"

test_case "faults: start killed in its DDL, without a lock timeout"
fault_db faults_start_orphan
hold_table
background start_orphan "$PGSHIFT" --lock-timeout 0 start "$FAULT_MIGRATION"
cli_blocked_in start
kill_cli "$BG"
# (Only pgshift's own state here: reading big would queue behind the orphan's lock request.)
assert_eq "nothing visible while the orphaned start waits" "01_create_big Complete 0" \
  "$(status_of migration) $(status_of status) $(schema_exists public_02_to_bigint)"
release_table
no_cli_left
assert_whole "once the orphaned start has ended"
assert_exit "start again" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
assert_eq "prints the version schema" "$new_version_line" "$OUT"
assert_eq "one start recorded" "1" "$(sql "SELECT count(*) FROM pgshift.migrations WHERE name = '02_to_bigint'")"
assert_active "after the rerun"
assert_eq "it returned once every row was backfilled" "$FAULT_ROWS" \
  "$(sql "SELECT count(*) FROM big WHERE _pgshift_new_v = v::bigint")"
assert_exit "rollback" 0 "$PGSHIFT" rollback
assert_unchanged "after rollback"

# --- SIGKILL mid-backfill, rerun of the same command ------------------------------------------------------

test_case "faults: start --complete killed mid-backfill"
fault_db faults_backfill_kill
background backfill_kill "$PGSHIFT" start --complete "${SLOW_BACKFILL[@]}" "$FAULT_MIGRATION"
backfill_running
kill_cli "$BG"
rows_at_kill=$(sql "SELECT rows_done FROM pgshift.backfill_progress")
if (( rows_at_kill < FAULT_ROWS )); then pass; else fail "the backfill was over before the kill ($rows_at_kill rows)"; fi
assert_eq "still in progress" "02_to_bigint In progress" "$(status_of migration) $(status_of status)"
assert_exit "start --complete again" 0 "$PGSHIFT" start --complete "$FAULT_MIGRATION"
assert_eq "it finds the started migration, waits, completes" \
  "$new_version_line"$'\n''Migration successful! ("02_to_bigint" completed)' "$OUT"
assert_contains "it waited for the backfill" "$ERR" "$jobs_done_line"
assert_migrated "after the rerun"

# --- SIGKILL inside complete ----------------------------------------------------------------------------

test_case "faults: complete killed in its DDL, the server gives up"
fault_db faults_complete_gives_up
assert_exit "start" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
hold_table
background complete_gives_up "$PGSHIFT" --lock-timeout 1500 complete
cli_blocked_in complete
kill_cli "$BG"
no_cli_left
assert_active "after the kill"
assert_eq "the twin column is still there, backfilled" "$FAULT_ROWS" \
  "$(sql "SELECT count(*) FROM big WHERE _pgshift_new_v = v::bigint")"
release_table
assert_exit "complete again" 0 "$PGSHIFT" complete
assert_eq "completes" 'Migration successful! ("02_to_bigint" completed)' "$OUT"
assert_migrated "after the rerun"

test_case "faults: start --complete killed in complete, rerun at once, without a lock timeout"
fault_db faults_complete_orphan
background complete_orphan "$PGSHIFT" --lock-timeout 0 start --complete "${SLOW_BACKFILL[@]}" "$FAULT_MIGRATION"
backfill_running
hold_table    # (ACCESS SHARE does not stop the backfill's updates)
cli_blocked_in complete
kill_cli "$BG"
# (The orphan has dropped the old version's views, uncommitted: reading them would wait.)
assert_eq "still in progress while the orphaned complete waits" "02_to_bigint In progress" \
  "$(status_of migration) $(status_of status)"
# The rerun waits for pgshift's lock, which the orphaned backend holds until its call ends (it says
# "waiting for another pgshift run", or that its call found "another pgshift run" and is retried).
background complete_orphan_rerun "$PGSHIFT" start --complete "$FAULT_MIGRATION"
wait_for_output "$work/$BG_NAME.err" 'another pgshift run'
release_table
finish_background "the rerun succeeds" 0
case $OUT in
  'Migration "02_to_bigint" is already complete') pass ;;                                # the orphan committed
  "$new_version_line"$'\n''Migration successful! ("02_to_bigint" completed)') pass ;;   # it rolled back
  *) fail "the rerun's output: [$OUT]" ;;
esac
assert_migrated "after the rerun"
# complete names no migration: it cannot tell a finished one from a missing one.
assert_exit "complete alone refuses" 1 "$PGSHIFT" complete
assert_contains "saying why" "$ERR" 'no migration is in progress for schema "public"'

# --- server restart after start committed ------------------------------------------------------------------

test_case "faults: server restart before complete"
if [[ -z ${PGSHIFT_PG_CTL:-} ]]; then
  echo "SKIP: server restarts (no PGSHIFT_PG_CTL: run under scripts/with-cluster.sh)"
else
  fault_db faults_restart_complete
  assert_exit "start" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
  $PGSHIFT_PG_CTL restart -m fast >/dev/null 2>&1 || fail "pg_ctl restart failed"
  assert_active "after the restart"
  assert_exit "complete" 0 "$PGSHIFT" complete
  assert_migrated "after the restart"

  test_case "faults: server restart while start waits for the backfill, then rollback"
  fault_db faults_restart_rollback
  # (100 ms between batches: the restart comes long before the backfill's end.)
  background restart_wait "$PGSHIFT" start --backfill-batch-size 1000 --backfill-batch-delay 100ms "$FAULT_MIGRATION"
  backfill_running
  $PGSHIFT_PG_CTL restart -m fast >/dev/null 2>&1 || fail "pg_ctl restart failed"
  finish_background "start fails" 1
  assert_contains "naming the lost connection" "$ERR" "Error: lost the database connection"
  assert_contains "the migration stays active" "$ERR" "HINT: Migration \"02_to_bigint\" is still active"
  assert_active "after the restart"
  assert_eq "the backfill was cut short" "t" \
    "$(sql "SELECT state <> 'done' AND rows_done < $FAULT_ROWS FROM pgshift.backfill_progress")"
  assert_exit "rollback" 0 "$PGSHIFT" rollback
  assert_unchanged "after rollback"
  assert_eq "no worker" "f" "$(sql "SELECT pgshift.worker_running('public')")"
fi

# --- the CLI's connection terminated ------------------------------------------------------------------------

test_case "faults: connection dropped in start's DDL"
fault_db faults_drop_start
hold_table
background drop_start "$PGSHIFT" --lock-timeout 0 start "$FAULT_MIGRATION"
cli_blocked_in start
terminate_cli_backend
finish_background "start fails" 1
assert_lost_connection
release_table
assert_unchanged "after the dropped connection"
assert_exit "start again" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
assert_eq "a new start" "$new_version_line" "$OUT"
assert_exit "rollback" 0 "$PGSHIFT" rollback
assert_unchanged "after rollback"

test_case "faults: connection dropped while start waits for the backfill"
fault_db faults_drop_wait
background drop_wait "$PGSHIFT" start "${SLOW_BACKFILL[@]}" "$FAULT_MIGRATION"
backfill_running
terminate_cli_backend
rows_at_drop=$(sql "SELECT rows_done FROM pgshift.backfill_progress")
finish_background "start fails" 1
assert_lost_connection
assert_contains "the migration stays active" "$ERR" \
  "HINT: Migration \"02_to_bigint\" is still active: 'pgshift rollback' undoes it;"
wait_until "the worker goes on" 20 "SELECT rows_done > $rows_at_drop FROM pgshift.backfill_progress"
assert_exit "start again" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
assert_eq "it finds the started migration" "$new_version_line" "$OUT"
assert_contains "and waits for its backfill" "$ERR" "$jobs_done_line"
assert_active "after the rerun"
assert_exit "complete" 0 "$PGSHIFT" complete
assert_migrated "after the rerun"

test_case "faults: connection dropped in complete"
fault_db faults_drop_complete
assert_exit "start" 0 "$PGSHIFT" start "$FAULT_MIGRATION"
hold_table
background drop_complete "$PGSHIFT" --lock-timeout 0 complete
cli_blocked_in complete
terminate_cli_backend
finish_background "complete fails" 1
assert_lost_connection
release_table
assert_active "after the dropped connection"
assert_exit "complete again" 0 "$PGSHIFT" complete
assert_migrated "after the rerun"

test_case "faults: the run's lock connection dropped while start --complete waits for the backfill"
# The run lock lives on a connection of its own; once that is gone the run is no longer protected
# from a second run, so its next call (complete) stops instead of going on.
fault_db faults_drop_lock
background drop_lock "$PGSHIFT" start --complete "${SLOW_BACKFILL[@]}" "$FAULT_MIGRATION"
backfill_running
assert_eq "pg_terminate_backend of the run lock's connection" "t" \
  "$(sql "SELECT pg_terminate_backend(pid) FROM pg_locks WHERE locktype = 'advisory' AND classid = $RUN_LOCK_KEY AND granted")"
finish_background "start --complete fails" 1
assert_contains "saying the run lost its lock" "$ERR" 'this pgshift run lost its lock on schema "public"'
assert_active "after losing the lock"
assert_exit "complete again" 0 "$PGSHIFT" complete
assert_migrated "after the rerun"

test_case "faults: a call naming a lock holder that is gone"
assert_exit "is refused" 1 psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN" -c "SET LOCAL pgshift.run_lock_holder = 2147483647" \
  -c "SELECT pgshift.start('public', '{\"name\": \"09_none\", \"operations\": []}')"
assert_contains "with the reason" "$ERR" 'this pgshift run lost its lock on schema "public": its lock connection (process 2147483647) is gone'

test_case "faults: no background worker slot free"
if [[ -z ${PGSHIFT_PG_CTL:-} ]]; then
  echo "SKIP: no free worker slot (no PGSHIFT_PG_CTL: run under scripts/with-cluster.sh)"
else
  fault_db faults_no_worker_slot
  # One slot, which the logical replication launcher takes.
  sql "ALTER SYSTEM SET max_worker_processes = 1" >/dev/null
  $PGSHIFT_PG_CTL restart -m fast >/dev/null 2>&1 || fail "pg_ctl restart failed"
  assert_exit "start --no-wait succeeds: the migration is valid, only its worker waits" 0 \
    "$PGSHIFT" start --no-wait "$FAULT_MIGRATION"
  assert_contains "saying why its jobs wait and what starts them" "$ERR" \
    "Warning: no background worker slot is free on the server: the jobs of migration \"02_to_bigint\" wait for one (raise max_worker_processes)"
  assert_contains "with the call" "$ERR" "SELECT pgshift.backfill_resume('public') starts them later"
  assert_eq "the jobs wait" "pending pending pending" "$(sql "SELECT string_agg(state, ' ' ORDER BY step) FROM pgshift.jobs")"
  assert_active "with no slot"
  assert_exit "complete gives up after its retries" 1 "$PGSHIFT" complete
  assert_contains "naming the likely cause" "$ERR" "no free background worker slot: raise max_worker_processes"
  assert_active "after complete gave up"
  sql "ALTER SYSTEM RESET max_worker_processes" >/dev/null
  $PGSHIFT_PG_CTL restart -m fast >/dev/null 2>&1 || fail "pg_ctl restart failed"
  assert_exit "with a slot, complete starts the worker, waits and completes" 0 "$PGSHIFT" complete
  assert_migrated "once a slot was free"
fi
