-- The migration lifecycle through the SQL API alone: start, both version schemas live, complete,
-- rollback, and the state recorded in pgshift.migrations.
\set SHOW_CONTEXT never
CREATE SCHEMA app;
SELECT pgshift.status('app');

SELECT pgshift.start('app', $${"name": "01_customers", "operations": [{"create_table": {"name": "customers",
  "comment": "people who buy", "columns": [
    {"name": "id", "type": "integer", "pk": true},
    {"name": "name", "type": "varchar(255)", "unique": true, "comment": "full name"},
    {"name": "credit_card", "type": "text", "nullable": true}]}}]}$$);
SELECT pgshift.status('app');
SELECT pgshift.is_active('app'), pgshift.latest_migration('app'), pgshift.latest_version('app');

-- The version schema holds one security_invoker view per table.
SELECT c.relname, c.relkind, c.reloptions
  FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
 WHERE n.nspname = 'app_01_customers' ORDER BY 1;
SELECT obj_description('app.customers'::regclass, 'pg_class') AS table_comment,
       col_description('app.customers'::regclass, 2) AS name_comment;

-- Clients write and read through the view.
SET search_path TO app_01_customers;
INSERT INTO customers VALUES (1, 'alice', NULL);
INSERT INTO customers (id, name) VALUES (2, 'alice');   -- unique violation
INSERT INTO customers (id) VALUES (3);                   -- name is NOT NULL (pgroll's default)
SELECT * FROM customers;
RESET search_path;

SELECT pgshift.complete('app');
SELECT pgshift.status('app');
SELECT name, parent, done, version_schema, migration_type, migration->'operations'->0->'create_table'->>'name' AS created,
       resulting_schema->'tables' ? 'customers' AS recorded_schema
  FROM pgshift.migrations WHERE schema = 'app' ORDER BY seq;

-- A second migration: the old version and the new one answer side by side.
SELECT pgshift.start('app', $${"name": "02_orders", "operations": [{"create_table": {"name": "orders", "columns": [
    {"name": "id", "type": "serial", "pk": true},
    {"name": "customer_id", "type": "integer",
     "references": {"name": "fk_orders_customer", "table": "customers", "column": "id", "on_delete": "CASCADE"}}]}}]}$$);
SELECT pgshift.latest_version('app'), pgshift.previous_version('app');

SET search_path TO app_01_customers;
INSERT INTO customers VALUES (2, 'bob', '4111');
SELECT * FROM orders;                                    -- not part of the old version
RESET search_path;

SET search_path TO app_02_orders;
INSERT INTO customers VALUES (3, 'carol', NULL);
INSERT INTO orders (customer_id) VALUES (1), (2), (3);
SELECT o.id, c.name FROM orders o JOIN customers c ON c.id = o.customer_id ORDER BY o.id;
INSERT INTO orders (customer_id) VALUES (99);            -- foreign key violation
DELETE FROM customers WHERE id = 3;                      -- cascades to the order
SELECT count(*) FROM orders;
RESET search_path;
SELECT * FROM app_01_customers.customers ORDER BY id;

-- One migration at a time.
SELECT pgshift.start('app', '{"name": "03_other", "operations": []}');

SELECT pgshift.complete('app');
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'app\_%' ORDER BY 1;   -- the previous version is gone
SELECT * FROM app_02_orders.orders ORDER BY id;

-- Rollback leaves the schema as it was before start.
CREATE TEMP TABLE before_start AS SELECT pgshift.read_schema('app') AS snapshot;
SELECT pgshift.start('app', $${"name": "03_products", "operations": [
  {"create_table": {"name": "products", "columns": [{"name": "id", "type": "serial", "pk": true}, {"name": "name", "type": "text"}]}},
  {"create_table": {"name": "order_lines", "columns": [
    {"name": "order_id", "type": "integer", "pk": true, "references": {"name": "fk_line_order", "table": "orders", "column": "id"}},
    {"name": "product_id", "type": "integer", "pk": true, "references": {"name": "fk_line_product", "table": "products", "column": "id"}}]}}]}$$);
SELECT count(*) AS views_in_new_version FROM pg_views WHERE schemaname = 'app_03_products';
SELECT pgshift.rollback('app');
SELECT pgshift.read_schema('app') = snapshot AS unchanged FROM before_start;
SELECT to_regclass('app.products') AS products, to_regclass('app.products_id_seq') AS sequence;
SELECT nspname FROM pg_namespace WHERE nspname LIKE 'app\_%' ORDER BY 1;
SELECT name, done FROM pgshift.migrations WHERE schema = 'app' ORDER BY seq;
SELECT pgshift.status('app');

-- Nothing to complete or roll back.
SELECT pgshift.complete('app');
\echo :LAST_ERROR_SQLSTATE
SELECT pgshift.rollback('app');
\echo :LAST_ERROR_SQLSTATE

-- The same migration again after rollback works, and completes.
SELECT pgshift.start('app', '{"name": "03_products", "version_schema": "v3", "operations": [
  {"create_table": {"name": "products", "columns": [{"name": "id", "type": "serial", "pk": true}]}}]}');
SELECT pgshift.complete('app');
SELECT pgshift.status('app');
SELECT name, parent, version_schema FROM pgshift.migrations WHERE schema = 'app' ORDER BY seq;

-- A migration name may be applied once per schema: the same content again finds the work done
-- (another app instance got there first); different content under that name is refused.
SELECT pgshift.start('app', '{"name": "03_products", "version_schema": "v3", "operations": [
  {"create_table": {"name": "products", "columns": [{"name": "id", "type": "serial", "pk": true}]}}]}');
SELECT count(*) AS migrations FROM pgshift.migrations WHERE schema = 'app';
SELECT pgshift.start('app', '{"name": "03_products", "operations": []}');
\echo :LAST_ERROR_SQLSTATE
