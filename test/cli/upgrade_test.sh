# shellcheck shell=bash disable=SC2154  # work, PGSHIFT, VERSION come from run.sh
# A database made with pgshift 0.1.0 moves to this version with ALTER EXTENSION pgshift UPDATE: its
# history stays, a migration in progress goes on and completes, the version schemas of 0.1.0 get
# what this version's views have, and the extension's objects end up as those of a new install.
# (0.1.0 is installed from its own script; the library is this version's, which serves 0.1.0's
# SQL until the update, as it does on a real server once the new packages are in.)

test_case "upgrade from 0.1.0"
fresh_db upgrade_from_010
sql "CREATE EXTENSION pgshift VERSION '0.1.0'" >/dev/null
assert_exit "this CLI refuses a 0.1.0 database" 1 "$PGSHIFT" status
assert_contains "and names the update to run" "$ERR" "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"

# History made with 0.1.0's functions: 01 creates items, 02 (done) turns price into an integer,
# 03 (in progress, its backfill slowed down) makes note a varchar.
failed=$({ sql "SELECT pgshift.start('public', '{\"name\": \"01_items\", \"operations\": [{\"create_table\": {\"name\": \"items\",
               \"columns\": [{\"name\": \"id\", \"type\": \"serial\", \"pk\": true}, {\"name\": \"price\", \"type\": \"text\", \"default\": \"''1''\"},
                             {\"name\": \"note\", \"type\": \"text\", \"nullable\": true}]}}]}');
              SELECT pgshift.complete('public');
              INSERT INTO items (price, note) SELECT g::text, 'n' || g FROM generate_series(1, 500) g;
              SELECT pgshift.start('public', '{\"name\": \"02_price_int\", \"operations\": [{\"alter_column\": {\"table\": \"items\",
               \"column\": \"price\", \"type\": \"integer\", \"up\": \"CAST(price AS integer)\", \"down\": \"CAST(price AS text)\"}}]}')" 2>&1 | grep -i error
        sql "CALL pgshift.wait_for_jobs('public')" 2>&1 | grep -i error
        sql "SELECT pgshift.complete('public');
              SELECT pgshift.start('public', '{\"name\": \"03_note\", \"operations\": [{\"alter_column\": {\"table\": \"items\",
               \"column\": \"note\", \"type\": \"varchar(40)\", \"up\": \"note\", \"down\": \"note\"}}]}',
               '{\"backfill_batch_size\": 10, \"backfill_batch_delay_ms\": 1000}');" 2>&1 | grep -i error; })
assert_eq "0.1.0 runs its migrations" "" "$failed"

# 0.1.0 opened 03's version at start, while its backfill runs: the update waits until it is done.
assert_exit "ALTER EXTENSION pgshift UPDATE while a 0.1.0 backfill runs" 1 \
  psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
assert_contains "is refused, saying what to wait for" "$ERR" 'migration "03_note" of schema "public" has jobs that are not done'
assert_contains "and how" "$ERR" "CALL pgshift.wait_for_jobs('public')"
assert_eq "nothing changed" "0.1.0" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgshift'")"
sql "SELECT pgshift.backfill_configure('public', 0, 0)" >/dev/null
sql "CALL pgshift.wait_for_jobs('public')" >/dev/null
# As 0.1.0 left it: its trigger fired for origin sessions only.
sql "ALTER TABLE items ENABLE TRIGGER \"~pgshift_dual_write\"" >/dev/null
sql "SELECT schema, name, parent, migration, version_schema, done, migration_type FROM pgshift.migrations ORDER BY seq" >"$work/history_before"
assert_eq "0.1.0's views have no condition" "f" \
  "$(sql "SELECT pg_get_viewdef('public_03_note.items'::regclass) LIKE '%_version_view_open%'")"

# 0.1.0's README had migrators granted rights on pgshift's tables: the update takes them away.
sql "DROP ROLE IF EXISTS pgshift_upgrade_migrator; CREATE ROLE pgshift_upgrade_migrator;
     GRANT USAGE ON SCHEMA pgshift TO pgshift_upgrade_migrator;
     GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA pgshift TO pgshift_upgrade_migrator" >/dev/null
assert_exit "ALTER EXTENSION pgshift UPDATE" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
assert_eq "no role but the owner writes pgshift's tables any more" "f f" \
  "$(sql "SELECT has_table_privilege('pgshift_upgrade_migrator', 'pgshift.migrations', 'INSERT'),
                 has_table_privilege('pgshift_upgrade_migrator', 'pgshift.jobs', 'UPDATE')" | tr '|' ' ')"
assert_eq "the migration in progress runs as the role that started it" "$(sql "SELECT current_user")" \
  "$(sql "SELECT role FROM pgshift.migrations WHERE name = '03_note'")"
sql "DROP OWNED BY pgshift_upgrade_migrator; DROP ROLE pgshift_upgrade_migrator" >/dev/null
assert_contains "saying how to bring 0.1.0's views up to date" "$ERR" "SELECT pgshift.refresh_version_views('public')"
assert_eq "the extension is at this version" "$VERSION" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgshift'")"
sql "SELECT schema, name, parent, migration, version_schema, done, migration_type FROM pgshift.migrations ORDER BY seq" >"$work/history_after"
assert_files_equal "the history is as it was" "$work/history_before" "$work/history_after"
assert_eq "the migration is still in progress" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_eq "the dual-write trigger fires for every session now" "A" \
  "$(sql "SELECT tgenabled FROM pg_trigger WHERE tgname = '~pgshift_dual_write' AND tgrelid = 'items'::regclass")"
# The update gave 0.1.0's views their table columns' defaults, also 02's, whose columns complete renamed.
sql "UPDATE public_02_price_int.items SET price = DEFAULT WHERE id = 3" >/dev/null
assert_eq "DEFAULT through a view of a version 0.1.0 completed" "1" "$(sql "SELECT price FROM items WHERE id = 3")"

# Before refresh_version_views, a new session's first write through a 0.1.0 view (no condition to
# load the library when it is planned) is still the version of the view it goes through.
sql "UPDATE public_03_note.items SET note = 'new version, named' WHERE id = 1" >/dev/null
sql "UPDATE public_02_price_int.items SET note = 'old version, named' WHERE id = 2" >/dev/null
assert_eq "each version's write went its way" "new version, named|old version, named" \
  "$(sql "SELECT string_agg(n.note, '|' ORDER BY n.id) FROM public_03_note.items n JOIN public_02_price_int.items o USING (id)
          WHERE n.id IN (1, 2) AND n.note = o.note")"

# An extension script may not replace the users' views: refresh_version_views does (start, complete
# and rollback call it, and so may an operator right after the update).
assert_eq "refresh_version_views brings 0.1.0's views up to date" "2" "$(sql "SELECT pgshift.refresh_version_views('public')")"
assert_eq "once" "0" "$(sql "SELECT pgshift.refresh_version_views('public')")"
for view in public_02_price_int.items public_03_note.items; do
  assert_eq "$view: the condition that tells the trigger its version" "t" \
    "$(sql "SELECT pg_get_viewdef('$view'::regclass) LIKE '%pgshift._version_view_open()%'")"
  assert_eq "$view: check option and security_invoker" "{security_invoker=true,check_option=local}" \
    "$(sql "SELECT reloptions FROM pg_class WHERE oid = '$view'::regclass")"
done
sql "UPDATE public_03_note.items SET note = DEFAULT WHERE id = 4; INSERT INTO public_03_note.items (price) VALUES (DEFAULT)" >/dev/null
assert_eq "an insert through the new version with DEFAULT got the sequence and the default" "1 501 1" \
  "$(sql "SELECT count(*) || ' ' || max(id) || ' ' || min(price) FROM public_03_note.items WHERE id > 500")"
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "every row right after complete" "501 0" \
  "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE note IS DISTINCT FROM CASE id WHEN 1 THEN 'new version, named'
          WHEN 2 THEN 'old version, named' WHEN 4 THEN NULL WHEN 501 THEN NULL ELSE 'n' || id END) FROM items")"

# The updated extension's objects are those of a new install.
extension_objects() {
  pg_dump -s -n pgshift -d "$1" 2>>"$work/pg_dump.log" | grep -v -E '^\\(un)?restrict |^-- Dumped|^SET |^SELECT pg_catalog.set_config' >"$2"
}
extension_objects "$PGDATABASE" "$work/updated_objects.sql"
updated_db=$PGDATABASE
fresh_db upgrade_fresh
sql "CREATE EXTENSION pgshift" >/dev/null
extension_objects "$PGDATABASE" "$work/fresh_objects.sql"
assert_files_equal "the same objects as a new install" "$work/fresh_objects.sql" "$work/updated_objects.sql"
export PGDATABASE=$updated_db

# A database made with pgshift 0.2.0: its version schemas hold only views. After the update, the next
# start, complete or rollback gives the live ones the schema's types, functions and views, and a new
# version has them from the start.
test_case "upgrade from 0.2.0"
fresh_db upgrade_from_020
sql "CREATE EXTENSION pgshift VERSION '0.2.0'" >/dev/null
failed=$({ sql "SELECT pgshift.start('public', jsonb_build_object('name', '01_jobs', 'operations', jsonb_build_array(
                  jsonb_build_object('sql', jsonb_build_object('up', \$q\$
                    CREATE TYPE job_state AS ENUM ('created', 'active');
                    CREATE TABLE job (id serial PRIMARY KEY, name text, state job_state NOT NULL DEFAULT 'created');
                    CREATE FUNCTION job_count() RETURNS bigint LANGUAGE sql AS 'SELECT count(*) FROM public.job';
                  \$q\$)))));
              SELECT pgshift.complete('public');
              INSERT INTO job (name) SELECT 'j' || g FROM generate_series(1, 50) g;
              SELECT pgshift.start('public', '{\"name\": \"02_note\", \"operations\": [{\"add_column\": {\"table\": \"job\",
               \"column\": {\"name\": \"note\", \"type\": \"text\", \"nullable\": true}}}]}');" 2>&1 | grep -i error; })
assert_eq "0.2.0 runs its migrations" "" "$failed"
assert_eq "0.2.0's version schemas hold views only" "" "$(sql "SELECT to_regtype('public_02_note.job_state')")"
assert_exit "ALTER EXTENSION pgshift UPDATE from 0.2.0" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
assert_eq "the extension is at this version" "$VERSION" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgshift'")"
assert_eq "the migration is still in progress" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "complete gave the live version the schema's type" "job_state" \
  "$(sql "SELECT typbasetype::regtype::text FROM pg_type WHERE oid = to_regtype('public_02_note.job_state')")"
assert_eq "and its function" "50" "$(sql "SELECT public_02_note.job_count()")"
assert_eq "a value cast to the version's type is stored" "active" \
  "$(sql "INSERT INTO public_02_note.job (name, state) VALUES ('x', 'active'::public_02_note.job_state) RETURNING state")"
assert_exit "a new migration after the update" 0 "$PGSHIFT" start "$(printf '%s' '{"name": "03_size", "operations": [{"add_column": {"table": "job", "column": {"name": "size", "type": "integer", "default": "0"}}}]}' >"$work/03_size.json"; echo "$work/03_size.json")" --complete
assert_eq "has them from its start" "51" "$(sql "SELECT public_03_size.job_count()")"
extension_objects "$PGDATABASE" "$work/updated_020_objects.sql"
assert_files_equal "the same objects as a new install" "$work/fresh_objects.sql" "$work/updated_020_objects.sql"

# A database made with pgshift 0.3.0, its backfill waiting: after the update the job takes the
# throttle's settings, runs under this version's worker and completes.
test_case "upgrade from 0.3.0"
fresh_db upgrade_from_030
sql "CREATE EXTENSION pgshift VERSION '0.3.0'" >/dev/null
failed=$({ sql "CREATE TABLE public.items (id int PRIMARY KEY, price text);
              INSERT INTO public.items SELECT g, g::text FROM generate_series(1, 2000) g;
              SELECT pgshift.start('public', '{\"name\": \"01_price_int\", \"operations\": [{\"alter_column\": {\"table\": \"items\",
               \"column\": \"price\", \"type\": \"integer\", \"up\": \"CAST(price AS integer)\", \"down\": \"CAST(price AS text)\"}}]}',
               '{\"paused\": true}');" 2>&1 | grep -i error; })
assert_eq "0.3.0 starts its migration" "" "$failed"
assert_exit "this CLI refuses throttle options 0.3.0 does not know" 1 "$PGSHIFT" backfill-configure --duty-cycle 0.5
assert_contains "naming the update" "$ERR" "ALTER EXTENSION pgshift UPDATE"
assert_exit "ALTER EXTENSION pgshift UPDATE from 0.3.0" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
assert_eq "the job from before takes the server's throttle mode" "auto||" \
  "$(sql "SELECT throttle_mode, max_rows_per_second, duty_cycle FROM pgshift.backfill_progress")"
assert_exit "backfill-configure after the update" 0 "$PGSHIFT" backfill-configure --max-rows-per-second 100000 --duty-cycle 0.9
assert_eq "sets the job's bounds" "100000|0.9" "$(sql "SELECT max_rows_per_second, duty_cycle FROM pgshift.jobs WHERE kind = 'backfill'")"
sql "SELECT pgshift.backfill_resume('public')" >/dev/null
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "every row right" "2000 2000" "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE price = id) FROM items")"
extension_objects "$PGDATABASE" "$work/updated_030_objects.sql"
assert_files_equal "the same objects as a new install" "$work/fresh_objects.sql" "$work/updated_030_objects.sql"

# A database made with pgshift 0.4.0, its backfill waiting: after the update the job goes on and
# completes, and the update's new operation (rebuild_table, whose trigger function 0.5.0 adds) works.
test_case "upgrade from 0.4.0"
fresh_db upgrade_from_040
sql "CREATE EXTENSION pgshift VERSION '0.4.0'" >/dev/null
failed=$({ sql "CREATE TABLE public.items (id int PRIMARY KEY, price text);
              INSERT INTO public.items SELECT g, g::text FROM generate_series(1, 2000) g;
              SELECT pgshift.start('public', '{\"name\": \"01_price_int\", \"operations\": [{\"alter_column\": {\"table\": \"items\",
               \"column\": \"price\", \"type\": \"integer\", \"up\": \"CAST(price AS integer)\", \"down\": \"CAST(price AS text)\"}}]}',
               '{\"paused\": true}');" 2>&1 | grep -i error; })
assert_eq "0.4.0 starts its migration" "" "$failed"
assert_exit "ALTER EXTENSION pgshift UPDATE from 0.4.0" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
sql "SELECT pgshift.backfill_resume('public')" >/dev/null
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "every row right" "2000 2000" "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE price = id) FROM items")"
printf '%s' '{"name": "02_rebuild", "operations": [{"rebuild_table": {"table": "items",
  "partition_by": {"strategy": "hash", "columns": ["id"]},
  "partitions": [{"name": "items_0", "modulus": 2, "remainder": 0}, {"name": "items_1", "modulus": 2, "remainder": 1}]}}]}' \
  >"$work/02_rebuild.json"
