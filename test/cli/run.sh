#!/usr/bin/env bash
# The pgshift CLI against a live server: real commands, real databases, real assertions.
#
#   scripts/with-cluster.sh test/cli/run.sh          (after `make install` of the extension)
#   PGSHIFT_BIN=build/pgshift scripts/with-cluster.sh test/cli/run.sh
#
# The server comes from the usual PG* variables; the caller's role must be able to create databases and
# install the extension. Every test group works in a database of its own, dropped at the end.
# Prints one line per failure and ends with "N passed, N failed"; exits non-zero on any failure.
set -uo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/../.." && pwd)
# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$here/lib.sh"

PGSHIFT=${PGSHIFT_BIN:-pgshift}
# Settings of the caller's shell must not leak into the commands under test.
unset PGSHIFT_PG_URL PGSHIFT_SCHEMA PGSHIFT_STATE_SCHEMA PGSHIFT_LOCK_TIMEOUT PGSHIFT_VERBOSE PGSHIFT_LOCK_WAIT_TIMEOUT \
  PGSHIFT_BACKFILL_BATCH_SIZE PGSHIFT_BACKFILL_BATCH_DELAY PGSHIFT_MAX_REPLICATION_LAG
export PGOPTIONS="-c client_min_messages=warning"
ADMIN_DB=${PGDATABASE:-postgres}
VERSION=$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$repo/extension/pgshift.control")
LOCK_KEY=1886610292        # pgshift.lock_key(): what the extension's functions take per call
RUN_LOCK_KEY=1886610294    # the CLI's run lock, held for a whole run (cli/advisory_lock.hpp)

work=$(mktemp -d /tmp/pgshift-cli-test.XXXXXX)
databases=()
holders=()
cleanup() {
  local pid db
  for pid in "${holders[@]}"; do kill "$pid" 2>/dev/null; wait "$pid" 2>/dev/null; done
  for db in "${databases[@]}"; do dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$db" >/dev/null 2>&1; done
  rm -rf "$work"
}
trap cleanup EXIT

# --- helpers -----------------------------------------------------------------------------------------

# fresh_db NAME: creates an empty database and makes it the target of pgshift and sql (PGDATABASE).
fresh_db() {
  local db="pgshift_cli_$1"
  dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$db" >/dev/null 2>&1
  createdb --maintenance-db="$ADMIN_DB" "$db" || { fail "cannot create database $db"; return 1; }
  databases+=("$db")
  export PGDATABASE=$db
}

# sql QUERY: one value per line, unaligned, from the current database.
sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

# json_get JSON KEY: the key's text value, or "<not JSON: ...>".
json_get() {
  psql -X -q -A -t -d "$ADMIN_DB" -v j="$1" -v k="$2" 2>/dev/null <<'SQL' || echo "<not JSON: $1>"
SELECT (:'j')::jsonb ->> :'k'
SQL
}

# dump_schema FILE: pg_dump -s, without the per-run random \restrict keys of recent pg_dump releases.
# (pg_dump's warnings about the extension's self-referencing state table go to a log.)
dump_schema() {
  pg_dump -s -d "$PGDATABASE" 2>>"$work/pg_dump.log" | grep -v -E '^\\(un)?restrict ' >"$1"
  grep -q 'PostgreSQL database dump complete' "$1" || fail "pg_dump of $PGDATABASE failed: $(tail -n 3 "$work/pg_dump.log")"
}

schema_exists() { sql "SELECT count(*) FROM pg_namespace WHERE nspname = '$1'"; }

now_ms() { echo $(( $(date +%s%N) / 1000000 )); }

# hold SECONDS SQL...: another session runs the statements (each its own -c, so a BEGIN stays open), then
# sleeps SECONDS before it ends; returns once that session sleeps (its pid is in HOLDER).
hold() {
  local seconds=$1 app="pgshift_test_holder_$RANDOM" statement
  shift
  local args=()
  for statement in "$@"; do args+=(-c "$statement"); done
  PGAPPNAME=$app psql -X -q "${args[@]}" -c "SELECT pg_sleep($seconds)" -c "COMMIT" >/dev/null 2>&1 &
  HOLDER=$!
  holders+=("$HOLDER")
  local tries=0
  until [[ $(sql "SELECT count(*) FROM pg_stat_activity WHERE application_name = '$app' AND wait_event = 'PgSleep'") == 1 ]]; do
    tries=$((tries + 1))
    if (( tries > 100 )); then fail "the lock holder never started"; return 1; fi
    sleep 0.05
  done
}

