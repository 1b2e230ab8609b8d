#!/usr/bin/env bash
# pg-boss 9 -> 10, live: the users' own upgrade, which pg-boss refuses to make itself. pg-boss 9's
# schema and the upgrade to pg-boss 10's columns, tables and queries are pgshift migrations
# (migrations/). An unmodified pg-boss 9 client works through the old version schema and an
# unmodified pg-boss 10 client through the new one at the same time, each given the version schema
# as its `schema` option (no search_path), sending, fetching, completing and failing jobs, through
# start (pg-boss 9) and complete (pg-boss 10). Afterwards every job either client was told about
# must be there with its data and settings, in the state the client was told, and neither client
# may have seen an error. The job table moves to pg-boss 10's shape in the same migration
# (rebuild_table): LIST-partitioned by queue name, a partition per queue named as pg-boss 10 names
# it, key (name, id), and at complete the queue foreign keys and pg-boss 10's create_queue, which
# makes a new queue's partition. (pg-boss 10's job_state type lacks 'expired'; that value stays.)
#
#   scripts/with-cluster.sh bash test/pgboss/run.sh      (after `make install` and the CLI's install)
#
# The two pg-boss releases are installed under npm aliases into PGSHIFT_NPM_CACHE/pgboss (default
# /tmp/pgshift-npm-cache/pgboss), outside the repository. Ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"

cache=${PGSHIFT_NPM_CACHE:-/tmp/pgshift-npm-cache}/pgboss
PGSHIFT=${PGSHIFT_BIN:-pgshift}
ADMIN_DB=${PGDATABASE:-postgres}
export PGDATABASE=pgshift_pgboss
export PGOPTIONS="-c client_min_messages=warning"
work=$(mktemp -d /tmp/pgshift-pgboss.XXXXXX)
pids=()
cleanup() {
  local pid
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
  rm -rf "$work"
}
trap cleanup EXIT
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

test_case "pg-boss installs"
loads() { node -e "require('$cache/node_modules/pgboss9'); require('$cache/node_modules/pgboss10')" 2>"$work/node.err"; }
if ! loads; then
  rm -rf "$cache/node_modules"
  mkdir -p "$cache"
  # From the cache directory, so that npm never looks for a package.json in the repository.
  if ! (cd "$cache" && npm install --prefix "$cache" --no-audit --no-fund --loglevel=error \
          pgboss9@npm:pg-boss@9.0.3 pgboss10@npm:pg-boss@10.1.6 >"$work/npm.log" 2>&1); then
    fail "npm install of pg-boss 9.0.3 and 10.1.6 into $cache failed: $(tail -n 5 "$work/npm.log" | tr '\n' ' ')"
    finish_tests; exit 1
  fi
fi
if loads; then pass; else fail "node cannot load pg-boss from $cache: $(head -c 300 "$work/node.err")"; finish_tests; exit 1; fi

test_case "pg-boss 9's schema"
dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
createdb --maintenance-db="$ADMIN_DB" "$PGDATABASE"
assert_exit "pgshift init" 0 "$PGSHIFT" init
sql "CREATE SCHEMA pgboss" >/dev/null
assert_exit "01: pg-boss 9's tables, type and indexes" 0 "$PGSHIFT" --schema pgboss start "$here/migrations/01_pgboss_9.json" --complete
assert_exit "02: pg-boss 10's queue functions" 0 "$PGSHIFT" --schema pgboss start "$here/migrations/02_pgboss_10_functions.json" --complete
old=$("$PGSHIFT" --schema pgboss latest schema)
assert_eq "the old version" "pgboss_02_pgboss_10_functions" "$old"
# Jobs from before the upgrade, for the backfill to carry over.
sql "INSERT INTO $old.job (name, data, retrylimit) SELECT 'queue-v9', jsonb_build_object('n', -g, 'from', 'before'), g % 3
       FROM generate_series(1, 3000) g" >/dev/null

test_case "pg-boss 9 and 10 at once"
run_client() {   # run_client MAJOR SCHEMA: in the background, logging to $work/v$MAJOR.log
  node "$here/client.js" "$1" "$cache/node_modules/pgboss$1" "$2" "$work/v$1.log" "$work/stop$1" >"$work/v$1.out" 2>&1 &
  pids+=("$!")
  eval "client_$1=$!"
}
wait_started() {   # wait_started MAJOR
  local tries=0
  until grep -q '"op":"started"' "$work/v$1.log" 2>/dev/null; do
    tries=$((tries + 1))
    if (( tries > 200 )); then fail "pg-boss $1 did not start: $(tail -c 400 "$work/v$1.out" "$work/v$1.log" 2>/dev/null)"; return 1; fi
    sleep 0.1
  done
}
run_client 9 "$old"
wait_started 9
sleep 2
# start waits for the backfill and opens the new version; pg-boss 9 works all along.
assert_exit "03: start pg-boss 10's columns, tables and indexes" 0 \
  "$PGSHIFT" --schema pgboss start "$here/migrations/03_pgboss_10.json" --backfill-batch-size 500
