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

# History made with 0.1.0's functions: one migration done, one in progress with its backfill done.
failed=$(sql "SELECT pgshift.start('public', '{\"name\": \"01_items\", \"operations\": [{\"create_table\": {\"name\": \"items\",
               \"columns\": [{\"name\": \"id\", \"type\": \"serial\", \"pk\": true}, {\"name\": \"price\", \"type\": \"text\", \"default\": \"''1''\"},
                             {\"name\": \"note\", \"type\": \"text\", \"nullable\": true}]}}]}');
              SELECT pgshift.complete('public');
              INSERT INTO items (price, note) SELECT g::text, 'n' || g FROM generate_series(1, 500) g;
              SELECT pgshift.start('public', '{\"name\": \"02_price_int\", \"operations\": [{\"alter_column\": {\"table\": \"items\",
               \"column\": \"price\", \"type\": \"integer\", \"up\": \"CAST(price AS integer)\", \"down\": \"CAST(price AS text)\"}}]}');" 2>&1 | grep -i error)
assert_eq "0.1.0 starts its migrations" "" "$failed"
sql "CALL pgshift.wait_for_jobs('public')" >/dev/null
# As 0.1.0 left them: its trigger fired for origin sessions only.
sql "ALTER TABLE items ENABLE TRIGGER _pgshift_dual_write" >/dev/null
sql "SELECT schema, name, parent, migration, version_schema, done, migration_type FROM pgshift.migrations ORDER BY seq" >"$work/history_before"
assert_eq "0.1.0's views have no condition" "f" \
  "$(sql "SELECT pg_get_viewdef('public_02_price_int.items'::regclass) LIKE '%_version_view_open%'")"

assert_exit "ALTER EXTENSION pgshift UPDATE" 0 psql -X -q -v ON_ERROR_STOP=1 -c "ALTER EXTENSION pgshift UPDATE TO '$VERSION'"
assert_eq "the extension is at this version" "$VERSION" "$(sql "SELECT extversion FROM pg_extension WHERE extname = 'pgshift'")"
sql "SELECT schema, name, parent, migration, version_schema, done, migration_type FROM pgshift.migrations ORDER BY seq" >"$work/history_after"
assert_files_equal "the history is as it was" "$work/history_before" "$work/history_after"
assert_eq "the migration is still in progress" "In progress" "$(json_get "$("$PGSHIFT" status)" status)"
# An extension script may not replace the users' views: refresh_version_views does (start, complete
# and rollback call it, and so may an operator right after the update).
assert_eq "refresh_version_views brings 0.1.0's views up to date" "2" "$(sql "SELECT pgshift.refresh_version_views('public')")"
assert_eq "once" "0" "$(sql "SELECT pgshift.refresh_version_views('public')")"
for view in public_01_items.items public_02_price_int.items; do
  assert_eq "$view: the condition that tells the trigger its version" "t" \
    "$(sql "SELECT pg_get_viewdef('$view'::regclass) LIKE '%pgshift._version_view_open()%'")"
  assert_eq "$view: check option and security_invoker" "{security_invoker=true,check_option=local}" \
    "$(sql "SELECT reloptions FROM pg_class WHERE oid = '$view'::regclass")"
done
assert_eq "the dual-write trigger fires for every session now" "A" \
  "$(sql "SELECT tgenabled FROM pg_trigger WHERE tgname = '_pgshift_dual_write' AND tgrelid = 'items'::regclass")"
# Writes through each version, named, with search_path left alone; and DEFAULT through the views.
sql "UPDATE public_02_price_int.items SET price = 4242 WHERE id = 1; UPDATE public_01_items.items SET price = '77' WHERE id = 2;
     UPDATE public_02_price_int.items SET price = DEFAULT WHERE id = 3; INSERT INTO public_02_price_int.items (price) VALUES (DEFAULT)" >/dev/null
assert_eq "each version's write went its way" "4242 4242|77 77|1 1" \
  "$(sql "SELECT string_agg(o.price || ' ' || n.price, '|' ORDER BY o.id) FROM public_01_items.items o JOIN public_02_price_int.items n USING (id) WHERE o.id IN (1, 2, 3)")"
assert_eq "an insert through the new version with DEFAULT got the sequence and the default" "1 501 1" \
  "$(sql "SELECT count(*) || ' ' || max(id) || ' ' || min(price) FROM public_02_price_int.items WHERE id > 500")"
assert_exit "complete with this CLI" 0 "$PGSHIFT" complete
assert_eq "every row right after complete" "501 0" \
  "$(sql "SELECT count(*) || ' ' || count(*) FILTER (WHERE price IS DISTINCT FROM CASE id WHEN 1 THEN 4242 WHEN 2 THEN 77 WHEN 3 THEN 1 WHEN 501 THEN 1 ELSE id END) FROM items")"

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