# hold_lock KEY1 KEY2 SECONDS: another session holds the session-level advisory lock for SECONDS.
hold_lock() { hold "$3" "SELECT pg_advisory_lock($1, $2)"; }

# --- migration files ---------------------------------------------------------------------------------

cat >"$work/01_create_tables.yaml" <<'YAML'
operations:
  - create_table:
      name: customers
      columns:
        - name: id
          type: integer
          pk: true
        - name: name
          type: varchar(255)
          unique: true
        - name: credit_card
          type: text
          nullable: true
  - create_table:
      name: bills
      columns:
        - name: id
          type: integer
          pk: true
        - name: date
          type: time with time zone
        - name: quantity
          type: integer
  - create_table:
      name: sellers
      columns:
        - name: name
          type: varchar(255)
          pk: true
        - name: zip
          type: integer
          pk: true
        - name: description
          type: varchar(255)
          nullable: true
YAML

cat >"$work/02_create_items.json" <<'JSON'
{
  "operations": [
    {
      "create_table": {
        "name": "items",
        "columns": [
          {"name": "id", "type": "integer", "pk": true},
          {"name": "label", "type": "text", "nullable": true}
        ]
      }
    }
  ]
}
JSON

# The file's own "name" wins over the file name.
cat >"$work/03_file_name.json" <<'JSON'
{
  "name": "03_custom_name",
  "operations": [
    {"create_table": {"name": "notes", "columns": [{"name": "id", "type": "integer", "pk": true}]}}
  ]
}
JSON

# YAML types: plain true/false are booleans; quoted scalars are strings even when they look like numbers.
cat >"$work/04_typed.yml" <<'YAML'
operations:
  - create_table:
      name: typed
      columns:
        - name: id
          type: integer
          pk: true
        - name: amount
          type: integer
          nullable: false
          default: "10"
        - name: note
          type: text
          nullable: true
          comment: "123"
YAML

printf 'operations:\n  - create_table: {name: broken\n  - drop_table: {name: x}\n' >"$work/05_bad.yaml"
printf '{\n  "operations": [\n    {"create_table": {"name": "t",}}\n  ]\n}\n' >"$work/06_bad.json"
printf -- '- create_table:\n    name: t\n' >"$work/07_list.yaml"
cat >"$work/10_references.yaml" <<'YAML'
operations:
  - create_table:
      name: children
      columns:
        - {name: id, type: integer, pk: true}
        - {name: parent_id, type: integer, references: {name: fk_parent, table: parents, column: id}}
YAML
printf 'operations:\n  - create_table:\n      name: broken_type\n      columns:\n        - {name: id, type: no_such_type, pk: true}\n' >"$work/08_bad_type.yaml"

# --- usage -------------------------------------------------------------------------------------------

test_case "version"
assert_exit "--version" 0 "$PGSHIFT" --version
assert_contains "--version prints the control file's version" "$OUT" "$VERSION"

test_case "help"
for command in "" init start complete rollback status latest "latest schema" "latest migration" "latest url" \
  migrate validate pull baseline; do
  # shellcheck disable=SC2086  # word splitting of "latest schema" is intended
  assert_exit "${command:-pgshift} --help" 0 "$PGSHIFT" $command --help
  assert_contains "${command:-pgshift} --help shows usage" "$OUT" "Usage:"
done
run "$PGSHIFT" start --help
assert_contains "start --help lists --complete" "$OUT" "--complete"
assert_contains "start --help lists --lock-wait-timeout" "$OUT" "--lock-wait-timeout"
run "$PGSHIFT" --help
for option in --postgres-url --schema --pgshift-schema --lock-timeout --verbose; do
  assert_contains "--help lists $option" "$OUT" "$option"
done

test_case "usage errors"
assert_exit "unknown command" 2 "$PGSHIFT" frobnicate
assert_contains "unknown command is named" "$ERR" "frobnicate"
assert_exit "no command" 2 "$PGSHIFT"
assert_exit "latest without its command" 2 "$PGSHIFT" latest
assert_exit "start without a file" 2 "$PGSHIFT" start
assert_exit "unknown option" 2 "$PGSHIFT" status --no-such-option
assert_exit "negative --lock-timeout" 2 "$PGSHIFT" --lock-timeout=-5 status
assert_exit "non-numeric --lock-wait-timeout" 2 "$PGSHIFT" start --lock-wait-timeout soon "$work/01_create_tables.yaml"

