#!/usr/bin/env bash
# Operation combinations on one table and one column, as pgroll accepts them: each combination runs
#   start -> writes through the old and the new version -> both versions see both writes
#   -> rollback (the schema is exactly as before, the writes are kept) -> start again -> writes -> complete
#   -> the final columns and data are what the operations, applied in order, make of them.
#
#   scripts/with-cluster.sh bash test/combinations/run.sh      (after `make install`)
#
# Prints one line per failure and ends with "N passed, N failed".
set -uo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
# shellcheck source=../cli/lib.sh
source "$here/../cli/lib.sh"

export PGOPTIONS="-c client_min_messages=warning"
ADMIN_DB=${PGDATABASE:-postgres}
export PGDATABASE=pgshift_combinations
dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1
createdb --maintenance-db="$ADMIN_DB" "$PGDATABASE" || { echo "cannot create $PGDATABASE"; echo "0 passed, 1 failed"; exit 1; }
trap 'dropdb --if-exists --force --maintenance-db="$ADMIN_DB" "$PGDATABASE" >/dev/null 2>&1' EXIT

sql() { psql -X -q -A -t -v ON_ERROR_STOP=1 -c "$1" 2>&1; }

psql -X -q -v ON_ERROR_STOP=1 >/dev/null <<'SQL' || { echo "setup failed"; echo "0 passed, 1 failed"; exit 1; }
CREATE EXTENSION pgshift;
CREATE SCHEMA probe;
-- Everything of the managed schema a rollback must restore, as one text: tables, columns (type, NOT NULL,
-- default, comment), constraints, indexes, triggers, sequences (type, owning column), and the schemas
-- named after it.
CREATE FUNCTION probe.fingerprint(managed name) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT concat_ws(E'\n',
    (SELECT string_agg(format('column %s.%s %s%s default=%s comment=%s', c.relname, a.attname,
              pg_catalog.format_type(a.atttypid, a.atttypmod), CASE WHEN a.attnotnull THEN ' not null' END,
              pg_catalog.pg_get_expr(d.adbin, d.adrelid), pg_catalog.col_description(c.oid, a.attnum)),
              E'\n' ORDER BY c.relname, a.attnum)
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_attribute a ON a.attrelid = c.oid
       LEFT JOIN pg_catalog.pg_attrdef d ON d.adrelid = c.oid AND d.adnum = a.attnum
      WHERE c.relnamespace = managed::regnamespace AND c.relkind = 'r' AND a.attnum > 0 AND NOT a.attisdropped),
    (SELECT string_agg(format('constraint %s.%s %s', conrelid::regclass, conname, pg_catalog.pg_get_constraintdef(oid)),
              E'\n' ORDER BY conrelid::regclass::text, conname)
       FROM pg_catalog.pg_constraint WHERE connamespace = managed::regnamespace),
    (SELECT string_agg(format('index %s', pg_catalog.pg_get_indexdef(indexrelid)), E'\n' ORDER BY indexrelid::regclass::text)
       FROM pg_catalog.pg_index i JOIN pg_catalog.pg_class c ON c.oid = i.indexrelid
      WHERE c.relnamespace = managed::regnamespace),
    (SELECT string_agg(format('trigger %s.%s', tgrelid::regclass, tgname), E'\n' ORDER BY tgrelid::regclass::text, tgname)
       FROM pg_catalog.pg_trigger t JOIN pg_catalog.pg_class c ON c.oid = t.tgrelid
      WHERE c.relnamespace = managed::regnamespace AND NOT tgisinternal),
    (SELECT string_agg(format('sequence %s %s owned by %s', c.relname, pg_catalog.format_type(q.seqtypid, NULL),
                              (SELECT d.refobjid::regclass || '.' || d.refobjsubid FROM pg_catalog.pg_depend d
                                WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype IN ('a', 'i'))),
              E'\n' ORDER BY c.relname)
       FROM pg_catalog.pg_class c JOIN pg_catalog.pg_sequence q ON q.seqrelid = c.oid
      WHERE c.relnamespace = managed::regnamespace),
    (SELECT string_agg('schema ' || nspname, E'\n' ORDER BY nspname)
       FROM pg_catalog.pg_namespace WHERE nspname LIKE managed || '\_%'));
