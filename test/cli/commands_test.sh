# shellcheck shell=bash disable=SC2154  # work and PGSHIFT come from run.sh
# migrate, validate, pull, latest --local and baseline against a live server. Sourced by run.sh, whose
# helpers (fresh_db, sql, dump_schema, schema_exists, json_get) and variables (PGSHIFT, work) it uses.
# Only create_table migrations: the extension implements no other operation yet.

# table_migration FILE TABLE: a migration creating TABLE (id integer primary key, note text null).
table_migration() {
  cat >"$1" <<YAML
operations:
  - create_table:
      name: $2
      columns:
        - {name: id, type: integer, pk: true}
        - {name: note, type: text, nullable: true}
YAML
}

# migrations_of_db: "name:done" of every migration of schema public, in the order they were applied.
migrations_of_db() {
  sql "SELECT string_agg(name || ':' || done, ' ' ORDER BY seq) FROM pgshift.migrations WHERE schema = 'public'"
}

count_lines() { if [[ -z "$1" ]]; then echo 0; else wc -l <<<"$1" | tr -d ' '; fi; }

# --- directories -----------------------------------------------------------------------------------

mig=$work/migrations            # three migrations: YAML, JSON, YML; the last has a version_schema
mkdir -p "$mig"
table_migration "$mig/01_customers.yaml" customers
cat >"$mig/02_orders.json" <<'JSON'
{"operations": [{"create_table": {"name": "orders", "columns": [
  {"name": "id", "type": "integer", "pk": true},
  {"name": "customer_id", "type": "integer", "references": {"name": "fk_customer", "table": "customers", "column": "id"}}
]}}]}
JSON
# Strings that look like other YAML types, a literal block and a version_schema: pull must keep them all.
cat >"$mig/03_items.yml" <<'YAML'
version_schema: items_v3
operations:
  - create_table:
      name: items
      comment: |
        Things we sell.
        Two lines.
      columns:
        - name: id
          type: integer
          pk: true
        - name: label
          type: text
          nullable: true
          default: "'none'"
          comment: "123"
        - name: flag
          type: boolean
          default: "true"
          comment: "yes"
YAML

test_case "new commands: help"
for command in migrate validate pull baseline; do
  assert_exit "$command --help" 0 "$PGSHIFT" $command --help
  assert_contains "$command --help shows usage" "$OUT" "Usage:"
done
run "$PGSHIFT" migrate --help
assert_contains "migrate --help lists --complete" "$OUT" "--complete"
assert_contains "migrate --help explains .ledger" "$OUT" ".ledger"
run "$PGSHIFT" baseline --help
assert_contains "baseline --help lists --yes" "$OUT" "--yes"
assert_contains "baseline --help lists --json" "$OUT" "--json"
run "$PGSHIFT" pull --help
assert_contains "pull --help lists --json" "$OUT" "--json"
run "$PGSHIFT" latest schema --help
assert_contains "latest schema --help lists --local" "$OUT" "--local"
assert_exit "migrate without a directory" 2 "$PGSHIFT" migrate
assert_exit "baseline without a directory" 2 "$PGSHIFT" baseline v1

# --- migrate -----------------------------------------------------------------------------------------

test_case "migrate"
fresh_db migrate
assert_exit "migrate before init" 1 "$PGSHIFT" migrate "$mig"
assert_contains "migrate before init says so" "$ERR" "not initialized"
run "$PGSHIFT" init
assert_exit "migrate" 0 "$PGSHIFT" migrate "$mig"
assert_eq "one line per migration" 3 "$(count_lines "$OUT")"
assert_eq "first line" 'Migration "01_customers" complete: schema version "public_01_customers"' "$(sed -n 1p <<<"$OUT")"
assert_eq "second line" 'Migration "02_orders" complete: schema version "public_02_orders"' "$(sed -n 2p <<<"$OUT")"
assert_eq "last line" 'Migration "03_items" started: new version of the schema available under the postgres "public_items_v3" schema' \
  "$(sed -n 3p <<<"$OUT")"