# --- a database without pgshift ----------------------------------------------------------------------

test_case "not initialized"
fresh_db plain
not_initialized="Error: pgshift is not initialized in this database; run 'pgshift init'"
for command in status complete rollback "latest schema" "latest migration" "latest url"; do
  # shellcheck disable=SC2086
  assert_exit "$command" 1 "$PGSHIFT" $command
  assert_eq "$command message" "$not_initialized" "$ERR"
done
assert_exit "start" 1 "$PGSHIFT" start "$work/01_create_tables.yaml"
assert_eq "start message" "$not_initialized" "$ERR"
assert_eq "start created nothing" "0" "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public'")"
assert_exit "init with another --pgshift-schema" 1 "$PGSHIFT" --pgshift-schema elsewhere init
assert_contains "init with another --pgshift-schema says why" "$ERR" "always lives in schema \"pgshift\""
assert_eq "refused init installed nothing" "0" "$(sql "SELECT count(*) FROM pg_extension WHERE extname = 'pgshift'")"

# --- init, status, start/rollback of a YAML file -------------------------------------------------------

test_case "init"
fresh_db main
assert_exit "init" 0 "$PGSHIFT" init
assert_eq "init output" "pgshift initialized (extension $VERSION)" "$OUT"
assert_eq "extension installed" "$VERSION" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgshift'")"
assert_eq "state schema created" "1" "$(schema_exists pgshift)"
assert_exit "init again" 0 "$PGSHIFT" init
assert_eq "init again output" "pgshift initialized (extension $VERSION)" "$OUT"
assert_exit "--pgshift-schema differing from the extension's" 1 "$PGSHIFT" status --pgshift-schema elsewhere
assert_contains "--pgshift-schema mismatch message" "$ERR" "\"elsewhere\""

test_case "status before"
assert_exit "status" 0 "$PGSHIFT" status
assert_eq "status.schema" "public" "$(json_get "$OUT" schema)"
assert_eq "status.status" "No migrations" "$(json_get "$OUT" status)"
assert_eq "status.version" "" "$(json_get "$OUT" version)"
assert_eq "status is pretty-printed, schema first" '  "schema": "public",' "$(sed -n 2p <<<"$OUT")"
assert_exit "latest schema without versions" 1 "$PGSHIFT" latest schema
assert_contains "latest schema without versions says so" "$ERR" "no version schemas found"

test_case "start yaml"
dump_schema "$work/main_before.sql"
assert_exit "start" 0 "$PGSHIFT" start "$work/01_create_tables.yaml"
assert_eq "start output" 'New version of the schema available under the postgres "public_01_create_tables" schema' "$OUT"
assert_exit "status" 0 "$PGSHIFT" status
assert_eq "status.status" "In progress" "$(json_get "$OUT" status)"
assert_eq "status.version" "public_01_create_tables" "$(json_get "$OUT" version)"
assert_eq "tables created" "3" "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'public' AND tablename IN ('customers', 'bills', 'sellers')")"
assert_eq "write and read through the version schema" "alice" \
  "$(sql "SET search_path TO public_01_create_tables; INSERT INTO customers (id, name) VALUES (1, 'alice'); SELECT name FROM customers WHERE id = 1")"
assert_eq "name stored from the file name" "01_create_tables" "$(sql "SELECT name FROM pgshift.migrations")"

test_case "latest"
assert_exit "latest schema" 0 "$PGSHIFT" latest schema
assert_eq "latest schema" "public_01_create_tables" "$OUT"
assert_exit "latest migration" 0 "$PGSHIFT" latest migration
assert_eq "latest migration" "01_create_tables" "$OUT"
assert_exit "latest url with a url" 0 "$PGSHIFT" latest url "postgres://u@db.example/app?sslmode=disable"
assert_eq "latest url with a url" "postgres://u@db.example/app?sslmode=disable&options=-c%20search_path%3Dpublic_01_create_tables" "$OUT"
assert_exit "latest url from the environment" 0 "$PGSHIFT" latest url
assert_contains "latest url adds the search_path" "$OUT" "options=-c%20search_path%3Dpublic_01_create_tables"
assert_eq "latest url connects with the version schema as search_path" "public_01_create_tables" \
  "$(psql -X -A -t -d "$OUT" -c "SHOW search_path" 2>&1)"
