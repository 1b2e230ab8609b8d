-- Bad migrations are refused with an error naming the problem, and leave the database exactly as it
-- was: the schema (read_schema), the state table and the set of schemas are compared after each.
\set SHOW_CONTEXT never
CREATE SCHEMA shop;
SELECT pgshift.start('shop', '{"name": "01", "operations": [{"create_table": {"name": "users", "columns": [
  {"name": "id", "type": "integer", "pk": true}, {"name": "email", "type": "text"}]}}]}');
SELECT pgshift.complete('shop');

CREATE TEMP TABLE snapshot AS
  SELECT pgshift.read_schema('shop') AS schema_json,
         (SELECT jsonb_agg(m ORDER BY seq) FROM pgshift.migrations m) AS state,
         (SELECT array_agg(nspname ORDER BY nspname) FROM pg_namespace) AS schemas;
CREATE FUNCTION pg_temp.unchanged() RETURNS boolean LANGUAGE sql AS $$
  SELECT pgshift.read_schema('shop') = s.schema_json
     AND (SELECT jsonb_agg(m ORDER BY seq) FROM pgshift.migrations m) = s.state
     AND (SELECT array_agg(nspname ORDER BY nspname) FROM pg_namespace) = s.schemas
    FROM snapshot s $$;

-- malformed JSON never reaches pgshift
SELECT pgshift.start('shop', '{"name": "02", "operations": [');
\echo :LAST_ERROR_SQLSTATE
-- not an object / no operations / unknown top-level field / no name
SELECT pgshift.start('shop', '[]');
SELECT pgshift.start('shop', '{"name": "02"}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [], "owner": "me"}');
SELECT pgshift.start('shop', '{"operations": []}');
\echo :LAST_ERROR_SQLSTATE
-- unknown operation, several keys, unknown field, mistyped field, missing field, bad enum value
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_tables": {"name": "t"}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"drop_table": {"name": "a"}, "drop_index": {"name": "b"}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int", "nulable": true}]}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int", "pk": "yes"}]}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a"}]}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int",
  "references": {"name": "f", "table": "users", "column": "id", "on_delete": "DELETE"}}]}}]}');
\echo :LAST_ERROR_SQLSTATE
-- the table exists / a referenced table or column does not
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "users", "columns": []}}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int",
  "references": {"name": "f", "table": "accounts", "column": "id"}}]}}]}');
\echo :LAST_ERROR_SQLSTATE
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int",
  "references": {"name": "f", "table": "users", "column": "uid"}}]}}]}');
\echo :LAST_ERROR_SQLSTATE
-- a type PostgreSQL does not know, in the second operation: the first one is undone too
SELECT pgshift.start('shop', '{"name": "02", "operations": [
  {"create_table": {"name": "ok", "columns": [{"name": "a", "type": "int"}]}},
  {"create_table": {"name": "t", "columns": [{"name": "a", "type": "integr"}]}}]}');
\echo :LAST_ERROR_SQLSTATE
-- SQL with a syntax error in a default and a check
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int", "default": "1 +"}]}}]}');
SELECT pgshift.start('shop', '{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "a", "type": "int",
  "check": {"name": "c", "constraint": "nope > 0"}}]}}]}');
\echo :LAST_ERROR_SQLSTATE
-- names PostgreSQL would truncate are refused: table, column, constraint, version schema
SELECT pgshift.start('shop', format('{"name": "02", "operations": [{"create_table": {"name": "%s", "columns": []}}]}', repeat('t', 64))::jsonb);
SELECT pgshift.start('shop', format('{"name": "02", "operations": [{"create_table": {"name": "t", "columns": [{"name": "%s", "type": "int"}]}}]}', repeat('c', 64))::jsonb);
SELECT pgshift.start('shop', format('{"name": "%s", "operations": []}', repeat('m', 59))::jsonb);
\echo :LAST_ERROR_SQLSTATE
-- a missing schema
SELECT pgshift.start('nowhere', '{"name": "02", "operations": []}');
\echo :LAST_ERROR_SQLSTATE
SELECT pg_temp.unchanged() AS unchanged_after_all_errors;

-- Names that need quotes work, and names crafted to inject SQL stay names.
SELECT pgshift.start('shop', $${"name": "02 odd names", "operations": [
  {"create_table": {"name": "Order Items", "columns": [
    {"name": "select", "type": "int", "pk": true},
    {"name": "MixedCase", "type": "text", "nullable": true, "comment": "it's \"quoted\""}]}},
  {"create_table": {"name": "x\"; DROP TABLE shop.users; --", "columns": [{"name": "a'b", "type": "int", "nullable": true}]}}]}$$);
SELECT to_regclass('shop.users') IS NOT NULL AS users_still_there;
SET search_path TO "shop_02 odd names";
INSERT INTO "Order Items" ("select", "MixedCase") VALUES (1, 'x');
INSERT INTO "x""; DROP TABLE shop.users; --" ("a'b") VALUES (7);
SELECT * FROM "Order Items";
SELECT * FROM "x""; DROP TABLE shop.users; --";
RESET search_path;
SELECT col_description('shop."Order Items"'::regclass, 2);
SELECT pgshift.rollback('shop');
SELECT pg_temp.unchanged() AS unchanged_after_rollback;
