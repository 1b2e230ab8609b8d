#!/usr/bin/env bash
# The checks of test/throttle/cgroup.sh, run inside its 1-CPU group with CPU-bound processes
# running outside it.
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"
PGSHIFT=${PGSHIFT_BIN:-pgshift}
PGBENCH=$(command -v pgbench || echo /usr/lib/postgresql/15/bin/pgbench)
export PGDATABASE=pgshift_cgroup
export PGOPTIONS="-c client_min_messages=warning"
work=$(mktemp -d /tmp/pgshift-cgroup.XXXXXX)
load_pid=
trap '[ -n "$load_pid" ] && kill "$load_pid" 2>/dev/null; wait 2>/dev/null; rm -rf "$work"' EXIT
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }
last() { sql "SELECT $1 FROM pgshift.backfill_progress WHERE schema = 't' AND migration = '$2'"; }

test_case "setup"
createdb --maintenance-db=postgres "$PGDATABASE"
assert_exit "pgshift init" 0 "$PGSHIFT" init
sql "CREATE SCHEMA t" >/dev/null
migration() {   # NAME: a 1M-row table and a type change that backfills it
  sql "CREATE TABLE t.$1 (id int PRIMARY KEY, v text); INSERT INTO t.$1 SELECT g, g::text FROM generate_series(1, 1000000) g;
       ANALYZE t.$1" >/dev/null
  printf '{"name": "%s", "operations": [{"alter_column": {"table": "%s", "column": "v", "type": "integer",
    "up": "CAST(v AS integer)", "down": "CAST(v AS text)"}}]}' "$1" "$1" >"$work/$1.json"
}

test_case "load outside the group: full speed, counting the group's 1 CPU"
migration c1
# A rate bound keeps the backfill running long enough to be looked at; it does not change the
# throttle's measure, which its reason shows once the bound is lifted.
assert_exit "start" 0 "$PGSHIFT" --schema t start "$work/c1.json" --no-wait --max-rows-per-second 20000
sleep 2
assert_exit "lift the bound" 0 "$PGSHIFT" --schema t backfill-configure --max-rows-per-second 0
sleep 1.5
reason=$(last throttle c1)
assert_contains "its reason counts the group's CPU" "$reason" "of 1 CPUs busy"
assert_eq "full speed, though the machine is busy" "full speed" "$(last throttle_state c1)"
assert_exit "complete (after the backfill)" 0 "$PGSHIFT" --schema t complete

test_case "load inside the group: it yields"
migration c2
printf 'SELECT count(*) FROM generate_series(1, 20000);\n' >"$work/load.sql"
"$PGBENCH" -n -c 2 -T 60 -f "$work/load.sql" >"$work/load.log" 2>&1 &
load_pid=$!
sleep 2
assert_exit "start under load" 0 "$PGSHIFT" --schema t start "$work/c2.json" --no-wait
sleep 4
assert_eq "it yields" "yielding" "$(last throttle_state c2)"
assert_contains "to the group's busy CPU" "$(last throttle c2)" "of 1 CPUs busy"
kill "$load_pid" 2>/dev/null; wait "$load_pid" 2>/dev/null; load_pid=
assert_exit "complete once the load stops" 0 "$PGSHIFT" --schema t complete
assert_eq "every row" "1000000/1000000" "$(sql "SELECT count(*) FILTER (WHERE v = id) || '/' || count(*) FROM t.c2")"

finish_tests