assert_eq "all but the last completed" "01_customers:true 02_orders:true 03_items:false" "$(migrations_of_db)"
assert_eq "status" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_eq "YAML types kept" "string string" \
  "$(sql "SELECT jsonb_typeof(migration #> '{operations,0,create_table,columns,1,comment}') || ' ' ||
                 jsonb_typeof(migration #> '{operations,0,create_table,columns,2,default}')
            FROM pgshift.migrations WHERE name = '03_items'")"
assert_exit "migrate while one is active" 0 "$PGSHIFT" migrate "$mig"
assert_eq "active: pgroll's message" 'migration "03_items" is active' "$OUT"
assert_exit "complete" 0 "$PGSHIFT" complete
dump_schema "$work/migrate_done.sql"
assert_exit "migrate again" 0 "$PGSHIFT" migrate "$mig" --complete
assert_eq "nothing to do" "Database is up to date; no migrations to apply" "$OUT"
assert_eq "nothing on stderr" "" "$ERR"
dump_schema "$work/migrate_again.sql"
assert_files_equal "second migrate changed nothing" "$work/migrate_done.sql" "$work/migrate_again.sql"
assert_exit "missing directory" 1 "$PGSHIFT" migrate "$work/no-such-dir"
assert_contains "missing directory is named" "$ERR" "no-such-dir\" does not exist"

test_case "migrate --complete"
fresh_db migrate_complete
run "$PGSHIFT" init
assert_exit "migrate -c" 0 "$PGSHIFT" migrate -c "$mig"
assert_eq "last line says complete" 'Migration "03_items" complete: schema version "public_items_v3"' "$(sed -n 3p <<<"$OUT")"
assert_eq "all completed" "01_customers:true 02_orders:true 03_items:true" "$(migrations_of_db)"
assert_eq "status" "Complete" "$(json_get "$("$PGSHIFT" status)" status)"
assert_eq "only the latest version schema is left" "0 0 1" \
  "$(schema_exists public_01_customers) $(schema_exists public_02_orders) $(schema_exists public_items_v3)"
assert_eq "the version schema works" "none" \
  "$(sql "SET search_path TO public_items_v3; INSERT INTO items (id) VALUES (1); SELECT label FROM items")"
# Files added later are applied on top.
cp -r "$mig" "$work/migrations_more"
table_migration "$work/migrations_more/04_later.yaml" later
assert_exit "migrate a longer directory" 0 "$PGSHIFT" migrate -c "$work/migrations_more"
assert_eq "only the new file applied" 'Migration "04_later" complete: schema version "public_04_later"' "$OUT"

test_case "start: a migration already applied"
# A second app instance (or a rerun after the CLI was killed once start had committed) finds the
# work done; the same name with other content is refused and changes nothing.
assert_exit "start --complete of a completed migration" 0 "$PGSHIFT" start --complete "$work/migrations_more/04_later.yaml"
assert_eq "says it is already complete" 'Migration "04_later" is already complete' "$OUT"
assert_eq "history unchanged" 4 "$(sql "SELECT count(*) FROM pgshift.migrations WHERE schema = 'public'")"
dump_schema "$work/applied_before.sql"
table_migration "$work/04_later.yaml" other_table
assert_exit "same name, other content" 1 "$PGSHIFT" start "$work/04_later.yaml"
assert_contains "says why" "$ERR" 'migration "04_later" was already applied to schema "public" with different content'
dump_schema "$work/applied_after.sql"
assert_files_equal "refusal changed nothing" "$work/applied_before.sql" "$work/applied_after.sql"

test_case "migrate: .ledger"
ledger=$work/ledgered
mkdir -p "$ledger"
table_migration "$ledger/a_people.yaml" people
table_migration "$ledger/b_pets.yaml" pets
table_migration "$ledger/c_toys.yaml" toys
printf 'c_toys.yaml\na_people.yaml\n' >"$ledger/.ledger"
fresh_db ledger
run "$PGSHIFT" init
assert_exit "latest migration --local follows the ledger" 0 "$PGSHIFT" latest migration --local "$ledger"
assert_eq "latest migration --local" "a_people" "$OUT"
assert_contains "unlisted file warned about" "$ERR" "b_pets.yaml\" is not listed in"
assert_exit "migrate" 0 "$PGSHIFT" migrate --complete "$ledger"
assert_eq "ledger order, unlisted file left out" "c_toys:true a_people:true" "$(migrations_of_db)"
assert_contains "warning on stderr" "$ERR" "warning: \"$ledger/b_pets.yaml\" is not listed in \"$ledger/.ledger\"; it is ignored"
assert_eq "pets not created" "" "$(sql "SELECT to_regclass('public.pets')")"
dump_schema "$work/ledger_before.sql"
printf 'c_toys.yaml\na_people.yaml\nd_gone.yaml\n' >"$ledger/.ledger"
assert_exit "a listed file that is missing" 1 "$PGSHIFT" migrate --complete "$ledger"
assert_contains "missing listed file is named" "$ERR" "d_gone.yaml"
dump_schema "$work/ledger_after.sql"
assert_files_equal "missing listed file: nothing applied" "$work/ledger_before.sql" "$work/ledger_after.sql"
printf 'c_toys.yaml\na_people.yaml\nb_pets.yaml\n' >"$ledger/.ledger"
assert_exit "file added to the ledger" 0 "$PGSHIFT" migrate --complete "$ledger"
assert_eq "applied after the others" "c_toys:true a_people:true b_pets:true" "$(migrations_of_db)"
printf 'a_people.yaml\nc_toys.yaml\nb_pets.yaml\n' >"$ledger/.ledger"
dump_schema "$work/ledger_before.sql"
assert_exit "ledger reordered after the fact" 1 "$PGSHIFT" migrate --complete "$ledger"
assert_eq "reordered ledger refused" 'Error: remote migration does not match local migration: remote="c_toys", local="a_people"' "$ERR"
dump_schema "$work/ledger_after.sql"
assert_files_equal "refusal changed nothing" "$work/ledger_before.sql" "$work/ledger_after.sql"

test_case "migrate: history and directory disagree"
fresh_db disagree
run "$PGSHIFT" init
run "$PGSHIFT" migrate -c "$mig"
other=$work/other_order
mkdir -p "$other"
cp "$mig/01_customers.yaml" "$other/"
table_migration "$other/02_other.yaml" other
dump_schema "$work/disagree_before.sql"
assert_exit "another second migration" 1 "$PGSHIFT" migrate -c "$other"
assert_eq "pgroll's message" 'Error: remote migration does not match local migration: remote="02_orders", local="02_other"' "$ERR"
dump_schema "$work/disagree_after.sql"
assert_files_equal "database unchanged" "$work/disagree_before.sql" "$work/disagree_after.sql"
assert_eq "history unchanged" "01_customers:true 02_orders:true 03_items:true" "$(migrations_of_db)"

test_case "migrate: changed applied file"
changed=$work/changed
cp -r "$mig" "$changed"
sed -i 's/type: text/type: varchar(20)/' "$changed/01_customers.yaml"
table_migration "$changed/04_new.yaml" brand_new
assert_exit "changed file" 1 "$PGSHIFT" migrate -c "$changed"
assert_contains "names the migration" "$ERR" 'migration "01_customers" was applied with different content'
assert_contains "names the file" "$ERR" "$changed/01_customers.yaml"
assert_contains "says where" "$ERR" "/operations/0/create_table/columns/1/type"
cp "$mig/01_customers.yaml" "$changed/"
sed -i 's/^version_schema: items_v3$/version_schema: items_v4/' "$changed/03_items.yml"
assert_exit "changed version_schema" 1 "$PGSHIFT" migrate -c "$changed"
assert_contains "version_schema is content" "$ERR" 'migration "03_items" was applied with different content'
# Key order and YAML vs JSON do not matter: the same migration written differently is the same.
cp "$mig/03_items.yml" "$changed/"
rm "$changed/01_customers.yaml"
printf '{"operations": [{"create_table": {"columns": [{"pk": true, "type": "integer", "name": "id"}, {"nullable": true, "type": "text", "name": "note"}], "name": "customers"}}]}\n' \
  >"$changed/01_customers.json"
dump_schema "$work/changed_after.sql"
assert_files_equal "refusals changed nothing" "$work/disagree_before.sql" "$work/changed_after.sql"
assert_exit "same content, other format" 0 "$PGSHIFT" migrate -c "$changed"
assert_eq "only the new one applied" 'Migration "04_new" complete: schema version "public_04_new"' "$OUT"

test_case "migrate: unreadable files"
fresh_db unreadable
run "$PGSHIFT" init
bad=$work/unreadable
mkdir -p "$bad"
cp "$mig/01_customers.yaml" "$mig/02_orders.json" "$bad/"
printf 'operations:\n  - create_table: {name: broken\n' >"$bad/03_bad.yaml"
printf '{"operations": [,]}\n' >"$bad/04_bad.json"
table_migration "$bad/05_fine.yaml" fine
dump_schema "$work/unreadable_before.sql"
assert_exit "two unreadable files" 1 "$PGSHIFT" migrate -c "$bad"
assert_contains "says nothing was applied" "$ERR" "2 migration files cannot be used; nothing was applied"
assert_contains "first file named" "$ERR" "03_bad.yaml"
assert_contains "second file named" "$ERR" "04_bad.json"
dump_schema "$work/unreadable_after.sql"
assert_files_equal "nothing applied" "$work/unreadable_before.sql" "$work/unreadable_after.sql"
assert_eq "no history" "" "$(migrations_of_db)"

# --- validate ----------------------------------------------------------------------------------------

test_case "validate"
fresh_db validate
run "$PGSHIFT" init
run "$PGSHIFT" migrate -c "$mig"
dump_schema "$work/validate_before.sql"
table_migration "$work/05_valid.yaml" valid_table
assert_exit "valid migration" 0 "$PGSHIFT" validate "$work/05_valid.yaml"
assert_eq "silent on success" "" "$OUT$ERR"
assert_exit "valid migration, verbose" 0 "$PGSHIFT" validate "$work/05_valid.yaml" --verbose
assert_eq "verbose says so" 'migration "05_valid" is valid' "$OUT"
assert_exit "invalid migration" 1 "$PGSHIFT" validate "$mig/01_customers.yaml"
assert_contains "server's reason" "$ERR" 'table "customers" already exists'
assert_eq "nothing on stdout" "" "$OUT"
assert_exit "missing referenced table" 1 "$PGSHIFT" validate "$work/10_references.yaml"
assert_contains "table named" "$ERR" 'referenced table "parents" does not exist'
printf 'operations:\n  - frobnicate: {}\n' >"$work/06_unknown_op.yaml"
assert_exit "unknown operation" 1 "$PGSHIFT" validate "$work/06_unknown_op.yaml"
assert_contains "operation named" "$ERR" 'unknown operation "frobnicate"'
assert_exit "unreadable file" 1 "$PGSHIFT" validate "$work/05_bad.yaml"
assert_contains "file named" "$ERR" "05_bad.yaml"
assert_exit "missing file argument" 2 "$PGSHIFT" validate
dump_schema "$work/validate_after.sql"
assert_files_equal "validate changed nothing" "$work/validate_before.sql" "$work/validate_after.sql"
assert_eq "no history added" "01_customers:true 02_orders:true 03_items:true" "$(migrations_of_db)"

# --- pull ----------------------------------------------------------------------------------------------

test_case "pull"
# Still the validate database: three migrations, one with tricky strings and a version_schema.
pulled=$work/pulled/sub
assert_exit "pull into a new directory" 0 "$PGSHIFT" pull "$pulled"
assert_eq "pull is silent" "" "$OUT$ERR"
assert_eq "one YAML file per migration" "01_customers.yaml 02_orders.yaml 03_items.yaml" "$(cd "$pulled" && echo *)"
assert_eq "no ledger written" "0" "$(find "$pulled" -name .ledger | wc -l)"
assert_contains "quoted string that looks like a number" "$(cat "$pulled/03_items.yaml")" 'comment: "123"'
assert_contains "quoted string that looks like a boolean" "$(cat "$pulled/03_items.yaml")" 'default: "true"'
assert_contains "version_schema kept" "$(cat "$pulled/03_items.yaml")" 'version_schema: items_v3'
assert_not_contains "no name key" "$(cat "$pulled/01_customers.yaml")" "name: 01_customers"
assert_exit "migrate the pulled directory" 0 "$PGSHIFT" migrate -c "$pulled"
assert_eq "pulled files are the applied ones" "Database is up to date; no migrations to apply" "$OUT"
assert_exit "pull --json" 0 "$PGSHIFT" pull --json "$work/pulled_json"
assert_eq "JSON files" "01_customers.json 02_orders.json 03_items.json" "$(cd "$work/pulled_json" && echo *)"
assert_exit "migrate the JSON directory" 0 "$PGSHIFT" migrate "$work/pulled_json"
assert_eq "JSON files are the applied ones" "Database is up to date; no migrations to apply" "$OUT"
assert_contains "JSON body: version_schema first, no name" "$(tr -d ' \n' <"$work/pulled_json/03_items.json")" \
  '{"version_schema":"items_v3","operations":[{"create_table":{"name":"items",'

# Only missing migrations are written; existing files (any extension) are left alone.
partial=$work/pulled_partial
mkdir -p "$partial"
printf 'not even a migration' >"$partial/02_orders.yml"
assert_exit "pull into a directory with some files" 0 "$PGSHIFT" pull "$partial"
assert_eq "only missing ones written" "01_customers.yaml 02_orders.yml 03_items.yaml" "$(cd "$partial" && echo *)"
assert_eq "existing file untouched" "not even a migration" "$(cat "$partial/02_orders.yml")"
assert_exit "pull again" 0 "$PGSHIFT" pull "$pulled"
assert_eq "nothing new" "01_customers.yaml 02_orders.yaml 03_items.yaml" "$(cd "$pulled" && echo *)"
assert_exit "pull into a file" 1 "$PGSHIFT" pull "$pulled/01_customers.yaml"
assert_contains "pull into a file refused" "$ERR" "is not a directory"
dump_schema "$work/pull_after.sql"
assert_files_equal "pull changed nothing" "$work/validate_before.sql" "$work/pull_after.sql"

# --- latest --local ------------------------------------------------------------------------------------

test_case "latest --local"
assert_exit "latest schema --local" 0 "$PGSHIFT" latest schema --local "$mig"
assert_eq "version_schema of the last file" "public_items_v3" "$OUT"
assert_exit "latest schema -l --schema" 0 "$PGSHIFT" latest schema -l "$work/migrations_more" --schema app
assert_eq "name of the last file, other schema" "app_04_later" "$OUT"
assert_exit "latest migration --local" 0 "$PGSHIFT" latest migration --local "$mig"
assert_eq "last migration name" "03_items" "$OUT"
assert_exit "latest url --local" 0 "$PGSHIFT" latest url --local "$mig" "postgres://u@db.example/app"
assert_eq "latest url --local" "postgres://u@db.example/app?options=-c%20search_path%3Dpublic_items_v3" "$OUT"
assert_exit "latest url --local from the environment" 0 "$PGSHIFT" latest url -l "$mig"
assert_eq "the environment's URL works" "public_items_v3" "$(psql -X -A -t -d "$OUT" -c "SHOW search_path" 2>&1)"
mkdir -p "$work/empty_dir"
assert_exit "latest --local of an empty directory" 1 "$PGSHIFT" latest migration --local "$work/empty_dir"
assert_contains "no files" "$ERR" "no migration files found"
assert_exit "latest --local without a server" 0 "$PGSHIFT" latest migration --local "$mig" --postgres-url "host=$work/no-such-socket-dir"

# --- baseline ------------------------------------------------------------------------------------------

test_case "baseline"
fresh_db baseline
run "$PGSHIFT" init
sql "CREATE TABLE legacy (id integer PRIMARY KEY); CREATE TABLE older (id integer PRIMARY KEY)" >/dev/null
base=$work/baseline
mkdir -p "$base"
table_migration "$base/01_legacy.yaml" legacy     # already there: applying it again would fail
table_migration "$base/02_older.yaml" older
assert_exit "baseline without --yes, not interactive" 1 "$PGSHIFT" baseline 03_base "$base" </dev/null
assert_eq "needs --yes" "Error: baseline needs --yes when not run interactively" "$ERR"
assert_eq "no file written" "no" "$([[ -e "$base/03_base.yaml" ]] && echo yes || echo no)"
assert_eq "no baseline recorded" "" "$(migrations_of_db)"
# On a terminal it asks; script(1) gives it one.
if command -v script >/dev/null; then
  prompt=$(printf '%q baseline 00_declined %q' "$PGSHIFT" "$base")
  run script -qec "$prompt" /dev/null <<<"n"
  assert_status "declined on a terminal" 0
  assert_contains "asks first" "$OUT" "will restart the migration history"
  assert_contains "declined" "$OUT" "Baseline not created"
  assert_eq "declined: no file" "no" "$([[ -e "$base/00_declined.yaml" ]] && echo yes || echo no)"
  assert_eq "declined: no baseline" "" "$(migrations_of_db)"
fi
assert_exit "baseline --yes" 0 "$PGSHIFT" baseline 03_base "$base" --yes
assert_eq "baseline output" 'Baseline "03_base" recorded for schema "public"' "$OUT"
assert_eq "placeholder file" "operations: []" "$(cat "$base/03_base.yaml")"
assert_eq "history starts at the baseline" "03_base baseline" \
  "$(sql "SELECT string_agg(name || ' ' || migration_type, ', ') FROM pgshift.history('public')")"
assert_eq "no version schema" "0" "$(schema_exists public_03_base)"
table_migration "$base/04_after.yaml" after_base
assert_exit "migrate skips the files up to the baseline" 0 "$PGSHIFT" migrate -c "$base"
assert_eq "only the file after the baseline" 'Migration "04_after" complete: schema version "public_04_after"' "$OUT"
assert_eq "history" "03_base:true 04_after:true" "$(migrations_of_db)"
assert_exit "migrate again" 0 "$PGSHIFT" migrate -c "$base"
assert_eq "up to date" "Database is up to date; no migrations to apply" "$OUT"
pulled_base=$work/pulled_baseline
assert_exit "pull after a baseline" 0 "$PGSHIFT" pull "$pulled_base"
assert_eq "history since the baseline" "03_base.yaml 04_after.yaml" "$(cd "$pulled_base" && echo *)"
assert_exit "migrate the pulled directory" 0 "$PGSHIFT" migrate "$pulled_base"
assert_eq "pulled baseline directory is up to date" "Database is up to date; no migrations to apply" "$OUT"
before_sum=$(cksum <"$base/04_after.yaml")
assert_exit "a file of that name exists" 1 "$PGSHIFT" baseline 04_after "$base" --yes
assert_contains "refused, naming the file" "$ERR" "04_after.yaml\" already holds a migration named \"04_after\""
assert_eq "the file is intact" "$before_sum" "$(cksum <"$base/04_after.yaml")"
assert_exit "the server refuses" 1 "$PGSHIFT" baseline 04_after "$work/baseline_json" --yes --json
assert_contains "server's reason" "$ERR" 'migration "04_after" already exists'
assert_eq "file removed again" "" "$(ls "$work/baseline_json")"
assert_exit "baseline --json" 0 "$PGSHIFT" baseline 05_base "$work/baseline_json" -y -j
assert_eq "JSON placeholder" '{"operations":[]}' "$(tr -d ' \n' <"$work/baseline_json/05_base.json")"
assert_exit "a name that is no file name" 1 "$PGSHIFT" baseline "../x" "$base" --yes
assert_contains "refused" "$ERR" "cannot be used as a file name"

# --- concurrency ---------------------------------------------------------------------------------------

test_case "concurrent migrate"
fresh_db concurrent
run "$PGSHIFT" init
many=$work/many
mkdir -p "$many"
for i in 1 2 3 4 5 6; do table_migration "$many/0${i}_table.yaml" "table_$i"; done
# An index built concurrently by the worker, while seven runs wait for the lock: waiting must not
# hold a snapshot that CREATE INDEX CONCURRENTLY would wait for.
cat >"$many/07_index.yaml" <<'YAML'
operations:
  - create_index:
      name: idx_table_1_note
      table: table_1
      columns:
        - column: note
YAML
run_at_once 8 "$work/concurrent" "$PGSHIFT" migrate "$many" --complete
assert_eq "every run exits 0" "0 0 0 0 0 0 0 0 " "$STATUSES"
assert_eq "every migration once, done" \
  "01_table:true 02_table:true 03_table:true 04_table:true 05_table:true 06_table:true 07_index:true" \
  "$(migrations_of_db)"
assert_eq "the index is built and valid" "t" \
  "$(sql "SELECT indisvalid FROM pg_index WHERE indexrelid = 'public.idx_table_1_note'::regclass")"
assert_eq "one run applied them, seven found nothing to do" "7" \
  "$(grep -l -x 'Database is up to date; no migrations to apply' "$work"/concurrent_*.out | wc -l)"
assert_eq "seven lines from the one that applied" "7" "$(cat "$work"/concurrent_*.out | grep -c '^Migration ')"
assert_eq "no errors" "" \
  "$(grep -h -v -e '^waiting for another pgshift run' -e '^migration "07_index": 1 job done in ' "$work"/concurrent_*.err)"
assert_eq "the index build reported once" "1" "$(cat "$work"/concurrent_*.err | grep -c '^migration "07_index": 1 job done')"