$$;
-- The final table's columns, "name type[ not null]" by position.
CREATE FUNCTION probe.columns(managed name, tab name) RETURNS text LANGUAGE sql STABLE AS $$
  SELECT string_agg(a.attname || ' ' || pg_catalog.format_type(a.atttypid, a.atttypmod) ||
                    CASE WHEN a.attnotnull THEN ' not null' ELSE '' END, ', ' ORDER BY a.attnum)
    FROM pg_catalog.pg_attribute a
   WHERE a.attrelid = format('%I.%I', managed, tab)::regclass AND a.attnum > 0 AND NOT a.attisdropped;
$$;
SQL

n=0
# combination NAME OPERATIONS OLD_WRITE NEW_WRITE FINAL_TABLE FINAL_COLUMNS CHECK_SQL EXPECTED
#   OLD_WRITE and NEW_WRITE insert the row with id 101 and 102 through the version schemas written OLD and
#   NEW (the new version names the key NEW_KEY, default id); CHECK_SQL (over the managed schema, written S.) must return EXPECTED (S. likewise) after complete.
# The table every combination starts from: t(id serial primary key, a text, b integer, c text), 3 rows.
combination() {
  local name=$1 operations=$2 old_write=$3 new_write=$4 final_table=$5 final_columns=$6 check_sql=$7 expected=$8
  n=$((n + 1))
  local s="m$n" out
  local old="${s}_01" new="${s}_02"
  test_case "$name"
  out=$(psql -X -q -A -t -v ON_ERROR_STOP=1 2>&1 <<SQL
CREATE SCHEMA $s;
SELECT pgshift.start('$s', '{"name": "01", "operations": [{"create_table": {"name": "t", "columns": [
  {"name": "id", "type": "serial", "pk": true}, {"name": "a", "type": "text", "nullable": true},
  {"name": "b", "type": "integer", "nullable": true}, {"name": "c", "type": "text", "nullable": true}]}}]}') IS NULL;
SELECT pgshift.complete('$s') IS NULL;
INSERT INTO $s.t (id, a, b, c) VALUES (1, 'x1', 10, 'c1'), (2, 'x2', NULL, 'c2'), (3, NULL, 30, NULL);
SQL
  ) || { fail "setup: $out"; return; }
  local before; before=$(sql "SELECT probe.fingerprint('$s')")
  local migration="{\"name\": \"02\", \"operations\": $operations}"
  local ow=${old_write//OLD/$old} nw=${new_write//NEW/$new}
  # Count 101 and 102 through both versions: each must see the other's write.
  local seen="SELECT (SELECT count(*) FROM $old.$(table_in_old "$old_write") WHERE id IN (101, 102)) || '/' ||
                     (SELECT count(*) FROM $new.$(table_in_new "$new_write") WHERE ${NEW_KEY:-id} IN (101, 102))"

  out=$(start_and_write "$s" "$migration" "$ow" "$nw") || { fail "first start: $out"; return; }
  assert_eq "both versions see both writes after start" "2/2" "$(sql "$seen")"
  out=$(sql "SELECT pgshift.rollback('$s') IS NULL") || { fail "rollback: $out"; return; }
  assert_eq "rollback leaves the schema as it was" "$before" "$(sql "SELECT probe.fingerprint('$s')")"
  assert_eq "rollback keeps both versions' writes" "2" \
    "$(sql "SELECT count(*) FROM $s.t WHERE id IN (101, 102)")"
  sql "DELETE FROM $s.t WHERE id IN (101, 102)" >/dev/null

  out=$(start_and_write "$s" "$migration" "$ow" "$nw") || { fail "second start: $out"; return; }
  assert_eq "both versions see both writes after the second start" "2/2" "$(sql "$seen")"
  out=$(sql "SELECT pgshift.complete('$s') ->> 'status'") || { fail "complete: $out"; return; }
  assert_eq "final columns" "$final_columns" "$(sql "SELECT probe.columns('$s', '$final_table')")"
  assert_eq "final data" "${expected//S./$s.}" "$(sql "${check_sql//S./$s.}")"
  assert_eq "the new version reads every row after complete" "5" \
    "$(sql "SELECT count(*) FROM $new.$final_table")"
  assert_eq "no twin, trigger or pending schema is left" "" \
    "$(sql "SELECT probe.fingerprint('$s')" | grep -E '_pgshift|trigger |schema _' )"
}

# The table a write names ("INSERT INTO OLD.t ..." -> t).
table_in_old() { sed -E 's/.*INTO OLD\.([a-z_0-9]+).*/\1/' <<<"$1"; }
table_in_new() { sed -E 's/.*INTO NEW\.([a-z_0-9]+).*/\1/' <<<"$1"; }

# start_and_write SCHEMA MIGRATION OLD_WRITE NEW_WRITE: start, wait for the backfill, write through both.
start_and_write() {
  psql -X -q -A -t -v ON_ERROR_STOP=1 -v m="$2" 2>&1 <<SQL
SELECT pgshift.start('$1', :'m') IS NULL;
CALL pgshift.wait_for_jobs('$1');
$3;
$4;
SQL
}

values="SELECT string_agg"

combination "rename, then change the renamed column's type" \
  '[{"rename_column": {"table": "t", "from": "b", "to": "qty"}},
    {"alter_column": {"table": "t", "column": "qty", "type": "bigint", "up": "qty::bigint * 2", "down": "(qty / 2)::integer"}}]' \
  "INSERT INTO OLD.t (id, a, b, c) VALUES (101, 'o', 5, 'o')" \
  "INSERT INTO NEW.t (id, a, qty, c) VALUES (102, 'n', 40, 'n')" \
  t "id integer not null, a text, c text, qty bigint" \
  "$values(id || ':' || coalesce(qty::text, '-'), ',' ORDER BY id) FROM S.t" "1:20,2:-,3:60,101:10,102:40"

