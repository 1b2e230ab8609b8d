#!/usr/bin/env bash
# The backfill yields to the application (issue 13), under real load: pgbench clients keep the
# CPUs busy while a backfill runs. Every change of how the worker paces a job (jobs.throttle_state)
# is logged by a trigger on pgshift.jobs, so that the checks see each decision, not a sample.
#   * an idle machine: full speed, never yielding;
#   * a busy one: the worker yields (batches run a small share of the time) and says why, goes to
#     full speed when told --throttle off while it runs, and again by itself once the load stops;
#   * a rate bound holds and lifting it while the backfill runs takes effect; a duty cycle is shown;
#   * bad settings are refused by the CLI, naming the problem;
#   * every backfill reaches every row.
#
#   scripts/with-cluster.sh bash test/throttle/run.sh      (after `make install` and the CLI's install)
#
# Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"

PGSHIFT=${PGSHIFT_BIN:-pgshift}
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
ADMIN_DB=${PGDATABASE:-postgres}
export PGDATABASE=pgshift_throttle
export PGOPTIONS="-c client_min_messages=warning"
work=$(mktemp -d /tmp/pgshift-throttle.XXXXXX)
load_pid=
cleanup() {
  [ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null
  wait 2>/dev/null
  rm -rf "$work"
  dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
}
trap cleanup EXIT
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
job() { sql "SELECT $1 FROM pgshift.jobs WHERE schema = 't' AND migration = '$2' AND kind = 'backfill'"; }
# wait_until SECONDS COMMAND...: until the command succeeds, or false after SECONDS.
wait_until() {
  local deadline=$(( $(date +%s) + $1 )); shift
  until "$@"; do
    (( $(date +%s) >= deadline )) && return 1
    sleep 0.2
  done
}
job_done() { [[ $(job state "$1") == done ]]; }
logged_states() { sql "SELECT string_agg(DISTINCT state, ',' ORDER BY state) FROM public.throttle_log WHERE migration = '$1'"; }
# migration NAME ROWS: a table of ROWS rows and a migration file changing its column's type.
migration() {
  sql "DROP TABLE IF EXISTS t.$1; CREATE TABLE t.$1 (id int PRIMARY KEY, v text);
       INSERT INTO t.$1 SELECT g, g::text FROM generate_series(1, $2) g; ANALYZE t.$1" >/dev/null
  printf '{"name": "%s", "operations": [{"alter_column": {"table": "%s", "column": "v", "type": "integer",
    "up": "CAST(v AS integer)", "down": "CAST(v AS text)"}}]}' "$1" "$1" >"$work/$1.json"
}
all_rows_right() { sql "SELECT count(*) FILTER (WHERE v = id) || '/' || count(*) FROM t.$1"; }
start_load() {   # CPU-bound clients, more than the machine has CPUs
  printf 'SELECT count(*) FROM generate_series(1, 20000);\n' >"$work/load.sql"
  "$PGBENCH" -n -c "$(( $(nproc) * 2 ))" -j "$(nproc)" -T 120 -f "$work/load.sql" >"$work/load.log" 2>&1 &
  load_pid=$!
  sleep 2
}
stop_load() { kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null; load_pid=; }
# The share of the time the job's batches ran since its first logged decision: their summed
# durations (logged with each batch) over the time the log spans.
duty_logged() {
  sql "SELECT round((sum(batch_ms) / greatest(extract(epoch FROM max(at) - min(at)) * 1000, 1))::numeric, 2)
         FROM public.throttle_log WHERE migration = '$1' AND state = '$2'"
}

test_case "setup"
dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
createdb --maintenance-db="$ADMIN_DB" "$PGDATABASE"
assert_exit "pgshift init" 0 "$PGSHIFT" init
sql "CREATE SCHEMA t" >/dev/null
# Each batch the worker records (rows_done moves) is logged with the pacing it reported.
sql "CREATE TABLE public.throttle_log (migration text, at timestamptz, state text, reason text, batch_ms float8);
     CREATE FUNCTION public.log_throttle() RETURNS trigger LANGUAGE plpgsql AS \$\$
     BEGIN
       IF NEW.kind = 'backfill' AND NEW.rows_done > OLD.rows_done AND NEW.throttle_state IS NOT NULL THEN
         INSERT INTO public.throttle_log VALUES (NEW.migration, pg_catalog.clock_timestamp(), NEW.throttle_state,
                                                 NEW.throttle, NEW.last_batch_ms);
       END IF;
       RETURN NEW;
     END \$\$;
     CREATE TRIGGER log_throttle AFTER UPDATE ON pgshift.jobs FOR EACH ROW EXECUTE FUNCTION public.log_throttle()" >/dev/null

test_case "bad settings are refused"
assert_exit "backfill-configure with nothing to change" 1 "$PGSHIFT" --schema t backfill-configure
assert_contains "says what to give" "$ERR" "give at least one of --throttle"
assert_exit "a duty cycle over 1" 2 "$PGSHIFT" --schema t backfill-configure --duty-cycle 1.5
assert_contains "names it" "$ERR" "must be a number over 0 and at most 1"
assert_exit "an unknown mode" 2 "$PGSHIFT" --schema t backfill-configure --throttle fast
migration m0 10
assert_exit "start with a negative rate" 2 "$PGSHIFT" --schema t start "$work/m0.json" --max-rows-per-second -1
assert_eq "nothing started" "0" "$(sql "SELECT count(*) FROM pgshift.migrations WHERE schema = 't'")"