new=$("$PGSHIFT" --schema pgboss latest schema)
assert_eq "the new version" "pgboss_03_pgboss_10" "$new"
assert_eq "each version shows its pg-boss schema version" "20 24" \
  "$(sql "SELECT (SELECT version FROM $old.version) || ' ' || (SELECT version FROM $new.version)")"
run_client 10 "$new"
wait_started 10
sleep 4
# The old clients stop before complete drops their version; pg-boss 10 goes on through complete.
touch "$work/stop9"
wait "$client_9"; assert_eq "pg-boss 9 exits cleanly" "0" "$?"
assert_exit "03: complete" 0 "$PGSHIFT" --schema pgboss complete
sleep 2
touch "$work/stop10"
wait "$client_10"; assert_eq "pg-boss 10 exits cleanly" "0" "$?"
pids=()

test_case "every job is there"
run node "$here/verify.js" "$cache/node_modules/pgboss10/node_modules/pg" "$work/v9.log" "$work/v10.log"
if [[ ! -d $cache/node_modules/pgboss10/node_modules/pg ]]; then
  run node "$here/verify.js" "$cache/node_modules/pg" "$work/v9.log" "$work/v10.log"
fi
echo "$OUT" | grep -v '^problem' | sed 's/^/   /'
assert_status "no job lost or wrong, no client error but the documented deadlock of two versions taking one job ($(echo "$OUT" | grep '^problem' | head -n 3 | tr '\n' ' '))" 0
for client in v9 v10; do
  for op in sent completed failed; do
    count=$(grep -c "\"client\":\"$client\",\"op\":\"$op\"" "$work/$client.log")
    if (( count > 0 )); then pass; else fail "$client $op no job"; fi
  done
done
crossed=$(echo "$OUT" | sed -n 's/^jobs finished by the other version.s client: //p')
if (( ${crossed:-0} > 0 )); then pass; else fail "no job sent by one version was finished by the other"; fi
assert_eq "the before-upgrade jobs are all there, in pg-boss 10's columns" "3000" \
  "$(sql "SELECT count(*) FROM pgboss.job WHERE data->>'from' = 'before' AND retry_limit = (-(data->>'n')::int) % 3")"
test_case "pg-boss 10's job table"
assert_eq "partitioned by queue name, keyed by (name, id)" "LIST (name)|PRIMARY KEY (name, id)" \
  "$(sql "SELECT pg_get_partkeydef('pgboss.job'::regclass) || '|' ||
                 (SELECT pg_get_constraintdef(k.oid) FROM pg_constraint k WHERE k.conrelid = 'pgboss.job'::regclass AND k.contype = 'p')")"
for queue in queue-v9 shared queue-v10; do
  assert_eq "queue $queue has its partition, with pg-boss 10's foreign keys and check" \
    "FOR VALUES IN ('$queue')|cjc dlq_fkey q_fkey" \
    "$(sql "SELECT pg_get_expr(c.relpartbound, c.oid) || '|' ||
                   (SELECT string_agg(k.conname, ' ' ORDER BY k.conname) FROM pg_constraint k
                     WHERE k.conrelid = c.oid AND k.contype IN ('f', 'c'))
              FROM pg_class c JOIN pgboss.queue q ON q.partition_name = c.relname
             WHERE q.name = '$queue' AND c.relname = 'j' || encode(sha224('$queue'::bytea), 'hex')
               AND c.relispartition")"
done
assert_eq "every job's queue has its row" "0" \
  "$(sql "SELECT count(*) FROM pgboss.job j WHERE NOT EXISTS (SELECT FROM pgboss.queue q WHERE q.name = j.name)")"
sql "SELECT pgboss.create_queue('after-v10', '{}')" >/dev/null
assert_eq "a queue made after complete gets a partition of its own, which takes its jobs" \
  "FOR VALUES IN ('after-v10')|1" \
  "$(sql "INSERT INTO pgboss.job (name, data) VALUES ('after-v10', '{}');
          SELECT pg_get_expr(c.relpartbound, c.oid) || '|' ||
                 (SELECT count(*) FROM pgboss.job j WHERE j.name = 'after-v10' AND j.tableoid = c.oid)
            FROM pg_class c WHERE c.relname = 'j' || encode(sha224('after-v10'::bytea), 'hex')")"
assert_eq "no rebuild left" "0" \
  "$(sql "SELECT count(*) FROM pg_class WHERE relnamespace = 'pgboss'::regnamespace AND relname LIKE '\_pgshift%'")"
assert_eq "no twin column left" "0" \
  "$(sql "SELECT count(*) FROM pg_attribute a JOIN pg_class c ON c.oid = a.attrelid
          WHERE c.relnamespace = 'pgboss'::regnamespace AND c.relkind = 'r' AND a.attname LIKE '\_pgshift%' AND NOT a.attisdropped")"

finish_tests
