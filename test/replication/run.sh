#!/usr/bin/env bash
# The backfill yields to a standby: a real streaming standby of the test cluster (pg_basebackup -R,
# started on another port) has its replay paused; the backfill must stop within a bounded time, say
# why (pgshift.jobs.throttle, backfill_progress), go on once replay resumes, and the standby must end
# with the same data. With the bound at 0 the backfill does not wait.
#
#   scripts/with-cluster.sh bash test/replication/run.sh      (after `make install` and the CLI's install)
#
# Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"

PGSHIFT=${PGSHIFT_BIN:-pgshift}
ADMIN_DB=${PGDATABASE:-postgres}
export PGDATABASE=pgshift_replication
export PGOPTIONS="-c client_min_messages=warning"
bindir=$(/usr/lib/postgresql/15/bin/pg_config --bindir)
standby=$(mktemp -d /tmp/pgshift-standby.XXXXXX)
chmod 755 "$standby"
chown postgres: "$standby"
standby_port=$(( PGPORT + 1 ))
cleanup() {
  runuser -u postgres -- "$bindir/pg_ctl" -D "$standby/data" -m immediate stop >/dev/null 2>&1
  rm -rf "$standby"
  dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
}
trap cleanup EXIT
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
on_standby() { psql -X -q -A -t -v ON_ERROR_STOP=1 -h "$standby" -p "$standby_port" -c "$1" 2>&1; }
job() { sql "SELECT $1 FROM pgshift.jobs WHERE schema = 'r' AND migration = '$2' AND kind = 'backfill'"; }
now_ms() { echo $(( $(date +%s%N) / 1000000 )); }
# wait_until SECONDS COMMAND...: until the command succeeds, or false after SECONDS.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    (( $(date +%s) >= deadline )) && return 1
    sleep 0.1
  done
}
caught_up() {   # the standby has replayed everything the primary had written when this was called
  # The insert position, not pg_current_wal_lsn() (the write position): the test cluster commits
  # with synchronous_commit off, so the last commit record may not have been written out yet.
  local target; target=$(sql "SELECT pg_current_wal_insert_lsn()")
  wait_until 60 bash -c "[[ \$(psql -X -A -t -h '$standby' -p $standby_port -d postgres -c \"SELECT pg_last_wal_replay_lsn() >= '$target'\") == t ]]"
}
data_hash() { "$@" "SELECT md5(string_agg(id || ':' || v, ',' ORDER BY id)) FROM r.items"; }

test_case "a standby"
dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
createdb --maintenance-db="$ADMIN_DB" "$PGDATABASE"
assert_exit "pgshift init" 0 "$PGSHIFT" init
sql "CREATE SCHEMA r" >/dev/null
printf '%s' '{"name": "01", "operations": [{"create_table": {"name": "items", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "v", "type": "text"}]}}]}' >"$standby/01.json"
assert_exit "01" 0 "$PGSHIFT" --schema r start "$standby/01.json" --complete
sql "INSERT INTO r.items (v) SELECT 'v' || g FROM generate_series(1, 60000) g" >/dev/null
if ! runuser -u postgres -- "$bindir/pg_basebackup" -h "$PGHOST" -p "$PGPORT" -U postgres -D "$standby/data" -R -X stream -c fast \
     >"$standby/basebackup.log" 2>&1; then
  fail "pg_basebackup: $(tail -n 3 "$standby/basebackup.log")"; finish_tests; exit 1
fi
cat >>"$standby/data/postgresql.conf" <<CONF
port = $standby_port
unix_socket_directories = '$standby'
CONF
echo "primary_conninfo = 'host=$PGHOST port=$PGPORT user=postgres application_name=standby1'" >>"$standby/data/postgresql.auto.conf"
if ! runuser -u postgres -- "$bindir/pg_ctl" -D "$standby/data" -l "$standby/server.log" -w start >/dev/null 2>&1; then
  fail "the standby does not start: $(tail -n 5 "$standby/server.log")"; finish_tests; exit 1
