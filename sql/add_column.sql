-- add_column: the new column lives as _pgshift_new_<name> until complete, visible in the new
-- version only; `up` fills it for old-version writes (trigger) and existing rows (worker backfill).
\set SHOW_CONTEXT never
CREATE SCHEMA ac;
SELECT pgshift.start('ac', '{"name": "01", "operations": [
  {"create_table": {"name": "products", "columns": [{"name": "id", "type": "serial", "pk": true},
    {"name": "name", "type": "varchar(255)", "unique": true}, {"name": "price", "type": "numeric(10,2)"}]}},
  {"create_table": {"name": "suppliers", "columns": [{"name": "id", "type": "int", "pk": true}]}}]}') ->> 'status';
SELECT pgshift.complete('ac') ->> 'status';
INSERT INTO ac.suppliers SELECT g FROM generate_series(1, 3) g;
INSERT INTO ac.products (name, price) SELECT 'p' || g, g FROM generate_series(1, 2000) g;

SELECT pgshift.start('ac', $${"name": "02_add", "operations": [
  {"add_column": {"table": "products", "up": "UPPER(name)",
    "column": {"name": "description", "type": "varchar(255)", "nullable": true, "comment": "shown in the shop"}}},
  {"add_column": {"table": "products", "column": {"name": "stock", "type": "int", "default": "100"}}},
  {"add_column": {"table": "products", "up": "name || '-category'",
    "column": {"name": "category", "type": "varchar(255)", "unique": true,
               "check": {"name": "category_length", "constraint": "length(category) > 3"}}}},
  {"add_column": {"table": "products", "up": "1 + id % 3",
    "column": {"name": "supplier_id", "type": "int", "nullable": true,
               "references": {"name": "fk_supplier", "table": "suppliers", "column": "id"}}}},
  {"add_column": {"table": "products", "up": "(random() * 0)::int + 7",
    "column": {"name": "lucky", "type": "int", "default": "(random() * 0)::int + 7"}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('ac');
SELECT "table", state, rows_done, error FROM pgshift.backfill_progress WHERE schema = 'ac';

-- While active: the physical table has the new columns under temporary names.
SELECT attname, format_type(atttypid, atttypmod), attnotnull FROM pg_attribute
 WHERE attrelid = 'ac.products'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
-- The old version does not see them; the new one does, under their names, filled for old rows.
SELECT * FROM ac_01.products WHERE id <= 2 ORDER BY id;
SELECT * FROM ac_02_add.products WHERE id <= 2 ORDER BY id;
SELECT count(*) AS rows_filled FROM ac_02_add.products
 WHERE description = upper(name) AND category = name || '-category' AND supplier_id = 1 + id % 3 AND lucky = 7 AND stock = 100;
SELECT col_description('ac.products'::regclass, (SELECT attnum FROM pg_attribute WHERE attrelid = 'ac.products'::regclass AND attname = '_pgshift_new_description'));

-- Writes through the old version get the new columns from `up`; through the new one, as given.
SET search_path TO ac_01;
INSERT INTO products (name, price) VALUES ('old-write', 1);
UPDATE products SET name = 'p1-renamed' WHERE id = 1;
SET search_path TO ac_02_add, public;           -- the new version first, whatever follows
INSERT INTO products (name, price, category, supplier_id) VALUES ('new-write', 2, 'chosen', 3);
INSERT INTO products (name, price, category) VALUES ('short', 2, 'abc');   -- fails the check
INSERT INTO products (name, price, category) VALUES ('dupe', 2, 'chosen');  -- fails the unique index
INSERT INTO products (name, price, category, supplier_id) VALUES ('bad-fk', 2, 'bad-fk-cat', 99);
INSERT INTO products (name, price) VALUES ('no-category', 2);              -- NOT NULL (not valid yet, still checked)
RESET search_path;
SELECT id, name, description, stock, category, supplier_id, lucky FROM ac_02_add.products
 WHERE name IN ('old-write', 'new-write', 'p1-renamed') ORDER BY name;

-- complete: the columns take their names and their constraints become real.
SELECT pgshift.complete('ac') ->> 'status';
SELECT attname, format_type(atttypid, atttypmod), attnotnull, pg_get_expr(d.adbin, d.adrelid) AS default
  FROM pg_attribute a LEFT JOIN pg_attrdef d ON d.adrelid = a.attrelid AND d.adnum = a.attnum
 WHERE attrelid = 'ac.products'::regclass AND attnum > 0 AND NOT attisdropped ORDER BY attnum;
SELECT conname, contype, convalidated, pg_get_constraintdef(oid) FROM pg_constraint
 WHERE conrelid = 'ac.products'::regclass ORDER BY conname;
SELECT count(*) AS leftover_triggers FROM pg_trigger WHERE tgrelid = 'ac.products'::regclass AND NOT tgisinternal;
SELECT id, name, description, stock, category, supplier_id, lucky FROM ac_02_add.products WHERE id <= 2 ORDER BY id;
INSERT INTO ac_02_add.products (name, price, category) VALUES ('after', 1, 'after-cat') RETURNING stock, lucky;

-- Rollback removes every trace: columns, constraints, index, trigger, jobs. Here the backfill
-- fails (`up` gives every row the same tag, and tags are unique): the migration cannot complete.
CREATE TEMP TABLE before_rollback AS SELECT pgshift.read_schema('ac') AS snapshot;
SELECT pgshift.start('ac', $${"name": "03", "operations": [
  {"add_column": {"table": "products", "up": "'x'", "column": {"name": "tag", "type": "text", "unique": true,
    "check": {"name": "tag_check", "constraint": "tag <> ''"}}}}]}$$) ->> 'jobs' AS jobs;
CALL pgshift.wait_for_jobs('ac');
SELECT pgshift.complete('ac');
SELECT pgshift.rollback('ac') ->> 'status';
SELECT pgshift.read_schema('ac') = snapshot AS unchanged FROM before_rollback;
SELECT count(*) AS jobs_left FROM pgshift.jobs WHERE schema = 'ac' AND migration = '03';

-- Refused, changing nothing: an existing column, a missing table, NOT NULL without up or default, a
-- primary key, a volatile default without the same up, up naming a missing column, a bad check.
SELECT pgshift.start('ac', '{"name": "04", "operations": [{"add_column": {"table": "products", "column": {"name": "price", "type": "int"}}}]}');
SELECT pgshift.start('ac', '{"name": "04", "operations": [{"add_column": {"table": "nope", "column": {"name": "x", "type": "int", "nullable": true}}}]}');
SELECT pgshift.start('ac', '{"name": "04", "operations": [{"add_column": {"table": "products", "column": {"name": "x", "type": "int"}}}]}');
SELECT pgshift.start('ac', '{"name": "04", "operations": [{"add_column": {"table": "products", "up": "1", "column": {"name": "x", "type": "int", "pk": true}}}]}');
SELECT pgshift.start('ac', $${"name": "04", "operations": [{"add_column": {"table": "products", "up": "1", "column": {"name": "x", "type": "int", "default": "random()"}}}]}$$);
SELECT pgshift.start('ac', $${"name": "04", "operations": [{"add_column": {"table": "products", "up": "nosuch + 1", "column": {"name": "x", "type": "int"}}}]}$$);
SELECT pgshift.start('ac', $${"name": "04", "operations": [{"add_column": {"table": "products", "up": "1", "column": {"name": "x", "type": "int", "check": {"name": "c", "constraint": "x >"}}}}]}$$);
SELECT pgshift.read_schema('ac') = snapshot AS unchanged FROM before_rollback;