test_case "an idle machine: full speed"
migration m1 200000
assert_exit "start" 0 "$PGSHIFT" --schema t start "$work/m1.json" --no-wait
if wait_until 60 job_done m1; then pass; else fail "the backfill did not end in 60 s: $(job 'state, rows_done' m1)"; fi
assert_eq "it never yielded" "full speed" "$(logged_states m1)"
assert_eq "and said why, each time" "0" \
  "$(sql "SELECT count(*) FROM public.throttle_log WHERE migration = 'm1' AND reason NOT LIKE 'full speed: %'")"
assert_exit "complete" 0 "$PGSHIFT" --schema t complete
assert_eq "every row" "200000/200000" "$(all_rows_right m1)"

test_case "a busy machine: the backfill yields"
migration m2 1000000
start_load
assert_exit "start under load" 0 "$PGSHIFT" --schema t start "$work/m2.json" --no-wait
sleep 6
# (Its first decision may come before it has a second's measure of the load.)
assert_eq "it yields" "yielding" "$(sql "SELECT string_agg(DISTINCT state, ',') FROM public.throttle_log
                                        WHERE migration = 'm2' AND at > (SELECT min(at) FROM public.throttle_log WHERE migration = 'm2') + interval '1 s'")"
reason=$(sql "SELECT reason FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1")
assert_contains "says why" "$reason" "CPUs busy"
duty=$(duty_logged m2 yielding)
if python3 -c "import sys; sys.exit(0 if float('${duty:-1}') <= 0.5 else 1)"; then pass; else fail "batches ran ${duty} of the time while yielding"; fi
assert_eq "backfill_progress shows the state" "yielding" "$(sql "SELECT throttle_state FROM pgshift.backfill_progress WHERE schema = 't' AND state = 'running'")"
assert_eq "and an ETA" "t" "$(sql "SELECT eta > interval '0' FROM pgshift.backfill_progress WHERE schema = 't' AND state = 'running'")"
assert_eq "not done yet" "running" "$(job state m2)"

test_case "throttling off while it runs"
assert_exit "backfill-configure --throttle off" 0 "$PGSHIFT" --schema t backfill-configure --throttle off
if wait_until 10 bash -c "[[ \$(psql -X -A -t -c \"SELECT state FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1\") == 'full speed' ]]"; then
  pass
else
  fail "still $(sql "SELECT state FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1") 10 s after --throttle off"
fi
assert_contains "saying it is off" "$(sql "SELECT reason FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1")" "throttling is off"
assert_exit "and auto again (before it ends at full speed)" 0 "$PGSHIFT" --schema t backfill-configure --throttle auto
sleep 3
assert_eq "still running" "running" "$(job state m2)"
assert_eq "yields again" "yielding" "$(sql "SELECT state FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1")"

test_case "the load stops: full speed by itself"
stop_load
if wait_until 60 job_done m2; then pass; else fail "the backfill did not end within 60 s of the load stopping: $(job 'rows_done' m2)"; fi
assert_eq "its last batches ran at full speed" "full speed" \
  "$(sql "SELECT state FROM public.throttle_log WHERE migration = 'm2' ORDER BY at DESC LIMIT 1")"
assert_exit "complete" 0 "$PGSHIFT" --schema t complete
assert_eq "every row" "1000000/1000000" "$(all_rows_right m2)"

test_case "a rate bound, lifted while it runs"
migration m3 100000
started=$(date +%s%N)
assert_exit "start at most 5000 rows/s" 0 "$PGSHIFT" --schema t start "$work/m3.json" --no-wait --max-rows-per-second 5000
sleep 3
rows=$(job rows_done m3)
elapsed_ms=$(( ($(date +%s%N) - started) / 1000000 ))
if (( rows > 0 && rows <= 5000 * elapsed_ms / 1000 * 12 / 10 + 500 )); then pass; else fail "$rows rows in $elapsed_ms ms at 5000 rows/s"; fi
assert_eq "paced by the rate" "rate limit" "$(logged_states m3)"
assert_contains "and says so" "$(sql "SELECT min(reason) FROM public.throttle_log WHERE migration = 'm3'")" "at most 5000 rows/s"
assert_exit "lift it" 0 "$PGSHIFT" --schema t backfill-configure --max-rows-per-second 0
if wait_until 15 job_done m3; then pass; else fail "not done 15 s after lifting the bound: $(job rows_done m3) rows"; fi
assert_exit "complete" 0 "$PGSHIFT" --schema t complete
assert_eq "every row" "100000/100000" "$(all_rows_right m3)"

test_case "a duty cycle"
migration m4 60000
assert_exit "start with --duty-cycle 0.2" 0 "$PGSHIFT" --schema t start "$work/m4.json" --no-wait --duty-cycle 0.2 --backfill-batch-size 2000
if wait_until 60 job_done m4; then pass; else fail "not done in 60 s: $(job rows_done m4)"; fi
assert_eq "paced by it" "duty cycle" "$(logged_states m4)"
duty=$(duty_logged m4 'duty cycle')
if python3 -c "import sys; sys.exit(0 if float('${duty:-1}') <= 0.3 else 1)"; then pass; else fail "batches ran ${duty} of the time at a duty cycle of 0.2"; fi
assert_exit "complete" 0 "$PGSHIFT" --schema t complete
assert_eq "every row" "60000/60000" "$(all_rows_right m4)"

finish_tests