combination "rename a column, then add one with its old name" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "a2"}},
    {"add_column": {"table": "t", "column": {"name": "a", "type": "text", "default": "'"'new'"'"}}}]' \
  "INSERT INTO OLD.t (id, a, b, c) VALUES (101, 'o', 5, 'o')" \
  "INSERT INTO NEW.t (id, a2, a, b) VALUES (102, 'n2', 'na', 4)" \
  t "id integer not null, a2 text, b integer, c text, a text not null" \
  "$values(id || ':' || coalesce(a2, '-') || '/' || a, ',' ORDER BY id) FROM S.t" "1:x1/new,2:x2/new,3:-/new,101:o/new,102:n2/na"

combination "add a column, then drop it" \
  '[{"add_column": {"table": "t", "column": {"name": "x", "type": "integer", "default": "7"}}},
    {"drop_column": {"table": "t", "column": "x"}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, a) VALUES (102, 'n')" \
  t "id integer not null, a text, b integer, c text" \
  "$values(id || ':' || coalesce(a, '-'), ',' ORDER BY id) FROM S.t" "1:x1,2:x2,3:-,101:o,102:n"

combination "rename a column, then drop it by its new name" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "a2"}},
    {"drop_column": {"table": "t", "column": "a2", "down": "'"'gone'"'"}}]' \
  "INSERT INTO OLD.t (id, a, b) VALUES (101, 'o', 5)" \
  "INSERT INTO NEW.t (id, b) VALUES (102, 4)" \
  t "id integer not null, b integer, c text" \
  "$values(id || ':' || coalesce(b::text, '-'), ',' ORDER BY id) FROM S.t" "1:10,2:-,3:30,101:5,102:4"

combination "two alter_column of one column: a check, then NOT NULL" \
  '[{"alter_column": {"table": "t", "column": "a", "check": {"name": "a_long", "constraint": "length(a) > 1"},
                      "up": "CASE WHEN length(a) > 1 THEN a ELSE a || a END", "down": "a"}},
    {"alter_column": {"table": "t", "column": "a", "nullable": false, "up": "COALESCE(a, '"'none'"')", "down": "a"}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, a) VALUES (102, 'nn')" \
  t "id integer not null, b integer, c text, a text not null" \
  "$values(id || ':' || a, ',' ORDER BY id) || ' ' || (SELECT string_agg(conname || '=' || pg_get_constraintdef(oid), ',')
     FROM pg_constraint WHERE conrelid = 'S.t'::regclass AND contype = 'c') FROM S.t" \
  "1:x1,2:x2,3:none,101:oo,102:nn a_long=CHECK ((length(a) > 1))"

