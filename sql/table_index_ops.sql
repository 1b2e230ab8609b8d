-- drop_table, rename_table, create_index, drop_index, rename_constraint, set_replica_identity, sql.
\set SHOW_CONTEXT never
CREATE SCHEMA tio;
SELECT pgshift.start('tio', $${"name": "01", "operations": [
  {"create_table": {"name": "customers", "columns": [{"name": "id", "type": "int", "pk": true},
    {"name": "name", "type": "text", "check": {"name": "name_length", "constraint": "length(name) > 0"}}]}},
  {"create_table": {"name": "products", "columns": [{"name": "id", "type": "int", "pk": true}, {"name": "name", "type": "text"}]}},
  {"create_index": {"name": "idx_products_name", "table": "products", "columns": [{"column": "name"}]}}]}$$) ->> 'jobs' AS jobs;
SELECT pgshift.complete('tio') ->> 'status';
INSERT INTO tio.customers VALUES (1, 'ada'), (2, 'bob');
INSERT INTO tio.products VALUES (1, 'pen');

-- rename_table + drop_table + index changes + constraint rename + replica identity
SELECT pgshift.start('tio', $${"name": "02", "operations": [
  {"rename_table": {"from": "customers", "to": "clients"}},
  {"rename_constraint": {"table": "clients", "from": "name_length", "to": "name_length_check"}},
  {"drop_table": {"name": "products"}},
  {"create_table": {"name": "products", "columns": [{"name": "sku", "type": "text", "pk": true}]}},
  {"create_index": {"name": "idx_clients_name", "table": "clients", "method": "btree", "unique": true,
    "columns": [{"column": "name", "sort": "DESC", "nulls": "LAST", "collate": "C"}], "predicate": "id > 0",
    "storage_parameters": "fillfactor = 70"}},
  {"set_replica_identity": {"table": "clients", "identity": {"type": "full"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('tio');
SELECT table_name FROM information_schema.views WHERE table_schema = 'tio_01' ORDER BY 1;
SELECT table_name FROM information_schema.views WHERE table_schema = 'tio_02' ORDER BY 1;
SELECT * FROM tio_01.customers ORDER BY id;
SELECT * FROM tio_02.clients ORDER BY id;
SELECT * FROM tio_01.products;
SELECT relname FROM pg_class WHERE relnamespace = 'tio'::regnamespace AND relkind = 'r' ORDER BY 1;
SELECT pg_get_indexdef('tio.idx_clients_name'::regclass);
SELECT relreplident FROM pg_class WHERE oid = 'tio.customers'::regclass;
SELECT pgshift.complete('tio') ->> 'status';
SELECT relname FROM pg_class WHERE relnamespace = 'tio'::regnamespace AND relkind = 'r' ORDER BY 1;
SELECT conname FROM pg_constraint WHERE conrelid = 'tio.clients'::regclass ORDER BY 1;
SELECT * FROM tio_02.clients ORDER BY id;

-- drop_index at complete; replica identity by index; rollback restores the identity
CREATE TEMP TABLE before_start AS SELECT pgshift.read_schema('tio') AS snapshot;
SELECT pgshift.start('tio', $${"name": "03", "operations": [
  {"drop_index": {"name": "idx_clients_name"}},
  {"set_replica_identity": {"table": "clients", "identity": {"type": "INDEX", "index": "customers_pkey"}}}]}$$) ->> 'jobs' AS jobs;
SELECT to_regclass('tio.idx_clients_name') IS NOT NULL AS index_still_there, relreplident FROM pg_class WHERE oid = 'tio.clients'::regclass;
SELECT pgshift.rollback('tio') ->> 'status';
SELECT pgshift.read_schema('tio') = snapshot AS unchanged FROM before_start;
SELECT pgshift.start('tio', '{"name": "03", "operations": [{"drop_index": {"name": "idx_clients_name"}}]}') ->> 'jobs' AS jobs;
SELECT pgshift.complete('tio') ->> 'status';
SELECT to_regclass('tio.idx_clients_name') AS dropped;

-- sql: up at start (alone in its migration), down at rollback, onComplete at complete; views follow.
SELECT pgshift.start('tio', $${"name": "04", "operations": [{"sql": {"up": "CREATE TABLE users (id int PRIMARY KEY, name text)", "down": "DROP TABLE users"}}]}$$) ->> 'jobs';
SELECT table_name FROM information_schema.views WHERE table_schema = 'tio_04' ORDER BY 1;
SELECT pgshift.rollback('tio') ->> 'status';
SELECT to_regclass('tio.users') AS users_after_rollback;
SELECT pgshift.start('tio', $${"name": "04", "operations": [{"sql": {"up": "CREATE TABLE users (id int PRIMARY KEY, name text)", "down": "DROP TABLE users"}}]}$$) ->> 'status';
SELECT pgshift.complete('tio') ->> 'status';
SELECT pgshift.start('tio', $${"name": "05", "operations": [
  {"sql": {"up": "ALTER TABLE users ADD COLUMN birth_date date", "onComplete": true}},
  {"add_column": {"table": "users", "column": {"name": "email", "type": "text", "nullable": true}}}]}$$) ->> 'status';
SELECT column_name FROM information_schema.columns WHERE table_schema = 'tio_05' AND table_name = 'users' ORDER BY ordinal_position;
SELECT pgshift.complete('tio') ->> 'status';
SELECT column_name FROM information_schema.columns WHERE table_schema = 'tio_05' AND table_name = 'users' ORDER BY ordinal_position;

-- Refused: sql with other operations, down with onComplete, existing index name, missing index
SELECT pgshift.start('tio', $${"name": "06", "operations": [{"sql": {"up": "SELECT 1"}}, {"drop_index": {"name": "x"}}]}$$);
SELECT pgshift.start('tio', $${"name": "06", "operations": [{"sql": {"up": "SELECT 1", "down": "SELECT 2", "onComplete": true}}]}$$);
SELECT pgshift.start('tio', $${"name": "06", "operations": [{"create_index": {"name": "customers_pkey", "table": "clients", "columns": [{"column": "id"}]}}]}$$);
SELECT pgshift.start('tio', $${"name": "06", "operations": [{"drop_index": {"name": "nope"}}]}$$);
SELECT pgshift.start('tio', $${"name": "06", "operations": [{"rename_table": {"from": "clients", "to": "users"}}]}$$);
SELECT pgshift.rollback('tio') ->> 'status';

-- Raw SQL without `down`: rollback drops what it created (pgroll leaves it behind).
CREATE TEMP TABLE before_raw AS SELECT pgshift.read_schema('tio') AS snapshot;
SELECT pgshift.start('tio', $${"name": "07", "operations": [{"sql": {"up":
  "CREATE TYPE fruit_size AS ENUM ('small', 'large'); CREATE FUNCTION twice(x int) RETURNS int LANGUAGE sql AS 'SELECT 2 * x'; CREATE TABLE fruits (size fruit_size)"}}]}$$) ->> 'status';
SELECT to_regtype('tio.fruit_size') AS type, to_regprocedure('tio.twice(int)') AS function, to_regclass('tio.fruits') AS "table";
SELECT pgshift.rollback('tio') ->> 'status';
SELECT to_regtype('tio.fruit_size') AS type, to_regprocedure('tio.twice(int)') AS function, to_regclass('tio.fruits') AS "table";
SELECT pgshift.read_schema('tio') = snapshot AS unchanged FROM before_raw;
