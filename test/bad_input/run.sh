#!/usr/bin/env bash
# Bad input through the CLI: each case checks the message, the exit code, and that the schema
# (pg_dump -s), every table's contents and pgshift's state are exactly as before.
#   usage: test/bad_input/run.sh   (against the server in PG*; scripts/with-cluster.sh provides one)
set -u
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"
PGSHIFT=${PGSHIFT_BIN:-pgshift}
DB=pgshift_bad_input
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
sql() { psql -X -q -At -v ON_ERROR_STOP=1 -d "$DB" "$@"; }
url="postgresql:///$DB?host=${PGHOST:-/var/run/postgresql}&port=${PGPORT:-5432}&user=${PGUSER:-postgres}"
cli() { "$PGSHIFT" --postgres-url "$url" "$@"; }

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "CREATE DATABASE $DB" >/dev/null
cli init >/dev/null || { echo "init failed"; echo "0 passed, 1 failed"; exit 1; }
cat >"$work/01_base.yaml" <<'YAML'
operations:
  - create_table:
      name: users
      columns:
        - {name: id, type: serial, pk: true}
        - {name: email, type: text, unique: true}
        - {name: nickname, type: text, nullable: true}
  - create_table:
      name: posts
      columns:
        - {name: id, type: serial, pk: true}
        - {name: user_id, type: integer, references: {name: fk_posts_user, table: users, column: id}}
        - {name: title, type: text, check: {name: title_length, constraint: length(title) > 3}}
YAML
cli start --complete "$work/01_base.yaml" >/dev/null || { echo "base migration failed"; echo "0 passed, 1 failed"; exit 1; }
sql -c "INSERT INTO public.users (email) SELECT 'u' || g || '@x' FROM generate_series(1, 50) g" \
    -c "INSERT INTO public.posts (user_id, title) SELECT 1 + g % 50, 'post ' || g FROM generate_series(1, 200) g"

# Everything a failed command must leave as it was.
snapshot() {
  pg_dump -s -x -O "$DB" 2>/dev/null | grep -vE '^(--|SET |SELECT pg_catalog.set_config|\\restrict |\\unrestrict )' | sed '/^$/d'
  sql -c "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM public.users t" \
      -c "SELECT md5(string_agg(t::text, ',' ORDER BY t::text)) FROM public.posts t" \
      -c "SELECT name, done, md5(migration::text) FROM pgshift.migrations ORDER BY seq" \
      -c "SELECT count(*) FROM pgshift.jobs"
}

# bad NAME EXIT MESSAGE CLI-ARGS...: the command fails with EXIT, stderr says MESSAGE, nothing changed.
bad() {
  local name=$1 code=$2 message=$3
  shift 3
  test_case "$name"
  snapshot >"$work/before"
  run cli "$@"
  assert_status "exit code" "$code"
  assert_contains "message" "$ERR" "$message"
  snapshot >"$work/after"
  assert_files_equal "database unchanged" "$work/before" "$work/after"
}

# file NAME CONTENT: writes a migration file into the work directory and prints its path.
file() { printf '%s\n' "$2" >"$work/$1"; echo "$work/$1"; }

bad "malformed JSON" 1 "02_bad.json" start "$(file 02_bad.json '{"operations": [')"
bad "malformed YAML" 1 "02_bad.yaml" start "$(file 02_bad.yaml $'operations:\n  - create_table: {name: t\n   columns: [')"
bad "empty file" 1 "02_empty.yaml" start "$(file 02_empty.yaml '')"
bad "missing file" 1 "no_such_file.yaml" start "$work/no_such_file.yaml"
bad "directory instead of a file" 1 "$work" start "$work"
bad "unknown operation" 1 'unknown operation "create_tabel"' start "$(file 02.yaml $'operations:\n  - create_tabel: {name: t}')"
bad "unknown field" 1 'unknown field "nulable"' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, column: {name: a, type: int, nulable: true}}')"
bad "mistyped field" 1 'nullable: expected a boolean, got a string' start "$(file 02.json '{"operations": [{"add_column": {"table": "users", "column": {"name": "a", "type": "int", "nullable": "yes"}}}]}')"
bad "missing required field" 1 'missing required field "columns"' start "$(file 02.yaml $'operations:\n  - create_table: {name: t}')"
bad "no operations" 1 'missing required field "operations"' start "$(file 02.yaml 'version_schema: v2')"
bad "unknown top-level field" 1 'unknown field "owner"' start "$(file 02.yaml $'owner: me\noperations: []')"
bad "two operations in one item" 1 "exactly one key" start "$(file 02.json '{"operations": [{"drop_table": {"name": "users"}, "drop_index": {"name": "x"}}]}')"
bad "missing table" 1 'table "accounts" does not exist' start "$(file 02.yaml $'operations:\n  - add_column: {table: accounts, column: {name: a, type: int, nullable: true}}')"
bad "missing column" 1 'column "age" does not exist' start "$(file 02.yaml $'operations:\n  - drop_column: {table: users, column: age}')"
bad "table exists" 1 'table "users" already exists' start "$(file 02.yaml $'operations:\n  - create_table: {name: users, columns: [{name: id, type: int}]}')"
bad "column exists" 1 'column "email" already exists' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, column: {name: email, type: text, nullable: true}}')"
bad "invalid type" 1 'type "integr" does not exist' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, column: {name: age, type: integr, nullable: true}}')"
bad "up with a syntax error" 1 'syntax error' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, up: "CAST(id AS", column: {name: age, type: int, nullable: true}}')"
bad "up naming a missing column" 1 'column "birth_year" does not exist' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, up: "2024 - birth_year", column: {name: age, type: int, nullable: true}}')"
bad "up of the wrong type" 1 'is of type' start "$(file 02.yaml $'operations:\n  - alter_column: {table: users, column: nickname, type: integer, up: "nickname", down: "nickname::text"}')"
bad "check with a syntax error" 1 'cannot parse SQL expression' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, up: "0", column: {name: age, type: int, check: {name: age_check, constraint: "age >"}}}')"
bad "check naming a missing column" 1 'column "agee" does not exist' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, up: "0", column: {name: age, type: int, check: {name: age_check, constraint: "agee > 0"}}}')"
bad "foreign key to a missing table" 1 'referenced table "teams" does not exist' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, column: {name: team_id, type: int, nullable: true, references: {name: fk_team, table: teams, column: id}}}')"
bad "table name too long" 1 "PostgreSQL would truncate it" start "$(file 02.yaml "operations:
  - create_table: {name: $(printf 't%.0s' {1..64}), columns: [{name: id, type: int}]}")"