combination "two alter_column of one column: a type, then a check over the new type" \
  '[{"alter_column": {"table": "t", "column": "b", "type": "bigint", "up": "b::bigint * 10", "down": "(b / 10)::integer"}},
    {"alter_column": {"table": "t", "column": "b", "check": {"name": "b_positive", "constraint": "b >= 0"},
                      "up": "GREATEST(b, 0)", "down": "b"}}]' \
  "INSERT INTO OLD.t (id, b) VALUES (101, 5)" \
  "INSERT INTO NEW.t (id, b) VALUES (102, 40)" \
  t "id integer not null, a text, c text, b bigint" \
  "$values(id || ':' || b, ',' ORDER BY id) FROM S.t" "1:100,2:0,3:300,101:50,102:40"

combination "two alter_column of one column: a default, then a comment" \
  '[{"alter_column": {"table": "t", "column": "c", "default": "'"'dflt'"'"}},
    {"alter_column": {"table": "t", "column": "c", "comment": "the c"}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.t (id) VALUES (102)" \
  t "id integer not null, a text, b integer, c text" \
  "$values(id || ':' || coalesce(c, '-'), ',' ORDER BY id) || ' ' || col_description('S.t'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'S.t'::regclass AND attname = 'c')) FROM S.t" \
  "1:c1,2:c2,3:-,101:-,102:dflt the c"

combination "add a column, then make it NOT NULL" \
  '[{"add_column": {"table": "t", "column": {"name": "x", "type": "integer", "nullable": true}}},
    {"alter_column": {"table": "t", "column": "x", "nullable": false, "up": "COALESCE(x, 0)", "down": "x"}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.t (id, x) VALUES (102, 9)" \
  t "id integer not null, a text, b integer, c text, x integer not null" \
  "$values(id || ':' || x, ',' ORDER BY id) FROM S.t" "1:0,2:0,3:0,101:0,102:9"

combination "add a column, then rename it" \
  '[{"add_column": {"table": "t", "column": {"name": "x", "type": "integer", "default": "3"}}},
    {"rename_column": {"table": "t", "from": "x", "to": "y"}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.t (id, y) VALUES (102, 9)" \
  t "id integer not null, a text, b integer, c text, y integer not null" \
  "$values(id || ':' || y, ',' ORDER BY id) FROM S.t" "1:3,2:3,3:3,101:3,102:9"

combination "rename a column twice" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "a2"}}, {"rename_column": {"table": "t", "from": "a2", "to": "a3"}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, a3) VALUES (102, 'n')" \
  t "id integer not null, a3 text, b integer, c text" \
  "$values(id || ':' || coalesce(a3, '-'), ',' ORDER BY id) FROM S.t" "1:x1,2:x2,3:-,101:o,102:n"

combination "swap two columns' names through a third" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "tmp"}}, {"rename_column": {"table": "t", "from": "c", "to": "a"}},
    {"rename_column": {"table": "t", "from": "tmp", "to": "c"}}]' \
  "INSERT INTO OLD.t (id, a, c) VALUES (101, 'oa', 'oc')" \
  "INSERT INTO NEW.t (id, a, c) VALUES (102, 'na', 'nc')" \
  t "id integer not null, c text, b integer, a text" \
  "$values(id || ':' || coalesce(a, '-') || '/' || coalesce(c, '-'), ',' ORDER BY id) FROM S.t" \
  "1:c1/x1,2:c2/x2,3:-/-,101:oc/oa,102:na/nc"

combination "rename the table, rename a column, change its type" \
  '[{"rename_table": {"from": "t", "to": "items"}}, {"rename_column": {"table": "items", "from": "b", "to": "qty"}},
    {"alter_column": {"table": "items", "column": "qty", "type": "bigint", "up": "qty::bigint", "down": "qty::integer"}}]' \
  "INSERT INTO OLD.t (id, b) VALUES (101, 5)" \
  "INSERT INTO NEW.items (id, qty) VALUES (102, 4)" \
  items "id integer not null, a text, c text, qty bigint" \
  "$values(id || ':' || coalesce(qty::text, '-'), ',' ORDER BY id) FROM S.items" "1:10,2:-,3:30,101:5,102:4"