fi
assert_eq "it streams from the primary" "standby1" \
  "$(wait_until 30 bash -c "[[ -n \$(psql -X -A -t -c \"SELECT 1 FROM pg_stat_replication WHERE state = 'streaming'\") ]]"; sql "SELECT application_name FROM pg_stat_replication")"
caught_up || fail "the standby does not catch up"

test_case "the backfill waits for a standby that does not replay"
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
wait_until 10 bash -c "[[ \$(psql -X -A -t -h '$standby' -p $standby_port -d postgres -c 'SELECT pg_get_wal_replay_pause_state()') == paused ]]" \
  || fail "the standby's replay does not pause"
printf '%s' '{"name": "02", "operations": [{"alter_column": {"table": "items", "column": "v", "type": "varchar(40)",
  "up": "upper(v)", "down": "lower(v)"}}]}' >"$standby/02.json"
started=$(now_ms)
assert_exit "start, not waiting for the jobs" 0 "$PGSHIFT" --schema r start "$standby/02.json" --no-wait \
  --backfill-batch-size 300 --backfill-batch-delay 20ms --max-replication-lag 1s
assert_eq "the bound given to start" "1000" "$(job max_replication_lag_ms 02)"
if wait_until 20 bash -c "[[ \$(psql -X -A -t -c \"SELECT throttle LIKE 'waiting for standby%' FROM pgshift.jobs WHERE schema = 'r' AND kind = 'backfill'\") == t ]]"; then
  pass
else
  fail "the backfill never waited (rows done: $(job rows_done 02), throttle: $(job throttle 02))"
fi
waited_after=$(( $(now_ms) - started ))
if (( waited_after < 1000 + 5000 )); then pass; else fail "it took ${waited_after} ms to wait (bound 1000 ms)"; fi
reason=$(sql "SELECT throttle FROM pgshift.backfill_progress WHERE schema = 'r'")
assert_contains "backfill_progress says why" "$reason" 'standby "standby1"'
assert_eq "and how it is paced" "waiting for standbys" "$(sql "SELECT throttle_state FROM pgshift.backfill_progress WHERE schema = 'r'")"
# Not before the bound: what the standby had not replayed was written at least 1 s before.
behind=$(sed -nE 's/.*wrote ([0-9.]+) s ago.*/\1/p' <<<"$reason")
if python3 -c "import sys; sys.exit(0 if float('${behind:-0}') >= 1.0 else 1)"; then pass; else fail "it waited for a lag of ${behind:-?} s, under the bound: $reason"; fi
before=$(job rows_done 02)
if (( before > 0 )); then pass; else fail "no batch ran before the wait"; fi
sleep 2
assert_eq "no batch runs while it waits" "$before" "$(job rows_done 02)"
if (( before < 60000 )); then pass; else fail "the backfill ended before it waited ($before rows)"; fi

test_case "it goes on once the standby replays"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
assert_eq "the backfill ends" "" "$(sql "CALL pgshift.wait_for_jobs('r', 120)" | grep -i error)"
assert_eq "every row" "60000" "$(job rows_done 02)"
assert_eq "and it no longer says it waits" "" "$(job throttle 02)"
assert_exit "complete" 0 "$PGSHIFT" --schema r complete
caught_up || fail "the standby does not catch up after complete"
assert_eq "the standby has the same data" "$(data_hash sql)" "$(data_hash on_standby)"
assert_eq "with the new values" "V1" "$(on_standby "SELECT v FROM r.items WHERE id = 1")"

test_case "bound 0: the backfill does not wait"
on_standby "SELECT pg_wal_replay_pause()" >/dev/null
printf '%s' '{"name": "03", "operations": [{"alter_column": {"table": "items", "column": "v", "type": "varchar(50)",
  "up": "v", "down": "v"}}]}' >"$standby/03.json"
assert_exit "start with --max-replication-lag 0 (waits for its jobs)" 0 timeout 120 "$PGSHIFT" --schema r start "$standby/03.json" \
  --backfill-batch-size 300 --backfill-batch-delay 10ms --max-replication-lag 0
assert_eq "every row, the standby paused all along" "60000 paused" \
  "$(job rows_done 03) $(on_standby "SELECT pg_get_wal_replay_pause_state()")"
on_standby "SELECT pg_wal_replay_resume()" >/dev/null
assert_exit "complete" 0 "$PGSHIFT" --schema r complete
caught_up || fail "the standby does not catch up"
assert_eq "the standby has the same data" "$(data_hash sql)" "$(data_hash on_standby)"

finish_tests