assert_exit "a rebuild after the update" 0 "$PGSHIFT" start "$work/02_rebuild.json" --complete
assert_eq "the table is partitioned, every row there" "p 2000" \
  "$(sql "SELECT (SELECT relkind::text FROM pg_class WHERE oid = 'public.items'::regclass) || ' ' || count(*) FROM items")"
extension_objects "$PGDATABASE" "$work/updated_040_objects.sql"
assert_files_equal "the same objects as a new install" "$work/fresh_objects.sql" "$work/updated_040_objects.sql"

# A database made with pgshift 0.5.0, a rebuild's copy waiting: after the update the copy goes on
# and completes, and a table with row-level security, which 0.5.0 refused, can be rebuilt.
test_case "upgrade from 0.5.0"
fresh_db upgrade_from_050
sql "CREATE EXTENSION pgshift VERSION '0.5.0'" >/dev/null
failed=$({ sql "CREATE TABLE public.items (id int PRIMARY KEY, price text);
              INSERT INTO public.items SELECT g, g::text FROM generate_series(1, 2000) g;
              SELECT pgshift.start('public', '{\"name\": \"01_rebuild\", \"operations\": [{\"rebuild_table\": {\"table\": \"items\",
               \"partition_by\": {\"strategy\": \"hash\", \"columns\": [\"id\"]},
               \"partitions\": [{\"name\": \"items_0\", \"modulus\": 2, \"remainder\": 0}, {\"name\": \"items_1\", \"modulus\": 2, \"remainder\": 1}]}}]}',
               '{\"paused\": true}');" 2>&1 | grep -i error; })
assert_eq "0.5.0 starts its rebuild" "" "$failed"
assert_exit "ALTER EXTENSION pgshift UPDATE from 0.5.0" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
sql "SELECT pgshift.backfill_resume('public')" >/dev/null
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "the table is partitioned, every row there" "p 2000" \
  "$(sql "SELECT (SELECT relkind::text FROM pg_class WHERE oid = 'public.items'::regclass) || ' ' || count(*) FROM items")"
sql "CREATE TABLE public.notes (id int PRIMARY KEY, author text NOT NULL);
     INSERT INTO public.notes SELECT g, 'a' || g % 2 FROM generate_series(1, 100) g;
     ALTER TABLE public.notes ENABLE ROW LEVEL SECURITY;
     CREATE POLICY own ON public.notes USING (author = current_user)" >/dev/null
printf '%s' '{"name": "02_rebuild_notes", "operations": [{"rebuild_table": {"table": "notes",
  "partition_by": {"strategy": "hash", "columns": ["id"]},
  "partitions": [{"name": "notes_0", "modulus": 2, "remainder": 0}, {"name": "notes_1", "modulus": 2, "remainder": 1}]}}]}' \
  >"$work/02_rebuild_notes.json"
assert_exit "a rebuild of a table with row-level security after the update" 0 "$PGSHIFT" start "$work/02_rebuild_notes.json" --complete
assert_eq "its policy and row-level security came along, every row there" "own true 100" \
  "$(sql "SELECT (SELECT string_agg(policyname, ',') FROM pg_policies WHERE tablename = 'notes') || ' ' ||
                 (SELECT relrowsecurity FROM pg_class WHERE oid = 'public.notes'::regclass) || ' ' || count(*) FROM notes")"
extension_objects "$PGDATABASE" "$work/updated_050_objects.sql"
assert_files_equal "the same objects as a new install" "$work/fresh_objects.sql" "$work/updated_050_objects.sql"