combination "rename the table, rename a column, make it NOT NULL" \
  '[{"rename_table": {"from": "t", "to": "items"}}, {"rename_column": {"table": "items", "from": "a", "to": "title"}},
    {"alter_column": {"table": "items", "column": "title", "nullable": false, "up": "COALESCE(title, '"'untitled'"')", "down": "title"}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.items (id, title) VALUES (102, 'n')" \
  items "id integer not null, b integer, c text, title text not null" \
  "$values(id || ':' || title, ',' ORDER BY id) FROM S.items" "1:x1,2:x2,3:untitled,101:untitled,102:n"

combination "change a type, then index the column" \
  '[{"alter_column": {"table": "t", "column": "b", "type": "bigint", "up": "b::bigint", "down": "b::integer"}},
    {"create_index": {"name": "t_b_idx", "table": "t", "columns": [{"column": "b"}]}}]' \
  "INSERT INTO OLD.t (id, b) VALUES (101, 5)" \
  "INSERT INTO NEW.t (id, b) VALUES (102, 4)" \
  t "id integer not null, a text, c text, b bigint" \
  "SELECT pg_get_indexdef('S.t_b_idx'::regclass)" "CREATE INDEX t_b_idx ON S.t USING btree (b)"

combination "rename a column, then index it" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "a2"}}, {"create_index": {"name": "t_a2_idx", "table": "t", "columns": [{"column": "a2"}]}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, a2) VALUES (102, 'n')" \
  t "id integer not null, a2 text, b integer, c text" \
  "SELECT pg_get_indexdef('S.t_a2_idx'::regclass)" "CREATE INDEX t_a2_idx ON S.t USING btree (a2)"

combination "a unique constraint, then rename its column" \
  '[{"create_constraint": {"table": "t", "name": "t_b_unique", "type": "unique", "columns": ["b"], "up": {"b": "b"}, "down": {"b": "b"}}},
    {"rename_column": {"table": "t", "from": "b", "to": "b2"}}]' \
  "INSERT INTO OLD.t (id, b) VALUES (101, 5)" \
  "INSERT INTO NEW.t (id, b2) VALUES (102, 4)" \
  t "id integer not null, a text, c text, b2 integer" \
  "SELECT pg_get_constraintdef(oid) FROM pg_constraint WHERE conname = 't_b_unique' AND conrelid = 'S.t'::regclass" \
  "UNIQUE (b2)"

combination "rename a column, then a check on it" \
  '[{"rename_column": {"table": "t", "from": "a", "to": "a2"}},
    {"create_constraint": {"table": "t", "name": "a2_short", "type": "check", "columns": ["a2"], "check": "length(a2) < 5",
                           "up": {"a2": "left(a2, 4)"}, "down": {"a2": "a2"}}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'long value')" \
  "INSERT INTO NEW.t (id, a2) VALUES (102, 'n')" \
  t "id integer not null, b integer, c text, a2 text" \
  "$values(id || ':' || coalesce(a2, '-'), ',' ORDER BY id) FROM S.t" "1:x1,2:x2,3:-,101:long,102:n"

combination "change a type, then rename the column" \
  '[{"alter_column": {"table": "t", "column": "b", "type": "text", "up": "b::text", "down": "b::integer"}},
    {"rename_column": {"table": "t", "from": "b", "to": "label"}}]' \
  "INSERT INTO OLD.t (id, b) VALUES (101, 5)" \
  "INSERT INTO NEW.t (id, label) VALUES (102, '4')" \
  t "id integer not null, a text, c text, label text" \
  "$values(id || ':' || coalesce(label, '-'), ',' ORDER BY id) FROM S.t" "1:10,2:-,3:30,101:5,102:4"

combination "drop a column, then add one of that name and another type" \
  '[{"drop_column": {"table": "t", "column": "c"}},
    {"add_column": {"table": "t", "column": {"name": "c", "type": "integer", "default": "0"}}}]' \
  "INSERT INTO OLD.t (id, c) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, c) VALUES (102, 9)" \
  t "id integer not null, a text, b integer, c integer not null" \
  "$values(id || ':' || c, ',' ORDER BY id) FROM S.t" "1:0,2:0,3:0,101:0,102:9"