assert_exit "latest schema --local" 0 "$PGSHIFT" latest schema --local "$work"
assert_eq "latest schema --local reads the last file, not the database" "public_10_references" "$OUT"

test_case "server errors"
assert_exit "second start while one is active" 1 "$PGSHIFT" start "$work/02_create_items.json"
assert_contains "server message" "$ERR" "Error: a migration of schema \"public\" is already in progress"
assert_contains "server hint" "$ERR" "HINT: Complete or roll it back first."
assert_not_contains "no SQLSTATE without --verbose" "$ERR" "SQLSTATE"
assert_exit "second start, verbose" 1 "$PGSHIFT" start "$work/02_create_items.json" --verbose
assert_contains "SQLSTATE with --verbose" "$ERR" "SQLSTATE: 55000"

test_case "rollback"
assert_exit "rollback" 0 "$PGSHIFT" rollback
assert_eq "rollback output" "Migration rolled back. Changes made since the last version have been reverted" "$OUT"
dump_schema "$work/main_after_rollback.sql"
assert_files_equal "rollback restores pg_dump -s exactly" "$work/main_before.sql" "$work/main_after_rollback.sql"
assert_eq "version schema dropped" "0" "$(schema_exists public_01_create_tables)"
run "$PGSHIFT" status
assert_eq "status after rollback" "No migrations" "$(json_get "$OUT" status)"
assert_exit "rollback without an active migration" 1 "$PGSHIFT" rollback
assert_contains "rollback without an active migration says so" "$ERR" "no migration is in progress"
assert_exit "complete without an active migration" 1 "$PGSHIFT" complete
assert_contains "complete without an active migration says so" "$ERR" "no migration is in progress"

# --- complete, a JSON file, two live versions ----------------------------------------------------------

test_case "complete"
assert_exit "start" 0 "$PGSHIFT" start "$work/01_create_tables.yaml"
assert_exit "complete" 0 "$PGSHIFT" complete
assert_contains "complete output" "$OUT" "Migration successful!"
assert_contains "complete names the migration" "$OUT" "01_create_tables"
run "$PGSHIFT" status
assert_eq "status after complete" "Complete" "$(json_get "$OUT" status)"
assert_eq "version after complete" "public_01_create_tables" "$(json_get "$OUT" version)"

test_case "start json"
assert_exit "start" 0 "$PGSHIFT" start "$work/02_create_items.json"
assert_eq "start output" 'New version of the schema available under the postgres "public_02_create_items" schema' "$OUT"
assert_eq "both version schemas exist" "1 1" "$(schema_exists public_01_create_tables) $(schema_exists public_02_create_items)"
assert_eq "old version: write and read" "bob" \
  "$(sql "SET search_path TO public_01_create_tables; INSERT INTO customers (id, name) VALUES (2, 'bob'); SELECT name FROM customers WHERE id = 2")"
assert_eq "old version does not see the new table" "" \
  "$(sql "SELECT to_regclass('public_01_create_tables.items')")"
assert_eq "new version: write and read" "widget" \
  "$(sql "SET search_path TO public_02_create_items; INSERT INTO items (id, label) VALUES (1, 'widget'); SELECT label FROM items")"
assert_eq "new version: sees rows written through the old one" "carol bob" \
  "$(sql "SET search_path TO public_02_create_items; INSERT INTO customers (id, name) VALUES (3, 'carol'); SELECT string_agg(name, ' ' ORDER BY id DESC) FROM customers")"
assert_exit "complete" 0 "$PGSHIFT" complete
assert_eq "complete drops the previous version schema" "0" "$(schema_exists public_01_create_tables)"
assert_eq "complete keeps the new version schema" "1" "$(schema_exists public_02_create_items)"
run "$PGSHIFT" status
assert_eq "status.migration" "02_create_items" "$(json_get "$OUT" migration)"

test_case "name in file"
assert_exit "start" 0 "$PGSHIFT" start "$work/03_file_name.json"
assert_eq "version schema from the file's name" 'New version of the schema available under the postgres "public_03_custom_name" schema' "$OUT"
run "$PGSHIFT" latest migration
assert_eq "latest migration" "03_custom_name" "$OUT"
assert_exit "rollback" 0 "$PGSHIFT" rollback