bad "column name too long once prefixed" 1 "PostgreSQL would truncate it" start "$(file 02.yaml "operations:
  - add_column: {table: users, column: {name: $(printf 'c%.0s' {1..55}), type: int, nullable: true}}")"
bad "version schema name too long" 1 'version schema name' start "$(file "$(printf 'm%.0s' {1..60}).yaml" 'operations: []')"
bad "NOT NULL column without up or default" 1 'field "up" is required' start "$(file 02.yaml $'operations:\n  - add_column: {table: users, column: {name: age, type: int}}')"
bad "type change without up and down" 1 'needs both "up" and "down"' start "$(file 02.yaml $'operations:\n  - alter_column: {table: users, column: nickname, type: varchar(10)}')"
bad "alter_column without a change" 1 'requires at least one change' start "$(file 02.yaml $'operations:\n  - alter_column: {table: users, column: nickname}')"
bad "missing constraint" 1 'constraint "nope" does not exist' start "$(file 02.yaml $'operations:\n  - drop_constraint: {table: posts, name: nope, down: title}')"
bad "index on a missing column" 1 'column "nope" does not exist' start "$(file 02.yaml $'operations:\n  - create_index: {name: idx_x, table: users, columns: [{column: nope}]}')"
bad "rename onto an existing column" 1 'column "email" already exists' start "$(file 02.yaml $'operations:\n  - rename_column: {table: users, from: nickname, to: email}')"
bad "raw sql with other operations" 1 'cannot be executed with other operations' start "$(file 02.yaml $'operations:\n  - sql: {up: "SELECT 1"}\n  - drop_index: {name: x}')"
bad "raw sql that fails" 1 'relation "nope" does not exist' start "$(file 02.yaml $'operations:\n  - sql: {up: "ALTER TABLE nope ADD COLUMN x int"}')"
bad "complete with nothing active" 1 'no migration is in progress' complete
bad "rollback with nothing active" 1 'no migration is in progress' rollback
bad "unknown command" 2 "" frobnicate
bad "start without a file" 2 "" start

# A second start while a migration is active.
cli start "$(file 02_nick.yaml $'operations:\n  - rename_column: {table: users, from: nickname, to: handle}')" >/dev/null
bad "start while a migration is active" 1 'already in progress' start "$(file 03_other.yaml $'operations:\n  - drop_column: {table: users, column: email}')"
cli rollback >/dev/null

# A migration applied before, with different content now.
mkdir -p "$work/dir"
cp "$work/01_base.yaml" "$work/dir/01_base.yaml"
printf '%s\n' '  - create_table: {name: extra, columns: [{name: id, type: int}]}' >>"$work/dir/01_base.yaml"
bad "applied migration changed since" 1 "different content" migrate "$work/dir"

# A CLI whose version does not match the installed extension's.
sql -c "UPDATE pg_extension SET extversion = '0.0.1' WHERE extname = 'pgshift'"
bad "extension version mismatch" 1 "0.0.1" status
sql -c "UPDATE pg_extension SET extversion = '$(sed -n "s/^default_version = '\(.*\)'/\1/p" "$here/../../extension/pgshift.control")' WHERE extname = 'pgshift'"

# A database without the extension.
psql -X -q -d postgres -c "DROP DATABASE IF EXISTS ${DB}_bare" -c "CREATE DATABASE ${DB}_bare" >/dev/null
test_case "database without the extension"
run "$PGSHIFT" --postgres-url "${url/$DB/${DB}_bare}" start "$work/01_base.yaml"
assert_status "exit code" 1
assert_contains "message" "$ERR" "not initialized"
assert_eq "nothing created" "0" "$(psql -X -At -d "${DB}_bare" -c "SELECT count(*) FROM pg_namespace WHERE nspname LIKE 'public\_%' OR nspname = 'pgshift'")"

# Names that need quotes work; names crafted to inject SQL stay names.
test_case "names needing quotes"
run cli start --complete "$(file 04_odd.yaml $'operations:\n  - create_table:\n      name: "Order Items"\n      columns:\n        - {name: "select", type: int, pk: true}\n        - {name: "Mixed Case", type: text, nullable: true}\n  - create_table:\n      name: "x\\"; DROP TABLE users; --"\n      columns: [{name: "a\'b", type: int, nullable: true}]')"
assert_status "exit code" 0
assert_eq "tables created under their names" "2" "$(sql -c "SELECT count(*) FROM pg_class WHERE relkind = 'r' AND relname IN ('Order Items', 'x\"; DROP TABLE users; --')")"
assert_eq "users untouched" "50" "$(sql -c "SELECT count(*) FROM public.users")"

psql -X -q -d postgres -c "DROP DATABASE IF EXISTS $DB" -c "DROP DATABASE IF EXISTS ${DB}_bare" >/dev/null
finish_tests