combination "rename the table, then add a column" \
  '[{"rename_table": {"from": "t", "to": "items"}},
    {"add_column": {"table": "items", "column": {"name": "x", "type": "text", "default": "'"'d'"'"}}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.items (id, x) VALUES (102, 'n')" \
  items "id integer not null, a text, b integer, c text, x text not null" \
  "$values(id || ':' || x, ',' ORDER BY id) FROM S.items" "1:d,2:d,3:d,101:d,102:n"

combination "add a column, then index it" \
  '[{"add_column": {"table": "t", "column": {"name": "x", "type": "integer", "default": "1"}}},
    {"create_index": {"name": "t_x_idx", "table": "t", "columns": [{"column": "x"}]}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.t (id, x) VALUES (102, 2)" \
  t "id integer not null, a text, b integer, c text, x integer not null" \
  "SELECT pg_get_indexdef('S.t_x_idx'::regclass) || ' ' || string_agg(x::text, ',' ORDER BY id) FROM S.t" \
  "CREATE INDEX t_x_idx ON S.t USING btree (x) 1,1,1,1,2"

combination "rename the table twice" \
  '[{"rename_table": {"from": "t", "to": "t2"}}, {"rename_table": {"from": "t2", "to": "t3"}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.t3 (id) VALUES (102)" \
  t3 "id integer not null, a text, b integer, c text" \
  "$values(id::text, ',' ORDER BY id) FROM S.t3" "1,2,3,101,102"

combination "change the primary key's type" \
  '[{"alter_column": {"table": "t", "column": "id", "type": "bigint", "up": "id::bigint", "down": "id::integer"}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (id, a) VALUES (102, 'n')" \
  t "a text, b integer, c text, id bigint not null" \
  "$values(id::text, ',' ORDER BY id) || ' ' || (SELECT pg_get_constraintdef(oid) FROM pg_constraint
     WHERE conrelid = 'S.t'::regclass AND contype = 'p') || ' ' || pg_get_serial_sequence('S.t', 'id') FROM S.t" \
  "1,2,3,101,102 PRIMARY KEY (id) S.t_id_seq"

NEW_KEY=t_id combination "change the primary key's type, then rename it" \
  '[{"alter_column": {"table": "t", "column": "id", "type": "bigint", "up": "id::bigint", "down": "id::integer"}},
    {"rename_column": {"table": "t", "from": "id", "to": "t_id"}}]' \
  "INSERT INTO OLD.t (id, a) VALUES (101, 'o')" \
  "INSERT INTO NEW.t (t_id, a) VALUES (102, 'n')" \
  t "a text, b integer, c text, t_id bigint not null" \
  "$values(t_id::text, ',' ORDER BY t_id) || ' ' || (SELECT pg_get_constraintdef(oid) FROM pg_constraint
     WHERE conrelid = 'S.t'::regclass AND contype = 'p') FROM S.t" \
  "1,2,3,101,102 PRIMARY KEY (t_id)"

combination "add a column, then raw SQL at complete that indexes it" \
  '[{"add_column": {"table": "t", "column": {"name": "x", "type": "integer", "default": "1"}}},
    {"rename_table": {"from": "t", "to": "items"}},
    {"sql": {"up": "CREATE INDEX items_x_idx ON items (x)", "onComplete": true}}]' \
  "INSERT INTO OLD.t (id) VALUES (101)" \
  "INSERT INTO NEW.items (id, x) VALUES (102, 2)" \
  items "id integer not null, a text, b integer, c text, x integer not null" \
  "SELECT pg_get_indexdef('S.items_x_idx'::regclass)" "CREATE INDEX items_x_idx ON S.items USING btree (x)"

combination "change a column, rename it, give its old name to another, change it again" \
  '[{"alter_column": {"table": "t", "column": "a", "check": {"name": "a_filled", "constraint": "length(a) > 0"},
                      "up": "COALESCE(a, '"'x'"')", "down": "a"}},
    {"rename_column": {"table": "t", "from": "a", "to": "title"}},
    {"rename_column": {"table": "t", "from": "c", "to": "a"}},
    {"alter_column": {"table": "t", "column": "title", "nullable": false,
                      "up": "title || '"'+'"' || COALESCE(a, '"'-'"')", "down": "title"}}]' \
  "INSERT INTO OLD.t (id, a, c) VALUES (101, 'oa', 'oc')" \
  "INSERT INTO NEW.t (id, title, a) VALUES (102, 'nb', 'na')" \
  t "id integer not null, b integer, a text, title text not null" \
  "$values(id || ':' || title || '/' || coalesce(a, '-'), ',' ORDER BY id) FROM S.t" "1:x1+c1/c1,2:x2+c2/c2,3:x+-/-,101:oa+oc/oc,102:nb/na"

finish_tests