test_case "start --complete"
assert_exit "start -c" 0 "$PGSHIFT" start -c "$work/04_typed.yml"
assert_contains "start -c reports the version schema" "$OUT" '"public_04_typed" schema'
assert_contains "start -c reports completion" "$OUT" "Migration successful!"
run "$PGSHIFT" status
assert_eq "status after start -c" "Complete" "$(json_get "$OUT" status)"
assert_eq "YAML types kept: bool, string default, string comment" "boolean string string" \
  "$(sql "SELECT concat_ws(' ', jsonb_typeof(c->1->'nullable'), jsonb_typeof(c->1->'default'), jsonb_typeof(c->2->'comment'))
            FROM (SELECT migration #> '{operations,0,create_table,columns}' AS c FROM pgshift.migrations WHERE name = '04_typed') m")"
assert_eq "quoted default applied" "10" \
  "$(sql "SET search_path TO public_04_typed; INSERT INTO typed (id) VALUES (1); SELECT amount FROM typed")"

# --- files that cannot be used -----------------------------------------------------------------------

test_case "bad files"
dump_schema "$work/main_before_bad.sql"
assert_exit "malformed YAML" 1 "$PGSHIFT" start "$work/05_bad.yaml"
assert_contains "malformed YAML names the file" "$ERR" "05_bad.yaml"
assert_contains "malformed YAML gives the position" "$ERR" "line 3"
assert_exit "malformed JSON" 1 "$PGSHIFT" start "$work/06_bad.json"
assert_contains "malformed JSON names the file" "$ERR" "06_bad.json"
assert_contains "malformed JSON gives the position" "$ERR" "line 3, column"
assert_exit "YAML that is not an object" 1 "$PGSHIFT" start "$work/07_list.yaml"
assert_contains "non-object says so" "$ERR" "must contain an object"
assert_exit "missing file" 1 "$PGSHIFT" start "$work/99_missing.yaml"
assert_contains "missing file is named" "$ERR" "99_missing.yaml"
assert_contains "missing file reason" "$ERR" "No such file or directory"
cp "$work/01_create_tables.yaml" "$work/09_wrong_extension.txt"
assert_exit "unsupported extension" 1 "$PGSHIFT" start "$work/09_wrong_extension.txt"
# A bad file must never reach the server: with an unreachable server the file error still comes first.
assert_exit "bad file, unreachable server" 1 "$PGSHIFT" start "$work/05_bad.yaml" --postgres-url "host=$work/no-such-socket-dir"
assert_contains "bad file reported before connecting" "$ERR" "cannot parse migration file"
assert_exit "migration the server rejects" 1 "$PGSHIFT" start "$work/08_bad_type.yaml"
assert_contains "server's message shown" "$ERR" "no_such_type"
dump_schema "$work/main_after_bad.sql"
assert_files_equal "bad files leave the database unchanged" "$work/main_before_bad.sql" "$work/main_after_bad.sql"
run "$PGSHIFT" status
assert_eq "still complete" "Complete" "$(json_get "$OUT" status)"
assert_eq "still 04_typed" "04_typed" "$(json_get "$OUT" migration)"

# --- another schema, options after the command and from the environment --------------------------------

test_case "schema option"
sql "CREATE SCHEMA app" >/dev/null
PGSHIFT_SCHEMA=app assert_exit "start with PGSHIFT_SCHEMA" 0 "$PGSHIFT" start "$work/01_create_tables.yaml"
assert_contains "version schema of app" "$OUT" '"app_01_create_tables"'
assert_exit "status --schema after the command" 0 "$PGSHIFT" status --schema app
assert_eq "status of app" "In progress" "$(json_get "$OUT" status)"
assert_eq "public is untouched" "Complete" "$(json_get "$("$PGSHIFT" status)" status)"
assert_exit "rollback --schema before the command" 0 "$PGSHIFT" --schema app rollback
assert_eq "app is empty again" "0" "$(sql "SELECT count(*) FROM pg_tables WHERE schemaname = 'app'")"
assert_exit "schema that does not exist" 1 "$PGSHIFT" start "$work/01_create_tables.yaml" --schema nowhere
assert_contains "schema that does not exist is named" "$ERR" "nowhere"

# --- the advisory lock ---------------------------------------------------------------------------------

test_case "lock"
fresh_db locks
run "$PGSHIFT" init
dump_schema "$work/locks_before.sql"
hold_lock "$RUN_LOCK_KEY" "hashtext('public')" 2
started=$(now_ms)
assert_exit "start waits for the lock, then runs" 0 "$PGSHIFT" start "$work/01_create_tables.yaml"
elapsed=$(( $(now_ms) - started ))
wait "$HOLDER" 2>/dev/null
assert_eq "waiting message, once" 'waiting for another pgshift run on schema "public"...' "$ERR"
if (( elapsed >= 1000 )); then pass; else fail "start returned after ${elapsed} ms while the lock was held for 2 s"; fi
assert_eq "started after waiting" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_exit "rollback" 0 "$PGSHIFT" rollback

hold_lock "$RUN_LOCK_KEY" "hashtext('public')" 4
started=$(now_ms)
assert_exit "--lock-wait-timeout 1 gives up" 1 "$PGSHIFT" start --lock-wait-timeout 1 "$work/01_create_tables.yaml"
elapsed=$(( $(now_ms) - started ))
assert_contains "waiting message before giving up" "$ERR" 'waiting for another pgshift run on schema "public"...'
assert_contains "gave-up message" "$ERR" "Error: gave up after 1 s waiting"
if (( elapsed >= 900 && elapsed < 3500 )); then pass; else fail "--lock-wait-timeout 1 returned after ${elapsed} ms"; fi
assert_exit "rollback waits too, and gives up" 1 "$PGSHIFT" rollback --lock-wait-timeout 0.3
assert_contains "rollback gave up" "$ERR" "gave up"
wait "$HOLDER" 2>/dev/null
dump_schema "$work/locks_after.sql"
assert_files_equal "nothing changed while the lock was held" "$work/locks_before.sql" "$work/locks_after.sql"

# Calls of the SQL functions from elsewhere (psql) wait for a CLI run too; the run's own calls, which
# name its lock's process in pgshift.run_lock_holder, pass.
hold_lock "$RUN_LOCK_KEY" "hashtext('public')" 3
run_holder=$(sql "SELECT pid FROM pg_locks WHERE locktype = 'advisory' AND classid = $RUN_LOCK_KEY AND granted")
empty_migration='{"name": "05_empty", "operations": []}'
assert_exit "a psql call during a CLI run" 1 psql -X -q -v ON_ERROR_STOP=1 \
  -c "SELECT pgshift.start('public', '$empty_migration')"
assert_contains "is refused, naming the run" "$ERR" "a pgshift run (process $run_holder) is migrating schema \"public\""
assert_exit "a call on behalf of the run passes" 0 psql -X -q -v ON_ERROR_STOP=1 -c "BEGIN" \
  -c "SET LOCAL pgshift.run_lock_holder = $run_holder" -c "SELECT pgshift.start('public', '$empty_migration')" -c "ROLLBACK"
wait "$HOLDER" 2>/dev/null
dump_schema "$work/locks_after.sql"
assert_files_equal "refused and rolled-back calls changed nothing" "$work/locks_before.sql" "$work/locks_after.sql"

hold_lock "$RUN_LOCK_KEY" 0 3
assert_exit "init uses its own fixed lock" 1 "$PGSHIFT" init --lock-wait-timeout 0.5
assert_contains "init waits on the init lock" "$ERR" "waiting for another pgshift run"
assert_exit "the per-schema lock is free meanwhile" 0 "$PGSHIFT" start --lock-wait-timeout 0.5 "$work/01_create_tables.yaml"
wait "$HOLDER" 2>/dev/null
assert_exit "rollback" 0 "$PGSHIFT" rollback

# --lock-timeout reaches the server: the DDL gives up instead of queueing behind a long lock.
sql "CREATE TABLE parents (id integer PRIMARY KEY)" >/dev/null
dump_schema "$work/locks_before_ddl.sql"
hold 4 "BEGIN" "LOCK TABLE parents IN ACCESS EXCLUSIVE MODE"
started=$(now_ms)
assert_exit "DDL behind a table lock fails after --lock-timeout (no retries)" 1 "$PGSHIFT" start --lock-timeout 200 --lock-retries 0 "$work/10_references.yaml"
elapsed=$(( $(now_ms) - started ))
assert_contains "lock timeout reported" "$ERR" "lock timeout"
if (( elapsed < 3000 )); then pass; else fail "--lock-timeout 200 returned after ${elapsed} ms"; fi
wait "$HOLDER" 2>/dev/null
dump_schema "$work/locks_after_ddl.sql"
assert_files_equal "failed start left nothing behind" "$work/locks_before_ddl.sql" "$work/locks_after_ddl.sql"
assert_exit "same start once the table is free" 0 "$PGSHIFT" start "$work/10_references.yaml"
assert_exit "rollback" 0 "$PGSHIFT" rollback

# A session in a pgshift function (here: holding its per-call key) makes the CLI's call fail with
# 55P03, which is retried: the run lock does not stand in for the per-call one.
hold_lock "$LOCK_KEY" "hashtext('public')" 1
assert_exit "start passes the run lock, retries its call, then runs" 0 "$PGSHIFT" start "$work/01_create_tables.yaml"
wait "$HOLDER" 2>/dev/null
assert_contains "the call was retried" "$ERR" "retrying in"
assert_not_contains "no wait for the run lock" "$ERR" "waiting for another pgshift run"
assert_exit "rollback" 0 "$PGSHIFT" rollback

assert_exit "the CLI lock is released after each run" 0 psql -X -q -A -t -v ON_ERROR_STOP=1 \
  -c "SELECT pg_try_advisory_lock($RUN_LOCK_KEY, hashtext('public'))"
assert_eq "lock was free" "t" "$OUT"
assert_eq "no advisory lock left" "0" \
  "$(sql "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND database = (SELECT oid FROM pg_database WHERE datname = current_database())")"

# --- versions ------------------------------------------------------------------------------------------

test_case "version mismatch"
fresh_db versions
run "$PGSHIFT" init
sql "CREATE OR REPLACE FUNCTION pgshift.version() RETURNS text LANGUAGE sql AS \$\$ SELECT '9.9.9' \$\$" >/dev/null
assert_exit "library version differs" 1 "$PGSHIFT" status
assert_contains "library mismatch names both versions" "$ERR" "9.9.9"
assert_contains "library mismatch names the CLI version" "$ERR" "$VERSION"
sql "UPDATE pg_extension SET extversion = '0.0.9' WHERE extname = 'pgshift'" >/dev/null
assert_exit "extension version differs" 1 "$PGSHIFT" start "$work/01_create_tables.yaml"
assert_contains "extension mismatch message" "$ERR" "version 0.0.9"
assert_exit "init on another version" 1 "$PGSHIFT" init
assert_contains "init says it is installed at another version" "$ERR" "already installed in this database is version 0.0.9"
assert_contains "and what to run" "$ERR" "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
sql "UPDATE pg_extension SET extversion = '9.0.0' WHERE extname = 'pgshift'" >/dev/null
assert_exit "a newer extension" 1 "$PGSHIFT" status
assert_contains "names the CLI to use" "$ERR" "use pgshift CLI 9.0.0 or later"

# migrate, validate, pull, latest --local, baseline, concurrent migrate.
# shellcheck source-path=SCRIPTDIR source=commands_test.sh
source "$here/commands_test.sh"

# Backfills by the server's worker: flags, progress, a failed job, Ctrl-C, a killed CLI, a server
# restart, a concurrent writer (about a minute).
# shellcheck source-path=SCRIPTDIR source=backfill_test.sh
source "$here/backfill_test.sh"

# Lock timeouts: retried with backoff, other clients keep going, a clean failure after the retries.
# shellcheck source-path=SCRIPTDIR source=lock_timeout_test.sh
source "$here/lock_timeout_test.sh"

# Faults at every phase: the CLI killed with -9, a server restart, its connection terminated; reruns
# finish or roll back, and no data is lost.
# shellcheck source-path=SCRIPTDIR source=faults_test.sh
source "$here/faults_test.sh"

# A database made with 0.1.0, updated with ALTER EXTENSION: history kept, an active migration completes.
# shellcheck source-path=SCRIPTDIR source=upgrade_test.sh
source "$here/upgrade_test.sh"

# Without superuser: a role owning its schema runs start (with the worker's backfill), complete, rollback.
# shellcheck source-path=SCRIPTDIR source=least_privilege_test.sh
source "$here/least_privilege_test.sh"

# Two owners, two schemas, one database: each migrates its own at the same time and nothing of the other's.
# shellcheck source-path=SCRIPTDIR source=multi_tenant_test.sh
source "$here/multi_tenant_test.sh"

finish_tests
